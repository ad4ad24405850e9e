"""The whole network: its loss gradient, and the lecture's initialization claims."""

import numpy as np
import pytest

from sknet import MLPClassifier
from sknet.initializers import init_layer
from sknet.layers import Dropout
from sknet.network_builder import build_network

from sknet.diagnostics import numerical_gradient

ACTIVATIONS = ["identity", "logistic", "tanh", "relu", "leaky_relu", "prelu", "elu", "maxout"]


def make_net(activation, out_activation, *, batch_norm=False, dropout=0.0, init="auto", seed=0):
    rng = np.random.RandomState(seed)

    def init_weights(rng, fan_in, fan_out, dtype):
        W, _ = init_layer(init, rng, fan_in, fan_out, dtype, activation)
        # Random biases keep pre-activations off ReLU's kink at exactly 0.
        return W, rng.normal(0.0, 0.5, size=fan_out)

    return build_network(
        4,
        [5, 3],
        3,
        activation=activation,
        out_activation=out_activation,
        random_state=rng,
        dtype=np.float64,
        init_weights=init_weights,
        batch_norm=batch_norm,
        dropout=dropout,
    )


def targets(out_activation, rng, n):
    if out_activation == "softmax":
        return rng.randint(0, 3, size=n)
    if out_activation == "logistic":
        return rng.randint(0, 2, size=(n, 3)).astype(float)
    if out_activation == "exp":
        return rng.poisson(1.5, size=(n, 3)).astype(float)
    return rng.normal(size=(n, 3))


def check_network_gradient(net, X, target, *, sample_weight=None, alpha=0.0):
    def reseed():
        for _, layer in net.layers:
            if isinstance(layer, Dropout):
                layer.random_state = np.random.RandomState(11)  # fixed mask

    def loss():
        reseed()
        return net.loss_and_gradients(X, target, sample_weight=sample_weight, alpha=alpha)

    loss()
    analytic = {k: g.copy() for k, g in zip(net.named_parameters(), net.gradients())}
    for name, param in net.named_parameters().items():
        numeric = numerical_gradient(loss, param)
        # Batch norm makes the preceding biases' gradients exactly zero; the
        # centred difference then returns rounding noise of about 1e-10, so
        # entries that small are compared absolutely.
        a, b = analytic[name], numeric
        relative = np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-300)
        assert np.all((np.abs(a - b) < 1e-9) | (relative < 1e-6)), name


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(
    "batch_norm, dropout, alpha",
    [(False, 0.0, 0.0), (True, 0.0, 0.0), (False, 0.0, 0.5), (True, 0.3, 0.5)],
    ids=["plain", "batchnorm", "l2", "batchnorm-l2-dropout"],
)
def test_network_loss_gradient(activation, batch_norm, dropout, alpha):
    rng = np.random.RandomState(1)
    net = make_net(activation, "softmax", batch_norm=batch_norm, dropout=dropout)
    X = rng.normal(size=(8, 4))
    check_network_gradient(net, X, targets("softmax", rng, 8), alpha=alpha)


@pytest.mark.parametrize("out_activation", ["softmax", "logistic", "identity", "exp"])
def test_network_gradient_for_each_output_with_sample_weight(out_activation):
    rng = np.random.RandomState(2)
    net = make_net("tanh", out_activation, batch_norm=True)
    X = rng.normal(size=(9, 4))
    sw = rng.uniform(0.2, 2.0, size=9)
    target = targets(out_activation, rng, 9)
    check_network_gradient(net, X, target, sample_weight=sw, alpha=0.1)


def test_l2_penalty_is_sklearn_scaled_and_on_weights_only():
    rng = np.random.RandomState(0)
    net = make_net("relu", "softmax", batch_norm=True)
    X, y = rng.normal(size=(10, 4)), rng.randint(0, 3, size=10)
    plain = net.loss_and_gradients(X, y, alpha=0.0)
    bias_grads = [layer.grads["b"].copy() for layer in net.weight_layers()]
    penalized = net.loss_and_gradients(X, y, alpha=2.0)
    squares = sum(float((W**2).sum()) for W in net.coefs)
    assert penalized - plain == pytest.approx(0.5 * 2.0 * squares / 10)
    for layer, before in zip(net.weight_layers(), bias_grads):
        assert np.array_equal(layer.grads["b"], before)


def test_named_parameters_and_state_are_listed_once():
    net = make_net("prelu", "softmax", batch_norm=True)
    names = list(net.named_parameters())
    assert len(names) == len(set(names)) == len(net.parameters())
    rng = np.random.RandomState(0)
    net.loss_and_gradients(rng.normal(size=(6, 4)), rng.randint(0, 3, size=6))
    for param, grad in zip(net.parameters(), net.gradients()):
        assert grad.shape == param.shape
    assert "prelu0.slope" in names and "batchnorm1.gamma" in names
    assert set(net.named_state()) == {
        "batchnorm0.running_mean",
        "batchnorm0.running_var",
        "batchnorm1.running_mean",
        "batchnorm1.running_var",
    }


# -- the lecture's weight-initialization claims ---------------------------
def activation_stds(activation, init, scale=0.01, n_layers=10, width=200, seed=0):
    """Std of each hidden layer's activations for unit-Gaussian input data."""
    rng = np.random.RandomState(seed)
    kw = {"scale": scale} if init == "normal" else {}

    def init_weights(rng, fan_in, fan_out, dtype):
        return init_layer(init, rng, fan_in, fan_out, dtype, activation, **kw)

    net = build_network(
        width,
        [width] * n_layers,
        10,
        activation=activation,
        out_activation="softmax",
        random_state=rng,
        dtype=np.float64,
        init_weights=init_weights,
    )
    X = np.random.RandomState(1).normal(size=(500, width))
    outputs = [a for name, a in net.layer_outputs(X) if name.startswith(activation)]
    assert len(outputs) == n_layers
    return outputs


