"""Layers of the network engine: each a forward / backward pair.

Every layer has one signature: ``forward(X, *, training=False,
sample_weight=None)`` returns ``Y`` and caches what ``backward`` needs;
``backward(dY)`` returns ``dX`` and assigns the gradients of its learnable
arrays. Learnable arrays live in ``params``, their gradients in ``grads`` under
the same keys, and non-learnable buffers (batch-norm running statistics) in
``state``. ``sample_weight`` only matters to :class:`BatchNorm`, whose batch
statistics are weighted; other layers ignore it.

Speed: in training mode the layers write into buffers they allocate once and
reuse for every batch of the same size, and activations built with
``inplace=True`` (as :func:`sknet.network.build_network` does, where the input
is the previous layer's own output) overwrite their input. Arrays returned by a
training pass are therefore valid until the next training pass: copy them to
keep them.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.extmath import safe_sparse_dot

from .ops import indicators, select, sigmoid

__all__ = [
    "ACTIVATIONS",
    "ELU",
    "BatchNorm",
    "Dense",
    "Dropout",
    "Identity",
    "Layer",
    "LeakyReLU",
    "Maxout",
    "PReLU",
    "ReLU",
    "Sigmoid",
    "Tanh",
]


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
        raise NotImplementedError

    def backward(self, dY):
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


class _Elementwise(Layer):
    """An activation applied elementwise.

    With ``inplace=True`` the forward pass overwrites its input and the
    backward pass its upstream gradient, saving a pass over memory each;
    only safe where nothing else holds those arrays (in a network, the output
    of the preceding affine or batch-norm layer).
    """

    def __init__(self, *, inplace=False):
        super().__init__()
        self.inplace = inplace

    def _out(self, X, training):
        return X if self.inplace else None

    def _grad_out(self, dY):
        return dY if self.inplace else None

    def _array(self, name, X, training):
        # Training reuses one buffer per name (batches keep their shape);
        # prediction, whose inputs can be large, takes a fresh array.
        if training:
            return self._buffer(name, X.shape, X.dtype)
        return np.empty_like(X)

    def _zeros(self, X, training):
        """Zeros to compare ``X`` with: ``np.maximum(X, zeros)`` is ``max(X, 0)``.

        numpy's maximum and minimum against an array run their vectorized
        loop; against the scalar 0 they are several times slower. Training
        keeps a zero array of the batch's shape; prediction broadcasts a row.
        """
        if not training:
            return np.zeros(X.shape[1:], dtype=X.dtype)
        zeros = getattr(self, "_cache_zeros", None)
        if zeros is None or zeros.shape != X.shape or zeros.dtype != X.dtype:
            zeros = self._cache_zeros = np.zeros_like(X)
        return zeros

    def _indicators(self, X, training, *, neg=True):
        """:func:`~sknet.ops.indicators` of ``X > 0``, in reused buffers when training."""
        if not training:
            return indicators(X, with_neg=neg)
        return indicators(
            X,
            pos=self._array("pos", X, training),
            neg=self._array("neg", X, training) if neg else None,
            mask=self._buffer("mask", X.shape, bool),
            with_neg=neg,
        )


class Identity(_Elementwise):
    """``f(x) = x``."""

    def forward(self, X, *, training=False, sample_weight=None):
        return X

    def backward(self, dY):
        return dY


class Sigmoid(_Elementwise):
    """Logistic sigmoid ``1 / (1 + exp(-x))`` (:func:`~sknet.ops.sigmoid`); ``f' = f (1 - f)``."""

    def forward(self, X, *, training=False, sample_weight=None):
        work = None
        if training:
            work = (
                *(self._array(name, X, training) for name in ("t", "pos", "neg")),
                self._buffer("mask", X.shape, bool),
            )
        Y = sigmoid(X, out=self._out(X, training), work=work)
        if training:
            self._cache_Y = Y
        return Y

    def backward(self, dY):
        Y = self._cache_Y
        dX = np.multiply(dY, Y, out=self._grad_out(dY))
        one_minus = np.subtract(Y.dtype.type(1), Y, out=self._buffer("one_minus", Y.shape, Y.dtype))
        dX *= one_minus
        return dX


class Tanh(_Elementwise):
    """Hyperbolic tangent; ``f' = 1 - f^2``."""

    def forward(self, X, *, training=False, sample_weight=None):
        Y = np.tanh(X, out=self._out(X, training))
        if training:
            self._cache_Y = Y
        return Y

    def backward(self, dY):
        Y = self._cache_Y
        return np.multiply(dY, 1 - Y * Y, out=self._grad_out(dY))


class ReLU(_Elementwise):
    """``max(0, x)``; the gradient passes where the output is positive."""

    def forward(self, X, *, training=False, sample_weight=None):
        Y = np.maximum(X, self._zeros(X, training), out=self._out(X, training))
        if training:
            self._cache_Y = Y
        return Y

    def backward(self, dY):
        pos, _ = self._indicators(self._cache_Y, training=True, neg=False)
        return np.multiply(dY, pos, out=self._grad_out(dY))


