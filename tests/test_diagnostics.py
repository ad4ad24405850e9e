"""Babysitting diagnostics: known answers for every check."""

import io
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sknet import MLPClassifier, MLPRegressor
from sknet.diagnostics import (
    EpochProgress,
    advise_on_layers,
    babysit,
    check_gradients,
    check_initial_loss,
    check_overfit_small,
    find_learning_rate,
    layer_statistics,
)
from sknet.layers import ReLU


from helpers import quiet_fit as _quiet_fit  # noqa: E402


# -- initial loss -------------------------------------------------------
@pytest.mark.parametrize("init", ["normal", "auto"])
def test_initial_loss_softmax_is_ln_classes(digits, init):
    X, y = digits
    check = check_initial_loss(MLPClassifier(init=init, alpha=0, random_state=0), X, y)
    assert check.expected == pytest.approx(np.log(10))
    assert abs(check.data_loss - np.log(10)) < 0.1
    assert check.verdict == "OK"
    assert check.penalty == 0


def test_initial_loss_small_init_is_nearly_exact(digits):
    X, y = digits
    check = check_initial_loss(MLPClassifier(init="normal", init_scale=1e-3), X, y)
    assert check.data_loss == pytest.approx(np.log(10), abs=1e-4)


def test_initial_loss_alpha_adds_the_l2_term(digits):
    X, y = digits
    low = check_initial_loss(MLPClassifier(alpha=1.0, random_state=0), X, y)
    high = check_initial_loss(MLPClassifier(alpha=100.0, random_state=0), X, y)
    assert low.data_loss == pytest.approx(high.data_loss)
    assert 0 < low.penalty < high.penalty
    assert high.penalty == pytest.approx(100 * low.penalty)
    assert "L2 term adds" in high.message


def test_initial_loss_other_outputs():
    rng = np.random.RandomState(0)
    X = rng.randn(200, 4)
    y_bin = (X[:, 0] > 0).astype(int)
    y_multi = (X[:, :3] > 0).astype(int)
    small = dict(init="normal", init_scale=1e-4, random_state=0)
    assert check_initial_loss(MLPClassifier(**small), X, y_bin).expected == pytest.approx(
        np.log(2)
    )
    multi = check_initial_loss(MLPClassifier(**small), X, y_multi)
    assert multi.expected == pytest.approx(3 * np.log(2))
    assert multi.data_loss == pytest.approx(3 * np.log(2), rel=1e-3)
    y_reg = 3 + rng.randn(200)
    reg = check_initial_loss(MLPRegressor(**small), X, y_reg)
    assert reg.expected == pytest.approx(0.5 * np.mean(y_reg**2))
    assert reg.data_loss == pytest.approx(reg.expected, rel=1e-3)


def test_initial_loss_flags_unscaled_inputs(digits):
    X, y = digits
    check = check_initial_loss(MLPClassifier(init="normal", init_scale=1.0), X * 16, y)
    assert check.verdict == "WARNING"
    assert check.data_loss > 2 * np.log(10)
    assert "too high" in check.message


def test_initialize_builds_the_weights_fit_starts_from(digits):
    X, y = digits
    init = MLPClassifier(hidden_layer_sizes=(16,), random_state=3).initialize(X, y)
    assert init.n_iter_ == 0
    # A step of 1e-300 leaves float64 weights unchanged: fit's starting point.
    frozen = MLPClassifier(
        hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=1e-300,
        momentum=0, max_iter=1, random_state=3,
    )
    _quiet_fit(frozen, X, y)
    for a, b in zip(init.coefs_, frozen.coefs_):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(init.intercepts_, frozen.intercepts_):  # zeros moved by ~1e-300
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-250)


# -- overfit a tiny subset -----------------------------------------------
def test_overfit_small_passes_for_a_healthy_network(digits):
    X, y = digits
    check = check_overfit_small(MLPClassifier(alpha=1.0, dropout=0.5, random_state=0), X, y)
    assert check.passed and check.verdict == "OK"
    assert check.train_score == 1.0
    assert check.n_samples == 20
    assert check.estimator.alpha == 0 and check.estimator.dropout == 0
    assert check.loss_curve[-1] < 0.1 * check.loss_curve[0]
    # stratified: two samples of every digit
    from sknet.diagnostics.checks import _small_subset

    _, y_small = _small_subset(check.estimator, X, y, 20, 0)
    assert np.bincount(y_small).tolist() == [2] * 10
    assert len(check.estimator.classes_) == 10


