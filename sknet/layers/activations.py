"""Activation layers, and the table that names them for the estimators.

Each activation class describes itself: ``name`` is the estimator's name for it
(``activation='leaky_relu'``), ``init_family`` the initialization ``init='auto'``
gives the layers before it, ``rectifier`` whether its units can die (the
statistics count them), ``saturated`` which outputs sit where the gradient
vanishes, and ``build`` makes the layer from the estimator's options.
:data:`ACTIVATIONS` lists them: adding an activation is one class and one entry
there, and parameter validation, 'auto' initialization, statistics, advice,
plots and the default search space read it from there.
"""

import numpy as np
from scipy.special import ndtr

from ..ops import indicators, select, sigmoid
from .base import Layer

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_ALIASES",
    "Activation",
    "activation_class",
    "ELU",
    "GELU",
    "Identity",
    "LeakyReLU",
    "Maxout",
    "PReLU",
    "ReLU",
    "SiLU",
    "Sigmoid",
    "Tanh",
]


class Activation:
    """What an activation class says about itself (a mixin of the activation layers).

    Attributes
    ----------
    name : str
        The estimator's name for it (``activation=name``).
    init_family : {'he', 'lecun_normal'}
        What ``init='auto'`` gives the affine layer before it: He's factor 2
        makes up for a rectifier's half-silent output.
    rectifier : bool
        Whether its units can die (stay non-positive on every input): the
        layer statistics count such units and the advice names them.
    searched : bool
        Whether :func:`sknet.model_selection.mlp_search_space` tries it by
        default.
    formula : str
        ``f(x)``, for the documentation.
    """

    name = None
    init_family = "lecun_normal"
    rectifier = False
    searched = False
    formula = ""

    @classmethod
    def build(cls, n_units, dtype, options):
        """The layer of a hidden block of ``n_units`` units.

        Parameters
        ----------
        n_units : int
        dtype : dtype
        options : dict
            The estimator's activation parameters (``leaky_relu_slope``,
            ``prelu_init``, ``elu_alpha``, ``maxout_pieces``) and ``inplace``.

        Returns
        -------
        Layer
        """
        return cls(inplace=options["inplace"])

    @classmethod
    def pieces(cls, options):
        """Columns the affine layer before it gives each unit (maxout's ``k``).

        Parameters
        ----------
        options : dict
            The estimator's activation parameters.

        Returns
        -------
        pieces : int
        """
        return 1

    def saturated(self, Y):
        """Which outputs sit where the gradient vanishes.

        Parameters
        ----------
        Y : ndarray of shape (n_samples, n_units)
            The layer's outputs.

        Returns
        -------
        mask : ndarray of bool of the shape of ``Y``, or None
            None for an activation without such a region.
        """
        return None

    #: ``kink(X)``: which linear piece each input is on, for a piecewise-linear
    #: activation (the gradient check watches it); None for smooth ones.
    kink = None


def _sign_pieces(self, X):
    """Which linear piece each input of a rectifier is on.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_units)
        The layer's inputs.

    Returns
    -------
    pieces : ndarray of bool of the shape of ``X``
        True above 0.
    """
    return X > 0


