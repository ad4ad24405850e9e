"""Cost of one ``partial_fit`` call: sknet next to scikit-learn.

A stream of mini-batches is fed to ``partial_fit`` one call at a time, as an
online-learning loop does. Each call pays for validation, the rollback
backup, the epoch itself and the bookkeeping; sknet 0.1 deep-copied the whole
estimator twice per call, which made it 1.5-1.8x slower than scikit-learn.

Both libraries run in this one process, interleaved round by round, each
round timing ``--calls`` calls per library after a warm-up call; the script
reports the median per-call CPU time (``time.process_time``: all threads,
the issue's measure) and wall time over rounds, and their ratios.

Run: ``python benchmarks/bench_partial_fit.py [--rounds 7] [--calls 30]``.
"""

import argparse
import platform
import statistics
import time

import numpy as np
import sklearn
from sklearn.neural_network import MLPClassifier as SklearnMLP

import sknet
from sknet import MLPClassifier

NETWORKS = [(8,), (256, 256)]
ROWS_PER_CALL = [200, 1000]
N_FEATURES, N_CLASSES = 20, 3


def make_stream(n_rows, seed=0):
    """Gaussian rows labelled by a random linear teacher."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_rows, N_FEATURES))
    y = np.argmax(X @ rng.normal(size=(N_FEATURES, N_CLASSES)), axis=1)
    return X, y


def time_calls(est, X, y, n_calls):
    """Median CPU and wall seconds of one partial_fit call, over n_calls calls."""
    classes = np.arange(N_CLASSES)
    est.partial_fit(X, y, classes=classes)  # warm-up: builds the network
    cpu, wall = [], []
    for _ in range(n_calls):
        c0, w0 = time.process_time(), time.perf_counter()
        est.partial_fit(X, y)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()
    print(f"sknet {sknet.__version__}, scikit-learn {sklearn.__version__}, "
          f"numpy {np.__version__}, Python {platform.python_version()}")
    print(f"{args.rounds} rounds x {args.calls} calls; per-call medians, then medians over rounds\n")
    print("| network | rows per call | sknet CPU ms | scikit-learn CPU ms | CPU ratio "
          "| sknet wall ms | scikit-learn wall ms | wall ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for hidden in NETWORKS:
        for n_rows in ROWS_PER_CALL:
            X, y = make_stream(n_rows)
            results = {"sknet": [], "sklearn": []}
            for _ in range(args.rounds):
                for name, cls in (("sknet", MLPClassifier), ("sklearn", SklearnMLP)):
                    results[name].append(time_calls(cls(hidden, random_state=0), X, y, args.calls))
            ours = [statistics.median(r[i] for r in results["sknet"]) * 1e3 for i in (0, 1)]
            theirs = [statistics.median(r[i] for r in results["sklearn"]) * 1e3 for i in (0, 1)]
            print(f"| {hidden} | {n_rows} | {ours[0]:.2f} | {theirs[0]:.2f} | "
                  f"{ours[0] / theirs[0]:.2f} | {ours[1]:.2f} | {theirs[1]:.2f} | "
                  f"{ours[1] / theirs[1]:.2f} |")


if __name__ == "__main__":
    main()
