"""Mini-batches: the batch-size rule, shuffling, and one reused buffer for the rows.

:class:`MiniBatches` yields the batches of one epoch over the training rows
(all of ``X``, or the rows an early-stopping split kept). Rows are shuffled in
place with the fit's generator, exactly as scikit-learn draws them; dense rows
are gathered into one buffer allocated per call, slices of an unshuffled X are
views, and batches whose sample weights are all zero are skipped (nothing to
learn from, and their weighted mean would be 0 / 0).
"""

import warnings
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

__all__ = ["resolve_batch_size", "row_index_dtype", "Batch", "MiniBatches"]


class Batch(NamedTuple):
    """One mini-batch: its rows, their encoded targets and sample weights."""

    X: object
    target: object
    sample_weight: object
    #: Rows in the batch.
    n_rows: int
    #: Whether it is the epoch's last batch.
    last: bool


def row_index_dtype(n_rows):
    """The smallest integer type for row indices: 4 bytes a row below 2**31 rows."""
    return np.int32 if n_rows < 2**31 else np.int64


def resolve_batch_size(batch_size, n_rows):
    """The number of rows per mini-batch, as scikit-learn's MLP chooses it.

    Parameters
    ----------
    batch_size : int or 'auto'
        'auto' is ``min(200, n_rows)``; an int above ``n_rows`` is clipped
        with scikit-learn's warning.
    n_rows : int
        Training rows.

    Returns
    -------
    batch_size : int

    Examples
    --------
    >>> from sknet.training import resolve_batch_size
    >>> resolve_batch_size("auto", 1000), resolve_batch_size("auto", 60), resolve_batch_size(32, 60)
    (200, 60, 32)
    """
    if batch_size == "auto":
        return min(200, n_rows)
    if batch_size > n_rows:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped"
        )
    return int(np.clip(batch_size, 1, n_rows))


class MiniBatches:
    """The mini-batches of one epoch; iterate again for the next epoch.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    target : ndarray
        Encoded targets (see :mod:`sknet.training.targets`), aligned with X.
    sample_weight : ndarray of shape (n_samples,) or None
    batch_size : int
    rows : ndarray of int or None, default=None
        The training rows (an early-stopping split keeps some for
        validation); None for every row.
    shuffle : bool, default=True
        Shuffle the rows at the start of each epoch, with ``random_state``.
    random_state : numpy.random.RandomState, default=None
        Required when ``shuffle`` is true.
    drop_last : bool, default=False
        Skip the epoch's last batch when it is smaller than ``batch_size``
        (PyTorch's name; the learning-rate finder wants equal batches).

    Attributes
    ----------
    n_rows : int
        Training rows per epoch.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.training import MiniBatches
    >>> X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    >>> [(b.n_rows, b.target.tolist()) for b in MiniBatches(X, y, None, 2, shuffle=False)]
    [(2, [0, 1]), (2, [2, 3]), (1, [4])]
    """

    def __init__(
        self,
        X,
        target,
        sample_weight,
        batch_size,
        *,
        rows=None,
        shuffle=True,
        random_state=None,
        drop_last=False,
    ):
        self.X, self.target, self.sample_weight = X, target, sample_weight
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.random_state = random_state
        # Unshuffled rows of the whole X are taken as slices (views, no copy).
        self._slices = rows is None and not shuffle
        if rows is None and shuffle:
            rows = np.arange(X.shape[0], dtype=row_index_dtype(X.shape[0]))
        self.rows = rows
        self.n_rows = X.shape[0] if rows is None else rows.shape[0]
        dense = not sp.issparse(X)
        self._buffer = np.empty((self.batch_size, X.shape[1]), dtype=X.dtype) if dense else None

    def __iter__(self):
        """Yield the epoch's :class:`Batch` es.

        Their arrays are valid until the next batch: ``X`` may be the reused
        buffer.
        """
        if self.shuffle:
            self.random_state.shuffle(self.rows)
        n, size = self.n_rows, self.batch_size
        stop = n - n % size if self.drop_last else n
        for begin in range(0, stop, size):
            if self._slices:
                idx = slice(begin, begin + size)
            else:
                idx = self.rows[begin : begin + size]
            sw = None if self.sample_weight is None else self.sample_weight[idx]
            if sw is not None and not sw.any():
                continue
            stop = min(begin + size, n)
            yield Batch(self._gather(idx), self.target[idx], sw, stop - begin, stop == n)

    def _gather(self, idx):
        if self._buffer is None or isinstance(idx, slice):
            return self.X[idx]
        out = self._buffer[: idx.shape[0]]
        # mode="clip" skips numpy's defensive buffering; the indices are valid.
        return np.take(self.X, idx, axis=0, out=out, mode="clip")
