"""Certified uniform error of a fitted piecewise-constant Euclidean-LSH model.

For a degree-0 Euclidean :class:`~dsn_model.lsh.regressor.LSHRegressor` on
``Gamma = span(U) cap [-1, 1]^d`` and an L-Lipschitz target ``f`` (docs/theory.md,
"Certificates"):

1. every cell of the partition of Gamma by all the model's tables is found:
   for ``k = 2`` all at once by a sweep of the line arrangement
   (:func:`theory.arrangement.planar_cells`), for ``k = 1, 3`` by
   breadth-first search over facet neighbours (:func:`enumerate_cells`);
   completeness is proved by the cell volumes summing to ``vol(Gamma)``, and
   the model must hash every cell's centroid to the cell's own key;
2. the certificate describes the fitted estimator itself: its value on a cell
   is read from :meth:`~dsn_model.lsh.regressor.LSHRegressor.predict` at the
   cell's vertex centroid ``x_c`` (constant on a trained cell and under the
   ``"global"`` fallback). Under the ``"nearest"`` fallback an untrained cell
   answers ``y_j`` of the training point nearest to ``x``; every such ``j``
   lies within ``dist(x_c, X) + 2 R_c`` of ``x_c``, and the error is also at
   most ``L dist(x, X) <= L (dist(x_c, X) + R_c)``;
3. per cell, ``UB_c = max_alpha |f(x_c) - alpha| + L R_c`` over the values
   ``alpha`` the model can take on the cell (for an untrained cell under
   ``"nearest"``, at most ``L dist(x_c, X)`` + ``L R_c``), ``R_c`` the largest
   vertex distance from ``x_c`` (the covering radius about ``x_c``: distance
   is convex); ``LB_c`` is the largest error of the model at the centroid and
   the vertices.

``sup_Gamma |f - g| <= max_c UB_c`` (plus 1e-9 margins). The bound is only as
good as ``L``: for a target with a sympy expression the certificate bounds
``L`` itself on Gamma (:func:`lipschitz_on_section`); for a plain callable it
is conditional on the declared ``L`` and checks it against difference
quotients witnessed at the cells' vertices, centroids and a sample
(:func:`witnessed_lipschitz`). With ``exact=True``
the vertices are exact rationals (the binary64 parameters taken exactly).
A certificate is consistent only if ``lower <= upper``, the volumes are
complete and the keys agree; :attr:`Certificate.consistent` says so. The
``"probe"`` fallback's answer varies inside a cell; its range over the
trained neighbours ``key +- e_j`` (and the training mean) is certified.
Cost: about 5e4 cells a second for ``k = 2`` (witnesses included); 1-3 ms per cell otherwise.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations

import numpy as np
import sympy as sp
from scipy.spatial import ConvexHull

from dsn_model.data import uniform_on_section
from dsn_model.lsh.families import EuclideanLSH

from .arrangement import planar_cells
from .geometry import cell_halfspaces, covering_radius, polytope_vertices

__all__ = [
    "Certificate",
    "certify_nearest_neighbour",
    "certify_uniform_error",
    "enumerate_cells",
    "lipschitz_on_section",
    "witnessed_lipschitz",
]


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
    key_mismatches : int
        Cells whose centroid the model hashes to another key than the geometry
        says (0 unless the model's hashing and its halfspaces disagree).
    lipschitz : float
        The Lipschitz constant of ``f`` on Gamma that ``upper`` relies on.
    lipschitz_source : str
        ``"certified"`` (interval arithmetic on the target's sympy expression
        over Gamma), ``"closed form"`` (the target's own proved bound, where
        interval arithmetic cannot bound the gradient, e.g. a distance at its
        centre) or ``"declared"`` (given by the caller: ``upper`` is then
        conditional on it).
    trained_volume : float
        The share of Gamma's volume in cells every table has trained: what
        the model answers without its fallback.
    witnessed_lipschitz : float
        The largest difference quotient ``|f(p) - f(q)| / ||p - q||`` found
        among cell vertices, centroids and a sample of Gamma (each point with
        its nearest neighbours): a lower bound on the true constant.
    """

    upper: float
    lower: float
    n_cells: int
    n_seen: int
    volume_ratio: float
    key_mismatches: int = 0
    lipschitz: float = math.nan
    lipschitz_source: str = "declared"
    witnessed_lipschitz: float = 0.0
    trained_volume: float = math.nan

    @property
    def conditional(self) -> bool:
        """Whether ``upper`` rests on a Lipschitz constant the caller declared."""
        return self.lipschitz_source == "declared"

    @property
    def lipschitz_contradicted(self) -> bool:
        """A witnessed difference quotient exceeds the constant ``upper`` relies on."""
        return self.witnessed_lipschitz > self.lipschitz * (1 + 1e-9)

    @property
    def consistent(self) -> bool:
        """``lower <= upper`` (1e-9 margin), complete (volumes sum to 1), keys as the model's,
        and no witnessed difference quotient above the Lipschitz constant used."""
        return (
            self.lower <= self.upper + 1e-9
            and abs(self.volume_ratio - 1) <= 1e-9
            and self.key_mismatches == 0
            and not self.lipschitz_contradicted
        )

    def describe(self) -> str:
        """The Lipschitz constant used and where it came from, in words."""
        text = {
            "certified": "certified from the target's expression",
            "closed form": "the target's closed-form bound",
            "declared": "declared: the certificate is conditional on it",
        }[self.lipschitz_source]
        return (
            f"L = {self.lipschitz:.6g} ({text}); largest witnessed difference quotient "
            f"{self.witnessed_lipschitz:.6g}"
        )


