"""Routers: the sparsity contract, determinism, oracles and bad input."""

import numpy as np
import pytest
from builders import ROUTER_KINDS, cube, random_dsm
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats
from sklearn.neighbors import NearestNeighbors

from dsn_model import (
    DSM,
    BlockRouter,
    KNNRouter,
    Routing,
    SwitchRouter,
    TopKRouter,
    UniformHashRouter,
)
from dsn_model.model.routers import top_k_indices

shapes = st.tuples(
    st.sampled_from(ROUTER_KINDS),
    st.integers(1, 6),  # d
    st.integers(1, 4),  # s
    st.integers(1, 6),  # experts: t = s * experts
    st.integers(0, 2**32 - 1),  # seed
)


@given(shapes, st.data())
def test_every_router_activates_at_most_s_distinct_units(shape, data):
    kind, d, s, experts, seed = shape
    net = random_dsm(kind, d, s, experts, seed)
    X = data.draw(  # the inputs themselves: a failure shrinks to a small batch
        hnp.arrays(
            np.float64,
            st.tuples(st.integers(1, 30), st.just(d)),
            elements=st.floats(-2, 2, allow_subnormal=False),
        )
    )
    n = len(X)
    r = net.route(X)
    assert r.units.shape == (n, net.sparsity)
    assert ((r.units >= -1) & (r.units < net.n_units)).all()
    for row in r.units:  # distinctness, row by row as the independent oracle
        active = row[row >= 0]
        assert len(set(active.tolist())) == len(active) <= s
    mask = r.mask()
    assert (mask.sum(axis=1) == r.n_active()).all()
    rows, cols = np.nonzero(r.active)
    assert mask[rows, r.units[rows, cols]].all()


@given(shapes)
def test_same_seed_same_routing_bit_for_bit(shape):
    kind, d, s, experts, seed = shape
    X = cube(20, d, seed + 1)
    a = random_dsm(kind, d, s, experts, seed)
    b = random_dsm(kind, d, s, experts, seed)
    ra, rb = a.route(X), b.route(X)
    assert np.array_equal(ra.units, rb.units)
    assert np.array_equal(ra.weights, rb.weights)
    assert np.array_equal(a.predict(X), b.predict(X))


@given(st.integers(1, 40), st.integers(0, 1000), st.data())
def test_top_k_indices_equals_stable_sort(t, seed, data):
    k = data.draw(st.integers(1, t))
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 4, size=(8, t)).astype(float)  # many ties
    expected = np.sort(np.argsort(-scores, axis=1, kind="stable")[:, :k], axis=1)
    assert np.array_equal(top_k_indices(scores, k), expected)


def test_knn_router_equals_sklearn_neighbours():
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((200, 5))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    X = rng.standard_normal((300, 5)) * 2.0  # not unit: the identity holds for all x
    k = 7
    units = KNNRouter(centres, k).route(X).units
    dist, nn = NearestNeighbors(n_neighbors=k + 1).fit(centres).kneighbors(X)
    gap = (dist[:, k] ** 2 - dist[:, k - 1] ** 2) / 2  # inner-product gap
    clear = gap > 1e-9 * np.maximum(1.0, (X**2).sum(axis=1))
    assert clear.sum() > 290
    assert np.array_equal(units[clear], np.sort(nn[clear, :k], axis=1))


def test_switch_support_is_the_chosen_experts_blocks():
    router = SwitchRouter.random(4, n_units=18, sparsity=6, top_k=2, random_state=0)
    X = cube(100, 4, 1)
    units = router.route(X).units
    experts = router.expert_of(X)
    logits = X @ router.gate.T
    best_two = np.sort(np.argsort(-logits, axis=1)[:, :2], axis=1)
    assert np.array_equal(experts, best_two)
    expected = (experts[:, :, None] * 3 + np.arange(3)).reshape(100, 6)
    assert np.array_equal(units, expected)


def test_switch_weighted_gates_are_softmax_probabilities():
    router = SwitchRouter([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], expert_size=2, weighted=True)
    r = router.route([[2.0, 0.5]])
    p = np.exp([2.0, 0.5, -2.0]) / np.exp([2.0, 0.5, -2.0]).sum()
    assert r.units.tolist() == [[0, 1]]
    np.testing.assert_allclose(r.weights, [[p[0], p[0]]], rtol=1e-15)


