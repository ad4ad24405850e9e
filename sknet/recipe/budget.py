"""The recipe's time budget: how many candidates each search stage can afford
within ``--budget-minutes``, and the deadline that keeps a stage within its
share.
"""

import time
import warnings

import numpy as np

from .models import network_step

__all__ = [
    "CROWDING",
    "DEADLINE_SLACK",
    "Deadline",
    "TimeBudget",
    "plan_time_budget",
    "probe_largest",
    "with_deadline",
]

#: How much slower a fit runs beside parallel ones than alone (measured on
#: digits, two cores: 1.4 to 1.75).
CROWDING = 1.5

#: The search's fits stop once this multiple of its time is spent.
DEADLINE_SLACK = 1.05

def _flops(hidden, n_features, n_outputs):
    """Multiply-adds per row of a network's forward pass."""
    sizes = [n_features, *hidden, n_outputs]
    return float(sum(a * b for a, b in zip(sizes[:-1], sizes[1:])))


class Deadline:
    """A scikit-learn callback that stops a network's training at a wall-clock time.

    Set on the network of the search's candidates (it survives ``clone``
    and pickling to joblib's workers): when an epoch ends after
    ``deadline`` (seconds since the epoch, as :func:`time.time`), training
    stops, as it does for any callback that asks to (the estimator's
    ``stop_reason_`` says so).

    Parameters
    ----------
    deadline : float or None
        The time to stop at; None never stops.
    """

    def __init__(self, deadline):
        self.deadline = deadline

    def setup(self, estimator, context):
        """Nothing to prepare.

        Parameters
        ----------
        estimator : estimator
            The estimator being fitted.
        context : CallbackContext
            scikit-learn's context of the task.
        """

    def teardown(self, estimator, context):
        """Nothing to release.

        Parameters
        ----------
        estimator : estimator
            The estimator being fitted.
        context : CallbackContext
            scikit-learn's context of the task.
        """

    def on_fit_task_begin(self, estimator, context, **kwargs):
        """Nothing at the start of a task.

        Parameters
        ----------
        estimator : estimator
            The estimator being fitted.
        context : CallbackContext
            scikit-learn's context of the task.
        **kwargs : dict
            X, y, metadata, fitted_estimator (unused).
        """

    def on_fit_task_end(self, estimator, context, **kwargs):
        """Ask to stop once the deadline has passed.

        Parameters
        ----------
        estimator : estimator
            The estimator being fitted.
        context : CallbackContext
            scikit-learn's context of the task (an epoch of a network).
        **kwargs : dict
            X, y, metadata, fitted_estimator (unused).

        Returns
        -------
        bool
            True to stop.
        """
        return self.deadline is not None and time.time() > self.deadline


