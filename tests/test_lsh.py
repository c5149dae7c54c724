"""Hash families and the exact bucket index."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsn_model.lsh.buckets import BucketIndex
from dsn_model.lsh.families import CrossPolytopeLSH, EuclideanLSH, HyperplaneLSH, family_from_state

seeds = st.integers(0, 2**31)


def reference_bit(a, x, b) -> int:
    """``[a . x >= -b]`` with ``a . x`` summed in float64, coordinate after coordinate."""
    v = 0.0
    for ai, xi in zip(a.tolist(), x.tolist(), strict=True):
        v += ai * xi
    return int(v >= -b)


def hyperplanes_through_some_points(d, m, s, seed, dtype):
    """A family whose every other hyperplane passes within an ulp of one of the points (its
    offset set from the point's projection), so that float32 alone would err on many."""
    rng = np.random.default_rng(seed)
    lsh = HyperplaneLSH(d, m, s, random_state=seed, hash_dtype=dtype)
    X = rng.uniform(-1, 1, (40, d))
    for j in range(0, m * s, 2):
        v = sum(float(a) * float(x) for a, x in zip(lsh.directions[j], X[j % 40], strict=True))
        lsh.offsets[j] = np.nextafter(-v, rng.choice([-np.inf, np.inf])) if j % 4 else -v
    return lsh, X


@given(st.integers(1, 6), st.integers(1, 64), st.integers(1, 3), seeds)
def test_hyperplane_keys_equal_the_fixed_order_sign_loop_even_on_the_boundary(d, m, s, seed):
    for dtype in ("float64", "float32"):
        lsh, X = hyperplanes_through_some_points(d, m, s, seed, dtype)
        keys = lsh.keys(X)[:, :, 0]
        for table in range(s):
            for row, x in enumerate(X):
                rows = range(table * m, (table + 1) * m)
                expected = sum(
                    reference_bit(lsh.directions[j], x, lsh.offsets[j]) << (j - table * m)
                    for j in rows
                )
                assert int(keys[row, table]) & ((1 << 64) - 1) == expected


@given(st.integers(1, 8), st.integers(1, 20), st.integers(1, 16), seeds)
def test_hyperplane_keys_do_not_depend_on_precision_or_batch(d, m, s, seed):
    """A row hashes alike in float32 and float64, alone and at any place in a batch (a BLAS
    product rounds differently by the row's place; the bits it cannot settle are redone)."""
    lsh32, X = hyperplanes_through_some_points(d, m, s, seed, "float32")
    lsh64, _ = hyperplanes_through_some_points(d, m, s, seed, "float64")
    batch = lsh32.keys(X)
    assert np.array_equal(batch, lsh64.keys(X))
    alone = np.concatenate([lsh32.keys(X[i : i + 1]) for i in range(len(X))])
    shifted = lsh32.keys(np.vstack([X[::-1], X]))[len(X) :]
    assert np.array_equal(alone, batch) and np.array_equal(shifted, batch)


def slabs_through_some_points(d, D, s, seed, dtype):
    """A Euclidean family whose every other slab boundary passes within a few ulps of one of
    the points (its offset set from the point's projection): float32 alone errs on many."""
    rng = np.random.default_rng(seed)
    lsh = EuclideanLSH(d, D, 0.3, n_tables=s, random_state=seed, hash_dtype=dtype)
    X = rng.uniform(-1, 1, (40, d))
    for j in range(0, D * s, 2):
        v = sum(
            float(a) / 0.3 * float(x) for a, x in zip(lsh.directions[j], X[j % 40], strict=True)
        )
        lsh.offsets[j] = (np.ceil(v) - v) * 0.3 + rng.choice([-1e-15, 0.0, 1e-15])
    return lsh, X


def reference_floor(lsh, j, x) -> int:
    """``floor(sum_k (a_jk / w) x_k + b_j / w)`` summed in float64, coordinate after coordinate."""
    W = np.vstack([lsh.directions.T, lsh.offsets]) / lsh.width
    v = 0.0
    for k, xk in enumerate(x.tolist()):
        v += float(W[k, j]) * xk
    return int(np.floor(v + float(W[-1, j])))


@given(st.integers(1, 8), st.integers(1, 8), st.integers(1, 4), seeds)
def test_euclidean_keys_are_the_fixed_order_floors_in_any_precision_or_batch(d, D, s, seed):
    """A key is the floor of the fixed-order float64 sum, whatever the precision of the
    product and the row's place in the batch (the floors it cannot settle are redone)."""
    lsh32, X = slabs_through_some_points(d, D, s, seed, "float32")
    lsh64, _ = slabs_through_some_points(d, D, s, seed, "float64")
    expected = np.array([[reference_floor(lsh64, j, x) for j in range(D * s)] for x in X]).reshape(
        len(X), s, D
    )
    for lsh in (lsh32, lsh64):
        assert np.array_equal(lsh.keys(X), expected)
        assert np.array_equal(lsh.index_keys(X), expected)
        alone = np.concatenate([lsh.keys(X[i : i + 1]) for i in range(len(X))])
        shifted = lsh.keys(np.vstack([X[::-1], X]))[len(X) :]
        assert np.array_equal(alone, expected) and np.array_equal(shifted, expected)
    # the nearest other key differs from the key in exactly one hash, by one
    diff = lsh32.probes(X, 2) - expected[:, :, None, :]
    assert np.all(np.abs(diff).sum(axis=-1) == 1)


def reference_code(rotation, x) -> int:
    """``i + d [y_i < 0]`` for the first largest ``|y_i|`` of ``y = R x`` summed in float64,
    coordinate after coordinate."""
    y = []
    for row in rotation.tolist():
        v = 0.0
        for rk, xk in zip(row, x.tolist(), strict=True):
            v += rk * xk
        y.append(v)
    top = max(range(len(y)), key=lambda i: (abs(y[i]), -i))
    return top + len(y) * (y[top] < 0)


@given(st.integers(2, 8), st.integers(1, 4), st.integers(1, 3), seeds)
def test_cross_polytope_codes_are_the_fixed_order_argmax_in_any_batch(d, m, s, seed):
    """Points whose two largest ``|y_i|`` tie in exact arithmetic (and the origin) hash as the
    fixed-order float64 sum decides, alone or at any place in a batch."""
    rng = np.random.default_rng(seed)
    lsh = CrossPolytopeLSH(d, m, n_tables=s, random_state=seed)
    R = lsh.rotations
    rows = []
    for h in range(len(R)):  # x = R_h^T (e_i +- e_j) c: y_i = +-y_j exactly, up to rounding
        i, j = rng.choice(d, 2, replace=False)
        v = np.zeros(d)
        v[i], v[j] = 1.0, rng.choice([-1.0, 1.0])
        rows.append(R[h].T @ v * rng.uniform(0.5, 2.0))
    X = np.vstack([*rows, np.zeros(d), rng.uniform(-1, 1, (5, d))])
    codes = lsh._codes(X)[0]
    expected = np.array([[reference_code(R[h], x) for h in range(len(R))] for x in X]).reshape(
        codes.shape
    )
    assert np.array_equal(codes, expected)
    batch = lsh.keys(X)
    alone = np.concatenate([lsh.keys(X[i : i + 1]) for i in range(len(X))])
    shifted = lsh.keys(np.vstack([X[::-1], X]))[len(X) :]
    assert np.array_equal(alone, batch) and np.array_equal(shifted, batch)


@given(st.integers(1, 5), st.integers(1, 6), st.floats(0.05, 2.0), seeds)
def test_euclidean_key_is_the_thermometer_decoding(d, D, width, seed):
    """docs/theory.md: floor(u) == lo + sum_j [u >= j], u computed once."""
    lsh = EuclideanLSH(d, D, width, random_state=seed)
    X = np.random.default_rng(seed).normal(size=(40, d))
    U = lsh.scaled(X)
    lo = np.floor(U.min()) - 1
    thresholds = np.arange(lo + 1, np.ceil(U.max()) + 2)
    thermo = lo + (U[..., None] >= thresholds).sum(axis=-1)
    assert np.array_equal(lsh.keys(X), thermo.astype(np.int64))


def test_euclidean_keys_never_collide_on_near_boundary_points():
    """Points a few ulps either side of slab boundaries get distinct cells and slots."""
    rng = np.random.default_rng(0)
    lsh = EuclideanLSH(3, 4, 0.25, n_tables=2, random_state=1)
    base = rng.uniform(-1, 1, size=(300, 3))
    a, b, w = lsh.directions[0], lsh.offsets[0], lsh.width
    # move each point onto a boundary of hash 0, then nudge by +-1e-13 along a
    n = np.round((base @ a + b) / w)
    on = base + ((n * w - b - base @ a) / (a @ a))[:, None] * a
    X = np.vstack([on + 1e-13 * a / np.linalg.norm(a), on - 1e-13 * a / np.linalg.norm(a), on])
    keys = lsh.keys(X)
    index = BucketIndex(2, 4, None)
    slots = index.insert(keys)
    for table in range(2):
        _, inverse = np.unique(keys[:, table], axis=0, return_inverse=True)
        same_key = inverse[:, None] == inverse[None, :]
        same_slot = slots[:, table][:, None] == slots[:, table][None, :]
        assert np.array_equal(same_key, same_slot)
    upper, lower = keys[:300, 0, 0], keys[300:600, 0, 0]
    assert (upper - lower == 1).mean() > 0.95  # the nudges straddle the boundary


@pytest.mark.parametrize(
    "make",
    [
        lambda: HyperplaneLSH(3, 7, 2, random_state=0),
        lambda: EuclideanLSH(3, 5, 0.3, n_tables=2, random_state=0),
        lambda: CrossPolytopeLSH(3, 2, n_tables=2, random_state=0),
        lambda: CrossPolytopeLSH(3, 30, n_tables=1, random_state=0),  # unpacked keys
    ],
)
def test_every_point_satisfies_its_cells_halfspaces(make):
    lsh = make()
    X = np.random.default_rng(1).uniform(-1, 1, (100, 3))
    keys = lsh.keys(X)
    for row in range(0, 100, 7):
        for table in range(lsh.n_tables):
            G, h = lsh.halfspaces(table, keys[row, table])
            assert (G @ X[row] <= h + 1e-9).all()
    same = family_from_state(lsh.get_state())
    assert np.array_equal(same.keys(X), keys)


def test_cross_polytope_keys_equal_brute_force_argmax():
    lsh = CrossPolytopeLSH(4, 3, n_tables=2, random_state=3)
    X = np.random.default_rng(2).normal(size=(60, 4))
    keys = lsh.keys(X)[:, :, 0]
    for row, x in enumerate(X):
        for table in range(2):
            key = 0
            for j in range(3):
                y = lsh.rotations[table * 3 + j] @ x
                i = int(np.argmax(np.abs(y)))
                key += (i + 4 * (y[i] < 0)) * 8**j
            assert keys[row, table] == key


def test_probes_flip_the_least_confident_hash_first():
    hp = HyperplaneLSH(3, 6, 1, random_state=0)
    X = np.random.default_rng(0).uniform(-1, 1, (20, 3))
    probes = hp.probes(X, 3)[:, 0, :, 0]
    P = hp.projections(X)[:, 0, :]
    key = hp.keys(X)[:, 0, 0]
    assert np.array_equal(probes[:, 0] ^ key, 1 << np.argmin(np.abs(P), axis=1))
    eu = EuclideanLSH(3, 4, 0.5, random_state=0)
    p = eu.probes(X, 5)
    diff = p - eu.keys(X)[:, :, None, :]
    assert (np.abs(diff).sum(axis=-1) == 1).all()  # one neighbouring slab each


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda: HyperplaneLSH(3, 65), "n_hashes"),
        (lambda: HyperplaneLSH(3, 4, 0), "n_tables"),
        (lambda: HyperplaneLSH(3, 4, offset=-1.0), "offset"),
        (lambda: EuclideanLSH(3, 4, 0.0), "width"),
        (lambda: EuclideanLSH(3, 4, -1.0), "width"),
        (lambda: EuclideanLSH(3, 4, float("nan")), "width"),
        (lambda: HyperplaneLSH(2, 3).keys(np.zeros((2, 3))), "X"),
        (lambda: HyperplaneLSH(2, 3).halfspaces(1, [0]), "table"),
        (lambda: EuclideanLSH(2, 3, 1.0).halfspaces(0, [0]), "key"),
        (lambda: EuclideanLSH(2, 3, 1e-300).keys(np.ones((1, 2))), "width"),
        (lambda: EuclideanLSH(2, 3, 1e-8, hash_dtype="float32").keys(np.ones((1, 2))), "width"),
        (lambda: HyperplaneLSH(2, 3, hash_dtype="int8"), "hash_dtype"),
    ],
)
def test_bad_parameters_name_the_parameter(call, param):
    with pytest.raises(ValueError, match=param):
        call()


def test_the_former_name_of_hash_dtype_still_works_with_a_warning():
    with pytest.warns(DeprecationWarning, match="`dtype` is now called `hash_dtype`"):
        old = HyperplaneLSH(3, 4, 2, random_state=0, dtype="float32")
    new = HyperplaneLSH(3, 4, 2, random_state=0, hash_dtype="float32")
    X = np.random.default_rng(1).uniform(-1, 1, (50, 3))
    assert old.hash_dtype == "float32"
    np.testing.assert_array_equal(old.keys(X), new.keys(X))
