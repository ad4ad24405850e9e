"""Hyperparameter search the CS231n way: log-scale spaces and coarse-to-fine search.

The lecture's recipe for learning rate and regularization is to sample at
random (not on a grid), in log space, in stages that go from coarse to fine,
and to abandon a run as soon as its loss explodes. This module provides the
pieces scikit-learn lacks for that: :func:`log_uniform` and
:func:`log_uniform_int` search spaces (usable by
:class:`~sklearn.model_selection.RandomizedSearchCV` too), :func:`hidden_layers`
which samples ``hidden_layer_sizes`` tuples from a width and a depth,
:func:`search_range` and :func:`narrow_distribution` which expose and narrow
the bounds of a space, :func:`mlp_search_space` (a starting space for sknet's
MLPs) and :class:`CoarseToFineSearchCV`, a ``BaseSearchCV`` that runs random
search in stages, narrows every range around the previous stage's winners, and
records why a candidate failed (``'diverged: ...'`` when the estimator raised
:class:`~sknet.exceptions.TrainingDivergedError`). The search works with any
scikit-learn estimator and runs on a dask cluster through joblib.
"""

import math
import numbers
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from .exceptions import WorkerLostWarning
from .layers import ACTIVATIONS
from .training import propagate_interrupts

__all__ = [
    "CoarseToFineSearchCV",
    "HiddenLayerSizes",
    "LogUniformInt",
    "SearchRange",
    "hidden_layers",
    "log_uniform",
    "log_uniform_int",
    "mlp_search_space",
    "narrow_distribution",
    "search_range",
]


# --------------------------------------------------------------------------
# Search spaces
# --------------------------------------------------------------------------


def log_uniform(low, high):
    """Log-uniform distribution of floats on ``[low, high]``.

    A thin alias of :data:`scipy.stats.loguniform`: ``log10`` of a sample is
    uniform on ``[log10(low), log10(high)]``, so every decade gets the same
    number of samples. This is how the lecture samples learning rates and
    regularization strengths.

    Parameters
    ----------
    low, high : float
        Bounds, ``0 < low < high``.

    Returns
    -------
    dist : scipy.stats frozen distribution
        ``scipy.stats.loguniform(low, high)``; has ``.rvs`` and ``.support()``.

    See Also
    --------
    log_uniform_int : The same on integers (layer widths).
    search_range : Read bounds and scale back from a distribution.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.model_selection import log_uniform
    >>> lr = log_uniform(1e-5, 1e-1)
    >>> samples = lr.rvs(size=1000, random_state=0)
    >>> bool(samples.min() >= 1e-5 and samples.max() <= 1e-1)
    True
    >>> # about a quarter of the samples per decade
    >>> round(float(np.mean(samples < 1e-4)), 1)
    0.3
    """
    low, high = _check_bounds(low, high, log=True)
    return stats.loguniform(low, high)


class LogUniformInt:
    """Integers on ``[low, high]`` (both included) sampled on a log scale.

    A sample is ``floor(u)`` with ``u`` log-uniform on ``[low, high + 1)``,
    so ``P(k) = log((k + 1) / k) / log((high + 1) / low)``: every decade of
    widths gets the same share of samples, as with :func:`log_uniform`.

    Parameters
    ----------
    low, high : int
        Bounds, ``1 <= low <= high``.

    Attributes
    ----------
    low, high : int
        The bounds (inclusive).
    log : bool
        Always True: the scale of the space.
    integer : bool
        Always True.

    Examples
    --------
    >>> from sknet.model_selection import LogUniformInt
    >>> widths = LogUniformInt(16, 512)
    >>> widths
    LogUniformInt(16, 512)
    >>> widths.rvs(size=5, random_state=0)
    array([107, 191, 129, 105,  69])
    >>> widths.support()
    (16, 512)
    """

    log = True
    integer = True

    def __init__(self, low, high):
        if not (_is_int(low) and _is_int(high)) or not 1 <= low <= high:
            raise ValueError(
                f"LogUniformInt needs integers 1 <= low <= high; got {low!r}, {high!r}."
            )
        self.low = int(low)
        self.high = int(high)

    def support(self):
        """Return ``(low, high)``, the smallest and largest possible samples."""
        return self.low, self.high

    def rvs(self, size=None, random_state=None):
        """Draw samples.

        Parameters
        ----------
        size : int or tuple of int, default=None
            Output shape; ``None`` returns a single Python ``int``.
        random_state : int, RandomState instance or None, default=None
            Source of randomness.

        Returns
        -------
        samples : int or ndarray of int
        """
        rng = check_random_state(random_state)
        u = stats.loguniform(self.low, self.high + 1).rvs(size=size, random_state=rng)
        # floor of a value just below high + 1 may round up to high + 1
        k = np.clip(np.floor(u), self.low, self.high).astype(np.int64)
        return int(k) if size is None else k

    def __repr__(self):
        return f"LogUniformInt({self.low}, {self.high})"

    def __eq__(self, other):
        return type(other) is type(self) and self.support() == other.support()

    __hash__ = None


