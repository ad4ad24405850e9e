"""The ``sknet`` command: the CS231n training recipe end to end.

``sknet recipe [DATA]`` loads a data set (one shipped with scikit-learn, or a
CSV / NPZ file), splits off a test set, preprocesses, runs the lecture's
sanity checks (initial loss, overfitting a tiny subset), the learning-rate
finder and a coarse-to-fine random search within a budget, fits the final
model and scores it on the held-out test set. It prints its progress stage by
stage, then a report, and writes a report folder (``report.json``,
``report.md``, the figures and the fitted pipeline ``model.joblib``). It is
built only on sknet's public API; :func:`main` is the console script.
"""

import argparse
import contextlib
import csv
import json
import math
import os
import platform
import sys
import time
import warnings

import numpy as np

from ._cluster import check_scheduler_options, connect_scheduler

__all__ = ["main", "InputError"]

BUILTIN_DATASETS = {
    "digits": "classification",
    "iris": "classification",
    "wine": "classification",
    "breast_cancer": "classification",
    "diabetes": "regression",
}

#: Exit status of usage and input errors (argparse uses the same).
EXIT_USAGE = 2

#: Model fits of the search (candidates x folds) when no budget is given.
DEFAULT_BUDGET_FITS = 120


class InputError(Exception):
    """A problem with the command line or the data, reported without a traceback."""


# --------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    return value


