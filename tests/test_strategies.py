"""The public hypothesis strategies produce valid objects and check their options."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.errors import InvalidArgument

from dsn_model.strategies import dsm_networks, lipschitz_targets, lsh_models, routings, subspaces


@given(subspaces(d=6, k=3))
def test_subspaces_are_orthonormal(U):
    np.testing.assert_allclose(U.T @ U, np.eye(3), atol=1e-12)


@given(lipschitz_targets(n=3, L=2.0))
def test_targets_respect_their_lipschitz_bound(f):
    assert f.lipschitz_bound() <= 2.0 + 1e-12
    X = np.random.default_rng(0).uniform(-1, 1, (500, 3))
    Y = X + 1e-3 * np.random.default_rng(1).standard_normal(X.shape)
    ratio = np.abs(f(X) - f(Y)) / np.linalg.norm(X - Y, axis=1)
    assert ratio.max() <= f.lipschitz_bound() * (1 + 1e-9)


@given(dsm_networks(input_dim=3, max_units=32))
def test_networks_respect_sparsity(net):
    r = net.route(np.random.default_rng(0).uniform(-1, 1, (10, 3)))
    assert (r.n_active() <= net.sparsity).all()


@settings(max_examples=10)
@given(lsh_models(input_dim=2))
def test_lsh_models_agree_with_their_dsm(model):
    X = np.random.default_rng(0).uniform(-1, 1, (20, 2))
    np.testing.assert_allclose(model.to_dsm().predict(X), model.predict(X), rtol=1e-12, atol=1e-12)


@given(routings(n_units=10, sparsity=3))
def test_routings_keep_the_contract(r):
    for row in r.units:
        active = row[row >= 0]
        assert len(set(active.tolist())) == len(active) <= 3


@pytest.mark.parametrize(
    "build",
    [
        lambda: subspaces(d=2, k=3),
        lambda: subspaces(d=0, k=1),
        lambda: lipschitz_targets(n=2, L=-1.0),
        lambda: dsm_networks(routers=("bogus",)),
        lambda: routings(n_units=2, sparsity=3),
        lambda: lsh_models(n_samples=0),
    ],
)
def test_bad_options_raise_invalid_argument_eagerly(build):
    with pytest.raises(InvalidArgument):
        build()


@pytest.mark.parametrize("routers", [("topk",), ("switch",), ("block",), ("knn",), ("lsh",)])
def test_a_false_property_shrinks_to_a_minimal_network(routers):
    """'g(1, 1) is near 0' is false; the counter-example shrinks to one unit (one table for LSH)
    and weights among 0, +-1/2, +-1."""
    from hypothesis import find

    net = find(
        dsm_networks(input_dim=2, max_units=8, routers=routers),
        lambda net: abs(net.predict(np.ones((1, 2)))[0]) > 0.5,
        settings=settings(database=None, max_examples=2000),
    )
    assert net.sparsity == 1 and net.n_units == (2 if routers == ("lsh",) else 1)
    drawn = [net.top_weights]
    if hasattr(net.features, "weights"):
        drawn += [net.features.weights.ravel(), net.features.bias]
    values = np.abs(np.concatenate(drawn))
    assert set(values.tolist()) <= {0.0, 0.5, 1.0}, values


def test_a_false_claim_about_subspaces_shrinks_to_the_coordinate_one():
    from hypothesis import find

    U = find(subspaces(d=3, k=1), lambda U: True, settings=settings(database=None))
    np.testing.assert_allclose(np.abs(U[:, 0]), [1.0, 0.0, 0.0])
