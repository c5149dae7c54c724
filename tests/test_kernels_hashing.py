"""LSH codes (hyperplane bits, slab floors, cross-polytope codes).

The compiled kernels equal their plain numpy definitions, on the inputs that break them.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsn_model._kernels import (
    cross_polytope_codes,
    hyperplane_bits,
    hyperplane_screen,
    slab_floors,
    slab_screen,
)


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


def test_cross_polytope_codes_reject_mismatched_shapes():
    X, R = np.zeros((3, 2)), np.zeros((4, 2, 2))
    with pytest.raises(ValueError, match="`rotations`"):
        cross_polytope_codes(np.zeros((3, 4, 2)), X, np.zeros((4, 3, 3)), 1e-15)
    with pytest.raises(ValueError, match="`Y`"):
        cross_polytope_codes(np.zeros((3, 5, 2)), X, R, 1e-15)
