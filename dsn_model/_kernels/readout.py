"""The read-out of a Top-K layer in one pass per row (:func:`top_k_read_out`): each row's
features, its ``k`` largest and their weighted sum, with no unit written out.

Part of :mod:`dsn_model._kernels` (its docstring says how these loops are checked and run).
"""

from __future__ import annotations

import numba
import numpy as np

from .checks import _check_indices, _check_scores
from .topk import (
    _bracket_of_earlier_rows,
    _check_offset,
    _counting_pays,
    _exact_unsure,
    _remember,
    _select_row,
    _selection_buffers,
    _shifted_row,
    _smallest,
    _threshold,
    _zero_kth_unsure,
)

__all__ = ["slot_read_out", "sparse_rows_read_out", "top_k_read_out"]


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
    tolerance = np.zeros(n) if tolerance is None else np.ascontiguousarray(tolerance, float)
    if tolerance.shape != (n,):
        raise ValueError(f"`tolerance` must hold one value per row, {n}.")
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
    sample, history = work[5], work[7]
    row = np.empty(t)
    dense = np.zeros(t)
    index = np.empty((1, k), np.int64)
    values = np.empty((1, k))
    for r in range(n):
        lo, hi = _bracket_of_earlier_rows(history)
        c_lo, c_hi = _shifted_row(Z, r, offset, relu, row, lo, hi)
        if k == t:
            tau, exact = -np.inf, True
        elif _counting_pays(t, k):
            tau, exact = _threshold(row, k, sample, history, c_lo, c_hi)
            if not np.isnan(tau):
                _remember(history, tau, exact)
        else:
            tau, exact = np.nan, False
        if exact:  # exactly k features at or above tau: one masked pass
            out[r] = _dot_at_or_above(row, weights, tau)
            unsure[r] = _exact_unsure(row, tau, k, tolerance[r])
            continue
        none = np.int64(-1)  # typed, not a literal: one compiled _select_row for both
        unsure[r] = _select_row(row, k, tolerance[r], index, values, np.int64(0), work, none, none)
        if unsure[r] and relu and _smallest(values[0]) == 0.0:  # zeros tie exactly
            unsure[r] = _zero_kth_unsure(Z, r, offset, tolerance[r])
        out[r] = _sparse_row_dot(index, values, 0, weights, dense)


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