def lipschitz_on_section(f, U: np.ndarray, L: float | None = None) -> tuple[float, str]:
    """A Lipschitz constant of ``f`` on ``Gamma = span(U) cap [-1, 1]^d`` and its source.

    For a target with a sympy expression (``f.expr`` in ``f.symbols``, as
    every :mod:`dsn_model.targets` class has), the restriction ``y -> f(U y)``
    is bounded by :func:`theory.lipschitz.lipschitz_bound` over the box
    ``|y_j| <= ||U_j||_1`` that contains Gamma's coordinates: ``"certified"``.
    Where the target's closed-form ``lipschitz_bound()`` (proved on the whole
    cube) is smaller, or interval arithmetic cannot bound the gradient (a
    distance at its centre), that: ``"closed form"``.
    A plain callable needs ``L``: ``"declared"``.

    Examples
    --------
    >>> from dsn_model.targets import LinearTarget
    >>> U = np.eye(2)[:, :1]
    >>> value, source = lipschitz_on_section(LinearTarget([3.0, 4.0]), U)
    >>> round(value, 6), source   # only the first coordinate varies on Gamma
    (3.0, 'certified')
    """
    expr, symbols = getattr(f, "expr", None), getattr(f, "symbols", None)
    if expr is None or symbols is None:
        if L is None:
            raise ValueError(
                "`L` is required for a callable without a sympy expression (`f.expr`)."
            )
        return float(L), "declared"
    from .lipschitz import lipschitz_bound

    k = U.shape[1]
    ys = sp.symbols(f"y0:{k}")
    Ue = _fractions(U)
    coords = {
        x: sum(sp.Rational(Ue[i, j].numerator, Ue[i, j].denominator) * ys[j] for j in range(k))
        for i, x in enumerate(symbols)
    }
    half = np.abs(U).sum(axis=0) * (1 + 1e-12)
    closed = float(f.lipschitz_bound()) if hasattr(f, "lipschitz_bound") else math.inf
    try:
        bound = lipschitz_bound(
            expr.subs(coords),
            ys,
            [(-h, h) for h in half],
            tol=1e-6,
            max_boxes=400,
            time_limit=10.0,
        ).upper
    except ValueError:
        if not math.isfinite(closed):
            raise
        bound = math.inf
    return (bound, "certified") if bound <= closed else (closed, "closed form")


