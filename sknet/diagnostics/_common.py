"""What the diagnostics share: verdicts, result objects, and reading an estimator or a Pipeline."""

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import xlogy
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils import check_array

from ..training import encode_target

OK, WARN, FAIL = "OK", "WARNING", "FAIL"


@dataclass(repr=False)
class Result:
    """Base of the diagnostics' results: a ``verdict`` and a readable ``message``."""

    def __str__(self):
        return self.message

    def __repr__(self):
        return f"{type(self).__name__}({self.verdict}: {self.message})"


def split_pipeline(estimator, X, y=None, *, fit):
    """The sknet estimator of ``estimator`` and ``X`` as it sees it.

    A :class:`~sklearn.pipeline.Pipeline` whose last step is an sknet
    estimator is split: the earlier steps transform ``X`` (a clone of them
    fitted on ``X`` when ``fit``, for a diagnostic that trains its own
    network; the fitted steps themselves otherwise), and the last step is
    returned. Anything else is returned with ``X`` as is.

    Parameters
    ----------
    estimator : estimator or Pipeline
    X : array-like of shape (n_samples, n_features)
    y : array-like, default=None
        Passed to the steps' ``fit`` when ``fit``.
    fit : bool

    Returns
    -------
    estimator : estimator
        The last step.
    X : array-like
        ``X`` after the earlier steps.

    Raises
    ------
    TypeError
        If the Pipeline's last step is not an MLP estimator of sknet.
    """
    last, X, _ = pipeline_parts(estimator, X, y, fit=fit)
    return last, X


def pipeline_parts(estimator, X, y=None, *, fit):
    """:func:`split_pipeline`, and the transformation it applied, for other rows.

    Parameters
    ----------
    estimator : estimator or Pipeline
    X : array-like of shape (n_samples, n_features)
    y : array-like, default=None
    fit : bool

    Returns
    -------
    estimator : estimator
        The last step.
    X : array-like
        ``X`` after the earlier steps.
    transform : callable
        The same earlier steps (as fitted on ``X`` when ``fit``) for other
        rows, such as validation rows; the identity without a Pipeline.

    Raises
    ------
    TypeError
        If the Pipeline's last step is not an MLP estimator of sknet.
    """
    if not isinstance(estimator, Pipeline):
        return estimator, X, lambda rows: rows
    last = estimator.steps[-1][1]
    if not hasattr(last, "network_") and not hasattr(type(last), "initialize"):
        raise TypeError(
            f"The Pipeline's last step is {type(last).__name__}; the diagnostics need "
            "an sknet MLPClassifier or MLPRegressor there."
        )
    head = estimator[:-1]
    if not len(head):
        return last, X, lambda rows: rows
    if fit:
        head = clone(head)
        X = head.fit_transform(X, y)
    else:
        X = head.transform(X)
    return last, X, head.transform


def fresh(estimator, **params):
    """An unfitted clone without callbacks, with ``params`` set."""
    est = clone(estimator)
    if hasattr(est, "set_callbacks"):
        est.set_callbacks()
    valid = est.get_params()
    est.set_params(**{k: v for k, v in params.items() if k in valid})
    return est


def check_X(estimator, X):
    """``X`` validated and cast to the network's dtype (CSR if sparse)."""
    X = check_array(X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32))
    if sp.issparse(X):
        X = X.tocsr()
    dtype = estimator.network_.parameters()[0].dtype
    return X if X.dtype == dtype else X.astype(dtype)


def loss_target(estimator, y, dtype):
    """The loss's target for ``y``, from the estimator's public fitted attributes."""
    return encode_target(
        y,
        out_activation=estimator.out_activation_,
        n_outputs=estimator.n_outputs_,
        classes=getattr(estimator, "classes_", None),
        dtype=dtype,
    )


def no_information_loss(estimator, target):
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


def score(estimator, X, y):
    """The estimator's score, NaN where its outputs are not finite."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(estimator.score(X, y))
        except ValueError:  # non-finite outputs
            return np.nan
