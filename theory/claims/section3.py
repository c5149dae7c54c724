"""Sections 2 and 3: the DSM's two forms, composition, and the models it simulates.

Every check compares our vectorised evaluation with an independent reference:
``math.fsum`` over the active units (correctly rounded, so independent of
order), scikit-learn's k-NN, or a DSM the check builds itself from the hash
family's hyperplanes and the labels (docs/theory.md, "Section 3").
"""

from __future__ import annotations

import math

import numpy as np

from dsn_model import DSM, RandomFeatures, SparseLayer, SparseNetwork, SwitchRouter
from dsn_model.data import uniform_cube
from dsn_model.lsh.regressor import LSHRegressor
from dsn_model.model.constructions import (
    interpolation_dsm,
    knn_dsm,
    sign_pattern_lsh_dsm,
    switch_dsm,
)
from dsn_model.model.graph import active_subgraph, evaluate_graph
from dsn_model.model.routers import BlockRouter, Router, UniformHashRouter
from dsn_model.model.routing_result import Routing

from .core import Claim, Evidence, verdict

U = 2.0**-53  # binary64 unit roundoff


class LeakyRouter(Router):
    """A broken router: the inner router's units plus one more (s + 1 active)."""

    def __init__(self, inner: Router):
        self.inner = inner
        self.n_units, self.input_dim = inner.n_units, inner.input_dim
        self.sparsity = inner.sparsity

    def _route(self, X, features):
        r = self.inner._route(X, features)
        extra = (r.units.max(axis=1, keepdims=True) + 1) % self.n_units
        extra = np.where((r.units == extra).any(axis=1, keepdims=True), -1, extra)
        units = np.hstack([r.units, extra])
        return Routing(units, (units >= 0).astype(float), self.n_units)


def _fsum_reference(A, F, units):
    """``sum_j A_j phi_j(x)`` over each row's active units, correctly rounded."""
    return np.array(
        [math.fsum(A[u] * F[i, u] for u in row if u >= 0) for i, row in enumerate(units)]
    )


def _sum_tolerance(A, F, units):
    """Error bound of a length-s dot product against the correctly rounded sum."""
    terms = np.where(
        units >= 0,
        np.abs(A[np.maximum(units, 0)])
        * np.abs(np.take_along_axis(F, np.maximum(units, 0), axis=1)),
        0.0,
    )
    return (units.shape[1] + 2) * U * terms.sum(axis=1)


# ----------------------------------------------------------------- Section 2.1
def _identity(d=6, t=40, s=5, n=300, seed=0, leak=False):
    rng = np.random.default_rng(seed)
    phi = RandomFeatures.random(d, t, random_state=rng)
    router = UniformHashRouter(d, t, s, key=seed)
    if leak:
        router = LeakyRouter(router)
    A = rng.standard_normal(t) * 10.0 ** rng.uniform(-5, 5, t)
    net = DSM(phi, router, A)
    X = uniform_cube(n, d, random_state=rng)
    F = phi.transform(X)  # phi computed once and shared by both forms
    units = net.route(X).units
    mask = net.mask(X)
    masked_weights = np.array([math.fsum((A * m) * f) for m, f in zip(mask, F, strict=True)])
    masked_features = np.array([math.fsum(A * (m * f)) for m, f in zip(mask, F, strict=True)])
    reference = _fsum_reference(A, F, units)
    error = np.abs(net.predict(X) - reference)
    # the sparse path recomputes the active features: each phi_j within (d + 2) u of
    # |B_j| |x| + |c_j| of the shared one, then the s-term sum rounds
    magnitude = np.abs(X) @ np.abs(phi.weights).T + np.abs(phi.bias)
    tol = _sum_tolerance(A, F, units) + (d + 2) * U * np.array(
        [np.abs(A[row]) @ magnitude[i, row] for i, row in enumerate(units)]
    )
    nnz = int(mask.sum(axis=1).max())
    forms_equal = bool(np.array_equal(masked_weights, masked_features))
    ok = forms_equal and bool((error <= tol).all()) and nnz <= s
    return Evidence(
        verdict(ok),
        "numeric",
        f"(A o mask) phi == A (mask o phi) bit for bit: {forms_equal}; sparse predict within "
        f"{float((error / np.maximum(tol, 1e-300)).max()):.2f} of its rounding bound; "
        f"nnz(mask) <= {nnz} (s = {s})",
        measured={"forms_equal": forms_equal, "max_nnz": nnz, "max_error": float(error.max())},
        bound={"s": s, "rounding": "(s + 2) u sum |A_j phi_j|"},
        parameters={"d": d, "t": t, "n": n},
    )


