"""Every row of the bad-input table (shared/BAD_INPUTS.md beside the project): bad input, bad scale and faults.

Each test names its row (section / case) in its id or docstring. Where
scikit-learn 1.9.1 raises, sknet raises the same type with the same key
message fragment; where scikit-learn returns silent garbage, sknet raises or
warns and names cause and remedy. A failed call never leaves the estimator
half-changed.
"""

import pickle
import warnings

import joblib
import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning, NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

import sknet.optimizers
from sknet import MLPClassifier, MLPRegressor
from sknet.layers import ACTIVATIONS
from sknet.exceptions import (
    DataScaleWarning,
    DivergenceWarning,
)

ESTIMATORS = [MLPClassifier, MLPRegressor]
EST_IDS = ["clf", "reg"]
NONFINITE = "Solver produced non-finite parameter weights"


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.randn(60, 4)
    y = (X[:, 0] > 0).astype(int)
    y3 = np.digitize(X[:, 0], [-0.5, 0.5])
    yr = X[:, 0] + 0.1 * X[:, 1]
    return X, y, y3, yr


def _y(cls, data):
    return data[1] if cls is MLPClassifier else data[3]


def _small(cls, **kw):
    params = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    params.update(kw)
    return cls(**params)


def _fit(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("always", DivergenceWarning)  # a ConvergenceWarning too
        return est.fit(X, y, **kw)


def _state(est):
    """Snapshot of everything an estimator learned (for 'unchanged' checks)."""
    snap = {}
    for key, value in vars(est).items():
        if key.endswith("_") and not key.startswith("_"):
            if key == "network_":
                snap[key] = [p.copy() for p in value.parameters()]
            elif isinstance(value, np.ndarray):
                snap[key] = value.copy()
            elif isinstance(value, list):
                snap[key] = [v.copy() if isinstance(v, np.ndarray) else v for v in value]
            elif key != "history_":
                snap[key] = value
    return snap


def _assert_same_state(before, after):
    assert before.keys() == after.keys()
    for key in before:
        a, b = before[key], after[key]
        if isinstance(a, list) and a and isinstance(a[0], np.ndarray):
            for p, q in zip(a, b):
                np.testing.assert_array_equal(p, q)
        elif isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
        else:
            assert a == b or (a != a and b != b), key


def _unfitted(est):
    return not [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]


# ======================================================================
# Non-finite and degenerate input
# ======================================================================
def _nan_X(X):
    X = X.copy()
    X[3, 1] = np.nan
    return X


def _inf_X(X):
    X = X.copy()
    X[3, 1] = np.inf
    return X


FIT_ERRORS = [
    ("nan_in_X", lambda X, y: (_nan_X(X), y), "Input X contains NaN"),
    ("inf_in_X", lambda X, y: (_inf_X(X), y), "Input X contains infinity"),
    ("empty_X", lambda X, y: (X[:0], y[:0]), r"Found array with 0 sample\(s\)"),
    ("zero_features", lambda X, y: (X[:, :0], y), r"Found array with 0 feature\(s\)"),
    ("length_mismatch", lambda X, y: (X, y[:-1]),
     r"inconsistent numbers of samples: \[60, 59\]"),
    ("1d_X", lambda X, y: (X[:, 0], y), "Expected 2D array, got 1D array"),
    ("3d_X", lambda X, y: (X[:, :, None], y), "Found array with dim 3"),
    ("object_X_of_strings", lambda X, y: (np.full(X.shape, "a", dtype=object), y),
     "could not convert string to float: 'a'"),
    ("complex_X", lambda X, y: (X + 1j, y), "Complex data not supported"),
    ("sparse_with_nan", lambda X, y: (sp.csr_matrix(_nan_X(X)), y), "Input X contains NaN"),
    ("nan_in_y", lambda X, y: (X, np.where(np.arange(60) == 5, np.nan, y.astype(float))),
     "Input y contains NaN"),
]


@pytest.mark.parametrize("case, make, fragment", FIT_ERRORS, ids=[c[0] for c in FIT_ERRORS])
@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_invalid_data_rejected_before_training(cls, case, make, fragment, data):
    """Rows: NaN/inf in X, empty X, zero features, length mismatch, 1-D / 3-D X,
    object X of strings, complex X, sparse with NaN, NaN in y."""
    X, y = make(data[0], _y(cls, data))
    est = _small(cls)
    with pytest.raises(ValueError, match=fragment):
        est.fit(X, y)
    assert _unfitted(est)


def test_inf_in_y_regressor(data):
    """Row: inf in y (regressor)."""
    y = data[3].copy()
    y[0] = np.inf
    with pytest.raises(ValueError, match="Input y contains infinity"):
        _small(MLPRegressor).fit(data[0], y)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_invalid_data_at_predict(cls, data):
    """Rows: NaN in X at predict; empty X at predict; 1-D X at predict;
    predict with 3 features after fit on 4."""
    X = data[0]
    est = _fit(_small(cls), X, _y(cls, data))
    before = _state(est)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.predict(_nan_X(X))
    with pytest.raises(ValueError, match=r"Found array with 0 sample\(s\)"):
        est.predict(X[:0])
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        est.predict(X[0])
    with pytest.raises(ValueError, match=f"X has 3 features, but {cls.__name__} is expecting 4"):
        est.predict(X[:, :3])
    _assert_same_state(before, _state(est))


@pytest.mark.parametrize("labels", [
    pytest.param(["a", "b", None], id="None_among_object_labels"),
    pytest.param(["a", 1, "b"], id="mixed_str_int_labels"),
])
def test_unsortable_labels(labels, data):
    """Rows: None among object labels; mixed str/int labels.

    sklearn raises a bare TypeError from its sort; sknet raises an error that
    is both ValueError (naming the problem) and TypeError (what sklearn code
    catches)."""
    y = np.array(labels * 20, dtype=object)
    for call in (
        lambda est: est.fit(data[0], y),
        lambda est: est.partial_fit(data[0], y, classes=np.array(labels, dtype=object)),
    ):
        est = _small(MLPClassifier)
        with pytest.raises(ValueError, match="labels in y cannot be sorted") as info:
            call(est)
        assert isinstance(info.value, TypeError)
        assert _unfitted(est)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_one_sample_fits(cls, data):
    """Row: one sample (clf and reg)."""
    est = _fit(_small(cls), data[0][:1], _y(cls, data)[:1])
    assert est.predict(data[0][:3]).shape == (3,)


@pytest.mark.parametrize("n, fragment", [
    pytest.param(1, "train set will be empty", id="one_sample_early_stopping"),
    pytest.param(2, "The validation set is too small. Increase 'validation_fraction' or "
                    "the size of your dataset.", id="two_samples_early_stopping"),
])
@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_too_few_samples_for_early_stopping(cls, n, fragment, data):
    """Rows: one sample + early_stopping; 2 samples + early_stopping."""
    est = _small(cls, early_stopping=True)
    # One class: with two singleton classes the stratified split fails first
    # ("least populated class"), in scikit-learn as in sknet.
    y = _y(cls, data)[:n] if cls is MLPRegressor else np.zeros(n, dtype=int)
    with pytest.raises(ValueError, match=fragment):
        est.fit(data[0][:n], y)
    assert _unfitted(est)


@pytest.mark.parametrize("label", [0, "only"])
def test_one_class(label, data):
    """Row: one class. sknet's predict_proba is (n, 1) of ones (sklearn: (n, 2))."""
    y = np.full(60, label, dtype=object if isinstance(label, str) else int)
    est = _fit(_small(MLPClassifier), data[0], y)
    assert list(est.classes_) == [label]
    np.testing.assert_array_equal(est.predict(data[0]), y)
    np.testing.assert_array_equal(est.predict_proba(data[0]), np.ones((60, 1)))


@pytest.mark.parametrize("X_kind", ["all_constant", "all_zero", "one_constant_column"])
@pytest.mark.parametrize("batch_norm", [False, True], ids=["", "batch_norm"])
@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_degenerate_X_fits_without_nan(cls, X_kind, batch_norm, data):
    """Rows: all-constant / all-zero X; one constant column."""
    X = {"all_constant": np.full((60, 4), 3.0), "all_zero": np.zeros((60, 4))}.get(X_kind)
    if X is None:
        X = data[0].copy()
        X[:, 2] = 5.0
    est = _fit(_small(cls, batch_norm=batch_norm), X, _y(cls, data))
    assert all(np.isfinite(p).all() for p in est.network_.parameters())
    assert all(np.isfinite(s).all() for s in est.network_.named_state().values())
    out = est.predict_proba(X) if cls is MLPClassifier else est.predict(X)
    assert np.isfinite(out).all()


@pytest.mark.parametrize("method", ["pca", "zca"])
def test_whitening_constant_column_stays_finite(method, data):
    """Row: one constant column -- PCA/ZCA whitening must not produce inf."""
    from sknet.preprocessing import Whitening

    X = data[0].copy()
    X[:, 2] = 5.0
    Xt = Whitening(method=method).fit_transform(X)
    assert np.isfinite(Xt).all()


# ======================================================================
# Labels and targets
# ======================================================================
@pytest.mark.parametrize("make", [
    pytest.param(lambda y: np.array(["ant", "bee", "cat"])[y], id="string_labels_U3"),
    pytest.param(lambda y: np.array(["ant", "bee", "cat"], dtype=object)[y], id="object_strings"),
    pytest.param(lambda y: y > 0, id="boolean_labels"),
    pytest.param(lambda y: (y > 0).astype(float), id="float_labels_0_1"),
    pytest.param(lambda y: np.where(y > 0, 1, -1), id="labels_minus1_plus1"),
])
@pytest.mark.parametrize("early_stopping", [False, True], ids=["", "early_stopping"])
def test_label_types(make, early_stopping, data):
    """Rows: string, object, boolean, float, -1/+1 labels; string labels + early_stopping."""
    y = make(data[2])
    est = _fit(_small(MLPClassifier, early_stopping=early_stopping), data[0], y)
    expected = np.unique(y)
    np.testing.assert_array_equal(est.classes_, expected)
    pred = est.predict(data[0])
    assert pred.dtype == (np.dtype("<U3") if y.dtype == object else y.dtype)
    assert set(pred) <= set(expected)
    assert 0 <= est.score(data[0], y) <= 1


def test_pandas_categorical_labels(data):
    """Row: pandas categorical Series."""
    pd = pytest.importorskip("pandas")
    y = pd.Series(pd.Categorical.from_codes(data[2], ["lo", "mid", "hi"]))
    est = _fit(_small(MLPClassifier), data[0], y)
    assert sorted(est.classes_) == ["hi", "lo", "mid"]
    assert set(est.predict(data[0])) <= {"lo", "mid", "hi"}


def test_continuous_y_to_classifier(data):
    """Row: continuous y to classifier."""
    with pytest.raises(ValueError, match="Unknown label type"):
        _small(MLPClassifier).fit(data[0], data[3])


@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_column_vector_y(cls, data):
    """Row: y shape (n, 1)."""
    with pytest.warns(DataConversionWarning, match="A column-vector y was passed"):
        est = _fit(_small(cls), data[0], _y(cls, data).reshape(-1, 1))
    assert est.predict(data[0]).shape == (60,)


def test_multilabel_indicator(data):
    """Row: multilabel indicator y (n, 3)."""
    X, y = data[0], data[1]
    Y = np.c_[y, 1 - y, X[:, 1] > 0].astype(int)
    est = _fit(_small(MLPClassifier), X, Y)
    assert est.out_activation_ == "logistic"
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])
    assert est.predict(X).shape == (60, 3)
    assert est.predict_proba(X).shape == (60, 3)


