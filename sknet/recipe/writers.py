"""The report folder's files: report.json, report.md, report.html, the
figures and model.joblib, written through :class:`~.output.ReportFolder`
(checked before any work, written whole or not at all).
"""

import base64
import html
import io
import json
import os

from .data import read_summary
from .models import mlp_of, mlp_step
from .output import ReportFolder, write_bytes, write_text
from .report import SCORE_NAMES, fmt, headline

__all__ = ["save_report", "draw_figures", "markdown", "html_page"]


def draw_figures(result):
    """Draw the figures; returns ``({file name: PNG bytes}, note)``.

    The note says why there are none (matplotlib missing), else None.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return {}, "matplotlib is not installed (pip install 'sknet-mlp[plot]')"
    from ..plotting import (
        LearningRateFinderDisplay,
        LossCurveDisplay,
        SearchResultsDisplay,
    )

    report, model = result.report, result.model
    out = {}

    def save(display, name):
        buffer = io.BytesIO()
        display.figure_.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        plt.close(display.figure_)
        out[name] = buffer.getvalue()

    save(LearningRateFinderDisplay.from_result(result.finder), "lr_finder.png")
    step = mlp_step(report.data.task == "classification")
    save(SearchResultsDisplay.from_cv_results(result.search, x=f"{step}learning_rate_init",
                                             y=f"{step}alpha"), "search.png")
    save(LossCurveDisplay.from_history(mlp_of(model)), "loss_curve.png")
    if report.data.task == "classification":
        from sklearn.metrics import ConfusionMatrixDisplay

        display = ConfusionMatrixDisplay.from_estimator(model, result.X_test, result.y_test,
                                                        colorbar=False)
        display.ax_.set_title("test set")
        save(display, "confusion_matrix.png")
    else:
        from sklearn.metrics import PredictionErrorDisplay

        display = PredictionErrorDisplay.from_estimator(
            model, result.X_test, result.y_test, kind="actual_vs_predicted")
        display.ax_.set_title("test set")
        save(display, "prediction_error.png")
    return out, None


def _test_sentence(report):
    title, detail = headline(report)
    return f"**{title}** ({detail})."


def markdown(report):
    """report.md: the report as Markdown (figures linked beside it)."""
    d, s, c, f, t = report.data, report.search, report.checks, report.finder, report.test
    md = [
        f"# sknet recipe: {d.name}",
        "",
        f"`{report.command}` (sknet {report.sknet_version}, {report.total_seconds:.1f} s)",
        "",
        "## Data",
        "",
        f"{d.n_samples} samples, {d.n_columns} columns ({d.n_features} features after their "
        f"treatment), target `{d.target}`, task: {d.task} ({d.task_reason}). Source: "
        f"`{d.source}`"
        + (f" (read as {read_summary(d.read_info)})" if d.read_info else "")
        + f". Split: {report.split.n_train} training / {report.split.n_test} test "
        f"samples{' (stratified)' if report.split.stratified else ''}.",
        "",
    ]
    if d.columns:
        md += ["| column | kind | treatment | missing | distinct |", "|---|---|---|---|---|"]
        md += [f"| {_md(p['name'])} | {p['kind']} | {_md(p['treatment'])} | {p['n_missing']} "
               f"| {p['n_unique']} |" for p in d.columns]
        md.append("")
    md += [f"- {_md(n)}" for n in d.notes] + ([""] if d.notes else [])
    md += [
        "## Checks",
        "",
        "| step | verdict | details |",
        "|---|---|---|",
        f"| initial loss | {c.initial_loss.verdict} | {_md(c.initial_loss.message)} |",
        f"| overfit a tiny subset | {c.overfit_small.verdict} | {_md(c.overfit_small.message)} |",
        f"| learning-rate finder | {f.verdict} | {_md(f.message.rstrip('.'))}; searched "
        f"{f.search_range[0]:.2g} .. {f.search_range[1]:.2g} ({_md(f.range_reason)}) |",
        "",
        "## Search",
        "",
        f"{s.n_fits} fits ({' / '.join(map(str, s.n_candidates_per_stage))} candidates per "
        f"stage, {s.cv_folds} folds, epochs per stage {' / '.join(map(str, s.epochs_per_stage))})"
        f" in {s.seconds:.1f} s, scored by {SCORE_NAMES[s.scoring]} ({s.scoring_reason}). Best "
        f"cross-validated score {s.best_cv_score:.4f}; the default network's "
        f"{s.default_cv_score:.4f}.",
        "",
        f"Final model: {report.final.reason}.",
        "",
        "| hyperparameter | chosen |",
        "|---|---|",
    ]
    md += [f"| {k} | {_md(fmt(v))} |" for k, v in sorted(report.final.params.items())]
    md += ["", "## Test", "", _test_sentence(report), ""]
    if t.baselines:
        md += ["| model | test score | seconds |", "|---|---|---|"]
        md += [f"| {b['name']} | {_score(b)} | {b['seconds']:.1f} |" for b in t.baselines]
        md.append("")
    md += [f"**Warning:** {_md(w)}" for w in t.warnings] + ([""] if t.warnings else [])
    md += ["## Figures", ""]
    if report.figures:
        md += [f"![{name}]({name})" for name in report.figures]
    else:
        md.append(f"None: {report.figures_note}.")
    md += ["", "The fitted pipeline is `model.joblib` (`joblib.load`; it predicts on raw rows "
           "with the same columns); every number measured is in `report.json`; "
           "`report.html` shows it all with the figures inline.", ""]
    return "\n".join(md)


def _md(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _score(b):
    return f"{b['score']:.4f}" if b.get("score") is not None else f"failed ({b['error']})"


_CSS = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .6rem;
text-align:left;vertical-align:top}th{background:#f4f4f4}.OK{color:#1a7f37;font-weight:600}
.WARN,.FAIL{color:#b35900;font-weight:600}.headline{font-size:1.3rem;font-weight:700}
.warning{background:#fff4e5;border-left:4px solid #b35900;padding:.5rem 1rem}
figure{display:inline-block;margin:.5rem}img{max-width:28rem}code{background:#f4f4f4}
"""


