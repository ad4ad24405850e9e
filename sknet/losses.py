"""Output losses with their link functions folded in.

Each loss takes raw scores ``Z`` (the last affine layer's output) and encoded
targets, and returns ``(value, dZ)``: the sample-weighted mean loss and its
gradient with respect to ``Z``. Computing the loss from the scores, rather
than from probabilities, keeps it finite for any finite score (the log of a
probability is written as a log-softmax or a softplus). ``link`` maps scores to
predictions: probabilities for the classifiers, the mean for regression.

Targets are encoded per batch by the estimator: class indices (int) for the
softmax loss, a 0/1 matrix for the sigmoid loss (binary and multilabel), and a
float matrix for the regression losses, so no one-hot matrix of the whole
training set is ever built.
"""

import numpy as np
from scipy.special import xlogy

from .ops import log_softmax, safe_exp, sigmoid, softmax, softplus

__all__ = [
    "Loss",
    "SoftmaxCrossEntropy",
    "SigmoidCrossEntropy",
    "SquaredError",
    "Huber",
    "PoissonDeviance",
    "LOSSES",
]


def _weights(n, sample_weight, dtype):
    """Per-sample weights normalized to sum to one, as a column."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=dtype)
    return (w / w.sum())[:, None]


def _identity(Z, out):
    """``Z`` itself, or copied into ``out``."""
    if out is None or out is Z:
        return Z
    np.copyto(out, Z)
    return out


def _mean(per_sample, w):
    """Weighted mean over samples of a (n,) or (n, k) array, summed over k."""
    if w is None:
        return float(per_sample.sum() / per_sample.shape[0])
    if per_sample.ndim == 1:
        return float(per_sample @ w[:, 0])
    return float((per_sample * w).sum())


def _per_sample_mean(dZ, n, w):
    """Scale per-sample gradients in place to those of the (weighted) mean."""
    if w is None:
        dZ /= n
    else:
        dZ *= w
    return dZ


class Loss:
    """Base of the output losses: a link and a loss computed from raw scores.

    Attributes
    ----------
    out_activation : str
        The link's name, as scikit-learn's ``out_activation_``.
    settings : tuple of str
        Attributes an estimator's parameters set (``label_smoothing``).
    """

    out_activation = None
    settings = ()

    def link(self, Z, out=None):
        """Predictions from raw scores.

        Parameters
        ----------
        Z : ndarray of shape (n_samples, n_outputs)
            Raw scores of the last affine layer.
        out : ndarray of shape (n_samples, n_outputs), default=None
            Where to write the predictions (may be ``Z`` itself); a new array
            (or ``Z`` itself, for the identity) if None.

        Returns
        -------
        predictions : ndarray of shape (n_samples, n_outputs)
            Probabilities (softmax, logistic) or means (identity, exp).
        """
        raise NotImplementedError

    def __call__(self, Z, target, sample_weight=None):
        """The mean loss of a batch and its gradient with respect to the scores.

        Parameters
        ----------
        Z : ndarray of shape (n_samples, n_outputs)
            Raw scores.
        target : ndarray
            Encoded targets: class indices of shape (n_samples,) for the
            softmax, a matrix of shape (n_samples, n_outputs) otherwise (see
            :func:`sknet.training.encode_target`).
        sample_weight : ndarray of shape (n_samples,), default=None
            The loss is their weighted mean.

        Returns
        -------
        value : float
            The (weighted) mean loss.
        dZ : ndarray of shape (n_samples, n_outputs)
            Its gradient with respect to ``Z`` (may reuse ``Z``'s buffers).
        """
        raise NotImplementedError


class SoftmaxCrossEntropy(Loss):
    """Multiclass log-loss ``-log softmax(z)[y]``; ``dZ = (softmax(z) - onehot(y)) / n``.

    Targets are class indices of shape (n_samples,).
    ``out_activation`` names the link as scikit-learn's ``out_activation_`` does.
    With label smoothing ``e`` (Szegedy et al., 2016) the target is
    ``(1 - e) onehot(y) + e / K`` over ``K`` classes: the loss adds ``e`` times
    the mean of ``-log softmax(z)`` over the classes.

    Parameters
    ----------
    label_smoothing : float, default=0.0
        In [0, 1).
    """

    out_activation = "softmax"
    settings = ("label_smoothing",)

    def __init__(self, label_smoothing=0.0):
        self.label_smoothing = label_smoothing

    def link(self, Z, out=None):
        return softmax(Z, out=out)

    def __call__(self, Z, y, sample_weight=None):
        n, k = Z.shape
        rows = np.arange(n)
        logp = log_softmax(Z)
        w = _weights(n, sample_weight, Z.dtype)
        e = self.label_smoothing
        if e:
            value = -_mean((1 - e) * logp[rows, y] + e * logp.mean(axis=1), w)
        else:
            value = -_mean(logp[rows, y], w)
        dZ = np.exp(logp, out=logp)
        if e:
            dZ -= Z.dtype.type(e / k)
            dZ[rows, y] -= Z.dtype.type(1 - e)
        else:
            dZ[rows, y] -= 1
        return value, _per_sample_mean(dZ, n, w)


class SigmoidCrossEntropy(Loss):
    """Binary / multilabel log-loss per output, summed over outputs.

    ``softplus(z) - y z`` is ``-y log(p) - (1 - y) log(1 - p)`` with
    ``p = sigmoid(z)``, written so it never takes ``log(0)``;
    ``dZ = (p - y) / n``. Targets are a 0/1 matrix (n_samples, n_outputs);
    label smoothing ``e`` moves them to ``y (1 - e) + e / 2``.

    Parameters
    ----------
    label_smoothing : float, default=0.0
        In [0, 1).
    """

    out_activation = "logistic"
    settings = ("label_smoothing",)

    def __init__(self, label_smoothing=0.0):
        self.label_smoothing = label_smoothing

    def link(self, Z, out=None):
        return sigmoid(Z, out=out)

    def __call__(self, Z, Y, sample_weight=None):
        n = Z.shape[0]
        Y = Y.astype(Z.dtype, copy=False)
        if self.label_smoothing:
            e = self.label_smoothing
            Y = Y * Z.dtype.type(1 - e) + Z.dtype.type(e / 2)
        w = _weights(n, sample_weight, Z.dtype)
        value = _mean(softplus(Z) - Y * Z, w)
        dZ = sigmoid(Z)
        dZ -= Y
        return value, _per_sample_mean(dZ, n, w)


class SquaredError(Loss):
    """Half squared error, averaged over samples and outputs.

    ``value = mean((z - y)^2) / 2``; ``dZ = (z - y) / (n * n_outputs)``.
    """

    out_activation = "identity"

    def link(self, Z, out=None):
        return _identity(Z, out)

    def __call__(self, Z, Y, sample_weight=None):
        n, k = Z.shape
        w = _weights(n, sample_weight, Z.dtype)
        dZ = Z - Y
        value = 0.5 * _mean(dZ * dZ, w) / k
        return value, _per_sample_mean(dZ, n * k, None if w is None else w / k)


class Huber(Loss):
    """Huber loss (Huber, 1964), averaged over samples and outputs.

    With ``r = z - y``: ``r^2 / 2`` where ``|r| <= delta``, else
    ``delta (|r| - delta / 2)``: squared error near the target, absolute error
    far from it, so outliers pull with at most ``delta``;
    ``dZ = clip(r, -delta, delta) / (n * n_outputs)``.

    Parameters
    ----------
    delta : float, default=1.0
        Where the loss turns linear (PyTorch's name), in the target's units.
    """

    out_activation = "identity"
    settings = ("delta",)

    def __init__(self, delta=1.0):
        self.delta = delta

    def link(self, Z, out=None):
        return _identity(Z, out)

    def __call__(self, Z, Y, sample_weight=None):
        n, k = Z.shape
        w = _weights(n, sample_weight, Z.dtype)
        r = Z - Y
        a = np.abs(r)
        d = Z.dtype.type(self.delta)
        per = np.where(a <= d, 0.5 * r * r, d * (a - 0.5 * d))
        value = _mean(per, w) / k
        dZ = np.clip(r, -d, d, out=r)
        return value, _per_sample_mean(dZ, n * k, None if w is None else w / k)


class PoissonDeviance(Loss):
    """Half Poisson deviance with a log link, summed over outputs.

    With ``mu = exp(z)``: ``value = mean(y log(y / mu) - y + mu)`` written as
    ``xlogy(y, y) - y z - y + exp(z)``; ``dZ = (mu - y) / n``.
    """

    out_activation = "exp"

    def link(self, Z, out=None):
        return safe_exp(Z, out=out)

    def __call__(self, Z, Y, sample_weight=None):
        n = Z.shape[0]
        w = _weights(n, sample_weight, Z.dtype)
        mu = safe_exp(Z)
        value = _mean(xlogy(Y, Y) - Y * Z - Y + mu, w)
        dZ = mu
        dZ -= Y
        return value, _per_sample_mean(dZ, n, w)


LOSSES = {
    "softmax": SoftmaxCrossEntropy,
    "logistic": SigmoidCrossEntropy,
    "identity": SquaredError,
    "exp": PoissonDeviance,
}
