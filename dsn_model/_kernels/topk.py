"""Top-k selection (each row's ``k`` largest entries, ties to the lower index) and the
row-wise gather :func:`take_rows` that reads the selected entries.

Part of :mod:`dsn_model._kernels` (its docstring says how these loops are checked and run).
"""

from __future__ import annotations

import numba
import numpy as np

from .checks import _check_indices, _check_scores

__all__ = ["count_at_or_above", "take_rows", "top_k_at", "top_k_rows"]


def top_k_rows(
    scores: np.ndarray,
    k: int,
    *,
    return_values: bool = False,
    tolerance: np.ndarray | None = None,
):
    """Column indices of each row's ``k`` largest entries, ties to the lower index, ascending.

    The maxima of ``k`` stripes of columns (columns equal modulo ``k``) are ``k`` distinct
    entries, so the smallest of them is at most the row's k-th largest value; a larger one,
    the ``k / 4``-th smallest (at most the 8th), has ``k`` entries at or above it in most
    rows and is tried first (checked by counting). The stripe maxima come from halving the
    row by elementwise maxima, which vectorises. The entries at or above the floor, about
    ``1.5 k`` for scores in random order, are collected in one branch-free pass, and the
    k-th value is found among those alone. ``O(t)`` per row, with no ``n x t`` temporary.

    Parameters
    ----------
    scores : ndarray of shape (n, t)
        Scores (``-inf`` is allowed; a NaN that hides a row's top ``k`` is a
        ``ValueError``).
    k : int
        ``1 <= k <= t``.
    return_values : bool, default=False
        Also return ``scores`` at the indices (without a second pass over the rows).
    tolerance : ndarray of shape (n,), optional
        Also return, per row, whether more than ``k`` entries are at least the k-th
        largest minus ``tolerance`` (and ``tolerance > 0``): the near-tie screen of
        :mod:`~dsn_model.model.exact_top_k`, read from the candidates above the floor
        when it lies below ``kth - tolerance`` (almost always), else from the row.

    Returns
    -------
    index : ndarray of shape (n, k), int64
    values : ndarray of shape (n, k), float64
        Only if ``return_values`` or ``tolerance`` is given.
    unsure : ndarray of shape (n,), bool
        Only if ``tolerance`` is given.

    Examples
    --------
    >>> import numpy as np
    >>> top_k_rows(np.array([[0.1, 0.9, 0.5, 0.9], [3.0, 3.0, 3.0, 1.0]]), 2).tolist()
    [[1, 3], [0, 1]]
    >>> index, values = top_k_rows(np.array([[0.1, 0.9, 0.5]]), 2, return_values=True)
    >>> values.tolist()
    [[0.9, 0.5]]
    """
    scores = _check_scores(scores, k)
    n = scores.shape[0]
    out = np.empty((n, k), dtype=np.int64)
    out_values = np.empty((n, k))
    screen = tolerance is not None
    tolerance = np.zeros(n) if not screen else np.ascontiguousarray(tolerance, dtype=np.float64)
    if tolerance.shape != (n,):
        raise ValueError(f"`tolerance` must hold one value per row, {n}.")
    unsure = np.zeros(n, dtype=np.bool_)
    _top_k_rows(scores, k, out, out_values, tolerance, unsure)
    if screen:
        return out, out_values, unsure
    return (out, out_values) if return_values else out


@numba.njit(cache=True, nogil=True)
def _kth_smallest(a, lo, hi, kth):  # pragma: no cover - compiled
    """Quickselect in place: ``a[kth]`` as if ``a[lo:hi]`` were sorted (``lo <= kth < hi``).

    Branch-free Lomuto partitions (every step swaps; only the boundary moves
    conditionally) around a median of three; a pass that finds nothing below
    its pivot sets every entry equal to the pivot aside at once, so ties cost
    one pass, not one per tied entry.
    """
    while hi - lo > 1:
        mid, last = (lo + hi) // 2, hi - 1
        if a[mid] < a[lo]:
            a[mid], a[lo] = a[lo], a[mid]
        if a[last] < a[lo]:
            a[last], a[lo] = a[lo], a[last]
        if a[mid] < a[last]:
            a[mid], a[last] = a[last], a[mid]
        pivot = a[last]
        i = lo
        for j in range(lo, last):  # a[lo:i] < pivot <= a[i:j]
            v = a[j]
            a[j] = a[i]
            a[i] = v
            i += v < pivot
        a[last] = a[i]
        a[i] = pivot
        if kth < i:
            hi = i
        elif i == lo:  # the pivot is the smallest: a[lo:e] == pivot < a[e:hi]
            e = lo
            for j in range(lo, hi):
                v = a[j]
                a[j] = a[e]
                a[e] = v
                e += v == pivot
            if kth < e:
                return pivot
            lo = e
        elif kth > i:
            lo = i + 1
        else:
            return pivot
    return a[lo]


