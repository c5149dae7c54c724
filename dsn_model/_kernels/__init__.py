"""Compiled loops (numba) for the hot paths numpy cannot vectorise well, by domain.

One module per consumer: :mod:`.topk` (selection and gather), :mod:`.readout` (a Top-K
layer's selection with its read-out, or its masked rows, in one pass),
:mod:`.hash_read_out` (a uniform-hash layer's read-out), :mod:`.sampling` (the uniform
hash and Floyd's sampling), :mod:`.gram` (the sparse Gram matrix), :mod:`.hashing` (LSH
codes), :mod:`.buckets` (LSH bucket sums), :mod:`.design` (products with the LSH model's
one-hot design), :mod:`.units` (the features of selected units) and :mod:`.checks` (input
checks). Every name is re-exported here.

* :func:`top_k_rows` -- each row's ``k`` largest entries, ties to the lower
  index, at a threshold found by counting (or, for small ``k``, among the few
  entries above a cheap lower bound), optionally of ``relu(scores + offset)``
  computed in the loop; :func:`top_k_at` the same given each row's k-th largest
  value; :func:`top_k_read_out` the weighted sum of each row's top ``k``
  features in the same pass, no unit written out, :func:`top_k_masked_rows` those
  features in place with zeros elsewhere, and :func:`sparse_rows_read_out` the same
  sum of rows given by their active units (:mod:`.readout`);
* :func:`count_at_or_above` -- entries of each row at or above its floor (the
  near-tie screen of the exact top-k);
* :func:`take_rows` -- ``M[r, index[r, j]]``, row by row (numpy's
  ``take_along_axis`` takes 2.4x as long for 16 of 256 columns a row);
* :func:`floyd_samples` -- distinct indices per 64-bit hash (the uniform-hash router),
  and :func:`hash_float_rows` the hash of a row (a SplitMix64 chain over its bits);
  :func:`hash_read_out` a uniform-hash layer's units, features and read-out in one pass
  (:mod:`.hash_read_out`), summed as :func:`slot_read_out` sums given units;
* :func:`sparse_gram_upper` -- the upper triangle of ``sum_r f_r f_r^T`` for
  rows with ``s`` active units, tiled so the accumulator stays in cache,
  :func:`dense_rows` those rows written out with zeros, and :func:`add_upper_block`
  a Gram matrix over some columns added into the whole one;
* :func:`hyperplane_bits` -- the hyperplane LSH bits ``<a, x> + b >= 0`` from a
  fast (float32 or BLAS) product, with the few projections inside its rounding
  band recomputed in a fixed order, so that a bit never depends on the batch;
  :func:`slab_floors` and :func:`cross_polytope_codes` the same for the Euclidean
  family's floors and the cross-polytope family's signed argmax;
* :func:`unit_preactivations` -- the pre-activations of each row's selected units, in a
  fixed order, reading weight rows in place (no gather);
* :func:`abs_max` -- ``max |x|`` and finiteness of an input in one pass;
* :func:`add_bucket_sums` and :func:`add_affine_sums` -- the LSH model's
  per-bucket sums (counts and targets; affine normal equations), one pass over
  the rows, the products of a row formed once whatever its number of buckets.

Each is a Python function that checks its indices (compiled code does not
check bounds) around an ``@numba.njit`` loop compiled on first use, cached on
disk, and run on one core.
"""

from __future__ import annotations

from .buckets import add_affine_sums, add_bucket_sums
from .checks import abs_max
from .design import design_product, design_transpose_product
from .gram import GRAM_TILE, add_upper_block, dense_rows, sparse_gram_upper
from .hash_read_out import hash_read_out
from .hashing import (
    HyperplaneScreen,
    SlabScreen,
    cross_polytope_codes,
    hyperplane_bits,
    hyperplane_screen,
    slab_floors,
    slab_screen,
)
from .readout import slot_read_out, sparse_rows_read_out, top_k_masked_rows, top_k_read_out
from .sampling import floyd_samples, hash_float_rows
from .topk import count_at_or_above, take_rows, top_k_at, top_k_rows
from .units import unit_preactivations

__all__ = [
    "GRAM_TILE",
    "HyperplaneScreen",
    "SlabScreen",
    "abs_max",
    "add_affine_sums",
    "add_bucket_sums",
    "add_upper_block",
    "count_at_or_above",
    "cross_polytope_codes",
    "dense_rows",
    "design_product",
    "design_transpose_product",
    "floyd_samples",
    "hash_float_rows",
    "hash_read_out",
    "hyperplane_bits",
    "hyperplane_screen",
    "slab_floors",
    "slab_screen",
    "slot_read_out",
    "sparse_gram_upper",
    "sparse_rows_read_out",
    "take_rows",
    "top_k_at",
    "top_k_masked_rows",
    "top_k_read_out",
    "top_k_rows",
    "unit_preactivations",
]
