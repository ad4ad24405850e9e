"""The parameter and attribute documentation shared by both estimators.

The activation choices come from :data:`sknet.layers.ACTIVATIONS`, the one
table that names them.
"""

from ..layers import ACTIVATION_ALIASES, ACTIVATIONS

COMMON_PARAMS_DOC = """
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of units in the ith hidden layer.
        ``()`` gives a network without hidden layers (a linear model).

    activation : {activation_choices}, default='relu'
        Activation of the hidden layers: scikit-learn's four and the
        lecture's, each a class of :mod:`sknet.layers.activations`, named in
        :data:`sknet.layers.ACTIVATIONS`: {activation_formulas}. 'sigmoid'
        is an alias of 'logistic'. maxout has that many times the weights.

    solver : {'lbfgs', 'sgd', 'adam', 'adamw', 'rmsprop', 'adagrad'}, default='adam'
        Weight optimizer. 'sgd' uses ``momentum`` and ``nesterovs_momentum``;
        'adam' uses ``beta_1``, ``beta_2``, ``epsilon``; 'adamw' is Adam
        with decoupled ``weight_decay`` (Loshchilov & Hutter, 2019); 'rmsprop' uses
        ``rmsprop_decay`` and ``epsilon``; 'adagrad' uses ``epsilon``.
        'lbfgs' is scipy's L-BFGS-B on the full batch.

    alpha : float, default=0.0001
        Strength of the L2 penalty on the weights (not biases, not batch-norm
        parameters), divided by the sample size (or the sum of the sample
        weights) when added to the loss, as in scikit-learn.

    batch_size : int, default='auto'
        Size of the mini-batches; 'auto' is ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'step', \
'exponential', 'cosine'}, default='constant'
        Learning-rate schedule, applied by every stochastic solver (scikit-learn
        applies it to 'sgd' only). 'invscaling' is
        ``learning_rate_init / (t + 1) ** power_t`` with ``t`` the samples
        seen (each fit's first epoch runs at ``learning_rate_init``, as in
        scikit-learn); 'adaptive' divides the rate by 5 each time the loss (or validation
        score) stops improving for ``n_iter_no_change`` epochs, and stops below
        1e-6; 'step' multiplies it by ``lr_decay`` every ``lr_step_size``
        epochs; 'exponential' by ``lr_decay ** (1 / lr_step_size)`` every
        epoch; 'cosine' anneals it from ``learning_rate_init`` to ``lr_min``
        over ``max_iter`` epochs. Each ``fit`` starts the schedule (and the
        update rule) afresh, as scikit-learn does; ``partial_fit`` continues
        them, and the epoch-indexed schedules ('step', 'exponential',
        'cosine') start a new cycle every ``max_iter`` epochs, so many
        ``partial_fit`` calls never train at a spent rate.

    learning_rate_init : float, default=0.001
        The initial learning rate of the stochastic solvers.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations ('lbfgs').

    shuffle : bool, default=True
        Whether to shuffle the samples in each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialization, the validation split, the shuffling
        and the dropout masks. An int makes fits bit-for-bit reproducible.

    tol : float, default=1e-4
        Tolerance of the optimization: when the loss (or validation score)
        does not improve by at least ``tol`` for ``n_iter_no_change``
        consecutive epochs, training stops (or, with 'adaptive', the rate
        drops).

    verbose : bool, default=False
        Whether to print progress messages, as scikit-learn does.

    warm_start : bool, default=False
        Reuse the previous solution to initialize the next fit. The layers
        (``hidden_layer_sizes``, ``activation``, ``maxout_pieces``, batch norm
        and dropout on or off) and the output (``loss``) must not change: a
        ValueError says so. The settings of the existing layers
        (``leaky_relu_slope``, ``elu_alpha``, ``batch_norm_momentum``,
        ``batch_norm_epsilon``, the ``dropout`` rate) and every training
        parameter take effect; ``init``, ``init_scale``, ``bias_init`` and
        ``prelu_init`` only shape a new network. As in scikit-learn, ``t_``,
        ``loss_curve_`` and the early-stopping best carry over and the update
        rule restarts.

    momentum : float, default=0.9
        Momentum of the 'sgd' solver, in [0, 1].

    nesterovs_momentum : bool, default=True
        Whether 'sgd' uses Nesterov's momentum (when momentum > 0).

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        classifiers) and stop when its score stops improving; the weights of
        the best epoch are restored at the end.

    validation_fraction : float, default=0.1
        Fraction of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Decay of Adam's first-moment estimate, in [0, 1).

    beta_2 : float, default=0.999
        Decay of Adam's second-moment estimate, in [0, 1).

    epsilon : float, default=1e-8
        Numerical-stability term of Adam, RMSProp and AdaGrad.

    n_iter_no_change : int, default=10
        Epochs without an improvement of ``tol`` before stopping.

    max_fun : int, default=15000
        Only used when solver='lbfgs': maximum number of loss evaluations.

    leaky_relu_slope : float, default=0.01
        Slope of 'leaky_relu' for negative inputs.

    prelu_init : float, default=0.25
        Initial slope of every 'prelu' unit.

    elu_alpha : float, default=1.0
        Saturation value of 'elu' for negative inputs.

    maxout_pieces : int, default=2
        Number of affine pieces of each 'maxout' unit.

    init : {'auto', 'zeros', 'normal', 'lecun_normal', 'xavier', 'he', \
'glorot_uniform'}, default='auto'
        Weight initialization. 'normal' draws from N(0, init_scale^2) (the
        lecture's "small random numbers" at 0.01); 'lecun_normal' has std
        ``1 / sqrt(fan_in)`` (CS231n's "Xavier", hence the alias 'xavier';
        PyTorch's and Keras's xavier / glorot use ``2 / (fan_in + fan_out)``);
        'he' has std ``sqrt(2 / fan_in)``; 'glorot_uniform' is scikit-learn's
        scheme (biases drawn too); 'zeros' shows why symmetry must be broken.
        'auto' gives each hidden layer its activation's ``init_family`` ('he'
        for the rectifiers and maxout, 'lecun_normal' otherwise) and the
        output layer, which no rectifier follows, 'lecun_normal' scaled by
        0.1, so that the untrained network starts at the no-information loss
        (CS231n's first sanity check).

    init_scale : float, default=0.01
        Standard deviation of the 'normal' initialization.

    bias_init : float, default=None
        Initial value of the hidden layers' biases (the lecture suggests 0.01
        for ReLU units). None keeps the scheme's own: zero, or scikit-learn's
        uniform draw for 'glorot_uniform'. Output biases are never changed.

    batch_norm : bool, default=False
        Insert batch normalization after each hidden affine layer, before its
        activation. Prediction uses the running statistics. Batch statistics
        need two rows: a ValueError says so when every mini-batch would have
        one (``batch_size=1``, one sample); a trailing one-row mini-batch
        (``n_samples % batch_size == 1``) is normalized with the running
        statistics and leaves them unchanged.

    batch_norm_momentum : float, default=0.9
        ``running = momentum * running + (1 - momentum) * batch``.

    batch_norm_epsilon : float, default=1e-5
        Added to the batch variance before its square root.

    dropout : float, default=0.0
        Probability of dropping each hidden unit during training (inverted
        dropout; nothing is dropped at prediction).

    rmsprop_decay : float, default=0.99
        Decay of RMSProp's running average of squared gradients.

    lr_step_size : int, default=10
        Epochs per decay step of the 'step' and 'exponential' schedules.

    lr_decay : float, default=0.5
        Factor applied every ``lr_step_size`` epochs by 'step' and 'exponential'.

    lr_min : float, default=0.0
        Final learning rate of the 'cosine' schedule.

    divergence_threshold : float, default=None
        If set, stop and raise :class:`~sknet.exceptions.TrainingDivergedError`
        (the estimator keeps its previous state) when the mini-batch loss blows
        up against the loss of the call's first mini-batch: it becomes
        non-finite, exceeds ``1000 * divergence_threshold`` times that loss
        once, or ``divergence_threshold`` times it for 10 consecutive
        mini-batches. Adam's brief early spike in wide layers passes; a
        search can abandon diverging candidates within a few updates. Without
        it, a non-finite loss raises a ValueError and a last epoch ending at
        more than 10 times the first mini-batch's loss warns
        :class:`~sknet.exceptions.DivergenceWarning`.

    track_training : bool, default=False
        Stochastic solvers only: after each epoch, record in ``history_``
        the statistics of every layer (``'layer_stats'``, one list of
        :func:`sknet.diagnostics.network_statistics` records per epoch: mean
        and std of the activations, dead ReLUs, saturated units, gradient
        norms and update-to-weight ratios of the epoch's last step) and the
        score on the training data (``'train_score'``), both measured on at
        most 1000 training samples spread evenly over the training set. It
        draws no random numbers, so it does not change the fit.

    scoring : str, callable or None, default=None
        What the validation rows are scored by (early stopping, and the
        training score of ``track_training``): None is scikit-learn's
        accuracy (classifier) or R^2 (regressor); 'loss' is the negative
        validation loss (the lecture watches the train / validation loss
        gap); any other value is a scikit-learn scorer name or callable.
        Higher is better; ``validation_scores_`` hold these values.

    max_grad_norm : float, default=None
        Clip the gradient of every mini-batch to this global L2 norm before
        the update (PyTorch's ``clip_grad_norm_``; Pascanu et al., 2013).
        None: no clipping. Ignored by ``solver='lbfgs'``.

    weight_decay : float, default=None
        Decoupled weight decay (Loshchilov & Hutter, 2019): every update also
        shrinks the weights (not biases, batch-norm or PReLU parameters) by
        ``learning_rate * weight_decay`` of themselves, apart from the
        gradient; with Adam this is AdamW. None: 0.01 with ``solver='adamw'``
        (PyTorch's default), 0 with the other solvers. ``alpha``'s L2
        penalty, in the gradient, is scikit-learn's and stays as it is.
        Ignored by ``solver='lbfgs'``.

    warmup_epochs : int, default=0
        Linear learning-rate warm-up (Goyal et al., 2017): the schedule's
        first ``warmup_epochs`` epochs run at ``1/(w+1), 2/(w+1), ...`` of its
        rate. Each fit warms up again; ``partial_fit`` continues. Ignored by
        ``solver='lbfgs'``.
"""

