"""Data preprocessing from the CS231n recipe as scikit-learn transformers.

The lecture's pipeline is original -> zero-centered -> normalized, or
original -> decorrelated -> whitened. :class:`Centerer` covers the first path
(per-feature mean, the "mean image", and per-channel mean / std of flattened
image batches); :class:`Whitening` covers the second (PCA and ZCA whitening
with a regularizer ``epsilon`` and optional reduction). Both have a one-pass
``partial_fit`` for data that does not fit in memory, and both keep float32 as
float32 and reject sparse input with scikit-learn's usual ``TypeError``:
centering a sparse matrix would make it dense.
"""

from numbers import Integral, Real
import warnings

import numpy as np
from scipy import linalg
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._array_api import check_numpy_input

__all__ = ["Centerer", "Whitening"]

_FLOAT_DTYPES = (np.float64, np.float32)

# Rows per block when accumulating the scatter matrix: a 16 MB float64
# centered copy per block keeps the BLAS call efficient and memory bounded.
_BLOCK_BYTES = 1 << 24


def _is_constant(std, mean, dtype):
    """Standard deviations below the rounding error of the data count as zero."""
    return std <= 10 * np.finfo(dtype).eps * np.abs(mean)


class Centerer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Zero-center and optionally normalize features, pixels or image channels.

    The first two steps of the CS231n preprocessing recipe. The name avoids
    :class:`sklearn.preprocessing.Normalizer`, which rescales each *sample* to
    unit norm; here statistics are taken over samples, per feature or per
    channel.

    - ``per="feature"`` subtracts one mean per column. For a batch of
      flattened images that is the per-pixel mean, i.e. the **mean image**
      (AlexNet style). With ``with_std=True`` it equals
      :class:`sklearn.preprocessing.StandardScaler` (population std, ddof=0,
      constant features left unscaled).
    - ``per="channel"`` treats each row as a flattened image with
      ``n_channels`` channels and subtracts one mean per channel, taken over
      all samples and pixels (VGG style); with ``with_std=True`` it also
      divides by the per-channel std.

    Parameters
    ----------
    per : {"feature", "channel"}, default="feature"
        Whether statistics are per feature (per pixel: the mean image) or per
        image channel.
    with_std : bool, default=False
        Also divide by the standard deviation (ddof=0). Features or channels
        whose std is zero up to rounding are left unscaled.
    n_channels : int, default=3
        Number of channels of each flattened image. Only used when
        ``per="channel"``; ``n_features`` must be a multiple of it.
    channel_layout : {"last", "first"}, default="last"
        How images were flattened. ``"last"``: each row is an ``(H, W, C)``
        array raveled in C order, so the channel index varies fastest
        (``feature j`` has channel ``j % n_channels``). ``"first"``: each row
        is a raveled ``(C, H, W)`` array (``feature j`` has channel
        ``j // (H * W)``). Only used when ``per="channel"``.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features_in_,) or (n_channels,)
        Per-feature (the flattened mean image) or per-channel mean, float64.
    var_ : ndarray of the same shape as ``mean_``
        Variance (ddof=0), computed also when ``with_std=False``.
    scale_ : ndarray of the same shape as ``mean_`` or None
        Divisor applied after centering: the std, with 1 where the std is
        zero. None when ``with_std=False``.
    n_samples_seen_ : int
        Number of samples seen by ``fit`` or since it by ``partial_fit``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    sklearn.preprocessing.StandardScaler : Per-feature standardization.
    Whitening : Decorrelate features, then scale them to unit variance.

    Examples
    --------
    Two 1x2-pixel RGB images, flattened channel-last:

    >>> import numpy as np
    >>> from sknet.preprocessing import Centerer
    >>> X = np.array([[1., 10., 100., 3., 30., 300.],
    ...               [5., 50., 500., 7., 70., 700.]])
    >>> Centerer(per="channel", n_channels=3).fit(X).mean_
    array([  4.,  40., 400.])
    >>> Centerer().fit(X).mean_  # the mean image
    array([  3.,  30., 300.,   5.,  50., 500.])
    >>> Centerer(with_std=True).fit_transform(X)
    array([[-1., -1., -1., -1., -1., -1.],
           [ 1.,  1.,  1.,  1.,  1.,  1.]])
    """

    _parameter_constraints: dict = {
        "per": [StrOptions({"feature", "channel"})],
        "with_std": ["boolean"],
        "n_channels": [Interval(Integral, 1, None, closed="left")],
        "channel_layout": [StrOptions({"last", "first"})],
    }

    def __init__(self, *, per="feature", with_std=False, n_channels=3, channel_layout="last"):
        self.per = per
        self.with_std = with_std
        self.n_channels = n_channels
        self.channel_layout = channel_layout

    def _check_channels(self, n_features):
        if self.per == "channel" and n_features % self.n_channels:
            raise ValueError(
                f"With per='channel', n_features ({n_features}) must be a multiple "
                f"of n_channels={self.n_channels}."
            )

    def _channel_view(self, X):
        """Reshape (n, d) to (n, C, P) so channels sit on axis 1."""
        n = X.shape[0]
        if self.channel_layout == "last":
            return X.reshape(n, -1, self.n_channels).transpose(0, 2, 1)
        return X.reshape(n, self.n_channels, -1)

    def _per_feature(self, stat):
        """Expand a fitted statistic to one value per input feature."""
        if self.per == "feature":
            return stat
        n_pixels = self.n_features_in_ // self.n_channels
        if self.channel_layout == "last":
            return np.tile(stat, n_pixels)
        return np.repeat(stat, n_pixels)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the mean (and std) to be used for later centering.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data. Sparse input is rejected.
        y : None
            Ignored.

        Returns
        -------
        self : Centerer
            Fitted transformer.
        """
        check_numpy_input(X, self)
        X = validate_data(self, X, dtype=_FLOAT_DTYPES)
        self._check_channels(X.shape[1])
        self._reset()
        self._accumulate(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Update the mean and variance with a chunk of samples.

        One pass over data that does not fit in memory (e.g. the mean image
        of a large image set); the result equals ``fit`` on all chunks
        stacked, up to rounding.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training data.
        y : None
            Ignored.

        Returns
        -------
        self : Centerer
            Updated transformer.
        """
        first_call = not hasattr(self, "n_samples_seen_")
        check_numpy_input(X, self)
        X = validate_data(self, X, reset=first_call, dtype=_FLOAT_DTYPES)
        self._check_channels(X.shape[1])
        if first_call:
            self._reset()
        self._accumulate(X)
        return self

    def _reset(self):
        self.n_samples_seen_ = 0
        self.mean_ = 0.0
        self.var_ = 0.0

    def _accumulate(self, X):
        """Merge the chunk's mean and variance (Chan et al.'s pairwise update)."""
        data, axes = (X, 0) if self.per == "feature" else (self._channel_view(X), (0, 2))
        mean_b = np.mean(data, axis=axes, dtype=np.float64)
        var_b = np.var(data, axis=axes, dtype=np.float64)
        na, nb = self.n_samples_seen_, X.shape[0]
        n = na + nb
        delta = mean_b - self.mean_
        # Weights are sample counts: every sample adds the same number of
        # values (pixels) to each statistic.
        self.var_ = (na * self.var_ + nb * var_b + delta**2 * (na * nb / n)) / n
        self.mean_ = self.mean_ + delta * (nb / n)
        self.n_samples_seen_ = n
        if self.with_std:
            std = np.sqrt(self.var_)
            self.scale_ = np.where(_is_constant(std, self.mean_, X.dtype), 1.0, std)
        else:
            self.scale_ = None

    def transform(self, X, copy=True):
        """Center (and scale) ``X`` with the fitted statistics.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to transform.
        copy : bool, default=True
            If False, center in place when ``X`` already is a float array.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            Centered data, same float dtype as ``X``.
        """
        check_is_fitted(self)
        check_numpy_input(X, self)
        X = validate_data(self, X, reset=False, dtype=_FLOAT_DTYPES, copy=copy)
        X -= self._per_feature(self.mean_).astype(X.dtype, copy=False)
        if self.scale_ is not None:
            X /= self._per_feature(self.scale_).astype(X.dtype, copy=False)
        return X

    def inverse_transform(self, X, copy=True):
        """Undo the centering (and scaling).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Transformed data.
        copy : bool, default=True
            If False, work in place when ``X`` already is a float array.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            Data in the original space.
        """
        check_is_fitted(self)
        check_numpy_input(X, self)
        X = check_array(X, dtype=_FLOAT_DTYPES, copy=copy)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {self.__class__.__name__} "
                f"is expecting {self.n_features_in_} features as input."
            )
        if self.scale_ is not None:
            X *= self._per_feature(self.scale_).astype(X.dtype, copy=False)
        X += self._per_feature(self.mean_).astype(X.dtype, copy=False)
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = False
        return tags


class Whitening(TransformerMixin, BaseEstimator):
    """PCA or ZCA whitening with a regularized covariance eigendecomposition.

    With the sample covariance ``C = U diag(lambda) U^T`` (ddof=1, the same
    ``n_samples - 1`` as :class:`sklearn.decomposition.PCA`), eigenvalues
    sorted in decreasing order and ``U_k`` the top ``k`` eigenvectors:

    - ``method="pca"``: ``Z = (X - mean) U_k diag(1 / sqrt(lambda_k + epsilon))``,
      i.e. decorrelate (rotate onto the principal axes), optionally keep ``k``
      of them, and scale each to unit variance. With ``epsilon=0`` this is
      ``PCA(whiten=True)`` (same signs: the largest-magnitude entry of each
      component is positive, as with scikit-learn's ``svd_flip``).
    - ``method="zca"``: ``Z = (X - mean) W`` with the symmetric
      ``W = U_k diag(1 / sqrt(lambda_k + epsilon)) U_k^T``. Rotating back
      keeps one output per input feature, and among all whitening transforms
      ZCA output is the one closest (least squares) to the centered input,
      so whitened images still look like images.

    Fitting costs ``O(n_samples n_features^2 + n_features^3)``: the scatter
    matrix is accumulated block by block in float64 (each block centered on
    its own mean, blocks merged with Chan et al.'s parallel update of mean
    and scatter), then ``scipy.linalg.eigh`` decomposes the
    ``n_features x n_features`` covariance. Memory beyond the data is
    ``O(n_features^2)``. ``partial_fit`` runs the same accumulation, so
    fitting chunk by chunk equals fitting on the whole up to rounding.

    Parameters
    ----------
    method : {"zca", "pca"}, default="zca"
        ``"zca"`` keeps the input features (one output per input, same
        names); ``"pca"`` outputs principal-axis coordinates
        ``whitening0, whitening1, ...`` and can reduce dimension.
    n_components : int, float or None, default=None
        Number of eigen-directions kept. None keeps all ``n_features``. An int
        ``k`` keeps the top ``k``; a float in (0, 1) keeps the fewest
        directions whose explained variance ratio reaches that fraction. With
        ``method="zca"`` the output still has ``n_features`` columns but lies
        in the ``k``-dimensional principal subspace.
    epsilon : float, default=1e-5
        Added to every eigenvalue before the inverse square root. It keeps
        zero-variance directions (constant or duplicated columns,
        ``n_samples <= n_features``) finite, and damps directions with variance
        well below ``epsilon`` instead of blowing their noise up to unit
        variance. It is in units of the data's variance: 1e-5 is negligible
        for standardized data or pixels in [0, 1] and only caps the gain at
        ``1 / sqrt(epsilon) ~ 316``; raise it (e.g. 0.1 for pixels in [0, 1])
        for a smoother, noise-robust ZCA. With ``epsilon=0``, eigenvalues
        below the rounding error of the covariance
        (``n_features * eps(float64) * lambda_max``) are treated as exactly zero
        and their directions are mapped to 0 (a pseudo-inverse square root),
        with a warning, instead of producing inf.
    center : bool, default=True
        Subtract ``mean_`` in ``transform`` (and add it back in
        ``inverse_transform``). The covariance is always computed about the
        mean, so with ``center=False`` the output is still white but keeps a
        (rotated, scaled) mean.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features_in_,)
        Per-feature mean (float64).
    covariance_ : ndarray of shape (n_features_in_, n_features_in_)
        Sample covariance, ddof=1 (float64).
    components_ : ndarray of shape (n_components_, n_features_in_)
        Principal axes (rows), by decreasing eigenvalue.
    explained_variance_ : ndarray of shape (n_components_,)
        Eigenvalues of ``covariance_`` for the kept axes (without epsilon).
    explained_variance_ratio_ : ndarray of shape (n_components_,)
        ``explained_variance_`` divided by the total variance.
    whitening_ : ndarray of shape (n_features_in_, n_features_out)
        ``transform`` computes ``(X - mean_) @ whitening_``; ``n_features_out``
        is ``n_components_`` for PCA and ``n_features_in_`` for ZCA
        (symmetric matrix).
    dewhitening_ : ndarray of shape (n_features_out, n_features_in_)
        ``inverse_transform`` computes ``Z @ dewhitening_ + mean_``.
    n_components_ : int
        Number of eigen-directions kept.
    n_samples_seen_ : int
        Number of samples accumulated since the last ``fit``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    sklearn.decomposition.PCA : PCA, with ``whiten=True`` for PCA whitening.
    Centerer : Zero-centering and per-feature or per-channel scaling.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.preprocessing import Whitening
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(500, 3)) @ [[3., 1., 0.], [0., 1., 0.], [0., 0., .1]]
    >>> zca = Whitening(method="zca").fit(X)
    >>> np.cov(zca.transform(X), rowvar=False).round(3) + 0.0
    array([[1.   , 0.   , 0.   ],
           [0.   , 1.   , 0.   ],
           [0.   , 0.   , 0.999]])

    The variance-0.01 direction comes out at ``0.01 / (0.01 + epsilon)``:
    ``epsilon`` slightly damps low-variance directions.

    >>> np.allclose(zca.whitening_, zca.whitening_.T)
    True
    >>> pca = Whitening(method="pca", n_components=0.95).fit(X)
    >>> pca.n_components_, pca.get_feature_names_out()
    (2, array(['whitening0', 'whitening1'], dtype=object))
    """

    _parameter_constraints: dict = {
        "method": [StrOptions({"pca", "zca"})],
        "n_components": [
            None,
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="neither"),
        ],
        "epsilon": [Interval(Real, 0, None, closed="left")],
        "center": ["boolean"],
    }

    def __init__(self, *, method="zca", n_components=None, epsilon=1e-5, center=True):
        self.method = method
        self.n_components = n_components
        self.epsilon = epsilon
        self.center = center

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Estimate mean and covariance of ``X`` and build the whitening matrix.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, at least 2 samples. Sparse input is rejected.
        y : None
            Ignored.

        Returns
        -------
        self : Whitening
            Fitted transformer.
        """
        check_numpy_input(X, self)
        X = validate_data(self, X, dtype=_FLOAT_DTYPES)
        self._check_n_samples(0, X.shape[0])
        self._check_n_components(X.shape[1])
        d = X.shape[1]
        self.n_samples_seen_ = 0
        self.mean_ = np.zeros(d)
        scatter = np.zeros((d, d))
        scatter = self._accumulate(X, scatter)
        self._decompose(scatter)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Add a chunk of samples to the running mean and covariance.

        The whitening matrix is rebuilt after each call (one ``eigh``), so
        the estimator is usable at any point. The samples seen so far must
        number at least 2.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training data.
        y : None
            Ignored.

        Returns
        -------
        self : Whitening
            Updated transformer.
        """
        first_call = not hasattr(self, "n_samples_seen_")
        check_numpy_input(X, self)
        X = validate_data(self, X, reset=first_call, dtype=_FLOAT_DTYPES)
        d = X.shape[1]
        self._check_n_components(d)
        if first_call:
            self._check_n_samples(0, X.shape[0])
            self.n_samples_seen_ = 0
            self.mean_ = np.zeros(d)
            scatter = np.zeros((d, d))
        else:
            self._check_n_samples(self.n_samples_seen_, X.shape[0])
            scatter = self.covariance_ * (self.n_samples_seen_ - 1)
        scatter = self._accumulate(X, scatter)
        self._decompose(scatter)
        return self

    def _check_n_components(self, n_features):
        # Checked before any statistic is updated, so a bad value leaves a
        # fitted estimator as it was.
        k = self.n_components
        if isinstance(k, Integral) and k > n_features:
            raise ValueError(f"n_components={k} must be <= n_features={n_features}.")

    @staticmethod
    def _check_n_samples(n_seen, n_new):
        if n_seen + n_new < 2:
            raise ValueError(
                "Whitening needs at least 2 samples to estimate a covariance, "
                f"but got {n_seen + n_new} sample."
            )

    def _accumulate(self, X, scatter):
        """Merge ``X`` into ``mean_``, ``n_samples_seen_`` and ``scatter``.

        Each block is centered on its own mean and its scatter matrix taken in
        float64 (one BLAS syrk per block), then merged with Chan, Golub &
        LeVeque's pairwise update::

            delta = mean_b - mean_a
            M = M_a + M_b + n_a n_b / (n_a + n_b) * outer(delta, delta)

        float64 even for float32 input: a float32 Gram matrix carries errors
        of order ``eps32 * sqrt(block) * lambda_max``, which whitening then
        amplifies by ``1 / sqrt(lambda)`` in exactly the low-variance
        directions. Only one block is upcast at a time.
        """
        n, d = X.shape
        block = max(1, _BLOCK_BYTES // (d * 8))
        for start in range(0, n, block):
            Xb = X[start : start + block]
            nb = Xb.shape[0]
            mean_b = np.mean(Xb, axis=0, dtype=np.float64)
            Xc = np.subtract(Xb, mean_b, dtype=np.float64)
            scatter_b = Xc.T @ Xc
            na = self.n_samples_seen_
            n_tot = na + nb
            delta = mean_b - self.mean_
            scatter += scatter_b + (na * nb / n_tot) * np.outer(delta, delta)
            self.mean_ = self.mean_ + delta * (nb / n_tot)
            self.n_samples_seen_ = n_tot
        return scatter

    def _decompose(self, scatter):
        """Eigendecompose the covariance and build (de)whitening matrices."""
        d = scatter.shape[0]
        cov = scatter / (self.n_samples_seen_ - 1)
        cov = (cov + cov.T) / 2  # exact symmetry: eigh reads one triangle
        evals, evecs = linalg.eigh(cov)
        evals, evecs = evals[::-1], evecs[:, ::-1]
        # Below the rounding error of the covariance an eigenvalue is zero.
        tol = d * np.finfo(np.float64).eps * max(evals[0], 0.0)
        evals = np.where(evals > tol, evals, 0.0)
        components = evecs.T
        # Deterministic signs: largest |entry| of each axis positive (svd_flip).
        idx = np.argmax(np.abs(components), axis=1)
        signs = np.sign(components[np.arange(d), idx])
        components *= signs[:, np.newaxis]

        total = evals.sum()
        ratio = evals / total if total > 0 else np.zeros(d)
        k = self.n_components
        if k is None:
            k = d
        elif not isinstance(k, Integral):
            k = int(np.searchsorted(np.cumsum(ratio), k)) + 1
            k = min(k, d)

        self.covariance_ = cov
        self.components_ = components[:k]
        self.explained_variance_ = evals[:k]
        self.explained_variance_ratio_ = ratio[:k]
        self.n_components_ = k

        regularized = evals[:k] + self.epsilon
        degenerate = regularized <= 0
        if degenerate.any():
            warnings.warn(
                f"{int(degenerate.sum())} eigenvalue(s) of the covariance are zero "
                "up to rounding and epsilon=0; those directions are mapped to 0 "
                "instead of being scaled by 1/sqrt(0). Use epsilon > 0 to whiten "
                "them, or reduce n_components.",
                UserWarning,
            )
        safe = np.where(degenerate, 1.0, regularized)
        inv_sqrt = np.where(degenerate, 0.0, 1.0 / np.sqrt(safe))
        sqrt = np.sqrt(np.where(degenerate, 0.0, regularized))

        Uk = self.components_.T
        if self.method == "pca":
            self.whitening_ = Uk * inv_sqrt
            self.dewhitening_ = sqrt[:, np.newaxis] * self.components_
        else:
            W = (Uk * inv_sqrt) @ self.components_
            D = (Uk * sqrt) @ self.components_
            self.whitening_ = (W + W.T) / 2
            self.dewhitening_ = (D + D.T) / 2
        self._fit_method = self.method

    def transform(self, X):
        """Whiten ``X``: ``(X - mean_) @ whitening_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to whiten.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            Whitened data, same float dtype as ``X``. ``n_features_out`` is
            ``n_components_`` for PCA and ``n_features_in_`` for ZCA.
        """
        check_is_fitted(self)
        check_numpy_input(X, self)
        X = validate_data(self, X, reset=False, dtype=_FLOAT_DTYPES)
        if self.center:
            X = X - self.mean_.astype(X.dtype)
        return X @ self.whitening_.astype(X.dtype)

    def inverse_transform(self, X):
        """Map whitened data back: ``X @ dewhitening_ + mean_``.

        Exact when all directions were kept and ``epsilon`` is the one used
        in ``fit``; with fewer components it returns the projection onto the
        kept principal subspace.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_out)
            Whitened data.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features_in_)
            Data in the original space, same float dtype as ``X``.
        """
        check_is_fitted(self)
        check_numpy_input(X, self)
        X = check_array(X, dtype=_FLOAT_DTYPES)
        n_out = self.dewhitening_.shape[0]
        if X.shape[1] != n_out:
            raise ValueError(
                f"X has {X.shape[1]} features, but inverse_transform of "
                f"{self.__class__.__name__} is expecting {n_out} features."
            )
        X_original = X @ self.dewhitening_.astype(X.dtype)
        if self.center:
            X_original += self.mean_.astype(X.dtype)
        return X_original

    @property
    def _n_features_out(self):
        return self.whitening_.shape[1]

    def get_feature_names_out(self, input_features=None):
        """Get output feature names for transformation.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names, validated against ``feature_names_in_``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ZCA: the input feature names. PCA: ``whitening0``,
            ``whitening1``, ... (``n_components_`` names).
        """
        check_is_fitted(self, "n_features_in_")
        if self._fit_method == "zca":
            return OneToOneFeatureMixin.get_feature_names_out(self, input_features)
        return ClassNamePrefixFeaturesOutMixin.get_feature_names_out(self, input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = False
        return tags
