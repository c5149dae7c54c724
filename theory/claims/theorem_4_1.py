"""Theorem 4.1: an LSH learner reaches uniform error eps with probability >= 0.8.

The learner (docs/theory.md, "Theorem 4.1"): Euclidean LSH with ``D = C k``
directions at the certified width ``w = (1 - 1e-9) eps lambda / L``, one table,
bucket means, and the nearest-training-point fallback for buckets without
data; ``n = factor * k (L sqrt(d)/eps)^k log(L sqrt(d)/eps)`` samples. The
target ``L |x - c|`` has gradient norm L everywhere: the hard case.

Checked: the success probability (binomial test, with the error split between
points answered by their own bucket -- which must never exceed eps -- and by
the fallback); a certificate of the fitted model's sup error over all of
Gamma; and, as scaling claims over an eps sweep, the table size
``O((L sqrt(d)/eps)^k)`` and the forward cost ``O(d k log(L sqrt(d)/eps))``.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from dsn_model.data import random_subspace, uniform_on_section
from dsn_model.lsh.families import EuclideanLSH
from dsn_model.lsh.regressor import LSHRegressor
from dsn_model.targets import DistanceTarget

from .. import bounds
from ..certify import certify_uniform_error
from ..geometry import lambda_inf
from .core import Claim, Evidence, register, verdict
from .inference import BinomialTest, fit_power_law


def n_paper(d, k, L, eps) -> int:
    """``ceil(k (L sqrt(d)/eps)^k log(L sqrt(d)/eps))``: Theorem 4.1's samples, constant 1."""
    return math.ceil(float(sp.N(bounds.sample_complexity(d, k, L, eps))))


def fit_learner(
    d,
    k,
    eps,
    L,
    rng,
    *,
    C=4,
    factor=4,
    declared_L=None,
    fallback="nearest",
    width_power=1.0,
    sample_power=1.0,
    exact_lambda=False,
):
    """Draw Gamma, the cone target and a sample; fit Theorem 4.1's learner.

    ``width_power`` and ``sample_power`` other than 1 break the learner on
    purpose (width ``eps^p``-proportional, ``n_paper^p`` samples).
    """
    declared = L if declared_L is None else declared_L
    n = int(factor * n_paper(d, k, declared, eps) ** sample_power)
    U = random_subspace(d, k, random_state=rng)
    f = DistanceTarget(uniform_on_section(1, U, random_state=rng)[0], lipschitz=L)
    X = uniform_on_section(n, U, random_state=rng)
    state = int(rng.integers(2**31))
    G = EuclideanLSH(d, C * k, 1.0, random_state=state).directions @ U
    lam = (
        lambda_inf(G)
        if exact_lambda
        else np.linalg.svd(G, compute_uv=False).min() / math.sqrt(C * k)
    )
    width = (1 - 1e-9) * eps**width_power * lam / declared
    model = LSHRegressor(
        family="euclidean",
        n_tables=1,
        n_hashes=C * k,
        width=width,
        fallback=fallback,
        hash_dtype="float64",
        random_state=state,
    ).fit(X, f(X))
    return model, U, f, X