def test_block_router_one_unit_per_block_at_the_block_argmax():
    router = BlockRouter.random(5, n_units=24, sparsity=4, rank=3, random_state=0)
    X = cube(50, 5, 2)
    units = router.route(X).units
    scores = (X @ router.down.T) @ router.up.T
    for b in range(4):
        block = units[:, b]
        assert ((block >= 6 * b) & (block < 6 * (b + 1))).all()
        assert np.array_equal(block - 6 * b, scores[:, 6 * b : 6 * (b + 1)].argmax(axis=1))


def test_uniform_hash_is_uniform_over_units():
    """Chi-square test of unit loads; 30,000 slots over 60 units, seed 0.

    Under uniform routing the statistic is chi2(59); the test rejects at
    p < 1e-3, so a false alarm has probability 0.1% (fixed seed: deterministic).
    A router biased by 10% towards a sixth of the units fails it.
    """
    router = UniformHashRouter(3, n_units=60, sparsity=3, key=11)
    X = cube(10_000, 3, 0)
    counts = np.bincount(router.route(X).units.ravel(), minlength=60)
    assert stats.chisquare(counts).pvalue > 1e-3


def test_uniform_hash_scatters_nearby_inputs():
    """Inputs 1e-12 apart share a unit about as often as unrelated inputs: s^2/t."""
    router = UniformHashRouter(4, n_units=256, sparsity=2, key=5)
    X = cube(5000, 4, 1)
    a = router.route(X).units
    b = router.route(X + 1e-12).units
    shared = (a[:, :, None] == b[:, None, :]).any(axis=(1, 2)).mean()
    assert shared < 0.05  # expected ~ 1 - (254/256)(253/255) = 1.6%


def test_uniform_hash_draws_units_in_range_at_any_width():
    small = UniformHashRouter(2, 2**8, 4, key=0).route(cube(5, 2, 0))
    big = UniformHashRouter(2, 2**40, 4, key=0).route(cube(5, 2, 0))
    assert big.units.max() < 2**40 and small.units.max() < 2**8


@pytest.mark.parametrize(
    ("build", "param"),
    [
        (lambda: TopKRouter(4, 0), "sparsity"),
        (lambda: TopKRouter(4, 5), "sparsity"),
        (lambda: KNNRouter(np.eye(3), 4), "sparsity"),
        (lambda: KNNRouter([[np.nan, 1.0]], 1), "centers"),
        (lambda: SwitchRouter(np.eye(2), 0), "expert_size"),
        (lambda: SwitchRouter(np.eye(2), 1, top_k=3), "top_k"),
        (lambda: BlockRouter(5, np.ones((12, 2))), "sparsity"),
        (lambda: BlockRouter(2), "down"),
        (lambda: UniformHashRouter(2, 4, 5), "sparsity"),
        (lambda: UniformHashRouter(0, 4, 1), "input_dim"),
        (lambda: UniformHashRouter(2, 4, 1.5), "sparsity"),
    ],
)
def test_impossible_parameters_name_the_parameter(build, param):
    with pytest.raises(ValueError, match=param):
        build()


@pytest.mark.parametrize(
    "X",
    [
        np.zeros(3),
        np.zeros((2, 4)),
        np.full((2, 3), np.nan),
        np.full((1, 3), np.inf),
        np.zeros((0, 3)),
    ],
    ids=["1d", "wrong-d", "nan", "inf", "empty"],
)
def test_bad_batches_are_rejected(X):
    router = UniformHashRouter(3, 10, 2)
    with pytest.raises(ValueError, match="X"):
        router.route(X)


def test_topk_requires_features():
    with pytest.raises(ValueError, match="features"):
        TopKRouter(3, 1).route(np.zeros((1, 2)))


def test_routing_validates_shapes_and_dense_mask_limit():
    with pytest.raises(ValueError, match="same shape"):
        Routing(np.zeros((2, 2)), np.zeros((2, 3)), 4)
    with pytest.raises(ValueError, match="too large"):
        Routing(np.zeros((10, 1)), np.ones((10, 1)), 10**8).mask()


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
        elements=st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0]),  # many ties
    ),
    st.integers(1, 12),
)
def test_top_k_indices_match_a_sort_with_ties_to_the_lower_index(scores, k):
    k = min(k, scores.shape[1])
    expected = [sorted(np.lexsort((np.arange(len(row)), -row))[:k].tolist()) for row in scores]
    assert top_k_indices(scores, k).tolist() == expected


