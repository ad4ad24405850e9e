"""What Ctrl-C does to a fit: keep the epochs it completed, or stop the whole job.

A ``KeyboardInterrupt`` during ``fit`` is caught, as scikit-learn does: the
estimator keeps the epochs it completed, warns "Training interrupted by
user." and records ``stop_reason_ = 'interrupted'``. That suits a user at the
prompt, not a job that fits many models: a search would score the half-trained
model and move on to the next candidate. Jobs (``CoarseToFineSearchCV``, the
diagnostics, ``sknet recipe``) run their fits inside
:func:`propagate_interrupts`, where the estimator, once it has put itself in
order, raises the ``KeyboardInterrupt`` again so the whole job stops.
"""

import contextvars
from contextlib import contextmanager

__all__ = ["propagate_interrupts", "interrupts_propagate"]

_PROPAGATE = contextvars.ContextVar("sknet_propagate_interrupts", default=False)


@contextmanager
def propagate_interrupts():
    """Make interrupted fits inside this context raise ``KeyboardInterrupt``.

    The estimator still keeps a consistent state (its completed epochs) and
    warns; then it re-raises, so a loop of fits stops at the first Ctrl-C.
    The setting is a context variable: it covers the fits run in this thread
    (a joblib search with ``n_jobs=1`` included); parallel workers never see
    Ctrl-C themselves, their parent does and stops waiting for them.

    Yields
    ------
    None

    Examples
    --------
    >>> from sknet.training import propagate_interrupts, interrupts_propagate
    >>> interrupts_propagate()
    False
    >>> with propagate_interrupts():
    ...     interrupts_propagate()
    True
    """
    token = _PROPAGATE.set(True)
    try:
        yield
    finally:
        _PROPAGATE.reset(token)


def interrupts_propagate():
    """Whether an interrupted fit should re-raise (see :func:`propagate_interrupts`).

    Returns
    -------
    propagate : bool
    """
    return _PROPAGATE.get()
