"""Seeded, vectorised 64-bit hashing of float inputs (no locality at all).

This is the uniform hash of hash layers (Roller et al. 2021): the input's
binary64 bit pattern goes through the SplitMix64 finaliser, so two inputs that
differ in one bit land on unrelated values. The paper uses it as the
counter-example to locality-sensitive routing.
"""

from __future__ import annotations

import numpy as np

from .._kernels import floyd_samples, hash_float_rows

__all__ = ["chain_start", "hash_rows", "mix64", "sample_distinct"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser applied elementwise to a ``uint64`` array.

    Examples
    --------
    >>> import numpy as np
    >>> hex(int(mix64(np.array([1], dtype=np.uint64))[0]))
    '0x5692161d100b05e5'
    """
    z = np.asarray(z, dtype=np.uint64)
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def hash_rows(X: np.ndarray, seed: int) -> np.ndarray:
    """One ``uint64`` hash per row of a float64 array, keyed by ``seed``.

    ``-0.0`` and ``0.0`` hash alike; every other difference in any bit of any
    coordinate changes the hash (up to 64-bit collisions): ``h <- mix64(h +
    golden + bits_j)`` over the columns, from ``mix64(seed)``, in one compiled
    pass over the array.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.5, 1.0], [0.5, 1.0], [0.5, np.nextafter(1.0, 2.0)]])
    >>> h = hash_rows(X, seed=7)
    >>> bool(h[0] == h[1]), bool(h[0] == h[2])
    (True, False)
    """
    bits = np.ascontiguousarray(X, dtype=np.float64) + 0.0  # -0.0 -> 0.0
    bits = bits.view(np.uint64)
    return hash_float_rows(bits, chain_start(seed))


def chain_start(seed: int) -> np.uint64:
    """Where :func:`hash_rows`' chain starts for ``seed``: ``mix64(seed)``.

    Examples
    --------
    >>> hex(int(chain_start(1)))
    '0x5692161d100b05e5'
    """
    return mix64(np.array([seed], dtype=np.uint64))[0]


def sample_distinct(h: np.ndarray, n_items: int, size: int) -> np.ndarray:
    """``size`` distinct indices in ``[0, n_items)`` per hash, uniformly.

    Robert Floyd's algorithm, for each row: for ``j`` from
    ``n_items - size`` to ``n_items - 1`` pick ``r`` uniform in ``[0, j]`` from a
    fresh 64-bit stream of the row's hash and keep ``r`` unless already chosen,
    otherwise ``j``. Every ``size``-subset is equally likely (up to the
    ``n_items / 2^64`` bias of the modulus). Compiled
    (:func:`~dsn_model._kernels.floyd_samples`): ``O(size)`` per row, with a
    flag per item (up to ``2^22`` items) answering "already chosen?".

    Returns an int64 array of shape ``(len(h), size)``.

    Examples
    --------
    >>> import numpy as np
    >>> units = sample_distinct(np.arange(5, dtype=np.uint64), 10, 4)
    >>> units.shape, all(len(set(r)) == 4 for r in units.tolist())
    ((5, 4), True)
    """
    return floyd_samples(h, n_items, size)
