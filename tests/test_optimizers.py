"""Each update rule against its written formula, and SGD / Adam against scikit-learn."""

import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from sknet import _jit, optimizers
from sknet.optimizers import OPTIMIZERS, SGD, AdaGrad, Adam, Optimizer, RMSProp

TOL = {np.float64: dict(rtol=1e-12, atol=1e-15), np.float32: dict(rtol=2e-6, atol=1e-7)}


def _problem(dtype, seed=0):
    rng = np.random.RandomState(seed)
    params = [rng.normal(size=(3, 4)), rng.normal(size=4)]
    grads = [[rng.normal(size=p.shape) for p in params] for _ in range(2)]
    return [p.astype(dtype) for p in params], [[g.astype(dtype) for g in gs] for gs in grads]


def _reference(rule, params, grads_seq, lr, **hp):
    """Plain-numpy, float64 transcription of the written formulas."""
    ps = [p.astype(np.float64) for p in params]
    state = [dict(a=np.zeros_like(p), b=np.zeros_like(p)) for p in ps]
    for t, grads in enumerate(grads_seq, start=1):
        for p, g, s in zip(ps, grads, state):
            g = g.astype(np.float64)
            if rule == "sgd":
                mu = hp.get("momentum", 0.0)
                if mu == 0:
                    p -= lr * g
                    continue
                s["a"] = mu * s["a"] - lr * g
                p += mu * s["a"] - lr * g if hp.get("nesterov") else s["a"]
            elif rule == "adam":
                b1, b2, eps = 0.9, 0.999, 1e-8
                s["a"] = b1 * s["a"] + (1 - b1) * g
                s["b"] = b2 * s["b"] + (1 - b2) * g**2
                lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
                p += -lr_t * s["a"] / (np.sqrt(s["b"]) + eps)
            elif rule == "adagrad":
                s["a"] += g**2
                p -= lr * g / (np.sqrt(s["a"]) + 1e-8)
            elif rule == "rmsprop":
                rho = hp.get("decay", 0.99)
                s["a"] = rho * s["a"] + (1 - rho) * g**2
                p -= lr * g / (np.sqrt(s["a"]) + 1e-8)
    return ps


