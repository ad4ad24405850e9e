"""Weight initialization: zeros, small random numbers, LeCun normal (CS231n's Xavier), He, Glorot-uniform.

Every initializer has the signature ``init(rng, fan_in, fan_out, dtype, **kw)`` and
returns a weight matrix of shape ``(fan_in, fan_out)``. Random ones draw only from the
``np.random.RandomState`` they are given (the result of ``check_random_state``), always
in float64, and then cast to ``dtype``, so float32 and float64 fits start from the same
numbers up to rounding. ``INITIALIZERS`` maps names to functions, ``resolve_init``
turns ``'auto'`` into ``'he'`` or ``'lecun_normal'`` from the activation, and ``init_layer``
returns a layer's ``(W, b)``: biases are zero except for ``'glorot_uniform'``, which
reproduces scikit-learn's exact draw sequence (weights, then intercepts, per layer).
"""

import math

import numpy as np

from .layers import Sigmoid, activation_class

__all__ = [
    "zeros",
    "normal",
    "lecun_normal",
    "xavier",
    "he",
    "glorot_uniform",
    "glorot_uniform_bias",
    "INITIALIZERS",
    "resolve_init",
    "init_layer",
]


def zeros(rng, fan_in, fan_out, dtype, **kw):
    """All-zero weights (the lecture's "don't do this": every unit learns the same).

    Parameters
    ----------
    rng : numpy.random.RandomState
        Unused; accepted for a uniform signature.
    fan_in, fan_out : int
        Number of inputs and outputs of the layer.
    dtype : dtype
        Output dtype.
    **kw
        Ignored (e.g. ``activation``).

    Returns
    -------
    W : ndarray of shape (fan_in, fan_out)

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.initializers import zeros
    >>> zeros(np.random.RandomState(0), 2, 3, np.float32)
    array([[0., 0., 0.],
           [0., 0., 0.]], dtype=float32)
    """
    return np.zeros((fan_in, fan_out), dtype=dtype)


def normal(rng, fan_in, fan_out, dtype, scale=0.01, **kw):
    """Gaussian weights with standard deviation ``scale`` ("small random numbers").

    ``scale=0.01`` is the lecture's small random numbers (activations vanish in deep
    networks); ``scale=1.0`` is its "1.0 instead" (units saturate).

    Parameters
    ----------
    rng : numpy.random.RandomState
        Source of randomness.
    fan_in, fan_out : int
        Number of inputs and outputs of the layer.
    dtype : dtype
        Output dtype (drawn in float64, then cast).
    scale : float, default=0.01
        Standard deviation.
    **kw
        Ignored (e.g. ``activation``).

    Returns
    -------
    W : ndarray of shape (fan_in, fan_out)

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.initializers import normal
    >>> W = normal(np.random.RandomState(0), 500, 400, np.float32)
    >>> W.shape, W.dtype, round(float(W.std()), 3)
    ((500, 400), dtype('float32'), 0.01)
    """
    return _gaussian(rng, fan_in, fan_out, dtype, float(scale))


def lecun_normal(rng, fan_in, fan_out, dtype, **kw):
    """LeCun normal (LeCun et al., 1998): Gaussian with std ``1 / sqrt(fan_in)``.

    This is what CS231n calls "Xavier" (its simplified form of Glorot &
    Bengio, 2010), hence sknet's alias ``init='xavier'``. PyTorch and Keras
    call it LeCun normal; their ``xavier`` / ``glorot`` initializers use
    ``2 / (fan_in + fan_out)`` instead (scikit-learn's is ``'glorot_uniform'``).

    Parameters
    ----------
    rng : numpy.random.RandomState
        Source of randomness.
    fan_in, fan_out : int
        Number of inputs and outputs of the layer.
    dtype : dtype
        Output dtype (drawn in float64, then cast).
    **kw
        Ignored (e.g. ``activation``).

    Returns
    -------
    W : ndarray of shape (fan_in, fan_out)

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.initializers import lecun_normal
    >>> W = lecun_normal(np.random.RandomState(0), 400, 300, np.float64)
    >>> round(float(W.std() * np.sqrt(400)), 2)
    1.0
    """
    return _gaussian(rng, fan_in, fan_out, dtype, 1.0 / math.sqrt(fan_in))


#: CS231n's name for :func:`lecun_normal`.
xavier = lecun_normal


def he(rng, fan_in, fan_out, dtype, **kw):
    """He et al. 2015: Gaussian with std ``sqrt(2 / fan_in)``, for ReLU-like units.

    Parameters
    ----------
    rng : numpy.random.RandomState
        Source of randomness.
    fan_in, fan_out : int
        Number of inputs and outputs of the layer.
    dtype : dtype
        Output dtype (drawn in float64, then cast).
    **kw
        Ignored (e.g. ``activation``).

    Returns
    -------
    W : ndarray of shape (fan_in, fan_out)

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.initializers import he
    >>> W = he(np.random.RandomState(0), 400, 300, np.float64)
    >>> round(float(W.std() * np.sqrt(400 / 2)), 2)
    1.0
    """
    return _gaussian(rng, fan_in, fan_out, dtype, math.sqrt(2.0 / fan_in))


def _gaussian(rng, fan_in, fan_out, dtype, std):
    return rng.normal(0.0, std, (fan_in, fan_out)).astype(dtype, copy=False)


def _glorot_bound(fan_in, fan_out, activation):
    # scikit-learn's _init_coef: factor 2 for logistic units, 6 otherwise.
    logistic = activation is not None and activation_class(activation) is Sigmoid
    factor = 2.0 if logistic else 6.0
    return math.sqrt(factor / (fan_in + fan_out))