def log_uniform_int(low, high):
    """Integers on ``[low, high]`` sampled on a log scale (e.g. layer widths).

    Parameters
    ----------
    low, high : int
        Inclusive bounds, ``1 <= low <= high``.

    Returns
    -------
    dist : LogUniformInt

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.model_selection import log_uniform_int
    >>> w = log_uniform_int(8, 1024).rvs(size=2000, random_state=0)
    >>> bool(w.min() >= 8 and w.max() <= 1024)
    True
    >>> # 8..31, 32..127 and 128..1024 span about 2 binary octaves each
    >>> [round(float(np.mean((w >= a) & (w < b))), 1) for a, b in
    ...  [(8, 32), (32, 128), (128, 1025)]]
    [0.3, 0.3, 0.4]
    """
    return LogUniformInt(low, high)


class HiddenLayerSizes:
    """Distribution of ``hidden_layer_sizes`` tuples: ``(width,) * depth``.

    Width and depth are searched as two spaces of one parameter, so a
    search over ``hidden_layer_sizes`` stays a search over the one parameter
    the estimator has; :class:`CoarseToFineSearchCV` narrows width and depth
    separately around the winning tuples. All hidden layers get the same
    width, as in the CS231n networks.

    Parameters
    ----------
    width : int, list of int or distribution
        Space of layer widths, e.g. ``log_uniform_int(16, 512)``.
    depth : int, list of int or distribution
        Space of the number of hidden layers, e.g. ``[1, 2, 3]``.

    Examples
    --------
    >>> from sknet.model_selection import HiddenLayerSizes, log_uniform_int
    >>> space = HiddenLayerSizes(log_uniform_int(16, 256), [1, 2])
    >>> space.rvs(random_state=0)
    (73, 73)
    >>> space.rvs(size=2, random_state=1)
    [(50,), (213, 213)]
    """

    def __init__(self, width, depth):
        self.width = [width] if _is_int(width) else width
        self.depth = [depth] if _is_int(depth) else depth

    def rvs(self, size=None, random_state=None):
        """Draw one tuple (``size=None``) or a list of ``size`` tuples.

        Parameters
        ----------
        size : int or tuple of int, default=None
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        tuple of int, or list of them
        """
        rng = check_random_state(random_state)
        n = 1 if size is None else int(np.prod(size))
        out = []
        for _ in range(n):
            width = int(_sample(self.width, rng))
            depth = int(_sample(self.depth, rng))
            out.append((width,) * depth)
        return out[0] if size is None else out

    def __repr__(self):
        return f"HiddenLayerSizes(width={self.width!r}, depth={self.depth!r})"

    def __eq__(self, other):
        return (
            type(other) is type(self)
            and _space_equal(self.width, other.width)
            and _space_equal(self.depth, other.depth)
        )

    __hash__ = None


def hidden_layers(width, depth):
    """Space of ``hidden_layer_sizes`` built from a width and a depth space.

    Parameters
    ----------
    width : int, list of int or distribution
        Layer widths, e.g. ``log_uniform_int(16, 512)``.
    depth : int, list of int or distribution
        Numbers of hidden layers, e.g. ``[1, 2, 3]``.

    Returns
    -------
    dist : HiddenLayerSizes

    Examples
    --------
    >>> from sknet.model_selection import hidden_layers, log_uniform_int
    >>> hidden_layers(log_uniform_int(32, 64), [2]).rvs(random_state=0)
    (47, 47)
    """
    return HiddenLayerSizes(width, depth)


