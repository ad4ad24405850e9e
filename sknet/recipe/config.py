"""The recipe's options: one dataclass whose defaults are the command's."""

import math
import numbers
from dataclasses import asdict, dataclass, fields

from .errors import InputError

__all__ = ["RecipeConfig", "DEFAULT_BUDGET_FITS"]

#: Model fits of the search (candidates x folds) when no budget is given.
DEFAULT_BUDGET_FITS = 120

_CHOICES = {
    "task": ("auto", "classification", "regression"),
    "scaling": ("auto", "standard", "image"),
    "whiten": ("none", "pca", "zca"),
    "scoring": ("auto", "accuracy", "balanced_accuracy", "r2"),
}


@dataclass
class RecipeConfig:
    """Options of :func:`sknet.recipe.run_recipe` (the ``sknet recipe`` flags).

    Every field has the command-line flag's default; ``--budget-fits`` is
    ``budget_fits`` and so on.

    Parameters
    ----------
    task : {'auto', 'classification', 'regression'}, default='auto'
        'auto': classification for strings, booleans and integer targets with
        at most 20 distinct values; regression otherwise (the reason is in the
        report).
    target : str or None, default=None
        Name of the target column of a table (default: a column named
        'target' or 'y') or of the target array of an NPZ file (default 'y').
    test_size : float, default=0.2
        Fraction of the rows held out for the test, in (0, 1).
    scaling : {'auto', 'standard', 'image'}, default='auto'
        'standard': per-feature standardization; 'image': the mean image and
        one global standard deviation; 'auto': the search chooses between the
        two for all-numeric data, 'standard' for tables with other columns.
    whiten : {'none', 'pca', 'zca'}, default='none'
    scoring : {'auto', 'accuracy', 'balanced_accuracy', 'r2'}, default='auto'
        Score of the search and of the headline. 'auto': balanced accuracy
        when the smallest class has less than half the rows of the largest,
        accuracy for other classification tasks, R^2 for regression.
    budget_fits : int or None, default=None
        Model fits of the search (candidates x folds);
        :data:`DEFAULT_BUDGET_FITS` when neither budget is given.
    budget_minutes : float or None, default=None
        Wall-clock minutes of the whole run: the search is sized from the
        default network's timing, and its later stages from the earlier
        stages' (see :class:`~sknet.recipe.search.TimeBudget`).
    max_width, max_depth : int, default=512, 2
        Widest hidden layer and most hidden layers searched.
    max_iter : int, default=200
        Epochs of the final fits (fewer on large tables: see the report).
    cv : int, default=3
        Folds of the search (at least 2).
    n_jobs : int, default=-1
        Parallel fits in the search (-1: all cores).
    baselines : bool, default=True
        Also fit scikit-learn's MLP and a histogram gradient boosting model
        on the same split, for comparison in the report.
    scheduler, tls_ca_file, tls_cert, tls_key : str or None, default=None
        Run the search on a dask cluster (see :mod:`sknet.model_selection`).
    random_state : int, default=0
        Seed of everything.
    verbose : bool, default=False
        Print progress lines (the command sets it unless ``--quiet``).

    Raises
    ------
    InputError
        From :meth:`validate`, naming the field and the allowed values.
    """

    task: str = "auto"
    target: str | None = None
    test_size: float = 0.2
    scaling: str = "auto"
    whiten: str = "none"
    scoring: str = "auto"
    budget_fits: int | None = None
    budget_minutes: float | None = None
    max_width: int = 512
    max_depth: int = 2
    max_iter: int = 200
    cv: int = 3
    n_jobs: int = -1
    baselines: bool = True
    scheduler: str | None = None
    tls_ca_file: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    random_state: int = 0
    verbose: bool = False

    def validate(self):
        """Check every field; returns self.

        Raises
        ------
        InputError
            For a value outside its allowed set or range, or a budget too
            small for the three stages of the search.
        """
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise InputError(
                    f"{name} must be one of {', '.join(allowed)}; got {getattr(self, name)!r}."
                )
        if not (isinstance(self.test_size, numbers.Real) and 0 < self.test_size < 1):
            raise InputError(f"test_size must be a number in (0, 1); got {self.test_size!r}.")
        for name in ("max_width", "max_depth", "max_iter"):
            _check_int(name, getattr(self, name), 1)
        _check_int("cv", self.cv, 2)
        _check_int("random_state", self.random_state, None)
        _check_int("n_jobs", self.n_jobs, None)
        if self.budget_fits is not None:
            _check_int("budget_fits", self.budget_fits, 1)
            if self.budget_fits // self.cv < 3:
                raise InputError(
                    f"budget_fits {self.budget_fits} allows {self.budget_fits // self.cv} "
                    f"candidate(s) with cv {self.cv}; the three search stages need at "
                    f"least {3 * self.cv} fits."
                )
        if self.budget_minutes is not None and not (
            isinstance(self.budget_minutes, numbers.Real)
            and math.isfinite(self.budget_minutes)
            and self.budget_minutes > 0
        ):
            raise InputError(
                f"budget_minutes must be a positive number; got {self.budget_minutes!r}."
            )
        if self.scoring == "r2" and self.task == "classification":
            raise InputError("scoring 'r2' is for regression, but task is 'classification'.")
        if self.scoring in ("accuracy", "balanced_accuracy") and self.task == "regression":
            raise InputError(
                f"scoring {self.scoring!r} is for classification, but task is 'regression'."
            )
        return self

    @property
    def search_budget_fits(self):
        """The fit budget in force (the default when no budget is given)."""
        if self.budget_fits is None and self.budget_minutes is None:
            return DEFAULT_BUDGET_FITS
        return self.budget_fits

    def to_dict(self):
        """The options as a plain dict (for the report)."""
        return asdict(self)

    @classmethod
    def field_names(cls):
        """Names of the options, in order."""
        return [f.name for f in fields(cls)]


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} must be an integer; got {value!r}.")
    if low is not None and value < low:
        raise InputError(f"{name} must be at least {low}; got {value}.")
