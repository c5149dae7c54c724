"""The LSH bucket sums.

The compiled kernels equal their plain numpy definitions, on the inputs that break them.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsn_model._kernels import add_affine_sums, add_bucket_sums


@given(st.integers(1, 20), st.integers(1, 6), st.integers(1, 30), st.integers(0, 2**32 - 1))
def test_add_bucket_sums_equals_two_bincounts(n_slots, s, n, seed):
    rng = np.random.default_rng(seed)
    slots, y = rng.integers(0, n_slots, (n, s)), rng.standard_normal(n)
    stats = np.ones((n_slots, 2))  # sums are added to what is there
    add_bucket_sums(stats, slots, y)
    assert np.array_equal(stats[:, 0], 1 + np.bincount(slots.ravel(), minlength=n_slots))
    expected = 1 + np.bincount(slots.ravel(), np.repeat(y, s), minlength=n_slots)
    np.testing.assert_allclose(stats[:, 1], expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="`slots`"):
        add_bucket_sums(stats, slots + n_slots, y)


@given(
    st.integers(1, 6),
    st.integers(0, 30),
    st.sampled_from([np.uint8, np.uint16, np.uint32, np.int64, np.int32]),
    st.integers(0, 2**32 - 1),
)
def test_add_bucket_sums_adds_each_tables_offset(s, n, dtype, seed):
    """Narrow per-table slots plus offsets sum exactly as the absolute slots do."""
    rng = np.random.default_rng(seed)
    width = 7
    local, y = rng.integers(0, width, (n, s)), rng.standard_normal(n)
    offsets = width * rng.permutation(s)
    relative, absolute = np.zeros((width * s, 2)), np.zeros((width * s, 2))
    add_bucket_sums(relative, local.astype(dtype), y, offsets)
    add_bucket_sums(absolute, local + offsets, y)
    assert np.array_equal(relative, absolute)
    p = 3
    gram, xty = np.zeros((width * s, p * (p + 1) // 2)), np.zeros((width * s, p))
    gram_abs, xty_abs = np.zeros_like(gram), np.zeros_like(xty)
    X = rng.standard_normal((n, p - 1))
    add_affine_sums(gram, xty, local.astype(dtype), X, y, offsets)
    add_affine_sums(gram_abs, xty_abs, local + offsets, X, y)
    assert np.array_equal(gram, gram_abs) and np.array_equal(xty, xty_abs)


def test_add_bucket_sums_checks_offsets_and_lengths():
    stats = np.zeros((4, 2))
    local = np.array([[0, 1]], dtype=np.uint8)
    for offsets in ([0, 3], [-1, 0]):  # 1 + 3 and 0 - 1 fall outside [0, 4)
        with pytest.raises(ValueError, match="`offsets` \\+ `slots`"):
            add_bucket_sums(stats, local, np.ones(1), np.array(offsets))
    with pytest.raises(ValueError, match="`offsets` must hold"):
        add_bucket_sums(stats, local, np.ones(1), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="`y`"):
        add_bucket_sums(stats, local, np.ones(2))
    with pytest.raises(ValueError, match="`slots` must be a matrix"):
        add_bucket_sums(stats, np.zeros(3, dtype=int), np.ones(3))
    assert not stats.any()


@pytest.mark.parametrize(
    "stats",
    [np.zeros((4, 3)), np.zeros((4, 2), dtype=np.float32), np.zeros((2, 4)).T, np.zeros(4)],
)
def test_add_bucket_sums_refuses_accumulators_it_cannot_write(stats):
    with pytest.raises(ValueError, match="`stats`"):
        add_bucket_sums(stats, np.zeros((1, 1), dtype=int), np.ones(1))


@given(st.integers(1, 12), st.integers(1, 4), st.integers(1, 3), st.integers(1, 20), st.data())
def test_add_affine_sums_equals_the_products_summed_by_slot(n_slots, s, d, n, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    slots, X, y = rng.integers(0, n_slots, (n, s)), rng.standard_normal((n, d)), rng.normal(size=n)
    p = d + 1
    gram, xty = np.ones((n_slots, p * (p + 1) // 2)), np.ones((n_slots, p))
    add_affine_sums(gram, xty, slots, X, y)
    Z = np.hstack([np.ones((n, 1)), X])
    upper = np.triu_indices(p)
    expected_gram, expected_xty = np.ones_like(gram), np.ones_like(xty)
    for r in range(n):  # the definition, one (row, slot) at a time
        for j in slots[r]:
            expected_gram[j] += np.outer(Z[r], Z[r])[upper]
            expected_xty[j] += y[r] * Z[r]
    np.testing.assert_allclose(gram, expected_gram, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(xty, expected_xty, rtol=1e-12, atol=1e-12)


def test_add_affine_sums_rejects_bad_slots_and_shapes():
    gram, xty = np.zeros((2, 3)), np.zeros((2, 2))
    with pytest.raises(ValueError, match="`slots`"):
        add_affine_sums(gram, xty, np.array([[2]]), np.ones((1, 1)), np.ones(1))
    with pytest.raises(ValueError, match="columns"):
        add_affine_sums(gram, xty, np.array([[0]]), np.ones((1, 2)), np.ones(1))
    assert not gram.any() and not xty.any()
