"""Plots of the babysitting process as scikit-learn-style ``Display`` objects.

Each display holds the numbers to draw, is built by ``from_estimator`` (or
``from_result`` / ``from_history``) and draws with ``plot(ax=None)``, which
returns the display with ``ax_`` and ``figure_`` set, as scikit-learn's
displays do. matplotlib is imported only when drawing (``pip install
sknet-mlp[plot]``). The displays read fitted estimators through their public
attributes (``history_``, ``network_``, ``cv_results_``) and the functions of
:mod:`sknet.diagnostics`.
"""

import numpy as np

from .diagnostics import find_learning_rate

__all__ = [
    "LossCurveDisplay",
    "ScoreCurveDisplay",
    "ActivationHistogramDisplay",
    "LearningRateFinderDisplay",
    "UpdateRatioDisplay",
    "SearchResultsDisplay",
]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Plotting needs matplotlib: pip install matplotlib (or sknet-mlp[plot])."
        ) from exc
    return plt


def _axes(ax):
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _history(estimator):
    history = getattr(estimator, "history_", None)
    if history is None:
        raise ValueError(
            f"{type(estimator).__name__} has no history_: fit it first (an sknet estimator)."
        )
    return history


class LossCurveDisplay:
    """Training (and validation) loss per epoch.

    A loss that barely moves means too low a learning rate; one that drops
    and then plateaus high, too high a rate; a widening gap between the
    training and validation losses, overfitting.

    Parameters
    ----------
    loss : array-like
        Training loss per epoch.
    val_loss : array-like, default=None
        Validation loss per epoch (estimators fitted with early stopping).
    estimator_name : str, default=None

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sknet import MLPClassifier
    >>> from sknet.plotting import LossCurveDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, early_stopping=True,
    ...                     random_state=0).fit(X / 16, y)
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> display = LossCurveDisplay([2.0, 1.0, 0.5], val_loss=[2.1, 1.2, 0.8]).plot()
    >>> len(display.lines_)
    2
    """

    def __init__(self, loss, *, val_loss=None, estimator_name=None):
        self.loss = np.asarray(loss, dtype=float)
        self.val_loss = None if val_loss is None else np.asarray(val_loss, dtype=float)
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, log_y=False):
        """Plot ``history_['loss']`` (and ``'val_loss'``) of a fitted sknet estimator."""
        history = _history(estimator)
        return cls(
            history["loss"],
            val_loss=history.get("val_loss") or None,
            estimator_name=type(estimator).__name__,
        ).plot(ax=ax, log_y=log_y)

    def plot(self, ax=None, *, log_y=False):
        """Draw on ``ax`` (a new figure if None); returns ``self``."""
        ax = _axes(ax)
        epochs = np.arange(1, len(self.loss) + 1)
        self.lines_ = ax.plot(epochs, self.loss, label="training loss")
        if self.val_loss is not None and len(self.val_loss):
            self.lines_ += ax.plot(
                np.arange(1, len(self.val_loss) + 1), self.val_loss, label="validation loss"
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
    """Training vs validation score (accuracy or R^2) per epoch.

    A large gap is overfitting (more regularization); no gap with a low
    score is underfitting (a bigger model). The training score comes from
    ``track_training=True``, the validation score from
    ``early_stopping=True``.

    Parameters
    ----------
    train_score, val_score : array-like or None
    score_name : str, default='score'
    estimator_name : str, default=None

    Attributes
    ----------
    lines_, ax_, figure_

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
    def from_estimator(cls, estimator, *, ax=None):
        """Plot ``history_['train_score']`` and ``history_['val_score']``."""
        history = _history(estimator)
        train, val = history.get("train_score"), history.get("val_score")
        if not train and not val:
            raise ValueError(
                "No score per epoch in history_: fit with track_training=True "
                "(training score) and/or early_stopping=True (validation score)."
            )
        from sklearn.base import is_classifier

        return cls(
            train or None,
            val or None,
            score_name="accuracy" if is_classifier(estimator) else "R^2",
            estimator_name=type(estimator).__name__,
        ).plot(ax=ax)

    def plot(self, ax=None):
        """Draw on ``ax`` (a new figure if None); returns ``self``."""
        ax = _axes(ax)
        self.lines_ = []
        for values, label in [(self.train_score, "training"), (self.val_score, "validation")]:
            if values is not None:
                epochs = np.arange(1, len(values) + 1)
                self.lines_ += ax.plot(epochs, values, label=f"{label} {self.score_name}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(self.score_name)
        ax.set_title(self.estimator_name or f"{self.score_name} per epoch")
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self


class ActivationHistogramDisplay:
    """Histogram of each hidden layer's activations (the lecture's init figure).

    With too small an initialization the histograms collapse onto 0 layer
    after layer; with too large a one, tanh / sigmoid units pile up at their
    bounds; Xavier (tanh) and He (ReLU) keep them alike through depth.

    Parameters
    ----------
    activations : list of (str, ndarray)
        ``(layer label, activation values)`` per hidden layer.
    bins : int, default=50

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sknet import MLPClassifier
    >>> from sknet.plotting import ActivationHistogramDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(50, 50), activation="tanh",
    ...                     random_state=0).initialize(X / 16, y)
    >>> display = ActivationHistogramDisplay.from_estimator(clf, X / 16)
    >>> len(display.axes_)
    2
    """

    def __init__(self, activations, *, bins=50):
        self.activations = [(name, np.asarray(a)) for name, a in activations]
        self.bins = bins

    @classmethod
    def from_estimator(cls, estimator, X, *, bins=50, ax=None):
        """Histograms of ``estimator.network_``'s hidden activations on ``X``.

        Use ``clone(estimator).initialize(X, y)`` to see them at initialization.
        """
        from sklearn.utils import check_array

        network = estimator.network_
        X = check_array(X, accept_sparse=["csr"], dtype=(np.float64, np.float32))
        X = X.astype(network.parameters()[0].dtype, copy=False)
        with np.errstate(all="ignore"):
            outputs = dict(network.layer_outputs(X))
        activations = [
            (f"layer {i + 1} ({type(layer).__name__.lower()})", outputs[name])
            for i, (_, name, layer) in enumerate(network.blocks())
            if layer is not None
        ]
        return cls(activations, bins=bins).plot(ax=ax)

    def plot(self, ax=None):
        """Draw one histogram per layer on ``ax`` (a sequence of Axes) or a new row."""
        plt = _pyplot()
        n = max(len(self.activations), 1)
        if ax is None:
            fig, axes = plt.subplots(1, n, figsize=(3 * n, 3), squeeze=False)
            axes = axes[0]
        else:
            axes = np.atleast_1d(ax)
            fig = axes[0].figure
        for a, (name, values) in zip(axes, self.activations):
            values = np.asarray(values, dtype=float).ravel()
            a.hist(values, bins=self.bins)
            a.set_title(f"{name}\nmean {values.mean():.3g}, std {values.std():.3g}", fontsize=9)
            a.set_yticks([])
        self.axes_, self.figure_ = axes, fig
        return self


class LearningRateFinderDisplay:
    """The learning-rate range test: loss against an exponentially growing rate.

    Flat on the left (too low), falling in the useful range, exploding on the
    right (too high); the dashed line is the suggested rate.

    Parameters
    ----------
    learning_rates, losses, smoothed_losses : array-like
    suggested_lr, too_low_lr : float
    too_high_lr : float or None

    Attributes
    ----------
    lines_, ax_, figure_

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sknet import MLPClassifier
    >>> from sknet.plotting import LearningRateFinderDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> display = LearningRateFinderDisplay.from_estimator(
    ...     MLPClassifier(hidden_layer_sizes=(16,), random_state=0), X / 16, y, n_steps=50)
    >>> display.ax_.get_xscale()
    'log'
    """

    def __init__(self, learning_rates, losses, smoothed_losses, *, suggested_lr,
                 too_low_lr, too_high_lr=None):
        self.learning_rates = np.asarray(learning_rates, dtype=float)
        self.losses = np.asarray(losses, dtype=float)
        self.smoothed_losses = np.asarray(smoothed_losses, dtype=float)
        self.suggested_lr = suggested_lr
        self.too_low_lr = too_low_lr
        self.too_high_lr = too_high_lr

    @classmethod
    def from_result(cls, result, *, ax=None):
        """Plot a :class:`~sknet.diagnostics.LearningRateFinderResult`."""
        return cls(
            result.learning_rates,
            result.losses,
            result.smoothed_losses,
            suggested_lr=result.suggested_lr,
            too_low_lr=result.too_low_lr,
            too_high_lr=result.too_high_lr,
        ).plot(ax=ax)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, ax=None, **finder_params):
        """Run :func:`~sknet.diagnostics.find_learning_rate` and plot it."""
        return cls.from_result(find_learning_rate(estimator, X, y, **finder_params), ax=ax)

    def plot(self, ax=None):
        """Draw on ``ax`` (a new figure if None); returns ``self``."""
        ax = _axes(ax)
        finite = np.isfinite(self.losses)
        self.lines_ = ax.plot(
            self.learning_rates[finite], self.losses[finite], alpha=0.3, label="batch loss"
        )
        self.lines_ += ax.plot(self.learning_rates, self.smoothed_losses, label="smoothed")
        lo, hi = self.learning_rates[0], self.learning_rates[-1]
        ax.axvspan(lo, self.too_low_lr, color="tab:gray", alpha=0.15, label="too low")
        if self.too_high_lr is not None:
            ax.axvspan(self.too_high_lr, hi, color="tab:red", alpha=0.15, label="too high")
        ax.axvline(self.suggested_lr, color="k", ls="--",
                   label=f"suggested {self.suggested_lr:.2g}")
        ax.set_xscale("log")
        good = self.smoothed_losses[np.isfinite(self.smoothed_losses)]
        if good.size:
            top = min(good.max(), 4 * good.min() if good.min() > 0 else good.max())
            ax.set_ylim(good.min() - 0.05 * abs(good.min()), max(top, good[0]) * 1.1)
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.set_title("learning-rate range test")
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self


class UpdateRatioDisplay:
    """Update-to-weight ratio ``||dW_step|| / ||W||`` per layer per epoch.

    The rule of thumb is about 1e-3 (the dotted line): far below, the
    learning rate is too low; far above, too high.

    Parameters
    ----------
    ratios : dict
        ``layer label -> ratio per epoch``.

    Attributes
    ----------
    lines_, ax_, figure_

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
    def from_estimator(cls, estimator, *, ax=None):
        """Plot ``history_['layer_stats']`` (fit with ``track_training=True``)."""
        history = _history(estimator)
        if not history.get("layer_stats"):
            raise ValueError(
                "No layer statistics in history_: fit with track_training=True."
            )
        ratios = {}
        for epoch in history["layer_stats"]:
            for r in epoch:
                label = f"layer {r['layer'] + 1} ({r['activation']})"
                ratios.setdefault(label, []).append(r["update_ratio"])
        return cls(ratios).plot(ax=ax)

    def plot(self, ax=None):
        """Draw on ``ax`` (a new figure if None); returns ``self``."""
        ax = _axes(ax)
        self.lines_ = []
        for label, values in self.ratios.items():
            self.lines_ += ax.plot(np.arange(1, len(values) + 1), values, label=label)
        ax.axhline(1e-3, color="k", ls=":", label="1e-3 rule of thumb")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("||update|| / ||W||")
        ax.set_title("update-to-weight ratio")
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self


