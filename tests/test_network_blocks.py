"""Row blocks: prediction, evaluation and full-batch training give the whole
batch's results while holding one block's activations."""

import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

import sknet._blocks
import sknet.network
from sknet import MLPClassifier, MLPRegressor
from sknet.network_builder import build_network

MiB = 2**20


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 7 rows: every data set below spans many, with a ragged last one."""
    monkeypatch.setattr(sknet._blocks, "MIN_BLOCK_ROWS", 1)
    monkeypatch.setattr(sknet._blocks, "BLOCK_BYTES", 1)

    def rows(self, n_rows):
        return max(1, min(n_rows, 7))

    monkeypatch.setattr(sknet.network.Network, "block_rows", rows)


def net(out_activation, *, n_outputs=3, **kw):
    return build_network(
        6, [8, 5], n_outputs, activation=kw.pop("activation", "relu"),
        out_activation=out_activation, random_state=np.random.RandomState(0),
        dtype=kw.pop("dtype", np.float64), **kw,
    )


def whole_batch_predict(network, X):
    """The unblocked forward pass, written out (the reference)."""
    H = X
    for _, layer in network.layers:
        H = layer.forward(H)
    return network.loss.link(H.copy())


def fitted_bn_net(out_activation, **kw):
    """A network whose batch-norm running statistics are not the defaults."""
    network = net(out_activation, batch_norm=True, **kw)
    X = np.random.RandomState(1).normal(2.0, 3.0, size=(40, 6))
    for _ in range(3):
        network.forward(X, training=True)
    network.clear_cache()
    return network


@pytest.mark.parametrize("out_activation", ["softmax", "logistic", "identity", "exp"])
@pytest.mark.parametrize("options", [
    {}, {"batch_norm": True}, {"activation": "maxout"}, {"dropout": 0.3},
    {"activation": "prelu"}, {"activation": "logistic"},
])
def test_blocked_predict_equals_the_whole_batch(small_blocks, out_activation, options):
    network = (fitted_bn_net(out_activation) if options.get("batch_norm")
               else net(out_activation, **options))
    X = np.random.RandomState(2).normal(size=(52, 6))
    expected = whole_batch_predict(network, X)
    got = network.predict(X)
    assert got.shape == (52, 3)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("out_activation", ["softmax", "logistic", "identity", "exp"])
@pytest.mark.parametrize("options", [{}, {"batch_norm": True}, {"activation": "maxout"}])
def test_one_block_predict_equals_the_whole_batch(out_activation, options):
    """Rows that fit one block skip the output array: the link writes into the
    forward pass's own output. That is a new array each call, never X or a
    buffer of the network."""
    network = (fitted_bn_net(out_activation) if options.get("batch_norm")
               else net(out_activation, **options))
    X = np.random.RandomState(2).normal(size=(52, 6))
    X_before = X.copy()
    assert len(network.row_blocks(52)) == 1
    checked = []
    first = network.predict(X, check=checked.append)
    np.testing.assert_array_equal(first, whole_batch_predict(network, X))
    assert checked == []  # finite input: its first affine output is finite
    first_values = first.copy()
    second = network.predict(X)
    assert second is not first and not np.shares_memory(second, first)
    np.testing.assert_array_equal(first, first_values)
    np.testing.assert_array_equal(X, X_before)
    for data in (X.astype(np.float32), sp.csr_matrix(X)):
        got = network.predict(data)
        assert got.dtype == np.float64 and got.shape == (52, 3)
        np.testing.assert_allclose(got, first, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("blocked", [False, True], ids=["one block", "7-row blocks"])
def test_predict_checks_the_blocks_whose_first_affine_output_is_not_finite(
    monkeypatch, bad, blocked
):
    """check sees exactly the blocks holding a non-finite value (before the
    cast), and what it raises propagates; a finite input too large for the
    parameters' dtype is handed to check too, and goes on when it passes."""
    if blocked:
        monkeypatch.setattr(sknet.network.Network, "block_rows", lambda self, n: min(n, 7))
    network = net("softmax", dtype=np.float32)
    X = np.random.RandomState(2).normal(size=(52, 6))
    X[30, 4] = bad
    X[3, 0] = 1e300  # finite, but inf once cast to float32
    checked = []
    with np.errstate(over="ignore", invalid="ignore"):  # as the estimators call it
        network.predict(X, check=checked.append)

    def rows_of(block):  # the blocks are views of X
        offset = block.__array_interface__["data"][0] - X.__array_interface__["data"][0]
        return offset // X.strides[0], offset // X.strides[0] + len(block)

    assert sorted(rows_of(b) for b in checked) == ([(0, 7), (28, 35)] if blocked else [(0, 52)])
    assert all(b.dtype == np.float64 for b in checked)

    def refuse(block):
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"), np.errstate(over="ignore", invalid="ignore"):
        network.predict(X, check=refuse)


