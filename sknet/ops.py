"""Numerically stable elementwise math shared by layers and losses.

Pure functions on numpy arrays: the sigmoid, softplus, softmax and
log-softmax written so that scores of magnitude 1e3 (or more) give finite,
accurate results in float32 and float64. Nothing here allocates more than its
output; functions taking ``out`` may be called in place.
"""

import numpy as np
from scipy.special import expit

__all__ = ["sigmoid", "softplus", "softmax", "log_softmax", "safe_exp"]


def sigmoid(z, out=None):
    """Logistic sigmoid ``1 / (1 + exp(-z))``, stable for any finite ``z``.

    Parameters
    ----------
    z : ndarray
        Input scores.
    out : ndarray, default=None
        Where to write the result (may be ``z`` itself).

    Returns
    -------
    ndarray
        Values in [0, 1], same dtype as ``z``.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.ops import sigmoid
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    return expit(z, out=out)


def softplus(z):
    """``log(1 + exp(z))`` without overflow (``logaddexp(0, z)``).

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.ops import softplus
    >>> softplus(np.array([-1000.0, 0.0, 1000.0]))
    array([0.00000000e+00, 6.93147181e-01, 1.00000000e+03])
    """
    return np.logaddexp(0, z)


def log_softmax(z):
    """Row-wise ``log(softmax(z))``, computed as ``z - max - log(sum(exp(z - max)))``.

    Parameters
    ----------
    z : ndarray of shape (n_samples, n_classes)

    Returns
    -------
    ndarray of shape (n_samples, n_classes)

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.ops import log_softmax
    >>> np.round(log_softmax(np.array([[1000.0, 0.0]])), 3)
    array([[    0., -1000.]])
    """
    shifted = z - z.max(axis=1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return shifted


def softmax(z, out=None):
    """Row-wise softmax; subtracts each row's maximum before exponentiating.

    Parameters
    ----------
    z : ndarray of shape (n_samples, n_classes)
    out : ndarray, default=None
        Where to write the result (may be ``z`` itself).

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        Rows sum to one.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.ops import softmax
    >>> softmax(np.array([[1000.0, 1000.0, -1000.0]]))
    array([[0.5, 0.5, 0. ]])
    """
    if out is None:
        out = np.empty_like(z)
    np.subtract(z, z.max(axis=1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


def safe_exp(z, out=None):
    """``exp(z)`` with ``z`` clipped to the dtype's largest finite result.

    Used by the Poisson output link, where an overflow to ``inf`` would turn
    one extreme score into a NaN gradient.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.ops import safe_exp
    >>> bool(np.isfinite(safe_exp(np.array([1e4]))).all())
    True
    """
    # One below log(max): the rounded bound itself can overflow in float32.
    upper = np.log(np.finfo(np.result_type(z, np.float32)).max) - 1.0
    out = np.clip(z, None, upper, out=out)
    return np.exp(out, out=out)
