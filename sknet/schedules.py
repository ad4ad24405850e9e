"""Learning-rate schedules: small objects that own the rate and nothing else.

A schedule is called once per epoch as ``schedule(epoch, t)`` with ``epoch`` the
schedule's position (epochs since the update rule started: 0 at every ``fit``,
counting on across ``partial_fit`` calls) and ``t``, the number of training samples
seen before that epoch (scikit-learn's ``t_``), and returns the learning rate to use
for the whole epoch. The schedules indexed by epoch ('step', 'exponential', 'cosine')
span a cycle of ``n_epochs`` epochs (the estimator's ``max_iter``): past its end they
start the next cycle at ``lr_init`` (warm restarts, Loshchilov & Hutter, 2017), so
``partial_fit`` called more than ``max_iter`` times never trains at a spent rate. When the loss stops
improving for more than ``n_iter_no_change`` epochs the fit loop calls
``schedule.on_plateau()``: it returns ``True`` if training should stop, which is what
every schedule does except ``Adaptive`` (scikit-learn's ``learning_rate='adaptive'``),
which divides its rate by ``factor`` and only stops once the rate is already tiny.
``SCHEDULES`` maps names to classes and ``make_schedule`` builds one from a bag of
estimator parameters.
"""

import inspect
import math

__all__ = [
    "Schedule",
    "Constant",
    "InvScaling",
    "StepDecay",
    "ExponentialDecay",
    "Cosine",
    "Adaptive",
    "SCHEDULES",
    "make_schedule",
]


class Schedule:
    """Base class of the learning-rate schedules.

    Parameters
    ----------
    lr_init : float
        Initial learning rate.

    Examples
    --------
    >>> from sknet.schedules import Constant
    >>> sched = Constant(0.1)
    >>> sched(0, 0), sched(7, 700), sched.on_plateau()
    (0.1, 0.1, True)
    """

    def __init__(self, lr_init):
        self.lr_init = lr_init

    def __call__(self, epoch, t):
        """Learning rate for the 0-based ``epoch`` after ``t`` samples were seen.

        Parameters
        ----------
        epoch : int
            0-based epoch index.
        t : int
            Number of training samples seen before this epoch.

        Returns
        -------
        lr : float
        """
        raise NotImplementedError

    def on_plateau(self):
        """React to a plateau of the loss; return ``True`` if training should stop.

        Returns
        -------
        stop : bool
            Always ``True`` except for ``Adaptive``.
        """
        return True

    def reset(self):
        """Forget any state (no-op for stateless schedules).

        Returns
        -------
        self : Schedule
        """
        return self

    def take_state(self, previous):
        """Continue where ``previous``, a schedule of the same kind, stopped.

        ``partial_fit`` rebuilds its schedule from the estimator's current
        parameters at every call and hands it the previous one's state (for
        ``Adaptive``, the reduced rate). Stateless schedules have nothing to take.

        Parameters
        ----------
        previous : Schedule

        Returns
        -------
        self : Schedule
        """
        return self

    def _hyperparams(self):
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        return {name: getattr(self, name) for name in names}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._hyperparams().items())
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """Constant rate: ``lr_init``.

    Parameters
    ----------
    lr_init : float
        The learning rate.

    Examples
    --------
    >>> from sknet.schedules import Constant
    >>> Constant(0.01)(5, 500)
    0.01
    """

    def __call__(self, epoch, t):
        return float(self.lr_init)


class InvScaling(Schedule):
    """scikit-learn's ``'invscaling'``: ``lr_init / (t + 1) ** power_t``.

    ``t`` is the number of samples seen before the epoch. As in scikit-learn,
    whose optimizer starts at ``lr_init`` at every ``fit``, the schedule's
    first epoch (``epoch == 0``) uses ``lr_init`` even when a warm start has
    already seen samples; later epochs use the formula with every sample seen.

    Parameters
    ----------
    lr_init : float
        Initial learning rate.
    power_t : float, default=0.5
        Exponent of the inverse scaling.

    Examples
    --------
    >>> from sknet.schedules import InvScaling
    >>> sched = InvScaling(0.1, power_t=0.5)
    >>> sched(0, 0), sched(1, 99), sched(0, 99)
    (0.1, 0.01, 0.1)
    """

    def __init__(self, lr_init, power_t=0.5):
        super().__init__(lr_init)
        self.power_t = power_t

    def __call__(self, epoch, t):
        if epoch == 0:
            return float(self.lr_init)
        return float(float(self.lr_init) / (t + 1) ** self.power_t)