def _probability(
    d=8,
    k=1,
    eps=0.2,
    L=1.0,
    C=4,
    factor=4,
    trials=20,
    seed=0,
    declared_L=None,
    n_test=50_000,
    alpha=0.01,
):
    test = BinomialTest(0.8, trials, alpha)
    successes, own_violations = 0, 0
    own_worst = fallback_worst = 0.0
    shares = []
    for trial in range(trials):
        rng = np.random.default_rng(seed * 10_000 + trial)
        model, U, f, _ = fit_learner(d, k, eps, L, rng, C=C, factor=factor, declared_L=declared_L)
        Xt = uniform_on_section(n_test, U, random_state=rng)
        errors = np.abs(model.predict(Xt) - f(Xt))
        own = model.in_trained_bucket(Xt)[:, 0]
        shares.append(1 - own.mean())
        own_worst = max(own_worst, float(errors[own].max(initial=0)))
        fallback_worst = max(fallback_worst, float(errors[~own].max(initial=0)))
        own_violations += int((errors[own] >= eps).sum())
        successes += bool(errors.max() <= eps)
    ok = not test.rejects(successes) and own_violations == 0
    return Evidence(
        verdict(ok),
        "statistical",
        f"{successes}/{trials} trials with sup error <= eps on {n_test} test points; own bucket: "
        f"worst {own_worst:.3f}, {own_violations} points >= eps; fallback (median share "
        f"{np.median(shares):.0%}): worst {fallback_worst:.3f}. {test.describe()}",
        measured={
            "successes": successes,
            "trials": trials,
            "own_bucket_worst": own_worst,
            "own_bucket_violations": own_violations,
            "fallback_worst": fallback_worst,
            "fallback_share_median": float(np.median(shares)),
        },
        bound={
            "eps": eps,
            "p0": 0.8,
            "critical": test.critical,
            "power": test.power(),
            "own_bucket_violations": 0,
        },
        parameters={"n": factor * n_paper(d, k, L if declared_L is None else declared_L, eps)},
    )


def _certified(
    d=8, k=1, eps=0.2, L=1.0, C=4, factor=4, seed=0, declared_L=None, perturb=0.0, width_power=1.0
):
    rng = np.random.default_rng(seed)
    model, U, f, X = fit_learner(
        d,
        k,
        eps,
        L,
        rng,
        C=C,
        factor=factor,
        declared_L=declared_L,
        exact_lambda=True,
        width_power=width_power,
    )
    if perturb:
        model.unit_values_ = model.unit_values_ + perturb
        model.unit_coef_ = model.unit_coef_ + perturb
        model.y_seen_ = model.y_seen_ + perturb
    declared = L if declared_L is None else declared_L
    cert = certify_uniform_error(model, U, f, declared)
    if not cert.consistent:
        outcome, note = "fails", "INCONSISTENT certificate (lower > upper or incomplete): "
    else:
        outcome, note = verdict(cert.upper <= eps and cert.lower <= eps), ""
    return Evidence(
        outcome,
        "certified",
        f"{note}sup error of the fitted model in [{cert.lower:.4f}, {cert.upper:.4f}] over "
        f"all {cert.n_cells} cells of Gamma ({cert.n_seen} trained); volumes sum to "
        f"{cert.volume_ratio:.12f} vol(Gamma)",
        measured={
            "lower": cert.lower,
            "upper": cert.upper,
            "cells": cert.n_cells,
            "trained_cells": cert.n_seen,
            "volume_ratio": cert.volume_ratio,
        },
        bound={"upper": eps, "lower <= upper": True},
        parameters={"n": len(X), "fallback": "nearest"},
    )


def _sweep(d, k, L, epsilons, seeds, **learner):
    """Per eps: median stored buckets, forward FLOPs and key bits over seeds."""
    rows = []
    for eps in epsilons:
        buckets, flops, bits = [], [], []
        for seed in range(seeds):
            rng = np.random.default_rng(1000 * seed + int(1000 * eps))
            model, U, _, _ = fit_learner(d, k, eps, L, rng, **learner)
            buckets.append(int(model.n_buckets_.sum()))
            Xt = uniform_on_section(200, U, random_state=rng)
            flops.append(float(model.to_dsm().flops(Xt).total.mean()))
            keys = np.abs(model.family_.keys(Xt)).max()
            bits.append(model.family_.key_width * (math.ceil(math.log2(keys + 1)) + 1))
        rows.append(
            {
                "eps": eps,
                "buckets": float(np.median(buckets)),
                "flops": float(np.median(flops)),
                "key_bits": float(np.median(bits)),
            }
        )
    return rows


