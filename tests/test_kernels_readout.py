"""The fused read-out of a Top-K layer: each row's top k features and their weighted sum,
or those features left in place as masked rows.

It selects what :func:`top_k_rows` selects and sums what :func:`sparse_rows_read_out`
sums, bit for bit, on the rows that break the counting (ties, small k, NaN-free extremes).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dsn_model._kernels import (
    dense_rows,
    sparse_rows_read_out,
    top_k_masked_rows,
    top_k_read_out,
    top_k_rows,
)


def _check(Z, k, weights, offset, relu, tolerance):
    out, unsure = top_k_read_out(Z, k, weights, offset=offset, relu=relu, tolerance=tolerance)
    index, values, expected_unsure = top_k_rows(Z, k, tolerance=tolerance, offset=offset, relu=relu)
    assert np.array_equal(unsure, expected_unsure)
    # the same selection left in place: dense_rows of the indices and values, bit for bit
    rows, masked_unsure = top_k_masked_rows(Z, k, offset=offset, relu=relu, tolerance=tolerance)
    assert np.array_equal(masked_unsure, expected_unsure)
    expected_rows = dense_rows(index, values, Z.shape[1])
    assert np.array_equal(rows, expected_rows) and not np.signbit(rows[rows == 0]).any()
    assert np.array_equal(out, sparse_rows_read_out(index, values, weights))
    plain = (weights[index] * values).sum(axis=1)  # column order: equal up to rounding
    np.testing.assert_allclose(out, plain, rtol=1e-12, atol=1e-12 * np.abs(weights).sum())


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=70),
        elements=st.one_of(st.sampled_from([-1.0, 0.0, 0.5]), st.floats(-4, 4)),
    ),
    st.booleans(),
    st.data(),
)
def test_read_out_sums_the_selection_of_top_k_rows(Z, relu, data):
    t = Z.shape[1]
    k = data.draw(st.integers(1, t))
    weights = data.draw(hnp.arrays(np.float64, t, elements=st.floats(-2, 2)))
    offset = data.draw(hnp.arrays(np.float64, t, elements=st.floats(-1, 1)))
    tolerance = np.full(len(Z), data.draw(st.sampled_from([0.0, 1e-12, 0.3, np.inf])))
    _check(Z, k, weights, offset, relu, tolerance)


@pytest.mark.parametrize("t", [256, 1024])
def test_read_out_on_wide_relu_features_at_every_kind_of_k(t):
    """ReLU features of random units: about half tie at 0, so k = t / 2 and beyond tie at
    the k-th value; k <= t / 16 selects above the stripe floor; between, the count."""
    rng = np.random.default_rng(t)
    Z = rng.standard_normal((200, 8)) @ rng.standard_normal((8, t)) / np.sqrt(8)
    offset, weights = rng.uniform(-1, 1, t), rng.standard_normal(t)
    for k in (1, t // 32, t // 4, t // 2, 3 * t // 4, t):
        _check(Z, k, weights, offset, True, np.full(200, 1e-13))


def test_read_out_checks_its_inputs():
    with pytest.raises(ValueError, match="`tolerance`"):
        top_k_masked_rows(np.zeros((2, 4)), 2, tolerance=np.zeros(3))
    with pytest.raises(ValueError, match="`k`"):
        top_k_masked_rows(np.zeros((2, 4)), 0)
    with pytest.raises(ValueError, match="`out`"):
        top_k_masked_rows(np.zeros((2, 4)), 2, out=np.zeros((4, 2)).T)
    out = np.full((2, 4), np.nan)
    assert top_k_masked_rows(np.eye(2, 4), 1, out=out)[0] is out and out.tolist()[1][1] == 1.0
    with pytest.raises(ValueError, match="`weights`"):
        top_k_read_out(np.zeros((2, 4)), 2, np.zeros(3))
    with pytest.raises(ValueError, match="`k`"):
        top_k_read_out(np.zeros((2, 4)), 5, np.zeros(4))
    with pytest.raises(ValueError, match="`units`"):
        sparse_rows_read_out(np.array([[4]]), np.ones((1, 1)), np.zeros(4))


@pytest.mark.parametrize(("t", "s", "relu"), [(1024, 256, True), (64, 64, False), (5, 1, True)])
def test_hash_read_out_sums_what_the_router_picks(t, s, relu):
    """The fused uniform-hash read-out: Floyd's picks of the row's hash, their features in
    the fixed order and the slot-order sum, bit for bit as the separate kernels give them."""
    from dsn_model._kernels import hash_read_out, slot_read_out, unit_preactivations
    from dsn_model.model.uniform_hash import hash_rows, mix64, sample_distinct

    rng = np.random.default_rng(t)
    X = rng.uniform(-1, 1, (300, 6))
    X[0] = -0.0  # hashes as +0.0
    W, b, A = rng.standard_normal((t, 6)), rng.uniform(-1, 1, t), rng.standard_normal(t)
    units = sample_distinct(hash_rows(X, 11), t, s)
    Z = unit_preactivations(X, W, b, units)
    values = np.maximum(Z, 0.0) if relu else Z
    seed = mix64(np.array([11], dtype=np.uint64))[0]
    out = hash_read_out(X, seed, s, W, b, A, relu=relu)
    assert np.array_equal(out, slot_read_out(units, values, A))
    np.testing.assert_allclose(out, (A[units] * values).sum(axis=1), rtol=1e-12, atol=1e-12)


def test_slot_read_out_skips_empty_slots_and_checks_units():
    from dsn_model._kernels import slot_read_out

    out = slot_read_out(np.array([[1, -1, 0]]), np.array([[2.0, 5.0, 3.0]]), np.array([1.0, 10.0]))
    assert out.tolist() == [23.0]
    with pytest.raises(ValueError, match="`units`"):
        slot_read_out(np.array([[2]]), np.ones((1, 1)), np.zeros(2))


def test_masked_rows_keep_every_entry_at_k_equal_t():
    """k = t selects every feature, a NaN one too, as top_k_rows and dense_rows give it."""
    Z = np.array([[1.0, np.nan, -2.0], [0.5, -0.0, 3.0]])
    rows, unsure = top_k_masked_rows(Z, 3)
    index, values = top_k_rows(Z, 3, return_values=True)
    np.testing.assert_array_equal(rows, dense_rows(index, values, 3))
    assert not unsure.any()