def _composition(d=5, t1=24, s1=4, t2=16, s2=3, n=200, seed=0, leak=False):
    rng = np.random.default_rng(seed)
    first = UniformHashRouter(d, t1, s1, key=seed)
    l1 = SparseLayer(
        RandomFeatures.random(d, t1, random_state=rng), LeakyRouter(first) if leak else first
    )
    l2 = SparseLayer(
        RandomFeatures.random(t1, t2, random_state=rng),
        UniformHashRouter(t1, t2, s2, key=seed + 1),
    )
    A = rng.standard_normal(t2)
    net = SparseNetwork([l1, l2], A)
    X = uniform_cube(n, d, random_state=rng)
    r1, r2 = net.route_all(X)
    # the dense reference: every unit of both layers computed, then masked
    H = l1.features.transform(X) * r1.mask()
    F2 = l2.features.transform(H)
    reference = np.array([math.fsum(row) for row in A * r2.mask() * F2])
    error = float(np.abs(net.predict(X) - reference).max())
    scale = float(np.abs(A * F2).sum(axis=1).max())
    graph = max(
        abs(evaluate_graph(active_subgraph(net, x), x) - g)
        for x, g in zip(X[:10], reference[:10], strict=True)
    )
    nnz = (int(r1.n_active().max()), int(r2.n_active().max()))
    ok = error <= 64 * U * scale and graph <= 64 * U * scale and nnz[0] <= s1 and nnz[1] <= s2
    return Evidence(
        verdict(ok),
        "numeric",
        f"sparse two-layer evaluation vs dense masked evaluation: {error:.1e}; active sub-DAG "
        f"evaluation: {graph:.1e}; active units per layer <= {nnz}",
        measured={"error": error, "graph_error": float(graph), "nnz": list(nnz)},
        bound={"tolerance": 64 * U * scale, "s": [s1, s2]},
    )


# ------------------------------------------------------------------ Section 3
def _interpolation(d=4, t=20, seed=0, perturb=0.0):
    rng = np.random.default_rng(seed)
    Xs = uniform_cube(t, d, random_state=rng)
    f = np.sin(Xs.sum(axis=1))
    B = rng.standard_normal((t, d))
    net = interpolation_dsm(Xs, f + perturb, B)
    g = net.predict(Xs)
    rel = float(np.max(np.abs(g - f) / np.maximum(np.abs(f), 1e-300)))
    nnz = int(net.route(Xs).n_active().max())
    ok = rel <= 2.0**-51 and nnz == 1
    return Evidence(
        verdict(ok),
        "numeric",
        f"max |g(x_i) - f(x_i)| / |f(x_i)| = {rel:.2e}; active units {nnz}",
        measured={"max_relative_error": rel, "active_units": nnz},
        bound={"max_relative_error": 2.0**-51, "active_units": 1},
        parameters={"d": d, "t": t},
    )


def _knn(n=300, d=5, k=7, seed=0, k_router=None):
    from sklearn.neighbors import KNeighborsRegressor

    rng = np.random.default_rng(seed)
    B = rng.standard_normal((n, d))
    B /= np.linalg.norm(B, axis=1, keepdims=True)
    f = np.cos(3 * B[:, 0]) + B[:, 1]
    net = knn_dsm(B, f * k / (k_router or k), k_router or k)
    X = rng.standard_normal((500, d)) * rng.uniform(0.1, 3, (500, 1))  # any norm
    oracle = KNeighborsRegressor(n_neighbors=k).fit(B, f).predict(X)
    err = float(np.abs(net.predict(X) - oracle).max())
    nnz = net.route(X).n_active()
    ok = err <= 2.0**-51 * 4 * np.abs(f).max() and bool((nnz == k).all())
    return Evidence(
        verdict(ok),
        "numeric",
        f"max |DSM - scikit-learn k-NN| = {err:.2e} on inputs of any norm; active units "
        f"{int(nnz.min())}-{int(nnz.max())}",
        measured={"max_error": err, "active_units": int(nnz.max())},
        bound={"max_error": 2.0**-49 * float(np.abs(f).max()), "active_units": k},
    )


