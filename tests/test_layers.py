"""Every layer's backward pass against centred differences, in float64.

Each layer is checked on a random upstream gradient: the scalar
``sum(forward(X) * G)`` has gradient ``backward(G)`` with respect to ``X``,
and ``grads[key]`` with respect to each learnable array.
"""

import contextlib
import os

import numpy as np
import pytest
import scipy.sparse as sp

from sknet import _jit
from sknet.layers import (
    ACTIVATIONS,
    ELU,
    GELU,
    SiLU,
    BatchNorm,
    Dense,
    Dropout,
    Identity,
    LeakyReLU,
    Maxout,
    PReLU,
    ReLU,
    Sigmoid,
    Tanh,
)
from sknet.diagnostics import numerical_gradient
from sknet.losses import PoissonDeviance, SigmoidCrossEntropy, SoftmaxCrossEntropy, SquaredError
from sknet.ops import all_finite, log_softmax, safe_exp, sigmoid, softmax, softplus

RTOL = 1e-6


def rel_error(a, b, floor=1e-8):
    """Largest elementwise relative error; ``floor`` keeps exact zeros comparable."""
    return np.max(np.abs(a - b) / np.maximum(floor, np.abs(a) + np.abs(b)))


def _inputs(rng, shape):
    # Keep entries away from the kinks of ReLU-like functions at 0.
    X = rng.normal(size=shape)
    X[np.abs(X) < 1e-3] = 0.5
    return X


def make_layers(rng):
    n_units = 6
    return {
        "dense": Dense(rng.normal(size=(5, n_units)), rng.normal(size=n_units)),
        "identity": Identity(),
        "sigmoid": Sigmoid(),
        "tanh": Tanh(),
        "relu": ReLU(),
        "leaky_relu": LeakyReLU(0.1),
        "prelu": PReLU(rng.uniform(0.1, 0.4, size=5)),
        "elu": ELU(1.3),
        "gelu": GELU(),
        "silu": SiLU(),
        "maxout": Maxout(k=3),
        "batchnorm": BatchNorm(5, np.float64, momentum=0.9, epsilon=1e-5),
        "batchnorm_weighted": BatchNorm(5, np.float64),
        # No batch statistics (see BatchNorm): normalized by the running ones.
        "batchnorm_one_row": BatchNorm(5, np.float64),
        "batchnorm_one_weighted_row": BatchNorm(5, np.float64),
    }


LAYER_NAMES = list(make_layers(np.random.RandomState(0)))


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_layer_gradients(name):
    rng = np.random.RandomState(42)
    layer = make_layers(rng)[name]
    n = 1 if name == "batchnorm_one_row" else 7
    X = _inputs(rng, (n, 15 if name == "maxout" else 5))
    sw = rng.uniform(0.2, 3.0, size=n) if name == "batchnorm_weighted" else None
    if name == "batchnorm_one_weighted_row":
        sw = np.where(np.arange(n) == 3, 2.0, 0.0)
    if name.startswith("batchnorm"):
        layer.params["gamma"][:] = rng.uniform(0.5, 2.0, size=5)
        layer.params["beta"][:] = rng.normal(size=5)
        layer.state["running_mean"][:] = rng.normal(size=5)
        layer.state["running_var"][:] = rng.uniform(0.5, 2.0, size=5)
    G = rng.normal(size=layer.forward(X, training=True, sample_weight=sw).shape)

    def scalar():
        return float(np.sum(layer.forward(X, training=True, sample_weight=sw) * G))

    layer.forward(X, training=True, sample_weight=sw)
    dX = layer.backward(G)
    assert rel_error(dX, numerical_gradient(scalar, X)) < RTOL
    for key, value in layer.params.items():
        layer.forward(X, training=True, sample_weight=sw)
        layer.backward(G)
        analytic = layer.grads[key]
        assert analytic.shape == value.shape
        assert rel_error(analytic, numerical_gradient(scalar, value)) < RTOL, key


