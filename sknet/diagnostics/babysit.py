"""The whole babysitting procedure of the lecture, step by step, as one report."""

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array

from .._array_api import check_numpy_input
from ..training import propagate_interrupts
from ._common import FAIL, OK, WARN, fresh, loss_target, pipeline_parts, score
from .checks import check_initial_loss, check_overfit_small
from .gradients import check_gradients
from .lr_finder import find_learning_rate
from .statistics import advise_on_layers

__all__ = ["BabysitReport", "babysit"]


@dataclass(repr=False)
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

    title: str
    steps: list
    initial_loss: object
    gradient_check: object
    overfit: object
    learning_rate: object
    training: object
    layer_stats: list

    @property
    def ok(self):
        return all(s["verdict"] != FAIL for s in self.steps)

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
        return OK, "sparse inputs: not centered (centering would densify them)."
    mean, std = X.mean(axis=0), X.std(axis=0)
    text = (
        f"{X.shape[0]} samples x {X.shape[1]} features; feature means in "
        f"[{mean.min():.2g}, {mean.max():.2g}], stds in [{std.min():.2g}, {std.max():.2g}]"
    )
    if np.abs(mean).max() > 1 or std.max() > 10:
        return WARN, text + (
            ": center and scale the features (StandardScaler or "
            "sknet.preprocessing) so no unit starts saturated or dead."
        )
    return OK, text + ": roughly centered and of unit scale."


#: The validation loss this far above its best epoch means it is rising.
RISING = 1.1
#: Validation loss over training loss above which the gap counts as large.
LARGE_GAP = 1.5


def _gap_step(train_loss, val):
    """The lecture's train / validation gap.

    Parameters
    ----------
    train_loss : float
        The training rows' loss at the end, measured as the validation loss
        is: without the L2 term, in evaluation mode (no dropout).
        ``history_['loss']`` includes the penalty and dropout's noise, which
        can put it above a validation loss that is many times the fit's.
    val : list of float
        ``history_['val_loss']``.

    Returns
    -------
    (verdict, message) or None
        None when there is no finite validation loss to compare.

    Notes
    -----
    A validation loss rising from its best epoch, or well above the
    training loss, is overfitting; none at all suggests more capacity.
    """
    if not val or not np.isfinite(val[-1]) or not np.isfinite(train_loss):
        return None
    best = int(np.argmin(val))
    text = (
        f"at the end: training loss {train_loss:.3g}, validation loss {val[-1]:.3g} "
        f"(best {val[best]:.3g} at epoch {best + 1} of {len(val)}; both without "
        "the L2 term and dropout)"
    )
    if val[-1] > RISING * val[best]:
        return WARN, text + (
            "; the validation loss is rising while training goes on: overfitting. "
            "Stop earlier (early_stopping, scoring='loss') or regularize more "
            "(alpha, weight_decay, dropout)."
        )
    if val[-1] > LARGE_GAP * train_loss:
        return WARN, text + (
            f"; validation above {LARGE_GAP:g}x training: a large gap, overfitting. "
            "Regularize more (alpha, weight_decay, dropout) or get more data."
        )
    if val[-1] < 1.05 * train_loss:
        return OK, text + "; no gap: the model may have room for more capacity."
    return OK, text + "; a moderate gap."


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
    X_val=None,
    y_val=None,
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
    8. the train / validation gap, when that fit had validation rows
       (``X_val`` and ``y_val``, or the estimator's ``early_stopping``
       split): its ``history_['val_loss']`` against the training rows' loss
       at the end, both without the L2 term and dropout. A validation loss
       10% above its best epoch, or 1.5 times the training loss, is
       overfitting (WARN); no gap suggests more capacity.

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor, or a Pipeline ending in one
        Not modified: every step works on a clone. A Pipeline's earlier steps
        are fitted (as clones) on ``X`` first, and the steps check the
        network on what they output.
    X, y : array-like
    n_samples : int, default=20
    overfit_iter : int, default=200
    n_epochs : int, default=10
    gradient_check, find_lr : bool, default=True
    random_state : int, default=0
    X_val, y_val : array-like, default=None
        Validation rows for step 7's fit (``fit``'s ``X_val`` and ``y_val``);
        a Pipeline's earlier steps transform ``X_val`` as fitted on ``X``.

    Returns
    -------
    BabysitReport

    Raises
    ------
    ValueError
        Bad input, as ``fit`` raises it.
    KeyboardInterrupt
        On Ctrl-C: the babysitting stops, with the job around it.

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
    3. initial loss [OK] initial loss 2.29..., expected ln(10) = 2.303: OK...
    ...
    """
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val and y_val are given together or not at all.")
    check_numpy_input(X, "babysit", y, X_val, y_val)
    # X_val goes through the earlier steps as fitted on X
    estimator, X, transform = pipeline_parts(estimator, X, y, fit=True)
    if X_val is not None:
        X_val = transform(X_val)
    X = check_array(X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32))
    validation = {} if X_val is None else {"X_val": X_val, "y_val": y_val}
    steps, results = [], {}

    def add(step, verdict, message):
        steps.append({"step": step, "verdict": verdict, "message": message})

    add("data", *_data_step(X))
    init = check_initial_loss(estimator, X, y)
    net = init.estimator.network_
    n_params = sum(p.size for p in net.parameters())
    add("architecture", OK, f"{net!r}, {n_params} parameters.")
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

    est = fresh(estimator, warm_start=False, max_iter=n_epochs, track_training=stochastic)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            with propagate_interrupts():
                est.fit(X, y, **validation)
        except ValueError as exc:
            add("training", FAIL, f"training failed: {exc}")
            est = None
    results["training"] = est
    results["layer_stats"] = []
    if est is not None:
        curve = est.history_["loss"]
        went_down = len(curve) > 1 and curve[-1] < curve[0]
        text = (
            f"{est.n_iter_} epochs: loss {curve[0]:.3g} -> {curve[-1]:.3g}, "
            f"training score {score(est, X, y):.3g}"
        )
        verdict = OK if went_down or len(curve) < 2 else WARN
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
            if layer_verdict != OK:
                verdict = WARN
            text += "." + "".join("\n" + line for line in lines)
        else:
            text += "."
        add("training", verdict, text)
        gap = None
        if est.history_.get("val_loss"):
            train_loss = est.network_.evaluate_loss(X, loss_target(est, y, X.dtype))
            gap = _gap_step(train_loss, est.history_["val_loss"])
        if gap is not None:
            add("train / validation gap", *gap)

    title = f"Babysitting {type(estimator).__name__} on {X.shape[0]} samples x {X.shape[1]} features"
    return BabysitReport(title=title, steps=steps, **results)
