"""The compiled kernels equal their plain numpy definitions, on the inputs that break them."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dsn_model._kernels import (
    _kth_smallest,
    abs_max,
    add_affine_sums,
    add_bucket_sums,
    count_at_or_above,
    cross_polytope_codes,
    floyd_samples,
    hyperplane_bits,
    hyperplane_screen,
    slab_floors,
    slab_screen,
    sparse_gram_upper,
    take_rows,
    top_k_rows,
)


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


@given(st.sampled_from([np.float32, np.float64]), st.integers(1, 6), st.data())
def test_hyperplane_bits_are_the_fixed_order_float64_signs(dtype, d, data):
    """However the estimate errs within the product's rounding bound, the bits are those of
    ``sum_k a_k x_k`` in float64 (k in turn) against ``-b``; the hyperplanes pass within
    an ulp of the points."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    X, A = rng.uniform(-2, 2, (7, d)), rng.standard_normal((5, d))
    sums = np.array([[sum(a * x for a, x in zip(a_, x_, strict=True)) for a_ in A] for x_ in X])
    b = -sums[rng.integers(0, 7, 5), np.arange(5)] * (1 + rng.choice([-1, 0, 1], 5) * 2e-16)
    u = np.finfo(dtype).eps / 2  # an estimate off by up to the product's rounding bound
    scale = (d + 2) * u * (np.abs(X) @ np.abs(A).T)
    P = (sums + rng.uniform(-1, 1, sums.shape) * scale).astype(dtype)
    screen = hyperplane_screen(A, b, dtype)
    assert np.array_equal(hyperplane_bits(P, X, screen), sums >= -b)
    packed = np.packbits(sums >= -b, axis=1, bitorder="little")
    assert np.array_equal(hyperplane_bits(P, X, screen, packed=True), packed)


