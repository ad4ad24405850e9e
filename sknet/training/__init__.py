"""Training: everything between the estimators' parameters and the network's updates.

The estimators in :mod:`sknet.neural_network` validate their input and hand
the rest to this package: :mod:`~sknet.training.builders` turns parameters
into a network, an update rule and a schedule; :mod:`~sknet.training.targets`
turns labels into what the loss trains on; :mod:`~sknet.training.batches`
cuts epochs into mini-batches; :mod:`~sknet.training.trainer` runs the epochs
with the monitors of :mod:`~sknet.training.monitors` (plateau, early stopping,
divergence guard, scikit-learn callbacks) and the telemetry of
:mod:`~sknet.training.telemetry`, or hands over to L-BFGS
(:mod:`~sknet.training.lbfgs`). What carries over from one call to the next is
a :class:`TrainingState`; docs/design.md's state table says what each event
does to each piece of it. :func:`propagate_interrupts` makes an interrupted
fit stop the job around it.
"""

from .batches import Batch, MiniBatches, resolve_batch_size
from .builders import (
    STOCHASTIC_SOLVERS,
    architecture,
    build_network,
    configure_network,
    hidden_sizes,
    make_optimizer,
    make_schedule,
)
from .interrupts import interrupts_propagate, propagate_interrupts
from .monitors import (
    CallbackMonitor,
    DivergenceGuard,
    EarlyStopping,
    Plateau,
    Validation,
    validation_split,
)
from .state import STOP_REASONS, Checkpoint, TrainingResult, TrainingState, new_history
from .targets import decode_target, encode_target, target_kind
from .telemetry import Telemetry, network_statistics
from .trainer import Trainer, check_batch_norm_rows, train

__all__ = [
    "Batch",
    "CallbackMonitor",
    "Checkpoint",
    "DivergenceGuard",
    "EarlyStopping",
    "MiniBatches",
    "Plateau",
    "STOCHASTIC_SOLVERS",
    "STOP_REASONS",
    "Telemetry",
    "Trainer",
    "Validation",
    "TrainingResult",
    "TrainingState",
    "architecture",
    "build_network",
    "check_batch_norm_rows",
    "configure_network",
    "decode_target",
    "encode_target",
    "hidden_sizes",
    "interrupts_propagate",
    "make_optimizer",
    "make_schedule",
    "network_statistics",
    "new_history",
    "propagate_interrupts",
    "resolve_batch_size",
    "target_kind",
    "train",
    "validation_split",
]
