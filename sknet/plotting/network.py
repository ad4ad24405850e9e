"""Looking inside the network: activation histograms, and the learning-rate range test."""

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_array

from ..diagnostics import find_learning_rate
from . import _base

__all__ = ["ActivationHistogramDisplay", "LearningRateFinderDisplay"]


class ActivationHistogramDisplay:
    """Histogram of each hidden layer's activations (the lecture's initialization figure).

    With too small an initialization the histograms collapse onto 0 layer
    after layer; with too large a one, tanh / sigmoid units pile up at their
    bounds; LeCun normal (tanh) and He (ReLU) keep them alike through depth.

    Parameters
    ----------
    activations : list of (str, ndarray)
        ``(layer label, activation values)`` per hidden layer.
    bins : int, default=50

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
    figure_ : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sknet import MLPClassifier
    >>> from sknet.plotting import ActivationHistogramDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(50, 50), activation="tanh", random_state=0)
    >>> display = ActivationHistogramDisplay.from_estimator(clf, X / 16, y)  # at initialization
    >>> len(display.axes_)
    2
    """

    def __init__(self, activations, *, bins=50):
        self.activations = [(name, np.asarray(a)) for name, a in activations]
        self.bins = bins

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, bins=50, ax=None, hist_kwargs=None):
        """Histograms of the hidden activations on ``X``.

        A fitted estimator (or Pipeline) is read as it is; an unfitted one is
        initialized on ``(X, y)`` as ``fit`` would start (a clone), which
        shows what the initialization does before any training.

        Parameters
        ----------
        estimator : MLPClassifier, MLPRegressor, or a Pipeline ending in one
            Not modified.
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            Needed for an unfitted estimator.
        bins : int, default=50
        ax : sequence of matplotlib Axes, default=None
            One per hidden layer; a new row of them if None.
        hist_kwargs : dict, default=None
            Passed to ``ax.hist``.

        Returns
        -------
        display : ActivationHistogramDisplay

        Raises
        ------
        ValueError
            For an unfitted estimator without ``y``.
        """
        _base.pyplot(f"{cls.__name__}.from_estimator")
        if not hasattr(_base.last_step(estimator), "network_"):
            if y is None:
                raise ValueError("An unfitted estimator needs y to be initialized.")
            estimator = clone(estimator)
            if hasattr(estimator, "steps"):
                X_steps = estimator[:-1].fit_transform(X, y) if len(estimator) > 1 else X
                estimator.steps[-1][1].initialize(X_steps, y)
            else:
                estimator.initialize(X, y)
        X = _base.transformed(estimator, X)
        network = _base.last_step(estimator).network_
        X = check_array(X, accept_sparse=["csr"], dtype=(np.float64, np.float32))
        X = X.astype(network.parameters()[0].dtype, copy=False)
        with np.errstate(all="ignore"):
            outputs = dict(network.layer_outputs(X))
        activations = [
            (f"layer {i + 1} ({layer.name})", outputs[name])
            for i, (_, name, layer) in enumerate(network.blocks())
            if layer is not None
        ]
        return cls(activations, bins=bins).plot(ax=ax, hist_kwargs=hist_kwargs)

    def plot(self, ax=None, *, hist_kwargs=None):
        """Draw one histogram per layer.

        Parameters
        ----------
        ax : sequence of matplotlib Axes, default=None
            One per layer; a new row of them if None.
        hist_kwargs : dict, default=None
            Passed to ``ax.hist``.

        Returns
        -------
        display : ActivationHistogramDisplay
            ``self``, with ``axes_`` and ``figure_`` set.
        """
        plt = _base.pyplot(f"{type(self).__name__}.plot")
        n = max(len(self.activations), 1)
        if ax is None:
            fig, axes = plt.subplots(1, n, figsize=(3 * n, 3), squeeze=False)
            axes = axes[0]
        else:
            axes = np.atleast_1d(ax)
            fig = axes[0].figure
        for a, (name, values) in zip(axes, self.activations):
            values = np.asarray(values, dtype=float).ravel()
            a.hist(values, bins=self.bins, **(hist_kwargs or {}))
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
    learning_rates, losses, smoothed_losses : array-like of shape (n_steps,)
    suggested_lr, too_low_lr : float
    too_high_lr : float or None

    Attributes
    ----------
    lines_ : list of matplotlib.lines.Line2D
    ax_ : matplotlib.axes.Axes
    figure_ : matplotlib.figure.Figure

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
    def from_result(cls, result, *, ax=None, line_kwargs=None):
        """Plot a :class:`~sknet.diagnostics.LearningRateFinderResult` already computed.

        Parameters
        ----------
        result : LearningRateFinderResult
        ax : matplotlib Axes, default=None
        line_kwargs : dict, default=None
            Passed to ``ax.plot``.

        Returns
        -------
        display : LearningRateFinderDisplay
        """
        _base.pyplot(f"{cls.__name__}.from_result")
        return cls(
            result.learning_rates,
            result.losses,
            result.smoothed_losses,
            suggested_lr=result.suggested_lr,
            too_low_lr=result.too_low_lr,
            too_high_lr=result.too_high_lr,
        ).plot(ax=ax, line_kwargs=line_kwargs)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, ax=None, line_kwargs=None, **finder_params):
        """Run :func:`~sknet.diagnostics.find_learning_rate` and plot it.

        Parameters
        ----------
        estimator : MLPClassifier, MLPRegressor, or a Pipeline ending in one
            A stochastic solver; not modified.
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        ax : matplotlib Axes, default=None
        line_kwargs : dict, default=None
        **finder_params
            Passed to :func:`~sknet.diagnostics.find_learning_rate`.

        Returns
        -------
        display : LearningRateFinderDisplay
        """
        _base.pyplot(f"{cls.__name__}.from_estimator")
        result = find_learning_rate(estimator, X, y, **finder_params)
        return cls.from_result(result, ax=ax, line_kwargs=line_kwargs)

    def plot(self, ax=None, *, line_kwargs=None):
        """Draw the losses, the suggested rate and the ranges to avoid.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        line_kwargs : dict, default=None
            Passed to ``ax.plot`` for both loss lines.

        Returns
        -------
        display : LearningRateFinderDisplay
            ``self``, with ``lines_``, ``ax_`` and ``figure_`` set.
        """
        ax = _base.axes(ax, f"{type(self).__name__}.plot")
        kw = line_kwargs or {}
        finite = np.isfinite(self.losses)
        self.lines_ = ax.plot(self.learning_rates[finite], self.losses[finite],
                              alpha=0.3, label="batch loss", **kw)
        self.lines_ += ax.plot(self.learning_rates, self.smoothed_losses, label="smoothed", **kw)
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
