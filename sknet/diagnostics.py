"""Babysitting the learning process: sanity checks, statistics and a learning-rate finder.

The checks follow the steps of CS231n's "Training Neural Networks I": the
initial loss must be about what the output layer gives for zero scores
(:func:`check_initial_loss`), the model must be able to overfit a tiny subset
with regularization off (:func:`check_overfit_small`), the analytic gradients
must match centred differences (:func:`check_gradients`), and the learning rate
must make the loss go down without exploding (:func:`find_learning_rate`).
:func:`layer_statistics` reports dead ReLUs, saturated units, gradient norms
and update-to-weight ratios, and :func:`babysit` runs everything in order and
prints advice. Everything here reads the estimator and its
:class:`~sknet.network.Network` through their public methods only.
"""

import copy
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.special import xlogy
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_array, check_random_state
from sklearn.utils.validation import check_is_fitted

from .exceptions import DivergenceWarning
from .training import (
    STOCHASTIC_SOLVERS,
    MiniBatches,
    check_batch_norm_rows,
    encode_target,
    make_optimizer,
    network_statistics,
    propagate_interrupts,
    resolve_batch_size,
)

__all__ = [
    "check_initial_loss",
    "check_overfit_small",
    "find_learning_rate",
    "layer_statistics",
    "network_statistics",
    "check_gradients",
    "advise_on_layers",
    "babysit",
    "EpochProgress",
    "InitialLossCheck",
    "OverfitCheck",
    "LearningRateFinderResult",
    "GradientCheckResult",
    "BabysitReport",
]

# ----------------------------------------------------------------------
# helpers reading the estimator through its public API
# ----------------------------------------------------------------------
_OK, _WARN, _FAIL = "OK", "WARNING", "FAIL"


def _fresh(estimator, **params):
    """An unfitted clone without callbacks, with ``params`` set."""
    est = clone(estimator)
    if hasattr(est, "set_callbacks"):
        est.set_callbacks()
    valid = est.get_params()
    est.set_params(**{k: v for k, v in params.items() if k in valid})
    return est


def _check_X(estimator, X):
    """``X`` validated and cast to the network's dtype (CSR if sparse)."""
    X = check_array(X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32))
    if sp.issparse(X):
        X = X.tocsr()
    dtype = estimator.network_.parameters()[0].dtype
    return X if X.dtype == dtype else X.astype(dtype)


def _encode_target(estimator, y, dtype):
    """The loss's target for ``y``, from the estimator's public fitted attributes."""
    return encode_target(
        y,
        out_activation=estimator.out_activation_,
        n_outputs=estimator.n_outputs_,
        classes=getattr(estimator, "classes_", None),
        dtype=dtype,
    )


def _expected_initial_loss(estimator, target):
    """Loss of all-zero output scores, and the formula that gives it."""
    out = estimator.out_activation_
    k = estimator.n_outputs_
    if out == "softmax":
        return float(np.log(k)), f"ln({k})"
    if out == "logistic":
        return float(k * np.log(2)), (f"{k} x ln(2)" if k > 1 else "ln(2)")
    t = np.asarray(target, dtype=np.float64)
    if out == "identity":
        return float(0.5 * np.mean(t * t)), "0.5 x mean(y^2) (prediction 0)"
    return float(np.mean(xlogy(t, t) - t + 1)), "mean(y log y - y + 1) (prediction 1)"


