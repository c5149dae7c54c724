"""Compiled loops (numba) for the hot paths numpy cannot vectorise well.

* :func:`top_k_rows` -- each row's ``k`` largest entries, ties to the lower
  index, from the few entries above a cheap lower bound; :func:`top_k_at` the
  same given each row's k-th largest value;
* :func:`count_at_or_above` -- entries of each row at or above its floor (the
  near-tie screen of the exact top-k);
* :func:`take_rows` -- ``M[r, index[r, j]]``, row by row (numpy's
  ``take_along_axis`` takes 2.4x as long for 16 of 256 columns a row);
* :func:`floyd_samples` -- distinct indices per 64-bit hash (the uniform-hash router),
  and :func:`hash_float_rows` the hash of a row (a SplitMix64 chain over its bits);
* :func:`sparse_gram_upper` -- the upper triangle of ``sum_r f_r f_r^T`` for
  rows with ``s`` active units, tiled so the accumulator stays in cache;
* :func:`hyperplane_bits` -- the hyperplane LSH bits ``<a, x> + b >= 0`` from a
  fast (float32 or BLAS) product, with the few projections inside its rounding
  band recomputed in a fixed order, so that a bit never depends on the batch;
  :func:`slab_floors` and :func:`cross_polytope_codes` the same for the Euclidean
  family's floors and the cross-polytope family's signed argmax;
* :func:`abs_max` -- ``max |x|`` and finiteness of an input in one pass;
* :func:`add_bucket_sums` and :func:`add_affine_sums` -- the LSH model's
  per-bucket sums (counts and targets; affine normal equations), one pass over
  the rows, the products of a row formed once whatever its number of buckets.

Each is a Python function that checks its indices (compiled code does not
check bounds) around an ``@numba.njit`` loop compiled on first use, cached on
disk, and run on one core.
"""

from __future__ import annotations

import sys
from typing import NamedTuple

import numba
import numpy as np

__all__ = [
    "GRAM_TILE",
    "HyperplaneScreen",
    "SlabScreen",
    "abs_max",
    "add_affine_sums",
    "add_bucket_sums",
    "count_at_or_above",
    "cross_polytope_codes",
    "floyd_samples",
    "hash_float_rows",
    "hyperplane_bits",
    "hyperplane_screen",
    "slab_floors",
    "slab_screen",
    "sparse_gram_upper",
    "take_rows",
    "top_k_at",
    "top_k_rows",
]

#: Largest range Floyd's sampling tracks with a bitmap (4 MiB of flags).
_BITMAP_ITEMS = 1 << 22

#: Side of the square tile of the Gram matrix one pass accumulates: 256 x 256 float64 is
#: 512 KiB, which stays in a core's L2 cache.
GRAM_TILE = 256


def _check_indices(index: np.ndarray, size: int, name: str) -> np.ndarray:
    """``index`` as C-contiguous int64, or a ``ValueError`` if an entry is outside ``[0, size)``
    (compiled code does not check bounds)."""
    index = np.ascontiguousarray(index, dtype=np.int64)
    if not _all_in_range(index.reshape(-1), size):
        raise ValueError(f"`{name}` must lie in [0, {size}).")
    return index


@numba.njit(cache=True, nogil=True)
def _all_in_range(index, size):  # pragma: no cover - compiled
    ok = True
    for i in range(len(index)):  # no early exit: the loop vectorises
        ok &= (index[i] >= 0) & (index[i] < size)
    return ok


#: Narrow slot dtypes the accumulating kernels read as they are (others become int64).
_SLOT_DTYPES = (np.uint8, np.uint16, np.uint32, np.int64)