def test_blocked_predict_of_sparse_input_and_another_dtype(small_blocks):
    network = net("softmax", dtype=np.float32)
    X = np.random.RandomState(2).normal(size=(30, 6))
    X[X < 0.3] = 0
    expected = whole_batch_predict(network, X.astype(np.float32))
    for data in [X, sp.csc_matrix(X), sp.csr_matrix(X)]:
        got = network.predict(data)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_batch_norm_prediction_leaves_its_input_alone_unless_told():
    bn = fitted_bn_net("softmax").layers[1][1]
    X = np.random.RandomState(3).normal(size=(10, 8))
    X0 = X.copy()
    bn.inplace = False
    Y = bn.forward(X)
    np.testing.assert_array_equal(X, X0)
    bn.inplace = True
    assert bn.forward(X) is X
    np.testing.assert_array_equal(X, Y)


def test_blocked_layer_outputs_equal_the_whole_batch(small_blocks):
    network = fitted_bn_net("softmax")
    X = np.random.RandomState(4).normal(size=(23, 6))
    got = network.layer_outputs(X)
    H = X
    for (name, out), (expected_name, layer) in zip(got, network.layers):
        H = layer.forward(H).copy()
        assert name == expected_name
        np.testing.assert_array_equal(out, H)
    # training=True is one block: the batch's own statistics.
    trained = network.layer_outputs(X, training=True)
    assert not np.allclose(trained[1][1], got[1][1])


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("out_activation", ["softmax", "logistic", "identity"])
def test_blocked_evaluate_loss_equals_the_whole_batch(small_blocks, weighted, out_activation):
    rng = np.random.RandomState(5)
    network = net(out_activation)
    X = rng.normal(size=(45, 6))
    y = rng.randint(0, 3, 45) if out_activation == "softmax" else rng.randint(0, 2, (45, 3))
    target = y if out_activation == "softmax" else y.astype(np.float64)
    sw = None
    if weighted:
        sw = rng.uniform(0.5, 2.0, 45)
        sw[7:21] = 0  # two whole blocks without weight
    value = network.evaluate_loss(X, target, sample_weight=sw, alpha=0.3)
    reference, _ = network.loss(whole_batch_predict_raw(network, X), target, sw)
    reference += network._penalty(network._penalty_scale(X, sw, 0.3))
    assert value == pytest.approx(reference, rel=1e-12)


def whole_batch_predict_raw(network, X):
    H = X
    for _, layer in network.layers:
        H = layer.forward(H)
    return H


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("options", [{}, {"activation": "maxout"}, {"activation": "tanh"}])
def test_full_batch_gradient_in_blocks_equals_one_block(small_blocks, weighted, options):
    rng = np.random.RandomState(6)
    X = rng.normal(size=(40, 6))
    y = rng.randint(0, 3, 40)
    sw = rng.uniform(0.5, 2.0, 40) if weighted else None
    blocked, whole = net("softmax", **options), net("softmax", **options)
    value = blocked.full_batch_loss_and_gradients(X, y, sample_weight=sw, alpha=0.1)
    reference = whole.loss_and_gradients(X, y, sample_weight=sw, alpha=0.1)
    assert value == pytest.approx(reference, rel=1e-12)
    np.testing.assert_allclose(blocked.flat_grads, whole.flat_grads, rtol=1e-10, atol=1e-14)


