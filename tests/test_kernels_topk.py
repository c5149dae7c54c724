"""Top-k selection and the row-wise gather.

The compiled kernels equal their plain numpy definitions, on the inputs that break them.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dsn_model._kernels import count_at_or_above, take_rows, top_k_rows
from dsn_model._kernels.topk import _kth_smallest, _nearest_inside


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=40),
        elements=st.sampled_from([-np.inf, -1.0, 0.0, 0.5, 2.0]),  # ties, and -inf
    ),
    st.data(),
)
def test_top_k_rows_matches_a_stable_sort_at_every_k(scores, data):
    k = data.draw(st.integers(1, scores.shape[1]))
    expected = np.sort(np.argsort(-scores, axis=1, kind="stable")[:, :k], axis=1)
    assert np.array_equal(top_k_rows(scores, k), expected)
    index, values = top_k_rows(scores, k, return_values=True)
    assert np.array_equal(index, expected)
    assert np.array_equal(values, np.take_along_axis(scores, expected, axis=1))


@pytest.mark.parametrize("t", [16, 100, 256, 300, 1024])
@pytest.mark.parametrize("order", ["random", "ascending", "descending"])
def test_top_k_rows_on_wide_rows_whatever_their_order(t, order):
    """Rows wider than hypothesis draws: the stripes fold ``t - w`` trailing columns (t = 100,
    300) or none, and sorted rows put every top entry in few stripes, so the first floor
    fails and the second is used."""
    rng = np.random.default_rng(t)
    scores = np.maximum(rng.standard_normal((200, t)), 0.0)  # ReLU: ties at 0
    if order != "random":
        scores = np.sort(scores, axis=1)[:, :: 1 if order == "ascending" else -1]
    for k in (2, 3, 8, 16, t // 4, t // 2 + 1):
        expected = np.sort(np.argsort(-scores, axis=1, kind="stable")[:, :k], axis=1)
        index, values = top_k_rows(scores, k, return_values=True)
        assert np.array_equal(index, expected), k
        assert np.array_equal(values, np.take_along_axis(scores, expected, axis=1)), k


@given(
    hnp.arrays(
        np.float64,
        st.integers(1, 300),
        elements=st.one_of(st.sampled_from([0.0, 1.0, 2.0]), st.floats(-1e3, 1e3)),
    ),
    st.data(),
)
def test_quickselect_finds_the_kth_smallest_with_ties(values, data):
    kth = data.draw(st.integers(0, len(values) - 1))
    assert _kth_smallest(values.copy(), 0, len(values), kth) == np.partition(values, kth)[kth]


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=60),
        elements=st.sampled_from([-np.inf, -1.0, 0.0, 1e-16, 0.5, 0.5 + 1e-16, 2.0]),
    ),
    st.data(),
)
def test_top_k_rows_screens_near_ties_as_the_count_defines(scores, data):
    """``unsure`` is whether more than k entries reach the k-th largest minus the tolerance
    (with a positive tolerance), whether or not the floor's candidates held them all."""
    k = data.draw(st.integers(1, scores.shape[1]))
    tolerance = np.array(
        data.draw(
            st.lists(
                st.sampled_from([0.0, 1e-15, 0.6, np.inf]),
                min_size=len(scores),
                max_size=len(scores),
            )
        )
    )
    index, values, unsure = top_k_rows(scores, k, tolerance=tolerance)
    assert np.array_equal(index, top_k_rows(scores, k))
    kth = values.min(axis=1)
    reach = (scores >= (kth - tolerance)[:, None]).sum(axis=1)
    assert np.array_equal(unsure, (tolerance > 0) & (reach > k))
    assert np.array_equal(count_at_or_above(scores, kth - tolerance), reach)


