"""Exact packing of bounded integer key vectors into int64 codes.

A bucket of table ``i`` is named by an integer key vector; when every
coordinate lies in a known range, :class:`MixedRadix` packs ``(i, key)``
into one int64 code, exactly (distinct pairs, distinct codes) and back.
"""

from __future__ import annotations

from itertools import accumulate
from operator import mul

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["CODE_LIMIT", "MixedRadix", "fold"]

#: Every code of every table lies below this (so that ``-1`` and sums stay in int64).
CODE_LIMIT = 1 << 62


class MixedRadix:
    """Exact packing of bounded integer key vectors into one int64 code.

    Coordinate ``j`` of table ``i`` takes the values ``lo[i, j] .. hi[i, j]``.
    With ``radix = hi - lo + 1``, the code of key ``k`` in table ``i`` is
    ``base_i + sum_j (k_j - lo_ij) * stride_ij``, where
    ``stride_ij = prod_{l < j} radix_il`` and ``base_i`` counts the codes of
    the tables before ``i``. Distinct (table, key) pairs in range get distinct
    codes; a key out of range gets ``-1``.

    Parameters
    ----------
    lo, hi : array_like of int, shape (n_tables, key_width)
        Inclusive bounds, below ``2**61`` in magnitude.

    Attributes
    ----------
    universe : int
        Codes of all tables together.
    fits : bool
        Whether every code is below ``2**62`` (else the keys cannot be packed).
    float_exact : bool
        Whether float64 keys pack exactly by float64 sums over runs of
        coordinates (each below ``2**53``) combined in int64. Float32 keys
        pack likewise with runs below ``2**24``.

    Examples
    --------
    >>> import numpy as np
    >>> radix = MixedRadix([[0, -1]], [[2, 1]])  # 3 x 3 keys
    >>> radix.pack(np.array([[[0, -1]], [[2, 1]], [[3, 0]]])).ravel().tolist()
    [0, 8, -1]
    >>> radix.unpack(np.array([8]))[1].tolist()
    [[2, 1]]
    """

    def __init__(self, lo: ArrayLike, hi: ArrayLike):
        self.lo = np.asarray(lo, dtype=np.int64)
        self.hi = np.asarray(hi, dtype=np.int64)
        if self.lo.ndim != 2 or self.hi.shape != self.lo.shape or (self.hi < self.lo).any():
            raise ValueError("`lo` and `hi` must be (n_tables, key_width) arrays with lo <= hi.")
        radix = self.hi - self.lo + 1  # bounds below 2^61 in magnitude: no overflow
        strides = [list(accumulate([1, *row[:-1]], mul)) for row in radix.tolist()]
        universes = [st[-1] * row[-1] for st, row in zip(strides, radix.tolist(), strict=True)]
        ends = list(accumulate(universes))
        self.universe = ends[-1]
        self.fits = self.universe < CODE_LIMIT
        extent = np.maximum(np.abs(self.lo), np.abs(self.hi)).tolist()
        terms = [
            [e * st for e, st in zip(*pair, strict=True)]
            for pair in zip(extent, strides, strict=True)
        ]
        self._terms, self._plans = terms, {}
        if not self.fits:
            self.float_exact = False
            return
        self.radix = radix
        self.strides = np.array(strides, dtype=np.int64)
        self.ends = np.array(ends, dtype=np.int64)
        self.base = self.ends - np.array(universes, dtype=np.int64)
        self._shift = self.base - (self.lo * self.strides).sum(axis=1)
        self._float_bounds = (self.lo.astype(np.float64), self.hi.astype(np.float64))
        self.float_exact = self._float_plan(np.float64) is not None

    def _float_plan(self, dtype):
        """The float packing plan for keys of ``dtype``, or None if none is exact.

        Coordinates split into runs ``a:b`` whose partial codes
        ``sum_j k_j strides[:, j] / strides[:, a]`` stay below ``2^53``
        (float64) or ``2^24`` (float32) in absolute value, so any summation
        order is exact. One batched matrix product, table by table, of the
        keys ``(n, key_width)`` with ``(key_width, n_runs)`` relative strides
        computes every run (BLAS: faster than a reduction over the short key
        axis); the runs are then scaled by ``strides[:, a]`` and summed in
        int64 (exact modulo 2^64, and the true code lies in ``[0, 2^62)``).
        Returns ``(relative, scales)``: ``(n_tables, key_width, n_runs)``
        floats and ``(n_runs, n_tables)`` ints (None for a single run).
        """
        dtype = np.dtype(dtype)
        if dtype in self._plans:
            return self._plans[dtype]
        limit = 2 ** (np.finfo(dtype).nmant + 1)
        strides = self.strides.tolist()
        runs, width, a = [], self.lo.shape[1], 0
        while a < width:
            if any(t[a] // st[a] >= limit for t, st in zip(self._terms, strides, strict=True)):
                self._plans[dtype] = None  # one coordinate alone is too large
                return None
            b = a + 1
            while b < width and all(
                sum(t[a : b + 1]) // st[a] < limit
                for t, st in zip(self._terms, strides, strict=True)
            ):
                b += 1
            runs.append((a, b))
            a = b
        relative = np.zeros((len(strides), width, len(runs)), dtype=dtype)
        for g, (a, b) in enumerate(runs):
            for t, st in enumerate(strides):
                relative[t, a:b, g] = [x // st[a] for x in st[a:b]]
        scales = self.strides[:, [a for a, _ in runs]].T.copy()  # (n_runs, s)
        plan = (relative, scales if len(runs) > 1 else None)
        self._plans[dtype] = plan
        return plan

    def pack(self, K: np.ndarray) -> np.ndarray:
        """Codes ``(n, n_tables)`` of integral key vectors ``K (n, n_tables, key_width)``."""
        floats = K.dtype.kind == "f"
        lo, hi = self._float_bounds if floats else (self.lo, self.hi)
        bad = None
        if len(K) and _outside(K, lo, hi):
            bad = ((K < lo) | (K > hi)).any(axis=2)
            K = np.clip(K, lo, hi)
        plan = self._float_plan(K.dtype) if floats else None
        if plan is not None:
            relative, scales = plan
            parts = np.matmul(K.transpose(1, 0, 2), relative)  # (s, n, n_runs)
            codes = parts[:, :, 0].T.astype(np.int64)  # the first run's scale is 1
            for g in range(1, 0 if scales is None else len(scales)):
                codes += parts[:, :, g].T.astype(np.int64) * scales[g]
            codes += self._shift
        else:
            codes = ((K.astype(np.int64) - self.lo) * self.strides).sum(axis=2) + self.base
        if bad is not None:
            codes[bad] = -1
        return codes

    def encode(self, tables: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """Codes of in-range key vectors ``keys (m, key_width)`` of ``tables (m,)``."""
        offset = keys - self.lo[tables]
        return (offset * self.strides[tables]).sum(axis=1) + self.base[tables]

    def tables(self, codes: np.ndarray) -> np.ndarray:
        """The table of each valid code."""
        return np.searchsorted(self.ends, codes, side="right")

    def unpack(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Tables ``(m,)`` and key vectors ``(m, key_width)`` of valid codes."""
        tables = self.tables(codes)
        rest = codes - self.base[tables]
        keys = np.empty((len(codes), self.lo.shape[1]), dtype=np.int64)
        for j in range(keys.shape[1]):
            radix = self.radix[tables, j]
            keys[:, j] = rest % radix + self.lo[tables, j]
            rest //= radix
        return tables, keys


def fold(A: np.ndarray, op) -> np.ndarray:
    """``op.reduce(A, axis=0)`` by halving: each step is one contiguous ufunc call.

    numpy reduces a C-ordered array over its first axis row by row; halving
    is about three times faster for blocks of many short rows.
    """
    while len(A) > 1:
        half = len(A) // 2
        folded = op(A[:half], A[half : 2 * half])
        if len(A) % 2:
            folded[0] = op(folded[0], A[-1])
        A = folded
    return A[0]


def _outside(K: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> bool:
    """Whether any key of ``K (n, s, D)`` lies outside ``lo .. hi`` (per coordinate)."""
    return bool(((fold(K, np.minimum) < lo) | (fold(K, np.maximum) > hi)).any())
