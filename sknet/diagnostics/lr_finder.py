"""The learning-rate range test: raise the rate step by step and watch the loss.

The finder is a client of :mod:`sknet.training`: it builds the network and
the update rule as ``fit`` does and draws its mini-batches from
:class:`~sknet.training.MiniBatches`; only its rate, which grows at every
step, is its own.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_random_state

from ..training import (
    STOCHASTIC_SOLVERS,
    MiniBatches,
    check_batch_norm_rows,
    make_optimizer,
    resolve_batch_size,
)
from ._common import OK, WARN, Result, check_X, fresh, loss_target, split_pipeline

__all__ = ["LearningRateFinderResult", "find_learning_rate"]


@dataclass(repr=False)
class LearningRateFinderResult(Result):
    """Result of :func:`find_learning_rate`.

    Attributes
    ----------
    learning_rates : ndarray
        The rate of each step taken.
    losses : ndarray
        The mini-batch loss of each step (before its update).
    smoothed_losses : ndarray
        Their exponential moving average (bias-corrected).
    suggested_lr : float
        ``lr_min_loss / 10``: a rate safely below the point where the loss
        stops improving.
    lr_min_loss : float
        Rate at the minimum of the smoothed loss.
    lr_steepest : float
        Rate where the smoothed loss falls fastest (per decade of rate).
    too_low_lr : float
        Below this the loss barely changes: until here the smoothed loss has
        made less than 5% of its total drop.
    too_high_lr : float or None
        From this rate on the loss got worse than at the start (or diverged);
        None if it never did within ``max_lr``.
    diverged : bool
        Whether the run stopped because the loss exploded.
    verdict, message : str
    """

    learning_rates: np.ndarray
    losses: np.ndarray
    smoothed_losses: np.ndarray
    suggested_lr: float
    lr_min_loss: float
    lr_steepest: float
    too_low_lr: float
    too_high_lr: float
    diverged: bool
    verdict: str
    message: str


def find_learning_rate(
    estimator,
    X,
    y,
    *,
    min_lr=1e-6,
    max_lr=1.0,
    n_steps=100,
    batch_size=None,
    smoothing=0.9,
    diverge_factor=4.0,
    random_state=0,
):
    """Learning-rate range test: raise the rate exponentially and watch the loss.

    A fresh network (built as ``fit`` builds it) takes ``n_steps``
    mini-batch steps of the estimator's solver, the rate growing
    geometrically from ``min_lr`` to ``max_lr``. The run stops early when
    the smoothed loss exceeds ``diverge_factor`` times its best value or
    becomes non-finite. Too low a rate leaves the loss flat, too high a rate
    makes it explode; the suggestion is a tenth of the rate at the smoothed
    minimum.

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor, or a Pipeline ending in one
        A stochastic solver ('sgd', 'adam', 'adamw', 'rmsprop', 'adagrad').
    X, y : array-like
    min_lr, max_lr : float, default=1e-6, 1.0
    n_steps : int, default=100
    batch_size : int, default=None
        The estimator's (``'auto'`` is ``min(200, n_samples)``) if None.
    smoothing : float, default=0.9
        Weight of the past in the moving average of the loss.
    diverge_factor : float, default=4.0
    random_state : int, default=0
        Orders the mini-batches (the weights follow the estimator's
        ``random_state``).

    Returns
    -------
    LearningRateFinderResult

    Raises
    ------
    ValueError
        With ``solver='lbfgs'`` (no learning rate), or batch norm with
        one-row mini-batches.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknet import MLPClassifier
    >>> from sknet.diagnostics import find_learning_rate
    >>> X, y = load_digits(return_X_y=True)
    >>> result = find_learning_rate(MLPClassifier(hidden_layer_sizes=(32,), random_state=0),
    ...                             X / 16, y, n_steps=60)
    >>> 1e-4 < result.suggested_lr < 1e-1
    True
    >>> result.too_low_lr < result.suggested_lr
    True
    """
    estimator, X = split_pipeline(estimator, X, y, fit=True)
    est = fresh(estimator, warm_start=False, track_training=False)
    if est.solver not in STOCHASTIC_SOLVERS:
        raise ValueError(
            f"solver={est.solver!r} has no learning rate: the range test needs a "
            f"stochastic solver (one of {', '.join(map(repr, STOCHASTIC_SOLVERS))})."
        )
    est.initialize(X, y)
    optimizer = make_optimizer(est)
    net = est.network_
    X = check_X(est, X)
    target = loss_target(est, y, X.dtype)
    batch_size = resolve_batch_size(est.batch_size if batch_size is None else batch_size, X.shape[0])
    check_batch_norm_rows(net, batch_size)
    # Equal batches, reshuffled whenever the data run out.
    batches = MiniBatches(
        X, target, None, batch_size, random_state=check_random_state(random_state), drop_last=True
    )
    stream = (batch for _ in iter(int, 1) for batch in batches)
    rates = min_lr * (max_lr / min_lr) ** (np.arange(n_steps) / max(n_steps - 1, 1))
    params, grads = [net.flat_params], [net.flat_grads]
    losses, smoothed = [], []
    avg, best, diverged = 0.0, np.inf, False
    with np.errstate(all="ignore"):
        for step, (lr, batch) in enumerate(zip(rates, stream)):
            loss = float(net.loss_and_gradients(batch.X, batch.target, alpha=est.alpha))
            losses.append(loss)
            avg = smoothing * avg + (1 - smoothing) * loss
            value = avg / (1 - smoothing ** (step + 1))
            smoothed.append(value)
            if not np.isfinite(value) or value > diverge_factor * best:
                diverged = True
                break
            best = min(best, value)
            optimizer.step(params, grads, float(lr))
    net.clear_cache()
    rates = rates[: len(losses)]
    losses, smoothed = np.asarray(losses), np.asarray(smoothed)
    finite = np.where(np.isfinite(smoothed), smoothed, np.inf)
    i_min = int(np.argmin(finite))
    start = smoothed[0]
    drop = start - smoothed[i_min]
    # Rates that barely move the loss: less than 5% of the eventual drop so far.
    moved = np.nonzero(smoothed[: i_min + 1] < start - 0.05 * drop)[0]
    i_low = max(int(moved[0]) - 1, 0) if moved.size else i_min
    slope = np.gradient(smoothed[: i_min + 1], np.log10(rates[: i_min + 1])) if i_min > 1 else None
    i_steep = int(np.argmin(slope)) if slope is not None else i_min
    worse = np.nonzero(~(finite[i_min:] <= start))[0]
    too_high = float(rates[i_min + worse[0]]) if worse.size else (
        float(rates[-1]) if diverged else None
    )
    suggested = float(rates[i_min] / 10)
    lr_now = getattr(est, "learning_rate_init", None)
    text = (
        f"loss flat below {rates[i_low]:.2g}, lowest at {rates[i_min]:.2g}, "
        + (f"worse than at the start from {too_high:.2g}" if too_high else "never exploded")
        + f": suggested learning_rate_init {suggested:.2g}"
    )
    verdict = OK
    if lr_now is not None:
        if lr_now < rates[i_low]:
            verdict = WARN
            text += (
                f"; the current {lr_now:g} is below the rates that moved the loss "
                f"within {len(rates)} steps: expect slow progress"
            )
        elif too_high is not None and lr_now >= too_high:
            verdict = WARN
            text += f"; the current {lr_now:g} is too high (the loss would explode)"
        else:
            text += f"; the current {lr_now:g} is in the useful range"
    if drop <= 0:
        verdict = WARN
        text += ". The loss never went down: check the gradients and the data"
    return LearningRateFinderResult(
        learning_rates=rates,
        losses=losses,
        smoothed_losses=smoothed,
        suggested_lr=suggested,
        lr_min_loss=float(rates[i_min]),
        lr_steepest=float(rates[i_steep]),
        too_low_lr=float(rates[i_low]),
        too_high_lr=too_high,
        diverged=diverged,
        verdict=verdict,
        message=text + ".",
    )
