"""Fits whose weights are recorded in ``fits.npz``: a refactor must not move them.

Each case is a name and a function that returns a fitted estimator. The fixture
was written by ``python tests/golden/cases.py`` before
the training loop left the estimator; ``tests/test_golden.py`` refits every case
and asserts the same weights, running statistics and loss curve, bit for bit.
A case whose result changes on purpose is rewritten here with the reason in the
commit message.
"""

import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning

from sknet import MLPClassifier, MLPRegressor

FIXTURE = Path(__file__).with_name("fits.npz")


def _digits():
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16.0, y[:400]


def _regression():
    X, y = make_regression(n_samples=300, n_features=8, noise=5.0, random_state=0)
    return X, y / 100.0


def _fit(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kw)


def default_classifier():
    X, y = _digits()
    return _fit(MLPClassifier(max_iter=15, random_state=0), X, y)


def default_regressor():
    X, y = _regression()
    return _fit(MLPRegressor(max_iter=15, random_state=0), X, y)


def batch_norm():
    X, y = _digits()
    return _fit(MLPClassifier((32, 16), batch_norm=True, max_iter=10, random_state=1), X, y)


def dropout():
    X, y = _regression()
    est = MLPRegressor(hidden_layer_sizes=(32,), dropout=0.3, max_iter=10, random_state=2)
    return _fit(est, X, y)


def lbfgs():
    X, y = _digits()
    return _fit(MLPClassifier((16,), solver="lbfgs", max_iter=30, random_state=3), X, y)


def lbfgs_batch_norm():
    X, y = _regression()
    est = MLPRegressor(
        hidden_layer_sizes=(16,), solver="lbfgs", batch_norm=True, max_iter=30, random_state=3
    )
    return _fit(est, X, y)


def early_stopping():
    X, y = _digits()
    est = MLPClassifier((32,), early_stopping=True, max_iter=20, random_state=4)
    return _fit(est, X, y)


def sgd_nesterov_float32():
    X, y = _digits()
    est = MLPClassifier(
        (24,), solver="sgd", learning_rate_init=0.05, momentum=0.9, max_iter=10, random_state=5
    )
    return _fit(est, X.astype(np.float32), y)


def sample_weight_class_weight():
    X, y = _digits()
    sw = np.random.RandomState(6).uniform(0.5, 2.0, X.shape[0])
    est = MLPClassifier(
        (16,), class_weight="balanced", batch_size=64, max_iter=8, random_state=6
    )
    return _fit(est, X, y, sample_weight=sw)


def partial_fit_sequence():
    X, y = _regression()
    est = MLPRegressor(
        hidden_layer_sizes=(16,), activation="tanh", solver="rmsprop", random_state=7
    )
    for start in range(0, 300, 100):
        est.partial_fit(X[start : start + 100], y[start : start + 100])
    return est


CASES = {
    f.__name__: f
    for f in (
        default_classifier,
        default_regressor,
        batch_norm,
        dropout,
        lbfgs,
        lbfgs_batch_norm,
        early_stopping,
        sgd_nesterov_float32,
        sample_weight_class_weight,
        partial_fit_sequence,
    )
}


def record(est):
    """The arrays a case is judged by: parameters, running statistics, loss curve."""
    out = {f"param:{k}": v for k, v in est.network_.named_parameters().items()}
    out.update({f"state:{k}": v for k, v in est.network_.named_state().items()})
    if hasattr(est, "loss_curve_"):
        out["loss_curve"] = np.asarray(est.loss_curve_, dtype=np.float64)
    out["loss"] = np.float64(est.loss_)
    return out


def main():
    arrays = {}
    for name, case in CASES.items():
        for key, value in record(case()).items():
            arrays[f"{name}/{key}"] = np.asarray(value)
    np.savez_compressed(FIXTURE, **arrays)
    print(f"wrote {len(arrays)} arrays of {len(CASES)} cases to {FIXTURE}")


if __name__ == "__main__":
    main()
