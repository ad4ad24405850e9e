"""The layer contract, and the affine layer.

Every layer has one signature: ``forward(X, *, training=False,
sample_weight=None)`` returns ``Y`` and caches what ``backward`` needs;
``backward(dY)`` returns ``dX`` and assigns the gradients of its learnable
arrays. Learnable arrays live in ``params``, their gradients in ``grads`` under
the same keys, and non-learnable buffers (batch-norm running statistics) in
``state``.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.extmath import safe_sparse_dot

__all__ = ["Layer", "Dense"]


class Layer:
    """Base class: no parameters, no state; subclasses set what they own."""

    #: True for layers whose ``W`` takes the L2 penalty.
    has_weights = False
    #: Names of the scalar attributes an estimator's hyperparameters set (a
    #: leaky slope, a batch-norm momentum, ...); they may change between two
    #: calls to ``fit`` without changing the network's shape.
    settings = ()

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.state = {}

    def forward(self, X, *, training=False, sample_weight=None):
        """The layer's output for ``X``.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_in)
            Inputs (sparse only for a first :class:`Dense` layer).
        training : bool, default=False
            Training mode: cache what :meth:`backward` needs, use batch
            statistics and dropout masks.
        sample_weight : ndarray of shape (n_samples,), default=None
            Only :class:`~sknet.layers.BatchNorm` reads it.

        Returns
        -------
        Y : ndarray of shape (n_samples, n_out)
            In training mode, valid until the next training pass.
        """
        raise NotImplementedError

    def backward(self, dY):
        """Backpropagate through the last training :meth:`forward`.

        Assigns the gradient of every learnable array to ``grads``.

        Parameters
        ----------
        dY : ndarray of shape (n_samples, n_out)
            Gradient of the loss with respect to the output.

        Returns
        -------
        dX : ndarray of shape (n_samples, n_in)
            Gradient with respect to the input (None for a first layer that
            skips it).
        """
        raise NotImplementedError

    def _grad(self, key):
        """The array that receives the gradient of ``params[key]``, written in place.

        A :class:`~sknet.network.Network` points it into its one flat gradient
        buffer; a layer used on its own allocates it on first use.
        """
        grad = self.grads.get(key)
        param = self.params[key]
        if grad is None or grad.shape != param.shape or grad.dtype != param.dtype:
            grad = self.grads[key] = np.empty_like(param)
        return grad

    def _buffer(self, name, shape, dtype):
        """A reusable output array, reallocated only when shape or dtype change."""
        key = "_cache_buf_" + name
        buf = getattr(self, key, None)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = np.empty(shape, dtype=dtype)
            setattr(self, key, buf)
        return buf

    def clear_cache(self):
        """Drop the arrays cached by the last forward pass (saves memory)."""
        for key in [k for k in vars(self) if k.startswith("_cache")]:
            setattr(self, key, None)

    def __repr__(self):
        return f"{type(self).__name__}()"

    def __getstate__(self):
        # Caches are large and meaningless outside one forward/backward pair.
        state = self.__dict__.copy()
        for key in list(state):
            if key.startswith("_cache"):
                state[key] = None
        return state


class Dense(Layer):
    """Affine layer ``Y = X @ W + b``.

    ``X`` may be a scipy sparse matrix (the first layer multiplies it directly,
    never densifying it). When ``input_grad=False`` the backward pass skips
    ``dX`` (the first layer does not need it).

    Parameters
    ----------
    W : ndarray of shape (n_in, n_out)
    b : ndarray of shape (n_out,)
    input_grad : bool, default=True
    """

    has_weights = True

    def __init__(self, W, b, *, input_grad=True):
        super().__init__()
        self.params = {"W": W, "b": b}
        self.input_grad = input_grad
        self._cache_X = None

    def forward(self, X, *, training=False, sample_weight=None):
        W, b = self.params["W"], self.params["b"]
        if not training:
            Y = safe_sparse_dot(X, W)
            Y += b
            return Y
        self._cache_X = X
        if sp.issparse(X):
            Y = safe_sparse_dot(X, W)
        else:
            Y = np.matmul(X, W, out=self._buffer("Y", (X.shape[0], W.shape[1]), W.dtype))
        Y += b
        return Y

    def backward(self, dY):
        X, W = self._cache_X, self.params["W"]
        if sp.issparse(X):
            self._grad("W")[...] = safe_sparse_dot(X.T, dY)
        else:
            np.matmul(X.T, dY, out=self._grad("W"))
        np.add.reduce(dY, axis=0, out=self._grad("b"))
        if self.input_grad:
            return np.matmul(dY, W.T, out=self._buffer("dX", (dY.shape[0], W.shape[0]), W.dtype))
        return None

    def __repr__(self):
        n_in, n_out = self.params["W"].shape
        return f"Dense({n_in}, {n_out})"
