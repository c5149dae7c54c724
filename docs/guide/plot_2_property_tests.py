"""
Property-test an approximation bound
====================================

`dsn_model.strategies` draws whole networks, subspaces and Lipschitz targets
for `hypothesis`. Every network is built from drawn arrays, so when a property
fails, hypothesis *shrinks* it to a minimal counter-example -- the fewest units
and the simplest weights -- rather than reporting a random seed.
"""

# %%
# A true property: a DSM never activates more than ``s`` units, whatever its
# router and weights. (No deadline: the first example of a router kind waits for
# numba to compile its loops, once per installation.)
import numpy as np
from hypothesis import find, given, settings

from dsn_model.strategies import dsm_networks, lipschitz_targets


@settings(max_examples=50, database=None, deadline=None)
@given(dsm_networks(input_dim=3, max_units=32))
def test_at_most_s_active(net):
    X = np.linspace(-1, 1, 12).reshape(4, 3)
    assert (net.route(X).n_active() <= net.sparsity).all()


test_at_most_s_active()
print("50 networks of every router kind: at most s active units")

# %%
# A bound: a target's closed-form Lipschitz constant dominates every
# difference quotient.


@settings(max_examples=50, database=None, deadline=None)
@given(lipschitz_targets(n=3, L=2.0))
def test_lipschitz(f):
    X = np.random.default_rng(0).uniform(-1, 1, (400, 3))
    Y = X + 1e-3 * np.random.default_rng(1).standard_normal(X.shape)
    ratio = np.abs(f(X) - f(Y)) / np.linalg.norm(X - Y, axis=1)
    assert ratio.max() <= f.lipschitz_bound() * (1 + 1e-9) <= 2.0 * (1 + 1e-9)


test_lipschitz()
print("50 targets: difference quotients below their bound")

# %%
# A false property, to see shrinking: "every Top-K network is nearly 0 at the
# all-ones input". ``hypothesis.find`` returns the minimal counter-example.
net = find(
    dsm_networks(input_dim=2, max_units=8, routers=("topk",)),
    lambda net: abs(net.predict(np.ones((1, 2)))[0]) > 0.5,
    settings=settings(database=None, max_examples=1000, deadline=None),
)
print(net)
print("weights", net.features.weights.tolist(), "bias", net.features.bias.tolist())
print("top weights", net.top_weights.tolist())