@pytest.mark.parametrize("k", [2, 5, 16, 300, 1024, 1500])  # both selection paths
@pytest.mark.parametrize("kind", ["relu", "ties", "flat"])
def test_wide_top_k_selection_matches_the_sort(k, kind):
    rng = np.random.default_rng(k)
    scores = {
        "relu": np.maximum(rng.standard_normal((300, 2048)), 0),  # many zeros
        "ties": rng.choice([0.0, 1.0, 2.0, 3.0], (300, 2048)),  # the k-th value repeats
        "flat": np.zeros((300, 2048)),  # every value ties: the lowest indices win
    }[kind]
    expected = np.sort(np.lexsort((np.arange(2048)[None].repeat(300, 0), -scores), axis=1)[:, :k])
    assert np.array_equal(top_k_indices(scores, k), expected)


@pytest.mark.parametrize("k", [1, 3, 20, 64])  # argmax, compiled, numpy's partition, all
def test_topk_routes_with_the_values_of_its_units(k):
    """The layer takes each active feature from the router (the compiled selection returns
    it with the index): the same as routing, then reading the features at the units."""
    scores = np.maximum(np.random.default_rng(k).standard_normal((50, 64)), 0.0)
    router = TopKRouter(64, k)
    routing, values = router._route_with_values(np.zeros((50, 1)), scores)
    assert np.array_equal(routing.units, router.route(np.zeros((50, 1)), scores).units)
    assert np.array_equal(values, np.take_along_axis(scores, routing.units, axis=1))


def test_every_registered_router_is_built_by_the_shared_signature():
    from dsn_model.model.routers import ROUTERS

    for name, cls in ROUTERS.items():
        router = cls.random(6, 32, 4, random_state=0)  # (input_dim, n_units, sparsity)
        assert (router.n_units, router.sparsity) == (32, 4), name
        net = DSM.random(6, 32, 4, router=name, random_state=0)
        assert net.route(cube(20, 6, 0)).n_active().max() <= 4
    for bad in ("Switch", "top-k", "moe"):
        with pytest.raises(ValueError, match=r"one of \['topk', 'switch'"):
            DSM.random(6, 32, 4, router=bad, random_state=0)
    with pytest.raises(ValueError, match="switch"):
        SwitchRouter.random(6, 30, 4, random_state=0)  # 4 does not divide 30


def test_every_router_random_takes_one_signature_by_keyword():
    """``random(input_dim, n_units, sparsity, *, random_state)`` for every registered router."""
    from dsn_model.model.routers import ROUTERS

    for name, cls in ROUTERS.items():
        router = cls.random(input_dim=4, n_units=8, sparsity=2, random_state=0)
        assert (router.n_units, router.sparsity) == (8, 2), name


def test_former_keyword_names_still_work_with_a_deprecation_warning():
    from dsn_model.model.routers import BlockRouter, KNNRouter

    with pytest.warns(DeprecationWarning, match="`k` is now called `sparsity`"):
        assert KNNRouter.random(4, 8, k=3, random_state=0).sparsity == 3
    with pytest.warns(DeprecationWarning, match="`n_blocks` is now called `sparsity`"):
        assert BlockRouter.random(4, 8, n_blocks=2, random_state=0).sparsity == 2
    with pytest.raises(ValueError, match="give `sparsity` only"):
        KNNRouter.random(4, 8, 3, k=3)
    # the constructors too: TopKRouter's and KNNRouter's k, BlockRouter's n_blocks,
    # UniformHashRouter's seed (now key)
    from dsn_model.model.routers import TopKRouter, UniformHashRouter

    with pytest.warns(DeprecationWarning, match="`k` is now called `sparsity`"):
        assert TopKRouter(8, k=3).sparsity == 3
    with pytest.warns(DeprecationWarning, match="`k` is now called `sparsity`"):
        assert KNNRouter(np.eye(3), k=2).sparsity == 2
    with pytest.warns(DeprecationWarning, match="`n_blocks` is now called `sparsity`"):
        assert BlockRouter(n_blocks=2, down=np.ones((4, 1))).sparsity == 2
    with pytest.warns(DeprecationWarning, match="`seed` is now called `key`"):
        old = UniformHashRouter(2, 16, 3, seed=5)
    X = np.random.default_rng(0).uniform(-1, 1, (20, 2))
    np.testing.assert_array_equal(old.route(X).units, UniformHashRouter(2, 16, 3, 5).route(X).units)
