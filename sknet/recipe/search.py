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
    "learning_rate_range",
    "n_workers",
    "readable_params",
    "space_repr",
    "stage_plan",
    "stage_top_k",
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


def stage_top_k(n_first):
    """Winners that narrow each next stage, and that it runs again (``promote``).

    A third of stage 0's candidates, at least 2 and at most 5.

    Parameters
    ----------
    n_first : int
        Candidates of stage 0.

    Returns
    -------
    int
    """
    return max(2, min(5, n_first // 3))


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


def fit_final(model_for, choices, X, y, *, lr_key, say=None, defaults=None, unstable=None):
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
    unstable : callable or None
        ``unstable(model)`` returns why a fitted model is not to be trusted
        (its loss ended far above its best, say), or None. Such a try is
        retried like a diverged one; when every try is unstable, the first
        unstable model is kept rather than none.

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
    from sklearn.exceptions import ConvergenceWarning

    from ..exceptions import TrainingDivergedError

    attempts, fallback = [], None
    for label, params in choices:
        lr0 = params.get(lr_key, (defaults or {}).get(lr_key))
        factors = LR_RETRY_FACTORS if lr0 is not None else (1.0,)
        for factor in factors:
            rate = None if lr0 is None else float(lr0 * factor)
            tried = params if rate is None or factor == 1.0 else {**params, lr_key: rate}
            at = "" if rate is None else f" at learning rate {rate:.3g}"
            model = model_for(tried)
            t0 = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model.fit(X, y)
            except TrainingDivergedError as exc:
                model, outcome = None, f"diverged: {exc}"
                then = "retrying smaller" if factor != factors[-1] else "next choice"
                note = f"      {label} diverged{at}; {then}"
            else:
                why = unstable(model) if unstable is not None else None
                outcome = f"unstable: {why}" if why else "fitted"
                note = f"      {label}{at}: {why}; retrying"
            attempts.append({
                "choice": label,
                "learning_rate_init": rate,
                "outcome": outcome,
                "seconds": round(time.perf_counter() - t0, 3),
            })
            if outcome == "fitted":
                return model, label, tried, attempts
            if model is not None and fallback is None:
                fallback = (model, label, tried)
            if say:
                say(note)
    if fallback is not None:
        return (*fallback, attempts)
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
