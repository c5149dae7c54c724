"""The exact bucket index: mixed-radix codes, the stores, widening, rows."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import dsn_model.lsh.buckets.stores as stores
from dsn_model.lsh.buckets import (
    ARRAY_LIMIT,
    ArrayStore,
    BucketIndex,
    DirectStore,
    HashStore,
    MixedRadix,
    RowStore,
)
from dsn_model.lsh.buckets.index import FullRows

codes_lists = st.lists(
    st.one_of(st.integers(0, 50), st.integers(0, 2**62 - 1)), min_size=1, max_size=300
)


def first_appearance(values):
    """Oracle: slot of each value, numbered in order of first appearance."""
    numbering: dict = {}
    return [numbering.setdefault(v, len(numbering)) for v in values], numbering


@given(codes_lists, st.integers(1, 5))
def test_hashed_code_store_is_an_exact_map(values, n_batches):
    store = HashStore()
    codes = np.array(values, dtype=np.int64)
    slots = np.concatenate([store.insert(batch) for batch in np.array_split(codes, n_batches)])
    expected, numbering = first_appearance(values)
    assert slots.tolist() == expected
    assert store.n_slots == len(numbering)
    assert np.array_equal(store.lookup(codes), slots)
    absent = np.array([v for v in range(51, 80) if v not in numbering] + [-1])
    assert (store.lookup(absent) == -1).all()
    again = HashStore.from_codes(store.codes)
    assert np.array_equal(again.lookup(codes), slots)


@given(st.lists(st.integers(0, 999), min_size=1, max_size=300), st.integers(1, 4))
def test_direct_code_store_equals_the_hashed_one(values, n_batches):
    direct, hashed = ArrayStore(1000), HashStore()
    for batch in np.array_split(np.array(values), n_batches):
        assert np.array_equal(direct.insert(batch), hashed.insert(batch))
    probe = np.arange(-1, 1000)
    assert np.array_equal(direct.lookup(probe), hashed.lookup(probe))
    assert np.array_equal(
        ArrayStore.from_codes(direct.codes, 1000).lookup(probe), hashed.lookup(probe)
    )


def test_code_store_keeps_thousands_of_codes_apart_at_load_at_most_half():
    """An arithmetic progression of codes (structured, like mixed-radix codes) stays exact."""
    store = HashStore()
    codes = (np.arange(5000, dtype=np.int64) * 7919) % (2**61)
    assert np.array_equal(store.insert(codes), np.arange(5000))
    assert np.array_equal(store.insert(codes[::-1]), np.arange(5000)[::-1])
    assert len(store.table) >= 2 * 5000  # load factor <= 1/2


@st.composite
def radix_and_keys(draw):
    s, D = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    lo = draw(arrays(np.int64, (s, D), elements=st.integers(-5, 5)))
    span = draw(arrays(np.int64, (s, D), elements=st.integers(0, 4)))
    keys = draw(arrays(np.int64, (draw(st.integers(1, 60)), s, D), elements=st.integers(-8, 12)))
    return lo, lo + span, keys


@given(radix_and_keys())
def test_mixed_radix_is_injective_in_range_and_rejects_the_rest(case):
    lo, hi, keys = case
    radix = MixedRadix(lo, hi)
    codes = radix.pack(keys)
    for dtype in (np.float64, np.float32):  # float paths == int path
        assert np.array_equal(radix.pack(keys.astype(dtype)), codes)
    inside = ((keys >= lo) & (keys <= hi)).all(axis=2)
    assert ((codes >= 0) == inside).all()
    assert (codes[inside] < radix.universe).all()
    tables = np.broadcast_to(np.arange(lo.shape[0]), inside.shape)[inside]
    keys_in = keys[inside]
    pairs = {(int(t), tuple(k)) for t, k in zip(tables, keys_in.tolist(), strict=True)}
    assert len(set(codes[inside].tolist())) == len(pairs)  # distinct pairs, distinct codes
    back_tables, back_keys = radix.unpack(codes[inside])
    assert np.array_equal(back_tables, tables) and np.array_equal(back_keys, keys_in)
    assert np.array_equal(radix.encode(tables, keys_in), codes[inside])


def test_float_packing_stays_exact_beyond_2_to_the_53():
    """Sixteen coordinates of 16 values each: 2^64 codes per table are too many, 12 are
    not; the float path splits the coordinates into runs whose sums float64 holds."""
    D = 14
    lo, hi = np.full((1, D), -8), np.full((1, D), 7)  # 16^14 = 2^56 codes
    radix = MixedRadix(lo, hi)
    runs64 = radix._float_plan(np.float64)[0].shape[2]  # (tables, width, runs)
    runs32 = radix._float_plan(np.float32)[0].shape[2]
    assert radix.fits and radix.float_exact and 2 <= runs64 < runs32
    rng = np.random.default_rng(0)
    keys = rng.integers(-8, 8, size=(2000, 1, D))
    keys[0, 0] = 7  # the largest code
    oracle = [sum((int(k) + 8) * 16**j for j, k in enumerate(row)) for row in keys[:, 0].tolist()]
    assert radix.pack(keys.astype(np.float64))[:, 0].tolist() == oracle
    assert radix.pack(keys.astype(np.float32))[:, 0].tolist() == oracle
    assert radix.pack(keys)[:, 0].tolist() == oracle


def test_index_widens_its_ranges_without_renumbering():
    index = BucketIndex(2, 3, universe=None)
    rng = np.random.default_rng(1)
    small = rng.integers(-2, 3, size=(200, 2, 3))
    wide = rng.integers(-40, 41, size=(200, 2, 3))
    first = index.insert(small)
    radix = index.coding
    second = index.insert(wide)
    assert index.coding is not radix and isinstance(index.coding, MixedRadix)  # widened, packed
    assert np.array_equal(index.lookup(small), first)
    assert np.array_equal(index.lookup(wide), second)
    keys = np.concatenate([small, wide])
    pairs = [(table, tuple(row[table])) for row in keys.tolist() for table in range(2)]
    expected, _ = first_appearance(pairs)  # row by row, table by table
    assert np.concatenate([first, second]).ravel().tolist() == expected
    assert (index.lookup(np.full((1, 2, 3), 10**6)) == -1).all()


def test_index_moves_to_rows_when_keys_outgrow_62_bits_and_keeps_slots():
    index = BucketIndex(1, 3, universe=None)
    near = np.array([[[0, 1, 2]], [[1, 1, 1]], [[0, 1, 2]]])
    slots = index.insert(near)
    assert isinstance(index.coding, MixedRadix) and slots[:, 0].tolist() == [0, 1, 0]
    far = np.array([[[2**60, -(2**60), 5]], [[0, 1, 2]]])
    assert index.insert(far)[:, 0].tolist() == [2, 0]
    assert isinstance(index.store, RowStore)
    assert index.lookup(near)[:, 0].tolist() == [0, 1, 0]
    assert np.array_equal(index.slot_keys(), [[0, 1, 2], [1, 1, 1], [2**60, -(2**60), 5]])
    again = BucketIndex.from_arrays(1, 3, None, index.to_arrays())
    assert np.array_equal(again.lookup(far), index.lookup(far))


@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(-3, 3), st.integers(-3, 3)),
        min_size=1,
        max_size=200,
    ),
    st.booleans(),
)
def test_row_store_is_an_exact_map_even_when_fingerprints_collide(items, weak):
    # keys 2^58 apart: no 62-bit packing exists, so the index keeps full rows
    keys = np.array(items).reshape(-1, 1, 3) * 2**58
    original = stores.fingerprint
    if weak:  # every key gets the same fingerprint: exactness must come from the stored keys
        stores.fingerprint = lambda rows: np.zeros(len(rows), dtype=np.int64)
    try:
        index = BucketIndex(1, 3, None)
        half = len(keys) // 2
        slots = np.concatenate([index.insert(keys[:half]), index.insert(keys[half:])])
        expected, numbering = first_appearance(map(tuple, keys[:, 0].tolist()))
        assert slots[:, 0].tolist() == expected
        assert index.n_slots == len(numbering)
        assert np.array_equal(index.lookup(keys), slots)
        assert (index.lookup(keys + 100) == -1).all()
        again = BucketIndex.from_arrays(1, 3, None, index.to_arrays())
        assert np.array_equal(again.lookup(keys), slots)
    finally:
        stores.fingerprint = original


@pytest.mark.parametrize(
    ("n_tables", "universe", "store"),
    [
        (3, 16, DirectStore),
        (4, 2**22, ArrayStore),  # past the direct-slot limit: codes in an int32 array
        (2, 2**40, HashStore),  # codes in the hashed store
        (2, 2**62, RowStore),
    ],
)
def test_each_store_round_trips_through_its_arrays(n_tables, universe, store):
    index = BucketIndex(n_tables, 1, universe)
    assert type(index.store) is store
    rng = np.random.default_rng(2)
    keys = rng.integers(0, min(universe, 2**62), size=(300, n_tables, 1))
    slots = index.insert(keys)
    assert isinstance(index.coding, FullRows) or index.coding.universe <= 2**62
    assert np.array_equal(index.lookup(keys), slots)
    again = BucketIndex.from_arrays(n_tables, 1, universe, index.to_arrays())
    assert np.array_equal(again.lookup(keys), slots)
    assert np.array_equal(again.slot_tables(), index.slot_tables())
    assert np.array_equal(again.slot_keys(), index.slot_keys())
    table_of = np.broadcast_to(np.arange(n_tables), slots.shape)
    assert np.array_equal(index.slot_tables()[slots], table_of)
    assert np.array_equal(index.slot_keys()[slots][..., 0], keys[..., 0])


def test_direct_index_for_small_tables():
    index = BucketIndex(3, 1, universe=16)
    assert isinstance(index.store, DirectStore) and index.n_slots == 48
    keys = np.array([[[5], [0], [15]]])
    assert index.insert(keys).tolist() == [[5, 16, 47]]


@given(
    st.integers(1, 4),
    st.sampled_from([3, 256, 1000, 1 << 22]),  # the last is not directly addressed
    st.sampled_from([np.uint8, np.uint16, np.int64, np.float64]),
    st.integers(0, 2**32 - 1),
)
def test_slots_by_table_are_the_slots(n_tables, universe, dtype, seed):
    """``local + offsets`` equals :meth:`insert_batch`'s slots for every kind of index; a
    direct index returns the keys in their own width."""
    rng = np.random.default_rng(seed)
    top = universe if dtype in (np.int64, np.float64) else min(universe, np.iinfo(dtype).max + 1)
    keys = rng.integers(0, top, (40, n_tables, 1)).astype(dtype)
    reference, split = BucketIndex(n_tables, 1, universe), BucketIndex(n_tables, 1, universe)
    expected = reference.insert_batch(lambda K: K, keys, 7)
    local, offsets = split.insert_batch_by_table(lambda K: K, keys, 7)
    assert np.array_equal(local + offsets, expected)
    assert split.n_slots == reference.n_slots
    mask = rng.random(split.n_slots) < 0.5
    expected_counts = np.bincount(split.slot_tables()[mask], minlength=n_tables)
    assert np.array_equal(split.count_by_table(mask), expected_counts)
    if isinstance(split.store, DirectStore):
        assert local.dtype == (np.int64 if dtype == np.float64 else dtype)
    else:
        assert not offsets.any()


def test_slots_by_table_refuse_keys_outside_the_universe():
    index = BucketIndex(2, 1, universe=4)
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        index.insert_batch_by_table(lambda K: K, np.array([[[1], [4]]]), 1)


def test_array_limit_bounds_the_array_store():
    assert isinstance(stores.store_for(ARRAY_LIMIT), ArrayStore)
    assert isinstance(stores.store_for(ARRAY_LIMIT + 1), HashStore)
    with pytest.raises(ValueError, match="universe"):
        ArrayStore(ARRAY_LIMIT + 1)


def test_keys_beyond_62_bits_are_a_value_error_naming_width():
    index = BucketIndex(1, 2, None)
    with pytest.raises(ValueError, match="width"):
        index.insert(np.array([[[2.0**62, 0.0]]]))


def test_compact_shrinks_the_hashed_table_and_keeps_every_slot():
    store = HashStore()
    codes = np.repeat(np.arange(100, dtype=np.int64) * 2**40, 100)  # 10000 codes, 100 distinct
    slots = store.insert(codes)
    assert len(store.table) >= 2 * len(codes)  # reserved for the whole batch
    store.compact()
    assert len(store.table) == 512  # the smallest power of two at load <= 1/4
    assert np.array_equal(store.lookup(codes), slots)


@given(arrays(np.int64, st.integers(1, 300), elements=st.integers(0, 40)), st.integers(0, 2))
def test_new_codes_are_numbered_in_order_of_first_appearance(codes, batches):
    oracle: dict = {}
    for store in (ArrayStore(64), HashStore()):  # an array and a hashed table
        oracle.clear()
        for part in np.array_split(codes, batches + 1):
            slots = store.insert(part)
            for code, slot in zip(part.tolist(), slots.tolist(), strict=True):
                assert oracle.setdefault(code, len(oracle)) == slot
        assert store.codes.tolist() == list(oracle)