def test_overfit_small_fails_with_a_tiny_learning_rate(digits):
    X, y = digits
    check = check_overfit_small(MLPClassifier(learning_rate_init=1e-9, random_state=0), X, y)
    assert not check.passed and check.verdict == "FAIL"
    assert check.train_score < 1
    assert "barely changed" in check.message and "too low" in check.message


def test_overfit_small_regressor():
    X, y = make_regression(n_samples=200, n_features=5, random_state=0)
    est = MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01, random_state=0)
    check = check_overfit_small(est, X, y / 100, max_iter=500)
    assert check.passed, check.message


# -- learning-rate finder -----------------------------------------------
def test_find_learning_rate_suggestion_trains_digits(digits):
    X, y = digits
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    est = MLPClassifier(hidden_layer_sizes=(64,), random_state=0)
    result = find_learning_rate(est, X_train, y_train)
    assert result.too_low_lr < result.suggested_lr < result.lr_min_loss
    assert result.too_high_lr is None or result.too_high_lr > result.lr_min_loss
    assert len(result.learning_rates) == len(result.losses) == len(result.smoothed_losses)
    assert np.all(np.diff(result.learning_rates) > 0)
    # a rate within 10x of the suggestion trains to >= 0.95: the suggestion itself
    clf = est.set_params(learning_rate_init=result.suggested_lr, max_iter=30)
    _quiet_fit(clf, X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.95


def test_find_learning_rate_stops_when_the_loss_explodes(digits):
    X, y = digits
    est = MLPClassifier(solver="sgd", momentum=0.9, random_state=0)
    result = find_learning_rate(est, X * 16, y, max_lr=100.0)
    assert result.diverged
    assert len(result.losses) < 100
    assert result.too_high_lr is not None and result.too_high_lr <= 100


def test_find_learning_rate_rejects_lbfgs(digits):
    X, y = digits
    with pytest.raises(ValueError, match="stochastic solver"):
        find_learning_rate(MLPClassifier(solver="lbfgs"), X, y)


# -- layer statistics -----------------------------------------------------
def test_huge_learning_rate_kills_relus(digits):
    X, y = digits
    est = MLPClassifier(
        hidden_layer_sizes=(50,), solver="sgd", learning_rate_init=5.0,
        max_iter=3, random_state=0, track_training=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X * 16, y)
    stats = layer_statistics(est, X * 16)
    assert stats[0]["activation"] == "relu"
    assert stats[0]["dead_fraction"] > 0.5
    assert est.history_["layer_stats"][-1][0]["dead_fraction"] > 0.5
    verdict, lines = advise_on_layers(stats)
    assert verdict == "WARNING"
    assert any("ReLU units in layer 1 are dead" in line for line in lines)


def test_healthy_network_has_few_dead_relus(digits):
    X, y = digits
    est = _quiet_fit(MLPClassifier(hidden_layer_sizes=(50,), max_iter=5, random_state=0), X, y)
    assert layer_statistics(est, X)[0]["dead_fraction"] < 0.1


def test_sigmoid_with_unit_normal_init_saturates(digits):
    X, y = digits
    est = MLPClassifier(
        hidden_layer_sizes=(100, 100), activation="sigmoid", init="normal",
        init_scale=1.0, random_state=0,
    ).initialize(X, y)
    stats = layer_statistics(est, X)
    assert stats[1]["activation"] == "logistic"  # the estimator's name ('sigmoid' is an alias)
    assert stats[1]["saturated_fraction"] > 0.3
    _, lines = advise_on_layers(stats)
    assert any("logistic activations in layer 2 are saturated" in line for line in lines)
    xavier = MLPClassifier(hidden_layer_sizes=(100, 100), activation="sigmoid",
                           random_state=0).initialize(X, y)
    assert layer_statistics(xavier, X)[1]["saturated_fraction"] < 0.05


def test_tanh_small_init_vanishes(digits):
    X, y = digits
    est = MLPClassifier(
        hidden_layer_sizes=(100,) * 4, activation="tanh", init="normal",
        init_scale=0.01, random_state=0,
    ).initialize(X, y)
    stats = layer_statistics(est, X)
    assert stats[3]["std"] < 1e-3 < stats[0]["std"]
    _, lines = advise_on_layers(stats)
    assert any("they vanish" in line for line in lines)


def test_update_ratio_is_the_sgd_step(digits):
    # plain SGD: the update of the last step is lr * dW exactly
    X, y = digits
    lr = 0.05
    est = MLPClassifier(
        hidden_layer_sizes=(20,), solver="sgd", momentum=0, learning_rate_init=lr,
        alpha=0, max_iter=2, random_state=0, track_training=True,
    )
    _quiet_fit(est, X, y)
    for record in est.history_["layer_stats"][-1]:
        assert record["update_ratio"] * record["weight_norm"] == pytest.approx(
            lr * record["grad_norm"], rel=1e-10
        )
        assert 1e-5 < record["update_ratio"] < 1


def test_track_training_does_not_change_the_fit(digits):
    X, y = digits
    kw = dict(hidden_layer_sizes=(16,), max_iter=4, random_state=0, dropout=0.2,
              early_stopping=True)
    plain = _quiet_fit(MLPClassifier(**kw), X, y)
    tracked = _quiet_fit(MLPClassifier(track_training=True, **kw), X, y)
    assert tracked.loss_curve_ == plain.loss_curve_
    assert len(tracked.history_["layer_stats"]) == tracked.n_iter_ == 4
    assert len(tracked.history_["train_score"]) == 4
    assert tracked.history_["train_score"][-1] > tracked.history_["train_score"][0]
    assert "layer_stats" not in plain.history_
    names = [r["name"] for r in tracked.history_["layer_stats"][0]]
    assert names == ["dense0", "dense1"]


# -- gradient check -------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        dict(activation="relu"),
        dict(activation="tanh", batch_norm=True, alpha=0.5),
        dict(activation="sigmoid", hidden_layer_sizes=(5, 4)),
    ],
)
def test_gradient_check_passes(params):
    rng = np.random.RandomState(0)
    X, y = rng.randn(30, 4), np.arange(30) % 3
    result = check_gradients(
        MLPClassifier(hidden_layer_sizes=params.pop("hidden_layer_sizes", (6,)),
                      random_state=0, **params),
        X, y, max_entries=None,
    )
    assert result.passed, result.message
    assert result.max_relative_error < 1e-5


