"""The gradient check: backpropagation against centred differences, aware of kinks.

CS231n's notes on gradient checks: compare the analytic gradient with
``(f(x + h) - f(x - h)) / 2h`` by their relative error, in double precision,
on few samples. One trap they name is "kinks in the objective": a rectifier
whose input crosses 0 between ``x - h`` and ``x + h`` makes the centred
difference average two slopes, so it disagrees with a correct backward pass.
:func:`check_gradients` watches for it: it records which piece of every
piecewise-linear activation (ReLU, leaky ReLU, PReLU, ELU, maxout) each unit
is on, and where a step changes one, it retries with smaller steps and, if the
kink is still crossed, reports the entry as a kink instead of blaming the
backward pass. An entry that disagrees at the first step is also retried at
larger and smaller ones: on unscaled inputs the centred difference's own
error (curvature, rounding) exceeds the tolerance at a single step size.
"""

from dataclasses import dataclass, field

import numpy as np
from sklearn.utils import check_array, check_random_state

from ._common import FAIL, OK, Result, fresh, loss_target, split_pipeline

__all__ = ["numerical_gradient", "GradientCheckResult", "check_gradients"]

# Steps, as multiples of eps, that an entry disagreeing at eps is retried with.
_STEP_FACTORS = np.array([1.0, 10.0, 0.1, 100.0, 0.01, 10**0.5, 10**-0.5, 10**1.5, 1000.0])


def numerical_gradient(f, x, h=1e-6):
    """Centred differences of the scalar ``f()`` with respect to the array ``x``.

    Each entry of ``x`` is moved to ``x + h`` and ``x - h`` in place (and put
    back), and ``(f(x + h) - f(x - h)) / (2 h)`` is its derivative: second-order
    accurate, as CS231n recommends over the one-sided difference.

    Parameters
    ----------
    f : callable
        ``f() -> float``, reading ``x``.
    x : ndarray
        Float64 for meaningful results; modified during the call, restored.
    h : float, default=1e-6

    Returns
    -------
    grad : ndarray of the shape of ``x``

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.diagnostics import numerical_gradient
    >>> x = np.array([1.0, -2.0])
    >>> numerical_gradient(lambda: float(np.sum(x ** 3)), x).round(6)
    array([ 3., 12.])
    """
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = f()
        x[i] = old - h
        minus = f()
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


@dataclass(repr=False)
class GradientCheckResult(Result):
    """Result of :func:`check_gradients`.

    Attributes
    ----------
    max_relative_error : float
        Over the entries whose centred difference crossed no kink.
    relative_errors : dict
        ``'layer.key' -> max relative error`` over those entries.
    n_checked : int
        Entries compared.
    n_kinks : int
        Entries whose every step crossed a kink: left out of the errors.
    passed : bool
    tol : float
    verdict, message : str
    """

    max_relative_error: float
    relative_errors: dict
    n_checked: int
    passed: bool
    tol: float
    verdict: str
    message: str
    n_kinks: int = 0
    kinked: list = field(default_factory=list)


def _pieces(network, X):
    """Which piece of its activation every unit is on, for every piecewise-linear layer."""
    pieces = []
    for name, layer in network.layers:
        kink = getattr(layer, "kink", None)
        if kink is not None:
            pieces.append(kink(X))
        X = layer.forward(X, training=True)
    return pieces


