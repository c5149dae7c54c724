"""LSH hash codes that never depend on the batch: hyperplane bits, Euclidean slab floors and
cross-polytope codes from a fast product, with the few values inside its rounding band
recomputed in a fixed order.

Part of :mod:`dsn_model._kernels` (its docstring says how these loops are checked and run).
"""

from __future__ import annotations

import sys
from typing import NamedTuple

import numba
import numpy as np

__all__ = [
    "HyperplaneScreen",
    "SlabScreen",
    "cross_polytope_codes",
    "hyperplane_bits",
    "hyperplane_screen",
    "slab_floors",
    "slab_screen",
]


class HyperplaneScreen(NamedTuple):
    """Hyperplanes ``<a_j, x> >= -b_j`` and the rounding band of their fast projections.

    Built once by :func:`hyperplane_screen`; :func:`hyperplane_bits` reads it.
    """

    directions: np.ndarray  # (c, d) float64
    offsets: np.ndarray  # (c,) float64
    threshold: np.ndarray  # (c,) -offsets in the projections' dtype
    slope: np.ndarray  # (c,) the band per unit of ||x||_inf
    intercept: np.ndarray  # (c,) the band at x = 0


def hyperplane_screen(directions: np.ndarray, offsets: np.ndarray, dtype) -> HyperplaneScreen:
    """The hyperplanes and the band in which a ``dtype`` projection cannot settle a bit.

    The band around ``-b_j`` is ``2 (d + 3) u ||a_j||_1 ||x||_inf + 4 u |b_j|`` (``u``
    the unit roundoff of ``dtype``): twice a bound on the rounding of a product of ``d``
    terms in any order, with ``a``, ``x`` and ``b`` converted to ``dtype``.
    """
    A = np.ascontiguousarray(directions, dtype=np.float64)
    b = np.ascontiguousarray(offsets, dtype=np.float64)
    dtype = np.dtype(dtype)
    if A.ndim != 2 or b.shape != (len(A),):
        raise ValueError("`directions` and `offsets` must have shapes (c, d) and (c,).")
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"`dtype` must be float32 or float64. Got {dtype}.")
    u = np.finfo(dtype).eps / 2
    slope = 2 * (A.shape[1] + 3) * u * np.abs(A).sum(axis=1)
    intercept = 4 * u * np.abs(b)
    return HyperplaneScreen(A, b, (-b).astype(dtype), slope.astype(dtype), intercept.astype(dtype))


