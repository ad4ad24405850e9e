"""Deciding what becomes of each column of the user's table before the network.

:func:`plan_columns` looks at every column of a DataFrame, gives it a kind
(numeric, categorical, boolean, date, or one of the dropped kinds:
identifier, constant, empty) and returns an unfitted
:class:`~sklearn.compose.ColumnTransformer` that turns raw rows of the table
into finite float64 features, with one :class:`ColumnPlan` per column saying,
in words a report can print, what was done and why. The transformer is built
of scikit-learn's own pieces and of module-level functions, so a pipeline
holding it pickles and predicts on raw DataFrame rows.
"""

import re
import warnings
from dataclasses import asdict, dataclass
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

from .errors import InputError

__all__ = ["ColumnPlan", "plan_columns", "KINDS"]

#: The kinds a column can be given; the last three are dropped.
KINDS = ("numeric", "categorical", "boolean", "date", "identifier", "constant", "empty")

#: The level that stands for a missing value in categorical columns.
MISSING_LEVEL = "(missing)"

#: Share of the rows with distinct values above which a string or integer
#: column is identifier-like, and share of the (distinct, non-missing) values
#: that must parse for a string column to be a date.
NEAR_UNIQUE = 0.95
DATE_SHARE = 0.95

_DATE_PARTS = ("year", "month", "day", "day_of_week")
_DATE_SAMPLE = 1000
# A date written with digits: a four-digit year, or day / month / year groups.
_DATE_LIKE = r"\d{4}|\d{1,2}[-/.]\d{1,2}"
_DAY_FIRST = r"(1[3-9]|2\d|3[01])[-/.](0?\d|1[0-2])[-/.]\d"
_ID_NAME = re.compile(
    r"(?i:^(id|idx|index|key|uuid|guid|row|rownum|row_number)$|[_\-\s.](id|key|uuid|guid)$)"
    r"|[a-z0-9](Id|ID)$"
)


@dataclass
class ColumnPlan:
    """What becomes of one input column.

    Attributes
    ----------
    name : str
        The column's name.
    kind : str
        One of :data:`KINDS`: 'numeric', 'categorical', 'boolean' and 'date'
        are kept; 'identifier', 'constant' and 'empty' are dropped.
    treatment : str
        What is done to it, in words, e.g. ``"one-hot (3 levels)"`` or
        ``"dropped: identifier-like (344 distinct values in 344 rows)"``.
    n_missing : int
        Missing values in the table the plan was made on.
    n_unique : int
        Distinct non-missing values in that table.
    kept : bool
        Whether the column feeds the network.
    """

    name: str
    kind: str
    treatment: str
    n_missing: int
    n_unique: int
    kept: bool

    def to_dict(self):
        """The plan as a JSON-able dict.

        Returns
        -------
        dict
            The six fields, with plain Python types.
        """
        plan = asdict(self)
        plan.update(name=str(self.name), n_missing=int(self.n_missing),
                    n_unique=int(self.n_unique), kept=bool(self.kept))
        return plan


# --- the transformer's functions: module level, so that pipelines pickle ---

def _as_frame(X):
    return X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)


def _to_float(X):
    """Columns as float64; what is not a finite number becomes NaN."""
    X = _as_frame(X)
    out = np.empty(X.shape, dtype=np.float64)
    for j, (_, column) in enumerate(X.items()):
        if pd.api.types.is_timedelta64_dtype(column):
            column = column.dt.total_seconds()
        elif pd.api.types.is_bool_dtype(column):
            column = column.astype("float64")
        missing = column.isna().to_numpy()
        if not pd.api.types.is_numeric_dtype(column):
            # errors="coerce" makes NaN of what is not a number; NaT would be an int.
            column = pd.to_numeric(column, errors="coerce")
        out[:, j] = column.to_numpy(dtype=np.float64, na_value=np.nan)
        out[missing, j] = np.nan
    out[~np.isfinite(out)] = np.nan
    return out


def _to_strings(X):
    """Columns as stripped strings; missing (and blank) values are :data:`MISSING_LEVEL`."""
    X = _as_frame(X)
    out = np.empty(X.shape, dtype=object)
    for j, (_, column) in enumerate(X.items()):
        strings = column.astype(object).astype("str").str.strip()
        strings = strings.mask(strings == "").fillna(MISSING_LEVEL)
        out[:, j] = strings.to_numpy(dtype=object)
    return out


