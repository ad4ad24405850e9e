"""The one place where labels and targets become what the loss trains on, and back.

The output losses (:mod:`sknet.losses`) take compact targets: class indices for
the softmax, a 0/1 column for a binary sigmoid, a 0/1 matrix for multilabel
sigmoids, and a float matrix for regression. No one-hot matrix of the training
set is ever built. What kind of target an estimator trains on follows from its
public fitted attributes (``out_activation_``, ``n_outputs_``, ``classes_``),
so the estimators and :mod:`sknet.diagnostics` encode through the same
functions.
"""

import numpy as np
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.multiclass import unique_labels

__all__ = [
    "UnsortableLabelsError",
    "target_kind",
    "encode_target",
    "decode_target",
    "fit_label_binarizer",
    "sorted_labels",
    "label_index",
]


class UnsortableLabelsError(ValueError, TypeError):
    """Labels that cannot be sorted into ``classes_`` (mixed types, None).

    A ValueError that names the problem, and still the TypeError that
    scikit-learn raises for the same labels, so either ``except`` catches it.
    """


def unsortable(exc):
    """The :class:`UnsortableLabelsError` for the TypeError ``exc`` of sorting labels."""
    return UnsortableLabelsError(
        f"The labels in y cannot be sorted ({exc}). Use labels of one type "
        "(all strings or all numbers) and no missing values such as None."
    )


def sorted_labels(y):
    """The sorted unique labels of ``y`` (scikit-learn's ``unique_labels``)."""
    try:
        return unique_labels(y)
    except TypeError as exc:
        raise unsortable(exc) from exc


def fit_label_binarizer(y):
    """A :class:`~sklearn.preprocessing.LabelBinarizer` fitted on ``y``."""
    binarizer = LabelBinarizer()
    try:
        binarizer.fit(y)
    except TypeError as exc:
        raise unsortable(exc) from exc
    return binarizer


def target_kind(out_activation, n_outputs):
    """What the loss trains on, from the estimator's output layer.

    Parameters
    ----------
    out_activation : {'softmax', 'logistic', 'identity', 'exp'}
    n_outputs : int

    Returns
    -------
    kind : {'multiclass', 'binary', 'multilabel-indicator', 'continuous'}

    Examples
    --------
    >>> from sknet.training import target_kind
    >>> target_kind("softmax", 3), target_kind("logistic", 1), target_kind("logistic", 4)
    ('multiclass', 'binary', 'multilabel-indicator')
    """
    if out_activation == "softmax":
        return "multiclass"
    if out_activation == "logistic":
        return "binary" if n_outputs == 1 else "multilabel-indicator"
    return "continuous"


def label_index(y, classes, chunk=65536):
    """Position of each label of ``y`` in the sorted ``classes``, as int32.

    Encoded a chunk at a time, so the temporaries of ``np.unique`` stay small
    whatever the size of y; int32 halves the memory of the result.

    Raises
    ------
    ValueError
        If ``y`` has a label that is not in ``classes``.
    """
    y = np.asarray(y).ravel()
    classes = np.asarray(classes)
    index = np.empty(y.shape[0], dtype=np.int32)
    for start in range(0, y.shape[0], chunk):
        uniques, inverse = np.unique(y[start : start + chunk], return_inverse=True)
        positions = np.clip(np.searchsorted(classes, uniques), 0, len(classes) - 1)
        if not np.array_equal(classes[positions], uniques):
            raise ValueError(f"`y` has labels not in classes_ {classes.tolist()}.")
        index[start : start + chunk] = positions[inverse.ravel()]
    return index


def encode_target(y, *, out_activation, n_outputs, classes=None, dtype=np.float64):
    """The loss's target for ``y``.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Class labels, a label-indicator matrix, or real targets.
    out_activation : {'softmax', 'logistic', 'identity', 'exp'}
        The estimator's ``out_activation_``.
    n_outputs : int or None
        The estimator's ``n_outputs_`` (None while it is being set up: the
        number of outputs is then not checked).
    classes : ndarray, default=None
        The estimator's ``classes_`` (classifiers).
    dtype : dtype, default=np.float64
        Of real-valued targets.

    Returns
    -------
    target : ndarray
        Class indices (int32) for 'softmax'; a 0/1 column (binary) or matrix
        (multilabel) for 'logistic'; a float matrix for regression.

    Raises
    ------
    ValueError
        A label outside ``classes``; a label-indicator matrix for a network
        fitted on class labels (scikit-learn: "not fitted with multilabel
        input"), or one with another number of labels; real targets with
        another number of outputs than the network has.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.training import encode_target
    >>> encode_target(["b", "a", "c"], out_activation="softmax", n_outputs=3,
    ...               classes=np.array(["a", "b", "c"]))
    array([1, 0, 2], dtype=int32)
    >>> encode_target([2.5, 1.0], out_activation="identity", n_outputs=1).ravel()
    array([2.5, 1. ])
    """
    kind = target_kind(out_activation, n_outputs)
    if kind == "continuous":
        target = np.asarray(y, dtype=dtype)
        if target.ndim == 1:
            target = target.reshape(-1, 1)
        if n_outputs is not None and target.shape[1] != n_outputs:
            raise ValueError(
                f"y has {target.shape[1]} output(s), but the network was fitted with "
                f"{n_outputs}. Fit a new network (warm_start=False) to change the outputs."
            )
        return target
    y = np.asarray(y)
    indicator = y.ndim == 2 and y.shape[1] > 1
    if indicator and kind != "multilabel-indicator":
        raise ValueError(
            "y is a label-indicator matrix, but the network was fitted on class labels "
            f"(classes_ {np.asarray(classes).tolist()}): the object was not fitted with "
            "multilabel input. Pass class labels, or fit a new network (warm_start=False)."
        )
    if kind == "multilabel-indicator":
        if not indicator:
            # One label per row, as scikit-learn's LabelBinarizer encodes it.
            return np.eye(n_outputs, dtype=dtype)[label_index(y, classes)]
        if n_outputs is not None and y.shape[1] != n_outputs:
            raise ValueError(
                f"y has {y.shape[1]} labels, but the network was fitted on {n_outputs}."
            )
        return y.astype(dtype)
    index = label_index(y, classes)
    if kind == "multiclass":
        return index
    return (index == 1).astype(dtype).reshape(-1, 1)


def decode_target(target, *, out_activation, classes=None):
    """The labels (or real targets) that :func:`encode_target` encoded.

    Parameters
    ----------
    target : ndarray
    out_activation : {'softmax', 'logistic', 'identity', 'exp'}
    classes : ndarray, default=None

    Returns
    -------
    y : ndarray
        Labels in the dtype of ``classes``; a 0/1 int matrix for multilabel
        targets; real targets of shape (n,) for a single output.
    """
    if out_activation == "softmax":
        return classes[target]
    if out_activation == "logistic":
        if target.shape[1] > 1:
            return target.astype(int)
        if len(classes) == 1:
            return np.repeat(classes, target.shape[0])
        return classes[target[:, 0].astype(int)]
    return target.ravel() if target.shape[1] == 1 else target
