"""MLPRegressor: scikit-learn's MLP regressor on sknet's engine."""

import warnings

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils import column_or_1d
from numbers import Real

from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ..exceptions import DataScaleWarning
from ..training import encode_target
from ._base import _LARGE_VALUE, BaseMLP, _max_abs, constructor_arguments
from ._docs import COMMON_ATTRS_DOC, COMMON_PARAMS_DOC


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor with the CS231n training choices.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`:
    the same parameters, defaults and fitted attributes, plus more
    activations, initializations, batch normalization, dropout, solvers and
    schedules.

    Parameters
    ----------
    loss : {{'squared_error', 'poisson', 'huber'}}, default='squared_error'
        Half squared error (identity output), half Poisson deviance (exp
        output; y must be non-negative) or the Huber loss (identity output;
        squared near the target, absolute beyond ``huber_delta``: robust to
        outliers). A warm start cannot change it.
    {params}
    huber_delta : float, default=1.0
        Where ``loss='huber'`` turns from squared to absolute error, in the
        target's units (PyTorch's ``delta``).

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
        "loss": [StrOptions({"squared_error", "poisson", "huber"})],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
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
        scoring=None,
        max_grad_norm=None,
        weight_decay=None,
        warmup_epochs=0,
        huber_delta=1.0,
    ):
        super().__init__(**constructor_arguments(locals()))

    def _validate_input(self, X, y, incremental, reset, classes=None):
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
        return X, y

    def _out_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _encode(self, y, dtype, first_pass):
        target = encode_target(
            y,
            out_activation=self._out_activation(),
            n_outputs=None if first_pass else self.n_outputs_,
            dtype=dtype,
        )
        return target, target.shape[1]

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

        The update rule and the learning-rate schedule continue from the
        previous call (with this call's parameters); a failed or interrupted
        call leaves the estimator as it was and raises.

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

        Raises
        ------
        ValueError
            Bad input (including labels outside ``classes_``, or targets of
            another kind or number than the network was fitted for), invalid
            parameters, ``early_stopping=True``, or a loss that became
            non-finite. The estimator is left as it was before the call.
        KeyboardInterrupt
            Ctrl-C: the estimator is left as it was before the call.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)


MLPRegressor.__doc__ = MLPRegressor.__doc__.format(
    params=COMMON_PARAMS_DOC.strip(), attrs=COMMON_ATTRS_DOC.strip()
)