COMMON_ATTRS_DOC = """
    loss_ : float
        The current loss computed with the loss function.

    best_loss_ : float or None
        The minimum training loss reached (None with early stopping; absent
        for 'lbfgs').

    loss_curve_ : list of float
        The training loss of each epoch (absent for 'lbfgs').

    validation_scores_ : list of float or None
        The validation score of each epoch with early stopping, else None.

    best_validation_score_ : float or None
        The best validation score with early stopping, else None.

    t_ : int
        The number of training samples seen by the solver.

    coefs_ : list of ndarray
        The weight matrix of each affine layer (the network's own arrays).

    intercepts_ : list of ndarray
        The bias vector of each affine layer.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.

    n_iter_ : int
        The number of iterations (epochs) of the last call.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Name of the output activation.

    network_ : sknet.network.Network
        The trained network: layers, parameters, and ``layer_outputs(X)``.

    history_ : dict of list
        Per epoch: 'loss', 'learning_rate', 'seconds', with early stopping
        'val_loss' and 'val_score', and with ``track_training=True``
        'train_score' and 'layer_stats'.

    stop_reason_ : str
        Why the last call stopped: 'max_iter', 'no_improvement', 'converged'
        or 'failed' (L-BFGS), 'callback', 'diverged' (a non-finite loss with
        early stopping), 'interrupted' (Ctrl-C: the epochs completed before it
        were kept, with a warning) or 'partial_fit' (its one epoch); see
        :data:`sknet.training.STOP_REASONS`.
"""


def _activation_doc(text):
    """``text`` with the activation table's names and formulas filled in."""
    names = [*ACTIVATIONS, *ACTIVATION_ALIASES]
    choices = "{" + ", ".join(repr(n) for n in names) + "}"
    formulas = "; ".join(f"'{name}' ``{cls.formula}``" for name, cls in ACTIVATIONS.items())
    return text.replace("{activation_choices}", choices).replace(
        "{activation_formulas}", formulas
    )


COMMON_PARAMS_DOC = _activation_doc(COMMON_PARAMS_DOC)
