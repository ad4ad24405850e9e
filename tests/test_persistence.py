"""skops round trips: every sknet type a model holds is on trusted_types()."""

from pathlib import Path

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from sknet import MLPClassifier, MLPRegressor
from sknet.layers import ACTIVATIONS
from sknet.persistence import trusted_types
from sknet.preprocessing import Centerer, Whitening

from helpers import quiet_fit

sio = pytest.importorskip("skops.io")

CLASSIFIERS = [
    *(dict(activation=name) for name in ACTIVATIONS),
    dict(batch_norm=True, dropout=0.2, solver="sgd", learning_rate="adaptive"),
    dict(solver="rmsprop", learning_rate="step", early_stopping=True),
    dict(solver="adagrad", learning_rate="cosine", track_training=True),
    dict(solver="adamw", learning_rate="exponential", label_smoothing=0.1),
    dict(solver="sgd", learning_rate="invscaling", class_weight="balanced"),
    dict(solver="lbfgs"),
]
REGRESSORS = [dict(loss="huber"), dict(loss="poisson"), dict(batch_norm=True)]


def _round_trip(est):
    data = sio.dumps(est)
    untrusted = set(sio.get_untrusted_types(data=data))
    assert untrusted <= set(trusted_types()), untrusted - set(trusted_types())
    return sio.loads(data, trusted=trusted_types())


@pytest.mark.parametrize("params", CLASSIFIERS, ids=repr)
def test_classifier_round_trip(iris, params):
    X, y = iris
    clf = quiet_fit(MLPClassifier(hidden_layer_sizes=(5,), max_iter=15, random_state=0, **params),
                    X, y)
    loaded = _round_trip(clf)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    for a, b in zip(loaded.coefs_, clf.coefs_):
        np.testing.assert_array_equal(a, b)
    assert loaded.get_params() == clf.get_params()
    assert loaded.n_iter_ == clf.n_iter_
    np.testing.assert_equal(loaded.history_, clf.history_)  # NaN-aware, nested
    assert getattr(loaded, "loss_curve_", None) == getattr(clf, "loss_curve_", None)


def test_loaded_model_continues_partial_fit_like_the_original(iris):
    # the update rule's moments and the step count travel with the file
    X, y = iris
    clf = MLPClassifier(hidden_layer_sizes=(5,), random_state=0)
    for _ in range(3):
        clf.partial_fit(X, y, classes=np.unique(y))
    loaded = _round_trip(clf)
    clf.partial_fit(X, y)
    loaded.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.network_.flat_params, clf.network_.flat_params)
    assert loaded.t_ == clf.t_


@pytest.mark.parametrize("params", REGRESSORS, ids=repr)
def test_regressor_and_pipeline_round_trip(iris, params):
    X, _ = iris
    y = X[:, 0] if params.get("loss") != "poisson" else np.exp(X[:, 0] / 4)
    for step in (Centerer(), Whitening()):
        pipe = make_pipeline(step, MLPRegressor(hidden_layer_sizes=(4,), max_iter=10,
                                                random_state=0, **params))
        quiet_fit(pipe, X[:, 1:], y)
        loaded = _round_trip(pipe)
        np.testing.assert_array_equal(loaded.predict(X[:, 1:]), pipe.predict(X[:, 1:]))


def test_trusted_types_are_listed_in_the_docs():
    page = (Path(__file__).parents[1] / "docs" / "deployment.md").read_text()
    missing = [name for name in trusted_types() if f"`{name}`" not in page]
    assert not missing