@pytest.mark.parametrize("n_rows, sample_weight", [(1, None), (4, [0.0, 3.0, 0.0, 0.0])])
def test_batch_norm_batch_without_statistics_uses_and_keeps_running_ones(n_rows, sample_weight):
    """A training batch with fewer than two rows of positive weight has no
    variance: it is normalized by the running statistics, which stay as they
    were (they used to decay toward a variance of 0, ruining prediction)."""
    rng = np.random.RandomState(1)
    layer = BatchNorm(3, np.float64, momentum=0.9, epsilon=1e-5)
    mean, var = rng.normal(size=3), rng.uniform(0.5, 2.0, size=3)
    layer.state["running_mean"][:], layer.state["running_var"][:] = mean, var
    layer.params["gamma"][:], layer.params["beta"][:] = [1.5, 0.5, 2.0], [0.1, -0.2, 0.3]
    X = rng.normal(size=(n_rows, 3))
    sw = None if sample_weight is None else np.asarray(sample_weight)
    Y = layer.forward(X, training=True, sample_weight=sw)
    np.testing.assert_allclose(Y, layer.forward(X, training=False), rtol=1e-14)
    np.testing.assert_array_equal(layer.state["running_mean"], mean)
    np.testing.assert_array_equal(layer.state["running_var"], var)
    # Two rows of weight: the batch's own statistics, and the running ones move.
    layer.forward(rng.normal(size=(2, 3)), training=True)
    assert not np.array_equal(layer.state["running_var"], var)


@pytest.mark.parametrize("cls", [GELU, SiLU])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_smooth_rectifiers_are_stable_at_extremes(cls, dtype):
    """x Phi(x) and x sigmoid(x): 0 far below 0, x far above, finite slopes."""
    X = np.array([[-1e3, -40.0, 0.0, 40.0, 1e3]], dtype=dtype)
    layer = cls()
    Y = layer.forward(X.copy(), training=True)
    dX = layer.backward(np.ones_like(X))
    assert Y.dtype == dtype and np.isfinite(Y).all() and np.isfinite(dX).all()
    np.testing.assert_allclose(Y, [[0, 0, 0, 40, 1e3]], atol=1e-12)
    np.testing.assert_allclose(dX, [[0, 0, 0.5, 1, 1]], atol=1e-12)


def test_every_activation_describes_itself():
    """One class and one table entry per activation: the estimators read the rest."""
    for name, cls in ACTIVATIONS.items():
        assert cls.name == name and cls.init_family in ("he", "lecun_normal")
        layer = cls.build(4, np.float64, dict(leaky_relu_slope=0.1, prelu_init=0.2,
                                              elu_alpha=1.0, maxout_pieces=3, inplace=False))
        X = np.random.RandomState(0).normal(size=(5, 4 * cls.pieces({"maxout_pieces": 3})))
        assert layer.forward(X, training=False).shape == (5, 4)


def test_dropout_gradient_with_fixed_mask():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(6, 4))
    G = rng.normal(size=(6, 4))
    layer = Dropout(0.4, np.random.RandomState(3))

    def scalar():
        layer.random_state = np.random.RandomState(3)  # the same mask every call
        return float(np.sum(layer.forward(X, training=True) * G))

    scalar()
    dX = layer.backward(G)
    assert rel_error(dX, numerical_gradient(scalar, X)) < RTOL
    # Inverted dropout: expectation kept, identity at prediction.
    assert np.array_equal(layer.forward(X, training=False), X)
    big = np.ones((2000, 50))
    out = Dropout(0.5, np.random.RandomState(0)).forward(big, training=True)
    assert set(np.unique(out)) == {0.0, 2.0}
    assert abs(out.mean() - 1.0) < 0.02


def test_dense_accepts_sparse_input_without_densifying():
    rng = np.random.RandomState(0)
    X = sp.random(8, 5, density=0.4, format="csr", random_state=0)
    layer = Dense(rng.normal(size=(5, 3)), np.zeros(3), input_grad=False)
    Y = layer.forward(X, training=True)
    assert np.allclose(Y, X.toarray() @ layer.params["W"])
    G = rng.normal(size=Y.shape)
    assert layer.backward(G) is None
    assert isinstance(layer.grads["W"], np.ndarray)
    assert np.allclose(layer.grads["W"], X.toarray().T @ G)