CASES = [
    ("sgd", {}),
    ("sgd", {"momentum": 0.9}),
    ("sgd", {"momentum": 0.9, "nesterov": True}),
    ("adam", {}),
    ("adagrad", {}),
    ("rmsprop", {}),
    ("rmsprop", {"decay": 0.5}),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("rule, hp", CASES)
def test_two_steps_match_formula(rule, hp, dtype):
    params, grads_seq = _problem(dtype)
    expected = _reference(rule, params, grads_seq, 0.05, **hp)
    opt = OPTIMIZERS[rule](**hp)
    ids = [id(p) for p in params]
    for grads in grads_seq:
        opt.step(params, grads, 0.05)
    assert [id(p) for p in params] == ids  # updated in place
    for p, e in zip(params, expected):
        assert p.dtype == dtype
        np.testing.assert_allclose(p, e, **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("rule, hp", CASES)
def test_state_dtype_and_lr_numpy_scalar(rule, hp, dtype):
    # a numpy float64 learning rate must not upcast float32 parameters or state
    params, grads_seq = _problem(dtype)
    opt = OPTIMIZERS[rule](**hp)
    opt.step(params, grads_seq[0], np.float64(0.01))
    for name in ("velocities", "ms", "vs", "caches"):
        for arr in getattr(opt, name, None) or []:
            assert arr.dtype == dtype
    assert all(p.dtype == dtype for p in params)


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_sgd_matches_sklearn(momentum, nesterov):
    params, grads_seq = _problem(np.float64)
    theirs = [p.copy() for p in params]
    sk = SGDOptimizer(theirs, learning_rate_init=0.1, momentum=momentum, nesterov=nesterov)
    ours = SGD(momentum=momentum, nesterov=nesterov)
    for grads in grads_seq * 3:
        sk.update_params(theirs, grads)
        ours.step(params, grads, 0.1)
    for p, q in zip(params, theirs):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-15)


def test_adam_matches_sklearn():
    params, grads_seq = _problem(np.float64)
    theirs = [p.copy() for p in params]
    sk = AdamOptimizer(theirs, learning_rate_init=0.003, beta_1=0.8, beta_2=0.99, epsilon=1e-7)
    ours = Adam(beta_1=0.8, beta_2=0.99, epsilon=1e-7)
    for grads in grads_seq * 3:
        sk.update_params(theirs, grads)
        ours.step(params, grads, 0.003)
    assert ours.t == sk.t == 6
    for p, q in zip(params, theirs):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("rule, hp", CASES)
def test_pickle_round_trip_continues_identically(rule, hp):
    params, grads_seq = _problem(np.float32)
    opt = OPTIMIZERS[rule](**hp)
    opt.step(params, grads_seq[0], 0.01)
    clone = pickle.loads(pickle.dumps(opt))
    assert clone._scratch is None  # scratch buffers are not part of the state
    params2 = [p.copy() for p in params]
    opt.step(params, grads_seq[1], 0.01)
    clone.step(params2, grads_seq[1], 0.01)
    for p, q in zip(params, params2):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("rule, hp", CASES)
def test_reset_drops_state(rule, hp):
    params, grads_seq = _problem(np.float64)
    opt = OPTIMIZERS[rule](**hp)
    opt.step(params, grads_seq[0], 0.01)
    assert opt.reset() is opt
    # a reset optimizer behaves like a brand-new one, even on a shorter list
    ours, ref = [params[0].copy()], [params[0].copy()]
    opt.step(ours, grads_seq[1][:1], 0.02)
    OPTIMIZERS[rule](**hp).step(ref, grads_seq[1][:1], 0.02)
    np.testing.assert_array_equal(ours[0], ref[0])


def test_param_count_mismatch_raises():
    params, grads_seq = _problem(np.float64)
    opt = Adam()
    opt.step(params, grads_seq[0], 0.01)
    with pytest.raises(ValueError, match="reset"):
        opt.step(params[:1], grads_seq[1][:1], 0.01)


def test_table_and_repr():
    assert OPTIMIZERS == {"sgd": SGD, "adam": Adam, "adagrad": AdaGrad, "rmsprop": RMSProp}
    assert all(issubclass(c, Optimizer) for c in OPTIMIZERS.values())
    assert repr(SGD(momentum=0.9, nesterov=True)) == "SGD(momentum=0.9, nesterov=True)"
    assert repr(Adam()) == "Adam(beta_1=0.9, beta_2=0.999, epsilon=1e-08)"
    assert repr(AdaGrad()) == "AdaGrad(epsilon=1e-08)"
    assert repr(RMSProp()) == "RMSProp(decay=0.99, epsilon=1e-08)"


def test_state_is_lazy():
    opt = Adam()
    assert opt.ms is None and opt.vs is None and opt.t == 0
    assert SGD(momentum=0.9).velocities is None


def test_adam_float32_stays_float32_close_to_sklearn():
    # scikit-learn's bias-corrected rate is a numpy float64 scalar, so (NEP 50) its
    # float32 update is computed in float64 and cast back; ours stays float32 and
    # agrees to float32 rounding.
    params, grads_seq = _problem(np.float32)
    theirs = [p.copy() for p in params]
    sk = AdamOptimizer(theirs, learning_rate_init=0.01)
    ours = Adam()
    for grads in grads_seq * 5:
        sk.update_params(theirs, grads)
        ours.step(params, grads, 0.01)
    for p, q in zip(params, theirs):
        assert p.dtype == q.dtype == np.float32
        np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-6)


# -- the numba kernels (sknet._jit) against the numpy form -------------------



def _run_steps(rule, hp, dtype, *, jit, contiguous=True, n_steps=25):
    rng = np.random.RandomState(3)
    W = rng.normal(size=(40, 9)).astype(dtype)
    b = rng.normal(size=9).astype(dtype)
    if not contiguous:
        W = np.asfortranarray(W)
    opt = OPTIMIZERS[rule](**hp)
    for step in range(n_steps):
        # Gradients over eleven orders of magnitude, zeros included, so the
        # square roots and divisions meet tiny and huge values alike.
        scale = 10.0 ** rng.uniform(-8, 3)
        gW = (rng.normal(size=W.shape) * scale).astype(dtype)
        gW[0, :3] = 0
        gb = rng.normal(size=b.shape).astype(dtype)
        if not contiguous:
            gW = np.asfortranarray(gW)
        lr = 10.0 ** rng.uniform(-4, -1)
        if jit:
            opt.step([W, b], [gW, gb], lr)
        else:
            with _jit.disabled():
                opt.step([W, b], [gW, gb], lr)
    return W, b


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rule, hp", CASES)
def test_compiled_kernels_are_bitwise_equal_to_numpy(rule, hp, dtype):
    pytest.importorskip("numba")
    if os.environ.get("SKNET_DISABLE_JIT", "0") != "0":
        pytest.skip("SKNET_DISABLE_JIT is set")
    assert _jit.available()
    W_jit, b_jit = _run_steps(rule, hp, dtype, jit=True)
    W_np, b_np = _run_steps(rule, hp, dtype, jit=False)
    assert W_jit.dtype == dtype and b_jit.dtype == dtype
    # Same roundings in the same order: not close, identical.
    np.testing.assert_array_equal(W_jit, W_np)
    np.testing.assert_array_equal(b_jit, b_np)


