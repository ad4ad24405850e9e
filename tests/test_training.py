"""The training loop's faults, each pinned as a kind with its right value.

Every test here failed on sknet 0.1 (issue 14's list): state carried over
between fit, warm starts, partial_fit, pickling and interrupts was never
designed. tests/test_training_state.py walks the state table that now
defines it.
"""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.utils.validation import check_is_fitted

import sknet.optimizers
from sknet import MLPClassifier, MLPRegressor
from sknet.exceptions import DivergenceWarning, TrainingDivergedError
from sknet.layers import ELU, BatchNorm, Dropout, LeakyReLU
from sknet.model_selection import CoarseToFineSearchCV
from sknet.training import (
    Checkpoint,
    DivergenceGuard,
    MiniBatches,
    encode_target,
    propagate_interrupts,
    validation_split,
)

NONFINITE = "Solver produced non-finite parameter weights"


from helpers import quiet_fit as quiet  # noqa: E402


@pytest.fixture(scope="module")
def linear():
    rng = np.random.RandomState(0)
    X = rng.randn(401, 6)
    return X, X @ rng.randn(6)


def layer(est, kind):
    return next(layer for _, layer in est.network_.layers if isinstance(layer, kind))


# ----------------------------------------------------------------------
# 1. batch norm and one-row mini-batches
# ----------------------------------------------------------------------
def test_batch_norm_every_batch_of_one_row_is_refused(linear):
    X, y = linear
    est = MLPRegressor(hidden_layer_sizes=(32,), batch_norm=True, batch_size=1, max_iter=20,
                       random_state=0)
    with pytest.raises(ValueError, match="every mini-batch here has 1 sample"):
        est.fit(X[:200], y[:200])
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


def test_batch_norm_partial_fit_of_one_row_is_refused_and_changes_nothing(linear):
    X, y = linear
    est = MLPRegressor(hidden_layer_sizes=(8,), batch_norm=True, random_state=0)
    est.partial_fit(X[:50], y[:50])
    weights = est.network_.flat_params.copy()
    running = {k: v.copy() for k, v in est.network_.named_state().items()}
    with pytest.raises(ValueError, match="1 sample"):
        est.partial_fit(X[50:51], y[50:51])
    np.testing.assert_array_equal(est.network_.flat_params, weights)
    for key, value in est.network_.named_state().items():
        np.testing.assert_array_equal(value, running[key])
    assert est.t_ == 50 and len(est.loss_curve_) == 1


def test_batch_norm_trailing_one_row_batch_keeps_running_statistics(linear):
    """401 rows, batches of 200: the trailing row trains through the running
    statistics and leaves them alone. The network's batch-norm input then has
    the variance its running statistics say, and the fit is as good as
    without batch norm (sknet 0.1: R^2 0.81, running statistics decaying)."""
    X, y = linear
    with_bn = quiet(MLPRegressor(hidden_layer_sizes=(32,), batch_norm=True, random_state=0), X, y)
    without = quiet(MLPRegressor(hidden_layer_sizes=(32,), random_state=0), X, y)
    assert with_bn.score(X, y) > 0.93
    assert with_bn.score(X, y) > without.score(X, y) - 0.02
    dense0 = dict(with_bn.network_.layer_outputs(X))["dense0"]
    running_var = with_bn.network_.named_state()["batchnorm0.running_var"]
    np.testing.assert_allclose(running_var, dense0.var(axis=0), rtol=0.25)


# ----------------------------------------------------------------------
# 2. and 3. schedules across calls
# ----------------------------------------------------------------------
@pytest.mark.parametrize("schedule", ["cosine", "step", "exponential"])
def test_warm_fit_restarts_epoch_schedules_and_update_rule(iris, schedule):
    X, y = iris
    est = MLPClassifier((10,), learning_rate=schedule, learning_rate_init=0.01, lr_step_size=3,
                        warm_start=True, max_iter=10, random_state=0)
    quiet(est, X, y)
    first = list(est.history_["learning_rate"])
    weights = est.network_.flat_params.copy()
    quiet(est, X, y)
    assert est.history_["learning_rate"][10:] == first  # a new cycle, as Adam restarts
    assert est._training.optimizer.t == 10  # one batch an epoch: this fit's steps only
    assert min(first) > 0
    assert not np.array_equal(est.network_.flat_params, weights)


@pytest.mark.parametrize("schedule", ["cosine", "step", "exponential"])
def test_partial_fit_past_max_iter_starts_a_new_cycle(iris, schedule):
    X, y = iris
    est = MLPClassifier((10,), learning_rate=schedule, learning_rate_init=0.01, lr_step_size=2,
                        max_iter=5, random_state=0)
    for _ in range(12):
        est.partial_fit(X, y, classes=[0, 1, 2])
    rates = est.history_["learning_rate"]
    assert rates[:5] == rates[5:10] and rates[10:] == rates[:2]
    assert rates[0] == 0.01 and min(rates) > 0


