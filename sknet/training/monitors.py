"""Monitors: small objects that watch training and decide when it stops.

Each owns one rule. :class:`Plateau` is scikit-learn's ``tol`` /
``n_iter_no_change`` rule on the training loss; :class:`EarlyStopping` holds
out validation rows, scores them every epoch and keeps the best weights;
:class:`DivergenceGuard` catches a loss that blows up; :class:`CallbackMonitor`
reports epochs to scikit-learn's callbacks (``sklearn.callback``) and lets them
stop training. The trainer (:mod:`sknet.training.trainer`) calls them in a
fixed order; their bookkeeping lives in the :class:`~sknet.training.TrainingState`.
"""

import math
import warnings

import numpy as np
from sklearn.model_selection import train_test_split

from ..exceptions import DivergenceWarning, TrainingDivergedError
from .batches import row_index_dtype

__all__ = [
    "Plateau",
    "Validation",
    "EarlyStopping",
    "validation_split",
    "DivergenceGuard",
    "NonFiniteLoss",
    "CallbackMonitor",
]


class Plateau:
    """scikit-learn's stopping rule: the training loss stops improving by ``tol``.

    After each epoch, ``no_improvement`` counts the consecutive epochs whose
    loss was not ``tol`` below the best; the trainer stops (or lets the
    'adaptive' schedule lower the rate) once it exceeds ``n_iter_no_change``.

    Parameters
    ----------
    state : TrainingState
    tol : float
    """

    #: What the rule watches (scikit-learn's verbose messages name it).
    watched = "Training loss"
    #: The best validation score, for the divergence warning (none here).
    best_score = None

    def __init__(self, state, tol):
        self.state, self.tol = state, tol
        if state.best_loss is None:  # early stopping watched the previous call
            state.best_loss = np.inf
        # Without early stopping there are no validation scores (None, as in
        # scikit-learn): a later call that turns it on starts afresh.
        state.validation_scores = state.best_validation_score = None
        state.best_params = state.best_running = None

    def update(self, loss):
        """Count an epoch.

        Parameters
        ----------
        loss : float
            The epoch's training loss.

        Returns
        -------
        diverged : bool
            Always False: the divergence guard watches the loss.
        """
        state = self.state
        if loss > state.best_loss - self.tol:
            state.no_improvement += 1
        else:
            state.no_improvement = 0
        if loss < state.best_loss:
            state.best_loss = loss
        return False

    def finish(self):
        """Nothing to restore at the end of a call."""


def _stratifiable(labels, n_rows, fraction):
    """Whether a stratified split of ``labels`` exists (scikit-learn's conditions)."""
    counts = np.bincount(labels)
    counts = counts[counts > 0]
    n_val = math.ceil(fraction * n_rows)
    return counts.min() >= 2 and min(n_val, n_rows - n_val) >= counts.shape[0]


def validation_split(target, sample_weight, *, fraction, stratify, random_state):
    """Training and validation rows for early stopping.

    Class indices and binary targets are stratified when every class has two
    rows and both parts can hold every class; otherwise (and for multilabel
    or real targets) the split is plain, so a fit never fails for want of a
    stratified split where scikit-learn's fits. Rows of zero sample weight
    are absent from the data as far as the loss and the scores go: they are
    never held out (they could not be scored), and ``fraction`` is a fraction
    of the rows that carry weight. With positive weights everywhere (or none)
    the split is scikit-learn's.

    Parameters
    ----------
    target : ndarray
        Encoded targets.
    sample_weight : ndarray or None
    fraction : float
        ``validation_fraction``.
    stratify : bool
        Whether the targets are class labels.
    random_state : numpy.random.RandomState

    Returns
    -------
    train_rows, val_rows : ndarray of int

    Raises
    ------
    ValueError
        Fewer than two validation rows (scikit-learn's message; rows of zero
        weight do not count).
    """
    n = target.shape[0]
    weightless = None
    if sample_weight is not None and not sample_weight.all():
        weightless = np.flatnonzero(sample_weight == 0)
        candidates = np.flatnonzero(sample_weight)
    else:
        candidates = np.arange(n)
    labels = None
    if stratify and (target.ndim == 1 or target.shape[1] == 1):
        labels = (target if target.ndim == 1 else target[:, 0]).astype(np.intp)[candidates]
        if not _stratifiable(labels, candidates.shape[0], fraction):
            labels = None
    # Splitting row indices rather than X keeps the training rows where they
    # are (no copy of the data); the random draw is the same.
    too_small = ValueError(
        "The validation set is too small. Increase 'validation_fraction' "
        "or the size of your dataset"
        + ("" if weightless is None else " (rows of zero sample weight do not count)")
        + "."
    )
    train, val = train_test_split(
        candidates, random_state=random_state, test_size=fraction, stratify=labels
    )
    if val.shape[0] < 2:
        raise too_small
    if weightless is not None:
        train = np.concatenate([train, weightless])
    return train.astype(row_index_dtype(n)), val


