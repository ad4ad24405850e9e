"""Every Display draws under the Agg backend and shows what it should."""

import warnings

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from scipy.stats import loguniform  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import RandomizedSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sknet import MLPClassifier  # noqa: E402
from sknet.diagnostics import find_learning_rate  # noqa: E402
from sknet.plotting import (  # noqa: E402
    ActivationHistogramDisplay,
    LearningRateFinderDisplay,
    LossCurveDisplay,
    ScoreCurveDisplay,
    SearchResultsDisplay,
    UpdateRatioDisplay,
)


@pytest.fixture(scope="module")
def tracked(digits):
    X, y = digits
    clf = MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=6, early_stopping=True,
                        track_training=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_loss_curve(tracked, digits):
    display = LossCurveDisplay.from_history(tracked)
    assert [line.get_label() for line in display.lines_] == ["training loss", "validation loss"]
    np.testing.assert_allclose(display.lines_[0].get_ydata(), tracked.history_["loss"])
    _, ax = plt.subplots()
    assert LossCurveDisplay.from_history(tracked, ax=ax, log_y=True).ax_ is ax
    assert ax.get_yscale() == "log"
    # from_estimator computes: it fits a clone, the same as fitting it by hand
    unfitted = MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=6, early_stopping=True,
                             track_training=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = LossCurveDisplay.from_estimator(unfitted, *digits, line_kwargs={"lw": 3})
    np.testing.assert_allclose(fitted.lines_[0].get_ydata(), tracked.history_["loss"])
    assert fitted.lines_[0].get_linewidth() == 3
    assert not hasattr(unfitted, "history_")


def test_displays_accept_a_pipeline(digits):
    X, y = digits
    pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(8,), max_iter=3,
                                                         random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = ScoreCurveDisplay.from_estimator(pipe, X, y)
        ratios = UpdateRatioDisplay.from_estimator(pipe, X, y)
        pipe.fit(X, y)
    assert [line.get_label() for line in scores.lines_] == ["training accuracy"]
    assert list(ratios.ratios) == ["layer 1 (relu)", "layer 2 (output)"]
    assert len(LossCurveDisplay.from_history(pipe).lines_) == 1
    assert len(ActivationHistogramDisplay.from_estimator(pipe, X).axes_) == 1
    finder = LearningRateFinderDisplay.from_estimator(pipe, X, y, n_steps=20)
    assert finder.ax_.get_xscale() == "log"


def test_score_curve(tracked, digits):
    display = ScoreCurveDisplay.from_history(tracked)
    labels = [line.get_label() for line in display.lines_]
    assert labels == ["training accuracy", "validation accuracy"]
    np.testing.assert_allclose(display.lines_[1].get_ydata(), tracked.history_["val_score"])
    X, y = digits
    plain = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain.fit(X, y)
    with pytest.raises(ValueError, match="track_training=True"):
        ScoreCurveDisplay.from_history(plain)


def test_activation_histograms(digits):
    X, y = digits
    clf = MLPClassifier(hidden_layer_sizes=(30, 30, 30), activation="tanh",
                        batch_norm=True, dropout=0.1, random_state=0)
    display = ActivationHistogramDisplay.from_estimator(clf, X, y)  # at initialization
    assert len(display.axes_) == 3
    assert display.axes_[0].get_title().startswith("layer 1 (tanh)")
    assert all(abs(v).max() <= 1 for _, v in display.activations)
    fig, axes = plt.subplots(1, 3)
    assert ActivationHistogramDisplay.from_estimator(clf, X, y, ax=axes).figure_ is fig
    with pytest.raises(ValueError, match="needs y"):
        ActivationHistogramDisplay.from_estimator(clf, X)


def test_learning_rate_finder(digits):
    X, y = digits
    result = find_learning_rate(MLPClassifier(hidden_layer_sizes=(16,), random_state=0),
                                X, y, n_steps=40)
    display = LearningRateFinderDisplay.from_result(result)
    assert display.ax_.get_xscale() == "log"
    np.testing.assert_allclose(display.lines_[1].get_ydata(), result.smoothed_losses)
    assert any("suggested" in t.get_text() for t in display.ax_.get_legend().get_texts())
    display = LearningRateFinderDisplay.from_estimator(
        MLPClassifier(solver="sgd", random_state=0), X * 16, y, max_lr=100.0, n_steps=40
    )
    assert display.too_high_lr is not None


def test_update_ratio(tracked):
    display = UpdateRatioDisplay.from_history(tracked)
    assert len(display.lines_) == 3  # two hidden layers and the output layer
    assert display.ax_.get_yscale() == "log"
    assert all(len(v) == tracked.n_iter_ for v in display.ratios.values())
    with pytest.raises(ValueError, match="track_training"):
        UpdateRatioDisplay.from_history(
            MLPClassifier(hidden_layer_sizes=(4,)).initialize(np.eye(3), [0, 1, 1])
        )


def test_search_results(digits):
    X, y = digits
    search = RandomizedSearchCV(
        make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(8,), max_iter=3,
                                                      random_state=0)),
        {"mlpclassifier__learning_rate_init": loguniform(1e-4, 1e-1),
         "mlpclassifier__alpha": loguniform(1e-5, 1)},
        n_iter=4, cv=2, random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X[:300], y[:300])
    display = SearchResultsDisplay.from_cv_results(search)
    assert display.ax_.get_xscale() == display.ax_.get_yscale() == "log"
    assert len(display.x) == 4
    one = SearchResultsDisplay.from_cv_results(search.cv_results_, y=None)
    assert one.ax_.get_ylabel() == "mean_test_score"
    with pytest.raises(ValueError, match="no single parameter column"):
        SearchResultsDisplay.from_cv_results(search, x="momentum")


def test_search_results_marks_failed_candidates():
    display = SearchResultsDisplay([1e-3, 1e-2, 1.0], [0.9, 0.95, np.nan],
                                   y=[1e-4, 1e-3, 1e-2]).plot()
    assert display.ax_.get_legend() is not None
