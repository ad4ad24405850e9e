"""The recipe's stages: functions over one shared :class:`RecipeContext`.

Each stage reads what earlier stages put in the context, adds its own
results and its report section, and returns the summary of its progress
line. :data:`STAGES` lists them in order; the progress count comes from it.
"""

import contextlib
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from ..exceptions import SearchFailedError
from . import models
from .budget import plan_time_budget, probe_largest, with_deadline
from .data import load_dataset, read_summary
from .evaluation import fit_baselines, one_class_warning, test_metrics
from .report import (
    SCORE_NAMES,
    ChecksSection,
    DataSection,
    FinalSection,
    FinderSection,
    PreprocessSection,
    SearchSection,
    SplitSection,
    TestSection,
    Verdict,
)
from .search import (
    IndentedStdout,
    fit_final,
    learning_rate_range,
    n_workers,
    quiet_search_warnings,
    readable_params,
    search_backend,
    space_repr,
    stage_plan,
    stage_top_k,
)

__all__ = ["RecipeContext", "STAGES"]


@dataclass
class RecipeContext:
    """What the stages share: the inputs, the data, the models and the report."""

    X: object
    y: object
    config: object
    report: object
    progress: object
    t_start: float = field(default_factory=time.perf_counter)
    ds: object = None
    columns: object = None           # the pipeline's first step
    column_plans: list = None
    X_train: object = None
    X_test: object = None
    y_train: np.ndarray = None
    y_test: np.ndarray = None
    scalers: dict = None
    Xp: np.ndarray = None            # preprocessed training part, for the checks
    y_check: np.ndarray = None       # the target as the network sees it
    finder: object = None
    lr_range: tuple = None
    scoring: str = None
    scoring_reason: str = None
    search: object = None
    search_template: object = None   # the candidates' model, without the deadline
    default_params: dict = None
    model: object = None

    @property
    def classification(self):
        return self.ds.classification

    @property
    def step(self):
        return models.mlp_step(self.classification)

    def estimator(self, **params):
        from .. import MLPClassifier, MLPRegressor

        cls = MLPClassifier if self.classification else MLPRegressor
        return cls(random_state=self.config.random_state, **params)

    def pipeline(self, mlp, scaler=None):
        scaler = scaler if scaler is not None else next(iter(self.scalers.values()))
        return models.make_pipeline(self.columns, scaler, self.config.whiten, mlp,
                                    classification=self.classification)

    def cv(self):
        from sklearn.model_selection import KFold, StratifiedKFold

        splitter = StratifiedKFold if self.classification else KFold
        return splitter(n_splits=self.config.cv, shuffle=True,
                        random_state=self.config.random_state)

    def elapsed(self):
        return time.perf_counter() - self.t_start


# --------------------------------------------------------------------------
# 1. data
# --------------------------------------------------------------------------


def stage_data(ctx):
    cfg = ctx.config
    ds = ctx.ds = load_dataset(ctx.X, ctx.y, target=cfg.target, task=cfg.task,
                               test_size=cfg.test_size, cv=cfg.cv)
    ctx.columns, ctx.column_plans = models.column_step(ds)
    ctx.scoring, ctx.scoring_reason = models.resolve_scoring(cfg.scoring, ds)
    section = DataSection(
        name=ds.name, source=ds.source, task=ds.task, task_reason=ds.task_reason,
        target=ds.target_name, n_samples=int(len(ds.y)), n_columns=int(ds.X.shape[1]),
        columns=[p.to_dict() for p in ctx.column_plans or []], read_info=ds.read_info,
        notes=list(ds.notes), imbalanced=bool(ds.imbalanced),
    )
    if ds.classification:
        classes, counts = ds.class_counts()
        section.classes = {str(c): int(n) for c, n in zip(classes, counts)}
        summary = f"{len(ds.y)} samples, {ds.X.shape[1]} columns, {len(classes)} classes"
        if ds.imbalanced:
            summary += f" (imbalanced: scored by {SCORE_NAMES[ctx.scoring]})"
    else:
        section.target_mean, section.target_std = float(ds.y.mean()), float(ds.y.std())
        summary = f"{len(ds.y)} samples, {ds.X.shape[1]} columns, regression target"
    ctx.report.data = section
    if ds.read_info:
        ctx.progress.say(f"      read: {read_summary(ds.read_info)}")
    ctx.progress.say(f"      task: {ds.task} ({ds.task_reason})")
    for plan in ctx.column_plans or []:
        if not plan.kept or plan.kind != "numeric":
            ctx.progress.say(f"      column {plan.name!r}: {plan.kind}, {plan.treatment}")
    for note in ds.notes:
        ctx.progress.say(f"      note: {note}")
    return summary