@pytest.mark.parametrize("make", [
    pytest.param(lambda y, y3: np.c_[y3, (y3 + 1) % 3], id="multiclass_multioutput"),
    pytest.param(lambda y, y3: np.c_[np.array(["a", "b"])[y], np.array(["c", "d", "e"])[y3]],
                 id="string_columns"),
])
def test_multiclass_multioutput_rejected(make, data):
    """Row: multiclass-multioutput y or (n, 2) string columns."""
    est = _small(MLPClassifier)
    with pytest.raises(ValueError, match="Multioutput target data is not supported"):
        est.fit(data[0], make(data[1], data[2]))
    assert _unfitted(est)


# ======================================================================
# Input containers and dtypes
# ======================================================================
@pytest.fixture(scope="module")
def pd():
    return pytest.importorskip("pandas")


@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_dataframe_rows(cls, data, pd):
    """Rows: pandas DataFrame; fit DataFrame predict ndarray; fit ndarray predict
    DataFrame; predict with reordered columns; early_stopping with DataFrame."""
    X, y = data[0], _y(cls, data)
    df = pd.DataFrame(X, columns=list("abcd"))
    name = cls.__name__
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # early stopping: no name warning
        est = _fit(_small(cls, early_stopping=True), df, y)
    np.testing.assert_array_equal(est.feature_names_in_, list("abcd"))
    assert est.n_features_in_ == 4
    with pytest.warns(UserWarning, match=f"X does not have valid feature names, but {name} "
                                         "was fitted with feature names"):
        est.predict(X)
    with pytest.raises(ValueError, match="The feature names should match those that were "
                                         "passed during fit"):
        est.predict(df[list("badc")])
    plain = _fit(_small(cls), X, y)
    with pytest.warns(UserWarning, match=f"X has feature names, but {name} was fitted without"):
        plain.predict(df)