@pytest.mark.parametrize("rule, hp", CASES)
def test_kernels_skip_arrays_they_cannot_take(rule, hp, monkeypatch):
    # Fortran-ordered W and its gradient take the numpy path; the result is
    # still the same as the all-numpy run, and the kernel never sees them.
    calls = []
    real_run = _jit.run

    def spy(name, arrays, scalars):
        ran = real_run(name, arrays, scalars)
        calls.append((arrays[0].ndim, ran))
        return ran

    monkeypatch.setattr(_jit, "run", spy)
    W_mixed, b_mixed = _run_steps(rule, hp, np.float64, jit=True, contiguous=False)
    monkeypatch.setattr(_jit, "run", real_run)
    W_np, b_np = _run_steps(rule, hp, np.float64, jit=False, contiguous=False)
    np.testing.assert_array_equal(W_mixed, W_np)
    np.testing.assert_array_equal(b_mixed, b_np)
    assert not any(ran for ndim, ran in calls if ndim == 2)
    assert all(ran == _jit.available() for ndim, ran in calls if ndim == 1)


def test_kernels_skip_other_dtypes():
    p = np.zeros(3, dtype=np.float16)
    assert not _jit.run("sgd", (p, np.ones(3, dtype=np.float16)), (0.5,))
    assert not _jit.run("sgd", (np.zeros(3), np.ones(3, dtype=np.float32)), (0.5,))
    np.testing.assert_array_equal(p, 0)


def test_disable_by_environment_variable():
    code = "from sknet import _jit; print(_jit.available())"
    env = dict(os.environ, SKNET_DISABLE_JIT="1")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_failed_compilation_falls_back_to_numpy_with_a_warning(monkeypatch):
    pytest.importorskip("numba")

    def broken(*args):
        raise TypeError("no matching definition")

    kernels = dict(_jit._kernels(), adam=broken)
    monkeypatch.setattr(_jit, "_kernels", lambda: kernels)
    monkeypatch.setattr(_jit, "_enabled", True)
    W_np, b_np = _run_steps("adam", {}, np.float64, jit=False, n_steps=3)
    with pytest.warns(RuntimeWarning, match="could not compile"):
        W, b = _run_steps("adam", {}, np.float64, jit=True, n_steps=3)
    assert not _jit._enabled
    np.testing.assert_array_equal(W, W_np)
    np.testing.assert_array_equal(b, b_np)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "solver, extra",
    [("adam", {}), ("sgd", {"nesterovs_momentum": True}), ("sgd", {"momentum": 0.0}),
     ("rmsprop", {}), ("adagrad", {})],
)
def test_fit_is_identical_with_and_without_kernels(solver, extra, dtype):
    from sklearn.datasets import load_digits

    from sknet import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(dtype)

    def fit():
        est = MLPClassifier(
            hidden_layer_sizes=(20,), solver=solver, max_iter=3, random_state=0, **extra
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return est.fit(X, y)

    pytest.importorskip("numba")
    if os.environ.get("SKNET_DISABLE_JIT", "0") != "0":
        pytest.skip("SKNET_DISABLE_JIT is set")
    assert _jit.available()
    ran = []
    real_run = _jit.run

    def spy(name, arrays, scalars):
        ran.append(real_run(name, arrays, scalars))
        return ran[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_jit, "run", spy)
        compiled = fit()
    assert ran and all(ran)  # every step of this fit ran the compiled kernel
    with _jit.disabled():
        plain = fit()
    assert compiled.coefs_[0].dtype == dtype
    for a, b in zip(compiled.coefs_ + compiled.intercepts_, plain.coefs_ + plain.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert compiled.loss_curve_ == plain.loss_curve_


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rule, hp", CASES)
def test_numpy_forms_in_chunks_equal_whole_arrays(rule, hp, dtype, monkeypatch):
    # Chunks of 7 elements: 360 weights and 9 biases span many, ragged at the end.
    monkeypatch.setattr(optimizers, "CHUNK_BYTES", 7 * np.dtype(dtype).itemsize)
    chunked = _run_steps(rule, hp, dtype, jit=False)
    # Fortran-ordered arrays cannot be chunked as views: whole arrays.
    whole = _run_steps(rule, hp, dtype, jit=False, contiguous=False)
    for a, b in zip(chunked, whole):
        np.testing.assert_array_equal(a, b)
    monkeypatch.setattr(optimizers, "CHUNK_BYTES", 2**20)
    np.testing.assert_array_equal(_run_steps(rule, hp, dtype, jit=False)[0], chunked[0])


def test_chunks_are_aligned_views():
    a, b = np.arange(20.0), np.arange(20.0) * 2
    chunks = list(optimizers._chunks((a, b)))
    assert len(chunks) == 1  # smaller than a chunk
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(optimizers, "CHUNK_BYTES", 8 * 6)
        chunks = list(optimizers._chunks((a, b)))
    assert [len(x) for x, _ in chunks] == [6, 6, 6, 2]
    for x, y in chunks:
        assert np.shares_memory(x, a) and np.array_equal(y, 2 * x)
