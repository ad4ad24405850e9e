"""build_network: a :class:`~sknet.network.Network` from the estimators' hyperparameters.

The layer stack of every sknet estimator: each hidden block is ``Dense ->
[BatchNorm] -> activation -> [Dropout]`` and the output block one ``Dense``
layer feeding the loss. :mod:`sknet.training.builders` turns an estimator's
parameters into this function's arguments.
"""

import numpy as np

from .layers import BatchNorm, Dense, Dropout, activation_class
from .losses import LOSSES
from .network import Network

__all__ = ["build_network"]


def _default_init(rng, fan_in, fan_out, dtype):
    W = rng.normal(0.0, 1.0 / np.sqrt(fan_in), (fan_in, fan_out)).astype(dtype)
    return W, np.zeros(fan_out, dtype=dtype)


def build_network(
    n_features,
    hidden_layer_sizes,
    n_outputs,
    *,
    activation,
    out_activation,
    random_state,
    dtype,
    init_weights=None,
    batch_norm=False,
    batch_norm_momentum=0.9,
    batch_norm_epsilon=1e-5,
    dropout=0.0,
    leaky_relu_slope=0.01,
    prelu_init=0.25,
    elu_alpha=1.0,
    maxout_pieces=2,
    loss=None,
):
    """Build a :class:`Network` from the estimators' hyperparameters.

    Each hidden block is ``Dense -> [BatchNorm] -> activation -> [Dropout]``;
    the output block is a ``Dense`` layer whose scores feed the loss named by
    ``out_activation`` ('softmax', 'logistic', 'identity' or 'exp'). A maxout
    block's ``Dense`` layer has ``maxout_pieces`` times the units.

    Parameters
    ----------
    n_features : int
    hidden_layer_sizes : sequence of int
    n_outputs : int
    activation : str
        A key of :data:`sknet.layers.ACTIVATIONS` (or an alias); hidden
        activation layers are named after it (``'relu0'``, ``'logistic1'``).
    out_activation : str
    random_state : numpy.random.RandomState
        Draws the weights (through ``init_weights``) and the dropout masks.
    dtype : dtype
    init_weights : callable, default=None
        ``init_weights(rng, fan_in, fan_out, dtype) -> (W, b)``, called once
        per affine layer in forward order; LeCun normal with zero biases if
        None.
    batch_norm : bool, default=False
    batch_norm_momentum, batch_norm_epsilon : float, default=0.9, 1e-5
    dropout : float, default=0.0
    leaky_relu_slope, prelu_init, elu_alpha : float, default=0.01, 0.25, 1.0
    maxout_pieces : int, default=2
        The activation options of :data:`sknet.layers.ACTIVATIONS`.
    loss : sknet.losses.Loss, default=None
        The output loss; ``LOSSES[out_activation]()`` if None.

    Returns
    -------
    Network
    """
    init_weights = init_weights or _default_init
    options = dict(
        leaky_relu_slope=leaky_relu_slope,
        prelu_init=prelu_init,
        elu_alpha=elu_alpha,
        maxout_pieces=maxout_pieces,
        # The activation's input is always the network's own buffer (a Dense
        # or BatchNorm output), so it may be overwritten.
        inplace=True,
    )
    act = activation_class(activation)
    pieces = act.pieces(options)
    layers = []
    fan_in = n_features
    for i, units in enumerate(hidden_layer_sizes):
        W, b = init_weights(random_state, fan_in, units * pieces, dtype)
        layers.append((f"dense{i}", Dense(W, b, input_grad=i > 0)))
        if batch_norm:
            bn = BatchNorm(
                units * pieces,
                dtype,
                momentum=batch_norm_momentum,
                epsilon=batch_norm_epsilon,
                inplace=True,
            )
            layers.append((f"batchnorm{i}", bn))
        layers.append((f"{act.name}{i}", act.build(units, dtype, options)))
        if dropout:
            layers.append((f"dropout{i}", Dropout(dropout, random_state)))
        fan_in = units
    n_hidden = len(hidden_layer_sizes)
    W, b = init_weights(random_state, fan_in, n_outputs, dtype)
    layers.append((f"dense{n_hidden}", Dense(W, b, input_grad=n_hidden > 0)))
    return Network(layers, LOSSES[out_activation]() if loss is None else loss)
