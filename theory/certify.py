"""Certified uniform error of a fitted piecewise-constant Euclidean-LSH model (MATH.md §8).

For a one-table Euclidean :class:`~dsn_model.lsh_regressor.LSHRegressor` on
``Gamma = span(U) cap [-1, 1]^d`` and an L-Lipschitz target ``f``:

1. every cell of the partition of Gamma is enumerated by breadth-first search
   over facet neighbours (start: the cell of a point of Gamma; neighbours:
   ``key +- e_i`` across each non-redundant slab facet), with vertices from
   :func:`~theory.geometry.cell_vertices`; completeness is proved by the cell
   volumes summing to ``vol(Gamma)``;
2. each cell gets a constant ``alpha_c``: the bucket mean where training data
   fell, otherwise the label of the training point nearest the cell's vertex
   centroid (the "F-fill" model: a forward pass never misses);
3. per cell, ``UB_c = |f(x_c) - alpha_c| + L R_c`` with ``x_c`` the vertex
   centroid and ``R_c`` the largest vertex distance from it (the exact
   covering radius about ``x_c``: distance is convex); ``LB_c`` is the largest
   error at the centroid and the vertices.

``sup_Gamma |f - g| <= max_c UB_c`` (plus the 1e-9 margins). Cost: one LP and
one qhull call per cell, about 2-3 ms; feasible for k = 1 always and for k = 2
up to ~1e5 cells. Only k <= 2 is supported here.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from scipy.spatial import ConvexHull

from .geometry import cell_halfspaces, polytope_vertices

__all__ = ["Certificate", "certify_uniform_error", "enumerate_cells"]


@dataclass(frozen=True)
class Certificate:
    """Certified bounds on ``sup_Gamma |f - g|`` for the filled model.

    Attributes
    ----------
    upper, lower : float
        ``max_c UB_c`` (certified) and ``max_c LB_c`` (attained).
    n_cells, n_seen : int
        Cells of Gamma, and those that held training data.
    volume_ratio : float
        ``sum vol(cells) / vol(Gamma)``: 1 up to rounding proves completeness.
    values : dict
        ``key tuple -> alpha_c`` for every cell (the filled model).
    """

    upper: float
    lower: float
    n_cells: int
    n_seen: int
    volume_ratio: float
    values: dict

    def predict(self, model, X: np.ndarray) -> np.ndarray:
        """The filled model's prediction: ``alpha`` of the cell of each row."""
        keys = model.family_.keys(X)[:, 0, :]
        return np.array([self.values[tuple(k)] for k in keys])


def _volume(vertices: np.ndarray) -> float:
    if vertices.shape[1] == 1:
        return float(vertices.max() - vertices.min())
    return float(ConvexHull(vertices).volume)


def enumerate_cells(
    U: np.ndarray, A: np.ndarray, b: np.ndarray, w: float, *, max_cells: int = 100_000
):
    """Yield ``(key, vertices)`` for every full-dimensional cell of Gamma (BFS, MATH.md §4.2).

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
    model,
    U: np.ndarray,
    f,
    L: float,
    X_train: np.ndarray,
    y_train: np.ndarray,
    *,
    max_cells: int = 100_000,
) -> Certificate:
    """Certify the uniform error over Gamma of a one-table Euclidean LSH model.

    Parameters
    ----------
    model : LSHRegressor
        Fitted with ``family="euclidean"``, ``n_tables=1``, ``degree=0`` and
        ``hash_dtype="float64"`` (its cells are then its halfspaces up to
        float64 rounding at the boundaries).
    U : ndarray (d, k)
        Orthonormal basis of the subspace, k in {1, 2}.
    f : callable
        The target on batches of R^d points.
    L : float
        A Lipschitz constant of ``f`` on Gamma.
    X_train, y_train : arrays
        The training data (for the fill values of unseen cells).
    max_cells : int
        Refuse partitions larger than this.

    Raises
    ------
    ValueError
        For an unsupported model or k, or more than ``max_cells`` cells.
    """
    family = model.family_
    if type(family).__name__ != "EuclideanLSH" or family.n_tables != 1 or model.degree != 0:
        raise ValueError("`model` must be a one-table, degree-0 Euclidean LSHRegressor.")
    if family.dtype != "float64":
        raise ValueError(
            "`model` hashes in float32, so its cells are its halfspaces only up to a rounding "
            "band; certify a model fitted with hash_dtype='float64'."
        )
    U = np.asarray(U, dtype=float)
    k = U.shape[1]
    if k not in (1, 2):
        raise ValueError(f"certification supports k = 1 or 2. Got k = {k}.")
    if not (L > 0):
        raise ValueError(f"`L` must be > 0. Got {L}.")
    A, b, w = family.directions, family.offsets, family.width
    gamma = polytope_vertices(np.vstack([U, -U]), np.ones(2 * len(U)))
    vol_gamma = _volume(gamma)
    seen_keys = family.keys(X_train)[:, 0, :]
    from sklearn.neighbors import KDTree

    tree = KDTree(X_train @ U)
    values, total_volume = {}, 0.0
    upper = lower = 0.0
    n_seen = 0
    for key, V in enumerate_cells(U, A, b, w, max_cells=max_cells):
        total_volume += _volume(V)
        centre = V.mean(axis=0)
        radius = float(np.linalg.norm(V - centre, axis=1).max()) + 1e-9
        mask = (seen_keys == np.array(key)).all(axis=1)
        if mask.any():
            alpha = float(y_train[mask].mean())
            n_seen += 1
        else:
            alpha = float(y_train[tree.query(centre[None], k=1, return_distance=False)[0, 0]])
        values[key] = alpha
        points = np.vstack([centre, V]) @ U.T
        errors = np.abs(f(points) - alpha)
        upper = max(upper, float(errors[0]) + L * radius + 1e-12)
        lower = max(lower, float(errors.max()))
    return Certificate(
        upper=upper,
        lower=lower,
        n_cells=len(values),
        n_seen=n_seen,
        volume_ratio=total_volume / vol_gamma,
        values=values,
    )