def test_gradient_check_regressor_and_dtype():
    X, y = make_regression(n_samples=30, n_features=3, random_state=0)
    result = check_gradients(MLPRegressor(hidden_layer_sizes=(5,), random_state=0),
                             X.astype(np.float32), y / 100)
    assert result.passed, result.message


def test_gradient_check_catches_a_wrong_backward(monkeypatch):
    monkeypatch.setattr(ReLU, "backward", lambda self, dY: dY * (self._cache_Y > 0) * 1.1)
    rng = np.random.RandomState(0)
    X, y = rng.randn(30, 4), np.arange(30) % 3
    result = check_gradients(MLPClassifier(hidden_layer_sizes=(6,), random_state=0), X, y)
    assert not result.passed and result.verdict == "FAIL"
    assert result.relative_errors["dense0.W"] > 1e-3
    assert result.relative_errors["dense1.W"] < 1e-5


# -- babysit --------------------------------------------------------------
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "maxout", "prelu"])
def test_gradient_check_passes_on_unscaled_inputs(activation):
    """Pixels of 0..16000: sknet 0.1 failed every correct network here and
    blamed the backward pass (the centred difference's own curvature and
    rounding error, not the gradients)."""
    X, y = load_digits(return_X_y=True)
    result = check_gradients(MLPClassifier((64,), activation=activation, random_state=0),
                             X * 1000, y, n_samples=10, max_entries=15)
    assert result.passed, result.message


def test_gradient_check_reports_kinks_instead_of_blaming_the_backward_pass():
    """init='zeros': every ReLU sits exactly at its kink, so any step of a
    first-layer weight moves units onto another piece."""
    X, y = load_digits(return_X_y=True)
    result = check_gradients(MLPClassifier((8,), init="zeros", random_state=0), X, y,
                             max_entries=None)
    assert result.n_kinks >= 8 * 20 and result.passed
    assert all(name.startswith("dense0.") for name in result.kinked)
    assert "cross a kink" in result.message and "backward pass disagrees" not in result.message


def test_babysit_healthy_report(digits):
    X, y = digits
    report = babysit(MLPClassifier(hidden_layer_sizes=(32,), random_state=0), X, y,
                     n_epochs=3, overfit_iter=100)
    text = str(report)
    assert report.ok
    assert [s["step"] for s in report.steps] == [
        "data", "architecture", "initial loss", "gradients",
        "overfit a tiny subset", "learning rate", "training",
    ]
    assert "expected ln(10) = 2.303: OK" in text
    assert report.overfit.passed and report.gradient_check.passed
    assert len(report.layer_stats) == 2


