"""DSM and stacked sparse networks against formulas computed by hand."""

import numpy as np
import pytest
from builders import ROUTER_KINDS, cube, random_dsm
from hypothesis import given
from hypothesis import strategies as st

from dsn_model import (
    DSM,
    ConstantFeatures,
    IdentityFeatures,
    KNNRouter,
    RandomFeatures,
    SparseLayer,
    SparseNetwork,
    SwitchRouter,
    TopKRouter,
    UniformHashRouter,
)
from dsn_model.model import features as features_module


def relu(z):
    return np.maximum(z, 0.0)


@given(
    st.sampled_from(ROUTER_KINDS),
    st.integers(1, 5),
    st.integers(1, 4),
    st.integers(1, 5),
    st.integers(0, 2**31),
)
def test_predict_equals_dense_formula(kind, d, s, experts, seed):
    """g(x) = A (mask(x) o w(x) o phi(x)), with phi evaluated densely."""
    net = random_dsm(kind, d, s, experts, seed)
    X = cube(25, d, seed)
    r = net.route(X)
    W = np.zeros((25, net.n_units))
    rows, cols = np.nonzero(r.active)
    W[rows, r.units[rows, cols]] = r.weights[rows, cols]
    expected = (W * net.features.transform(X)) @ net.top_weights
    np.testing.assert_allclose(net.predict(X), expected, rtol=1e-12, atol=1e-12)