def _score(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(estimator.score(X, y))
        except ValueError:  # non-finite outputs
            return np.nan


class _Result:
    """Base of the result objects: ``verdict`` and a readable ``message``."""

    def __str__(self):
        return self.message

    def __repr__(self):
        return f"{type(self).__name__}({self.verdict}: {self.message})"


# ----------------------------------------------------------------------
# initial loss
# ----------------------------------------------------------------------
class InitialLossCheck(_Result):
    """Result of :func:`check_initial_loss`.

    Attributes
    ----------
    loss : float
        Initial loss with the L2 term, as the first epoch of ``fit`` sees it.
    data_loss : float
        Initial loss without the L2 term.
    penalty : float
        ``loss - data_loss``: what ``alpha`` adds.
    expected : float
        Loss of all-zero output scores (what small weights give).
    expected_formula : str
    alpha : float
    verdict : {'OK', 'WARNING'}
    message : str
    estimator : estimator
        The untrained clone.
    """

    def __init__(self, **kw):
        vars(self).update(kw)


def check_initial_loss(estimator, X, y, *, rtol=0.1):
    """Check that the untrained network's loss is what its output layer implies.

    The network is built exactly as ``fit`` builds it (``initialize``), and
    its loss on ``(X, y)`` is compared with the loss of all-zero output
    scores, which a network with small weights produces:

    - softmax over ``C`` classes: ``ln(C)`` (every class at ``1 / C``);
    - sigmoid outputs (binary, multilabel): ``n_outputs x ln(2)``;
    - squared error: ``0.5 x mean(y^2)`` (the prediction 0; per output, this is
      ``0.5 (var(y) + mean(y)^2)``);
    - Poisson: ``mean(y log y - y + 1)`` (the prediction 1).

    The data loss passes when within ``rtol`` (relative) of that value. With
    ``alpha > 0`` the loss ``fit`` starts from is higher by the L2 term
    ``alpha / 2 x sum ||W||^2 / n_samples``, reported as ``penalty``.

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor
        Not modified (a clone is initialized).
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    rtol : float, default=0.1

    Returns
    -------
    InitialLossCheck

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknet import MLPClassifier
    >>> from sknet.diagnostics import check_initial_loss
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(32,), init="normal", random_state=0)
    >>> check = check_initial_loss(clf, X / 16, y)
    >>> check.verdict, round(check.expected, 3)
    ('OK', 2.303)
    >>> abs(check.data_loss - check.expected) < 0.01
    True
    """
    est = _fresh(estimator, warm_start=False).initialize(X, y)
    net = est.network_
    X = _check_X(est, X)
    target = _encode_target(est, y, X.dtype)
    with np.errstate(all="ignore"):
        data_loss = float(net.evaluate_loss(X, target))
        loss = float(net.evaluate_loss(X, target, alpha=est.alpha))
    expected, formula = _expected_initial_loss(est, target)
    gap = data_loss - expected
    text = f"initial loss {data_loss:.4g}, expected {formula} = {expected:.4g}"
    if not np.isfinite(data_loss):
        verdict, advice = _WARN, (
            "the loss is not finite: scale the inputs and use a smaller initialization"
        )
    elif abs(gap) <= rtol * max(abs(expected), 1e-12):
        verdict, advice = _OK, ""
    elif gap > 0:
        start = (
            "the output scores are far from 0, so the network starts confidently wrong"
            if is_classifier(est)
            else "the initial predictions are far from 0"
        )
        verdict, advice = _WARN, (
            f"too high: {start}. Scale the inputs or use smaller initial weights "
            "(e.g. init='normal' with init_scale=0.01, or init='xavier' / 'he')"
        )
    else:
        verdict, advice = _WARN, (
            "lower than chance: check that the labels are not leaking into X"
        )
    text += f": {verdict}" + (f" ({advice})" if advice else "")
    if est.alpha:
        text += (
            f". With alpha={est.alpha:g} the L2 term adds {loss - data_loss:.3g}"
            f" (loss {loss:.4g}); raising alpha should raise it"
        )
    return InitialLossCheck(
        loss=loss,
        data_loss=data_loss,
        penalty=loss - data_loss,
        expected=expected,
        expected_formula=formula,
        alpha=float(est.alpha),
        verdict=verdict,
        message=text + ".",
        estimator=est,
    )


# ----------------------------------------------------------------------
# overfit a tiny subset
# ----------------------------------------------------------------------
class OverfitCheck(_Result):
    """Result of :func:`check_overfit_small`.

    Attributes
    ----------
    n_samples : int
    train_score : float
        Accuracy (classifier) or R^2 (regressor) on the subset after training.
    initial_loss, final_loss : float
    loss_curve : ndarray
        Training loss per epoch.
    passed : bool
    verdict : {'OK', 'FAIL'}
    message : str
    estimator : estimator
        The clone trained on the subset.
    """

    def __init__(self, **kw):
        vars(self).update(kw)


def _small_subset(estimator, X, y, n_samples, random_state):
    n = X.shape[0]
    if n_samples >= n:
        return X, y
    if is_classifier(estimator) and np.asarray(y).ndim == 1:
        try:
            X_s, _, y_s, _ = train_test_split(
                X, y, train_size=n_samples, stratify=y, random_state=random_state
            )
            return X_s, y_s
        except ValueError:  # a class too small to stratify, or too many classes
            pass
    idx = check_random_state(random_state).choice(n, n_samples, replace=False)
    return X[idx], np.asarray(y)[idx]


def check_overfit_small(
    estimator, X, y, *, n_samples=20, max_iter=200, min_score=None, random_state=0
):
    """Check that the model can overfit a tiny subset with regularization off.

    A clone with ``alpha=0`` and ``dropout=0`` (and no early stopping) trains
    for ``max_iter`` epochs on ``n_samples`` samples (stratified for
    classifiers). A healthy model and learning rate reach 100% training
    accuracy (R^2 of at least 0.99 for regressors); if not, the loss curve
    tells why: flat means the learning rate is far too low (or the gradients
    are wrong), exploding means too high.

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor
    X, y : array-like
    n_samples : int, default=20
    max_iter : int, default=200
        Epochs (with ``n_samples <= 200`` and ``batch_size='auto'``, one
        update each).
    min_score : float, default=None
        Score to reach: 1.0 for classifiers, 0.99 for regressors if None.
    random_state : int, default=0
        Picks the subset.

    Returns
    -------
    OverfitCheck

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknet import MLPClassifier
    >>> from sknet.diagnostics import check_overfit_small
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(32,), random_state=0)
    >>> check_overfit_small(clf, X / 16, y, max_iter=100).passed
    True
    >>> too_low = clf.set_params(learning_rate_init=1e-9)
    >>> check_overfit_small(too_low, X / 16, y, max_iter=100).verdict
    'FAIL'
    """
    X = check_array(X, accept_sparse=["csr"], dtype=(np.float64, np.float32))
    X_s, y_s = _small_subset(estimator, X, y, n_samples, random_state)
    est = _fresh(
        estimator,
        alpha=0.0,
        dropout=0.0,
        early_stopping=False,
        warm_start=False,
        max_iter=max_iter,
        tol=0.0,
        n_iter_no_change=max_iter,
        divergence_threshold=None,
        track_training=False,
    )
    if min_score is None:
        min_score = 1.0 if is_classifier(est) else 0.99
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", DivergenceWarning)
        try:
            with propagate_interrupts():
                est.fit(X_s, y_s)
            curve = np.asarray(est.history_["loss"], dtype=float)
            score = _score(est, X_s, y_s)
        except ValueError as exc:  # non-finite loss: the rate is far too high
            curve, score = np.array([np.inf]), np.nan
            error = str(exc)
        else:
            error = None
    initial, final = float(curve[0]), float(curve[-1])
    passed = bool(np.isfinite(score) and score >= min_score - 1e-12)
    what = "accuracy" if is_classifier(est) else "R^2"
    if error is None:
        text = (
            f"{est.n_iter_} epochs on {X_s.shape[0]} samples without "
            f"regularization: training {what} {score:.3g}, loss {initial:.3g} -> {final:.3g}"
        )
    else:
        text = f"training on {X_s.shape[0]} samples stopped: the loss became non-finite"
    if passed:
        text += ": OK, the model can overfit a tiny subset."
    elif error is not None or not np.isfinite(final) or final > initial:
        text += (
            ": FAIL, the loss exploded. The learning rate "
            f"{est.learning_rate_init:g} is too high."
        )
    elif final > 0.99 * initial:
        text += (
            ": FAIL, the loss barely changed. The learning rate "
            f"{est.learning_rate_init:g} is far too low (or the gradients are "
            "wrong: run check_gradients)."
        )
    else:
        text += (
            ": FAIL, the loss went down but not far enough. Train longer, raise "
            "the learning rate or enlarge the network (a loss stuck at chance "
            "level after a drop can also mean dead units: too high a rate)."
        )
    return OverfitCheck(
        n_samples=int(X_s.shape[0]),
        train_score=score,
        initial_loss=initial,
        final_loss=final,
        loss_curve=curve,
        passed=passed,
        verdict=_OK if passed else _FAIL,
        message=text,
        estimator=est,
    )


# ----------------------------------------------------------------------
# learning-rate range test
# ----------------------------------------------------------------------
class LearningRateFinderResult(_Result):
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

    def __init__(self, **kw):
        vars(self).update(kw)


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
    estimator : MLPClassifier or MLPRegressor
        A stochastic solver ('sgd', 'adam', 'rmsprop', 'adagrad').
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
    est = _fresh(estimator, warm_start=False, track_training=False)
    if est.solver not in STOCHASTIC_SOLVERS:
        raise ValueError(
            f"solver={est.solver!r} has no learning rate: the range test needs a "
            "stochastic solver ('sgd', 'adam', 'rmsprop' or 'adagrad')."
        )
    est.initialize(X, y)
    optimizer = make_optimizer(est)
    net = est.network_
    X = _check_X(est, X)
    target = _encode_target(est, y, X.dtype)
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
    verdict = _OK
    if lr_now is not None:
        if lr_now < rates[i_low]:
            verdict = _WARN
            text += (
                f"; the current {lr_now:g} is below the rates that moved the loss "
                f"within {len(rates)} steps: expect slow progress"
            )
        elif too_high is not None and lr_now >= too_high:
            verdict = _WARN
            text += f"; the current {lr_now:g} is too high (the loss would explode)"
        else:
            text += f"; the current {lr_now:g} is in the useful range"
    if drop <= 0:
        verdict = _WARN
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


# ----------------------------------------------------------------------
# layer statistics on demand
# ----------------------------------------------------------------------
def layer_statistics(estimator, X, y=None):
    """Statistics of every layer of a fitted (or initialized) estimator on ``X``.

    The records of :func:`network_statistics`: mean and std of the
    activations, dead ReLUs, saturated sigmoid / tanh units and weight norms.
    With ``y``, also the gradient norms of the loss on ``(X, y)`` (L2 term
    included) and the update-to-weight ratio of one plain SGD step at
    ``learning_rate_init`` (``lr ||dW|| / ||W||``; for the actual steps of
    any solver, fit with ``track_training=True`` and read
    ``history_['layer_stats']``). The estimator is not modified.

    Parameters
    ----------
    estimator : fitted MLPClassifier or MLPRegressor
    X : array-like of shape (n_samples, n_features)
    y : array-like, default=None

    Returns
    -------
    records : list of dict
        One per affine layer; see :func:`network_statistics`.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet import MLPClassifier
    >>> from sknet.diagnostics import layer_statistics
    >>> X = np.random.RandomState(0).randn(100, 5)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = MLPClassifier(hidden_layer_sizes=(8, 8), activation="tanh",
    ...                     random_state=0).initialize(X, y)
    >>> stats = layer_statistics(clf, X, y)
    >>> [s["activation"] for s in stats]
    ['tanh', 'tanh', 'output']
    >>> all(s["grad_norm"] > 0 for s in stats)
    True
    """
    check_is_fitted(estimator, "network_")
    X = _check_X(estimator, X)
    gradients = updates = None
    if y is not None:
        net = copy.deepcopy(estimator.network_)
        target = _encode_target(estimator, y, X.dtype)
        with np.errstate(all="ignore"):
            net.loss_and_gradients(X, target, alpha=estimator.alpha)
        names = list(net.named_parameters())
        gradients = dict(zip(names, net.gradients()))
        lr = getattr(estimator, "learning_rate_init", 1.0)
        updates = {k: lr * g for k, g in gradients.items()}
    with np.errstate(all="ignore"):
        return network_statistics(
            estimator.network_, X, gradients=gradients, updates=updates
        )


# ----------------------------------------------------------------------
# numerical gradient check
# ----------------------------------------------------------------------
class GradientCheckResult(_Result):
    """Result of :func:`check_gradients`.

    Attributes
    ----------
    max_relative_error : float
    relative_errors : dict
        ``'layer.key' -> max relative error`` over the checked entries.
    n_checked : int
        Number of entries compared.
    passed : bool
    tol : float
    verdict, message : str
    """

    def __init__(self, **kw):
        vars(self).update(kw)


def check_gradients(
    estimator,
    X,
    y,
    *,
    n_samples=10,
    max_entries=20,
    eps=1e-5,
    tol=1e-5,
    atol=1e-5,
    random_state=0,
):
    """Compare the network's backpropagated gradients with centred differences.

    A float64 copy of the network ``fit`` would build (dropout off: its random
    masks change between evaluations) computes the training loss, L2 term
    included, on ``n_samples`` samples. For up to ``max_entries`` entries of
    every learnable array, ``(L(w + eps) - L(w - eps)) / (2 eps)`` is
    compared with the analytic gradient by the relative error
    ``|a - n| / max(|a| + |n|, atol)``. The floor ``atol`` compares tiny
    gradients in absolute terms: the centred difference carries a rounding
    error of about ``1e-16 |L| / eps`` (~1e-11), which would make the
    relative error of a 1e-9 gradient (or of an exactly zero one, such as
    the bias before a batch-norm layer) meaningless. CS231n's scale: below
    1e-7 excellent, below 1e-4 usual with kinks (a ReLU kink crossed by
    ``eps``), above 1e-2 a bug.

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor
    X, y : array-like
    n_samples : int, default=10
    max_entries : int or None, default=20
        Entries checked per array (chosen at random); None checks them all.
    eps : float, default=1e-5
    tol : float, default=1e-5
    atol : float, default=1e-5
    random_state : int, default=0
        Picks the samples and the entries.

    Returns
    -------
    GradientCheckResult

    Examples
    --------
    >>> import numpy as np
    >>> from sknet import MLPClassifier
    >>> from sknet.diagnostics import check_gradients
    >>> X = np.random.RandomState(0).randn(40, 4)
    >>> y = np.arange(40) % 3
    >>> clf = MLPClassifier(hidden_layer_sizes=(6,), activation="tanh",
    ...                     batch_norm=True, alpha=0.1, random_state=0)
    >>> result = check_gradients(clf, X, y)
    >>> result.passed, result.max_relative_error < 1e-5
    (True, True)
    """
    rng = check_random_state(random_state)
    X = check_array(X, accept_sparse=["csr"], dtype=np.float64)
    y = np.asarray(y)
    idx = rng.choice(X.shape[0], min(n_samples, X.shape[0]), replace=False)
    X, y = X[np.sort(idx)], y[np.sort(idx)]
    est = _fresh(estimator, dropout=0.0, warm_start=False).initialize(X, y)
    net, alpha = est.network_, est.alpha
    target = _encode_target(est, y, X.dtype)

    def loss():
        return net.loss_and_gradients(X, target, alpha=alpha)

    loss()
    analytic = {k: g.copy() for k, g in zip(net.named_parameters(), net.gradients())}
    errors, n_checked = {}, 0
    for name, param in net.named_parameters().items():
        flat = param.reshape(-1)
        entries = np.arange(flat.size)
        if max_entries is not None and flat.size > max_entries:
            entries = rng.choice(flat.size, max_entries, replace=False)
        worst = 0.0
        for i in entries:
            old = flat[i]
            flat[i] = old + eps
            plus = loss()
            flat[i] = old - eps
            minus = loss()
            flat[i] = old
            numeric = (plus - minus) / (2 * eps)
            a = analytic[name].reshape(-1)[i]
            worst = max(worst, abs(a - numeric) / max(abs(a) + abs(numeric), atol))
        errors[name] = float(worst)
        n_checked += len(entries)
    net.clear_cache()
    top = max(errors.values()) if errors else 0.0
    passed = top < tol
    worst_name = max(errors, key=errors.get) if errors else ""
    text = (
        f"gradient check on {n_checked} entries: max relative error {top:.2g}"
        + (f" (in {worst_name})" if errors else "")
        + (
            ": OK."
            if passed
            else f": FAIL, above {tol:g}. The backward pass disagrees with the loss."
        )
    )
    return GradientCheckResult(
        max_relative_error=top,
        relative_errors=errors,
        n_checked=n_checked,
        passed=passed,
        tol=tol,
        verdict=_OK if passed else _FAIL,
        message=text,
    )


# ----------------------------------------------------------------------
# the whole procedure
# ----------------------------------------------------------------------
_DEAD_LIMIT = 0.1  # more than 10% dead ReLUs deserves a look
_SATURATED_LIMIT = 0.1
_RATIO_RANGE = (1e-4, 1e-2)  # around the rule of thumb 1e-3


def advise_on_layers(records):
    """Verdict and advice lines for one list of :func:`network_statistics` records.

    Flags more than 10% dead ReLUs, more than 10% saturated sigmoid / tanh
    values, vanishing activations (std below 1e-3) and update-to-weight
    ratios outside ``[1e-4, 1e-2]`` (the rule of thumb is about 1e-3).
    Layers are numbered from 1, the output layer last.

    Parameters
    ----------
    records : list of dict

    Returns
    -------
    verdict : {'OK', 'WARNING'}
    lines : list of str

    Examples
    --------
    >>> from sknet.diagnostics import advise_on_layers
    >>> advise_on_layers([{"layer": 0, "activation": "relu", "std": 1.0,
    ...                    "dead_fraction": 0.41, "saturated_fraction": float("nan"),
    ...                    "update_ratio": 1e-3}])
    ('WARNING', ['41% of the ReLU units in layer 1 are dead: lower the learning rate or try leaky_relu.'])
    """
    lines = []
    for r in records:
        i, act = r["layer"] + 1, r["activation"]
        dead = r["dead_fraction"]
        if act != "output" and r["std"] < 1e-3 and not dead > 0.5:
            lines.append(
                f"the activations of layer {i} have std {r['std']:.1e}: they vanish, "
                "the initialization is too small (use 'xavier' / 'he' or batch_norm)."
            )
        dead = r["dead_fraction"]
        if act == "relu" and dead > _DEAD_LIMIT:
            lines.append(
                f"{dead:.0%} of the ReLU units in layer {i} are dead: lower the "
                "learning rate or try leaky_relu."
            )
        elif act != "output" and np.isfinite(dead) and dead > _DEAD_LIMIT:
            lines.append(f"{dead:.0%} of the {act} units in layer {i} are never positive.")
        sat = r["saturated_fraction"]
        if np.isfinite(sat) and sat > _SATURATED_LIMIT:
            lines.append(
                f"{sat:.0%} of the {act} activations in layer {i} are saturated "
                "(their gradient vanishes): use a smaller initialization ('xavier'), "
                "batch_norm, or scale the inputs."
            )
        ratio = r.get("update_ratio", np.nan)
        if np.isfinite(ratio) and ratio < _RATIO_RANGE[0]:
            lines.append(
                f"update / weight ratio {ratio:.1e} in layer {i} (rule of thumb ~1e-3): "
                "the learning rate may be too low."
            )
        elif np.isfinite(ratio) and ratio > _RATIO_RANGE[1]:
            lines.append(
                f"update / weight ratio {ratio:.1e} in layer {i} (rule of thumb ~1e-3): "
                "the learning rate may be too high."
            )
    return (_WARN if lines else _OK), lines


class BabysitReport:
    """What :func:`babysit` found: one verdict and message per step.

    Printing it gives the readable summary.

    Attributes
    ----------
    steps : list of dict
        ``{'step', 'verdict', 'message'}`` in the lecture's order.
    initial_loss : InitialLossCheck
    gradient_check : GradientCheckResult or None
    overfit : OverfitCheck
    learning_rate : LearningRateFinderResult or None
    training : estimator
        The clone trained for a few epochs with ``track_training=True``.
    layer_stats : list of dict
        Its last epoch's :func:`network_statistics` records.
    ok : bool
        True when no step failed (warnings allowed).
    """

    def __init__(self, title, steps, **results):
        self.title = title
        self.steps = steps
        vars(self).update(results)

    @property
    def ok(self):
        return all(s["verdict"] != _FAIL for s in self.steps)

    def __str__(self):
        lines = [self.title]
        for k, s in enumerate(self.steps, 1):
            first, *rest = s["message"].split("\n")
            lines.append(f"{k}. {s['step']} [{s['verdict']}] {first}")
            lines.extend(f"     {line}" for line in rest)
        return "\n".join(lines)

    def __repr__(self):
        verdicts = ", ".join(f"{s['step']}={s['verdict']}" for s in self.steps)
        return f"BabysitReport({verdicts})"


def _data_step(X):
    if sp.issparse(X):
        return _OK, "sparse inputs: not centered (centering would densify them)."
    mean, std = X.mean(axis=0), X.std(axis=0)
    text = (
        f"{X.shape[0]} samples x {X.shape[1]} features; feature means in "
        f"[{mean.min():.2g}, {mean.max():.2g}], stds in [{std.min():.2g}, {std.max():.2g}]"
    )
    if np.abs(mean).max() > 1 or std.max() > 10:
        return _WARN, text + (
            ": center and scale the features (StandardScaler or "
            "sknet.preprocessing) so no unit starts saturated or dead."
        )
    return _OK, text + ": roughly centered and of unit scale."


def babysit(
    estimator,
    X,
    y,
    *,
    n_samples=20,
    overfit_iter=200,
    n_epochs=10,
    gradient_check=True,
    find_lr=True,
    random_state=0,
):
    """Run the lecture's babysitting steps in order and report verdicts and advice.

    1. data: are the features centered and scaled?
    2. architecture: the network ``fit`` would build.
    3. initial loss (:func:`check_initial_loss`).
    4. gradients (:func:`check_gradients`), if ``gradient_check``.
    5. overfit ``n_samples`` samples (:func:`check_overfit_small`).
    6. learning-rate range test (:func:`find_learning_rate`), if ``find_lr``
       and the solver is stochastic.
    7. ``n_epochs`` epochs with ``track_training=True``: is the loss going
       down, are ReLUs dying or units saturating, is the update-to-weight
       ratio near 1e-3 (:func:`advise_on_layers`)?

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor
        Not modified: every step works on a clone.
    X, y : array-like
    n_samples : int, default=20
    overfit_iter : int, default=200
    n_epochs : int, default=10
    gradient_check, find_lr : bool, default=True
    random_state : int, default=0

    Returns
    -------
    BabysitReport

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknet import MLPClassifier
    >>> from sknet.diagnostics import babysit
    >>> X, y = load_digits(return_X_y=True)
    >>> report = babysit(MLPClassifier(hidden_layer_sizes=(32,), random_state=0),
    ...                  X / 16, y, n_epochs=3, overfit_iter=100)
    >>> report.ok
    True
    >>> print(report)  # doctest: +ELLIPSIS
    Babysitting MLPClassifier on 1797 samples x 64 features
    1. data [OK] ...
    3. initial loss [OK] initial loss 2.3..., expected ln(10) = 2.303: OK...
    ...
    """
    X = check_array(X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32))
    steps, results = [], {}

    def add(step, verdict, message):
        steps.append({"step": step, "verdict": verdict, "message": message})

    add("data", *_data_step(X))
    init = check_initial_loss(estimator, X, y)
    net = init.estimator.network_
    n_params = sum(p.size for p in net.parameters())
    add("architecture", _OK, f"{net!r}, {n_params} parameters.")
    add("initial loss", init.verdict, init.message)
    results["initial_loss"] = init

    results["gradient_check"] = None
    if gradient_check:
        grad = check_gradients(estimator, X, y, random_state=random_state)
        add("gradients", grad.verdict, grad.message)
        results["gradient_check"] = grad

    overfit = check_overfit_small(
        estimator, X, y, n_samples=n_samples, max_iter=overfit_iter, random_state=random_state
    )
    add("overfit a tiny subset", overfit.verdict, overfit.message)
    results["overfit"] = overfit

    results["learning_rate"] = None
    stochastic = getattr(estimator, "solver", "adam") != "lbfgs"
    if find_lr and stochastic:
        lr = find_learning_rate(estimator, X, y, random_state=random_state)
        add("learning rate", lr.verdict, lr.message)
        results["learning_rate"] = lr

    est = _fresh(estimator, warm_start=False, max_iter=n_epochs, track_training=stochastic)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            with propagate_interrupts():
                est.fit(X, y)
        except ValueError as exc:
            add("training", _FAIL, f"training failed: {exc}")
            est = None
    results["training"] = est
    results["layer_stats"] = []
    if est is not None:
        curve = est.history_["loss"]
        went_down = len(curve) > 1 and curve[-1] < curve[0]
        text = (
            f"{est.n_iter_} epochs: loss {curve[0]:.3g} -> {curve[-1]:.3g}, "
            f"training score {_score(est, X, y):.3g}"
        )
        verdict = _OK if went_down or len(curve) < 2 else _WARN
        if not went_down and len(curve) > 1:
            if not np.isfinite(curve[-1]) or curve[-1] > 1.01 * curve[0]:
                text += "; the loss is exploding: the learning rate is too high"
            else:
                text += "; the loss is not going down: the learning rate is too low"
        if stochastic:
            records = est.history_["layer_stats"][-1]
            results["layer_stats"] = records
            ratios = ", ".join(
                f"{r['update_ratio']:.1e}" for r in records if np.isfinite(r["update_ratio"])
            )
            text += f"; update / weight ratios per layer: {ratios}"
            layer_verdict, lines = advise_on_layers(records)
            if layer_verdict != _OK:
                verdict = _WARN
            text += "." + "".join("\n" + line for line in lines)
        else:
            text += "."
        add("training", verdict, text)

    title = f"Babysitting {type(estimator).__name__} on {X.shape[0]} samples x {X.shape[1]} features"
    return BabysitReport(title, steps, **results)


