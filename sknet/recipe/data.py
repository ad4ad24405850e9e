"""The recipe's data: load it, find the target, decide the task, check it.

Everything that can be wrong with the data is found here, before any model
is fitted, and raised as :class:`~sknet.recipe.InputError` with one line
naming the column or value.
"""

import math
import os
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError

__all__ = ["BUILTIN_DATASETS", "Dataset", "load_dataset", "describe_list", "read_summary"]

BUILTIN_DATASETS = {
    "digits": "classification",
    "iris": "classification",
    "wine": "classification",
    "breast_cancer": "classification",
    "diabetes": "regression",
}

#: Integer targets with at most this many distinct values are class labels.
MAX_INTEGER_CLASSES = 20

#: Largest magnitude a feature may have: its square must not overflow float64
#: when a scaler sums it over the rows.
MAX_ABS_FEATURE = 1e150

#: A class distribution is imbalanced when its smallest class has fewer rows
#: than this fraction of its largest.
IMBALANCE_RATIO = 0.5


@dataclass
class Dataset:
    """Features, target and what the recipe decided about them.

    ``X`` is a pandas DataFrame for tables (its columns are planned one by
    one, see :mod:`sknet.recipe.columns`) and a float64 array for arrays.
    """

    name: str
    source: str
    X: object
    y: np.ndarray
    target_name: str
    task: str = None
    task_reason: str = ""
    feature_names: list = field(default_factory=list)
    read_info: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    @property
    def is_table(self):
        return not isinstance(self.X, np.ndarray)

    @property
    def classification(self):
        return self.task == "classification"

    def class_counts(self):
        """Classes and their row counts (classification only)."""
        return np.unique(self.y, return_counts=True)

    @property
    def imbalanced(self):
        if not self.classification:
            return False
        _, counts = self.class_counts()
        return counts.min() < IMBALANCE_RATIO * counts.max()


def describe_list(items, limit=12):
    """``'a', 'b', ... (40 in all)``: a readable list for messages."""
    items = [str(i) for i in items]
    shown = ", ".join(repr(i) for i in items[:limit])
    return shown + (f", ... ({len(items)} in all)" if len(items) > limit else "")


def read_summary(info):
    """How a table file was read, in words (from :func:`~.tables.read_table`'s info)."""
    parts = [info.get("format", "table")]
    sep = info.get("separator")
    if sep:
        parts.append({"\t": "tab", " ": "space"}.get(sep, repr(sep)) + " separated"
                     if len(sep) == 1 else f"{sep} separated")
    if info.get("encoding"):
        parts.append(f"encoding {info['encoding']}")
    if info.get("compression"):
        parts.append(f"{info['compression']} compressed")
    if info.get("decimal") == ",":
        columns = info.get("decimal_comma_columns") or []
        parts.append(f"decimal comma in {len(columns)} column(s)")
    if info.get("header") is False:
        parts.append("no header line (columns named column_1 ...)")
    return ", ".join(parts)


# --------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------


def load_dataset(X, y=None, *, target=None, task="auto", test_size=0.2, cv=3):
    """Load and check the recipe's data.

    Parameters
    ----------
    X : str, path, pandas DataFrame or array-like of shape (n_samples, n_features)
        A built-in data set's name (``'digits'``, ...), a table file (see
        :func:`sknet.recipe.tables.read_table`) or an ``.npz`` file, or the
        features themselves.
    y : array-like of shape (n_samples,) or None
        The target; None to take it from the table's ``target`` column.
    target, task, test_size, cv
        As in :class:`~sknet.recipe.RecipeConfig`.

    Returns
    -------
    Dataset

    Raises
    ------
    InputError
        For unreadable files, a missing or duplicated target column, targets
        the task cannot use, and data too small for the split and the folds.
    """
    if isinstance(X, (str, os.PathLike)):
        if y is not None:
            raise InputError("give y only with in-memory features, not with a file name.")
        ds = _load_path(os.fspath(X), target)
    else:
        ds = _load_memory(X, y, target)
    _drop_missing_targets(ds)
    _decide_task(ds, task)
    _check(ds, test_size=test_size, cv=cv)
    return ds


