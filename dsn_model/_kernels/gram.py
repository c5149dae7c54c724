"""The sparse Gram matrix of rows with ``s`` active units, cache-tiled
(:func:`sparse_gram_upper`): the normal equations of a Top-K or hash model; and the
same rows written out densely (:func:`dense_rows`).

Part of :mod:`dsn_model._kernels` (its docstring says how these loops are checked and run).
"""

from __future__ import annotations

import numba
import numpy as np

from .checks import _check_indices

__all__ = ["GRAM_TILE", "add_upper_block", "dense_rows", "sparse_gram_upper"]


#: Side of the square tile of the Gram matrix one pass accumulates: 256 x 256 float64 is
#: 512 KiB, which stays in a core's L2 cache.
GRAM_TILE = 256


def sparse_gram_upper(
    G: np.ndarray, units: np.ndarray, values: np.ndarray, tile: int = GRAM_TILE
) -> None:
    """Add the upper triangle of ``sum_r f_r f_r^T`` to ``G`` in place, from active units only.

    Row ``r`` of the features is ``values[r]`` at columns ``units[r]`` and zero elsewhere
    (a unit may repeat; its values add). The work is the ``s^2`` active pairs of each row,
    grouped by tile of ``G`` so each tile's sums stay in cache; the lower triangle of ``G``
    is left as it was.

    Parameters
    ----------
    G : ndarray of shape (t, t), float64, C-contiguous
        The accumulator; its upper triangle (diagonal included) receives the sums.
    units : ndarray of shape (n, s), int
        Active columns, each in ``[0, t)``.
    values : ndarray of shape (n, s)
        Their values.
    tile : int, default=GRAM_TILE
        Tile side.

    Examples
    --------
    >>> import numpy as np
    >>> G = np.zeros((3, 3))
    >>> sparse_gram_upper(G, np.array([[0, 2]]), np.array([[1.0, 2.0]]))
    >>> G.tolist()
    [[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [0.0, 0.0, 4.0]]
    """
    units = _check_indices(units, len(G), "units")
    _sparse_gram_upper(G, units, np.ascontiguousarray(values, dtype=np.float64), tile)


@numba.njit(cache=True, nogil=True)
def _sparse_gram_upper(G, units, values, tile):  # pragma: no cover - compiled
    n, s = units.shape
    t = G.shape[0]
    nt = (t + tile - 1) // tile
    # Entries regrouped by tile of their unit, in row order within each tile.
    starts = np.zeros(nt + 1, np.int64)
    for r in range(n):
        for a in range(s):
            starts[units[r, a] // tile + 1] += 1
    for i in range(nt):
        starts[i + 1] += starts[i]
    local = np.empty(n * s, np.int64)
    value = np.empty(n * s)
    row_of = np.empty(n * s, np.int64)
    fill = starts[:nt].copy()
    for r in range(n):
        for a in range(s):
            u = units[r, a]
            i = u // tile
            local[fill[i]] = u - i * tile
            value[fill[i]] = values[r, a]
            row_of[fill[i]] = r
            fill[i] += 1
    buf = np.empty((tile, tile))
    for i in range(nt):
        for j in range(i, nt):
            buf[:, :] = 0.0
            a, b = starts[i], starts[j]
            while a < starts[i + 1]:  # merge the two tiles' entries row by row
                r = row_of[a]
                a_end = a
                while a_end < starts[i + 1] and row_of[a_end] == r:
                    a_end += 1
                while b < starts[j + 1] and row_of[b] < r:
                    b += 1
                b_end = b
                while b_end < starts[j + 1] and row_of[b_end] == r:
                    b_end += 1
                for p in range(a, a_end):
                    vp, out = value[p], buf[local[p]]
                    for q in range(b, b_end):
                        out[local[q]] += vp * value[q]
                a, b = a_end, b_end
            i0, j0 = i * tile, j * tile
            for p in range(min(tile, t - i0)):
                for q in range(p if i == j else 0, min(tile, t - j0)):
                    G[i0 + p, j0 + q] += buf[p, q]


def dense_rows(units: np.ndarray, values: np.ndarray, n_units: int) -> np.ndarray:
    """Rows of ``n_units`` features, ``values[r]`` at columns ``units[r]``, zero elsewhere.

    A unit that repeats in a row gets the sum of its values, added in slot order from
    0.0 (as ``np.bincount`` adds them): an empty slot written as unit 0 with value 0
    leaves the row as it was.

    Examples
    --------
    >>> import numpy as np
    >>> dense_rows(np.array([[2, 0], [1, 1]]), np.array([[1.5, 2.0], [1.0, 3.0]]), 3)
    array([[2. , 0. , 1.5],
           [0. , 4. , 0. ]])
    """
    units = _check_indices(units, n_units, "units")
    values = np.ascontiguousarray(values, dtype=np.float64)
    if units.ndim != 2 or values.shape != units.shape:
        raise ValueError(f"`values` must be shaped like `units` {units.shape}. Got {values.shape}.")
    return _dense_rows(units, values, n_units)


@numba.njit(cache=True, nogil=True)
def _dense_rows(units, values, n_units):  # pragma: no cover - compiled
    n, s = units.shape
    out = np.zeros((n, n_units))
    for i in range(n):
        for j in range(s):
            out[i, units[i, j]] += values[i, j]
    return out


def add_upper_block(G: np.ndarray, cols: np.ndarray, block: np.ndarray) -> None:
    """``G[cols[i], cols[j]] += block[i, j]`` for ``i <= j``: the upper triangle of a Gram
    matrix over the columns ``cols`` (increasing) added into the upper triangle of ``G``.

    Examples
    --------
    >>> import numpy as np
    >>> G = np.zeros((3, 3))
    >>> add_upper_block(G, np.array([0, 2]), np.array([[1.0, 2.0], [9.0, 4.0]]))
    >>> G.tolist()
    [[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [0.0, 0.0, 4.0]]
    """
    cols = _check_indices(cols, len(G), "cols")
    if block.shape != (len(cols), len(cols)) or (len(cols) > 1 and np.any(np.diff(cols) <= 0)):
        raise ValueError("`cols` must increase and `block` be square over them.")
    _add_upper_block(G, cols, np.asarray(block, dtype=np.float64))


@numba.njit(cache=True, nogil=True)
def _add_upper_block(G, cols, block):  # pragma: no cover - compiled
    u = len(cols)
    for i in range(u):
        gi = cols[i]
        for j in range(i, u):
            G[gi, cols[j]] += block[i, j]
