"""Drop-in parity with scikit-learn's MLPClassifier / MLPRegressor.

Each scenario runs scikit-learn's estimator and sknet's side by side on the
same data with the same parameters and asserts the same public behaviour:
parameters and defaults, fitted attributes (present / absent, type, shape,
dtype), exceptions and warnings, scores. With ``init='glorot_uniform'`` sknet
draws exactly scikit-learn's initial weights, so several runs are compared
number for number.
"""

import inspect
import pickle
import re
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor

import sknet
from sknet import MLPClassifier, MLPRegressor
from sknet.exceptions import InconsistentSknetVersionWarning

PAIRS = [(SkClassifier, MLPClassifier), (SkRegressor, MLPRegressor)]
PAIR_IDS = ["classifier", "regressor"]
SOLVERS = ["lbfgs", "sgd", "adam"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.randn(60, 4)
    y_bin = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    y_3 = np.digitize(X[:, 0], [-0.5, 0.5])
    y_reg = X[:, 0] + 0.5 * X[:, 1] - 0.2 * X[:, 2]
    return X, y_bin, y_3, y_reg


def _target(est_cls, data, multiclass=True):
    X, y_bin, y_3, y_reg = data
    if issubclass(est_cls, (SkRegressor, MLPRegressor)):
        return y_reg
    return y_3 if multiclass else y_bin


from helpers import quiet_fit as _quiet_fit  # noqa: E402


def _public_attrs(est):
    """Public fitted attributes as (kind, shape, dtype) summaries."""
    out = {}
    for key, value in vars(est).items():
        if not key.endswith("_") or key.startswith("_"):
            continue
        if isinstance(value, np.ndarray):
            out[key] = ("ndarray", value.shape, value.dtype)
        elif isinstance(value, list):
            inner = value[0] if value else None
            kinds = (
                ("ndarray", inner.shape, inner.dtype)
                if isinstance(inner, np.ndarray)
                else type(inner)
            )
            out[key] = ("list", len(value), kinds)
        elif isinstance(value, (float, np.floating)):
            out[key] = ("float", np.asarray(value).dtype)
        elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            out[key] = ("int",)
        else:
            out[key] = (type(value).__name__,)
    return out


# ----------------------------------------------------------------------
# parameters
# ----------------------------------------------------------------------
@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_every_sklearn_parameter_exists_with_the_same_default(sk_cls, our_cls):
    ours = our_cls().get_params()
    for name, default in sk_cls().get_params().items():
        assert name in ours, f"sknet lacks scikit-learn's parameter {name!r}"
        assert ours[name] == default, (name, default, ours[name])


@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_positional_parameters_in_the_same_order(sk_cls, our_cls):
    def positional(cls):
        return [
            p.name
            for p in inspect.signature(cls).parameters.values()
            if p.kind == p.POSITIONAL_OR_KEYWORD
        ]

    assert positional(our_cls) == positional(sk_cls)


def test_extra_parameters_have_sklearn_neutral_defaults():
    # sknet's additions must not change what a scikit-learn user gets,
    # except the documented default init ('auto', He/Xavier).
    params = MLPClassifier().get_params()
    assert params["batch_norm"] is False
    assert params["dropout"] == 0.0
    assert params["divergence_threshold"] is None
    assert params["bias_init"] is None
    assert params["class_weight"] is None
    assert params["init"] == "auto"
    assert params["scoring"] is None and params["max_grad_norm"] is None
    assert params["weight_decay"] is None and params["warmup_epochs"] == 0
    assert params["label_smoothing"] == 0.0


# ----------------------------------------------------------------------
# fitted attributes
# ----------------------------------------------------------------------
@pytest.mark.parametrize("early_stopping", [False, True], ids=["", "early_stopping"])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_same_fitted_attributes(sk_cls, our_cls, solver, early_stopping, data):
    if solver == "lbfgs" and early_stopping:
        pytest.skip("early_stopping only applies to stochastic solvers")
    X = data[0]
    y = _target(sk_cls, data)
    params = dict(
        hidden_layer_sizes=(5, 3),
        solver=solver,
        max_iter=15,
        random_state=0,
        early_stopping=early_stopping,
    )
    sk = _quiet_fit(sk_cls(**params), X, y)
    ours = _quiet_fit(our_cls(**params), X, y)
    sk_attrs, our_attrs = _public_attrs(sk), _public_attrs(ours)
    # sknet adds the network object and the per-epoch history, nothing else.
    assert set(our_attrs) - set(sk_attrs) == {"network_", "history_", "stop_reason_"}
    assert set(sk_attrs) == set(our_attrs) & set(sk_attrs)
    for key in sk_attrs:
        if key in ("loss_curve_", "validation_scores_") and sk_attrs[key][0] == "list":
            # Lengths may differ (stopping epoch); the kind of element may not.
            assert our_attrs[key][0] == "list"
            continue
        assert our_attrs[key] == sk_attrs[key], key
    assert [c.shape for c in ours.coefs_] == [c.shape for c in sk.coefs_]
    assert [b.shape for b in ours.intercepts_] == [b.shape for b in sk.intercepts_]
    if solver == "lbfgs":
        for absent in ("loss_curve_", "best_loss_", "validation_scores_"):
            assert not hasattr(sk, absent) and not hasattr(ours, absent)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_loss_attributes_are_numpy_float64(solver, dtype, data):
    X, y = data[0].astype(dtype), data[2]
    for cls in (SkClassifier, MLPClassifier):
        est = _quiet_fit(cls(hidden_layer_sizes=(3,), solver=solver, max_iter=3), X, y)
        assert type(est.loss_) is np.float64
        if solver != "lbfgs":
            assert type(est.best_loss_) is np.float64
            assert all(type(v) is np.float64 for v in est.loss_curve_)


@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_unfitted_has_no_fitted_attributes_and_raises_not_fitted(sk_cls, our_cls, data):
    X = data[0]
    for est in (sk_cls(), our_cls()):
        assert not [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]
        with pytest.raises(NotFittedError, match="is not fitted yet"):
            est.predict(X)


# ----------------------------------------------------------------------
# numbers: glorot init reproduces scikit-learn's runs
# ----------------------------------------------------------------------
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_glorot_init_reproduces_sklearn(sk_cls, our_cls, solver, data):
    X = data[0]
    y = _target(sk_cls, data)
    params = dict(hidden_layer_sizes=(6,), solver=solver, max_iter=25, random_state=0)
    if solver == "sgd":
        params["learning_rate_init"] = 0.05
    sk = _quiet_fit(sk_cls(**params), X, y)
    ours = _quiet_fit(our_cls(init="glorot_uniform", **params), X, y)
    assert ours.n_iter_ == sk.n_iter_
    for a, b in zip(sk.coefs_ + sk.intercepts_, ours.coefs_ + ours.intercepts_):
        np.testing.assert_allclose(b, a, rtol=1e-7, atol=1e-9)
    if solver != "lbfgs":
        np.testing.assert_allclose(ours.loss_curve_, sk.loss_curve_, rtol=1e-9)
    assert ours.score(X, y) == pytest.approx(sk.score(X, y), abs=1e-9)


def test_glorot_init_first_draw_is_sklearns(data):
    X, y = data[0], data[2]
    sk = _quiet_fit(SkClassifier((7, 5), max_iter=1, random_state=3, learning_rate_init=1e-12), X, y)
    ours = _quiet_fit(
        MLPClassifier((7, 5), max_iter=1, random_state=3, learning_rate_init=1e-12,
                      init="glorot_uniform"),
        X, y,
    )
    for a, b in zip(sk.coefs_, ours.coefs_):
        np.testing.assert_allclose(b, a, rtol=1e-9)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_default_init_scores_within_tolerance(sk_cls, our_cls, solver, data):
    # sknet's default init differs ('auto'); the model quality must not.
    X = data[0]
    y = _target(sk_cls, data)
    params = dict(hidden_layer_sizes=(16,), solver=solver, max_iter=150, random_state=0)
    if solver == "sgd":
        params["learning_rate_init"] = 0.1
    sk = _quiet_fit(sk_cls(**params), X, y).score(X, y)
    ours = _quiet_fit(our_cls(**params), X, y).score(X, y)
    assert ours >= sk - 0.1, (ours, sk)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_regressor_losses_match_sklearn(loss, data):
    X = data[0]
    y = np.exp(0.5 * X[:, 0]) if loss == "poisson" else data[3]
    params = dict(loss=loss, hidden_layer_sizes=(5,), solver="lbfgs", max_iter=40, random_state=0)
    sk = _quiet_fit(SkRegressor(**params), X, y)
    ours = _quiet_fit(MLPRegressor(init="glorot_uniform", **params), X, y)
    assert ours.out_activation_ == sk.out_activation_
    np.testing.assert_allclose(ours.predict(X), sk.predict(X), rtol=1e-6, atol=1e-8)
    assert ours.loss_ == pytest.approx(sk.loss_, rel=1e-7)


def test_poisson_rejects_negative_targets(data):
    # Deliberate difference: scikit-learn 1.9.1 trains a Poisson model on
    # negative targets without a word (the deviance is undefined there).
    X = data[0]
    y = data[3]  # has negative values
    _quiet_fit(SkRegressor(loss="poisson", max_iter=5), X, y)
    with pytest.raises(ValueError, match="negative"):
        MLPRegressor(loss="poisson", max_iter=5).fit(X, y)


# ----------------------------------------------------------------------
# dtypes and containers
# ----------------------------------------------------------------------
@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_float32_preserved(sk_cls, our_cls, data):
    X = data[0].astype(np.float32)
    y = _target(sk_cls, data)
    for cls in (sk_cls, our_cls):
        est = _quiet_fit(cls(hidden_layer_sizes=(5,), max_iter=5, random_state=0), X, y)
        assert all(c.dtype == np.float32 for c in est.coefs_ + est.intercepts_)
        out = est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)
        assert out.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float16, np.int64, np.uint8, bool])