def build_parser():
    """The argument parser of the ``sknet`` command."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="sknet",
        description="scikit-learn neural networks with the CS231n training recipe.",
    )
    parser.add_argument("--version", action="version", version=f"sknet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    recipe = commands.add_parser(
        "recipe",
        help="run the lecture's training recipe on a data set and write a report",
        description=(
            "Split off a test set, preprocess, run the sanity checks (initial loss, "
            "overfit a tiny subset), the learning-rate finder and a coarse-to-fine "
            "random search within a budget, fit the final model, score it on the "
            "test set and write a report folder."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    recipe.add_argument(
        "data",
        nargs="?",
        default="digits",
        help=(
            "a data set shipped with scikit-learn ("
            + ", ".join(BUILTIN_DATASETS)
            + ") or a .csv / .npz file"
        ),
    )
    recipe.add_argument(
        "--target",
        help=(
            "CSV: name of the target column (default: a column named 'target' or 'y'). "
            "NPZ: name of the target array (default 'y'; features in array 'X')"
        ),
    )
    recipe.add_argument(
        "--task",
        choices=["auto", "classification", "regression"],
        default="auto",
        help="auto: classification for labels (strings, or few distinct integers)",
    )
    recipe.add_argument(
        "--test-size", type=_fraction, default=0.2, help="fraction held out for the test"
    )
    recipe.add_argument(
        "--scaling",
        choices=["auto", "standard", "image"],
        default="auto",
        help=(
            "standard: (x - mean) / std per feature; image: subtract the mean image, "
            "divide by one global std; auto: let the search choose between the two"
        ),
    )
    recipe.add_argument(
        "--whiten", choices=["none", "pca", "zca"], default="none", help="whitening"
    )
    recipe.add_argument(
        "--budget-fits",
        type=_positive_int,
        default=None,
        help="model fits the search may run (candidates x folds); default "
        f"{DEFAULT_BUDGET_FITS} when no --budget-minutes is given",
    )
    recipe.add_argument(
        "--budget-minutes",
        type=_positive_float,
        default=None,
        help="wall-clock minutes the search should take (sized from a timed pilot fit)",
    )
    recipe.add_argument(
        "--max-width", type=_positive_int, default=512, help="widest hidden layer searched"
    )
    recipe.add_argument(
        "--max-depth", type=_positive_int, default=2, help="most hidden layers searched"
    )
    recipe.add_argument(
        "--max-iter", type=_positive_int, default=200, help="epochs of the final fits"
    )
    recipe.add_argument("--cv", type=_positive_int, default=3, help="folds of the search")
    recipe.add_argument(
        "--n-jobs", type=int, default=-1, help="parallel fits in the search (-1: all cores)"
    )
    recipe.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the search on a dask cluster (tls://host:8786 with the --tls-* files; "
        "plain tcp:// is unencrypted and unauthenticated)",
    )
    for flag, what in (
        ("--tls-ca-file", "the certificate authority that signed the scheduler's certificate"),
        ("--tls-cert", "this client's certificate"),
        ("--tls-key", "this client's private key"),
    ):
        recipe.add_argument(flag, metavar="PEM", help=f"for a tls:// --scheduler: {what}")
    recipe.add_argument("--random-state", type=int, default=0, help="seed of everything")
    recipe.add_argument(
        "--output", default="sknet-report", help="report folder (created if needed)"
    )
    recipe.add_argument(
        "--no-figures", action="store_true", help="do not draw the figures"
    )
    recipe.add_argument("--quiet", action="store_true", help="print only the final report")
    return parser


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------


class Dataset:
    """Features, target and what is known about them."""

    def __init__(self, name, X, y, feature_names, target_name, task, source):
        self.name = name
        self.X = X
        self.y = y
        self.feature_names = list(feature_names)
        self.target_name = target_name
        self.task = task
        self.source = source


def _load_builtin(name):
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")()
    names = getattr(bunch, "feature_names", None)
    if names is None or len(names) != bunch.data.shape[1]:
        names = [f"x{i}" for i in range(bunch.data.shape[1])]
    y = bunch.target
    return Dataset(
        name,
        np.asarray(bunch.data, dtype=np.float64),
        y,
        [str(n) for n in names],
        "target",
        BUILTIN_DATASETS[name],
        f"sklearn.datasets.load_{name}",
    )


def _to_float(value):
    try:
        return float(value)
    except ValueError:
        return None


def _load_csv(path, target):
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text CSV file (it is not UTF-8).")
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise InputError(f"{path}: needs a header line and at least one data row.")
    header = [h.strip() for h in rows[0]]
    if target is None:
        target = next((name for name in ("target", "y") if name in header), None)
        if target is None:
            raise InputError(
                f"{path}: name the target column with --target (columns: "
                f"{_list(header)})."
            )
    if target not in header:
        raise InputError(
            f"{path}: no column named {target!r} for the target (columns: {_list(header)})."
        )
    t = header.index(target)
    features = [i for i in range(len(header)) if i != t]
    if not features:
        raise InputError(f"{path}: no feature columns besides the target {target!r}.")
    X = np.empty((len(rows) - 1, len(features)))
    y = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InputError(
                f"{path}, line {line}: {len(row)} fields, but the header has {len(header)}."
            )
        for j, i in enumerate(features):
            cell = row[i].strip()
            value = _to_float(cell) if cell else math.nan
            if value is None:
                raise InputError(
                    f"{path}, line {line}: feature column {header[i]!r} holds the "
                    f"non-numeric value {cell!r}. Features must be numbers: encode "
                    "categories (e.g. one-hot) before running the recipe."
                )
            X[line - 2, j] = value
        y.append(row[t].strip())
    numeric = [_to_float(v) if v else math.nan for v in y]
    if all(v is not None for v in numeric):
        y = np.asarray(numeric, dtype=float)
        if np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            y = y.astype(np.int64)
    else:
        if any(v == "" for v in y):
            raise InputError(f"{path}: the target column {target!r} has empty cells.")
        y = np.asarray(y, dtype=object)
    names = [header[i] for i in features]
    return Dataset(os.path.basename(path), X, y, names, target, None, path)


def _load_npz(path, target):
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except ValueError as exc:
        raise InputError(f"{path}: cannot read it as an NPZ file ({exc}).")
    except OSError as exc:
        raise InputError(f"{path}: cannot read it as an NPZ file ({exc}).")
    target = target or "y"
    missing = [name for name in ("X", target) if name not in arrays]
    if missing:
        raise InputError(
            f"{path}: no array named {_list(missing)} (arrays: {_list(arrays)}). "
            "Store the features as 'X' and the target as 'y' or the name given "
            "with --target."
        )
    X, y = arrays["X"], arrays[target]
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2:
        raise InputError(
            f"{path}: array 'X' must be 2-D (samples x features); got shape {X.shape}."
        )
    if y.ndim != 1:
        raise InputError(
            f"{path}: the target array {target!r} must be 1-D; got shape {y.shape}."
        )
    if X.shape[0] != y.shape[0]:
        raise InputError(
            f"{path}: 'X' has {X.shape[0]} rows but {target!r} has {y.shape[0]}."
        )
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise InputError(
            f"{path}: the features 'X' are not numeric (dtype {X.dtype}). Encode "
            "categories as numbers before running the recipe."
        )
    names = [f"x{i}" for i in range(X.shape[1])]
    return Dataset(os.path.basename(path), X.astype(np.float64), y, names, target, None, path)


def load_data(data, target=None):
    """Load a built-in data set or a CSV / NPZ file (raises :class:`InputError`)."""
    if data in BUILTIN_DATASETS and not os.path.exists(data):
        if target is not None:
            raise InputError(f"--target applies to CSV and NPZ files, not to {data!r}.")
        return _load_builtin(data)
    if not os.path.exists(data):
        raise InputError(
            f"{data}: no such file, and not a built-in data set (one of "
            f"{_list(BUILTIN_DATASETS)})."
        )
    if os.path.isdir(data):
        raise InputError(f"{data}: is a folder; give a .csv or .npz file.")
    extension = os.path.splitext(data)[1].lower()
    if extension == ".csv":
        return _load_csv(data, target)
    if extension == ".npz":
        return _load_npz(data, target)
    raise InputError(f"{data}: unknown file type {extension or '(none)'!r}; use .csv or .npz.")


def _infer_task(y, task):
    from sklearn.utils.multiclass import type_of_target

    if task != "auto":
        return task
    kind = type_of_target(y)
    if kind in ("binary", "multiclass"):
        if y.dtype.kind in "OUSb":
            return "classification"
        n_unique = len(np.unique(y))
        # integers with many distinct values are a count or a measure
        return "classification" if n_unique <= max(20, int(0.05 * len(y))) else "regression"
    return "regression"


def check_data(ds, task, *, test_size, cv):
    """Validate the data for the recipe (raises :class:`InputError`)."""
    X, y = ds.X, ds.y
    where = ds.source
    if X.shape[0] == 0:
        raise InputError(f"{where}: no samples.")
    bad = ~np.isfinite(X)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputError(
            f"{where}: the features hold {int(bad.sum())} missing or infinite "
            f"value(s) (the first in column {ds.feature_names[c]!r}, sample {r}). "
            "Impute or drop them before running the recipe."
        )
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise InputError(
            f"{where}: the target {ds.target_name!r} holds "
            f"{int((~np.isfinite(y)).sum())} missing or infinite value(s)."
        )
    ds.task = ds.task or _infer_task(y, task)
    if task != "auto":
        ds.task = task
    if ds.task == "classification":
        classes, counts = np.unique(y.astype(str) if y.dtype == object else y,
                                    return_counts=True)
        if len(classes) < 2:
            raise InputError(
                f"{where}: the target {ds.target_name!r} has a single class "
                f"({classes[0]!r}); a classifier needs at least two."
            )
        n_test = math.ceil(test_size * len(y))
        if n_test < len(classes) or len(y) - n_test < len(classes):
            raise InputError(
                f"{where}: {len(y)} samples are too few for a stratified split of "
                f"{len(classes)} classes with --test-size {test_size:g}."
            )
        if counts.min() < 2:
            raise InputError(
                f"{where}: class {classes[np.argmin(counts)]!r} has a single sample; "
                "every class needs at least two for a stratified test split."
            )
    else:
        if y.dtype.kind not in "iuf":
            raise InputError(
                f"{where}: the target {ds.target_name!r} is not numeric; use "
                "--task classification for labels."
            )
        ds.y = y.astype(np.float64)
        if np.ptp(ds.y) == 0:
            raise InputError(f"{where}: the target {ds.target_name!r} is constant.")
    if len(y) < 4 * cv:
        raise InputError(
            f"{where}: {len(y)} samples are too few for the recipe ({4 * cv} at least "
            f"with --cv {cv})."
        )
    return ds


def _list(items):
    items = list(items)
    shown = ", ".join(repr(str(i)) for i in items[:12])
    return shown + (f", ... ({len(items)} in all)" if len(items) > 12 else "")


# --------------------------------------------------------------------------
# the recipe
# --------------------------------------------------------------------------


class Progress:
    """One line per stage on stdout: ``[3/8] sanity checks ... 1.2 s``."""

    def __init__(self, n_stages, quiet=False, stream=None):
        self.n_stages = n_stages
        self.quiet = quiet
        self.stream = stream or sys.stdout
        self.stage = 0
        self.timings = {}
        self._start = None

    def begin(self, key, title):
        self.stage += 1
        self._key = key
        self._start = time.perf_counter()
        self.say(f"[{self.stage}/{self.n_stages}] {title}")

    def end(self, summary=""):
        seconds = time.perf_counter() - self._start
        self.timings[self._key] = round(seconds, 3)
        shown = f"{seconds:.1f} s" if seconds >= 1 else f"{seconds:.2f} s"
        self.say(f"      {summary}{'  ' if summary else ''}({shown})")

    def say(self, text):
        if not self.quiet:
            print(text, file=self.stream, flush=True)


def _image_scaler():
    from sklearn.pipeline import Pipeline

    from .preprocessing import Centerer

    return Pipeline(
        [
            ("mean_image", Centerer()),
            ("global_std", Centerer(per="channel", n_channels=1, with_std=True)),
        ]
    )


def _scalers(choice):
    from sklearn.preprocessing import StandardScaler

    table = {"standard": StandardScaler(), "image": _image_scaler()}
    if choice == "auto":
        return table
    return {choice: table[choice]}


def _scaler_name(scaler, scalers):
    for name, obj in scalers.items():
        if obj is scaler:
            return name
    return type(scaler).__name__


def _make_pipeline(scaler, whiten, mlp):
    from sklearn.pipeline import Pipeline

    from .preprocessing import Whitening

    whitening = "passthrough" if whiten == "none" else Whitening(method=whiten)
    return Pipeline([("scale", scaler), ("whiten", whitening), ("mlp", mlp)])


def _stage_plan(n_candidates, max_iter):
    """Candidates per stage and the epoch budget of each stage."""
    n_candidates = max(n_candidates, 3)
    third = max(1, round(n_candidates * 0.2))
    second = max(1, round(n_candidates * 0.3))
    first = n_candidates - second - third
    epochs = [max(5, max_iter // 5), max(10, max_iter // 2), max_iter]
    return [first, second, third], epochs


def _summary_stats(X):
    return {
        "mean_abs_feature_mean": float(np.mean(np.abs(X.mean(axis=0)))),
        "max_abs_feature_mean": float(np.max(np.abs(X.mean(axis=0)))),
        "min_feature_std": float(X.std(axis=0).min()),
        "max_feature_std": float(X.std(axis=0).max()),
    }


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return repr(value)


def run_recipe(args, progress):
    """Run the recipe for parsed ``args``; returns the report dict."""
    from sklearn.base import clone
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    from . import MLPClassifier, MLPRegressor, __version__
    from .diagnostics import check_initial_loss, check_overfit_small, find_learning_rate
    from .model_selection import CoarseToFineSearchCV, mlp_search_space

    t_start = time.perf_counter()
    rs = args.random_state
    report = {
        "sknet_version": __version__,
        "command": " ".join(["sknet recipe", *args.argv]),
        "options": {k: v for k, v in vars(args).items() if k not in ("argv", "command")},
        "environment": _environment(),
    }

    budget_fits = args.budget_fits
    if budget_fits is None and args.budget_minutes is None:
        budget_fits = DEFAULT_BUDGET_FITS
    if budget_fits is not None and budget_fits // args.cv < 3:
        raise InputError(
            f"--budget-fits {budget_fits} allows {budget_fits // args.cv} candidate(s) "
            f"with --cv {args.cv}; the three search stages need at least "
            f"{3 * args.cv} fits."
        )

    # 1. data -------------------------------------------------------------
    progress.begin("data", f"data: {args.data}")
    ds = check_data(
        load_data(args.data, args.target), args.task, test_size=args.test_size, cv=args.cv
    )
    classification = ds.task == "classification"
    X, y = ds.X, ds.y
    info = {
        "name": ds.name,
        "source": ds.source,
        "task": ds.task,
        "n_samples": int(X.shape[0]),
        "n_features": int(X.shape[1]),
        "target": ds.target_name,
    }
    if classification:
        classes, counts = np.unique(y, return_counts=True)
        info["classes"] = {str(c): int(n) for c, n in zip(classes, counts)}
        summary = f"{X.shape[0]} samples, {X.shape[1]} features, {len(classes)} classes"
    else:
        info["target_mean"], info["target_std"] = float(y.mean()), float(y.std())
        summary = f"{X.shape[0]} samples, {X.shape[1]} features, regression target"
    report["data"] = info
    progress.end(summary)

    # 2. split ------------------------------------------------------------
    progress.begin("split", "split off a test set")
    X_train, X_test, y_train, y_test = train_test_split(
        X,
        y,
        test_size=args.test_size,
        stratify=y if classification else None,
        random_state=rs,
    )
    report["split"] = {
        "n_train": int(len(y_train)),
        "n_test": int(len(y_test)),
        "stratified": classification,
        "test_size": args.test_size,
    }
    progress.end(
        f"{len(y_train)} training / {len(y_test)} test samples"
        + (" (stratified)" if classification else "")
    )

    # 3. preprocessing ------------------------------------------------------
    progress.begin("preprocess", "preprocess (fitted on the training part only)")
    scalers = _scalers(args.scaling)
    first = next(iter(scalers))
    prep = _make_pipeline(clone(scalers[first]), args.whiten, "passthrough")
    Xp = prep.fit_transform(X_train)
    report["preprocessing"] = {
        "scaling_choices": list(scalers),
        "whiten": args.whiten,
        "before": _summary_stats(X_train),
        "after": _summary_stats(Xp),
        "checked_with": first,
    }
    if len(scalers) > 1:
        progress.say(
            f"      scaling: the search chooses between {' and '.join(scalers)}; "
            f"the checks below use {first}"
        )
    progress.end(
        f"{first}{' + ' + args.whiten + ' whitening' if args.whiten != 'none' else ''}: "
        f"feature means up to {report['preprocessing']['before']['max_abs_feature_mean']:.3g}"
        f" -> {report['preprocessing']['after']['max_abs_feature_mean']:.2g}, stds "
        f"{report['preprocessing']['after']['min_feature_std']:.2g}.."
        f"{report['preprocessing']['after']['max_feature_std']:.2g}"
    )

    Estimator = MLPClassifier if classification else MLPRegressor
    # Regression targets are standardized (TransformedTargetRegressor in the
    # final model) so that the network's outputs start at the right scale.
    y_check = y_train if classification else (y_train - y_train.mean()) / y_train.std()
    step = "mlp__" if classification else "regressor__mlp__"
    width = int(min(100, args.max_width))
    base = Estimator(hidden_layer_sizes=(width,), random_state=rs)

    # 4. sanity checks -----------------------------------------------------
    progress.begin("sanity_checks", f"sanity checks (one hidden layer of {width})")
    initial = check_initial_loss(base, Xp, y_check)
    overfit = check_overfit_small(base, Xp, y_check, random_state=rs)
    report["sanity_checks"] = {
        "initial_loss": {
            "verdict": initial.verdict,
            "loss": initial.data_loss,
            "expected": initial.expected,
            "expected_formula": initial.expected_formula,
            "message": initial.message,
        },
        "overfit_small": {
            "verdict": overfit.verdict,
            "n_samples": overfit.n_samples,
            "train_score": overfit.train_score,
            "initial_loss": overfit.initial_loss,
            "final_loss": overfit.final_loss,
            "message": overfit.message,
        },
    }
    progress.say(f"      {initial.message}")
    progress.say(f"      {overfit.message}")
    progress.end(f"initial loss {initial.verdict}, overfit a tiny subset {overfit.verdict}")

    # 5. learning-rate finder ------------------------------------------------
    progress.begin("lr_finder", "learning-rate finder (range test)")
    finder = find_learning_rate(base, Xp, y_check, random_state=rs)
    lr = finder.suggested_lr
    if finder.verdict == "OK" or (np.isfinite(lr) and lr > 0 and finder.smoothed_losses[0]
                                  > finder.smoothed_losses.min()):
        # The suggestion is already a tenth of the loss-minimizing rate; a
        # factor 3 above it is as high as stays clear of divergence, and the
        # short coarse stages favour fast (high) rates, so reach further down.
        lr_range = (max(lr / 30, 1e-6), min(lr * 3, 1.0))
    else:
        lr_range = (1e-5, 1e-1)
    report["lr_finder"] = {
        "verdict": finder.verdict,
        "suggested_lr": lr,
        "lr_min_loss": finder.lr_min_loss,
        "too_low_lr": finder.too_low_lr,
        "too_high_lr": finder.too_high_lr,
        "message": finder.message,
        "search_range": list(lr_range),
        "learning_rates": finder.learning_rates,
        "smoothed_losses": finder.smoothed_losses,
    }
    progress.end(
        f"suggested learning rate {lr:.2g}; searching {lr_range[0]:.2g} .. {lr_range[1]:.2g}"
    )

    # 6. search ------------------------------------------------------------
    progress.begin("search", "coarse-to-fine random search")
    mlp = Estimator(
        max_iter=args.max_iter,
        random_state=rs,
        divergence_threshold=10.0,
        n_iter_no_change=10,
    )
    space = mlp_search_space(
        prefix=step,
        learning_rate_init=lr_range,
        alpha=(1e-6, 1.0),
        width=(min(32, args.max_width), args.max_width),
        depth=tuple(range(1, args.max_depth + 1)),
        init=None,
        batch_norm=(False, True),
        dropout=(0.0, 0.5),
    )
    if len(scalers) > 1:
        space[step.replace("mlp__", "scale")] = list(scalers.values())
        scaler0 = scalers[first]
    else:
        scaler0 = scalers[first]
    pipe = _make_pipeline(scaler0, args.whiten, mlp)
    if not classification:
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.preprocessing import StandardScaler

        pipe = TransformedTargetRegressor(regressor=pipe, transformer=StandardScaler())
    if classification:
        cv = StratifiedKFold(n_splits=args.cv, shuffle=True, random_state=rs)
    else:
        cv = KFold(n_splits=args.cv, shuffle=True, random_state=rs)

    n_candidates = budget_fits // args.cv if budget_fits else None
    _, epochs = _stage_plan(10, args.max_iter)
    estimate = None
    if args.budget_minutes is not None:
        estimate = _pilot(pipe, space, X_train, y_train, cv, epochs, step)
        workers = _n_workers(args)
        per_candidate = args.cv * estimate["seconds_per_epoch"] * (
            0.5 * epochs[0] + 0.3 * epochs[1] + 0.2 * epochs[2]
        )
        by_time = int(0.8 * args.budget_minutes * 60 * workers / max(per_candidate, 1e-6))
        n_candidates = by_time if n_candidates is None else min(n_candidates, by_time)
        if n_candidates < 3:
            progress.say(
                f"      --budget-minutes {args.budget_minutes:g} is shorter than the "
                "smallest search (3 candidates); running that"
            )
            n_candidates = 3
        estimate["candidates_by_time"] = by_time
    n_iter, epochs = _stage_plan(n_candidates, args.max_iter)
    stage_params = [{f"{step}max_iter": e} for e in epochs[:-1]] + [{}]
    search = CoarseToFineSearchCV(
        pipe,
        space,
        n_stages=3,
        n_iter=n_iter,
        top_k=max(2, min(5, n_iter[0] // 3)),
        cv=cv,
        n_jobs=args.n_jobs,
        refit=True,
        random_state=rs,
        stage_params=stage_params,
        verbose=0 if progress.quiet else 1,
    )
    progress.say(
        f"      {sum(n_iter)} candidates in 3 stages ({' / '.join(map(str, n_iter))}) "
        f"x {args.cv} folds = {sum(n_iter) * args.cv} fits; epochs per stage "
        f"{' / '.join(map(str, epochs))}"
    )
    t0 = time.perf_counter()
    _fit_search(search, X_train, y_train, args)
    search_seconds = time.perf_counter() - t0
    results = search.cv_results_
    candidates = []
    for i, params in enumerate(results["params"]):
        row = {
            "stage": int(results["stage"][i]),
            "mean_cv_score": float(results["mean_test_score"][i]),
            "std_cv_score": float(results["std_test_score"][i]),
            "mean_fit_seconds": float(results["mean_fit_time"][i]),
            "failure_reason": str(results["failure_reason"][i]),
        }
        row.update(_readable_params(params, scalers))
        candidates.append(row)
    best = _readable_params(search.best_params_, scalers)
    if len(scalers) == 1:
        best["scale"] = first
    n_failed = sum(1 for c in candidates if c["failure_reason"])
    report["search"] = {
        "n_candidates_per_stage": n_iter,
        "epochs_per_stage": epochs,
        "cv_folds": args.cv,
        "n_fits": int(sum(n_iter) * args.cv),
        "scoring": "accuracy" if classification else "r2",
        "budget_fits": budget_fits,
        "budget_minutes": args.budget_minutes,
        "pilot": estimate,
        "seconds": round(search_seconds, 3),
        "n_failed": n_failed,
        "stage_spaces": [
            {k.rsplit("__", 1)[-1]: _space_repr(v, scalers) for k, v in d.items()}
            for d in search.stage_distributions_
        ],
        "best_params": best,
        "best_cv_score": float(search.best_score_),
        "candidates": candidates,
    }
    progress.end(
        f"best CV {report['search']['scoring']} {search.best_score_:.4f}"
        + (f"; {n_failed} candidate(s) failed" if n_failed else "")
    )

    # 7. final fit -----------------------------------------------------------
    progress.begin("final_fit", "final model (best candidate refitted on all training data)")
    model = search.best_estimator_
    final = _mlp_of(model)
    report["final_model"] = {
        "params": best,
        "n_iter": int(final.n_iter_),
        "loss": float(final.loss_),
        "refit_seconds": round(float(search.refit_time_), 3),
        "network": repr(final.network_),
    }
    progress.end(f"{final.n_iter_} epochs, training loss {final.loss_:.4g}")

    # 8. test --------------------------------------------------------------
    progress.begin("test", "held-out test score")
    report["test"] = _test_scores(model, X_test, y_test, classification)
    main_metric = "accuracy" if classification else "r2"
    progress.end(f"test {main_metric} {report['test'][main_metric]:.4f}")
    report["timings_seconds"] = dict(progress.timings)
    report["total_seconds"] = round(time.perf_counter() - t_start, 3)
    return report, model, finder, search, (X_test, y_test)


def _n_workers(args):
    if args.scheduler:
        return max(1, os.cpu_count() or 1)
    if args.n_jobs is None or args.n_jobs == 0:
        return 1
    cpus = os.cpu_count() or 1
    return max(1, cpus + 1 + args.n_jobs if args.n_jobs < 0 else min(args.n_jobs, cpus))


def _mlp_of(model):
    """The fitted MLP inside the final model (a Pipeline, or wrapped for regression)."""
    pipe = getattr(model, "regressor_", model)
    return pipe.named_steps["mlp"]


def _pilot(pipe, space, X, y, cv, epochs, step):
    """Time one short fit of a mid-sized candidate (for --budget-minutes)."""
    from sklearn.base import clone

    train, _ = next(cv.split(X, y))
    params = {f"{step}max_iter": epochs[0], f"{step}tol": 0.0,
              f"{step}n_iter_no_change": epochs[0]}
    width = space[f"{step}hidden_layer_sizes"].width
    low, high = width.low, width.high
    params[f"{step}hidden_layer_sizes"] = (int(round(math.sqrt(low * high))),) * max(
        space[f"{step}hidden_layer_sizes"].depth
    )
    est = clone(pipe).set_params(**params)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X[train], y[train])
    seconds = time.perf_counter() - t0
    return {
        "hidden_layer_sizes": list(params[f"{step}hidden_layer_sizes"]),
        "epochs": epochs[0],
        "seconds": round(seconds, 4),
        "seconds_per_epoch": seconds / epochs[0],
    }


def _fit_search(search, X, y, args):
    from sklearn.exceptions import ConvergenceWarning

    from .exceptions import DivergenceWarning

    with warnings.catch_warnings(), contextlib.redirect_stdout(_Indented(sys.stdout)):
        # short coarse stages stop before converging on purpose; failed
        # candidates are counted in the report
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", DivergenceWarning)
        warnings.filterwarnings("ignore", message=r"(?s).*fits failed")
        warnings.filterwarnings("ignore", message=r"(?s).*test scores are non-finite")
        if args.scheduler:
            import joblib

            try:
                import dask.distributed  # noqa: F401
            except ImportError:
                raise InputError(
                    "--scheduler needs dask.distributed: pip install 'sknet-mlp[dask]'."
                )
            try:
                client = connect_scheduler(
                    args.scheduler,
                    tls_ca_file=args.tls_ca_file,
                    tls_cert=args.tls_cert,
                    tls_key=args.tls_key,
                )
            except Exception as exc:  # noqa: BLE001 (dask's handshake raises anything)
                raise InputError(
                    f"cannot connect to the dask scheduler {args.scheduler} "
                    f"({type(exc).__name__}: {exc}); is it a scheduler's address "
                    "(port 8786 by default), not the dashboard's?"
                )
            try:
                with joblib.parallel_backend("dask"):
                    search.fit(X, y)
            finally:
                client.close()
        else:
            search.fit(X, y)


class _Indented:
    """A stdout that indents each line, so the search's own progress lines
    (scikit-learn's "Fitting 3 folds ...") sit inside the recipe's stage."""

    def __init__(self, stream, prefix="      "):
        self.stream, self.prefix, self.at_line_start = stream, prefix, True

    def write(self, text):
        for piece in text.splitlines(keepends=True):
            if self.at_line_start and piece.strip():
                self.stream.write(self.prefix)
            self.stream.write(piece)
            self.at_line_start = piece.endswith("\n")
        return len(text)

    def flush(self):
        self.stream.flush()

    def __getattr__(self, name):  # encoding, isatty, ... of the real stream
        return getattr(self.stream, name)


def _readable_params(params, scalers):
    out = {}
    for key, value in params.items():
        name = key.rsplit("__", 1)[-1]
        if name == "scale":
            value = _scaler_name(value, scalers)
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


def _space_repr(space, scalers):
    if isinstance(space, list):
        return [_scaler_name(v, scalers) if not isinstance(v, (str, bool, int, float))
                else v for v in space]
    from .model_selection import search_range

    r = search_range(space)
    if r is not None:
        return {"low": r.low, "high": r.high, "log": r.log, "integer": r.integer}
    return repr(space)


def _test_scores(model, X_test, y_test, classification):
    from sklearn import metrics

    pred = model.predict(X_test)
    if classification:
        out = {
            "accuracy": float(metrics.accuracy_score(y_test, pred)),
            "balanced_accuracy": float(metrics.balanced_accuracy_score(y_test, pred)),
            "n_errors": int(np.sum(pred != y_test)),
            "n_test": int(len(y_test)),
        }
        labels = np.unique(np.concatenate([np.asarray(y_test), np.asarray(pred)]))
        out["labels"] = [str(v) for v in labels]
        out["confusion_matrix"] = metrics.confusion_matrix(y_test, pred, labels=labels)
        return out
    return {
        "r2": float(metrics.r2_score(y_test, pred)),
        "mae": float(metrics.mean_absolute_error(y_test, pred)),
        "rmse": float(np.sqrt(metrics.mean_squared_error(y_test, pred))),
        "n_test": int(len(y_test)),
    }


def _environment():
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }


# --------------------------------------------------------------------------
# outputs
# --------------------------------------------------------------------------


def _figures(out_dir, report, model, finder, search, test_data):
    """Draw the figures as PNG; returns their file names (or why none)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return [], "matplotlib is not installed (pip install 'sknet-mlp[plot]')"
    from .plotting import LearningRateFinderDisplay, LossCurveDisplay, SearchResultsDisplay

    names = []

    def save(display, name):
        display.figure_.savefig(os.path.join(out_dir, name), dpi=100, bbox_inches="tight")
        plt.close(display.figure_)
        names.append(name)

    save(LearningRateFinderDisplay.from_result(finder), "lr_finder.png")
    step = "mlp__" if report["data"]["task"] == "classification" else "regressor__mlp__"
    save(SearchResultsDisplay.from_cv_results(search, x=f"{step}learning_rate_init",
                                             y=f"{step}alpha"), "search.png")
    save(LossCurveDisplay.from_history(_mlp_of(model)), "loss_curve.png")
    X_test, y_test = test_data
    if report["data"]["task"] == "classification":
        from sklearn.metrics import ConfusionMatrixDisplay

        display = ConfusionMatrixDisplay.from_estimator(model, X_test, y_test, colorbar=False)
        display.ax_.set_title("test set")
        save(display, "confusion_matrix.png")
    else:
        from sklearn.metrics import PredictionErrorDisplay

        display = PredictionErrorDisplay.from_estimator(
            model, X_test, y_test, kind="actual_vs_predicted"
        )
        display.ax_.set_title("test set")
        save(display, "prediction_error.png")
    return names, None


def _fmt(value):
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return str(value)


def format_report(report):
    """The readable text report printed at the end."""
    d, s, t = report["data"], report["search"], report["test"]
    checks = report["sanity_checks"]
    lines = [
        "",
        f"sknet recipe report: {d['name']} ({d['task']}, {d['n_samples']} samples, "
        f"{d['n_features']} features)",
        "=" * 72,
        f"  split            {report['split']['n_train']} train / "
        f"{report['split']['n_test']} test"
        + (" (stratified)" if report["split"]["stratified"] else ""),
        f"  initial loss     {checks['initial_loss']['verdict']:<8}"
        f"{checks['initial_loss']['loss']:.4g} (expected "
        f"{checks['initial_loss']['expected_formula']} = "
        f"{checks['initial_loss']['expected']:.4g})",
        f"  overfit tiny set {checks['overfit_small']['verdict']:<8}training score "
        f"{checks['overfit_small']['train_score']:.3g} on "
        f"{checks['overfit_small']['n_samples']} samples",
        f"  lr finder        {report['lr_finder']['verdict']:<8}suggested "
        f"{report['lr_finder']['suggested_lr']:.2g}, searched "
        f"{s['stage_spaces'][0]['learning_rate_init']['low']:.2g} .. "
        f"{s['stage_spaces'][0]['learning_rate_init']['high']:.2g}",
        f"  search           {s['n_fits']} fits in {s['seconds']:.0f} s, best CV "
        f"{s['scoring']} {s['best_cv_score']:.4f}"
        + (f", {s['n_failed']} failed candidate(s)" if s["n_failed"] else ""),
        "",
        "  chosen hyperparameters",
    ]
    for key in sorted(s["best_params"]):
        lines.append(f"    {key:<22}{_fmt(s['best_params'][key])}")
    lines.append(f"    {'(epochs of final fit)':<22}{report['final_model']['n_iter']}")
    lines.append("")
    if d["task"] == "classification":
        lines.append(
            f"  TEST ACCURACY    {t['accuracy']:.4f}  ({t['n_errors']} errors in "
            f"{t['n_test']}; balanced accuracy {t['balanced_accuracy']:.4f})"
        )
    else:
        lines.append(
            f"  TEST R^2         {t['r2']:.4f}  (MAE {t['mae']:.4g}, RMSE {t['rmse']:.4g}, "
            f"{t['n_test']} samples)"
        )
    lines.append(f"  total time       {report['total_seconds']:.1f} s")
    lines.append(f"  report folder    {report['output']}")
    if report.get("figures_note"):
        lines.append(f"  figures          none: {report['figures_note']}")
    lines.append("")
    return "\n".join(lines)


def _markdown(report):
    d, s, t = report["data"], report["search"], report["test"]
    checks = report["sanity_checks"]
    md = [
        f"# sknet recipe: {d['name']}",
        "",
        f"`{report['command']}` (sknet {report['sknet_version']}, "
        f"{report['total_seconds']:.1f} s)",
        "",
        "## Data",
        "",
        f"{d['n_samples']} samples, {d['n_features']} features, task: {d['task']}, "
        f"source: `{d['source']}`. Split: {report['split']['n_train']} training / "
        f"{report['split']['n_test']} test samples"
        + (" (stratified)." if report["split"]["stratified"] else "."),
        "",
        "## Checks",
        "",
        "| step | verdict | details |",
        "|---|---|---|",
        f"| initial loss | {checks['initial_loss']['verdict']} | "
        f"{checks['initial_loss']['message']} |",
        f"| overfit a tiny subset | {checks['overfit_small']['verdict']} | "
        f"{checks['overfit_small']['message']} |",
        f"| learning-rate finder | {report['lr_finder']['verdict']} | "
        f"{report['lr_finder']['message']} |",
        "",
        "## Search",
        "",
        f"{s['n_fits']} fits ({' / '.join(map(str, s['n_candidates_per_stage']))} "
        f"candidates per stage, {s['cv_folds']} folds, epochs per stage "
        f"{' / '.join(map(str, s['epochs_per_stage']))}) in {s['seconds']:.1f} s. "
        f"Best cross-validated {s['scoring']}: {s['best_cv_score']:.4f}.",
        "",
        "| hyperparameter | chosen |",
        "|---|---|",
    ]
    md += [f"| {k} | {_fmt(v)} |" for k, v in sorted(s["best_params"].items())]
    md += ["", "## Test", ""]
    if d["task"] == "classification":
        md.append(
            f"Test accuracy **{t['accuracy']:.4f}** ({t['n_errors']} errors in "
            f"{t['n_test']}), balanced accuracy {t['balanced_accuracy']:.4f}."
        )
    else:
        md.append(
            f"Test R^2 **{t['r2']:.4f}**, MAE {t['mae']:.4g}, RMSE {t['rmse']:.4g} "
            f"({t['n_test']} samples)."
        )
    md += ["", "## Figures", ""]
    if report["figures"]:
        md += [f"![{name}]({name})" for name in report["figures"]]
    else:
        md.append(f"None: {report.get('figures_note')}.")
    md += ["", "The fitted pipeline is `model.joblib` (`joblib.load`); every number "
           "measured is in `report.json`.", ""]
    return "\n".join(md)


def write_outputs(out_dir, report, model, finder, search, test_data, figures=True):
    """Write report.json, report.md, model.joblib and the figures to ``out_dir``."""
    import joblib

    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the report folder {out_dir}: {exc}")
    report["output"] = os.path.abspath(out_dir)
    joblib.dump(model, os.path.join(out_dir, "model.joblib"))
    if figures:
        names, note = _figures(out_dir, report, model, finder, search, test_data)
    else:
        names, note = [], "--no-figures was given"
    report["figures"], report["figures_note"] = names, note
    with open(os.path.join(out_dir, "report.json"), "w", encoding="utf-8") as f:
        json.dump(_jsonable(report), f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "report.md"), "w", encoding="utf-8") as f:
        f.write(_markdown(report))


# --------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------


def main(argv=None):
    """Run the ``sknet`` command; returns the exit status.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments (``sys.argv[1:]`` if None).

    Returns
    -------
    status : int
        0 on success, 2 for usage and input errors (with a message on
        stderr, no traceback), 130 when interrupted.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    args.argv = argv[1:]
    tls = (args.tls_ca_file, args.tls_cert, args.tls_key)
    try:
        if args.scheduler is not None:
            check_scheduler_options(args.scheduler, *tls)
        elif any(tls):
            raise ValueError("the --tls-* files apply to a tls:// --scheduler, and none is given.")
    except ValueError as exc:
        print(f"sknet recipe: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    progress = Progress(8, quiet=args.quiet)
    from .training import propagate_interrupts

    try:
        # Ctrl-C stops the whole recipe: an interrupted fit re-raises rather
        # than hand a half-trained model to the next stage.
        with propagate_interrupts():
            report, model, finder, search, test_data = run_recipe(args, progress)
        write_outputs(args.output, report, model, finder, search, test_data,
                      figures=not args.no_figures)
    except InputError as exc:
        print(f"sknet recipe: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("sknet recipe: interrupted", file=sys.stderr)
        return 130
    print(format_report(report))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
