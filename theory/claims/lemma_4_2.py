"""Lemma 4.2: Euclidean LSH on a k-dimensional section of the cube.

(1) every cell has diameter below ``w / lambda_inf(G)`` (so ``eps / L`` at the
certified width), with ``lambda_inf`` large with probability 0.9; (2) the
number of cells meeting Gamma is ``(2 sqrt(d) / w)^{O(k)}``. Cells are exact
polytopes (vertex enumeration), counted by the arrangement formula and by
enumeration (docs/theory.md, "Lemma 4.2").
"""

from __future__ import annotations

import math
from itertools import product

import numpy as np
from scipy.spatial import ConvexHull

from dsn_model.data import random_subspace, uniform_on_section
from dsn_model.lsh.families import EuclideanLSH

from ..certify import enumerate_cells
from ..geometry import (
    arrangement_cell_count,
    cell_diameter,
    cell_vertices,
    lambda_inf,
    polytope_vertices,
)
from .core import Claim, Evidence, verdict
from .inference import BinomialTest

#: Lower constants q(C) with P(lambda_inf(G) >= q(C)) >= 0.9 for G in R^{Ck x k} Gaussian,
#: k <= 3: the 10% quantiles of 3000 draws lowered by two standard errors.
Q_BAR = {2: 0.35, 4: 0.74, 8: 1.11, 16: 1.46}


def _section(d, k, C, width, rng):
    U = random_subspace(d, k, random_state=rng)
    return U, EuclideanLSH(d, C * k, width, random_state=rng)


def _diameter(d=8, k=2, C=4, eps=0.5, L=1.0, width_factor=1.0, trials=3, seed=0, max_cells=300):
    worst, cells = 0.0, 0
    for trial in range(trials):
        rng = np.random.default_rng(seed * 1000 + trial)
        U = random_subspace(d, k, random_state=rng)
        state = int(rng.integers(2**31))
        probe = EuclideanLSH(d, C * k, 1.0, random_state=state)
        width = width_factor * (1 - 1e-9) * eps * lambda_inf(probe.directions @ U) / L
        lsh = EuclideanLSH(d, C * k, width, random_state=state)
        X = uniform_on_section(4000, U, random_state=rng)
        for key in np.unique(lsh.keys(X)[:, 0, :], axis=0)[:max_cells]:
            V = cell_vertices(U, lsh.directions, lsh.offsets, lsh.width, key)
            if V is not None:
                worst = max(worst, cell_diameter(V) * L / eps)
                cells += 1
    ok = worst <= 1 + 1e-9
    return Evidence(
        verdict(ok),
        "certified",
        f"max cell diameter {worst:.4f} eps/L over {cells} cells (exact, from polytope vertices)",
        measured={"max_diameter_over_eps_per_L": worst, "cells": cells},
        bound={"max_diameter_over_eps_per_L": 1 + 1e-9},
        parameters={"width": "(1 - 1e-9) eps lambda_inf(G) / L"},
    )


def _probability(ks=(2,), Cs=(4,), trials=100, seed=0, threshold=None, alpha=0.01):
    """P(lambda_inf(G) >= q(C)) >= 0.9 for every (k, C) cell asked for."""
    rng = np.random.default_rng(seed)
    test = BinomialTest(0.9, trials, alpha)
    cells, rejected = [], []
    for k in ks:
        for C in Cs:
            q = Q_BAR[C] if threshold is None else threshold
            good = sum(lambda_inf(rng.standard_normal((C * k, k))) >= q for _ in range(trials))
            cells.append({"k": k, "C": C, "q": q, "successes": int(good)})
            if test.rejects(int(good)):
                rejected.append((k, C))
    worst = min(cells, key=lambda c: c["successes"])
    return Evidence(
        verdict(not rejected),
        "statistical",
        f"{len(cells)} (k, C) cells; fewest successes {worst['successes']}/{trials} at "
        f"k={worst['k']}, C={worst['C']}; rejected: {rejected or 'none'}. {test.describe()}",
        measured={"cells": cells},
        bound={"p0": 0.9, "critical": test.critical, "alpha": alpha, "power": test.power()},
    )


def _count(d=8, k=2, C=4, width=0.5, seed=0):
    """N by the arrangement formula == N by enumeration; volumes of the cells sum to vol(Gamma)."""
    rng = np.random.default_rng(seed)
    U, lsh = _section(d, k, C, width, rng)
    N, H = arrangement_cell_count(U, lsh.directions, lsh.offsets, width)
    volume, enumerated = 0.0, 0
    for _, V in enumerate_cells(U, lsh.directions, lsh.offsets, width):
        volume += ConvexHull(V).volume if k > 1 else float(np.ptp(V))
        enumerated += 1
    gamma = polytope_vertices(np.vstack([U, -U]), np.ones(2 * d))
    ratio = volume / (ConvexHull(gamma).volume if k > 1 else float(np.ptp(gamma)))
    ok = N == enumerated and abs(ratio - 1) <= 1e-9
    return Evidence(
        verdict(ok),
        "exact",
        f"N = {N} cells by the arrangement formula, {enumerated} by enumeration; "
        f"sum of cell volumes / vol(Gamma) = {ratio:.12f}; H = {H} hyperplanes",
        measured={"formula": N, "enumerated": enumerated, "volume_ratio": ratio, "H": H},
        bound={"formula == enumerated": True, "volume_ratio": [1 - 1e-9, 1 + 1e-9]},
    )


def direction_norm_bound(k: int, C: int) -> float:
    """``sqrt k + sqrt(2 ln(10 C k))``: with probability >= 0.9 no row of ``G`` (``C k`` Gaussian
    rows in R^k) is longer (norm concentration and a union bound)."""
    return math.sqrt(k) + math.sqrt(2 * math.log(10 * C * k))


