"""The estimators' own features: the lecture's choices as constructor parameters."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import RandomizedSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknet import MLPClassifier, MLPRegressor
from sknet.exceptions import TrainingDivergedError
from sknet.layers import BatchNorm, Dropout, Maxout, PReLU


@pytest.fixture(scope="module")
def digits():  # split and standardized (the shared one is scaled to [0, 1])
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


from helpers import quiet_fit  # noqa: E402


@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop", "adagrad"])
@pytest.mark.parametrize(
    "learning_rate", ["constant", "invscaling", "adaptive", "step", "exponential", "cosine"]
)
def test_every_schedule_trains_with_every_solver(digits, solver, learning_rate):
    X_train, X_test, y_train, y_test = digits
    lr = {"sgd": 0.1, "adam": 0.003, "rmsprop": 0.003, "adagrad": 0.05}[solver]
    if learning_rate == "invscaling":
        lr *= 5  # (t + 1) ** -0.25 shrinks the rate ~6x after the first epoch
    clf = MLPClassifier(
        hidden_layer_sizes=(64,),
        solver=solver,
        learning_rate=learning_rate,
        learning_rate_init=lr,
        lr_step_size=5,
        power_t=0.25,
        max_iter=25,
        random_state=0,
    )
    quiet_fit(clf, X_train, y_train)
    rates = clf.history_["learning_rate"]
    assert len(rates) == clf.n_iter_ == len(clf.loss_curve_)
    if learning_rate in ("step", "exponential", "cosine", "invscaling"):
        assert rates[-1] < rates[0]
    if learning_rate == "step":
        assert rates[5] == pytest.approx(rates[0] * 0.5)
    if learning_rate == "exponential":
        assert rates[1] == pytest.approx(rates[0] * 0.5 ** (1 / 5))
    assert clf.score(X_test, y_test) > 0.9


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", [{}, {"batch_norm": True}, {"activation": "prelu"}, {"solver": "lbfgs"}])
def test_dtype_is_preserved_end_to_end(digits, dtype, kw):
    X_train, X_test, y_train, _ = digits
    clf = quiet_fit(
        MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0, **kw),
        X_train.astype(dtype),
        y_train,
    )
    assert all(p.dtype == dtype for p in clf.network_.parameters())
    assert all(s.dtype == dtype for s in clf.network_.named_state().values())
    assert clf.predict_proba(X_test.astype(dtype)).dtype == dtype
    reg = quiet_fit(
        MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0, **kw),
        X_train.astype(dtype),
        y_train.astype(float),
    )
    assert reg.predict(X_test.astype(dtype)).dtype == dtype


@pytest.mark.parametrize("kw", [{}, {"dropout": 0.3, "batch_norm": True}, {"solver": "sgd"}])
def test_same_seed_gives_bit_identical_weights(digits, kw):
    X_train, _, y_train, _ = digits
    fits = [
        quiet_fit(MLPClassifier(hidden_layer_sizes=(16,), max_iter=4, random_state=7, **kw), X_train, y_train)
        for _ in range(2)
    ]
    for a, b in zip(fits[0].network_.parameters(), fits[1].network_.parameters()):
        assert np.array_equal(a, b)
    other = quiet_fit(
        MLPClassifier(hidden_layer_sizes=(16,), max_iter=4, random_state=8, **kw), X_train, y_train
    )
    assert not np.array_equal(other.coefs_[0], fits[0].coefs_[0])


def test_network_and_history_attributes(digits):
    X_train, X_test, y_train, _ = digits
    clf = quiet_fit(
        MLPClassifier(
            hidden_layer_sizes=(32, 16),
            activation="maxout",
            maxout_pieces=3,
            batch_norm=True,
            dropout=0.2,
            early_stopping=True,
            max_iter=15,
            random_state=0,
        ),
        X_train,
        y_train,
    )
    net = clf.network_
    kinds = [type(layer) for _, layer in net.layers]
    assert kinds.count(BatchNorm) == 2 and kinds.count(Maxout) == 2 and kinds.count(Dropout) == 2
    # Maxout: k times the weights; coefs_ are the network's own arrays.
    assert [W.shape for W in clf.coefs_] == [(64, 96), (32, 48), (16, 10)]
    assert all(W is P for W, P in zip(clf.coefs_, net.coefs))
    outputs = net.layer_outputs(X_test[:5])
    assert [name for name, _ in outputs][:4] == ["dense0", "batchnorm0", "maxout0", "dropout0"]
    assert outputs[2][1].shape == (5, 32)
    assert set(clf.history_) == {"loss", "learning_rate", "seconds", "val_loss", "val_score"}
    assert all(len(v) == clf.n_iter_ for v in clf.history_.values())
    assert clf.history_["val_score"] == clf.validation_scores_
    assert clf.n_layers_ == 4 and clf.out_activation_ == "softmax"


def test_batch_norm_predicts_with_running_statistics(digits):
    X_train, X_test, y_train, _ = digits
    clf = quiet_fit(
        MLPClassifier(hidden_layer_sizes=(32,), batch_norm=True, max_iter=10, random_state=0),
        X_train,
        y_train,
    )
    bn = clf.network_.layers[1][1]
    assert not np.allclose(bn.state["running_mean"], 0)
    one_by_one = np.vstack([clf.predict_proba(X_test[i : i + 1]) for i in range(10)])
    assert np.allclose(one_by_one, clf.predict_proba(X_test[:10]))
    # A cold refit starts the running statistics afresh.
    first = bn.state["running_mean"].copy()
    quiet_fit(clf, X_train, y_train)
    assert np.array_equal(clf.network_.layers[1][1].state["running_mean"], first)


def test_lbfgs_batch_norm_uses_full_data_statistics(digits):
    X_train, _, y_train, _ = digits
    clf = quiet_fit(
        MLPClassifier(hidden_layer_sizes=(16,), batch_norm=True, solver="lbfgs", max_iter=20, random_state=0),
        X_train,
        y_train,
    )
    pre = clf.network_.layer_outputs(X_train)[0][1]
    bn = clf.network_.layers[1][1]
    assert np.allclose(bn.state["running_mean"], pre.mean(axis=0))
    assert np.allclose(bn.state["running_var"], pre.var(axis=0))


def test_prelu_slopes_are_learned(digits):
    X_train, _, y_train, _ = digits
    clf = quiet_fit(
        MLPClassifier(hidden_layer_sizes=(16,), activation="prelu", max_iter=10, random_state=0),
        X_train,
        y_train,
    )
    layer = clf.network_.layers[1][1]
    assert isinstance(layer, PReLU)
    slopes = layer.params["slope"]
    assert slopes.shape == (16,) and not np.allclose(slopes, 0.25)
    restored = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(restored.network_.layers[1][1].params["slope"], slopes)


@pytest.mark.parametrize("init, expected_std", [("xavier", 1 / 8), ("he", np.sqrt(2) / 8), ("normal", 0.05)])
def test_init_schemes_set_first_layer_scale(init, expected_std):
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(50, 64)), rng.randint(0, 2, size=50)
    clf = MLPClassifier(
        hidden_layer_sizes=(2000,), init=init, init_scale=0.05, max_iter=1,
        learning_rate_init=1e-12, random_state=0,
    )
    quiet_fit(clf, X, y)
    assert clf.coefs_[0].std() == pytest.approx(expected_std, rel=0.03)


def test_auto_init_and_bias_init():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(50, 64)), rng.randint(0, 2, size=50)

    def first_layer(**kw):
        clf = MLPClassifier(hidden_layer_sizes=(2000, 3), max_iter=1, learning_rate_init=1e-12, random_state=0, **kw)
        return quiet_fit(clf, X, y)

    assert first_layer(activation="relu").coefs_[0].std() == pytest.approx(np.sqrt(2) / 8, rel=0.03)
    assert first_layer(activation="tanh").coefs_[0].std() == pytest.approx(1 / 8, rel=0.03)
    clf = first_layer(bias_init=0.01)
    assert np.allclose(clf.intercepts_[0], 0.01, atol=1e-6)
    assert np.allclose(clf.intercepts_[1], 0.01, atol=1e-6)
    assert not np.allclose(clf.intercepts_[2], 0.01, atol=1e-6)


def test_divergence_threshold_stops_at_once_and_leaves_estimator_unchanged(digits):
    X_train, _, y_train, _ = digits
    clf = MLPClassifier(
        hidden_layer_sizes=(32,), solver="sgd", momentum=0.0, learning_rate_init=50.0,
        divergence_threshold=3.0, max_iter=50, random_state=0,
    )
    with pytest.raises(TrainingDivergedError, match="divergence_threshold=3.0") as info:
        clf.fit(X_train, y_train)
    assert info.value.n_iter == 0  # caught inside the first epoch
    assert info.value.n_batches < 7
    assert not hasattr(clf, "coefs_")
    sane = clf.set_params(learning_rate_init=0.01)
    quiet_fit(sane, X_train, y_train)
    assert sane.n_iter_ > 1


def test_class_weight_shifts_predictions():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 2))
    y = (X[:, 0] + 0.8 * rng.normal(size=400) > 0).astype(int)
    plain = quiet_fit(MLPClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=0), X, y)
    weighted = quiet_fit(
        MLPClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=0, class_weight={0: 10}), X, y
    )
    assert (weighted.predict(X) == 0).mean() > (plain.predict(X) == 0).mean() + 0.1
    balanced = MLPClassifier(max_iter=5, class_weight="balanced", random_state=0)
    with pytest.raises(ValueError, match="balanced"):
        balanced.partial_fit(X, y, classes=[0, 1])


def test_randomized_search_sets_every_lecture_option(digits):
    X_train, X_test, y_train, y_test = digits
    space = {
        "mlpclassifier__activation": ["relu", "leaky_relu", "elu", "prelu", "maxout", "tanh"],
        "mlpclassifier__init": ["xavier", "he", "auto"],
        "mlpclassifier__batch_norm": [True, False],
        "mlpclassifier__dropout": [0.0, 0.1],
        "mlpclassifier__solver": ["adam", "rmsprop"],
        "mlpclassifier__learning_rate": ["constant", "cosine", "step"],
    }
    pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(32,), max_iter=15, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = RandomizedSearchCV(pipe, space, n_iter=4, cv=2, random_state=0, error_score="raise")
        search.fit(X_train, y_train)
    assert search.score(X_test, y_test) > 0.9


def test_regressor_multi_output_and_poisson():
    X, y = make_regression(n_samples=200, n_features=6, n_targets=3, random_state=0)
    reg = quiet_fit(MLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs", max_iter=300, random_state=0), X, y / 100)
    assert reg.predict(X).shape == (200, 3) and reg.n_outputs_ == 3
    assert reg.score(X, y / 100) > 0.95
    rng = np.random.RandomState(0)
    Xp = rng.normal(size=(1000, 3))
    counts = rng.poisson(np.exp(0.5 * Xp[:, 0]))
    pois = quiet_fit(
        MLPRegressor(loss="poisson", hidden_layer_sizes=(8,), solver="lbfgs", max_iter=200, random_state=0),
        Xp,
        counts,
    )
    assert pois.out_activation_ == "exp"
    assert (pois.predict(Xp) > 0).all()
    assert np.corrcoef(pois.predict(Xp), np.exp(0.5 * Xp[:, 0]))[0, 1] > 0.9
    with pytest.raises(ValueError, match="negative"):
        MLPRegressor(loss="poisson").fit(Xp, counts - 5)


def test_overflow_surfaces_as_one_clear_error_not_numpy_warnings():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no "overflow encountered"
        with pytest.raises(ValueError, match="non-finite .* learning_rate_init=10"):
            MLPRegressor(solver="sgd", learning_rate_init=10, random_state=0).fit(X, X[:, 0] * 100)
