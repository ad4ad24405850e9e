"""Search spaces on a log scale and the rule that narrows them.

The distributions a search samples from (:func:`log_uniform`,
:class:`LogUniformInt`, :class:`HiddenLayerSizes`), :func:`search_range` and
:class:`SearchRange` which read the bounds and scale of a space,
:func:`narrow_distribution` which narrows a space around the previous stage's
winners, and :func:`mlp_search_space`, a starting space for sknet's MLPs.
"""

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats
from sklearn.utils import check_random_state

from ..layers import ACTIVATIONS

__all__ = [
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


def narrow_distribution(dist, winners, *, original=None, margin=0.1, tried=None):
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
      and those no candidate of the previous stage tried (``tried``: nothing
      speaks against them yet), in their original order.
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
    tried : sequence or None, default=None
        The values of this parameter in every candidate of the previous
        stage, winners or not. A categorical choice absent from it is kept:
        a small stage (3 candidates of 4 activations) must not drop a choice
        it never tried. None counts every choice as tried.

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
    >>> narrow_distribution(["relu", "tanh", "elu"], ["elu"], tried=["elu", "tanh"])
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
            dist.depth, [len(t) for t in winners], original=orig.depth, margin=margin,
            tried=None if tried is None else [len(t) for t in tried],
        )
        return HiddenLayerSizes(width, depth)
    if _is_categorical(dist):
        def kept(choice):
            if any(_value_equal(choice, w) for w in winners):
                return True
            return tried is not None and not any(_value_equal(choice, t) for t in tried)

        return [c for c in dist if kept(c)]
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


def _is_categorical(space):
    return isinstance(space, (Sequence, np.ndarray)) and not isinstance(space, str)


def _sample(space, rng):
    if _is_categorical(space):
        return space[rng.randint(len(space))]
    return space.rvs(random_state=rng)


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
