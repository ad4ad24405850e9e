"""The estimators' shared base: parameters, input checks, rollback, prediction, persistence.

:class:`BaseMLP` holds what makes sknet's MLPs scikit-learn estimators. A call
to ``fit`` or ``partial_fit`` validates the data, builds the network on a new
fit (or brings its settings up to date on a warm one), hands the training to
:func:`sknet.training.train`, and publishes the result as scikit-learn's fitted
attributes. Whatever goes wrong, the estimator is put back as it was before
the call, from one backup of what the call can change.
"""

import copy
import functools
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context, is_classifier
from sklearn.callback import CallbackSupportMixin
from sklearn.metrics import accuracy_score, check_scoring, get_scorer_names, r2_score
from sklearn.utils import assert_all_finite, check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, validate_data

from .. import __version__
from .._array_api import check_numpy_input
from ..exceptions import DataScaleWarning, InconsistentSknetVersionWarning
from ..initializers import INITIALIZERS
from ..layers import ACTIVATION_ALIASES, ACTIVATIONS
from ..ops import all_finite
from ..training import (
    STOCHASTIC_SOLVERS,
    CallbackMonitor,
    Checkpoint,
    TrainingState,
    architecture,
    build_network,
    configure_network,
    decode_target,
    hidden_sizes,
    interrupts_propagate,
    train,
)
from ._legacy import upgrade_state

_ACTIVATIONS = {*ACTIVATIONS, *ACTIVATION_ALIASES}
_INITS = {"auto", *INITIALIZERS}
_SCHEDULES = {"constant", "invscaling", "adaptive", "step", "exponential", "cosine"}
# Inputs or targets beyond this magnitude make every activation saturate or
# every gradient explode; scikit-learn trains on them without a word.
_LARGE_VALUE = 1e10
# Rows sampled to look for badly scaled inputs or targets.
_SCALE_CHECK_ROWS = 10_000
# Fitted attributes that only a training call sets; a new network starts
# without them (an L-BFGS fit after a stochastic one has no loss_curve_).
_TRAINED_ATTRS = (
    "loss_",
    "loss_curve_",
    "best_loss_",
    "validation_scores_",
    "best_validation_score_",
    "stop_reason_",
)
# Attributes of scikit-learn's callback machinery (sklearn.callback).
_CALLBACK_ATTRS = {
    "_skl_callbacks",
    "_skl_callbacks_to_teardown",
    "_callback_fit_ctx",
    "_parent_callback_ctx",
}


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


def constructor_arguments(local_vars):
    """The arguments of an ``__init__``, from its ``locals()``.

    The estimators list every parameter in their signatures, as scikit-learn
    requires, and hand them all to :class:`BaseMLP`, which stores them.
    """
    return {k: v for k, v in local_vars.items() if k not in ("self", "__class__")}


class _Rollback:
    """What a call to ``fit`` or ``partial_fit`` may change, to put back if it fails.

    The estimator's attributes are rebound, never mutated, by a call, so a
    shallow copy of them suffices; the arrays a continuing call changes in
    place (weights, running statistics, the update rule's moments, the loss
    history) are copied once in a :class:`~sknet.training.Checkpoint`. A new
    fit builds a new network and state, leaving the old ones untouched.
    """

    def __init__(self, estimator, first_pass):
        keep = set(estimator._get_param_names()) | _CALLBACK_ATTRS
        self.attrs = {k: v for k, v in vars(estimator).items() if k not in keep}
        self.checkpoint = None
        if not first_pass:
            self.checkpoint = Checkpoint(estimator.network_, estimator._training)

    def restore(self, estimator):
        keep = set(estimator._get_param_names()) | _CALLBACK_ATTRS
        for key in [k for k in vars(estimator) if k not in keep]:
            delattr(estimator, key)
        vars(estimator).update(self.attrs)
        if self.checkpoint is not None:
            estimator._training = self.checkpoint.restore(estimator.network_)
            estimator._publish()


@functools.cache
def _param_names(cls):
    """The constructor parameters of ``cls`` (``get_params``' names, computed once)."""
    return tuple(cls._get_param_names())