def _table_size(d=8, k=1, L=1.0, epsilons=(0.4, 0.28, 0.2, 0.14, 0.1), seeds=3, **learner):
    rows = _sweep(d, k, L, epsilons, seeds, **learner)
    law = fit_power_law([L * math.sqrt(d) / r["eps"] for r in rows], [r["buckets"] for r in rows])
    ok = law.low <= k
    return Evidence(
        verdict(ok),
        "statistical",
        f"stored buckets = c (L sqrt(d)/eps)^a over eps in {list(epsilons)}: {law.describe()}; "
        f"buckets {[r['buckets'] for r in rows]}",
        measured={
            "sweep": rows,
            "exponent": law.exponent,
            "low": law.low,
            "high": law.high,
            "constant": law.constant,
        },
        bound={"exponent": f"not significantly above k = {k}"},
    )


def _forward_cost(
    d=8, k=1, L=1.0, epsilons=(0.4, 0.28, 0.2, 0.14, 0.1), seeds=1, C=4, directions_grow=False
):
    rows = []
    for eps in epsilons:
        Ce = C * math.ceil(0.4 / eps) if directions_grow else C  # broken: D grows like 1/eps
        rows += _sweep(d, k, L, [eps], seeds, C=Ce)
    costs = [r["flops"] / 2 + r["key_bits"] / 64 for r in rows]  # multiply-adds + key words
    logs = [math.log(L * math.sqrt(d) / r["eps"]) for r in rows]
    law = fit_power_law(logs, costs)
    ok = law.low <= 1
    return Evidence(
        verdict(ok),
        "statistical",
        f"forward cost (multiply-adds + key words) = c log(L sqrt(d)/eps)^a: {law.describe()}; "
        f"FLOPs {[r['flops'] for r in rows]}, key bits {[r['key_bits'] for r in rows]}",
        measured={
            "sweep": rows,
            "exponent": law.exponent,
            "low": law.low,
            "high": law.high,
            "constant_over_dk": law.constant / (d * k),
        },
        bound={"exponent": "not significantly above 1", "form": "O(d k log(L sqrt(d)/eps))"},
    )


register(
    Claim(
        "theorem_4_1",
        "4 (Theorem 4.1)",
        "An LSH learner reaches uniform error eps with probability >= 0.8.",
        "trials of the learner (certified width, nearest-point fallback, n = 4 n_paper) on the "
        "cone target; sup error on 5e4 test points, split by own bucket and fallback; "
        "own-bucket errors must stay below eps in every trial",
        _probability,
        quick={"trials": 20, "k": 1},
        full={"trials": 100, "k": 2, "eps": 0.2},
        expression=bounds.sample_complexity(*bounds.SYMBOLS.values()),
    )
)
register(
    Claim(
        "theorem_4_1.certified",
        "4 (Theorem 4.1)",
        "The learner's uniform error is <= eps over all of Gamma.",
        "a certificate of the fitted estimator (its own values and fallback) over every cell: "
        "upper <= eps, lower <= upper, and volumes summing to vol(Gamma)",
        _certified,
        quick={"k": 1, "factor": 4},
        full={"k": 2, "factor": 4},
    )
)
register(
    Claim(
        "theorem_4_1.table_size",
        "4 (Theorem 4.1)",
        "The hash table has size O((L sqrt(d)/eps)^k).",
        "scaling: stored buckets of the fitted learner over an eps sweep, exponent fitted",
        _table_size,
        quick={"k": 1, "seeds": 3},
        full={"k": 2, "seeds": 3, "epsilons": (0.5, 0.4, 0.3, 0.22, 0.16)},
        expression=bounds.table_size(*bounds.SYMBOLS.values()),
    )
)
register(
    Claim(
        "theorem_4_1.forward_cost",
        "4 (Theorem 4.1)",
        "A forward pass costs O(d k log(L sqrt(d)/eps)).",
        "scaling: FLOPs of the fitted model's forward pass (hash projections + active units, "
        "from its DSM) plus the words of its key, against log(L sqrt(d)/eps)",
        _forward_cost,
        quick={"k": 1},
        full={"k": 2, "epsilons": (0.5, 0.4, 0.3, 0.22, 0.16)},
        expression=bounds.forward_cost_sparse(*bounds.SYMBOLS.values()),
    )
)
