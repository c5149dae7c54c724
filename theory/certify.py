"""Certified uniform error of a fitted piecewise-constant Euclidean-LSH model.

For a one-table Euclidean :class:`~dsn_model.lsh_regressor.LSHRegressor` on
``Gamma = span(U) cap [-1, 1]^d`` and an L-Lipschitz target ``f`` (docs/theory.md,
"Certificates"):

1. every cell of the partition of Gamma is enumerated by breadth-first search
   over facet neighbours (start: the cell of a point of Gamma; neighbours:
   ``key +- e_i`` across each non-redundant slab facet), with vertices from
   :func:`~theory.geometry.cell_vertices`; completeness is proved by the cell
   volumes summing to ``vol(Gamma)``;
2. the certificate describes the fitted estimator itself: its value on a cell
   is read from :meth:`~dsn_model.lsh_regressor.LSHRegressor.predict` at the
   cell's vertex centroid ``x_c`` (constant on the cell for a trained bucket
   and for the ``"global"`` fallback). Under the ``"nearest"`` fallback an
   untrained cell answers ``y_j`` of the training point nearest to ``x``;
   every such ``j`` lies within ``dist(x_c, X) + 2 R_c`` of ``x_c``;
3. per cell, ``UB_c = max_alpha |f(x_c) - alpha| + L R_c`` over the values
   ``alpha`` the model can take on the cell, ``R_c`` the largest vertex
   distance from ``x_c`` (the covering radius about ``x_c``: distance is
   convex); ``LB_c`` is the largest error of the model at the centroid and
   the vertices.

``sup_Gamma |f - g| <= max_c UB_c`` (plus 1e-9 margins). A certificate is
consistent only if ``lower <= upper``; :attr:`Certificate.consistent` says so.
Cost: one LP and one qhull call per cell, about 2-3 ms; feasible for k = 1
always and for k = 2 up to ~1e5 cells.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from scipy.spatial import ConvexHull

from dsn_model.lsh import EuclideanLSH

from .geometry import cell_halfspaces, polytope_vertices

__all__ = ["Certificate", "certify_uniform_error", "enumerate_cells"]


@dataclass(frozen=True)
class Certificate:
    """Certified bounds on ``sup_Gamma |f - g|`` for a fitted model.

    Attributes
    ----------
    upper, lower : float
        ``max_c UB_c`` (certified) and ``max_c LB_c`` (attained by the model).
    n_cells, n_seen : int
        Cells of Gamma, and those whose bucket held training data.
    volume_ratio : float
        ``sum vol(cells) / vol(Gamma)``: 1 up to rounding proves completeness.
    """

    upper: float
    lower: float
    n_cells: int
    n_seen: int
    volume_ratio: float

    @property
    def consistent(self) -> bool:
        """``lower <= upper`` (with a 1e-9 margin) and complete (volumes sum to 1)."""
        return self.lower <= self.upper + 1e-9 and abs(self.volume_ratio - 1) <= 1e-9


def _volume(vertices: np.ndarray) -> float:
    if vertices.shape[1] == 1:
        return float(vertices.max() - vertices.min())
    return float(ConvexHull(vertices).volume)


def enumerate_cells(
    U: np.ndarray, A: np.ndarray, b: np.ndarray, w: float, *, max_cells: int = 100_000
):
    """Yield ``(key, vertices)`` for every full-dimensional cell of Gamma (BFS, docs/theory.md).

    Starts from the cell of a point of Gamma and crosses every non-redundant
    slab facet (one shared by at least k vertices); the facet-adjacency graph
    of the cells of a convex region is connected, so every cell is reached.
    Vertices are in the subspace coordinates ``y``.

    Raises
    ------
    ValueError
        If there are more than ``max_cells`` cells.
    """
    k, D = U.shape[1], len(A)
    gamma = polytope_vertices(np.vstack([U, -U]), np.ones(2 * len(U)))
    start = tuple(np.floor((A @ (U @ gamma.mean(axis=0)) + b) / w).astype(int))
    queue, visited, count = deque([start]), {start}, 0
    while queue:
        key = queue.popleft()
        H, h = cell_halfspaces(U, A, b, w, np.array(key))
        V = polytope_vertices(H, h)
        if V is None:
            continue
        count += 1
        if count > max_cells:
            raise ValueError(f"more than max_cells={max_cells} cells; widen the LSH width.")
        yield key, V
        slack = h[2 * len(U) :, None] - H[2 * len(U) :] @ V.T  # slab constraints, per vertex
        on_facet = (np.abs(slack) <= 1e-9 * max(1.0, w)).sum(axis=1) >= k
        for j in np.flatnonzero(on_facet):
            neighbour = list(key)
            neighbour[j % D] += 1 if j < D else -1
            neighbour = tuple(neighbour)
            if neighbour not in visited:
                visited.add(neighbour)
                queue.append(neighbour)


def certify_uniform_error(
    model, U: np.ndarray, f, L: float, *, max_cells: int = 100_000
) -> Certificate:
    """Certify the uniform error over Gamma of a fitted one-table Euclidean LSH model.

    Parameters
    ----------
    model : LSHRegressor
        Fitted with ``family="euclidean"``, ``n_tables=1``, ``degree=0``,
        ``hash_dtype="float64"`` (its cells are then its halfspaces up to
        float64 rounding at the boundaries) and ``fallback`` ``"global"`` or
        ``"nearest"``.
    U : ndarray (d, k)
        Orthonormal basis of the subspace, k <= 3.
    f : callable
        The target on batches of R^d points.
    L : float
        A Lipschitz constant of ``f`` on Gamma.
    max_cells : int
        Refuse partitions larger than this.

    Raises
    ------
    ValueError
        For an unsupported model or k, or more than ``max_cells`` cells.
    """
    from sklearn.neighbors import KDTree

    family = model.family_
    if (
        not isinstance(family, EuclideanLSH)
        or family.n_tables != 1
        or model.degree != 0
        or model.fallback not in ("global", "nearest")
    ):
        raise ValueError(
            "`model` must be a one-table, degree-0 Euclidean LSHRegressor with fallback "
            "'global' or 'nearest'."
        )
    if family.dtype != "float64":
        raise ValueError(
            "`model` hashes in float32, so its cells are its halfspaces only up to a rounding "
            "band; certify a model fitted with hash_dtype='float64'."
        )
    U = np.asarray(U, dtype=float)
    k = U.shape[1]
    if not 1 <= k <= 3:
        raise ValueError(f"certification supports k = 1, 2 or 3. Got k = {k}.")
    if not (L > 0):
        raise ValueError(f"`L` must be > 0. Got {L}.")
    A, b, w = family.directions, family.offsets, family.width
    gamma = polytope_vertices(np.vstack([U, -U]), np.ones(2 * len(U)))
    vol_gamma = _volume(gamma)
    nearest = model.fallback == "nearest"
    if nearest:
        tree = KDTree(model.X_seen_)
    cells = list(enumerate_cells(U, A, b, w, max_cells=max_cells))
    total_volume = sum(_volume(V) for _, V in cells)
    centres = np.array([V.mean(axis=0) for _, V in cells]) @ U.T
    radii = np.array([np.linalg.norm(V - V.mean(axis=0), axis=1).max() for _, V in cells]) + 1e-9
    seen = model.in_trained_bucket(centres)[:, 0]
    values = model.predict(centres)
    upper = np.abs(f(centres) - values) + L * radii
    if nearest and not seen.all():
        rows = np.flatnonzero(~seen)
        dist = tree.query(centres[rows], k=1)[0][:, 0]
        candidates = tree.query_radius(centres[rows], dist + 2 * radii[rows])
        f_c = f(centres[rows])
        for r, row, cand in zip(range(len(rows)), rows, candidates, strict=True):
            # the answer y_j of some candidate j: |f(x) - y_j| <= |f(x_c) - y_j| + L R_c; and
            # |f(x) - f(x_j)| <= L dist(x, X) <= L (dist(x_c, X) + R_c) for the nearest j
            spread = min(np.abs(f_c[r] - model.y_seen_[cand]).max(), L * dist[r])
            upper[row] = spread + L * radii[row]
    points = np.vstack([V for _, V in cells]) @ U.T
    lower = float(np.abs(f(points) - model.predict(points)).max())
    lower = max(lower, float(np.abs(f(centres) - values).max()))
    return Certificate(
        upper=float(upper.max()) + 1e-12,
        lower=lower,
        n_cells=len(cells),
        n_seen=int(seen.sum()),
        volume_ratio=total_volume / vol_gamma,
    )
