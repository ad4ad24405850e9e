"""Peak memory of prediction and of an L-BFGS fit: sknet next to scikit-learn.

Each case runs in a fresh Python process on 1,000,000 x 100 float32 rows
(381 MiB; a three-class target). The process makes the data (and, for the
prediction cases, fits the model on the first 20,000 rows), then resets the
kernel's resident-set high-water mark (``/proc/self/clear_refs``), runs the
measured call, and reads the new high-water mark (``VmHWM``). The tables give
the peak above the resident memory just before the call (the data and the
model), in MiB and as a multiple of the data's size, and the call's wall time.

Linux only (``/proc``). Run::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_memory.py
"""

import argparse
import json
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import json, sys, time, warnings
    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    warnings.simplefilter("ignore", ConvergenceWarning)
    library, case, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if library == "sknet":
        from sknet import MLPClassifier
    else:
        from sklearn.neural_network import MLPClassifier
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n, 100)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)

    def kib(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])

    kw = {"batch_norm": True} if case.endswith("batch norm") else {}
    if case.startswith("predict"):
        model = MLPClassifier(max_iter=2, random_state=0, **kw).fit(X[:20000], y[:20000])
        call = model.predict_proba if "proba" in case else model.predict
        run = lambda: call(X)
    else:
        model = MLPClassifier(solver="lbfgs", max_iter=5, random_state=0, **kw)
        run = lambda: model.fit(X, y)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = kib("VmRSS")
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    print(json.dumps({"extra_mib": (kib("VmHWM") - before) / 1024,
                      "data_mib": X.nbytes / 2**20, "seconds": seconds}))
    """
)

CASES = ["predict", "predict_proba", "predict, batch norm", "lbfgs fit"]


def measure(library, case, n_rows):
    out = subprocess.run(
        [sys.executable, "-c", CHILD, library, case, str(n_rows)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    print("| call | sknet extra MiB | x data | sknet s | scikit-learn extra MiB | x data | "
          "scikit-learn s |")
    print("|---|---|---|---|---|---|---|")
    for case in CASES:
        ours = measure("sknet", case, args.rows)
        theirs = None if "batch norm" in case else measure("sklearn", case, args.rows)
        data = ours["data_mib"]
        row = (f"| {case} | {ours['extra_mib']:,.0f} | {ours['extra_mib'] / data:.2f} | "
               f"{ours['seconds']:.2f} | ")
        if theirs is None:
            row += "(no batch norm) | | |"
        else:
            row += (f"{theirs['extra_mib']:,.0f} | {theirs['extra_mib'] / data:.2f} | "
                    f"{theirs['seconds']:.2f} |")
        print(row)
    print(f"\nData: {args.rows:,} x 100 float32 = {data:,.0f} MiB.")


if __name__ == "__main__":
    main()