def test_loaded_model_fine_tuned_with_partial_fit_trains(iris):
    """Cosine over max_iter epochs, pickled, then partial_fit: sknet 0.1 ran
    at lr_min = 0 and nothing moved. A new cycle starts at learning_rate_init,
    exactly as it does without the pickle round trip."""
    X, y = iris
    est = quiet(MLPClassifier((10,), learning_rate="cosine", learning_rate_init=0.01,
                              max_iter=10, random_state=0), X, y)
    loaded = pickle.loads(pickle.dumps(est))
    before = loaded.network_.flat_params.copy()
    loaded.partial_fit(X, y)
    est.partial_fit(X, y)
    assert loaded.history_["learning_rate"][-1] == 0.01
    assert not np.array_equal(loaded.network_.flat_params, before)
    np.testing.assert_array_equal(loaded.network_.flat_params, est.network_.flat_params)


def test_invscaling_warm_fit_matches_sklearn(iris):
    X, y = iris
    kw = dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.05,
              warm_start=True, shuffle=False, max_iter=20, random_state=0)
    ours, theirs = MLPClassifier((10,), init="glorot_uniform", **kw), SkClassifier((10,), **kw)
    for _ in range(3):
        quiet(ours, X, y)
        quiet(theirs, X, y)
        for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    assert ours.t_ == theirs.t_ == 3 * 20 * 150


def test_adaptive_stop_says_learning_rate_too_small(iris, capsys):
    X, y = iris
    kw = dict(solver="sgd", learning_rate="adaptive", learning_rate_init=1e-5, tol=1.0,
              n_iter_no_change=1, max_iter=50, verbose=True, random_state=0)
    quiet(MLPClassifier((5,), **kw), X, y)
    ours = capsys.readouterr().out
    quiet(SkClassifier((5,), **kw), X, y)
    theirs = capsys.readouterr().out
    stop = "for 1 consecutive epochs. Learning rate too small. Stopping."
    assert stop in ours and stop in theirs
    assert ours.count("Setting learning rate to") == theirs.count("Setting learning rate to")