@numba.njit(cache=True, nogil=True, inline="always")
def _sorted_pair(a, b):  # pragma: no cover - compiled
    """``(min, max)`` of ``a`` and ``b`` without a branch (a NaN ``b`` leaves ``a`` the min)."""
    return (b if b < a else a), (a if b < a else b)


@numba.njit(cache=True, nogil=True)
def _smallest_two(values, count, q):  # pragma: no cover - compiled
    """The smallest and the ``q``-th smallest (``1 <= q <= 8``) of ``values[:count]``, by a
    branch-free insertion into eight registers (each value passes through all eight)."""
    l0 = l1 = l2 = l3 = l4 = l5 = l6 = l7 = np.inf
    for g in range(count):
        l0, m = _sorted_pair(l0, values[g])
        l1, m = _sorted_pair(l1, m)
        l2, m = _sorted_pair(l2, m)
        l3, m = _sorted_pair(l3, m)
        l4, m = _sorted_pair(l4, m)
        l5, m = _sorted_pair(l5, m)
        l6, m = _sorted_pair(l6, m)
        l7 = _sorted_pair(l7, m)[0]
    return l0, (l0, l1, l2, l3, l4, l5, l6, l7)[q - 1]


@numba.njit(cache=True, nogil=True)
def _stripe_floors(scores, r, k, maxima, q):  # pragma: no cover - compiled
    """The smallest and the ``q``-th smallest of the maxima of row ``r``'s ``k`` stripes.

    ``maxima`` has length ``w = k 2^L <= t < 2 w``. Columns ``w .. t-1`` are folded onto
    ``0 .. t-w-1`` (same stripe: ``w`` is a multiple of ``k``), then the row is halved by
    elementwise maxima down to width ``k``: column ``j`` ends in stripe ``j mod k``. The
    first value is at most the row's k-th largest (the maxima are ``k`` distinct entries);
    so is the second in most rows. Elementwise maxima vectorise; a running maximum does not.
    """
    t, w = scores.shape[1], len(maxima)
    rest = t - w
    if rest == 0 and w >= 2 * k:  # fold straight from the row
        h = w // 2
        for i in range(h):
            a, b = scores[r, i], scores[r, i + h]
            maxima[i] = a if a > b else b
    else:
        for i in range(rest):
            a, b = scores[r, i], scores[r, w + i]
            maxima[i] = a if a > b else b
        for i in range(rest, w):
            maxima[i] = scores[r, i]
        h = w
    h //= 2
    while h >= k:
        for i in range(h):
            a, b = maxima[i], maxima[i + h]
            maxima[i] = a if a > b else b
        h //= 2
    return _smallest_two(maxima, k, q)


@numba.njit(cache=True, nogil=True)
def _columns_at_or_above(scores, r, floor, index):  # pragma: no cover - compiled
    """Write the columns of row ``r`` at or above ``floor`` to ``index``; return how many.
    Branch-free: every column is written and kept by advancing past it."""
    c = 0
    for j in range(scores.shape[1]):
        index[c] = j
        c += scores[r, j] >= floor
    return c


