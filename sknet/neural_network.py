"""MLPClassifier and MLPRegressor: scikit-learn's MLP API on sknet's engine.

Every constructor parameter, default and public fitted attribute of
:class:`sklearn.neural_network.MLPClassifier` / ``MLPRegressor`` works the same
here; on top of them come the choices of CS231n's "Training Neural Networks I"
(more activations, weight initializations, batch normalization, dropout, more
update rules and learning-rate schedules), each a plain constructor parameter.
The network itself is a :class:`sknet.network.Network`, available after
fitting as ``network_``.
"""

import copy
import time
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    _fit_context,
    is_classifier,
)
from sklearn.callback import CallbackSupportMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from . import __version__
from .exceptions import (
    DataScaleWarning,
    DivergenceWarning,
    InconsistentSknetVersionWarning,
    TrainingDivergedError,
)
from .initializers import init_layer
from .network import build_network
from .optimizers import OPTIMIZERS
from .schedules import make_schedule

__all__ = ["MLPClassifier", "MLPRegressor"]

_STOCHASTIC_SOLVERS = ("sgd", "adam", "rmsprop", "adagrad")
_ACTIVATIONS = {
    "identity",
    "logistic",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "prelu",
    "elu",
    "maxout",
}
_INITS = {"auto", "zeros", "normal", "xavier", "he", "glorot_uniform"}
_SCHEDULES = {"constant", "invscaling", "adaptive", "step", "exponential", "cosine"}
# Inputs or targets beyond this magnitude make every activation saturate or
# every gradient explode; scikit-learn trains on them without a word.
_LARGE_VALUE = 1e10
# Rows sampled to look for badly scaled inputs or targets.
_SCALE_CHECK_ROWS = 10_000
# A final training loss this many times the first epoch's is a divergence.
_DIVERGED_FACTOR = 10.0
# Attributes of scikit-learn's callback machinery (sklearn.callback).
_CALLBACK_ATTRS = {
    "_skl_callbacks",
    "_skl_callbacks_to_teardown",
    "_callback_fit_ctx",
    "_parent_callback_ctx",
}
# track_training records statistics on at most this many training samples.
_TRACK_SAMPLES = 1000


def _row_index_dtype(n_rows):
    """The smallest integer type for row indices: 4 bytes a row below 2**31 rows."""
    return np.int32 if n_rows < 2**31 else np.int64


