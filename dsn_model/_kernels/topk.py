"""Top-k selection (each row's ``k`` largest entries, ties to the lower index) and the
row-wise gather :func:`take_rows` that reads the selected entries.

Part of :mod:`dsn_model._kernels` (its docstring says how these loops are checked and run).
"""

from __future__ import annotations

import numba
import numpy as np

from .checks import _check_indices, _check_scores

__all__ = ["count_at_or_above", "take_rows", "top_k_at", "top_k_rows"]


def _check_offset(offset: np.ndarray | None, t: int) -> np.ndarray:
    """``offset`` as a float64 vector of the row's length (zeros if absent)."""
    if offset is None:
        return np.zeros(t)
    offset = np.ascontiguousarray(offset, dtype=np.float64)
    if offset.shape != (t,):
        raise ValueError(f"`offset` must hold one value per column, {t}. Got {offset.shape}.")
    return offset


def _check_tolerance(tolerance: np.ndarray | None, n: int) -> np.ndarray:
    """``tolerance`` as a float64 vector of one value per row (zeros if absent)."""
    tolerance = np.zeros(n) if tolerance is None else np.ascontiguousarray(tolerance, float)
    if tolerance.shape != (n,):
        raise ValueError(f"`tolerance` must hold one value per row, {n}.")
    return tolerance


