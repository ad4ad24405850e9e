"""ONNX export: onnxruntime gives what the estimators give (the `onnx` extra)."""

import warnings

import numpy as np
import pytest

pytest.importorskip("skl2onnx")
onnxruntime = pytest.importorskip("onnxruntime")

from skl2onnx import to_onnx  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

import sknet.onnx  # noqa: E402, F401  (registers the converters)
from sknet import MLPClassifier, MLPRegressor  # noqa: E402
from sknet.layers import ACTIVATIONS, ACTIVATION_ALIASES  # noqa: E402
from sknet.preprocessing import Centerer, Whitening  # noqa: E402

RNG = np.random.RandomState(0)
X = RNG.randn(120, 6).astype(np.float32)
Y3 = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)


def fitted(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def run(model, X, **options):
    onx = to_onnx(model, X[:1], options=options or None)
    session = onnxruntime.InferenceSession(onx.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("activation", [*ACTIVATIONS, *ACTIVATION_ALIASES])
def test_classifier_every_activation_and_batch_norm(activation, batch_norm):
    clf = fitted(MLPClassifier((8, 5), activation=activation, batch_norm=batch_norm,
                               learning_rate_init=0.01, max_iter=30, random_state=0), X, Y3)
    if activation == "prelu":  # learned slopes, not the initial ones
        assert not np.allclose(clf.network_.named_parameters()["prelu0.slope"], 0.25)
    label, proba = run(clf, X, zipmap=False)
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(label, clf.predict(X))


def test_classifier_labels_binary_strings_multilabel_dropout_and_float64():
    labels = np.array(["no", "yes"])[(X[:, 0] > 0).astype(int)]
    clf = fitted(MLPClassifier((6,), dropout=0.3, max_iter=20, random_state=0), X, labels)
    label, proba = run(clf, X, zipmap=False)
    np.testing.assert_array_equal(label, clf.predict(X))
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=1e-5)
    Y = np.c_[X[:, 0] > 0, X[:, 1] > 0, X[:, 2] > 0].astype(int)
    multi = fitted(MLPClassifier((6,), max_iter=20, random_state=0), X, Y)
    label, proba = run(multi, X, zipmap=False)
    np.testing.assert_array_equal(label, multi.predict(X))
    np.testing.assert_allclose(proba, multi.predict_proba(X), atol=1e-5)
    X64 = X.astype(np.float64)
    clf64 = fitted(MLPClassifier((6,), batch_norm=True, max_iter=20, random_state=0), X64, Y3)
    _, proba = run(clf64, X64, zipmap=False)
    np.testing.assert_allclose(proba, clf64.predict_proba(X64), rtol=1e-10, atol=1e-12)


def test_classifier_of_one_class_gives_a_column_of_ones():
    clf = fitted(MLPClassifier((4,), max_iter=5, random_state=0), X, np.full(len(X), 7))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no shape mismatch between graph and outputs
        label, proba = run(clf, X, zipmap=False)
    assert proba.shape == (len(X), 1)
    np.testing.assert_array_equal(proba, clf.predict_proba(X))
    np.testing.assert_array_equal(label, clf.predict(X))


@pytest.mark.parametrize("params", [
    {},
    {"loss": "poisson"},
    {"loss": "huber", "batch_norm": True},
    {"activation": "maxout", "maxout_pieces": 3},
])
def test_regressor(params):
    y = np.c_[np.abs(X[:, 0]), np.abs(X[:, 1] - X[:, 2])]
    for target in (y[:, 0], y):
        reg = fitted(MLPRegressor(hidden_layer_sizes=(8,), max_iter=30, random_state=0,
                                  **params), X, target)
        (out,) = run(reg, X)
        np.testing.assert_allclose(out.reshape(len(X), -1),
                                   reg.predict(X).reshape(len(X), -1), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("transformer", [
    Centerer(), Centerer(with_std=True), Centerer(per="channel", n_channels=3),
    Whitening(method="pca", n_components=4),
    Whitening(method="zca"),
])
def test_preprocessing_alone_and_in_a_pipeline(transformer):
    (out,) = run(transformer.fit(X), X)
    np.testing.assert_allclose(out, transformer.transform(X), rtol=1e-4, atol=1e-5)
    pipe = fitted(make_pipeline(transformer, MLPClassifier((6,), max_iter=20, random_state=0)),
                  X, Y3)
    label, proba = run(pipe, X, zipmap=False)
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(label, pipe.predict(X))
