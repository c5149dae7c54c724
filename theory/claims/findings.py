"""Findings: demonstrations that are not claims of the paper (no verdict on it).

* Hyperplanes through the origin (Charikar's family) give conical buckets,
  which never shrink: ``|x|`` cannot be approximated uniformly for any m.
* Without a fallback for buckets that saw no training data, a uniform error
  guarantee is out of reach: some test point always lands in such a bucket.

Each returns ``holds`` when the demonstration behaves as documented.
"""

from __future__ import annotations

import numpy as np

from dsn_model.data import random_subspace, uniform_on_section
from dsn_model.lsh.regressor import LSHRegressor
from dsn_model.targets import DistanceTarget

from .core import Evidence, Finding, verdict
from .theorem_4_1 import fit_learner


def _origin_hyperplanes(d=4, k=2, m=16, seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    U = random_subspace(d, k, random_state=rng)
    X = uniform_on_section(20000, U, random_state=rng)
    f = DistanceTarget(np.zeros(d))
    model = LSHRegressor(n_tables=1, n_hashes=m, offset=offset, random_state=seed).fit(X, f(X))
    Xt = np.vstack([uniform_on_section(5000, U, random_state=rng), 1e-3 * X[:2000]])
    err = float(np.abs(model.predict(Xt) - f(Xt)).max())
    return Evidence(
        verdict(err >= 0.5),
        "numeric",
        f"sup error {err:.3f} of ||x|| with m = {m} hyperplanes through 0 (every bucket is a "
        "cone containing 0: error >= R_Gamma / 2 >= 1/2 for every m)",
        measured={"sup_error": err},
        bound={"sup_error": ">= 0.5"},
    )


def _no_fallback(d=8, k=2, eps=0.2, trials=10, seed=0):
    misses = 0
    for trial in range(trials):
        rng = np.random.default_rng(seed * 1000 + trial)
        model, U, _, _ = fit_learner(d, k, eps, 1.0, rng, fallback="global")
        Xt = uniform_on_section(20000, U, random_state=rng)
        misses += not model.in_trained_bucket(Xt).all()
    return Evidence(
        verdict(misses == trials),
        "numeric",
        f"{misses}/{trials} trials had test points in buckets without training data "
        "(then only a fallback can bound their error)",
        measured={"trials_with_untrained_buckets": misses, "trials": trials},
        bound={"trials_with_untrained_buckets": trials},
    )


#: This module's findings, in the paper's order (:mod:`theory.claims` registers them).
FINDINGS = [
    Finding(
        "finding.origin_hyperplanes",
        "3.2",
        "Hyperplane LSH through the origin cannot approximate uniformly.",
        "sup error of |x| on a 2-dim section with 16 hyperplanes through 0",
        _origin_hyperplanes,
    ),
    Finding(
        "finding.untrained_buckets",
        "4 (Theorem 4.1)",
        "The paper leaves buckets without training data unspecified; some test point always lands "
        "in one.",
        "Theorem 4.1's learner at n = 4 n_paper: trials with a test point in an untrained bucket",
        _no_fallback,
    ),
]