class LeakyReLU(_Elementwise):
    """``x`` for ``x > 0``, ``slope * x`` otherwise.

    The forward pass caches the derivative (1 or ``slope``) once, so the
    backward pass is a single multiplication.

    Parameters
    ----------
    slope : float, default=0.01
    """

    settings = ("slope",)

    def __init__(self, slope=0.01, *, inplace=False):
        super().__init__(inplace=inplace)
        self.slope = slope

    def forward(self, X, *, training=False, sample_weight=None):
        pos, neg = self._indicators(X, training)
        factor = select(pos, neg, X.dtype.type(self.slope), out=neg)
        if training:
            self._cache_factor = factor
        return np.multiply(X, factor, out=self._out(X, training))

    def backward(self, dY):
        return np.multiply(dY, self._cache_factor, out=self._grad_out(dY))

    def __repr__(self):
        return f"LeakyReLU(slope={self.slope})"


class PReLU(_Elementwise):
    """Leaky ReLU whose slope is learned, one per unit (He et al., 2015).

    ``f(x) = x`` for ``x > 0``, ``a * x`` otherwise, with
    ``df/da = min(x, 0)`` summed over the batch.

    Parameters
    ----------
    slope : ndarray of shape (n_units,)
        Initial slopes (the usual start is 0.25).
    """

    def __init__(self, slope, *, inplace=False):
        super().__init__(inplace=inplace)
        self.params = {"slope": slope}

    def forward(self, X, *, training=False, sample_weight=None):
        pos, neg = self._indicators(X, training)
        if training:
            # min(X, 0), for the slope's gradient.
            self._cache_negative = np.minimum(
                X, self._zeros(X, training), out=self._array("negative", X, training)
            )
        factor = select(pos, neg, self.params["slope"], out=neg)
        if training:
            self._cache_factor = factor
        return np.multiply(X, factor, out=self._out(X, training))

    def backward(self, dY):
        np.einsum("ij,ij->j", dY, self._cache_negative, out=self._grad("slope"))
        return np.multiply(dY, self._cache_factor, out=self._grad_out(dY))

    def __repr__(self):
        return f"PReLU({self.params['slope'].shape[0]})"