def test_other_input_dtypes_become_float64(dtype, data):
    X = (data[0] > 0).astype(dtype) if dtype is bool else (data[0] * 3).astype(dtype)
    y = data[1]
    for cls in (SkClassifier, MLPClassifier):
        est = _quiet_fit(cls(hidden_layer_sizes=(5,), max_iter=5, random_state=0), X, y)
        assert est.coefs_[0].dtype == np.float64
        assert est.predict_proba(X).dtype == np.float64


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_sparse_input_same_as_dense(sk_cls, our_cls, fmt, data, monkeypatch):
    X = sp.random(60, 4, density=0.5, format=fmt, random_state=0)
    y = _target(sk_cls, data)
    dense = _quiet_fit(
        our_cls(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=30, random_state=0),
        X.toarray(), y,
    )

    def refuse(self, *args, **kwargs):
        raise AssertionError("sparse input was densified")

    # Any densification, by sknet or anything it calls, fails the test.
    monkeypatch.setattr(sp._compressed._cs_matrix, "toarray", refuse)
    monkeypatch.setattr(sp._base._spbase, "toarray", refuse)
    monkeypatch.setattr(sp._base._spbase, "todense", refuse)
    sparse = _quiet_fit(
        our_cls(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=30, random_state=0), X, y
    )
    pred = sparse.predict(X)
    monkeypatch.undo()
    np.testing.assert_allclose(pred, dense.predict(X.toarray()), atol=1e-10)