def _max_abs(X, max_rows=_SCALE_CHECK_ROWS):
    """Largest absolute value among at most ``max_rows`` evenly spaced rows.

    Badly scaled data is badly scaled throughout; a strided sample finds it
    without two extra passes over a large X at every fit.
    """
    step = max(1, X.shape[0] // max_rows)
    data = X[::step]
    if sp.issparse(data):
        data = data.data
    return max(float(data.max()), -float(data.min())) if data.size else 0.0


class BaseMLP(CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta):
    """Shared fit / predict machinery of the sknet MLP estimators.

    Not for direct use: use :class:`MLPClassifier` or :class:`MLPRegressor`.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(_ACTIVATIONS)],
        "solver": [StrOptions({"lbfgs", *_STOCHASTIC_SOLVERS})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions(_SCHEDULES)],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        # sknet's additions
        "leaky_relu_slope": [Interval(Real, 0, 1, closed="left")],
        "prelu_init": [Interval(Real, None, None, closed="neither")],
        "elu_alpha": [Interval(Real, 0, None, closed="left")],
        "maxout_pieces": [Interval(Integral, 2, None, closed="left")],
        "init": [StrOptions(_INITS)],
        "init_scale": [Interval(Real, 0, None, closed="neither")],
        "bias_init": [Interval(Real, None, None, closed="neither"), None],
        "batch_norm": ["boolean"],
        "batch_norm_momentum": [Interval(Real, 0, 1, closed="left")],
        "batch_norm_epsilon": [Interval(Real, 0, None, closed="neither")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "rmsprop_decay": [Interval(Real, 0, 1, closed="left")],
        "lr_step_size": [Interval(Integral, 1, None, closed="left")],
        "lr_decay": [Interval(Real, 0, 1, closed="right")],
        "lr_min": [Interval(Real, 0, None, closed="left")],
        "divergence_threshold": [Interval(Real, 1, None, closed="neither"), None],
        "track_training": ["boolean"],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        loss,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
        leaky_relu_slope,
        prelu_init,
        elu_alpha,
        maxout_pieces,
        init,
        init_scale,
        bias_init,
        batch_norm,
        batch_norm_momentum,
        batch_norm_epsilon,
        dropout,
        rmsprop_decay,
        lr_step_size,
        lr_decay,
        lr_min,
        divergence_threshold,
        track_training=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.loss = loss
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.leaky_relu_slope = leaky_relu_slope
        self.prelu_init = prelu_init
        self.elu_alpha = elu_alpha
        self.maxout_pieces = maxout_pieces
        self.init = init
        self.init_scale = init_scale
        self.bias_init = bias_init
        self.batch_norm = batch_norm
        self.batch_norm_momentum = batch_norm_momentum
        self.batch_norm_epsilon = batch_norm_epsilon
        self.dropout = dropout
        self.rmsprop_decay = rmsprop_decay
        self.lr_step_size = lr_step_size
        self.lr_decay = lr_decay
        self.lr_min = lr_min
        self.divergence_threshold = divergence_threshold
        self.track_training = track_training

    # ------------------------------------------------------------------
    # subclass hooks
    # ------------------------------------------------------------------
    @abstractmethod
    def _validate_input(self, X, y, incremental, reset):
        """Validate X and y; return X and the encoded training target."""

    @abstractmethod
    def _out_activation(self):
        """Name of the output link for the validated target."""

    @abstractmethod
    def _score_arrays(self, X, y_true, sample_weight):
        """Validation score (accuracy or R^2) of already validated arrays."""

    # ------------------------------------------------------------------
    # architecture
    # ------------------------------------------------------------------
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        if any(s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(s) for s in sizes]

    def _architecture(self):
        """What a warm start must not change: it fixes the network's shape."""
        activation = "logistic" if self.activation == "sigmoid" else self.activation
        return {
            "hidden_layer_sizes": tuple(self._hidden_sizes()),
            "activation": activation,
            "batch_norm": bool(self.batch_norm),
            "dropout": float(self.dropout),
            "maxout_pieces": self.maxout_pieces if activation == "maxout" else None,
        }

    def _init_weights(self, rng, fan_in, fan_out, dtype):
        # Xavier/He read the activation; the scikit-learn names stay valid.
        activation = "logistic" if self.activation == "sigmoid" else self.activation
        kw = {"scale": self.init_scale} if self.init == "normal" else {}
        return init_layer(self.init, rng, fan_in, fan_out, dtype, activation, **kw)

    def _build(self, n_features, n_outputs, dtype):
        n_hidden = len(self._hidden_sizes())
        count = [0]

        def init_weights(rng, fan_in, fan_out, dtype):
            hidden = count[0] < n_hidden
            count[0] += 1
            if not hidden and self.init == "auto":
                # He's factor 2 compensates for a ReLU after the layer; none
                # follows the output layer, so 'auto' gives it Xavier.
                return init_layer("xavier", rng, fan_in, fan_out, dtype)
            W, b = self._init_weights(rng, fan_in, fan_out, dtype)
            if self.bias_init is not None and hidden:
                b[...] = self.bias_init
            return W, b

        return build_network(
            n_features,
            self._hidden_sizes(),
            n_outputs,
            activation=self.activation,
            out_activation=self.out_activation_,
            random_state=self._random_state,
            dtype=dtype,
            init_weights=init_weights,
            batch_norm=self.batch_norm,
            batch_norm_momentum=self.batch_norm_momentum,
            batch_norm_epsilon=self.batch_norm_epsilon,
            dropout=self.dropout,
            leaky_relu_slope=self.leaky_relu_slope,
            prelu_init=self.prelu_init,
            elu_alpha=self.elu_alpha,
            maxout_pieces=self.maxout_pieces,
        )

    def _make_optimizer(self):
        if self.solver == "sgd":
            return OPTIMIZERS["sgd"](self.momentum, self.nesterovs_momentum)
        if self.solver == "adam":
            return OPTIMIZERS["adam"](self.beta_1, self.beta_2, self.epsilon)
        if self.solver == "rmsprop":
            return OPTIMIZERS["rmsprop"](self.rmsprop_decay, self.epsilon)
        return OPTIMIZERS["adagrad"](self.epsilon)

    def _make_schedule(self):
        return make_schedule(
            self.learning_rate,
            self.learning_rate_init,
            power_t=self.power_t,
            step_size=self.lr_step_size,
            # 'exponential' is the smooth version of 'step': the same decay
            # per lr_step_size epochs, spread evenly over them.
            gamma=(
                self.lr_decay ** (1.0 / self.lr_step_size)
                if self.learning_rate == "exponential"
                else self.lr_decay
            ),
            n_epochs=self.max_iter,
            lr_min=self.lr_min,
        )

    def _initialize(self, n_features, target, dtype):
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = target.shape[1] if target.ndim == 2 else len(self.classes_)
        self.n_layers_ = len(self._hidden_sizes()) + 2
        self.out_activation_ = self._out_activation()
        self.network_ = self._build(n_features, self.n_outputs_, dtype)
        self._arch = self._architecture()
        self.history_ = {"loss": [], "learning_rate": [], "seconds": []}
        self._sync_coefs()
        if self.solver in _STOCHASTIC_SOLVERS:
            self._init_stochastic_attrs()

    def _init_stochastic_attrs(self):
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
            self.history_.setdefault("val_loss", [])
            self.history_.setdefault("val_score", [])
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _sync_coefs(self):
        # coefs_ / intercepts_ are the network's own arrays, not copies.
        self.coefs_ = self.network_.coefs
        self.intercepts_ = self.network_.intercepts

    # ------------------------------------------------------------------
    # fitting
    # ------------------------------------------------------------------
    def _fit(self, X, y, sample_weight=None, incremental=False):
        # Whatever goes wrong, the estimator is left as it was before the call
        # (an interrupted ``fit`` of a stochastic solver excepted: it keeps
        # the partial model, as scikit-learn does).
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        backup = self._backup(deep=not first_pass)
        try:
            return self._fit_unsafe(X, y, sample_weight, incremental, first_pass)
        except BaseException:
            self._restore(backup)
            raise

    def _backup(self, *, deep):
        # Callbacks and their contexts belong to the user and to the running
        # fit: they are neither copied nor rolled back.
        keep = set(self._get_param_names()) | _CALLBACK_ATTRS
        state = {k: v for k, v in vars(self).items() if k not in keep}
        return copy.deepcopy(state) if deep else state

    def _restore(self, backup):
        params = set(self._get_param_names()) | _CALLBACK_ATTRS
        for key in [k for k in vars(self) if k not in params]:
            delattr(self, key)
        for key, value in backup.items():
            setattr(self, key, value)
        if "network_" in backup:
            # A deep copy rebuilds the network's flat buffer: re-link coefs_.
            self._sync_coefs()

    def _fit_unsafe(self, X, y, sample_weight, incremental, first_pass):
        self._hidden_sizes()  # reject non-positive sizes before anything else
        if self.solver == "lbfgs" and self.dropout:
            raise ValueError(
                "dropout is not supported with solver='lbfgs': its random masks "
                "break the line search. Use a stochastic solver (e.g. 'adam')."
            )
        if not first_pass and self._arch != self._architecture():
            raise ValueError(
                "warm_start / partial_fit cannot change the network's architecture: "
                f"it was fitted with {self._arch}, the parameters now say "
                f"{self._architecture()}. Set warm_start=False (or call fit) to "
                "train a new network."
            )
        X, target = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
        sample_weight = self._apply_class_weight(target, sample_weight, incremental)
        self._warn_on_scale(X, target)

        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(X.shape[1], target, X.dtype)
        elif self.solver in _STOCHASTIC_SOLVERS and not hasattr(self, "loss_curve_"):
            # Continuing an L-BFGS model with a stochastic solver.
            self._init_stochastic_attrs()

        if sp.issparse(X) and X.format == "csc":
            X = X.tocsr()  # row batches; still sparse, never densified

        # sklearn.callback: the fit is one task, each epoch (L-BFGS iteration)
        # a subtask; a callback's on_fit_task_end returning True stops training.
        callback_ctx = self._init_callback_context(
            max_subtasks=1 if incremental else self.max_iter
        )
        callback_kw = dict(
            X=X,
            y=y,
            metadata=None if sample_weight is None else {"sample_weight": sample_weight},
        )
        callback_ctx.call_on_fit_task_begin(estimator=self, **callback_kw)
        # numpy's overflow warnings would only precede the clear error or
        # warning that a non-finite loss or weights get below.
        with np.errstate(over="ignore", invalid="ignore"):
            if self.solver == "lbfgs":
                self._fit_lbfgs(X, target, sample_weight, callback_ctx, callback_kw)
            else:
                self._fit_stochastic(
                    X, target, sample_weight, incremental, callback_ctx, callback_kw
                )

        self.network_.clear_cache()
        params = self.network_.parameters()
        if not all(np.isfinite(p).all() for p in params):
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed."
            )
        callback_ctx.call_on_fit_task_end(
            estimator=self, reconstruction_attributes={}, **callback_kw
        )
        return self

    def _snapshot(self):
        """Fitted attributes of a copy frozen at this point of training (callbacks)."""
        network = copy.deepcopy(self.network_)
        network.clear_cache()
        return {
            "network_": network,
            "coefs_": network.coefs,
            "intercepts_": network.intercepts,
        }

    def _track_sample(self, X, target):
        """Up to _TRACK_SAMPLES training rows, evenly spread (no random draw)."""
        n = X.shape[0]
        idx = np.unique(np.linspace(0, n - 1, min(n, _TRACK_SAMPLES)).astype(np.intp))
        return X[idx], target[idx]

    def _record_training_stats(self, X_track, t_track, grads, updates):
        from .diagnostics import network_statistics

        with np.errstate(all="ignore"):
            self.history_["layer_stats"].append(
                network_statistics(
                    self.network_, X_track, gradients=grads, updates=updates
                )
            )
            self.history_["train_score"].append(self._score_arrays(X_track, t_track, None))

    def _apply_class_weight(self, target, sample_weight, incremental):
        return sample_weight

    def _warn_on_scale(self, X, target):
        largest = _max_abs(X)
        if largest > _LARGE_VALUE:
            warnings.warn(
                f"X contains values as large as {largest:.3g}: the network's "
                "units will saturate or its gradients explode. Scale the inputs "
                "first (StandardScaler, or sknet.preprocessing).",
                DataScaleWarning,
            )

    # -- L-BFGS ---------------------------------------------------------
    def _fit_lbfgs(self, X, target, sample_weight, callback_ctx, callback_kw):
        net = self.network_
        best = {"loss": np.inf, "x": None}
        n_evals = [0]

        def unpack(x):
            net.flat_params[...] = x

        def objective(x):
            unpack(x)
            n_evals[0] += 1
            loss = net.loss_and_gradients(
                X, target, sample_weight=sample_weight, alpha=self.alpha
            )
            if loss < best["loss"]:
                best["loss"], best["x"] = loss, x.copy()
            return loss, net.flat_grads.astype(np.float64)

        history = self.history_
        start = time.perf_counter()
        n_reported, stopped = [0], [False]

        def callback(intermediate_result):
            history["loss"].append(float(intermediate_result.fun))
            history["learning_rate"].append(np.nan)
            history["seconds"].append(time.perf_counter() - start)
            if self.verbose:
                print(
                    "Iteration %d, loss = %.8f"
                    % (len(history["loss"]), intermediate_result.fun)
                )
            n_reported[0] += 1
            if n_reported[0] <= self.max_iter:
                # scipy reports the iteration once it is over: begin and end it here.
                unpack(intermediate_result.x)
                ctx = callback_ctx.subcontext(task_name="iteration")
                ctx.call_on_fit_task_begin(estimator=self, **callback_kw)
                if ctx.call_on_fit_task_end(
                    estimator=self, reconstruction_attributes=self._snapshot, **callback_kw
                ):
                    stopped[0] = True
                    raise StopIteration

        x0 = net.flat_params.astype(np.float64)
        try:
            result = scipy.optimize.minimize(
                objective,
                x0,
                method="L-BFGS-B",
                jac=True,
                callback=callback,
                options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol},
            )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")
            if best["x"] is None:
                # Not one evaluation finished: nothing trained to keep.
                raise
            unpack(best["x"])
            self.n_iter_ = len(history["loss"])
            self.loss_ = np.float64(best["loss"])
        else:
            self.n_iter_ = min(int(result.nit), self.max_iter)
            self.loss_ = np.float64(result.fun)
            unpack(result.x)
            if result.status != 0 and not stopped[0]:  # a callback's stop is no failure
                message = result.message
                if isinstance(message, bytes):
                    message = message.decode("latin1")
                warnings.warn(
                    f"lbfgs failed to converge after {self.n_iter_} iteration(s) "
                    f"(status={result.status}): {message}.\n\nIncrease the number "
                    "of iterations (max_iter) or scale the data as shown in:\n"
                    "    https://scikit-learn.org/stable/modules/preprocessing.html",
                    ConvergenceWarning,
                )
        if self.batch_norm:
            net.recompute_running_stats(X, sample_weight=sample_weight)

    # -- stochastic solvers --------------------------------------------
    def _split_validation(self, X, target, sample_weight):
        # Multiclass (class indices) and binary (one 0/1 column) targets are
        # stratified; multilabel targets are not, as in scikit-learn. (
        # scikit-learn stratifies binary y only: its multiclass target is
        # one-hot, and it skips every target with more than one column.)
        stratify = None
        if is_classifier(self):
            if target.ndim == 1:
                stratify = target
            elif target.shape[1] == 1:
                stratify = target[:, 0]
        # Splitting row indices rather than X keeps the training rows where
        # they are (no copy of the data); the random draw is the same.
        train_idx, val_idx = train_test_split(
            np.arange(X.shape[0]),
            random_state=self._random_state,
            test_size=self.validation_fraction,
            stratify=stratify,
        )
        if val_idx.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        sw_val = None if sample_weight is None else sample_weight[val_idx]
        train_idx = train_idx.astype(_row_index_dtype(X.shape[0]))
        return train_idx, X[val_idx], target[val_idx], sw_val

    def _fit_stochastic(self, X, target, sample_weight, incremental, callback_ctx, callback_kw):
        net = self.network_
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer()
            self._schedule = self._make_schedule()
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        early_stopping = self.early_stopping
        X_train, t_train, sw_train = X, target, sample_weight
        if early_stopping:
            indices, X_val, t_val, sw_val = self._split_validation(X, target, sample_weight)
        else:
            indices = np.arange(X.shape[0], dtype=_row_index_dtype(X.shape[0]))
        if early_stopping and not hasattr(self, "_best_params"):
            self._save_best()

        n_samples = indices.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than "
                    "sample size. It is going to be clipped"
                )
            batch_size = int(np.clip(self.batch_size, 1, n_samples))

        params = net.parameters()
        grads_of = net.gradients
        # The update rule steps the one flat vector that all parameters view.
        flat_params, flat_grads = [net.flat_params], [net.flat_grads]
        optimizer, schedule = self._optimizer, self._schedule
        history = self.history_
        track = self.track_training
        if track:
            X_track, t_track = self._track_sample(X_train[indices], t_train[indices])
            names = list(net.named_parameters())
            history.setdefault("layer_stats", [])
            history.setdefault("train_score", [])
        contiguous = not self.shuffle and not early_stopping
        batch_rows = _RowGatherer(X_train, batch_size)
        first_loss = None
        n_batches = 0
        self.n_iter_ = 0
        diverged_warned = False
        try:
            for _ in range(self.max_iter):
                start = time.perf_counter()
                epoch_ctx = callback_ctx.subcontext(task_name="epoch")
                epoch_ctx.call_on_fit_task_begin(
                    estimator=self, reconstruction_attributes=self._snapshot, **callback_kw
                )
                lr = schedule(len(history["loss"]), self.t_)
                last_grads = last_updates = None
                if self.shuffle:
                    self._random_state.shuffle(indices)
                accumulated = 0.0
                for begin in range(0, n_samples, batch_size):
                    if contiguous:
                        idx = slice(begin, begin + batch_size)
                    else:
                        idx = indices[begin : begin + batch_size]
                    sw_batch = None if sw_train is None else sw_train[idx]
                    if sw_batch is not None and not sw_batch.any():
                        continue  # nothing to learn from; avoids 0 / 0
                    batch_loss = net.loss_and_gradients(
                        batch_rows(idx), t_train[idx], sample_weight=sw_batch, alpha=self.alpha
                    )
                    n_batches += 1
                    if first_loss is None:
                        first_loss = batch_loss
                    self._check_batch_loss(batch_loss, first_loss, n_batches, lr)
                    if track and begin + batch_size >= n_samples:
                        # The epoch's last step is the one track_training reports.
                        before = [p.copy() for p in params]
                        last_grads = dict(zip(names, [g.copy() for g in grads_of()]))
                    optimizer.step(flat_params, flat_grads, lr)
                    if last_grads is not None and last_updates is None:
                        last_updates = {
                            k: p - b for k, p, b in zip(names, params, before)
                        }
                    accumulated += batch_loss * (min(begin + batch_size, n_samples) - begin)

                self.n_iter_ += 1
                self.t_ += n_samples
                # np.float64 like scikit-learn's loss_ (it has a dtype).
                self.loss_ = np.float64(accumulated / n_samples)
                self.loss_curve_.append(self.loss_)
                history["loss"].append(self.loss_)
                history["learning_rate"].append(lr)
                if self.verbose:
                    print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))
                if early_stopping:
                    diverged = self._track_validation(X_val, t_val, sw_val)
                else:
                    diverged = self._track_training_loss()
                if track:
                    self._record_training_stats(X_track, t_track, last_grads, last_updates)
                history["seconds"].append(time.perf_counter() - start)
                if diverged:
                    break
                if epoch_ctx.call_on_fit_task_end(
                    estimator=self, reconstruction_attributes=self._snapshot, **callback_kw
                ):
                    break

                if self._no_improvement_count > self.n_iter_no_change:
                    if early_stopping:
                        msg = (
                            "Validation score did not improve more than "
                            "tol=%f for %d consecutive epochs."
                            % (self.tol, self.n_iter_no_change)
                        )
                    else:
                        msg = (
                            "Training loss did not improve more than tol=%f"
                            " for %d consecutive epochs." % (self.tol, self.n_iter_no_change)
                        )
                    if schedule.on_plateau():
                        if self.verbose:
                            print(msg + " Stopping.")
                        break
                    if self.verbose:
                        print(
                            msg + " Setting learning rate to %f"
                            % schedule(len(history["loss"]), self.t_)
                        )
                    self._no_improvement_count = 0

                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        "Stochastic Optimizer: Maximum iterations (%d) "
                        "reached and the optimization hasn't converged yet." % self.max_iter,
                        ConvergenceWarning,
                    )
        except _Diverged:
            warnings.warn(
                "The training loss became non-finite: training stopped and the "
                "weights of the best validation epoch were restored. "
                f"learning_rate_init={self.learning_rate_init} is probably too high.",
                DivergenceWarning,
            )
            diverged_warned = True
        except KeyboardInterrupt:
            if incremental:
                # A loop of partial_fit calls must stop when the user asks;
                # _fit restores the state from before this call.
                raise
            warnings.warn("Training interrupted by user.")

        diverged = bool(self.loss_curve_) and (
            not np.isfinite(self.loss_)
            or self.loss_ > _DIVERGED_FACTOR * self.loss_curve_[0]
        )
        if early_stopping:
            self._load_best()
            # The restored weights are the best of a run that blew up: often
            # no better than the first epoch's. Say so instead of staying silent.
            if diverged and not diverged_warned:
                warnings.warn(
                    f"The training loss diverged: it reached {self.loss_:.4g} after "
                    f"starting at {self.loss_curve_[0]:.4g}. The weights of the best "
                    "validation epoch were restored (best_validation_score_="
                    f"{self.best_validation_score_:.4g}), but learning_rate_init="
                    f"{self.learning_rate_init} is probably too high; lower it, or "
                    "scale the inputs.",
                    DivergenceWarning,
                )
        elif diverged:
            warnings.warn(
                f"The training loss diverged: it ended at {self.loss_:.4g} after "
                f"starting at {self.loss_curve_[0]:.4g}. learning_rate_init="
                f"{self.learning_rate_init} is probably too high; lower it, or "
                "scale the inputs.",
                DivergenceWarning,
            )

    def _check_batch_loss(self, loss, first_loss, n_batches, lr):
        threshold = self.divergence_threshold
        if np.isfinite(loss) and (threshold is None or loss <= threshold * first_loss):
            return
        epochs = self.n_iter_
        if threshold is not None:
            raise TrainingDivergedError(
                f"Training diverged: the mini-batch loss reached {loss:.4g} "
                f"(more than divergence_threshold={threshold} x the first "
                f"batch's {first_loss:.4g}) after {n_batches} updates in epoch "
                f"{epochs + 1}, at learning rate {lr:.4g}. Lower learning_rate_init.",
                n_iter=epochs,
                n_batches=n_batches,
                loss=float(loss),
                initial_loss=float(first_loss),
            )
        if self.early_stopping:
            # Stop here; the best weights seen on the validation set come back.
            raise _Diverged
        raise ValueError(
            "Solver produced non-finite parameter weights or loss: the training "
            f"loss became {loss} in epoch {epochs + 1}. The input data may contain "
            "large values and need to be preprocessed, or learning_rate_init="
            f"{self.learning_rate_init} is too high."
        )

    def _track_training_loss(self):
        if self.loss_curve_[-1] > self.best_loss_ - self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if self.loss_curve_[-1] < self.best_loss_:
            self.best_loss_ = self.loss_curve_[-1]
        return False

    def _track_validation(self, X_val, t_val, sw_val):
        net = self.network_
        with np.errstate(all="ignore"):
            score = self._score_arrays(X_val, t_val, sw_val)
            val_loss = net.evaluate_loss(X_val, t_val, sample_weight=sw_val)
        self.validation_scores_.append(score)
        self.history_["val_score"].append(score)
        self.history_["val_loss"].append(val_loss)
        if self.verbose:
            print("Validation score: %f" % score)
        if score < self.best_validation_score_ + self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if score > self.best_validation_score_:
            self.best_validation_score_ = score
            self._save_best()
        return not np.isfinite(val_loss)

    def _save_best(self):
        net = self.network_
        self._best_params = [p.copy() for p in net.parameters()]
        self._best_state = {k: v.copy() for k, v in net.named_state().items()}

    def _load_best(self):
        net = self.network_
        for p, best in zip(net.parameters(), self._best_params):
            p[...] = best
        for key, value in net.named_state().items():
            value[...] = self._best_state[key]

    # ------------------------------------------------------------------
    # public API shared by both estimators
    # ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data. Sparse CSR / CSC matrices are multiplied directly
            by the first layer, never densified.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers in
            regression).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights. Each batch's loss is their weighted
            mean, so integer weights equal repeating samples.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def initialize(self, X, y):
        """Build the untrained network exactly as ``fit`` would, without training.

        The data are validated, the classes (or outputs) read from ``y`` and
        ``network_`` built with the weights ``fit`` would start from (the same
        draws for the same ``random_state``). The estimator then predicts with
        its initial weights; :func:`sknet.diagnostics.check_initial_loss` uses
        this to check the loss before any update. A later ``fit`` starts over
        unless ``warm_start=True``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        Returns
        -------
        self : object
            The estimator with an untrained ``network_`` and ``n_iter_ == 0``.

        Examples
        --------
        >>> import numpy as np
        >>> from sknet import MLPClassifier
        >>> X = np.random.RandomState(0).randn(30, 4)
        >>> y = np.arange(30) % 3
        >>> clf = MLPClassifier(hidden_layer_sizes=(8,), random_state=0).initialize(X, y)
        >>> clf.n_iter_, clf.predict_proba(X).shape
        (0, (30, 3))
        """
        self._hidden_sizes()
        X, target = self._validate_input(X, y, incremental=False, reset=True)
        self._random_state = check_random_state(self.random_state)
        self._initialize(X.shape[1], target, X.dtype)
        return self

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                "%s is not stochastic." % self.solver
            )
        return True

    def _forward(self, X, check_input=True):
        if check_input:
            X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        X = self._as_fit_dtype(X)
        with np.errstate(over="ignore", invalid="ignore"):
            return self.network_.predict(X)

    def _as_fit_dtype(self, X):
        dtype = self.coefs_[0].dtype
        if X.dtype != dtype:
            X = X.astype(dtype)
        return X

    def _checked_forward(self, X):
        out = self._forward(X)
        if not np.isfinite(out).all():
            raise ValueError(
                "The network produced non-finite outputs for X. Its weights or "
                "the inputs are too large: check the input scale and refit with "
                "a lower learning_rate_init."
            )
        return out

    def _score_with_function(self, X, y, sample_weight, score_function):
        y_pred_raw = self._forward(X, check_input=False)
        if not np.isfinite(y_pred_raw).all():
            return np.nan
        return score_function(y, self._decode(y_pred_raw), sample_weight=sample_weight)

    def __getstate__(self):
        state = super().__getstate__()
        state["_sknet_version"] = __version__
        return state

    def __setstate__(self, state):
        version = state.pop("_sknet_version", None)
        if version is not None and version != __version__:
            warnings.warn(
                f"Trying to unpickle estimator {type(self).__name__} from sknet "
                f"version {version} when using version {__version__}. This might "
                "lead to breaking code or invalid results. Use at your own risk.",
                InconsistentSknetVersionWarning,
            )
        super().__setstate__(state)
        if "network_" in state:
            # coefs_ / intercepts_ must be the network's own arrays. pickle keeps
            # the aliasing, but joblib stores each array on its own and loads
            # copies: coefs_ would then go stale after partial_fit.
            self._sync_coefs()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class _RowGatherer:
    """Rows of X for one mini-batch, gathered into one reused buffer.

    Slices of a dense X are views (no copy); index arrays are gathered with
    ``np.take(..., out=)`` into a buffer allocated once per fit; sparse rows
    are sliced by scipy (their size varies with the batch).
    """

    def __init__(self, X, batch_size):
        self.X = X
        dense = not sp.issparse(X)
        self.buffer = np.empty((batch_size, X.shape[1]), dtype=X.dtype) if dense else None

    def __call__(self, idx):
        if self.buffer is None or isinstance(idx, slice):
            return self.X[idx]
        out = self.buffer[: idx.shape[0]]
        # mode="clip" skips numpy's defensive buffering; the indices are valid.
        return np.take(self.X, idx, axis=0, out=out, mode="clip")


