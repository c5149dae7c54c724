"""The LSH model's per-bucket sums -- counts and targets, and the affine normal equations --
in one pass over the rows.

Part of :mod:`dsn_model._kernels` (its docstring says how these loops are checked and run).
"""

from __future__ import annotations

import numba
import numpy as np

from .checks import _check_slots

__all__ = ["add_affine_sums", "add_bucket_sums"]


def add_bucket_sums(
    stats: np.ndarray, slots: np.ndarray, y: np.ndarray, offsets: np.ndarray | None = None
) -> None:
    """Add one to the count and ``y[r]`` to the sum of every slot of row ``r``, in place.

    The fused form of ``counts += bincount(slots)`` and ``sums += bincount(slots,
    repeat(y, s))``: one pass, no ``n x s`` temporary. A slot's count and sum sit side
    by side, so each update touches one cache line (twice as fast as two arrays when the
    slots do not fit in cache).

    Parameters
    ----------
    stats : ndarray of shape (n_slots, 2), float64, C-contiguous
        The accumulators: counts in column 0, sums in column 1.
    slots : ndarray of shape (n, s), int
        Each row's slots, in ``[0, n_slots)`` once ``offsets`` are added.
    y : ndarray of shape (n,)
        The row's value.
    offsets : ndarray of shape (s,), int, optional
        Added to column ``i`` of ``slots``: the slots of a directly addressed index
        are its keys (as narrow as 16 bits) plus their table's offset, so no
        ``(n, s)`` int64 array of them is written. Zero if omitted.

    Examples
    --------
    >>> import numpy as np
    >>> stats = np.zeros((3, 2))
    >>> add_bucket_sums(stats, np.array([[0, 2], [2, 1]]), np.array([1.0, 5.0]))
    >>> stats.T.tolist()
    [[1.0, 1.0, 2.0], [1.0, 5.0, 6.0]]
    """
    if not (
        isinstance(stats, np.ndarray)
        and stats.dtype == np.float64
        and stats.ndim == 2
        and stats.shape[1] == 2
        and stats.flags.c_contiguous
        and stats.flags.writeable
    ):
        raise ValueError("`stats` must be a writeable C-contiguous float64 array (n_slots, 2).")
    slots, offsets = _check_slots(slots, offsets, len(stats))
    y = np.ascontiguousarray(y, dtype=np.float64)
    if y.shape != (len(slots),):
        raise ValueError(f"`y` must hold one value per row of `slots`, {len(slots)}.")
    _add_bucket_sums(stats, slots, offsets, y)


@numba.njit(cache=True, nogil=True)
def _add_bucket_sums(stats, slots, offsets, y):  # pragma: no cover - compiled
    n, s = slots.shape
    for r in range(n):
        v = y[r]
        for i in range(s):
            j = offsets[i] + slots[r, i]
            stats[j, 0] += 1.0
            stats[j, 1] += v


def add_affine_sums(
    gram: np.ndarray,
    xty: np.ndarray,
    slots: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    offsets: np.ndarray | None = None,
) -> None:
    """Add each row's affine normal equations to every one of its slots, in place.

    With ``z = [1, x]``, slot ``j`` of row ``r`` receives the upper triangle of ``z z^T``
    (row-major, as ``numpy.triu_indices``) in ``gram[j]`` and ``y[r] z`` in ``xty[j]``. The
    products are formed once per row, however many slots it has.

    Parameters
    ----------
    gram : ndarray of shape (n_slots, (d + 1) (d + 2) / 2)
    xty : ndarray of shape (n_slots, d + 1)
    slots : ndarray of shape (n, s), int
        Each row's slots, in ``[0, n_slots)`` once ``offsets`` are added.
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    offsets : ndarray of shape (s,), int, optional
        Added to column ``i`` of ``slots`` (see :func:`add_bucket_sums`).

    Examples
    --------
    >>> import numpy as np
    >>> gram, xty = np.zeros((2, 3)), np.zeros((2, 2))
    >>> add_affine_sums(gram, xty, np.array([[1]]), np.array([[2.0]]), np.array([3.0]))
    >>> gram.tolist(), xty.tolist()
    ([[0.0, 0.0, 0.0], [1.0, 2.0, 4.0]], [[0.0, 0.0], [3.0, 6.0]])
    """
    slots, offsets = _check_slots(slots, offsets, min(len(gram), len(xty)))
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    p = X.shape[1] + 1
    if gram.shape[1] != p * (p + 1) // 2 or xty.shape[1] != p:
        raise ValueError(f"`gram` and `xty` must have {p * (p + 1) // 2} and {p} columns.")
    if len(X) != len(slots) or y.shape != (len(slots),):
        raise ValueError(f"`X` and `y` must hold one row per row of `slots`, {len(slots)}.")
    rows, cols = np.triu_indices(p)
    _add_affine_sums(gram, xty, slots, offsets, X, y, rows, cols)


@numba.njit(cache=True, nogil=True)
def _add_affine_sums(gram, xty, slots, offsets, X, y, rows, cols):  # pragma: no cover
    n, s = slots.shape
    p = X.shape[1] + 1
    z = np.empty(p)
    zz = np.empty(len(rows))
    zy = np.empty(p)
    z[0] = 1.0
    for r in range(n):
        for q in range(1, p):
            z[q] = X[r, q - 1]
        for k in range(len(rows)):
            zz[k] = z[rows[k]] * z[cols[k]]
        for q in range(p):
            zy[q] = z[q] * y[r]
        for i in range(s):
            j = offsets[i] + slots[r, i]
            for k in range(len(rows)):
                gram[j, k] += zz[k]
            for q in range(p):
                xty[j, q] += zy[q]
