"""Compiled products with the LSH model's one-hot design (numba, one core).

The LSH model DSM(d, s, s 2^m) reads one unit per table: row ``j`` of its design
has a one in column ``codes[i, j] + offsets[i]`` for each table ``i`` (``degree=0``)
or the block ``(1, x_j)`` there (``degree=1``). These loops multiply by that design
and by its transpose without forming it:

* :func:`design_product` -- ``out[j] = sum_i z_j . coef[unit(i, j)]``;
* :func:`design_transpose_product` -- ``out[u] = sum_{(i, j): unit(i, j) = u} r_j z_j``.

Codes are stored table by table (``(s, n)``), so one table's units -- 2^m of them, 16
KiB at m = 11 -- stay in cache while its column of codes streams past: one product
and its transpose take 9-10 ms for n = 5e4 rows and s = 256 tables, where scipy's
CSR products of the explicit design take 96 ms (``benchmarks/lsh_joint.py`` compares the
whole solvers). Indices are checked when the codes are made
(:class:`dsn_model.lsh.joint.TableCodes`); these loops assume them in range.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["design_product", "design_transpose_product"]


@numba.njit(cache=True, nogil=True)
def _constant_product(coef, codes, offsets, out):  # pragma: no cover - compiled
    s, n = codes.shape
    out[:] = 0.0
    i = 0
    while i + 4 <= s:  # four tables a pass: a quarter of the passes over `out`
        c0, c1, c2, c3 = codes[i], codes[i + 1], codes[i + 2], codes[i + 3]
        b0, b1 = coef[offsets[i] :], coef[offsets[i + 1] :]  # each table's units, as a view
        b2, b3 = coef[offsets[i + 2] :], coef[offsets[i + 3] :]
        for j in range(n):
            out[j] += (b0[c0[j]] + b1[c1[j]]) + (b2[c2[j]] + b3[c3[j]])
        i += 4
    while i < s:
        ci, bi = codes[i], coef[offsets[i] :]
        for j in range(n):
            out[j] += bi[ci[j]]
        i += 1


@numba.njit(cache=True, nogil=True)
def _constant_transpose(r, codes, offsets, out):  # pragma: no cover - compiled
    s, n = codes.shape
    out[:] = 0.0
    i = 0
    while i + 2 <= s:  # two tables a pass: r[j] read once for both
        c0, c1 = codes[i], codes[i + 1]
        a0, a1 = out[offsets[i] :], out[offsets[i + 1] :]
        for j in range(n):
            rj = r[j]
            a0[c0[j]] += rj
            a1[c1[j]] += rj
        i += 2
    while i < s:
        ci, ai = codes[i], out[offsets[i] :]
        for j in range(n):
            ai[ci[j]] += r[j]
        i += 1


@numba.njit(cache=True, nogil=True)
def _affine_product(coef, codes, offsets, X, out):  # pragma: no cover - compiled
    s, n = codes.shape
    d = X.shape[1]
    out[:] = 0.0
    for i in range(s):
        ci, oi = codes[i], offsets[i]
        for j in range(n):
            u = oi + ci[j]
            acc = coef[u, 0]
            for k in range(d):
                acc += coef[u, k + 1] * X[j, k]
            out[j] += acc


@numba.njit(cache=True, nogil=True)
def _affine_transpose(r, codes, offsets, X, out):  # pragma: no cover - compiled
    s, n = codes.shape
    d = X.shape[1]
    out[:] = 0.0
    for i in range(s):
        ci, oi = codes[i], offsets[i]
        for j in range(n):
            u = oi + ci[j]
            rj = r[j]
            out[u, 0] += rj
            for k in range(d):
                out[u, k + 1] += rj * X[j, k]


def design_product(coef: np.ndarray, codes, offsets, X, out: np.ndarray) -> np.ndarray:
    """``out = Z coef``: each row's sum over tables of its unit's value (or affine part).

    Parameters
    ----------
    coef : ndarray (n_units,) or (n_units, d + 1), float64
        One value per unit (``X`` is None) or an affine function ``(c_0, c)`` per unit.
    codes : ndarray (s, n) of unsigned or int64 integers, C-contiguous
        The unit of row ``j`` in table ``i`` is ``codes[i, j] + offsets[i]``.
    offsets : ndarray (s,) int64
    X : ndarray (n, d) or None
    out : ndarray (n,), float64, written

    Examples
    --------
    >>> import numpy as np
    >>> codes = np.array([[0, 1, 1], [0, 0, 1]], dtype=np.uint16)   # 2 tables, 3 rows
    >>> offsets = np.array([0, 2])                                 # table 1's units: 2, 3
    >>> design_product(np.array([1.0, 2.0, 10.0, 20.0]), codes, offsets, None, np.empty(3))
    array([11., 12., 22.])
    """
    if X is None:
        _constant_product(coef, codes, offsets, out)
    else:
        _affine_product(coef, codes, offsets, X, out)
    return out


def design_transpose_product(r: np.ndarray, codes, offsets, X, out: np.ndarray) -> np.ndarray:
    """``out = Z^T r``: each unit's sum of ``r`` (times ``(1, x)``) over the rows it answers.

    Parameters are those of :func:`design_product`; ``r`` has shape ``(n,)`` and ``out``
    the shape of ``coef``.

    Examples
    --------
    >>> import numpy as np
    >>> codes = np.array([[0, 1, 1], [0, 0, 1]], dtype=np.uint16)
    >>> r = np.array([1.0, 2.0, 4.0])
    >>> design_transpose_product(r, codes, np.array([0, 2]), None, np.empty(4))
    array([1., 6., 3., 4.])
    """
    if X is None:
        _constant_transpose(r, codes, offsets, out)
    else:
        _affine_transpose(r, codes, offsets, X, out)
    return out
