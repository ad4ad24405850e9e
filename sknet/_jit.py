"""One-pass kernels for the update rules and batch normalization, compiled
with numba when it is installed.

Written with numpy ufuncs, an Adam step is twelve passes over every parameter
(each ``m *= beta_1``, ``np.sqrt(v)``, ... reads and writes the whole vector);
in float64 that was a third of a training epoch. The loops here do the same
arithmetic element by element in one pass. They are compiled without
fast-math, so every product, sum, square root and division is rounded exactly
as numpy rounds it, in the same order: an update rule gives bitwise the same
parameters with or without numba (``tests/test_optimizers.py`` checks this).

The batch-norm kernels fuse the passes of
:class:`sknet.layers.BatchNorm` over a batch (centring and variance in one
pass, the two gradient sums in one, the input gradient in one) with the same
rule: each sum accumulates the rows in order, as numpy's reductions over the
first axis do, so both forms give bitwise the same outputs and gradients
(``tests/test_layers.py`` checks this).

numba is an optional dependency (``pip install "sknet-mlp[fast]"``). Without
it, or with the environment variable ``SKNET_DISABLE_JIT=1`` set, or inside
:func:`disabled`, :func:`run` does nothing and the callers take their
numpy form. Kernels are compiled on first use and cached on disk by
numba, so only the first fit on a machine pays the compilation.
"""

import contextlib
import functools
import os
import warnings

import numpy as np

__all__ = ["run", "disabled", "available"]

_enabled = os.environ.get("SKNET_DISABLE_JIT", "").strip() in ("", "0")


def _define(njit, cache):
    """The kernels, as plain Python functions compiled by ``njit``.

    Scalars arrive in the dtype of the arrays (``np.float32`` for float32
    parameters), as numpy would cast a Python float, so the arithmetic stays in
    that precision.
    """

    def sgd(p, g, lr):
        for i in range(p.shape[0]):
            p[i] -= g[i] * lr

    def momentum(p, g, v, lr, mu):
        for i in range(p.shape[0]):
            vi = v[i] * mu - g[i] * lr
            v[i] = vi
            p[i] += vi

    def nesterov(p, g, v, lr, mu):
        for i in range(p.shape[0]):
            s = g[i] * lr
            vi = v[i] * mu - s
            v[i] = vi
            p[i] += vi * mu - s

    def adam(p, g, m, v, b1, b2, c1, c2, neg_lr_t, eps):
        for i in range(p.shape[0]):
            gi = g[i]
            mi = m[i] * b1 + gi * c1
            vi = v[i] * b2 + (gi * gi) * c2
            m[i] = mi
            v[i] = vi
            p[i] += (mi * neg_lr_t) / (np.sqrt(vi) + eps)

    def adagrad(p, g, c, lr, eps):
        for i in range(p.shape[0]):
            gi = g[i]
            ci = c[i] + gi * gi
            c[i] = ci
            p[i] -= (gi / (np.sqrt(ci) + eps)) * lr

    def rmsprop(p, g, c, lr, rho, c1, eps):
        for i in range(p.shape[0]):
            gi = g[i]
            ci = c[i] * rho + (gi * gi) * c1
            c[i] = ci
            p[i] -= (gi / (np.sqrt(ci) + eps)) * lr

    # Batch normalization; X and the like arrive flattened (C order), the
    # per-feature vectors give the row width. Every sum runs over the rows in
    # order, as numpy's add.reduce(axis=0) and einsum("ij,ij->j") do.
    def bn_statistics(X, mean, centred, var, inv_n):
        m = mean.shape[0]
        n = X.shape[0] // m
        for j in range(m):
            mean[j] = 0
            var[j] = 0
        for i in range(n):
            for j in range(m):
                mean[j] += X[i * m + j]
        for j in range(m):
            mean[j] *= inv_n
        for i in range(n):
            for j in range(m):
                c = X[i * m + j] - mean[j]
                centred[i * m + j] = c
                var[j] += c * c
        for j in range(m):
            var[j] *= inv_n

    def bn_scale_shift(centred, scale, shift, Y):
        m = scale.shape[0]
        n = centred.shape[0] // m
        for i in range(n):
            for j in range(m):
                Y[i * m + j] = centred[i * m + j] * scale[j] + shift[j]

    def bn_gradient_sums(dY, centred, dgamma, dbeta):
        m = dgamma.shape[0]
        n = dY.shape[0] // m
        for j in range(m):
            dgamma[j] = 0
            dbeta[j] = 0
        for i in range(n):
            for j in range(m):
                g = dY[i * m + j]
                dgamma[j] += g * centred[i * m + j]
                dbeta[j] += g

    def bn_input_gradient(dY, centred, k1, k2, k3, dX):
        m = k1.shape[0]
        n = dY.shape[0] // m
        for i in range(n):
            for j in range(m):
                at = i * m + j
                dX[at] = (dY[at] - (centred[at] * k1[j] + k2[j])) * k3[j]

    # The same passes fused with a ReLU after the batch norm: the forward
    # pass writes max(y, 0) (NaN kept, -0 made +0, as np.maximum(y, 0) does)
    # and the backward passes take the ReLU's gradient, dY times exactly 1 or
    # 0 (Y > 0), as each term is read, so neither pass has a ReLU of its own.
    # ``one`` and ``zero`` arrive in the arrays' dtype: a product with an
    # integer literal would be computed in float64.
    def bn_scale_shift_relu(centred, scale, shift, Y, zero):
        m = scale.shape[0]
        n = centred.shape[0] // m
        for i in range(n):
            for j in range(m):
                v = centred[i * m + j] * scale[j] + shift[j]
                Y[i * m + j] = v if (v > 0 or np.isnan(v)) else zero

    def bn_gradient_sums_relu(dY, Y, centred, dgamma, dbeta, one, zero):
        m = dgamma.shape[0]
        n = dY.shape[0] // m
        for j in range(m):
            dgamma[j] = 0
            dbeta[j] = 0
        for i in range(n):
            for j in range(m):
                at = i * m + j
                g = dY[at] * (one if Y[at] > 0 else zero)
                dgamma[j] += g * centred[at]
                dbeta[j] += g

    def bn_input_gradient_relu(dY, Y, centred, k1, k2, k3, dX, one, zero):
        m = k1.shape[0]
        n = dY.shape[0] // m
        for i in range(n):
            for j in range(m):
                at = i * m + j
                g = dY[at] * (one if Y[at] > 0 else zero)
                dX[at] = (g - (centred[at] * k1[j] + k2[j])) * k3[j]

    kernels = (sgd, momentum, nesterov, adam, adagrad, rmsprop)
    kernels += (bn_statistics, bn_scale_shift, bn_gradient_sums, bn_input_gradient)
    kernels += (bn_scale_shift_relu, bn_gradient_sums_relu, bn_input_gradient_relu)
    # error_model="numpy": a division by zero gives inf as in numpy instead of
    # raising, which also lets LLVM vectorize the loops.
    compile_ = njit(fastmath=False, error_model="numpy", boundscheck=False, cache=cache, nogil=True)
    return {f.__name__: compile_(f) for f in kernels}


