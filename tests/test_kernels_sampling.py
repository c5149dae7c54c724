"""Floyd's sampling for the uniform hash.

The compiled kernels equal their plain numpy definitions, on the inputs that break them.
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dsn_model._kernels import floyd_samples


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