@given(st.integers(1, 140), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_hyperplane_bits_pack_as_numpy_packbits_does(c, n, seed):
    """Bit j of a row is bit j % 8 of its byte j // 8, over several 64-bit words."""
    rng = np.random.default_rng(seed)
    X, A, b = rng.standard_normal((n, 3)), rng.standard_normal((c, 3)), rng.standard_normal(c)
    screen = hyperplane_screen(A, b, np.float64)
    bits = hyperplane_bits(X @ A.T, X, screen)
    packed = hyperplane_bits(X @ A.T, X, screen, packed=True)
    assert packed.dtype == np.uint8
    assert np.array_equal(packed, np.packbits(bits, axis=1, bitorder="little"))


def test_hyperplane_bits_name_the_bad_argument():
    X, screen = np.zeros((2, 3)), hyperplane_screen(np.zeros((4, 3)), np.zeros(4), np.float64)
    with pytest.raises(ValueError, match="`projections`"):
        hyperplane_bits(np.zeros((2, 4), dtype=np.float32), X, screen)
    with pytest.raises(ValueError, match="`X`"):
        hyperplane_bits(np.zeros((2, 4)), np.zeros((2, 2)), screen)
    with pytest.raises(ValueError, match="`offsets`"):
        hyperplane_screen(np.zeros((4, 3)), np.zeros(3), np.float64)
    with pytest.raises(ValueError, match="`dtype`"):
        hyperplane_screen(np.zeros((4, 3)), np.zeros(4), np.float16)


@given(st.integers(0, 5), st.integers(1, 6), st.integers(0, 4), st.integers(0, 2**32 - 1))
def test_take_rows_equals_take_along_axis(n, t, s, seed):
    rng = np.random.default_rng(seed)
    M, index = rng.standard_normal((n, t)), rng.integers(0, t, (n, s))
    assert np.array_equal(take_rows(M, index), np.take_along_axis(M, index, axis=1))
    if n and s:
        with pytest.raises(ValueError, match="`index`"):
            take_rows(M, index + t)


@given(st.sampled_from([np.float32, np.float64]), st.integers(1, 6), st.data())
def test_slab_floors_are_the_fixed_order_float64_floors(dtype, d, data):
    """However the estimate errs within the product's rounding bound, the floors are those of
    ``sum_k W_kj x_k + W_dj`` in float64 (k in turn); the maps pass within ulps of integers."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    X, W = rng.uniform(-2, 2, (7, d)), rng.standard_normal((d + 1, 5)) * 3
    for j in range(5):  # move u_j(x_j) onto an integer, give or take an ulp
        v = sum(float(W[k, j]) * float(X[j, k]) for k in range(d))
        W[d, j] = np.ceil(v) - v + rng.choice([-1e-16, 0.0, 1e-16])
    reference = np.empty((7, 5))
    for r in range(7):
        for j in range(5):
            v = 0.0
            for k in range(d):
                v += float(W[k, j]) * float(X[r, k])
            reference[r, j] = np.floor(v + float(W[d, j]))
    screen = slab_screen(W, dtype)
    exact = np.hstack([X, np.ones((7, 1))]) @ W
    slack = (screen.slope * np.abs(X).max(axis=1, keepdims=True) + screen.intercept) / 2
    for estimate in (exact - slack, exact, exact + slack):  # anywhere in half the band
        U = np.ascontiguousarray(estimate.astype(dtype))
        assert slab_floors(U, X, screen) is U
        assert U.dtype == dtype and np.array_equal(U, reference)


def test_slab_floors_reject_what_they_cannot_write():
    screen = slab_screen(np.ones((3, 2)), np.float64)
    X = np.zeros((4, 2))
    for bad in (np.zeros((4, 3)), np.zeros((4, 2), dtype=int), np.zeros((2, 4)).T):
        with pytest.raises(ValueError, match="`U`"):
            slab_floors(bad, X, screen)
    with pytest.raises(ValueError, match="`X`"):
        slab_floors(np.zeros((4, 2)), np.zeros((4, 3)), screen)
    for bad_weights, dtype in ((np.ones(3), np.float64), (np.ones((3, 2)), np.float16)):
        with pytest.raises(ValueError):
            slab_screen(bad_weights, dtype)


def floyd_by_definition(h, n_items, size):
    """Floyd's algorithm as the uniform-hash router defines it: pick ``c`` is the hashed
    ``r`` in ``[0, j]`` unless an earlier pick of the row equals it, else ``j``."""
    from dsn_model.model.uniform_hash import mix64

    out = np.empty((len(h), size), dtype=np.int64)
    for c, j in enumerate(range(n_items - size, n_items)):
        offset = np.uint64(((c + 1) * 0x9E3779B97F4A7C15) % 2**64)
        r = (mix64(h + offset) % np.uint64(j + 1)).astype(np.int64)
        out[:, c] = np.where((out[:, :c] == r[:, None]).any(axis=1), j, r)
    return out


@given(st.integers(1, 300), st.data())
def test_floyd_samples_follow_the_definition_with_a_bitmap_or_a_scan(n_items, data):
    size = data.draw(st.integers(1, min(n_items, 40)))
    h = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))).integers(
        0, 2**64, 200, dtype=np.uint64
    )
    for items in (n_items, 2**23 + n_items):  # a bitmap, then past its limit a scan
        out = floyd_samples(h, items, size)
        assert np.array_equal(out, floyd_by_definition(h, items, size))
        assert all(len(set(row)) == size for row in out.tolist())


def test_cross_polytope_codes_reject_mismatched_shapes():
    X, R = np.zeros((3, 2)), np.zeros((4, 2, 2))
    with pytest.raises(ValueError, match="`rotations`"):
        cross_polytope_codes(np.zeros((3, 4, 2)), X, np.zeros((4, 3, 3)), 1e-15)
    with pytest.raises(ValueError, match="`Y`"):
        cross_polytope_codes(np.zeros((3, 5, 2)), X, R, 1e-15)


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
