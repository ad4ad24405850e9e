"""The recipe's test stage helpers: the held-out metrics, the one-class
warning and the two baselines fitted on the same split."""

import time

import numpy as np
from threadpoolctl import threadpool_limits

from .search import quiet_search_warnings

__all__ = ["test_metrics", "one_class_warning", "fit_baselines"]


def test_metrics(model, X_test, y_test, classification):
    """The held-out metrics of a fitted model.

    Parameters
    ----------
    model : estimator
        The fitted model.
    X_test, y_test : array-like
        The held-out part.
    classification : bool
        Accuracy, balanced accuracy, errors and the confusion matrix; else
        R^2, MAE and RMSE.

    Returns
    -------
    pred : ndarray
        The predictions.
    metrics : dict
    """
    from sklearn import metrics

    pred = model.predict(X_test)
    if classification:
        labels = np.unique(np.concatenate([np.asarray(y_test), np.asarray(pred)]))
        return pred, {
            "accuracy": float(metrics.accuracy_score(y_test, pred)),
            "balanced_accuracy": float(metrics.balanced_accuracy_score(y_test, pred)),
            "n_errors": int(np.sum(pred != y_test)),
            "n_test": int(len(y_test)),
            "labels": [str(v) for v in labels],
            "confusion_matrix": metrics.confusion_matrix(y_test, pred, labels=labels).tolist(),
        }
    return pred, {
        "r2": float(metrics.r2_score(y_test, pred)),
        "mae": float(metrics.mean_absolute_error(y_test, pred)),
        "rmse": float(np.sqrt(metrics.mean_squared_error(y_test, pred))),
        "n_test": int(len(y_test)),
    }


def one_class_warning(pred, y_test):
    """Warn when one class takes nearly every prediction while others exist.

    Parameters
    ----------
    pred, y_test : ndarray
        Predicted and true labels of the held-out part.

    Returns
    -------
    str or None
        The warning when one class takes 90% of the predictions and some
        class is never predicted.
    """
    labels, counts = np.unique(pred, return_counts=True)
    top = labels[np.argmax(counts)]
    share = counts.max() / len(pred)
    true_share = float(np.mean(y_test == top))
    never = [str(c) for c in np.unique(y_test) if c not in set(labels.tolist())]
    if share >= 0.9 and never:
        return (f"the model predicts class {str(top)!r} for {share:.0%} of the test rows "
                f"({true_share:.0%} truly are) and never predicts {', '.join(map(repr, never))}")
    return None


def fit_baselines(ctx):
    """scikit-learn's MLP in the recipe's pipeline and a gradient boosting model
    after the same column treatments, fitted and scored on the same split.

    Parameters
    ----------
    ctx : RecipeContext
        The split, the column step, the scoring and the seed.

    Returns
    -------
    list of dict
        ``name``, ``score`` (None when the fit failed), ``error``, ``seconds``.
    """
    from sklearn.base import clone
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )
    from sklearn.metrics import get_scorer
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import Pipeline

    rs = ctx.config.random_state
    mlp = (MLPClassifier if ctx.classification else MLPRegressor)(random_state=rs)
    hgb = (HistGradientBoostingClassifier if ctx.classification
           else HistGradientBoostingRegressor)(random_state=rs)
    columns = ctx.columns if isinstance(ctx.columns, str) else clone(ctx.columns)
    candidates = [
        ("scikit-learn MLP, same pipeline", ctx.pipeline(mlp)),
        (f"{type(hgb).__name__}", Pipeline([("columns", columns), ("model", hgb)])),
    ]
    scorer = get_scorer(ctx.scoring)
    out = []
    for name, model in candidates:
        t0 = time.perf_counter()
        try:
            # one OpenMP thread: gradient boosting's threads fight the BLAS
            # threads and any other load for the cores (measured: 189 s
            # instead of 1.4 s for digits on two busy cores)
            with quiet_search_warnings(), threadpool_limits(limits=1, user_api="openmp"):
                model.fit(ctx.X_train, ctx.y_train)
            score, error = float(scorer(model, ctx.X_test, ctx.y_test)), None
        except (ValueError, ArithmeticError) as exc:
            score, error = None, f"{type(exc).__name__}: {exc}"
        out.append({"name": name, "score": score, "error": error,
                    "seconds": round(time.perf_counter() - t0, 3)})
    return out
