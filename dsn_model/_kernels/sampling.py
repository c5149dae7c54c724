"""The uniform-hash router's randomness: the 64-bit hash of a row (:func:`hash_float_rows`)
and Floyd's ``size`` distinct indices per hash (:func:`floyd_samples`).

Part of :mod:`dsn_model._kernels` (its docstring says how these loops are checked and run).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["floyd_samples", "hash_float_rows"]


#: Largest range Floyd's sampling tracks with a bitmap (4 MiB of flags).
_BITMAP_ITEMS = 1 << 22


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