def test_small_random_init_shrinks_tanh_activations_to_zero():
    acts = activation_stds("tanh", "normal", scale=0.01)
    stds = [a.std() for a in acts]
    assert stds[-1] < 1e-3 * stds[0]


def test_unit_std_init_saturates_tanh():
    acts = activation_stds("tanh", "normal", scale=1.0)
    for a in acts:
        assert np.mean(np.abs(a) > 0.99) > 0.5


def test_xavier_keeps_tanh_activation_scale():
    stds = [a.std() for a in activation_stds("tanh", "xavier")]
    assert max(stds) / min(stds) < 3


def test_he_keeps_relu_activation_scale_where_xavier_shrinks_it():
    he = [a.std() for a in activation_stds("relu", "he")]
    xavier = [a.std() for a in activation_stds("relu", "xavier")]
    assert max(he) / min(he) < 3
    assert xavier[-1] < xavier[0] / 3


def test_zero_init_keeps_hidden_units_identical():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)
    clf = MLPClassifier(
        hidden_layer_sizes=(8, 5),
        activation="logistic",
        init="zeros",
        max_iter=30,
        random_state=0,
    )
    with pytest.warns(Warning):  # ConvergenceWarning at max_iter
        clf.fit(X, y)
    W1, W2, W3 = clf.coefs_
    # Training moved the weights, but every unit of a layer is the same unit.
    assert np.abs(W3).max() > 1e-3
    for W in (W1, W2):
        assert np.allclose(W, W[:, :1])
    for b in clf.intercepts_[:2]:
        assert np.allclose(b, b[0])
    hidden = [a for name, a in clf.network_.layer_outputs(X) if name.startswith("sigmoid")]
    for a in hidden:
        assert np.allclose(a, a[:, :1])


def test_parameters_are_views_of_one_flat_buffer_even_after_copies():
    import copy
    import pickle

    net = make_net("prelu", "softmax", batch_norm=True)
    for restored in (net, pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
        for param, grad in zip(restored.parameters(), restored.gradients()):
            assert np.shares_memory(param, restored.flat_params)
            assert np.shares_memory(grad, restored.flat_grads)
        assert restored.flat_params.size == sum(p.size for p in restored.parameters())
    restored = pickle.loads(pickle.dumps(net))
    for a, b in zip(net.parameters(), restored.parameters()):
        assert np.array_equal(a, b)
    # Writing the flat vector is writing the layers' arrays.
    restored.flat_params[:] = 0
    assert all(not p.any() for p in restored.parameters())


def test_estimator_coefs_stay_linked_to_the_network_after_failed_partial_fit():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 4)), rng.randint(0, 2, size=40)
    clf = MLPClassifier(hidden_layer_sizes=(5,), random_state=0).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError):
        clf.partial_fit(X[:, :3], y)  # wrong width: the state is restored
    assert all(W is P for W, P in zip(clf.coefs_, clf.network_.coefs))
    assert all(np.shares_memory(W, clf.network_.flat_params) for W in clf.coefs_)
    before = clf.coefs_[0].copy()
    clf.partial_fit(X, y)
    assert not np.array_equal(before, clf.coefs_[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
def test_batch_norm_and_relu_run_fused_and_bitwise_as_two_layers(dtype, weighted):
    """Training a BN -> ReLU network through the fused step gives bitwise the
    losses, gradients and running statistics of the layer-by-layer passes."""
    import copy
    import pickle

    def net_of(activation):
        return build_network(
            7, [6, 5], 3, activation=activation, out_activation="softmax",
            random_state=np.random.RandomState(0), dtype=dtype, batch_norm=True, dropout=0.2,
        )

    net = net_of("relu")
    assert [relu for _, relu in net._steps] == [False, True, False, False, True, False, False]
    assert [layer for layer, _ in net._steps] == [
        layer for name, layer in net.layers if not name.startswith("relu")
    ]
    assert not any(relu for _, relu in net_of("leaky_relu")._steps)
    # Pickles and copies rebuild the steps over their own layers.
    for other in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
        own = {id(layer) for _, layer in other.layers}
        assert all(id(layer) in own for layer, _ in other._steps)
        assert [relu for _, relu in other._steps] == [relu for _, relu in net._steps]

    layered = copy.deepcopy(net)
    layered._steps = [(layer, False) for _, layer in layered.layers]
    rng = np.random.RandomState(1)
    for n_rows in [50, 20, 1]:
        X = rng.normal(size=(n_rows, 7)).astype(dtype)
        y = rng.randint(0, 3, size=n_rows)
        sw = rng.uniform(0.2, 2.0, size=n_rows) if weighted else None
        losses = [
            m.loss_and_gradients(X, y, sample_weight=sw, alpha=1e-3) for m in (net, layered)
        ]
        assert losses[0] == losses[1]
        np.testing.assert_array_equal(net.flat_grads, layered.flat_grads)
        for a, b in zip(net.named_state().values(), layered.named_state().values()):
            np.testing.assert_array_equal(a, b)
        for m in (net, layered):
            m.flat_params -= 0.5 * m.flat_grads
    np.testing.assert_array_equal(net.predict(X), layered.predict(X))
