"""The one-pass input check.

The compiled kernels equal their plain numpy definitions, on the inputs that break them.
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dsn_model._kernels import abs_max


def largest_magnitude(X):
    """The definition: 0 for no entries, inf if any is NaN or infinite, else max |x|."""
    if not X.size:
        return 0.0
    return float(np.abs(X).max()) if np.isfinite(X).all() else np.inf


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=20),
        elements=st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
    ),
    st.booleans(),
)
def test_abs_max_is_the_largest_magnitude_or_inf_if_any_entry_is_not_finite(X, fortran):
    X = np.asfortranarray(X) if fortran else X
    assert abs_max(X) == largest_magnitude(X)
    if X.ndim == 2:  # a view that is not contiguous, and row by row
        assert abs_max(X[:, ::2]) == largest_magnitude(X[:, ::2])
        by_row = [largest_magnitude(row) for row in X]
        assert abs_max(X, by_row=True).tolist() == by_row