def _load_path(path, target):
    if path in BUILTIN_DATASETS and not os.path.exists(path):
        if target is not None:
            raise InputError(f"--target applies to files, not to the built-in {path!r}.")
        return _load_builtin(path)
    if not os.path.exists(path):
        raise InputError(
            f"{path}: no such file, and not a built-in data set (one of "
            f"{describe_list(BUILTIN_DATASETS)})."
        )
    if os.path.isdir(path):
        raise InputError(f"{path}: is a folder; give a table file or an .npz file.")
    if path.lower().endswith(".npz"):
        return _load_npz(path, target)
    from .tables import read_table

    frame, info = read_table(path)
    ds = _from_frame(frame, target, name=os.path.basename(path), source=path)
    ds.read_info = info
    return ds


def _load_builtin(name):
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")()
    names = getattr(bunch, "feature_names", None)
    if names is None or len(names) != bunch.data.shape[1]:
        names = [f"x{i}" for i in range(bunch.data.shape[1])]
    return Dataset(
        name=name,
        source=f"sklearn.datasets.load_{name}",
        X=np.asarray(bunch.data, dtype=np.float64),
        y=np.asarray(bunch.target),
        target_name="target",
        task=BUILTIN_DATASETS[name],
        task_reason="the data set's own task",
        feature_names=[str(n) for n in names],
    )


def _load_npz(path, target):
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (ValueError, OSError) as exc:
        raise InputError(f"{path}: cannot read it as an NPZ file ({exc}).") from exc
    target = target or "y"
    missing = [name for name in ("X", target) if name not in arrays]
    if missing:
        raise InputError(
            f"{path}: no array named {describe_list(missing)} (arrays: "
            f"{describe_list(arrays)}). Store the features as 'X' and the target as "
            "'y' or the name given with --target."
        )
    X, y = arrays["X"], arrays[target]
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2:
        raise InputError(f"{path}: array 'X' must be 2-D (samples x features); got shape {X.shape}.")
    if y.ndim != 1:
        raise InputError(f"{path}: the target array {target!r} must be 1-D; got shape {y.shape}.")
    if X.shape[0] != y.shape[0]:
        raise InputError(f"{path}: 'X' has {X.shape[0]} rows but {target!r} has {y.shape[0]}.")
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool) or np.iscomplexobj(X):
        raise InputError(
            f"{path}: the features 'X' are not real numbers (dtype {X.dtype}); store a "
            "table with categorical columns as a CSV or Parquet file instead."
        )
    return Dataset(
        name=os.path.basename(path),
        source=path,
        X=X.astype(np.float64),
        y=y,
        target_name=target,
        feature_names=[f"x{i}" for i in range(X.shape[1])],
    )


def _load_memory(X, y, target):
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        if y is None:
            return _from_frame(X, target, name="DataFrame", source="a pandas DataFrame")
        if target is not None:
            raise InputError("give either y or target, not both.")
        _check_unique_columns(X.columns, "the DataFrame")
        name = getattr(y, "name", None)  # a Series' name, before it becomes an array
        return Dataset(
            name="DataFrame",
            source="a pandas DataFrame",
            X=X.reset_index(drop=True),
            y=_paired_target(X, y),
            target_name=str(name) if name is not None else "y",
            feature_names=[str(c) for c in X.columns],
        )
    if y is None:
        raise InputError("y is required with array features (or pass a DataFrame and target).")
    X = np.asarray(X)
    if X.ndim != 2:
        raise InputError(f"X must be 2-D (samples x features); got shape {X.shape}.")
    if X.dtype.kind not in "biuf":
        # object or string arrays are tables in disguise
        return _load_memory(pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]), y,
                            target)
    return Dataset(
        name="arrays",
        source="arrays",
        X=X.astype(np.float64),
        y=_paired_target(X, y),
        target_name="y",
        feature_names=[f"x{i}" for i in range(X.shape[1])],
    )


def _paired_target(X, y):
    """``y`` as a 1-D array with one value per row of ``X``."""
    y = _target_array(y)
    if len(y) != len(X):
        raise InputError(f"X has {len(X)} rows but y has {len(y)}.")
    return y


