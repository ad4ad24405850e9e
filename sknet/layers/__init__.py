"""Layers of the network engine: each a forward / backward pair.

Every layer has one signature: ``forward(X, *, training=False,
sample_weight=None)`` maps ``X`` of shape (n_samples, n_in) to ``Y`` of shape
(n_samples, n_out) and caches what ``backward`` needs; ``backward(dY)`` takes
the gradient of the loss with respect to ``Y`` (same shape as ``Y``), returns
the one with respect to ``X`` (same shape as ``X``) and assigns the gradients
of its learnable arrays. Learnable arrays live in ``params``, their gradients
in ``grads`` under the same keys, and non-learnable buffers (batch-norm running
statistics) in ``state``. ``sample_weight`` (shape (n_samples,)) only matters
to :class:`BatchNorm`, whose batch statistics are weighted.

Speed: in training mode the layers write into buffers they allocate once and
reuse for every batch of the same size, and activations built with
``inplace=True`` (as :func:`sknet.network_builder.build_network` does, where the input
is the previous layer's own output) overwrite their input. Arrays returned by a
training pass are therefore valid until the next training pass: copy them to
keep them.

The activations, and the table :data:`ACTIVATIONS` that names them for the
estimators, are in :mod:`sknet.layers.activations`.
"""

from .activations import (
    ACTIVATION_ALIASES,
    ACTIVATIONS,
    ELU,
    GELU,
    Activation,
    Identity,
    LeakyReLU,
    Maxout,
    PReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Tanh,
    activation_class,
)
from .base import Dense, Layer
from .dropout import Dropout
from .normalization import BatchNorm

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_ALIASES",
    "Activation",
    "BatchNorm",
    "Dense",
    "Dropout",
    "ELU",
    "GELU",
    "Identity",
    "Layer",
    "LeakyReLU",
    "Maxout",
    "PReLU",
    "ReLU",
    "SiLU",
    "Sigmoid",
    "Tanh",
    "activation_class",
]
