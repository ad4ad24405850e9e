"""Helpers shared by the test modules (test modules never import each other)."""

import warnings

from sklearn.exceptions import ConvergenceWarning


def quiet_fit(est, *args, **kwargs):
    """``est.fit(*args, **kwargs)`` without the ConvergenceWarning of short fits."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


def score_or_kill_workers(estimator, X, y, *, sentinel, everyone=False):
    """A scorer that, the first time a dask worker calls it, kills workers.

    For the lost-worker tests: its own worker (or, with ``everyone``, every
    worker at once, so no copy of the data the client scattered survives)
    dies on the spot with SIGKILL, as a crash or an out-of-memory kill
    would; the nannies restart them. Elsewhere, and afterwards, it scores.
    """
    import os
    import signal

    from distributed import get_client, get_worker

    try:
        get_worker()
    except ValueError:  # not on a dask worker
        return estimator.score(X, y)
    try:
        with open(sentinel, "x"):
            pass
    except FileExistsError:
        return estimator.score(X, y)
    if everyone:
        for pid in get_client().run(os.getpid).values():
            if pid != os.getpid():
                os.kill(pid, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
