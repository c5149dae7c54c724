"""Every checkable claim of the paper as an object whose ``check()`` returns Evidence.

Verdicts: ``holds`` (the check passed), ``fails`` (it did not: a bug or a
broken input), and ``refuted`` (a literal reading of the paper that the
checker disproves with a counter-example; its reconstructed form, MATH.md
§0.3, is registered beside it). Methods: ``exact``, ``symbolic``,
``statistical`` (trials, seed, one-sided Clopper-Pearson bound) and
``certified``.

Each claim's ``check`` takes keyword parameters, so the same check can be
pointed at deliberately broken inputs (too wide a width, a wrong Lipschitz
constant, a router that activates s + 1 units) and must then fail.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import sympy as sp
from scipy import stats

from dsn_model import DSM, ConstantFeatures, KNNRouter, RandomFeatures, SwitchRouter
from dsn_model.data import random_subspace, uniform_on_section
from dsn_model.estimators import DenseRegressor, DSMRegressor, RandomHashRegressor
from dsn_model.graph import active_subgraph
from dsn_model.lsh import EuclideanLSH
from dsn_model.lsh_regressor import LSHRegressor
from dsn_model.routers import BlockRouter, Router
from dsn_model.routing import Routing
from dsn_model.targets import DistanceTarget, RandomPolynomial

from . import bounds
from .geometry import cell_diameter, cell_vertices, lambda_inf

__all__ = ["CLAIMS", "Claim", "Evidence", "check_claims"]

#: Lower 10% quantiles of lambda_inf(G), G in R^{Ck x k} Gaussian (MATH.md §4.1(b)).
Q_BAR = {2: 0.35, 4: 0.74, 8: 1.11, 16: 1.46}


@dataclass
class Evidence:
    """What a check measured, against which bound, and how."""

    claim: str
    verdict: str  # holds | fails | refuted
    method: str  # exact | symbolic | statistical | certified
    measured: str
    bound: str
    detail: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Claim:
    """A statement of the paper with a check."""

    name: str
    section: str
    statement: str
    run: Callable[..., Evidence]
    expression: sp.Expr | None = None
    literal: bool = False  # a literal reading expected to be refuted
    quick: dict = field(default_factory=dict)
    full: dict = field(default_factory=dict)

    def check(self, *, full: bool = False, **params) -> Evidence:
        """Run the check (quick sizes unless ``full``); ``params`` override them."""
        start = time.perf_counter()
        evidence = self.run(**{**(self.full if full else self.quick), **params})
        evidence.claim = self.name
        evidence.seconds = round(time.perf_counter() - start, 2)
        return evidence


def _verdict(ok: bool, literal: bool = False) -> str:
    if ok:
        return "holds"
    return "refuted" if literal else "fails"


def _lower_confidence(successes: int, trials: int, confidence: float = 0.95) -> float:
    return float(
        stats.binomtest(successes, trials).proportion_ci(confidence_level=2 * confidence - 1).low
    )


# ----------------------------------------------------------- Section 3 simulations
def _interpolation(d=4, t=20, seed=0):
    rng = np.random.default_rng(seed)
    Xs = rng.uniform(-1, 1, (t, d))
    f = np.sin(Xs.sum(axis=1))
    B = rng.standard_normal((t, d))
    p = np.einsum("td,td->t", B, Xs)  # <b_i, x_i>, computed once and shared
    net = DSM(RandomFeatures(B, activation="identity"), _NearestRouter(Xs), f / p)
    g = net.predict(Xs)
    err = float(np.max(np.abs(g - f) / np.maximum(np.abs(f), 1e-300)))
    nnz = int(net.route(Xs).n_active().max())
    ok = err <= 2.0**-51 * 4 and nnz == 1
    return Evidence(
        "",
        _verdict(ok),
        "exact",
        f"max rel. error {err:.2e}, nnz {nnz}",
        "<= 2^-49 (four roundings), nnz = 1",
        f"t = {t} points in d = {d}",
    )


class _NearestRouter(Router):
    """mask(x) = e_{argmin_i |x - x_i|} (MATH.md §2.1's choice off the data)."""

    def __init__(self, points):
        self.points = np.asarray(points)
        self.n_units, self.input_dim = self.points.shape
        self.sparsity = 1

    def _route(self, X, features):
        d2 = ((X[:, None, :] - self.points[None]) ** 2).sum(axis=2)
        units = d2.argmin(axis=1)[:, None]
        return Routing(units, np.ones(units.shape), self.n_units)


def _knn(n=300, d=5, k=7, seed=0):
    from sklearn.neighbors import KNeighborsRegressor

    rng = np.random.default_rng(seed)
    B = rng.standard_normal((n, d))
    B /= np.linalg.norm(B, axis=1, keepdims=True)
    f = np.cos(3 * B[:, 0]) + B[:, 1]
    net = DSM(ConstantFeatures(d, n), KNNRouter(B, k), f / k)
    X = rng.standard_normal((500, d))
    oracle = KNeighborsRegressor(n_neighbors=k).fit(B, f).predict(X)
    err = float(np.abs(net.predict(X) - oracle).max())
    nnz = net.route(X).n_active()
    ok = err <= 2.0**-48 * np.abs(f).max() and (nnz == k).all()
    return Evidence(
        "",
        _verdict(ok),
        "exact",
        f"max |DSM - sklearn k-NN| = {err:.2e}; active units {int(nnz.max())}",
        f"<= 2^-48 max|f|; exactly k = {k}",
        f"DSM(d={d}, s={k}, t={n})",
    )


def _switch(d=4, experts=6, size=3, seed=0, extra_unit=False):
    rng = np.random.default_rng(seed)
    router = SwitchRouter.random(d, experts, size, random_state=rng)
    if extra_unit:
        router = _LeakyRouter(router)
    phi = RandomFeatures.random(d, experts * size, random_state=rng)
    A = rng.standard_normal(experts * size)
    net = DSM(phi, router, A)
    X = rng.uniform(-1, 1, (200, d))
    expert = np.argmax(X @ net.router.gate.T if not extra_unit else X @ router.inner.gate.T, 1)
    F = phi.transform(X)
    blocks = expert[:, None] * size + np.arange(size)
    direct = np.array([math.fsum(A[u] * F[i, u] for u in row) for i, row in enumerate(blocks)])
    err = float(np.abs(net.predict(X) - direct).max())
    nnz = net.route(X).n_active()
    ok = err <= 1e-12 and (nnz <= size).all()
    return Evidence(
        "",
        _verdict(ok),
        "exact",
        f"|DSM - Switch| = {err:.1e}; active units per input <= {int(nnz.max())}",
        f"1e-12; s = {size} (one expert block)",
        f"t = s L = {experts * size}",
    )


class _LeakyRouter(Router):
    """A broken router: the Switch block plus one more unit (s + 1 active)."""

    def __init__(self, inner):
        self.inner = inner
        self.n_units, self.input_dim = inner.n_units, inner.input_dim
        self.sparsity = inner.sparsity

    def _route(self, X, features):
        r = self.inner._route(X, features)
        extra = (r.units[:, -1:] + 1) % self.n_units
        units = np.hstack([r.units, extra])
        return Routing(units, np.ones(units.shape), self.n_units)


def _scaling(d=4, t=24, blocks=4, seed=0):
    rng = np.random.default_rng(seed)
    router = BlockRouter.random(d, t, blocks, random_state=rng)
    phi = RandomFeatures.random(d, t, random_state=rng)
    A = rng.standard_normal(t)
    net = DSM(phi, router, A)
    X = rng.uniform(-1, 1, (200, d))
    units = net.route(X).units
    per_block = units // (t // blocks)
    one_each = bool((np.sort(per_block, axis=1) == np.arange(blocks)).all())
    F = phi.transform(X)
    direct = np.array([math.fsum(A[u] * F[i, u] for u in row) for i, row in enumerate(units)])
    err = float(np.abs(net.predict(X) - direct).max())
    ok = one_each and err <= 1e-12
    return Evidence(
        "",
        _verdict(ok),
        "exact",
        f"one unit per block: {one_each}; error {err:.1e}",
        "every block exactly once; 1e-12",
        f"s = {blocks} blocks of {t // blocks}",
    )


def _lsh_simulation(d=3, tables=4, m=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (2000, d))
    y = np.sin(X.sum(axis=1))
    model = LSHRegressor(n_tables=tables, n_hashes=m, random_state=seed).fit(X, y)
    dsm = model.to_dsm()
    Xt = rng.uniform(-1.5, 1.5, (500, d))
    err = float(np.abs(dsm.predict(Xt) - model.predict(Xt)).max())
    sizes = {
        sum(1 for _, r in active_subgraph(dsm, x).nodes(data="role") if r == "hidden")
        for x in Xt[:20]
    }
    ok = err <= 1e-12 and sizes == {tables} and dsm.n_units == tables * 2**m
    return Evidence(
        "",
        _verdict(ok),
        "exact",
        f"|DSM - LSH| = {err:.1e}; active sub-DAG sizes {sorted(sizes)}; t = {dsm.n_units}",
        f"1e-12; s = {tables}; t = s 2^m = {tables * 2**m}",
        "LSH(d, s, m) as DSM(d, s, s 2^m), Section 3.2",
    )


# --------------------------------------------------------------------- Lemma 4.2
def _section_cells(d, k, C, width, seed, n_points=4000):
    """A random Gamma, Euclidean LSH on it, and the keys met by sample points."""
    rng = np.random.default_rng(seed)
    U = random_subspace(d, k, random_state=rng)
    lsh = EuclideanLSH(d, C * k, width, random_state=rng)
    X = uniform_on_section(n_points, U, random_state=rng)
    keys = np.unique(lsh.keys(X)[:, 0, :], axis=0)
    return U, lsh, keys


def _diameter(d=8, k=2, C=4, eps=0.5, L=1.0, width_factor=1.0, trials=3, seed=0, max_cells=300):
    worst = 0.0
    cells = 0
    for trial in range(trials):
        rng_seed = seed * 1000 + trial
        U, probe, _ = _section_cells(d, k, C, 1.0, rng_seed, n_points=10)
        lam = lambda_inf(probe.directions @ U)
        width = width_factor * (1 - 1e-9) * eps * lam / L  # the certified width
        U, lsh, keys = _section_cells(d, k, C, width, rng_seed)
        for key in keys[:max_cells]:
            V = cell_vertices(U, lsh.directions, lsh.offsets, lsh.width, key)
            if V is not None:
                worst = max(worst, cell_diameter(V) * L / eps)
                cells += 1
    ok = worst <= 1 + 1e-9
    return Evidence(
        "",
        _verdict(ok),
        "certified",
        f"max cell diameter = {worst:.4f} eps/L over {cells} cells",
        "<= eps/L (width = eps lambda_inf / L)",
        f"d={d}, k={k}, C={C}, {trials} draws; diameters from polytope vertices",
    )


def _lambda_probability(k=2, C=4, trials=100, seed=0, threshold=None):
    q = Q_BAR[C] if threshold is None else threshold
    rng = np.random.default_rng(seed)
    good = sum(lambda_inf(rng.standard_normal((C * k, k))) >= q for _ in range(trials))
    low = _lower_confidence(good, trials)
    critical = {20: 11, 50: 32, 100: 81}.get(trials)
    ok = good > critical if critical is not None else low >= 0.8
    return Evidence(
        "",
        _verdict(ok),
        "statistical",
        f"{good}/{trials} draws with lambda_inf >= {q} (95% lower bound {low:.3f})",
        "P >= 0.9",
        f"k={k}, C={C}, seed {seed}; reject if successes <= {critical}",
    )


def _count(d=8, k=2, C=4, width=0.5, seed=0, literal=False):
    """Exact cell count for k = 2 by the arrangement formula N = 1 + F1 + F2."""
    rng = np.random.default_rng(seed)
    U = random_subspace(d, k, random_state=rng)
    lsh = EuclideanLSH(d, C * k, width, random_state=rng)
    G = lsh.directions @ U
    n_cells = _arrangement_count(U, G, lsh.offsets, width)
    if literal:
        bound = float(bounds.naive_bucket_count(d, k, sp.Rational(str(width))))
        ok = n_cells <= bound
        return Evidence(
            "",
            _verdict(ok, literal=True),
            "exact",
            f"N = {n_cells} cells",
            f"(2 sqrt(d)/w)^k = {bound:.1f}",
            "the literal Lemma 4.2(2); MATH.md E6",
        )
    from .certify import enumerate_cells

    H = _hyperplanes_meeting(U, G, lsh.offsets, width)[1]
    phi = int(bounds.cell_count_bound(H, k))
    enumerated = sum(1 for _ in enumerate_cells(U, lsh.directions, lsh.offsets, width))
    ok = n_cells == enumerated and n_cells <= phi
    return Evidence(
        "",
        _verdict(ok),
        "exact",
        f"N = {n_cells} cells by the arrangement formula, {enumerated} by enumeration; "
        f"H = {H} lines",
        f"formula == enumeration; Phi_k(H) = {phi}",
        f"d={d}, k={k}, C={C}, w={width}",
    )


def _support(U, g):
    """h_Gamma(g) = max g . y over Gamma_y, by LP."""
    from scipy.optimize import linprog

    A = np.vstack([U, -U])
    res = linprog(-g, A_ub=A, b_ub=np.ones(len(A)), bounds=[(None, None)] * len(g), method="highs")
    return -res.fun


def _hyperplanes_meeting(U, G, b, w):
    lines = []
    for i, g in enumerate(G):
        h = _support(U, g)
        n = np.arange(math.floor((-h + b[i]) / w) - 1, math.ceil((h + b[i]) / w) + 2)
        c = n * w - b[i]
        keep = np.abs(c) < h
        lines += [(i, ci) for ci in c[keep]]
    return lines, len(lines)


def _arrangement_count(U, G, b, w):
    lines, H = _hyperplanes_meeting(U, G, b, w)
    if U.shape[1] == 1:
        return H + 1
    idx = np.array([i for i, _ in lines])
    c = np.array([ci for _, ci in lines])
    points = 0
    for a in range(len(lines)):
        other = np.flatnonzero(idx > idx[a])
        if not other.size:
            continue
        M = np.stack([np.broadcast_to(G[idx[a]], (other.size, 2)), G[idx[other]]], axis=1)
        rhs = np.stack([np.full(other.size, c[a]), c[other]], axis=1)
        Y = np.linalg.solve(M, rhs[..., None])[..., 0]
        points += int((np.abs(Y @ U.T).max(axis=1) < 1).sum())
    return 1 + H + points


# --------------------------------------------------------------------- Theorem 4.1
def _theorem_4_1(
    d=8,
    k=1,
    eps=0.2,
    L=1.0,
    C=4,
    factor=4,
    trials=20,
    seed=0,
    declared_L=None,
    fallback="nearest",
    literal=False,
):
    declared = L if declared_L is None else declared_L
    n = factor * math.ceil(float(sp.N(bounds.sample_complexity(d, k, declared, eps))))
    successes = 0
    worst = 0.0
    for trial in range(trials):
        rng = np.random.default_rng(seed * 10_000 + trial)
        U = random_subspace(d, k, random_state=rng)
        center = uniform_on_section(1, U, random_state=rng)[0]
        f = DistanceTarget(center, lipschitz=L)  # |grad f| = L everywhere: the hard case
        X = uniform_on_section(n, U, random_state=rng)
        state = int(rng.integers(2**31))
        probe = EuclideanLSH(d, C * k, 1.0, random_state=np.random.default_rng(state))
        G = probe.directions @ U
        lam = np.linalg.svd(G, compute_uv=False).min() / math.sqrt(C * k)
        width = (1 - 1e-9) * eps * lam / declared
        model = LSHRegressor(
            family="euclidean",
            n_tables=1,
            n_hashes=C * k,
            width=width,
            fallback=fallback,
            hash_dtype="float64",
            random_state=np.random.default_rng(state),
        )
        model.fit(X, f(X))
        Xt = uniform_on_section(5000, U, random_state=rng)
        err = float(np.abs(model.predict(Xt) - f(Xt)).max())
        worst = max(worst, err)
        successes += err <= eps
    critical = {20: 11, 50: 32, 100: 69}[trials]
    ok = successes > critical
    low = _lower_confidence(successes, trials)
    return Evidence(
        "",
        _verdict(ok, literal),
        "statistical",
        f"{successes}/{trials} trials with sup error <= eps (95% lower bound "
        f"{low:.2f}); worst {worst:.3f}",
        f"P >= 0.8 at eps = {eps}: reject if <= {critical}",
        f"d={d}, k={k}, n = {factor} n_paper = {n}, fallback={fallback!r}, target L |x - c|",
    )


def _certified(d=8, k=1, eps=0.2, L=1.0, C=4, factor=4, seed=0, declared_L=None):
    """F-fill learner at the certified width, n = factor n_paper: sup error <= eps, certified."""
    from .certify import certify_uniform_error

    declared = L if declared_L is None else declared_L
    n = factor * math.ceil(float(sp.N(bounds.sample_complexity(d, k, declared, eps))))
    rng = np.random.default_rng(seed)
    U = random_subspace(d, k, random_state=rng)
    f = DistanceTarget(uniform_on_section(1, U, random_state=rng)[0], lipschitz=L)
    X = uniform_on_section(n, U, random_state=rng)
    state = int(rng.integers(2**31))
    probe = EuclideanLSH(d, C * k, 1.0, random_state=np.random.default_rng(state))
    width = (1 - 1e-9) * eps * lambda_inf(probe.directions @ U) / declared
    model = LSHRegressor(
        family="euclidean",
        n_tables=1,
        n_hashes=C * k,
        width=width,
        hash_dtype="float64",  # exact cells: certificates need them
        random_state=np.random.default_rng(state),
    ).fit(X, f(X))
    cert = certify_uniform_error(model, U, f, declared, X, f(X))
    complete = abs(cert.volume_ratio - 1) <= 1e-9
    ok = complete and cert.upper <= eps
    return Evidence(
        "",
        _verdict(ok),
        "certified",
        f"sup error in [{cert.lower:.4f}, {cert.upper:.4f}] over {cert.n_cells} "
        f"cells ({cert.n_seen} seen); volumes sum to {cert.volume_ratio:.12f} vol",
        f"<= eps = {eps}; volume ratio 1",
        f"d={d}, k={k}, n = {factor} n_paper = {n}, "
        "fill = label nearest each unseen cell's centroid",
    )


# --------------------------------------------------------------------- Theorem 4.3
def _packing(d=8, k=2, L=1.0, eps=0.2, theta=1.25, seed=0, literal=False):
    q = d // k
    h = theta * eps
    r = h / L
    m = math.floor(math.sqrt(q) / r) + 1
    N = m**k
    axis = -math.sqrt(q) + 2 * r * np.arange(m)
    Z = np.array(np.meshgrid(*[axis] * k, indexing="ij")).reshape(k, -1).T
    Ublock = np.zeros((d, k))
    for j in range(k):
        Ublock[j * q : (j + 1) * q, j] = 1 / math.sqrt(q)
    centres = Z @ Ublock.T
    inside = bool(np.abs(centres).max() <= 1 + 1e-12)
    from scipy.spatial.distance import pdist

    separation = float(pdist(centres).min()) / (2 * r) if N > 1 else np.inf
    rng = np.random.default_rng(seed)
    w = N - 1
    Phi = np.maximum(centres @ rng.standard_normal((d, w)) + rng.uniform(-1, 1, w), 0)
    _, _, Vt = np.linalg.svd(Phi.T)
    c = Vt[-1]  # c^T Phi = 0: no model on these w features fits f_sign(c)
    certificate = float(np.abs(c @ Phi).max() / np.abs(c).sum())
    if literal:  # N >= (sqrt(d) L / (theta eps))^k with a constant C = theta
        target = (math.sqrt(d) * L / (theta * eps)) ** k
        ok = N >= target
        return Evidence(
            "",
            _verdict(ok, literal=True),
            "exact",
            f"packing size N = {N}",
            f"(sqrt(d) L / (C eps))^k = {target:.1f} with constant C = {theta}",
            "MATH.md E7: sections of the cube are too small; C must grow like sqrt k",
        )
    bound = float(
        sp.N(
            bounds.dense_width_lower_bound(
                d, k, L, sp.Rational(str(eps)), theta=sp.Rational(str(theta))
            )
        )
    )
    ok = inside and separation >= 1 - 1e-12 and certificate <= 1e-10 and N >= bound
    return Evidence(
        "",
        _verdict(ok),
        "exact",
        f"N = {N} bumps in Gamma: {inside}; min separation / 2r = {separation:.6f};"
        f" null-vector certificate {certificate:.1e}",
        f"N >= theory.bounds width {bound:.1f}; separation >= 1; certificate <= 1e-10",
        f"d={d}, k={k}, theta={theta}: w = N - 1 random ReLU features miss a bump",
    )


# ---------------------------------------------------------------------- Equation 1
def _equation_1(d=16, k=2, L=1.0, C=4, eps_values=(0.4, 0.2, 0.1)):
    ratios, predicted = [], []
    for eps in eps_values:
        D = C * k
        sparse = 2 * D * d + 3 * D  # instrumented LSH-NN hit path (MATH.md §5.2)
        N = (math.floor(math.sqrt(d / k) * L / (1.25 * eps)) + 1) ** k
        dense = d * N
        ratios.append(dense / sparse)
        predicted.append(
            float(
                sp.N(
                    bounds.forward_cost_dense(d, k, L, sp.Rational(str(eps))) / (2 * D * d + 3 * D)
                )
            )
        )
    increasing = all(a < b for a, b in itertools.pairwise(ratios))
    close = all(r >= p for r, p in zip(ratios, predicted, strict=True))
    limit = bounds.compare(
        bounds.forward_cost_sparse(d, k, L, bounds.eps),
        bounds.forward_cost_dense(d, k, L, bounds.eps),
        bounds.eps,
    ).limit
    ok = increasing and close and limit == 0
    return Evidence(
        "",
        _verdict(ok),
        "symbolic",
        "dense/sparse cost "
        + ", ".join(f"{r:.0f}" for r in ratios)
        + f" at eps = {list(eps_values)}; sympy limit of sparse/dense: {limit}",
        "increasing as eps -> 0, >= the sympy width bound, limit 0",
        "sparse = 2Dd + 3D word operations, dense = d x packing size",
    )


# ------------------------------------------------------------- the literal traps
def _origin_hyperplanes(d=4, k=2, m=16, seed=0):
    """Charikar's family (offset 0): buckets are cones, so ||x|| cannot be approximated."""
    rng = np.random.default_rng(seed)
    U = random_subspace(d, k, random_state=rng)
    X = uniform_on_section(20000, U, random_state=rng)
    f = DistanceTarget(np.zeros(d))
    model = LSHRegressor(n_tables=1, n_hashes=m, offset=0.0, random_state=seed).fit(X, f(X))
    Xt = np.vstack([uniform_on_section(5000, U, random_state=rng), 1e-3 * X[:2000]])
    err = float(np.abs(model.predict(Xt) - f(Xt)).max())
    return Evidence(
        "",
        _verdict(err <= 0.25, literal=True),
        "statistical",
        f"sup error {err:.3f} with m = {m} hyperplanes through 0",
        "the literal claim: small for large m (here: <= 0.25)",
        "every closed bucket is a cone containing 0 (MATH.md E14); error >= R/2",
    )


# --------------------------------------------------------------- the experiments
def _ordering(better="dsm", worse="dense", seeds=5, n_train=4000, active=64, total=512):
    rng_targets = [RandomPolynomial(8, 4, random_state=s) for s in range(seeds)]
    wins = 0
    for s, f in enumerate(rng_targets):
        rng = np.random.default_rng(100 + s)
        X, Xt = rng.uniform(-1, 1, (n_train, 8)), rng.uniform(-1, 1, (2000, 8))
        models = {
            "dense": DenseRegressor(n_units=active, random_state=s),
            "dsm": DSMRegressor(n_units=total, n_active=active, random_state=s),
            "hash": RandomHashRegressor(n_units=total, n_active=active, random_state=s),
            "lsh": LSHRegressor(n_tables=active, n_hashes=14, fallback="probe", random_state=s),
        }
        mse = {
            name: np.mean((models[name].fit(X, f(X)).predict(Xt) - f(Xt)) ** 2)
            for name in (better, worse)
        }
        wins += mse[better] < mse[worse]
    p = stats.binomtest(wins, seeds, 0.5, alternative="greater").pvalue
    ok = p < 0.05
    return Evidence(
        "",
        _verdict(ok),
        "statistical",
        f"{better} better than {worse} in {wins}/{seeds} paired seeds",
        "one-sided sign test p < 0.05",
        f"sign-test p = {p:.3f}; {active} active",
    )


def _claims() -> dict[str, Claim]:
    e = bounds.SYMBOLS
    items = [
        Claim(
            "simulation.interpolation",
            "3",
            "DSM(d, 1, t) interpolates t points exactly.",
            _interpolation,
        ),
        Claim("simulation.knn", "3", "k-NN regression is DSM(d, k, n).", _knn),
        Claim("simulation.switch", "3", "Top-1 Switch routing is DSM(d, s, sL).", _switch),
        Claim(
            "simulation.scaling", "3.1", "Block sparsity is DSM with one unit per block.", _scaling
        ),
        Claim("simulation.lsh", "3.2", "LSH(d, s, m) is DSM(d, s, s 2^m).", _lsh_simulation),
        Claim(
            "lemma_4_2.diameter",
            "4",
            "Every cell on Gamma has diameter <= eps/L at the certified width.",
            _diameter,
            quick={"trials": 2},
            full={"trials": 10},
        ),
        Claim(
            "lemma_4_2.probability",
            "4",
            "P(lambda_inf(G) >= q(C)) >= 0.9.",
            _lambda_probability,
            quick={"trials": 100},
            full={"trials": 100, "seed": 1},
        ),
        Claim(
            "lemma_4_2.count",
            "4",
            "N <= Phi_k(H) non-empty cells; N equals the arrangement formula.",
            _count,
            full={"width": 0.3, "seed": 3},
        ),
        Claim(
            "lemma_4_2.count_literal",
            "4",
            "N <= (2 sqrt(d)/eps)^k (as written).",
            _count,
            literal=True,
            quick={"literal": True, "width": 0.25, "C": 8},
            full={"literal": True, "width": 0.25, "C": 8},
        ),
        Claim(
            "theorem_4_1",
            "4",
            "LSH learner reaches uniform error eps w.p. >= 0.8.",
            _theorem_4_1,
            expression=bounds.sample_complexity(e["d"], e["k"], e["L"], e["eps"]),
            quick={"trials": 20},
            full={"trials": 50, "k": 2, "eps": 0.2},
        ),
        Claim(
            "theorem_4_1.no_fallback",
            "4",
            "The same without an unseen-bucket fallback.",
            _theorem_4_1,
            literal=True,
            quick={"trials": 20, "fallback": "global", "literal": True, "k": 2},
            full={"trials": 50, "fallback": "global", "literal": True, "k": 2},
        ),
        Claim(
            "theorem_4_1.certified",
            "4",
            "The filled LSH learner's uniform error is <= eps (certificate over every cell).",
            _certified,
            quick={"k": 1, "factor": 4},
            full={"k": 2, "factor": 1},
        ),
        Claim(
            "theorem_4_3",
            "4",
            "A dense model needs width (sqrt(d) L/(theta sqrt(k) eps))^k.",
            _packing,
            expression=bounds.dense_width_lower_bound(e["d"], e["k"], e["L"], e["eps"]),
        ),
        Claim(
            "theorem_4_3.constant_C",
            "4",
            "The same with a constant C (as written).",
            _packing,
            literal=True,
            quick={"literal": True, "k": 3, "d": 12, "eps": 0.25},
            full={"literal": True, "k": 3, "d": 12, "eps": 0.25},
        ),
        Claim(
            "equation_1",
            "4",
            "Sparse inference is exponentially cheaper than dense.",
            _equation_1,
            expression=bounds.inference_gap(e["d"], e["k"], e["L"], e["eps"]),
        ),
        Claim(
            "hyperplane_lsh.origin",
            "3.2",
            "Hyperplane LSH through the origin approximates uniformly for large m (as written).",
            _origin_hyperplanes,
            literal=True,
        ),
        Claim(
            "experiments.dsm_beats_dense",
            "5",
            "DSM beats dense at equal active units.",
            _ordering,
            quick={"seeds": 5},
            full={"seeds": 10, "n_train": 20000},
        ),
        Claim(
            "experiments.hash_worse_than_dense",
            "5",
            "Random hash is worse than dense.",
            _ordering,
            quick={"better": "dense", "worse": "hash", "seeds": 5},
            full={"better": "dense", "worse": "hash", "seeds": 10, "n_train": 20000},
        ),
        Claim(
            "experiments.lsh_beats_dense",
            "5",
            "LSH (2^14 buckets) beats dense at 32 activated units (not at 128-256: see REPORT.md).",
            _ordering,
            quick={"better": "lsh", "worse": "dense", "seeds": 5, "active": 32},
            full={"better": "lsh", "worse": "dense", "seeds": 10, "n_train": 20000, "active": 32},
        ),
    ]
    return {c.name: c for c in items}


#: Every registered claim by name.
CLAIMS = _claims()


def check_claims(names=None, *, full: bool = False, progress: bool = False) -> list[Evidence]:
    """Check the named claims (all by default) and return their Evidence in order."""
    names = list(CLAIMS) if not names else list(names)
    unknown = [n for n in names if n not in CLAIMS]
    if unknown:
        raise ValueError(f"Unknown claim(s) {unknown}; known: {sorted(CLAIMS)}.")
    from tqdm.auto import tqdm

    return [CLAIMS[n].check(full=full) for n in tqdm(names, disable=not progress, desc="claims")]