class ELU(_Elementwise):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    The derivative is 1 for ``x > 0`` and ``alpha * exp(x)`` otherwise; the
    forward pass caches it.

    Parameters
    ----------
    alpha : float, default=1.0
    """

    settings = ("alpha",)

    def __init__(self, alpha=1.0, *, inplace=False):
        super().__init__(inplace=inplace)
        self.alpha = alpha

    def forward(self, X, *, training=False, sample_weight=None):
        alpha = X.dtype.type(self.alpha)
        # expm1 of min(x, 0) never overflows and keeps precision near 0.
        zeros = self._zeros(X, training)
        negative = np.minimum(X, zeros, out=self._array("negative", X, training))
        np.expm1(negative, out=negative)
        negative *= alpha  # alpha * (exp(x) - 1) below 0, exactly 0 above
        if training:
            # 1 above 0; below, alpha * exp(x), which is negative + alpha.
            pos, neg = self._indicators(X, training)
            below = np.add(negative, alpha, out=self._array("derivative", X, training))
            self._cache_derivative = select(pos, neg, below, out=below)
        Y = np.maximum(X, zeros, out=self._out(X, training))
        Y += negative
        return Y

    def backward(self, dY):
        return np.multiply(dY, self._cache_derivative, out=self._grad_out(dY))

    def __repr__(self):
        return f"ELU(alpha={self.alpha})"


class Maxout(Layer):
    """Maximum over ``k`` affine pieces per unit (Goodfellow et al., 2013).

    The preceding :class:`Dense` layer produces ``n_units * k`` columns; unit
    ``j`` takes the maximum of columns ``j*k .. j*k + k - 1``. The gradient
    flows only to the winning piece.

    Parameters
    ----------
    k : int, default=2
    """

    def __init__(self, k=2):
        super().__init__()
        self.k = k

    def forward(self, X, *, training=False, sample_weight=None):
        n, width = X.shape
        pieces = X.reshape(n, width // self.k, self.k)
        winner = pieces.argmax(axis=2)
        Y = np.take_along_axis(pieces, winner[..., None], axis=2)[..., 0]
        if training:
            self._cache_winner = winner
        return Y

    def backward(self, dY):
        winner = self._cache_winner
        n, units = dY.shape
        dX = np.zeros((n, units, self.k), dtype=dY.dtype)
        np.put_along_axis(dX, winner[..., None], dY[..., None], axis=2)
        return dX.reshape(n, units * self.k)

    def __repr__(self):
        return f"Maxout(k={self.k})"


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
    """

    settings = ("momentum", "epsilon")

    def __init__(self, n_features, dtype, *, momentum=0.9, epsilon=1e-5):
        super().__init__()
        self.momentum = momentum
        self.epsilon = epsilon
        self.params = {
            "gamma": np.ones(n_features, dtype=dtype),
            "beta": np.zeros(n_features, dtype=dtype),
        }
        self.state = {
            "running_mean": np.zeros(n_features, dtype=dtype),
            "running_var": np.ones(n_features, dtype=dtype),
        }

    def forward(self, X, *, training=False, sample_weight=None):
        gamma, beta = self.params["gamma"], self.params["beta"]
        if not training:
            mean, var = self.state["running_mean"], self.state["running_var"]
            scale = gamma / np.sqrt(var + self.epsilon)
            return (X - mean) * scale + beta
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
            mean = np.add.reduce(X, axis=0)
            mean *= inv_n
            np.subtract(X, mean, out=centred)
            var = np.einsum("ij,ij->j", centred, centred)
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
        Y = np.multiply(centred, gamma * inv_std, out=self._buffer("Y", X.shape, X.dtype))
        Y += beta
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
        Y = np.multiply(
            centred, self.params["gamma"] * inv_std, out=self._buffer("Y", X.shape, X.dtype)
        )
        Y += self.params["beta"]
        return Y

    def backward(self, dY):
        # dx = gamma / std * (dY - s * dbeta - s * x_hat * dgamma), the closed
        # form above with sum(dx_hat) = gamma * dbeta,
        # sum(dx_hat * x_hat) = gamma * dgamma and x_hat = centred / std.
        centred, inv_std, s = self._cache_buf_centred, self._cache_inv_std, self._cache_s
        dgamma = np.einsum("ij,ij->j", dY, centred, out=self._grad("gamma"))
        dgamma *= inv_std
        dbeta = np.add.reduce(dY, axis=0, out=self._grad("beta"))
        dX = self._buffer("dX", dY.shape, dY.dtype)
        if self._cache_fixed:
            # Normalized by constants: the map is affine, dx = gamma / std * dY.
            return np.multiply(dY, self.params["gamma"] * inv_std, out=dX)
        if s is None:
            scale = dY.dtype.type(1.0 / dY.shape[0])
            np.multiply(centred, dgamma * inv_std * scale, out=dX)
            dX += dbeta * scale
        else:
            np.multiply(centred, dgamma * inv_std, out=dX)
            dX += dbeta
            dX *= s[:, None]
        np.subtract(dY, dX, out=dX)
        dX *= self.params["gamma"] * inv_std
        return dX

    def __repr__(self):
        return f"BatchNorm({self.params['gamma'].shape[0]}, momentum={self.momentum})"


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability ``rate``
    and scale the survivors by ``1 / (1 - rate)``; identity at prediction.

    Parameters
    ----------
    rate : float
        Probability of dropping a unit, in [0, 1).
    random_state : numpy.random.RandomState
        Source of the masks (the estimator's generator).
    """

    settings = ("rate",)

    def __init__(self, rate, random_state):
        super().__init__()
        self.rate = rate
        self.random_state = random_state

    def forward(self, X, *, training=False, sample_weight=None):
        if not training or self.rate == 0:
            self._cache_mask = None
            return X
        keep = self.random_state.random_sample(X.shape) >= self.rate
        mask = keep.astype(X.dtype) / X.dtype.type(1.0 - self.rate)
        self._cache_mask = mask
        return X * mask

    def backward(self, dY):
        if self._cache_mask is None:
            return dY
        return dY * self._cache_mask

    def __repr__(self):
        return f"Dropout(rate={self.rate})"


#: Activation name -> factory ``(n_units, dtype, options) -> Layer``; the
#: options are the estimator's activation parameters plus ``inplace``.
ACTIVATIONS = {
    "identity": lambda n_units, dtype, opts: Identity(),
    "logistic": lambda n_units, dtype, opts: Sigmoid(inplace=opts["inplace"]),
    "sigmoid": lambda n_units, dtype, opts: Sigmoid(inplace=opts["inplace"]),
    "tanh": lambda n_units, dtype, opts: Tanh(inplace=opts["inplace"]),
    "relu": lambda n_units, dtype, opts: ReLU(inplace=opts["inplace"]),
    "leaky_relu": lambda n_units, dtype, opts: LeakyReLU(
        opts["leaky_relu_slope"], inplace=opts["inplace"]
    ),
    "prelu": lambda n_units, dtype, opts: PReLU(
        np.full(n_units, opts["prelu_init"], dtype=dtype), inplace=opts["inplace"]
    ),
    "elu": lambda n_units, dtype, opts: ELU(opts["elu_alpha"], inplace=opts["inplace"]),
    "maxout": lambda n_units, dtype, opts: Maxout(opts["maxout_pieces"]),
}