def check_gradients(
    estimator,
    X,
    y,
    *,
    n_samples=10,
    max_entries=20,
    eps=1e-5,
    tol=1e-5,
    atol=1e-5,
    random_state=0,
):
    """Compare the network's backpropagated gradients with centred differences.

    A float64 copy of the network ``fit`` would build (dropout off: its random
    masks change between evaluations) computes the training loss, L2 term
    included, on ``n_samples`` samples. For up to ``max_entries`` entries of
    every learnable array, ``(L(w + eps) - L(w - eps)) / (2 eps)`` is
    compared with the analytic gradient by the relative error
    ``|a - n| / max(|a| + |n|, atol)``. The floor ``atol`` compares tiny
    gradients in absolute terms: the centred difference carries a rounding
    error of about ``1e-16 |L| / eps`` (~1e-11), which would make the
    relative error of a 1e-9 gradient (or of an exactly zero one, such as
    the bias before a batch-norm layer) meaningless. CS231n's scale: below
    1e-7 excellent, below 1e-4 usual with kinks, above 1e-2 a bug.

    Steps: an entry that disagrees at ``eps`` is retried with steps from 100
    times smaller to 1000 times larger, and judged by the best: the
    centred difference's error grows as ``h^2`` times the curvature (large
    on unscaled inputs, where the softmax is nearly piecewise linear) and as
    ``1 / h`` from rounding, while a wrong backward pass disagrees at every
    step. Kinks: a step that moves a unit of a ReLU, leaky ReLU, PReLU, ELU or
    maxout layer onto another linear piece straddles the kink and is not
    used; an entry whose every step does is counted in ``n_kinks`` and left
    out, and the message says the disagreement there comes from kinks.

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor, or a Pipeline ending in one
    X, y : array-like
    n_samples : int, default=10
    max_entries : int or None, default=20
        Entries checked per array (chosen at random); None checks them all.
    eps : float, default=1e-5
    tol : float, default=1e-5
    atol : float, default=1e-5
    random_state : int, default=0
        Picks the samples and the entries.

    Returns
    -------
    GradientCheckResult

    Raises
    ------
    ValueError
        Bad input, as ``fit`` raises it.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet import MLPClassifier
    >>> from sknet.diagnostics import check_gradients
    >>> X = np.random.RandomState(0).randn(40, 4)
    >>> y = np.arange(40) % 3
    >>> clf = MLPClassifier(hidden_layer_sizes=(6,), activation="tanh",
    ...                     batch_norm=True, alpha=0.1, random_state=0)
    >>> result = check_gradients(clf, X, y)
    >>> result.passed, result.max_relative_error < 1e-5
    (True, True)
    """
    estimator, X = split_pipeline(estimator, X, y, fit=True)
    rng = check_random_state(random_state)
    X = check_array(X, accept_sparse=["csr"], dtype=np.float64)
    y = np.asarray(y)
    idx = np.sort(rng.choice(X.shape[0], min(n_samples, X.shape[0]), replace=False))
    X, y = X[idx], y[idx]
    est = fresh(estimator, dropout=0.0, warm_start=False).initialize(X, y)
    net, alpha = est.network_, est.alpha
    target = loss_target(est, y, X.dtype)

    def loss():
        return net.loss_and_gradients(X, target, alpha=alpha)

    def same_pieces(a, b):
        return all(np.array_equal(p, q) for p, q in zip(a, b))

    loss()
    analytic = {k: g.copy() for k, g in zip(net.named_parameters(), net.gradients())}
    base = _pieces(net, X)
    errors, kinked, n_checked = {}, [], 0
    for name, param in net.named_parameters().items():
        flat = param.reshape(-1)
        entries = np.arange(flat.size)
        if max_entries is not None and flat.size > max_entries:
            entries = rng.choice(flat.size, max_entries, replace=False)
        worst = 0.0
        for i in entries:
            a = analytic[name].reshape(-1)[i]
            best, kinks_only = np.inf, True
            for h in eps * _STEP_FACTORS:
                old = flat[i]
                flat[i] = old + h
                plus, plus_pieces = loss(), _pieces(net, X)
                flat[i] = old - h
                minus, minus_pieces = loss(), _pieces(net, X)
                flat[i] = old
                if not (same_pieces(plus_pieces, base) and same_pieces(minus_pieces, base)):
                    continue  # the step straddles a kink: its difference means nothing
                kinks_only = False
                numeric = (plus - minus) / (2 * h)
                best = min(best, abs(a - numeric) / max(abs(a) + abs(numeric), atol))
                if best < tol:
                    break
            if kinks_only:
                kinked.append(f"{name}[{i}]")
                continue
            worst = max(worst, best)
        errors[name] = float(worst)
        n_checked += len(entries)
    net.clear_cache()
    top = max(errors.values()) if errors else 0.0
    passed = top < tol
    worst_name = max(errors, key=errors.get) if errors else ""
    text = (
        f"gradient check on {n_checked} entries: max relative error {top:.2g}"
        + (f" (in {worst_name})" if errors else "")
    )
    if kinked:
        text += (
            f"; {len(kinked)} entries cross a kink (a unit's input crosses 0 within "
            f"+-{eps:g}) at every step tried and are left out: a centred difference "
            "there averages two slopes, whatever the backward pass"
        )
    if passed:
        text += ": OK."
    else:
        text += f": FAIL, above {tol:g}. The backward pass disagrees with the loss."
    return GradientCheckResult(
        max_relative_error=top,
        relative_errors=errors,
        n_checked=n_checked,
        passed=passed,
        tol=tol,
        verdict=OK if passed else FAIL,
        message=text,
        n_kinks=len(kinked),
        kinked=kinked,
    )