class BaseMLP(CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta):
    """Shared fit / predict machinery of the sknet MLP estimators.

    Not for direct use: use :class:`MLPClassifier` or :class:`MLPRegressor`.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(_ACTIVATIONS)],
        "solver": [StrOptions({"lbfgs", *STOCHASTIC_SOLVERS})],
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
        "scoring": [StrOptions({"loss", *get_scorer_names()}), callable, None],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "weight_decay": [Interval(Real, 0, None, closed="left"), None],
        "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
    }

    @abstractmethod
    def __init__(self, **params):
        for name, value in params.items():
            setattr(self, name, value)

    # ------------------------------------------------------------------
    # subclass hooks
    # ------------------------------------------------------------------
    @abstractmethod
    def _validate_input(self, X, y, incremental, reset, classes=None):
        """Validate X and y (labels checked against ``classes_``); return them."""

    @abstractmethod
    def _out_activation(self):
        """Name of the output link for the current parameters and labels."""

    @abstractmethod
    def _encode(self, y, dtype, first_pass):
        """The loss's target for validated ``y``, and the number of outputs."""

    def _apply_class_weight(self, target, sample_weight, incremental):
        return sample_weight

    # ------------------------------------------------------------------
    # fitting
    # ------------------------------------------------------------------
    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None, validation=None):
        check_numpy_input(X, self, y, sample_weight, *(validation or ()))
        first_pass = not hasattr(self, "network_") or (not self.warm_start and not incremental)
        if incremental and not first_pass:
            # scikit-learn validates partial_fit's parameters on the first call
            # only (its optimizer keeps them); sknet reads them at every call,
            # so it validates any that changed since the last check.
            self._validate_changed_params()
        rollback = _Rollback(self, first_pass)
        try:
            self._fit_unsafe(X, y, sample_weight, incremental, first_pass, classes, validation)
        except BaseException:
            # Whatever went wrong (bad input found late, a divergence, Ctrl-C
            # before one epoch completed), nothing of this call remains.
            rollback.restore(self)
            raise
        if self.stop_reason_ == "interrupted" and interrupts_propagate():
            raise KeyboardInterrupt
        return self

    def _fit_unsafe(self, X, y, sample_weight, incremental, first_pass, classes, validation):
        hidden_sizes(self)  # reject non-positive sizes before anything else
        if self.solver == "lbfgs" and self.dropout:
            raise ValueError(
                "dropout is not supported with solver='lbfgs': its random masks "
                "break the line search. Use a stochastic solver (e.g. 'adam')."
            )
        if not first_pass:
            self._check_warm_start()
        X, y = self._validate_input(X, y, incremental, reset=first_pass, classes=classes)
        target, n_outputs = self._encode(y, X.dtype, first_pass)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
        sample_weight = self._apply_class_weight(target, sample_weight, incremental)
        if sample_weight is not None and not sample_weight.any():
            raise ValueError(
                "Sample weights must contain at least one non-zero number: with "
                f"class_weight={getattr(self, 'class_weight', None)!r} every row of this call "
                "weighs 0."
            )
        self._warn_on_scale(X, target)

        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(X.shape[1], n_outputs, X.dtype)
        else:
            configure_network(self.network_, self)
        if sp.issparse(X) and X.format == "csc":
            X = X.tocsr()  # row batches; still sparse, never densified
        validation_data = None if validation is None else self._validation_data(X, *validation)

        # sklearn.callback: the fit is one task, each epoch (L-BFGS iteration)
        # a subtask; a callback's on_fit_task_end returning True stops training.
        context = self._init_callback_context(max_subtasks=1 if incremental else self.max_iter)
        callback_kw = dict(
            X=X,
            y=y,
            metadata=None if sample_weight is None else {"sample_weight": sample_weight},
        )
        context.call_on_fit_task_begin(estimator=self, **callback_kw)
        callbacks = CallbackMonitor(
            context,
            self,
            self._snapshot,
            task_name="iteration" if self.solver == "lbfgs" else "epoch",
            **callback_kw,
        )
        # numpy's overflow warnings would only precede the clear error or
        # warning that a non-finite loss or weights get.
        with np.errstate(over="ignore", invalid="ignore"):
            result = train(
                self.network_,
                X,
                target,
                sample_weight,
                params=self,
                state=self._training,
                random_state=self._random_state,
                score=self._validation_scorer(),
                incremental=incremental,
                callbacks=callbacks,
                validation_data=validation_data,
            )
        self.network_.clear_cache()
        self.n_iter_, self.loss_, self.stop_reason_ = result.n_iter, result.loss, result.stop_reason
        self._publish()
        self._check_finite()
        context.call_on_fit_task_end(estimator=self, reconstruction_attributes={}, **callback_kw)

    def _check_warm_start(self):
        """Refuse a warm start or partial_fit that would need another network."""
        if self._arch != architecture(self):
            raise ValueError(
                "warm_start / partial_fit cannot change the network's architecture: "
                f"it was fitted with {self._arch}, the parameters now say "
                f"{architecture(self)}. Set warm_start=False (or call fit) to "
                "train a new network."
            )

    def _initialize(self, n_features, n_outputs, dtype):
        for name in _TRAINED_ATTRS:
            self.__dict__.pop(name, None)
        self.n_iter_ = 0
        self.n_outputs_ = n_outputs
        self.n_layers_ = len(hidden_sizes(self)) + 2
        self.out_activation_ = self._out_activation()
        self.network_ = build_network(
            self,
            n_features,
            n_outputs,
            out_activation=self.out_activation_,
            dtype=dtype,
            random_state=self._random_state,
        )
        self._arch = architecture(self)
        self._training = TrainingState(stochastic=self.solver in STOCHASTIC_SOLVERS)
        self._publish()
        self._sync_coefs()

    def _publish(self):
        """The training state as scikit-learn's fitted attributes (lists shared)."""
        state = self._training
        self.t_ = state.t
        self.history_ = state.history
        if state.stochastic:
            self.loss_curve_ = state.loss_curve
            self.best_loss_ = state.best_loss
            self.validation_scores_ = state.validation_scores
            self.best_validation_score_ = state.best_validation_score

    def _sync_coefs(self):
        # coefs_ / intercepts_ are the network's own arrays, not copies.
        self.coefs_ = self.network_.coefs
        self.intercepts_ = self.network_.intercepts

    def _check_finite(self):
        """Refuse a model that training left non-finite (scikit-learn's message).

        Besides the weights: the loss, the running statistics and the update
        rule's moments. A second moment that overflowed makes every update 0,
        freezing finite weights at their random start.
        """
        network, optimizer = self.network_, self._training.optimizer
        problems = []
        if not np.isfinite(self.loss_):
            problems.append(f"the training loss is {self.loss_}")
        arrays = [network.flat_params, *network.named_state().values()]
        if not all(np.isfinite(a).all() for a in arrays):
            problems.append("the weights or running statistics overflowed")
        moments = [] if optimizer is None else optimizer.state_arrays()
        if not all(np.isfinite(a).all() for a in moments):
            problems.append("the update rule's moments overflowed, which freezes the weights")
        if problems:
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed. (After training, "
                + "; ".join(problems)
                + ".)"
            )

    def _snapshot(self):
        """Fitted attributes of a copy frozen at this point of training (callbacks)."""
        network = copy.deepcopy(self.network_)
        network.clear_cache()
        return {
            "network_": network,
            "coefs_": network.coefs,
            "intercepts_": network.intercepts,
        }

    def _warn_on_scale(self, X, target):
        largest = _max_abs(X)
        if largest > _LARGE_VALUE:
            warnings.warn(
                f"X contains values as large as {largest:.3g}: the network's "
                "units will saturate or its gradients explode. Scale the inputs "
                "first (StandardScaler, or sknet.preprocessing).",
                DataScaleWarning,
            )

    def _validation_data(self, X, X_val, y_val, sample_weight_val):
        """Validated, encoded validation rows (``fit``'s ``X_val``, ``y_val``)."""
        if X_val is None or y_val is None:
            raise ValueError("X_val and y_val must be given together.")
        X_val = validate_data(
            self, X_val, accept_sparse=["csr", "csc"], dtype=X.dtype, reset=False
        )
        if sp.issparse(X_val):
            X_val = X_val.tocsr()
        y_val = np.asarray(y_val)
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = y_val.ravel()
        if y_val.shape[0] != X_val.shape[0]:
            raise ValueError(
                f"X_val has {X_val.shape[0]} rows but y_val has {y_val.shape[0]}."
            )
        target_val, _ = self._encode(y_val, X.dtype, first_pass=False)
        if sample_weight_val is not None:
            sample_weight_val = _check_sample_weight(
                sample_weight_val, X_val, dtype=X.dtype, ensure_non_negative=True
            )
        return X_val, target_val, sample_weight_val

    def _validation_scorer(self):
        """``score(X, target, sample_weight)`` for ``scoring`` (higher is better)."""
        if self.scoring is None:
            return self._score_arrays
        if self.scoring == "loss":
            return lambda X, target, sw: -self.network_.evaluate_loss(
                X, target, sample_weight=sw
            )
        scorer = check_scoring(self, scoring=self.scoring)

        def score(X, target, sample_weight):
            y_true = decode_target(
                target, out_activation=self.out_activation_,
                classes=getattr(self, "classes_", None),
            )
            kw = {} if sample_weight is None else {"sample_weight": sample_weight}
            return float(scorer(self, X, y_true, **kw))

        return score

    def _score_arrays(self, X, target, sample_weight):
        """Accuracy or R^2 of already validated rows and encoded targets."""
        y_true = decode_target(
            target, out_activation=self.out_activation_, classes=getattr(self, "classes_", None)
        )
        function = accuracy_score if is_classifier(self) else r2_score
        return self._score_with_function(X, y_true, sample_weight, function)

    # ------------------------------------------------------------------
    # public API shared by both estimators
    # ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
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
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), default=None
            Validation rows, scikit-learn's name (``HistGradientBoosting*``):
            early stopping watches them instead of splitting off
            ``validation_fraction``; without early stopping their loss and
            score are recorded each epoch (``history_``). In a Pipeline, as
            for ``HistGradientBoosting*``: ``sklearn.set_config(
            enable_metadata_routing=True)``, ``est.set_fit_request(X_val=True,
            y_val=True)``, and ``Pipeline(..., transform_input=["X_val"])`` so
            the earlier steps transform them.
            Ignored by ``solver='lbfgs'``.
        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            Their targets.
        sample_weight_val : array-like of shape (n_val,), default=None
            Their weights.

        Returns
        -------
        self : object
            The fitted estimator.

        Raises
        ------
        ValueError
            Bad input; a warm start that would change the network; a loss or
            weights that became non-finite. The estimator is then left as it
            was before the call.
        KeyboardInterrupt
            Ctrl-C before the first epoch completed (the estimator is left as
            it was), or at any time inside
            :func:`sknet.training.propagate_interrupts`. Otherwise an
            interrupted fit keeps its completed epochs and warns.
        """
        validation = None
        if X_val is not None or y_val is not None:
            validation = (X_val, y_val, sample_weight_val)
        return self._fit(
            X, y, sample_weight=sample_weight, incremental=False, validation=validation
        )

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
        rollback = _Rollback(self, first_pass=True)
        try:
            hidden_sizes(self)
            X, y = self._validate_input(X, y, incremental=False, reset=True)
            _, n_outputs = self._encode(y, X.dtype, first_pass=True)
            self._random_state = check_random_state(self.random_state)
            self._initialize(X.shape[1], n_outputs, X.dtype)
        except BaseException:
            rollback.restore(self)
            raise
        return self

    def _check_solver(self):
        if self.solver not in STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                "%s is not stochastic." % self.solver
            )
        return True

    def _forward(self, X, check_input=True):
        check_numpy_input(X, self)
        check = None
        if check_input:
            # Finiteness: scikit-learn's check and message, run on a block of X
            # only when its first affine output is not finite (Network.predict).
            X = validate_data(
                self, X, accept_sparse=["csr", "csc"], reset=False, ensure_all_finite=False
            )
            check = functools.partial(_assert_finite, estimator_name=type(self).__name__)
        with np.errstate(over="ignore", invalid="ignore"):
            return self.network_.predict(X, check=check)  # cast to the fit dtype block by block

    def _checked_forward(self, X):
        out = self._forward(X)
        if not all_finite(out):
            raise ValueError(
                "The network produced non-finite outputs for X. Its weights or "
                "the inputs are too large: check the input scale and refit with "
                "a lower learning_rate_init."
            )
        return out

    def _score_with_function(self, X, y, sample_weight, score_function):
        y_pred_raw = self._forward(X, check_input=False)
        if not all_finite(y_pred_raw):
            return np.nan
        return score_function(y, self._decode(y_pred_raw), sample_weight=sample_weight)

    def _validate_changed_params(self):
        """``_validate_params()``, skipped when no parameter changed since it last passed.

        A parameter counts as unchanged when it is the same object as then
        and, for a list or dict, has the same contents (so an edit in place
        is seen). This keeps small ``partial_fit`` calls cheap (the full
        validation costs about 0.17 ms).
        """
        current = [getattr(self, name) for name in _param_names(type(self))]
        checked = self.__dict__.get("_checked_params")
        if checked is not None and len(checked) == len(current):
            try:
                if all(
                    value is old and (copy is None or value == copy)
                    for value, (old, copy) in zip(current, checked)
                ):
                    return
            except (TypeError, ValueError):  # contents not comparable: validate
                pass
        self._validate_params()
        self._checked_params = [
            (value, copy.copy(value) if isinstance(value, (list, dict)) else None)
            for value in current
        ]

    def __getstate__(self):
        # scikit-learn hands third-party estimators their live __dict__ here
        # (Python >= 3.11): copy it, or pickling would add an attribute.
        state = {**super().__getstate__(), "_sknet_version": __version__}
        # coefs_ / intercepts_ are views of the network's weights: joblib
        # would store them a second time. __setstate__ links them again.
        state.pop("coefs_", None)
        state.pop("intercepts_", None)
        state.pop("_checked_params", None)
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
            upgrade_state(self)
            # coefs_ / intercepts_ must be the network's own arrays. pickle keeps
            # the aliasing, but joblib stores each array on its own and loads
            # copies: coefs_ would then go stale after partial_fit.
            self._sync_coefs()
            self._publish()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _assert_finite(block, *, estimator_name):
    """scikit-learn's finiteness check of prediction input, on one row block."""
    assert_all_finite(
        block.data if sp.issparse(block) else block,
        allow_nan=False,
        estimator_name=estimator_name,
        input_name="X",
    )