# --------------------------------------------------------------------------
# 2. split
# --------------------------------------------------------------------------


def stage_split(ctx):
    from sklearn.model_selection import train_test_split

    ds, cfg = ctx.ds, ctx.config
    ctx.X_train, ctx.X_test, ctx.y_train, ctx.y_test = train_test_split(
        ds.X, ds.y, test_size=cfg.test_size,
        stratify=ds.y if ds.classification else None, random_state=cfg.random_state,
    )
    ctx.report.split = SplitSection(
        n_train=int(len(ctx.y_train)), n_test=int(len(ctx.y_test)),
        stratified=ds.classification, test_size=cfg.test_size,
    )
    return (f"{len(ctx.y_train)} training / {len(ctx.y_test)} test samples"
            + (" (stratified)" if ds.classification else ""))


# --------------------------------------------------------------------------
# 3. preprocessing
# --------------------------------------------------------------------------


def _summary_stats(X):
    mean, std = X.mean(axis=0), X.std(axis=0)
    return {
        "mean_abs_feature_mean": float(np.mean(np.abs(mean))),
        "max_abs_feature_mean": float(np.max(np.abs(mean))),
        "min_feature_std": float(std.min()),
        "max_feature_std": float(std.max()),
    }


def stage_preprocess(ctx):
    cfg = ctx.config
    ctx.scalers = models.scalers_for(cfg.scaling, table=ctx.ds.is_table)
    first = next(iter(ctx.scalers))
    prep = models.make_pipeline(ctx.columns, ctx.scalers[first], cfg.whiten, "passthrough",
                                classification=True)
    # the column treatments once, then the scaling: statistics of both outputs
    raw = prep[:1].fit_transform(ctx.X_train)
    ctx.Xp = prep[1:].fit_transform(raw)
    ctx.report.data.n_features = int(ctx.Xp.shape[1])
    ctx.report.preprocess = section = PreprocessSection(
        scaling_choices=list(ctx.scalers), whiten=cfg.whiten, checked_with=first,
        before=_summary_stats(np.asarray(raw, dtype=float)), after=_summary_stats(ctx.Xp),
    )
    if ctx.classification:
        ctx.y_check = ctx.y_train
    else:
        ctx.y_check = (ctx.y_train - ctx.y_train.mean()) / ctx.y_train.std()
    if len(ctx.scalers) > 1:
        ctx.progress.say(f"      scaling: the search chooses between "
                         f"{' and '.join(ctx.scalers)}; the checks below use {first}")
    return (
        f"{ctx.Xp.shape[1]} features; {first}"
        f"{' + ' + cfg.whiten + ' whitening' if cfg.whiten != 'none' else ''}: "
        f"feature means up to {section.before['max_abs_feature_mean']:.3g} -> "
        f"{section.after['max_abs_feature_mean']:.2g}, stds "
        f"{section.after['min_feature_std']:.2g}..{section.after['max_feature_std']:.2g}"
    )


# --------------------------------------------------------------------------
# 4. sanity checks
# --------------------------------------------------------------------------


def _base(ctx):
    width = int(min(100, ctx.config.max_width))
    return width, ctx.estimator(hidden_layer_sizes=(width,))


def stage_checks(ctx):
    from ..diagnostics import check_initial_loss, check_overfit_small

    width, base = _base(ctx)
    initial = check_initial_loss(base, ctx.Xp, ctx.y_check)
    overfit = check_overfit_small(base, ctx.Xp, ctx.y_check,
                                  random_state=ctx.config.random_state)
    ctx.report.checks = ChecksSection(
        width=width,
        initial_loss=Verdict(initial.verdict, initial.message, {
            "loss": initial.data_loss, "expected": initial.expected,
            "expected_formula": initial.expected_formula}),
        overfit_small=Verdict(overfit.verdict, overfit.message, {
            "n_samples": overfit.n_samples, "train_score": overfit.train_score,
            "initial_loss": overfit.initial_loss, "final_loss": overfit.final_loss}),
    )
    ctx.progress.say(f"      {initial.message}")
    ctx.progress.say(f"      {overfit.message}")
    return f"initial loss {initial.verdict}, overfit a tiny subset {overfit.verdict}"


