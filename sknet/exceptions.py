"""Exceptions and warnings raised by sknet.

They subclass the built-in or scikit-learn classes that scikit-learn raises for
the same situation, so code written against scikit-learn keeps catching them.
"""

from sklearn.exceptions import ConvergenceWarning

__all__ = [
    "DataScaleWarning",
    "DivergenceWarning",
    "InconsistentSknetVersionWarning",
    "InsecureSchedulerWarning",
    "SearchFailedError",
    "TrainingDivergedError",
    "WorkerLostWarning",
]


class TrainingDivergedError(ValueError):
    """Training stopped because the loss diverged.

    Raised by the MLP estimators when ``divergence_threshold`` is set and the
    mini-batch loss blows up against the call's first mini-batch (see
    :class:`sknet.training.DivergenceGuard`). The estimator is left as it was
    before the call, so a search records the candidate as failed.

    Parameters
    ----------
    message : str
    n_iter, n_batches : int
    loss, initial_loss : float
        Stored as the attributes below.

    Attributes
    ----------
    n_iter : int
        Epochs completed before the divergence was detected (0 when it
        happened during the first epoch).
    n_batches : int
        Mini-batch updates made before training stopped.
    loss : float
        The loss that triggered the stop.
    initial_loss : float
        The loss of the first mini-batch.
    """

    def __init__(self, message, *, n_iter, n_batches, loss, initial_loss):
        super().__init__(message)
        self.n_iter = n_iter
        self.n_batches = n_batches
        self.loss = loss
        self.initial_loss = initial_loss

    def __reduce__(self):
        # Exceptions travel between processes (joblib, dask): keep the fields.
        return (
            _rebuild_diverged,
            (self.args[0], self.n_iter, self.n_batches, self.loss, self.initial_loss),
        )


def _rebuild_diverged(message, n_iter, n_batches, loss, initial_loss):
    return TrainingDivergedError(
        message, n_iter=n_iter, n_batches=n_batches, loss=loss, initial_loss=initial_loss
    )


class SearchFailedError(ValueError):
    """Every fit of every stage of a :class:`~sknet.model_selection.CoarseToFineSearchCV`
    failed; the message names the most common reason.

    A ``ValueError``, as scikit-learn's own "All the N fits failed" is.
    """


class DivergenceWarning(ConvergenceWarning):
    """A call made the training loss blow up (or become non-finite)."""


class InconsistentSknetVersionWarning(UserWarning):
    """A fitted estimator was unpickled under a different sknet version."""


class DataScaleWarning(UserWarning):
    """Inputs or targets are so large that training cannot behave well."""


class InsecureSchedulerWarning(UserWarning):
    """A dask scheduler on another machine is reached over plain, unencrypted TCP."""


class WorkerLostWarning(RuntimeWarning):
    """A dask worker died during a search and the stage it was running is rerun."""