def glorot_uniform(rng, fan_in, fan_out, dtype, activation=None, **kw):
    """scikit-learn's default: uniform on ``[-b, b]``, ``b = sqrt(6 / (fan_in + fan_out))``.

    For ``activation='logistic'`` (or ``'sigmoid'``) ``b = sqrt(2 / (fan_in + fan_out))``.
    scikit-learn draws each layer's intercepts from the same distribution right
    after its weights; call :func:`glorot_uniform_bias` next with the same ``rng``
    (or use :func:`init_layer`) to reproduce its numbers exactly.

    Parameters
    ----------
    rng : numpy.random.RandomState
        Source of randomness.
    fan_in, fan_out : int
        Number of inputs and outputs of the layer.
    dtype : dtype
        Output dtype (drawn in float64, then cast).
    activation : str, default=None
        Hidden activation name; only ``'logistic'`` / ``'sigmoid'`` change the bound.
    **kw
        Ignored.

    Returns
    -------
    W : ndarray of shape (fan_in, fan_out)

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.initializers import glorot_uniform
    >>> W = glorot_uniform(np.random.RandomState(0), 4, 2, np.float64, activation="relu")
    >>> bool(np.abs(W).max() <= 1.0)  # sqrt(6 / 6)
    True
    """
    bound = _glorot_bound(fan_in, fan_out, activation)
    return rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype, copy=False)


def glorot_uniform_bias(rng, fan_in, fan_out, dtype, activation=None, **kw):
    """The intercepts scikit-learn draws right after :func:`glorot_uniform`'s weights.

    Parameters
    ----------
    rng : numpy.random.RandomState
        Source of randomness (the same one, just after drawing the weights).
    fan_in, fan_out : int
        Number of inputs and outputs of the layer.
    dtype : dtype
        Output dtype (drawn in float64, then cast).
    activation : str, default=None
        Hidden activation name; only ``'logistic'`` / ``'sigmoid'`` change the bound.
    **kw
        Ignored.

    Returns
    -------
    b : ndarray of shape (fan_out,)

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.initializers import glorot_uniform_bias
    >>> glorot_uniform_bias(np.random.RandomState(0), 4, 2, np.float32).shape
    (2,)
    """
    bound = _glorot_bound(fan_in, fan_out, activation)
    return rng.uniform(-bound, bound, fan_out).astype(dtype, copy=False)


INITIALIZERS = {
    "zeros": zeros,
    "normal": normal,
    "lecun_normal": lecun_normal,
    "xavier": lecun_normal,
    "he": he,
    "glorot_uniform": glorot_uniform,
}


def resolve_init(init, activation):
    """Resolve ``init='auto'`` from the activation; check any other name.

    ``'auto'`` is the activation's ``init_family`` (see
    :data:`sknet.layers.ACTIVATIONS`): ``'he'`` for the rectifiers and
    maxout, ``'lecun_normal'`` for tanh, logistic and identity.

    Parameters
    ----------
    init : str
        ``'auto'`` or a key of ``INITIALIZERS``.
    activation : str
        Hidden activation name.

    Returns
    -------
    name : str
        A key of ``INITIALIZERS``.

    Raises
    ------
    ValueError
        If ``init`` or (for ``'auto'``) ``activation`` is unknown.

    Examples
    --------
    >>> from sknet.initializers import resolve_init
    >>> resolve_init("auto", "relu"), resolve_init("auto", "tanh"), resolve_init("normal", "relu")
    ('he', 'lecun_normal', 'normal')
    """
    if init == "auto":
        return activation_class(activation).init_family
    if init not in INITIALIZERS:
        raise ValueError(
            f"Unknown init {init!r}; allowed: {['auto', *sorted(INITIALIZERS)]}."
        )
    return init


def init_layer(init, rng, fan_in, fan_out, dtype, activation=None, **kw):
    """Initial ``(W, b)`` of one dense layer.

    ``W`` comes from ``INITIALIZERS[resolve_init(init, activation)]``. ``b`` is zero,
    except for ``'glorot_uniform'`` where it is drawn right after ``W`` from the same
    ``rng`` exactly as scikit-learn's ``_init_coef`` does, so calling this for each
    layer in order reproduces scikit-learn's ``coefs_`` and ``intercepts_``.

    Parameters
    ----------
    init : str
        ``'auto'`` or a key of ``INITIALIZERS``.
    rng : numpy.random.RandomState
        Source of randomness.
    fan_in, fan_out : int
        Number of inputs and outputs of the layer.
    dtype : dtype
        Output dtype.
    activation : str, default=None
        Hidden activation name (used by ``'auto'`` and ``'glorot_uniform'``).
    **kw
        Passed to the initializer (e.g. ``scale`` for ``'normal'``).

    Returns
    -------
    W : ndarray of shape (fan_in, fan_out)
    b : ndarray of shape (fan_out,)

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.initializers import init_layer
    >>> W, b = init_layer("auto", np.random.RandomState(0), 3, 2, np.float32, "relu")
    >>> W.shape, W.dtype, b
    ((3, 2), dtype('float32'), array([0., 0.], dtype=float32))
    """
    name = resolve_init(init, activation)
    W = INITIALIZERS[name](rng, fan_in, fan_out, dtype, activation=activation, **kw)
    if name == "glorot_uniform":
        b = glorot_uniform_bias(rng, fan_in, fan_out, dtype, activation=activation)
    else:
        b = np.zeros(fan_out, dtype=dtype)
    return W, b
