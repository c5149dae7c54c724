"""Input checks the compiled loops rely on: indices and slots in range, scores finite, and
``max |x|`` with finiteness in one pass (:func:`abs_max`).

Part of :mod:`dsn_model._kernels` (its docstring says how these loops are checked and run).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["abs_max"]


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
