"""A progress bar for fits, as a scikit-learn callback."""

import sys
import time

__all__ = ["EpochProgress"]


class EpochProgress:
    """Progress bar of a fit, as a :mod:`sklearn.callback` callback.

    Shows, after each epoch (or L-BFGS iteration), the epoch, a bar, the
    training loss, the validation score when ``early_stopping`` is on, and
    the time left if every epoch runs (early stopping may end sooner). It
    reads only the public ``history_`` of the estimator and needs no extra
    package; scikit-learn's own :class:`sklearn.callback.ProgressBar` (which
    needs ``rich``) works too.

    Parameters
    ----------
    stream : file-like, default=None
        Where to write; ``sys.stderr`` if None.
    width : int, default=20
        Characters of the bar.
    every : int, default=1
        Redraw every ``every`` epochs (and at the last).

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from sknet import MLPClassifier
    >>> from sknet.diagnostics import EpochProgress
    >>> X = np.random.RandomState(0).randn(60, 3)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> out = io.StringIO()
    >>> clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
    >>> _ = clf.set_callbacks(EpochProgress(stream=out)).fit(X, y)
    >>> out.getvalue().split(chr(13))[-1].startswith("epoch 3/3")
    True
    """

    def __init__(self, stream=None, width=20, every=1):
        self.stream = stream
        self.width = width
        self.every = every

    def setup(self, estimator, context):
        """Start the clock (a :mod:`sklearn.callback` hook).

        Parameters
        ----------
        estimator : estimator
        context : sklearn.callback.CallbackContext
        """
        self._start = time.perf_counter()
        self._drawn = False

    def on_fit_task_begin(self, estimator, context):
        """Nothing to draw before a task (a :mod:`sklearn.callback` hook).

        Parameters
        ----------
        estimator : estimator
        context : sklearn.callback.CallbackContext
        """

    def on_fit_task_end(self, estimator, context):
        """Redraw the bar after an epoch (a :mod:`sklearn.callback` hook).

        Parameters
        ----------
        estimator : estimator
        context : sklearn.callback.CallbackContext
        """
        if context.task_name not in ("epoch", "iteration") or context.parent is None:
            return  # the whole fit (or a meta-estimator's task)
        done = context.task_id + 1
        total = context.parent.max_subtasks or None
        if done % self.every and done != total:
            return
        history = getattr(estimator, "history_", {})
        parts = [f"epoch {done}" + (f"/{total}" if total else "")]
        if total:
            filled = int(round(self.width * done / total))
            parts.append("[" + "#" * filled + "-" * (self.width - filled) + "]")
        if history.get("loss"):
            parts.append(f"loss {history['loss'][-1]:.4g}")
        if history.get("val_score"):
            parts.append(f"val {history['val_score'][-1]:.4g}")
        elapsed = time.perf_counter() - self._start
        if total:
            parts.append(f"{elapsed / done * (total - done):.1f}s left")
        stream = self.stream if self.stream is not None else sys.stderr
        stream.write("\r" + "  ".join(parts))
        stream.flush()
        self._drawn = True

    def teardown(self, estimator, context):
        """End the line (a :mod:`sklearn.callback` hook).

        Parameters
        ----------
        estimator : estimator
        context : sklearn.callback.CallbackContext
        """
        if self._drawn:
            stream = self.stream if self.stream is not None else sys.stderr
            stream.write("\n")
            stream.flush()