@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_dataframe_feature_names_and_warnings(sk_cls, our_cls, data):
    pd = pytest.importorskip("pandas")
    X = data[0]
    y = _target(sk_cls, data)
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    for cls in (sk_cls, our_cls):
        est = _quiet_fit(cls(hidden_layer_sizes=(5,), max_iter=5, random_state=0), df, y)
        np.testing.assert_array_equal(est.feature_names_in_, ["a", "b", "c", "d"])
        assert est.n_features_in_ == 4
        name = cls.__name__
        with pytest.warns(UserWarning, match=f"X does not have valid feature names, but {name}"):
            est.predict(X)
        with pytest.raises(ValueError, match="The feature names should match"):
            est.predict(df[["b", "a", "c", "d"]])


def test_list_input(data):
    X, y = data[0].tolist(), data[1].tolist()
    for cls in (SkClassifier, MLPClassifier):
        est = _quiet_fit(cls(hidden_layer_sizes=(5,), max_iter=5, random_state=0), X, y)
        assert est.predict(X).shape == (60,)


@pytest.mark.parametrize(
    "labels",
    [
        pytest.param(lambda y: np.array(["ant", "bee", "cat"])[y], id="str"),
        pytest.param(lambda y: np.array(["ant", "bee", "cat"], dtype=object)[y], id="object"),
        pytest.param(lambda y: y > 0, id="bool"),
        pytest.param(lambda y: y.astype(float), id="float"),
        pytest.param(lambda y: np.where(y > 0, 1, -1), id="plus_minus_one"),
    ],
)
def test_label_types_and_prediction_dtype(labels, data):
    X = data[0]
    y = labels(data[2])
    sk = _quiet_fit(SkClassifier(hidden_layer_sizes=(5,), max_iter=30, random_state=0), X, y)
    ours = _quiet_fit(MLPClassifier(hidden_layer_sizes=(5,), max_iter=30, random_state=0), X, y)
    np.testing.assert_array_equal(ours.classes_, sk.classes_)
    assert ours.classes_.dtype == sk.classes_.dtype
    assert ours.predict(X).dtype == sk.predict(X).dtype
    assert ours.predict_proba(X).shape == sk.predict_proba(X).shape
    assert set(ours.predict(X)) <= set(sk.classes_)