@dataclass(frozen=True)
class SearchRange:
    """Bounds and scale of a one-dimensional numeric search space.

    Attributes
    ----------
    low, high : float or int
        Smallest and largest possible values (both included).
    log : bool
        True when the space is uniform in ``log10`` of the value.
    integer : bool
        True when the values are integers.
    """

    low: float
    high: float
    log: bool
    integer: bool

    def to_distribution(self):
        """The distribution sampling this range: scipy's where it fits.

        float, log: ``scipy.stats.loguniform(low, high)``; float, linear:
        ``scipy.stats.uniform(low, high - low)``; int, log:
        ``LogUniformInt(low, high)``; int, linear:
        ``scipy.stats.randint(low, high + 1)``. A range holding one value
        becomes the list ``[value]``.
        """
        if self.low == self.high:
            return [int(self.low) if self.integer else float(self.low)]
        if self.integer:
            if self.log:
                return LogUniformInt(int(self.low), int(self.high))
            return stats.randint(int(self.low), int(self.high) + 1)
        if self.log:
            return stats.loguniform(self.low, self.high)
        return stats.uniform(self.low, self.high - self.low)


def search_range(dist):
    """Bounds and scale of a search space, or None when it has none.

    Understands :func:`log_uniform` / ``scipy.stats.loguniform`` (log, float),
    ``scipy.stats.uniform`` (linear, float), :class:`LogUniformInt` (log, int)
    and ``scipy.stats.randint`` (linear, int; its exclusive ``high`` is
    turned into the inclusive largest value). Lists (categorical choices),
    :class:`HiddenLayerSizes` and any other distribution give None.

    Parameters
    ----------
    dist : object
        A list or an object with ``rvs``.

    Returns
    -------
    range : SearchRange or None

    Examples
    --------
    >>> from scipy import stats
    >>> from sknet.model_selection import search_range, log_uniform
    >>> search_range(log_uniform(1e-4, 1e-1))
    SearchRange(low=0.0001, high=0.1, log=True, integer=False)
    >>> search_range(stats.randint(1, 5))
    SearchRange(low=1, high=4, log=False, integer=True)
    >>> search_range(["relu", "tanh"]) is None
    True
    """
    if isinstance(dist, LogUniformInt):
        return SearchRange(dist.low, dist.high, log=True, integer=True)
    name = getattr(getattr(dist, "dist", None), "name", None)
    if name not in ("uniform", "loguniform", "reciprocal", "randint"):
        return None
    low, high = dist.support()
    if name == "randint":
        return SearchRange(int(low), int(high), log=False, integer=True)
    if name == "uniform":
        return SearchRange(float(low), float(high), log=False, integer=False)
    # A shifted loguniform (loc != 0) is not log-uniform over its support.
    loc = dist.args[2] if len(dist.args) > 2 else dist.kwds.get("loc", 0)
    if loc != 0:
        return None
    return SearchRange(float(low), float(high), log=True, integer=False)


