"""MLPClassifier and MLPRegressor: scikit-learn's MLP API on sknet's engine.

Every constructor parameter, default and public fitted attribute of
:class:`sklearn.neural_network.MLPClassifier` / ``MLPRegressor`` works the same
here; on top of them come the choices of CS231n's "Training Neural Networks I"
(more activations, weight initializations, batch normalization, dropout, more
update rules and learning-rate schedules), each a plain constructor parameter.
The network itself is a :class:`sknet.network.Network`, available after
fitting as ``network_``; the training happens in :mod:`sknet.training`.
"""

from ._base import BaseMLP
from ._classifier import MLPClassifier
from ._regressor import MLPRegressor

__all__ = ["BaseMLP", "MLPClassifier", "MLPRegressor"]
