"""MLPClassifier: scikit-learn's MLP classifier on sknet's engine."""

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils import column_or_1d
from numbers import Real

from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from ..training import encode_target
from ..training.targets import fit_label_binarizer, sorted_labels, unsortable
from ._base import BaseMLP, constructor_arguments
from ._docs import COMMON_ATTRS_DOC, COMMON_PARAMS_DOC


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
    label_smoothing : float, default=0.0
        Label smoothing (Szegedy et al., 2016; PyTorch's name): the target
        of a softmax output is ``(1 - e) onehot(y) + e / n_classes``, of a
        sigmoid output ``y (1 - e) + e / 2``. Discourages overconfident
        probabilities; 0 is scikit-learn's loss.

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
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
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
        track_training=False,
        scoring=None,
        max_grad_norm=None,
        weight_decay=None,
        warmup_epochs=0,
        class_weight=None,
        label_smoothing=0.0,
    ):
        super().__init__(**constructor_arguments(locals()))

    # -- labels ----------------------------------------------------------
    def _validate_input(self, X, y, incremental, reset, classes=None):
        if incremental:
            try:
                first_call = _check_partial_fit_first_call(self, classes)
            except TypeError as exc:
                raise unsortable(exc) from exc
            if first_call:
                multilabel = type_of_target(y).startswith("multilabel")
                labels = y if multilabel else np.asarray(classes)
                self._label_binarizer = fit_label_binarizer(labels)
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
            raise unsortable(exc) from exc
        if (not hasattr(self, "classes_")) or (not self.warm_start and not incremental):
            self._label_binarizer = fit_label_binarizer(y)
            self.classes_ = self._label_binarizer.classes_
            return X, y
        labels = sorted_labels(y)
        if self.warm_start and not incremental:
            if set(labels) != set(self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same "
                    "classes as in the previous call to fit. Previously "
                    f"got {self.classes_}, `y` has {labels}"
                )
        elif len(np.setdiff1d(labels, self.classes_, assume_unique=True)):
            raise ValueError(
                "`y` has classes not in `self.classes_`. "
                f"`self.classes_` has {self.classes_}. 'y' has {labels}."
            )
        return X, y

    def _out_activation(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _encode(self, y, dtype, first_pass):
        if first_pass:
            kind = self._label_binarizer.y_type_
            if kind == "multilabel-indicator":
                n_outputs = y.shape[1]
            else:
                n_outputs = len(self.classes_) if kind == "multiclass" else 1
        else:
            n_outputs = self.n_outputs_
        target = encode_target(
            y,
            out_activation=self._out_activation(),
            n_outputs=n_outputs,
            classes=self.classes_,
            dtype=dtype,
        )
        return target, n_outputs

    @property
    def _multilabel(self):
        return self._label_binarizer.y_type_ == "multilabel-indicator"

    @property
    def _single_class(self):
        """One class seen in fit (not multilabel): probabilities are a column of ones."""
        return len(self.classes_) == 1 and not self._multilabel

    def _apply_class_weight(self, target, sample_weight, incremental):
        if self.class_weight is None:
            return sample_weight
        if self._multilabel:
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

        The update rule and the learning-rate schedule continue from the
        previous call (with this call's parameters); a failed or interrupted
        call leaves the estimator as it was and raises.

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
        return self._fit(X, y, sample_weight=sample_weight, incremental=True, classes=classes)

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
        if self._single_class:
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


MLPClassifier.__doc__ = MLPClassifier.__doc__.format(
    params=COMMON_PARAMS_DOC.strip(), attrs=COMMON_ATTRS_DOC.strip()
)