def _target_array(y):
    import pandas as pd

    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise InputError(f"y must be one column; got {y.shape[1]}.")
        y = y.iloc[:, 0]
    if isinstance(y, pd.Series):
        if isinstance(y.dtype, pd.CategoricalDtype):
            y = y.astype(object)
        elif y.dtype.kind not in "biuf" and not pd.api.types.is_object_dtype(y.dtype):
            # nullable and string dtypes: object with None for missing
            y = y.astype(object).where(y.notna(), None)
        y = y.to_numpy()
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise InputError(f"y must be 1-D; got shape {y.shape}.")
    return y


def _check_unique_columns(columns, where):
    names = [str(c) for c in columns]
    seen, twice = set(), []
    for name in names:
        if name in seen and name not in twice:
            twice.append(name)
        seen.add(name)
    if twice:
        raise InputError(
            f"{where} has several columns named {describe_list(twice)}; column names must "
            "be unique (a second copy of the target would leak it into the features)."
        )


def _from_frame(frame, target, *, name, source):
    _check_unique_columns(frame.columns, source)
    columns = [str(c) for c in frame.columns]
    frame = frame.set_axis(columns, axis=1)
    if target is None:
        target = next((c for c in ("target", "y") if c in columns), None)
        if target is None:
            raise InputError(
                f"{source}: name the target column with --target (columns: "
                f"{describe_list(columns)})."
            )
    if target not in columns:
        raise InputError(
            f"{source}: no column named {target!r} for the target (columns: "
            f"{describe_list(columns)})."
        )
    if len(columns) < 2:
        raise InputError(f"{source}: no feature columns besides the target {target!r}.")
    return Dataset(
        name=name,
        source=source,
        X=frame.drop(columns=[target]).reset_index(drop=True),
        y=_target_array(frame[target]),
        target_name=target,
        feature_names=[c for c in columns if c != target],
    )


# --------------------------------------------------------------------------
# the target and the task
# --------------------------------------------------------------------------


def _missing(y):
    if y.dtype.kind == "f":
        return np.isnan(y)
    if y.dtype == object:
        return np.array([v is None or (isinstance(v, float) and math.isnan(v)) for v in y],
                        dtype=bool)
    return np.zeros(len(y), dtype=bool)


def _drop_missing_targets(ds):
    missing = _missing(ds.y)
    if missing.all():
        raise InputError(f"{ds.source}: the target {ds.target_name!r} has no values.")
    if missing.any():
        keep = ~missing
        ds.X = ds.X[keep] if not ds.is_table else ds.X[keep].reset_index(drop=True)
        ds.y = ds.y[keep]
        ds.notes.append(
            f"{int(missing.sum())} row(s) without a target value were dropped"
        )
    if ds.y.dtype == object:
        kinds = {type(v).__name__ for v in ds.y}
        if len(kinds) > 1 and not kinds <= {"int", "float"}:
            # labels read from a file are strings; mixed Python objects are not
            ds.y = ds.y.astype(str)
        elif kinds <= {"int", "float"} or kinds <= {"bool"}:
            ds.y = np.asarray(ds.y.tolist())


def _decide_task(ds, task):
    y = ds.y
    if task != "auto":
        ds.task, ds.task_reason = task, f"--task {task}"
        return
    if ds.task is not None:
        return
    if y.dtype.kind in "OUSb":
        ds.task = "classification"
        ds.task_reason = "the target holds labels (text or booleans)"
        return
    if y.dtype.kind == "f" and not np.all(y[np.isfinite(y)] == np.round(y[np.isfinite(y)])):
        ds.task = "regression"
        ds.task_reason = "the target holds fractional numbers"
        return
    n_unique = len(np.unique(y))
    if n_unique <= MAX_INTEGER_CLASSES:
        ds.task = "classification"
        ds.task_reason = (
            f"the target holds {n_unique} distinct whole numbers (at most "
            f"{MAX_INTEGER_CLASSES} are taken as class labels; --task regression for a count)"
        )
    else:
        ds.task = "regression"
        ds.task_reason = (
            f"the target holds {n_unique} distinct whole numbers, more than "
            f"{MAX_INTEGER_CLASSES}: a count or a measure (--task classification for labels)"
        )


