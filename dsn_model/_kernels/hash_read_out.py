"""The read-out of a uniform-hash layer in one pass per row (:func:`hash_read_out`): each
row's hash, Floyd's units, their features and the weighted sum, with nothing written out.

Part of :mod:`dsn_model._kernels` (its docstring says how these loops are checked and run).
"""

from __future__ import annotations

import numba
import numpy as np

from .sampling import _BITMAP_ITEMS, _floyd_draw, _mix64

__all__ = ["hash_read_out"]


def hash_read_out(
    X: np.ndarray,
    seed_hash: np.uint64,
    sparsity: int,
    weights: np.ndarray,
    bias: np.ndarray | None,
    top_weights: np.ndarray,
    *,
    relu: bool = True,
) -> np.ndarray:
    """``sum_j top_weights[u_j] f_{u_j}(x)`` over the ``sparsity`` units ``u_j`` the uniform
    hash picks for each row, summed in pick order, with ``f_u(x) = relu(sum_k weights[u, k]
    x_k + bias[u])`` (``k = 0, 1, ...`` in turn).

    The same units as :func:`~dsn_model.model.uniform_hash.hash_rows` then
    :func:`floyd_samples`, the same features as :func:`unit_preactivations` (then ``relu``),
    and the same sum as :func:`slot_read_out` of those, bit for bit; but nothing is written
    to memory beyond a row's picks (the picks of a row are drawn first, their divisions
    back to back, then its features summed).

    Parameters
    ----------
    X : ndarray of shape (n, d)
    seed_hash : uint64
        The hash chain's start (``mix64(key)``).
    sparsity : int
        Units per row, ``1 <= sparsity <= t``.
    weights : ndarray of shape (t, d)
    bias : ndarray of shape (t,) or None
    top_weights : ndarray of shape (t,)
    relu : bool, default=True
        ``relu`` features; else linear ones.

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> W = np.eye(3)
    >>> out = hash_read_out(np.array([[1.0, 2.0, 3.0]]), np.uint64(7), 3, W, None, np.ones(3))
    >>> out.tolist()  # all three units: 1 + 2 + 3 in some order
    [6.0]
    """
    X = np.ascontiguousarray(X, dtype=np.float64) + 0.0  # -0.0 hashes as 0.0
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    t = len(weights)
    if X.ndim != 2 or weights.ndim != 2 or weights.shape[1] != X.shape[1]:
        raise ValueError(
            f"`X` must be (n, d) and `weights` (t, d). Got {X.shape}, {weights.shape}."
        )
    if not 1 <= sparsity <= t or t > _BITMAP_ITEMS:
        raise ValueError(f"`sparsity` must be in [1, {t}] and t at most {_BITMAP_ITEMS}.")
    b = np.zeros(t) if bias is None else np.ascontiguousarray(bias, dtype=np.float64)
    top_weights = np.ascontiguousarray(top_weights, dtype=np.float64)
    if b.shape != (t,) or top_weights.shape != (t,):
        raise ValueError(f"`bias` and `top_weights` must hold one value per unit, {t}.")
    out = np.empty(len(X))
    _hash_read_out(
        X, X.view(np.uint64), np.uint64(seed_hash), sparsity, weights, b, top_weights, relu, out
    )
    return out


@numba.njit(cache=True, nogil=True)
def _hash_read_out(X, bits, start, size, W, b, A, relu, out):  # pragma: no cover - compiled
    n, d = X.shape
    t = len(W)
    taken = np.zeros(t, dtype=np.bool_)
    picks = np.empty(size, dtype=np.int64)
    for r in range(n):
        h = start
        for j in range(d):
            h = _mix64(h + np.uint64(0x9E3779B97F4A7C15) + bits[r, j])
        for c in range(size):  # Floyd's picks first: the divisions run back to back
            u, j = _floyd_draw(h, t, size, c)
            if taken[u]:
                u = j
            taken[u] = True
            picks[c] = u
        total = 0.0
        for c in range(size):  # then the features, each unit's sum independent
            u = picks[c]
            taken[u] = False  # cleared for the next row
            z = 0.0
            for k in range(d):
                z += W[u, k] * X[r, k]
            z = z + b[u]
            if relu and not z >= 0.0:
                z = 0.0
            total += A[u] * z
        out[r] = total