def test_top_k_rows_refuses_a_row_of_nan():
    scores = np.zeros((2, 64))
    scores[1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        top_k_rows(scores, 2)


@pytest.mark.parametrize("k", [0, 5])
def test_top_k_rows_needs_k_between_1_and_t(k):
    with pytest.raises(ValueError, match="`k`"):
        top_k_rows(np.zeros((2, 4)), k)


@given(st.integers(0, 5), st.integers(1, 6), st.integers(0, 4), st.integers(0, 2**32 - 1))
def test_take_rows_equals_take_along_axis(n, t, s, seed):
    rng = np.random.default_rng(seed)
    M, index = rng.standard_normal((n, t)), rng.integers(0, t, (n, s))
    assert np.array_equal(take_rows(M, index), np.take_along_axis(M, index, axis=1))
    if n and s:
        with pytest.raises(ValueError, match="`index`"):
            take_rows(M, index + t)


def _stable_top_k(scores, k):
    return np.sort(np.argsort(-scores, axis=1, kind="stable")[:, :k], axis=1)


@pytest.mark.parametrize("t", [64, 300, 1024])
@pytest.mark.parametrize("kind", ["tied", "exotic"])
def test_top_k_rows_on_wide_rows_with_ties_and_non_finite_entries(t, kind):
    """Rows where the count cannot settle on exactly k entries: many entries tie at the
    k-th value (one decimal: the tie is found by the count, or by the stuck low end), or a
    row holds NaN or infinities (the quickselect above the stripe floor decides)."""
    rng = np.random.default_rng(t)
    scores = np.round(rng.standard_normal((300, t)), 1)
    if kind == "exotic":
        scores[::3, 5] = -np.inf
        scores[1::3, 7] = np.inf
        scores[2::3, 9] = np.nan
    expected_order = np.where(np.isnan(scores), -np.inf, scores)  # a NaN is never selected
    for k in (t // 8, t // 4, t // 2, t - 3):
        index, values = top_k_rows(scores, k, return_values=True)
        assert np.array_equal(index, _stable_top_k(expected_order, k)), k
        assert np.array_equal(values, np.take_along_axis(scores, index, axis=1)), k


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=80),
        elements=st.one_of(st.sampled_from([-1.0, 0.0, 0.5]), st.floats(-4, 4)),
    ),
    st.booleans(),
    st.data(),
)
def test_top_k_rows_of_shifted_scores_equals_selecting_the_features(Z, relu, data):
    """``offset`` and ``relu`` select from ``relu(Z + offset)`` computed in the loop: the
    same indices and values, bit for bit, as from numpy's features, and the same screen
    except where ``relu`` features tie at a k-th value of 0 with every pre-activation
    farther than the tolerance from 0 (then sure: the zeros tie exactly)."""
    t = Z.shape[1]
    k = data.draw(st.integers(1, t))
    offset = data.draw(hnp.arrays(np.float64, t, elements=st.floats(-1, 1)))
    tolerance = np.full(len(Z), data.draw(st.sampled_from([0.0, 1e-12, 0.3])))
    F = Z + offset
    if relu:
        F = np.maximum(F, 0.0)
    index, values, unsure = top_k_rows(Z, k, tolerance=tolerance, offset=offset, relu=relu)
    plain = top_k_rows(F, k, tolerance=tolerance)
    assert np.array_equal(index, plain[0]) and np.array_equal(values, plain[1])
    assert np.array_equal(index, _stable_top_k(F, k))
    zero_kth = relu & (values.min(axis=1) == 0.0) & (k < t)
    clear = (np.abs(Z + offset) > tolerance[:, None]).all(axis=1)
    expected = plain[2] & ~(zero_kth & clear)
    assert np.array_equal(unsure, expected)


def test_top_k_rows_checks_the_offset():
    with pytest.raises(ValueError, match="`offset`"):
        top_k_rows(np.zeros((2, 4)), 2, offset=np.zeros(3))


@given(
    hnp.arrays(
        np.float64,
        st.integers(1, 40),
        elements=st.one_of(
            st.sampled_from([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan]),
            st.floats(allow_nan=False),
        ),
    ),
    st.floats(allow_nan=False),
    st.floats(allow_nan=False),
)
def test_nearest_inside_finds_the_entries_next_to_the_bracket(v, lo, hi):
    """The smallest entry at or above ``lo`` and the largest below ``hi``, as numpy finds
    them (``inf`` and ``-inf`` when there is none; NaN entries are neither)."""
    a, b = _nearest_inside(v, lo, hi)
    above, below = v[v >= lo], v[v < hi]
    assert a == (above.min() if above.size else np.inf)
    assert b == (below.max() if below.size else -np.inf)