def top_k_rows(
    scores: np.ndarray,
    k: int,
    *,
    return_values: bool = False,
    tolerance: np.ndarray | None = None,
    offset: np.ndarray | None = None,
    relu: bool = False,
):
    """Column indices of each row's ``k`` largest entries, ties to the lower index, ascending.

    A threshold with exactly ``k`` entries at or above it is found by counting, which
    vectorises (about 0.1 ns an entry): the thresholds of the rows before it (or, for the
    first rows and while ties are common, two quantiles of a strided sample of the row)
    bracket the k-th largest value, and interpolation on the counts (the Illinois rule)
    narrows the bracket. The bracket changes the speed only, never the selection. One
    branch-free pass then writes the entries at or above it. Where entries tie at the k-th
    value, or the row holds a NaN or an infinity, or the counts do not settle, or ``k <=
    t / 16``, the k-th value is found from the entries above a floor (the smallest maximum
    of ``k`` stripes of columns, which ``k`` distinct entries reach) by a quickselect.
    ``O(t)`` per row, with no ``n x t`` temporary.

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
        when it lies below ``kth - tolerance`` (almost always), else from the row. With
        ``relu`` and a k-th largest feature of 0, the zeros tie exactly: the row is unsure
        only if a pre-activation lies within ``tolerance`` of 0 (the fast and the reference
        features then have the same positive entries, all selected, and the same zeros).

    offset : ndarray of shape (t,), optional
        Select from ``scores + offset`` (and ``relu`` of it) computed row by row inside
        the loop, bit for bit as numpy computes them: the features ``relu(X B^T + c)``
        of a Top-K layer from the product ``X B^T`` alone, without a second ``n x t``
        pass. ``values`` are the features.
    relu : bool, default=False
        Select from ``max(scores + offset, 0)`` (``offset`` 0 if not given).

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
    tolerance = _check_tolerance(tolerance, n)
    unsure = np.zeros(n, dtype=np.bool_)
    shifted = offset is not None or relu
    offset = _check_offset(offset, scores.shape[1])
    _top_k_rows(scores, k, out, out_values, tolerance, unsure, offset, shifted, relu)
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


@numba.njit(cache=True, nogil=True)
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
def _stripe_floors(v, k, maxima, q):  # pragma: no cover - compiled
    """The smallest and the ``q``-th smallest of the maxima of the row ``v``'s ``k`` stripes.

    ``maxima`` has length ``w = k 2^L <= t < 2 w``. Columns ``w .. t-1`` are folded onto
    ``0 .. t-w-1`` (same stripe: ``w`` is a multiple of ``k``), then the row is halved by
    elementwise maxima down to width ``k``: column ``j`` ends in stripe ``j mod k``. The
    first value is at most the row's k-th largest (the maxima are ``k`` distinct entries);
    so is the second in most rows. Elementwise maxima vectorise; a running maximum does not.
    """
    t, w = len(v), len(maxima)
    rest = t - w
    if rest == 0 and w >= 2 * k:  # fold straight from the row
        h = w // 2
        for i in range(h):
            a, b = v[i], v[i + h]
            maxima[i] = a if a > b else b
    else:
        for i in range(rest):
            a, b = v[i], v[w + i]
            maxima[i] = a if a > b else b
        for i in range(rest, w):
            maxima[i] = v[i]
        h = w
    h //= 2
    while h >= k:
        for i in range(h):
            a, b = maxima[i], maxima[i + h]
            maxima[i] = a if a > b else b
        h //= 2
    return _smallest_two(maxima, k, q)


@numba.njit(cache=True, nogil=True)
def _columns_at_or_above(v, floor, index):  # pragma: no cover - compiled
    """Write the columns of the row ``v`` at or above ``floor`` to ``index``; return how many.
    Branch-free: every column is written and kept by advancing past it."""
    c = 0
    for j in range(len(v)):
        index[c] = j
        c += v[j] >= floor
    return c


@numba.njit(cache=True, nogil=True)
def _count_at_or_above_row(v, tau):  # pragma: no cover - compiled
    c = 0
    for j in range(len(v)):  # an integer sum: the loop vectorises
        c += v[j] >= tau
    return c


@numba.njit(cache=True, nogil=True)
def _sample_quantiles(sample, low_rank, high_rank):  # pragma: no cover - compiled
    """The ``low_rank``-th and ``high_rank``-th largest of ``sample`` (0-based): the largest
    entries with more than that many entries at or above them. Each entry's count is one
    vectorised pass over the sample (``m^2`` comparisons, cheaper for ``m = 64`` than a
    quickselect's data-dependent swaps)."""
    m = len(sample)
    lo, hi = -np.inf, -np.inf
    for i in range(m):
        x = sample[i]
        c = 0
        for j in range(m):
            c += sample[j] >= x
        lo = x if (c > low_rank) & (x > lo) else lo
        hi = x if (c > high_rank) & (x > hi) else hi
    return lo, hi


#: ``k / t`` from which counting finds a row's threshold faster than the quickselect above
#: the stripe floor (measured at t = 1024; the floor leaves few candidates for small k).
_COUNTING_FROM = 1 / 16


@numba.njit(cache=True, nogil=True)
def _counting_pays(t, k):  # pragma: no cover - compiled
    return k > _COUNTING_FROM * t


#: Rows whose thresholds are remembered before they bracket the next row's, the bracket's
#: half-width in standard deviations of those thresholds, and the running share of tied
#: rows above which a sample brackets each row instead (a tie is found sooner from a
#: sample's quantiles, which are entries: ReLU features at k = t / 2 tie at 0 in a third
#: to a half of their rows, and took 1.7x as long from the earlier rows' bracket).
_HISTORY_ROWS, _HISTORY_SPREAD, _TIE_SHARE = 8, 3.0, 0.01


@numba.njit(cache=True, nogil=True)
def _bracket_of_earlier_rows(history):  # pragma: no cover - compiled
    """``(mean - 3 sd, mean + 3 sd)`` of the thresholds recorded in ``history`` (count,
    mean, sum of squared deviations, running share of ties), or ``(nan, nan)`` before
    :data:`_HISTORY_ROWS` rows or while ties are common.

    Rows of one layer have k-th largest features of similar size (random ReLU features of
    uniform inputs, t = 1024, k = 256: a standard deviation of 8% of their mean, about 40
    entries of a row within one of it), so this bracket is narrower than a sample's and
    needs no sample; where it misses, the row's minimum or maximum widens it. The
    selection does not depend on the bracket, only its speed."""
    if history[0] < _HISTORY_ROWS or history[3] > _TIE_SHARE:  # too few, or ties
        return np.nan, np.nan
    half = _HISTORY_SPREAD * np.sqrt(history[2] / history[0]) + 1e-12 * abs(history[1])
    return history[1] - half, history[1] + half


@numba.njit(cache=True, nogil=True)
def _remember(history, tau, exact):  # pragma: no cover - compiled
    """Add a row's threshold to ``history`` (Welford's running mean and variance), and
    whether it tied to a running share of ties (weight 1/8 to the newest row)."""
    history[3] += ((0.0 if exact else 1.0) - history[3]) / 8.0
    history[0] += 1.0
    delta = tau - history[1]
    history[1] += delta / history[0]
    history[2] += delta * (tau - history[1])


#: Integer keys of doubles (:func:`_nearest_inside`): ``bits ^ _MAGNITUDE_BITS`` for the
#: negative ones orders them as the doubles are ordered; the ends stand for none found.
_MAGNITUDE_BITS = np.int64(0x7FFFFFFFFFFFFFFF)
_KEY_TOP, _KEY_BOTTOM = np.int64(0x7FFFFFFFFFFFFFFF), np.int64(-0x7FFFFFFFFFFFFFFF - 1)


@numba.njit(cache=True, nogil=True)
def _nearest_inside(v, lo, hi):  # pragma: no cover - compiled
    """``(min{x in v : x >= lo}, max{x in v : x < hi})`` (``inf``, ``-inf`` if none; NaN
    entries are neither). The extremes are taken over integer keys that order the doubles
    as they are ordered, which vectorises (a floating-point minimum does not, NaN being
    unordered): 3x faster than comparing doubles, and most of the cost of the rows where
    :func:`_threshold` checks its bracket for a tie."""
    bits = v.view(np.int64)
    a, b = _KEY_TOP, _KEY_BOTTOM
    for j in range(len(v)):
        x, w = v[j], bits[j]
        key = w ^ ((w >> 63) & _MAGNITUDE_BITS)
        a = min(a, key if x >= lo else _KEY_TOP)
        b = max(b, key if x < hi else _KEY_BOTTOM)
    ends = np.empty(2, np.int64)
    ends[0] = a ^ ((a >> 63) & _MAGNITUDE_BITS)  # the map is its own inverse
    ends[1] = b ^ ((b >> 63) & _MAGNITUDE_BITS)
    found = ends.view(np.float64)
    low = found[0] if a != _KEY_TOP else np.inf
    high = found[1] if b != _KEY_BOTTOM else -np.inf
    return low, high


#: Counts a row's threshold search may take before it leaves the row to the quickselect.
_MAX_COUNTS = 48

#: Entries a row's threshold search samples (every ``t / 64``-th).
_SAMPLE = 64


@numba.njit(cache=True, nogil=True)
def _threshold(v, k, sample, history, c_lo, c_hi):  # pragma: no cover - compiled
    """A value with exactly ``k`` entries of the row ``v`` at or above it, for ``1 <= k <
    len(v)``: ``(tau, True)``; ``(kth, False)`` when more than ``k`` entries tie at the k-th
    largest value ``kth``; ``(nan, False)`` when undecided (a NaN or an infinity in the
    bracket, or no exact count within :data:`_MAX_COUNTS`).

    The thresholds of the rows before it (``history``, :func:`_bracket_of_earlier_rows`),
    or else the ``m = len(sample)`` strided entries' quantiles ``k m / t`` plus and minus
    twice their standard deviation, bracket the k-th largest value in most rows (else the
    row's minimum or maximum closes the bracket); then each count at a point interpolated between
    the bracket's counts (the weight of the end that stayed halved, after the Illinois
    rule) moves one end, until an end has exactly ``k`` entries at or above it or no double lies
    between the two (a tie). ``c_lo`` and ``c_hi``, when given (not -1), are the counts at
    the history's bracket, which the caller took as it wrote the row. Two kinds of tie are
    caught early: a low end that stays
    through two counts is tried one double higher (if fewer than ``k`` entries are then
    left, the low end is an entry that ties at the k-th place), and a bracket that no count
    has narrowed twice in a row is checked for holding one value only.
    """
    t, m = len(v), len(sample)
    lo, hi = _bracket_of_earlier_rows(history)
    if not lo < hi:  # no history yet: quantiles of a sample of the row
        c_lo = -1
        stride = t // m
        for i in range(m):
            x = v[i * stride]
            if not np.isfinite(x):
                return np.nan, False
            sample[i] = x
        p = k / t
        spread = 1 + int(2.0 * np.sqrt(m * p * (1.0 - p)))
        rank = int(k * m / t)  # of the k-th largest in the sample, from the top, 0-based
        lo, hi = _sample_quantiles(sample, min(m - 1, rank + spread), max(0, rank - spread))
    counted = c_lo >= 0  # the caller counted at the history's bracket as it wrote the row
    if not counted:
        c_lo = _count_at_or_above_row(v, lo)
    counts = 1
    if c_lo < k:  # the bracket's low end is too high: the row's minimum replaces it
        hi, c_hi = lo, c_lo
        lo = np.inf
        for j in range(t):
            lo = v[j] if v[j] < lo else lo
        c_lo = _count_at_or_above_row(v, lo)
        counts += 1
        if c_lo < k or not np.isfinite(lo):  # NaN entries, or -inf
            return np.nan, False
    else:
        if not counted:
            c_hi = _count_at_or_above_row(v, hi)
        counts += 1
        if c_hi >= k:  # the bracket's high end is too low: the row's maximum replaces it
            lo, c_lo = hi, c_hi
            hi = -np.inf
            for j in range(t):
                hi = v[j] if v[j] > hi else hi
            c_hi = _count_at_or_above_row(v, hi)
            counts += 1
            if not np.isfinite(hi):
                return np.nan, False
            if c_hi >= k:  # more than k entries tie at the maximum
                return hi, False
    target = k + 0.5  # between the counts of the (k+1)-th and the k-th largest
    moved = 0  # the end the last count moved: -1 low, 1 high
    stayed = 0  # counts in a row that left the low end where it was
    still = 0  # counts in a row that left the bracket's count where it was
    while counts < _MAX_COUNTS:
        if c_lo == k:
            return lo, True
        if still >= 2:  # no entry crossed lately: is the bracket one tied value?
            a, b = _nearest_inside(v, lo, hi)
            if a == b:  # more than k entries reach it, fewer than k pass it
                return a, False
            lo, hi, still = a, np.nextafter(b, np.inf), 0
        if stayed >= 2:  # the low end stuck: step past it (a tie there is found at once)
            above = np.nextafter(lo, np.inf)
            c = _count_at_or_above_row(v, above)
            counts += 1
            if c < k:  # lo is an entry more than k reach and fewer than k pass
                return lo, False
            lo, c_lo, stayed = above, c, 0
            continue
        below, above = c_lo - target, target - c_hi
        if moved == 1:  # the low end stayed: the next point moves towards it
            below *= 0.5
        elif moved == -1:
            above *= 0.5
        tau = lo + (hi - lo) * (below / (below + above))
        if not lo < tau < hi:
            tau = lo + 0.5 * (hi - lo)
            if not lo < tau < hi:  # no double between: the k-th largest ties at lo's entry
                kth = np.inf
                for j in range(t):
                    x = v[j]
                    kth = x if (x >= lo) & (x < kth) else kth
                return kth, False
        c = _count_at_or_above_row(v, tau)
        counts += 1
        still = still + 1 if c == c_lo or c == c_hi else 0
        if c >= k:
            lo, c_lo, moved, stayed = tau, c, -1, 0
        else:
            hi, c_hi, moved, stayed = tau, c, 1, stayed + 1
    return np.nan, False


@numba.njit(cache=True, nogil=True)
def _exact_unsure(v, tau, k, tol):  # pragma: no cover - compiled
    """The near-tie screen of a row with exactly ``k`` entries at or above ``tau``: whether
    more than ``k`` entries reach ``kth - tol`` (``kth`` the k-th largest).

    Only entries at or above ``tau`` can, unless ``kth - tol < tau``; as ``x - tol`` grows
    with ``x``, that is whether some entry has ``x >= tau > x - tol``: a vectorised count
    settles it in almost every row, and only then is ``kth`` found and the row counted.
    """
    if not tol > 0:
        return False
    c = 0
    for j in range(len(v)):
        c += v[j] - tol >= tau
    if c == k:  # every entry at or above tau stays there after subtracting tol
        return False
    kth = np.inf
    for j in range(len(v)):
        x = v[j]
        if x >= tau and x < kth:
            kth = x
    return _count_at_or_above_row(v, kth - tol) > k


@numba.njit(cache=True, nogil=True)
def _smallest(a):  # pragma: no cover - compiled
    """The smallest entry of ``a`` (a loop: ``a.min()`` adds a third of a second of compiling)."""
    low = np.inf
    for x in a:
        low = x if x < low else low
    return low


@numba.njit(cache=True, nogil=True)
def _zero_kth_unsure(scores, r, offset, tol):  # pragma: no cover - compiled
    """The near-tie screen of a ``relu`` row whose k-th largest feature is 0: whether some
    pre-activation ``scores[r, j] + offset[j]`` lies within ``tol`` of 0 (or is a NaN).

    The features above 0 are then all selected and the rest tie at exactly 0, ties to the
    lower index; pre-activations farther than ``tol`` (more than the fast and the reference
    scores differ) from 0 have the same sign in both, so both select the same entries.
    """
    if not tol > 0:
        return False
    near = False
    for j in range(scores.shape[1]):
        near |= not abs(scores[r, j] + offset[j]) > tol
    return near


@numba.njit(cache=True, nogil=True)
def _select_row(v, k, tol, out, out_values, r, work, c_lo, c_hi):  # pragma: no cover
    """``out[r]``, ``out_values[r]``: the row ``v``'s top ``k`` (``1 <= k < len(v)``),
    ties to the lower index; returns whether it is unsure (:func:`top_k_rows`). ``c_lo``,
    ``c_hi``: counts at the history's bracket if taken, else -1 (:func:`_threshold`)."""
    t = len(v)
    index, value, spare, scratch, maxima, sample, columns, history = work
    tau, exact = np.nan, False
    if _counting_pays(t, k):
        tau, exact = _threshold(v, k, sample, history, c_lo, c_hi)
        if not np.isnan(tau):
            _remember(history, tau, exact)
    if exact:  # exactly k entries at or above tau: one branch-free pass writes them
        c = 0
        for j in range(t):
            scratch[c] = j
            c += v[j] >= tau
        for i in range(k):
            out[r, i] = scratch[i]
            out_values[r, i] = v[scratch[i]]
        return _exact_unsure(v, tau, k, tol)
    if np.isnan(tau):
        lowest, floor = _stripe_floors(v, k, maxima, max(1, min(8, k // 4)))
        c = _columns_at_or_above(v, floor, index)
        if c < k:
            c = _columns_at_or_above(v, lowest, index)
        if c < k:
            raise ValueError("`scores` must not contain NaN.")
        for i in range(c):
            value[i] = v[index[i]]
        if c - k < 8:  # the k-th largest is the (c - k + 1)-th smallest
            tau = _smallest_two(value, c, c - k + 1)[1]
        else:
            for i in range(c):  # a loop: slice assignment compiles for seconds
                spare[i] = value[i]
            tau = _kth_smallest(spare, 0, c, c - k)
        _emit_top(value, index, c, tau, k, out, r, scratch)
    else:  # entries tie at the k-th largest value: the lower indices first
        _emit_top(v, columns, t, tau, k, out, r, scratch)
    for i in range(k):
        out_values[r, i] = v[out[r, i]]
    return tol > 0 and _count_at_or_above_row(v, tau - tol) > k


@numba.njit(cache=True, nogil=True)
def _selection_buffers(t, k):  # pragma: no cover - compiled
    """Work arrays of :func:`_select_row` for rows of ``t`` entries: index, value, spare,
    scratch (``t + 1``), stripe maxima, sample, the columns ``0 .. t-1``, and the history
    of thresholds (:func:`_bracket_of_earlier_rows`), in that order."""
    w = k
    while 2 * w <= t:
        w *= 2
    return (
        np.empty(t, np.int64),
        np.empty(t),
        np.empty(t),
        np.empty(t + 1, np.int64),
        np.empty(w),
        np.empty(min(t, _SAMPLE)),
        np.arange(t),
        np.zeros(4),
    )


@numba.njit(cache=True, nogil=True)
def _shifted_row(scores, r, offset, relu, row, lo, hi):  # pragma: no cover - compiled
    """``row = scores[r] + offset`` (then ``max(., 0)``), as numpy's ``Z += c``
    and ``np.maximum(Z, 0)`` compute it (a NaN stays a NaN); returns how many of the
    row's entries are at least ``lo`` and at least ``hi`` (counted as they are written)."""
    c_lo = c_hi = 0
    for j in range(len(row)):
        z = scores[r, j] + offset[j]
        z = z if (z >= 0.0) | (not relu) | np.isnan(z) else 0.0
        row[j] = z
        c_lo += z >= lo
        c_hi += z >= hi
    return c_lo, c_hi


@numba.njit(cache=True, nogil=True)
def _positive_and_nonnegative(row):  # pragma: no cover - compiled
    """How many entries of ``row`` are above 0, and how many at or above it."""
    positive = nonnegative = 0
    for j in range(len(row)):  # integer sums: the loop vectorises
        positive += row[j] > 0.0
        nonnegative += row[j] >= 0.0
    return positive, nonnegative


@numba.njit(cache=True, nogil=True)
def _features_and_threshold(Z, r, k, offset, relu, row, work):  # pragma: no cover - compiled
    """Write row ``r``'s features ``relu(Z[r] + offset)`` into ``row`` and find a threshold
    with exactly ``k`` of them at or above it, as :func:`_threshold` does (the history's
    bracket counted as the row is written): ``(tau, exact)``; ``(-inf, True)`` for ``k =
    t``, ``(nan, False)`` where counting does not pay (:func:`_select_in_full` then). While
    ties are common, a ReLU row with fewer than ``k`` positive features is a tie at 0,
    found by one count (a threshold search would end there after several; the other rows
    keep a sample's bracket: the k-th features of ReLU rows near their zeros spread too
    widely for the earlier rows' to pay)."""
    t = len(row)
    sample, history = work[5], work[7]
    lo, hi = _bracket_of_earlier_rows(history)
    c_lo, c_hi = _shifted_row(Z, r, offset, relu, row, lo, hi)
    if k == t:
        return -np.inf, True
    if not _counting_pays(t, k):
        return np.nan, False
    if relu and history[3] > _TIE_SHARE:  # ReLU rows often tie at 0: is this one of them?
        positive, nonnegative = _positive_and_nonnegative(row)
        if positive < k <= nonnegative:  # the k-th largest is 0 (NaN entries are neither)
            _remember(history, 0.0, False)
            return 0.0, False
    tau, exact = _threshold(row, k, sample, history, c_lo, c_hi)
    if not np.isnan(tau):
        _remember(history, tau, exact)
    return tau, exact


@numba.njit(cache=True, nogil=True)
def _select_in_full(Z, r, k, offset, relu, row, tol, index, values, work, tau):  # pragma: no cover
    """The rows :func:`_features_and_threshold` leaves undecided: ``index[0]``,
    ``values[0]``; returns whether the row is unsure, with the exact zero ties of ``relu``
    rows settled. A tie at the k-th value ``tau`` keeps the entries above it and the first
    ones equal to it (as :func:`_select_row` does, without finding ``tau`` again); a NaN
    ``tau`` (a NaN in the row, small ``k``) goes to :func:`_select_row`."""
    if not np.isnan(tau):
        _emit_top(row, work[6], len(row), tau, k, index, 0, work[3])
        for i in range(k):
            values[0, i] = row[index[0, i]]
        return _tie_unsure(Z, r, offset, relu, row, tau, k, tol)
    none = np.int64(-1)  # typed, not literals: one compiled _select_row for every caller
    unsure = _select_row(row, k, tol, index, values, np.int64(0), work, none, none)
    if unsure and relu and _smallest(values[0]) == 0.0:  # zeros tie exactly
        unsure = _zero_kth_unsure(Z, r, offset, tol)
    return unsure


@numba.njit(cache=True, nogil=True)
def _tie_unsure(Z, r, offset, relu, row, kth, k, tol):  # pragma: no cover - compiled
    """The near-tie screen of a row whose k-th largest value ``kth`` ties: more than ``k``
    entries reach ``kth - tol``; for ``relu`` features tied at 0, a pre-activation within
    ``tol`` of 0 (:func:`_zero_kth_unsure`)."""
    if relu and kth == 0.0:
        return _zero_kth_unsure(Z, r, offset, tol)
    return tol > 0 and _count_at_or_above_row(row, kth - tol) > k


@numba.njit(cache=True, nogil=True)
def _top_k_rows(
    scores, k, out, out_values, tolerance, unsure, offset, shift, relu
):  # pragma: no cover - compiled
    n, t = scores.shape
    work = _selection_buffers(t, k)
    row = np.empty(t)
    for r in range(n):
        c_lo = c_hi = -1
        if shift:
            lo, hi = _bracket_of_earlier_rows(work[7])
            c_lo, c_hi = _shifted_row(scores, r, offset, relu, row, lo, hi)
            v = row
        else:
            v = scores[r]
        if k == t:
            for i in range(t):
                out[r, i] = i
                out_values[r, i] = v[i]
            continue
        unsure[r] = _select_row(v, k, tolerance[r], out, out_values, r, work, c_lo, c_hi)
        if unsure[r] and shift and relu and _smallest(out_values[r]) == 0.0:  # zeros tie
            unsure[r] = _zero_kth_unsure(scores, r, offset, tolerance[r])


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
