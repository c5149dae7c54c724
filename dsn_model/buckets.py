"""An exact map from (table, key vector) to a compact bucket slot.

:class:`BucketIndex` numbers the distinct ``(table, key vector)`` pairs it has
seen ``0, 1, 2, ...`` and answers look-ups with those slot numbers (``-1`` for
a key never inserted). Three stores sit behind it, chosen by the keys' range:

* **direct address** -- keys packed below a known ``universe`` with
  ``n_tables * universe <= DIRECT_LIMIT``: the slot of key ``z`` of table
  ``i`` is ``i * universe + z``; insertion is free and a look-up is a gather;
* **codes** -- keys whose every coordinate lies in a known integer range
  (fixed, or learned from the inserted keys and widened, with slack, when a
  new key falls outside it): each key vector is packed *exactly* into one
  int64 code by a mixed-radix number (:class:`MixedRadix`), and a
  :class:`CodeStore` maps codes to slots -- an int32 array indexed by the
  code when there are at most :data:`ARRAY_LIMIT` codes, else an
  open-addressing table keyed by the code itself. Two different cells never
  share a slot and no fingerprint is needed. Widening renumbers nothing: the
  stored codes are unpacked and packed again under the new ranges;
* **rows** -- keys too wide for 62 bits: open addressing keyed by a 64-bit
  fingerprint of the row, with the full key vector of every slot kept and
  compared, so a fingerprint collision never merges two cells.

Every operation loops over probe rounds (a handful at load factor <= 1/2),
runs of key coordinates or tables, never over rows. :meth:`BucketIndex.lookup_batch`
and :meth:`BucketIndex.insert_batch` take a key function and compute keys one
cache-sized block at a time, keeping only the ``(n, n_tables)`` codes.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import accumulate
from operator import mul

import numpy as np
from numpy.typing import ArrayLike

from .hashing import mix64

__all__ = ["ARRAY_LIMIT", "DIRECT_LIMIT", "BucketIndex", "CodeStore", "MixedRadix"]

#: Largest ``n_tables * universe`` stored by direct addressing.
DIRECT_LIMIT = 1 << 22
_CODE_LIMIT = 1 << 62  # every code of every table below this
#: Largest code universe a :class:`CodeStore` addresses directly (an int32 array).
ARRAY_LIMIT = 1 << 24
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # 2^64 / golden ratio: Fibonacci hashing


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
        self.fits = self.universe < _CODE_LIMIT
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


def _fold(A: np.ndarray, op) -> np.ndarray:
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
    return bool(((_fold(K, np.minimum) < lo) | (_fold(K, np.maximum) > hi)).any())


class CodeStore:
    """Exact map from non-negative int64 codes to dense slots ``0, 1, 2, ...``.

    Codes below a known ``universe`` of at most :data:`ARRAY_LIMIT` are
    addressed directly: an int32 array holds the slot of every code. Other
    codes go into an open-addressing table whose position ``p`` holds a code
    (``-1`` when empty) and its slot (int32: fewer than 2^31 slots); a code's
    probe sequence starts at its Fibonacci hash (the top bits of
    ``code * 0x9E3779B97F4A7C15``) and moves one position at a time (linear
    probing), with the load factor kept at or below 1/2. New codes are
    numbered in order of first appearance.

    Parameters
    ----------
    universe : int, optional
        An upper bound on the codes, if one is known.

    Examples
    --------
    >>> import numpy as np
    >>> store = CodeStore()
    >>> store.insert(np.array([7, 3, 7, 2**60])).tolist()
    [0, 1, 0, 2]
    >>> store.lookup(np.array([3, 5, -1])).tolist()
    [1, -1, -1]
    """

    def __init__(self, universe: int | None = None):
        self.codes = np.empty(0, dtype=np.int64)  # code of each slot
        self.direct = universe is not None and universe <= ARRAY_LIMIT
        if self.direct:
            self._slot_of = np.full(universe, -1, dtype=np.int32)
        else:
            self._allocate(16)

    def _allocate(self, size: int) -> None:
        self._keys = np.full(size, -1, dtype=np.int64)
        self._slots = np.full(size, -1, dtype=np.int32)  # less traffic than int64
        self._shift = np.uint64(64 - (size.bit_length() - 1))

    @property
    def n_slots(self) -> int:
        return len(self.codes)

    def _start(self, codes):
        return ((codes.view(np.uint64) * _GOLDEN) >> self._shift).view(np.int64)

    def lookup(self, codes: np.ndarray) -> np.ndarray:
        """Slots of ``codes`` (any shape); ``-1`` for absent or negative codes."""
        flat = codes.reshape(-1)
        if self.direct:
            if not flat.size or flat.min() >= 0:
                return self._slot_of.take(flat).astype(np.int64).reshape(codes.shape)
            valid = flat >= 0
            found = self._slot_of.take(np.where(valid, flat, 0)).astype(np.int64)
            found[~valid] = -1
            return found.reshape(codes.shape)
        mask = len(self._keys) - 1
        pos = self._start(flat)
        key = self._keys.take(pos)
        found = self._slots.take(pos)  # right wherever the first probe hits (most codes)
        # an empty position holds code -1 and slot -1: a negative code "hits" it as absent
        miss = np.flatnonzero(key != flat)
        found[miss] = -1
        pending = miss[key[miss] >= 0]  # an occupied position of another code: probe on
        code, pos = flat[pending], pos[pending]
        while pending.size:
            pos = (pos + 1) & mask
            key = self._keys.take(pos)
            hit = key == code
            found[pending[hit]] = self._slots.take(pos[hit])
            go = ~hit & (key >= 0)
            pending, code, pos = pending[go], code[go], pos[go]
        return found.astype(np.int64).reshape(codes.shape)

    def _settle(self, code):
        """Final positions of ``code`` after claiming an empty position for each absent one."""
        final = np.empty(len(code), dtype=np.int64)
        rows = np.arange(len(code))
        pos, mask = self._start(code), len(self._keys) - 1
        while rows.size:
            free = self._keys.take(pos) < 0
            self._keys[pos[free]] = code[free]  # one writer per position wins
            placed = self._keys.take(pos) == code  # copies of a code move together
            final[rows[placed]] = pos[placed]
            keep = ~placed
            rows, code, pos = rows[keep], code[keep], (pos[keep] + 1) & mask
        return final

    def _reserve(self, n_codes: int) -> bool:
        """Room for ``n_codes`` at load <= 1/2; True if the table was rebuilt."""
        size = len(self._keys)
        if 2 * n_codes <= size:
            return False
        while 2 * n_codes > size:
            size *= 2
        self._allocate(size)
        self._slots[self._settle(self.codes)] = np.arange(self.n_slots)
        return True

    def compact(self) -> None:
        """Shrink the hashed table to load 1/8 .. 1/4 (inserts reserve for whole batches).

        A table sized for a batch's worth of new codes can be far larger than
        its codes need, and a smaller one keeps look-ups in cache; but at load
        near 1/2 about 30% of look-ups need a second probe against 2% at 1/5
        (measured), so the table keeps four positions per code.
        """
        if self.direct:
            return
        size = 16
        while 4 * self.n_slots > size:
            size *= 2
        if size < len(self._keys):
            self._allocate(size)
            self._slots[self._settle(self.codes)] = np.arange(self.n_slots)

    def insert(self, codes: np.ndarray) -> np.ndarray:
        """Add absent codes (all must be ``>= 0``); return the slots of all."""
        slots = self.lookup(codes).reshape(-1)
        missing = np.flatnonzero(slots < 0)
        if missing.size:
            code = codes.reshape(-1)[missing]
            if self.direct:
                where, table = code, self._slot_of
            else:
                self._reserve(self.n_slots + missing.size)
                where, table = self._settle(code), self._slots
            # the first copy of each new code wins its position: the smallest mark, taken
            # by an unbuffered minimum (deterministic, unlike repeated-index assignment);
            # winners are numbered in row order, i.e. codes in order of first appearance
            mark = np.arange(missing.size, dtype=table.dtype) - (missing.size + 1)
            np.minimum.at(table, where, mark)
            new = np.flatnonzero(table.take(where) == mark)
            table[where[new]] = self.n_slots + np.arange(new.size)
            self.codes = np.concatenate([self.codes, code[new]])
            slots[missing] = table.take(where)
        return slots.reshape(codes.shape)

    @classmethod
    def from_codes(cls, codes: np.ndarray, universe: int | None = None) -> CodeStore:
        """A store whose slot ``i`` holds ``codes[i]`` (distinct, ``>= 0``)."""
        store = cls(universe)
        store.codes = np.asarray(codes, dtype=np.int64)
        if store.direct:
            store._slot_of[store.codes] = np.arange(store.n_slots)
        elif not store._reserve(store.n_slots):  # (a resize places every code)
            store._slots[store._settle(store.codes)] = np.arange(store.n_slots)
        return store


def _rows(keys: np.ndarray) -> np.ndarray:
    """(n, s, D) keys -> (n*s, D+1) rows prefixed by the table index."""
    n, s, D = keys.shape
    rows = np.empty((n, s, D + 1), dtype=np.int64)
    rows[:, :, 0] = np.arange(s)
    rows[:, :, 1:] = keys
    return rows.reshape(n * s, D + 1)


def _fingerprint(rows: np.ndarray) -> np.ndarray:
    h = np.full(len(rows), 0x243F6A8885A308D3, dtype=np.uint64)
    for j in range(rows.shape[1]):
        h = mix64(h ^ rows[:, j].view(np.uint64))
    return h


def _unique_rows(rows: np.ndarray, fp: np.ndarray):
    """Distinct rows in order of first appearance, their first index, and the inverse.

    Sorting 64-bit fingerprints is much cheaper than sorting rows; every row
    is then compared in full with its group's representative, and the exact
    row sort is used only if two different rows share a fingerprint.
    """
    _, first, inverse = np.unique(fp, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if not (rows[first][inverse] == rows).all():  # a true 64-bit collision
        _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
    order = np.argsort(first)  # number new buckets in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rows[first[order]], first[order], rank[inverse]


class _RowStore:
    """Open addressing by 64-bit fingerprint, verified against the full rows."""

    def __init__(self, key_width: int):
        self.slot_rows = np.empty((0, key_width + 1), dtype=np.int64)
        self._fp = np.empty(0, dtype=np.uint64)
        self._table = np.full(16, -1, dtype=np.int64)
        self._table_fp = np.zeros(16, dtype=np.uint64)

    @property
    def n_slots(self) -> int:
        return len(self.slot_rows)

    def _probe(self, rows, fp):
        """Slots of ``rows`` (-1 if absent) by linear probing from ``fp``.

        Probing compares fingerprints only (kept beside the slots in the
        table); the full keys of the hits are then compared once, and the
        rare rows whose fingerprint matched a different key are probed again
        by :meth:`_probe_exact`.
        """
        mask = len(self._table) - 1
        pos = (fp & np.uint64(mask)).astype(np.int64)
        found = np.full(len(rows), -1, dtype=np.int64)
        pending = np.arange(len(rows))
        while pending.size:
            p = pos[pending]
            cand = self._table[p]
            occupied = cand >= 0
            hit = occupied & (self._table_fp[p] == fp[pending])
            found[pending[hit]] = cand[hit]
            pending = pending[occupied & ~hit]
            pos[pending] = (pos[pending] + 1) & mask
        hits = np.flatnonzero(found >= 0)
        wrong = hits[~(self.slot_rows[found[hits]] == rows[hits]).all(axis=1)]
        if wrong.size:  # a 64-bit fingerprint collision between different keys
            found[wrong] = self._probe_exact(rows[wrong], fp[wrong])
        return found

    def _probe_exact(self, rows, fp):
        """Linear probing that compares full keys at every occupied position."""
        mask = len(self._table) - 1
        pos = (fp & np.uint64(mask)).astype(np.int64)
        found = np.full(len(rows), -1, dtype=np.int64)
        pending = np.arange(len(rows))
        while pending.size:
            cand = self._table[pos[pending]]
            occupied = cand >= 0
            hit = occupied.copy()
            hit[occupied] = (self.slot_rows[cand[occupied]] == rows[pending[occupied]]).all(axis=1)
            found[pending[hit]] = cand[hit]
            pending = pending[occupied & ~hit]
            pos[pending] = (pos[pending] + 1) & mask
        return found

    def _place(self, slots):
        """Insert existing ``slots`` (and their fingerprints) into the open-addressing table."""
        mask = len(self._table) - 1
        pos = (self._fp[slots] & np.uint64(mask)).astype(np.int64)
        pending = np.arange(len(slots))
        while pending.size:
            p = pos[pending]
            free = self._table[p] < 0
            candidates = pending[free]
            self._table[p[free]] = slots[candidates]  # one write per position wins
            won = np.zeros(len(pending), dtype=bool)
            won[free] = self._table[p[free]] == slots[candidates]
            self._table_fp[p[won]] = self._fp[slots[pending[won]]]
            pending = pending[~won]
            pos[pending] = (pos[pending] + 1) & mask

    def _grow(self, needed) -> bool:
        """Keep the load factor <= 1/2; return True if every slot was re-placed."""
        size = len(self._table)
        if needed * 2 <= size:
            return False
        while needed * 2 > size:
            size *= 2
        self._table = np.full(size, -1, dtype=np.int64)
        self._table_fp = np.zeros(size, dtype=np.uint64)
        self._place(np.arange(self.n_slots))
        return True

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        rows = _rows(keys)
        return self._probe(rows, _fingerprint(rows)).reshape(keys.shape[:2])

    def insert(self, keys: np.ndarray) -> np.ndarray:
        rows = _rows(keys)
        fp = _fingerprint(rows)
        slots = self._probe(rows, fp)
        missing = np.flatnonzero(slots < 0)
        if missing.size:
            new_rows, first, inverse = _unique_rows(rows[missing], fp[missing])
            new_ids = self.n_slots + np.arange(len(new_rows))
            self.slot_rows = np.concatenate([self.slot_rows, new_rows])
            self._fp = np.concatenate([self._fp, fp[missing][first]])
            if not self._grow(self.n_slots):
                self._place(new_ids)
            slots[missing] = new_ids[inverse.reshape(-1)]
        return slots.reshape(keys.shape[:2])

    @classmethod
    def from_rows(cls, rows: np.ndarray) -> _RowStore:
        store = cls(rows.shape[1] - 1)
        store.slot_rows = rows
        store._fp = _fingerprint(rows)
        if not store._grow(store.n_slots):
            store._place(np.arange(store.n_slots))
        return store


_OVERFLOW = "Bucket keys overflow 62 bits: the slab `width` is too small for inputs of this size."


def _as_int_keys(K: np.ndarray) -> np.ndarray:
    if K.dtype.kind != "f":
        return K.astype(np.int64, copy=False)
    if len(K) and not np.abs(K).max() < 2.0**62:
        raise ValueError(_OVERFLOW)
    return K.astype(np.int64)


class BucketIndex:
    """Exact, growable map from ``(table, key vector)`` to slot ids ``0..n_slots-1``.

    Keys are integer arrays ``(n, n_tables, key_width)``; floating arrays of
    integral values (such as floors) are accepted as they are, which saves a
    conversion on the hot path.

    Parameters
    ----------
    n_tables : int
    key_width : int
    universe : int or None
        Keys per table when keys are packed integers in ``[0, universe)``;
        ``None`` when every coordinate is an unbounded integer (the ranges are
        then learned from the inserted keys).

    Examples
    --------
    >>> import numpy as np
    >>> index = BucketIndex(2, 3, universe=None)
    >>> keys = np.array([[[1, 2, 3], [1, 2, 3]], [[1, 2, 3], [4, 5, 6]]])
    >>> index.insert(keys).tolist()
    [[0, 1], [0, 2]]
    >>> index.lookup(np.array([[[4, 5, 6], [4, 5, 6]]])).tolist()
    [[-1, 2]]
    """

    def __init__(self, n_tables: int, key_width: int, universe: int | None):
        self.n_tables = s = int(n_tables)
        self.key_width = int(key_width)
        self.universe = None if universe is None else int(universe)
        self.radix = None
        if universe is not None and key_width == 1 and s * self.universe <= DIRECT_LIMIT:
            self.mode = "direct"
        elif universe is not None and key_width == 1 and s * self.universe < _CODE_LIMIT:
            self.mode = "codes"
            self.radix = MixedRadix(np.zeros((s, 1)), np.full((s, 1), self.universe - 1))
            self.store = CodeStore(self.radix.universe)
        elif universe is not None:
            self.mode = "rows"
            self.store = _RowStore(self.key_width)
        else:
            self.mode = "codes"  # ranges learned on the first insert
            self.store = CodeStore()

    @property
    def n_slots(self) -> int:
        if self.mode == "direct":
            return self.n_tables * self.universe
        return self.store.n_slots

    # -- encoding ----------------------------------------------------------------
    def _encode(self, keys: np.ndarray) -> np.ndarray:
        """Direct slots or codes ``(n, n_tables)``; ``-1`` for keys out of range."""
        if self.mode == "direct":
            z = keys[:, :, 0]
            slots = z.astype(np.int64)
            if self.n_tables > 1:
                slots += np.arange(self.n_tables) * self.universe
            if z.dtype.kind == "u" and 2 ** (8 * z.dtype.itemsize) <= self.universe:
                return slots  # the key's width alone keeps it in range
            inside = (z >= 0) & (z < self.universe)
            return slots if inside.all() else np.where(inside, slots, -1)
        if self.radix is None:
            return np.full(keys.shape[:2], -1, dtype=np.int64)
        return self.radix.pack(keys)

    def _encode_blocks(self, key_fn, X, block):
        codes = np.empty((len(X), self.n_tables), dtype=np.int64)
        for start in range(0, len(X), block):
            codes[start : start + block] = self._encode(key_fn(X[start : start + block]))
        return codes

    def _widen(self, lo: np.ndarray, hi: np.ndarray) -> None:
        """Cover key ranges ``lo .. hi``: repack the stored codes, or move to rows.

        The new ranges get slack (a quarter of their width each side, or one,
        or none: the most that keeps codes directly addressable, else packable
        by float64 sums), so that a stream of chunks rarely needs another repack.
        """
        if not (np.abs(lo).max() < 2.0**61 and np.abs(hi).max() < 2.0**61):
            raise ValueError(_OVERFLOW)
        lo, hi = np.asarray(lo, dtype=np.int64), np.asarray(hi, dtype=np.int64)
        if self.radix is not None:
            lo, hi = np.minimum(lo, self.radix.lo), np.maximum(hi, self.radix.hi)
        candidates = [
            MixedRadix(lo - pad, hi + pad) for pad in (np.maximum(1, (hi - lo + 1) // 4), 1, 0)
        ]
        fitting = [radix for radix in candidates if radix.fits]
        old_tables, old_keys = self._stored_keys()
        if fitting:
            # the most slack that keeps direct addressing if that is possible, else
            # the most that keeps float packing
            direct = [radix for radix in fitting if radix.universe <= ARRAY_LIMIT]
            exact = [radix for radix in fitting if radix.float_exact]
            self.radix = (direct or exact or fitting)[0]
            codes = self.radix.encode(old_tables, old_keys)
            self.store = CodeStore.from_codes(codes, self.radix.universe)
        else:
            self.radix, self.mode = None, "rows"
            self.store = _RowStore.from_rows(np.column_stack([old_tables, old_keys]))

    def _stored_keys(self):
        if self.radix is None or self.store.n_slots == 0:
            return np.empty(0, dtype=np.int64), np.empty((0, self.key_width), dtype=np.int64)
        return self.radix.unpack(self.store.codes)

    @staticmethod
    def _key_range(key_fn, X, block):
        lo = hi = None
        for start in range(0, len(X), block):
            K = key_fn(X[start : start + block])
            klo, khi = _fold(K, np.minimum), _fold(K, np.maximum)
            lo = klo if lo is None else np.minimum(lo, klo)
            hi = khi if hi is None else np.maximum(hi, khi)
        return lo, hi

    # -- public -------------------------------------------------------------------
    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Slots of key vectors ``(n, n_tables, key_width)``; -1 where absent."""
        if self.mode == "rows":
            return self.store.lookup(_as_int_keys(keys))
        codes = self._encode(keys)
        return codes if self.mode == "direct" else self.store.lookup(codes)

    def insert(self, keys: np.ndarray) -> np.ndarray:
        """Add the absent keys and return the slots of all, ``(n, n_tables)``."""
        return self.insert_batch(lambda X: X, keys, max(1, len(keys)))

    def lookup_batch(self, key_fn: Callable, X: np.ndarray, block: int) -> np.ndarray:
        """:meth:`lookup` of ``key_fn(X)``, computing keys ``block`` rows at a time.

        Only the ``(n, n_tables)`` codes are kept, never the key vectors of
        the whole batch: a block's keys stay in cache while they are packed.
        """
        if self.mode == "rows":
            return np.concatenate(
                [self.lookup(key_fn(X[i : i + block])) for i in range(0, len(X), block)]
            )
        codes = self._encode_blocks(key_fn, X, block)
        return codes if self.mode == "direct" else self.store.lookup(codes)

    def insert_batch(self, key_fn: Callable, X: np.ndarray, block: int) -> np.ndarray:
        """:meth:`insert` of ``key_fn(X)``, computing keys ``block`` rows at a time."""
        if self.mode == "direct":
            return self._encode_blocks(key_fn, X, block)
        codes = self._codes_to_insert(key_fn, X, block) if self.mode == "codes" else None
        if codes is not None:
            return self.store.insert(codes)
        parts = [
            self.store.insert(_as_int_keys(key_fn(X[i : i + block])))
            for i in range(0, len(X), block)
        ]
        return np.concatenate(parts) if parts else np.empty((0, self.n_tables), dtype=np.int64)

    def _codes_to_insert(self, key_fn, X, block):
        """Codes of ``key_fn(X)``, widening the ranges first if needed; None if now rows."""
        if self.radix is None and len(X):
            self._widen(*self._key_range(key_fn, X, block))
        if self.mode != "codes":
            return None
        codes = self._encode_blocks(key_fn, X, block)
        outside = np.flatnonzero((codes < 0).any(axis=1))
        if outside.size:  # keys beyond the known ranges: widen, then encode again
            self._widen(*self._key_range(key_fn, X[outside], block))
            if self.mode != "codes":
                return None
            codes = self._encode_blocks(key_fn, X, block)
        return codes

    def compact(self) -> None:
        """Shrink a hashed code table to its codes (call when a batch of inserts ends)."""
        if self.mode == "codes":
            self.store.compact()

    def slot_tables(self) -> np.ndarray:
        """The table of every slot, ``(n_slots,)``."""
        if self.mode == "direct":
            return np.repeat(np.arange(self.n_tables), self.universe)
        if self.mode == "rows":
            return self.store.slot_rows[:, 0].copy()
        if self.radix is None:
            return np.empty(0, dtype=np.int64)
        return self.radix.tables(self.store.codes)

    def slot_keys(self) -> np.ndarray:
        """The key vector of every slot, ``(n_slots, key_width)``."""
        if self.mode == "direct":
            return np.tile(np.arange(self.universe), self.n_tables)[:, None]
        if self.mode == "rows":
            return self.store.slot_rows[:, 1:].copy()
        return self._stored_keys()[1]

    def to_arrays(self) -> dict:
        """Arrays from which :meth:`from_arrays` rebuilds the index exactly."""
        if self.mode == "direct":
            return {}
        if self.mode == "rows":
            return {"slot_rows": self.store.slot_rows}
        if self.radix is None:
            return {"codes": self.store.codes}
        return {"codes": self.store.codes, "lo": self.radix.lo, "hi": self.radix.hi}

    @classmethod
    def from_arrays(cls, n_tables, key_width, universe, arrays) -> BucketIndex:
        """Rebuild an index saved by :meth:`to_arrays`; ``ValueError`` if they do not fit."""
        index = cls(n_tables, key_width, universe)
        if index.mode == "direct":
            return index
        if "slot_rows" in arrays:
            rows = np.asarray(arrays["slot_rows"], dtype=np.int64)
            if rows.ndim != 2 or rows.shape[1] != key_width + 1:
                raise ValueError("bucket index arrays do not match the key width")
            index.mode, index.radix = "rows", None
            index.store = _RowStore.from_rows(rows)
            return index
        codes = np.asarray(arrays.get("codes", np.empty(0)), dtype=np.int64)
        if "lo" in arrays:
            lo, hi = (np.asarray(arrays[k], dtype=np.int64) for k in ("lo", "hi"))
            if lo.shape != (n_tables, key_width) or hi.shape != lo.shape:
                raise ValueError("bucket index arrays do not match the key width")
            index.radix = MixedRadix(lo, hi)
        if index.radix is None and codes.size:
            raise ValueError("bucket index arrays hold codes without their key ranges")
        index.store = CodeStore.from_codes(codes, index.radix and index.radix.universe)
        return index