# --------------------------------------------------------------------------
# 5. learning-rate finder
# --------------------------------------------------------------------------


def stage_finder(ctx):
    from ..diagnostics import find_learning_rate

    _, base = _base(ctx)
    finder = ctx.finder = find_learning_rate(base, ctx.Xp, ctx.y_check,
                                             random_state=ctx.config.random_state)
    ctx.lr_range, reason = learning_rate_range(finder)
    ctx.report.finder = FinderSection(
        verdict=finder.verdict, message=finder.message, suggested_lr=finder.suggested_lr,
        lr_min_loss=finder.lr_min_loss, search_range=tuple(ctx.lr_range), range_reason=reason,
        learning_rates=finder.learning_rates, smoothed_losses=finder.smoothed_losses,
    )
    low, high = ctx.lr_range
    return (f"suggested learning rate {finder.suggested_lr:.2g}; searching {low:.2g} .. "
            f"{high:.2g} ({reason})")


# --------------------------------------------------------------------------
# 6. search
# --------------------------------------------------------------------------


def _space(ctx):
    from ..model_selection import mlp_search_space

    cfg, step = ctx.config, ctx.step
    space = mlp_search_space(
        prefix=step,
        learning_rate_init=ctx.lr_range,
        alpha=(1e-6, 1.0),
        width=(min(32, cfg.max_width), cfg.max_width),
        depth=tuple(range(1, cfg.max_depth + 1)),
        init=None,
        batch_norm=(False, True),
        dropout=(0.0, 0.5),
    )
    if len(ctx.scalers) > 1:
        space[step.replace("mlp__", "scale")] = list(ctx.scalers.values())
    if ctx.ds.imbalanced:
        space[f"{step}class_weight"] = [None, "balanced"]
    return space


@contextlib.contextmanager
def _progress_to(progress, stream):
    """The recipe's own lines go to ``stream`` while stdout is redirected."""
    saved, progress.stream = progress.stream, stream
    try:
        yield
    finally:
        progress.stream = saved


@contextlib.contextmanager
def _search_context(ctx):
    """The cluster (if any), quiet warnings, and the fits' prints inside the stage."""
    cfg = ctx.config
    with contextlib.ExitStack() as stack:
        out = (IndentedStdout(ctx.progress.stream) if cfg.verbose
               else stack.enter_context(open(os.devnull, "w", encoding="utf-8")))
        stack.enter_context(search_backend(cfg))
        stack.enter_context(quiet_search_warnings())
        stack.enter_context(contextlib.redirect_stdout(out))
        yield


def _promotion_words(epochs, top_k):
    """What the progress line says of promotion: into the stages with more epochs."""
    into = [k + 1 for k in range(1, len(epochs)) if epochs[k] != epochs[k - 1]]
    if not into:
        return ""
    return (f", up to {top_k} of the previous stage's best run again in stage "
            + " and ".join(map(str, into)))


