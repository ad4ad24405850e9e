"""The recipe's search logic: the learning-rate range, the stage plan sized to
the data and the budget, and the final fit that never throws the search away.
"""

import contextlib
import math
import os
import sys
import time
import warnings

import numpy as np

from .errors import InputError

__all__ = [
    "Deadline",
    "TimeBudget",
    "plan_time_budget",
    "learning_rate_range",
    "n_workers",
    "readable_params",
    "space_repr",
    "stage_plan",
    "search_backend",
    "fit_final",
    "FALLBACK_LR_RANGE",
]

#: Searched when the finder's curve gives no usable rate; holds the default 1e-3.
FALLBACK_LR_RANGE = (1e-5, 1e-1)

#: Mini-batch updates per candidate fit at each stage (coarse, middle, fine).
#: On a small table the epoch caps bind first; on a large one these do, so a
#: 50,000-row table gets fewer epochs than digits, not the same number.
STAGE_UPDATES = (3000, 8000, 30000)

#: How much slower a fit runs beside parallel ones than alone (measured on
#: digits, two cores: 1.4 to 1.75).
CROWDING = 1.5

#: The search's fits stop once this multiple of its time is spent.
DEADLINE_SLACK = 1.05

#: Tries of the final fit: the chosen rate, then a third and a tenth of it.
LR_RETRY_FACTORS = (1.0, 1 / 3, 1 / 10)


