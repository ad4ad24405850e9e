"""The L-BFGS driver: scipy's L-BFGS-B on the full batch.

The network's flat parameter vector is the optimization variable; every loss
evaluation is one full forward and backward pass, run in row blocks (see
:meth:`sknet.network.Network.full_batch_loss_and_gradients`). The best parameters
evaluated are kept, so an interrupted run returns the best it has seen rather
than wherever the line search happened to be. Batch norm trains on the full
batch's statistics and, at the end, sets its running statistics to them.
"""

import time
import warnings

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from .state import TrainingResult

__all__ = ["fit_lbfgs"]


def fit_lbfgs(
    network,
    X,
    target,
    sample_weight,
    *,
    alpha,
    max_iter,
    max_fun,
    tol,
    verbose,
    history,
    callbacks=None,
):
    """Minimize the full-batch loss of ``network`` with L-BFGS-B.

    Parameters
    ----------
    network : sknet.network.Network
    X, target, sample_weight : ndarray
        The data, encoded targets and sample weights (or None).
    alpha : float
        L2 penalty.
    max_iter, max_fun : int
        Iterations and loss evaluations allowed.
    tol : float
        scipy's ``gtol``.
    verbose : bool
        Print scikit-learn's "Iteration ..." lines.
    history : dict of list
        Gets the loss (learning rate NaN, seconds) of every iteration.
    callbacks : CallbackMonitor, default=None
        Each iteration is a subtask; a callback may stop the run.

    Returns
    -------
    TrainingResult

    Raises
    ------
    KeyboardInterrupt
        When interrupted before one loss evaluation finished.
    """
    best = {"loss": np.inf, "x": None}

    def unpack(x):
        network.flat_params[...] = x

    def objective(x):
        unpack(x)
        loss = network.full_batch_loss_and_gradients(
            X, target, sample_weight=sample_weight, alpha=alpha
        )
        if loss < best["loss"]:
            best["loss"], best["x"] = loss, x.copy()
        return loss, network.flat_grads.astype(np.float64)

    start = time.perf_counter()
    reported, stopped = [0], [False]

    def callback(intermediate_result):
        history["loss"].append(float(intermediate_result.fun))
        history["learning_rate"].append(np.nan)
        history["seconds"].append(time.perf_counter() - start)
        reported[0] += 1
        if verbose:
            print("Iteration %d, loss = %.8f" % (reported[0], intermediate_result.fun))
        if callbacks is not None and reported[0] <= max_iter:
            # scipy reports the iteration once it is over: begin and end it here.
            unpack(intermediate_result.x)
            callbacks.epoch_begin()
            if callbacks.epoch_end():
                stopped[0] = True
                raise StopIteration

    n_before = len(history["loss"])
    try:
        result = scipy.optimize.minimize(
            objective,
            network.flat_params.astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            callback=callback,
            options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
        )
    except KeyboardInterrupt:
        if best["x"] is None:
            raise  # not one evaluation finished: nothing trained to keep
        warnings.warn("Training interrupted by user.")
        unpack(best["x"])
        n_iter, loss, reason = len(history["loss"]) - n_before, best["loss"], "interrupted"
    else:
        unpack(result.x)
        n_iter, loss = min(int(result.nit), max_iter), result.fun
        if stopped[0]:
            reason = "callback"
        elif result.status == 0:
            reason = "converged"
        else:
            reason = "max_iter" if result.status == 1 else "failed"
            message = result.message
            if isinstance(message, bytes):
                message = message.decode("latin1")
            warnings.warn(
                f"lbfgs failed to converge after {n_iter} iteration(s) "
                f"(status={result.status}): {message}.\n\nIncrease the number "
                "of iterations (max_iter) or scale the data as shown in:\n"
                "    https://scikit-learn.org/stable/modules/preprocessing.html",
                ConvergenceWarning,
            )
    if network.has_batch_norm:
        network.recompute_running_stats(X, sample_weight=sample_weight)
    return TrainingResult(n_iter, np.float64(loss), reason)
