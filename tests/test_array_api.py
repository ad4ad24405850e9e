"""sknet under scikit-learn's ``array_api_dispatch``.

sknet computes with numpy: with dispatch on it keeps working on numpy input
and refuses arrays of other namespaces with one clear error, before anything
is fitted. scipy reads ``SCIPY_ARRAY_API`` at import, so each case runs in a
fresh interpreter.
"""

import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("array_api_strict")

SCRIPT = textwrap.dedent(
    """
    import array_api_strict as xp
    import numpy as np
    import sklearn
    from sknet import MLPClassifier, MLPRegressor
    from sknet.preprocessing import Centerer, Whitening

    rng = np.random.RandomState(0)
    X = rng.rand(40, 3)
    y = (X[:, 0] > 0.5).astype(int)
    estimators = [
        MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0),
        MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0),
        Centerer(),
        Whitening(),
    ]
    with sklearn.config_context(array_api_dispatch=True):
        for est in estimators:
            name = type(est).__name__
            try:
                est.fit(xp.asarray(X), xp.asarray(y))
            except TypeError as exc:
                assert "array_api_strict" in str(exc), exc
                assert not hasattr(est, "n_features_in_"), name
            else:
                raise AssertionError(f"{name}.fit took array_api_strict input")
            est.fit(X, y)
            apply = est.predict if hasattr(est, "predict") else est.transform
            out = apply(X)
            assert isinstance(out, np.ndarray) and out.shape[0] == 40, name
            try:
                apply(xp.asarray(X))
            except TypeError as exc:
                assert "computes with numpy" in str(exc), exc
            else:
                raise AssertionError(f"{name} predicted on array_api_strict input")
        # the other inputs are checked alike
        X_xp, y_xp = xp.asarray(X), xp.asarray(y)
        for est, kwargs in [
            (MLPClassifier(max_iter=2), dict(X=X, y=y_xp)),
            (MLPRegressor(max_iter=2), dict(X=X, y=y_xp)),
            (MLPClassifier(max_iter=2), dict(X=X, y=y, X_val=X_xp, y_val=y)),
            (MLPClassifier(max_iter=2), dict(X=X, y=y, sample_weight=xp.ones(40))),
        ]:
            try:
                est.fit(**kwargs)
            except TypeError as exc:
                assert "computes with numpy" in str(exc), exc
            else:
                raise AssertionError(f"{type(est).__name__} took {sorted(kwargs)}")
        from sknet.diagnostics import babysit
        try:
            babysit(MLPClassifier(), X_xp, y_xp)
        except TypeError as exc:
            assert "babysit computes with numpy" in str(exc), exc
        else:
            raise AssertionError("babysit took array_api_strict input")
    print("ok")
    """
)


def test_dispatch_takes_numpy_and_refuses_other_namespaces():
    env = {"SCIPY_ARRAY_API": "1", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("ok")