def learning_rate_range(finder, *, low_limit=1e-6, high_limit=1.0):
    """The rates to search around the finder's suggestion, and why.

    The suggestion is a tenth of the rate at the smoothed loss minimum; the
    range reaches 30x below it (the short coarse stages favour high rates, so
    reach further down) and 3x above (as high as stays clear of divergence).
    When the finder saw no rate lower the loss (the minimum at its first
    steps, as on a noisy or heavy-tailed target), or the range would be
    empty after clipping to ``[low_limit, high_limit]``, the fallback
    :data:`FALLBACK_LR_RANGE` is searched instead.

    Parameters
    ----------
    finder : LearningRateFinderResult
        The range test's result.
    low_limit, high_limit : float, default=1e-6, 1.0
        The range is clipped to these.

    Returns
    -------
    (low, high) : tuple of float
    reason : str
    """
    lr = finder.suggested_lr
    losses = np.asarray(finder.smoothed_losses, dtype=float)
    first = int(np.argmax(np.asarray(finder.learning_rates) >= finder.lr_min_loss))
    if not (np.isfinite(lr) and lr > 0):
        return FALLBACK_LR_RANGE, "the finder gave no rate; searching the default range"
    if first < max(3, len(losses) // 10) or not losses.min() < losses[0]:
        return FALLBACK_LR_RANGE, (
            f"the finder's lowest loss came at its first steps (rate {finder.lr_min_loss:.2g}): "
            "no rate visibly lowered the loss, so its suggestion is noise; searching the "
            "default range"
        )
    low, high = max(lr / 30, low_limit), min(lr * 3, high_limit)
    if not high > 3 * low:
        return FALLBACK_LR_RANGE, (
            f"the suggestion {lr:.2g} leaves no room within {low_limit:g} .. {high_limit:g}; "
            "searching the default range"
        )
    return (low, high), f"30x below to 3x above the suggestion {lr:.2g}"


def stage_plan(n_candidates, max_iter, n_fold_rows, batch_size=200):
    """Candidates and epochs of the three stages.

    Candidates split 50 / 30 / 20 % (at least one each). Epochs are
    ``max_iter / 5``, ``max_iter / 2`` and ``max_iter``, each capped at
    :data:`STAGE_UPDATES` mini-batch updates on a fold's training rows.

    Parameters
    ----------
    n_candidates : int
        Candidates in all (at least 3 are planned).
    max_iter : int
        Epochs of the last stage's fits.
    n_fold_rows : float
        Training rows of one fold.
    batch_size : int, default=200
        Rows of a mini-batch.

    Returns
    -------
    n_iter : list of 3 int
    epochs : list of 3 int
    """
    n_candidates = max(n_candidates, 3)
    third = max(1, round(n_candidates * 0.2))
    second = max(1, round(n_candidates * 0.3))
    first = n_candidates - second - third
    batches = max(1, math.ceil(n_fold_rows / batch_size))
    caps = [max(5, max_iter // 5), max(10, max_iter // 2), max_iter]
    epochs = [min(cap, max(5, math.ceil(u / batches))) for cap, u in zip(caps, STAGE_UPDATES)]
    return [first, second, third], epochs


@contextlib.contextmanager
def search_backend(config):
    """joblib's dask backend when a scheduler is given, else nothing.

    Parameters
    ----------
    config : RecipeConfig
        Its ``scheduler`` and ``tls_*`` fields.

    Yields
    ------
    Client or None
        The dask client (closed on exit), or None.
    """
    if not config.scheduler:
        yield None
        return
    import joblib

    from .._cluster import connect_scheduler

    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise InputError("--scheduler needs dask.distributed: pip install 'sknet-mlp[dask]'.")
    try:
        client = connect_scheduler(
            config.scheduler,
            tls_ca_file=config.tls_ca_file,
            tls_cert=config.tls_cert,
            tls_key=config.tls_key,
        )
    except Exception as exc:  # noqa: BLE001 (dask's handshake raises anything)
        raise InputError(
            f"cannot connect to the dask scheduler {config.scheduler} "
            f"({type(exc).__name__}: {exc}); is it a scheduler's address "
            "(port 8786 by default), not the dashboard's?"
        ) from exc
    try:
        with joblib.parallel_backend("dask"):
            yield client
    finally:
        client.close()


@contextlib.contextmanager
def quiet_search_warnings():
    """Short coarse stages stop before converging on purpose, and failed
    candidates are counted in the report: their warnings are noise here."""
    from sklearn.exceptions import ConvergenceWarning, FitFailedWarning

    from ..exceptions import DivergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", DivergenceWarning)
        warnings.simplefilter("ignore", FitFailedWarning)
        warnings.filterwarnings("ignore", message=r"(?s).*test scores are non-finite")
        # the recipe picks its final candidates itself (stages._choices)
        warnings.filterwarnings("ignore", message=r"No candidate run with the last stage")
        yield


def fit_final(model_for, choices, X, y, *, lr_key, say=None, defaults=None):
    """Fit the first choice that trains without diverging.

    Each choice (parameters of the model) is tried at its own learning rate
    and then at :data:`LR_RETRY_FACTORS` of it; a diverged try moves on.
    The search's result is thus never lost to one unlucky full-data fit.

    Parameters
    ----------
    model_for : callable
        ``model_for(params)`` returns an unfitted model.
    choices : list of (label, params)
        In order of preference.
    X, y : the training data.
    lr_key : str
        The learning-rate parameter's name in ``params``.
    say : callable or None
        Prints a progress line.
    defaults : dict or None
        Values of parameters a choice leaves out (the default network's
        learning rate, for its retries).

    Returns
    -------
    model : the fitted model
    label, params : the choice that was kept (params with the rate used)
    attempts : list of dict
        Every try: label, learning rate, outcome, seconds.

    Raises
    ------
    InputError
        When every try diverged.
    """
    from ..exceptions import TrainingDivergedError

    attempts = []
    for label, params in choices:
        lr0 = params.get(lr_key, (defaults or {}).get(lr_key))
        factors = LR_RETRY_FACTORS if lr0 is not None else (1.0,)
        for factor in factors:
            tried = params
            rate = None if lr0 is None else float(lr0 * factor)
            if lr0 is not None and factor != 1.0:
                tried = dict(params)
                tried[lr_key] = float(lr0 * factor)
            model = model_for(tried)
            t0 = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    from sklearn.exceptions import ConvergenceWarning

                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model.fit(X, y)
            except TrainingDivergedError as exc:
                attempts.append({
                    "choice": label,
                    "learning_rate_init": rate,
                    "outcome": f"diverged: {exc}",
                    "seconds": round(time.perf_counter() - t0, 3),
                })
                if say:
                    at = f" at learning rate {rate:.3g}" if rate is not None else ""
                    then = "retrying smaller" if factor != factors[-1] else "next choice"
                    say(f"      {label} diverged{at}; {then}")
                continue
            attempts.append({
                "choice": label,
                "learning_rate_init": rate,
                "outcome": "fitted",
                "seconds": round(time.perf_counter() - t0, 3),
            })
            return model, label, tried, attempts
    raise InputError(
        f"every final fit diverged ({len(attempts)} tries, the last: "
        f"{attempts[-1]['outcome'] if attempts else 'none'}); the data may need rescaling."
    )


class IndentedStdout:
    """A stdout that indents each line, so the search's own progress lines
    sit inside the recipe's stage."""

    def __init__(self, stream=None, prefix="      "):
        self.stream = stream or sys.stdout
        self.prefix, self.at_line_start = prefix, True

    def write(self, text):
        for piece in text.splitlines(keepends=True):
            if self.at_line_start and piece.strip():
                self.stream.write(self.prefix)
            self.stream.write(piece)
            self.at_line_start = piece.endswith("\n")
        return len(text)

    def flush(self):
        self.stream.flush()

    def __getattr__(self, name):  # encoding, isatty, ... of the real stream
        return getattr(self.stream, name)


def n_workers(cfg):
    """Fits that run at once: the cores joblib uses, or the cluster's.

    Parameters
    ----------
    cfg : RecipeConfig
        Its ``n_jobs`` and ``scheduler``.

    Returns
    -------
    int
    """
    cpus = os.cpu_count() or 1
    if cfg.scheduler:
        return cpus
    if not cfg.n_jobs:
        return 1
    return max(1, cpus + 1 + cfg.n_jobs if cfg.n_jobs < 0 else min(cfg.n_jobs, cpus))


def readable_params(params, scalers):
    """Search parameters by their short names, scalers by their names.

    Parameters
    ----------
    params : dict
        Parameters with their pipeline prefixes (``mlp__alpha``).
    scalers : dict
        Scaler objects by name.

    Returns
    -------
    dict
    """
    out = {}
    for key, value in params.items():
        name = key.rsplit("__", 1)[-1]
        if name == "scale":
            value = next((n for n, s in scalers.items() if s is value), type(value).__name__)
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


def space_repr(space, scalers):
    """A search space as JSON: a range's bounds, or the list of choices.

    Parameters
    ----------
    space : list or distribution
        One entry of the search's spaces.
    scalers : dict
        Scaler objects by name.

    Returns
    -------
    dict, list or str
    """
    from ..model_selection import search_range

    if isinstance(space, list):
        return [v if v is None or isinstance(v, (str, bool, int, float))
                else readable_params({"scale": v}, scalers)["scale"] for v in space]
    r = search_range(space)
    if r is not None:
        return {"low": r.low, "high": r.high, "log": r.log, "integer": r.integer}
    return repr(space)


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
    """

    def __init__(self, seconds, first, epochs, stop_early, caps=None, clock=None):
        self.seconds = seconds
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
    cost = [epochs[0], epochs[1], epochs[2] * stop_early]
    share0 = 0.5 * cost[0] / (0.5 * cost[0] + 0.3 * cost[1] + 0.2 * cost[2])
    per_candidate = cv * mean_per_epoch * cost[0] / max(min(workers, cv), 1)
    first = int(share0 * search_seconds / max(per_candidate, 1e-12))
    budget = TimeBudget(search_seconds, first, epochs, stop_early, caps, clock=Deadline(None))
    budget.after_seconds = after
    return budget
