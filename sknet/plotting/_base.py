"""What the Displays share: matplotlib on demand, and reading estimators and Pipelines."""

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils._optional_dependencies import check_matplotlib_support


def pyplot(caller):
    """``matplotlib.pyplot``, after scikit-learn's check that matplotlib is installed."""
    check_matplotlib_support(caller)
    import matplotlib.pyplot as plt

    return plt


def axes(ax, caller):
    """``ax``, or the axes of a new figure."""
    plt = pyplot(caller)
    if ax is None:
        _, ax = plt.subplots()
    return ax


def last_step(estimator):
    """The estimator itself, or a Pipeline's last step."""
    return estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator


def history(source):
    """``history_`` of a fitted sknet estimator (or a Pipeline ending in one), or a dict."""
    if isinstance(source, dict):
        return source
    est = last_step(source)
    found = getattr(est, "history_", None)
    if found is None:
        raise ValueError(
            f"{type(est).__name__} has no history_: fit an sknet estimator (or a Pipeline "
            "ending in one) first, or use from_estimator(estimator, X, y) to fit one."
        )
    return found


def fit_clone(estimator, X, y, **last_step_params):
    """A clone of ``estimator`` (a Pipeline's last step given ``last_step_params``), fitted."""
    est = clone(estimator)
    if isinstance(est, Pipeline):
        name = est.steps[-1][0]
        est.set_params(**{f"{name}__{key}": value for key, value in last_step_params.items()})
    else:
        est.set_params(**last_step_params)
    return est.fit(X, y)


def transformed(estimator, X):
    """``X`` after a fitted Pipeline's steps before the last (``X`` for an estimator)."""
    if isinstance(estimator, Pipeline) and len(estimator) > 1:
        return estimator[:-1].transform(X)
    return X


def epochs(values):
    """1, 2, ... for each value."""
    return np.arange(1, len(values) + 1)