def html_page(report, pngs):
    """report.html: one self-contained page (figures inline as data URIs)."""
    e = html.escape
    d, s, c, f, t = report.data, report.search, report.checks, report.finder, report.test

    def table(head, rows):
        cells = "".join(f"<th>{e(h)}</th>" for h in head)
        body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
                       for row in rows)
        return f"<table><tr>{cells}</tr>{body}</table>"

    def figure(name, caption):
        if name not in pngs:
            return ""
        data = base64.b64encode(pngs[name]).decode("ascii")
        return (f'<figure><img alt="{e(caption)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{e(caption)}</figcaption></figure>")

    def verdict(v):
        return f'<span class="{e(v)}">{e(v)}</span>'

    title, detail = headline(report)
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>sknet recipe: {e(d.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>sknet recipe: {e(d.name)}</h1>",
        f"<p><code>{e(report.command)}</code>: sknet {e(report.sknet_version)}, "
        f"{report.total_seconds:.1f} s.</p>",
        f'<p class="headline">{e(title)}</p><p>{e(detail)}</p>',
    ]
    parts += [f'<p class="warning">Warning: {e(w)}</p>' for w in t.warnings]
    if t.baselines:
        rows = [["sknet (this recipe)", f"{t.score:.4f}", f"{report.total_seconds:.1f} (all stages)"]]
        rows += [[e(b["name"]), e(_score(b)), f"{b['seconds']:.1f}"] for b in t.baselines]
        parts.append(table(["model (same split)", f"test {SCORE_NAMES[t.scoring]}",
                            "seconds"], rows))
    parts += [
        "<h2>Data</h2>",
        f"<p>{d.n_samples} samples, {d.n_columns} columns, {d.n_features} features after "
        f"their treatment; target <code>{e(d.target)}</code>; task <b>{e(d.task)}</b> "
        f"({e(d.task_reason)}). Source <code>{e(d.source)}</code>"
        + (f" (read as {e(read_summary(d.read_info))})" if d.read_info else "")
        + ". Split "
        f"{report.split.n_train} training / {report.split.n_test} test samples"
        f"{' (stratified)' if report.split.stratified else ''}.</p>",
    ]
    if d.classes:
        parts.append(table(["class", "rows"], [[e(k), v] for k, v in d.classes.items()]))
    if d.columns:
        parts.append(table(["column", "kind", "treatment", "missing", "distinct"], [
            [e(p["name"]), e(p["kind"]), e(p["treatment"]), p["n_missing"], p["n_unique"]]
            for p in d.columns]))
    parts += [f"<p>{e(n)}</p>" for n in d.notes]
    parts += [
        "<h2>Checks</h2>",
        table(["step", "verdict", "details"], [
            ["initial loss", verdict(c.initial_loss.verdict), e(c.initial_loss.message)],
            ["overfit a tiny subset", verdict(c.overfit_small.verdict),
             e(c.overfit_small.message)],
            ["learning-rate finder", verdict(f.verdict),
             e(f"{f.message.rstrip('.')}; searched {f.search_range[0]:.2g} .. "
               f"{f.search_range[1]:.2g} "
               f"({f.range_reason})")],
        ]),
        figure("lr_finder.png", "learning-rate finder"),
        "<h2>Search</h2>",
        f"<p>{s.n_fits} fits ({' / '.join(map(str, s.n_candidates_per_stage))} candidates per "
        f"stage, {s.cv_folds} folds, epochs per stage "
        f"{' / '.join(map(str, s.epochs_per_stage))}) in {s.seconds:.1f} s, scored by "
        f"{e(SCORE_NAMES[s.scoring])} ({e(s.scoring_reason)}). Best cross-validated score "
        f"{s.best_cv_score:.4f}; the default network's {s.default_cv_score:.4f}"
        + (f"; {s.n_failed} candidates failed" if s.n_failed else "") + ".</p>",
        f"<p>Final model: {e(report.final.reason)}; {report.final.n_iter} epochs.</p>",
        table(["hyperparameter", "chosen"],
              [[e(k), e(fmt(v))] for k, v in sorted(report.final.params.items())]),
        figure("search.png", "search: candidates by learning rate and alpha"),
        figure("loss_curve.png", "loss curves of the final model"),
        "<h2>Test</h2>",
        figure("confusion_matrix.png", "confusion matrix (test set)"),
        figure("prediction_error.png", "actual against predicted (test set)"),
    ]
    if not pngs:
        parts.append(f"<p>No figures: {e(str(report.figures_note))}.</p>")
    parts.append("<p>The fitted pipeline is <code>model.joblib</code>; every number is in "
                 "<code>report.json</code>.</p></body></html>")
    return "\n".join(p for p in parts if p)


def save_report(result, path, *, overwrite=False, figures=True):
    """Write the report folder of a :class:`~sknet.recipe.RecipeResult`.

    Parameters
    ----------
    result : RecipeResult
    path : str or path-like
        The folder. An existing folder made by sknet is replaced whole; an
        existing non-empty folder that sknet did not make is refused unless
        ``overwrite``.
    overwrite : bool, default=False
    figures : bool, default=True
        Draw the figures (they need matplotlib).

    Returns
    -------
    str
        The folder's absolute path.

    Raises
    ------
    InputError
        When the folder cannot be used or written (nothing is left half
        written; a previous report stays as it was).
    """
    import joblib

    folder = ReportFolder(path, overwrite=overwrite)
    folder.check()
    report = result.report
    report.output = folder.path
    if figures:
        pngs, report.figures_note = draw_figures(result)
    else:
        pngs, report.figures_note = {}, "figures=False (--no-figures)"
    report.figures = list(pngs)

    def writer(tmp):
        joblib.dump(result.model, os.path.join(tmp, "model.joblib"))
        for name, data in pngs.items():
            write_bytes(tmp, name, data)
        write_text(tmp, "report.json", json.dumps(report.to_dict(), indent=2) + "\n")
        write_text(tmp, "report.md", markdown(report))
        write_text(tmp, "report.html", html_page(report, pngs))

    return folder.write(writer)
