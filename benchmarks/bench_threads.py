"""Parallel fits against BLAS threads: a search with ``n_jobs=1`` and ``n_jobs=2``.

On a machine with few cores, a search that runs two fits at once while each
fit's matrix products ask OpenBLAS for every core oversubscribes the machine.
This times the same :class:`~sknet.model_selection.CoarseToFineSearchCV` (a
fixed seed, so the same candidates, folds and epochs) with one job and with
two, under joblib's process backend (loky, the default) and its thread
backend, on a narrow network (digits, 64-32-10) and a wide one (Gaussian
inputs, 784-256-10), and reports the wall time of each and the ratio
``n_jobs=2 / n_jobs=1`` (below 1: the parallel search is faster).

The configurations are interleaved round by round; medians over the rounds.

Run (about two minutes with nothing else running)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_threads.py --rounds 3
"""

import argparse
import datetime
import platform
import statistics
import time
import warnings

import joblib
import numpy as np
import sklearn
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info

from sknet import MLPClassifier
from sknet.model_selection import CoarseToFineSearchCV, log_uniform


def data_sets(quick):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    rng = np.random.RandomState(0)
    n_wide = 3000 if quick else 12000
    Xw = rng.normal(size=(n_wide, 784)).astype(np.float32)
    yw = (Xw[:, :10] @ rng.normal(size=10) > 0).astype(int) + (Xw[:, 10] > 0.5)
    return {
        "digits, 64-32-10": (X, y, (32,), 40),
        "Gaussian, 784-256-10 float32": (Xw, yw, (256,), 6),
    }


def search(hidden, max_iter, n_jobs):
    return CoarseToFineSearchCV(
        MLPClassifier(hidden, max_iter=max_iter, tol=0, n_iter_no_change=max_iter,
                      random_state=0),
        {"learning_rate_init": log_uniform(1e-4, 1e-1), "alpha": log_uniform(1e-6, 1e-2)},
        n_iter=6, n_stages=2, cv=3, n_jobs=n_jobs, random_state=0, refit=False,
    )


def timed(X, y, hidden, max_iter, n_jobs, backend):
    with warnings.catch_warnings(), joblib.parallel_config(backend=backend):
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        search(hidden, max_iter, n_jobs).fit(X, y)
        return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller data, for a smoke run")
    args = parser.parse_args()
    blas = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()]
    print(f"Date: {datetime.date.today()}; Python {platform.python_version()}, "
          f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, "
          f"joblib {joblib.__version__}; {joblib.cpu_count()} cores; thread pools {blas}\n")
    print("| data, network | backend | n_jobs=1 (s) | n_jobs=2 (s) | ratio 2/1 |")
    print("|---|---|---|---|---|")
    for label, (X, y, hidden, max_iter) in data_sets(args.quick).items():
        for backend in ["loky", "threading"]:
            times = {1: [], 2: []}
            timed(X, y, hidden, max_iter, 2, backend)  # start the workers, compile
            for _ in range(args.rounds):
                for n_jobs in (1, 2):
                    times[n_jobs].append(timed(X, y, hidden, max_iter, n_jobs, backend))
            one, two = statistics.median(times[1]), statistics.median(times[2])
            print(f"| {label} | {backend} | {one:.2f} | {two:.2f} | {two / one:.2f} |")


if __name__ == "__main__":
    main()
