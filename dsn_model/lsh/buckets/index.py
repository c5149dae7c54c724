"""The bucket index: a coding of key vectors into codes, and a store of slots.

:class:`BucketIndex` numbers the distinct ``(table, key vector)`` pairs it has
seen ``0, 1, 2, ...`` in order of first appearance and answers look-ups with
those slot numbers (``-1`` for a key never inserted). It holds a *coding*
(keys to codes and back) and a *store* (codes to slots), chosen by the keys'
range:

* keys packed below a known ``universe`` with ``n_tables * universe <=``
  :data:`DIRECT_LIMIT`: :class:`TableOffsets` and a
  :class:`~.stores.DirectStore` (the slot of key ``z`` of table ``i`` is
  ``i * universe + z``);
* keys whose every coordinate lies in a known integer range (fixed, or
  learned from the inserted keys and widened, with slack, when a new key
  falls outside it): :class:`~.codes.MixedRadix` codes in an
  :class:`~.stores.ArrayStore` or :class:`~.stores.HashStore`. Widening
  renumbers nothing: the stored codes are unpacked and packed again;
* keys too wide for 62 bits: whole rows in a :class:`~.stores.RowStore`.

:meth:`BucketIndex.lookup_batch` and :meth:`BucketIndex.insert_batch` take a
key function and compute keys one cache-sized block at a time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .codes import CODE_LIMIT, MixedRadix, fold
from .stores import ARRAY_LIMIT, DirectStore, HashStore, RowStore, store_for

__all__ = ["DIRECT_LIMIT", "BucketIndex", "TableOffsets"]

#: Largest ``n_tables * universe`` stored by direct addressing.
DIRECT_LIMIT = 1 << 22

_OVERFLOW = "Bucket keys overflow 62 bits: the slab `width` is too small for inputs of this size."


class TableOffsets:
    """Codes ``i * universe + z`` of keys ``z`` in ``[0, universe)`` of table ``i``.

    Examples
    --------
    >>> import numpy as np
    >>> TableOffsets(3, 16).pack(np.array([[[5], [0], [16]]])).tolist()
    [[5, 16, -1]]
    """

    def __init__(self, n_tables: int, universe: int):
        self.n_tables, self.universe = n_tables, universe

    def pack(self, keys: np.ndarray) -> np.ndarray:
        z = keys[:, :, 0]
        offsets = np.arange(self.n_tables) * self.universe
        codes = np.add(z, offsets, dtype=np.int64, casting="unsafe")  # one pass, no copy of z
        if z.dtype.kind == "u" and 2 ** (8 * z.dtype.itemsize) <= self.universe:
            return codes  # the key's width alone keeps it in range
        inside = (z >= 0) & (z < self.universe)
        return codes if inside.all() else np.where(inside, codes, -1)

    def tables(self, codes: np.ndarray) -> np.ndarray:
        return codes // self.universe

    def unpack(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return codes // self.universe, (codes % self.universe)[:, None]


class FullRows:
    """The identity coding of :class:`~.stores.RowStore`: codes are ``(table, key...)`` rows."""

    def pack(self, keys: np.ndarray) -> np.ndarray:
        if keys.dtype.kind != "f":
            return keys.astype(np.int64, copy=False)
        if len(keys) and not np.abs(keys).max() < 2.0**62:
            raise ValueError(_OVERFLOW)
        return keys.astype(np.int64)

    def tables(self, rows: np.ndarray) -> np.ndarray:
        return rows[:, 0].copy()

    def unpack(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return rows[:, 0].copy(), rows[:, 1:].copy()


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

    Attributes
    ----------
    coding : TableOffsets, MixedRadix, FullRows or None
        Keys to codes (None until a learning index sees its first key).
    store : DirectStore, ArrayStore, HashStore or RowStore
        Codes to slots.

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
        self.learns_ranges = universe is None
        if universe is None:
            self.coding, self.store = None, HashStore()  # ranges learned on the first insert
        elif key_width == 1 and s * self.universe <= DIRECT_LIMIT:
            self.coding = TableOffsets(s, self.universe)
            self.store = DirectStore(s * self.universe)
        elif key_width == 1 and s * self.universe < CODE_LIMIT:
            self.coding = MixedRadix(np.zeros((s, 1)), np.full((s, 1), self.universe - 1))
            self.store = store_for(self.coding.universe)
        else:
            self.coding, self.store = FullRows(), RowStore(self.key_width)

    @property
    def n_slots(self) -> int:
        return self.store.n_slots

    def _pack(self, keys: np.ndarray) -> np.ndarray:
        if self.coding is None:
            return np.full(keys.shape[:2], -1, dtype=np.int64)
        return self.coding.pack(keys)

    def _widen(self, lo: np.ndarray, hi: np.ndarray) -> None:
        """Cover key ranges ``lo .. hi`` too: repack the stored codes, or move to rows.

        The new ranges get slack (a quarter of their width each side, or one,
        or none: the most that keeps codes directly addressable, else packable
        by float64 sums), so that a stream of chunks rarely needs another repack.
        """
        if not (np.abs(lo).max() < 2.0**61 and np.abs(hi).max() < 2.0**61):
            raise ValueError(_OVERFLOW)
        lo, hi = lo.astype(np.int64), hi.astype(np.int64)
        if self.coding is not None:
            lo, hi = np.minimum(lo, self.coding.lo), np.maximum(hi, self.coding.hi)
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
            self.coding = (direct or exact or fitting)[0]
            codes = self.coding.encode(old_tables, old_keys)
            self.store = store_for(self.coding.universe, codes)
        else:
            self.coding = FullRows()
            self.store = RowStore.from_codes(np.column_stack([old_tables, old_keys]))

    def _stored_keys(self) -> tuple[np.ndarray, np.ndarray]:
        if self.coding is None or self.store.n_slots == 0:
            return np.empty(0, dtype=np.int64), np.empty((0, self.key_width), dtype=np.int64)
        return self.coding.unpack(self.store.codes)

    @staticmethod
    def _blocks(X: np.ndarray, block: int):
        return (slice(start, start + block) for start in range(0, len(X), block))

    def _key_range(self, key_fn: Callable, X: np.ndarray, block: int):
        lo = hi = None
        for rows in self._blocks(X, block):
            K = key_fn(X[rows])
            klo, khi = fold(K, np.minimum), fold(K, np.maximum)
            lo = klo if lo is None else np.minimum(lo, klo)
            hi = khi if hi is None else np.maximum(hi, khi)
        return lo, hi

    def _pack_blocks(self, key_fn: Callable, X: np.ndarray, block: int) -> np.ndarray:
        codes = np.empty((len(X), self.n_tables), dtype=np.int64)
        for rows in self._blocks(X, block):
            codes[rows] = self._pack(key_fn(X[rows]))
        return codes

    def _codes_to_insert(self, key_fn: Callable, X: np.ndarray, block: int):
        """Codes of ``key_fn(X)``, after widening a learning index's ranges to cover them.

        A first batch sets the ranges from all its keys; keys beyond them
        later widen the ranges once per batch. ``None`` if the index moved to rows.
        """
        if self.coding is None and len(X):
            self._widen(*self._key_range(key_fn, X, block))
        if isinstance(self.coding, FullRows):
            return None
        codes = self._pack_blocks(key_fn, X, block)
        if self.learns_ranges:
            outside = np.flatnonzero((codes < 0).any(axis=1))
            if outside.size:  # keys beyond the known ranges: widen, then pack again
                self._widen(*self._key_range(key_fn, X[outside], block))
                if isinstance(self.coding, FullRows):
                    return None
                codes = self._pack_blocks(key_fn, X, block)
        return codes

    # -- public -------------------------------------------------------------------
    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Slots of key vectors ``(n, n_tables, key_width)``; -1 where absent."""
        return self.store.lookup(self._pack(keys))

    def insert(self, keys: np.ndarray) -> np.ndarray:
        """Add the absent keys and return the slots of all, ``(n, n_tables)``."""
        return self.insert_batch(lambda K: K, keys, max(1, len(keys)))

    def lookup_batch(self, key_fn: Callable, X: np.ndarray, block: int) -> np.ndarray:
        """:meth:`lookup` of ``key_fn(X)``, computing keys ``block`` rows at a time.

        Only the ``(n, n_tables)`` codes are kept, never the key vectors of
        the whole batch: a block's keys stay in cache while they are packed.
        """
        if isinstance(self.coding, FullRows):
            return self._rows_blockwise(self.store.lookup, key_fn, X, block)
        return self.store.lookup(self._pack_blocks(key_fn, X, block))

    def insert_batch(self, key_fn: Callable, X: np.ndarray, block: int) -> np.ndarray:
        """:meth:`insert` of ``key_fn(X)``, computing keys ``block`` rows at a time."""
        codes = self._codes_to_insert(key_fn, X, block)
        if codes is None:
            return self._rows_blockwise(self.store.insert, key_fn, X, block)
        return self.store.insert(codes)

    def insert_batch_by_table(
        self, key_fn: Callable, X: np.ndarray, block: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`insert_batch` as ``(local, offsets)``: the slots are ``local + offsets``.

        A directly addressed index returns the keys themselves, in their own
        (often 8- or 16-bit) integer type, with each table's offset
        ``i * universe``: no ``(n, n_tables)`` int64 array is written, which is
        most of the cost of indexing when hashing is fast. Any other index returns
        its slots and zero offsets. The accumulating kernels take the pair.

        Examples
        --------
        >>> import numpy as np
        >>> index = BucketIndex(2, 1, universe=8)
        >>> local, offsets = index.insert_batch_by_table(
        ...     lambda K: K, np.array([[[3], [5]]], dtype=np.uint8), 1
        ... )
        >>> local.tolist(), offsets.tolist(), (local + offsets).tolist()
        ([[3, 5]], [0, 8], [[3, 13]])
        """
        if not isinstance(self.store, DirectStore):
            return self.insert_batch(key_fn, X, block), np.zeros(self.n_tables, dtype=np.int64)
        offsets = np.arange(self.n_tables, dtype=np.int64) * self.universe
        local = None
        for rows in self._blocks(X, block):
            keys = key_fn(X[rows])[:, :, 0]
            if keys.dtype.kind not in "ui":  # integral floats: as TableOffsets.pack reads them
                keys = keys.astype(np.int64)
            wide = keys.dtype.kind == "i" or 2 ** (8 * keys.dtype.itemsize) > self.universe
            if wide and keys.size and not (keys.min() >= 0 and keys.max() < self.universe):
                raise ValueError(f"Bucket keys must lie in [0, {self.universe}).")
            if local is None:
                local = np.empty((len(X), self.n_tables), dtype=keys.dtype)
            local[rows] = keys
        if local is None:
            local = np.empty((0, self.n_tables), dtype=np.int64)
        return local, offsets

    def _rows_blockwise(self, operation: Callable, key_fn: Callable, X, block) -> np.ndarray:
        slots = np.empty((len(X), self.n_tables), dtype=np.int64)
        for rows in self._blocks(X, block):
            slots[rows] = operation(self.coding.pack(key_fn(X[rows])))
        return slots

    def compact(self) -> None:
        """Shrink a hashed store to its codes (call when a batch of inserts ends)."""
        self.store.compact()

    def slot_tables(self) -> np.ndarray:
        """The table of every slot, ``(n_slots,)``."""
        if self.coding is None:
            return np.empty(0, dtype=np.int64)
        return self.coding.tables(self.store.codes)

    def count_by_table(self, mask: np.ndarray) -> np.ndarray:
        """How many slots of each table ``mask`` (a bool per slot) marks, ``(n_tables,)``.

        Examples
        --------
        >>> import numpy as np
        >>> index = BucketIndex(2, 1, universe=3)
        >>> index.count_by_table(np.array([True, False, True, False, False, True])).tolist()
        [2, 1]
        """
        if isinstance(self.store, DirectStore):  # table i holds slots i * universe + [0, universe)
            return np.count_nonzero(mask.reshape(self.n_tables, -1), axis=1)
        return np.bincount(self.slot_tables()[mask], minlength=self.n_tables)

    def slot_keys(self) -> np.ndarray:
        """The key vector of every slot, ``(n_slots, key_width)``."""
        return self._stored_keys()[1]

    def to_arrays(self) -> dict:
        """Arrays from which :meth:`from_arrays` rebuilds the index exactly."""
        if isinstance(self.store, DirectStore):
            return {}
        if isinstance(self.coding, FullRows):
            return {"slot_rows": self.store.codes}
        if self.coding is None:
            return {"codes": self.store.codes}
        return {"codes": self.store.codes, "lo": self.coding.lo, "hi": self.coding.hi}

    @classmethod
    def from_arrays(cls, n_tables, key_width, universe, arrays) -> BucketIndex:
        """Rebuild an index saved by :meth:`to_arrays`; ``ValueError`` if they do not fit."""
        index = cls(n_tables, key_width, universe)
        if isinstance(index.store, DirectStore):
            return index
        if "slot_rows" in arrays:
            rows = np.asarray(arrays["slot_rows"], dtype=np.int64)
            if rows.ndim != 2 or rows.shape[1] != key_width + 1:
                raise ValueError("bucket index arrays do not match the key width")
            index.coding, index.store = FullRows(), RowStore.from_codes(rows)
            return index
        codes = np.asarray(arrays.get("codes", np.empty(0)), dtype=np.int64)
        if "lo" in arrays:
            lo, hi = (np.asarray(arrays[k], dtype=np.int64) for k in ("lo", "hi"))
            if lo.shape != (n_tables, key_width) or hi.shape != lo.shape:
                raise ValueError("bucket index arrays do not match the key width")
            index.coding = MixedRadix(lo, hi)
        if index.coding is None and codes.size:
            raise ValueError("bucket index arrays hold codes without their key ranges")
        if index.coding is not None:
            index.store = store_for(index.coding.universe, codes)
        return index