def stage_search(ctx):
    from sklearn.base import clone
    from sklearn.model_selection import cross_validate

    from ..model_selection import CoarseToFineSearchCV

    cfg, step = ctx.config, ctx.step
    space = _space(ctx)
    # the default network, abandoned when it diverges; candidates set their
    # parameters on copies of it
    mlp = ctx.estimator(max_iter=cfg.max_iter, divergence_threshold=10.0)
    pipe = ctx.search_template = ctx.pipeline(mlp)
    n_fold = len(ctx.y_train) * (cfg.cv - 1) / cfg.cv
    budget_fits = cfg.search_budget_fits
    n_candidates = budget_fits // cfg.cv if budget_fits else None
    ctx.default_params = {f"{step}max_iter": cfg.max_iter}
    stream = ctx.progress.stream or sys.stdout  # before the fits' prints are redirected
    t0 = time.perf_counter()
    with _search_context(ctx), _progress_to(ctx.progress, stream):
        # The default network, cross-validated on the search's folds: the
        # candidate to beat, and the timing the budget is sized from.
        default = cross_validate(
            clone(pipe), ctx.X_train, ctx.y_train, cv=ctx.cv(), scoring=ctx.scoring, n_jobs=cfg.n_jobs,
            error_score=np.nan, return_estimator=True,
        )
        n_iter, epochs = stage_plan(n_candidates or 10, cfg.max_iter, n_fold)
        calibration, budget = None, None
        if cfg.budget_minutes is not None:
            calibration = {
                "probe": probe_largest(ctx, pipe, space),
                "seconds": round(time.perf_counter() - t0, 3),
                "fit_seconds": [round(float(t), 4) for t in default["fit_time"]],
                "epochs": [int(getattr(models.mlp_of(e), "n_iter_", cfg.max_iter))
                           for e in default["estimator"]],
            }
            n_outputs = len(ctx.report.data.classes) if ctx.classification else 1
            budget = plan_time_budget(
                cfg.budget_minutes * 60 - ctx.elapsed(), calibration,
                space[f"{step}hidden_layer_sizes"], n_features=ctx.Xp.shape[1],
                n_outputs=n_outputs, cv=cfg.cv, epochs=epochs, max_iter=cfg.max_iter,
                workers=n_workers(cfg), baselines=cfg.baselines,
                caps=n_iter if n_candidates else None, random_state=cfg.random_state,
            )
            if budget.first < 1:
                ctx.progress.say(f"      --budget-minutes {cfg.budget_minutes:g} leaves no "
                                 "time for the search; running its smallest (3 candidates)")
            calibration["seconds_for_search"] = round(budget.seconds, 3)
            calibration["seconds_after_search"] = round(budget.after_seconds, 3)
        top_k = stage_top_k(budget.first if budget else n_iter[0])
        search = ctx.search = CoarseToFineSearchCV(
            with_deadline(pipe, budget) if budget else pipe, space, n_stages=3,
            n_iter=budget or n_iter, top_k=top_k,
            cv=ctx.cv(), scoring=ctx.scoring, n_jobs=cfg.n_jobs, refit=False,
            random_state=cfg.random_state,
            stage_params=[{f"{step}max_iter": e} for e in epochs],
            # the winners go on to the longer fits (successive halving)
            promote=top_k,
        )
        if cfg.verbose:
            from ..model_selection import SearchProgress

            # finished fits and the time left, inside each stage
            search.set_callbacks(SearchProgress(stream=stream))
        if budget is None:
            ctx.progress.say(
                f"      {sum(n_iter)} candidates in 3 stages ({' / '.join(map(str, n_iter))})"
                f" x {cfg.cv} folds = {sum(n_iter) * cfg.cv} fits after the default "
                f"network's {cfg.cv}; epochs per stage {' / '.join(map(str, epochs))}"
                + _promotion_words(epochs, top_k))
        else:
            ctx.progress.say(
                f"      {budget.seconds:.0f} s for the search: {max(budget.first, 1)} "
                f"candidates x {cfg.cv} folds in stage 1, the later stages sized from its "
                f"time; epochs per stage {' / '.join(map(str, epochs))}"
                + _promotion_words(epochs, top_k))
        try:
            search.fit(ctx.X_train, ctx.y_train)
            failure = None
        except SearchFailedError as exc:  # the default network may still do
            failure = str(exc)
            ctx.progress.say(f"      {failure}")
        if budget is not None:
            n_iter = list(budget.sizes)
            history = list(zip(budget.sizes, getattr(search, "stage_seconds_", [])))
            # stages counted from 1, as the progress lines count them
            cut = [k + 1 for k in budget.cut_short(history)]
            calibration["stages_cut_short"] = cut
            if cut:
                ctx.progress.say(
                    f"      stage{'s' if len(cut) > 1 else ''} {', '.join(map(str, cut))} "
                    "ran past {} deadline: the fits still running then were stopped after "
                    "their epoch and scored as they were".format(
                        "their" if len(cut) > 1 else "its"))
    candidates = []
    results = getattr(search, "cv_results_", None)
    for i, params in enumerate(results["params"] if results is not None else []):
        row = {
            "stage": int(results["stage"][i]),
            "mean_cv_score": float(results["mean_test_score"][i]),
            "std_cv_score": float(results["std_test_score"][i]),
            "mean_fit_seconds": float(results["mean_fit_time"][i]),
            "failure_reason": str(results["failure_reason"][i]),
            "promoted": bool(results["promoted"][i]),
        }
        row.update(readable_params(params, ctx.scalers))
        candidates.append(row)
    default_cv = float(np.mean(default["test_score"]))
    ctx.report.search = SearchSection(
        scoring=ctx.scoring, scoring_reason=ctx.scoring_reason, n_candidates_per_stage=n_iter,
        epochs_per_stage=epochs, cv_folds=cfg.cv, n_fits=int(sum(n_iter) * cfg.cv),
        budget_fits=budget_fits, budget_minutes=cfg.budget_minutes, calibration=calibration,
        seconds=round(time.perf_counter() - t0, 3),
        n_failed=sum(1 for c in candidates if c["failure_reason"]) if not failure
        else int(sum(n_iter)),
        failure=failure,
        stage_spaces=[{k.rsplit("__", 1)[-1]: space_repr(v, ctx.scalers) for k, v in d.items()}
                      for d in getattr(search, "stage_distributions_", [])],
        best_params=readable_params(search.best_params_, ctx.scalers) if not failure else {},
        best_cv_score=float(search.best_score_) if not failure else float("nan"),
        default_params=readable_params(ctx.default_params, ctx.scalers),
        default_cv_score=default_cv, candidates=candidates,
    )
    s = ctx.report.search
    return (f"best CV {SCORE_NAMES[ctx.scoring]} {s.best_cv_score:.4f} (default network "
            f"{default_cv:.4f})" + (f"; {s.n_failed} candidate(s) failed" if s.n_failed else ""))


