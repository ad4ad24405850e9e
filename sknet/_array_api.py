"""Inputs under scikit-learn's ``array_api_dispatch``: sknet computes with numpy."""

from sklearn import get_config
from sklearn.utils._array_api import _is_numpy_namespace, get_namespace


def check_numpy_input(X, estimator, *more):
    """Refuse, with one clear error, arrays of another namespace under array API dispatch.

    sknet's engine is numpy (and scipy.sparse): with
    ``sklearn.config_context(array_api_dispatch=True)`` scikit-learn would
    otherwise hand numpy's dtypes to, say, torch and fail deep inside.

    Parameters
    ----------
    X : array-like
    estimator : estimator or str
        Named in the message.
    *more : array-like or None
        Other inputs of the call (``y``, ``X_val``, ...), checked alike.

    Raises
    ------
    TypeError
        If array API dispatch is on and an input is not a numpy array.
    """
    if not get_config()["array_api_dispatch"]:
        return
    for array in (X, *more):
        if array is None:
            continue
        xp, _ = get_namespace(array)
        if _is_numpy_namespace(xp):
            continue
        name = estimator if isinstance(estimator, str) else type(estimator).__name__
        raise TypeError(
            f"{name} computes with numpy: under "
            f"array_api_dispatch=True it takes numpy arrays (or scipy sparse "
            f"matrices), not {xp.__name__} arrays. Convert the input to numpy "
            "(for a torch tensor: X.cpu().numpy()), or turn the dispatch off."
        )