def witnessed_lipschitz(f, U: np.ndarray, points: np.ndarray, *, neighbours: int = 4) -> float:
    """The largest ``|f(p) - f(q)| / ||p - q||`` over each point and its nearest neighbours.

    ``points`` are subspace coordinates ``y`` (rows); ``f`` is evaluated at
    ``U y``. Rounding of ``f`` (1e-12 relative) is subtracted and pairs
    closer than 1e-9 are skipped, so the result is a lower bound on the true
    Lipschitz constant on the points' hull.
    """
    from scipy.spatial import cKDTree

    points = np.unique(np.asarray(points, dtype=float), axis=0)
    if len(points) < 2:
        return 0.0
    values = f(points @ U.T)
    dist, idx = cKDTree(points).query(points, k=min(neighbours + 1, len(points)))
    dist, idx = dist[:, 1:], idx[:, 1:]
    rounding = 1e-12 * (np.abs(values)[:, None] + np.abs(values)[idx] + 1)
    change = np.maximum(np.abs(values[:, None] - values[idx]) - rounding, 0.0)
    usable = dist > 1e-9
    return float((change[usable] / dist[usable]).max(initial=0.0))


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


def _fractions(M) -> np.ndarray:
    """An object array of exact Fractions of a float array."""
    return np.vectorize(Fraction, otypes=[object])(np.asarray(M, dtype=float))


def _exact_vertices(H, h, V, scale):
    """Snap float vertices to exact rational ones: solve the k tightest constraints exactly.

    ``H`` and ``h`` are object arrays of Fractions; every snapped vertex is checked
    to satisfy all constraints exactly.
    """
    k = H.shape[1]
    Hf = H.astype(float)
    hf = h.astype(float)
    out = []
    for v in V:
        order = np.argsort(np.abs(Hf @ v - hf))
        rows = next(
            list(c)
            for c in combinations(order[: k + 4], k)
            if abs(np.linalg.det(Hf[list(c)])) > 1e-12 * scale
        )
        M = sp.Matrix(H[rows].tolist())
        x = M.LUsolve(sp.Matrix(h[rows].tolist()))
        x = np.array([Fraction(int(e.p), int(e.q)) for e in x], dtype=object)
        if any(row @ x > bound for row, bound in zip(H, h, strict=True)):
            raise ValueError("an exact vertex violates a constraint: degenerate cell.")
        out.append(x)
    return np.array(out, dtype=object)


def _sqrt_up(q: Fraction) -> float:
    r = math.nextafter(math.sqrt(float(q)), math.inf)
    while Fraction(r) ** 2 < q:
        r = math.nextafter(r, math.inf)
    return r


def _exact_cells(U, A, b, w, max_cells):
    """BFS cells with exact rational vertices: keys, centroids, radii (rounded up), volumes."""
    Ue, Ae, be, we = _fractions(U), _fractions(A), _fractions(b), Fraction(w)
    Ge = Ae @ Ue
    k = U.shape[1]
    H = np.vstack([Ue, -Ue, Ge, -Ge])
    keys, centroids, radii, volumes, points = [], [], [], [], []
    for key, V in enumerate_cells(U, A, b, w, max_cells=max_cells):
        n = np.array([Fraction(int(t)) for t in key], dtype=object)
        h = np.concatenate(
            [np.full(2 * len(U), Fraction(1), dtype=object), (n + 1) * we - be, be - n * we]
        )
        Vx = _exact_vertices(H, h, V, scale=1.0)
        c = Vx.sum(axis=0) / len(Vx)
        r2 = max(sum((v - c) ** 2) for v in Vx)
        c_float = np.array([float(t) for t in c])
        drift = sum((c - _fractions(c_float)) ** 2)  # the float centroid's distance, squared
        keys.append(key)
        centroids.append(c_float)
        radii.append(_sqrt_up(r2) + _sqrt_up(drift))
        volumes.append(_exact_volume(Vx) if k <= 2 else _volume(V))
        points.append(V)
    return keys, np.array(centroids), np.array(radii), volumes, np.vstack(points)