def test_dataframe_string_column(data, pd):
    """Row: DataFrame with a string column."""
    df = pd.DataFrame(data[0], columns=list("abcd"))
    df["e"] = "x"
    with pytest.raises(ValueError, match="could not convert string to float: 'x'"):
        _small(MLPClassifier).fit(df, data[1])


def test_nullable_dtypes(data, pd):
    """Rows: nullable Float64 with pd.NA; nullable Int64 without NA."""
    df = pd.DataFrame(data[0], columns=list("abcd")).astype("Float64")
    df.iloc[2, 1] = pd.NA
    with pytest.raises(ValueError, match="Input X contains NaN"):
        _small(MLPClassifier).fit(df, data[1])
    ints = pd.DataFrame((data[0] * 3).astype(int), columns=list("abcd")).astype("Int64")
    est = _fit(_small(MLPClassifier), ints, data[1])
    assert est.coefs_[0].dtype == np.float64


@pytest.mark.parametrize("make", [
    pytest.param(sp.csr_matrix, id="csr_matrix"),
    pytest.param(sp.csc_matrix, id="csc_matrix"),
    pytest.param(sp.coo_matrix, id="coo_matrix"),
    pytest.param(sp.csr_array, id="csr_array"),
])
@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_sparse_accepted(cls, make, data):
    """Row: sparse CSR / CSC / COO matrix, CSR array (and the sparse input tag)."""
    X = data[0] * (np.abs(data[0]) > 0.5)
    params = dict(solver="lbfgs", max_iter=20)
    dense = _fit(_small(cls, **params), X, _y(cls, data))
    sparse = _fit(_small(cls, **params), make(X), _y(cls, data))
    np.testing.assert_allclose(sparse.predict(make(X)), dense.predict(X), atol=1e-10)
    assert sparse.__sklearn_tags__().input_tags.sparse


@pytest.mark.parametrize("dtype, expected", [
    pytest.param(np.float16, np.float64, id="float16"),
    pytest.param(np.float32, np.float32, id="float32"),
    pytest.param(np.int64, np.float64, id="int64"),
    pytest.param(np.int8, np.float64, id="int8"),
    pytest.param(np.uint8, np.float64, id="uint8"),
    pytest.param(bool, np.float64, id="bool"),
    pytest.param(object, np.float64, id="object_numbers"),
])
@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_input_dtypes(cls, dtype, expected, data):
    """Rows: float16 X; float32 X; int64/int8/uint8/bool X; object X of numbers."""
    X = (data[0] > 0) if dtype is bool else np.abs(data[0] * 3)
    X = X.astype(dtype)
    est = _fit(_small(cls), X, _y(cls, data))
    assert all(c.dtype == expected for c in est.coefs_ + est.intercepts_)
    out = est.predict_proba(X) if cls is MLPClassifier else est.predict(X)
    assert out.dtype == expected


@pytest.mark.parametrize("make", [
    pytest.param(lambda X: X.tolist(), id="list_of_lists"),
    pytest.param(np.asfortranarray, id="fortran_ordered"),
    pytest.param(lambda X: np.require(X, requirements="C").copy(), id="read_only"),
])
def test_containers_and_no_writes_to_X(make, data):
    """Rows: list of lists, Fortran-ordered, read-only X."""
    X = make(data[0])
    if isinstance(X, np.ndarray):
        X.setflags(write=False)
    copy = np.array(X, copy=True)
    est = _fit(_small(MLPClassifier, batch_norm=True), X, data[1])
    est.predict(X)
    np.testing.assert_array_equal(np.asarray(X), copy)