def narrow_distribution(dist, winners, *, original=None, margin=0.1):
    """Narrow a search space around the values that won the previous stage.

    The rule, per kind of space:

    * **Numeric range** (anything :func:`search_range` understands). Let
      ``T = log10`` on a log scale and the identity on a linear one, ``[a, b]``
      the range of ``dist`` and ``[A, B]`` that of ``original``. The new range
      is ``T^-1`` of::

          [max(T(A), min T(winners) - margin * (T(b) - T(a))),
           min(T(B), max T(winners) + margin * (T(b) - T(a)))]

      i.e. the span of the winners widened on both sides by ``margin`` times
      the width of the current range (measured in decades on a log scale) and
      clipped to the original range. Integer ranges round the bounds outwards
      (floor / ceil). The scale and the int / float kind are kept.
    * **Categorical** (a list): the choices that appear among the winners,
      in their original order.
    * :class:`HiddenLayerSizes`: its width and depth are narrowed as above from
      the winners' first layer width and number of layers.
    * Any other distribution is returned unchanged.

    Parameters
    ----------
    dist : list or distribution
        The space sampled in the previous stage.
    winners : sequence
        The values of this parameter in the previous stage's best candidates.
        An empty sequence returns ``dist`` unchanged.
    original : list or distribution, default=None
        The space of the first stage, which bounds the narrowed one. Defaults
        to ``dist``.
    margin : float, default=0.1
        Widening on each side, as a fraction of the current range's width.

    Returns
    -------
    narrowed : list or distribution

    Examples
    --------
    >>> from sknet.model_selection import log_uniform, narrow_distribution
    >>> lr = log_uniform(1e-6, 1e-1)          # 5 decades: margin 0.5 decade
    >>> new = narrow_distribution(lr, [1e-3, 3e-3, 1e-2], margin=0.1)
    >>> [float(f"{v:.3g}") for v in new.support()]
    [0.000316, 0.0316]
    >>> narrow_distribution(["relu", "tanh", "elu"], ["elu", "relu", "elu"])
    ['relu', 'elu']
    """
    winners = list(winners)
    if original is None:
        original = dist
    if not winners:
        return dist
    if isinstance(dist, HiddenLayerSizes):
        orig = original if isinstance(original, HiddenLayerSizes) else dist
        width = narrow_distribution(
            dist.width, [t[0] for t in winners if len(t)], original=orig.width, margin=margin
        )
        depth = narrow_distribution(
            dist.depth, [len(t) for t in winners], original=orig.depth, margin=margin
        )
        return HiddenLayerSizes(width, depth)
    if _is_categorical(dist):
        return [c for c in dist if any(_value_equal(c, w) for w in winners)]
    current, bounds = search_range(dist), search_range(original)
    if current is None:
        return dist
    if bounds is None:
        bounds = current
    forward, inverse = (math.log10, lambda t: 10.0**t) if current.log else (float, float)
    pad = margin * (forward(current.high) - forward(current.low))
    t_values = [forward(float(w)) for w in winners]
    lo = inverse(min(t_values) - pad)
    hi = inverse(max(t_values) + pad)
    if current.integer:
        lo, hi = math.floor(lo + 1e-9), math.ceil(hi - 1e-9)
    lo, hi = max(lo, bounds.low), min(hi, bounds.high)
    if lo > hi:  # winners outside the original range (cannot happen when sampled)
        lo, hi = bounds.low, bounds.high
    return SearchRange(lo, hi, log=current.log, integer=current.integer).to_distribution()


# --------------------------------------------------------------------------
# Ready search space for sknet's MLPs
# --------------------------------------------------------------------------

#: The activations a default search tries (``searched`` in the activation table).
SEARCHED_ACTIVATIONS = tuple(name for name, cls in ACTIVATIONS.items() if cls.searched)


def mlp_search_space(
    *,
    prefix="",
    learning_rate_init=(1e-5, 1e-1),
    alpha=(1e-7, 1e-1),
    width=(16, 512),
    depth=(1, 2, 3),
    activation=SEARCHED_ACTIVATIONS,
    init=("auto", "he", "lecun_normal"),
    batch_norm=(False, True),
    dropout=(0.0, 0.5),
):
    """A search space for sknet's ``MLPClassifier`` / ``MLPRegressor``.

    A plain dict to start from and edit. Learning rate and ``alpha`` are
    log-uniform, widths log-uniform integers, depth and the switches
    categorical, dropout uniform.

    Parameters
    ----------
    prefix : str, default=""
        Prepended to every key, e.g. ``"clf__"`` for a Pipeline step ``clf``.
    learning_rate_init : (float, float), default=(1e-5, 1e-1)
        Bounds of the log-uniform learning rate.
    alpha : (float, float), default=(1e-7, 1e-1)
        Bounds of the log-uniform L2 strength.
    width : (int, int), default=(16, 512)
        Bounds of the log-uniform hidden-layer width.
    depth : sequence of int, default=(1, 2, 3)
        Numbers of hidden layers to try; ``hidden_layer_sizes`` is sampled as
        ``(width,) * depth`` by :class:`HiddenLayerSizes`.
    activation, init, batch_norm : sequence, default shown
        Categorical choices; a sequence of one value fixes the parameter.
        ``None`` leaves the parameter out. The default activations are those
        :data:`sknet.layers.ACTIVATIONS` marks ``searched`` (relu,
        leaky_relu, tanh, elu).
    dropout : (float, float) or None, default=(0.0, 0.5)
        Bounds of the uniform dropout probability; None leaves it out.

    Returns
    -------
    param_distributions : dict

    Examples
    --------
    >>> from sknet.model_selection import mlp_search_space
    >>> space = mlp_search_space(prefix="clf__", batch_norm=None)
    >>> sorted(space)  # doctest: +NORMALIZE_WHITESPACE
    ['clf__activation', 'clf__alpha', 'clf__dropout', 'clf__hidden_layer_sizes',
     'clf__init', 'clf__learning_rate_init']
    >>> space["clf__hidden_layer_sizes"]
    HiddenLayerSizes(width=LogUniformInt(16, 512), depth=[1, 2, 3])
    """
    space = {
        "learning_rate_init": log_uniform(*learning_rate_init),
        "alpha": log_uniform(*alpha),
        "hidden_layer_sizes": HiddenLayerSizes(log_uniform_int(*width), list(depth)),
    }
    for name, choices in [
        ("activation", activation),
        ("init", init),
        ("batch_norm", batch_norm),
    ]:
        if choices is not None:
            space[name] = list(choices)
    if dropout is not None:
        space["dropout"] = stats.uniform(dropout[0], dropout[1] - dropout[0])
    return {prefix + key: value for key, value in space.items()}