def _switch(d=4, experts=6, size=3, seed=0, leak=False):
    rng = np.random.default_rng(seed)
    router = SwitchRouter.random(d, experts * size, size, random_state=rng)
    phi = RandomFeatures.random(d, experts * size, random_state=rng)
    A = rng.standard_normal(experts * size)
    net = switch_dsm(LeakyRouter(router) if leak else router, phi, A)
    X = uniform_cube(200, d, random_state=rng)
    expert = np.argmax(X @ router.gate.T, axis=1)  # the Switch rule, written out
    F = phi.transform(X)
    blocks = expert[:, None] * size + np.arange(size)
    gate = router.route(X).weights[:, :1]
    direct = gate[:, 0] * _fsum_reference(A, F, blocks)
    err = float(np.abs(net.predict(X) - direct).max())
    nnz = net.route(X).n_active()
    ok = err <= 8 * size * U * float(np.abs(A).max() * np.abs(F).max()) and bool(
        (nnz <= size).all()
    )
    return Evidence(
        verdict(ok),
        "numeric",
        f"|DSM - Switch layer| = {err:.1e}; active units per input <= {int(nnz.max())}",
        measured={"max_error": err, "active_units": int(nnz.max())},
        bound={"active_units": size, "t": experts * size},
    )


def _scaling(d=4, t=24, blocks=4, seed=0, leak=False):
    rng = np.random.default_rng(seed)
    router = BlockRouter.random(d, t, blocks, random_state=rng)
    phi = RandomFeatures.random(d, t, random_state=rng)
    A = rng.standard_normal(t)
    net = DSM(phi, LeakyRouter(router) if leak else router, A)
    X = uniform_cube(200, d, random_state=rng)
    units = net.route(X).units
    valid = np.where(units >= 0, units // (t // blocks), -1)
    one_each = bool(all(sorted(r[r >= 0].tolist()) == list(range(blocks)) for r in valid))
    F = phi.transform(X)
    err = float(np.abs(net.predict(X) - _fsum_reference(A, F, units)).max())
    ok = one_each and err <= 8 * blocks * U * float(np.abs(A).max() * np.abs(F).max())
    return Evidence(
        verdict(ok),
        "numeric",
        f"exactly one unit in each of the {blocks} blocks: {one_each}; error {err:.1e}",
        measured={"one_per_block": one_each, "max_error": err},
        bound={"blocks": blocks},
    )


def _lsh(d=3, tables=4, m=6, n=2000, seed=0, model=None):
    """The fitted LSH model against a DSM built here from its hyperplanes and the labels."""
    rng = np.random.default_rng(seed)
    X = uniform_cube(n, d, random_state=rng)
    y = np.sin(3 * X.sum(axis=1))
    if model is None:
        model = LSHRegressor(
            n_tables=tables, n_hashes=m, hash_dtype="float64", random_state=seed
        ).fit(X, y)
    family = model.family_
    reference = sign_pattern_lsh_dsm(
        family.directions, family.offsets, family.n_tables, X, y, model.table_weights_
    )
    Xt = rng.uniform(-1.2, 1.2, (2000, d))
    margin = np.abs(Xt @ family.directions.T + family.offsets).min(axis=1)
    Xt = Xt[margin > 1e-9]  # clear of every hyperplane: both sides agree on the bucket
    expected = reference.predict(Xt)
    err_model = float(np.abs(model.predict(Xt) - expected).max())
    err_dsm = float(np.abs(model.to_dsm().predict(Xt) - expected).max())
    active = {
        sum(1 for _, r in active_subgraph(model.to_dsm(), x).nodes(data="role") if r == "hidden")
        for x in Xt[:20]
    }
    t = model.to_dsm().n_units
    ok = max(err_model, err_dsm) <= 1e-12 and active == {tables} and t == tables * 2**m
    return Evidence(
        verdict(ok),
        "numeric",
        f"|LSHRegressor - independent DSM| = {err_model:.1e}, |to_dsm() - independent DSM| = "
        f"{err_dsm:.1e}; active units {sorted(active)}; t = {t}",
        measured={"model_error": err_model, "to_dsm_error": err_dsm, "t": t},
        bound={"error": 1e-12, "s": tables, "t": tables * 2**m},
        parameters={"test_points": len(Xt)},
    )


def _lsh_affine(d=3, tables=2, m=4, n=4000, seed=0, perturb=0.0):
    """Delta = 1: one affine function per bucket is DSM(d, s (d+1), s 2^m (d+1))."""
    rng = np.random.default_rng(seed)
    X = uniform_cube(n, d, random_state=rng)
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2
    model = LSHRegressor(
        n_tables=tables,
        n_hashes=m,
        degree=1,
        min_bucket_size=2 * (d + 1),
        hash_dtype="float64",
        random_state=seed,
    ).fit(X, y)
    router = sign_pattern_lsh_dsm(
        model.family_.directions, model.family_.offsets, tables, X, y
    ).router
    buckets = router.route(X).units
    # representation (a): phi = [1, x] tiled over the s 2^m buckets; per-bucket least squares
    p = d + 1
    coef = np.zeros((router.n_units, p))
    Z = np.hstack([np.ones((n, 1)), X])
    counts = np.bincount(buckets.ravel(), minlength=router.n_units)
    for unit in np.flatnonzero(counts >= 2 * p):  # a loop over buckets, in the checker only
        rows = (buckets == unit).any(axis=1)
        coef[unit] = np.linalg.lstsq(Z[rows], y[rows], rcond=None)[0]
    coef += perturb
    Xt = uniform_cube(3000, d, random_state=rng)
    unit_t = router.route(Xt).units
    fitted = (counts[unit_t] >= 2 * p).all(axis=1)
    Zt = np.hstack([np.ones((len(Xt), 1)), Xt])
    active = unit_t[:, :, None] * p + np.arange(p)  # the s (d + 1) active slots of (a)
    values = coef.reshape(-1)[active.reshape(len(Xt), -1)] * np.tile(Zt, tables)
    expected = values.sum(axis=1) / tables
    err = float(np.abs(model.predict(Xt)[fitted] - expected[fitted]).max())
    dsm_err = float(np.abs(model.to_dsm().predict(Xt) - model.predict(Xt)).max())
    nnz = active.shape[1] * active.shape[2]
    ok = err <= 1e-8 and dsm_err <= 1e-12 and nnz == tables * p
    return Evidence(
        verdict(ok),
        "numeric",
        f"Delta = 1 model vs DSM(d, s(d+1), s 2^m (d+1)) built from per-bucket least squares: "
        f"{err:.1e} on {int(fitted.sum())} points in fitted buckets; to_dsm {dsm_err:.1e}; "
        f"active units {nnz}",
        measured={"error": err, "to_dsm_error": dsm_err, "active_units": nnz},
        bound={"error": 1e-8, "active_units": tables * p, "t": tables * 2**m * p},
    )


def _knn_distance(d=5, n=2000, seed=0, squared=False, unit=True):
    """The sentence as printed: ||x - b_i||_2 = 2 - 2 <x, b_i> for unit x, b_i.

    ``squared=True`` checks the corrected form as if printed (no counter-example:
    fails as an erratum); ``unit=False`` drops the unit-norm premise (the
    correction fails too: refuted, which fails as an erratum).
    """
    rng = np.random.default_rng(seed)
    X, B = rng.standard_normal((2, n, d))
    if unit:
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        B /= np.linalg.norm(B, axis=1, keepdims=True)
    X[0] = -B[0]  # antipodal: ||x - b|| = 2, 2 - 2 <x, b> = 4
    dist = np.linalg.norm(X - B, axis=1)
    lhs = dist**2 if squared else dist
    rhs = 2 - 2 * np.einsum("nd,nd->n", X, B)
    gap = np.abs(lhs - rhs)
    worst = int(gap.argmax())
    holds = bool(gap.max() <= 1e-12)
    corrected = bool(np.abs(dist**2 - rhs).max() <= 1e-12)  # the squared identity
    return Evidence(
        "holds" if holds else ("erratum" if corrected else "refuted"),
        "numeric",
        f"counter-example x = -b: ||x - b|| = {dist[0]:.1f} but 2 - 2<x, b> = {rhs[0]:.1f}; "
        f"largest gap {gap[worst]:.3f} over {n} unit pairs; the squared form "
        f"||x - b||^2 = 2 - 2<x, b> holds to {float(np.abs(dist**2 - rhs).max()):.1e}",
        measured={
            "max_gap": float(gap.max()),
            "squared_max_gap": float(np.abs(dist**2 - rhs).max()),
        },
        bound={"gap": 1e-12},
    )


#: This module's claims, in the paper's order (:mod:`theory.claims` registers them).
CLAIMS = [
    Claim(
        "dsm.identity",
        "2.1",
        "(A o mask(x)) phi(x) = A (mask(x) o phi(x)) with at most s active units.",
        "both forms bit for bit in math.fsum with phi computed once; the sparse predict "
        "(only active units computed) against the correctly rounded sum over the support",
        _identity,
        kind="consistency",
        broken={"leak": True},  # a router with s + 1 active units
    ),
    Claim(
        "dsm.composition",
        "2.1",
        "Sparse layers compose: A (mask_2 o phi_2(mask_1 o phi_1(x))).",
        "the two-layer sparse forward pass and the active sub-DAG against the dense "
        "evaluation that computes every unit and masks afterwards",
        _composition,
        kind="consistency",
        broken={"leak": True},
    ),
    Claim(
        "simulation.interpolation",
        "3",
        "DSM(d, 1, t) interpolates t points exactly.",
        "g(x_i) = f(x_i) within 2^-51 |f| (fl(fl(y/p) p) != y in about 10% of draws, so "
        "== is not a valid check); one active unit",
        _interpolation,
        broken={"perturb": 1e-9},  # values no longer f(x_i)
    ),
    Claim(
        "simulation.knn",
        "3",
        "k-NN regression is DSM(d, k, n).",
        "the DSM against scikit-learn's KNeighborsRegressor on inputs of every norm; "
        "exactly k active units",
        _knn,
        broken={"k_router": 6},  # the DSM averages the wrong number of neighbours
    ),
    Claim(
        "simulation.switch",
        "3",
        "Top-1 Switch routing is DSM(d, s, sL).",
        "the DSM against the Switch layer written out (argmax gate, gate value times the "
        "expert's block), at most s active units",
        _switch,
        broken={"leak": True},
    ),
    Claim(
        "simulation.scaling",
        "3.1",
        "Block sparsity (Scaling Transformer) is DSM with one unit per block.",
        "exactly one active unit in each block; output against fsum",
        _scaling,
        broken={"leak": True},
    ),
    Claim(
        "simulation.lsh",
        "3.2",
        "LSH(d, s, m) is DSM(d, s, s 2^m).",
        "LSHRegressor.predict and to_dsm() against a DSM(d, s, s 2^m) the check builds "
        "from the hyperplanes and the labels (sign patterns, bucket means, global mean "
        "for empty buckets); s active units; t = s 2^m",
        _lsh,
    ),
    Claim(
        "simulation.lsh_affine",
        "3.2",
        "LSH with one degree-Delta polynomial per bucket is a DSM.",
        "Delta = 1: the model against representation (a), DSM(d, s(d+1), s 2^m (d+1)) with "
        "phi = [1, x] tiled and per-bucket least squares computed here by lstsq",
        _lsh_affine,
        broken={"perturb": 1e-6},  # coefficients not the least-squares ones
    ),
    Claim(
        "simulation.knn_distance",
        "3 (k-NN)",
        "For unit vectors, the distance is an affine function of the inner product.",
        "the printed identity on unit vectors, with the antipodal pair as counter-example; the "
        "correction ||x - b_i||_2^2 = 2 - 2<x, b_i> must hold to 1e-12 (a missing square: the "
        "k-NN simulation uses only the ordering, which the squared form preserves)",
        _knn_distance,
        quote="||x - b_i||_2 = 2 - 2<x, b_i>",
        expect="erratum",
        broken={"squared": True},  # the corrected identity has no counter-example
    ),
]