class TimeBudget:
    """``n_iter`` for :class:`~sknet.model_selection.CoarseToFineSearchCV`
    that spends about ``seconds`` of wall time on the three stages.

    Each stage has a share of the time: as planned, 50 / 30 / 20 % of the
    candidates at their ``epochs`` (the last stage's fits stopping early as
    the default network's did, ``stop_early``). Stage 0 runs ``first``
    candidates (sized from an estimate); each later stage is sized from the
    measured wall time per candidate of the stage before, scaled by the
    ratio of their epochs, to fill its share of what is left. With a
    ``clock`` (a :class:`Deadline` on the candidates' network), each stage
    also gets a deadline at its share times :data:`DEADLINE_SLACK`: a stage
    estimated too large has its last fits cut short rather than eat the
    next stages' time. ``caps`` bounds each stage (from ``--budget-fits``).

    Parameters
    ----------
    seconds : float
        Wall time of the three stages.
    first : int
        Candidates of stage 0.
    epochs : list of 3 int
        Epochs of each stage's fits.
    stop_early : float
        Fraction of its epochs a last-stage fit is expected to run.
    caps : list of 3 int or None, default=None
        Most candidates of each stage.
    clock : Deadline or None, default=None
        Set to each stage's deadline as it starts.
    after_seconds : float, default=0.0
        What was set aside for the work after the search (for the report).
    """

    def __init__(self, seconds, first, epochs, stop_early, caps=None, clock=None,
                 after_seconds=0.0):
        self.seconds = seconds
        self.after_seconds = after_seconds
        self.first = first
        self.epochs = epochs
        self.stop_early = stop_early
        self.caps = caps
        self.clock = clock
        self.sizes = []
        self.deadlines = []

    def _cost(self, stage):
        return self.epochs[stage] * (self.stop_early if stage == 2 else 1.0)

    def _share(self, stage):
        """The stage's share of the time left when it starts."""
        weights = [0.5 * self._cost(0), 0.3 * self._cost(1), 0.2 * self._cost(2)]
        return weights[stage] / sum(weights[stage:])

    def __call__(self, stage, history):
        """Candidates of ``stage``, and its deadline on the clock.

        Parameters
        ----------
        stage : int
            The stage about to run, from 0.
        history : list of (int, float)
            Candidates and wall seconds of the stages run so far.

        Returns
        -------
        int
        """
        left = self.seconds - sum(seconds for _, seconds in history)
        if stage == 0:
            n = self.first
        else:
            n_prev, seconds_prev = history[-1]
            per_candidate = seconds_prev / n_prev * self._cost(stage) / self._cost(stage - 1)
            n = int(self._share(stage) * left / max(per_candidate, 1e-9))
        n = max(1, n if self.caps is None else min(n, self.caps[stage]))
        self.sizes.append(n)
        if self.clock is not None:
            self.clock.deadline = time.time() + max(left, 0.0) * self._share(stage) \
                * DEADLINE_SLACK
            self.deadlines.append(self.clock.deadline)
        return n

    def cut_short(self, history):
        """Stages that ran past their deadline (some fits stopped early).

        Parameters
        ----------
        history : list of (int, float)
            Candidates and wall seconds of each stage run.

        Returns
        -------
        list of int
        """
        ends = np.cumsum([seconds for _, seconds in history])
        starts = ends - [seconds for _, seconds in history]
        t0 = self.deadlines[0] - self.seconds * self._share(0) * DEADLINE_SLACK \
            if self.deadlines else 0.0
        return [k for k, (start, end) in enumerate(zip(starts, ends))
                if k < len(self.deadlines) and t0 + end > self.deadlines[k]]


