"""Update rules (SGD with momentum / Nesterov, Adam, AdaGrad, RMSProp) that work in place.

Every optimizer exposes ``step(params, grads, lr)``, which updates each array of the
list ``params`` in place from the matching array of ``grads`` with the learning rate
``lr`` chosen by the fit loop (a schedule owns the rate, the optimizer only owns its
state). The state (velocities, moments, caches, step count) is created lazily on the
first ``step`` with the dtype of each parameter, so float32 networks stay float32; it
is held in plain attributes so optimizers pickle, and ``reset()`` drops it. SGD and
Adam reproduce scikit-learn's ``SGDOptimizer`` and ``AdamOptimizer`` formulas exactly.
``OPTIMIZERS`` maps the string names used by the estimators to the classes.
"""

import math

import numpy as np

from . import _jit

__all__ = ["Optimizer", "SGD", "Adam", "AdaGrad", "RMSProp", "OPTIMIZERS"]


class Optimizer:
    """Base class of the in-place update rules.

    Subclasses implement ``_init_state(params)`` and ``_update(params, grads, lr)``.
    The number of scratch buffers per parameter (reused between steps to avoid
    temporaries on the hot path) is given by the class attribute ``_n_scratch``.
    Scratch buffers are not part of the state: they are not pickled and are
    rebuilt on demand.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.optimizers import SGD
    >>> W = np.array([1.0, 2.0])
    >>> SGD().step([W], [np.array([0.5, -1.0])], lr=0.1)
    >>> W
    array([0.95, 2.1 ])
    """

    _n_scratch = 1
    _state_attrs = ()
    # Scalar state (Adam's step count): kept by take_state, reset by reset().
    _counter_attrs = ()

    def __init__(self):
        self.reset()

    def take_state(self, previous):
        """Continue from ``previous``'s state (moments, caches, step count).

        ``partial_fit`` rebuilds its update rule from the estimator's current
        parameters at every call, so a changed ``beta_1`` or ``momentum``
        applies at once, and hands it the previous rule's state. A different
        rule (the solver changed) has no state to take and starts afresh.

        Parameters
        ----------
        previous : Optimizer

        Returns
        -------
        self : Optimizer
        """
        if type(previous) is type(self):
            for name in self._state_attrs + self._counter_attrs:
                setattr(self, name, getattr(previous, name))
        return self

    def reset(self):
        """Drop the optimizer state; the next ``step`` starts from scratch.

        Returns
        -------
        self : Optimizer
        """
        for name in self._state_attrs:
            setattr(self, name, None)
        self._scratch = None
        return self

    def state_arrays(self):
        """The arrays of the state (moments, caches, velocities), for checks.

        Returns
        -------
        arrays : list of ndarray
            Empty before the first step.
        """
        return [a for name in self._state_attrs for a in (getattr(self, name) or ())]

    def step(self, params, grads, lr):
        """Update every ``params[i]`` in place from ``grads[i]`` with learning rate ``lr``.

        Parameters
        ----------
        params : list of ndarray
            Learnable arrays, updated in place. The list order must be the same
            at every call (the state is matched by position).
        grads : list of ndarray
            Gradients of the loss with respect to ``params``, same shapes.
        lr : float
            Learning rate for this step.
        """
        lr = float(lr)  # a Python float never upcasts float32 arrays
        if self._scratch is None or len(self._scratch) != len(params):
            self._prepare(params)
        self._update(params, grads, lr)

    def _prepare(self, params):
        # Create the state on the first step; (re)build the scratch buffers, which
        # are dropped when pickling.
        state = getattr(self, self._state_attrs[0]) if self._state_attrs else None
        if state is None:
            self._init_state(params)
        elif len(state) != len(params):
            raise ValueError(
                f"{type(self).__name__} holds state for {len(state)} arrays but got "
                f"{len(params)} parameters; call reset() first."
            )
        self._scratch = [
            tuple(np.empty_like(p) for _ in range(self._n_scratch)) for p in params
        ]

    def _init_state(self, params):
        pass

    def _update(self, params, grads, lr):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _apply(rule, arrays, scratch, scalars):
        """One update rule on one parameter: compiled if it can, else its numpy form.

        The numpy form runs chunk by chunk (:func:`_chunks`), so its dozen
        passes over each chunk stay in the cache; elementwise arithmetic gives
        the same values in any chunking.
        """
        if _jit.run(rule, arrays, scalars):
            return
        numpy_form = _NUMPY_FORMS[rule]
        for views in _chunks(tuple(arrays) + tuple(scratch)):
            numpy_form(*views, *scalars)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_scratch"] = None
        return state

    def _hyperparams(self):
        return {}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._hyperparams().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    With ``momentum == 0``: ``p -= lr * g``. Otherwise scikit-learn's formulas::

        v = momentum * v - lr * g
        update = momentum * v - lr * g   if nesterov else   v
        p += update

    Parameters
    ----------
    momentum : float, default=0.0
        Momentum coefficient in [0, 1).
    nesterov : bool, default=False
        Use Nesterov's momentum (only meaningful when ``momentum > 0``).

    Attributes
    ----------
    velocities : list of ndarray or None
        One velocity per parameter (``None`` before the first step or when
        ``momentum == 0``).

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.optimizers import SGD
    >>> W = np.zeros(2)
    >>> opt = SGD(momentum=0.9)
    >>> for _ in range(2):
    ...     opt.step([W], [np.ones(2)], lr=0.1)
    >>> W  # -0.1 then -0.9 * 0.1 - 0.1
    array([-0.29, -0.29])
    """

    _state_attrs = ("velocities",)

    def __init__(self, momentum=0.0, nesterov=False):
        self.momentum = momentum
        self.nesterov = nesterov
        super().__init__()

    @property
    def _n_scratch(self):
        return 2 if (self.momentum and self.nesterov) else 1

    def _init_state(self, params):
        if self.momentum:
            self.velocities = [np.zeros_like(p) for p in params]

    def _update(self, params, grads, lr):
        mu = float(self.momentum)
        if not mu:
            for p, g, scratch in zip(params, grads, self._scratch):
                self._apply("sgd", (p, g), scratch, (lr,))
            return
        rule = "nesterov" if self.nesterov else "momentum"
        for p, g, v, scratch in zip(params, grads, self.velocities, self._scratch):
            self._apply(rule, (p, g, v), scratch, (lr, mu))

    def _hyperparams(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam, with scikit-learn's formulas (bias correction folded into the rate).

    ::

        t += 1
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        lr_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        p += -lr_t * m / (sqrt(v) + epsilon)

    Parameters
    ----------
    beta_1 : float, default=0.9
        Decay rate of the first-moment estimate, in [0, 1).
    beta_2 : float, default=0.999
        Decay rate of the second-moment estimate, in [0, 1).
    epsilon : float, default=1e-8
        Added to ``sqrt(v)`` for numerical stability.

    Attributes
    ----------
    t : int
        Number of steps taken.
    ms, vs : list of ndarray or None
        First and second moment estimates, one per parameter.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.optimizers import Adam
    >>> W = np.zeros(2, dtype=np.float32)
    >>> opt = Adam()
    >>> opt.step([W], [np.array([1.0, -2.0], dtype=np.float32)], lr=0.001)
    >>> W.round(6), W.dtype, opt.t
    (array([-0.001,  0.001], dtype=float32), dtype('float32'), 1)
    """

    _n_scratch = 2
    _state_attrs = ("ms", "vs")
    _counter_attrs = ("t",)

    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        super().__init__()

    def reset(self):
        self.t = 0
        return super().reset()

    def _init_state(self, params):
        self.t = 0
        self.ms = [np.zeros_like(p) for p in params]
        self.vs = [np.zeros_like(p) for p in params]

    def _update(self, params, grads, lr):
        b1, b2, eps = float(self.beta_1), float(self.beta_2), float(self.epsilon)
        self.t += 1
        lr_t = lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        c1, c2 = 1 - b1, 1 - b2
        for p, g, m, v, scratch in zip(params, grads, self.ms, self.vs, self._scratch):
            self._apply("adam", (p, g, m, v), scratch, (b1, b2, c1, c2, -lr_t, eps))

    def _hyperparams(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class AdaGrad(Optimizer):
    """AdaGrad, in CS231n's form.

    ::

        cache += g**2
        p -= lr * g / (sqrt(cache) + epsilon)

    Parameters
    ----------
    epsilon : float, default=1e-8
        Added to ``sqrt(cache)`` for numerical stability.

    Attributes
    ----------
    caches : list of ndarray or None
        Running sums of squared gradients, one per parameter.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.optimizers import AdaGrad
    >>> W = np.zeros(2)
    >>> AdaGrad().step([W], [np.array([4.0, -0.5])], lr=0.1)
    >>> W.round(6)
    array([-0.1,  0.1])
    """

    _n_scratch = 1
    _state_attrs = ("caches",)

    def __init__(self, epsilon=1e-8):
        self.epsilon = epsilon
        super().__init__()

    def _init_state(self, params):
        self.caches = [np.zeros_like(p) for p in params]

    def _update(self, params, grads, lr):
        eps = float(self.epsilon)
        for p, g, c, scratch in zip(params, grads, self.caches, self._scratch):
            self._apply("adagrad", (p, g, c), scratch, (lr, eps))

    def _hyperparams(self):
        return {"epsilon": self.epsilon}


class RMSProp(Optimizer):
    """RMSProp: AdaGrad with a leaky (exponentially decaying) cache.

    ::

        cache = decay * cache + (1 - decay) * g**2
        p -= lr * g / (sqrt(cache) + epsilon)

    Parameters
    ----------
    decay : float, default=0.99
        Decay rate of the cache, in [0, 1).
    epsilon : float, default=1e-8
        Added to ``sqrt(cache)`` for numerical stability.

    Attributes
    ----------
    caches : list of ndarray or None
        Moving averages of squared gradients, one per parameter.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.optimizers import RMSProp
    >>> W = np.zeros(1)
    >>> RMSProp(decay=0.75).step([W], [np.array([2.0])], lr=0.1)
    >>> W.round(6)  # cache = 0.25 * 4 = 1, so the step is lr * g / 1
    array([-0.2])
    """

    _n_scratch = 1
    _state_attrs = ("caches",)

    def __init__(self, decay=0.99, epsilon=1e-8):
        self.decay = decay
        self.epsilon = epsilon
        super().__init__()

    def _init_state(self, params):
        self.caches = [np.zeros_like(p) for p in params]

    def _update(self, params, grads, lr):
        rho, eps = float(self.decay), float(self.epsilon)
        c1 = 1 - rho
        for p, g, c, scratch in zip(params, grads, self.caches, self._scratch):
            self._apply("rmsprop", (p, g, c), scratch, (lr, rho, c1, eps))

    def _hyperparams(self):
        return {"decay": self.decay, "epsilon": self.epsilon}


# -- the numpy forms of the compiled kernels (sknet/_jit.py) -------------------
# Same arguments as the kernels, then the scratch arrays; the same roundings in
# the same order, so both forms give bitwise the same parameters.

#: Bytes of each array in one chunk of the numpy forms: the chunks of the
#: five or six arrays of a rule then stay in the L2 cache across its passes.
CHUNK_BYTES = 256 * 1024


def _chunks(arrays):
    """Aligned chunks of ``arrays`` (one shape, C-contiguous), or the arrays whole."""
    first = arrays[0]
    step = max(1, CHUNK_BYTES // first.itemsize)
    if first.size <= step or not all(
        a.flags.c_contiguous and a.shape == first.shape for a in arrays
    ):
        yield arrays
        return
    flat = [a.reshape(-1) for a in arrays]
    for start in range(0, first.size, step):
        yield tuple(a[start : start + step] for a in flat)


def _sgd(p, g, s, lr):
    np.multiply(g, lr, out=s)
    p -= s


def _momentum(p, g, v, s, lr, mu):
    np.multiply(g, lr, out=s)
    v *= mu
    v -= s
    p += v


def _nesterov(p, g, v, s, u, lr, mu):
    np.multiply(g, lr, out=s)
    v *= mu
    v -= s
    np.multiply(v, mu, out=u)
    u -= s
    p += u


def _adam(p, g, m, v, s, u, b1, b2, c1, c2, neg_lr_t, eps):
    m *= b1
    np.multiply(g, c1, out=s)
    m += s
    v *= b2
    np.multiply(g, g, out=s)
    s *= c2
    v += s
    np.sqrt(v, out=s)
    s += eps
    np.multiply(m, neg_lr_t, out=u)
    u /= s
    p += u


def _divide_by_rms_and_step(p, g, cache, s, lr, eps):
    """``p -= lr * g / (sqrt(cache) + eps)`` in place, shared by AdaGrad and RMSProp."""
    np.sqrt(cache, out=s)
    s += eps
    np.divide(g, s, out=s)
    s *= lr
    p -= s


def _adagrad(p, g, c, s, lr, eps):
    np.multiply(g, g, out=s)
    c += s
    _divide_by_rms_and_step(p, g, c, s, lr, eps)


def _rmsprop(p, g, c, s, lr, rho, c1, eps):
    c *= rho
    np.multiply(g, g, out=s)
    s *= c1
    c += s
    _divide_by_rms_and_step(p, g, c, s, lr, eps)


_NUMPY_FORMS = {
    "sgd": _sgd,
    "momentum": _momentum,
    "nesterov": _nesterov,
    "adam": _adam,
    "adagrad": _adagrad,
    "rmsprop": _rmsprop,
}

OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adagrad": AdaGrad, "rmsprop": RMSProp}
