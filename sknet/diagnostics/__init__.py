"""Babysitting the learning process: sanity checks, statistics and a learning-rate finder.

The checks follow the steps of CS231n's "Training Neural Networks I": the
initial loss must be about what the output layer gives for zero scores
(:func:`check_initial_loss`), the model must be able to overfit a tiny subset
with regularization off (:func:`check_overfit_small`), the analytic gradients
must match centred differences (:func:`check_gradients`, aware of the kinks of
rectifiers), and the learning rate must make the loss go down without
exploding (:func:`find_learning_rate`). :func:`layer_statistics` reports dead
rectifiers, saturated units, gradient norms and update-to-weight ratios, and
:func:`babysit` runs everything in order and prints advice. Every function
takes an sknet estimator or a Pipeline ending in one, and reads them through
their public methods; the training itself goes through :mod:`sknet.training`.
"""

from .babysit import BabysitReport, babysit
from .checks import InitialLossCheck, OverfitCheck, check_initial_loss, check_overfit_small
from .gradients import GradientCheckResult, check_gradients, numerical_gradient
from .lr_finder import LearningRateFinderResult, find_learning_rate
from .progress import EpochProgress
from .statistics import advise_on_layers, layer_statistics, network_statistics

__all__ = [
    "check_initial_loss",
    "check_overfit_small",
    "find_learning_rate",
    "layer_statistics",
    "network_statistics",
    "check_gradients",
    "numerical_gradient",
    "advise_on_layers",
    "babysit",
    "EpochProgress",
    "InitialLossCheck",
    "OverfitCheck",
    "LearningRateFinderResult",
    "GradientCheckResult",
    "BabysitReport",
]