# ----------------------------------------------------------------------
# progress bar (a sklearn.callback FitCallback)
# ----------------------------------------------------------------------
class EpochProgress:
    """Progress bar of a fit, as a :mod:`sklearn.callback` callback.

    Shows, after each epoch (or L-BFGS iteration), the epoch, a bar, the
    training loss, the validation score when ``early_stopping`` is on, and
    the time left if every epoch runs (early stopping may end sooner). It
    reads only the public ``history_`` of the estimator and needs no extra
    package; scikit-learn's own :class:`sklearn.callback.ProgressBar` (which
    needs ``rich``) works too.

    Parameters
    ----------
    stream : file-like, default=None
        Where to write; ``sys.stderr`` if None.
    width : int, default=20
        Characters of the bar.
    every : int, default=1
        Redraw every ``every`` epochs (and at the last).

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from sknet import MLPClassifier
    >>> from sknet.diagnostics import EpochProgress
    >>> X = np.random.RandomState(0).randn(60, 3)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> out = io.StringIO()
    >>> clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
    >>> _ = clf.set_callbacks(EpochProgress(stream=out)).fit(X, y)
    >>> out.getvalue().split(chr(13))[-1].startswith("epoch 3/3")
    True
    """

    def __init__(self, stream=None, width=20, every=1):
        self.stream = stream
        self.width = width
        self.every = every

    def setup(self, estimator, context):
        self._start = time.perf_counter()
        self._drawn = False

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        if context.task_name not in ("epoch", "iteration") or context.parent is None:
            return  # the whole fit (or a meta-estimator's task)
        done = context.task_id + 1
        total = context.parent.max_subtasks or None
        if done % self.every and done != total:
            return
        history = getattr(estimator, "history_", {})
        parts = [f"epoch {done}" + (f"/{total}" if total else "")]
        if total:
            filled = int(round(self.width * done / total))
            parts.append("[" + "#" * filled + "-" * (self.width - filled) + "]")
        if history.get("loss"):
            parts.append(f"loss {history['loss'][-1]:.4g}")
        if history.get("val_score"):
            parts.append(f"val {history['val_score'][-1]:.4g}")
        elapsed = time.perf_counter() - self._start
        if total:
            parts.append(f"{elapsed / done * (total - done):.1f}s left")
        stream = self.stream if self.stream is not None else sys.stderr
        stream.write("\r" + "  ".join(parts))
        stream.flush()
        self._drawn = True

    def teardown(self, estimator, context):
        if self._drawn:
            stream = self.stream if self.stream is not None else sys.stderr
            stream.write("\n")
            stream.flush()
