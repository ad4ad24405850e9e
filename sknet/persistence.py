"""Saving and loading models with skops, which loads only the types you trust.

A pickle (``joblib.dump`` / ``joblib.load``) runs whatever code the file
names: load only files you made yourself. For files from elsewhere, skops
(``pip install skops``) stores a fitted model as data and refuses, at load
time, every type not on a trusted list. :func:`trusted_types` is that list
for sknet: every class an sknet estimator or transformer may hold.

Examples
--------
>>> import skops.io as sio  # doctest: +SKIP
>>> from sknet.persistence import trusted_types
>>> sio.dump(clf, "model.skops")  # doctest: +SKIP
>>> clf = sio.load("model.skops", trusted=trusted_types())  # doctest: +SKIP
"""

from . import losses, optimizers, schedules
from .layers import ACTIVATIONS, BatchNorm, Dense, Dropout
from .network import Network
from .neural_network import MLPClassifier, MLPRegressor
from .preprocessing import Centerer, Whitening
from .training.state import Checkpoint, TrainingState

__all__ = ["trusted_types"]


def _concrete(module, base):
    return [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, base) and obj is not base
    ]


def trusted_types():
    """The sknet classes a saved sknet model may contain, as skops names them.

    Pass the list as ``skops.io.load(..., trusted=trusted_types())``. It holds
    only sknet's own classes (estimators, transformers, the network, its
    layers and loss, the update rule, the learning-rate schedule and the
    training state). skops trusts numpy's types and most of
    scikit-learn's estimators itself, but not every scikit-learn type (a
    fitted ``GridSearchCV`` also holds a scorer and a splitter). Compare
    ``skops.io.get_untrusted_types(file=...)`` with it before loading a file
    from elsewhere: whatever else is listed is not sknet's to vouch for.

    Returns
    -------
    types : list of str
        Sorted ``'module.ClassName'`` names.
    """
    classes = [
        MLPClassifier,
        MLPRegressor,
        Centerer,
        Whitening,
        Network,
        Dense,
        Dropout,
        BatchNorm,
        TrainingState,
        Checkpoint,
        *ACTIVATIONS.values(),
        *_concrete(losses, losses.Loss),
        *_concrete(optimizers, optimizers.Optimizer),
        *_concrete(schedules, schedules.Schedule),
    ]
    return sorted({f"{cls.__module__}.{cls.__qualname__}" for cls in classes})
