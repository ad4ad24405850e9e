"""Digits test accuracy for every activation x {lecun_normal, he} x {batch norm off, on}.

The data: scikit-learn's digits, standardized, stratified 75/25 split with
random_state=0. Each configuration trains sknet's MLPClassifier with one hidden
layer of 100 units, Adam, at most 200 epochs with early stopping off, seed 0.
Prints a Markdown table (accuracy, epochs, seconds) that docs/activations.md
records.

Run: ``python benchmarks/bench_activations.py``
"""

import itertools
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknet import MLPClassifier
from sknet.layers import ACTIVATIONS  # the one table of activations


def main():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    print("| activation | init | batch_norm | test accuracy | epochs | seconds |")
    print("|---|---|---|---|---|---|")
    for activation, init, batch_norm in itertools.product(
        ACTIVATIONS, ["lecun_normal", "he"], [False, True]
    ):
        clf = MLPClassifier(
            hidden_layer_sizes=(100,),
            activation=activation,
            init=init,
            batch_norm=batch_norm,
            random_state=0,
        )
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        print(
            f"| {activation} | {init} | {batch_norm} | {clf.score(X_test, y_test):.4f} "
            f"| {clf.n_iter_} | {seconds:.2f} |"
        )


if __name__ == "__main__":
    main()
