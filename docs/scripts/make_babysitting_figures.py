"""Figures (and the babysit report) of docs/babysitting.md, on the digits data.

Writes docs/_static/babysit_*.png and docs/_static/babysit_report.txt. Run from
the repository root::

    PYTHONPATH=. python docs/scripts/make_babysitting_figures.py
"""

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import RandomizedSearchCV, train_test_split  # noqa: E402

from sknet import MLPClassifier  # noqa: E402
from sknet.diagnostics import babysit, find_learning_rate  # noqa: E402
from sknet.model_selection import log_uniform  # noqa: E402
from sknet.plotting import (  # noqa: E402
    ActivationHistogramDisplay,
    LearningRateFinderDisplay,
    LossCurveDisplay,
    ScoreCurveDisplay,
    SearchResultsDisplay,
    UpdateRatioDisplay,
)
from sknet.preprocessing import Centerer  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "_static"


def save(fig, name):
    fig.tight_layout()
    fig.savefig(OUT / f"babysit_{name}.png", dpi=90)
    plt.close(fig)
    print("wrote", OUT / f"babysit_{name}.png")


def main():
    OUT.mkdir(exist_ok=True)
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)
    centerer = Centerer().fit(X_train)
    X_train, X_test = centerer.transform(X_train), centerer.transform(X_test)

    # 1. the lecture's weight-initialization figure: 6 tanh layers of 100 units
    inits = [
        ("init='normal', init_scale=0.01", dict(init="normal", init_scale=0.01)),
        ("init='normal', init_scale=1.0", dict(init="normal", init_scale=1.0)),
        ("init='xavier'", dict(init="xavier")),
    ]
    fig, axes = plt.subplots(3, 6, figsize=(15, 7))
    for row, (label, params) in zip(axes, inits):
        clf = MLPClassifier(hidden_layer_sizes=(100,) * 6, activation="tanh",
                            random_state=0, **params).initialize(X_train, y_train)
        ActivationHistogramDisplay.from_estimator(clf, X_train, ax=row)
        row[0].set_ylabel(label, fontsize=9)
    fig.suptitle("tanh activations per layer at initialization")
    save(fig, "init_histograms")

    # 2. learning-rate range test
    model = MLPClassifier(hidden_layer_sizes=(100,), random_state=0)
    result = find_learning_rate(model, X_train, y_train)
    print(result)
    fig, ax = plt.subplots(figsize=(6, 4))
    LearningRateFinderDisplay.from_result(result, ax=ax)
    save(fig, "lr_finder")

    # 3. loss curves of a too-low, a good and a too-high learning rate
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    rates = {"too low (1e-6)": 1e-6, f"suggested ({result.suggested_lr:.2g})":
             result.suggested_lr, "too high (1.0)": 1.0}
    for label, lr in rates.items():
        clf = MLPClassifier(hidden_layer_sizes=(100,), learning_rate_init=lr, max_iter=30,
                            random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.fit(X_train, y_train)
        axes[0].plot(np.arange(1, clf.n_iter_ + 1), clf.loss_curve_, label=label)
        print(f"lr {lr:.2g}: test accuracy {clf.score(X_test, y_test):.3f}")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("training loss")
    axes[0].set_title("learning rates")
    axes[0].legend()
    good = MLPClassifier(hidden_layer_sizes=(100,), learning_rate_init=result.suggested_lr,
                         max_iter=30, early_stopping=True, n_iter_no_change=30,
                         track_training=True, random_state=0).fit(X_train, y_train)
    print(f"tracked fit: {good.n_iter_} epochs, test accuracy {good.score(X_test, y_test):.3f}")
    LossCurveDisplay.from_history(good, ax=axes[1], log_y=True)
    save(fig, "loss_curves")

    # 4. training vs validation accuracy, 5. update-to-weight ratio
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ScoreCurveDisplay.from_history(good, ax=axes[0])
    UpdateRatioDisplay.from_history(good, ax=axes[1])
    save(fig, "scores_and_ratios")

    # 6. a coarse random search of the learning rate and alpha (short runs)
    search = RandomizedSearchCV(
        MLPClassifier(hidden_layer_sizes=(100,), max_iter=10, random_state=0),
        {"learning_rate_init": log_uniform(1e-5, 1.0), "alpha": log_uniform(1e-5, 10.0)},
        n_iter=30, cv=3, random_state=0, error_score=np.nan,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X_train, y_train)
    print("search best", search.best_params_, round(search.best_score_, 3))
    fig, ax = plt.subplots(figsize=(6, 4.5))
    SearchResultsDisplay.from_cv_results(search, ax=ax)
    save(fig, "search")

    # the whole procedure as one report, healthy and sick
    report = babysit(MLPClassifier(hidden_layer_sizes=(100,), random_state=0),
                     X_train, y_train)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # raw pixels (0..16, not centered) and a rate too high for them
        X_raw, _, y_raw, _ = train_test_split(X, y, random_state=0)
        sick = babysit(MLPClassifier(hidden_layer_sizes=(100,), solver="sgd",
                                     learning_rate_init=0.1, random_state=0),
                       X_raw, y_raw, gradient_check=False)
    text = f"{report}\n\n{sick}\n"
    (OUT / "babysit_report.txt").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