class _Elementwise(Activation, Layer):
    """An activation applied elementwise (output shape = input shape).

    With ``inplace=True`` the forward pass overwrites its input and the
    backward pass its upstream gradient, saving a pass over memory each;
    only safe where nothing else holds those arrays (in a network, the output
    of the preceding affine or batch-norm layer).

    Parameters
    ----------
    inplace : bool, default=False
        Overwrite the input and the upstream gradient.
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
    """``f(x) = x``.

    Parameters
    ----------
    inplace : bool, default=False
        Overwrite the input in ``forward`` and the upstream gradient in
        ``backward`` (see ``_Elementwise``).
    """

    name = "identity"
    formula = "x"

    @classmethod
    def build(cls, n_units, dtype, options):
        return cls()

    def forward(self, X, *, training=False, sample_weight=None):
        return X

    def backward(self, dY):
        return dY


class Sigmoid(_Elementwise):
    """Logistic sigmoid ``1 / (1 + exp(-x))`` (:func:`~sknet.ops.sigmoid`); ``f' = f (1 - f)``.

    Parameters
    ----------
    inplace : bool, default=False
        Overwrite the input in ``forward`` and the upstream gradient in
        ``backward`` (see ``_Elementwise``).
    """

    name = "logistic"
    formula = "1 / (1 + exp(-x))"

    def saturated(self, Y):
        return (Y < 0.01) | (Y > 0.99)

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
    """Hyperbolic tangent; ``f' = 1 - f^2``.

    Parameters
    ----------
    inplace : bool, default=False
        Overwrite the input in ``forward`` and the upstream gradient in
        ``backward`` (see ``_Elementwise``).
    """

    name = "tanh"
    formula = "tanh(x)"
    searched = True

    def saturated(self, Y):
        return np.abs(Y) > 0.99

    def forward(self, X, *, training=False, sample_weight=None):
        Y = np.tanh(X, out=self._out(X, training))
        if training:
            self._cache_Y = Y
        return Y

    def backward(self, dY):
        Y = self._cache_Y
        return np.multiply(dY, 1 - Y * Y, out=self._grad_out(dY))


class ReLU(_Elementwise):
    """``max(0, x)``; the gradient passes where the output is positive.

    Parameters
    ----------
    inplace : bool, default=False
        Overwrite the input in ``forward`` and the upstream gradient in
        ``backward`` (see ``_Elementwise``).
    """

    name = "relu"
    init_family = "he"
    rectifier = True
    searched = True
    formula = "max(0, x)"

    kink = _sign_pieces

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
    inplace : bool, default=False
        Overwrite the input in ``forward`` and the upstream gradient in
        ``backward`` (see ``_Elementwise``).
    """

    name = "leaky_relu"
    init_family = "he"
    rectifier = True
    searched = True
    formula = "max(leaky_relu_slope x, x)"
    settings = ("slope",)

    def __init__(self, slope=0.01, *, inplace=False):
        super().__init__(inplace=inplace)
        self.slope = slope

    @classmethod
    def build(cls, n_units, dtype, options):
        return cls(options["leaky_relu_slope"], inplace=options["inplace"])

    kink = _sign_pieces

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
    inplace : bool, default=False
        Overwrite the input in ``forward`` and the upstream gradient in
        ``backward`` (see ``_Elementwise``).
    """

    name = "prelu"
    init_family = "he"
    rectifier = True
    formula = "max(a x, x), a learned per unit from prelu_init"

    def __init__(self, slope, *, inplace=False):
        super().__init__(inplace=inplace)
        self.params = {"slope": slope}

    @classmethod
    def build(cls, n_units, dtype, options):
        return cls(np.full(n_units, options["prelu_init"], dtype=dtype), inplace=options["inplace"])

    kink = _sign_pieces

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
    inplace : bool, default=False
        Overwrite the input in ``forward`` and the upstream gradient in
        ``backward`` (see ``_Elementwise``).
    """

    name = "elu"
    init_family = "he"
    rectifier = True
    searched = True
    formula = "x for x > 0, elu_alpha (exp(x) - 1) otherwise"
    settings = ("alpha",)

    def __init__(self, alpha=1.0, *, inplace=False):
        super().__init__(inplace=inplace)
        self.alpha = alpha

    @classmethod
    def build(cls, n_units, dtype, options):
        return cls(options["elu_alpha"], inplace=options["inplace"])

    kink = _sign_pieces

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