# --------------------------------------------------------------------------
# 7. final fit
# --------------------------------------------------------------------------


def _choices(ctx):
    """Candidates for the final fit, best first: the search's comparable
    candidates by CV score, with the default network at its rank."""
    s, search = ctx.report.search, ctx.search
    results = getattr(search, "cv_results_", None)
    choices = []
    if np.isfinite(s.default_cv_score):
        choices.append((s.default_cv_score, DEFAULT_LABEL, ctx.default_params))
    if results is None:  # every fit of the search failed
        return [(label, params) for _, label, params in choices]
    scores = np.asarray(results["mean_test_score"], dtype=float)
    ok = np.isfinite(scores) & (np.asarray(results["failure_reason"]) == "")
    # the last stage's candidates (the full epoch budget); earlier stages'
    # only when none of those fitted
    last = ok & (np.asarray(results["stage"]) == max(results["stage"]))
    pool = last if last.any() else ok
    ranked = [i for i in np.argsort(-np.where(pool, scores, -np.inf), kind="stable")
              if pool[i]]
    choices += [(scores[i], f"candidate {i} of the search", dict(results["params"][i]))
                for i in ranked[:3]]
    choices.sort(key=lambda c: -c[0])  # stable: the default network wins ties
    return [(label, params) for _, label, params in choices]


DEFAULT_LABEL = "the default network"

#: A final fit whose last training loss is this many times its best, and
#: gives back more than UNSTABLE_SHARE of the drop from its first epoch to
#: its best, is not trusted (the loss jumped at the end) and is retried at a
#: smaller rate. The share keeps noise on a loss near zero (0.0017 -> 0.0035
#: with dropout) from counting.
UNSTABLE_RATIO = 1.5
UNSTABLE_SHARE = 0.1


def _unstable(model):
    curve = getattr(models.mlp_of(model), "loss_curve_", None)
    if curve is None or len(curve) < 2:
        return None
    first, best, last = float(curve[0]), float(np.min(curve)), float(curve[-1])
    if np.isfinite(last) and (last <= UNSTABLE_RATIO * best
                              or last - best <= UNSTABLE_SHARE * (first - best)):
        return None
    return f"its training loss ended at {last:.4g}, {last / best:.1f} times its best {best:.4g}"