# ======================================================================
# Scale and numerical faults
# ======================================================================
@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_huge_X_adam_warns_data_scale(cls, data):
    """Rows: X*1e30 adam classifier; X*1e30 adam regressor (sklearn: silent garbage)."""
    with pytest.warns(DataScaleWarning, match="Scale the inputs"):
        est = _fit(_small(cls, max_iter=10), data[0] * 1e30, _y(cls, data))
    assert est.predict(data[0] * 1e30).shape == (60,)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_huge_X_sgd_raises_non_finite(cls, data):
    """Row: X*1e30, sgd (clf and reg)."""
    est = _small(cls, solver="sgd", max_iter=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.warns(DataScaleWarning), pytest.raises(ValueError, match=NONFINITE):
            est.fit(data[0] * 1e30, _y(cls, data))
    assert _unfitted(est)


def test_huge_X_lbfgs_warns(data):
    """Row: X*1e30, lbfgs."""
    with pytest.warns(DataScaleWarning):
        _fit(_small(MLPClassifier, solver="lbfgs", max_iter=20), data[0] * 1e30, data[1])


def test_X_near_float64_max_raises(data):
    """Row: X near float64 max (adam)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.warns(DataScaleWarning), pytest.raises(ValueError, match=NONFINITE):
            _small(MLPClassifier).fit(data[0] * 1e307, data[1])


def test_huge_X_float32_no_crash(data):
    """Row: X*1e30 as float32: no crash, but no silent garbage either.

    The squared gradients overflow float32, Adam's second moments become inf
    and every update 0: the weights freeze at their random start. That is
    scikit-learn's "non-finite" case (its sgd raises it on the same data): a
    ValueError, the estimator left unfitted. float64 has the room to train."""
    X = (data[0] * 1e30).astype(np.float32)
    est = _small(MLPClassifier)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.warns(DataScaleWarning), pytest.raises(ValueError, match=NONFINITE):
            est.fit(X, data[1])
    assert _unfitted(est)


def test_huge_y_regressor(data):
    """Rows: regressor y*1e30 (sklearn: silent garbage) and y*1e200."""
    with pytest.warns(DataScaleWarning, match="Scale the target"):
        _fit(_small(MLPRegressor), data[0], data[3] * 1e30)
    est = _small(MLPRegressor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.warns(DataScaleWarning), pytest.raises(ValueError, match=NONFINITE):
            est.fit(data[0], data[3] * 1e200)
    assert _unfitted(est)


def test_learning_rate_too_high_sgd_classifier_warns(data):
    """Row: learning rate too high, sgd classifier lr=1e4 (sklearn: silent)."""
    with pytest.warns(DivergenceWarning, match="learning_rate_init=10000.0 is probably too high"):
        est = _fit(_small(MLPClassifier, solver="sgd", learning_rate_init=1e4, max_iter=20),
                   data[0], data[1])
    assert np.isfinite(est.predict_proba(data[0])).all()


@pytest.mark.parametrize("params, y_scale", [
    pytest.param(dict(learning_rate_init=10.0), 1, id="sgd_regressor_lr10"),
    pytest.param(dict(learning_rate_init=1.0, activation="identity"), 100,
                 id="sgd_identity_lr1_y100"),
])
def test_learning_rate_too_high_sgd_regressor_raises(params, y_scale, data):
    """Row: learning rate too high, sgd regressor."""
    est = _small(MLPRegressor, solver="sgd", max_iter=20, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match=NONFINITE):
            est.fit(data[0], data[3] * y_scale)
    assert _unfitted(est)


def test_learning_rate_too_high_adam_regressor_warns(data):
    """Row: learning rate too high, adam regressor lr=1e3 (sklearn: silent)."""
    with pytest.warns(DivergenceWarning, match="The training loss diverged"):
        _fit(_small(MLPRegressor, learning_rate_init=1e3, max_iter=20), data[0], data[3])


@pytest.mark.parametrize("cls, lr", [(MLPClassifier, 1e4), (MLPRegressor, 10.0)], ids=EST_IDS)
def test_divergence_with_early_stopping(cls, lr, data):
    """Row: divergence + early_stopping: no error, best weights restored,
    finite predictions -- and (better than sklearn) a DivergenceWarning."""
    est = _small(cls, solver="sgd", learning_rate_init=lr, max_iter=20, early_stopping=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.warns(DivergenceWarning, match="best validation epoch were restored"):
            _fit(est, data[0], _y(cls, data))
    assert np.isfinite(est.best_validation_score_)
    assert est.best_validation_score_ == np.nanmax(est.validation_scores_)
    if cls is MLPRegressor:
        # the blown-up epoch's validation score is non-finite, not an error
        assert not np.isfinite(est.validation_scores_[-1])
    assert np.isfinite(est.predict(data[0]).astype(float)).all()


def test_nonfinite_loss_with_early_stopping_restores_best(data, monkeypatch):
    """Row: divergence + early_stopping, when a batch loss itself goes non-finite."""
    import sknet.network

    real = sknet.network.Network.loss_and_gradients
    calls = [0]

    def poisoned(self, *args, **kwargs):
        calls[0] += 1
        value = real(self, *args, **kwargs)
        return np.nan if calls[0] == 4 else value

    monkeypatch.setattr(sknet.network.Network, "loss_and_gradients", poisoned)
    est = _small(MLPRegressor, early_stopping=True, max_iter=10)
    with pytest.warns(DivergenceWarning, match="became non-finite"):
        est.fit(data[0], data[3])
    assert est.n_iter_ == 3
    assert all(np.isfinite(p).all() for p in est.network_.parameters())


@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_nonfinite_predictions(cls, data):
    """Row: score when predictions are non-finite.

    scikit-learn's nan is its private validation score (sknet's too: see
    test_divergence_with_early_stopping); its public regressor ``score`` raises
    "Input contains NaN" and its classifier silently argmaxes NaN. sknet's
    predict, predict_proba and score all raise a ValueError naming the cause."""
    est = _fit(_small(cls), data[0], _y(cls, data))
    est.coefs_[-1][...] = np.nan  # coefs_ are the network's own arrays
    with pytest.raises(ValueError, match="non-finite outputs"):
        est.predict(data[0])
    if cls is MLPClassifier:
        with pytest.raises(ValueError, match="non-finite outputs"):
            est.predict_proba(data[0])
    with pytest.raises(ValueError, match="non-finite outputs"):
        est.score(data[0], _y(cls, data))


@pytest.mark.parametrize("batch_norm", [False, True], ids=["", "bn"])
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_nonfinite_input_to_predict_gets_scikit_learns_error(cls, activation, batch_norm, data):
    """Row: NaN / infinity in X at predict, whatever the network.

    The check runs on a block of X when its first affine output is not
    finite: every bad value, of any sign and in any column, must get there
    (after the activation, ReLU would turn -inf into 0 and tanh +inf into 1).
    Float32 and sparse input, and a float32 network, too."""
    est = _fit(_small(cls, hidden_layer_sizes=(6, 4), activation=activation,
                      batch_norm=batch_norm), data[0], _y(cls, data))
    methods = ["predict", "predict_proba"] if cls is MLPClassifier else ["predict"]
    est32 = _fit(clone(est), data[0].astype(np.float32), _y(cls, data))
    rng = np.random.RandomState(0)
    for bad, message in [(np.nan, "Input X contains NaN"), (np.inf, "Input X contains infinity"),
                         (-np.inf, "Input X contains infinity")]:
        for model, dtype in [(est, np.float64), (est, np.float32), (est32, np.float64)]:
            X = data[0].astype(dtype)
            X[rng.randint(len(X)), rng.randint(X.shape[1])] = bad
            for X_bad in (X, sp.csr_matrix(X)):
                for method in methods:
                    with pytest.raises(ValueError, match=message):
                        getattr(model, method)(X_bad)


def test_batch_size_larger_than_n_samples(data):
    """Row: batch_size > n_samples."""
    with pytest.warns(UserWarning, match="It is going to be clipped"):
        _fit(_small(MLPClassifier, batch_size=500), data[0], data[1])


@pytest.mark.parametrize("sw, fragment", [
    pytest.param(-np.ones(60), "Negative values in data passed to `sample_weight`",
                 id="negative_sample_weight"),
    pytest.param(np.zeros(60), "Sample weights must contain at least one non-zero number",
                 id="all_zero_sample_weight"),
    pytest.param(np.ones(10), r"sample_weight.shape == \(10,\), expected \(60,\)!",
                 id="sample_weight_wrong_length"),
])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_bad_sample_weight(cls, method, sw, fragment, data):
    """Rows: negative / all-zero / wrong-length sample_weight."""
    est = _small(cls)
    kw = {"classes": [0, 1]} if (cls is MLPClassifier and method == "partial_fit") else {}
    with pytest.raises(ValueError, match=fragment):
        getattr(est, method)(data[0], _y(cls, data), sample_weight=sw, **kw)
    assert _unfitted(est)


@pytest.mark.parametrize("bad", [
    {"activation": "bogus"}, {"learning_rate_init": -1}, {"hidden_layer_sizes": 0},
    {"hidden_layer_sizes": (5, -1)}, {"solver": "newton"}, {"momentum": 2.0},
], ids=lambda b: "-".join(f"{k}={v}" for k, v in b.items()))
@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_invalid_hyperparameter_raises_at_fit_not_init(cls, bad, data):
    """Row: invalid hyper-parameter -- constructor and set_params accept; fit raises."""
    est = cls(**bad)
    cls().set_params(**bad)
    name = next(iter(bad))
    with pytest.raises(ValueError, match=name):
        est.fit(data[0], _y(cls, data))
    assert _unfitted(est)


def test_invalid_hyperparameter_is_invalid_parameter_error(data):
    with pytest.raises(InvalidParameterError, match="'activation' parameter"):
        MLPClassifier(activation="bogus").fit(data[0], data[1])


@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_no_hidden_layer(cls, data):
    """Row: hidden_layer_sizes=() -- a linear / logistic model."""
    est = _fit(_small(cls, hidden_layer_sizes=(), solver="lbfgs", max_iter=50),
               data[0], _y(cls, data))
    assert est.n_layers_ == 2 and len(est.coefs_) == 1
    assert est.score(data[0], _y(cls, data)) > 0.9


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score"])
@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_not_fitted(cls, method, data):
    """Row: predict/predict_proba/score before fit."""
    est = cls()
    if not hasattr(est, method):
        pytest.skip(f"{cls.__name__} has no {method}")
    args = (data[0], _y(cls, data)) if method == "score" else (data[0],)
    with pytest.raises(NotFittedError, match=f"This {cls.__name__} instance is not fitted yet"):
        getattr(est, method)(*args)


# ======================================================================
# Interruption
# ======================================================================
def _interrupting_step(monkeypatch, cls, after):
    """Make optimizer ``cls``'s step raise KeyboardInterrupt on call ``after + 1``."""
    real = cls.step
    calls = [0]

    def step(self, params, grads, lr):
        calls[0] += 1
        if calls[0] > after:
            raise KeyboardInterrupt
        return real(self, params, grads, lr)

    monkeypatch.setattr(cls, "step", step)
    return calls


