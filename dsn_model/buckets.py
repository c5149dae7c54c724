"""An exact map from (table, key vector) to a compact bucket slot.

Two stores behind one interface, :class:`BucketIndex`:

* **direct address** -- when keys are packed integers below ``universe`` and
  ``n_tables * universe`` is at most :data:`DIRECT_LIMIT`, the slot of key
  ``z`` of table ``i`` is ``i * universe + z``: insertion is free and a
  look-up is one gather;
* **hash store** -- otherwise, a vectorised open-addressing table keyed by a
  64-bit fingerprint of the row ``(table, key...)``. The full key vector of
  every slot is kept and compared on look-up, so a fingerprint collision
  never merges two different cells (it only costs one more probe).

Every operation loops over probe rounds (a handful at load factor <= 1/2),
never over rows.
"""

from __future__ import annotations

import numpy as np

from .hashing import mix64

__all__ = ["DIRECT_LIMIT", "BucketIndex"]

#: Largest ``n_tables * universe`` stored by direct addressing.
DIRECT_LIMIT = 1 << 22


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


class BucketIndex:
    """Exact, growable map from ``(table, key vector)`` to slot ids ``0..n_slots-1``.

    Parameters
    ----------
    n_tables : int
    key_width : int
    universe : int or None
        Keys per table when keys are packed integers in ``[0, universe)``.

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
        self.n_tables = int(n_tables)
        self.key_width = int(key_width)
        self.direct = (
            universe is not None
            and key_width == 1
            and self.n_tables * int(universe) <= DIRECT_LIMIT
        )
        self.universe = None if universe is None else int(universe)
        if self.direct:
            self.n_slots = self.n_tables * self.universe
        else:
            self.n_slots = 0
            self.slot_rows = np.empty((0, self.key_width + 1), dtype=np.int64)
            self._fp = np.empty(0, dtype=np.uint64)
            self._table = np.full(16, -1, dtype=np.int64)
            self._table_fp = np.zeros(16, dtype=np.uint64)

    # -- direct addressing -------------------------------------------------
    def _direct_slots(self, keys):
        return keys[:, :, 0] + np.arange(self.n_tables) * self.universe

    # -- hash store ----------------------------------------------------------
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

    # -- public ----------------------------------------------------------------
    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Slots of key vectors ``(n, n_tables, key_width)``; -1 where absent."""
        n = keys.shape[0]
        if self.direct:
            inside = (keys[:, :, 0] >= 0) & (keys[:, :, 0] < self.universe)
            return np.where(inside, self._direct_slots(keys), -1)
        rows = _rows(keys)
        return self._probe(rows, _fingerprint(rows)).reshape(n, self.n_tables)

    def insert(self, keys: np.ndarray) -> np.ndarray:
        """Add the absent keys and return the slots of all, ``(n, n_tables)``."""
        n = keys.shape[0]
        if self.direct:
            return self._direct_slots(keys)
        rows = _rows(keys)
        fp = _fingerprint(rows)
        slots = self._probe(rows, fp)
        missing = np.flatnonzero(slots < 0)
        if missing.size:
            new_rows, first, inverse = _unique_rows(rows[missing], fp[missing])
            new_ids = self.n_slots + np.arange(len(new_rows))
            self.slot_rows = np.concatenate([self.slot_rows, new_rows])
            self._fp = np.concatenate([self._fp, fp[missing][first]])
            self.n_slots += len(new_rows)
            if not self._grow(self.n_slots):
                self._place(new_ids)
            slots[missing] = new_ids[inverse.reshape(-1)]
        return slots.reshape(n, self.n_tables)

    def slot_tables(self) -> np.ndarray:
        """The table of every slot, ``(n_slots,)``."""
        if self.direct:
            return np.repeat(np.arange(self.n_tables), self.universe)
        return self.slot_rows[:, 0].copy()

    def slot_keys(self) -> np.ndarray:
        """The key vector of every slot, ``(n_slots, key_width)``."""
        if self.direct:
            return np.tile(np.arange(self.universe), self.n_tables)[:, None]
        return self.slot_rows[:, 1:].copy()

    def to_arrays(self) -> dict:
        """Arrays from which :meth:`from_arrays` rebuilds the index exactly."""
        if self.direct:
            return {}
        return {"slot_rows": self.slot_rows}

    @classmethod
    def from_arrays(cls, n_tables, key_width, universe, arrays) -> BucketIndex:
        index = cls(n_tables, key_width, universe)
        if not index.direct:
            rows = np.asarray(arrays["slot_rows"], dtype=np.int64)
            if rows.ndim != 2 or rows.shape[1] != key_width + 1:
                raise ValueError("bucket index arrays do not match the key width")
            index.slot_rows = rows
            index._fp = _fingerprint(rows)
            index.n_slots = len(rows)
            if not index._grow(index.n_slots):
                index._place(np.arange(index.n_slots))
        return index