class GELU(_Elementwise):
    """Gaussian error linear unit ``x Phi(x)`` (Hendrycks & Gimpel, 2016).

    ``Phi`` is the standard normal CDF, computed exactly (scipy's ``ndtr``,
    as PyTorch's default); ``f' = Phi(x) + x phi(x)`` with
    ``phi(x) = exp(-x^2 / 2) / sqrt(2 pi)``, cached by the forward pass.
    Nothing overflows: ``phi`` underflows to 0 for large ``|x|``.

    Parameters
    ----------
    inplace : bool, default=False
        Overwrite the input in ``forward`` and the upstream gradient in
        ``backward`` (see ``_Elementwise``).
    """

    name = "gelu"
    init_family = "he"
    rectifier = True
    formula = "x Phi(x), Phi the standard normal CDF"

    def forward(self, X, *, training=False, sample_weight=None):
        cdf = ndtr(X, out=self._array("cdf", X, training))
        if training:
            d = np.multiply(X, X, out=self._array("derivative", X, training))
            d *= X.dtype.type(-0.5)
            np.exp(d, out=d)
            d *= X
            d *= X.dtype.type(1.0 / np.sqrt(2.0 * np.pi))
            d += cdf
            self._cache_derivative = d
        return np.multiply(X, cdf, out=self._out(X, training))

    def backward(self, dY):
        return np.multiply(dY, self._cache_derivative, out=self._grad_out(dY))


class SiLU(_Elementwise):
    """Sigmoid linear unit ``x sigmoid(x)`` (Elfwing et al., 2018; Ramachandran et al.'s swish).

    ``f' = s (1 + x (1 - s))`` with ``s = sigmoid(x)`` (:func:`~sknet.ops.sigmoid`,
    stable at any ``x``), cached by the forward pass.

    Parameters
    ----------
    inplace : bool, default=False
        Overwrite the input in ``forward`` and the upstream gradient in
        ``backward`` (see ``_Elementwise``).
    """

    name = "silu"
    init_family = "he"
    rectifier = True
    formula = "x sigmoid(x)"

    def forward(self, X, *, training=False, sample_weight=None):
        s = sigmoid(X, out=self._array("s", X, training))
        if training:
            d = np.subtract(X.dtype.type(1), s, out=self._array("derivative", X, training))
            d *= X
            d += X.dtype.type(1)
            d *= s
            self._cache_derivative = d
        return np.multiply(X, s, out=self._out(X, training))

    def backward(self, dY):
        return np.multiply(dY, self._cache_derivative, out=self._grad_out(dY))


class Maxout(Activation, Layer):
    """Maximum over ``k`` affine pieces per unit (Goodfellow et al., 2013).

    The preceding :class:`Dense` layer produces ``n_units * k`` columns; unit
    ``j`` takes the maximum of columns ``j*k .. j*k + k - 1``. The gradient
    flows only to the winning piece.

    Parameters
    ----------
    k : int, default=2
    """

    name = "maxout"
    init_family = "he"
    formula = "the maximum of maxout_pieces affine pieces per unit"

    def __init__(self, k=2):
        super().__init__()
        self.k = k

    @classmethod
    def build(cls, n_units, dtype, options):
        return cls(options["maxout_pieces"])

    @classmethod
    def pieces(cls, options):
        return options["maxout_pieces"]

    def kink(self, X):
        """The winning piece of each unit.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_units * k)
            The layer's inputs.

        Returns
        -------
        pieces : ndarray of int of shape (n_samples, n_units)
        """
        return X.reshape(X.shape[0], -1, self.k).argmax(axis=2)

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


#: The estimators' activations, by name: the one table that lists them.
ACTIVATIONS = {
    cls.name: cls
    for cls in (ReLU, LeakyReLU, PReLU, ELU, GELU, SiLU, Maxout, Tanh, Sigmoid, Identity)
}
#: Other names the estimators accept for an activation.
ACTIVATION_ALIASES = {"sigmoid": Sigmoid.name}


def activation_class(name):
    """The activation class for an estimator's ``activation`` name (aliases included).

    Parameters
    ----------
    name : str
        A key of :data:`ACTIVATIONS` or :data:`ACTIVATION_ALIASES`.

    Returns
    -------
    cls : type
        A subclass of :class:`Activation`.

    Raises
    ------
    ValueError
        If ``name`` is not an activation.

    Examples
    --------
    >>> from sknet.layers import activation_class
    >>> activation_class("sigmoid").name, activation_class("gelu").init_family
    ('logistic', 'he')
    """
    try:
        return ACTIVATIONS[ACTIVATION_ALIASES.get(name, name)]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown activation {name!r}; allowed: {sorted(ACTIVATIONS)} (and the "
            f"aliases {sorted(ACTIVATION_ALIASES)})."
        ) from None