def test_multilabel_indicator(data):
    X = data[0]
    Y = np.c_[data[1], 1 - data[1], X[:, 1] > 0].astype(int)
    for cls in (SkClassifier, MLPClassifier):
        est = _quiet_fit(cls(hidden_layer_sizes=(5,), max_iter=30, random_state=0), X, Y)
        assert est.out_activation_ == "logistic"
        np.testing.assert_array_equal(est.classes_, [0, 1, 2])
        assert est.predict(X).shape == (60, 3)
        assert est.predict(X).dtype == Y.dtype
        proba = est.predict_proba(X)
        assert proba.shape == (60, 3)
        assert not np.allclose(proba.sum(axis=1), 1)


def test_multilabel_glorot_matches_sklearn(data):
    X = data[0]
    Y = np.c_[data[1], X[:, 1] > 0].astype(int)
    params = dict(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=20, random_state=0)
    sk = _quiet_fit(SkClassifier(**params), X, Y)
    ours = _quiet_fit(MLPClassifier(init="glorot_uniform", **params), X, Y)
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), atol=1e-8)


def test_multi_output_regression(data):
    X = data[0]
    Y = np.c_[data[3], X[:, 2]]
    for cls in (SkRegressor, MLPRegressor):
        est = _quiet_fit(cls(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=50,
                             random_state=0), X, Y)
        assert est.n_outputs_ == 2
        assert est.predict(X).shape == (60, 2)
        assert est.score(X, Y) > 0.9


@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_column_vector_y_warns_like_sklearn(sk_cls, our_cls, data):
    from sklearn.exceptions import DataConversionWarning

    X = data[0]
    y = _target(sk_cls, data).reshape(-1, 1)
    for cls in (sk_cls, our_cls):
        with pytest.warns(DataConversionWarning, match="A column-vector y was passed"):
            est = _quiet_fit(cls(hidden_layer_sizes=(5,), max_iter=5, random_state=0), X, y)
        assert est.predict(data[0]).ndim == 1


# ----------------------------------------------------------------------
# sample_weight and class_weight
# ----------------------------------------------------------------------
@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_sample_weight_matches_sklearn(sk_cls, our_cls, data):
    X = data[0]
    y = _target(sk_cls, data)
    sw = np.random.RandomState(1).randint(1, 4, size=60).astype(float)
    params = dict(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=30, random_state=0)
    sk = _quiet_fit(sk_cls(**params), X, y, sample_weight=sw)
    ours = _quiet_fit(our_cls(init="glorot_uniform", **params), X, y, sample_weight=sw)
    for a, b in zip(sk.coefs_, ours.coefs_):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-8)


def test_sample_weight_in_partial_fit(data):
    X, y = data[0], data[1]
    sw = np.random.RandomState(1).randint(1, 4, size=60).astype(float)
    params = dict(hidden_layer_sizes=(5,), solver="sgd", random_state=0,
                  learning_rate_init=0.05, shuffle=False)
    sk = SkClassifier(**params).partial_fit(X, y, classes=[0, 1], sample_weight=sw)
    ours = MLPClassifier(init="glorot_uniform", **params).partial_fit(
        X, y, classes=[0, 1], sample_weight=sw
    )
    for a, b in zip(sk.coefs_, ours.coefs_):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12)


def test_integer_sample_weight_equals_repetition(data):
    X, y = data[0], data[2]
    sw = np.random.RandomState(1).randint(0, 3, size=60)
    params = dict(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=30, random_state=0)
    weighted = _quiet_fit(MLPClassifier(**params), X, y, sample_weight=sw)
    repeated = _quiet_fit(MLPClassifier(**params), np.repeat(X, sw, 0), np.repeat(y, sw))
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-5
    )


