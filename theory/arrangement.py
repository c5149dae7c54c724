"""All cells of Euclidean LSH on a 2-dimensional section of the cube, at once.

In the coordinates ``y`` of the plane (``x = U y``), the cells are the faces of
the arrangement of the lines ``g_i . y + b_i = n w`` inside the polygon
``Gamma_y = {y : |U y|_inf <= 1}``. Every vertex of a face is one of

* a crossing of two lines of different directions inside Gamma (it touches
  the 4 faces on either side of both lines),
* a crossing of a line with an edge of Gamma (2 faces), or
* a corner of Gamma (1 face),

and the key of each face at such a point is the point's key with the crossing
components set to the level on either side. So the faces are found without
visiting them one by one: the points are computed in bulk, each point is
paired with the keys of its faces, and the pairs are grouped by key
(``numpy.unique``). Per face: the vertex centroid, the largest vertex distance
from it (the covering radius about the centroid: distance is convex) and the
area by the shoelace formula after sorting the vertices by angle
(docs/theory.md, "Certificates"). Lines through a vertex of another pair (a
measure-zero event) are not supported; the total area then misses
``vol(Gamma)``, which the caller checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from .geometry import hyperplane_levels, polytope_vertices

__all__ = ["PlanarCells", "planar_cells"]


@dataclass(frozen=True)
class PlanarCells:
    """The faces of the arrangement on Gamma, one row per face.

    Attributes
    ----------
    keys : ndarray of int64 (N, D)
        The LSH key of each face.
    centroids : ndarray (N, 2)
        Vertex centroids, in plane coordinates.
    radii : ndarray (N,)
        Largest distance from the centroid to a vertex of the face.
    areas : ndarray (N,)
    vertices : ndarray (M, 2)
        The vertices of all faces, face by face (``face`` says which).
    face : ndarray of int64 (M,)
    gamma_area : float
        The area of Gamma, for the completeness check ``areas.sum() == gamma_area``.
    """

    keys: np.ndarray
    centroids: np.ndarray
    radii: np.ndarray
    areas: np.ndarray
    vertices: np.ndarray
    face: np.ndarray
    gamma_area: float

    @property
    def n_cells(self) -> int:
        return len(self.keys)


def _polygon(U):
    """Gamma_y's vertices in counter-clockwise order."""
    V = polytope_vertices(np.vstack([U, -U]), np.ones(2 * len(U)))
    c = V.mean(axis=0)
    return V[np.argsort(np.arctan2(V[:, 1] - c[1], V[:, 0] - c[0]))]


def _shoelace(points, face, n_faces):
    """Areas of convex faces from unordered vertices grouped by ``face``."""
    counts = np.bincount(face, minlength=n_faces)
    centre = np.stack([np.bincount(face, points[:, j], n_faces) for j in (0, 1)], 1)
    centre /= counts[:, None]
    rel = points - centre[face]
    order = np.lexsort((np.arctan2(rel[:, 1], rel[:, 0]), face))
    p, f = points[order], face[order]
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    nxt = np.arange(len(p)) + 1
    ends = starts + counts  # wrap each face's last vertex to its first
    nxt[ends - 1] = starts
    cross = p[:, 0] * p[nxt, 1] - p[nxt, 0] * p[:, 1]
    return np.abs(np.bincount(f, cross, n_faces)) / 2, centre


def planar_cells(U, directions, offsets, width) -> PlanarCells:
    """Every cell of Euclidean LSH restricted to the 2-dim section ``span(U) cap [-1, 1]^d``.

    Parameters
    ----------
    U : ndarray (d, 2)
        Orthonormal basis of the plane.
    directions : ndarray (D, d), offsets : ndarray (D,), width : float
        The hash family: ``key(x) = floor((A x + b) / w)``.

    Examples
    --------
    >>> from dsn_model.lsh.families import EuclideanLSH
    >>> from dsn_model.data import random_subspace
    >>> U = random_subspace(6, 2, random_state=0)
    >>> lsh = EuclideanLSH(6, 8, 0.5, random_state=0)
    >>> cells = planar_cells(U, lsh.directions, lsh.offsets, lsh.width)
    >>> bool(abs(cells.areas.sum() / cells.gamma_area - 1) < 1e-9)
    True
    """
    U = np.asarray(U, dtype=float)
    if U.shape[1] != 2:
        raise ValueError(f"`U` must span a plane (d, 2). Got {U.shape}.")
    A, b, w = np.asarray(directions, float), np.asarray(offsets, float), float(width)
    G = A @ U
    D = len(G)
    levels = hyperplane_levels(U, G, b, w)  # c = n w - b: lines g . y = c meeting int Gamma
    level_n = [np.rint((c + b[i]) / w).astype(np.int64) for i, c in enumerate(levels)]
    polygon = _polygon(U)

    def keys_at(Y):
        return np.floor((Y @ G.T + b) / w).astype(np.int64)

    points, owners = [], []
    # 1. crossings of two lines of different directions, inside Gamma: 4 faces each
    for i, j in combinations(range(D), 2):
        if not (len(levels[i]) and len(levels[j])):
            continue
        ci, cj = np.meshgrid(levels[i], levels[j], indexing="ij")
        ni, nj = np.meshgrid(level_n[i], level_n[j], indexing="ij")
        Y = np.linalg.solve(G[[i, j]], np.stack([ci.ravel(), cj.ravel()]))  # (2, M)
        Y = Y.T
        inside = (np.abs(Y @ U.T) < 1).all(axis=1)
        Y, ni, nj = Y[inside], ni.ravel()[inside], nj.ravel()[inside]
        K = keys_at(Y)
        for di in (0, -1):
            for dj in (0, -1):
                Kc = K.copy()
                Kc[:, i], Kc[:, j] = ni + di, nj + dj
                points.append(Y)
                owners.append(Kc)
    # 2. crossings of a line with an edge of Gamma: 2 faces each
    P0, P1 = polygon, np.roll(polygon, -1, axis=0)
    for i in range(D):
        if not len(levels[i]):
            continue
        s0, s1 = P0 @ G[i], P1 @ G[i]  # the line's function at the edge ends
        t = (levels[i][:, None] - s0) / (s1 - s0)  # (levels, edges)
        hit = (t >= 0) & (t < 1) & np.isfinite(t)
        li, ei = np.nonzero(hit)
        Y = P0[ei] + t[li, ei][:, None] * (P1[ei] - P0[ei])
        K = keys_at(Y)
        for di in (0, -1):
            Kc = K.copy()
            Kc[:, i] = level_n[i][li] + di
            points.append(Y)
            owners.append(Kc)
    # 3. corners of Gamma: 1 face each
    points.append(polygon)
    owners.append(keys_at(polygon))
    Y, K = np.vstack(points), np.vstack(owners)
    keys, face = np.unique(K, axis=0, return_inverse=True)
    face = face.ravel()
    n = len(keys)
    areas, centroids = _shoelace(Y, face, n)
    dist = np.linalg.norm(Y - centroids[face], axis=1)
    radii = np.zeros(n)
    np.maximum.at(radii, face, dist)
    gamma_area, _ = _shoelace(polygon, np.zeros(len(polygon), dtype=np.int64), 1)
    return PlanarCells(keys, centroids, radii, areas, Y, face, float(gamma_area[0]))
