"""What the recipe found, section by section, and its text rendering.

Each stage fills one section (a dataclass); :class:`Report` holds them and
turns into the JSON of ``report.json`` with :meth:`Report.to_dict`. Writers
read attributes, never nested string keys.
"""

import math
from dataclasses import asdict, dataclass, field, fields

import numpy as np

__all__ = ["Report", "format_text", "jsonable"]


@dataclass
class DataSection:
    name: str
    source: str
    task: str
    task_reason: str
    target: str
    n_samples: int
    n_columns: int
    n_features: int = 0          # after the column treatments
    classes: dict = None         # label -> rows (classification)
    imbalanced: bool = False
    target_mean: float = None    # regression
    target_std: float = None
    columns: list = field(default_factory=list)   # ColumnPlan dicts (tables)
    read_info: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)


@dataclass
class SplitSection:
    n_train: int
    n_test: int
    stratified: bool
    test_size: float


@dataclass
class PreprocessSection:
    scaling_choices: list
    whiten: str
    checked_with: str
    before: dict
    after: dict


@dataclass
class Verdict:
    verdict: str
    message: str
    details: dict = field(default_factory=dict)


@dataclass
class ChecksSection:
    width: int
    initial_loss: Verdict
    overfit_small: Verdict


@dataclass
class FinderSection:
    verdict: str
    message: str
    suggested_lr: float
    lr_min_loss: float
    search_range: tuple
    range_reason: str
    learning_rates: list
    smoothed_losses: list


@dataclass
class SearchSection:
    scoring: str
    scoring_reason: str
    n_candidates_per_stage: list
    epochs_per_stage: list
    cv_folds: int
    n_fits: int
    budget_fits: int
    budget_minutes: float
    calibration: dict            # --budget-minutes: the default network's timing
    seconds: float
    n_failed: int
    failure: str                 # why the whole search failed, or None
    stage_spaces: list
    best_params: dict
    best_cv_score: float
    default_params: dict
    default_cv_score: float
    candidates: list


@dataclass
class FinalSection:
    chosen: str              # 'search' or 'default'
    reason: str
    params: dict
    n_iter: int
    loss: float
    seconds: float
    attempts: list
    network: str


@dataclass
class TestSection:
    scoring: str
    score: float
    metrics: dict
    baselines: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


@dataclass
class Report:
    """Everything one run measured (see docs/cli.md for each field)."""

    sknet_version: str
    command: str
    options: dict
    environment: dict
    data: DataSection = None
    split: SplitSection = None
    preprocess: PreprocessSection = None
    checks: ChecksSection = None
    finder: FinderSection = None
    search: SearchSection = None
    final: FinalSection = None
    test: TestSection = None
    timings_seconds: dict = field(default_factory=dict)
    total_seconds: float = None
    output: str = None
    figures: list = field(default_factory=list)
    figures_note: str = None

    def to_dict(self):
        """The report as JSON-ready Python objects (NaN and inf become None)."""
        return jsonable({f.name: _section(getattr(self, f.name)) for f in fields(self)})


def _section(value):
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return value


def jsonable(value):
    """``value`` with numpy types, tuples and non-finite floats made JSON-safe."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


SCORE_NAMES = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "r2": "R^2",
}


def fmt(value):
    """A hyperparameter value as text."""
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return str(value)


def headline(report):
    """``'TEST BALANCED ACCURACY 0.9200'`` and the line's details."""
    t = report.test
    name = SCORE_NAMES[t.scoring].upper()
    m = t.metrics
    if report.data.task == "classification":
        detail = (f"accuracy {m['accuracy']:.4f}, balanced accuracy "
                  f"{m['balanced_accuracy']:.4f}, {m['n_errors']} error"
                  f"{'' if m['n_errors'] == 1 else 's'} in {m['n_test']}")
    else:
        detail = f"MAE {m['mae']:.4g}, RMSE {m['rmse']:.4g}, {m['n_test']} samples"
    return f"TEST {name} {t.score:.4f}", detail


def format_text(report):
    """The readable report printed at the end of the command."""
    d, s, c, f = report.data, report.search, report.checks, report.finder
    lines = [
        "",
        f"sknet recipe report: {d.name} ({d.task}, {d.n_samples} samples, "
        f"{d.n_columns} columns -> {d.n_features} features)",
        "=" * 72,
        f"  task             {d.task}: {d.task_reason}",
        f"  split            {report.split.n_train} train / {report.split.n_test} test"
        + (" (stratified)" if report.split.stratified else ""),
        f"  initial loss     {c.initial_loss.verdict:<8}{c.initial_loss.message}",
        f"  overfit tiny set {c.overfit_small.verdict:<8}{c.overfit_small.message}",
        f"  lr finder        {f.verdict:<8}suggested {f.suggested_lr:.2g}, searched "
        f"{f.search_range[0]:.2g} .. {f.search_range[1]:.2g}"
        + (f" ({f.range_reason})" if "default range" in f.range_reason else "")
        + (f"; {f.message.split('; ', 1)[1].rstrip('.')}" if "; " in f.message else ""),
        f"  search           {s.n_fits} fits in {s.seconds:.0f} s, best CV "
        f"{SCORE_NAMES[s.scoring]} {s.best_cv_score:.4f} (default network "
        f"{s.default_cv_score:.4f})"
        + (f", {s.n_failed} failed candidate(s)" if s.n_failed else ""),
        f"  final model      {report.final.reason}",
        "",
        "  chosen hyperparameters",
    ]
    for key in sorted(report.final.params):
        lines.append(f"    {key:<22}{fmt(report.final.params[key])}")
    lines.append(f"    {'(epochs of final fit)':<22}{report.final.n_iter}")
    lines.append("")
    title, detail = headline(report)
    lines.append(f"  {title}  ({detail})")
    for b in report.test.baselines:
        shown = f"{b['score']:.4f}" if b.get("score") is not None else f"failed: {b['error']}"
        lines.append(f"    {b['name']:<34}{shown}  ({b['seconds']:.1f} s)")
    for w in report.test.warnings:
        lines.append(f"  WARNING: {w}")
    lines.append(f"  total time       {report.total_seconds:.1f} s")
    if report.output:
        lines.append(f"  report folder    {report.output}")
    if report.figures_note:
        lines.append(f"  figures          none: {report.figures_note}")
    lines.append("")
    return "\n".join(lines)
