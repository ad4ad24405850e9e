"""A search's candidates on log axes: where to search next."""

import numpy as np
from sklearn.base import clone

from . import _base

__all__ = ["SearchResultsDisplay"]


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
    tells where to search next (CS231n's coarse-to-fine search); a best value
    at the edge of the range means the range should move.

    Parameters
    ----------
    x, score : array-like of shape (n_candidates,)
    y : array-like of shape (n_candidates,), default=None
    x_name, y_name, score_name : str

    Attributes
    ----------
    scatter_ : matplotlib.collections.PathCollection
    ax_ : matplotlib.axes.Axes
    figure_ : matplotlib.figure.Figure

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
    ...     n_iter=4, cv=2, random_state=0)
    >>> display = SearchResultsDisplay.from_estimator(search, X[:400] / 16, y[:400])
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
    def from_cv_results(cls, source, *, x="learning_rate_init", y="alpha",
                        score="mean_test_score", ax=None, scatter_kwargs=None):
        """Plot the candidates of a search that has run.

        Parameters
        ----------
        source : fitted search or dict
            Any scikit-learn search (``cv_results_`` is read), or such a
            ``cv_results_`` dict. Parameters of a Pipeline step are found by
            their name (``'learning_rate_init'`` finds
            ``'mlp__learning_rate_init'``).
        x, y : str, default='learning_rate_init', 'alpha'
            The hyperparameters on the axes; ``y=None`` plots the score.
        score : str, default='mean_test_score'
        ax : matplotlib Axes, default=None
        scatter_kwargs : dict, default=None
            Passed to ``ax.scatter`` for the candidates.

        Returns
        -------
        display : SearchResultsDisplay

        Raises
        ------
        ValueError
            If ``x`` or ``y`` is not one parameter column.
        """
        _base.pyplot(f"{cls.__name__}.from_cv_results")
        results = source if isinstance(source, dict) else source.cv_results_
        xs = np.asarray(results[_param_column(results, x)], dtype=float)
        ys = None if y is None else np.asarray(results[_param_column(results, y)], dtype=float)
        display = cls(xs, np.asarray(results[score], dtype=float), y=ys, x_name=x, y_name=y,
                      score_name=score)
        return display.plot(ax=ax, scatter_kwargs=scatter_kwargs)

    @classmethod
    def from_estimator(cls, search, X, y, *, x="learning_rate_init", y_param="alpha",
                       score="mean_test_score", ax=None, scatter_kwargs=None):
        """Run a clone of the search on ``(X, y)`` and plot its candidates.

        Parameters
        ----------
        search : scikit-learn search
            E.g. :class:`~sknet.model_selection.CoarseToFineSearchCV`; not
            modified.
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        x, y_param : str, default='learning_rate_init', 'alpha'
            The hyperparameters on the axes; ``y_param=None`` plots the score.
        score : str, default='mean_test_score'
        ax : matplotlib Axes, default=None
        scatter_kwargs : dict, default=None

        Returns
        -------
        display : SearchResultsDisplay
        """
        _base.pyplot(f"{cls.__name__}.from_estimator")
        fitted = clone(search).fit(X, y)
        return cls.from_cv_results(fitted, x=x, y=y_param, score=score, ax=ax,
                                   scatter_kwargs=scatter_kwargs)

    def plot(self, ax=None, *, scatter_kwargs=None):
        """Draw the candidates (failed ones as red crosses) and mark the best.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        scatter_kwargs : dict, default=None
            Passed to ``ax.scatter`` for the candidates.

        Returns
        -------
        display : SearchResultsDisplay
            ``self``, with ``scatter_``, ``ax_`` and ``figure_`` set.
        """
        ax = _base.axes(ax, f"{type(self).__name__}.plot")
        kw = scatter_kwargs or {}
        ok = np.isfinite(self.score)
        if self.y is None:
            self.scatter_ = ax.scatter(self.x[ok], self.score[ok], **kw)
            ax.set_ylabel(self.score_name)
        else:
            self.scatter_ = ax.scatter(self.x[ok], self.y[ok], c=self.score[ok],
                                       **{"cmap": "viridis", "edgecolors": "k", **kw})
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
