"""The stores behind a bucket index: one protocol, four ways to keep slots.

Every store numbers the distinct codes it is given ``0, 1, 2, ...`` in order
of first appearance and answers look-ups with those slots (``-1`` for a code
never inserted or a negative code). They share one protocol:

``n_slots``, ``codes`` (the code of every slot), ``lookup(codes)``,
``insert(codes)``, ``compact()`` and ``from_codes(codes, universe)``.

* :class:`DirectStore` -- the codes below ``universe`` *are* the slots;
* :class:`ArrayStore` -- an int32 slot per possible code (small universes);
* :class:`HashStore` -- open addressing keyed by the code itself (exact: no
  fingerprint, codes are distinct per bucket);
* :class:`RowStore` -- "codes" are whole rows ``(table, key...)`` too wide for
  62 bits: open addressing by a fingerprint, each hit compared with the
  stored row, so a fingerprint collision never merges two buckets.
"""

from __future__ import annotations

import numpy as np

from ...model.uniform_hash import mix64
from .probing import ProbeTable, fibonacci_start

__all__ = ["ARRAY_LIMIT", "ArrayStore", "DirectStore", "HashStore", "RowStore", "store_for"]

#: Largest code universe an :class:`ArrayStore` addresses (an int32 array of this length).
ARRAY_LIMIT = 1 << 24


def _number_first_appearances(slot_of: np.ndarray, where: np.ndarray, n_slots: int):
    """Give the empty (-1) places ``where`` of ``slot_of`` slots ``n_slots, n_slots+1, ...``.

    Places repeat where a code repeats; each distinct place gets one slot,
    numbered in the order of its first occurrence in ``where``: the smallest
    mark of a place is written by an unbuffered minimum, which does not depend
    on the order numpy applies repeated indices in. Returns the indices (into
    ``where``) of the first occurrences.
    """
    mark = np.arange(len(where), dtype=slot_of.dtype) - (len(where) + 1)  # all below -1
    np.minimum.at(slot_of, where, mark)
    first = np.flatnonzero(slot_of.take(where) == mark)
    slot_of[where[first]] = n_slots + np.arange(first.size, dtype=slot_of.dtype)
    return first


class DirectStore:
    """Every code ``0 .. universe - 1`` is its own slot: insertion is free.

    Examples
    --------
    >>> import numpy as np
    >>> DirectStore(48).insert(np.array([5, 47, -1])).tolist()
    [5, 47, -1]
    """

    def __init__(self, universe: int):
        self.n_slots = int(universe)

    @property
    def codes(self) -> np.ndarray:
        return np.arange(self.n_slots, dtype=np.int64)

    def lookup(self, codes: np.ndarray) -> np.ndarray:
        return codes

    insert = lookup

    def compact(self) -> None:
        """Nothing to shrink."""

    @classmethod
    def from_codes(cls, codes: np.ndarray, universe: int) -> DirectStore:
        return cls(universe)


class ArrayStore:
    """An int32 slot for every code below ``universe`` (at most :data:`ARRAY_LIMIT`).

    Examples
    --------
    >>> import numpy as np
    >>> store = ArrayStore(100)
    >>> store.insert(np.array([7, 3, 7])).tolist()
    [0, 1, 0]
    >>> store.lookup(np.array([3, 5, -1])).tolist()
    [1, -1, -1]
    """

    def __init__(self, universe: int):
        if universe > ARRAY_LIMIT:
            raise ValueError(f"`universe` must be at most {ARRAY_LIMIT}. Got {universe}.")
        self.codes = np.empty(0, dtype=np.int64)
        self._slot_of = np.full(universe, -1, dtype=np.int32)

    @property
    def n_slots(self) -> int:
        return len(self.codes)

    def lookup(self, codes: np.ndarray) -> np.ndarray:
        flat = codes.reshape(-1)
        if not flat.size or flat.min() >= 0:
            return self._slot_of.take(flat).astype(np.int64).reshape(codes.shape)
        valid = flat >= 0
        found = self._slot_of.take(np.where(valid, flat, 0)).astype(np.int64)
        found[~valid] = -1
        return found.reshape(codes.shape)

    def insert(self, codes: np.ndarray) -> np.ndarray:
        slots = self.lookup(codes).reshape(-1)
        flat = codes.reshape(-1)
        missing = np.flatnonzero((slots < 0) & (flat >= 0))
        if missing.size:
            where = flat[missing]
            first = _number_first_appearances(self._slot_of, where, self.n_slots)
            self.codes = np.concatenate([self.codes, where[first]])
            slots[missing] = self._slot_of.take(where)
        return slots.reshape(codes.shape)

    def compact(self) -> None:
        """Nothing to shrink: the array is as long as the universe."""

    @classmethod
    def from_codes(cls, codes: np.ndarray, universe: int) -> ArrayStore:
        store = cls(universe)
        store.codes = np.asarray(codes, dtype=np.int64)
        store._slot_of[store.codes] = np.arange(store.n_slots, dtype=np.int32)
        return store