def test_class_weight_balanced_and_dict(data):
    X, y = data[0], data[2]
    params = dict(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=30, random_state=0)
    from sklearn.utils.class_weight import compute_sample_weight

    balanced = _quiet_fit(MLPClassifier(class_weight="balanced", **params), X, y)
    manual = _quiet_fit(MLPClassifier(**params), X, y,
                        sample_weight=compute_sample_weight("balanced", y))
    np.testing.assert_allclose(balanced.coefs_[0], manual.coefs_[0])
    weights = {0: 1.0, 1: 3.0, 2: 0.5}
    by_dict = _quiet_fit(MLPClassifier(class_weight=weights, **params), X, y)
    manual = _quiet_fit(MLPClassifier(**params), X, y,
                        sample_weight=np.array([weights[c] for c in y]))
    np.testing.assert_allclose(by_dict.coefs_[0], manual.coefs_[0])


# ----------------------------------------------------------------------
# partial_fit, warm_start, early stopping, stopping rules
# ----------------------------------------------------------------------
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_partial_fit_availability(sk_cls, our_cls, solver):
    ours = hasattr(our_cls(solver=solver), "partial_fit")
    assert ours == (solver != "lbfgs")
    if sk_cls is SkClassifier:
        assert hasattr(sk_cls(solver=solver), "partial_fit") == ours
    # scikit-learn's regressor exposes partial_fit for lbfgs too (its
    # available_if test is always truthy): a documented difference.


def test_partial_fit_lbfgs_error_message():
    for cls in (SkClassifier, MLPClassifier):
        with pytest.raises(AttributeError, match="has no attribute .partial_fit.") as info:
            cls(solver="lbfgs").partial_fit
        assert "only available for stochastic" in str(info.value.__cause__)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_partial_fit_reproduces_sklearn(sk_cls, our_cls, solver, data):
    X = data[0]
    y = _target(sk_cls, data)
    kw = {"classes": np.unique(y)} if sk_cls is SkClassifier else {}
    params = dict(hidden_layer_sizes=(5,), solver=solver, random_state=0, learning_rate_init=0.01)
    sk, ours = sk_cls(**params), our_cls(init="glorot_uniform", **params)
    for i in range(3):
        sk.partial_fit(X[i * 20:(i + 1) * 20], y[i * 20:(i + 1) * 20], **kw)
        ours.partial_fit(X[i * 20:(i + 1) * 20], y[i * 20:(i + 1) * 20], **kw)
    assert ours.n_iter_ == sk.n_iter_ == 1
    assert ours.t_ == sk.t_ == 60
    assert len(ours.loss_curve_) == len(sk.loss_curve_) == 3
    for a, b in zip(sk.coefs_, ours.coefs_):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12)


def test_partial_fit_classes_only_seen_later(data):
    X, y = data[0], data[2]
    for cls in (SkClassifier, MLPClassifier):
        est = cls(hidden_layer_sizes=(5,), random_state=0)
        mask = y < 2
        est.partial_fit(X[mask], y[mask], classes=[0, 1, 2])
        est.partial_fit(X, y)
        assert est.predict_proba(X).shape == (60, 3)


@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam"])
@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_warm_start_bookkeeping(sk_cls, our_cls, solver, data):
    X = data[0]
    y = _target(sk_cls, data)
    params = dict(hidden_layer_sizes=(5,), solver=solver, max_iter=8, random_state=0,
                  warm_start=True, n_iter_no_change=1000, tol=0)
    sk = _quiet_fit(sk_cls(**params), X, y)
    ours = _quiet_fit(our_cls(init="glorot_uniform", **params), X, y)
    _quiet_fit(sk, X, y)
    _quiet_fit(ours, X, y)
    assert ours.n_iter_ == sk.n_iter_
    if solver != "lbfgs":
        assert len(ours.loss_curve_) == len(sk.loss_curve_) == 16
        assert ours.t_ == sk.t_ == 16 * 60
        np.testing.assert_allclose(ours.loss_curve_, sk.loss_curve_, rtol=1e-8)
    for a, b in zip(sk.coefs_, ours.coefs_):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_early_stopping_matches_sklearn(sk_cls, our_cls, solver, data):
    # Binary y: scikit-learn stratifies only binary targets (see
    # test_early_stopping_split_is_stratified for multiclass).
    X = data[0]
    y = _target(sk_cls, data, multiclass=False)
    params = dict(hidden_layer_sizes=(5,), solver=solver, max_iter=60, random_state=0,
                  early_stopping=True, validation_fraction=0.2, n_iter_no_change=3,
                  learning_rate_init=0.05)
    sk = _quiet_fit(sk_cls(**params), X, y)
    ours = _quiet_fit(our_cls(init="glorot_uniform", **params), X, y)
    assert ours.n_iter_ == sk.n_iter_
    np.testing.assert_allclose(ours.validation_scores_, sk.validation_scores_, rtol=1e-9)
    assert ours.best_validation_score_ == pytest.approx(sk.best_validation_score_)
    assert ours.best_loss_ is None and sk.best_loss_ is None
    # Both restore the best epoch's weights at the end.
    for a, b in zip(sk.coefs_, ours.coefs_):
        np.testing.assert_allclose(b, a, rtol=1e-8, atol=1e-10)


