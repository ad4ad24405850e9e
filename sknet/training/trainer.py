"""The trainer: epochs of mini-batch updates, their monitors, and why training stopped.

:func:`train` is the estimators' one way in. It turns their parameters into
an update rule, a schedule, mini-batches and monitors (or hands over to
L-BFGS), trains the network, and returns a :class:`TrainingResult`.
:class:`Trainer` runs the epochs: the schedule gives each epoch's rate, every
mini-batch is checked by the divergence guard before its update, and after each
epoch the monitors are asked, in a fixed order, whether to stop.
"""

import time
import warnings

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning

from ..schedules import Adaptive
from .batches import MiniBatches, resolve_batch_size
from .builders import make_optimizer, make_schedule, resolve_weight_decay
from .lbfgs import fit_lbfgs
from .monitors import (
    DivergenceGuard,
    EarlyStopping,
    NonFiniteLoss,
    Plateau,
    Validation,
    validation_split,
)
from .state import TrainingResult
from .telemetry import Telemetry

__all__ = ["Trainer", "train", "check_batch_norm_rows"]

def check_batch_norm_rows(network, rows_per_batch):
    """Refuse batch normalization when every mini-batch would have one row.

    A one-row batch has no variance: batch norm would learn nothing from it
    (a trailing one-row batch is normalized with the running statistics, see
    :class:`~sknet.layers.BatchNorm`, but a fit made only of such batches
    would never estimate them).

    Parameters
    ----------
    network : sknet.network.Network
    rows_per_batch : int

    Raises
    ------
    ValueError
        If ``network`` has batch norm and ``rows_per_batch < 2``.
    """
    if network.has_batch_norm and rows_per_batch < 2:
        raise ValueError(
            "batch_norm=True needs at least 2 rows per mini-batch to compute batch "
            "statistics, but every mini-batch here has 1 sample. Raise batch_size, "
            "pass more rows to fit or partial_fit, or set batch_norm=False."
        )