def stage_final(ctx):
    from sklearn.base import clone

    from .errors import InputError

    step, s = ctx.step, ctx.report.search
    choices = _choices(ctx)
    if not choices:
        raise InputError("every candidate of the search and the default network failed ("
                         + (s.failure or "no candidate of the last stage fitted")
                         + "); rescale the data or lower --max-width.")

    def build(params):
        return clone(ctx.search_template).set_params(**params)

    t0 = time.perf_counter()
    model, label, params, attempts = fit_final(
        build, choices, ctx.X_train, ctx.y_train, lr_key=f"{step}learning_rate_init",
        say=ctx.progress.say, defaults={f"{step}learning_rate_init": 1e-3},
        unstable=_unstable,
    )
    ctx.model = model
    final = models.mlp_of(model)
    if label == DEFAULT_LABEL:
        reason = (f"the default network: its CV {s.default_cv_score:.4f} is at least the "
                  f"search's best {s.best_cv_score:.4f}"
                  if s.default_cv_score >= s.best_cv_score
                  else "the default network: the search's candidates failed or diverged")
        shown = {"hidden_layer_sizes": list(final.hidden_layer_sizes),
                 "activation": final.activation, "learning_rate_init": final.learning_rate_init,
                 "alpha": final.alpha, "max_iter": final.max_iter}
    else:
        reason = (f"the search's {'best ' if label == choices[0][0] else ''}candidate (CV "
                  f"{s.best_cv_score:.4f}; the default network's {s.default_cv_score:.4f})")
        shown = readable_params(params, ctx.scalers)
    diverged = sum(a["outcome"].startswith("diverged") for a in attempts)
    unstable = sum(a["outcome"].startswith("unstable") for a in attempts)
    if diverged or unstable:
        reason += ", after " + " and ".join(
            text for n, text in ((diverged, f"{diverged} diverged"),
                                 (unstable, f"{unstable} unstable")) if n) + " final fit(s)"
    ctx.report.final = FinalSection(
        chosen="default" if label == DEFAULT_LABEL else "search", reason=reason,
        params=shown, n_iter=int(final.n_iter_), loss=float(final.loss_),
        seconds=round(time.perf_counter() - t0, 3), attempts=attempts,
        network=repr(final.network_),
    )
    return f"{final.n_iter_} epochs, training loss {final.loss_:.4g}"


# --------------------------------------------------------------------------
# 8. test
# --------------------------------------------------------------------------


def stage_test(ctx):
    pred, metrics = test_metrics(ctx.model, ctx.X_test, ctx.y_test, ctx.classification)
    section = ctx.report.test = TestSection(
        scoring=ctx.scoring, score=metrics[ctx.scoring], metrics=metrics)
    if ctx.classification:
        warning = one_class_warning(pred, ctx.y_test)
        if warning:
            section.warnings.append(warning)
    if ctx.config.baselines:
        section.baselines = fit_baselines(ctx)
        ctx.progress.say("      baselines on the same split: " + "; ".join(
            f"{b['name']} {b['score']:.4f}" if b["score"] is not None
            else f"{b['name']} failed" for b in section.baselines))
        better = [b for b in section.baselines
                  if b["score"] is not None and b["score"] > section.score]
        if better:
            section.warnings.append(
                "on the test set, " + " and ".join(
                    f"{b['name']} ({b['score']:.4f})" for b in better)
                + f" scored above this model ({section.score:.4f}); the choice was made on "
                "cross-validation, and the test set decides nothing, but a larger "
                "--budget-minutes or another model family may do better here")
    for warning in section.warnings:
        ctx.progress.say(f"      WARNING: {warning}")
    return f"test {SCORE_NAMES[ctx.scoring]} {section.score:.4f}"


#: The stages in order: (key, progress title, function).
STAGES = (
    ("data", "data", stage_data),
    ("split", "split off a test set", stage_split),
    ("preprocess", "preprocess (fitted on the training part only)", stage_preprocess),
    ("sanity_checks", "sanity checks", stage_checks),
    ("lr_finder", "learning-rate finder (range test)", stage_finder),
    ("search", "coarse-to-fine random search", stage_search),
    ("final_fit", "final model (refitted on all training data)", stage_final),
    ("test", "held-out test score and baselines", stage_test),
)