def test_batchnorm_running_statistics_and_eval_mode():
    rng = np.random.RandomState(0)
    bn = BatchNorm(3, np.float64, momentum=0.5)
    X = rng.normal(loc=[1.0, -2.0, 5.0], scale=[1.0, 2.0, 0.5], size=(400, 3))
    out = bn.forward(X, training=True)
    assert np.allclose(out.mean(axis=0), 0, atol=1e-10)
    assert np.allclose(out.std(axis=0), 1, atol=1e-3)
    assert np.allclose(bn.state["running_mean"], 0.5 * X.mean(axis=0))
    assert np.allclose(bn.state["running_var"], 0.5 + 0.5 * X.var(axis=0))
    # Prediction uses the running statistics: one row gives the same answer
    # alone as inside a batch.
    first = bn.forward(X[:1], training=False)
    assert np.allclose(first, bn.forward(X, training=False)[:1])
    # A one-row training batch has zero variance: finite output thanks to eps.
    assert np.isfinite(bn.forward(X[:1], training=True)).all()


def test_batchnorm_weighted_equals_repeated_rows():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(5, 4))
    w = np.array([1, 2, 0, 3, 1])
    a = BatchNorm(4, np.float64).forward(X, training=True, sample_weight=w.astype(float))
    b = BatchNorm(4, np.float64).forward(np.repeat(X, w, axis=0), training=True)
    first_copy = (np.cumsum(w) - w)[w > 0]
    assert np.allclose(a[w > 0], b[first_copy])