def test_early_stopping_restores_best_weights(data):
    X, y = data[0], data[2]
    est = _quiet_fit(
        MLPClassifier(hidden_layer_sizes=(5,), solver="sgd", learning_rate_init=0.3,
                      max_iter=40, random_state=0, early_stopping=True,
                      validation_fraction=0.25, n_iter_no_change=5),
        X, y,
    )
    # Recompute the validation split the same way (init draws come first).
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.validation_scores_[-1] <= est.best_validation_score_


def test_early_stopping_split_is_stratified(data, monkeypatch):
    import sknet.training.monitors as nn

    seen = {}
    real = nn.train_test_split

    def spy(*arrays, **kwargs):
        seen["stratify"] = kwargs.get("stratify")
        return real(*arrays, **kwargs)

    monkeypatch.setattr(nn, "train_test_split", spy)
    X = data[0]
    for y in (data[1], data[2]):  # binary and multiclass
        _quiet_fit(MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, early_stopping=True,
                                 random_state=0), X, y)
        assert seen["stratify"] is not None
        np.testing.assert_array_equal(
            np.bincount(seen["stratify"].astype(int)), np.bincount(y)
        )
    # multilabel: not stratified, as in scikit-learn
    Y = np.c_[data[1], X[:, 1] > 0].astype(int)
    _quiet_fit(MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, early_stopping=True,
                             random_state=0), X, Y)
    assert seen["stratify"] is None


@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_tol_and_n_iter_no_change_stop_at_the_same_epoch(sk_cls, our_cls, data):
    X = data[0]
    y = _target(sk_cls, data)
    params = dict(hidden_layer_sizes=(5,), solver="sgd", max_iter=200, random_state=0,
                  tol=1e-2, n_iter_no_change=2, learning_rate_init=0.05)
    sk = _quiet_fit(sk_cls(**params), X, y)
    ours = _quiet_fit(our_cls(init="glorot_uniform", **params), X, y)
    assert sk.n_iter_ < 200
    assert ours.n_iter_ == sk.n_iter_
    assert ours.best_loss_ == pytest.approx(sk.best_loss_)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_convergence_warning_at_max_iter(sk_cls, our_cls, solver, data):
    X = data[0]
    y = _target(sk_cls, data)
    match = "lbfgs failed to converge" if solver == "lbfgs" else "Maximum iterations \\(3\\)"
    for cls in (sk_cls, our_cls):
        with pytest.warns(ConvergenceWarning, match=match):
            cls(hidden_layer_sizes=(5,), solver=solver, max_iter=3, random_state=0).fit(X, y)


@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_lbfgs_honours_max_fun(sk_cls, our_cls, data):
    X = data[0]
    y = _target(sk_cls, data)
    for cls in (sk_cls, our_cls):
        with pytest.warns(ConvergenceWarning, match="TOTAL NO. OF F"):
            est = cls(hidden_layer_sizes=(5,), solver="lbfgs", max_fun=7, random_state=0).fit(X, y)
        assert est.n_iter_ <= 7


@pytest.mark.parametrize("early_stopping", [False, True])
def test_verbose_output_like_sklearn(early_stopping, data, capsys):
    X, y = data[0], data[1]
    params = dict(hidden_layer_sizes=(5,), solver="sgd", max_iter=40, random_state=0,
                  tol=1e-2, n_iter_no_change=2, learning_rate_init=0.05, verbose=True,
                  early_stopping=early_stopping)
    _quiet_fit(SkClassifier(**params), X, y)
    sk_out = capsys.readouterr().out
    _quiet_fit(MLPClassifier(init="glorot_uniform", **params), X, y)
    our_out = capsys.readouterr().out
    assert sk_out.startswith("Iteration 1, loss = ")
    assert our_out == sk_out