def test_babysit_sick_network_gets_advice(digits):
    X, y = digits
    sick = MLPClassifier(hidden_layer_sizes=(50,), solver="sgd", learning_rate_init=5.0,
                         random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = babysit(sick, X * 16, y, gradient_check=False, n_epochs=3)
    text = str(report)
    verdicts = {s["step"]: s["verdict"] for s in report.steps}
    assert verdicts["data"] == "WARNING"
    assert "center and scale" in text
    assert verdicts["learning rate"] == "WARNING" and "too high" in text
    assert "ReLU units in layer 1 are dead: lower the learning rate or try leaky_relu" in text


def test_babysit_lbfgs_skips_the_rate(digits):
    X, y = digits
    report = babysit(MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0),
                     X[:300], y[:300], n_epochs=5, gradient_check=False, overfit_iter=50)
    assert "learning rate" not in [s["step"] for s in report.steps]
    assert report.learning_rate is None


def test_gap_step_rules():
    from sknet.diagnostics.babysit import _gap_step

    rising = _gap_step(0.1, [1.0, 0.6, 0.7, 0.8])
    assert rising[0] == "WARNING" and "rising" in rising[1]
    assert "best 0.6 at epoch 2 of 4" in rising[1]
    wide = _gap_step(0.2, [1.0, 0.5])
    assert wide[0] == "WARNING" and "large gap" in wide[1]
    close = _gap_step(0.5, [1.0, 0.51])
    assert close[0] == "OK" and "more capacity" in close[1]
    assert _gap_step(0.5, [1.0, 0.6])[0] == "OK"
    assert _gap_step(0.5, []) is None


def test_babysit_gap_is_not_fooled_by_the_penalty(digits):
    """With alpha=1 the recorded training loss carries a large L2 term and
    sits above the validation loss; measured alike (data term, evaluation
    mode), the memorizing network's training loss is far below it."""
    from sklearn.metrics import log_loss

    X, y = digits
    report = babysit(MLPClassifier(hidden_layer_sizes=(256,), alpha=1.0, random_state=0),
                     X[:60], y[:60], X_val=X[1000:], y_val=y[1000:], n_epochs=100,
                     gradient_check=False, find_lr=False, overfit_iter=50)
    est = report.training
    train = log_loss(y[:60], est.predict_proba(X[:60]), labels=est.classes_)
    val = log_loss(y[1000:], est.predict_proba(X[1000:]), labels=est.classes_)
    assert est.history_["loss"][-1] > val > 1.5 * train
    step = report.steps[-1]
    assert step["verdict"] == "WARNING" and "large gap" in step["message"]
    assert f"training loss {train:.3g}, validation loss {val:.3g}" in step["message"]


def test_babysit_reads_the_gap_from_validation_rows(digits):
    # 60 training rows, a wide network and 150 epochs: it memorizes them, and
    # the report sees the validation loss climb away from the training loss.
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = digits
    pipe = make_pipeline(StandardScaler(),
                         MLPClassifier(hidden_layer_sizes=(256,), alpha=0.0, random_state=0))
    report = babysit(pipe, X[:60], y[:60], X_val=X[1000:], y_val=y[1000:], n_epochs=150,
                     gradient_check=False, find_lr=False, overfit_iter=50)
    step = report.steps[-1]
    assert step["step"] == "train / validation gap" and step["verdict"] == "WARNING"
    history = report.training.history_
    assert len(history["val_loss"]) == report.training.n_iter_ > 50
    assert f"validation loss {history['val_loss'][-1]:.3g}" in step["message"]
    with pytest.raises(ValueError, match="together"):
        babysit(pipe, X[:60], y[:60], X_val=X[1000:])


# -- progress and callbacks -----------------------------------------------
def test_epoch_progress_bar(digits):
    X, y = digits
    out = io.StringIO()
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=4, early_stopping=True,
                        random_state=0)
    _quiet_fit(clf.set_callbacks(EpochProgress(stream=out)), X, y)
    frames = out.getvalue().strip().split("\r")
    assert len(frames) == 4
    assert frames[-1].startswith("epoch 4/4  [####################]  loss ")
    assert "val 0." in frames[-1] and "s left" in frames[-1]
    assert out.getvalue().endswith("\n")