def regions(H: int, k: int) -> int:
    """``Phi_k(H) = sum_{i <= k} binom(H, i)``: the most regions H hyperplanes make in R^k."""
    return sum(math.comb(H, i) for i in range(k + 1))


def _count_bound(d: int, k: int, C: int, width: float) -> float:
    """``(e C (2 sqrt(d) (sqrt k + sqrt(2 ln(10 C k))) / w + 1))^k``: the cells meeting Gamma,
    with probability >= 0.9 over the directions (docs/theory.md, "Lemma 4.2")."""
    return (math.e * C * (2 * math.sqrt(d) * direction_norm_bound(k, C) / width + 1)) ** k


def _count_scaling(
    ds=(8, 32),
    ks=(1, 2),
    C=4,
    widths=(1.0, 0.5, 0.25),
    seeds=1,
    seed=0,
    width_scale=1.0,
    alpha=0.01,
):
    """Per instance (d, k, w; its own draw): N <= Phi_k(H) exactly, and N <= the explicit
    (2 sqrt(d)/w)^{O(k)} bound in at least 90% of instances."""
    rows = []
    for d in ds:
        for k in ks:
            for w, s in product(widths, range(seeds)):
                rng = np.random.default_rng([seed, d, k, round(1000 * w), s])
                U, lsh = _section(d, k, C, 1.0, rng)
                actual = w * width_scale  # width_scale < 1: a family whose cells are narrower
                N, H = arrangement_cell_count(U, lsh.directions, lsh.offsets * actual, actual)
                rows.append(
                    {
                        "d": d,
                        "k": k,
                        "width": w,
                        "cells": N,
                        "H": H,
                        "phi": regions(H, k),
                        "bound": _count_bound(d, k, C, w),
                    }
                )
    exact = all(r["cells"] <= r["phi"] for r in rows)
    within = sum(r["cells"] <= r["bound"] for r in rows)
    test = BinomialTest(0.9, len(rows), alpha)
    worst = max(rows, key=lambda r: r["cells"] / r["bound"])
    return Evidence(
        verdict(exact and not test.rejects(within)),
        "statistical",
        f"{len(rows)} instances (d in {list(ds)}, k in {list(ks)}, w in {list(widths)}): "
        f"N (arrangement formula) <= Phi_k(H) in every one: {exact}; N <= (e C (2 sqrt(d) "
        f"(sqrt k + sqrt(2 ln 10Ck)) / w + 1))^k in {within}/{len(rows)} (largest N / bound "
        f"{worst['cells'] / worst['bound']:.2g} at d = {worst['d']}, k = {worst['k']}, w = "
        f"{worst['width']}). {test.describe()}",
        measured={"instances": rows, "within": within},
        bound={
            "exact": "N <= Phi_k(H) = sum_{i <= k} binom(H, i)",
            "explicit": "(e C (2 sqrt(d) (sqrt k + sqrt(2 ln 10Ck)) / w + 1))^k, P >= 0.9",
            "critical": test.critical,
        },
    )


#: This module's claims, in the paper's order (:mod:`theory.claims` registers them).
CLAIMS = [
    Claim(
        "lemma_4_2.diameter",
        "4 (Lemma 4.2(1))",
        "Every bucket restricted to Gamma has diameter <= eps/c.",
        "at the certified width w = (1 - 1e-9) eps lambda_inf(G) / L, every cell met by 4000 "
        "points has exact (vertex) diameter < eps / L (reconstruction: diam < w / lambda_inf)",
        _diameter,
        quick={"trials": 2},
        full={"trials": 10},
        broken={"width_factor": 3.0},  # too wide a width
    ),
    Claim(
        "lemma_4_2.probability",
        "4 (Lemma 4.2)",
        "With probability >= 0.9 the directions are well spread: lambda_inf(G) >= q(C).",
        "binomial test of P(lambda_inf(G) >= q(C)) >= 0.9 for G in R^{Ck x k} Gaussian, with "
        "q(2, 4, 8, 16) = 0.35, 0.74, 1.11, 1.46",
        _probability,
        quick={"ks": (2,), "Cs": (4,), "trials": 100},
        full={"ks": (1, 2, 3), "Cs": (2, 4, 8, 16), "trials": 200, "seed": 1},
        kind="consistency",
        broken={"Cs": (2,), "threshold": 0.74},  # too few directions for q(4)
    ),
    Claim(
        "lemma_4_2.count",
        "4 (Lemma 4.2(2))",
        "The buckets meeting Gamma can be counted.",
        "the number of cells by the arrangement formula N = 1 + sum_j F_j equals the number "
        "found by breadth-first enumeration, and the cells' volumes sum to vol(Gamma)",
        _count,
        quick={"k": 2, "width": 0.5},
        full={"k": 3, "C": 2, "width": 0.6, "seed": 3},
        kind="consistency",
    ),
    Claim(
        "lemma_4_2.count_scaling",
        "4 (Lemma 4.2(2))",
        "At most (2 sqrt(d)/eps)^{O(k)} buckets meet Gamma.",
        "per instance (d, k and w varied, each its own draw): N counted exactly by the "
        "arrangement formula is <= Phi_k(H) (exact), and <= the explicit bound "
        "(e C (2 sqrt(d) (sqrt k + sqrt(2 ln 10Ck)) / w + 1))^k in >= 90% of instances "
        "(binomial test): the paper's (2 sqrt(d)/eps)^{O(k)} with its constant written out",
        _count_scaling,
        quick={"ds": (8, 32), "ks": (1, 2)},
        full={"ds": (8, 16, 32, 64), "ks": (1, 2, 3), "widths": (1.0, 0.6, 0.35)},
        broken={"width_scale": 0.02, "ks": (1,)},  # cells 50x narrower
    ),
]
