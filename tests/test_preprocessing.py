"""Tests for sknet.preprocessing: Centerer and Whitening."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from sknet.preprocessing import Centerer, Whitening

ESTIMATORS = [
    Whitening(),
    Whitening(method="pca"),
    Whitening(method="pca", n_components=2),
    Whitening(method="pca", n_components=0.9),
    Whitening(method="zca", n_components=1, center=False),
    Whitening(method="pca", epsilon=0.0),
    Centerer(),
    Centerer(with_std=True),
    Centerer(per="channel", n_channels=1, with_std=True),
    Centerer(per="channel", n_channels=1, channel_layout="first"),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", [Whitening(), Centerer()], ids=lambda e: type(e).__name__)
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)


def correlated(n=400, d=5, seed=0, dtype=np.float64):
    """Correlated Gaussian data with a non-zero mean and distinct variances."""
    rng = np.random.RandomState(seed)
    A = rng.normal(size=(d, d)) * np.linspace(3, 0.3, d)[:, None]
    return (rng.normal(size=(n, d)) @ A + rng.normal(scale=5, size=d)).astype(dtype)


def random_orthogonal(d, rng):
    Q, R = np.linalg.qr(rng.normal(size=(d, d)))
    return Q * np.sign(np.diag(R))


# --------------------------------------------------------------------- Centerer


def test_centerer_mean_image_is_zero_mean():
    X = correlated()
    c = Centerer().fit(X)
    assert_allclose(c.mean_, X.mean(axis=0))
    assert_allclose(c.transform(X).mean(axis=0), 0, atol=1e-12)
    assert c.scale_ is None
    assert_allclose(c.var_, X.var(axis=0))


def test_centerer_with_std_equals_standard_scaler():
    X = correlated()
    X[:, 2] = 7.0  # constant column: both leave it unscaled
    ours = Centerer(with_std=True).fit(X)
    ref = StandardScaler().fit(X)
    assert_allclose(ours.transform(X), ref.transform(X), atol=1e-12)
    assert_allclose(ours.scale_, ref.scale_)
    assert_allclose(ours.var_, ref.var_)
    Z = ours.transform(X)
    assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    assert_allclose(Z.std(axis=0), [1, 1, 0, 1, 1], atol=1e-12)


@pytest.mark.parametrize("layout", ["last", "first"])
@pytest.mark.parametrize("with_std", [False, True])
def test_centerer_per_channel_known_statistics(layout, with_std):
    rng = np.random.RandomState(0)
    means = np.array([10.0, -3.0, 0.5])
    stds = np.array([2.0, 0.5, 4.0])
    # Noise and its negation make each channel's sample mean exactly `means`;
    # normalizing the noise per channel makes the std exactly `stds`.
    noise = rng.normal(size=(8, 4, 5, 3))
    noise = np.concatenate([noise, -noise])
    noise /= noise.std(axis=(0, 1, 2))
    images = means + stds * noise  # (n, H, W, C)
    if layout == "last":
        X = images.reshape(len(images), -1)
    else:
        X = images.transpose(0, 3, 1, 2).reshape(len(images), -1)

    c = Centerer(per="channel", n_channels=3, channel_layout=layout, with_std=with_std)
    Z = c.fit_transform(X)
    assert_allclose(c.mean_, means, atol=1e-12)
    if with_std:
        assert_allclose(c.scale_, stds)
    # Per-channel statistics of the output, read back in the same layout.
    Zc = Z.reshape(len(Z), 4, 5, 3) if layout == "last" else Z.reshape(len(Z), 3, 4, 5)
    axes = (0, 1, 2) if layout == "last" else (0, 2, 3)
    assert_allclose(Zc.mean(axis=axes), 0, atol=1e-12)
    assert_allclose(Zc.std(axis=axes), 1 if with_std else stds)
    assert_allclose(c.inverse_transform(Z), X)


@pytest.mark.parametrize(
    "params", [{}, {"with_std": True}, {"per": "channel", "n_channels": 4, "with_std": True}]
)
def test_centerer_partial_fit_equals_fit(params):
    X = correlated(n=300, d=8)
    full = Centerer(**params).fit(X)
    inc = Centerer(**params)
    for chunk in np.array_split(X, [1, 50, 51, 200]):
        inc.partial_fit(chunk)
    assert inc.n_samples_seen_ == 300
    assert_allclose(inc.mean_, full.mean_, rtol=1e-12)
    assert_allclose(inc.var_, full.var_, rtol=1e-12)
    assert_allclose(inc.transform(X), full.transform(X), atol=1e-12)


def test_centerer_channel_count_must_divide_features():
    with pytest.raises(ValueError, match="multiple of n_channels=3"):
        Centerer(per="channel", n_channels=3).fit(np.ones((4, 10)))
    c = Centerer(per="channel", n_channels=3)
    with pytest.raises(ValueError, match="multiple of n_channels=3"):
        c.partial_fit(np.ones((4, 10)))
    assert not hasattr(c, "n_samples_seen_")


def test_centerer_float32_and_round_trip():
    X = correlated(dtype=np.float32)
    c = Centerer(with_std=True).fit(X)
    Z = c.transform(X)
    assert Z.dtype == np.float32
    assert c.inverse_transform(Z).dtype == np.float32
    assert_allclose(c.inverse_transform(Z), X, rtol=1e-5, atol=1e-4)


# -------------------------------------------------------------------- Whitening


@pytest.mark.parametrize("method", ["pca", "zca"])
def test_whitened_covariance_is_identity(method):
    X = correlated()
    w = Whitening(method=method, epsilon=0).fit(X)
    Z = w.transform(X)
    assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    assert_allclose(np.cov(Z, rowvar=False), np.eye(5), atol=1e-10)
    # With epsilon each direction ends at lambda / (lambda + epsilon) <= 1.
    w = Whitening(method="pca", epsilon=0.1).fit(X)
    cov = np.cov(w.transform(X), rowvar=False)
    lam = w.explained_variance_
    assert_allclose(cov, np.diag(lam / (lam + 0.1)), atol=1e-10)


@pytest.mark.parametrize("n_components", [None, 3])
def test_pca_whitening_equals_sklearn_pca_whiten(n_components):
    # Both use the n - 1 (ddof=1) covariance, so with epsilon=0 the outputs
    # agree up to the sign of each component.
    X = correlated()
    ours = Whitening(method="pca", n_components=n_components, epsilon=0).fit(X)
    ref = PCA(n_components=n_components, whiten=True, svd_solver="full").fit(X)
    Z, Zref = ours.transform(X), ref.transform(X)
    signs = np.sign(np.sum(Z * Zref, axis=0))
    assert_allclose(Z * signs, Zref, atol=1e-10)
    assert_allclose(ours.explained_variance_, ref.explained_variance_)
    assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_)
    assert_allclose(np.abs(ours.components_), np.abs(ref.components_), atol=1e-10)
    # The svd_flip-like rule makes the signs identical in practice.
    assert_array_equal(signs, 1)


def test_zca_matrix_is_symmetric():
    w = Whitening(method="zca").fit(correlated())
    assert_array_equal(w.whitening_, w.whitening_.T)
    assert_array_equal(w.dewhitening_, w.dewhitening_.T)
    assert_allclose(w.whitening_ @ w.dewhitening_, np.eye(5), atol=1e-10)


def test_zca_is_the_whitening_closest_to_the_input():
    # Every whitening of the centered data is Z_pca @ Q for an orthogonal Q;
    # ZCA's output must be the nearest to the input in Frobenius norm.
    X = correlated(d=6)
    Xc = X - X.mean(axis=0)
    Z_zca = Whitening(method="zca", epsilon=0).fit_transform(X)
    Z_pca = Whitening(method="pca", epsilon=0).fit_transform(X)
    best = np.linalg.norm(Z_zca - Xc)
    rng = np.random.RandomState(1)
    others = [np.linalg.norm(Z_pca @ random_orthogonal(6, rng) - Xc) for _ in range(200)]
    assert best < min(others)
    assert best < np.linalg.norm(Z_pca - Xc)
    # ZCA output is itself white: it is one of those rotations.
    assert_allclose(np.cov(Z_zca, rowvar=False), np.eye(6), atol=1e-10)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("method", ["pca", "zca"])
def test_partial_fit_over_chunks_equals_fit(method, dtype):
    X = correlated(n=1000, dtype=dtype)
    full = Whitening(method=method).fit(X)
    inc = Whitening(method=method)
    for chunk in np.array_split(X, [2, 100, 101, 567]):  # includes a 1-row chunk
        inc.partial_fit(chunk)
    assert inc.n_samples_seen_ == full.n_samples_seen_ == 1000
    assert_allclose(inc.mean_, full.mean_, rtol=1e-12)
    assert_allclose(inc.covariance_, full.covariance_, rtol=1e-12)
    tol = 1e-4 if dtype == np.float32 else 1e-9
    assert_allclose(inc.transform(X), full.transform(X), atol=tol)
    # The merged statistics are the plain float64 ones.
    X64 = X.astype(np.float64)
    assert_allclose(full.mean_, X64.mean(axis=0), rtol=1e-12)
    # float32 input: statistics are still float64-accurate (blocks upcast).
    assert_allclose(full.covariance_, np.cov(X64, rowvar=False), rtol=1e-12)


def test_fit_resets_partial_fit_state():
    X = correlated()
    w = Whitening().partial_fit(X[:100]).partial_fit(X[100:])
    w.fit(X[:50])
    assert w.n_samples_seen_ == 50
    assert_allclose(w.mean_, X[:50].mean(axis=0))


def test_blocked_accumulation_is_stable_with_large_offset():
    # float32 data far from the origin: centering each block on its own mean
    # keeps the covariance accurate, where E[xx] - E[x]^2 would lose it all.
    rng = np.random.RandomState(0)
    X = (1e4 + rng.normal(size=(20000, 4)) @ np.diag([1.0, 2.0, 3.0, 4.0])).astype(np.float32)
    w = Whitening(method="pca").fit(X)
    ref = np.cov(X.astype(np.float64), rowvar=False)
    assert_allclose(w.covariance_, ref, rtol=1e-10)


@pytest.mark.parametrize("method", ["pca", "zca"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_constant_and_duplicated_columns_stay_finite(method, dtype):
    X = correlated(n=200, d=4)
    X = np.column_stack([X, X[:, 0], np.full(200, 3.0), 2 * X[:, 1]]).astype(dtype)
    Z = Whitening(method=method).fit_transform(X)
    assert np.isfinite(Z).all()
    with pytest.warns(UserWarning, match="eigenvalue"):
        w = Whitening(method=method, epsilon=0).fit(X)
    Z = w.transform(X)
    assert np.isfinite(Z).all() and np.isfinite(w.whitening_).all()
    # The 4 real directions are white, the 3 degenerate ones are mapped to 0.
    assert_allclose(np.sort(np.linalg.eigvalsh(np.cov(Z.astype(np.float64), rowvar=False))),
                    [0, 0, 0, 1, 1, 1, 1], atol=1e-4 if dtype == np.float32 else 1e-8)


def test_fewer_samples_than_features_stays_finite():
    X = correlated(n=5, d=20)
    Z = Whitening(method="zca").fit_transform(X)
    assert np.isfinite(Z).all()


@pytest.mark.parametrize("method", ["pca", "zca"])
def test_one_sample_is_rejected(method):
    with pytest.raises(ValueError, match="1 sample"):
        Whitening(method=method).fit(np.ones((1, 3)))
    with pytest.raises(ValueError, match="1 sample"):
        Whitening(method=method).partial_fit(np.ones((1, 3)))


def test_non_finite_and_sparse_input_are_rejected():
    X = correlated()
    X[3, 1] = np.nan
    for est in (Whitening(), Centerer()):
        with pytest.raises(ValueError, match="NaN"):
            est.fit(X)
        with pytest.raises(TypeError, match="[Ss]parse"):
            est.fit(sp.random(20, 5, density=0.5, format="csr", random_state=0))


@pytest.mark.parametrize("method", ["pca", "zca"])
def test_float32_in_float32_out(method):
    X = correlated(dtype=np.float32)
    w = Whitening(method=method).fit(X)
    Z = w.transform(X)
    assert Z.dtype == np.float32
    assert w.inverse_transform(Z).dtype == np.float32
    Z64 = w.transform(X.astype(np.float64))
    assert_allclose(Z, Z64, atol=1e-4)


@pytest.mark.parametrize("method", ["pca", "zca"])
@pytest.mark.parametrize("center", [True, False])
def test_inverse_transform_round_trip(method, center):
    X = correlated()
    w = Whitening(method=method, center=center, epsilon=0).fit(X)
    Z = w.transform(X)
    assert_allclose(w.inverse_transform(Z), X, atol=1e-10)
    assert_allclose(np.cov(Z, rowvar=False), np.eye(5), atol=1e-10)
    if not center:
        assert_allclose(Z.mean(axis=0), w.mean_ @ w.whitening_)
    w = Whitening(method=method, center=center, epsilon=0.5).fit(X)
    assert_allclose(w.inverse_transform(w.transform(X)), X, atol=1e-10)


def test_reduced_inverse_is_projection():
    X = correlated()
    w = Whitening(method="pca", n_components=2, epsilon=0).fit(X)
    back = w.inverse_transform(w.transform(X))
    ref = PCA(n_components=2).fit(X)
    assert_allclose(back, ref.inverse_transform(ref.transform(X)), atol=1e-10)


def test_n_components_float_and_int():
    X = correlated()
    w = Whitening(method="pca", n_components=0.95).fit(X)
    ref = PCA(n_components=0.95, svd_solver="full").fit(X)
    assert w.n_components_ == ref.n_components_
    assert w.transform(X).shape == (400, w.n_components_)
    zca = Whitening(method="zca", n_components=2).fit(X)
    assert zca.transform(X).shape == (400, 5)
    assert np.linalg.matrix_rank(zca.transform(X)) == 2
    with pytest.raises(ValueError, match="n_components=6 must be <= n_features=5"):
        Whitening(n_components=6).fit(X)
    # A bad value leaves an incrementally fitted estimator untouched.
    w = Whitening(method="pca").partial_fit(X[:200])
    mean, cov = w.mean_.copy(), w.covariance_.copy()
    with pytest.raises(ValueError, match="n_components=6"):
        w.set_params(n_components=6).partial_fit(X[200:])
    assert w.n_samples_seen_ == 200
    assert_array_equal(w.mean_, mean)
    assert_array_equal(w.covariance_, cov)


def test_pandas_output_and_feature_names():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(correlated(d=3), columns=["a", "b", "c"])
    Z = Whitening(method="zca").set_output(transform="pandas").fit_transform(X)
    assert list(Z.columns) == ["a", "b", "c"]
    Z = Whitening(method="pca", n_components=2).set_output(transform="pandas").fit(X).transform(X)
    assert list(Z.columns) == ["whitening0", "whitening1"]
    Z = Centerer().set_output(transform="pandas").fit_transform(X)
    assert list(Z.columns) == ["a", "b", "c"]
    assert_allclose(Z.mean().to_numpy(), 0, atol=1e-12)


def test_feature_names_follow_the_fitted_method():
    w = Whitening(method="pca", n_components=2).fit(correlated())
    w.set_params(method="zca")  # not refitted: names still describe the fit
    assert list(w.get_feature_names_out()) == ["whitening0", "whitening1"]


def test_no_warning_with_default_epsilon():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Whitening().fit(np.column_stack([correlated(), np.zeros(400)]))
