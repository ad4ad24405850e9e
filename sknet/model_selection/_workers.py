"""Lost dask workers: which errors rerun a stage, and outputs left over from them.

joblib's dask backend scatters the data to one worker; when that worker dies,
the data is gone and every fit of the ``evaluate_candidates`` call is
cancelled (``FutureCancelledError``). The search then reruns the stage.

A cancelled call can leave more behind than its error. joblib (1.6) prefetches
tasks into a queue kept on the ``Parallel`` object, and scikit-learn uses one
``Parallel`` for every call of a search: tasks left in that queue by the
cancelled call run first in the next call, which then returns more outputs
than it had fits. scikit-learn appends them to its lists unchecked, and they
would be filed under the wrong candidates. :func:`_undo_stale_call` spots the
surplus, takes the call's rows back out of scikit-learn's lists and raises
:class:`_StaleOutputsError`, which reruns the stage like a lost worker; the
rerun finds the queue empty. A call in which every fit failed never reaches
those lists: :func:`_check_fit_count` judges the outputs scikit-learn's error
carries.
"""

import sys

#: How many times a stage is rerun after losing a dask worker before giving up.
MAX_STAGE_RERUNS = 3


class _StaleOutputsError(RuntimeError):
    """An ``evaluate_candidates`` call returned more outputs than it had fits."""


def _worker_lost(exc):
    """Whether ``exc`` is dask cancelling a call's fits because a worker died.

    Not ``KilledWorker``: dask raises it for a task that brought down
    several workers in turn, which a rerun would only repeat.
    """
    if "distributed" not in sys.modules:
        return False
    from distributed.client import FutureCancelledError

    return isinstance(exc, FutureCancelledError)


class _Reruns:
    """The reruns of one stage so far, and whether an error earns another.

    A lost worker and the leftovers it leaves each have a budget of
    :data:`MAX_STAGE_RERUNS`: the leftovers of one cancelled call come
    back once, in the next call, so each loss costs two reruns, and a
    shared budget would end the search at the second loss.
    """

    def __init__(self):
        self.lost = self.stale = 0

    @property
    def count(self):
        return self.lost + self.stale

    def spend(self, error):
        """Count a rerun for ``error`` and say why, or None when it earns none."""
        if isinstance(error, _StaleOutputsError):
            if self.stale == MAX_STAGE_RERUNS:
                return None
            self.stale += 1
            return f"{error}: leftovers of a call a lost dask worker cancelled"
        if not _worker_lost(error) or self.lost == MAX_STAGE_RERUNS:
            return None
        self.lost += 1
        return (
            f"a dask worker was lost ({type(error).__name__}: {error}) "
            f"(rerun {self.lost} of at most {MAX_STAGE_RERUNS} for lost workers)"
        )


def _check_fit_count(n_outputs, n_fits):
    """Raise :class:`_StaleOutputsError` unless a call returned one output per fit."""
    if n_outputs != n_fits:
        raise _StaleOutputsError(f"{n_outputs} fit outputs came back for {n_fits} fits")


def _undo_stale_call(candidate_params, n_splits, out, more_results):
    """Take the last call's rows out of scikit-learn's lists if it returned too many.

    The arguments are scikit-learn's own lists, as its ``evaluate_candidates``
    passes them to ``_format_results``: every call so far, one candidate per
    entry of ``candidate_params`` and of each ``more_results`` list, and
    ``n_splits`` entries of ``out`` per candidate. The last call's candidates
    are the trailing ones of its stage (``more_results["stage"]``); each
    stage is recorded by one call only.

    Raises
    ------
    _StaleOutputsError
        When ``out`` holds more than ``n_splits`` outputs per candidate,
        after the lists were trimmed in place back to the earlier calls.
    """
    if len(out) == len(candidate_params) * n_splits:
        return
    stages = more_results["stage"]
    n_last = next(
        (i for i, stage in enumerate(reversed(stages)) if stage != stages[-1]), len(stages)
    )
    n_returned = len(out) - (len(candidate_params) - n_last) * n_splits
    del candidate_params[len(candidate_params) - n_last :]
    del out[len(out) - n_returned :]
    for values in more_results.values():
        del values[len(values) - n_last :]
    _check_fit_count(n_returned, n_last * n_splits)