@functools.cache
def _kernels():
    try:
        from numba import njit
    except Exception:  # not installed, or built for another numpy: numba raises ImportError
        return None
    try:
        return _define(njit, cache=True)
    except RuntimeError:  # no writable cache directory anywhere: compile per process
        return _define(njit, cache=False)


def available():
    """Whether the compiled kernels are in use (numba installed and not disabled).

    Returns
    -------
    bool
    """
    return _enabled and _kernels() is not None


def run(name, arrays, scalars):
    """Run the compiled kernel ``name`` on ``arrays`` if it can; say whether it did.

    Parameters
    ----------
    name : str
        An update rule ('sgd', 'momentum', 'nesterov', 'adam', 'adagrad',
        'rmsprop') or a batch-norm pass ('bn_statistics', 'bn_scale_shift',
        'bn_gradient_sums', 'bn_input_gradient', and the last three fused
        with a following ReLU: 'bn_scale_shift_relu', 'bn_gradient_sums_relu',
        'bn_input_gradient_relu').
    arrays : sequence of ndarray
        The kernel's array arguments, in its order. They must be C-contiguous
        and all float32 or all float64 (any shape: the kernel sees them
        flattened, as views). The kernel writes its outputs in place.
    scalars : sequence of float
        The kernel's scalar arguments, cast to the arrays' dtype as numpy casts
        a Python float.

    Returns
    -------
    ran : bool
        False when numba is missing, the kernels are disabled or the arrays do
        not qualify; the caller then takes its numpy path.
    """
    if not _enabled:
        return False
    dtype = arrays[0].dtype
    if dtype != np.float32 and dtype != np.float64:
        return False
    for a in arrays:
        if a.dtype != dtype or not a.flags.c_contiguous:
            return False
    kernels = _kernels()
    if kernels is None:
        return False
    cast = dtype.type
    try:
        kernels[name](*[a.reshape(-1) for a in arrays], *[cast(s) for s in scalars])
    except Exception as exc:  # compilation failed: no array was touched yet
        _give_up(exc)
        return False
    return True


def _give_up(exc):
    global _enabled
    _enabled = False
    warnings.warn(
        f"sknet could not compile its kernels with numba ({exc!r}); "
        "training continues with the numpy forms of the update rules and batch "
        "norm, which give the same results more slowly.",
        RuntimeWarning,
        stacklevel=3,
    )


@contextlib.contextmanager
def disabled():
    """Use the numpy form of every kernel inside the ``with`` block.

    For tests and benchmarks that compare the two forms.

    Examples
    --------
    >>> from sknet import _jit
    >>> with _jit.disabled():
    ...     _jit.available()
    False
    """
    global _enabled
    previous, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = previous
