"""Weight initializers: shapes, dtypes, scales, reproducibility, and sklearn's exact draws."""

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

from sknet.initializers import (
    INITIALIZERS,
    glorot_uniform,
    glorot_uniform_bias,
    he,
    init_layer,
    normal,
    resolve_init,
    xavier,
    zeros,
)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_shape_dtype_and_reproducibility(name, dtype):
    f = INITIALIZERS[name]
    W = f(np.random.RandomState(3), 7, 5, dtype, activation="relu")
    assert W.shape == (7, 5) and W.dtype == dtype
    W2 = f(np.random.RandomState(3), 7, 5, dtype, activation="relu")
    np.testing.assert_array_equal(W, W2)


@pytest.mark.parametrize("name", sorted(set(INITIALIZERS) - {"zeros"}))
def test_float32_is_float64_draw_rounded(name):
    f = INITIALIZERS[name]
    W64 = f(np.random.RandomState(1), 6, 4, np.float64)
    W32 = f(np.random.RandomState(1), 6, 4, np.float32)
    np.testing.assert_array_equal(W32, W64.astype(np.float32))


@pytest.mark.parametrize(
    "func, kw, expected_std",
    [
        (normal, {}, 0.01),
        (normal, {"scale": 1.0}, 1.0),
        (xavier, {}, 1 / np.sqrt(400)),
        (he, {}, np.sqrt(2 / 400)),
        (glorot_uniform, {"activation": "relu"}, np.sqrt(6 / 900) / np.sqrt(3)),
        (glorot_uniform, {"activation": "logistic"}, np.sqrt(2 / 900) / np.sqrt(3)),
    ],
)
def test_empirical_std(func, kw, expected_std):
    W = func(np.random.RandomState(0), 400, 500, np.float64, **kw)
    assert W.std() == pytest.approx(expected_std, rel=0.03)
    assert abs(W.mean()) < 0.05 * expected_std


def test_glorot_bounds():
    for act, factor in [("relu", 6), ("tanh", 6), ("identity", 6), ("logistic", 2)]:
        b = np.sqrt(factor / (300 + 200))
        W = glorot_uniform(np.random.RandomState(0), 300, 200, np.float64, activation=act)
        assert W.min() >= -b and W.max() <= b
        assert W.max() > 0.99 * b and W.min() < -0.99 * b


def test_zeros_are_zeros():
    rng = np.random.RandomState(0)
    state = rng.get_state()[1].copy()
    W = zeros(rng, 4, 3, np.float32)
    assert W.dtype == np.float32 and not W.any()
    np.testing.assert_array_equal(rng.get_state()[1], state)  # no draw


def test_uses_only_given_rng():
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    for f in INITIALIZERS.values():
        f(np.random.RandomState(1), 5, 5, np.float64)
    init_layer("glorot_uniform", np.random.RandomState(1), 5, 5, np.float64, "relu")
    np.testing.assert_array_equal(np.random.get_state()[1], before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_glorot_uniform_equals_sklearn_init_coef(activation, dtype):
    layer_units = [6, 5, 4, 3]
    sk = MLPClassifier(activation=activation)
    sk._random_state = np.random.RandomState(42)
    expected = [
        sk._init_coef(layer_units[i], layer_units[i + 1], dtype)
        for i in range(len(layer_units) - 1)
    ]

    # function by function, weights then bias per layer, same rng
    rng = np.random.RandomState(42)
    for i, (W_sk, b_sk) in enumerate(expected):
        fan_in, fan_out = layer_units[i], layer_units[i + 1]
        W = glorot_uniform(rng, fan_in, fan_out, dtype, activation=activation)
        b = glorot_uniform_bias(rng, fan_in, fan_out, dtype, activation=activation)
        assert W.dtype == b.dtype == dtype
        np.testing.assert_array_equal(W, W_sk)
        np.testing.assert_array_equal(b, b_sk)

    # and through init_layer
    rng = np.random.RandomState(42)
    for i, (W_sk, b_sk) in enumerate(expected):
        W, b = init_layer(
            "glorot_uniform", rng, layer_units[i], layer_units[i + 1], dtype, activation
        )
        np.testing.assert_array_equal(W, W_sk)
        np.testing.assert_array_equal(b, b_sk)


@pytest.mark.parametrize("activation", ["relu", "logistic"])
def test_init_layer_reproduces_sklearn_initialize(activation):
    # sklearn's fit: check_random_state once, then _initialize draws W, b layer by
    # layer; the output layer's bound also uses the *hidden* activation.
    from sklearn.preprocessing import LabelBinarizer
    from sklearn.utils import check_random_state

    layer_units = [8, 16, 7, 3]
    y = np.eye(3)
    sk = MLPClassifier(activation=activation)
    sk._random_state = check_random_state(7)
    sk._label_binarizer = LabelBinarizer().fit([0, 1, 2])
    sk._initialize(y, layer_units, np.float32)

    rng = check_random_state(7)
    for i in range(len(layer_units) - 1):
        W, b = init_layer(
            "glorot_uniform", rng, layer_units[i], layer_units[i + 1], np.float32,
            activation,
        )
        np.testing.assert_array_equal(W, sk.coefs_[i])
        np.testing.assert_array_equal(b, sk.intercepts_[i])


@pytest.mark.parametrize("name", ["zeros", "normal", "xavier", "he"])
def test_init_layer_bias_is_zero_and_no_extra_draw(name):
    rng = np.random.RandomState(0)
    W, b = init_layer(name, rng, 4, 3, np.float32, activation="relu")
    assert b.shape == (3,) and b.dtype == np.float32 and not b.any()
    W_direct = INITIALIZERS[name](np.random.RandomState(0), 4, 3, np.float32)
    np.testing.assert_array_equal(W, W_direct)


def test_init_layer_passes_scale():
    W, _ = init_layer("normal", np.random.RandomState(0), 300, 300, np.float64, "relu",
                      scale=1.0)
    assert W.std() == pytest.approx(1.0, rel=0.03)


@pytest.mark.parametrize(
    "activation, expected",
    [
        ("relu", "he"),
        ("leaky_relu", "he"),
        ("prelu", "he"),
        ("elu", "he"),
        ("gelu", "he"),
        ("silu", "he"),
        ("maxout", "he"),
        ("tanh", "lecun_normal"),
        ("logistic", "lecun_normal"),
        ("sigmoid", "lecun_normal"),
        ("identity", "lecun_normal"),
    ],
)
def test_resolve_auto(activation, expected):
    assert resolve_init("auto", activation) == expected
    for name in INITIALIZERS:
        assert resolve_init(name, activation) == name


def test_resolve_errors():
    with pytest.raises(ValueError, match="allowed"):
        resolve_init("orthogonal", "relu")
    with pytest.raises(ValueError, match="Unknown activation 'softplus'"):
        resolve_init("auto", "softplus")


def test_table():
    assert INITIALIZERS == {
        "zeros": zeros,
        "normal": normal,
        "lecun_normal": xavier,
        "xavier": xavier,  # CS231n's name for LeCun normal
        "he": he,
        "glorot_uniform": glorot_uniform,
    }
