"""Training and prediction speed and memory: sknet next to scikit-learn and PyTorch.

Everything runs in this one process, the contenders interleaved round by
round, so a busy machine slows them alike; the script reports medians over
rounds and the ratios of those medians. PyTorch is measured when it is
installed (``pip install torch``); it is never a dependency of sknet.

Cases (the goals of the performance issue):

- wide: 784-256-128-10 ReLU network, Adam, 60,000 rows, float32 at batch 200
  and 1024, float64 at batch 200: seconds per epoch.
- narrow: 100-128-10, batch 200, 1,000,000 rows: training rows per second.
- batch norm overhead and each activation's epoch time relative to ReLU.
- prediction throughput (rows per second) of the wide network.
- memory: extra bytes per training row held by ``fit`` (tracemalloc's peak
  beyond the data and the network, as a slope over two data sizes).
- accuracy: test accuracy of each wide configuration after a few epochs, so
  speed is never bought with accuracy.

Run: ``python benchmarks/bench_speed.py [--rounds 3] [--quick]``.
"""

import argparse
import gc
import platform
import statistics
import time
import tracemalloc
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLP

from sknet import MLPClassifier, _jit

try:  # optional competitor
    import torch
except ImportError:  # pragma: no cover - depends on the machine
    torch = None


def make_data(n_samples, n_features, n_classes, dtype, seed=0):
    """Gaussian inputs labelled by a random two-layer teacher network."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features)).astype(dtype)
    W1 = rng.normal(size=(n_features, 64)) / np.sqrt(n_features)
    W2 = rng.normal(size=(64, n_classes))
    y = np.argmax(np.tanh(X @ W1) @ W2, axis=1)
    return X, y


def epoch_time(make_estimator, X, y, epochs):
    est = make_estimator(epochs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        est.fit(X, y)
        seconds = time.perf_counter() - start
    return seconds / epochs, est


def sknet_factory(hidden, batch_size, **kw):
    return lambda epochs: MLPClassifier(
        hidden_layer_sizes=hidden, batch_size=batch_size, max_iter=epochs,
        tol=0.0, n_iter_no_change=10**6, random_state=0, **kw,
    )


class _WithoutKernels:
    """Fit an estimator with the numpy form of the update rules (no numba)."""

    def __init__(self, est):
        self.est = est

    def fit(self, X, y):
        with _jit.disabled():
            self.est.fit(X, y)
        return self

    def score(self, X, y):
        return self.est.score(X, y)


def sknet_numpy_factory(hidden, batch_size, **kw):
    make = sknet_factory(hidden, batch_size, **kw)
    return lambda epochs: _WithoutKernels(make(epochs))


def sklearn_factory(hidden, batch_size):
    return lambda epochs: SklearnMLP(
        hidden_layer_sizes=hidden, batch_size=batch_size, max_iter=epochs,
        tol=0.0, n_iter_no_change=10**6, random_state=0,
    )


class TorchMLP:
    """The same network and training loop in PyTorch (CPU), for comparison."""

    def __init__(self, hidden, batch_size, epochs):
        self.hidden, self.batch_size, self.epochs = hidden, batch_size, epochs

    def fit(self, X, y):
        torch.manual_seed(0)
        dtype = torch.float32 if X.dtype == np.float32 else torch.float64
        layers, fan_in = [], X.shape[1]
        for width in self.hidden:
            layers += [torch.nn.Linear(fan_in, width), torch.nn.ReLU()]
            fan_in = width
        layers.append(torch.nn.Linear(fan_in, int(y.max()) + 1))
        self.model = torch.nn.Sequential(*layers).to(dtype)
        opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
        gen = torch.Generator().manual_seed(0)
        for _ in range(self.epochs):
            perm = torch.randperm(len(Xt), generator=gen)
            for start in range(0, len(Xt), self.batch_size):
                idx = perm[start : start + self.batch_size]
                opt.zero_grad()
                loss_fn(self.model(Xt[idx]), yt[idx]).backward()
                opt.step()
        return self

    def score(self, X, y):
        with torch.no_grad():
            pred = self.model(torch.from_numpy(X)).argmax(dim=1).numpy()
        return float(np.mean(pred == y))


def torch_factory(hidden, batch_size):
    return lambda epochs: TorchMLP(hidden, batch_size, epochs)


def median_rounds(contenders, X, y, epochs, rounds, X_test=None, y_test=None):
    """Interleave the contenders round by round; medians of seconds per epoch."""
    times = {name: [] for name in contenders}
    scores = {}
    for _ in range(rounds):
        for name, factory in contenders.items():
            gc.collect()
            seconds, est = epoch_time(factory, X, y, epochs)
            times[name].append(seconds)
            if X_test is not None:
                scores[name] = est.score(X_test, y_test)
    return {name: statistics.median(v) for name, v in times.items()}, scores


def _peak_fit_bytes(Estimator, n, n_features, hidden):
    """tracemalloc's peak during one epoch of fit; X and y exist beforehand."""
    X, y = make_data(n, n_features, 10, np.float32, seed=1)
    est = Estimator(hidden_layer_sizes=hidden, max_iter=1, random_state=0)
    gc.collect()
    tracemalloc.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def extra_bytes_per_row(n_small, n_large, n_features, hidden):
    """Slope of fit's peak traced memory between two data sizes: (sknet, sklearn).

    The network and the per-batch buffers do not grow with the data, so the
    slope is what fit holds per training row beyond X and y.
    """
    return tuple(
        (_peak_fit_bytes(E, n_large, n_features, hidden) - _peak_fit_bytes(E, n_small, n_features, hidden))
        / (n_large - n_small)
        for E in (MLPClassifier, SklearnMLP)
    )


