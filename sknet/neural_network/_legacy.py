"""Loading estimators pickled by sknet 0.1, which kept its training state in loose attributes.

sknet 0.2 keeps everything that carries over between calls in one
:class:`~sknet.training.TrainingState`. An estimator pickled by 0.1 still
predicts as it did; :func:`upgrade_state` gathers its loose attributes into a
state so that ``partial_fit`` and warm starts continue from where it stopped.
"""

import numpy as np

from ..training import STOCHASTIC_SOLVERS, TrainingState, architecture, new_history

__all__ = ["upgrade_state"]

# sknet 0.1's private training attributes, now fields of TrainingState.
_LEGACY = ("_optimizer", "_schedule", "_no_improvement_count", "_best_params", "_best_state")


def upgrade_state(estimator):
    """Give an unpickled 0.1 estimator a :class:`TrainingState`; no-op otherwise."""
    if hasattr(estimator, "_training"):
        return
    attrs = vars(estimator)
    best = attrs.get("_best_params")
    loss_curve = attrs.get("loss_curve_")
    estimator._training = TrainingState(
        t=attrs.get("t_", 0),
        loss_curve=[] if loss_curve is None else loss_curve,
        history=attrs.get("history_") or new_history(),
        optimizer=attrs.get("_optimizer"),
        schedule=attrs.get("_schedule"),
        # 0.1 indexed its schedules by every epoch in the history.
        epoch=len((attrs.get("history_") or new_history())["loss"]),
        stochastic=loss_curve is not None or estimator.solver in STOCHASTIC_SOLVERS,
        best_loss=attrs.get("best_loss_", np.inf),
        no_improvement=attrs.get("_no_improvement_count", 0),
        validation_scores=attrs.get("validation_scores_"),
        best_validation_score=attrs.get("best_validation_score_"),
        best_params=None if best is None else np.concatenate([p.ravel() for p in best]),
        best_running=attrs.get("_best_state"),
    )
    # 0.1 counted the dropout rate as architecture; the parameters it was
    # pickled with describe the network it holds.
    estimator._arch = architecture(estimator)
    for name in _LEGACY:
        attrs.pop(name, None)
