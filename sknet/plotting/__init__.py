"""Plots of the babysitting process as scikit-learn-style ``Display`` objects.

As in scikit-learn, ``from_estimator(estimator, X, y)`` computes what it
draws (it fits a clone, initializes one, runs the finder or the search), and
``from_history`` / ``from_result`` / ``from_cv_results`` draw what is already
there (an estimator's ``history_``, a finder's result, a search's
``cv_results_``). Every method accepts a Pipeline whose last step is an sknet
estimator, and ``plot(ax=None, ...)`` returns the display with ``ax_`` and
``figure_`` set; style keywords (``line_kwargs``, ``hist_kwargs``,
``scatter_kwargs``) pass through to matplotlib. matplotlib is imported only
when drawing (``pip install sknet-mlp[plot]``).
"""

from .curves import LossCurveDisplay, ScoreCurveDisplay, UpdateRatioDisplay
from .network import ActivationHistogramDisplay, LearningRateFinderDisplay
from .search import SearchResultsDisplay

__all__ = [
    "LossCurveDisplay",
    "ScoreCurveDisplay",
    "ActivationHistogramDisplay",
    "LearningRateFinderDisplay",
    "UpdateRatioDisplay",
    "SearchResultsDisplay",
]