def _parse_dates(column, date_format):
    """A column as naive UTC datetimes; NaT where it does not parse."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        return column.dt.tz_convert(None)
    if pd.api.types.is_datetime64_dtype(column):
        return column
    strings = column.astype(object).astype("str").str.strip()
    return _to_datetime(strings, date_format or "mixed").dt.tz_convert(None)


def _to_datetime(strings, date_format):
    """Strings as UTC datetimes, NaT where they do not parse."""
    dayfirst = date_format == "mixed-dayfirst"
    with warnings.catch_warnings():
        # dateutil's warnings about strings it half understands: those become NaT.
        warnings.simplefilter("ignore")
        return pd.to_datetime(strings, errors="coerce", utc=True, dayfirst=dayfirst,
                              format="mixed" if dayfirst else date_format)


def _date_parts(X, formats=None):
    """Year, month, day and day of week of each column, as float64 (NaN if missing)."""
    X = _as_frame(X)
    formats = formats or {}
    blocks = []
    for name, column in X.items():
        dates = _parse_dates(column, formats.get(name))
        for part in _DATE_PARTS:
            blocks.append(getattr(dates.dt, part).to_numpy(dtype=np.float64, na_value=np.nan))
    return np.column_stack(blocks) if blocks else np.empty((len(X), 0))


def _date_part_names(transformer, input_features):
    return np.asarray(
        [f"{name}_{part}" for name in input_features for part in _DATE_PARTS], dtype=object
    )


# --- deciding -------------------------------------------------------------

def _date_format(strings):
    """How the strings are dates ('ISO8601', 'mixed' or 'mixed-dayfirst'), or None."""
    sample = strings.drop_duplicates().head(_DATE_SAMPLE)
    if sample.str.contains(_DATE_LIKE, regex=True).mean() < DATE_SHARE:
        return None
    # 25/12/2020 somewhere: the day comes first, so 02/01/2020 is the 2nd of January.
    dayfirst = sample.str.match(_DAY_FIRST).any()
    for date_format in ("ISO8601", "mixed-dayfirst" if dayfirst else "mixed"):
        if _to_datetime(sample, date_format).notna().mean() >= DATE_SHARE:
            return date_format
    return None


def _missing_note(n_missing, how):
    if not n_missing:
        return ""
    return f", {n_missing} missing imputed ({how}) + missing indicator"


def _one_hot_note(counts, n_missing, n_rows, min_frequency, max_categories):
    """Describe the one-hot encoding of levels seen ``counts`` times (and of the
    missing level, seen ``n_missing`` times).

    As :class:`~sklearn.preprocessing.OneHotEncoder` decides: levels below
    ``min_frequency`` are infrequent, and when the frequent ones are
    ``max_categories`` or more only the ``max_categories - 1`` most frequent
    stay.
    """
    if n_missing:
        counts = np.append(counts, n_missing)
    threshold = min_frequency if isinstance(min_frequency, Integral) \
        else min_frequency * n_rows
    frequent = int((counts >= threshold).sum())
    if frequent + 1 > max_categories:
        frequent = max_categories - 1
    grouped = len(counts) - frequent
    n_levels = len(counts) - bool(n_missing)
    note = f"one-hot ({n_levels} level{'s' if n_levels != 1 else ''}"
    if n_missing:
        note += f" + a level for the {n_missing} missing"
    if grouped:
        note += f"; {grouped} rare grouped into one column: {frequent + 1} columns"
    return note + ")"


def _classify(column, name, n_rows, min_frequency, max_categories):
    """(kind, treatment, date format or None, n_missing, n_unique) of one column."""
    present = column.dropna()
    dtype = column.dtype
    inferred = pd.api.types.infer_dtype(present, skipna=True) if len(present) else "empty"
    if pd.api.types.is_bool_dtype(dtype) or inferred == "boolean":
        kind = "boolean"
    elif isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        kind = "date"
    elif isinstance(dtype, pd.CategoricalDtype):
        kind = "categorical"
    elif pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype) \
            or inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        kind = "numeric"
    else:
        kind = "strings"
    if kind in ("strings", "boolean", "categorical"):
        # As the encoder sees them: stripped strings, blank ones missing.
        present = present.astype(object).astype("str").str.strip()
        present = present[present != ""]
    elif kind == "numeric":
        # As the imputer sees them: infinities are missing.
        values = _to_float(column.to_frame())[:, 0]
        present = pd.Series(values[~np.isnan(values)])
    n_missing = n_rows - len(present)
    if not len(present):
        return "empty", "dropped: entirely missing", None, n_missing, 0
    n_unique = int(present.nunique())
    if n_unique == 1 and not n_missing:
        return "constant", "dropped: constant (one value in every row)", None, 0, 1
    only_missingness = " (one value: only whether it is missing informs)" \
        if n_unique == 1 else ""

    def result(kind, treatment, date_format=None):
        return kind, treatment, date_format, n_missing, n_unique

    if kind == "strings":
        date_format = _date_format(present)
        if date_format is not None:
            return result("date", _date_note(n_missing) + only_missingness, date_format)
        if n_unique > 1 and n_unique >= NEAR_UNIQUE * n_rows:
            return result("identifier", f"dropped: identifier-like ({n_unique} distinct "
                                        f"values in {n_rows} rows)")
        kind = "categorical"
    if kind == "date":
        return result("date", _date_note(n_missing) + only_missingness)
    if kind == "numeric":
        integer = pd.api.types.is_integer_dtype(dtype) or inferred == "integer"
        if integer and n_unique > 1 and n_unique >= NEAR_UNIQUE * n_rows:
            ordered = present.is_monotonic_increasing or present.is_monotonic_decreasing
            if ordered or _ID_NAME.search(name):
                why = "in row order" if ordered else "and named like an ID"
                return result("identifier", f"dropped: identifier-like ({n_unique} distinct "
                                            f"integers in {n_rows} rows, {why})")
        return result("numeric", "numeric" + _missing_note(n_missing, "median")
                      + only_missingness)
    note = _one_hot_note(present.value_counts().to_numpy(), n_missing, n_rows,
                         min_frequency, max_categories)
    return result(kind, note + only_missingness)


def _date_note(n_missing):
    return "date: year, month, day and day of week as numbers" + \
        _missing_note(n_missing, "median")


def _check_options(max_categories, min_frequency):
    if isinstance(max_categories, bool) or not isinstance(max_categories, Integral) \
            or max_categories < 2:
        raise InputError(
            f"max_categories must be an integer of at least 2, not {max_categories!s}"
        )
    integral = isinstance(min_frequency, Integral) and not isinstance(min_frequency, bool)
    fraction = isinstance(min_frequency, Real) and not integral \
        and not isinstance(min_frequency, bool) and 0 < min_frequency < 1
    if not (integral and min_frequency >= 1) and not fraction:
        raise InputError(
            "min_frequency must be a count of at least 1 or a fraction between 0 and 1, "
            f"not {min_frequency!s}"
        )


def plan_columns(X, *, max_categories=20, min_frequency=5):
    """Give each column of a table a kind and build the transformer that encodes it.

    Kinds and treatments:

    - **numeric** (int, float, timedelta columns; object columns holding only
      numbers): converted to float, infinities made missing, missing values
      imputed with the median of the training part plus a missing-indicator
      column for each column that had missing values there
      (:class:`~sklearn.impute.SimpleImputer` with ``add_indicator=True``,
      whose indicator covers only those columns; a value missing at
      prediction in another column is imputed all the same). Integer
      columns stay numeric whatever their number of levels: codes such as a
      year or a count keep their order.
    - **categorical** (strings, pandas categories, objects of mixed types,
      which are read as strings) and **boolean** (bool columns): values as
      stripped strings, missing values as a level of their own
      (:data:`MISSING_LEVEL`), one-hot encoded by
      :class:`~sklearn.preprocessing.OneHotEncoder` with
      ``handle_unknown="infrequent_if_exist"``: levels seen fewer than
      ``min_frequency`` times in the training part are grouped into one
      "infrequent" column, as are the levels beyond the
      ``max_categories - 1`` most frequent, so a column with many levels
      (200 in 1000 rows, say) gives at most ``max_categories`` columns; a
      level unseen at fit is counted as infrequent, or ignored (all zeros)
      when there is no infrequent column.
    - **date** (datetime columns; string columns whose distinct values at
      least 95% contain digits written like a date and parse as one, first
      as ISO 8601, else in any format pandas reads): year, month, day and
      day of week as numbers, imputed with the median plus indicator as
      numeric columns are. Times of day are not used.
    - **identifier**, dropped: a string column with distinct values in at
      least 95% of the rows (an ID or free text: one-hot would learn each
      row by heart), or an integer column as distinct whose values are in
      row order (a row number) or whose name reads like an ID (``id``,
      ``customer_id``, ``PassengerId``...). A float column is never an
      identifier: distinct measurements are normal.
    - **constant**, dropped: one value in every row. A column with one value
      and some missing values is kept: whether it is missing is information.
    - **empty**, dropped: every value missing.

    Parameters
    ----------
    X : pandas.DataFrame
        The feature columns (the target excluded), with distinct string
        names; the plan is made on all its rows, the transformer is fitted
        later on the training part.
    max_categories : int, default=20
        Most output columns of one categorical column, its infrequent
        column included.
    min_frequency : int or float, default=5
        Levels seen fewer times than this (a count, or a fraction of the
        rows if a float below 1) in the training part are grouped as
        infrequent.

    Returns
    -------
    transformer : sklearn.compose.ColumnTransformer
        Unfitted. Fitted on a DataFrame with the columns of ``X``, its
        ``transform`` gives a dense float64 array of finite values: the
        numeric columns, their missing indicators, the one-hot columns, the
        date parts and their indicators, in that order
        (``get_feature_names_out`` names them). Always a transformer, never
        None, even when every column is numeric.
    plans : list of ColumnPlan
        One per column of ``X``, in order.

    Raises
    ------
    InputError
        ``X`` is not a DataFrame, has no rows or columns, has names that are
        not strings or are duplicated, the options are out of range, or no
        column is kept (the message says why each was dropped).

    Examples
    --------
    >>> import pandas as pd
    >>> from sknet.recipe.columns import plan_columns
    >>> X = pd.DataFrame({"size": [1.5, 2.0, None, 4.0], "color": ["red", "blue", "red", None],
    ...                   "id": ["a1", "a2", "a3", "a4"]})
    >>> transformer, plans = plan_columns(X, min_frequency=1)
    >>> [(p.name, p.kind, p.kept) for p in plans]
    [('size', 'numeric', True), ('color', 'categorical', True), ('id', 'identifier', False)]
    >>> transformer.fit_transform(X).shape
    (4, 5)
    """
    if not isinstance(X, pd.DataFrame):
        raise InputError(f"plan_columns needs a pandas DataFrame, not {type(X).__name__}")
    _check_options(max_categories, min_frequency)
    # Plain Python numbers, so that the transformer's repr and pickle hold no numpy scalars.
    max_categories = int(max_categories)
    min_frequency = int(min_frequency) if isinstance(min_frequency, Integral) \
        else float(min_frequency)
    if not len(X.columns):
        raise InputError("the table has no feature columns")
    if not len(X):
        raise InputError("the table has no rows")
    not_strings = [str(c) for c in X.columns if not isinstance(c, str)]
    if not_strings:
        raise InputError(
            "column names must be strings; these are not: " + ", ".join(not_strings[:10])
        )
    duplicated = sorted({str(c) for c in X.columns[X.columns.duplicated()]})
    if duplicated:
        raise InputError("duplicated column names: " + ", ".join(duplicated))

    n_rows = len(X)
    plans, groups, date_formats = [], {"numeric": [], "categorical": [], "date": []}, {}
    for name, column in X.items():
        kind, treatment, date_format, n_missing, n_unique = _classify(
            column, name, n_rows, min_frequency, max_categories
        )
        kept = kind in ("numeric", "categorical", "boolean", "date")
        plans.append(ColumnPlan(name=name, kind=kind, treatment=treatment,
                                n_missing=n_missing, n_unique=n_unique, kept=kept))
        if kept:
            groups["categorical" if kind == "boolean" else kind].append(name)
        if kind == "date":
            date_formats[name] = date_format

    if not any(groups.values()):
        reasons = "; ".join(f"'{p.name}' {p.treatment.removeprefix('dropped: ')}" for p in plans)
        raise InputError(f"no usable feature column, every one was dropped: {reasons}")

    transformers = []
    if groups["numeric"]:
        transformers.append(("numeric", Pipeline([
            ("to_float", FunctionTransformer(_to_float, feature_names_out="one-to-one")),
            ("impute", SimpleImputer(strategy="median", add_indicator=True,
                                     keep_empty_features=True)),
        ]), groups["numeric"]))
    if groups["categorical"]:
        transformers.append(("categorical", Pipeline([
            ("to_strings", FunctionTransformer(_to_strings, feature_names_out="one-to-one")),
            ("one_hot", OneHotEncoder(handle_unknown="infrequent_if_exist",
                                      min_frequency=min_frequency,
                                      max_categories=max_categories,
                                      sparse_output=False, dtype=np.float64)),
        ]), groups["categorical"]))
    if groups["date"]:
        transformers.append(("date", Pipeline([
            ("parts", FunctionTransformer(_date_parts, kw_args={"formats": date_formats},
                                          feature_names_out=_date_part_names)),
            ("impute", SimpleImputer(strategy="median", add_indicator=True,
                                     keep_empty_features=True)),
        ]), groups["date"]))
    transformer = ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0)
    return transformer, plans