def test_full_batch_gradient_with_batch_norm_is_one_block(small_blocks):
    X = np.random.RandomState(7).normal(size=(30, 6))
    y = np.arange(30) % 3
    blocked, whole = fitted_bn_net("softmax"), fitted_bn_net("softmax")
    assert blocked.full_batch_loss_and_gradients(X, y) == whole.loss_and_gradients(X, y)
    np.testing.assert_array_equal(blocked.flat_grads, whole.flat_grads)


def test_lbfgs_fit_in_blocks_matches_one_block(monkeypatch):
    rng = np.random.RandomState(8)
    X = rng.normal(size=(300, 5))
    y = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.normal(size=300)
    kw = dict(solver="lbfgs", hidden_layer_sizes=(7,), max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one = MLPRegressor(**kw).fit(X, y)
        monkeypatch.setattr(sknet.network.Network, "block_rows", lambda self, n: 64)
        blocked = MLPRegressor(**kw).fit(X, y)
    assert blocked.n_iter_ == one.n_iter_
    assert blocked.loss_ == pytest.approx(one.loss_, rel=1e-9)
    np.testing.assert_allclose(blocked.predict(X), one.predict(X), rtol=1e-8, atol=1e-10)


def test_block_rows_follow_the_byte_budget():
    network = build_network(
        100, [256, 128], 10, activation="relu", out_activation="softmax",
        random_state=np.random.RandomState(0), dtype=np.float32,
    )
    rows = network.block_rows(10**6)
    per_row = 4 * (100 + 2 * (256 + 128 + 10))
    assert rows == sknet._blocks.BLOCK_BYTES // per_row
    assert network.block_rows(10) == 10
    assert network.block_rows(0) == 1
    assert [(s.start, s.stop) for s in network.row_blocks(2 * rows + 3)] == [
        (0, rows), (rows, 2 * rows), (2 * rows, 2 * rows + 3)]


def peak_bytes(f):
    """Peak of numpy's allocations (traced) while ``f`` runs, above the start."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = f()
        return tracemalloc.get_traced_memory()[1] - base, result
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("batch_norm", [False, True])
def test_prediction_memory_is_the_output_and_one_block(monkeypatch, batch_norm):
    monkeypatch.setattr(sknet._blocks, "BLOCK_BYTES", MiB)
    rng = np.random.RandomState(9)
    X = rng.normal(size=(60_000, 20))  # 9.2 MiB; a 512-unit layer on all of it: 234 MiB
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier((512,), batch_norm=batch_norm, max_iter=1, random_state=0)
        clf.fit(X[:500], y[:500])
    peak, proba = peak_bytes(lambda: clf.predict_proba(X))
    assert peak <= proba.nbytes + 3 * MiB
    peak, labels = peak_bytes(lambda: clf.predict(X))
    assert peak <= labels.nbytes + proba.nbytes + 3 * MiB


def test_lbfgs_fit_memory_is_not_the_whole_batch_activations(monkeypatch):
    monkeypatch.setattr(sknet._blocks, "BLOCK_BYTES", MiB)
    rng = np.random.RandomState(10)
    X = rng.normal(size=(40_000, 10))  # 3 MiB; 256 units on all of it: 78 MiB a layer
    y = X[:, 0] + X[:, 1] ** 2
    reg = MLPRegressor(hidden_layer_sizes=(256,), solver="lbfgs", max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        peak, _ = peak_bytes(lambda: reg.fit(X, y))
    assert peak <= 2 * X.nbytes + 6 * MiB


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_input_in_a_later_block_is_refused_as_scikit_learn_does(
    small_blocks, sparse, bad
):
    rng = np.random.RandomState(11)
    X = rng.normal(size=(40, 3))
    y = np.arange(40) % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    X_bad = X.copy()
    X_bad[37, 1] = bad  # the sixth block of 7 rows
    data = sp.csr_matrix(X_bad) if sparse else X_bad
    word = "NaN" if np.isnan(bad) else "infinity"
    for method in (clf.predict, clf.predict_proba):
        with pytest.raises(ValueError, match=f"Input X contains {word}"):
            method(data)


def test_the_loss_of_no_rows_is_nan_not_zero():
    network = net("softmax")
    with np.errstate(invalid="ignore"):  # the mean of nothing
        assert np.isnan(network.evaluate_loss(np.zeros((0, 6)), np.zeros(0, dtype=int)))
