"""Locality-sensitive hash families, vectorised over a batch and seeded.

Each family hashes ``X (n, d)`` with ``n_tables`` independent tables at once
and returns integer **key vectors** ``(n, n_tables, key_width)``: two inputs
share a bucket of table ``i`` exactly when their key vectors of table ``i``
are equal. Bounded families also pack a key into one integer below
``universe`` (the number of buckets per table).

* :class:`HyperplaneLSH` -- sign patterns of ``m`` hyperplanes (Charikar 2002,
  docs/theory.md), ``2^m`` buckets per table, ``m <= 64``, packed bit ``j`` = hash
  ``j`` (the bucket index ``idx(z)`` of docs/theory.md).
* :class:`EuclideanLSH` -- ``floor((<a, x> + b) / width)`` (Datar et al. 2004);
  keys are the integer vectors themselves, so two different cells never
  share a bucket (no fingerprinting here; see :mod:`dsn_model.lsh.buckets`).
* :class:`CrossPolytopeLSH` -- random rotation, signed index of the largest
  coordinate (Andoni et al. 2015), ``(2d)^m`` buckets per table.

Every family exposes its cell geometry: :meth:`LSHFamily.halfspaces` returns
``(G, h)`` with the cell of a key equal to ``{x : G x <= h}`` (up to which side
of a boundary the floor/sign/argmax assigns), which is what a certificate of
cell diameters needs. :meth:`LSHFamily.probes` lists the neighbouring keys of a
batch, nearest first, for multi-probe look-ups.
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod

import numpy as np
from numpy.typing import ArrayLike

from .._kernels import (
    cross_polytope_codes,
    hyperplane_bits,
    hyperplane_screen,
    slab_floors,
    slab_screen,
)
from .._validation import as_rng, check_batch, check_positive_float, check_positive_int

__all__ = [
    "FAMILIES",
    "CrossPolytopeLSH",
    "EuclideanLSH",
    "HyperplaneLSH",
    "LSHFamily",
    "family_from_state",
    "slab_halfspaces",
]

# Bytes of projections per hashing block: larger blocks cut the per-call overhead (about
# ten numpy calls a block). Measured at n = 1e6, s = 16, m = 16: 1 MiB blocks fit 1.1x and
# predict 1.15x faster than 256 KiB ones, and 4 MiB ones gain no more. (The allocator maps
# the first few temporaries of a new size fresh from the OS; later ones reuse memory.)
_BLOCK_BYTES = 1 << 20
#: Precisions of the hash projections.
DTYPES = ("float64", "float32")


def _check_dtype(hash_dtype, dtype=None) -> str:
    """``hash_dtype``, or the deprecated keyword ``dtype`` (with a warning), checked."""
    if dtype is not None:
        warnings.warn(
            "`dtype` is now called `hash_dtype`; `dtype` will be removed.",
            DeprecationWarning,
            stacklevel=3,
        )
        hash_dtype = dtype
    if str(hash_dtype) not in DTYPES:
        raise ValueError(f"`hash_dtype` must be one of {DTYPES}. Got {hash_dtype!r}.")
    return str(hash_dtype)


class LSHFamily(ABC):
    """Base class: ``n_tables`` independent tables over ``R^input_dim``.

    Attributes
    ----------
    input_dim : int
    n_tables : int
        ``s``.
    key_width : int
        Integers per key vector.
    universe : int or None
        Buckets per table when keys are packed into one integer in
        ``[0, universe)``; ``None`` for unbounded keys.
    hash_dtype : {"float64", "float32"}
        Precision of the hash projections (the name ``LSHRegressor`` uses too).
        ``float32`` hashes about twice as fast. :class:`HyperplaneLSH` decides every bit
        as the fixed-order float64 sum does (the product settles the bits outside its
        rounding band), so its keys do not depend on the precision or the batch; nor do
        the floors of :class:`EuclideanLSH` or the codes of :class:`CrossPolytopeLSH`.
        All agree with exact arithmetic (cells equal :meth:`halfspaces`) up to float64
        rounding at the boundaries.
    """

    input_dim: int
    n_tables: int
    key_width: int
    universe: int | None
    hash_dtype: str = "float64"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(input_dim={self.input_dim}, n_hashes={self.n_hashes}, "
            f"n_tables={self.n_tables})"
        )

    def keys(self, X: ArrayLike) -> np.ndarray:
        """Key vectors of a batch: int64 array ``(n, n_tables, key_width)``."""
        X = check_batch(X, self.input_dim)
        out = np.empty((len(X), self.n_tables, self.key_width), dtype=np.int64)
        step = self.block_rows()
        for start in range(0, len(X), step):
            out[start : start + step] = self._keys(X[start : start + step])
        return out

    def block_rows(self) -> int:
        """Rows per hashing block: the block's projections take about 1 MiB."""
        row_bytes = self.projection_matrix().shape[0] * np.dtype(self.hash_dtype).itemsize
        return max(64, _BLOCK_BYTES // row_bytes)

    def index_keys(self, X: np.ndarray) -> np.ndarray:
        """Keys of a validated block as :class:`~dsn_model.lsh.buckets.BucketIndex` takes them.

        Integral values of any dtype (floors stay float: no conversion pass).
        """
        return self._keys(X)

    def probes(self, X: ArrayLike, n_probes: int) -> np.ndarray:
        """The ``n_probes`` nearest other keys, ``(n, n_tables, n_probes, key_width)``.

        Ordered by the distance from ``x`` to the boundary that separates the
        two cells (the least confident hash flips first).
        """
        X = check_batch(X, self.input_dim)
        n_probes = check_positive_int(n_probes, "n_probes")
        return self._probes(X, n_probes)

    def halfspaces(self, table: int, key: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """The cell of ``key`` in ``table`` as ``{x : G x <= h}``: returns ``(G, h)``."""
        table = check_positive_int(table, "table", minimum=0)
        if table >= self.n_tables:
            raise ValueError(f"`table` must be < n_tables={self.n_tables}. Got {table}.")
        key = np.asarray(key, dtype=np.int64).reshape(-1)
        if key.shape != (self.key_width,):
            raise ValueError(f"`key` must hold {self.key_width} integers. Got {key.shape}.")
        return self._halfspaces(table, key)

    @abstractmethod
    def _keys(self, X: np.ndarray) -> np.ndarray:
        """Key vectors of a validated chunk (integers of any width)."""

    @abstractmethod
    def _probes(self, X: np.ndarray, n_probes: int) -> np.ndarray:
        """Neighbouring keys of a validated batch, nearest first."""

    @abstractmethod
    def _halfspaces(self, table: int, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(G, h)`` of a validated key."""

    @abstractmethod
    def projection_matrix(self) -> np.ndarray:
        """The matrix whose product with ``x`` every hash needs (routing cost)."""

    #: Attributes that define a drawn family (saved and restored exactly).
    _state: tuple[str, ...] = ()

    def get_state(self) -> dict:
        """The family as a dict of numbers and arrays (see :func:`family_from_state`)."""
        state = {name: getattr(self, name) for name in self._state}
        state["name"] = type(self).__name__
        return state


class HyperplaneLSH(LSHFamily):
    """Sign patterns of ``m`` random hyperplanes per table, ``2^m`` buckets.

    ``h_j(x) = [<a_j, x> + b_j >= 0]`` with ``a_j ~ N(0, I_d)`` and
    ``b_j ~ U[-offset, offset]``. Bit ``j`` of the packed key is ``h_j``.

    Which one approximates: with ``offset=0`` (Charikar) every hyperplane
    passes through the origin, so every bucket is a cone containing 0 and no
    number of hyperplanes makes buckets small -- a constant per bucket then
    errs by at least ``sup f - f(0)`` over half a bucket (docs/theory.md, "Sections 2 and 3").
    Offsets move the hyperplanes off the origin so that cells shrink as ``m``
    grows; choose ``offset`` on the scale of ``||x||`` of the data (the
    default 1 suits ``[-1, 1]^d`` at small d).

    Parameters
    ----------
    input_dim : int
    n_hashes : int
        ``m``, hyperplanes per table, ``1 <= m <= 64``.
    n_tables : int, default=1
    offset : float, default=1.0
        Half-width of the offsets' range; 0 gives Charikar's family.
    random_state : None, int or Generator
    hash_dtype : {"float64", "float32"}, default="float64"
        Precision of the projections (see :class:`LSHFamily`).

    Examples
    --------
    >>> import numpy as np
    >>> lsh = HyperplaneLSH(2, n_hashes=3, n_tables=2, random_state=0)
    >>> lsh.keys([[0.5, -0.25]]).shape, lsh.universe
    ((1, 2, 1), 8)
    >>> G, h = lsh.halfspaces(0, lsh.keys([[0.5, -0.25]])[0, 0])
    >>> bool(np.all(G @ [0.5, -0.25] <= h))
    True
    """

    _state = ("input_dim", "n_hashes", "n_tables", "offset", "hash_dtype", "directions", "offsets")

    def __init__(
        self,
        input_dim: int,
        n_hashes: int,
        n_tables: int = 1,
        offset: float = 1.0,
        random_state=None,
        hash_dtype: str = "float64",
        *,
        dtype: str | None = None,
    ):
        self.input_dim = check_positive_int(input_dim, "input_dim")
        self.n_hashes = check_positive_int(n_hashes, "n_hashes")
        if self.n_hashes > 64:
            raise ValueError(
                f"`n_hashes` must be <= 64 (the key width in bits) for hyperplane LSH. "
                f"Got {n_hashes}."
            )
        self.n_tables = check_positive_int(n_tables, "n_tables")
        if offset != 0:
            offset = check_positive_float(offset, "offset")
        self.offset = float(offset)
        self.hash_dtype = _check_dtype(hash_dtype, dtype)
        rng = as_rng(random_state)
        rows = self.n_tables * self.n_hashes
        self.directions = rng.standard_normal((rows, self.input_dim))
        self.offsets = rng.uniform(-self.offset, self.offset, size=rows)
        self.key_width = 1
        self.universe = 2**self.n_hashes

    def projections(self, X: np.ndarray) -> np.ndarray:
        """``<a_j, x> + b_j`` for every table and hash: ``(n, n_tables, m)``."""
        P = X @ self.directions.T
        P += self.offsets
        return P.reshape(len(X), self.n_tables, self.n_hashes)

    def _bytes_to_keys(self, packed: np.ndarray, n: int) -> np.ndarray:
        n_bytes = (self.n_hashes + 7) // 8
        if n_bytes == 8:
            return packed.view("<i8").reshape(n, self.n_tables, 1)
        if n_bytes in (1, 2, 4):  # a little-endian view: no byte shuffling, no widening
            return packed.view(f"<u{n_bytes}").reshape(n, self.n_tables, 1)
        # 3, 5, 6 or 7 bytes: little-endian digits, summed in the narrowest container
        digits = packed.reshape(n, self.n_tables, n_bytes, 1)
        dtype = np.uint32 if n_bytes == 3 else np.uint64
        keys = digits[:, :, 0].astype(dtype)
        for b in range(1, n_bytes):
            keys |= digits[:, :, b].astype(dtype) << dtype(8 * b)
        return keys

    def _padded(self):
        """The hyperplanes padded to whole bytes per table (pad bits: ``0 . x >= 1``, never
        set): the hashing matrix ``(d, columns)`` in the family's precision, and the
        :func:`~dsn_model._kernels.hyperplane_screen` that decides the bits from it."""
        if not hasattr(self, "_pad_cache"):
            m, width = self.n_hashes, 8 * ((self.n_hashes + 7) // 8)
            A = np.zeros((self.n_tables, width, self.input_dim))
            b = np.full((self.n_tables, width), -1.0)
            A[:, :m] = self.directions.reshape(self.n_tables, m, -1)
            b[:, :m] = self.offsets.reshape(self.n_tables, m)
            A, b = A.reshape(-1, self.input_dim), b.reshape(-1)
            W = np.ascontiguousarray(A.T, dtype=self.hash_dtype)
            self._pad_cache = (W, hyperplane_screen(A, b, self.hash_dtype))
        return self._pad_cache

    def _keys(self, X):
        W, screen = self._padded()
        # bit j is [a_j . x >= -b_j] as one fixed-order float64 sum decides it: the fast
        # product settles every bit outside its rounding band, the rest are recomputed
        packed = hyperplane_bits(X.astype(self.hash_dtype, copy=False) @ W, X, screen, packed=True)
        return self._bytes_to_keys(packed, len(X))

    def _probes(self, X, n_probes):
        P = self.projections(X)
        n_probes = min(n_probes, self.n_hashes)
        order = np.argsort(np.abs(P), axis=2, kind="stable")[:, :, :n_probes]
        base = self._keys(X)[..., 0].astype(np.uint64)  # the keys' own precision
        flips = np.left_shift(np.uint64(1), order.astype(np.uint64))
        return (base[:, :, None] ^ flips).view(np.int64)[..., None]

    def _halfspaces(self, table, key):
        rows = slice(table * self.n_hashes, (table + 1) * self.n_hashes)
        A, b = self.directions[rows], self.offsets[rows]
        packed = int(key[0]) & ((1 << 64) - 1)
        bits = np.array([(packed >> j) & 1 for j in range(self.n_hashes)])
        sign = np.where(bits == 1, -1.0, 1.0)  # bit 1: a.x + b >= 0  <=>  -a.x <= b
        return sign[:, None] * A, -sign * b

    def projection_matrix(self):
        return self.directions


class EuclideanLSH(LSHFamily):
    """p-stable LSH (Datar et al. 2004): ``h_i(x) = floor((<a_i, x> + b_i) / width)``.

    ``a_i ~ N(0, I_d)``, ``b_i ~ U[0, width)``. A key is the vector of the
    ``n_hashes`` integers of a table; each cell is an intersection of slabs
    ``n_i width <= <a_i, x> + b_i < (n_i + 1) width`` (docs/theory.md).
    Keys are exact integer vectors: distinct cells never share a bucket. Each
    floor is that of ``sum_k (a_ik / width) x_k + b_i / width`` summed in float64
    in the order ``k = 0, 1, ...``: the fast product settles the floors outside
    its rounding band, the rest are recomputed, so keys do not depend on the
    precision or on a row's place in its batch.

    Parameters
    ----------
    input_dim : int
    n_hashes : int
        ``D``, directions per table (Lemma 4.2 uses ``C k``).
    width : float
        The slab width (the paper's epsilon inside ``h_i``; ``w`` in docs/theory.md).
    n_tables : int, default=1
    random_state : None, int or Generator
    hash_dtype : {"float64", "float32"}, default="float64"
        Precision of the projections (see :class:`LSHFamily`); ``float32``
        needs ``|u| < 2^23`` (checked), beyond which it cannot tell slabs apart.

    Examples
    --------
    >>> lsh = EuclideanLSH(3, n_hashes=4, width=0.5, random_state=0)
    >>> lsh.keys([[0.1, 0.2, 0.3]]).shape
    (1, 1, 4)
    """

    _state = ("input_dim", "n_hashes", "n_tables", "width", "hash_dtype", "directions", "offsets")

    universe = None

    def __init__(
        self,
        input_dim: int,
        n_hashes: int,
        width: float,
        n_tables: int = 1,
        random_state=None,
        hash_dtype: str = "float64",
        *,
        dtype: str | None = None,
    ):
        self.input_dim = check_positive_int(input_dim, "input_dim")
        self.n_hashes = check_positive_int(n_hashes, "n_hashes")
        self.width = check_positive_float(width, "width")
        self.n_tables = check_positive_int(n_tables, "n_tables")
        self.hash_dtype = _check_dtype(hash_dtype, dtype)
        rng = as_rng(random_state)
        rows = self.n_tables * self.n_hashes
        self.directions = rng.standard_normal((rows, self.input_dim))
        self.offsets = rng.uniform(0.0, self.width, size=rows)
        self.key_width = self.n_hashes

    def _scaled_directions(self):
        """``[(A / width)^T; b / width]`` in the family's precision, the bound on ``|u|`` per
        unit of ``||x||_inf``, and the :func:`~dsn_model._kernels.slab_screen` that decides
        the floors (cached)."""
        if not hasattr(self, "_scale_cache"):
            W = np.vstack([self.directions.T, self.offsets]) / self.width
            reach = float(np.abs(self.directions).sum(axis=1).max() / self.width + 1.0)
            self._scale_cache = (
                np.ascontiguousarray(W, dtype=self.hash_dtype),
                reach,
                slab_screen(W, self.hash_dtype),
            )
        return self._scale_cache

    def scaled(self, X: np.ndarray) -> np.ndarray:
        """``u = <a_i, x> / width + b_i / width``, computed once: ``(n, n_tables, D)``.

        One matrix product of ``[x, 1]`` with ``[A / width, b / width]`` (the
        offsets ride along in the product). Raises ``ValueError`` (naming
        ``width``) if ``|u|`` could reach the largest integer the precision
        holds exactly (2^62, or 2^23 for float32).
        """
        W, reach, _ = self._scaled_directions()
        limit = 2.0**23 if self.hash_dtype == "float32" else 2.0**62
        if len(X) and reach * np.abs(X).max() >= limit:
            raise ValueError(
                f"`width`={self.width} is too small for inputs of this size: bucket "
                f"indices could reach {limit:.0e}, beyond what {self.hash_dtype} hashing holds."
            )
        ones = np.empty((len(X), X.shape[1] + 1), dtype=self.hash_dtype)
        ones[:, :-1] = X
        ones[:, -1] = 1.0
        return (ones @ W).reshape(len(X), self.n_tables, self.n_hashes)

    def index_keys(self, X):
        return self._floors(self.scaled(X), X)

    def _floors(self, U, X):
        """The keys ``floor(u)`` (written over ``U``), each as the fixed-order float64 sum of
        :func:`~dsn_model._kernels.slab_floors` decides it: the product settles every floor
        farther than its rounding band from an integer, the rest are recomputed."""
        flat = U.reshape(len(U), -1)  # a view of the product (a copy would be written too)
        return slab_floors(flat, X, self._scaled_directions()[2]).reshape(U.shape)

    def _keys(self, X):
        return self.index_keys(X).astype(np.int64)

    def _probes(self, X, n_probes):
        U = self.scaled(X)
        base = self._floors(U.copy(), X).astype(np.int64)
        frac = U - base  # in [0, 1], give or take the product's rounding
        dist = np.concatenate([frac, 1.0 - frac], axis=2)  # lower faces, then upper
        n_probes = min(n_probes, 2 * self.n_hashes)
        order = np.argsort(dist, axis=2, kind="stable")[:, :, :n_probes]
        coord = order % self.n_hashes
        step = np.where(order < self.n_hashes, -1, 1)
        out = np.repeat(base[:, :, None, :], n_probes, axis=2)
        np.put_along_axis(
            out,
            coord[..., None],
            np.take_along_axis(base, coord, axis=2)[..., None] + step[..., None],
            axis=3,
        )
        return out

    def _halfspaces(self, table, key):
        rows = slice(table * self.n_hashes, (table + 1) * self.n_hashes)
        return slab_halfspaces(self.directions[rows], self.offsets[rows], self.width, key)

    def projection_matrix(self):
        return self.directions


def slab_halfspaces(directions, offsets, width: float, key) -> tuple[np.ndarray, np.ndarray]:
    """The Euclidean cell ``{x : n_i w <= a_i . x + b_i < (n_i + 1) w}`` as ``{x : G x <= h}``.

    ``G = [A; -A]`` and ``h = [(n + 1) w - b; b - n w]``: the one place the slab
    geometry is written (the family's :meth:`~LSHFamily.halfspaces` and the
    checker's exact cells, :func:`theory.geometry.cell_halfspaces`, both read it).

    Examples
    --------
    >>> G, h = slab_halfspaces(np.array([[1.0, 0.0]]), np.array([0.25]), 0.5, np.array([1]))
    >>> G.tolist(), h.tolist()   # 0.5 <= x + 0.25 < 1.0
    ([[1.0, 0.0], [-1.0, -0.0]], [0.75, -0.25])
    """
    A = np.asarray(directions, dtype=float)
    b = np.asarray(offsets, dtype=float)
    key = np.asarray(key, dtype=float)
    return np.vstack([A, -A]), np.concatenate([(key + 1) * width - b, b - key * width])


class CrossPolytopeLSH(LSHFamily):
    """Cross-polytope LSH (Andoni et al. 2015): signed argmax of a rotation.

    Each of ``m`` hashes per table applies a random rotation ``R`` (Haar,
    from a QR factorisation) and returns ``i`` if ``(R x)_i`` is the largest
    coordinate in absolute value and positive, ``i + d`` if it is negative:
    ``2d`` buckets per hash, ``(2d)^m`` per table. Cells are cones (they
    contain 0), so like Charikar's family this partitions directions, not
    space: good for angular similarity, not for uniform approximation.

    Parameters
    ----------
    input_dim : int
    n_hashes : int
        ``m``, rotations per table.
    n_tables : int, default=1
    random_state : None, int or Generator

    Examples
    --------
    >>> lsh = CrossPolytopeLSH(2, n_hashes=1, random_state=0)
    >>> lsh.universe
    4
    """

    _state = ("input_dim", "n_hashes", "n_tables", "rotations")

    def __init__(self, input_dim: int, n_hashes: int, n_tables: int = 1, random_state=None):
        self.input_dim = d = check_positive_int(input_dim, "input_dim")
        self.n_hashes = check_positive_int(n_hashes, "n_hashes")
        self.n_tables = check_positive_int(n_tables, "n_tables")
        rng = as_rng(random_state)
        G = rng.standard_normal((self.n_tables * self.n_hashes, d, d))
        Q, R = np.linalg.qr(G)
        self.rotations = Q * np.sign(np.diagonal(R, axis1=1, axis2=2))[:, None, :]
        self.universe = (2 * d) ** self.n_hashes
        self._packed = self.universe < 2**63
        self.key_width = 1 if self._packed else self.n_hashes

    def _codes(self, X):
        """Codes ``(n, n_tables, n_hashes)`` and the projections ``Y``.

        A code is decided as ``y = R x`` summed in float64 in a fixed order decides it
        (:func:`~dsn_model._kernels.cross_polytope_codes`): the BLAS product settles every
        hash whose two largest ``|y_i|``, and the largest and 0, are farther apart than
        twice the rounding of both orders; the others (near-ties, ``x`` near 0) are redone.
        """
        d, H = self.input_dim, self.n_tables * self.n_hashes
        Y = (X @ self.rotations.reshape(-1, d).T).reshape(len(X), H, d)
        # each y_i errs by at most gamma_d ||r_i||_1 ||x||_inf in either summation order
        slope = 4 * (d + 1) * (np.finfo(np.float64).eps / 2) * self._row_norm
        codes = cross_polytope_codes(Y, X, self.rotations, slope)
        shape = (len(X), self.n_tables, self.n_hashes)
        return codes.reshape(shape), Y.reshape(*shape, d)

    @property
    def _row_norm(self) -> float:
        """The largest ``||r_i||_1`` over the rows of every rotation."""
        return float(np.abs(self.rotations).sum(axis=2).max())

    def _pack(self, codes):
        if not self._packed:
            return codes
        radix = (2 * self.input_dim) ** np.arange(self.n_hashes, dtype=np.int64)
        return (codes * radix).sum(axis=-1, keepdims=True)

    def _keys(self, X):
        return self._pack(self._codes(X)[0])

    def _probes(self, X, n_probes):
        codes, Y = self._codes(X)
        A = np.sort(np.abs(Y), axis=3)
        margin = A[..., -1] - A[..., -2]
        runner = np.argsort(-np.abs(Y), axis=3, kind="stable")[..., 1]
        rval = np.take_along_axis(Y, runner[..., None], axis=3)[..., 0]
        alt = runner + self.input_dim * (rval < 0)
        n_probes = min(n_probes, self.n_hashes)
        order = np.argsort(margin, axis=2, kind="stable")[:, :, :n_probes]
        out = np.repeat(codes[:, :, None, :], n_probes, axis=2)
        np.put_along_axis(
            out, order[..., None], np.take_along_axis(alt, order, axis=2)[..., None], axis=3
        )
        return self._pack(out)

    def _halfspaces(self, table, key):
        d = self.input_dim
        if self._packed:
            codes = (int(key[0]) // (2 * d) ** np.arange(self.n_hashes)) % (2 * d)
        else:
            codes = key
        rows = []
        for j, code in enumerate(codes):
            R = self.rotations[table * self.n_hashes + j]
            i, sign = int(code) % d, (-1.0 if code >= d else 1.0)
            for k in range(d):
                if k != i:  # sign * r_i x >= |r_k x|
                    rows.append(-sign * R[i] + R[k])
                    rows.append(-sign * R[i] - R[k])
        G = np.array(rows).reshape(-1, d)
        return G, np.zeros(len(G))

    def projection_matrix(self):
        return self.rotations.reshape(-1, self.input_dim)


#: Family names accepted by the estimators.
FAMILIES = {
    "hyperplane": HyperplaneLSH,
    "euclidean": EuclideanLSH,
    "cross-polytope": CrossPolytopeLSH,
}


def family_from_state(state: dict) -> LSHFamily:
    """Rebuild a family from :meth:`LSHFamily.get_state` without drawing anything.

    Examples
    --------
    >>> import numpy as np
    >>> a = EuclideanLSH(3, 4, width=0.5, random_state=0)
    >>> b = family_from_state(a.get_state())
    >>> X = np.random.default_rng(1).normal(size=(5, 3))
    >>> bool((a.keys(X) == b.keys(X)).all())
    True
    """
    classes = {cls.__name__: cls for cls in FAMILIES.values()}
    name = str(state.get("name"))
    if name not in classes:
        raise ValueError(f"Unknown LSH family {name!r}; expected one of {sorted(classes)}.")
    cls = classes[name]
    state = dict(state)
    if "dtype" in state:  # written before the precision was named hash_dtype
        state.setdefault("hash_dtype", state.pop("dtype"))
    scalars = {k: int(state[k]) for k in ("input_dim", "n_hashes", "n_tables")}
    if cls is not CrossPolytopeLSH:
        scalars["hash_dtype"] = str(state.get("hash_dtype", "float64"))
    if cls is EuclideanLSH:
        family = cls(**scalars, width=float(state["width"]))
    elif cls is HyperplaneLSH:
        family = cls(**scalars, offset=float(state["offset"]))
    else:
        family = cls(**scalars)
    for key in cls._state:
        value = np.asarray(state[key])
        current = getattr(family, key)
        if isinstance(current, np.ndarray):
            if value.shape != current.shape or not np.all(np.isfinite(value)):
                raise ValueError(
                    f"LSH family state `{key}` has shape {value.shape}, expected {current.shape}."
                )
            setattr(family, key, value.astype(np.float64))
    for cache in [name for name in vars(family) if name.endswith("_cache")]:
        delattr(family, cache)  # derived from the arrays just restored
    return family