# --------------------------------------------------------------------------
# Coarse-to-fine search
# --------------------------------------------------------------------------


class CoarseToFineSearchCV(BaseSearchCV):
    """Random search in stages, each narrowed around the previous winners.

    Stage 0 samples ``n_iter`` candidates from ``param_distributions``. Every
    next stage takes the ``top_k`` best candidates of the stage before
    (candidates whose fit failed or scored NaN never count, whatever
    ``error_score`` is), narrows every space around
    their values with :func:`narrow_distribution` (numeric ranges shrink to
    the winners' span plus ``margin``, clipped to the original range;
    categorical choices shrink to those the winners used) and samples
    ``n_iter`` new candidates from the narrowed spaces. This is the lecture's
    coarse-to-fine random search over log-scale ranges.

    ``stage_params`` gives each stage fixed parameters merged into its
    candidates, typically a smaller epoch budget for the coarse stages.
    Scores obtained under different budgets are not comparable, so
    ``best_index_`` (hence ``best_params_`` and the refit) is chosen only among
    the candidates of the stages whose ``stage_params`` equal the last
    stage's, failed candidates excluded; the refit thus uses the final stage's
    budget, or the estimator's own when the final entry is ``{}``.
    ``rank_test_score`` still ranks all candidates, as scikit-learn does.

    When a fit raises (e.g. :class:`~sknet.exceptions.TrainingDivergedError`
    from an estimator with ``divergence_threshold`` set, which stops at the
    first exploding mini-batch), the candidate scores ``error_score`` and
    ``cv_results_["failure_reason"]`` says why. Ctrl-C stops the whole search:
    its fits run inside :func:`sknet.training.propagate_interrupts`, so an
    interrupted sknet estimator raises ``KeyboardInterrupt`` instead of
    handing a half-trained model to be scored.

    Parameters
    ----------
    estimator : estimator object
        Any scikit-learn estimator (or Pipeline).
    param_distributions : dict
        Parameter names to spaces: lists (categorical), ``scipy.stats``
        frozen ``loguniform`` / ``uniform`` / ``randint``, :func:`log_uniform`,
        :func:`log_uniform_int`, :class:`HiddenLayerSizes`. Other objects with
        ``rvs`` are sampled but never narrowed.
    n_stages : int, default=3
        Number of stages.
    n_iter : int or list of int, default=20
        Candidates per stage (one int for every stage, or one per stage).
    top_k : int, default=5
        Number of best candidates of a stage that define the next stage's
        spaces (fewer when fewer fits succeeded; with none, the spaces are
        kept).
    margin : float, default=0.1
        Widening of a narrowed range on each side, as a fraction of the
        current range's width (in decades for log ranges).
    scoring : str, callable, list, tuple or dict, default=None
        As in :class:`~sklearn.model_selection.RandomizedSearchCV`. With
        several metrics, ``refit`` names the one that ranks the stages.
    n_jobs : int, default=None
        Jobs to run in parallel (through joblib; use a dask backend to
        run on a cluster).
    refit : bool, str or callable, default=True
        Refit the best candidate on the whole data.
    cv : int, cross-validation generator or iterable, default=None
        As in scikit-learn. Use a splitter that yields the same folds on
        every call (the default, or ``random_state`` set) so that stages are
        scored on the same folds.
    verbose : int, default=0
        Verbosity; ``> 0`` prints a line per stage.
    pre_dispatch : int or str, default="2*n_jobs"
        Number of jobs dispatched during parallel execution.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling of all stages.
    error_score : 'raise' or float, default=np.nan
        Score of a failed fit.
    return_train_score : bool, default=False
        Also record training scores.
    stage_params : list of dict or None, default=None
        One dict per stage of fixed parameters merged into that stage's
        candidates, e.g. ``[{"max_iter": 20}, {"max_iter": 50}, {}]``. Its
        keys must not be in ``param_distributions``.

    Attributes
    ----------
    cv_results_ : dict of numpy arrays
        As in scikit-learn, plus ``stage`` (int array: the stage of each
        candidate, from 0) and ``failure_reason`` (str array: ``''`` when all
        folds fitted, ``'diverged: <message>'`` when a fold raised
        ``TrainingDivergedError``, else ``'<ExceptionClass>: <message>'`` of
        the first failing fold).
    stage_distributions_ : list of dict
        The spaces sampled at each stage.
    best_estimator_, best_score_, best_params_, best_index_, scorer_, \
n_splits_, refit_time_, multimetric_
        As in :class:`~sklearn.model_selection.RandomizedSearchCV`.

    See Also
    --------
    sklearn.model_selection.RandomizedSearchCV : One stage of this search.

    Notes
    -----
    To run on a dask cluster, create a client and use joblib's dask backend::

        import joblib
        from dask.distributed import Client
        client = Client("tcp://scheduler:8786")   # or Client(LocalCluster())
        with joblib.parallel_backend("dask"):
            search.fit(X, y)

    Sampling happens on the client, so results do not depend on the backend.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sknet.model_selection import (
    ...     CoarseToFineSearchCV, log_uniform, search_range)
    >>> X, y = load_iris(return_X_y=True)
    >>> search = CoarseToFineSearchCV(
    ...     LogisticRegression(max_iter=200), {"C": log_uniform(1e-4, 1e4)},
    ...     n_stages=2, n_iter=4, top_k=2, cv=3, random_state=0,
    ... ).fit(X, y)
    >>> search.cv_results_["stage"]
    array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> r0, r1 = (search_range(d["C"]) for d in search.stage_distributions_)
    >>> bool(r1.high / r1.low < r0.high / r0.low)    # stage 1 is narrower
    True
    >>> bool(search.best_score_ > 0.9)
    True
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "param_distributions": [dict],
        "n_stages": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_iter": [Interval(numbers.Integral, 1, None, closed="left"), list],
        "top_k": [Interval(numbers.Integral, 1, None, closed="left")],
        "margin": [Interval(numbers.Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "stage_params": [list, None],
    }

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_stages=3,
        n_iter=20,
        top_k=5,
        margin=0.1,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
        stage_params=None,
    ):
        self.param_distributions = param_distributions
        self.n_stages = n_stages
        self.n_iter = n_iter
        self.top_k = top_k
        self.margin = margin
        self.random_state = random_state
        self.stage_params = stage_params
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )

    def fit(self, X, y=None, **params):
        """Run the search: every stage's candidates on every fold, then the refit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Targets.
        **params : dict
            Passed to the estimator's ``fit`` (routed as in scikit-learn).

        Returns
        -------
        self : CoarseToFineSearchCV

        Raises
        ------
        KeyboardInterrupt
            On Ctrl-C, at once: no interrupted fit is scored.
        """
        with propagate_interrupts():
            return super().fit(X, y, **params)

    # -- configuration helpers ---------------------------------------------

    def _per_stage_n_iter(self):
        if isinstance(self.n_iter, numbers.Integral):
            return [int(self.n_iter)] * self.n_stages
        if len(self.n_iter) != self.n_stages or not all(
            _is_int(n) and n >= 1 for n in self.n_iter
        ):
            raise ValueError(
                f"n_iter must be a positive int or a list of {self.n_stages} "
                f"positive ints (one per stage); got {self.n_iter!r}."
            )
        return [int(n) for n in self.n_iter]

    def _per_stage_params(self):
        if self.stage_params is None:
            return [{} for _ in range(self.n_stages)]
        if len(self.stage_params) != self.n_stages or not all(
            isinstance(p, dict) for p in self.stage_params
        ):
            raise ValueError(
                f"stage_params must be a list of {self.n_stages} dicts (one per "
                f"stage); got {self.stage_params!r}."
            )
        clash = set().union(*self.stage_params) & set(self.param_distributions)
        if clash:
            raise ValueError(
                f"Parameters {sorted(clash)} are both searched (param_distributions) "
                "and fixed (stage_params)."
            )
        return [dict(p) for p in self.stage_params]

    def _check_spaces(self):
        for name, space in self.param_distributions.items():
            if not (_is_categorical(space) or hasattr(space, "rvs")):
                raise TypeError(
                    f"param_distributions[{name!r}] must be a list of choices or an "
                    f"object with an rvs method; got {space!r}."
                )
            if _is_categorical(space) and len(space) == 0:
                raise ValueError(f"param_distributions[{name!r}] is empty.")

    def _ranking_key(self, results):
        if "mean_test_score" in results:
            return "mean_test_score"
        if isinstance(self.refit, str) and f"mean_test_{self.refit}" in results:
            return f"mean_test_{self.refit}"
        raise ValueError(
            "With several scoring metrics, set refit to the name of the metric "
            "that ranks the candidates of each stage."
        )

    # -- the search ----------------------------------------------------------

    def _run_search(self, evaluate_candidates, *, callback_ctx=None):
        self._check_spaces()
        n_iters = self._per_stage_n_iter()
        fixed = self._per_stage_params()
        rng = check_random_state(self.random_state)
        original = self.param_distributions
        spaces = dict(original)
        self.stage_distributions_ = []
        # scikit-learn's callbacks: the search is a task of one subtask per
        # stage, each with one per candidate and fold (as in its searches).
        search_ctx = None
        if callback_ctx is not None:
            search_ctx = callback_ctx.subcontext(
                task_name="search", max_subtasks=self.n_stages
            ).call_on_fit_task_begin(estimator=self)
        results = None
        for stage in range(self.n_stages):
            if stage > 0:
                winners = self._winners(results, stage - 1)
                if winners:
                    spaces = {
                        name: narrow_distribution(
                            space,
                            [p[name] for p in winners],
                            original=original[name],
                            margin=self.margin,
                        )
                        for name, space in spaces.items()
                    }
            self.stage_distributions_.append(dict(spaces))
            candidates = [
                {**_sample_params(spaces, rng), **fixed[stage]}
                for _ in range(n_iters[stage])
            ]
            if self.verbose > 0:
                print(f"Stage {stage}: {len(candidates)} candidates")
            stage_ctx = None
            if search_ctx is not None:
                stage_ctx = search_ctx.subcontext(
                    task_name="stage",
                    max_subtasks=len(candidates) * self.n_splits_,
                    sequential_subtasks=False,
                ).call_on_fit_task_begin(estimator=self)
            results = self._evaluate_stage(evaluate_candidates, candidates, stage, stage_ctx)
            if stage_ctx is not None:
                stage_ctx.call_on_fit_task_end(estimator=self)
        if search_ctx is not None:
            search_ctx.call_on_fit_task_end(estimator=self)

    def _evaluate_stage(self, evaluate_candidates, candidates, stage, stage_ctx):
        """Fit and score one stage's candidates, rerunning it if a dask worker dies.

        joblib's dask backend scatters the data to one worker; when that
        worker dies the data is gone and every fit of the call is cancelled.
        scikit-learn records a call's results only once all of them are in,
        so the stage is rerun whole (its data scattered afresh) and nothing
        is counted twice; earlier stages are kept. Callbacks see the first
        attempt's fits only.
        """
        for attempt in range(MAX_STAGE_RERUNS + 1):
            try:
                # scikit-learn's callback contexts take each fit once: a
                # rerun's fits are not reported again
                return evaluate_candidates(
                    candidates,
                    more_results={"stage": [stage] * len(candidates)},
                    callback_ctx=stage_ctx if attempt == 0 else None,
                )
            except Exception as exc:
                if attempt == MAX_STAGE_RERUNS or not _worker_lost(exc):
                    raise
                warnings.warn(
                    f"Stage {stage}: a dask worker was lost ({type(exc).__name__}: "
                    f"{exc}); rerunning the stage's {len(candidates)} candidates "
                    f"(rerun {attempt + 1} of at most {MAX_STAGE_RERUNS}).",
                    WorkerLostWarning,
                    stacklevel=2,
                )

    def _winners(self, results, stage):
        """Params of the ``top_k`` best successful candidates of ``stage``."""
        scores = np.asarray(results[self._ranking_key(results)], dtype=float)
        ok = _succeeded(results, scores)
        idx = np.flatnonzero((np.asarray(results["stage"]) == stage) & ok)
        best = idx[np.argsort(-scores[idx], kind="stable")][: self.top_k]
        return [results["params"][i] for i in best]

    def _select_best_index(self, refit, refit_metric, results):
        """Best candidate among the stages run with the final stage's budget."""
        if callable(refit):
            return super()._select_best_index(refit, refit_metric, results)
        fixed = self._per_stage_params()
        comparable = [s for s in range(self.n_stages) if fixed[s] == fixed[-1]]
        scores = np.asarray(results[f"mean_test_{refit_metric}"], dtype=float)
        in_budget = np.isin(results["stage"], comparable)
        idx = np.flatnonzero(in_budget & _succeeded(results, scores))
        if len(idx) == 0:  # every fit failed: as scikit-learn, take the first
            return int(np.flatnonzero(in_budget)[0])
        return int(idx[np.argmax(scores[idx])])

    def _format_results(self, candidate_params, n_splits, out, more_results=None):
        results = super()._format_results(candidate_params, n_splits, out, more_results)
        reasons = []
        for c in range(len(candidate_params)):
            errors = [
                o["fit_error"]
                for o in out[c * n_splits : (c + 1) * n_splits]
                if o["fit_error"] is not None
            ]
            reasons.append(_failure_reason(errors[0]) if errors else "")
        results["failure_reason"] = np.asarray(reasons, dtype=object)
        return results


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _is_int(x):
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _check_bounds(low, high, *, log):
    low, high = float(low), float(high)
    if not (np.isfinite(low) and np.isfinite(high)) or low >= high or (log and low <= 0):
        raise ValueError(
            f"Bounds must satisfy {'0 < ' if log else ''}low < high; got {low!r}, {high!r}."
        )
    return low, high


