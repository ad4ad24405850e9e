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

import numpy as np

from .layers import ELU, BatchNorm, Dense, Dropout, LeakyReLU, PReLU, ReLU, Sigmoid, Tanh

__all__ = ["network_statistics"]

# Thresholds of the lecture's rules of thumb.
_SIGMOID_SATURATION = 0.01  # sigmoid output below 0.01 or above 0.99
_TANH_SATURATION = 0.99  # |tanh| above 0.99
_RELU_FAMILY = (ReLU, LeakyReLU, PReLU, ELU)


def _blocks(network):
    """``[(dense_name, activation_name_or_None, activation_layer_or_None)]`` per affine layer.

    A hidden block is ``Dense -> [BatchNorm] -> activation -> [Dropout]``; the
    output block is a lone ``Dense``.
    """
    blocks = []
    for name, layer in network.layers:
        if isinstance(layer, Dense):
            blocks.append([name, None, None])
        elif isinstance(layer, (BatchNorm, Dropout)):
            continue
        elif blocks and blocks[-1][1] is None:
            blocks[-1][1], blocks[-1][2] = name, layer
    return [tuple(b) for b in blocks]


def _norm(a):
    a = np.asarray(a, dtype=np.float64).ravel()
    return float(np.sqrt(np.dot(a, a)))


def network_statistics(network, X, *, gradients=None, updates=None):
    """Statistics of every affine layer of a network on the data ``X``.

    One record per ``Dense`` layer (the hidden blocks, then the output layer),
    computed in evaluation mode (running batch-norm statistics, no dropout):

    - ``mean``, ``std``: of the block's activations (of the raw scores for the
      output layer);
    - ``dead_fraction``: for the ReLU family, the fraction of units never
      positive on ``X`` (a dead ReLU passes no gradient); NaN otherwise;
    - ``saturated_fraction``: for sigmoid / tanh, the fraction of the
      activation values in saturation (sigmoid < 0.01 or > 0.99,
      ``|tanh| > 0.99``), where the local gradient vanishes; NaN otherwise;
    - ``weight_norm``: ``||W||``;
    - ``grad_norm``: ``||dW||`` if ``gradients`` holds ``'<name>.W'``;
    - ``update_ratio``: ``||dW_step|| / ||W||`` if ``updates`` holds the
      update of ``'<name>.W'`` (the lecture's rule of thumb: about 1e-3).

    Parameters
    ----------
    network : sknet.network.Network
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Inputs in the network's dtype.
    gradients : dict, default=None
        ``'layer.key' -> gradient`` (keys of ``network.named_parameters()``).
    updates : dict, default=None
        ``'layer.key' -> update`` applied by one optimizer step.

    Returns
    -------
    records : list of dict
        Keys ``layer`` (index), ``name``, ``activation``, ``n_units``,
        ``mean``, ``std``, ``dead_fraction``, ``saturated_fraction``,
        ``weight_norm``, ``grad_norm``, ``update_ratio``.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.network import build_network
    >>> from sknet.diagnostics import network_statistics
    >>> net = build_network(3, [4], 2, activation="relu", out_activation="softmax",
    ...                     random_state=np.random.RandomState(0), dtype=np.float64)
    >>> stats = network_statistics(net, np.random.RandomState(1).randn(50, 3))
    >>> [(s["name"], s["activation"]) for s in stats]
    [('dense0', 'relu'), ('dense1', 'output')]
    >>> 0 <= stats[0]["dead_fraction"] <= 1
    True
    """
    gradients = gradients or {}
    updates = updates or {}
    outputs = dict(network.layer_outputs(X))
    params = network.named_parameters()
    records = []
    for index, (dense, act_name, act) in enumerate(_blocks(network)):
        if act is None:
            values, kind = outputs[dense], "output"
        else:
            values, kind = outputs[act_name], type(act).__name__.lower()
        values = np.asarray(values)
        dead = saturated = np.nan
        if isinstance(act, _RELU_FAMILY):
            dead = float(np.mean(~np.any(values > 0, axis=0))) if values.size else np.nan
        elif isinstance(act, Sigmoid):
            saturated = float(
                np.mean((values < _SIGMOID_SATURATION) | (values > 1 - _SIGMOID_SATURATION))
            )
        elif isinstance(act, Tanh):
            saturated = float(np.mean(np.abs(values) > _TANH_SATURATION))
        W = params[f"{dense}.W"]
        w_norm = _norm(W)
        grad = gradients.get(f"{dense}.W")
        update = updates.get(f"{dense}.W")
        records.append(
            {
                "layer": index,
                "name": dense,
                "activation": kind,
                "n_units": int(values.shape[1]) if values.ndim == 2 else 0,
                "mean": float(np.mean(values)) if values.size else np.nan,
                "std": float(np.std(values)) if values.size else np.nan,
                "dead_fraction": dead,
                "saturated_fraction": saturated,
                "weight_norm": w_norm,
                "grad_norm": np.nan if grad is None else _norm(grad),
                "update_ratio": (
                    np.nan if update is None or w_norm == 0 else _norm(update) / w_norm
                ),
            }
        )
    return records