# ----------------------------------------------------------------------
# persistence and determinism
# ----------------------------------------------------------------------
@pytest.mark.parametrize("dump", ["pickle", "joblib"])
@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_persistence_round_trip_and_continued_partial_fit(sk_cls, our_cls, dump, data, tmp_path):
    X = data[0]
    y = _target(sk_cls, data)
    kw = {"classes": np.unique(y)} if our_cls is MLPClassifier else {}
    est = our_cls(hidden_layer_sizes=(5,), random_state=0, batch_norm=True)
    est.partial_fit(X, y, **kw)
    if dump == "pickle":
        copy = pickle.loads(pickle.dumps(est))
    else:
        joblib.dump(est, tmp_path / "est.joblib")
        copy = joblib.load(tmp_path / "est.joblib")
    np.testing.assert_array_equal(copy.predict(X), est.predict(X))
    for _ in range(3):
        est.partial_fit(X, y)
        copy.partial_fit(X, y)
    for a, b in zip(est.network_.parameters(), copy.network_.parameters()):
        np.testing.assert_array_equal(a, b)
    for key, value in est.network_.named_state().items():
        np.testing.assert_array_equal(value, copy.network_.named_state()[key])


def test_pickle_unfitted():
    est = pickle.loads(pickle.dumps(MLPClassifier(hidden_layer_sizes=(3,))))
    assert est.get_params()["hidden_layer_sizes"] == (3,)


def test_unpickling_other_sknet_version_warns(data):
    est = _quiet_fit(MLPClassifier(hidden_layer_sizes=(3,), max_iter=2), data[0], data[1])
    state = est.__getstate__()
    assert state["_sknet_version"] == sknet.__version__
    state["_sknet_version"] = "0.0.1-old"
    fresh = MLPClassifier.__new__(MLPClassifier)
    with pytest.warns(InconsistentSknetVersionWarning, match="0.0.1-old"):
        fresh.__setstate__(state)
    np.testing.assert_array_equal(fresh.predict(data[0]), est.predict(data[0]))
    # The same version does not warn.
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentSknetVersionWarning)
        pickle.loads(pickle.dumps(est))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", SOLVERS)
def test_same_random_state_is_bit_identical(solver, dtype, data):
    X = data[0].astype(dtype)
    y = data[2]

    def make(**kw):
        return MLPClassifier(hidden_layer_sizes=(5,), solver=solver, max_iter=6,
                             random_state=42, **kw)

    def params(est):
        return [p.copy() for p in est.network_.parameters()]

    a, b = _quiet_fit(make(), X, y), _quiet_fit(make(), X, y)
    for p, q in zip(params(a), params(b)):
        assert p.dtype == dtype
        np.testing.assert_array_equal(p, q)
    # cold refit of the same object resets everything
    first = params(a)
    _quiet_fit(a, X, y)
    for p, q in zip(first, params(a)):
        np.testing.assert_array_equal(p, q)
    # warm refits
    c, d = _quiet_fit(make(warm_start=True), X, y), _quiet_fit(make(warm_start=True), X, y)
    _quiet_fit(c, X, y)
    _quiet_fit(d, X, y)
    for p, q in zip(params(c), params(d)):
        np.testing.assert_array_equal(p, q)
    if solver != "lbfgs":
        e, f = make(), make()
        for est in (e, f):
            est.partial_fit(X, y, classes=[0, 1, 2])
            est.partial_fit(X, y)
        for p, q in zip(params(e), params(f)):
            np.testing.assert_array_equal(p, q)


# ----------------------------------------------------------------------
# the same exceptions for the same mistakes
# ----------------------------------------------------------------------
_SAME_ERRORS = [
    ("nan_in_X", lambda X, y: (np.where(np.eye(60, 4) > 0, np.nan, X), y),
     ValueError, "Input X contains NaN"),
    ("inf_in_X", lambda X, y: (np.where(np.eye(60, 4) > 0, np.inf, X), y),
     ValueError, "Input X contains infinity"),
    ("empty_X", lambda X, y: (X[:0], y[:0]), ValueError, "0 sample\\(s\\)"),
    ("zero_features", lambda X, y: (X[:, :0], y), ValueError, "0 feature\\(s\\)"),
    ("length_mismatch", lambda X, y: (X, y[:-1]), ValueError,
     "inconsistent numbers of samples"),
    ("1d_X", lambda X, y: (X[:, 0], y), ValueError, "Expected 2D array"),
    ("3d_X", lambda X, y: (X[:, :, None], y), ValueError, "dim 3"),
    ("complex_X", lambda X, y: (X + 1j, y), ValueError, "Complex data not supported"),
    ("string_X", lambda X, y: (np.full(X.shape, "a", dtype=object), y), ValueError,
     "could not convert string to float"),
]