#: How many times a stage is rerun after losing a dask worker before giving up.
MAX_STAGE_RERUNS = 3


def _worker_lost(exc):
    """Whether ``exc`` is dask cancelling a call's fits because a worker died.

    Not ``KilledWorker``: dask raises it for a task that brought down
    several workers in turn, which a rerun would only repeat.
    """
    if "distributed" not in sys.modules:
        return False
    from distributed.client import FutureCancelledError

    return isinstance(exc, FutureCancelledError)


def _succeeded(results, scores):
    """Candidates whose every fold fitted and scored a finite value.

    A failed fit scores ``error_score``, which may be a finite number: the
    failure column, not the score, tells failures apart.
    """
    return np.isfinite(scores) & (np.asarray(results["failure_reason"]) == "")


def _is_categorical(space):
    return isinstance(space, (Sequence, np.ndarray)) and not isinstance(space, str)


def _sample(space, rng):
    if _is_categorical(space):
        return space[rng.randint(len(space))]
    return space.rvs(random_state=rng)


def _sample_params(spaces, rng):
    # sorted keys: the draw order, hence the result, does not depend on dict order
    return {name: _to_python(_sample(spaces[name], rng)) for name in sorted(spaces)}


def _to_python(value):
    """numpy scalars -> Python scalars, so params print and compare plainly."""
    return value.item() if isinstance(value, np.generic) else value


def _value_equal(a, b):
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # e.g. arrays compared elementwise
        return a is b


def _space_equal(a, b):
    if _is_categorical(a) and _is_categorical(b):
        return list(a) == list(b)
    ra, rb = search_range(a), search_range(b)
    return ra is not None and ra == rb or a is b


def _failure_reason(traceback_text):
    """``'ExcClass: message'`` from a formatted traceback; 'diverged: ...' for divergence."""
    lines = traceback_text.rstrip().splitlines()
    # The exception line follows the last (indented) frame line; the message
    # may span several lines.
    indented = [i for i, line in enumerate(lines) if line[:1].isspace()]
    start = indented[-1] + 1 if indented else 0
    head, _, message = "\n".join(lines[start:]).partition(":")
    exc_class = head.strip().rsplit(".", 1)[-1]
    message = message.strip()
    if exc_class == "TrainingDivergedError":
        return f"diverged: {message}"
    return f"{exc_class}: {message}" if message else exc_class
