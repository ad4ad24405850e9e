"""BLAS threads per worker, so that parallel fits do not oversubscribe the cores.

Each fit's matrix products ask OpenBLAS for every core. Two fits at once in
threads of one process then run four BLAS threads on two cores, which is
slower than one fit at a time (``benchmarks/bench_threads.py``). joblib's
process backend (loky, the default) already starts its workers with
``cpu_count() // n_jobs`` threads each; for the thread backend the search
sets the same limit with threadpoolctl, for the duration of the search. A
dask cluster's workers are processes of their own, whose thread counts the
cluster sets (``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` at start).
"""

import contextlib

import joblib
from joblib.parallel import get_active_backend
from threadpoolctl import threadpool_info, threadpool_limits

__all__ = ["worker_blas_threads"]


@contextlib.contextmanager
def worker_blas_threads(n_jobs):
    """Limit BLAS to its share of the cores while ``n_jobs`` fits run in threads.

    Parameters
    ----------
    n_jobs : int or None
        The search's ``n_jobs``, resolved by joblib's active backend.

    Yields
    ------
    threads : int or None
        BLAS threads per fit (``cpu_count() // workers``, at least 1), or None
        when nothing was limited: one worker at a time, workers that are
        processes, or BLAS already at that many threads or fewer.
    """
    backend, _ = get_active_backend()
    workers = joblib.effective_n_jobs(n_jobs)
    if workers <= 1 or not getattr(backend, "uses_threads", False):
        yield None
        return
    threads = max(1, joblib.cpu_count() // workers)
    current = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    # Only ever a limit: a lower count the user set (OPENBLAS_NUM_THREADS,
    # their own threadpool_limits) stays.
    if not current or threads >= max(current):
        yield None
        return
    with threadpool_limits(limits=threads, user_api="blas"):
        yield threads
