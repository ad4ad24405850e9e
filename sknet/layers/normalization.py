"""Batch normalization (Ioffe & Szegedy, 2015)."""

import numpy as np

from .. import _jit
from .base import Layer

__all__ = ["BatchNorm"]


class BatchNorm(Layer):
    """Batch normalization (Ioffe & Szegedy, 2015) over the feature axis.

    Training: ``x_hat = (x - mu_B) / sqrt(var_B + eps)`` with the batch's
    (sample-weighted) mean and biased variance, output ``gamma * x_hat + beta``,
    and running statistics updated as
    ``running = momentum * running + (1 - momentum) * batch``. Prediction uses
    the running statistics. The backward pass is the closed form

    ``dx = (dx_hat - s * sum(dx_hat) - s * x_hat * sum(dx_hat * x_hat)) / std``

    where ``s`` are the normalized sample weights (``1 / n`` without weights).

    A training batch with fewer than two rows of positive weight has no
    variance: its ``x_hat`` would be 0 (nothing learnt) and the running
    variance would decay toward 0 (predictions ruined). Such a batch is
    normalized with the running statistics instead, which it leaves
    unchanged; the gradient then flows through that fixed affine map.

    Parameters
    ----------
    n_features : int
    dtype : dtype
    momentum : float, default=0.9
    epsilon : float, default=1e-5
    inplace : bool, default=False
        Normalize the input in place in evaluation mode (a network sets it:
        its batch-norm input is the affine layer's own output).

    Notes
    -----
    ``forward(X, ..., relu=True)`` returns ``max(0, y)`` instead of ``y``,
    and the next ``backward`` then takes the gradient with respect to that
    rectified output. A :class:`~sknet.network.Network` uses it to fuse a
    batch norm with the :class:`~sknet.layers.ReLU` after it: with the
    compiled kernels (:mod:`sknet._jit`) the rectification rides on the
    scale-and-shift pass and the ReLU's gradient on the two backward passes,
    which saves the ReLU's own passes over the batch (one forward; the
    comparison, the indicator and the product backward). The results are
    bitwise those of the two layers one after the other.
    """

    settings = ("momentum", "epsilon")
    #: Class default, for networks pickled before the option existed.
    inplace = False
    #: Whether the last training pass was rectified (``forward(..., relu=True)``).
    _cache_relu = False

    def __init__(self, n_features, dtype, *, momentum=0.9, epsilon=1e-5, inplace=False):
        super().__init__()
        self.momentum = momentum
        self.epsilon = epsilon
        self.inplace = inplace
        self.params = {
            "gamma": np.ones(n_features, dtype=dtype),
            "beta": np.zeros(n_features, dtype=dtype),
        }
        self.state = {
            "running_mean": np.zeros(n_features, dtype=dtype),
            "running_var": np.ones(n_features, dtype=dtype),
        }

    def forward(self, X, *, training=False, sample_weight=None, relu=False):
        """The normalized output, rectified when ``relu``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Inputs (overwritten in evaluation mode when ``inplace``).
        training : bool, default=False
            Normalize by the batch's statistics and update the running ones
            (see the class doc), caching what :meth:`backward` needs;
            otherwise normalize by the running statistics.
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the batch statistics.
        relu : bool, default=False
            Return ``max(0, y)``; the next :meth:`backward` then takes the
            gradient with respect to that output (see the Notes).

        Returns
        -------
        Y : ndarray of shape (n_samples, n_features)
            In training mode, a buffer valid until the next training pass.
        """
        gamma, beta = self.params["gamma"], self.params["beta"]
        if not training:
            mean, var = self.state["running_mean"], self.state["running_var"]
            scale = gamma / np.sqrt(var + self.epsilon)
            Y = np.subtract(X, mean, out=X if self.inplace else None)
            Y *= scale
            Y += beta
            if relu:
                np.maximum(Y, Y.dtype.type(0), out=Y)
            return Y
        self._cache_relu = relu
        n_rows = X.shape[0] if sample_weight is None else np.count_nonzero(sample_weight)
        if n_rows < 2:
            return self._forward_with_running_statistics(X)
        dtype = X.dtype.type
        # Only the centred input is stored: x_hat = centred * inv_std never
        # needs its own pass (each broadcast pass over a batch costs about
        # twice a plain one), the scale folds into gamma.
        centred = self._buffer("centred", X.shape, X.dtype)
        if sample_weight is None:
            s = None
            inv_n = dtype(1.0 / X.shape[0])
            mean, var = np.empty_like(gamma), np.empty_like(gamma)
            if not (_sums_in_row_order(X) and _jit.run(
                "bn_statistics", (X, mean, centred, var), (inv_n,)
            )):
                np.add.reduce(X, axis=0, out=mean)
                mean *= inv_n
                np.subtract(X, mean, out=centred)
                np.einsum("ij,ij->j", centred, centred, out=var)
                var *= inv_n
        else:
            s = (sample_weight / sample_weight.sum()).astype(X.dtype, copy=False)
            mean = s @ X
            np.subtract(X, mean, out=centred)
            var = np.einsum("i,ij,ij->j", s, centred, centred)
        inv_std = var + dtype(self.epsilon)
        np.sqrt(inv_std, out=inv_std)
        np.divide(dtype(1), inv_std, out=inv_std)
        # running = m * running + (1 - m) * batch, as running += (1 - m) * (batch - running)
        c = dtype(1 - self.momentum)
        for running, batch in ((self.state["running_mean"], mean), (self.state["running_var"], var)):
            batch -= running
            batch *= c
            running += batch
        self._cache_inv_std = inv_std
        self._cache_s = s
        self._cache_fixed = False
        return self._scale_shift(centred, gamma * inv_std, beta)

    def _scale_shift(self, centred, scale, shift):
        """``centred * scale + shift``, rectified if asked, into the output buffer.

        One fused pass if compiled.
        """
        Y = self._buffer("Y", centred.shape, centred.dtype)
        if self._cache_relu:
            if not _jit.run("bn_scale_shift_relu", (centred, scale, shift, Y), (0.0,)):
                np.multiply(centred, scale, out=Y)
                Y += shift
                np.maximum(Y, Y.dtype.type(0), out=Y)
        elif not _jit.run("bn_scale_shift", (centred, scale, shift, Y), ()):
            np.multiply(centred, scale, out=Y)
            Y += shift
        return Y

    def _forward_with_running_statistics(self, X):
        """Training pass of a batch without statistics of its own (see the class doc)."""
        dtype = X.dtype.type
        centred = np.subtract(
            X, self.state["running_mean"], out=self._buffer("centred", X.shape, X.dtype)
        )
        inv_std = np.sqrt(self.state["running_var"] + dtype(self.epsilon))
        np.divide(dtype(1), inv_std, out=inv_std)
        self._cache_inv_std = inv_std
        self._cache_s = None
        self._cache_fixed = True
        return self._scale_shift(centred, self.params["gamma"] * inv_std, self.params["beta"])

    def backward(self, dY):
        # dx = gamma / std * (dY - s * dbeta - s * x_hat * dgamma), the closed
        # form above with sum(dx_hat) = gamma * dbeta,
        # sum(dx_hat * x_hat) = gamma * dgamma and x_hat = centred / std.
        centred, inv_std, s = self._cache_buf_centred, self._cache_inv_std, self._cache_s
        dgamma, dbeta = self._grad("gamma"), self._grad("beta")
        # After a rectified forward pass, the ReLU's gradient is taken inside
        # the compiled passes (fused) or first, by itself (_relu_gradient).
        fused = (
            self._cache_relu
            and s is None
            and not self._cache_fixed
            and _sums_in_row_order(dY)
            and _jit.run(
                "bn_gradient_sums_relu",
                (dY, self._cache_buf_Y, centred, dgamma, dbeta),
                (1.0, 0.0),
            )
        )
        if not fused:
            if self._cache_relu:
                dY = self._relu_gradient(dY)
            if not (_sums_in_row_order(dY) and _jit.run(
                "bn_gradient_sums", (dY, centred, dgamma, dbeta), ()
            )):
                np.einsum("ij,ij->j", dY, centred, out=dgamma)
                np.add.reduce(dY, axis=0, out=dbeta)
        dgamma *= inv_std
        dX = self._buffer("dX", dY.shape, dY.dtype)
        k3 = self.params["gamma"] * inv_std
        if self._cache_fixed:
            # Normalized by constants: the map is affine, dx = gamma / std * dY.
            return np.multiply(dY, k3, out=dX)
        if s is None:
            scale = dY.dtype.type(1.0 / dY.shape[0])
            k1, k2 = dgamma * inv_std * scale, dbeta * scale
            if fused:
                if _jit.run(
                    "bn_input_gradient_relu",
                    (dY, self._cache_buf_Y, centred, k1, k2, k3, dX),
                    (1.0, 0.0),
                ):
                    return dX
                dY = self._relu_gradient(dY)  # the kernels were given up in between
            elif _jit.run("bn_input_gradient", (dY, centred, k1, k2, k3, dX), ()):
                return dX
            np.multiply(centred, k1, out=dX)
            dX += k2
        else:
            np.multiply(centred, dgamma * inv_std, out=dX)
            dX += dbeta
            dX *= s[:, None]
        np.subtract(dY, dX, out=dX)
        dX *= k3
        return dX

    def _relu_gradient(self, dY):
        """``dY`` times exactly 1 where the rectified output is positive, else 0.

        The :class:`~sknet.layers.ReLU`'s backward pass, in a buffer of its own.
        """
        return np.multiply(dY, self._cache_buf_Y > 0, out=self._buffer("dY_relu", dY.shape, dY.dtype))

    def __repr__(self):
        return f"BatchNorm({self.params['gamma'].shape[0]}, momentum={self.momentum})"


def _sums_in_row_order(X):
    """Whether numpy sums the columns of ``X`` row after row, as the kernels do.

    With a single column the sum over the rows runs along contiguous memory,
    where numpy sums pairwise: the compiled kernels would then round
    differently, so that case keeps the numpy form.
    """
    return X.shape[1] > 1
