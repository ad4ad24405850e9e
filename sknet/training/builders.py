"""The one place where the estimators' hyperparameters become engine objects.

The functions here read an estimator's constructor parameters (any object with
those attributes) and build the :class:`~sknet.network.Network`, the update
rule and the learning-rate schedule, or bring an existing network's layer
settings up to date. :mod:`sknet.diagnostics` builds its networks and update
rules through them too, so a diagnostic trains exactly what ``fit`` trains.
"""

from ..initializers import init_layer
from ..layers import ELU, BatchNorm, Dropout, LeakyReLU, Maxout, activation_class
from ..losses import LOSSES, Huber
from ..network_builder import build_network as _assemble
from ..optimizers import OPTIMIZERS
from ..schedules import make_schedule as _schedule

__all__ = [
    "hidden_sizes",
    "architecture",
    "build_network",
    "configure_network",
    "make_optimizer",
    "make_schedule",
]

STOCHASTIC_SOLVERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")

#: ``weight_decay=None`` under ``solver='adamw'``: PyTorch's ``AdamW`` default.
ADAMW_WEIGHT_DECAY = 0.01
# init='auto' scales the output layer's LeCun-normal weights by this: the
# network then starts with output scores near 0, at the no-information loss
# (CS231n's first sanity check: ln 10 on digits, 2.30 rather than 2.69),
# instead of confidently wrong. docs/scripts/initial_loss_experiment.py
# measured it: no accuracy lost on digits, a harder 10-class set or regression.
AUTO_OUTPUT_SCALE = 0.1


def hidden_sizes(params):
    """``hidden_layer_sizes`` as a list of ints.

    Parameters
    ----------
    params : estimator
        Read for ``hidden_layer_sizes``.

    Returns
    -------
    sizes : list of int

    Raises
    ------
    ValueError
        If a size is not positive (scikit-learn's message).
    """
    sizes = params.hidden_layer_sizes
    if not hasattr(sizes, "__iter__"):
        sizes = [sizes]
    sizes = list(sizes)
    if any(s <= 0 for s in sizes):
        raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
    return [int(s) for s in sizes]


def _activation(params):
    return activation_class(params.activation).name


def architecture(params):
    """What fixes the network's layers, which a warm start must not change.

    Parameters
    ----------
    params : estimator

    Returns
    -------
    architecture : dict
        Layer sizes, activation, batch norm on or off, dropout on or off,
        maxout pieces, and the regressor's ``loss``.
    """
    activation = _activation(params)
    return {
        "hidden_layer_sizes": tuple(hidden_sizes(params)),
        "activation": activation,
        "batch_norm": bool(params.batch_norm),
        "dropout": params.dropout > 0,
        "maxout_pieces": params.maxout_pieces if activation == Maxout.name else None,
        "loss": getattr(params, "loss", None),
    }


def build_network(params, n_features, n_outputs, *, out_activation, dtype, random_state):
    """A new, initialized network for ``params``.

    Parameters
    ----------
    params : estimator
        Read for ``hidden_layer_sizes``, ``activation``, ``init``,
        ``init_scale``, ``bias_init``, the activation, batch-norm and dropout
        parameters.
    n_features, n_outputs : int
    out_activation : {'softmax', 'logistic', 'identity', 'exp'}
    dtype : dtype
    random_state : numpy.random.RandomState
        Draws the weights, in layer order, then (kept by the dropout layers)
        the dropout masks.

    Returns
    -------
    network : sknet.network.Network
    """
    sizes = hidden_sizes(params)
    activation = _activation(params)
    scale = {"scale": params.init_scale} if params.init == "normal" else {}
    n_built = [0]

    def init_weights(rng, fan_in, fan_out, dtype):
        hidden = n_built[0] < len(sizes)
        n_built[0] += 1
        if not hidden and params.init == "auto":
            # He's factor 2 compensates for a ReLU after the layer; none
            # follows the output layer, so 'auto' gives it a small LeCun normal.
            W, b = init_layer("lecun_normal", rng, fan_in, fan_out, dtype)
            W *= W.dtype.type(AUTO_OUTPUT_SCALE)
            return W, b
        W, b = init_layer(params.init, rng, fan_in, fan_out, dtype, activation, **scale)
        if params.bias_init is not None and hidden:
            b[...] = params.bias_init
        return W, b

    return _assemble(
        n_features,
        sizes,
        n_outputs,
        activation=params.activation,
        out_activation=out_activation,
        random_state=random_state,
        dtype=dtype,
        init_weights=init_weights,
        batch_norm=params.batch_norm,
        batch_norm_momentum=params.batch_norm_momentum,
        batch_norm_epsilon=params.batch_norm_epsilon,
        dropout=params.dropout,
        leaky_relu_slope=params.leaky_relu_slope,
        prelu_init=params.prelu_init,
        elu_alpha=params.elu_alpha,
        maxout_pieces=params.maxout_pieces,
        loss=make_loss(params, out_activation),
    )


