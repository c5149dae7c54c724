"""Seeded input distributions and the real datasets that ship with scikit-learn.

* :func:`uniform_cube` -- uniform on ``[-1, 1]^d`` (the paper's experiments);
* :func:`random_subspace` and :func:`uniform_on_section` -- exactly uniform on
  ``Gamma = V cap [-1, 1]^d`` for a k-dimensional subspace V (Theorem 4.1's
  setting; docs/theory.md): rejection from the tight bounding box of
  ``Gamma_y = {y : ||U y||_inf <= 1}`` (2k linear programs), so the accepted
  points are uniform on the polytope, not on a ball;
* :func:`curved_manifold` -- a k-dimensional paraboloid of curvature at most
  ``curvature`` inside the cube (the Theorem B.1 setting), uniform in its
  parameters;
* :func:`load_digits_data`, :func:`load_diabetes_data` -- scikit-learn's
  bundled datasets (no download), features scaled to ``[-1, 1]``.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog
from sklearn.datasets import load_diabetes, load_digits

from ._validation import as_rng, check_positive_float, check_positive_int

__all__ = [
    "curved_manifold",
    "load_diabetes_data",
    "load_digits_data",
    "random_subspace",
    "section_bounding_box",
    "uniform_cube",
    "uniform_on_section",
]


def uniform_cube(n: int, d: int, random_state=None) -> np.ndarray:
    """``n`` points uniform on ``[-1, 1]^d``.

    Examples
    --------
    >>> uniform_cube(3, 2, random_state=0).shape
    (3, 2)
    """
    n, d = check_positive_int(n, "n"), check_positive_int(d, "d")
    return as_rng(random_state).uniform(-1.0, 1.0, size=(n, d))


def random_subspace(d: int, k: int, random_state=None) -> np.ndarray:
    """An orthonormal basis ``U (d, k)`` of a uniformly random k-dim subspace.

    Examples
    --------
    >>> U = random_subspace(5, 2, random_state=0)
    >>> bool(np.allclose(U.T @ U, np.eye(2)))
    True
    """
    d, k = check_positive_int(d, "d"), check_positive_int(k, "k")
    if k > d:
        raise ValueError(f"`k` must be <= d={d}. Got {k}.")
    Q, R = np.linalg.qr(as_rng(random_state).standard_normal((d, k)))
    return Q * np.sign(np.diag(R))


def _check_basis(U) -> np.ndarray:
    U = np.asarray(U, dtype=np.float64)
    if (
        U.ndim != 2
        or U.shape[1] > U.shape[0]
        or not np.allclose(U.T @ U, np.eye(U.shape[1]), atol=1e-9)
    ):
        raise ValueError("`U` must be a (d, k) matrix with orthonormal columns.")
    return U


def section_bounding_box(U) -> np.ndarray:
    """Tight box ``(k, 2)`` around ``Gamma_y = {y : ||U y||_inf <= 1}``: 2k LPs."""
    U = _check_basis(U)
    A = np.vstack([U, -U])
    b = np.ones(2 * len(U))
    box = np.empty((U.shape[1], 2))
    for j in range(U.shape[1]):
        c = np.zeros(U.shape[1])
        c[j] = 1.0
        box[j, 0] = linprog(c, A_ub=A, b_ub=b, bounds=(None, None), method="highs").fun
        box[j, 1] = -linprog(-c, A_ub=A, b_ub=b, bounds=(None, None), method="highs").fun
    return box


def uniform_on_section(n: int, U, random_state=None) -> np.ndarray:
    """``n`` points exactly uniform on ``span(U) cap [-1, 1]^d``, returned in R^d.

    Examples
    --------
    >>> U = random_subspace(6, 2, random_state=1)
    >>> X = uniform_on_section(100, U, random_state=2)
    >>> X.shape, bool(np.abs(X).max() <= 1)
    ((100, 6), True)
    """
    n = check_positive_int(n, "n")
    U = _check_basis(U)
    rng = as_rng(random_state)
    box = section_bounding_box(U)
    out, have = [], 0
    while have < n:
        Y = rng.uniform(box[:, 0], box[:, 1], size=(2 * (n - have) + 64, U.shape[1]))
        X = Y @ U.T
        X = X[np.abs(X).max(axis=1) <= 1.0]
        out.append(X)
        have += len(X)
    return np.vstack(out)[:n]


def curved_manifold(n: int, d: int, k: int, curvature: float = 0.5, random_state=None):
    """Points on the paraboloid ``x = U y + (curvature / 2) ||y||^2 w`` inside the cube.

    ``U (d, k)`` orthonormal, ``w`` a unit vector orthogonal to it, ``y``
    uniform on ``[-a, a]^k`` with ``a`` small enough that the surface stays in
    ``[-1, 1]^d``; its normal curvature is at most ``curvature``. Returns
    ``(X, U, w)``.

    Examples
    --------
    >>> X, U, w = curved_manifold(50, 5, 2, random_state=0)
    >>> bool(np.abs(X).max() <= 1)
    True
    """
    n, d, k = (check_positive_int(v, name) for v, name in ((n, "n"), (d, "d"), (k, "k")))
    if k >= d:
        raise ValueError(f"`k` must be < d={d} (a curved k-manifold needs a normal). Got {k}.")
    kappa = check_positive_float(curvature, "curvature")
    rng = as_rng(random_state)
    Q, _ = np.linalg.qr(rng.standard_normal((d, k + 1)))
    U, w = Q[:, :k], Q[:, k]
    # |x_i| <= ||y||_2 + kappa ||y||^2 / 2 <= 1 for ||y||_2 <= r
    r = (np.sqrt(1 + 2 * kappa) - 1) / kappa
    Y = rng.uniform(-r / np.sqrt(k), r / np.sqrt(k), size=(n, k))
    X = Y @ U.T + 0.5 * kappa * (Y**2).sum(axis=1, keepdims=True) * w
    return X, U, w


def _scale(X):
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return 2 * (X - lo) / span - 1


def load_digits_data():
    """scikit-learn's 8x8 digits (1797 images, 10 classes), pixels scaled to [-1, 1].

    Examples
    --------
    >>> X, y = load_digits_data()
    >>> X.shape, int(y.max())
    ((1797, 64), 9)
    """
    X, y = load_digits(return_X_y=True)
    return _scale(X.astype(np.float64)), y


def load_diabetes_data():
    """scikit-learn's diabetes regression data (442 x 10), features scaled to [-1, 1]."""
    X, y = load_diabetes(return_X_y=True)
    return _scale(X), y.astype(np.float64)