class Trainer:
    """Runs epochs of mini-batch updates until a monitor stops them.

    Parameters
    ----------
    network : sknet.network.Network
    optimizer : sknet.optimizers.Optimizer
    schedule : sknet.schedules.Schedule
    batches : MiniBatches
    state : TrainingState
        Updated as training goes: samples seen, loss curve, history, the
        schedule's position and the plateau bookkeeping.
    alpha : float
        L2 penalty.
    progress : Plateau or EarlyStopping
        Counts the epochs without improvement.
    guard : DivergenceGuard
    n_iter_no_change : int
    telemetry : Telemetry, default=None
    callbacks : CallbackMonitor, default=None
    validation : Validation, default=None
        Scores validation rows after each epoch without early stopping.
    max_grad_norm : float, default=None
        Clip the gradient's global L2 norm to this before each update.
    weight_decay : float, default=0.0
        Decoupled weight decay: each update also shrinks the weights (not the
        biases, nor batch norm's or PReLU's parameters) by
        ``lr * weight_decay`` of themselves.
    warmup_epochs : int, default=0
        Linear learning-rate warm-up over the schedule's first epochs.
    verbose : bool, default=False
        Print scikit-learn's progress lines.
    """

    def __init__(
        self,
        network,
        optimizer,
        schedule,
        batches,
        state,
        *,
        alpha,
        progress,
        guard,
        n_iter_no_change,
        telemetry=None,
        callbacks=None,
        validation=None,
        max_grad_norm=None,
        weight_decay=0.0,
        warmup_epochs=0,
        verbose=False,
    ):
        self.network, self.optimizer, self.schedule = network, optimizer, schedule
        self.batches, self.state, self.alpha = batches, state, alpha
        self.progress, self.guard, self.n_iter_no_change = progress, guard, n_iter_no_change
        self.telemetry, self.callbacks, self.verbose = telemetry, callbacks, verbose
        self.validation = validation
        self.max_grad_norm, self.weight_decay = max_grad_norm, weight_decay
        self.warmup_epochs = warmup_epochs
        self._decayed = network.weight_mask() if weight_decay else None
        self.n_iter, self.loss = 0, np.nan

    def run(self, max_epochs, *, incremental=False):
        """Train up to ``max_epochs`` epochs (one with ``incremental``).

        Parameters
        ----------
        max_epochs : int
        incremental : bool, default=False
            ``partial_fit``: an interrupt leaves nothing (it re-raises).

        Returns
        -------
        TrainingResult

        Raises
        ------
        KeyboardInterrupt
            When interrupted before the first epoch completed (nothing to keep).
        TrainingDivergedError, ValueError
            From the divergence guard.
        """
        try:
            for _ in range(max_epochs):
                reason = self._epoch(incremental)
                if reason is None and self.n_iter == max_epochs:
                    warnings.warn(
                        "Stochastic Optimizer: Maximum iterations (%d) "
                        "reached and the optimization hasn't converged yet." % max_epochs,
                        ConvergenceWarning,
                    )
                    reason = "max_iter"
                if reason is not None:
                    return self._finish(reason)
        except NonFiniteLoss:
            self.guard.warn_non_finite()
            return self._finish("diverged")
        except KeyboardInterrupt:
            if incremental or self.n_iter == 0:
                raise  # partial_fit, or no epoch done: nothing of the call stays
            # The update rule may have been stopped half-way through a step:
            # its moments are dropped, and the next call starts a new one.
            self.state.optimizer = None
            self._pad_history()
            warnings.warn("Training interrupted by user.")
            return self._finish("interrupted")
        return self._finish("max_iter")  # max_epochs == 0

    def _epoch(self, incremental):
        """One epoch and its monitors; the stop reason, or None to go on."""
        start = time.perf_counter()
        state, history = self.state, self.state.history
        if self.callbacks is not None:
            self.callbacks.epoch_begin()
        lr = self.schedule(state.epoch, state.t)
        if state.epoch < self.warmup_epochs:
            # Linear warm-up (Goyal et al., 2017): 1 / (w + 1), ..., w / (w + 1).
            lr *= (state.epoch + 1) / (self.warmup_epochs + 1)
        # np.float64 like scikit-learn's loss_ (it has a dtype).
        loss = np.float64(self._updates(lr))
        self.n_iter += 1
        self.loss = loss
        state.epoch += 1
        state.t += self.batches.n_rows
        state.loss_curve.append(loss)
        history["loss"].append(loss)
        history["learning_rate"].append(lr)
        if self.verbose:
            print("Iteration %d, loss = %.8f" % (self.n_iter, loss))
        diverged = self.progress.update(loss)
        if self.validation is not None:
            self.validation()
        if self.telemetry is not None:
            self.telemetry.record()
        history["seconds"].append(time.perf_counter() - start)
        if diverged:
            return "diverged"
        if self.callbacks is not None and self.callbacks.epoch_end():
            return "callback"
        if state.no_improvement > self.n_iter_no_change:
            msg = "%s did not improve more than tol=%f for %d consecutive epochs." % (
                self.progress.watched,
                self.progress.tol,
                self.n_iter_no_change,
            )
            if self.schedule.on_plateau():
                if self.verbose:
                    too_small = isinstance(self.schedule, Adaptive)
                    print(msg + (" Learning rate too small." if too_small else "") + " Stopping.")
                return "no_improvement"
            if self.verbose:
                print(msg + " Setting learning rate to %f" % self.schedule(state.epoch, state.t))
            state.no_improvement = 0
        return "partial_fit" if incremental else None

    def _pad_history(self):
        """Give every per-epoch list the length of the loss curve.

        An interrupt can cut an epoch's bookkeeping (validation score,
        telemetry, timing) after its updates: the missing entries are NaN.
        """
        n = len(self.state.history["loss"])
        for values in self.state.history.values():
            values.extend([np.nan] * (n - len(values)))
        scores = self.state.validation_scores
        if scores is not None:
            scores.extend([np.nan] * (len(self.state.loss_curve) - len(scores)))

    def _updates(self, lr):
        """One pass of mini-batch updates; the mean loss of its batches."""
        network, optimizer, guard, telemetry = (
            self.network,
            self.optimizer,
            self.guard,
            self.telemetry,
        )
        # The update rule steps the one flat vector that every parameter views.
        params, grads = [network.flat_params], [network.flat_grads]
        decay = None
        if self._decayed is not None:
            decay = self._decayed * params[0].dtype.type(lr * self.weight_decay)
            shrink = np.empty_like(params[0])
        total = 0.0
        for batch in self.batches:
            loss = network.loss_and_gradients(
                batch.X, batch.target, sample_weight=batch.sample_weight, alpha=self.alpha
            )
            guard.check_batch(loss, lr=lr, n_iter=self.n_iter, batch=batch)
            if self.max_grad_norm is not None:
                norm = float(np.sqrt(np.dot(grads[0], grads[0])))
                if norm > self.max_grad_norm:  # clip the global norm (Pascanu et al., 2013)
                    grads[0] *= grads[0].dtype.type(self.max_grad_norm / norm)
            report = telemetry is not None and batch.last
            if report:
                telemetry.before_step()
            if decay is not None:  # AdamW's order: shrink, then step (Loshchilov & Hutter)
                params[0] -= np.multiply(decay, params[0], out=shrink)
            optimizer.step(params, grads, lr)
            if report:
                telemetry.after_step()
            total += loss * batch.n_rows
        return total / self.batches.n_rows

    def _finish(self, reason):
        if self.n_iter:
            self.guard.check_end(
                self.network,
                self.loss,
                alpha=self.alpha,
                best_validation_score=self.progress.best_score,
            )
        self.progress.finish()
        return TrainingResult(self.n_iter, self.loss, reason)


