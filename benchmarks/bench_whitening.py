"""Benchmark: sknet Whitening vs scikit-learn PCA(whiten=True), fit + transform.

Synthetic MNIST-sized data (60000 x 784 float32, seeded): a rank-50 signal
with decaying singular values plus anisotropic noise, so every eigenvalue is
distinct and the whitened output is unique up to signs. Each estimator is
timed on ``fit(X).transform(X)``; the table shows the median of ``--repeats``
round-robin runs, the ratio to scikit-learn's ``PCA(whiten=True, svd_solver="full")``,
and the relative Frobenius error of the output against a float64 reference
(``PCA(whiten=True, svd_solver="full")`` on ``X.astype(float64)``, rotated by
its components for ZCA), after aligning component signs.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_whitening.py [--repeats 3] [--n-samples 60000]

(or ``pip install -e .`` first and drop ``PYTHONPATH=.``).
"""

import argparse
import os
import platform
import time
from datetime import datetime, timezone

import numpy as np
import sklearn
from sklearn.decomposition import PCA
from threadpoolctl import threadpool_info

from sknet.preprocessing import Whitening


def make_data(n_samples, n_features, rank=50, seed=0):
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((n_features, rank)))
    strengths = np.geomspace(10, 1, rank)
    signal = (rng.standard_normal((n_samples, rank)) * strengths) @ basis.T
    noise = rng.standard_normal((n_samples, n_features)) * rng.uniform(0.05, 0.2, n_features)
    X = signal + noise + rng.uniform(0, 5, n_features)
    return X.astype(np.float32)


def time_fit_transform(make_estimator, X):
    est = make_estimator()
    t0 = time.perf_counter()
    Z = est.fit(X).transform(X)
    return time.perf_counter() - t0, Z


def relative_error(Z, Zref):
    """||Z - Zref||_F / ||Zref||_F after flipping each column of Z to match Zref."""
    Z = Z.astype(np.float64)
    signs = np.sign(np.einsum("ij,ij->j", Z, Zref))
    return float(np.linalg.norm(Z * signs - Zref) / np.linalg.norm(Zref))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-samples", type=int, default=60000)
    parser.add_argument("--n-features", type=int, default=784)
    args = parser.parse_args()

    X = make_data(args.n_samples, args.n_features)
    blas = [
        f"{i['internal_api']} {i['version']} ({i['num_threads']} threads, {i.get('architecture')})"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    ]
    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor(),
    )
    print(f"date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}")
    print(f"cpu: {cpu}; python {platform.python_version()}; numpy {np.__version__}; "
          f"scikit-learn {sklearn.__version__}; BLAS: {'; '.join(blas)}")
    print(f"X: {X.shape} {X.dtype}, median of {args.repeats} round-robin repeats of fit(X).transform(X)")
    print(f"load average before: {os.getloadavg()[0]:.2f} (nproc {os.cpu_count()})\n")

    ref = PCA(whiten=True, svd_solver="full").fit(X.astype(np.float64))
    Zref_pca = ref.transform(X.astype(np.float64))
    Zref_zca = Zref_pca @ ref.components_

    cases = [
        ("sklearn PCA(whiten=True, svd_solver='full')",
         lambda: PCA(whiten=True, svd_solver="full")),
        ("sklearn PCA(whiten=True, svd_solver='covariance_eigh')",
         lambda: PCA(whiten=True, svd_solver="covariance_eigh")),
        ("sknet Whitening(method='pca', epsilon=0)",
         lambda: Whitening(method="pca", epsilon=0)),
        ("sknet Whitening(method='zca', epsilon=0)",
         lambda: Whitening(method="zca", epsilon=0)),
        ("sknet Whitening(method='zca')  # default epsilon=1e-5",
         lambda: Whitening(method="zca")),
    ]
    # Round-robin repeats, so a load spike from other processes hits every
    # estimator alike instead of one of them.
    times = {name: [] for name, _ in cases}
    outputs = {}
    for _ in range(args.repeats):
        for name, make in cases:
            seconds, outputs[name] = time_fit_transform(make, X)
            times[name].append(seconds)
    results = [(name, float(np.median(times[name])), outputs[name]) for name, _ in cases]
    ref_seconds = results[0][1]

    width = max(len(name) for name, _, _ in results)
    print(f"| {'estimator':<{width}} | median s | vs sklearn full | rel. error vs float64 | out dtype |")
    print(f"|{'-' * (width + 2)}|---------:|----------------:|---------------------:|-----------|")
    for name, seconds, Z in results:
        Zref = Zref_zca if "zca" in name else Zref_pca
        print(f"| {name:<{width}} | {seconds:8.3f} | {seconds / ref_seconds:14.3f}x "
              f"| {relative_error(Z, Zref):20.2e} | {Z.dtype} |")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