@pytest.mark.parametrize("case, make, exc, fragment", _SAME_ERRORS,
                         ids=[c[0] for c in _SAME_ERRORS])
@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_same_errors_as_sklearn(sk_cls, our_cls, case, make, exc, fragment, data):
    X, y = make(data[0], _target(sk_cls, data))
    for cls in (sk_cls, our_cls):
        with pytest.raises(exc, match=fragment):
            cls(max_iter=2).fit(X, y)


@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_same_errors_at_predict(sk_cls, our_cls, data):
    X = data[0]
    y = _target(sk_cls, data)
    for cls in (sk_cls, our_cls):
        est = _quiet_fit(cls(hidden_layer_sizes=(3,), max_iter=2), X, y)
        name = cls.__name__
        with pytest.raises(ValueError, match=f"X has 3 features, but {name} is expecting 4"):
            est.predict(X[:, :3])
        with pytest.raises(ValueError, match="Input X contains NaN"):
            est.predict(np.full((2, 4), np.nan))
        with pytest.raises(ValueError, match="Expected 2D array"):
            est.predict(X[0])


@pytest.mark.parametrize("sk_cls, our_cls", PAIRS, ids=PAIR_IDS)
def test_invalid_parameters_raise_at_fit_like_sklearn(sk_cls, our_cls, data):
    from sklearn.utils._param_validation import InvalidParameterError

    X = data[0]
    y = _target(sk_cls, data)
    for bad in ({"activation": "bogus"}, {"learning_rate_init": -1},
                {"hidden_layer_sizes": 0}, {"solver": "newton"}):
        name = next(iter(bad))
        for cls in (sk_cls, our_cls):
            est = cls(**bad)  # never validated in __init__
            with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
                est.fit(X, y)


def test_same_partial_fit_errors(data):
    X, y = data[0], data[2]
    for cls in (SkClassifier, MLPClassifier):
        est = cls(hidden_layer_sizes=(3,))
        with pytest.raises(ValueError, match="classes must be passed on the first call"):
            est.partial_fit(X, y)
        est.partial_fit(X[y < 2], y[y < 2], classes=[0, 1])
        with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
            est.partial_fit(X, y)
        with pytest.raises(ValueError, match=re.escape("is not the same as on last call")):
            est.partial_fit(X, y, classes=[0, 1, 2])
        with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
            cls(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])


def test_batch_size_clipping_warns_like_sklearn(data):
    X, y = data[0], data[1]
    for cls in (SkClassifier, MLPClassifier):
        with pytest.warns(UserWarning, match="It is going to be clipped"):
            _quiet_fit(cls(hidden_layer_sizes=(3,), batch_size=1000, max_iter=2), X, y)


def test_empty_hidden_layer_sizes_is_a_linear_model(data):
    X, y = data[0], data[2]
    for cls in (SkClassifier, MLPClassifier):
        est = _quiet_fit(cls(hidden_layer_sizes=(), max_iter=50, random_state=0), X, y)
        assert est.n_layers_ == 2
        assert [c.shape for c in est.coefs_] == [(4, 3)]


def test_stdout_quiet_by_default(data, capsys):
    _quiet_fit(MLPClassifier(hidden_layer_sizes=(3,), max_iter=3), data[0], data[1])
    _quiet_fit(MLPClassifier(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=3),
               data[0], data[1])
    assert capsys.readouterr().out == ""


def test_joblib_file_holds_the_weights_once(tmp_path):
    """coefs_ / intercepts_ are views of the network's weights: saved once
    (sknet 0.1 wrote them twice, 103.6 against 83.5 KiB for scikit-learn)."""
    rng = np.random.RandomState(0)
    X, y = rng.randn(300, 64), rng.randint(0, 10, 300)
    sizes = {}
    for cls in (SkClassifier, MLPClassifier):
        est = _quiet_fit(cls((100,), max_iter=3, random_state=0), X, y)
        joblib.dump(est, tmp_path / "model.joblib")
        sizes[cls] = (tmp_path / "model.joblib").stat().st_size
        loaded = joblib.load(tmp_path / "model.joblib")
        np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    assert sizes[MLPClassifier] <= 1.02 * sizes[SkClassifier]
    assert loaded.coefs_[0] is loaded.network_.coefs[0]