def test_top_k_predict_across_feature_blocks():
    """A feature-routed layer works in blocks of rows (128 at t = 4096): 300 rows span
    three, the last partial; each row's output is the sum of its k largest features,
    found here by a full sort."""
    net = DSM.random(5, 4096, 7, router="topk", random_state=3)
    X = cube(300, 5, 3)
    F = net.features.transform(X)
    top = np.sort(np.argsort(-F, axis=1, kind="stable")[:, :7], axis=1)
    expected = (np.take_along_axis(F, top, axis=1) * net.top_weights[top]).sum(axis=1)
    np.testing.assert_allclose(net.predict(X), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(net.route(X).units, top)


def test_two_layer_composition_equals_hand_computation():
    rng = np.random.default_rng(0)
    B1, c1 = rng.standard_normal((10, 3)), rng.standard_normal(10)
    B2, c2 = rng.standard_normal((6, 10)), rng.standard_normal(6)
    A = rng.standard_normal(6)
    gate = rng.standard_normal((5, 3))
    net = SparseNetwork(
        [
            SparseLayer(RandomFeatures(B1, c1), SwitchRouter(gate, expert_size=2)),
            SparseLayer(RandomFeatures(B2, c2, activation="tanh"), TopKRouter(6, 2)),
        ],
        A,
    )
    X = rng.uniform(-1, 1, size=(40, 3))
    # layer 1: expert e = argmax gate x owns units 2e, 2e+1
    e = (X @ gate.T).argmax(axis=1)
    m1 = np.zeros((40, 10))
    m1[np.arange(40), 2 * e] = 1
    m1[np.arange(40), 2 * e + 1] = 1
    h1 = m1 * relu(X @ B1.T + c1)
    # layer 2: top-2 of tanh(B2 h1 + c2)
    f2 = np.tanh(h1 @ B2.T + c2)
    m2 = np.zeros_like(f2)
    top = np.argsort(-f2, axis=1)[:, :2]
    np.put_along_axis(m2, top, 1.0, axis=1)
    expected = (m2 * f2) @ A
    np.testing.assert_allclose(net.predict(X), expected, rtol=1e-12, atol=1e-12)
    assert [r.n_active().max() for r in net.route_all(X)] == [2, 2]
    assert net.sparsity == 2 and net.n_units == 6 and net.input_dim == 3


def test_knn_dsm_is_the_knn_average():
    """k-NN regression is DSM(d, k, n): A = f(b)/k, phi = 1 (docs/theory.md)."""
    rng = np.random.default_rng(1)
    B = rng.standard_normal((50, 4))
    B /= np.linalg.norm(B, axis=1, keepdims=True)
    f = np.sin(B.sum(axis=1))
    k = 5
    net = DSM(ConstantFeatures(4, 50), KNNRouter(B, k), f / k)
    X = rng.standard_normal((30, 4))
    d2 = ((X[:, None, :] - B[None]) ** 2).sum(axis=2)
    nn = np.argsort(d2, axis=1)[:, :k]
    np.testing.assert_allclose(net.predict(X), f[nn].mean(axis=1), rtol=1e-12, atol=1e-14)


def test_flops_by_hand():
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (3, 8))
    t, s, d = 64, 4, 8
    phi = RandomFeatures.random(d, t, random_state=0)
    A = np.ones(t)
    topk = DSM(phi, TopKRouter(t, s), A).flops(X)
    assert (topk.paper == 2 * (s * (d + 1) + s)).all()  # Table 1's 2(d+1) per unit, + top
    assert (topk.routing == 2 * (t - s) * (d + 1)).all()  # Top-K computes every feature
    switch = DSM(phi, SwitchRouter(np.ones((t // s, d)), s), A).flops(X)
    assert (switch.routing == 2 * d * (t // s)).all()
    hashed = DSM(phi, UniformHashRouter(d, t, s), A).flops(X)
    assert (hashed.routing == 0).all() and (hashed.total == hashed.paper).all()
    ident = DSM(IdentityFeatures(d), TopKRouter(d, 2), np.ones(d)).flops(X)
    assert (ident.paper == 2 * (2 + 2)).all()


def test_containment_dense_layer_is_dsm_t_t():
    """A dense layer A sigma(Bx + c) is DSM(d, t, t) with the full mask."""
    phi = RandomFeatures.random(3, 7, random_state=4)
    A = np.arange(7.0)
    X = cube(10, 3, 5)
    net = DSM(phi, TopKRouter(7, 7), A)
    np.testing.assert_allclose(net.predict(X), phi.transform(X) @ A, rtol=1e-13)


@pytest.mark.parametrize("kind", ROUTER_KINDS)
def test_random_builds_each_router_kind(kind):
    net = DSM.random(6, 24, 3, router=kind, random_state=0)
    assert (net.input_dim, net.n_units, net.sparsity) == (6, 24, 3)
    assert np.isfinite(net.predict(cube(5, 6, 0))).all()


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda: DSM.random(3, 4, 5, router="hash"), "sparsity"),
        (lambda: DSM.random(3, 10, 3, router="switch"), "sparsity"),
        (lambda: DSM.random(3, 10, 2, router="bogus"), "router"),
        (lambda: DSM.random(0, 10, 2), "input_dim"),
        (lambda: DSM.random(3, 0, 2), "n_units"),
        (lambda: DSM(IdentityFeatures(3), TopKRouter(3, 1), np.ones(4)), "top_weights"),
        (lambda: DSM(IdentityFeatures(3), TopKRouter(4, 1), np.ones(4)), "router"),
        (lambda: DSM(IdentityFeatures(3), TopKRouter(3, 1), [1.0, np.nan, 0.0]), "top_weights"),
        (lambda: DSM(IdentityFeatures(3), UniformHashRouter(2, 3, 1), np.ones(3)), "router"),
        (lambda: RandomFeatures(np.ones((2, 2)), bias=np.ones(3)), "bias"),
        (lambda: RandomFeatures(np.ones((2, 2)), activation="gelu"), "activation"),
        (lambda: SparseNetwork([], np.ones(1)), "layers"),
    ],
)
def test_bad_construction_names_the_parameter(call, param):
    with pytest.raises(ValueError, match=param):
        call()


@pytest.mark.parametrize(
    "X",
    [
        np.zeros(4),
        np.zeros((2, 5)),
        np.full((2, 4), np.nan),
        np.full((1, 4), -np.inf),
        np.zeros((0, 4)),
    ],
    ids=["1d", "wrong-d", "nan", "inf", "empty"],
)
@pytest.mark.parametrize("method", ["predict", "route", "mask", "flops"])
def test_bad_batches_raise_value_error_naming_x(X, method):
    net = DSM.random(4, 8, 2, router="topk", random_state=0)
    with pytest.raises(ValueError, match="X"):
        getattr(net, method)(X)


@pytest.mark.parametrize(
    ("router", "kwargs"),
    [
        ("switch-top1", {"top_k": 1}),
        ("switch-top2-dropping", {"top_k": 2, "capacity_factor": 0.5}),
        ("expert-choice", {}),
    ],
)
def test_expert_features_grouped_by_expert_equal_the_row_by_row_ones(router, kwargs):
    """The expert-by-expert evaluation (one product per expert used) gives the row-by-row
    features to rounding, zeros in dropped blocks, for top-1, top-2 with capacity drops and
    expert choice; the routing is the same either way."""
    from dsn_model.model.routers import ExpertChoiceRouter, SwitchRouter

    rng = np.random.default_rng(5)
    d, experts, size, n = 24, 8, 16, 3000
    phi = RandomFeatures.random(d, experts * size, random_state=1)
    gate = rng.standard_normal((experts, d))
    if router == "expert-choice":
        routing_rule = ExpertChoiceRouter(gate, expert_size=size, capacity=n // 4)
    else:
        routing_rule = SwitchRouter(gate, size, **kwargs)
    X = rng.uniform(-1, 1, (n, d))
    units = routing_rule.route(X).units
    assert (units < 0).any() == (router != "switch-top1")  # drops where the rule has them
    assert features_module.grouped_pays(n, units.shape[1] // size, size, d, experts)
    grouped = phi._transform_blocks(X, units, size)
    np.testing.assert_allclose(grouped, phi._transform_units(X, units), rtol=1e-12, atol=1e-13)
    assert np.all(grouped[units < 0] == 0.0)
    routed, values = SparseLayer(phi, routing_rule).forward(X)
    np.testing.assert_array_equal(routed.units, units)
    np.testing.assert_allclose(values, grouped * routed.weights, rtol=1e-12, atol=1e-13)


def test_the_expert_cost_model_keeps_tiny_experts_row_by_row(monkeypatch):
    """Few tiny experts of few inputs: gathering wins and the row-by-row path runs (bit for
    bit its values); large experts: the grouped path runs."""
    calls = []
    original = RandomFeatures._transform_units
    monkeypatch.setattr(
        RandomFeatures,
        "_transform_units",
        lambda self, X, units: calls.append(units.shape) or original(self, X, units),
    )
    small = DSM.random(4, 8 * 2, 2, router="switch", random_state=0)
    X = np.random.default_rng(0).uniform(-1, 1, (50, 4))
    small.predict(X)
    assert calls  # row by row
    calls.clear()
    large = DSM.random(64, 16 * 64, 64, router="switch", random_state=0)
    large.predict(np.random.default_rng(0).uniform(-1, 1, (2000, 64)))
    assert not calls  # expert by expert


@pytest.mark.parametrize(
    "kwargs",
    [{"top_k": 1}, {"top_k": 2, "capacity_factor": 0.5}, {"top_k": 2, "weighted": True}],
)
def test_an_expert_routed_dsm_predicts_expert_by_expert_as_unit_by_unit(kwargs, monkeypatch):
    """The read-out by expert (no unit written out) equals the network's generic forward
    pass to rounding: top-1, top-2 with capacity drops, gate-weighted; it is the path
    taken."""
    from dsn_model.model.dsm import SparseNetwork

    rng = np.random.default_rng(8)
    d, experts, size, n = 32, 16, 32, 4000
    phi = RandomFeatures.random(d, experts * size, random_state=2)
    router = SwitchRouter(rng.standard_normal((experts, d)), size, **kwargs)
    net = DSM(phi, router, rng.standard_normal(experts * size), output_bias=0.25)
    X = rng.uniform(-1, 1, (n, d))
    read_outs = []
    original = RandomFeatures._expert_read_out
    monkeypatch.setattr(
        RandomFeatures,
        "_expert_read_out",
        lambda self, *a: read_outs.append(1) or original(self, *a),
    )
    fast = net.predict(X)
    assert read_outs
    generic = SparseNetwork.predict(net, X)
    np.testing.assert_allclose(fast, generic, rtol=1e-12, atol=1e-12)