def make_loss(params, out_activation):
    """The output loss: the one of ``out_activation``, or ``params.loss`` ('huber').

    Parameters
    ----------
    params : estimator
        Read for ``loss``, ``huber_delta``, ``label_smoothing`` where it has them.
    out_activation : {'softmax', 'logistic', 'identity', 'exp'}

    Returns
    -------
    loss : sknet.losses.Loss
    """
    loss = Huber() if getattr(params, "loss", None) == "huber" else LOSSES[out_activation]()
    for key, value in _loss_settings(params, loss).items():
        setattr(loss, key, value)
    return loss


def _loss_settings(params, loss):
    """The loss's settings from the estimator's parameters."""
    names = {"label_smoothing": "label_smoothing", "delta": "huber_delta"}
    return {key: getattr(params, names[key]) for key in loss.settings}


def configure_network(network, params):
    """Bring ``network``'s layer settings up to ``params`` (a warm start's changes).

    The settings that leave the network's shape alone may change between two
    calls: the leaky slope, ELU's alpha, batch norm's momentum and epsilon,
    the dropout rate, the label smoothing. The initialization parameters (``init``,
    ``init_scale``, ``bias_init``, ``prelu_init``) only matter to a new network.

    Parameters
    ----------
    network : sknet.network.Network
    params : estimator
    """
    by_type = {
        LeakyReLU: {"slope": params.leaky_relu_slope},
        ELU: {"alpha": params.elu_alpha},
        BatchNorm: {"momentum": params.batch_norm_momentum, "epsilon": params.batch_norm_epsilon},
        Dropout: {"rate": params.dropout},
    }
    settings = {
        name: by_type[type(layer)] for name, layer in network.layers if type(layer) in by_type
    }
    if network.loss.settings:
        settings["loss"] = _loss_settings(params, network.loss)
    network.apply_settings(settings)


def make_optimizer(params, previous=None):
    """The update rule of ``params.solver``, continuing ``previous``'s state.

    Parameters
    ----------
    params : estimator
        Read for ``solver`` and its coefficients (``momentum``,
        ``nesterovs_momentum``, ``beta_1``, ``beta_2``, ``epsilon``,
        ``rmsprop_decay``).
    previous : sknet.optimizers.Optimizer, default=None
        The rule of the previous call; its moments carry over if it is the
        same rule (see :meth:`~sknet.optimizers.Optimizer.take_state`).

    Returns
    -------
    optimizer : sknet.optimizers.Optimizer
    """
    solver = params.solver
    if solver == "sgd":
        optimizer = OPTIMIZERS["sgd"](params.momentum, params.nesterovs_momentum)
    elif solver in ("adam", "adamw"):
        optimizer = OPTIMIZERS["adam"](params.beta_1, params.beta_2, params.epsilon)
    elif solver == "rmsprop":
        optimizer = OPTIMIZERS["rmsprop"](params.rmsprop_decay, params.epsilon)
    elif solver == "adagrad":
        optimizer = OPTIMIZERS["adagrad"](params.epsilon)
    else:
        raise ValueError(
            f"solver={solver!r} has no update rule: use 'sgd', 'adam', 'adamw', "
            "'rmsprop' or 'adagrad'."
        )
    return optimizer if previous is None else optimizer.take_state(previous)


def resolve_weight_decay(params):
    """The decoupled weight decay a fit applies.

    Parameters
    ----------
    params : estimator
        Reads ``solver`` and ``weight_decay``.

    Returns
    -------
    weight_decay : float
        ``weight_decay`` when set; when None, :data:`ADAMW_WEIGHT_DECAY`
        (0.01, PyTorch's ``AdamW`` default) for ``solver='adamw'`` and 0 for
        the other solvers.
    """
    if params.weight_decay is not None:
        return float(params.weight_decay)
    return ADAMW_WEIGHT_DECAY if params.solver == "adamw" else 0.0


def make_schedule(params, previous=None):
    """The learning-rate schedule of ``params.learning_rate``.

    'exponential' is the smooth version of 'step': the same decay per
    ``lr_step_size`` epochs, spread evenly over them. The epoch-indexed
    schedules cycle every ``max_iter`` epochs.

    Parameters
    ----------
    params : estimator
    previous : sknet.schedules.Schedule, default=None
        The schedule of the previous call, whose state carries over.

    Returns
    -------
    schedule : sknet.schedules.Schedule
    """
    exponential = params.learning_rate == "exponential"
    schedule = _schedule(
        params.learning_rate,
        params.learning_rate_init,
        power_t=params.power_t,
        step_size=params.lr_step_size,
        gamma=params.lr_decay ** (1.0 / params.lr_step_size) if exponential else params.lr_decay,
        n_epochs=params.max_iter,
        lr_min=params.lr_min,
    )
    return schedule if previous is None else schedule.take_state(previous)
