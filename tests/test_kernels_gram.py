"""The sparse Gram matrix and the dense rows.

The compiled kernels equal their plain numpy definitions, on the inputs that break them.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsn_model._kernels import add_upper_block, dense_rows, sparse_gram_upper
from dsn_model.estimators.local_gram import add_block_sums, add_masked_rows, locality_order


@given(st.integers(1, 70), st.integers(1, 9), st.integers(1, 30), st.integers(0, 2**32 - 1))
def test_sparse_gram_upper_equals_the_dense_product(t, s, n, seed):
    """Units may repeat (their values add), tiles may be ragged (t not a multiple of 8)."""
    rng = np.random.default_rng(seed)
    units = rng.integers(0, t, (n, s))
    values = rng.standard_normal((n, s))
    dense = np.zeros((n, t))
    np.add.at(dense, (np.repeat(np.arange(n), s), units.ravel()), values.ravel())
    G = np.full((t, t), 7.0)  # sums are added to what is there; the lower triangle is kept
    sparse_gram_upper(G, units, values, tile=8)
    expected = 7.0 + dense.T @ dense
    upper = np.triu(np.ones((t, t), dtype=bool))
    np.testing.assert_allclose(G[upper], expected[upper], rtol=1e-12, atol=1e-12)
    assert np.all(G[~upper] == 7.0)


def test_sparse_gram_upper_rejects_units_outside_the_matrix():
    G = np.zeros((4, 4))
    for bad in (np.array([[0, 4]]), np.array([[-1, 2]])):
        with pytest.raises(ValueError, match="`units`"):
            sparse_gram_upper(G, bad, np.ones((1, 2)))
    assert not G.any()


@given(st.integers(1, 40), st.integers(1, 9), st.integers(0, 30), st.integers(0, 2**32 - 1))
def test_dense_rows_equal_bincount_bit_for_bit(t, s, n, seed):
    """Repeated units add in slot order from 0.0, exactly as ``np.bincount`` adds them."""
    rng = np.random.default_rng(seed)
    units = rng.integers(0, t, (n, s))
    values = rng.standard_normal((n, s))
    values[rng.random((n, s)) < 0.3] = 0.0  # empty slots: unit 0 or any unit, value 0
    flat = (units + t * np.arange(n)[:, None]).ravel()
    expected = np.bincount(flat, values.ravel(), minlength=n * t).reshape(n, t)
    np.testing.assert_array_equal(dense_rows(units, values, t), expected)


def test_dense_rows_reject_units_outside_the_row_and_mismatched_values():
    with pytest.raises(ValueError, match="`units`"):
        dense_rows(np.array([[0, 3]]), np.ones((1, 2)), 3)
    with pytest.raises(ValueError, match="`values`"):
        dense_rows(np.array([[0, 1]]), np.ones((1, 3)), 3)


def test_add_upper_block_adds_the_upper_triangle_at_its_columns():
    rng = np.random.default_rng(0)
    G, block = rng.standard_normal((7, 7)), rng.standard_normal((3, 3))
    cols = np.array([1, 4, 6])
    expected = G.copy()
    expected[np.ix_(cols, cols)] += np.triu(block)
    add_upper_block(G, cols, block)
    np.testing.assert_array_equal(G, expected)
    with pytest.raises(ValueError, match="`cols`"):
        add_upper_block(G, np.array([4, 1, 6]), block)


@pytest.mark.parametrize("t", [40, 400])  # every column used (the whole update), or few
def test_add_block_sums_equals_the_dense_sums(t):
    rng = np.random.default_rng(t)
    units = np.stack([rng.choice(40, 6, replace=False) for _ in range(50)])
    values, Y = rng.standard_normal((50, 6)), rng.standard_normal((50, 2))
    F = dense_rows(units, values, t)
    G, colsum, FtY = np.zeros((t, t)), np.zeros(t), np.zeros((t, 2))
    G = add_block_sums(G, colsum, FtY, units, values, Y, t)
    np.testing.assert_allclose(np.triu(G), np.triu(F.T @ F), atol=1e-12)
    np.testing.assert_allclose(colsum, F.sum(axis=0), atol=1e-12)
    np.testing.assert_allclose(FtY, F.T @ Y, atol=1e-12)
    # the same rows given written out: twice the sums
    G = add_masked_rows(G, colsum, FtY, F, Y)
    np.testing.assert_allclose(np.triu(G), 2 * np.triu(F.T @ F), atol=1e-12)
    np.testing.assert_allclose(colsum, 2 * F.sum(axis=0), atol=1e-12)
    np.testing.assert_allclose(FtY, 2 * F.T @ Y, atol=1e-12)


def test_locality_order_is_a_permutation_that_groups_nearby_rows():
    rng = np.random.default_rng(1)
    centres = rng.uniform(-1, 1, (4, 3)) * 10
    X = np.repeat(centres, 25, axis=0) + rng.normal(0, 0.01, (100, 3))
    X = X[rng.permutation(100)]
    assert np.array_equal(np.sort(locality_order(X)), np.arange(100))
    assert locality_order(X[:1]).tolist() == [0]  # one row (fewer directions than columns)
    assert np.array_equal(np.sort(locality_order(X[:3])), np.arange(3))
    groups = np.argmin(((X[:, None] - centres) ** 2).sum(axis=2), axis=1)[locality_order(X)]
    assert np.count_nonzero(np.diff(groups)) <= 3 * 2  # each cluster in few runs
