"""The features of selected units, computed in place of a gather (:func:`unit_preactivations`):
the uniform-hash and expert routers' features without an ``n x s x d`` copy of weights.

Part of :mod:`dsn_model._kernels` (its docstring says how these loops are checked and run).
"""

from __future__ import annotations

import numba
import numpy as np

from .checks import _check_indices

__all__ = ["unit_preactivations"]


def unit_preactivations(
    X: np.ndarray, weights: np.ndarray, bias: np.ndarray | None, units: np.ndarray
) -> np.ndarray:
    """``sum_k weights[u, k] X[i, k] (+ bias[u])`` for each selected unit ``u = units[i, j]``.

    Each sum runs over ``k = 0, 1, ...`` in turn (a fixed order: the same value for a row
    in any batch); a slot holding ``-1`` gets 0. The weight rows are read where they are,
    never copied per row.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    weights : ndarray of shape (t, d)
    bias : ndarray of shape (t,) or None
    units : ndarray of shape (n, s), int
        Each in ``[-1, t)``.

    Returns
    -------
    ndarray of shape (n, s)

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    >>> unit_preactivations(np.array([[3.0, 4.0]]), W, None, np.array([[2, -1, 1]])).tolist()
    [[7.0, 0.0, 8.0]]
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    units = np.asarray(units)
    if units.ndim != 2 or len(units) != len(X) or weights.shape[1] != X.shape[1]:
        raise ValueError(
            f"`units` must be (n, s) with n = {len(X)} and `weights` (t, {X.shape[1]}). "
            f"Got {units.shape} and {weights.shape}."
        )
    checked = _check_indices(units + 1, len(weights) + 1, "units")  # -1 is an empty slot
    b = np.zeros(len(weights)) if bias is None else np.ascontiguousarray(bias, dtype=np.float64)
    out = np.empty(units.shape)
    _unit_preactivations(X, weights, b, checked, out)
    return out


@numba.njit(cache=True, nogil=True)
def _unit_preactivations(X, W, b, shifted, out):  # pragma: no cover - compiled
    n, s = shifted.shape
    d = X.shape[1]
    for i in range(n):
        for j in range(s):
            u = shifted[i, j] - 1
            if u < 0:
                out[i, j] = 0.0
                continue
            acc = 0.0
            for k in range(d):
                acc += W[u, k] * X[i, k]
            out[i, j] = acc + b[u]