@numba.njit(cache=True, nogil=True)
def _top_k_rows(scores, k, out, out_values, tolerance, unsure):  # pragma: no cover - compiled
    n, t = scores.shape
    w = k
    while 2 * w <= t:
        w *= 2
    maxima = np.empty(w)
    index = np.empty(t, np.int64)
    value = np.empty(t)
    work = np.empty(t)
    scratch = np.empty(t + 1, np.int64)
    # The q-th smallest stripe maximum, q = k / 4 (at most 8), has k entries at or above it
    # in about 98% of rows of random scores and leaves about half as many candidates as the
    # smallest one; when it has fewer, the smallest one is the floor.
    q = max(1, min(8, k // 4))
    for r in range(n):
        # Every entry of the top k is at or above a floor whenever k entries are (only a
        # NaN, which fails every comparison, can leave fewer under the smallest maximum).
        lowest, floor = _stripe_floors(scores, r, k, maxima, q)
        c_floor = floor
        c = _columns_at_or_above(scores, r, floor, index)
        if c < k:
            c_floor = lowest
            c = _columns_at_or_above(scores, r, lowest, index)
        if c < k:
            raise ValueError("`scores` must not contain NaN.")
        for i in range(c):
            value[i] = scores[r, index[i]]
        if c - k < 8:  # the k-th largest is the (c - k + 1)-th smallest
            kth = _smallest_two(value, c, c - k + 1)[1]
        else:
            work[:c] = value[:c]
            kth = _kth_smallest(work, 0, c, c - k)
        _emit_top(value, index, c, kth, k, out, r, scratch)
        for i in range(k):
            out_values[r, i] = scores[r, out[r, i]]
        if tolerance[r] > 0:  # the near-tie screen: entries at or above kth - tolerance
            near = kth - tolerance[r]
            count = 0
            if c_floor <= near:  # the candidates hold every such entry
                for i in range(c):
                    count += value[i] >= near
            else:
                for j in range(t):
                    count += scores[r, j] >= near
            unsure[r] = count > k


@numba.njit(cache=True, nogil=True)
def _emit_top(value, index, c, kth, k, out, r, scratch):  # pragma: no cover - compiled
    """Write to ``out[r]`` the ``index`` of the entries above ``kth``, then of the first ones
    equal to it, at most ``k`` in all, in their order (column order: ties go to the lower
    index); return how many were written (fewer than ``k`` only if a NaN hid some).
    Branch-free: every entry is written to ``scratch`` (length > ``c``) and kept by
    advancing past it."""
    ties = k
    for i in range(c):
        ties -= value[i] > kth
    o = 0
    for i in range(c):
        v = value[i]
        tie = (v == kth) & (ties > 0)
        scratch[o] = index[i]
        o += (v > kth) | tie
        ties -= tie
    o = min(o, k)
    for i in range(o):
        out[r, i] = scratch[i]
    return o


def top_k_at(scores: np.ndarray, kth: np.ndarray, k: int) -> np.ndarray:
    """Column indices of each row's ``k`` largest entries, given each row's k-th largest value.

    The entries above ``kth[r]`` and then the lowest-index entries equal to it, in one pass
    per row: no second selection, however many entries tie with the k-th value. A NaN in
    ``scores`` or ``kth`` that leaves fewer than ``k`` entries is a ``ValueError``.

    Examples
    --------
    >>> import numpy as np
    >>> top_k_at(np.array([[0.0, 2.0, 0.0, 0.0]]), np.array([0.0]), 2).tolist()
    [[0, 1]]
    """
    scores = _check_scores(scores, k)
    kth = np.ascontiguousarray(kth, dtype=np.float64)
    if kth.shape != (len(scores),):
        raise ValueError(f"`kth` must hold one value per row: shape ({len(scores)},).")
    out = np.empty((len(scores), k), dtype=np.int64)
    _top_k_at(scores, kth, k, out)
    return out


@numba.njit(cache=True, nogil=True)
def _top_k_at(scores, kth, k, out):  # pragma: no cover - compiled
    n, t = scores.shape
    index = np.arange(t)
    scratch = np.empty(t + 1, np.int64)
    for r in range(n):
        if _emit_top(scores[r], index, t, kth[r], k, out, r, scratch) < k:
            raise ValueError("`scores` must not contain NaN.")


def count_at_or_above(scores: np.ndarray, floors: np.ndarray) -> np.ndarray:
    """How many entries of each row of ``scores`` are at least that row's ``floors``.

    One vectorised pass, no ``n x t`` boolean temporary (numpy's ``(scores >=
    floors[:, None]).sum(axis=1)`` writes one).

    Examples
    --------
    >>> import numpy as np
    >>> count_at_or_above(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 5.0]]), np.array([2.0, 0.0]))
    array([2, 3])
    """
    scores = np.ascontiguousarray(scores, dtype=np.float64)
    floors = np.ascontiguousarray(floors, dtype=np.float64)
    if scores.ndim != 2 or floors.shape != (len(scores),):
        raise ValueError("`scores` must be a matrix (n, t) and `floors` hold n values.")
    out = np.empty(len(scores), dtype=np.int64)
    _count_at_or_above(scores, floors, out)
    return out


@numba.njit(cache=True, nogil=True)
def _count_at_or_above(scores, floors, out):  # pragma: no cover - compiled
    n, t = scores.shape
    for r in range(n):
        floor = floors[r]
        c = 0
        for j in range(t):
            c += scores[r, j] >= floor
        out[r] = c


def take_rows(M: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``M[r, index[r, j]]`` for every ``r, j``: ``numpy.take_along_axis(M, index, axis=1)``.

    Examples
    --------
    >>> import numpy as np
    >>> take_rows(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), np.array([[2, 0], [1, 1]]))
    array([[3., 1.],
           [5., 5.]])
    """
    M = np.ascontiguousarray(M, dtype=np.float64)
    if M.ndim != 2 or np.ndim(index) != 2 or len(index) != len(M):
        raise ValueError("`M` and `index` must be matrices with the same number of rows.")
    index = _check_indices(index, M.shape[1], "index")
    out = np.empty(index.shape)
    _take_rows(M, index, out)
    return out


@numba.njit(cache=True, nogil=True)
def _take_rows(M, index, out):  # pragma: no cover - compiled
    n, s = index.shape
    for r in range(n):
        for j in range(s):
            out[r, j] = M[r, index[r, j]]