def _check_slots(
    slots: np.ndarray, offsets: np.ndarray | None, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """``slots`` (C-contiguous, its own dtype if narrow) and ``offsets`` (int64), or a
    ``ValueError`` unless every ``offsets[i] + slots[r, i]`` lies in ``[0, size)``."""
    slots = np.asarray(slots)
    if slots.dtype not in _SLOT_DTYPES:
        slots = slots.astype(np.int64)
    slots = np.ascontiguousarray(slots)
    if slots.ndim != 2:
        raise ValueError(f"`slots` must be a matrix (n, s). Got shape {slots.shape}.")
    s = slots.shape[1]
    if offsets is None:
        offsets = np.zeros(s, dtype=np.int64)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    if offsets.shape != (s,):
        raise ValueError(f"`offsets` must hold one integer per column of `slots`: {s}.")
    if not _slots_in_range(slots, offsets, size):
        raise ValueError(f"`offsets` + `slots` must lie in [0, {size}).")
    return slots, offsets


@numba.njit(cache=True, nogil=True)
def _slots_in_range(slots, offsets, size):  # pragma: no cover - compiled
    n, s = slots.shape
    low = np.full(s, np.iinfo(np.int64).max)
    high = np.full(s, np.iinfo(np.int64).min)
    for r in range(n):  # column-wise extremes: the loop vectorises
        for i in range(s):
            low[i] = min(low[i], np.int64(slots[r, i]))
            high[i] = max(high[i], np.int64(slots[r, i]))
    ok = True
    for i in range(s):
        ok &= n == 0 or (offsets[i] + low[i] >= 0 and offsets[i] + high[i] < size)
    return ok


def _check_scores(scores: np.ndarray, k: int) -> np.ndarray:
    """``scores`` as a C-contiguous float64 matrix, or a ``ValueError`` naming ``k``."""
    scores = np.ascontiguousarray(scores, dtype=np.float64)
    if scores.ndim != 2 or not 1 <= k <= scores.shape[1]:
        raise ValueError(f"`k` must be in [1, t] for scores of shape (n, t). Got {k}.")
    return scores


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


def floyd_samples(h: np.ndarray, n_items: int, size: int) -> np.ndarray:
    """Robert Floyd's ``size`` distinct indices in ``[0, n_items)`` for each 64-bit hash.

    For ``j = n_items - size + c`` (``c = 0, 1, ...``), ``r`` is the SplitMix64 finaliser
    of ``h + (c + 1) * 0x9E3779B97F4A7C15`` modulo ``j + 1``; the row keeps ``r``
    unless it already holds it, else ``j``. A flag per item (cleared after each row) makes
    each membership test one look-up: ``O(size)`` per row (the definition, a test against
    every earlier pick, is ``O(size^2)``, which is what is done beyond ``2^22`` items).

    Examples
    --------
    >>> import numpy as np
    >>> floyd_samples(np.arange(2, dtype=np.uint64), 10, 4).shape
    (2, 4)
    """
    h = np.ascontiguousarray(h, dtype=np.uint64)
    if h.ndim != 1 or not 1 <= size <= n_items:
        raise ValueError("`h` must be a vector and `size` in [1, n_items].")
    out = np.empty((len(h), size), dtype=np.int64)
    if n_items <= _BITMAP_ITEMS:
        _floyd_samples(h, n_items, size, out)
    else:  # no bitmap of n_items bits: test against the row's earlier picks
        _floyd_samples_scan(h, n_items, size, out)
    return out


@numba.njit(cache=True, nogil=True)
def _mix64(z):  # pragma: no cover - compiled
    """The SplitMix64 finaliser (uint64 arithmetic wraps)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def hash_float_rows(bits: np.ndarray, seed_hash: np.uint64) -> np.ndarray:
    """``h <- mix64(h + 0x9E3779B97F4A7C15 + bits[r, j])`` over the columns of each row.

    ``bits`` is a float64 array viewed as ``uint64`` (rows x columns), ``seed_hash``
    the chain's start. One compiled pass: a Python loop over columns costs a
    numpy call per column (minutes for a million inputs).

    Examples
    --------
    >>> import numpy as np
    >>> hash_float_rows(np.zeros((2, 3), dtype=np.uint64), np.uint64(1)).shape
    (2,)
    """
    bits = np.ascontiguousarray(bits, dtype=np.uint64)
    if bits.ndim != 2:
        raise ValueError("`bits` must be a 2-D uint64 array.")
    out = np.empty(bits.shape[0], dtype=np.uint64)
    _hash_float_rows(bits, np.uint64(seed_hash), out)
    return out


@numba.njit(cache=True, nogil=True)
def _hash_float_rows(bits, start, out):  # pragma: no cover - compiled
    for r in range(bits.shape[0]):
        h = start
        for j in range(bits.shape[1]):
            h = _mix64(h + np.uint64(0x9E3779B97F4A7C15) + bits[r, j])
        out[r] = h


@numba.njit(cache=True, nogil=True, inline="always")
def _floyd_draw(h, n_items, size, c):  # pragma: no cover - compiled
    """Floyd's candidate for pick ``c`` of a row with hash ``h``, and its fallback ``j``."""
    j = n_items - size + c
    stream = _mix64(h + np.uint64(c + 1) * np.uint64(0x9E3779B97F4A7C15))
    return np.int64(stream % np.uint64(j + 1)), j


@numba.njit(cache=True, nogil=True)
def _floyd_samples(h, n_items, size, out):  # pragma: no cover - compiled
    taken = np.zeros(n_items, dtype=np.bool_)
    for r in range(len(h)):
        for c in range(size):
            pick, j = _floyd_draw(h[r], n_items, size, c)
            if taken[pick]:
                pick = j
            taken[pick] = True
            out[r, c] = pick
        for c in range(size):  # clear only what this row set
            taken[out[r, c]] = False


@numba.njit(cache=True, nogil=True)
def _floyd_samples_scan(h, n_items, size, out):  # pragma: no cover - compiled
    for r in range(len(h)):
        for c in range(size):
            pick, j = _floyd_draw(h[r], n_items, size, c)
            for e in range(c):
                if out[r, e] == pick:
                    pick = j
                    break
            out[r, c] = pick


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


class HyperplaneScreen(NamedTuple):
    """Hyperplanes ``<a_j, x> >= -b_j`` and the rounding band of their fast projections.

    Built once by :func:`hyperplane_screen`; :func:`hyperplane_bits` reads it.
    """

    directions: np.ndarray  # (c, d) float64
    offsets: np.ndarray  # (c,) float64
    threshold: np.ndarray  # (c,) -offsets in the projections' dtype
    slope: np.ndarray  # (c,) the band per unit of ||x||_inf
    intercept: np.ndarray  # (c,) the band at x = 0


def hyperplane_screen(directions: np.ndarray, offsets: np.ndarray, dtype) -> HyperplaneScreen:
    """The hyperplanes and the band in which a ``dtype`` projection cannot settle a bit.

    The band around ``-b_j`` is ``2 (d + 3) u ||a_j||_1 ||x||_inf + 4 u |b_j|`` (``u``
    the unit roundoff of ``dtype``): twice a bound on the rounding of a product of ``d``
    terms in any order, with ``a``, ``x`` and ``b`` converted to ``dtype``.
    """
    A = np.ascontiguousarray(directions, dtype=np.float64)
    b = np.ascontiguousarray(offsets, dtype=np.float64)
    dtype = np.dtype(dtype)
    if A.ndim != 2 or b.shape != (len(A),):
        raise ValueError("`directions` and `offsets` must have shapes (c, d) and (c,).")
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"`dtype` must be float32 or float64. Got {dtype}.")
    u = np.finfo(dtype).eps / 2
    slope = 2 * (A.shape[1] + 3) * u * np.abs(A).sum(axis=1)
    intercept = 4 * u * np.abs(b)
    return HyperplaneScreen(A, b, (-b).astype(dtype), slope.astype(dtype), intercept.astype(dtype))