class _Diverged(Exception):
    """Internal: the loss went non-finite with early stopping on."""


_COMMON_PARAMS_DOC = """
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of units in the ith hidden layer.
        ``()`` gives a network without hidden layers (a linear model).

    activation : {'identity', 'logistic', 'sigmoid', 'tanh', 'relu', \
'leaky_relu', 'prelu', 'elu', 'maxout'}, default='relu'
        Activation of the hidden layers. scikit-learn's four, plus
        'sigmoid' (an alias of 'logistic'), 'leaky_relu'
        (``max(slope x, x)``), 'prelu' (the slope learned per unit), 'elu'
        (``alpha (exp(x) - 1)`` for ``x < 0``) and 'maxout' (the maximum of
        ``maxout_pieces`` affine pieces per unit, so that many times the
        weights).

    solver : {'lbfgs', 'sgd', 'adam', 'rmsprop', 'adagrad'}, default='adam'
        Weight optimizer. 'sgd' uses ``momentum`` and ``nesterovs_momentum``;
        'adam' uses ``beta_1``, ``beta_2``, ``epsilon``; 'rmsprop' uses
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
        seen; 'adaptive' divides the rate by 5 each time the loss (or validation
        score) stops improving for ``n_iter_no_change`` epochs, and stops below
        1e-6; 'step' multiplies it by ``lr_decay`` every ``lr_step_size``
        epochs; 'exponential' by ``lr_decay ** (1 / lr_step_size)`` every
        epoch; 'cosine' anneals it from ``learning_rate_init`` to ``lr_min``
        over ``max_iter`` epochs.

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
        Reuse the previous solution to initialize the next fit. The
        architecture (layer sizes, activation, batch norm, dropout) must not
        change: a ValueError says so.

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

    init : {'auto', 'zeros', 'normal', 'xavier', 'he', 'glorot_uniform'}, \
default='auto'
        Weight initialization. 'normal' draws from N(0, init_scale^2) (the
        lecture's "small random numbers" at 0.01); 'xavier' has std
        ``1 / sqrt(fan_in)``; 'he' has std ``sqrt(2 / fan_in)``;
        'glorot_uniform' is scikit-learn's scheme (biases drawn too); 'zeros'
        shows why symmetry must be broken. 'auto' picks 'he' for the ReLU
        family (relu, leaky_relu, prelu, elu, maxout) and 'xavier' otherwise,
        for the hidden layers; the output layer, which no ReLU follows, gets
        'xavier'.

    init_scale : float, default=0.01
        Standard deviation of the 'normal' initialization.

    bias_init : float, default=None
        Initial value of the hidden layers' biases (the lecture suggests 0.01
        for ReLU units). None keeps the scheme's own: zero, or scikit-learn's
        uniform draw for 'glorot_uniform'. Output biases are never changed.

    batch_norm : bool, default=False
        Insert batch normalization after each hidden affine layer, before its
        activation. Prediction uses the running statistics.

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
        If set, stop at once and raise
        :class:`~sknet.exceptions.TrainingDivergedError` when a mini-batch loss
        exceeds this many times the first mini-batch's loss or becomes
        non-finite; the estimator keeps its previous state. Useful in
        hyperparameter searches to abandon diverging candidates early.

    track_training : bool, default=False
        Stochastic solvers only: after each epoch, record in ``history_``
        the statistics of every layer (``'layer_stats'``, one list of
        :func:`sknet.diagnostics.network_statistics` records per epoch: mean
        and std of the activations, dead ReLUs, saturated units, gradient
        norms and update-to-weight ratios of the epoch's last step) and the
        score on the training data (``'train_score'``), both measured on at
        most 1000 training samples spread evenly over the training set. It
        draws no random numbers, so it does not change the fit.
"""

