"""Training state that carries over from one call to the next, and the one backup a call takes.

:class:`TrainingState` holds everything about training that outlives a call to
``fit`` or ``partial_fit``, apart from the network itself: the samples seen,
the loss history, the update rule with its moments, the schedule's position,
the plateau and early-stopping bookkeeping. docs/design.md's state table says,
for each piece, what a new fit, a warm fit, ``partial_fit``, pickling, an
interrupt and an error do to it. :class:`Checkpoint` copies what a call can
change in place, once, so that a failed call leaves everything as it was.
:class:`TrainingResult` is what one call trained, and why it stopped.
"""

import copy
from dataclasses import dataclass, field

import numpy as np

from ..layers import Dropout

__all__ = ["TrainingState", "TrainingResult", "STOP_REASONS", "Checkpoint", "new_history"]


def new_history():
    """An empty ``history_``: per epoch, the loss, the learning rate, the seconds."""
    return {"loss": [], "learning_rate": [], "seconds": []}


@dataclass(eq=False)
class TrainingState:
    """What training carries from one call to the next (besides the network).

    The estimators publish it as their fitted attributes: the lists are shared
    (``loss_curve_`` is ``loss_curve``), the numbers copied after each call.

    Attributes
    ----------
    t : int
        Training samples seen by the solver, over every call (``t_``).
    loss_curve : list of float
        Training loss of every epoch of every call (``loss_curve_``).
    history : dict of list
        Per epoch: 'loss', 'learning_rate', 'seconds', and with early stopping
        or ``track_training`` more keys (``history_``).
    optimizer : sknet.optimizers.Optimizer or None
        The update rule and its moments. None before the first stochastic
        epoch and after an interrupt (whose moments may be half updated).
    schedule : sknet.schedules.Schedule or None
        The learning-rate schedule (only 'adaptive' has state of its own).
    epoch : int
        The schedule's position: epochs since the update rule (re)started.
    stochastic : bool
        Whether a stochastic solver has trained: its attributes
        (``loss_curve_``, ``best_loss_``, ...) exist only then, as in
        scikit-learn.
    best_loss : float or None
        Lowest training loss of an epoch (``best_loss_``); None while early
        stopping watches the validation score instead.
    no_improvement : int
        Consecutive epochs without an improvement of ``tol``.
    validation_scores : list of float or None
        Validation score of every early-stopping epoch (``validation_scores_``).
    best_validation_score : float or None
        The best of them (``best_validation_score_``).
    best_params : ndarray or None
        A copy of the network's flat parameters at the best validation epoch.
    best_running : dict or None
        The running statistics at that epoch.
    """

    t: int = 0
    loss_curve: list = field(default_factory=list)
    history: dict = field(default_factory=new_history)
    optimizer: object = None
    schedule: object = None
    epoch: int = 0
    stochastic: bool = False
    best_loss: float = np.inf
    no_improvement: int = 0
    validation_scores: list = None
    best_validation_score: float = None
    best_params: np.ndarray = None
    best_running: dict = None

    def copy(self):
        """A copy that later training of this state cannot reach.

        Lists are copied (training appends to them), the update rule and the
        schedule deep-copied (training changes their arrays in place); the
        best-epoch arrays are shared, since training replaces them whole.

        Returns
        -------
        TrainingState
        """
        new = copy.copy(self)
        new.loss_curve = list(self.loss_curve)
        new.history = {key: list(values) for key, values in self.history.items()}
        if self.validation_scores is not None:
            new.validation_scores = list(self.validation_scores)
        new.optimizer = copy.deepcopy(self.optimizer)
        new.schedule = copy.deepcopy(self.schedule)
        return new


class Checkpoint:
    """What one call can change in place, copied once before it starts.

    That is the network's flat parameter vector, its running statistics,
    layer settings and dropout generators, and the training state. Nothing
    else a call touches is changed in place: the estimator restores its own
    attributes (rebound, not mutated) from a shallow copy.

    Parameters
    ----------
    network : sknet.network.Network
    state : TrainingState
    """

    def __init__(self, network, state):
        self.params = network.flat_params.copy()
        self.running = {key: value.copy() for key, value in network.named_state().items()}
        self.settings = network.settings()
        self.generators = [
            (layer.random_state, layer.random_state.get_state())
            for _, layer in network.layers
            if isinstance(layer, Dropout)
        ]
        self.state = state.copy()

    def restore(self, network):
        """Put the copied arrays back into ``network``; return the copied state.

        Parameters
        ----------
        network : sknet.network.Network
            The network the checkpoint was taken from.

        Returns
        -------
        state : TrainingState
        """
        np.copyto(network.flat_params, self.params)
        for key, value in network.named_state().items():
            np.copyto(value, self.running[key])
        network.apply_settings(self.settings)
        for generator, draws in self.generators:
            generator.set_state(draws)
        return self.state


#: Why a call to ``fit`` or ``partial_fit`` stopped (the estimators' ``stop_reason_``).
STOP_REASONS = {
    "max_iter": "max_iter epochs (L-BFGS iterations or loss evaluations) ran",
    "no_improvement": "the loss or validation score stopped improving by tol",
    "converged": "L-BFGS met its gradient tolerance",
    "failed": "L-BFGS could not make progress (an abnormal line search)",
    "callback": "a scikit-learn callback asked to stop",
    "diverged": "the loss became non-finite; the best validation epoch was restored",
    "interrupted": "Ctrl-C (KeyboardInterrupt) after an epoch: the model was kept",
    "partial_fit": "partial_fit trains one epoch",
}


@dataclass
class TrainingResult:
    """What one call trained.

    Attributes
    ----------
    n_iter : int
        Epochs (L-BFGS iterations) completed.
    loss : float
        The training loss of the last epoch (L-BFGS: of the returned weights).
    stop_reason : str
        A key of :data:`STOP_REASONS`.
    """

    n_iter: int
    loss: float
    stop_reason: str
