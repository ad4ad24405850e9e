"""Helpers shared by the test modules (test modules never import each other)."""

import warnings

from sklearn.exceptions import ConvergenceWarning


def quiet_fit(est, *args, **kwargs):
    """``est.fit(*args, **kwargs)`` without the ConvergenceWarning of short fits."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)
