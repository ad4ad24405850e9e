"""The default output-layer scale: initial loss and accuracy, before and after.

``init='auto'`` gives the output layer LeCun-normal weights scaled by
``sknet.training.builders.AUTO_OUTPUT_SCALE``. This script fits the default
estimator with the old scale (1.0) and the new one (0.1), five seeds each, on
standardized digits, a harder synthetic 10-class set and a regression set, and
prints the initial loss's excess over the no-information loss
(``check_initial_loss``) and the test score. Its output is in
docs/initialization.md.

Run: ``python docs/scripts/initial_loss_experiment.py`` (about a minute).
"""

import warnings

import numpy as np
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import sknet.training.builders as builders
from sknet import MLPClassifier, MLPRegressor
from sknet.diagnostics import check_initial_loss

SCALES = [1.0, 0.1]
SEEDS = range(5)


def datasets():
    X, y = load_digits(return_X_y=True)
    yield "digits", X, y, MLPClassifier
    X, y = make_classification(
        n_samples=6000, n_features=40, n_informative=25, n_redundant=5, n_classes=10,
        n_clusters_per_class=2, class_sep=1.0, random_state=0,
    )
    yield "synthetic, 10 classes", X, y, MLPClassifier
    X, y = make_regression(n_samples=3000, n_features=20, n_informative=15, noise=20,
                           random_state=0)
    yield "regression", X, (y - y.mean()) / y.std(), MLPRegressor


def main():
    warnings.simplefilter("ignore")
    print("| data | output scale | initial loss | no-information loss | excess (median, max) "
          "| test score (median, min-max) |")
    print("|---|---|---|---|---|---|")
    for name, X, y, cls in datasets():
        stratify = y if cls is MLPClassifier else None
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, random_state=0, stratify=stratify
        )
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        for scale in SCALES:
            builders.AUTO_OUTPUT_SCALE = scale
            checks = [check_initial_loss(cls(random_state=s), X_train, y_train) for s in SEEDS]
            excess = [c.data_loss - c.expected for c in checks]
            scores = [cls(random_state=s).fit(X_train, y_train).score(X_test, y_test)
                      for s in SEEDS]
            print(f"| {name} | {scale:g} | {np.median([c.data_loss for c in checks]):.3f} "
                  f"| {checks[0].expected:.3f} | {np.median(excess):+.3f}, {max(excess):+.3f} "
                  f"| {np.median(scores):.4f}, {min(scores):.4f}-{max(scores):.4f} |")


if __name__ == "__main__":
    main()