class Validation:
    """Scores held-out rows after each epoch and records them in the history.

    Every epoch appends the validation loss (``history_['val_loss']``, L2 term
    left out) and score (``history_['val_score']``) whenever there are
    validation rows: split off for early stopping, or handed to ``fit`` as
    ``X_val``, ``y_val``.

    Parameters
    ----------
    network : sknet.network.Network
    score : callable
        ``score(X, target, sample_weight) -> float``, higher is better: the
        estimator's accuracy or R^2, its ``scoring``, or the negative loss.
    X_val, target_val, weight_val : ndarray
        The validation rows (``weight_val`` may be None).
    history : dict of list
    verbose : bool
    """

    def __init__(self, network, score, X_val, target_val, weight_val, history, *, verbose):
        self.network, self.score = network, score
        self.X_val, self.target_val, self.weight_val = X_val, target_val, weight_val
        self.history, self.verbose = history, verbose
        history.setdefault("val_loss", [])
        history.setdefault("val_score", [])

    def __call__(self):
        """Score the rows with the network as it is now.

        Returns
        -------
        score, loss : float
        """
        with np.errstate(all="ignore"):
            score = self.score(self.X_val, self.target_val, self.weight_val)
            loss = self.network.evaluate_loss(
                self.X_val, self.target_val, sample_weight=self.weight_val
            )
        self.history["val_score"].append(score)
        self.history["val_loss"].append(loss)
        if self.verbose:
            print("Validation score: %f" % score)
        return score, loss


class EarlyStopping:
    """Stops when the validation score stops improving, and keeps the best weights.

    scikit-learn's rule: ``no_improvement`` counts the consecutive epochs whose
    validation score was not ``tol`` above the best. The best score, its
    weights and the scores carry over to a warm fit that keeps early stopping
    on (as in scikit-learn); the first call with it on starts them.

    Parameters
    ----------
    network : sknet.network.Network
    state : TrainingState
    validation : Validation
        Scores the validation rows.
    tol : float
    """

    watched = "Validation score"

    def __init__(self, network, state, validation, *, tol):
        self.network, self.state, self.validation, self.tol = network, state, validation, tol
        state.best_loss = None
        if state.validation_scores is None:
            state.validation_scores = []
            state.best_validation_score = -np.inf
        if state.best_params is None:
            self._save_best()

    def update(self, loss):
        """Score the validation rows after an epoch.

        Parameters
        ----------
        loss : float
            The epoch's training loss (unused: the validation score decides).

        Returns
        -------
        diverged : bool
            Whether the validation loss is non-finite.
        """
        state = self.state
        score, val_loss = self.validation()
        state.validation_scores.append(score)
        if score < state.best_validation_score + self.tol:
            state.no_improvement += 1
        else:
            state.no_improvement = 0
        if score > state.best_validation_score:
            state.best_validation_score = score
            self._save_best()
        return not np.isfinite(val_loss)

    @property
    def best_score(self):
        """The best validation score so far."""
        return self.state.best_validation_score

    def _save_best(self):
        self.state.best_params = self.network.flat_params.copy()
        self.state.best_running = {k: v.copy() for k, v in self.network.named_state().items()}

    def finish(self):
        """Put the best epoch's weights and running statistics back."""
        np.copyto(self.network.flat_params, self.state.best_params)
        for key, value in self.network.named_state().items():
            np.copyto(value, self.state.best_running[key])