@pytest.mark.parametrize("solver, opt", [("sgd", "SGD"), ("adam", "Adam"),
                                         ("rmsprop", "RMSProp"), ("adagrad", "AdaGrad")])
@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_keyboard_interrupt_in_stochastic_fit_keeps_partial_model(cls, solver, opt, data,
                                                                  monkeypatch):
    """Row: KeyboardInterrupt during sgd/adam fit (one batch per epoch here)."""
    _interrupting_step(monkeypatch, getattr(sknet.optimizers, opt), after=3)
    est = _small(cls, solver=solver, max_iter=10)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        assert est.fit(data[0], _y(cls, data)) is est
    assert est.n_iter_ == 3
    assert len(est.loss_curve_) == 3
    assert est.predict(data[0]).shape == (60,)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_keyboard_interrupt_with_early_stopping_restores_best(cls, data, monkeypatch):
    """Row: KeyboardInterrupt during fit with early_stopping: best weights restored."""
    params = dict(early_stopping=True, max_iter=10, learning_rate_init=0.05,
                  validation_fraction=0.2)
    reference = _fit(_small(cls, **params, n_iter_no_change=100), data[0], _y(cls, data))
    reference = _fit(_small(cls, **{**params, "max_iter": 3}), data[0], _y(cls, data))
    _interrupting_step(monkeypatch, sknet.optimizers.Adam, after=3)
    est = _small(cls, **params)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est.fit(data[0], _y(cls, data))
    assert len(est.validation_scores_) == 3
    for a, b in zip(est.coefs_, reference.coefs_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_keyboard_interrupt_in_partial_fit_reraised_and_state_kept(cls, data, monkeypatch):
    """Row: KeyboardInterrupt during partial_fit -- re-raised (sklearn swallows it),
    the estimator left as before the call."""
    est = _small(cls)
    kw = {"classes": [0, 1]} if cls is MLPClassifier else {}
    est.partial_fit(data[0], _y(cls, data), **kw)
    est.partial_fit(data[0], _y(cls, data))
    before = _state(est)
    _interrupting_step(monkeypatch, sknet.optimizers.Adam, after=0)
    with pytest.raises(KeyboardInterrupt):
        est.partial_fit(data[0], _y(cls, data))
    _assert_same_state(before, _state(est))
    monkeypatch.undo()
    est.partial_fit(data[0], _y(cls, data))  # and it still learns afterwards
    assert est.t_ == 180


def _interrupting_minimize(monkeypatch, after):
    real = scipy.optimize.minimize
    seen = {"losses": []}

    def minimize(fun, x0, *args, **kwargs):
        def wrapped(x, *a):
            if len(seen["losses"]) >= after:
                raise KeyboardInterrupt
            value = fun(x, *a)
            seen["losses"].append(value[0])
            return value

        return real(wrapped, x0, *args, **kwargs)

    monkeypatch.setattr(scipy.optimize, "minimize", minimize)
    return seen


@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_keyboard_interrupt_in_lbfgs_keeps_best_evaluated(cls, data, monkeypatch):
    """Row: KeyboardInterrupt during lbfgs fit: the best evaluated parameters are
    kept (sklearn: the last evaluated, possibly the random init)."""
    seen = _interrupting_minimize(monkeypatch, after=8)
    est = _small(cls, solver="lbfgs", max_iter=100)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        assert est.fit(data[0], _y(cls, data)) is est
    assert len(seen["losses"]) == 8
    assert est.loss_ == pytest.approx(min(seen["losses"]))
    assert est.loss_ < seen["losses"][0]
    assert not hasattr(est, "loss_curve_")


@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_keyboard_interrupt_before_first_lbfgs_evaluation(cls, data, monkeypatch):
    """Row: KeyboardInterrupt during lbfgs fit, at the first evaluation: never random
    weights that pass check_is_fitted -- the interrupt propagates, the estimator
    stays unfitted (or keeps its previous fit)."""
    _interrupting_minimize(monkeypatch, after=0)
    est = _small(cls, solver="lbfgs")
    with pytest.raises(KeyboardInterrupt), pytest.warns(UserWarning, match="interrupted"):
        est.fit(data[0], _y(cls, data))
    assert _unfitted(est)
    with pytest.raises(NotFittedError):
        est.predict(data[0])
    monkeypatch.undo()
    _fit(est, data[0], _y(cls, data))
    before = _state(est)
    _interrupting_minimize(monkeypatch, after=0)
    with pytest.raises(KeyboardInterrupt), pytest.warns(UserWarning, match="interrupted"):
        est.fit(data[0], _y(cls, data))
    _assert_same_state(before, _state(est))


# ======================================================================
# Persistence, continuation, determinism
# ======================================================================
@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_pickle_round_trip_fitted_and_unfitted(cls, data):
    """Rows: pickle round-trip (fitted) with partial_fit continuing identically;
    pickle unfitted."""
    est = _small(cls)
    kw = {"classes": [0, 1]} if cls is MLPClassifier else {}
    est.partial_fit(data[0], _y(cls, data), **kw)
    copy = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(copy.predict(data[0]), est.predict(data[0]))
    est.partial_fit(data[0], _y(cls, data))
    copy.partial_fit(data[0], _y(cls, data))
    for a, b in zip(est.coefs_, copy.coefs_):
        np.testing.assert_array_equal(a, b)
    assert _unfitted(pickle.loads(pickle.dumps(cls())))


def test_joblib_then_partial_fit(data, tmp_path):
    """Row: joblib dump/load then partial_fit."""
    est = _small(MLPClassifier).partial_fit(data[0], data[1], classes=[0, 1])
    joblib.dump(est, tmp_path / "m.joblib")
    loaded = joblib.load(tmp_path / "m.joblib")
    loaded.partial_fit(data[0], data[1])
    est.partial_fit(data[0], data[1])
    assert loaded.t_ == 120
    for a, b in zip(est.coefs_, loaded.coefs_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop", "adagrad"])
def test_warm_start_refit_bookkeeping(solver, data):
    """Rows: warm_start refit (n_iter_ per call, loss_curve_ appended, t_ accumulates);
    extra solvers honour max_iter on warm refits."""
    est = _small(MLPClassifier, solver=solver, warm_start=True, max_iter=4,
                 n_iter_no_change=100)
    _fit(est, data[0], data[1])
    first = [c.copy() for c in est.coefs_]
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(4\)"):
        est.fit(data[0], data[1])
    assert est.n_iter_ == 4
    assert len(est.loss_curve_) == 8
    assert est.t_ == 8 * 60
    assert not np.array_equal(first[0], est.coefs_[0])


@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam", "rmsprop", "adagrad"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cold_refit_is_bit_identical(solver, dtype, data):
    """Rows: cold refit, same int random_state; determinism across fit,
    partial_fit and float32/float64."""
    X = data[0].astype(dtype)
    est = _small(MLPClassifier, solver=solver, random_state=7, dropout=0.0,
                 batch_norm=solver != "lbfgs")
    _fit(est, X, data[2])
    first = [p.copy() for p in est.network_.parameters()]
    state = {k: v.copy() for k, v in est.network_.named_state().items()}
    n_curve = len(getattr(est, "loss_curve_", []))
    _fit(est, X, data[2])
    for a, b in zip(first, est.network_.parameters()):
        assert b.dtype == dtype
        np.testing.assert_array_equal(a, b)
    for key, value in est.network_.named_state().items():
        np.testing.assert_array_equal(state[key], value)
    assert len(getattr(est, "loss_curve_", [])) == n_curve  # reset, not appended
    if solver != "lbfgs":
        a, b = _small(MLPClassifier, solver=solver, random_state=7), _small(
            MLPClassifier, solver=solver, random_state=7)
        for e in (a, b):
            e.partial_fit(X, data[2], classes=[0, 1, 2])
            e.partial_fit(X, data[2])
        for p, q in zip(a.network_.parameters(), b.network_.parameters()):
            np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("change, fragment", [
    pytest.param({"hidden_layer_sizes": (7,)}, "cannot change the network's architecture",
                 id="warm_start_changed_hidden_layer_sizes"),
    pytest.param({"activation": "tanh"}, "cannot change the network's architecture",
                 id="warm_start_changed_activation"),
])
def test_warm_start_architecture_change_raises(change, fragment, data):
    """Row: warm_start + changed hidden_layer_sizes (sklearn silently ignores it)."""
    est = _fit(_small(MLPClassifier, warm_start=True), data[0], data[1])
    before = _state(est)
    est.set_params(**change)
    with pytest.raises(ValueError, match=fragment):
        est.fit(data[0], data[1])
    _assert_same_state(before, _state(est))


def test_warm_start_different_n_features_and_classes(data):
    """Rows: warm_start + different n_features; warm_start + different class set."""
    est = _fit(_small(MLPClassifier, warm_start=True), data[0], data[1])
    before = _state(est)
    with pytest.raises(ValueError, match="X has 3 features, but MLPClassifier is expecting 4"):
        est.fit(data[0][:, :3], data[1])
    with pytest.raises(ValueError, match=r"warm_start can only be used where `y` has the same "
                                         r"classes as in the previous call to fit\. "
                                         r"Previously got \[0 1\], `y` has \[0 1 2\]"):
        est.fit(data[0], data[2])
    _assert_same_state(before, _state(est))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_warm_start_switch_lbfgs_to_sgd(cls, data):
    """Row: warm_start, switch solver lbfgs -> sgd (sklearn: AttributeError)."""
    est = _fit(_small(cls, solver="lbfgs", warm_start=True), data[0], _y(cls, data))
    start = est.coefs_[0].copy()
    est.set_params(solver="sgd")
    _fit(est, data[0], _y(cls, data))
    assert len(est.loss_curve_) == est.n_iter_ == 5
    assert not np.array_equal(start, est.coefs_[0])


def test_partial_fit_class_errors(data):
    """Rows: partial_fit first call without classes; label outside classes_;
    different classes= later; class declared but seen only later."""
    X, y, y3 = data[0], data[1], data[2]
    est = _small(MLPClassifier)
    with pytest.raises(ValueError, match="classes must be passed on the first call to "
                                         "partial_fit"):
        est.partial_fit(X, y)
    assert _unfitted(est)
    est.partial_fit(X, y, classes=[0, 1])
    before = _state(est)
    with pytest.raises(ValueError, match=r"`y` has classes not in `self.classes_`. "
                                         r"`self.classes_` has \[0 1\]. 'y' has \[0 1 2\]."):
        est.partial_fit(X, y3)
    with pytest.raises(ValueError, match=r"`classes=\[0, 1, 2\]` is not the same as on last "
                                         r"call to partial_fit"):
        est.partial_fit(X, y3, classes=[0, 1, 2])
    _assert_same_state(before, _state(est))
    later = _small(MLPClassifier).partial_fit(X[y3 < 2], y3[y3 < 2], classes=[0, 1, 2])
    later.partial_fit(X, y3)
    assert later.predict_proba(X).shape == (60, 3)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_partial_fit_after_fit_different_n_features(cls, data):
    """Row: partial_fit after fit with different n_features."""
    est = _fit(_small(cls), data[0], _y(cls, data))
    with pytest.raises(ValueError, match="X has 3 features"):
        est.partial_fit(data[0][:, :3], _y(cls, data))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_partial_fit_with_early_stopping(cls, data):
    """Row: partial_fit with early_stopping=True."""
    kw = {"classes": [0, 1]} if cls is MLPClassifier else {}
    est = _small(cls, early_stopping=True)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        est.partial_fit(data[0], _y(cls, data), **kw)
    assert _unfitted(est)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=EST_IDS)
def test_partial_fit_absent_for_lbfgs(cls):
    """Row: partial_fit with solver='lbfgs' (sklearn's regressor wrongly has it)."""
    assert not hasattr(cls(solver="lbfgs"), "partial_fit")
    assert hasattr(cls(solver="sgd"), "partial_fit")


def test_random_state_none_and_shared_instance(data):
    """Rows: random_state=None; shared RandomState instance."""
    a = _fit(_small(MLPClassifier, random_state=None), data[0], data[1])
    b = _fit(_small(MLPClassifier, random_state=None), data[0], data[1])
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])
    est = _small(MLPClassifier, random_state=np.random.RandomState(0))
    first = _fit(est, data[0], data[1]).coefs_[0].copy()
    assert not np.array_equal(first, _fit(est, data[0], data[1]).coefs_[0])