def test_maxout_takes_max_of_k_pieces():
    X = np.array([[1.0, 5.0, -1.0, -3.0]])
    assert np.array_equal(Maxout(k=2).forward(X), [[5.0, -1.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", LAYER_NAMES)
def test_layers_preserve_dtype(name, dtype):
    rng = np.random.RandomState(0)
    layer = make_layers(rng)[name]
    for key in layer.params:
        layer.params[key] = layer.params[key].astype(dtype)
    for key in layer.state:
        layer.state[key] = layer.state[key].astype(dtype)
    X = rng.normal(size=(4, 15 if name == "maxout" else 5)).astype(dtype)
    Y = layer.forward(X, training=True)
    assert Y.dtype == dtype
    assert layer.backward(np.ones_like(Y)).dtype == dtype
    assert all(g.dtype == dtype for g in layer.grads.values())


# -- stable math --------------------------------------------------------
EXTREME = np.array([[-1e3, 0.0, 1e3], [1e3, 1e3, -1e3], [-1e3, -1e3, -1e3]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ops_are_finite_at_extremes(dtype):
    Z = EXTREME.astype(dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = softmax(Z)
        assert np.allclose(p.sum(axis=1), 1)
        assert np.isfinite(log_softmax(Z)).all()
        assert np.isfinite(softplus(Z)).all()
        s = sigmoid(Z)
        assert s.min() == 0 and s.max() == 1
    assert np.isfinite(safe_exp(np.array([1e3], dtype=dtype))).all()


@pytest.mark.parametrize(
    "loss, target",
    [
        (SoftmaxCrossEntropy(), np.array([0, 2, 1])),
        (SigmoidCrossEntropy(), np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]], float)),
        (SquaredError(), np.ones((3, 3))),
    ],
)
def test_losses_are_finite_at_extremes(loss, target):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, dZ = loss(EXTREME.copy(), target)
    assert np.isfinite(value) and np.isfinite(dZ).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_all_finite_tells_non_finite_entries_from_a_sum_that_overflows(dtype):
    big = np.finfo(dtype).max
    assert all_finite(np.full((3, 4), big, dtype))  # the sum overflows, the entries are finite
    assert all_finite(np.array([[-big, -big]], dtype))
    assert all_finite(np.empty((0, 3), dtype))
    for bad in (np.nan, np.inf, -np.inf):
        a = np.ones((5, 3), dtype)
        a[4, 2] = bad
        assert not all_finite(a)
        a = np.full((5, 3), big, dtype)  # with an overflowing sum too
        a[0, 1] = bad
        assert not all_finite(a)
    a = np.ones(4, dtype)
    a[1], a[2] = np.inf, -np.inf  # the sum is NaN
    assert not all_finite(a)


def test_softmax_loss_of_confident_wrong_score_is_the_margin():
    value, _ = SoftmaxCrossEntropy()(np.array([[1e3, 0.0]]), np.array([1]))
    assert value == pytest.approx(1e3)
    value, _ = SigmoidCrossEntropy()(np.array([[-1e3]]), np.array([[1.0]]))
    assert value == pytest.approx(1e3)


LOSS_CASES = {
    "softmax": (SoftmaxCrossEntropy(), lambda rng: rng.randint(0, 4, size=6)),
    "sigmoid": (SigmoidCrossEntropy(), lambda rng: rng.randint(0, 2, size=(6, 4)).astype(float)),
    "squared": (SquaredError(), lambda rng: rng.normal(size=(6, 4))),
    "poisson": (PoissonDeviance(), lambda rng: rng.poisson(2.0, size=(6, 4)).astype(float)),
}


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name", list(LOSS_CASES))
def test_loss_gradients(name, weighted):
    rng = np.random.RandomState(0)
    loss, make_target = LOSS_CASES[name]
    target = make_target(rng)
    Z = rng.normal(size=(6, 4))
    sw = rng.uniform(0.1, 2.0, size=6) if weighted else None
    _, dZ = loss(Z.copy(), target, sw)
    numeric = numerical_gradient(lambda: loss(Z.copy(), target, sw)[0], Z)
    assert rel_error(dZ, numeric) < RTOL


def test_losses_match_sklearn_values():
    from sklearn.metrics import log_loss, mean_poisson_deviance

    rng = np.random.RandomState(0)
    Z = rng.normal(size=(50, 3))
    y = rng.randint(0, 3, size=50)
    value, _ = SoftmaxCrossEntropy()(Z, y)
    assert value == pytest.approx(log_loss(y, softmax(Z), labels=[0, 1, 2]))
    counts = rng.poisson(3.0, size=(50, 1)).astype(float)
    value, _ = PoissonDeviance()(Z[:, :1], counts)
    assert value == pytest.approx(0.5 * mean_poisson_deviance(counts, np.exp(Z[:, :1])))


@pytest.mark.parametrize("Layer", [Sigmoid, Tanh, ReLU, LeakyReLU, ELU])
def test_inplace_activations_match_out_of_place(Layer):
    rng = np.random.RandomState(0)
    X = _inputs(rng, (6, 5))
    G = rng.normal(size=(6, 5))
    plain, inplace = Layer(), Layer(inplace=True)
    expected_Y = plain.forward(X.copy(), training=True)
    expected_dX = plain.backward(G.copy())
    X_buf, G_buf = X.copy(), G.copy()
    Y = inplace.forward(X_buf, training=True)
    assert Y is X_buf and np.allclose(Y, expected_Y)
    dX = inplace.backward(G_buf)
    assert dX is G_buf and np.allclose(dX, expected_dX)
    # Out of place, evaluation never writes into its input.
    X_eval = X.copy()
    plain.forward(X_eval, training=False)
    assert np.array_equal(X_eval, X)


def test_dense_training_buffers_are_reused_across_batches():
    rng = np.random.RandomState(0)
    layer = Dense(rng.normal(size=(4, 3)), np.zeros(3))
    first = layer.forward(rng.normal(size=(5, 4)), training=True)
    second = layer.forward(rng.normal(size=(5, 4)), training=True)
    assert first is second  # one allocation per batch size
    assert layer.forward(rng.normal(size=(2, 4)), training=True).shape == (2, 3)
    X = rng.normal(size=(5, 4))
    assert layer.forward(X) is not layer.forward(X)  # evaluation: fresh arrays


def test_inplace_prelu_matches_out_of_place():
    rng = np.random.RandomState(0)
    X, G = _inputs(rng, (6, 5)), rng.normal(size=(6, 5))
    slope = rng.uniform(0.1, 0.4, size=5)
    plain, inplace = PReLU(slope.copy()), PReLU(slope.copy(), inplace=True)
    expected = plain.forward(X.copy(), training=True)
    expected_dX = plain.backward(G.copy())
    X_buf = X.copy()
    assert inplace.forward(X_buf, training=True) is X_buf
    assert np.allclose(X_buf, expected)
    assert np.allclose(inplace.backward(G.copy()), expected_dX)
    assert np.allclose(inplace.grads["slope"], plain.grads["slope"])


def _textbook(name, X, param):
    """Each piecewise activation and its derivative, written with np.where."""
    one = X.dtype.type(1)
    if name == "relu":
        return np.where(X > 0, X, 0), np.where(X > 0, one, 0)
    if name in ("leaky", "prelu"):
        factor = np.where(X > 0, one, np.asarray(param, dtype=X.dtype))
        return X * factor, factor
    if name == "elu":
        alpha = X.dtype.type(param)
        negative = alpha * np.expm1(np.minimum(X, 0))
        return np.where(X > 0, X, negative), np.where(X > 0, one, negative + alpha)
    raise AssertionError(name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize(
    "name, make",
    [
        ("relu", lambda p, inplace: ReLU(inplace=inplace)),
        ("leaky", lambda p, inplace: LeakyReLU(p, inplace=inplace)),
        ("prelu", lambda p, inplace: PReLU(p, inplace=inplace)),
        ("elu", lambda p, inplace: ELU(p, inplace=inplace)),
    ],
)
def test_piecewise_activations_equal_their_definition_bitwise(name, make, inplace, dtype):
    # The layers select between pieces arithmetically (for speed); the result
    # must be the definition's, bit for bit, zeros and extremes included, in
    # training and in evaluation, and over batches that reuse the buffers.
    rng = np.random.RandomState(0)
    param = {"relu": None, "leaky": 0.01, "elu": 1.7}.get(name, rng.uniform(-0.5, 1.5, 7))
    if name == "prelu":
        param = param.astype(dtype)
    layer = make(param, inplace)
    for _ in range(3):
        X = rng.normal(scale=20, size=(9, 7)).astype(dtype)
        X[0] = [0, -0.0, 1e-40, -1e-40, 1e30, -1e30, -80]
        expected_Y, derivative = _textbook(name, X, param)
        G = rng.normal(size=X.shape).astype(dtype)
        Y = layer.forward(X.copy(), training=True)
        np.testing.assert_array_equal(Y, expected_Y)
        assert Y.dtype == dtype
        np.testing.assert_array_equal(layer.backward(G.copy()), G * derivative)
        np.testing.assert_array_equal(layer.forward(X.copy(), training=False), expected_Y)
    X[1, 1] = np.nan
    assert np.isnan(layer.forward(X.copy(), training=False)[1, 1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_layer_is_within_two_ulp_of_expit_and_keeps_tiny_outputs(dtype):
    from scipy.special import expit

    rng = np.random.RandomState(0)
    X = rng.normal(scale=15, size=(50, 40)).astype(dtype)
    X[0, :6] = [0, -0.0, -60, 60, -700 if dtype == np.float64 else -80, 1e30]
    layer = Sigmoid()
    for training in (True, False):
        Y = layer.forward(X.copy(), training=training)
        reference = expit(X.astype(np.longdouble)).astype(dtype)
        assert Y.dtype == dtype
        np.testing.assert_array_max_ulp(Y, reference, maxulp=2)
    assert 0 < Y[0, 2] < 1e-25  # exp(-60): no cancellation to 0
    assert Y[0, 0] == 0.5 and Y[0, 5] == 1


# -- batch norm's compiled passes (sknet._jit) against the numpy form --------


@pytest.fixture
def kernels_run(monkeypatch):
    """The names of the compiled kernels that ran during the test (numba required)."""
    pytest.importorskip("numba")
    if os.environ.get("SKNET_DISABLE_JIT", "0") != "0":
        pytest.skip("SKNET_DISABLE_JIT is set")
    assert _jit.available()
    ran, run = set(), _jit.run

    def spy(name, arrays, scalars):
        if run(name, arrays, scalars):
            ran.add(name)
            return True
        return False

    monkeypatch.setattr(_jit, "run", spy)
    return ran


def _batch_norm_steps(dtype, weighted, *, jit, n_features=7, relu=None):
    """Outputs, gradients and running statistics of a batch norm over four batches.

    ``relu``: None for the batch norm alone; ``"fused"`` for its rectified
    passes (``forward(..., relu=True)``); ``"layer"`` for a ReLU layer after it.
    """
    rng = np.random.RandomState(11)
    layer = BatchNorm(n_features, dtype, momentum=0.8)
    layer.params["gamma"][...] = rng.uniform(0.5, 2.0, n_features)
    layer.params["beta"][...] = rng.normal(size=n_features)
    if relu and n_features > 1:
        # A constant feature through a negative gamma and a beta of -0.0
        # comes out of the batch norm as -0.0, which the ReLU makes +0.0.
        layer.params["gamma"][1], layer.params["beta"][1] = -1.5, -0.0
    seen = []
    for n_rows in [200, 33, 2, 1]:  # the last has no statistics of its own
        scale = 10.0 ** rng.uniform(-3, 3, n_features)
        X = (rng.normal(size=(n_rows, n_features)) * scale).astype(dtype)
        dY = rng.normal(size=(n_rows, n_features)).astype(dtype)
        if relu:
            dY[0, 0] = np.inf  # inf times the ReLU's 0 is NaN, times its 1 inf
            if n_features > 1:
                X[:, 1] = 0.0
            if n_rows == 33:
                X[5, -1] = np.nan  # a NaN feature: kept by the ReLU as np.maximum keeps it
        sw = rng.uniform(0.1, 3.0, n_rows) if weighted else None
        with contextlib.ExitStack() as stack:
            if not jit:
                stack.enter_context(_jit.disabled())
            stack.enter_context(np.errstate(invalid="ignore"))
            if relu == "layer":
                rectifier = ReLU()
                Y = rectifier.forward(layer.forward(X, training=True, sample_weight=sw), training=True)
                Y = Y.copy()
                dX = layer.backward(rectifier.backward(dY)).copy()
                Y_eval = rectifier.forward(layer.forward(X)).copy()
            else:
                kw = {"relu": True} if relu == "fused" else {}
                Y = layer.forward(X, training=True, sample_weight=sw, **kw).copy()
                dX = layer.backward(dY).copy()
                Y_eval = layer.forward(X, **kw).copy()
        grads = [layer.grads[k].copy() for k in ("gamma", "beta")]
        running = [a.copy() for a in layer.state.values()]
        seen.append((Y, dX, Y_eval, *grads, *running))
    return seen


@pytest.mark.parametrize("n_features", [7, 1])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_compiled_passes_are_bitwise_equal_to_numpy(
    dtype, weighted, n_features, kernels_run
):
    ran = kernels_run
    compiled = _batch_norm_steps(dtype, weighted, jit=True, n_features=n_features)
    # One feature: numpy sums the lone column pairwise, so the sums stay numpy's.
    expected = {"bn_scale_shift"} | ({"bn_gradient_sums"} if n_features > 1 else set())
    expected |= set() if weighted else {"bn_input_gradient"}
    expected |= {"bn_statistics"} if n_features > 1 and not weighted else set()
    assert ran == expected
    plain = _batch_norm_steps(dtype, weighted, jit=False, n_features=n_features)
    for step_a, step_b in zip(compiled, plain):
        for a, b in zip(step_a, step_b):
            assert a.dtype == dtype
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("n_features", [7, 1])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_fused_with_relu_is_bitwise_the_two_layers(
    dtype, weighted, n_features, kernels_run
):
    """``forward(..., relu=True)`` and its backward pass, compiled or not, give
    bitwise what a ReLU layer after the batch norm gives, NaN, inf and the sign
    of zero included."""
    ran = kernels_run
    fused = _batch_norm_steps(dtype, weighted, jit=True, n_features=n_features, relu="fused")
    # Where the fused backward passes do not apply (sample weights, one row
    # without statistics, one feature summed pairwise), the ReLU's gradient
    # is taken first and the plain passes follow.
    expected = {"bn_scale_shift_relu"}
    if n_features > 1:
        expected |= {"bn_gradient_sums"}
        if not weighted:
            expected |= {"bn_statistics", "bn_gradient_sums_relu", "bn_input_gradient_relu"}
    elif not weighted:
        expected |= {"bn_input_gradient"}
    assert ran == expected
    references = [
        _batch_norm_steps(dtype, weighted, jit=jit, n_features=n_features, relu=relu)
        for jit, relu in [(True, "layer"), (False, "layer"), (False, "fused")]
    ]
    for reference in references:
        for step_a, step_b in zip(fused, reference):
            for a, b in zip(step_a, step_b):
                assert a.dtype == dtype
                np.testing.assert_array_equal(a, b)
                numbers = ~np.isnan(a)  # a NaN's sign bit means nothing
                np.testing.assert_array_equal(np.signbit(a[numbers]), np.signbit(b[numbers]))
    Y = fused[1][0]
    assert np.isnan(Y[:, -1]).all() and (Y[:, :-1] >= 0).all()
    if n_features > 1:
        assert (Y[:, 1] == 0).all() and not np.signbit(Y[:, 1]).any()
