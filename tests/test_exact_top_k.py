"""Routing by the top-k of linear scores is that of the fixed-order sums, whatever the batch."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsn_model import DSM
from dsn_model._kernels import top_k_rows
from dsn_model.model.dsm import SparseLayer
from dsn_model.model.exact_top_k import (
    fixed_order_scores,
    rounding_band,
    screened_top_k,
    selection_tolerance,
    top_k_indices,
    unsure_rows,
)
from dsn_model.model.features import ACTIVATIONS, RandomFeatures
from dsn_model.model.routers import BlockRouter, KNNRouter, SwitchRouter, TopKRouter


def near_tied_matrix(rng, t, d):
    """Rows in groups of exact duplicates and duplicates off by an ulp: many exact and
    near ties between the scores of any input."""
    base = rng.standard_normal((max(1, t // 3), d))
    M = base[rng.integers(0, len(base), t)]
    return M * (1 + rng.choice([-1, 0, 1], (t, 1)) * np.finfo(float).eps)


@given(
    st.integers(1, 5),
    st.integers(2, 24),
    st.integers(1, 4),
    st.sampled_from([1, 2]),
    st.integers(0, 2**32 - 1),
)
def test_any_fast_scores_within_the_band_select_as_the_fixed_order_sums(d, t, k, depth, seed):
    """Fast scores anywhere within the rounding band of the reference give the reference's
    selection: rows where the fast order could mislead are selected from the reference."""
    rng = np.random.default_rng(seed)
    k = min(k, t)
    stages = [near_tied_matrix(rng, t, d)]
    if depth == 2:  # a low-rank controller: two stages
        stages = [near_tied_matrix(rng, 3, d), near_tied_matrix(rng, t, 3)]
    X = rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], (9, d))  # lattice points: exact ties
    reference = fixed_order_scores(X, stages)
    band = rounding_band(X, stages)
    fast = reference + rng.uniform(-1, 1, reference.shape) * band[:, None]
    expected = top_k_indices(reference, k)
    assert np.array_equal(screened_top_k(X, stages, k, scores=fast), expected)
    groups = 2 if t % 2 == 0 and k <= t // 2 else 1
    by_group = screened_top_k(X, stages, k, scores=fast, groups=groups)
    size = t // groups
    for g in range(groups):  # each group is the top-k of its own columns
        chosen = top_k_indices(reference[:, g * size : (g + 1) * size], k) + g * size
        assert np.array_equal(by_group[:, g * k : (g + 1) * k], chosen)


def test_without_the_screen_a_perturbation_within_the_band_would_reroute():
    """The case the screen exists for: an exact tie that the fast scores break the other way."""
    M = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 0.0]])
    X = np.array([[0.3, 0.7]])
    fast = fixed_order_scores(X, [M])
    fast[0, 1] += rounding_band(X, [M])[0]  # unit 1 ahead by a rounding error
    assert top_k_indices(fast, 1).tolist() == [[1]]  # what an unscreened selection keeps
    assert screened_top_k(X, [M], 1, scores=fast).tolist() == [[0]]  # the tie's lower index


def test_unsure_rows_flags_only_scores_within_tolerance_of_the_kth():
    scores = np.array([[5.0, 4.0, 4.0], [5.0, 4.0, 3.0], [0.0, 0.0, 0.0]])
    kth = np.array([4.0, 4.0, 0.0])
    assert unsure_rows(scores, kth, np.full(3, 0.5), 2).tolist() == [True, False, True]
    assert not unsure_rows(scores, kth, np.zeros(3), 2).any()  # exact scores: ties are real
    assert unsure_rows(scores, kth, np.full(3, np.inf), 2).all()


def test_rounding_band_bounds_the_error_of_blas_and_fixed_order_sums():
    """Against exact rational arithmetic, for one and for two stages."""
    rng = np.random.default_rng(0)
    X, D, U = rng.uniform(-3, 3, (40, 6)), rng.standard_normal((5, 6)), rng.standard_normal((30, 5))

    def exact(A, B):  # rows of A times rows of B, exactly
        return [
            [sum(Fraction(a) * Fraction(b) for a, b in zip(u, v, strict=True)) for v in B]
            for u in A
        ]

    one = exact(X, D)
    two = [[sum(Fraction(u) * h for u, h in zip(row, hs, strict=True)) for row in U] for hs in one]
    for stages, truth in (([D], one), ([D, U], two)):
        band = rounding_band(X, stages)
        fast = X @ stages[0].T if len(stages) == 1 else (X @ D.T) @ U.T
        for computed in (fast, fixed_order_scores(X, stages)):
            for i, (row, exact_row) in enumerate(zip(computed, truth, strict=True)):
                worst = max(abs(Fraction(v) - e) for v, e in zip(row, exact_row, strict=True))
                assert worst <= Fraction(band[i])


class PerturbedFeatures(RandomFeatures):
    """Features as a fast product might round them: the fixed-order product moved within
    the rounding band, by a fixed function of the row (so the same row always gets the
    same features, as from one BLAS call). The layer reads the product alone (its
    selection adds the bias) and ``features_at`` the features: both see the shift."""

    def _linear(self, X):
        Z = fixed_order_scores(X, [self.weights])
        band = rounding_band(X, [self.weights], self.bias)
        shift = np.sin(7.0 * X.sum(axis=1)[:, None] + 3.0 * np.arange(self.n_units))
        return Z + shift * band[:, None]


@pytest.mark.parametrize("activation", ["relu", "identity", "tanh", "sign"])
def test_top_k_layer_routes_as_the_fixed_order_features(activation):
    rng = np.random.default_rng(1)
    d, t, k = 3, 24, 4
    B = near_tied_matrix(rng, t, d)
    c = np.round(rng.uniform(-1, 1, t), 1)  # ties in the bias too
    X = rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], (300, d))
    phi = PerturbedFeatures(B, c, activation=activation)
    layer = SparseLayer(phi, TopKRouter(t, k))
    routing, values = layer.forward(X)
    reference = ACTIVATIONS[activation](fixed_order_scores(X, [B], c))
    assert np.array_equal(routing.units, top_k_indices(reference, k))
    # the values are the layer's own features at those units, as features_at reads them
    assert np.array_equal(layer.features_at(X, routing.units), values)


@pytest.mark.parametrize("seed", [3, 4])
def test_relu_top_k_with_zero_kth_features_routes_as_the_fixed_order_features(seed):
    """Wide ReLU rows with fewer than k features above 0: the zeros tie, and the fast
    screen keeps a row only when no pre-activation lies within the tolerance of 0. Fast
    features moved within the band must still select as the fixed-order ones; the test
    checks both kinds of rows occur (kept, and redone from the reference)."""
    rng = np.random.default_rng(seed)
    d, t, k = 3, 256, 128
    B = near_tied_matrix(rng, t, d)
    c = np.round(rng.uniform(-1.5, 0.5, t), 1)  # most features 0: k-th value 0 in most rows
    X = rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], (400, d))
    X[::7] = 0.0  # pre-activations equal to the bias: exactly 0 where c is
    phi = PerturbedFeatures(B, c, activation="relu")
    routing, _ = SparseLayer(phi, TopKRouter(t, k)).forward(X)
    reference = ACTIVATIONS["relu"](fixed_order_scores(X, [B], c))
    assert np.array_equal(routing.units, top_k_indices(reference, k))
    tolerance = selection_tolerance(X, [B], c, "relu")
    _, values, unsure = top_k_rows(phi._linear(X), k, tolerance=tolerance, offset=c, relu=True)
    zero_kth = values.min(axis=1) == 0.0
    assert (zero_kth & ~unsure).sum() > 50 and (zero_kth & unsure).sum() > 10


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(["topk", "knn", "switch", "block"]), st.integers(0, 2**32 - 1))
def test_routing_of_a_row_alone_equals_its_routing_in_a_batch(router, seed):
    rng = np.random.default_rng(seed)
    net = DSM.random(4, 64, 8, router=router, random_state=seed)
    X = rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], (40, 4))
    batch = net.route(X).units
    alone = np.vstack([net.route(X[i : i + 1]).units for i in range(len(X))])
    assert np.array_equal(batch, alone)


def test_routers_with_near_tied_scores_route_as_the_fixed_order_sums():
    rng = np.random.default_rng(2)
    X = rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], (200, 3))
    G = near_tied_matrix(rng, 12, 3)
    expected = top_k_indices(fixed_order_scores(X, [G]), 2)
    assert np.array_equal(KNNRouter(G, 2).route(X).units, expected)
    assert np.array_equal(SwitchRouter(G, 1, top_k=2).expert_of(X), expected)
    block = BlockRouter(3, down=G).route(X).units
    reference = fixed_order_scores(X, [G]).reshape(len(X), 3, 4).argmax(axis=2)
    assert np.array_equal(block, reference + np.arange(3) * 4)


def test_screened_top_k_names_a_bad_group_count_or_k():
    X, M = np.ones((2, 3)), np.ones((6, 3))
    with pytest.raises(ValueError, match="`groups`"):
        screened_top_k(X, [M], 1, groups=4)
    with pytest.raises(ValueError, match="`k`"):
        screened_top_k(X, [M], 4, groups=2)
