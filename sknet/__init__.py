"""sknet: scikit-learn neural networks with the CS231n training recipe.

``sknet.MLPClassifier`` and ``sknet.MLPRegressor`` are drop-in replacements
for scikit-learn's, with the lecture's activations, initializations, batch
normalization, update rules and schedules as constructor parameters.
"""

__version__ = "0.2.0"

from .neural_network import MLPClassifier, MLPRegressor  # noqa: E402

__all__ = ["MLPClassifier", "MLPRegressor", "__version__"]