class HashStore:
    """Open addressing keyed by the codes themselves, at load factor <= 1/2.

    A code's probe path starts at its Fibonacci hash; a position holds a code
    and, beside it, the code's slot (int32: fewer than 2^31 slots).

    Examples
    --------
    >>> import numpy as np
    >>> store = HashStore()
    >>> store.insert(np.array([7, 3, 7, 2**60])).tolist()
    [0, 1, 0, 2]
    >>> store.lookup(np.array([3, 5, -1])).tolist()
    [1, -1, -1]
    """

    def __init__(self, universe: int | None = None):  # (any code; the store protocol's argument)
        self.codes = np.empty(0, dtype=np.int64)
        self._allocate(16)

    def _allocate(self, size: int) -> None:
        self.table = ProbeTable(size)
        self._slots = np.full(size, -1, dtype=np.int32)  # less traffic than int64

    @property
    def n_slots(self) -> int:
        return len(self.codes)

    def _rebuild(self, size: int) -> None:
        self._allocate(size)
        self._slots[self.table.claim(fibonacci_start(self.codes, size), self.codes)] = np.arange(
            self.n_slots, dtype=np.int32
        )

    def lookup(self, codes: np.ndarray) -> np.ndarray:
        flat = codes.reshape(-1)
        # an empty position holds code -1 and slot -1: a negative code ends there, absent
        pos = self.table.find(fibonacci_start(flat, len(self.table)), flat)
        return self._slots.take(pos).astype(np.int64).reshape(codes.shape)

    def insert(self, codes: np.ndarray) -> np.ndarray:
        slots = self.lookup(codes).reshape(-1)
        flat = codes.reshape(-1)
        missing = np.flatnonzero((slots < 0) & (flat >= 0))
        if missing.size:
            code = flat[missing]
            needed = self.n_slots + missing.size  # at most; reserve for the whole batch
            if 2 * needed > len(self.table):
                self._rebuild(_power_of_two_at_least(2 * needed))
            where = self.table.claim(fibonacci_start(code, len(self.table)), code)
            first = _number_first_appearances(self._slots, where, self.n_slots)
            self.codes = np.concatenate([self.codes, code[first]])
            slots[missing] = self._slots.take(where)
        return slots.reshape(codes.shape)

    def compact(self) -> None:
        """Shrink the table to load 1/8 .. 1/4 (inserts reserve for whole batches).

        A table sized for a batch's worth of new codes can be far larger than
        its codes need, and a smaller one keeps look-ups in cache; but at load
        near 1/2 about 30% of look-ups need a second probe against 2% at 1/5
        (measured), so the table keeps four positions per code.
        """
        size = _power_of_two_at_least(max(16, 4 * self.n_slots))
        if size < len(self.table):
            self._rebuild(size)

    @classmethod
    def from_codes(cls, codes: np.ndarray, universe: int | None = None) -> HashStore:
        store = cls()
        store.codes = np.asarray(codes, dtype=np.int64)
        store._rebuild(_power_of_two_at_least(max(16, 2 * store.n_slots)))
        return store


def store_for(universe: int, codes: np.ndarray | None = None) -> ArrayStore | HashStore:
    """The store for codes below ``universe`` (an array when small enough, else hashed),
    empty or holding ``codes`` in slot order."""
    cls = ArrayStore if universe <= ARRAY_LIMIT else HashStore
    return cls(universe) if codes is None else cls.from_codes(codes, universe)


def _power_of_two_at_least(n: int) -> int:
    return 1 << max(0, int(n) - 1).bit_length()


