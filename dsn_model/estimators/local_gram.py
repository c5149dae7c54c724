"""The normal equations of masked rows, each block on the columns it uses.

A Top-K model's rows have ``s`` of ``t`` features active. Where the ``s^2 / 2`` active
pairs of a row cost more than a dense rank-k update (``t / s`` small: BLAS does a
multiply-add in about 0.05 ns, a scattered pair about 1 ns), the rows are written out
densely and summed by ``dsyrk`` -- which then does the dense model's work and more. But
rows with nearby inputs activate nearly the same units, so a block of such rows uses
fewer than ``t`` columns: sorted by locality (:func:`locality_order`), a block of 512
Top-K rows (t = 1024, s = 256, d = 8, uniform inputs) uses about 76% of the columns, and
its rank-k update on those columns alone costs about 58% of the whole one
(:func:`add_block_sums`). The sums are the same up to the order of their additions.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import blas

from .._kernels import add_upper_block, dense_rows

__all__ = ["add_block_sums", "add_masked_rows", "locality_order"]

#: Above this share of the ``t`` columns a block is summed over all of them.
_DENSE_SHARE = 0.85

#: Principal directions whose signs order the rows, and rows their directions are found on.
_DIRECTIONS, _SAMPLE = 8, 2048


def locality_order(X: np.ndarray) -> np.ndarray:
    """An order of the rows of ``X`` in which nearby rows tend to be adjacent.

    The rows are sorted by the signs of their projections on the leading principal
    directions (up to 8, the first the most significant), found on up to 2,048 rows: the
    cells of that sign pattern, each a cone of the centred inputs, in a fixed order.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [-1.0, 0.1], [1.1, 0.0], [-1.2, 0.0]])
    >>> order = locality_order(X).tolist()  # the two rows on each side together
    >>> sorted(order[:2]) in ([0, 2], [1, 3])
    True
    """
    if len(X) < 2:
        return np.arange(len(X))
    centred = X - X.mean(axis=0)
    directions = np.linalg.svd(centred[:_SAMPLE], full_matrices=False)[2][:_DIRECTIONS]
    signs = (centred @ directions.T) > 0
    key = signs @ (1 << np.arange(len(directions) - 1, -1, -1))
    return np.argsort(key, kind="stable")


def add_block_sums(G, colsum, FtY, units, values, Y, t: int) -> np.ndarray:
    """Add ``sum_r f_r f_r^T`` (upper triangle), ``sum_r f_r`` and ``sum_r f_r y_r^T`` of
    the rows given by their active ``units`` and ``values``, as one block: a ``dsyrk``
    over the columns the block uses, added into ``G``; over all ``t`` columns if it uses
    more than 85% of them. Returns ``G`` (the rank-k update over all columns may return
    a new array; ``colsum`` and ``FtY`` are updated in place).

    Examples
    --------
    >>> import numpy as np
    >>> G, colsum, FtY = np.zeros((4, 4)), np.zeros(4), np.zeros((4, 1))
    >>> G = add_block_sums(G, colsum, FtY, np.array([[0, 2], [2, 0]]),
    ...                    np.array([[1.0, 2.0], [3.0, 1.0]]), np.ones((2, 1)), 4)
    >>> G[0].tolist(), float(G[2, 2]), colsum.tolist()
    ([2.0, 0.0, 5.0, 0.0], 13.0, [2.0, 0.0, 5.0, 0.0])
    """
    used = np.zeros(t, dtype=bool)
    used[units.ravel()] = True
    cols = np.flatnonzero(used)
    if len(cols) > _DENSE_SHARE * t:  # hardly narrower: the whole update
        return _add_columns(G, colsum, FtY, dense_rows(units, values, t), None, Y)
    local = np.empty(t, dtype=np.int64)
    local[cols] = np.arange(len(cols))
    return _add_columns(G, colsum, FtY, dense_rows(local[units], values, len(cols)), cols, Y)


def add_masked_rows(G, colsum, FtY, F: np.ndarray, Y) -> np.ndarray:
    """:func:`add_block_sums` of rows already written out with zeros (``F``, ``(n, t)``):
    the columns the block uses are those with a nonzero entry. Returns ``G``.

    Examples
    --------
    >>> import numpy as np
    >>> G, colsum, FtY = np.zeros((4, 4)), np.zeros(4), np.zeros((4, 1))
    >>> F = np.array([[2.0, 0.0, 1.0, 0.0], [1.0, 0.0, 3.0, 0.0]])
    >>> G = add_masked_rows(G, colsum, FtY, F, np.ones((2, 1)))
    >>> G[0].tolist(), float(G[2, 2]), colsum.tolist()
    ([5.0, 0.0, 5.0, 0.0], 10.0, [3.0, 0.0, 4.0, 0.0])
    """
    t = F.shape[1]
    cols = np.flatnonzero(F.any(axis=0))
    if len(cols) > _DENSE_SHARE * t:  # hardly narrower: the whole update
        return _add_columns(G, colsum, FtY, F, None, Y)
    return _add_columns(G, colsum, FtY, F[:, cols], cols, Y)


def _add_columns(G, colsum, FtY, F, cols, Y):
    """Add the sums of the rows ``F`` over the columns ``cols`` (all if ``None``)."""
    if cols is None:
        colsum += F.sum(axis=0)
        FtY += F.T @ Y
        return blas.dsyrk(1.0, F, beta=1.0, c=G, trans=1, lower=0, overwrite_c=1)
    add_upper_block(G, cols, blas.dsyrk(1.0, F, trans=1, lower=0))
    colsum[cols] += F.sum(axis=0)
    FtY[cols] += F.T @ Y
    return G
