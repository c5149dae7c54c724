"""Exact cell geometry of Euclidean LSH on a k-dim section of the cube (docs/theory.md).

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
from scipy.spatial import HalfspaceIntersection, Voronoi, cKDTree
from scipy.spatial.distance import pdist

from dsn_model.lsh.families import slab_halfspaces

__all__ = [
    "arrangement_cell_count",
    "cell_diameter",
    "cell_halfspaces",
    "cell_vertices",
    "covering_radius",
    "hyperplane_levels",
    "lambda_inf",
    "polytope_vertices",
    "support",
]


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
    """``(A, b)`` with the cell of ``key`` on Gamma equal to ``{y : A y <= b}``: the cube's
    ``|U y|_inf <= 1`` and the family's slabs (:func:`dsn_model.lsh.families.slab_halfspaces`,
    the one place they are written) in the coordinates ``x = U y``."""
    G, h = slab_halfspaces(directions, offsets, width, key)
    return np.vstack([U, -U, G @ U]), np.r_[np.ones(2 * len(U)), h]


def cell_vertices(U, directions, offsets, width, key):
    """Vertices (in y-coordinates) of the cell of ``key`` on Gamma, or None if empty."""
    return polytope_vertices(*cell_halfspaces(U, directions, offsets, width, key))


def cell_diameter(vertices: np.ndarray) -> float:
    """Largest pairwise vertex distance (a polytope's diameter)."""
    return float(pdist(vertices).max()) if len(vertices) > 1 else 0.0


def support(U: np.ndarray, g: np.ndarray) -> float:
    """``h_Gamma(g) = max g . y`` over ``Gamma_y = {y : |U y|_inf <= 1}`` (a linear program)."""
    A = np.vstack([U, -U])
    res = linprog(-g, A_ub=A, b_ub=np.ones(len(A)), bounds=[(None, None)] * len(g), method="highs")
    return float(-res.fun)


def hyperplane_levels(U, G, offsets, width) -> list[np.ndarray]:
    """Per direction ``i``, the levels ``c = n w - b_i`` of the hyperplanes ``g_i . y = c``

    that meet the interior of Gamma.
    """
    levels = []
    for g, b in zip(G, offsets, strict=True):
        h = support(U, g)
        n = np.arange(np.floor((-h + b) / width) - 1, np.ceil((h + b) / width) + 2)
        c = n * width - b
        levels.append(c[np.abs(c) < h])
    return levels


def _meets_interior(U, GS, C):
    """Which flats ``{y : GS y = c}`` (one per row of C) meet ``{y : |U y|_inf < 1}``."""
    j, k = GS.shape
    Y0 = np.linalg.lstsq(GS, C.T, rcond=None)[0].T  # (M, k) a point of each flat
    P = Y0 @ U.T  # (M, d)
    if j == k:
        return (np.abs(P) < 1).all(axis=1)
    if k - j != 1:
        raise ValueError("flats of codimension other than k or 1 are not supported (k <= 3).")
    v = np.linalg.svd(GS)[2][-1]  # the flat's direction
    q = U @ v
    moving = np.abs(q) > 1e-300
    still_ok = (np.abs(P[:, ~moving]) < 1).all(axis=1)
    a, b = (-1 - P[:, moving]) / q[moving], (1 - P[:, moving]) / q[moving]
    lo, hi = np.minimum(a, b).max(axis=1), np.maximum(a, b).min(axis=1)
    return still_ok & (lo < hi)


def arrangement_cell_count(U, directions, offsets, width) -> tuple[int, int]:
    """Cells of Gamma cut by Euclidean LSH, by the arrangement formula; and H.

    ``N = 1 + sum_{j=1..k} F_j``, ``F_j`` the j-fold intersections of
    hyperplanes of distinct directions that meet the interior of Gamma
    (docs/theory.md, "Lemma 4.2"); ``H = F_1`` is the number of hyperplanes.
    Vectorised per set of directions; k <= 3.

    Returns
    -------
    (N, H) : tuple of int
    """
    from itertools import combinations

    U = np.asarray(U, dtype=float)
    k = U.shape[1]
    if k > 3:
        raise ValueError(f"the arrangement count supports k <= 3. Got k = {k}.")
    G = np.asarray(directions, dtype=float) @ U
    levels = hyperplane_levels(U, G, np.asarray(offsets, dtype=float), width)
    H = sum(len(c) for c in levels)
    total = 1 + H
    for j in range(2, k + 1):
        for S in combinations(range(len(G)), j):
            if any(len(levels[i]) == 0 for i in S):
                continue
            grids = np.meshgrid(*[levels[i] for i in S], indexing="ij")
            C = np.stack([g.ravel() for g in grids], axis=1)
            total += int(_meets_interior(U, G[list(S)], C).sum())
    return total, H


def covering_radius(U: np.ndarray, Y: np.ndarray) -> float:
    """``max_{y in Gamma_y} min_j ||y - Y_j||``: how far a point of Gamma can be from the sample.

    ``Gamma_y = {y : |U y|_inf <= 1}`` and ``Y`` (n, k) in the same
    coordinates, k = 1 or 2. The maximum of the distance to a finite set
    over a convex polygon is attained at a Voronoi vertex inside it, where
    a Voronoi ridge crosses its boundary, or at one of its vertices; all of
    these are evaluated (every perpendicular bisector of a Voronoi ridge is
    intersected with every edge: a superset, so the maximum is exact up to
    float rounding, which is added: 1e-9 relative).

    Examples
    --------
    >>> U = np.array([[1.0], [0.0]])   # Gamma_y = [-1, 1]
    >>> round(covering_radius(U, np.array([[-0.5], [0.5]])), 6)   # ends and middle gap
    0.5
    """
    U, Y = np.asarray(U, dtype=float), np.asarray(Y, dtype=float)
    k = U.shape[1]
    gamma = polytope_vertices(np.vstack([U, -U]), np.ones(2 * len(U)))
    if k == 1:
        y = np.sort(Y[:, 0])
        lo, hi = float(gamma.min()), float(gamma.max())
        gaps = np.diff(y) / 2 if len(y) > 1 else np.zeros(0)
        radius = max(float(y[0]) - lo, hi - float(y[-1]), float(gaps.max(initial=0.0)))
        return radius * (1 + 1e-9)
    if k != 2:
        raise ValueError(f"covering_radius supports k = 1 or 2. Got k = {k}.")
    centre = gamma.mean(axis=0)
    P = gamma[np.argsort(np.arctan2(*(gamma - centre).T[::-1]))]  # counter-clockwise
    Q = np.roll(P, -1, axis=0)
    candidates = [P]
    if len(Y) >= 4:
        vor = Voronoi(Y)
        inside = (np.abs(vor.vertices @ U.T) <= 1 + 1e-12).all(axis=1)
        candidates.append(vor.vertices[inside])
        i, j = vor.ridge_points.T
        normal = Y[j] - Y[i]  # (R, 2)
        mid = (Y[i] + Y[j]) / 2
        edge = Q - P  # (E, 2)
        denom = normal @ edge.T  # (R, E)
        numer = np.einsum("rc,rc->r", mid, normal)[:, None] - normal @ P.T
        with np.errstate(divide="ignore", invalid="ignore"):
            t = numer / denom
        r, e = np.nonzero((np.abs(denom) > 1e-300) & (t >= 0) & (t <= 1))
        candidates.append(P[e] + t[r, e, None] * edge[e])
    else:  # too few points for qhull: the bisectors of every pair
        for a in range(len(Y)):
            for b in range(a + 1, len(Y)):
                normal, mid = Y[b] - Y[a], (Y[a] + Y[b]) / 2
                for p, q in zip(P, Q, strict=True):
                    denom = normal @ (q - p)
                    if abs(denom) > 1e-300:
                        t = (mid - p) @ normal / denom
                        if 0 <= t <= 1:
                            candidates.append((p + t * (q - p))[None])
    points = np.vstack(candidates)
    return float(cKDTree(Y).query(points)[0].max()) * (1 + 1e-9)
