"""Exact cell geometry of Euclidean LSH on a k-dim section of the cube (MATH.md §4.2).

In the coordinates ``y`` of the subspace (``x = U y``), a bucket of Euclidean
LSH restricted to ``Gamma = V cap [-1,1]^d`` is the polytope

    {y : |U y|_inf <= 1,  n_i w <= g_i . y + b_i < (n_i + 1) w},   G = A U,

and its diameter is attained at vertices, which ``scipy``'s
``HalfspaceIntersection`` enumerates from an interior point (the Chebyshev
centre, a linear program). ``lambda_inf(G) = min_{|v|=1} |G v|_inf`` is exact
too: ``1 / lambda_inf`` is the largest vertex norm of ``{v : |G v|_inf <= 1}``.
Sampling points of a cell would only give a lower bound on its diameter.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog
from scipy.spatial import HalfspaceIntersection
from scipy.spatial.distance import pdist

__all__ = ["cell_diameter", "cell_halfspaces", "cell_vertices", "lambda_inf", "polytope_vertices"]


def polytope_vertices(A: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """Vertices of ``{y : A y <= b}`` (bounded), or None if it is (nearly) empty.

    For one dimension the endpoints are closed-form; otherwise qhull from the
    Chebyshev centre (cells with inradius <= 1e-10 are treated as empty).
    """
    A, b = np.asarray(A, dtype=float), np.asarray(b, dtype=float)
    if A.shape[1] == 1:
        a = A[:, 0]
        upper = np.min(b[a > 0] / a[a > 0]) if np.any(a > 0) else np.inf
        lower = np.max(b[a < 0] / a[a < 0]) if np.any(a < 0) else -np.inf
        return None if upper - lower <= 1e-12 else np.array([[lower], [upper]])
    norms = np.linalg.norm(A, axis=1)
    k = A.shape[1]
    res = linprog(
        np.r_[np.zeros(k), -1.0],
        A_ub=np.c_[A, norms],
        b_ub=b,
        bounds=[(None, None)] * k + [(0, None)],
        method="highs",
    )
    if res.status != 0 or res.x[-1] <= 1e-10:
        return None
    hs = HalfspaceIntersection(np.c_[A, -b], res.x[:k])
    return hs.intersections


def lambda_inf(G: np.ndarray) -> float:
    """``min_{|v|_2 = 1} |G v|_inf``, exactly (vertex enumeration; ``max |g|`` for k = 1).

    Examples
    --------
    >>> float(lambda_inf(np.array([[1.0, 0.0], [0.0, 1.0]])))   # the unit square's corner
    0.7071067811865475
    """
    G = np.asarray(G, dtype=float)
    if G.shape[1] == 1:
        return float(np.abs(G[:, 0]).max())
    V = polytope_vertices(np.vstack([G, -G]), np.ones(2 * len(G)))
    return float(1.0 / np.linalg.norm(V, axis=1).max())


def cell_halfspaces(U, directions, offsets, width, key):
    """``(A, b)`` with the cell of ``key`` on Gamma equal to ``{y : A y <= b}``."""
    G = directions @ U
    key = np.asarray(key, dtype=float)
    A = np.vstack([U, -U, G, -G])
    b = np.r_[np.ones(2 * len(U)), (key + 1) * width - offsets, offsets - key * width]
    return A, b


def cell_vertices(U, directions, offsets, width, key):
    """Vertices (in y-coordinates) of the cell of ``key`` on Gamma, or None if empty."""
    return polytope_vertices(*cell_halfspaces(U, directions, offsets, width, key))


def cell_diameter(vertices: np.ndarray) -> float:
    """Largest pairwise vertex distance (a polytope's diameter)."""
    return float(pdist(vertices).max()) if len(vertices) > 1 else 0.0