def plan_time_budget(seconds, calibration, hidden_space, *, n_features, n_outputs, cv,
                     epochs, max_iter, workers, baselines, caps=None, random_state=0):
    """A :class:`TimeBudget` for ``seconds`` of wall time left in the run.

    The default network's cross-validation, run just before under the
    search's own conditions (its folds in parallel on the same cores), is
    the calibration: ``calibration`` holds each fold's ``fit_seconds``
    (without the start of joblib's worker processes) and ``epochs``. What
    follows the search (the final fit and the two baselines, each taken as
    1.5 times a fold's fit, and 3 s to draw and write the report) comes off
    first. Stage 0's size is estimated from seconds per epoch as an affine
    function of a network's multiply-adds per row, through the default
    network and the largest network searched (``calibration["probe"]``: a
    few epochs timed alone), averaged over 256 draws of ``hidden_space``,
    times its epochs, with ``workers`` fits at a time; the later stages
    correct it from measured times.

    Parameters
    ----------
    seconds : float
        Wall time left for the search and what follows it.
    calibration : dict
        ``fit_seconds`` and ``epochs`` of the default network's folds, and
        the ``probe``'s ``hidden_layer_sizes``, ``epochs`` and ``seconds``.
    hidden_space : HiddenLayerSizes
        The searched architectures.
    n_features, n_outputs : int
        Inputs and outputs of the networks.
    cv : int
        Folds of each candidate.
    epochs : list of 3 int
        Epochs of each stage's fits.
    max_iter : int
        Epochs of the default network and the final fit.
    workers : int
        Fits running at once.
    baselines : bool
        Whether the two baselines follow.
    caps : list of 3 int or None, default=None
        Most candidates of each stage.
    random_state : int, default=0
        Seeds the draws of ``hidden_space``.

    Returns
    -------
    TimeBudget
        Its ``first`` may be 0 when nothing is left; the caller decides.
    """
    fit_seconds = np.asarray(calibration["fit_seconds"], dtype=float)
    fold_epochs = np.maximum(np.asarray(calibration["epochs"], dtype=float), 1.0)
    per_epoch = float(np.mean(fit_seconds / fold_epochs))  # one fit, in a crowd of workers
    stop_early = min(1.0, max(0.2, float(np.mean(fold_epochs)) / max_iter))
    after = 1.5 * float(np.mean(fit_seconds)) * (3 if baselines else 1) + 3.0
    search_seconds = max(seconds - after, 0.0)
    # Seconds per epoch grow affinely with a network's multiply-adds per row:
    # per-batch overhead, then arithmetic. Two points fix the line: the
    # default network (timed in a crowd of parallel folds) and the largest
    # network searched (the probe, timed alone, so slowed by CROWDING).
    probe = calibration["probe"]
    default_flops = _flops((100,), n_features, n_outputs)
    probe_flops = _flops(probe["hidden_layer_sizes"], n_features, n_outputs)
    probe_per_epoch = CROWDING * probe["seconds"] / probe["epochs"]
    slope = max(0.0, (probe_per_epoch - per_epoch) / max(probe_flops - default_flops, 1.0))
    rng = np.random.RandomState(random_state)
    draws = hidden_space.rvs(size=256, random_state=rng)
    mean_per_epoch = float(np.mean([
        per_epoch + slope * max(0.0, _flops(h, n_features, n_outputs) - default_flops)
        for h in draws]))
    budget = TimeBudget(search_seconds, 0, epochs, stop_early, caps, clock=Deadline(None),
                        after_seconds=after)
    per_candidate = cv * mean_per_epoch * budget._cost(0) / max(min(workers, cv), 1)
    budget.first = int(budget._share(0) * search_seconds / max(per_candidate, 1e-12))
    return budget


def with_deadline(pipe, budget):
    """A copy of ``pipe`` whose network stops at each stage's deadline.

    Fits still running when a stage's time is up end after their current
    epoch and are scored as they are, so the search stays within
    ``--budget-minutes`` even when a stage's size was estimated too high.

    Parameters
    ----------
    pipe : estimator
        The candidates' model.
    budget : TimeBudget
        Its ``clock`` is set on the copy's network.

    Returns
    -------
    estimator
    """
    from sklearn.base import clone

    model = clone(pipe)
    network_step(model).set_callbacks(budget.clock)
    return model


def probe_largest(ctx, pipe, space, epochs=2):
    """Time a few epochs of the largest network searched, alone, on one fold.

    Parameters
    ----------
    ctx : RecipeContext
        The training part, the folds and the network's parameter prefix.
    pipe : estimator
        The candidates' model.
    space : dict
        The search's spaces (its ``hidden_layer_sizes`` gives the largest).
    epochs : int, default=2
        Epochs timed.

    Returns
    -------
    dict
        ``hidden_layer_sizes``, ``epochs`` and wall ``seconds``.
    """
    from sklearn.base import clone

    step = ctx.step
    hidden = space[f"{step}hidden_layer_sizes"]
    largest = (int(hidden.width.high),) * max(hidden.depth)
    est = clone(pipe).set_params(**{
        f"{step}hidden_layer_sizes": largest, f"{step}max_iter": epochs, f"{step}tol": 0.0,
        f"{step}n_iter_no_change": epochs + 1})
    train, _ = next(ctx.cv().split(ctx.X_train, ctx.y_train))
    X = ctx.X_train.iloc[train] if ctx.ds.is_table else ctx.X_train[train]
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, ctx.y_train[train])
    return {"hidden_layer_sizes": list(largest), "epochs": epochs,
            "seconds": round(time.perf_counter() - t0, 4)}
