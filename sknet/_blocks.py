"""Row blocks: passes over a whole data set in slices of bounded memory.

The network's evaluation passes (prediction, ``evaluate_loss``,
``layer_outputs``) and its full-batch gradient for L-BFGS run over the rows in
blocks, so that the memory they use beyond the input and the result is one
block's activations, whatever the network and the data set.
"""

import numpy as np
import scipy.sparse as sp

__all__ = [
    "BLOCK_BYTES",
    "MIN_BLOCK_ROWS",
    "block_shares",
    "row_slices",
    "row_sliceable",
    "rows_per_block",
]

#: Bytes one row block's activations may take. The matrix products run faster
#: on taller blocks (prediction of 60,000 rows of the 784-256-128-10 network:
#: 74% of the bare products' speed in blocks of 1 MiB, 80% of 16 MiB, 86% of
#: 32 MiB, 87% of 64 MiB); 32 MiB keeps prediction within its 64 MiB of
#: working memory.
BLOCK_BYTES = 32 * 2**20

#: The fewest rows of a block (narrower blocks slow the matrix products).
MIN_BLOCK_ROWS = 256


def rows_per_block(bytes_per_row, n_rows):
    """Rows per block: as many as fit :data:`BLOCK_BYTES`, at least :data:`MIN_BLOCK_ROWS`.

    Parameters
    ----------
    bytes_per_row : int
        Working memory one row takes in the pass.
    n_rows : int

    Returns
    -------
    rows : int
        Between 1 and ``max(n_rows, 1)``.
    """
    rows = max(MIN_BLOCK_ROWS, BLOCK_BYTES // max(bytes_per_row, 1))
    return max(1, min(n_rows, rows))


def row_slices(n_rows, step):
    """Slices of ``range(n_rows)`` of ``step`` rows (the last may be shorter); none for 0 rows."""
    return [slice(start, min(start + step, n_rows)) for start in range(0, n_rows, step)]


def row_sliceable(X):
    """``X``, with a sparse matrix in CSR form (cheap to slice by rows)."""
    if sp.issparse(X) and X.format != "csr":
        return X.tocsr()
    return X


def block_shares(blocks, n_rows, sample_weight):
    """``(rows, share)`` of each block that carries weight; the shares sum to one.

    A mean over rows is the share-weighted sum of the blocks' means: a block's
    share is its fraction of the rows, or of the sample weights. Without any
    weight at all, one block of every row (the loss then says what it is).

    Parameters
    ----------
    blocks : list of slice
    n_rows : int
    sample_weight : ndarray of shape (n_rows,) or None

    Returns
    -------
    list of (slice, float)
    """
    if not blocks:  # no rows: the loss of nothing is NaN, not a perfect 0
        return [(slice(0, n_rows), 1.0)]
    if sample_weight is None:
        return [(rows, (rows.stop - rows.start) / n_rows) for rows in blocks]
    total = float(np.sum(sample_weight))
    if not total:
        return [(slice(0, n_rows), 1.0)]
    weights = [float(np.sum(sample_weight[rows])) for rows in blocks]
    return [(rows, w / total) for rows, w in zip(blocks, weights) if w]