class NonFiniteLoss(Exception):
    """Internal: the loss went non-finite while early stopping can restore the best."""


class DivergenceGuard:
    """Catches a training loss that blows up, from the first mini-batch on.

    The reference is the loss of the call's first mini-batch, taken before
    any update: it is the scale of the data the call trains on, so new data
    with larger targets (``partial_fit`` on a shifted stream) raises the bar
    instead of raising an alarm.

    With ``threshold`` set (a search abandoning hopeless candidates), training
    stops with :class:`~sknet.exceptions.TrainingDivergedError` when a
    mini-batch loss is non-finite, exceeds ``SPIKE * threshold`` times the
    reference once, or exceeds ``threshold`` times the reference for
    ``PATIENCE`` consecutive mini-batches. Adam's early spike in wide layers
    (measured: up to ~700x for a few batches, then recovering to a good fit)
    passes; a blow-up (1e4x and beyond, or one that stays up) does not.

    Without a threshold a non-finite loss raises scikit-learn's ValueError
    (or, with early stopping, stops and restores the best epoch). At the end
    of every call, :meth:`check_end` measures the trained network on the
    call's first mini-batch again: a loss above ``FACTOR`` times the one it
    started from there (or a non-finite last epoch) warns
    :class:`~sknet.exceptions.DivergenceWarning`. Comparing the same rows
    keeps mini-batches that are simply harder (outliers) from raising false
    alarms, and catches a blow-up even when a call has a single mini-batch.

    Parameters
    ----------
    threshold : float or None
        ``divergence_threshold``.
    early_stopping : bool
        Whether a non-finite loss can fall back on the best validation epoch.
    learning_rate_init : float
        Named in the messages.
    """

    #: Consecutive mini-batches above ``threshold`` x the reference that diverge.
    PATIENCE = 10
    #: One mini-batch above ``SPIKE * threshold`` x the reference diverges at once.
    SPIKE = 1000.0
    #: A final epoch loss this many times the reference is a divergence.
    FACTOR = 10.0

    def __init__(self, threshold, *, early_stopping, learning_rate_init):
        self.threshold = threshold
        self.early_stopping = early_stopping
        self.learning_rate_init = learning_rate_init
        self.reference = None
        self._first_batch = None
        self.n_batches = 0
        self._above = 0
        self.warned = False

    def check_batch(self, loss, *, lr, n_iter, batch=None):
        """Check a mini-batch loss (before its update).

        Parameters
        ----------
        loss : float
        lr : float
            The epoch's learning rate, for the message.
        n_iter : int
            Epochs completed, for the message.
        batch : Batch, default=None
            Kept when it is the call's first, for :meth:`check_end`.

        Raises
        ------
        TrainingDivergedError
            With a threshold, on a blow-up (see the class doc).
        NonFiniteLoss
            A non-finite loss with early stopping on (internal).
        ValueError
            A non-finite loss otherwise.
        """
        self.n_batches += 1
        if self.reference is None:
            self.reference = loss
            if batch is not None:
                sw = batch.sample_weight
                self._first_batch = (
                    batch.X.copy(),
                    batch.target.copy(),
                    None if sw is None else sw.copy(),
                )
        finite = np.isfinite(loss)
        if self.threshold is not None and self.reference > 0:
            bar = self.threshold * self.reference
            self._above = self._above + 1 if loss > bar else 0
            if not finite or loss > self.SPIKE * bar or self._above >= self.PATIENCE:
                raise TrainingDivergedError(
                    f"Training diverged: the mini-batch loss reached {loss:.4g} against "
                    f"{self.reference:.4g} for the call's first mini-batch "
                    f"(divergence_threshold={self.threshold}) after {self.n_batches} "
                    f"updates in epoch {n_iter + 1}, at learning rate {lr:.4g}. "
                    "Lower learning_rate_init.",
                    n_iter=n_iter,
                    n_batches=self.n_batches,
                    loss=float(loss),
                    initial_loss=float(self.reference),
                )
        if finite:
            return
        if self.early_stopping:
            raise NonFiniteLoss
        raise ValueError(
            "Solver produced non-finite parameter weights or loss: the training "
            f"loss became {loss} in epoch {n_iter + 1}. The input data may contain "
            "large values and need to be preprocessed, or learning_rate_init="
            f"{self.learning_rate_init} is too high."
        )

    def warn_non_finite(self):
        """Say that training stopped on a non-finite loss and the best epoch came back."""
        warnings.warn(
            "The training loss became non-finite: training stopped and the "
            "weights of the best validation epoch were restored. "
            f"learning_rate_init={self.learning_rate_init} is probably too high.",
            DivergenceWarning,
        )
        self.warned = True

    def check_end(self, network, loss, *, alpha, best_validation_score=None):
        """Warn if the call made its first mini-batch's loss blow up.

        Parameters
        ----------
        network : sknet.network.Network
            As trained by the call (before early stopping restores its best).
        loss : float
            The call's last epoch loss.
        alpha : float
            L2 penalty, included as in the reference.
        best_validation_score : float, default=None
            Named in the warning when early stopping restores the best epoch.
        """
        if self.warned or self.reference is None:
            return
        end = loss
        if np.isfinite(loss) and self._first_batch is not None:
            X, target, sw = self._first_batch
            end = network.evaluate_loss(X, target, sample_weight=sw, alpha=alpha)
        if np.isfinite(end) and not end > self.FACTOR * self.reference:
            return
        if best_validation_score is None:
            restored = ""
        else:
            restored = (
                " The weights of the best validation epoch were restored "
                f"(best_validation_score_={best_validation_score:.4g}), but"
            )
        warnings.warn(
            f"The training loss diverged: on the call's first mini-batch it went from "
            f"{self.reference:.4g} to {end:.4g} (last epoch: {loss:.4g}).{restored} "
            f"learning_rate_init={self.learning_rate_init} is probably too high; "
            "lower it, or scale the inputs.",
            DivergenceWarning,
        )