# ----------------------------------------------------------------------
# 4. the divergence guard
# ----------------------------------------------------------------------
def test_partial_fit_on_a_shifting_stream_raises_no_divergence_alarm():
    rng = np.random.RandomState(0)
    X, w = rng.randn(1000, 5), rng.randn(5)
    est = MLPRegressor(hidden_layer_sizes=(16,), random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        for k in range(10):
            rows = slice(100 * k, 100 * (k + 1))
            est.partial_fit(X[rows], (0.3 if k < 3 else 3.0) * X[rows] @ w)
    assert len(est.loss_curve_) == 10


@pytest.mark.filterwarnings("ignore:Stochastic Optimizer")
def test_blow_up_in_the_first_epoch_warns():
    """sknet 0.1 compared the last epoch with the first, which had blown up
    already: chance accuracy, a loss of ~1e6, and not a word."""
    X, y = load_digits(return_X_y=True)
    with pytest.warns(DivergenceWarning, match=r"first mini-batch it went from 2.29\d+ to \d\.\d+e\+06"):
        est = MLPClassifier(learning_rate_init=1e4, max_iter=5, random_state=0).fit(X / 16, y)
    assert est.loss_ > 1e4


def test_adam_early_spike_in_wide_layers_passes_the_threshold():
    """(512, 512) at 0.01 on a clean linear problem: the loss spikes ~21x for
    a couple of batches, then the fit reaches R^2 0.998. sknet 0.1 rejected
    it at divergence_threshold=10 (what the recipe uses)."""
    rng = np.random.RandomState(0)
    X = rng.randn(1000, 10)
    y = X @ rng.randn(10)
    est = quiet(MLPRegressor(hidden_layer_sizes=(512, 512), learning_rate_init=0.01,
                             max_iter=20, divergence_threshold=10, random_state=0), X, y)
    assert est.score(X, y) > 0.99


@pytest.mark.parametrize("losses, stops_at", [
    ([1.0, 124, 77, 70, 27, 6, 8, 9, 5, 3, 1.3, 0.8], None),  # Adam's transient
    ([1.0] + [20.0] * 12, 11),  # above the bar for PATIENCE batches
    ([1.0, 2.0, 2e4 + 1], 3),  # beyond SPIKE x the bar at once
    ([1.0, 3.0, np.inf], 3),
    ([1.0, 0.5, np.nan], 3),
])
def test_divergence_guard_rule(losses, stops_at):
    guard = DivergenceGuard(10.0, early_stopping=False, learning_rate_init=0.1)
    for i, loss in enumerate(losses, start=1):
        if i == stops_at:
            with pytest.raises(TrainingDivergedError) as info:
                guard.check_batch(loss, lr=0.1, n_iter=0)
            assert info.value.initial_loss == 1.0 and info.value.n_batches == i
            return
        guard.check_batch(loss, lr=0.1, n_iter=0)
    assert stops_at is None


def test_divergence_reference_is_each_calls_first_batch():
    rng = np.random.RandomState(0)
    X, w = rng.randn(200, 4), rng.randn(4)
    y = X @ w
    est = MLPRegressor(hidden_layer_sizes=(8,), batch_size=10, shuffle=False,
                       divergence_threshold=10, random_state=0)
    est.partial_fit(X[:100], y[:100])
    # Ten times the targets: a hundred times the loss, and no alarm.
    est.partial_fit(X[100:], 10 * y[100:])
    first = est.network_.evaluate_loss(X[:10], 10 * y[:10, None], alpha=est.alpha)
    est.set_params(learning_rate_init=1e3)
    with pytest.raises(TrainingDivergedError) as info:
        est.partial_fit(X[:100], 10 * y[:100])
    assert info.value.initial_loss == pytest.approx(first, rel=1e-12)


# ----------------------------------------------------------------------
# 5. warm starts and changed hyperparameters
# ----------------------------------------------------------------------
def test_warm_start_cannot_change_the_loss(linear):
    X, y = linear
    est = quiet(MLPRegressor(hidden_layer_sizes=(8,), warm_start=True, max_iter=5,
                             random_state=0), X, np.abs(y))
    weights = est.network_.flat_params.copy()
    for loss in ("poisson", "huber"):
        est.set_params(loss=loss)
        with pytest.raises(ValueError, match=f"cannot change the network's architecture.*'loss': '{loss}'"):
            est.fit(X, np.abs(y))
        assert est.out_activation_ == "identity"
        np.testing.assert_array_equal(est.network_.flat_params, weights)


@pytest.mark.parametrize("param, value, kind, attr", [
    ("leaky_relu_slope", 0.2, LeakyReLU, "slope"),
    ("elu_alpha", 0.5, ELU, "alpha"),
    ("batch_norm_momentum", 0.5, BatchNorm, "momentum"),
    ("batch_norm_epsilon", 1e-3, BatchNorm, "epsilon"),
    ("dropout", 0.3, Dropout, "rate"),
])
def test_warm_start_applies_changed_layer_settings(iris, param, value, kind, attr):
    X, y = iris
    activation = {"leaky_relu_slope": "leaky_relu", "elu_alpha": "elu"}.get(param, "relu")
    est = MLPClassifier((8,), activation=activation, batch_norm=kind is BatchNorm,
                        dropout=0.1 if kind is Dropout else 0.0, warm_start=True, max_iter=3,
                        random_state=0)
    quiet(est, X, y)
    est.set_params(**{param: value})
    quiet(est, X, y)
    assert getattr(layer(est, kind), attr) == value
    fresh = quiet(MLPClassifier((8,), activation=activation, batch_norm=kind is BatchNorm,
                                dropout=value if kind is Dropout else 0.0, random_state=0,
                                max_iter=3, **({} if kind is Dropout else {param: value})), X, y)
    assert getattr(layer(fresh, kind), attr) == value


def test_warm_start_cannot_switch_batch_norm_or_dropout_on(iris):
    X, y = iris
    est = quiet(MLPClassifier((8,), warm_start=True, max_iter=3, random_state=0), X, y)
    for change in ({"batch_norm": True}, {"dropout": 0.2}):
        with pytest.raises(ValueError, match="cannot change the network's architecture"):
            quiet(est.set_params(**change), X, y)
        est.set_params(batch_norm=False, dropout=0.0)


def test_partial_fit_reads_the_update_rule_parameters_of_each_call(iris):
    X, y = iris
    est = MLPClassifier((8,), random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    moments = est._training.optimizer.ms[0].copy()
    est.set_params(beta_1=0.5).partial_fit(X, y)
    optimizer = est._training.optimizer
    assert optimizer.beta_1 == 0.5 and optimizer.t == 2  # moments carried on
    assert not np.array_equal(optimizer.ms[0], moments)
    est.set_params(solver="sgd").partial_fit(X, y)
    assert type(est._training.optimizer) is sknet.optimizers.SGD


# ----------------------------------------------------------------------
# 6. targets of another kind than the fitted network's
# ----------------------------------------------------------------------
@pytest.mark.parametrize("shuffle", [True, False])
def test_label_indicator_after_a_multiclass_fit_is_refused(iris, shuffle):
    X, y = iris
    est = quiet(MLPClassifier((8,), warm_start=True, shuffle=shuffle, max_iter=5,
                              random_state=0), X, y)
    weights = est.network_.flat_params.copy()
    with pytest.raises(ValueError, match="not fitted with multilabel input"):
        est.fit(X, np.eye(3)[y])
    with pytest.raises(ValueError, match="not fitted with multilabel input"):
        est.partial_fit(X, np.eye(3)[y])
    np.testing.assert_array_equal(est.network_.flat_params, weights)
    assert est.t_ == 5 * 150 and est.out_activation_ == "softmax"


def test_other_numbers_of_labels_or_outputs_are_refused(iris):
    X, y = iris
    Y = np.eye(3)[y]
    est = quiet(MLPClassifier((8,), max_iter=5, random_state=0), X, Y)
    with pytest.raises(ValueError, match="y has 2 labels, but the network was fitted on 3"):
        est.partial_fit(X, Y[:, :2])
    reg = quiet(MLPRegressor(hidden_layer_sizes=(8,), warm_start=True, max_iter=5,
                             random_state=0), X, Y[:, 0])
    with pytest.raises(ValueError, match="y has 2 output"):
        reg.fit(X, Y[:, :2])


def test_encode_target_round_trip():
    classes = np.array(["a", "b", "c"])
    index = encode_target(["c", "a"], out_activation="softmax", n_outputs=3, classes=classes)
    assert index.tolist() == [2, 0]
    with pytest.raises(ValueError, match="labels not in classes_"):
        encode_target(["d"], out_activation="softmax", n_outputs=3, classes=classes)
    binary = encode_target([0, 1, 1], out_activation="logistic", n_outputs=1,
                           classes=np.array([0, 1]))
    assert binary.ravel().tolist() == [0.0, 1.0, 1.0]


# ----------------------------------------------------------------------
# 7.-9. early stopping
# ----------------------------------------------------------------------
def test_early_stopping_never_holds_out_rows_of_zero_weight():
    rng = np.random.RandomState(0)
    y = rng.randint(0, 2, 400)
    sw = np.zeros(400)
    sw[:40] = 1
    train, val = validation_split(y, sw, fraction=0.1, stratify=True,
                                  random_state=np.random.RandomState(0))
    assert val.shape[0] == 4 and sw[val].all()
    assert sorted(np.r_[train, val]) == list(range(400))
    with pytest.raises(ValueError, match="too small.*zero sample weight"):
        validation_split(y, np.r_[np.ones(9), np.zeros(391)], fraction=0.1, stratify=True,
                         random_state=np.random.RandomState(0))
    # Positive weights everywhere: scikit-learn's draw, unchanged.
    plain = validation_split(y, None, fraction=0.1, stratify=True,
                             random_state=np.random.RandomState(0))
    weighted = validation_split(y, np.full(400, 2.0), fraction=0.1, stratify=True,
                                random_state=np.random.RandomState(0))
    np.testing.assert_array_equal(plain[1], weighted[1])


def test_early_stopping_fits_where_stratification_is_impossible():
    rng = np.random.RandomState(0)
    X = rng.randn(30, 3)
    quiet(MLPClassifier(early_stopping=True, random_state=0), X, np.arange(30) % 4)
    single = np.r_[1, np.zeros(29, dtype=int)]  # scikit-learn raises here
    quiet(MLPClassifier(early_stopping=True, random_state=0), X, single)


def test_early_stopping_switched_on_and_off_for_warm_fits(iris):
    X, y = iris
    est = quiet(MLPClassifier((8,), warm_start=True, max_iter=4, random_state=0), X, y)
    assert est.validation_scores_ is None
    quiet(est.set_params(early_stopping=True), X, y)
    assert len(est.validation_scores_) == 4 and est.best_loss_ is None
    assert est.best_validation_score_ == max(est.validation_scores_)
    quiet(est.set_params(early_stopping=False), X, y)
    assert est.best_loss_ == min(est.loss_curve_[8:])
    assert len(est.loss_curve_) == 12


# ----------------------------------------------------------------------
# 10. Ctrl-C
# ----------------------------------------------------------------------
def interrupt_after(monkeypatch, n_steps, cls=sknet.optimizers.Adam):
    """Make the update rule raise KeyboardInterrupt at step n_steps + 1."""
    real = cls.step
    count = [0]

    def step(self, *args, **kwargs):
        count[0] += 1
        if count[0] > n_steps:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, "step", step)
    return count


def test_interrupt_keeps_completed_epochs_and_says_so(iris, monkeypatch):
    X, y = iris
    interrupt_after(monkeypatch, 2)  # one batch an epoch: epoch 3 is cut
    est = MLPClassifier((8,), random_state=0)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est.fit(X, y)
    assert est.stop_reason_ == "interrupted"
    assert est.n_iter_ == 2 and len(est.loss_curve_) == 2 and est.t_ == 300
    assert est._training.optimizer is None  # its moments may be half updated
    monkeypatch.undo()
    est.partial_fit(X, y)  # a new update rule
    assert est._training.optimizer.t == 1


def test_interrupt_in_the_first_epoch_leaves_the_estimator_unfitted(iris, monkeypatch):
    X, y = iris
    interrupt_after(monkeypatch, 0)
    est = MLPClassifier((8,), random_state=0)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


def test_interrupt_inside_a_job_raises_after_putting_the_estimator_in_order(iris, monkeypatch):
    X, y = iris
    interrupt_after(monkeypatch, 2)
    est = MLPClassifier((8,), random_state=0)
    with propagate_interrupts(), pytest.raises(KeyboardInterrupt):
        with pytest.warns(UserWarning, match="interrupted"):
            est.fit(X, y)
    assert est.stop_reason_ == "interrupted" and est.n_iter_ == 2


def test_interrupt_stops_the_whole_search(iris, monkeypatch):
    X, y = iris
    steps = interrupt_after(monkeypatch, 25)  # in the second candidate's first fold
    search = CoarseToFineSearchCV(
        MLPClassifier((4,), max_iter=20, random_state=0),
        {"alpha": [1e-4, 1e-3, 1e-2]}, n_stages=2, n_iter=3, cv=2, n_jobs=1, random_state=0,
    )
    with pytest.raises(KeyboardInterrupt), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    assert steps[0] == 26  # nothing ran after the interrupt
    assert not hasattr(search, "cv_results_")


# ----------------------------------------------------------------------
# 11. inputs so large that no usable model can come out
# ----------------------------------------------------------------------
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_inputs_of_order_1e100_raise_like_sklearn(solver):
    rng = np.random.RandomState(0)
    X = rng.randn(200, 4)
    est = MLPRegressor(solver=solver, max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=NONFINITE):
            est.fit(X * 1e100, X[:, 0])
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


# ----------------------------------------------------------------------
# 12. rollback is cheap: one checkpoint per continuing call, none for a new fit
# ----------------------------------------------------------------------
def test_one_checkpoint_per_call(iris, monkeypatch):
    X, y = iris
    taken = []
    real = Checkpoint.__init__

    def spy(self, network, state):
        taken.append(network)
        real(self, network, state)

    monkeypatch.setattr(Checkpoint, "__init__", spy)
    est = MLPClassifier((8,), max_iter=3, random_state=0)
    quiet(est, X, y)
    assert taken == []
    est.partial_fit(X, y)
    est.partial_fit(X, y)
    assert len(taken) == 2
    quiet(est.set_params(warm_start=True), X, y)
    assert len(taken) == 3


def test_mini_batches_drop_last_and_skip_weightless():
    X = np.arange(14.0).reshape(7, 2)
    sw = np.array([1, 1, 0, 0, 1, 1, 1.0])
    batches = MiniBatches(X, np.arange(7), sw, 2, shuffle=False)
    assert [b.target.tolist() for b in batches] == [[0, 1], [4, 5], [6]]
    assert [b.last for b in batches] == [False, False, True]
    dropped = MiniBatches(X, np.arange(7), None, 3, shuffle=False, drop_last=True)
    assert [b.n_rows for b in dropped] == [3, 3]


def test_estimator_pickled_by_sknet_0_1_continues(iris):
    """sknet 0.1 kept its training state in loose attributes; a model it
    pickled loads with a version warning and partial_fit continues its
    update rule."""
    from sknet.exceptions import InconsistentSknetVersionWarning

    X, y = iris
    est = quiet(MLPClassifier((8,), dropout=0.2, early_stopping=True, max_iter=5,
                              random_state=0), X, y)
    state = est.__getstate__()
    assert "_sknet_version" not in vars(est)  # pickling leaves the estimator alone
    training = state.pop("_training")
    best = training.best_params
    sizes = [p.size for p in est.network_.parameters()]
    state.update(
        _sknet_version="0.1.0",
        _optimizer=training.optimizer,
        _schedule=training.schedule,
        _no_improvement_count=training.no_improvement,
        _best_params=[a.reshape(p.shape) for a, p in zip(
            np.split(best, np.cumsum(sizes)[:-1]), est.network_.parameters())],
        _best_state=training.best_running,
        _arch={**state["_arch"], "dropout": 0.2},  # 0.1 stored the rate
    )
    old = MLPClassifier.__new__(MLPClassifier)
    with pytest.warns(InconsistentSknetVersionWarning, match="version 0.1.0"):
        old.__setstate__(pickle.loads(pickle.dumps(state)))
    assert not hasattr(old, "_optimizer")
    np.testing.assert_array_equal(old._training.best_params, best)
    assert old._training.epoch == 5 and old._training.optimizer.t == est._training.optimizer.t
    old.set_params(early_stopping=False).partial_fit(X, y)
    assert old._training.optimizer.t == est._training.optimizer.t + 1


# ----------------------------------------------------------------------
# siblings found after the first round (a review of the state machine)
# ----------------------------------------------------------------------
def test_early_stopping_off_then_on_again_starts_a_new_record(iris):
    X, y = iris
    est = quiet(MLPClassifier((20,), early_stopping=True, warm_start=True, max_iter=30,
                              learning_rate_init=0.01, random_state=0), X, y)
    first_best = est._training.best_params.copy()
    quiet(est.set_params(early_stopping=False, max_iter=5), X, y)
    assert est.validation_scores_ is None and est.best_validation_score_ is None
    quiet(est.set_params(early_stopping=True, max_iter=3), X, y)
    assert len(est.validation_scores_) == 3
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert not np.array_equal(est.network_.flat_params, first_best)


def test_partial_fit_validates_the_parameters_it_reads(iris):
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = iris
    est = MLPClassifier((8,), random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    weights = est.network_.flat_params.copy()
    for bad in ({"learning_rate_init": -0.05}, {"beta_1": 1.5}, {"leaky_relu_slope": -2.0}):
        with pytest.raises(InvalidParameterError):
            est.set_params(**bad).partial_fit(X, y)
        est.set_params(learning_rate_init=0.001, beta_1=0.9, leaky_relu_slope=0.01)
    np.testing.assert_array_equal(est.network_.flat_params, weights)


def test_partial_fit_revalidates_only_changed_parameters(iris, monkeypatch):
    X, y = iris
    est = MLPClassifier([8], random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    checks = []
    real = MLPClassifier._validate_params
    monkeypatch.setattr(MLPClassifier, "_validate_params",
                        lambda self: checks.append(1) or real(self))
    est.partial_fit(X, y)
    est.partial_fit(X, y)
    assert len(checks) == 1  # the first incremental call checks, the next one skips
    est.set_params(learning_rate_init=0.002).partial_fit(X, y)
    assert len(checks) == 2
    est.hidden_layer_sizes.append(4)  # edited in place: seen, checked (and refused
    with pytest.raises(ValueError, match="hidden_layer_sizes"):  # by the warm-start rule)
        est.partial_fit(X, y)
    assert len(checks) == 3


def test_class_weights_that_zero_every_row_are_refused(iris):
    X, y = iris
    with pytest.raises(ValueError, match="at least one non-zero"):
        MLPClassifier((8,), class_weight={0: 0, 1: 0, 2: 0}).fit(X, y)
    est = MLPClassifier((8,), class_weight={0: 0.0}, random_state=0)
    est.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="at least one non-zero"):
        est.partial_fit(X[y == 0], y[y == 0])
    assert est.t_ == 150 and est.best_loss_ > 0


def test_harder_batches_are_no_divergence_but_a_one_batch_blow_up_is():
    """The end of a call re-measures its first mini-batch: three outliers in
    other batches (an epoch mean 20x the first batch's) raise no alarm, and a
    partial_fit of a single mini-batch that blows up does."""
    rng = np.random.RandomState(0)
    X = rng.randn(2000, 5)
    y = X @ rng.randn(5) + 0.01 * rng.randn(2000)
    y[rng.choice(2000, 3, replace=False)] += 30.0
    est = quiet(MLPRegressor(hidden_layer_sizes=(16,), max_iter=100, learning_rate_init=0.01,
                             random_state=0), X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        for _ in range(3):
            est.partial_fit(X, y)
    est.set_params(learning_rate_init=10.0)
    with pytest.warns(DivergenceWarning, match="on the call's first mini-batch it went from"):
        est.partial_fit(X[:100], y[:100])


class _CtrlCAtEpochEnd:
    """A callback during whose epoch-end hook the user presses Ctrl-C."""

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        if context.task_name == "epoch":
            raise KeyboardInterrupt


def test_interrupt_after_a_partial_fit_epochs_updates_leaves_nothing(iris):
    X, y = iris
    est = MLPClassifier((8,), track_training=True, random_state=0)
    est.partial_fit(X, y, classes=[0, 1, 2])
    weights = est.network_.flat_params.copy()
    est.set_callbacks(_CtrlCAtEpochEnd())
    with pytest.raises(KeyboardInterrupt):
        est.partial_fit(X, y)
    assert est.t_ == 150 and len(est.loss_curve_) == 1
    np.testing.assert_array_equal(est.network_.flat_params, weights)
    assert est._training.optimizer is not None


def test_interrupt_during_an_epochs_bookkeeping_keeps_history_aligned(iris, monkeypatch):
    import sknet.training.telemetry as telemetry

    X, y = iris
    real, count = telemetry.Telemetry.record, [0]

    def record(self):
        count[0] += 1
        if count[0] == 3:
            raise KeyboardInterrupt
        return real(self)

    monkeypatch.setattr(telemetry.Telemetry, "record", record)
    with pytest.warns(UserWarning, match="interrupted"):
        est = MLPClassifier((8,), track_training=True, max_iter=10, random_state=0).fit(X, y)
    assert est.n_iter_ == 3
    assert {len(values) for values in est.history_.values()} == {3}
    assert np.isnan(est.history_["train_score"][-1])


@pytest.mark.parametrize("schedule", ["step", "invscaling", "adaptive", "cosine"])
def test_partial_fit_after_an_interrupted_fit_continues_the_schedule(iris, monkeypatch, schedule):
    X, y = iris
    plateaus = dict(n_iter_no_change=2, tol=0.5) if schedule == "adaptive" else {}
    kw = dict(solver="sgd", learning_rate=schedule, learning_rate_init=0.1, lr_step_size=3,
              max_iter=30, random_state=0, **plateaus)
    interrupt_after(monkeypatch, 12, cls=sknet.optimizers.SGD)
    with pytest.warns(UserWarning, match="interrupted"):
        est = MLPClassifier((8,), **kw).fit(X, y)
    monkeypatch.undo()
    reference = quiet(MLPClassifier((8,), **{**kw, "max_iter": 12}), X, y)
    assert est._training.epoch == reference._training.epoch == 12
    est.partial_fit(X, y)
    reference.set_params(max_iter=30).partial_fit(X, y)  # the same cycle length
    assert est.history_["learning_rate"][-1] == reference.history_["learning_rate"][-1]


def test_initialize_rolls_back_and_a_new_network_drops_the_old_training_record(iris):
    X, y = iris
    est = quiet(MLPClassifier((8,), max_iter=5, random_state=0), X, y)
    with pytest.raises(ValueError):
        est.initialize(np.c_[X, X], y.astype(float) + 0.5)
    assert est.n_features_in_ == 4 and est.predict(X).shape == (150,)
    est.initialize(X, y)
    assert not hasattr(est, "loss_") and not hasattr(est, "stop_reason_")
    quiet(est.set_params(solver="lbfgs"), X, y)
    assert not hasattr(est, "loss_curve_") and not hasattr(est, "best_loss_")


def test_lbfgs_verbose_counts_each_calls_iterations(iris, capsys):
    X, y = iris
    est = MLPClassifier((8,), solver="lbfgs", max_iter=3, warm_start=True, verbose=True,
                        random_state=0)
    quiet(est, X, y)
    quiet(est, X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines[-3:]] == [f"Iteration {i}" for i in (1, 2, 3)]


# ----------------------------------------------------------------------
# validation data handed to fit, and what early stopping scores
# ----------------------------------------------------------------------
def test_early_stopping_watches_the_validation_rows_given_to_fit(digits):
    X, y = digits
    X_train, y_train, X_val, y_val = X[:1200], y[:1200], X[1200:], y[1200:]
    est = quiet(MLPClassifier((16,), early_stopping=True, max_iter=30, random_state=0),
                X_train, y_train, X_val=X_val, y_val=y_val)
    assert est.t_ == est.n_iter_ * 1200  # no rows split off the training set
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.score(X_val, y_val) == est.best_validation_score_  # best epoch restored
    assert len(est.history_["val_loss"]) == est.n_iter_


def test_validation_rows_without_early_stopping_are_recorded(digits):
    X, y = digits
    est = quiet(MLPClassifier((16,), max_iter=5, random_state=0), X[:1200], y[:1200],
                X_val=X[1200:], y_val=y[1200:])
    assert est.validation_scores_ is None and est.t_ == 5 * 1200
    assert len(est.history_["val_loss"]) == len(est.history_["val_score"]) == 5
    assert est.history_["val_score"][-1] == est.score(X[1200:], y[1200:])


@pytest.mark.parametrize("scoring", ["loss", "balanced_accuracy"])
def test_early_stopping_scoring(digits, scoring):
    from sklearn.metrics import balanced_accuracy_score

    X, y = digits
    est = quiet(MLPClassifier((16,), early_stopping=True, scoring=scoring, max_iter=8,
                              random_state=0), X[:1200], y[:1200],
                X_val=X[1200:], y_val=y[1200:])
    if scoring == "loss":
        np.testing.assert_allclose(est.validation_scores_,
                                   -np.asarray(est.history_["val_loss"]))
    else:
        assert est.validation_scores_ == est.history_["val_score"]
        predicted = est.predict(X[1200:])  # the restored best epoch
        assert est.best_validation_score_ == balanced_accuracy_score(y[1200:], predicted)


def test_validation_rows_through_a_pipeline(digits):
    from sklearn import config_context
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = digits
    X = X * 16 + 100  # far from scaled: an untransformed X_val would score badly
    with config_context(enable_metadata_routing=True):
        mlp = MLPClassifier((16,), early_stopping=True, max_iter=20, random_state=0)
        pipe = Pipeline([("scale", StandardScaler()),
                         ("mlp", mlp.set_fit_request(X_val=True, y_val=True))],
                        transform_input=["X_val"])
        quiet(pipe, X[:1200], y[:1200], X_val=X[1200:], y_val=y[1200:])
    # the validation rows were scaled like the training rows (unscaled: ~0.1)
    assert pipe[-1].best_validation_score_ == pipe.score(X[1200:], y[1200:]) > 0.6


def test_bad_validation_rows_are_refused(iris):
    X, y = iris
    est = MLPClassifier((4,), max_iter=2, random_state=0)
    with pytest.raises(ValueError, match="X_val and y_val must be given together"):
        est.fit(X, y, X_val=X)
    with pytest.raises(ValueError, match="labels not in classes_"):
        est.fit(X, y, X_val=X[:5], y_val=np.array([0, 1, 2, 3, 3]))
    with pytest.raises(ValueError, match="features"):
        est.fit(X, y, X_val=X[:, :3], y_val=y)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


# ----------------------------------------------------------------------
# training options: gradient clipping, decoupled weight decay, warm-up, smoothing
# ----------------------------------------------------------------------
def _one_sgd_step(X, y, **params):
    """The initial flat weights, their gradient, and the weights after one SGD step."""
    kw = dict(hidden_layer_sizes=(6,), solver="sgd", momentum=0.0, learning_rate_init=0.1,
              batch_size=len(X), max_iter=1, shuffle=False, random_state=0, **params)
    start = MLPClassifier(**kw).initialize(X, y)
    w0 = start.network_.flat_params.copy()
    target = encode_target(y, out_activation="softmax", n_outputs=3, classes=start.classes_)
    start.network_.loss_and_gradients(X, target, alpha=start.alpha)
    grad = start.network_.flat_grads.copy()
    stepped = quiet(MLPClassifier(**kw), X, y)
    return w0, grad, stepped


def test_max_grad_norm_clips_the_global_norm(iris):
    X, y = iris
    w0, grad, est = _one_sgd_step(X, y, max_grad_norm=1e-3)
    assert np.linalg.norm(grad) > 1e-2
    np.testing.assert_allclose(est.network_.flat_params, w0 - 0.1 * 1e-3 * grad / np.linalg.norm(grad),
                               rtol=1e-12, atol=1e-15)


def test_weight_decay_is_decoupled_and_spares_biases(iris):
    X, y = iris
    w0, grad, est = _one_sgd_step(X, y, weight_decay=0.5)
    mask = est.network_.weight_mask()
    assert mask.sum() == sum(W.size for W in est.coefs_)
    expected = w0 * (1 - 0.1 * 0.5 * mask) - 0.1 * grad
    np.testing.assert_allclose(est.network_.flat_params, expected, rtol=1e-12, atol=1e-15)


def test_adamw_is_adam_with_decoupled_decay(iris):
    # One full-batch step of AdamW against its formula (Loshchilov & Hutter,
    # 2019, Algorithm 2): the Adam step from the gradient alone, and the
    # weights (not biases) shrunk by lr * weight_decay; None means 0.01.
    X, y = iris
    kw = dict(hidden_layer_sizes=(6,), solver="adamw", learning_rate_init=0.01,
              batch_size=len(X), max_iter=1, shuffle=False, random_state=0)
    start = MLPClassifier(**kw).initialize(X, y)
    w0 = start.network_.flat_params.copy()
    target = encode_target(y, out_activation="softmax", n_outputs=3, classes=start.classes_)
    start.network_.loss_and_gradients(X, target, alpha=start.alpha)
    g = start.network_.flat_grads.copy()
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.01
    adam_step = lr * np.sqrt(1 - b2) / (1 - b1) * ((1 - b1) * g) / (np.sqrt((1 - b2) * g**2) + eps)
    mask = start.network_.weight_mask()
    stepped = quiet(MLPClassifier(**kw), X, y)
    np.testing.assert_allclose(stepped.network_.flat_params,
                               w0 * (1 - lr * 0.01 * mask) - adam_step, rtol=1e-10, atol=1e-13)
    as_adam = quiet(MLPClassifier(**{**kw, "solver": "adam"}, weight_decay=0.01), X, y)
    np.testing.assert_array_equal(stepped.network_.flat_params, as_adam.network_.flat_params)
    no_decay = quiet(MLPClassifier(**kw, weight_decay=0.0), X, y)
    plain = quiet(MLPClassifier(**{**kw, "solver": "adam"}), X, y)
    np.testing.assert_array_equal(no_decay.network_.flat_params, plain.network_.flat_params)


def test_warmup_ramps_the_learning_rate_linearly(iris):
    X, y = iris
    est = quiet(MLPClassifier((4,), learning_rate_init=0.01, warmup_epochs=3, max_iter=6,
                              random_state=0), X, y)
    np.testing.assert_allclose(est.history_["learning_rate"],
                               [0.0025, 0.005, 0.0075, 0.01, 0.01, 0.01])


@pytest.mark.parametrize("loss_cls, target", [
    ("SoftmaxCrossEntropy", np.array([0, 2, 1, 2])),
    ("SigmoidCrossEntropy", np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])),
])
def test_label_smoothing_gradient_and_chance_loss(loss_cls, target):
    import sknet.losses
    from sknet.diagnostics import numerical_gradient

    loss = getattr(sknet.losses, loss_cls)(label_smoothing=0.2)
    Z = np.random.RandomState(0).normal(size=(4, 3 if target.ndim == 1 else 2))
    _, dZ = loss(Z.copy(), target)
    np.testing.assert_allclose(dZ, numerical_gradient(lambda: loss(Z.copy(), target)[0], Z),
                               rtol=1e-6, atol=1e-9)
    chance = np.log(3) if target.ndim == 1 else 2 * np.log(2)
    assert loss(np.zeros_like(Z), target)[0] == pytest.approx(chance)


def test_label_smoothing_tempers_the_probabilities(iris):
    X, y = iris
    plain = quiet(MLPClassifier((16,), max_iter=300, random_state=0), X, y)
    smooth = quiet(MLPClassifier((16,), label_smoothing=0.3, max_iter=300, random_state=0),
                   X, y)
    # On the separable setosa rows the smoothed optimum puts
    # 1 - 0.3 + 0.3 / 3 = 0.8 on the true class; the plain loss goes toward 1.
    setosa = X[y == 0]
    assert plain.predict_proba(setosa)[:, 0].mean() > 0.95
    assert smooth.predict_proba(setosa)[:, 0].mean() == pytest.approx(0.8, abs=0.05)
    assert smooth.score(X, y) > 0.9


def test_huber_loss_formula_gradient_and_robustness():
    from sknet.diagnostics import numerical_gradient
    from sknet.losses import Huber

    Z = np.array([[0.5, 3.0], [-2.0, 0.1]])
    Y = np.zeros_like(Z)
    value, dZ = Huber(delta=1.0)(Z.copy(), Y)
    # 0.125 + (3 - 0.5) + (2 - 0.5) + 0.005, averaged over 2 rows and 2 outputs
    assert value == pytest.approx((0.125 + 2.5 + 1.5 + 0.005) / 4)
    np.testing.assert_allclose(dZ, [[0.125, 0.25], [-0.25, 0.025]])
    Z = np.random.RandomState(0).normal(size=(5, 2)) * 3
    loss = Huber(delta=0.7)
    np.testing.assert_allclose(loss(Z.copy(), Y[:1].repeat(5, 0))[1],
                               numerical_gradient(lambda: loss(Z.copy(), np.zeros((5, 2)))[0], Z),
                               rtol=1e-6, atol=1e-9)
    # a few wild targets pull a Huber fit far less than a squared-error one
    rng = np.random.RandomState(0)
    X = rng.randn(400, 3)
    y = X @ np.array([1.0, -2.0, 0.5])
    y_dirty = y.copy()
    y_dirty[:8] += 80.0
    fits = {loss: quiet(MLPRegressor(hidden_layer_sizes=(16,), loss=loss, max_iter=300,
                                     random_state=0), X, y_dirty)
            for loss in ("squared_error", "huber")}
    errors = {loss: np.abs(est.predict(X[8:]) - y[8:]).mean() for loss, est in fits.items()}
    assert errors["huber"] < 0.5 * errors["squared_error"]