def _exact_volume(Vx):
    if Vx.shape[1] == 1:
        return max(Vx[:, 0]) - min(Vx[:, 0])
    c = Vx.sum(axis=0) / len(Vx)
    angle = [math.atan2(float(v[1] - c[1]), float(v[0] - c[0])) for v in Vx]
    P = Vx[np.argsort(angle)]
    Q = np.roll(P, -1, axis=0)
    return abs(sum(P[:, 0] * Q[:, 1] - Q[:, 0] * P[:, 1])) / 2


def _float_cells(U, A, b, w, max_cells):
    """keys, centroids, radii, volumes and all vertices: planar sweep for k = 2, BFS otherwise."""
    if U.shape[1] == 2:
        cells = planar_cells(U, A, b, w)
        if cells.n_cells > max_cells:
            raise ValueError(f"more than max_cells={max_cells} cells; widen the LSH width.")
        keys = [tuple(k) for k in cells.keys]
        return keys, cells.centroids, cells.radii + 1e-9, list(cells.areas), cells.vertices
    keys, centroids, radii, volumes, points = [], [], [], [], []
    for key, V in enumerate_cells(U, A, b, w, max_cells=max_cells):
        keys.append(key)
        centroids.append(V.mean(axis=0))
        radii.append(np.linalg.norm(V - V.mean(axis=0), axis=1).max() + 1e-9)
        volumes.append(_volume(V))
        points.append(V)
    return keys, np.array(centroids), np.array(radii), volumes, np.vstack(points)


def _probe_ranges(model, cell_keys, values, trained):
    """Per (cell, table): the range of answers of the ``"probe"`` fallback.

    An untrained bucket answers the value of the first trained bucket among
    its nearest neighbours ``key +- e_j`` (which ones depends on the point),
    or the training mean if none of those it tries is trained.
    """
    lo, hi = values.copy(), values.copy()
    rows, tables = np.nonzero(~trained)
    if not rows.size:
        return lo, hi
    s, D = cell_keys.shape[1:]
    m, j = len(rows), np.arange(D)
    keys = np.repeat(cell_keys[rows][:, None], 2 * D, axis=1)  # (m, 2D, s, D)
    pick = (np.arange(m)[:, None], np.arange(2 * D)[None, :], tables[:, None])
    near = keys[pick]  # (m, 2D, D): this table's key, repeated
    near[:, j, j] -= 1
    near[:, D + j, j] += 1
    keys[pick] = near
    v, t = model.bucket_values(keys.reshape(-1, s, D))
    v = v.reshape(m, 2 * D, s)[pick[0], pick[1], tables[:, None]]
    t = t.reshape(m, 2 * D, s)[pick[0], pick[1], tables[:, None]]
    mean = values[rows, tables]  # an untrained bucket holds the training mean
    with_mean = (model.n_probes < 2 * D) | ~t.any(axis=1)
    lo[rows, tables] = np.where(t, v, np.inf).min(axis=1)
    hi[rows, tables] = np.where(t, v, -np.inf).max(axis=1)
    lo[rows, tables] = np.where(with_mean, np.minimum(lo[rows, tables], mean), lo[rows, tables])
    hi[rows, tables] = np.where(with_mean, np.maximum(hi[rows, tables], mean), hi[rows, tables])
    return lo, hi


