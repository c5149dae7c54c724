"""Linear probing, written once: the open-addressing table both hashed stores use.

A :class:`ProbeTable` is an int64 array of a power-of-two size whose
positions hold non-negative entries or ``-1`` (empty). An entry's probe path
starts at a caller-given position and moves one position at a time; the
load factor is kept at or below 1/2 by the stores, so paths are short (about
1.5 positions on average for a hit).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["ProbeTable", "fibonacci_start"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # 2^64 / golden ratio


def fibonacci_start(keys: np.ndarray, size: int) -> np.ndarray:
    """Start positions in a table of ``size = 2^b``: the top ``b`` bits of ``key * golden``.

    Examples
    --------
    >>> import numpy as np
    >>> fibonacci_start(np.array([0, 1, 2], dtype=np.int64), 16).tolist()
    [0, 9, 3]
    """
    shift = np.uint64(64 - (size.bit_length() - 1))
    return ((keys.view(np.uint64) * _GOLDEN) >> shift).view(np.int64)


class ProbeTable:
    """Open addressing with linear probing over non-negative int64 entries.

    Parameters
    ----------
    size : int
        A power of two.

    Examples
    --------
    >>> import numpy as np
    >>> table = ProbeTable(8)
    >>> table.claim(np.array([3, 7]), np.array([10, 12])).tolist()
    [3, 7]
    >>> table.claim(np.array([3]), np.array([11])).tolist()  # 3 is taken: 11 moves on to 4
    [4]
    >>> table.find(np.array([3, 3]), np.array([11, 99])).tolist()  # 99 ends at empty 5
    [4, 5]
    """

    def __init__(self, size: int):
        if size < 1 or size & (size - 1):
            raise ValueError(f"`size` must be a power of two. Got {size}.")
        self.entries = np.full(size, -1, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.entries)

    def find(
        self,
        start: np.ndarray,
        query: np.ndarray | None = None,
        same: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    ) -> np.ndarray:
        """For each query, the position holding it, else the empty position ending its path.

        A position matches query ``i`` when its entry equals ``query[i]`` (if
        ``query`` is given) and ``same(positions, i)`` holds (if ``same`` is
        given; it sees only occupied, entry-matching positions).
        """
        mask = len(self.entries) - 1
        pos = np.array(start, dtype=np.int64)
        pending = None  # the first round looks at every query without indexing
        while True:
            at = pos if pending is None else pos[pending]
            entry = self.entries.take(at)
            occupied = entry >= 0
            if query is None:
                hit = occupied.copy()
            else:
                hit = entry == (query if pending is None else query[pending])
            if same is not None:
                check = np.flatnonzero(hit)
                hit[check] = same(at[check], check if pending is None else pending[check])
            go = np.flatnonzero(occupied & ~hit)  # held by another entry: probe on
            if not go.size:
                return pos
            pending = go if pending is None else pending[go]
            pos[pending] = (pos[pending] + 1) & mask

    def claim(self, start: np.ndarray, owners: np.ndarray) -> np.ndarray:
        """Positions of ``owners`` (>= 0), each absent one claiming the first empty position.

        Equal owners end at one position; an owner already on its path is found there.
        """
        mask = len(self.entries) - 1
        final = np.empty(len(owners), dtype=np.int64)
        rows = np.arange(len(owners))
        pos = np.array(start, dtype=np.int64)
        while rows.size:
            free = self.entries.take(pos) < 0
            self.entries[pos[free]] = owners[rows[free]]  # one writer per position wins
            placed = self.entries.take(pos) == owners[rows]  # copies of an owner move together
            final[rows[placed]] = pos[placed]
            keep = ~placed
            rows, pos = rows[keep], (pos[keep] + 1) & mask
        return final