def sgemm_peak(rounds):
    """FLOP/s of numpy's float32 matrix product on large squares (best size, median)."""
    best = 0.0
    for n in (2048, 4096):
        A = np.random.RandomState(0).normal(size=(n, n)).astype(np.float32)
        A @ A  # warm the BLAS threads
        times = []
        for _ in range(max(rounds, 3)):
            start = time.perf_counter()
            A @ A
            times.append(time.perf_counter() - start)
        best = max(best, 2 * n**3 / statistics.median(times))
    return best


def epoch_products_seconds(n_rows, hidden, batch, rounds):
    """Seconds of one epoch's bare float32 matrix products (forward, weight and
    input gradients) on batches of ``batch`` rows, with nothing else."""
    rng = np.random.RandomState(0)
    widths = (784,) + hidden + (10,)
    Ws = [rng.normal(size=(a, b)).astype(np.float32) for a, b in zip(widths, widths[1:])]
    Hs = [rng.normal(size=(batch, w)).astype(np.float32) for w in widths]
    Gs, Ds = [np.empty_like(W) for W in Ws], [np.empty_like(H) for H in Hs]
    times = []
    for _ in range(max(rounds, 3)):
        start = time.perf_counter()
        for _ in range(n_rows // batch):
            for i, W in enumerate(Ws):
                np.matmul(Hs[i], W, out=Hs[i + 1])
            for i in reversed(range(len(Ws))):
                np.matmul(Hs[i].T, Hs[i + 1], out=Gs[i])
                if i:
                    np.matmul(Hs[i + 1], Ws[i].T, out=Ds[i])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def prediction_throughput(wide, X32, y, rounds):
    """sknet's and scikit-learn's predict_proba side by side, and the bare products."""
    print("\n## Prediction throughput (wide network, float32), rows per second (median)\n")
    print("| case | sknet | scikit-learn | ratio |\n|---|---|---|---|")
    ours = sknet_factory(wide, 200)(1)
    theirs = sklearn_factory(wide, 200)(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X32, y)
        theirs.fit(X32, y)
    # The ceiling: the three bare matrix products of the forward pass, with
    # nothing else (no bias, activation, softmax or input validation), timed
    # in the same rounds as the one call on all rows (the machine drifts).
    coefs = ours.coefs_

    def bare_products(X):
        for W in coefs:
            X = X @ W

    rates = {}
    for label, rows in [("one call on all rows", len(X32)), ("calls of 200 rows", 200)]:
        contenders = {"sknet": ours.predict_proba, "sklearn": theirs.predict_proba}
        if rows == len(X32):
            contenders["bare"] = bare_products
        pred = {name: [] for name in contenders}
        chunks = [X32[i : i + rows] for i in range(0, min(len(X32), 200 * rows), rows)]
        n_rows = sum(len(c) for c in chunks)
        for _ in range(max(rounds, 3)):
            for name, call in contenders.items():
                start = time.perf_counter()
                for chunk in chunks:
                    call(chunk)
                pred[name].append(n_rows / (time.perf_counter() - start))
        rates[label] = {name: statistics.median(v) for name, v in pred.items()}
        a, b = rates[label]["sknet"], rates[label]["sklearn"]
        print(f"| {label} | {a:,.0f} | {b:,.0f} | {a / b:.2f} |")

    one_call = rates["one call on all rows"]
    print(f"| bare matrix products only (the ceiling) | {one_call['bare']:,.0f} | | "
          f"{one_call['bare'] / one_call['sklearn']:.2f} |")
    print(f"\nsknet's one call reaches **{one_call['sknet'] / one_call['bare']:.0%} of the ceiling** "
          "(goal: 90%).")


def activation_costs(wide, X32, y, rounds, activations=True):
    """Seconds per epoch of each activation, and of batch norm, relative to ReLU."""
    print("\n## Activations and batch norm (wide network, float32, batch 200)\n")
    variants = {"relu": {}, "relu + batch_norm": {"batch_norm": True}}
    if activations:
        for act in ["identity", "logistic", "tanh", "leaky_relu", "prelu", "elu", "maxout"]:
            variants[act] = {"activation": act}
    contenders = {name: sknet_factory(wide, 200, **kw) for name, kw in variants.items()}
    med, _ = median_rounds(contenders, X32, y, 2, rounds)
    print("| variant | seconds per epoch | relative to relu |\n|---|---|---|")
    for name, seconds in med.items():
        print(f"| {name} | {seconds:.3f} | {seconds / med['relu']:.2f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller data, for a smoke run")
    parser.add_argument("--only", choices=["prediction", "batch_norm"],
                        help="run one section (with its warm-up) instead of all")
    args = parser.parse_args()
    rounds = args.rounds
    n_wide, n_narrow = (6000, 100_000) if args.quick else (60_000, 1_000_000)

    print(f"# sknet speed benchmark ({time.strftime('%Y-%m-%d')})")
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"torch {torch.__version__ if torch else 'not installed'}, "
          f"numba kernels {'on' if _jit.available() else 'off'}, rounds={rounds}\n")

    wide = (256, 128)
    X64, y = make_data(n_wide + 10_000, 784, 10, np.float64)
    X64, X64_test, y, y_test = X64[:n_wide], X64[n_wide:], y[:n_wide], y[n_wide:]
    X32, X32_test = X64.astype(np.float32), X64_test.astype(np.float32)
    # One-time costs (numba's kernel cache, BLAS thread start-up, imports) out
    # of the first timed cell.
    for make in (sknet_factory(wide, 200), sklearn_factory(wide, 200)):
        epoch_time(make, X32[:2000], y[:2000], 1)
    if args.only == "prediction":
        prediction_throughput(wide, X32, y, rounds)
        return
    if args.only == "batch_norm":
        activation_costs(wide, X32, y, rounds, activations=False)
        return

    print("## Wide network 784-256-128-10, ReLU, Adam: seconds per epoch (median)\n")
    print("| case | sknet | sknet, numpy updates | scikit-learn | PyTorch | sknet / sklearn "
          "| numpy updates / sklearn | sknet / torch | test acc sknet / sklearn / torch |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, X, Xt, batch in [
        ("float32, batch 200", X32, X32_test, 200),
        ("float32, batch 1024", X32, X32_test, 1024),
        ("float64, batch 200", X64, X64_test, 200),
    ]:
        contenders = {
            "sknet": sknet_factory(wide, batch),
            "sknet-numpy": sknet_numpy_factory(wide, batch),
            "sklearn": sklearn_factory(wide, batch),
        }
        if torch is not None:
            contenders["torch"] = torch_factory(wide, batch)
        med, acc = median_rounds(contenders, X, y, 2, rounds, Xt, y_test)
        t = med.get("torch", float("nan"))
        print(
            f"| {label} | {med['sknet']:.3f} | {med['sknet-numpy']:.3f} | {med['sklearn']:.3f} | "
            f"{t:.3f} | {med['sknet'] / med['sklearn']:.2f} | "
            f"{med['sknet-numpy'] / med['sklearn']:.2f} | {med['sknet'] / t:.2f} | "
            f"{acc['sknet']:.3f} / {acc['sklearn']:.3f} / {acc.get('torch', float('nan')):.3f} |"
        )

        if label == "float32, batch 200":
            wide_f32_epoch = med["sknet"]

    # The machine's own sgemm peak, measured in this run, against the FLOPs of
    # one wide float32 epoch (forward, the weight gradients, and the input
    # gradients of every layer but the first).
    sizes = list(zip((784,) + wide, wide + (10,)))
    flops = 2 * n_wide * (2 * sum(a * b for a, b in sizes) + sum(a * b for a, b in sizes[1:]))
    peak = sgemm_peak(rounds)
    at_peak = flops / peak
    bare = epoch_products_seconds(n_wide, wide, 200, rounds)
    print(f"\nOne wide float32 epoch is {flops / 1e9:.1f} GFLOP; sgemm peaks at "
          f"{peak / 1e9:.0f} GFLOP/s here, so an epoch at peak takes {at_peak:.3f} s; "
          f"sknet's batch-200 epoch took {wide_f32_epoch:.3f} s: "
          f"**{at_peak / wide_f32_epoch:.0%} of peak** (goal: 65%). The epoch's matrix "
          f"products alone, on batches of 200 rows, take {bare:.3f} s "
          f"({at_peak / bare:.0%} of peak).")

    print("\n## Narrow network 100-128-10, batch 200: training rows per second (median)\n")
    Xn, yn = make_data(n_narrow, 100, 10, np.float32, seed=2)
    med, _ = median_rounds(
        {"sknet": sknet_factory((128,), 200), "sknet-numpy": sknet_numpy_factory((128,), 200),
         "sklearn": sklearn_factory((128,), 200)},
        Xn, yn, 1, rounds,
    )
    print("| sknet rows/s | sknet, numpy updates | scikit-learn rows/s | ratio | numpy updates ratio |")
    print("|---|---|---|---|---|")
    print(f"| {n_narrow / med['sknet']:,.0f} | {n_narrow / med['sknet-numpy']:,.0f} | "
          f"{n_narrow / med['sklearn']:,.0f} | {med['sklearn'] / med['sknet']:.2f} | "
          f"{med['sklearn'] / med['sknet-numpy']:.2f} |")
    del Xn, yn

    activation_costs(wide, X32, y, rounds)

    prediction_throughput(wide, X32, y, rounds)

    print("\n## Memory: extra bytes per training row held by fit\n")
    print("| network | sknet | scikit-learn |\n|---|---|---|")
    for label, n_features, hidden in [("784-256-128-10", 784, wide), ("100-128-10", 100, (128,))]:
        ours_b, theirs_b = extra_bytes_per_row(n_narrow // 10, n_narrow // 5, n_features, hidden)
        print(f"| {label} | {ours_b:.1f} | {theirs_b:.1f} |")


if __name__ == "__main__":
    main()