_COMMON_ATTRS_DOC = """
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
"""


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier with the CS231n training choices.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`:
    the same parameters, defaults and fitted attributes, plus more
    activations, initializations, batch normalization, dropout, solvers,
    schedules and ``class_weight``.

    Parameters
    ----------
    {params}
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``: a dict
        ``{{label: weight}}``, or 'balanced' for
        ``n_samples / (n_classes * bincount(y))``. Not for multilabel y;
        'balanced' is not available in ``partial_fit``.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        Class labels of each output.
    {attrs}

    See Also
    --------
    MLPRegressor : The regressor.
    sklearn.neural_network.MLPClassifier : scikit-learn's original.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from sknet import MLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(64,), activation="leaky_relu",
    ...                     batch_norm=True, max_iter=30, random_state=0)
    >>> clf.fit(X_train, y_train).score(X_test, y_test) > 0.95
    True
    """

    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        leaky_relu_slope=0.01,
        prelu_init=0.25,
        elu_alpha=1.0,
        maxout_pieces=2,
        init="auto",
        init_scale=0.01,
        bias_init=None,
        batch_norm=False,
        batch_norm_momentum=0.9,
        batch_norm_epsilon=1e-5,
        dropout=0.0,
        rmsprop_decay=0.99,
        lr_step_size=10,
        lr_decay=0.5,
        lr_min=0.0,
        divergence_threshold=None,
        class_weight=None,
        track_training=False,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss="log_loss",
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            leaky_relu_slope=leaky_relu_slope,
            prelu_init=prelu_init,
            elu_alpha=elu_alpha,
            maxout_pieces=maxout_pieces,
            init=init,
            init_scale=init_scale,
            bias_init=bias_init,
            batch_norm=batch_norm,
            batch_norm_momentum=batch_norm_momentum,
            batch_norm_epsilon=batch_norm_epsilon,
            dropout=dropout,
            rmsprop_decay=rmsprop_decay,
            lr_step_size=lr_step_size,
            lr_decay=lr_decay,
            lr_min=lr_min,
            divergence_threshold=divergence_threshold,
            track_training=track_training,
        )
        self.class_weight = class_weight

    # -- targets ---------------------------------------------------------
    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        try:
            check_classification_targets(y)
        except TypeError as exc:
            raise _unsortable(exc) from exc
        if (not hasattr(self, "classes_")) or (not self.warm_start and not incremental):
            self._label_binarizer = _fit_label_binarizer(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = _sorted_labels(y)
            if self.warm_start and not incremental:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same "
                        "classes as in the previous call to fit. Previously "
                        f"got {self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. "
                    f"`self.classes_` has {self.classes_}. 'y' has {classes}."
                )
        return X, self._encode(y, X.dtype)

    def _encode(self, y, dtype):
        """Training target: class indices (multiclass) or a 0/1 matrix."""
        kind = self._label_binarizer.y_type_
        if kind == "multilabel-indicator":
            return np.asarray(y, dtype=dtype)
        index = _label_index(y, self.classes_)
        if kind == "multiclass":
            return index
        return (index == 1).astype(dtype).reshape(-1, 1)

    def _out_activation(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _apply_class_weight(self, target, sample_weight, incremental):
        if self.class_weight is None:
            return sample_weight
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            raise ValueError("class_weight is not supported for multilabel y.")
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight 'balanced' is not supported for partial_fit: the "
                "class frequencies of the whole data are unknown. Pass a dict "
                "of weights instead."
            )
        index = target if target.ndim == 1 else target[:, 0].astype(np.intp)
        if isinstance(self.class_weight, dict):
            unknown = set(self.class_weight) - set(self.classes_.tolist())
            if unknown:
                raise ValueError(
                    f"class_weight has labels {sorted(map(str, unknown))} that are "
                    f"not in classes_ {self.classes_.tolist()}."
                )
            per_class = np.array(
                [float(self.class_weight.get(c, 1.0)) for c in self.classes_.tolist()]
            )
            weights = per_class[index]
        else:
            weights = compute_sample_weight("balanced", index)
        if sample_weight is None:
            return weights
        return sample_weight * weights.astype(sample_weight.dtype)

    def _score_arrays(self, X, index_or_matrix, sample_weight):
        y_true = self._decode_target(index_or_matrix)
        return self._score_with_function(X, y_true, sample_weight, accuracy_score)

    def _decode_target(self, target):
        kind = self._label_binarizer.y_type_
        if kind == "multilabel-indicator":
            return target.astype(int)
        if kind == "multiclass":
            return self.classes_[target]
        return self.classes_[target[:, 0].astype(int)] if len(self.classes_) > 1 else (
            np.repeat(self.classes_, target.shape[0])
        )

    def _decode(self, y_pred):
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        return self._label_binarizer.inverse_transform(y_pred)

    # -- public API ------------------------------------------------------
    def predict(self, X):
        """Predict using the multi-layer perceptron classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes, in the dtype of the training labels.
        """
        check_is_fitted(self)
        return self._decode(self._checked_forward(X))

    def _predict(self, X, check_input=True):
        return self._decode(self._forward(X, check_input=check_input))

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        classes : array of shape (n_classes,), default=None
            Classes across all calls to partial_fit; required on the first.

        Returns
        -------
        self : object
            Trained MLP model.
        """
        backup = self._backup(deep=True)
        try:
            try:
                first_call = _check_partial_fit_first_call(self, classes)
            except TypeError as exc:
                raise _unsortable(exc) from exc
            if first_call:
                if type_of_target(y).startswith("multilabel"):
                    self._label_binarizer = _fit_label_binarizer(y)
                else:
                    self._label_binarizer = _fit_label_binarizer(np.asarray(classes))
        except BaseException:
            self._restore(backup)
            raise
        try:
            return self._fit(X, y, sample_weight=sample_weight, incremental=True)
        except BaseException:
            self._restore(backup)
            raise

    def predict_log_proba(self, X):
        """Return the log of probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        y_prob = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(y_prob, out=y_prob)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of ``classes_``. With
            a single class seen in fit, a column of ones.
        """
        check_is_fitted(self)
        y_pred = self._checked_forward(X)
        if len(self.classes_) == 1 and self._label_binarizer.y_type_ != "multilabel-indicator":
            return np.ones((y_pred.shape[0], 1), dtype=y_pred.dtype)
        if self.out_activation_ == "logistic":
            # A sigmoid rounds to exactly 0 or 1 beyond |z| ~ 37; no finite
            # evidence makes a class certain, so keep probabilities inside (0, 1).
            eps = np.finfo(y_pred.dtype).eps
            np.clip(y_pred, eps, 1 - eps, out=y_pred)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        if y_pred.ndim == 1:
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor with the CS231n training choices.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`:
    the same parameters, defaults and fitted attributes, plus more
    activations, initializations, batch normalization, dropout, solvers and
    schedules.

    Parameters
    ----------
    loss : {{'squared_error', 'poisson'}}, default='squared_error'
        Half squared error (identity output) or half Poisson deviance (exp
        output; y must be non-negative).
    {params}

    Attributes
    ----------
    {attrs}

    See Also
    --------
    MLPClassifier : The classifier.
    sklearn.neural_network.MLPRegressor : scikit-learn's original.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sknet import MLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1, random_state=0)
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs", max_iter=500,
    ...                    random_state=0).fit(X, y / 100)
    >>> reg.score(X, y / 100) > 0.99
    True
    """

    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        leaky_relu_slope=0.01,
        prelu_init=0.25,
        elu_alpha=1.0,
        maxout_pieces=2,
        init="auto",
        init_scale=0.01,
        bias_init=None,
        batch_norm=False,
        batch_norm_momentum=0.9,
        batch_norm_epsilon=1e-5,
        dropout=0.0,
        rmsprop_decay=0.99,
        lr_step_size=10,
        lr_decay=0.5,
        lr_min=0.0,
        divergence_threshold=None,
        track_training=False,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss=loss,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            leaky_relu_slope=leaky_relu_slope,
            prelu_init=prelu_init,
            elu_alpha=elu_alpha,
            maxout_pieces=maxout_pieces,
            init=init,
            init_scale=init_scale,
            bias_init=bias_init,
            batch_norm=batch_norm,
            batch_norm_momentum=batch_norm_momentum,
            batch_norm_epsilon=batch_norm_epsilon,
            dropout=dropout,
            rmsprop_decay=rmsprop_decay,
            lr_step_size=lr_step_size,
            lr_decay=lr_decay,
            lr_min=lr_min,
            divergence_threshold=divergence_threshold,
            track_training=track_training,
        )

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for "
                "Poisson regression (loss='poisson')."
            )
        target = np.asarray(y, dtype=X.dtype)
        if target.ndim == 1:
            target = target.reshape(-1, 1)
        return X, target

    def _warn_on_scale(self, X, target):
        super()._warn_on_scale(X, target)
        largest = _max_abs(target)
        if largest > _LARGE_VALUE:
            warnings.warn(
                f"y contains values as large as {largest:.3g}: the squared "
                "error overflows or its gradients explode. Scale the target first "
                "(e.g. TransformedTargetRegressor with StandardScaler).",
                DataScaleWarning,
            )

    def _out_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _score_arrays(self, X, target, sample_weight):
        y_true = target.ravel() if target.shape[1] == 1 else target
        return self._score_with_function(X, y_true, sample_weight, r2_score)

    def _decode(self, y_pred):
        return y_pred.ravel() if y_pred.shape[1] == 1 else y_pred

    def predict(self, X):
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        check_is_fitted(self)
        return self._decode(self._checked_forward(X))

    def _predict(self, X, check_input=True):
        return self._decode(self._forward(X, check_input=check_input))

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            Trained MLP model.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)


MLPClassifier.__doc__ = MLPClassifier.__doc__.format(
    params=_COMMON_PARAMS_DOC.strip(), attrs=_COMMON_ATTRS_DOC.strip()
)
MLPRegressor.__doc__ = MLPRegressor.__doc__.format(
    params=_COMMON_PARAMS_DOC.strip(), attrs=_COMMON_ATTRS_DOC.strip()
)


# ----------------------------------------------------------------------
# label helpers
# ----------------------------------------------------------------------
class _UnsortableLabelsError(ValueError, TypeError):
    """Labels that cannot be sorted into ``classes_`` (mixed types, None).

    A ValueError that names the problem, and still the TypeError that
    scikit-learn raises for the same labels, so either ``except`` catches it.
    """


def _unsortable(exc):
    return _UnsortableLabelsError(
        f"The labels in y cannot be sorted ({exc}). Use labels of one type "
        "(all strings or all numbers) and no missing values such as None."
    )


def _sorted_labels(y):
    try:
        return unique_labels(y)
    except TypeError as exc:
        raise _unsortable(exc) from exc


def _fit_label_binarizer(y):
    binarizer = LabelBinarizer()
    try:
        binarizer.fit(y)
    except TypeError as exc:
        raise _unsortable(exc) from exc
    return binarizer


def _label_index(y, classes, chunk=65536):
    """Position of each label of ``y`` in the sorted ``classes``, as int32.

    Encoded a chunk at a time, so the temporaries of ``np.unique`` stay small
    whatever the size of y; int32 halves the memory of the result.
    """
    y = np.asarray(y).ravel()
    classes = np.asarray(classes)
    index = np.empty(y.shape[0], dtype=np.int32)
    for start in range(0, y.shape[0], chunk):
        uniques, inverse = np.unique(y[start : start + chunk], return_inverse=True)
        positions = np.clip(np.searchsorted(classes, uniques), 0, len(classes) - 1)
        if not np.array_equal(classes[positions], uniques):
            raise ValueError(f"`y` has labels not in classes_ {classes}.")
        index[start : start + chunk] = positions[inverse.ravel()]
    return index
