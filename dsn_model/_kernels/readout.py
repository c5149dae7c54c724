"""The read-out of a Top-K layer in one pass per row (:func:`top_k_read_out`): each row's
features, its ``k`` largest and their weighted sum, with no unit written out; and the
same selection left in place as masked rows (:func:`top_k_masked_rows`).

Part of :mod:`dsn_model._kernels` (its docstring says how these loops are checked and run).
"""

from __future__ import annotations

import numba
import numpy as np

from .checks import _check_indices, _check_scores
from .topk import (
    _check_offset,
    _check_tolerance,
    _exact_unsure,
    _features_and_threshold,
    _select_in_full,
    _selection_buffers,
    _tie_unsure,
)

__all__ = ["slot_read_out", "sparse_rows_read_out", "top_k_masked_rows", "top_k_read_out"]


def top_k_read_out(
    Z: np.ndarray,
    k: int,
    weights: np.ndarray,
    *,
    offset: np.ndarray | None = None,
    relu: bool = False,
    tolerance: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``sum_j weights[j] f_rj`` over the ``k`` largest features ``f_r = relu(Z_r + offset)``
    of each row (ties to the lower index), and the near-tie screen of :func:`top_k_rows`.

    The threshold with exactly ``k`` features at or above it is found by counting (as in
    :func:`top_k_rows`), and the weighted sum of the features at or above it is one masked,
    vectorised pass over the row (its summation order is the compiler's, one order for
    every row of ``t`` features). Rows whose k-th feature ties, rows the count does not
    settle and rows with ``k <= t / 16`` are selected as :func:`top_k_rows` selects them and
    summed in that same order (:func:`sparse_rows_read_out`): a row's value is the same
    whichever way its selection was found, and in any batch.

    Parameters
    ----------
    Z : ndarray of shape (n, t)
        Pre-activations without ``offset`` (``X @ B.T``).
    k : int
        ``1 <= k <= t``.
    weights : ndarray of shape (t,)
    offset : ndarray of shape (t,), optional
        Added to each row before ``relu`` (a layer's biases).
    relu : bool, default=False
        Features ``max(Z + offset, 0)``; else ``Z + offset``.
    tolerance : ndarray of shape (n,), optional
        Per row, the near-tie screen's tolerance (0 if absent).

    Returns
    -------
    out : ndarray of shape (n,)
    unsure : ndarray of shape (n,), bool
        Whether more than ``k`` features reach the k-th largest minus ``tolerance``
        (with ``relu`` and a k-th feature of 0: whether a pre-activation lies within
        ``tolerance`` of 0, as in :func:`top_k_rows`).

    Examples
    --------
    >>> import numpy as np
    >>> out, unsure = top_k_read_out(np.array([[3.0, -1.0, 2.0, 0.5]]), 2, np.ones(4), relu=True)
    >>> out.tolist(), unsure.tolist()
    ([5.0], [False])
    """
    Z = _check_scores(Z, k)
    n, t = Z.shape
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if weights.shape != (t,):
        raise ValueError(f"`weights` must hold one value per column, {t}. Got {weights.shape}.")
    tolerance = _check_tolerance(tolerance, n)
    out = np.empty(n)
    unsure = np.zeros(n, dtype=np.bool_)
    _top_k_read_out(Z, k, weights, _check_offset(offset, t), relu, tolerance, out, unsure)
    return out, unsure


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "nsz"})
def _dot_at_or_above(row, weights, tau):  # pragma: no cover - compiled
    """``sum_j weights[j] row[j]`` over the entries at or above ``tau`` (the others add 0),
    summed in the vector order the compiler picks for ``len(row)`` terms: one order for
    every row, batch and caller, so a row whose unselected entries are zeros and ``tau =
    -inf`` gives the same sum bit for bit (up to the sign of a zero)."""
    total = 0.0
    for j in range(len(row)):
        x = row[j]
        total += weights[j] * x if x >= tau else 0.0
    return total


@numba.njit(cache=True, nogil=True)
def _sparse_row_dot(units, values, r, weights, dense):  # pragma: no cover - compiled
    """:func:`_dot_at_or_above` of row ``r``'s values scattered into ``dense`` (all zeros,
    left so); slots with unit ``-1`` are empty."""
    for i in range(units.shape[1]):
        if units[r, i] >= 0:
            dense[units[r, i]] = values[r, i]
    total = _dot_at_or_above(dense, weights, -np.inf)
    for i in range(units.shape[1]):
        if units[r, i] >= 0:
            dense[units[r, i]] = 0.0
    return total


def _rows_to_read(units, values, weights):
    """``units`` (int64, each in ``[-1, len(weights))``), ``values`` and ``weights`` as the
    read-out kernels take them, or a ``ValueError`` naming what is wrong."""
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    values = np.ascontiguousarray(values, dtype=np.float64)
    if weights.ndim != 1 or values.ndim != 2 or np.shape(units) != values.shape:
        raise ValueError("`units` and `values` must be (n, s) matrices and `weights` a vector.")
    units = _check_indices(np.asarray(units) + 1, len(weights) + 1, "units") - 1
    return units, values, weights


def sparse_rows_read_out(units: np.ndarray, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``sum_i weights[units[r, i]] values[r, i]`` for each row, summed as
    :func:`top_k_read_out` sums a row (the row written out over ``len(weights)`` columns):
    the read-out of active features kept or routed elsewhere, bit for bit the fused one.

    Examples
    --------
    >>> import numpy as np
    >>> sparse_rows_read_out(np.array([[2, 0], [1, -1]]), np.array([[1.0, 2.0], [3.0, 9.0]]),
    ...                      np.array([1.0, 10.0, 100.0])).tolist()
    [102.0, 30.0]
    """
    units, values, weights = _rows_to_read(units, values, weights)
    out = np.empty(len(values))
    _sparse_rows_read_out(units, values, weights, out)
    return out


@numba.njit(cache=True, nogil=True)
def _sparse_rows_read_out(units, values, weights, out):  # pragma: no cover - compiled
    dense = np.zeros(len(weights))
    for r in range(len(out)):
        out[r] = _sparse_row_dot(units, values, r, weights, dense)


@numba.njit(cache=True, nogil=True)
def _top_k_read_out(Z, k, weights, offset, relu, tolerance, out, unsure):  # pragma: no cover
    n, t = Z.shape
    work = _selection_buffers(t, k)
    row = np.empty(t)
    dense = np.zeros(t)
    index = np.empty((1, k), np.int64)
    values = np.empty((1, k))
    for r in range(n):
        tau, exact = _features_and_threshold(Z, r, k, offset, relu, row, work)
        if exact:  # exactly k features at or above tau: one masked pass
            out[r] = _dot_at_or_above(row, weights, tau)
            unsure[r] = _exact_unsure(row, tau, k, tolerance[r])
            continue
        unsure[r] = _select_in_full(
            Z, r, k, offset, relu, row, tolerance[r], index, values, work, tau
        )
        out[r] = _sparse_row_dot(index, values, 0, weights, dense)


def top_k_masked_rows(
    Z: np.ndarray,
    k: int,
    *,
    offset: np.ndarray | None = None,
    relu: bool = False,
    tolerance: np.ndarray | None = None,
    out: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``k`` largest features ``f_r = relu(Z_r + offset)`` (ties to the lower
    index) in place, zeros elsewhere, and the near-tie screen of :func:`top_k_rows`.

    What :func:`~dsn_model._kernels.dense_rows` makes of :func:`top_k_rows`' indices and
    values, bit for bit, without writing them out: the row is written once, its threshold
    counted (as :func:`top_k_read_out` finds it), and the entries below it cleared. The
    rows of a Top-K model's normal equations where they are summed densely.

    Parameters
    ----------
    Z : ndarray of shape (n, t)
        Pre-activations without ``offset`` (``X @ B.T``).
    k : int
        ``1 <= k <= t``.
    offset : ndarray of shape (t,), optional
        Added to each row before ``relu`` (a layer's biases).
    relu : bool, default=False
        Features ``max(Z + offset, 0)``; else ``Z + offset``.
    tolerance : ndarray of shape (n,), optional
        Per row, the near-tie screen's tolerance (0 if absent).
    out : ndarray of shape (n, t), optional
        A C-contiguous float64 array to write the rows into (a block of a larger one).

    Returns
    -------
    rows : ndarray of shape (n, t)
        ``out`` if given.
    unsure : ndarray of shape (n,), bool
        As :func:`top_k_rows` screens (the caller selects these rows again).

    Examples
    --------
    >>> import numpy as np
    >>> rows, unsure = top_k_masked_rows(np.array([[3.0, -1.0, 2.0, 0.5]]), 2, relu=True)
    >>> rows.tolist(), unsure.tolist()
    ([[3.0, 0.0, 2.0, 0.0]], [False])
    """
    Z = _check_scores(Z, k)
    n, t = Z.shape
    tolerance = _check_tolerance(tolerance, n)
    rows = np.empty((n, t)) if out is None else out
    if not (
        isinstance(rows, np.ndarray)
        and rows.shape == (n, t)
        and rows.dtype == np.float64
        and rows.flags.c_contiguous
        and rows.flags.writeable
    ):
        raise ValueError(f"`out` must be a writeable C-contiguous float64 array ({n}, {t}).")
    unsure = np.zeros(n, dtype=np.bool_)
    _top_k_masked_rows(Z, k, _check_offset(offset, t), relu, tolerance, rows, unsure)
    return rows, unsure


@numba.njit(cache=True, nogil=True)
def _top_k_masked_rows(Z, k, offset, relu, tolerance, rows, unsure):  # pragma: no cover
    n, t = Z.shape
    work = _selection_buffers(t, k)
    index = np.empty((1, k), np.int64)
    values = np.empty((1, k))
    for r in range(n):
        row = rows[r]
        tau, exact = _features_and_threshold(Z, r, k, offset, relu, row, work)
        if exact:
            unsure[r] = _exact_unsure(row, tau, k, tolerance[r])
            for j in range(t):  # 0.0 + x: the sum dense_rows forms (-0.0 becomes 0.0)
                x = row[j]
                row[j] = 0.0 + x if (x >= tau) | (k == t) else 0.0  # k = t keeps a NaN
            continue
        if not np.isnan(tau):  # a tie at the k-th value: the first of the tied entries
            unsure[r] = _tie_unsure(Z, r, offset, relu, row, tau, k, tolerance[r])
            ties = k
            for j in range(t):
                ties -= row[j] > tau
            for j in range(t):  # in column order, as top_k_rows keeps them
                x = row[j]
                tie = (x == tau) & (ties > 0)
                row[j] = 0.0 + x if (x > tau) | tie else 0.0
                ties -= tie
            continue
        unsure[r] = _select_in_full(
            Z, r, k, offset, relu, row, tolerance[r], index, values, work, tau
        )
        for j in range(t):
            row[j] = 0.0
        for i in range(k):
            row[index[0, i]] = 0.0 + values[0, i]


def slot_read_out(units: np.ndarray, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``sum_i weights[units[r, i]] values[r, i]`` for each row, summed slot by slot in
    order (``i = 0, 1, ...``; unit ``-1`` is an empty slot): the read-out of a layer whose
    units come in a fixed order, as :func:`~dsn_model._kernels.hash_read_out` sums them.

    Examples
    --------
    >>> import numpy as np
    >>> slot_read_out(np.array([[2, 0], [1, -1]]), np.array([[1.0, 2.0], [3.0, 9.0]]),
    ...               np.array([1.0, 10.0, 100.0])).tolist()
    [102.0, 30.0]
    """
    units, values, weights = _rows_to_read(units, values, weights)
    out = np.empty(len(values))
    _slot_read_out(units, values, weights, out)
    return out


@numba.njit(cache=True, nogil=True)
def _slot_read_out(units, values, weights, out):  # pragma: no cover - compiled
    for r in range(len(out)):
        total = 0.0
        for i in range(units.shape[1]):
            if units[r, i] >= 0:
                total += weights[units[r, i]] * values[r, i]
        out[r] = total