def hyperplane_bits(
    projections: np.ndarray, X: np.ndarray, screen: HyperplaneScreen, *, packed: bool = False
) -> np.ndarray:
    """The bits ``[<a_j, x_r> >= -b_j]``, exactly as one fixed-order float64 sum decides them.

    ``projections`` is a fast estimate of ``<a_j, x_r>`` -- a float32 or BLAS product,
    whose rounding depends on the precision and can depend on the row's position in
    the batch. Its sign relative to ``-b_j`` is kept wherever it lies outside the
    rounding band of :func:`hyperplane_screen`; there the exact sign and the reference
    agree. The projections inside the band are recomputed as ``sum_k a_jk x_rk`` in
    float64, ``k = 0, 1, ...`` in turn (in float32 with 256 hyperplanes on
    ``[-1, 1]^8``, about two rows in a thousand have one). So the bits are the same in
    float32 and float64 and for a row alone or in any batch.

    Parameters
    ----------
    projections : ndarray of shape (n, c), the dtype of ``screen``
        The estimate of ``X @ directions.T``.
    X : ndarray of shape (n, d)
    screen : HyperplaneScreen
        From :func:`hyperplane_screen`.
    packed : bool, default=False
        Return each row's bits packed into bytes, bit ``j`` of a row as bit
        ``j % 8`` of its byte ``j // 8`` (``np.packbits(..., bitorder="little")``
        of the rows), in the same pass.

    Returns
    -------
    ndarray of shape (n, c), bool; or (n, ceil(c / 8)), uint8 if ``packed``

    Examples
    --------
    >>> import numpy as np
    >>> A, b = np.array([[1.0, 1.0]]), np.array([-1.0000000015])
    >>> X = np.array([[1.0, 1e-9]])  # <a, x> = 1.000000001 < 1.0000000015 = -b
    >>> P = (X @ A.T).astype(np.float32)  # 1.0, and -b rounds to 1.0 as well
    >>> screen = hyperplane_screen(A, b, np.float32)
    >>> bool(P[0, 0] >= screen.threshold[0]), bool(hyperplane_bits(P, X, screen)[0, 0])
    (True, False)
    """
    P = np.ascontiguousarray(projections)
    X = np.ascontiguousarray(X, dtype=np.float64)
    c, d = screen.directions.shape
    if P.ndim != 2 or P.shape[1] != c or P.dtype != screen.threshold.dtype:
        raise ValueError(
            f"`projections` must be a {screen.threshold.dtype} matrix with {c} columns."
        )
    if X.shape != (len(P), d):
        raise ValueError(f"`X` must have shape ({len(P)}, {d}).")
    if packed and sys.byteorder != "little":  # the kernel packs by little-endian words
        return np.packbits(hyperplane_bits(P, X, screen), axis=1, bitorder="little")
    out = np.empty((len(P), (c + 7) // 8 if packed else c), dtype=np.uint8)
    _hyperplane_bits(P, X, *screen, out, packed)
    return out if packed else out.view(np.bool_)


@numba.njit(cache=True, nogil=True, inline="always")
def _row_scale(X, r):  # pragma: no cover - compiled
    """``||X[r]||_inf``, the scale of a row's rounding band."""
    scale = 0.0
    for k in range(X.shape[1]):
        scale = max(scale, abs(X[r, k]))
    return scale


#: Gathers bit 0 of each byte of a little-endian word into the top byte:
#: ``(w * _GATHER_BITS) >> 56`` is the byte whose bit ``i`` is bit 0 of byte ``i`` of ``w``
#: (the products' exponents ``8 i + 7 k + 7`` are distinct, so nothing carries).
_GATHER_BITS = np.uint64(0x0102040810204080)


@numba.njit(cache=True, nogil=True)
def _hyperplane_bits(P, X, A, b, threshold, slope, intercept, out, packed):  # pragma: no cover
    n, c = P.shape
    d = X.shape[1]
    cast = np.empty(1, slope.dtype)  # the row's scale in the projections' precision
    widest = slope.max()
    highest = intercept.max()
    bits = np.zeros(8 * ((c + 7) // 8), np.uint8)  # a row's bits, zero-padded to whole words
    words = bits.view(np.uint64)
    for r in range(n):
        cast[0] = _row_scale(X, r)
        band = cast[0] * widest + highest  # a bound for every column: one vectorised pass
        unsure = False
        for j in range(c):
            diff = P[r, j] - threshold[j]  # its sign is exact: P >= threshold iff diff >= 0
            bits[j] = diff >= 0
            unsure |= abs(diff) <= band
        if unsure:
            for j in range(c):
                diff = P[r, j] - threshold[j]
                if abs(diff) <= cast[0] * slope[j] + intercept[j]:
                    v = 0.0
                    for k in range(d):
                        v += A[j, k] * X[r, k]
                    bits[j] = v >= -b[j]
        if packed:
            for g in range(out.shape[1]):
                out[r, g] = (words[g] * _GATHER_BITS) >> np.uint64(56)
        else:
            for j in range(c):
                out[r, j] = bits[j]


class SlabScreen(NamedTuple):
    """Affine maps ``u_j(x) = sum_k W_kj x_k + W_dj`` and the rounding band of their fast
    evaluation. Built once by :func:`slab_screen`; :func:`slab_floors` reads it."""

    weights: np.ndarray  # (d + 1, c) float64: the last row is the constant term
    slope: np.ndarray  # (c,) float64: the band per unit of ||x||_inf
    intercept: np.ndarray  # (c,) float64: the band at x = 0


def slab_screen(weights: np.ndarray, dtype) -> SlabScreen:
    """The maps ``[x, 1] @ weights`` and the band in which a ``dtype`` product cannot settle
    their floors.

    The band is ``2 (d + 4) u (||W_{:d, j}||_1 ||x||_inf + |W_dj|)`` (``u`` the unit
    roundoff of ``dtype``): twice a bound on the rounding of ``d + 1`` terms summed in any
    order after ``x`` and ``W`` are converted to ``dtype``, with one ``u`` to spare.
    """
    W = np.ascontiguousarray(weights, dtype=np.float64)
    dtype = np.dtype(dtype)
    if W.ndim != 2 or len(W) < 2:
        raise ValueError("`weights` must have shape (d + 1, c) with d >= 1.")
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"`dtype` must be float32 or float64. Got {dtype}.")
    factor = 2 * (len(W) + 3) * np.finfo(dtype).eps / 2
    return SlabScreen(W, factor * np.abs(W[:-1]).sum(axis=0), factor * np.abs(W[-1]))


def slab_floors(U: np.ndarray, X: np.ndarray, screen: SlabScreen) -> np.ndarray:
    """``floor(u_j(x_r))`` in place of ``U``, exactly as one fixed-order float64 sum decides it.

    ``U`` is a fast estimate of ``[X, 1] @ weights`` -- a float32 or BLAS product, whose
    rounding depends on the precision and can depend on the row's position in the batch.
    Its floor is kept wherever it lies farther than the band of :func:`slab_screen` from
    an integer; there it is the floor of ``sum_k W_kj x_rk + W_dj`` summed in float64,
    ``k = 0, 1, ...`` in turn, which replaces the estimate inside the band. So the floors
    are the same in float32 and float64 and for a row alone or in any batch.

    Parameters
    ----------
    U : ndarray of shape (n, c), float32 or float64, C-contiguous
        The estimate; overwritten by the floors (integral values of the same dtype).
    X : ndarray of shape (n, d)
    screen : SlabScreen
        From :func:`slab_screen`.

    Returns
    -------
    ndarray
        ``U``.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1.0], [-1e-9]])  # u(x) = x - 1e-9
    >>> X = np.array([[1.0]])
    >>> U = (np.hstack([X, [[1.0]]]) @ W).astype(np.float32)  # 1.0: the float32 floor is 1
    >>> slab_floors(U, X, slab_screen(W, np.float32)).tolist()
    [[0.0]]
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    d1, c = screen.weights.shape
    if (
        not isinstance(U, np.ndarray)
        or U.ndim != 2
        or U.shape[1] != c
        or U.dtype not in (np.float32, np.float64)
        or not U.flags.c_contiguous
        or not U.flags.writeable
    ):
        raise ValueError(f"`U` must be a writeable C-contiguous float matrix with {c} columns.")
    if X.shape != (len(U), d1 - 1):
        raise ValueError(f"`X` must have shape ({len(U)}, {d1 - 1}).")
    _slab_floors(U, X, *screen)
    return U


@numba.njit(cache=True, nogil=True)
def _slab_floors(U, X, W, slope, intercept):  # pragma: no cover - compiled
    n, c = U.shape
    d = X.shape[1]
    widest = slope.max()
    highest = intercept.max()
    for r in range(n):
        band = _row_scale(X, r) * widest + highest  # a bound for every column: one vectorised pass
        unsure = False
        for j in range(c):
            v = U[r, j]
            f = np.floor(v)
            unsure |= (v - f <= band) | (v - f >= 1.0 - band)  # v - f is exact
            U[r, j] = f
        if unsure:  # rare (1 row in 120 at 256 float32 maps of width 1 on [-1, 1]^8): redo it
            for j in range(c):
                e = 0.0
                for k in range(d):
                    e += W[k, j] * X[r, k]
                U[r, j] = np.floor(e + W[d, j])


def cross_polytope_codes(
    Y: np.ndarray, X: np.ndarray, rotations: np.ndarray, slope: float
) -> np.ndarray:
    """Cross-polytope codes ``i + d [y_i < 0]`` (``i`` the first index of the largest
    ``|y_i|``), exactly as ``y = R_h x`` summed in float64 in the order ``k = 0, 1, ...``
    decides them.

    ``Y`` is a fast (BLAS) estimate of every ``R_h x_r``. Its code stands wherever the two
    largest ``|y_i|``, and the largest and 0, are more than ``slope ||x_r||_inf`` apart
    (``slope`` bounds twice the rounding of both summation orders); the others (near-ties,
    or ``x`` near 0) are recomputed in the fixed order. One pass over ``Y``.

    Parameters
    ----------
    Y : ndarray of shape (n, H, d)
        The estimate of ``y`` for every row and rotation.
    X : ndarray of shape (n, d)
    rotations : ndarray of shape (H, d, d)
    slope : float
        The band per unit of ``||x||_inf``.

    Returns
    -------
    ndarray of shape (n, H), int64

    Examples
    --------
    >>> import numpy as np
    >>> R = np.array([[[0.0, 1.0], [1.0, 0.0]]])  # y = (x_1, x_0)
    >>> X = np.array([[-3.0, 2.0]])
    >>> cross_polytope_codes(X[:, None, ::-1], X, R, 1e-15).tolist()  # y_1 = -3 < 0
    [[3]]
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    rotations = np.ascontiguousarray(rotations, dtype=np.float64)
    n, d = X.shape
    if rotations.ndim != 3 or rotations.shape[1:] != (d, d):
        raise ValueError(f"`rotations` must have shape (H, {d}, {d}).")
    if Y.shape != (n, len(rotations), d):
        raise ValueError(f"`Y` must have shape ({n}, {len(rotations)}, {d}).")
    out = np.empty((n, len(rotations)), dtype=np.int64)
    _cross_polytope_codes(Y, X, rotations, float(slope), out)
    return out


@numba.njit(cache=True, nogil=True)
def _cross_polytope_codes(Y, X, rotations, slope, out):  # pragma: no cover - compiled
    n, H, d = Y.shape
    for r in range(n):
        band = slope * _row_scale(X, r)
        for h in range(H):
            first, second, value, top = -1.0, -1.0, 0.0, 0
            for i in range(d):
                a = abs(Y[r, h, i])
                if a > first:  # strictly: ties go to the lower index
                    first, second, value, top = a, first, Y[r, h, i], i
                elif a > second:
                    second = a
            if first - second <= band or first <= band:  # recompute in the fixed order
                first, value, top = -1.0, 0.0, 0
                for i in range(d):
                    v = 0.0
                    for k in range(d):
                        v += rotations[h, i, k] * X[r, k]
                    if abs(v) > first:
                        first, value, top = abs(v), v, i
            out[r, h] = top + d * (value < 0)


def abs_max(X: np.ndarray, *, by_row: bool = False):
    """``max |x|`` over a float64 array in one pass; ``inf`` if any entry is NaN or infinite.

    One pass settles both whether an input is finite and how far its hash
    projections reach (numpy needs ``isfinite``, ``max`` and ``min``: three).
    With ``by_row``, the same for each row of a matrix, as an array (numpy's
    ``np.abs(X).max(axis=1)`` is ten times slower on rows of a few entries).

    Examples
    --------
    >>> import numpy as np
    >>> abs_max(np.array([[0.5, -2.0], [1.0, 0.0]])), abs_max(np.array([1.0, np.nan]))
    (2.0, inf)
    >>> abs_max(np.array([[0.5, -2.0], [1.0, 0.0]]), by_row=True).tolist()
    [2.0, 1.0]
    """
    X = np.asarray(X, dtype=np.float64)
    if by_row:
        if X.ndim != 2:
            raise ValueError(f"`X` must be a matrix with by_row=True. Got shape {X.shape}.")
        X = np.ascontiguousarray(X)
        bits = X.view(np.uint64)  # the patterns of a C-contiguous matrix, empty or not
        out = np.empty(len(X))
        _abs_max_rows(bits, out)
        return out
    flat = np.ascontiguousarray(X.ravel(order="K"))  # a view of any contiguous array
    return float(_abs_max(flat.view(np.uint64))) if flat.size else 0.0


#: Bit pattern of +inf: an IEEE double with its sign cleared is finite iff below it, and
#: such patterns order as the magnitudes they encode.
_INF_BITS = np.uint64(0x7FF0000000000000)
_MAGNITUDE = np.uint64(0x7FFFFFFFFFFFFFFF)


@numba.njit(cache=True, nogil=True, inline="always")
def _largest_magnitude(bits):  # pragma: no cover - compiled
    """The bit pattern of the largest ``|x|`` of the doubles whose patterns are ``bits``."""
    top = np.uint64(0)
    for i in range(len(bits)):  # an unsigned integer maximum: the loop vectorises
        top = max(top, bits[i] & _MAGNITUDE)
    return top


@numba.njit(cache=True, nogil=True)
def _abs_max(bits):  # pragma: no cover - compiled
    top = np.array([_largest_magnitude(bits)])
    return np.inf if top[0] >= _INF_BITS else top.view(np.float64)[0]


@numba.njit(cache=True, nogil=True)
def _abs_max_rows(bits, out):  # pragma: no cover - compiled
    patterns = out.view(np.uint64)  # written as patterns, read as doubles
    for r in range(bits.shape[0]):
        top = _largest_magnitude(bits[r])
        patterns[r] = _INF_BITS if top >= _INF_BITS else top


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