def rows_of(keys: np.ndarray) -> np.ndarray:
    """(n, s, D) keys -> (n*s, D+1) rows prefixed by the table index."""
    n, s, D = keys.shape
    rows = np.empty((n, s, D + 1), dtype=np.int64)
    rows[:, :, 0] = np.arange(s)
    rows[:, :, 1:] = keys
    return rows.reshape(n * s, D + 1)


def fingerprint(rows: np.ndarray) -> np.ndarray:
    """A 63-bit hash of each row (non-negative int64)."""
    h = np.full(len(rows), 0x243F6A8885A308D3, dtype=np.uint64)
    for j in range(rows.shape[1]):
        h = mix64(h ^ rows[:, j].view(np.uint64))
    return (h >> np.uint64(1)).view(np.int64)


def _unique_rows(rows: np.ndarray, fp: np.ndarray):
    """Distinct rows in order of first appearance, their first index, and the inverse.

    Sorting fingerprints is much cheaper than sorting rows; every row is then
    compared in full with its group's representative, and the exact row sort
    is used only if two different rows share a fingerprint.
    """
    _, first, inverse = np.unique(fp, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if not (rows[first][inverse] == rows).all():  # a true fingerprint collision
        _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
    order = np.argsort(first)  # number new buckets in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rows[first[order]], first[order], rank[inverse]


class RowStore:
    """Whole rows ``(table, key...)`` by open addressing on their fingerprints.

    Positions hold slot ids; a row matches a position when the fingerprints
    agree *and* the stored row equals it, so two rows with one fingerprint
    are two slots. Its ``codes`` are the rows of the slots, ``(n_slots, D+1)``;
    look-ups take key arrays ``(n, n_tables, D)``.

    Examples
    --------
    >>> import numpy as np
    >>> store = RowStore(2)
    >>> keys = np.array([[[1, 2], [1, 2]], [[2**61, 0], [1, 2]]])
    >>> store.insert(keys).tolist()
    [[0, 1], [2, 1]]
    >>> store.codes.tolist()
    [[0, 1, 2], [1, 1, 2], [0, 2305843009213693952, 0]]
    """

    def __init__(self, key_width: int):
        self.codes = np.empty((0, key_width + 1), dtype=np.int64)
        self._fp = np.empty(0, dtype=np.int64)  # fingerprint of each slot's row
        self.table = ProbeTable(16)

    @property
    def n_slots(self) -> int:
        return len(self.codes)

    def _place(self, slots: np.ndarray) -> None:
        self.table.claim(fibonacci_start(self._fp[slots], len(self.table)), slots)

    def _find(self, rows: np.ndarray, fp: np.ndarray) -> np.ndarray:
        def same(pos, i):
            slot = self.table.entries[pos]
            match = self._fp[slot] == fp[i]
            match[match] = (self.codes[slot[match]] == rows[i[match]]).all(axis=1)
            return match

        pos = self.table.find(fibonacci_start(fp, len(self.table)), same=same)
        return self.table.entries.take(pos)  # -1 at the empty end of a path

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        rows = rows_of(keys)
        return self._find(rows, fingerprint(rows)).reshape(keys.shape[:2])

    def insert(self, keys: np.ndarray) -> np.ndarray:
        rows = rows_of(keys)
        fp = fingerprint(rows)
        slots = self._find(rows, fp)
        missing = np.flatnonzero(slots < 0)
        if missing.size:
            new_rows, first, inverse = _unique_rows(rows[missing], fp[missing])
            new_ids = self.n_slots + np.arange(len(new_rows))
            self.codes = np.concatenate([self.codes, new_rows])
            self._fp = np.concatenate([self._fp, fp[missing][first]])
            if 2 * self.n_slots > len(self.table):
                self.table = ProbeTable(_power_of_two_at_least(2 * self.n_slots))
                self._place(np.arange(self.n_slots))
            else:
                self._place(new_ids)
            slots[missing] = new_ids[inverse]
        return slots.reshape(keys.shape[:2])

    def compact(self) -> None:
        """Nothing to shrink: the table grows with the rows only."""

    @classmethod
    def from_codes(cls, rows: np.ndarray, universe: int | None = None) -> RowStore:
        store = cls(rows.shape[1] - 1)
        store.codes = np.asarray(rows, dtype=np.int64)
        store._fp = fingerprint(store.codes)
        store.table = ProbeTable(_power_of_two_at_least(max(16, 2 * store.n_slots)))
        store._place(np.arange(store.n_slots))
        return store