def test_sklearn_scoring_monitor_sees_every_epoch(digits):
    from sklearn.callback import ScoringMonitor

    X, y = digits
    monitor = ScoringMonitor(scoring="accuracy")
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    _quiet_fit(clf.set_callbacks(monitor), X, y)
    logs = monitor.get_logs().data_as_pandas
    assert len(logs) == 6  # 5 epochs and the whole fit
    fit = logs[logs["task_name"] == "fit"]["accuracy"].to_numpy()
    epochs = logs[logs["task_name"] == "epoch"].sort_values("task_id")["accuracy"].to_numpy()
    assert fit[0] == pytest.approx(clf.score(X, y))
    assert len(epochs) == 5
    assert epochs[-1] == pytest.approx(fit[0])  # the last epoch is the fitted model
    assert epochs[0] < epochs[-1]


class _StopAfter:
    def __init__(self, n):
        self.n = n

    def setup(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        return context.parent is not None and context.task_id + 1 >= self.n

    def teardown(self, estimator, context):
        pass


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_callback_can_stop_training(digits, solver):
    X, y = digits
    clf = MLPClassifier(hidden_layer_sizes=(8,), solver=solver, max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a requested stop is no failure
        clf.set_callbacks(_StopAfter(3)).fit(X, y)
    assert clf.n_iter_ == 3
    assert not hasattr(clf, "_callback_fit_ctx")


def test_callbacks_survive_partial_fit_and_pickle(digits):
    import pickle

    X, y = digits
    out = io.StringIO()
    progress = EpochProgress(stream=out)
    clf = MLPClassifier(hidden_layer_sizes=(8,), random_state=0).set_callbacks(progress)
    clf.partial_fit(X, y, classes=np.arange(10))
    clf.partial_fit(X, y)
    assert clf._skl_callbacks[0] is progress
    assert out.getvalue().count("epoch 1/1") == 2
    pickle.loads(pickle.dumps(clf)).predict(X[:3])


def test_sklearn_progress_bar_runs(digits):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    X, y = digits
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    _quiet_fit(clf.set_callbacks(ProgressBar()), X, y)
    assert clf.n_iter_ == 3


def test_epoch_progress_inside_a_search(digits):
    from sklearn.model_selection import GridSearchCV

    X, y = digits
    out = io.StringIO()
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    search = GridSearchCV(clf.set_callbacks(EpochProgress(stream=out)), {"alpha": [1e-4, 1e-2]},
                          cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X[:200], y[:200])
    # 4 candidate fits and the refit, two epochs each
    assert out.getvalue().count("epoch 2/2") == 5


# -- pipelines, advice --------------------------------------------------------
def test_every_diagnostic_accepts_a_pipeline(digits):
    """The README's quick start builds a Pipeline: the diagnostics run its
    earlier steps on X (clones fitted on X, or the fitted steps) and check the
    network behind them (sknet 0.1: "no attribute 'initialize'")."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = digits
    pipe = make_pipeline(StandardScaler(), MLPClassifier((16,), max_iter=3, random_state=0))
    assert check_initial_loss(pipe, X * 16, y).verdict == "OK"  # scaled by the pipeline
    assert check_overfit_small(pipe, X, y, max_iter=50).n_samples == 20
    assert check_gradients(pipe, X, y, max_entries=5).passed
    assert find_learning_rate(pipe, X, y, n_steps=20).suggested_lr > 0
    report = babysit(pipe, X * 16, y, n_epochs=2, overfit_iter=30, gradient_check=False)
    assert report.steps[0]["verdict"] == "OK"  # the data step sees the scaled X
    _quiet_fit(pipe, X, y)
    assert len(layer_statistics(pipe, X, y)) == 2
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="last step is LogisticRegression"):
        check_initial_loss(make_pipeline(StandardScaler(), LogisticRegression()), X, y)


@pytest.mark.parametrize("init, params", [
    ("normal", {"init_scale": 1.0}),
    ("lecun_normal", {}),
    ("he", {}),
])
def test_initial_loss_advice_never_suggests_the_init_in_use(digits, init, params):
    X, y = digits
    check = check_initial_loss(MLPClassifier((64,), init=init, **params, random_state=0),
                               X * 16, y)
    assert check.verdict == "WARNING"
    if init == "normal":
        assert "a smaller init_scale than 1" in check.message
        assert "init_scale=0.01" not in check.message
    else:
        assert f"init={init!r}" not in check.message