def test_row_order_full_batch(data):
    """Row: row order (lbfgs, full batch) -- invariant up to rounding."""
    perm = np.random.RandomState(1).permutation(60)
    a = _fit(_small(MLPClassifier, solver="lbfgs", max_iter=30), data[0], data[2])
    b = _fit(_small(MLPClassifier, solver="lbfgs", max_iter=30), data[0][perm], data[2][perm])
    np.testing.assert_allclose(a.predict_proba(data[0]), b.predict_proba(data[0]), atol=1e-6)


# ======================================================================
# Extra sknet-specific faults
# ======================================================================
def test_batch_norm_batch_of_one_row(data):
    """Batch norm: a training batch of 1 row must not divide by zero variance.

    When every batch has one row there are no batch statistics at all: a
    ValueError says so (and names "1 sample", as scikit-learn's
    check_fit2d_1sample expects). A trailing one-row batch trains through the
    running statistics (tests/test_training_state.py)."""
    est = _small(MLPClassifier, batch_norm=True, batch_size=1, max_iter=2)
    with pytest.raises(ValueError, match="every mini-batch here has 1 sample"):
        est.fit(data[0][:7], data[1][:7])
    assert _unfitted(est)
    est = _fit(_small(MLPClassifier, batch_norm=True, batch_size=2, max_iter=2),
               data[0][:7], data[1][:7])
    assert all(np.isfinite(p).all() for p in est.network_.parameters())
    assert all(np.isfinite(s).all() for s in est.network_.named_state().values())