def _check_no_target_copy(ds):
    """A feature equal to the target in every row would leak it (a second
    column 'Species' beside 'species', say)."""
    if not ds.is_table:
        return
    target = np.asarray(ds.y).astype(str)
    for name in ds.X.columns:
        column = ds.X[name]
        if column.isna().any():
            continue
        values = column.to_numpy()
        if values.dtype.kind == "f" and ds.y.dtype.kind in "iuf":
            same = np.array_equal(values.astype(float), ds.y.astype(float))
        else:
            same = np.array_equal(values.astype(str), target)
        if same:
            raise InputError(
                f"{ds.source}: column {str(name)!r} equals the target {ds.target_name!r} in "
                "every row; as a feature it would leak the answer. Drop it, or name it "
                "as the target."
            )


def _check(ds, *, test_size, cv):
    where = ds.source
    _check_no_target_copy(ds)
    n = len(ds.y)
    if n == 0:
        raise InputError(f"{where}: no samples.")
    if ds.X.shape[1] == 0:
        raise InputError(f"{where}: no feature columns.")
    _check_numeric(ds)
    if ds.classification:
        if ds.y.dtype.kind == "f":
            if not np.all(np.isfinite(ds.y)):
                raise InputError(f"{where}: the target {ds.target_name!r} holds infinite values.")
            if np.all(ds.y == np.round(ds.y)):
                ds.y = ds.y.astype(np.int64)
        classes, counts = ds.class_counts()
        if len(classes) < 2:
            raise InputError(
                f"{where}: the target {ds.target_name!r} has a single class "
                f"({str(classes[0])!r}); a classifier needs at least two."
            )
        hint = ("; if the target is a count or a measure, pass --task regression"
                if ds.y.dtype.kind in "iuf" else "")
        if counts.min() < 2:
            rare = [str(c) for c, k in zip(classes, counts) if k < 2]
            raise InputError(
                f"{where}: class {describe_list(rare, 5)} of the target {ds.target_name!r} "
                f"has a single sample; every class needs two for a stratified split{hint}."
            )
        n_test = math.ceil(test_size * n)
        if n_test < len(classes) or n - n_test < len(classes) * cv:
            raise InputError(
                f"{where}: {n} samples are too few for a stratified split of "
                f"{len(classes)} classes with test_size {test_size:g} and {cv} folds{hint}."
            )
    else:
        if ds.y.dtype.kind not in "iuf":
            raise InputError(
                f"{where}: the target {ds.target_name!r} is not numeric; use "
                "--task classification for labels."
            )
        ds.y = ds.y.astype(np.float64)
        if not np.all(np.isfinite(ds.y)):
            raise InputError(f"{where}: the target {ds.target_name!r} holds infinite values.")
        if np.max(np.abs(ds.y)) > MAX_ABS_FEATURE:
            raise InputError(
                f"{where}: the target {ds.target_name!r} reaches {np.max(np.abs(ds.y)):.3g}, "
                "too large to standardize (its square overflows); rescale it."
            )
        if np.ptp(ds.y) == 0:
            raise InputError(f"{where}: the target {ds.target_name!r} is constant.")
    n_train = n - math.ceil(test_size * n)
    if n_train < 4 * cv:
        raise InputError(
            f"{where}: {n} samples leave {n_train} for training with test_size "
            f"{test_size:g}; the recipe needs at least {4 * cv} with {cv} folds."
        )


def _check_numeric(ds):
    """Infinities and overflowing magnitudes in numeric features are errors
    (missing values are imputed by the pipeline)."""
    if ds.is_table:
        import pandas as pd

        names = [c for c in ds.X.columns
                 if pd.api.types.is_numeric_dtype(ds.X[c]) and not pd.api.types.is_bool_dtype(ds.X[c])]
        X = ds.X[names].to_numpy(dtype=np.float64, na_value=np.nan) if names else np.zeros((len(ds.X), 0))
    else:
        X, names = ds.X, ds.feature_names
    inf = np.isinf(X)
    if inf.any():
        r, c = np.argwhere(inf)[0]
        raise InputError(
            f"{ds.source}: the features hold {int(inf.sum())} infinite value(s) (the first "
            f"in column {names[c]!r}, sample {int(r)})."
        )
    with np.errstate(invalid="ignore"):
        big = np.abs(X) > MAX_ABS_FEATURE
    if big.any():
        r, c = np.argwhere(big)[0]
        raise InputError(
            f"{ds.source}: column {names[c]!r} holds {float(X[r, c]):.3g} (sample "
            f"{int(r)}), too large to standardize (its square overflows float64); rescale it."
        )
