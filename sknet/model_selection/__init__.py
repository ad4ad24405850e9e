"""Hyperparameter search the CS231n way: log-scale spaces and coarse-to-fine search.

The lecture's recipe for learning rate and regularization is to sample at
random (not on a grid), in log space, in stages that go from coarse to fine,
and to abandon a run as soon as its loss explodes. This package provides the
pieces scikit-learn lacks for that: :func:`log_uniform` and
:func:`log_uniform_int` search spaces (usable by
:class:`~sklearn.model_selection.RandomizedSearchCV` too), :func:`hidden_layers`
which samples ``hidden_layer_sizes`` tuples from a width and a depth,
:func:`search_range` and :func:`narrow_distribution` which expose and narrow
the bounds of a space, :func:`mlp_search_space` (a starting space for sknet's
MLPs), :class:`CoarseToFineSearchCV`, a ``BaseSearchCV`` that runs random
search in stages, narrows every range around the previous stage's winners, and
records why a candidate failed (``'diverged: ...'`` when the estimator raised
:class:`~sknet.exceptions.TrainingDivergedError`), and :class:`SearchProgress`,
a callback printing how far each stage has got. The search works with any
scikit-learn estimator and runs on a dask cluster through joblib. The spaces
live in ``_spaces``, the search in ``_search``, the progress lines in
``_progress``.
"""

from ._progress import SearchProgress, StageProgress
from ._search import CoarseToFineSearchCV
from ._spaces import (
    HiddenLayerSizes,
    LogUniformInt,
    SearchRange,
    hidden_layers,
    log_uniform,
    log_uniform_int,
    mlp_search_space,
    narrow_distribution,
    search_range,
)

__all__ = [
    "CoarseToFineSearchCV",
    "HiddenLayerSizes",
    "LogUniformInt",
    "SearchProgress",
    "SearchRange",
    "StageProgress",
    "hidden_layers",
    "log_uniform",
    "log_uniform_int",
    "mlp_search_space",
    "narrow_distribution",
    "search_range",
]