def test_batch_norm_state_pickled(data):
    """Batch norm: running statistics pickled."""
    est = _fit(_small(MLPClassifier, batch_norm=True), data[0], data[1])
    copy = pickle.loads(pickle.dumps(est))
    state = est.network_.named_state()
    assert state  # the running mean / variance exist
    for key, value in copy.network_.named_state().items():
        np.testing.assert_array_equal(value, state[key])


def test_prelu_slopes_pickled_and_warm_started(data):
    """New activations: prelu slopes are part of the pickled state and of warm_start."""
    est = _fit(_small(MLPClassifier, activation="prelu", warm_start=True, max_iter=10,
                      learning_rate_init=0.05), data[0], data[2])
    slopes = {k: v for k, v in est.network_.named_parameters().items() if "slope" in k}
    assert slopes and not all(np.all(v == 0.25) for v in slopes.values())
    copy = pickle.loads(pickle.dumps(est))
    for k, v in slopes.items():
        np.testing.assert_array_equal(copy.network_.named_parameters()[k], v)
    before = {k: v.copy() for k, v in slopes.items()}
    _fit(copy, data[0], data[2])  # warm refit continues from the learned slopes
    after = copy.network_.named_parameters()
    assert any(not np.array_equal(after[k], before[k]) for k in before)
    cold = _fit(_small(MLPClassifier, activation="prelu", max_iter=1,
                       learning_rate_init=1e-12), data[0], data[2])
    for k, v in cold.network_.named_parameters().items():
        if "slope" in k:
            np.testing.assert_allclose(v, 0.25)


@pytest.mark.parametrize("solver", ["rmsprop", "adagrad"])
def test_extra_solvers_contract(solver, data):
    """Extra solvers: n_iter_, loss_curve_, ConvergenceWarning at max_iter,
    and the non-finite-weights ValueError."""
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\)"):
        est = _small(MLPRegressor, solver=solver, max_iter=3).fit(data[0], data[3])
    assert est.n_iter_ == 3 and len(est.loss_curve_) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.warns(DataScaleWarning), pytest.raises(ValueError, match=NONFINITE):
            _small(MLPRegressor, solver=solver, max_iter=3).fit(data[0], data[3] * 1e200)


def test_dropout_with_lbfgs_rejected(data):
    est = _small(MLPClassifier, solver="lbfgs", dropout=0.5)
    with pytest.raises(ValueError, match="dropout is not supported with solver='lbfgs'"):
        est.fit(data[0], data[1])
    assert _unfitted(est)