class CallbackMonitor:
    """Reports epochs to scikit-learn's callbacks and lets them stop training.

    The fit is one task of ``sklearn.callback``; each epoch (L-BFGS
    iteration) is a subtask, and a callback whose ``on_fit_task_end``
    returns True stops training after it.

    Parameters
    ----------
    context : sklearn.callback.CallbackContext
        The estimator's root context for this call.
    estimator : estimator
        Passed to the hooks.
    snapshot : callable
        Returns the fitted attributes of a copy frozen at this point.
    task_name : str, default='epoch'
        Name of the subtasks ('iteration' for L-BFGS).
    **callback_kw
        ``X``, ``y`` and ``metadata`` for the hooks.
    """

    def __init__(self, context, estimator, snapshot, task_name="epoch", **callback_kw):
        self.context, self.estimator, self.snapshot = context, estimator, snapshot
        self.task_name = task_name
        self.kw = callback_kw
        self._epoch = None

    def epoch_begin(self):
        """Open the epoch's subtask."""
        self._epoch = self.context.subcontext(task_name=self.task_name)
        self._epoch.call_on_fit_task_begin(
            estimator=self.estimator, reconstruction_attributes=self.snapshot, **self.kw
        )

    def epoch_end(self):
        """Close the epoch's subtask; return True if a callback asks to stop."""
        return bool(
            self._epoch.call_on_fit_task_end(
                estimator=self.estimator, reconstruction_attributes=self.snapshot, **self.kw
            )
        )
