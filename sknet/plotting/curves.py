"""Per-epoch curves: the loss, the training and validation scores, the update ratios."""

import numpy as np
from sklearn.base import is_classifier

from . import _base

__all__ = ["LossCurveDisplay", "ScoreCurveDisplay", "UpdateRatioDisplay"]


class LossCurveDisplay:
    """Training (and validation) loss per epoch.

    A loss that barely moves means too low a learning rate; one that drops
    and then plateaus high, too high a rate; a widening gap between the
    training and validation losses, overfitting (CS231n, "Training Neural
    Networks I": babysitting the learning process).

    Parameters
    ----------
    loss : array-like of shape (n_epochs,)
        Training loss per epoch.
    val_loss : array-like of shape (n_epochs,), default=None
        Validation loss per epoch (estimators fitted with early stopping).
    estimator_name : str, default=None
        The axes title.

    Attributes
    ----------
    lines_ : list of matplotlib.lines.Line2D
    ax_ : matplotlib.axes.Axes
    figure_ : matplotlib.figure.Figure

    See Also
    --------
    sknet.plotting.ScoreCurveDisplay : The scores per epoch.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sknet import MLPClassifier
    >>> from sknet.plotting import LossCurveDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, early_stopping=True,
    ...                     random_state=0)
    >>> display = LossCurveDisplay.from_estimator(clf, X / 16, y)
    >>> len(display.lines_)
    2
    >>> display = LossCurveDisplay([2.0, 1.0, 0.5], val_loss=[2.1, 1.2, 0.8]).plot()
    """

    def __init__(self, loss, *, val_loss=None, estimator_name=None):
        self.loss = np.asarray(loss, dtype=float)
        self.val_loss = None if val_loss is None else np.asarray(val_loss, dtype=float)
        self.estimator_name = estimator_name

    @classmethod
    def from_history(cls, source, *, ax=None, log_y=False, line_kwargs=None):
        """Plot the loss an estimator recorded while it was fitted.

        Parameters
        ----------
        source : fitted estimator, Pipeline, or dict
            An sknet estimator (or a Pipeline ending in one) with
            ``history_``, or such a ``history_`` dict.
        ax : matplotlib Axes, default=None
            A new figure's if None.
        log_y : bool, default=False
            Logarithmic loss axis.
        line_kwargs : dict, default=None
            Passed to ``ax.plot`` for both lines.

        Returns
        -------
        display : LossCurveDisplay

        Raises
        ------
        ValueError
            If the estimator has not been fitted.
        """
        _base.pyplot(f"{cls.__name__}.from_history")
        history = _base.history(source)
        name = None if isinstance(source, dict) else type(_base.last_step(source)).__name__
        display = cls(history["loss"], val_loss=history.get("val_loss") or None,
                      estimator_name=name)
        return display.plot(ax=ax, log_y=log_y, line_kwargs=line_kwargs)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, ax=None, log_y=False, line_kwargs=None):
        """Fit a clone of ``estimator`` on ``(X, y)`` and plot its loss per epoch.

        Parameters
        ----------
        estimator : MLPClassifier, MLPRegressor, or a Pipeline ending in one
            Not modified.
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        ax : matplotlib Axes, default=None
        log_y : bool, default=False
        line_kwargs : dict, default=None
            Passed to ``ax.plot``.

        Returns
        -------
        display : LossCurveDisplay
        """
        _base.pyplot(f"{cls.__name__}.from_estimator")
        fitted = _base.fit_clone(estimator, X, y)
        return cls.from_history(fitted, ax=ax, log_y=log_y, line_kwargs=line_kwargs)

    def plot(self, ax=None, *, log_y=False, line_kwargs=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            A new figure's if None.
        log_y : bool, default=False
            Logarithmic loss axis.
        line_kwargs : dict, default=None
            Passed to ``ax.plot`` for both lines.

        Returns
        -------
        display : LossCurveDisplay
            ``self``, with ``lines_``, ``ax_`` and ``figure_`` set.
        """
        ax = _base.axes(ax, f"{type(self).__name__}.plot")
        kw = line_kwargs or {}
        self.lines_ = ax.plot(_base.epochs(self.loss), self.loss, label="training loss", **kw)
        if self.val_loss is not None and len(self.val_loss):
            self.lines_ += ax.plot(
                _base.epochs(self.val_loss), self.val_loss, label="validation loss", **kw
            )
        if log_y:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.set_title(self.estimator_name or "loss per epoch")
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self


class ScoreCurveDisplay:
    """Training and validation score (accuracy or R^2) per epoch.

    A large gap is overfitting (more regularization); no gap with a low
    score is underfitting (a bigger model). The training score comes from
    ``track_training=True``, the validation score from ``early_stopping=True``.

    Parameters
    ----------
    train_score : array-like of shape (n_epochs,), default=None
    val_score : array-like of shape (n_epochs,), default=None
    score_name : str, default='score'
    estimator_name : str, default=None

    Attributes
    ----------
    lines_ : list of matplotlib.lines.Line2D
    ax_ : matplotlib.axes.Axes
    figure_ : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sknet.plotting import ScoreCurveDisplay
    >>> display = ScoreCurveDisplay([0.5, 0.8, 0.99], [0.5, 0.75, 0.9]).plot()
    >>> [line.get_label() for line in display.lines_]
    ['training score', 'validation score']
    """

    def __init__(self, train_score=None, val_score=None, *, score_name="score",
                 estimator_name=None):
        self.train_score = None if train_score is None else np.asarray(train_score, float)
        self.val_score = None if val_score is None else np.asarray(val_score, float)
        self.score_name = score_name
        self.estimator_name = estimator_name

    @classmethod
    def from_history(cls, source, *, ax=None, line_kwargs=None):
        """Plot the scores an estimator recorded while it was fitted.

        Parameters
        ----------
        source : fitted estimator, Pipeline, or dict
            An sknet estimator (or a Pipeline ending in one) fitted with
            ``track_training=True`` and/or ``early_stopping=True``, or its
            ``history_``.
        ax : matplotlib Axes, default=None
        line_kwargs : dict, default=None
            Passed to ``ax.plot``.

        Returns
        -------
        display : ScoreCurveDisplay

        Raises
        ------
        ValueError
            If no score was recorded.
        """
        _base.pyplot(f"{cls.__name__}.from_history")
        history = _base.history(source)
        train, val = history.get("train_score"), history.get("val_score")
        if not train and not val:
            raise ValueError(
                "No score per epoch in history_: fit with track_training=True "
                "(training score) and/or early_stopping=True (validation score)."
            )
        if isinstance(source, dict):
            score_name, name = "score", None
        else:
            est = _base.last_step(source)
            score_name = "accuracy" if is_classifier(est) else "R^2"
            name = type(est).__name__
        display = cls(train or None, val or None, score_name=score_name, estimator_name=name)
        return display.plot(ax=ax, line_kwargs=line_kwargs)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, ax=None, line_kwargs=None):
        """Fit a clone with ``track_training=True`` on ``(X, y)`` and plot its scores.

        The validation score is there when the estimator has
        ``early_stopping=True``.

        Parameters
        ----------
        estimator : MLPClassifier, MLPRegressor, or a Pipeline ending in one
            Not modified.
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        ax : matplotlib Axes, default=None
        line_kwargs : dict, default=None

        Returns
        -------
        display : ScoreCurveDisplay
        """
        _base.pyplot(f"{cls.__name__}.from_estimator")
        fitted = _base.fit_clone(estimator, X, y, track_training=True)
        return cls.from_history(fitted, ax=ax, line_kwargs=line_kwargs)

    def plot(self, ax=None, *, line_kwargs=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        line_kwargs : dict, default=None
            Passed to ``ax.plot``.

        Returns
        -------
        display : ScoreCurveDisplay
            ``self``, with ``lines_``, ``ax_`` and ``figure_`` set.
        """
        ax = _base.axes(ax, f"{type(self).__name__}.plot")
        self.lines_ = []
        for values, label in [(self.train_score, "training"), (self.val_score, "validation")]:
            if values is not None:
                self.lines_ += ax.plot(_base.epochs(values), values,
                                       label=f"{label} {self.score_name}", **(line_kwargs or {}))
        ax.set_xlabel("epoch")
        ax.set_ylabel(self.score_name)
        ax.set_title(self.estimator_name or f"{self.score_name} per epoch")
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self


class UpdateRatioDisplay:
    """Update-to-weight ratio ``||dW_step|| / ||W||`` per layer per epoch.

    CS231n's rule of thumb is about 1e-3 (the dotted line): far below, the
    learning rate is too low; far above, too high.

    Parameters
    ----------
    ratios : dict
        ``layer label -> ratio per epoch``.

    Attributes
    ----------
    lines_ : list of matplotlib.lines.Line2D
    ax_ : matplotlib.axes.Axes
    figure_ : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sknet.plotting import UpdateRatioDisplay
    >>> display = UpdateRatioDisplay({"layer 1": [3e-3, 2e-3], "layer 2": [1e-3, 8e-4]}).plot()
    >>> len(display.lines_)
    2
    """

    def __init__(self, ratios):
        self.ratios = {k: np.asarray(v, dtype=float) for k, v in ratios.items()}

    @classmethod
    def from_history(cls, source, *, ax=None, line_kwargs=None):
        """Plot the ratios recorded by ``track_training=True``.

        Parameters
        ----------
        source : fitted estimator, Pipeline, or dict
            Fitted with ``track_training=True``, or its ``history_``. Layers
            are labelled with the estimator's activation names.
        ax : matplotlib Axes, default=None
        line_kwargs : dict, default=None
            Passed to ``ax.plot``.

        Returns
        -------
        display : UpdateRatioDisplay

        Raises
        ------
        ValueError
            If no layer statistics were recorded.
        """
        _base.pyplot(f"{cls.__name__}.from_history")
        history = _base.history(source)
        if not history.get("layer_stats"):
            raise ValueError("No layer statistics in history_: fit with track_training=True.")
        ratios = {}
        for epoch in history["layer_stats"]:
            for record in epoch:
                label = f"layer {record['layer'] + 1} ({record['activation']})"
                ratios.setdefault(label, []).append(record["update_ratio"])
        return cls(ratios).plot(ax=ax, line_kwargs=line_kwargs)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, ax=None, line_kwargs=None):
        """Fit a clone with ``track_training=True`` on ``(X, y)`` and plot its ratios.

        Parameters
        ----------
        estimator : MLPClassifier, MLPRegressor, or a Pipeline ending in one
            A stochastic solver; not modified.
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        ax : matplotlib Axes, default=None
        line_kwargs : dict, default=None

        Returns
        -------
        display : UpdateRatioDisplay
        """
        _base.pyplot(f"{cls.__name__}.from_estimator")
        fitted = _base.fit_clone(estimator, X, y, track_training=True)
        return cls.from_history(fitted, ax=ax, line_kwargs=line_kwargs)

    def plot(self, ax=None, *, line_kwargs=None):
        """Draw one line per layer, and the rule of thumb.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        line_kwargs : dict, default=None
            Passed to ``ax.plot``.

        Returns
        -------
        display : UpdateRatioDisplay
            ``self``, with ``lines_``, ``ax_`` and ``figure_`` set.
        """
        ax = _base.axes(ax, f"{type(self).__name__}.plot")
        self.lines_ = []
        for label, values in self.ratios.items():
            self.lines_ += ax.plot(_base.epochs(values), values, label=label,
                                   **(line_kwargs or {}))
        ax.axhline(1e-3, color="k", ls=":", label="1e-3 rule of thumb")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("||update|| / ||W||")
        ax.set_title("update-to-weight ratio")
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self