def hyperplane_bits(
    projections: np.ndarray, X: np.ndarray, screen: HyperplaneScreen, *, packed: bool = False
) -> np.ndarray:
    """The bits ``[<a_j, x_r> >= -b_j]``, exactly as one fixed-order float64 sum decides them.

    ``projections`` is a fast estimate of ``<a_j, x_r>`` -- a float32 or BLAS product,
    whose rounding depends on the precision and can depend on the row's position in
    the batch. Its sign relative to ``-b_j`` is kept wherever it lies outside the
    rounding band of :func:`hyperplane_screen`; there the exact sign and the reference
    agree. The projections inside the band are recomputed as ``sum_k a_jk x_rk`` in
    float64, ``k = 0, 1, ...`` in turn (in float32 with 256 hyperplanes on
    ``[-1, 1]^8``, about two rows in a thousand have one). So the bits are the same in
    float32 and float64 and for a row alone or in any batch.

    Parameters
    ----------
    projections : ndarray of shape (n, c), the dtype of ``screen``
        The estimate of ``X @ directions.T``.
    X : ndarray of shape (n, d)
    screen : HyperplaneScreen
        From :func:`hyperplane_screen`.
    packed : bool, default=False
        Return each row's bits packed into bytes, bit ``j`` of a row as bit
        ``j % 8`` of its byte ``j // 8`` (``np.packbits(..., bitorder="little")``
        of the rows), in the same pass.

    Returns
    -------
    ndarray of shape (n, c), bool; or (n, ceil(c / 8)), uint8 if ``packed``

    Examples
    --------
    >>> import numpy as np
    >>> A, b = np.array([[1.0, 1.0]]), np.array([-1.0000000015])
    >>> X = np.array([[1.0, 1e-9]])  # <a, x> = 1.000000001 < 1.0000000015 = -b
    >>> P = (X @ A.T).astype(np.float32)  # 1.0, and -b rounds to 1.0 as well
    >>> screen = hyperplane_screen(A, b, np.float32)
    >>> bool(P[0, 0] >= screen.threshold[0]), bool(hyperplane_bits(P, X, screen)[0, 0])
    (True, False)
    """
    P = np.ascontiguousarray(projections)
    X = np.ascontiguousarray(X, dtype=np.float64)
    c, d = screen.directions.shape
    if P.ndim != 2 or P.shape[1] != c or P.dtype != screen.threshold.dtype:
        raise ValueError(
            f"`projections` must be a {screen.threshold.dtype} matrix with {c} columns."
        )
    if X.shape != (len(P), d):
        raise ValueError(f"`X` must have shape ({len(P)}, {d}).")
    if packed and sys.byteorder != "little":  # the kernel packs by little-endian words
        return np.packbits(hyperplane_bits(P, X, screen), axis=1, bitorder="little")
    out = np.empty((len(P), (c + 7) // 8 if packed else c), dtype=np.uint8)
    _hyperplane_bits(P, X, *screen, out, packed)
    return out if packed else out.view(np.bool_)


@numba.njit(cache=True, nogil=True)
def _largest(a):  # pragma: no cover - compiled
    """The largest entry of a non-empty array of finite values (a loop: ``a.max()`` adds a
    third of a second of compiling to each kernel that calls it)."""
    high = a[0]
    for x in a:
        high = x if x > high else high
    return high


@numba.njit(cache=True, nogil=True, inline="always")
def _row_scale(X, r):  # pragma: no cover - compiled
    """``||X[r]||_inf``, the scale of a row's rounding band."""
    scale = 0.0
    for k in range(X.shape[1]):
        scale = max(scale, abs(X[r, k]))
    return scale


#: Gathers bit 0 of each byte of a little-endian word into the top byte:
#: ``(w * _GATHER_BITS) >> 56`` is the byte whose bit ``i`` is bit 0 of byte ``i`` of ``w``
#: (the products' exponents ``8 i + 7 k + 7`` are distinct, so nothing carries).
_GATHER_BITS = np.uint64(0x0102040810204080)


@numba.njit(cache=True, nogil=True)
def _hyperplane_bits(P, X, A, b, threshold, slope, intercept, out, packed):  # pragma: no cover
    n, c = P.shape
    d = X.shape[1]
    cast = np.empty(1, slope.dtype)  # the row's scale in the projections' precision
    widest = _largest(slope)
    highest = _largest(intercept)
    bits = np.zeros(8 * ((c + 7) // 8), np.uint8)  # a row's bits, zero-padded to whole words
    words = bits.view(np.uint64)
    for r in range(n):
        cast[0] = _row_scale(X, r)
        band = cast[0] * widest + highest  # a bound for every column: one vectorised pass
        unsure = False
        for j in range(c):
            diff = P[r, j] - threshold[j]  # its sign is exact: P >= threshold iff diff >= 0
            bits[j] = diff >= 0
            unsure |= abs(diff) <= band
        if unsure:
            for j in range(c):
                diff = P[r, j] - threshold[j]
                if abs(diff) <= cast[0] * slope[j] + intercept[j]:
                    v = 0.0
                    for k in range(d):
                        v += A[j, k] * X[r, k]
                    bits[j] = v >= -b[j]
        if packed:
            for g in range(out.shape[1]):
                out[r, g] = (words[g] * _GATHER_BITS) >> np.uint64(56)
        else:
            for j in range(c):
                out[r, j] = bits[j]


class SlabScreen(NamedTuple):
    """Affine maps ``u_j(x) = sum_k W_kj x_k + W_dj`` and the rounding band of their fast
    evaluation. Built once by :func:`slab_screen`; :func:`slab_floors` reads it."""

    weights: np.ndarray  # (d + 1, c) float64: the last row is the constant term
    slope: np.ndarray  # (c,) float64: the band per unit of ||x||_inf
    intercept: np.ndarray  # (c,) float64: the band at x = 0


def slab_screen(weights: np.ndarray, dtype) -> SlabScreen:
    """The maps ``[x, 1] @ weights`` and the band in which a ``dtype`` product cannot settle
    their floors.

    The band is ``2 (d + 4) u (||W_{:d, j}||_1 ||x||_inf + |W_dj|)`` (``u`` the unit
    roundoff of ``dtype``): twice a bound on the rounding of ``d + 1`` terms summed in any
    order after ``x`` and ``W`` are converted to ``dtype``, with one ``u`` to spare.
    """
    W = np.ascontiguousarray(weights, dtype=np.float64)
    dtype = np.dtype(dtype)
    if W.ndim != 2 or len(W) < 2:
        raise ValueError("`weights` must have shape (d + 1, c) with d >= 1.")
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"`dtype` must be float32 or float64. Got {dtype}.")
    factor = 2 * (len(W) + 3) * np.finfo(dtype).eps / 2
    return SlabScreen(W, factor * np.abs(W[:-1]).sum(axis=0), factor * np.abs(W[-1]))


def slab_floors(U: np.ndarray, X: np.ndarray, screen: SlabScreen) -> np.ndarray:
    """``floor(u_j(x_r))`` in place of ``U``, exactly as one fixed-order float64 sum decides it.

    ``U`` is a fast estimate of ``[X, 1] @ weights`` -- a float32 or BLAS product, whose
    rounding depends on the precision and can depend on the row's position in the batch.
    Its floor is kept wherever it lies farther than the band of :func:`slab_screen` from
    an integer; there it is the floor of ``sum_k W_kj x_rk + W_dj`` summed in float64,
    ``k = 0, 1, ...`` in turn, which replaces the estimate inside the band. So the floors
    are the same in float32 and float64 and for a row alone or in any batch.

    Parameters
    ----------
    U : ndarray of shape (n, c), float32 or float64, C-contiguous
        The estimate; overwritten by the floors (integral values of the same dtype).
    X : ndarray of shape (n, d)
    screen : SlabScreen
        From :func:`slab_screen`.

    Returns
    -------
    ndarray
        ``U``.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1.0], [-1e-9]])  # u(x) = x - 1e-9
    >>> X = np.array([[1.0]])
    >>> U = (np.hstack([X, [[1.0]]]) @ W).astype(np.float32)  # 1.0: the float32 floor is 1
    >>> slab_floors(U, X, slab_screen(W, np.float32)).tolist()
    [[0.0]]
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    d1, c = screen.weights.shape
    if (
        not isinstance(U, np.ndarray)
        or U.ndim != 2
        or U.shape[1] != c
        or U.dtype not in (np.float32, np.float64)
        or not U.flags.c_contiguous
        or not U.flags.writeable
    ):
        raise ValueError(f"`U` must be a writeable C-contiguous float matrix with {c} columns.")
    if X.shape != (len(U), d1 - 1):
        raise ValueError(f"`X` must have shape ({len(U)}, {d1 - 1}).")
    _slab_floors(U, X, *screen)
    return U


@numba.njit(cache=True, nogil=True)
def _slab_floors(U, X, W, slope, intercept):  # pragma: no cover - compiled
    n, c = U.shape
    d = X.shape[1]
    widest = _largest(slope)
    highest = _largest(intercept)
    for r in range(n):
        band = _row_scale(X, r) * widest + highest  # a bound for every column: one vectorised pass
        unsure = False
        for j in range(c):
            v = U[r, j]
            f = np.floor(v)
            unsure |= (v - f <= band) | (v - f >= 1.0 - band)  # v - f is exact
            U[r, j] = f
        if unsure:  # rare (1 row in 120 at 256 float32 maps of width 1 on [-1, 1]^8): redo it
            for j in range(c):
                e = 0.0
                for k in range(d):
                    e += W[k, j] * X[r, k]
                U[r, j] = np.floor(e + W[d, j])


def cross_polytope_codes(
    Y: np.ndarray, X: np.ndarray, rotations: np.ndarray, slope: float
) -> np.ndarray:
    """Cross-polytope codes ``i + d [y_i < 0]`` (``i`` the first index of the largest
    ``|y_i|``), exactly as ``y = R_h x`` summed in float64 in the order ``k = 0, 1, ...``
    decides them.

    ``Y`` is a fast (BLAS) estimate of every ``R_h x_r``. Its code stands wherever the two
    largest ``|y_i|``, and the largest and 0, are more than ``slope ||x_r||_inf`` apart
    (``slope`` bounds twice the rounding of both summation orders); the others (near-ties,
    or ``x`` near 0) are recomputed in the fixed order. One pass over ``Y``.

    Parameters
    ----------
    Y : ndarray of shape (n, H, d)
        The estimate of ``y`` for every row and rotation.
    X : ndarray of shape (n, d)
    rotations : ndarray of shape (H, d, d)
    slope : float
        The band per unit of ``||x||_inf``.

    Returns
    -------
    ndarray of shape (n, H), int64

    Examples
    --------
    >>> import numpy as np
    >>> R = np.array([[[0.0, 1.0], [1.0, 0.0]]])  # y = (x_1, x_0)
    >>> X = np.array([[-3.0, 2.0]])
    >>> cross_polytope_codes(X[:, None, ::-1], X, R, 1e-15).tolist()  # y_1 = -3 < 0
    [[3]]
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    rotations = np.ascontiguousarray(rotations, dtype=np.float64)
    n, d = X.shape
    if rotations.ndim != 3 or rotations.shape[1:] != (d, d):
        raise ValueError(f"`rotations` must have shape (H, {d}, {d}).")
    if Y.shape != (n, len(rotations), d):
        raise ValueError(f"`Y` must have shape ({n}, {len(rotations)}, {d}).")
    out = np.empty((n, len(rotations)), dtype=np.int64)
    _cross_polytope_codes(Y, X, rotations, float(slope), out)
    return out


@numba.njit(cache=True, nogil=True)
def _cross_polytope_codes(Y, X, rotations, slope, out):  # pragma: no cover - compiled
    n, H, d = Y.shape
    for r in range(n):
        band = slope * _row_scale(X, r)
        for h in range(H):
            first, second, value, top = -1.0, -1.0, 0.0, 0
            for i in range(d):
                a = abs(Y[r, h, i])
                if a > first:  # strictly: ties go to the lower index
                    first, second, value, top = a, first, Y[r, h, i], i
                elif a > second:
                    second = a
            if first - second <= band or first <= band:  # recompute in the fixed order
                first, value, top = -1.0, 0.0, 0
                for i in range(d):
                    v = 0.0
                    for k in range(d):
                        v += rotations[h, i, k] * X[r, k]
                    if abs(v) > first:
                        first, value, top = abs(v), v, i
            out[r, h] = top + d * (value < 0)
