"""The features of selected units, read in place.

The compiled loop equals its plain definition (a sum in column order) bit for bit, row by
row whatever the batch, with empty slots and bad indices handled.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsn_model._kernels import unit_preactivations


@given(
    st.integers(1, 12),
    st.integers(1, 40),
    st.integers(1, 6),
    st.integers(0, 30),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_unit_preactivations_are_the_sums_in_column_order(d, t, s, n, biased, seed):
    rng = np.random.default_rng(seed)
    X, W = rng.standard_normal((n, d)), rng.standard_normal((t, d))
    b = rng.standard_normal(t) if biased else None
    units = rng.integers(-1, t, (n, s))
    got = unit_preactivations(X, W, b, units)
    for i in range(n):
        for j in range(s):
            u = units[i, j]
            if u < 0:
                assert got[i, j] == 0.0
                continue
            acc = 0.0
            for k in range(d):
                acc += W[u, k] * X[i, k]
            assert got[i, j] == acc + (b[u] if biased else 0.0)
    if n > 1:  # a row's values do not depend on the rows beside it
        np.testing.assert_array_equal(unit_preactivations(X[1:], W, b, units[1:]), got[1:])


def test_unit_preactivations_reject_units_outside_the_layer_and_bad_shapes():
    X, W = np.ones((2, 3)), np.ones((4, 3))
    for bad in (np.array([[0, 4], [1, 1]]), np.array([[-2, 0], [1, 1]])):
        with pytest.raises(ValueError, match="`units`"):
            unit_preactivations(X, W, None, bad)
    with pytest.raises(ValueError, match="`units` must be"):
        unit_preactivations(X, W, None, np.zeros((3, 1), dtype=int))
    with pytest.raises(ValueError, match="`weights`"):
        unit_preactivations(X, np.ones((4, 2)), None, np.zeros((2, 1), dtype=int))