def _in_cycle(epoch, n_epochs):
    """Position of ``epoch`` in its cycle of ``n_epochs`` (``epoch`` itself if None)."""
    if n_epochs is None:
        return int(epoch)
    if n_epochs < 1:
        raise ValueError(f"n_epochs must be >= 1, got {n_epochs!r}.")
    return int(epoch) % int(n_epochs)


class StepDecay(Schedule):
    """Step decay: ``lr_init * gamma ** (e // step_size)``, ``e = epoch % n_epochs``.

    Parameters
    ----------
    lr_init : float
        Initial learning rate.
    step_size : int, default=10
        Number of epochs between two decays.
    gamma : float, default=0.5
        Multiplicative factor of each decay.
    n_epochs : int, default=None
        Length of a cycle (usually the estimator's ``max_iter``); past it the
        decay starts again from ``lr_init``. None: one endless decay.

    Examples
    --------
    >>> from sknet.schedules import StepDecay
    >>> sched = StepDecay(0.1, step_size=2, gamma=0.5)
    >>> [sched(e, 0) for e in range(5)]
    [0.1, 0.1, 0.05, 0.05, 0.025]
    >>> [StepDecay(0.1, step_size=2, gamma=0.5, n_epochs=4)(e, 0) for e in range(6)]
    [0.1, 0.1, 0.05, 0.05, 0.1, 0.1]
    """

    def __init__(self, lr_init, step_size=10, gamma=0.5, n_epochs=None):
        super().__init__(lr_init)
        self.step_size = step_size
        self.gamma = gamma
        self.n_epochs = n_epochs

    def __call__(self, epoch, t):
        epoch = _in_cycle(epoch, self.n_epochs)
        return float(self.lr_init * self.gamma ** (epoch // int(self.step_size)))


class ExponentialDecay(Schedule):
    """Exponential decay: ``lr_init * gamma ** e``, ``e = epoch % n_epochs``.

    Parameters
    ----------
    lr_init : float
        Initial learning rate.
    gamma : float, default=0.95
        Multiplicative factor per epoch.
    n_epochs : int, default=None
        Length of a cycle (usually the estimator's ``max_iter``); past it the
        decay starts again from ``lr_init``. None: one endless decay.

    Examples
    --------
    >>> from sknet.schedules import ExponentialDecay
    >>> sched = ExponentialDecay(1.0, gamma=0.5)
    >>> [sched(e, 0) for e in range(4)]
    [1.0, 0.5, 0.25, 0.125]
    """

    def __init__(self, lr_init, gamma=0.95, n_epochs=None):
        super().__init__(lr_init)
        self.gamma = gamma
        self.n_epochs = n_epochs

    def __call__(self, epoch, t):
        return float(self.lr_init * self.gamma ** _in_cycle(epoch, self.n_epochs))


class Cosine(Schedule):
    """Cosine annealing from ``lr_init`` toward ``lr_min`` over cycles of ``n_epochs``.

    ``lr_min + (lr_init - lr_min) * (1 + cos(pi * e / n_epochs)) / 2`` with
    ``e = epoch % n_epochs`` (SGDR, Loshchilov & Hutter, 2017): a fit of
    ``n_epochs`` epochs runs one cycle, ending one step short of ``lr_min``,
    and epochs past it start a new cycle at ``lr_init`` rather than training
    at ``lr_min`` (which, at its default of 0, would not train at all).

    Parameters
    ----------
    lr_init : float
        Initial learning rate.
    n_epochs : int
        Length of the annealing, in epochs (usually the estimator's ``max_iter``).
    lr_min : float, default=0.0
        Final learning rate.

    Examples
    --------
    >>> from sknet.schedules import Cosine
    >>> sched = Cosine(1.0, n_epochs=4)
    >>> [round(sched(e, 0), 4) for e in range(6)]
    [1.0, 0.8536, 0.5, 0.1464, 1.0, 0.8536]
    """

    def __init__(self, lr_init, n_epochs, lr_min=0.0):
        super().__init__(lr_init)
        self.n_epochs = n_epochs
        self.lr_min = lr_min

    def __call__(self, epoch, t):
        frac = _in_cycle(epoch, self.n_epochs) / self.n_epochs
        lr_min = float(self.lr_min)
        return lr_min + 0.5 * (float(self.lr_init) - lr_min) * (1.0 + math.cos(math.pi * frac))


class Adaptive(Schedule):
    """scikit-learn's ``'adaptive'``: constant until the loss plateaus, then divided.

    The rate starts at ``lr_init``. At each plateau ``on_plateau()`` follows
    scikit-learn's ``SGDOptimizer.trigger_stopping``: if the *current* rate is
    already ``<= min_lr`` it returns ``True`` (stop); otherwise it divides the rate
    by ``factor`` and returns ``False`` (keep training). The check comes before
    the division, so the last epochs run with a rate that may be below ``min_lr``.

    Parameters
    ----------
    lr_init : float
        Initial learning rate.
    factor : float, default=5.0
        Divisor applied to the rate at each plateau.
    min_lr : float, default=1e-6
        Training stops at a plateau once the rate is at or below this value.

    Attributes
    ----------
    learning_rate : float
        The current rate.

    Examples
    --------
    >>> from sknet.schedules import Adaptive
    >>> sched = Adaptive(0.001)
    >>> sched(0, 0)
    0.001
    >>> sched.on_plateau(), round(sched(1, 100), 12)
    (False, 0.0002)
    >>> n_plateaus = 1
    >>> while not sched.on_plateau():
    ...     n_plateaus += 1
    >>> n_plateaus, f"{sched.learning_rate:.1e}"  # stops once the rate is <= 1e-6
    (5, '3.2e-07')
    """

    def __init__(self, lr_init, factor=5.0, min_lr=1e-6):
        super().__init__(lr_init)
        self.factor = factor
        self.min_lr = min_lr
        self.reset()

    def reset(self):
        self.learning_rate = float(self.lr_init)
        return self

    def __call__(self, epoch, t):
        return self.learning_rate

    def take_state(self, previous):
        # The reduced rate is a fraction of lr_init: a new lr_init starts over.
        if type(previous) is type(self) and previous.lr_init == self.lr_init:
            self.learning_rate = previous.learning_rate
        return self

    def on_plateau(self):
        if self.learning_rate <= self.min_lr:
            return True
        self.learning_rate /= self.factor
        return False


SCHEDULES = {
    "constant": Constant,
    "invscaling": InvScaling,
    "step": StepDecay,
    "exponential": ExponentialDecay,
    "cosine": Cosine,
    "adaptive": Adaptive,
}


def make_schedule(name, lr_init, **params):
    """Build the schedule ``name``, keeping only the keyword arguments it accepts.

    The estimator can pass all its schedule-related parameters at once
    (``power_t``, ``step_size``, ``gamma``, ``n_epochs``, ``lr_min``, ...);
    the ones the chosen schedule does not take are ignored.

    Parameters
    ----------
    name : str or Schedule
        A key of ``SCHEDULES``. A ``Schedule`` instance is returned reset, as is.
    lr_init : float
        Initial learning rate.
    **params
        Candidate keyword arguments.

    Returns
    -------
    schedule : Schedule

    Raises
    ------
    ValueError
        If ``name`` is unknown, or a required argument (``n_epochs`` for
        ``'cosine'``) is missing.

    Examples
    --------
    >>> from sknet.schedules import make_schedule
    >>> make_schedule("invscaling", 0.01, power_t=0.25, step_size=3, n_epochs=200)
    InvScaling(lr_init=0.01, power_t=0.25)
    >>> make_schedule("cosine", 0.1, power_t=0.5, n_epochs=50)
    Cosine(lr_init=0.1, n_epochs=50, lr_min=0.0)
    """
    if isinstance(name, Schedule):
        return name.reset()
    try:
        cls = SCHEDULES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown learning-rate schedule {name!r}; allowed: {sorted(SCHEDULES)}."
        ) from None
    sig = inspect.signature(cls.__init__).parameters
    kwargs = {k: v for k, v in params.items() if k in sig and k not in ("self", "lr_init")}
    missing = [
        k
        for k, p in sig.items()
        if k not in ("self", "lr_init") and p.default is p.empty and k not in kwargs
    ]
    if missing:
        raise ValueError(f"Schedule {name!r} needs {', '.join(missing)}.")
    return cls(lr_init, **kwargs)