def train(
    network,
    X,
    target,
    sample_weight,
    *,
    params,
    state,
    random_state,
    score,
    incremental=False,
    callbacks=None,
    validation_data=None,
):
    """Train ``network`` on encoded targets, as the estimator's parameters say.

    Parameters
    ----------
    network : sknet.network.Network
    X : {ndarray, CSR matrix} of shape (n_samples, n_features)
    target : ndarray
        See :func:`~sknet.training.encode_target`.
    sample_weight : ndarray of shape (n_samples,) or None
    params : estimator
        Read for its hyperparameters only.
    state : TrainingState
        What carries over between calls; updated in place.
    random_state : numpy.random.RandomState
        The call's generator: the validation split and the shuffling.
    score : callable
        ``score(X, target, sample_weight)`` on encoded targets, higher is
        better: the validation score (early stopping) and the training score
        (telemetry).
    incremental : bool, default=False
        One epoch, continuing the update rule and schedule (``partial_fit``).
    callbacks : CallbackMonitor, default=None
    validation_data : tuple of (X_val, target_val, sample_weight_val), default=None
        Validation rows (encoded): early stopping watches them instead of a
        split of ``X``; without early stopping they are scored and recorded
        each epoch. L-BFGS ignores them.

    Returns
    -------
    TrainingResult
    """
    if params.solver == "lbfgs":
        check_batch_norm_rows(network, X.shape[0])
        return fit_lbfgs(
            network,
            X,
            target,
            sample_weight,
            alpha=params.alpha,
            max_iter=params.max_iter,
            max_fun=params.max_fun,
            tol=params.tol,
            verbose=params.verbose,
            history=state.history,
            callbacks=callbacks,
        )
    if params.early_stopping and incremental:
        raise ValueError("partial_fit does not support early_stopping=True")
    if not state.stochastic:  # a new fit, or one continuing an L-BFGS fit
        state.stochastic = True
        state.loss_curve, state.best_loss, state.no_improvement = [], np.inf, 0
    # A fit starts a new update rule and schedule, as scikit-learn's does;
    # partial_fit continues them (with the parameters of this call). After
    # an interrupt only the update rule starts afresh: the schedule goes on.
    state.optimizer = make_optimizer(params, state.optimizer if incremental else None)
    continuing = incremental and state.schedule is not None
    state.schedule = make_schedule(params, state.schedule if continuing else None)
    if not continuing:
        state.epoch = 0
    rows, validation = None, None
    if validation_data is not None:
        validation = Validation(network, score, *validation_data, state.history,
                                verbose=params.verbose)
    elif params.early_stopping:
        rows, val = validation_split(
            target,
            sample_weight,
            fraction=params.validation_fraction,
            stratify=is_classifier(params),
            random_state=random_state,
        )
        weight_val = None if sample_weight is None else sample_weight[val]
        validation = Validation(network, score, X[val], target[val], weight_val,
                                state.history, verbose=params.verbose)
    if params.early_stopping:
        progress, watch = EarlyStopping(network, state, validation, tol=params.tol), None
    else:
        progress, watch = Plateau(state, params.tol), validation
    n_rows = X.shape[0] if rows is None else rows.shape[0]
    batch_size = resolve_batch_size(params.batch_size, n_rows)
    check_batch_norm_rows(network, batch_size)
    telemetry = None
    if params.track_training:
        telemetry = Telemetry(network, X, target, rows, score, state.history)
    batches = MiniBatches(
        X,
        target,
        sample_weight,
        batch_size,
        rows=rows,
        shuffle=params.shuffle,
        random_state=random_state,
    )
    guard = DivergenceGuard(
        params.divergence_threshold,
        early_stopping=params.early_stopping,
        learning_rate_init=params.learning_rate_init,
    )
    trainer = Trainer(
        network,
        state.optimizer,
        state.schedule,
        batches,
        state,
        alpha=params.alpha,
        progress=progress,
        guard=guard,
        n_iter_no_change=params.n_iter_no_change,
        telemetry=telemetry,
        callbacks=callbacks,
        validation=watch,
        max_grad_norm=params.max_grad_norm,
        weight_decay=resolve_weight_decay(params),
        warmup_epochs=params.warmup_epochs,
        verbose=params.verbose,
    )
    return trainer.run(1 if incremental else params.max_iter, incremental=incremental)
