"""Section 3 of the paper: known models written as DSM(d, s, t).

Each constructor returns a :class:`~dsn_model.model.dsm.DSM` whose output equals
the original model's (docs/theory.md, "Section 3"):

* :func:`interpolation_dsm` -- DSM(d, 1, t) hits ``f`` at ``t`` points:
  ``A_i = f(x_i) / <b_i, x_i>``, ``mask(x_i) = e_i``; off the data the mask is
  the nearest data point's (:class:`NearestPointRouter`), which the paper
  leaves open;
* :func:`knn_dsm` -- k-NN regression is DSM(d, k, n): unit-norm centres, the
  ``k`` largest inner products are the ``k`` nearest centres for every ``x``;
* :func:`switch_dsm` -- top-1 expert routing is DSM(d, s, s L);
* :func:`sign_pattern_lsh_dsm` -- LSH(d, s, m) with one constant per bucket is
  DSM(d, s, s 2^m): ``phi = 1``, one unit per (table, bucket), built here from
  the hyperplanes and the labels alone, independently of
  :class:`~dsn_model.lsh.regressor.LSHRegressor`.

The proof checker compares these with the models they simulate; users can
build them to look at the sub-network an input activates.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_batch, check_positive_int
from .dsm import DSM
from .features import ConstantFeatures, RandomFeatures
from .routers import KNNRouter, Router, SwitchRouter
from .routing_result import Routing

__all__ = [
    "NearestPointRouter",
    "SignPatternRouter",
    "interpolation_dsm",
    "knn_dsm",
    "sign_pattern_lsh_dsm",
    "switch_dsm",
]


class NearestPointRouter(Router):
    """``mask(x) = e_j`` with ``j`` the nearest point to ``x`` (ties: lowest index).

    Routing costs ``2 d t`` FLOPs (one distance per point).

    Examples
    --------
    >>> router = NearestPointRouter([[0.0, 0.0], [1.0, 1.0]])
    >>> router.route([[0.9, 0.8], [0.1, 0.0]]).units.ravel().tolist()
    [1, 0]
    """

    def __init__(self, points: ArrayLike):
        self.points = check_batch(points, None, name="points")
        self.n_units, self.input_dim = self.points.shape
        self.sparsity = 1

    def _route(self, X, features):
        # |x - p|^2 = |x|^2 - 2 x.p + |p|^2; the |x|^2 term does not change the argmin
        scores = 2 * X @ self.points.T - (self.points**2).sum(axis=1)
        units = scores.argmax(axis=1)[:, None]
        return Routing(units, np.ones(units.shape), self.n_units)

    def routing_stages(self):
        return [self.points]


def interpolation_dsm(points: ArrayLike, values: ArrayLike, directions: ArrayLike) -> DSM:
    """DSM(d, 1, t) with ``g(x_i) = f(x_i)`` at ``t`` points (Section 3).

    ``phi(x) = B x`` (identity activation), ``A_i = f(x_i) / <b_i, x_i>`` and
    ``mask(x) = e_{nearest data point}``.

    Parameters
    ----------
    points : array_like (t, d)
        Distinct points ``x_i``.
    values : array_like (t,)
        ``f(x_i)``.
    directions : array_like (t, d)
        ``B``, rows ``b_i`` with ``<b_i, x_i> != 0``.

    Raises
    ------
    ValueError
        If shapes disagree or some ``<b_i, x_i> = 0``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X, B = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    >>> net = interpolation_dsm(X, np.arange(5.0), B)
    >>> np.allclose(net.predict(X), np.arange(5.0), rtol=0, atol=1e-12)
    True
    """
    X = check_batch(points, None, name="points")
    B = check_batch(directions, X.shape[1], name="directions")
    f = np.asarray(values, dtype=np.float64)
    if B.shape != X.shape or f.shape != (len(X),):
        raise ValueError(
            f"`directions` must have shape {X.shape} and `values` ({len(X)},). "
            f"Got {B.shape} and {f.shape}."
        )
    phi = RandomFeatures(B, activation="identity")
    # <b_i, x_i> as the network computes phi_i(x_i): then g(x_i) = (f_i / p_i) p_i, one
    # rounding from f_i
    p = phi._transform_units(X, np.arange(len(X))[:, None])[:, 0]
    if np.any(p == 0):
        raise ValueError("`directions`: every <b_i, x_i> must be non-zero.")
    return DSM(phi, NearestPointRouter(X), f / p)


def knn_dsm(centers: ArrayLike, values: ArrayLike, k: int) -> DSM:
    """k-NN regression as DSM(d, k, n): ``A = f(b) / k``, ``phi = 1``, the k nearest centres.

    The centres are normalised to unit norm: then the k largest ``<x, b_i>``
    are the k nearest centres of every x.

    Examples
    --------
    >>> net = knn_dsm([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], [3.0, 6.0, 9.0], k=2)
    >>> net.predict([[0.9, 0.2]]).tolist()    # (3 + 6) / 2
    [4.5]
    """
    B = check_batch(centers, None, name="centers")
    B = B / np.linalg.norm(B, axis=1, keepdims=True)
    k = check_positive_int(k, "k")
    f = np.asarray(values, dtype=np.float64)
    if f.shape != (len(B),):
        raise ValueError(f"`values` must have shape ({len(B)},). Got {f.shape}.")
    return DSM(ConstantFeatures(B.shape[1], len(B)), KNNRouter(B, k), f / k)


def switch_dsm(router: SwitchRouter, experts: RandomFeatures, weights: ArrayLike) -> DSM:
    """Top-1 expert routing as DSM(d, s, s L): ``A = [A_1 | ... | A_L]``, one block active.

    ``experts`` holds the ``s L`` hidden units of the L experts, expert ``l``
    owning units ``l s .. (l + 1) s - 1``.

    Examples
    --------
    >>> router = SwitchRouter.random(4, 6, 2, random_state=0)  # 3 experts of 2 units
    >>> net = switch_dsm(router, RandomFeatures.random(4, 6, random_state=1), np.ones(6))
    >>> int(net.route(np.zeros((1, 4)) + 0.3).n_active()[0])
    2
    """
    return DSM(experts, router, weights)


class SignPatternRouter(Router):
    """One unit per (table, sign pattern): ``i 2^m + sum_j [a_ij . x + b_ij >= 0] 2^j``.

    The sign-pattern LSH of Section 3.2 with ``t = s 2^m`` units, computed from
    the hyperplanes alone.

    Parameters
    ----------
    directions : array_like (s m, d)
        Rows ``a_ij``, table by table.
    offsets : array_like (s m,)
        ``b_ij``.
    n_tables : int
        ``s``.
    """

    def __init__(self, directions: ArrayLike, offsets: ArrayLike, n_tables: int):
        self.directions = check_batch(directions, None, name="directions")
        self.offsets = np.asarray(offsets, dtype=np.float64).reshape(-1)
        s = check_positive_int(n_tables, "n_tables")
        if len(self.directions) % s or self.offsets.shape != (len(self.directions),):
            raise ValueError("`directions` must hold n_tables * m rows and `offsets` one each.")
        self.m = len(self.directions) // s
        if self.m > 24:
            raise ValueError(
                f"2^m units per table must stay materialisable (m <= 24). Got {self.m}."
            )
        self.input_dim = self.directions.shape[1]
        self.sparsity = s
        self.n_units = s * 2**self.m

    def _route(self, X, features):
        s, m = self.sparsity, self.m
        bits = (X @ self.directions.T + self.offsets >= 0).reshape(len(X), s, m)
        units = bits @ (1 << np.arange(m)) + np.arange(s) * 2**m
        return Routing(units.astype(np.int64), np.ones(units.shape), self.n_units)

    def routing_stages(self):
        return [self.directions]


def sign_pattern_lsh_dsm(
    directions: ArrayLike,
    offsets: ArrayLike,
    n_tables: int,
    X: ArrayLike,
    y: ArrayLike,
    table_weights: ArrayLike | None = None,
) -> DSM:
    """LSH(d, s, m) with bucket means as DSM(d, s, s 2^m) (Section 3.2).

    ``A[i 2^m + z] = alpha_i c^i_z``: ``c^i_z`` the mean label of the training
    points in bucket ``z`` of table ``i``, the overall mean for a bucket with
    none (the ``"global"`` fallback); ``phi = 1``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> A, b = rng.standard_normal((6, 2)), rng.uniform(-1, 1, 6)
    >>> X = rng.uniform(-1, 1, (50, 2))
    >>> net = sign_pattern_lsh_dsm(A, b, 2, X, X[:, 0])
    >>> net.n_units, int(net.route(X[:3]).n_active().max())
    (16, 2)
    """
    router = SignPatternRouter(directions, offsets, n_tables)
    X = check_batch(X, router.input_dim, name="X")
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (len(X),):
        raise ValueError(f"`y` must have shape ({len(X)},). Got {y.shape}.")
    s = router.sparsity
    alpha = np.full(s, 1 / s) if table_weights is None else np.asarray(table_weights, float)
    units = router.route(X).units.ravel()
    counts = np.bincount(units, minlength=router.n_units)
    sums = np.bincount(units, weights=np.repeat(y, s), minlength=router.n_units)
    means = np.where(counts > 0, sums / np.maximum(counts, 1), y.mean())
    A = np.repeat(alpha, 2**router.m) * means
    return DSM(ConstantFeatures(router.input_dim, router.n_units), router, A)