def certify_uniform_error(
    model,
    U: np.ndarray,
    f,
    L: float | None = None,
    *,
    max_cells: int = 1_000_000,
    exact: bool = False,
    witness_points: int = 4096,
    random_state: int = 0,
) -> Certificate:
    """Certify the uniform error over Gamma of a fitted Euclidean LSH model.

    The cells are those of all tables together (each an intersection of one
    cell per table): for ``k = 2`` all at once by a sweep of the arrangement
    (:func:`theory.arrangement.planar_cells`, about 5e4 cells a second), for
    ``k = 1, 3`` by breadth-first search.

    Parameters
    ----------
    model : LSHRegressor
        Fitted with ``family="euclidean"``, ``degree=0`` and ``fallback``
        ``"global"`` or ``"probe"``, or ``"nearest"`` with one table. Its cells
        are its halfspaces up to float64 rounding at the boundaries in either
        ``hash_dtype``: keys are floors of a fixed-order float64 sum.
    U : ndarray (d, k)
        Orthonormal basis of the subspace, k <= 3.
    f : callable
        The target on batches of R^d points. A target with a sympy expression
        (every :mod:`dsn_model.targets` class) gets its Lipschitz constant on
        Gamma certified here (:func:`lipschitz_on_section`); ``L`` is then
        only reported.
    L : float, optional
        A Lipschitz constant of ``f`` on Gamma, required for a plain
        callable: the certificate is then conditional on it
        (``lipschitz_source == "declared"``), and not consistent if a
        witnessed difference quotient exceeds it.
    max_cells : int
        Refuse partitions larger than this.
    exact : bool, default=False
        Vertices in exact rational arithmetic (the binary64 parameters taken
        exactly; breadth-first search, small problems); the completeness check
        is then exact for k <= 2. Otherwise float vertices, with radii rounded
        out by 1e-9.
    witness_points : int, default=4096
        Uniform points of Gamma added to the cells' vertices and centroids
        for the witnessed difference quotients.
    random_state : int, default=0
        Seed of those points.

    Raises
    ------
    ValueError
        For an unsupported model or k, or more than ``max_cells`` cells.
    """
    from scipy.spatial import cKDTree

    family = model.family_
    if (
        not isinstance(family, EuclideanLSH)
        or model.degree != 0
        or (model.fallback == "nearest" and family.n_tables != 1)
    ):
        raise ValueError(
            "`model` must be a degree-0 Euclidean LSHRegressor with fallback 'global' or "
            "'probe', or 'nearest' with one table."
        )
    U = np.asarray(U, dtype=float)
    k = U.shape[1]
    if not 1 <= k <= 3:
        raise ValueError(f"certification supports k = 1, 2 or 3. Got k = {k}.")
    if L is not None and not (isinstance(L, int | float) and math.isfinite(L) and L > 0):
        raise ValueError(f"`L` must be a finite number > 0. Got {L!r}.")
    L, source = lipschitz_on_section(f, U, L)
    A, b, w = family.directions, family.offsets, family.width
    gamma = polytope_vertices(np.vstack([U, -U]), np.ones(2 * len(U)))
    if exact:
        keys, Yc, radii, volumes, Yv = _exact_cells(U, A, b, w, max_cells)
        gamma_exact = (
            _exact_volume(
                _exact_vertices(
                    np.vstack([_fractions(U), -_fractions(U)]),
                    np.full(2 * len(U), Fraction(1), dtype=object),
                    gamma,
                    1.0,
                )
            )
            if k <= 2
            else _volume(gamma)
        )
        volume_ratio = (
            float(sum(volumes, Fraction(0)) / gamma_exact)
            if k <= 2
            else (sum(volumes) / gamma_exact)
        )
    else:
        keys, Yc, radii, volumes, Yv = _float_cells(U, A, b, w, max_cells)
        volume_ratio = float(np.sum(volumes)) / _volume(gamma)
        gamma_exact = _volume(gamma)
    centres = Yc @ U.T
    s_tables, D = family.n_tables, family.n_hashes
    cell_keys = np.array(keys, dtype=np.int64).reshape(len(keys), s_tables, D)
    mismatches = int((family.keys(centres) != cell_keys).any(axis=(1, 2)).sum())
    values, trained = model.bucket_values(cell_keys)  # the model's own per-table values
    lo, hi = values.copy(), values.copy()
    if model.fallback == "probe":
        lo, hi = _probe_ranges(model, cell_keys, values, trained)
    weights = model.table_weights_
    low = np.minimum(lo * weights, hi * weights).sum(axis=1)
    high = np.maximum(lo * weights, hi * weights).sum(axis=1)
    f_c = f(centres)
    upper = np.maximum(np.abs(f_c - low), np.abs(f_c - high)) + L * radii
    seen = trained.all(axis=1)
    if model.fallback == "nearest" and not seen.all():
        rows = np.flatnonzero(~seen)
        # distances within the subspace, where the training points lie: a k-dim tree
        inside = model.X_seen_ @ U
        off = np.linalg.norm(model.X_seen_ - inside @ U.T, axis=1).max(initial=0.0)
        tree = cKDTree(inside) if off <= 1e-12 else cKDTree(model.X_seen_)
        query = Yc[rows] if off <= 1e-12 else centres[rows]
        dist = tree.query(query, k=1)[0] + off  # off: rounding of the projection
        # the answer is y_j of some j within dist + 2R of the centroid, and within L dist(x, X)
        candidates = tree.query_ball_point(query, dist + 2 * radii[rows] + off)
        sizes = np.array([len(c) for c in candidates])
        chosen = np.concatenate([np.asarray(c, dtype=np.int64) for c in candidates])
        spread = np.abs(np.repeat(f_c[rows], sizes) - model.y_seen_[chosen])
        worst = np.maximum.reduceat(spread, np.r_[0, np.cumsum(sizes)[:-1]])
        upper[rows] = np.minimum(worst, L * dist) + L * radii[rows]
    sample = uniform_on_section(witness_points, U, random_state=random_state) @ U
    witnessed = witnessed_lipschitz(f, U, np.vstack([Yv, Yc, sample]))
    points = Yv @ U.T
    lower = max(
        float(np.abs(f(points) - model.predict(points)).max()),
        float(np.abs(f_c - model.predict(centres)).max()),
    )
    return Certificate(
        upper=float(upper.max()) + 1e-12,
        lower=lower,
        n_cells=len(keys),
        n_seen=int(seen.sum()),
        volume_ratio=volume_ratio,
        key_mismatches=mismatches,
        lipschitz=float(L),
        lipschitz_source=source,
        witnessed_lipschitz=witnessed,
        trained_volume=float(
            sum((v for v, t in zip(volumes, seen, strict=True) if t), 0) / gamma_exact
        ),
    )


def certify_nearest_neighbour(X: np.ndarray, U: np.ndarray, f, L: float | None = None) -> float:
    """Certified ``sup_Gamma |f(x) - f(x_nn(x))|`` of 1-NN regression on the sample ``X``.

    ``|f(x) - f(x_j)| <= L ||x - x_j||`` and the nearest sample is at most
    the covering radius of ``X`` over Gamma away
    (:func:`theory.geometry.covering_radius`, exact for k = 1, 2), so the
    sup error is at most ``L`` times that radius; ``L`` as in
    :func:`certify_uniform_error`. The baseline Theorem 4.1's learner is
    compared with: the same samples, no hashing.

    Examples
    --------
    >>> from dsn_model.targets import LinearTarget
    >>> U = np.array([[1.0], [0.0]])
    >>> X = np.array([[-0.5, 0.0], [0.5, 0.0]])
    >>> round(certify_nearest_neighbour(X, U, LinearTarget([2.0, 0.0])), 6)   # 2 x 0.5
    1.0
    """
    U = np.asarray(U, dtype=float)
    L, _ = lipschitz_on_section(f, U, L)
    return L * covering_radius(U, np.asarray(X, dtype=float) @ U)
