"""The lecture's first sanity checks: the initial loss, and overfitting a tiny subset."""

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_array, check_random_state

from ..exceptions import DivergenceWarning
from ..initializers import resolve_init
from ..training import propagate_interrupts
from ._common import (
    FAIL,
    OK,
    WARN,
    Result,
    check_X,
    fresh,
    loss_target,
    no_information_loss,
    score,
    split_pipeline,
)

__all__ = ["InitialLossCheck", "check_initial_loss", "OverfitCheck", "check_overfit_small"]


@dataclass(repr=False)
class InitialLossCheck(Result):
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
        Loss of all-zero output scores (what small output weights give).
    expected_formula : str
    alpha : float
    verdict : {'OK', 'WARNING'}
    message : str
    estimator : estimator
        The untrained clone (the last step, for a Pipeline).
    """

    loss: float
    data_loss: float
    penalty: float
    expected: float
    expected_formula: str
    alpha: float
    verdict: str
    message: str
    estimator: object


def _smaller_init_advice(est):
    """Initializations to try instead of the one in use (never the one in use)."""
    current = resolve_init(est.init, est.activation)
    options = [f"init={name!r}" for name in ("lecun_normal", "he") if name != current]
    if current == "normal":
        options.insert(0, f"a smaller init_scale than {est.init_scale:g}")
    else:
        options.insert(0, "init='normal' with init_scale=0.01")
    return " or ".join(options)


def check_initial_loss(estimator, X, y, *, rtol=0.1):
    """Check that the untrained network's loss is what its output layer implies.

    The network is built exactly as ``fit`` builds it (``initialize``), and
    its loss on ``(X, y)`` is compared with the loss of all-zero output
    scores, the no-information loss that small output weights produce
    (CS231n: "look for correct loss at chance performance"):

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
    estimator : MLPClassifier, MLPRegressor, or a Pipeline ending in one
        Not modified (a clone is initialized; a Pipeline's earlier steps are
        fitted, as clones, on ``X``).
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    rtol : float, default=0.1

    Returns
    -------
    InitialLossCheck

    Raises
    ------
    ValueError
        Bad input, as ``fit`` raises it.
    TypeError
        A Pipeline whose last step is not an sknet MLP.

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
    estimator, X = split_pipeline(estimator, X, y, fit=True)
    est = fresh(estimator, warm_start=False).initialize(X, y)
    net = est.network_
    X = check_X(est, X)
    target = loss_target(est, y, X.dtype)
    with np.errstate(all="ignore"):
        data_loss = float(net.evaluate_loss(X, target))
        loss = float(net.evaluate_loss(X, target, alpha=est.alpha))
    expected, formula = no_information_loss(est, target)
    gap = data_loss - expected
    text = f"initial loss {data_loss:.4g}, expected {formula} = {expected:.4g}"
    if not np.isfinite(data_loss):
        verdict, advice = WARN, (
            "the loss is not finite: scale the inputs and use a smaller initialization"
        )
    elif abs(gap) <= rtol * max(abs(expected), 1e-12):
        verdict, advice = OK, ""
    elif gap > 0:
        start = (
            "the output scores are far from 0, so the network starts confidently wrong"
            if is_classifier(est)
            else "the initial predictions are far from 0"
        )
        verdict, advice = WARN, (
            f"too high: {start}. Scale the inputs or start from smaller weights "
            f"({_smaller_init_advice(est)})"
        )
    else:
        verdict, advice = WARN, "lower than chance: check that the labels are not leaking into X"
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


@dataclass(repr=False)
class OverfitCheck(Result):
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

    n_samples: int
    train_score: float
    initial_loss: float
    final_loss: float
    loss_curve: np.ndarray
    passed: bool
    verdict: str
    message: str
    estimator: object


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
    estimator : MLPClassifier, MLPRegressor, or a Pipeline ending in one
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

    Raises
    ------
    KeyboardInterrupt
        On Ctrl-C: the check stops, with the job around it.
    TypeError
        A Pipeline whose last step is not an sknet MLP.

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
    estimator, X = split_pipeline(estimator, X, y, fit=True)
    X = check_array(X, accept_sparse=["csr"], dtype=(np.float64, np.float32))
    X_s, y_s = _small_subset(estimator, X, y, n_samples, random_state)
    est = fresh(
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
            train_score = score(est, X_s, y_s)
        except ValueError as exc:  # non-finite loss: the rate is far too high
            curve, train_score = np.array([np.inf]), np.nan
            error = str(exc)
        else:
            error = None
    initial, final = float(curve[0]), float(curve[-1])
    passed = bool(np.isfinite(train_score) and train_score >= min_score - 1e-12)
    what = "accuracy" if is_classifier(est) else "R^2"
    if error is None:
        text = (
            f"{est.n_iter_} epochs on {X_s.shape[0]} samples without "
            f"regularization: training {what} {train_score:.3g}, loss {initial:.3g} -> {final:.3g}"
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
        train_score=train_score,
        initial_loss=initial,
        final_loss=final,
        loss_curve=curve,
        passed=passed,
        verdict=OK if passed else FAIL,
        message=text,
        estimator=est,
    )