def _param_column(cv_results, name):
    """The ``param_*`` column of ``cv_results`` for ``name`` (also inside pipelines)."""
    exact = f"param_{name}"
    if exact in cv_results:
        return exact
    matches = [k for k in cv_results if k.startswith("param_") and k.endswith(f"__{name}")]
    if len(matches) == 1:
        return matches[0]
    raise ValueError(
        f"cv_results_ has no single parameter column for {name!r}; found "
        f"{[k for k in cv_results if k.startswith('param_')]}."
    )


class SearchResultsDisplay:
    """Validation score of a search's candidates against two hyperparameters on log axes.

    With ``y=None``, the score against one hyperparameter. The best region
    tells where to search next (coarse to fine); a best value at the edge of
    the range means the range should move.

    Parameters
    ----------
    x, score : array-like
    y : array-like, default=None
    x_name, y_name, score_name : str

    Attributes
    ----------
    scatter_ : matplotlib PathCollection
    ax_, figure_

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import RandomizedSearchCV
    >>> from scipy.stats import loguniform
    >>> from sknet import MLPClassifier
    >>> from sknet.plotting import SearchResultsDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> search = RandomizedSearchCV(
    ...     MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0),
    ...     {"learning_rate_init": loguniform(1e-4, 1e-1), "alpha": loguniform(1e-5, 1)},
    ...     n_iter=4, cv=2, random_state=0).fit(X[:400] / 16, y[:400])
    >>> display = SearchResultsDisplay.from_estimator(search)
    >>> display = SearchResultsDisplay([1e-3, 1e-2], [0.9, 0.95], y=[1e-4, 1e-2]).plot()
    >>> display.ax_.get_xscale(), display.ax_.get_yscale()
    ('log', 'log')
    """

    def __init__(self, x, score, *, y=None, x_name="learning_rate_init", y_name="alpha",
                 score_name="mean_test_score"):
        self.x = np.asarray(x, dtype=float)
        self.score = np.asarray(score, dtype=float)
        self.y = None if y is None else np.asarray(y, dtype=float)
        self.x_name, self.y_name, self.score_name = x_name, y_name, score_name

    @classmethod
    def from_estimator(cls, search, *, x="learning_rate_init", y="alpha",
                       score="mean_test_score", ax=None):
        """Read ``search.cv_results_`` (any scikit-learn search, pipelines included)."""
        results = search.cv_results_
        xs = np.asarray(results[_param_column(results, x)], dtype=float)
        ys = None if y is None else np.asarray(results[_param_column(results, y)], dtype=float)
        return cls(
            xs, np.asarray(results[score], dtype=float), y=ys,
            x_name=x, y_name=y, score_name=score,
        ).plot(ax=ax)

    def plot(self, ax=None):
        """Draw on ``ax`` (a new figure if None); returns ``self``."""
        ax = _axes(ax)
        ok = np.isfinite(self.score)
        if self.y is None:
            self.scatter_ = ax.scatter(self.x[ok], self.score[ok])
            ax.set_ylabel(self.score_name)
        else:
            self.scatter_ = ax.scatter(self.x[ok], self.y[ok], c=self.score[ok],
                                       cmap="viridis", edgecolors="k")
            if (~ok).any():  # failed candidates (NaN score)
                ax.scatter(self.x[~ok], self.y[~ok], marker="x", color="tab:red",
                           label="failed")
                ax.legend()
            ax.figure.colorbar(self.scatter_, ax=ax, label=self.score_name)
            ax.set_yscale("log")
            ax.set_ylabel(self.y_name)
            best = np.nanargmax(np.where(ok, self.score, -np.inf))
            ax.scatter([self.x[best]], [self.y[best]], marker="*", s=250, color="tab:red",
                       edgecolors="k", zorder=3)
        ax.set_xscale("log")
        ax.set_xlabel(self.x_name)
        ax.set_title("search results")
        self.ax_, self.figure_ = ax, ax.figure
        return self
