"""Layer statistics on demand, and the lecture's advice on them.

:func:`layer_statistics` measures a fitted network on some data;
``track_training=True`` records the same statistics during ``fit``
(:func:`sknet.training.network_statistics`). :func:`advise_on_layers` turns
them into the lecture's rules of thumb: dead rectifiers, saturated units,
vanishing activations, update-to-weight ratios near 1e-3.
"""

import copy

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..layers import LeakyReLU, ReLU
from ..training import network_statistics
from ._common import OK, WARN, check_X, loss_target, split_pipeline

__all__ = ["layer_statistics", "network_statistics", "advise_on_layers"]


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
    estimator : fitted MLPClassifier, MLPRegressor, or a Pipeline ending in one
        A fitted Pipeline's earlier steps transform ``X`` first.
    X : array-like of shape (n_samples, n_features)
    y : array-like, default=None

    Returns
    -------
    records : list of dict
        One per affine layer; see :func:`network_statistics`.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator has no network yet (fit or ``initialize`` it).

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
    estimator, X = split_pipeline(estimator, X, fit=False)
    check_is_fitted(estimator, "network_")
    X = check_X(estimator, X)
    gradients = updates = None
    if y is not None:
        net = copy.deepcopy(estimator.network_)
        target = loss_target(estimator, y, X.dtype)
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




_DEAD_LIMIT = 0.1  # more than 10% dead ReLUs deserves a look
_SATURATED_LIMIT = 0.1
_RATIO_RANGE = (1e-4, 1e-2)  # around the rule of thumb 1e-3


def advise_on_layers(records):
    """Verdict and advice lines for one list of :func:`network_statistics` records.

    Flags more than 10% dead rectifier units, more than 10% saturated sigmoid / tanh
    values, vanishing activations (std below 1e-3) and hidden layers'
    update-to-weight ratios outside ``[1e-4, 1e-2]`` (the rule of thumb is
    about 1e-3; the output layer's, which starts small, is not judged).
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
                "the initialization is too small (use init='lecun_normal' / 'he' or "
                "batch_norm)."
            )
        dead = r["dead_fraction"]
        if act == ReLU.name and dead > _DEAD_LIMIT:
            lines.append(
                f"{dead:.0%} of the ReLU units in layer {i} are dead: lower the "
                f"learning rate or try {LeakyReLU.name}."
            )
        elif act != "output" and np.isfinite(dead) and dead > _DEAD_LIMIT:
            lines.append(f"{dead:.0%} of the {act} units in layer {i} are never positive.")
        sat = r["saturated_fraction"]
        if np.isfinite(sat) and sat > _SATURATED_LIMIT:
            lines.append(
                f"{sat:.0%} of the {act} activations in layer {i} are saturated "
                "(their gradient vanishes): use a smaller initialization (init="
                "'lecun_normal'), "
                "batch_norm, or scale the inputs."
            )
        # The output layer's ratio is not judged: init='auto' starts its
        # weights small, so early updates are large next to them.
        ratio = r.get("update_ratio", np.nan) if act != "output" else np.nan
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
    return (WARN if lines else OK), lines
