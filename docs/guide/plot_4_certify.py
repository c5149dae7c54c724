"""
Certify a fitted model's uniform error
======================================

For a piecewise-constant Euclidean-LSH model on a k-dimensional section of the
cube, `theory.certify.certify_uniform_error` finds every cell of the partition,
reads the model's own value on each and bounds ``sup |f - g|`` over all of the
section -- not over test points. Here: Theorem 4.1's learner on the cone target.
"""

# %%
import numpy as np

from dsn_model import LSHRegressor
from dsn_model.data import random_subspace, uniform_on_section
from dsn_model.targets import DistanceTarget
from theory.certify import certify_uniform_error

rng = np.random.default_rng(0)
U = random_subspace(8, 2, random_state=rng)  # Gamma = span(U) cap [-1, 1]^8
f = DistanceTarget(uniform_on_section(1, U, random_state=rng)[0])  # L |x - c|, L = 1
X = uniform_on_section(4000, U, random_state=rng)
model = LSHRegressor(
    family="euclidean",
    n_tables=1,
    n_hashes=8,
    width=0.08,
    fallback="nearest",
    hash_dtype="float64",
    random_state=0,
).fit(X, f(X))

# %%
cert = certify_uniform_error(model, U, f)
print(f"sup error over Gamma in [{cert.lower:.4f}, {cert.upper:.4f}]")
print(f"{cert.n_cells} cells, {cert.n_seen} trained ({cert.trained_volume:.0%} of Gamma's volume)")
print(f"volumes sum to {cert.volume_ratio:.12f} vol(Gamma); consistent: {cert.consistent}")
print(cert.describe())

# %%
# A certificate rests on the Lipschitz constant. For a plain function it uses
# the one you declare, says so, and refuses to be consistent when a witnessed
# difference quotient contradicts it.
steeper = lambda X: 3 * f(X)  # noqa: E731 - a plain callable
claimed = certify_uniform_error(model, U, steeper, L=1.0)
print(claimed.describe(), "-> consistent:", claimed.consistent)
