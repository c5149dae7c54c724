"""Routers by hashing the input: a uniform hash of its bits (no locality) and LSH (one
bucket per table: the LSH model as a DSM).
"""

from __future__ import annotations

import numpy as np

from ..._validation import as_rng, check_positive_int
from ..routing_result import Routing
from ..uniform_hash import hash_rows, sample_distinct
from .base import Router, _renamed


class UniformHashRouter(Router):
    """A keyed uniform hash of the input's bits picks ``s`` distinct units.

    As in hash layers (Roller et al. 2021): the binary64 bit pattern of ``x``
    is hashed (SplitMix64, :func:`~dsn_model.model.uniform_hash.hash_rows`) and Floyd's
    algorithm draws ``s`` distinct units uniformly from that hash
    (:func:`~dsn_model.model.uniform_hash.sample_distinct`). Equal inputs always share
    their units; inputs that differ in any bit land on unrelated units --
    routing without locality, the paper's counter-example. Cost per input:
    ``O(d + s^2)`` integer operations, no FLOPs, independent of ``t``.

    Parameters
    ----------
    input_dim : int
        ``d``.
    n_units : int
        ``t``.
    sparsity : int
        ``s``, ``1 <= s <= t``.
    key : int, default=0
        Key of the hash (a fixed integer, not a random source: :meth:`random` draws
        one from ``random_state``); the same key gives the same routing bit for bit.
    seed : int, optional
        The former name of ``key`` (deprecated: a ``DeprecationWarning``).

    Examples
    --------
    >>> router = UniformHashRouter(2, n_units=1000, sparsity=3, key=1)
    >>> a = router.route([[0.5, 0.5], [0.5, 0.5]]).units
    >>> bool((a[0] == a[1]).all()), len(set(a[0].tolist()))
    (True, 3)
    """

    def __init__(
        self,
        input_dim: int,
        n_units: int,
        sparsity: int,
        key: int | None = None,
        *,
        seed: int | None = None,
    ):
        self.input_dim = check_positive_int(input_dim, "input_dim")
        self.n_units = check_positive_int(n_units, "n_units")
        self.sparsity = check_positive_int(sparsity, "sparsity")
        if self.sparsity > self.n_units:
            raise ValueError(f"`sparsity` must be <= n_units={self.n_units}. Got {sparsity}.")
        key = 0 if key is None and seed is None else _renamed(key, seed, "seed", "key")
        self.key = check_positive_int(key, "key", minimum=0)

    @classmethod
    def random(cls, input_dim: int, n_units: int, sparsity: int, *, random_state=None):
        """A router whose hash key is drawn from ``random_state``."""
        key = int(as_rng(random_state).integers(0, 2**63 - 1))
        return cls(input_dim, n_units, sparsity, key=key)

    def _route(self, X, features):
        units = sample_distinct(hash_rows(X, self.key), self.n_units, self.sparsity)
        return Routing(units, np.ones(units.shape), self.n_units)


class LSHRouter(Router):
    """The LSH model's routing: one active unit per hash table (docs/theory.md).

    With ``s`` tables of ``2^m`` buckets the LSH model is DSM(d, s, s 2^m): the
    ``s`` active units are the buckets ``x`` falls into, one per table.

    Without ``units_of``, unit ``i * universe + z`` is bucket ``z`` of table
    ``i`` (needs a bounded family with ``n_tables * universe < 2^63``). A fitted
    model passes ``units_of``, a function from a batch to ``(n, s)`` unit ids
    among ``n_unit_ids`` materialised units (its populated buckets and
    fallback units), while ``n_units`` still reports the exact ``t``.

    Parameters
    ----------
    family : LSHFamily
    units_of : callable, optional
    n_unit_ids : int, optional
        Required with ``units_of``.

    Examples
    --------
    >>> from dsn_model.lsh.families import HyperplaneLSH
    >>> router = LSHRouter(HyperplaneLSH(2, n_hashes=4, n_tables=3, random_state=0))
    >>> router.n_units, router.sparsity
    (48, 3)
    >>> units = router.route([[0.2, 0.1]]).units[0]
    >>> [int(u) // 16 for u in units]   # one unit in each table's block
    [0, 1, 2]
    """

    constant_features = True

    def __init__(self, family, units_of=None, n_unit_ids: int | None = None):
        self.family = family
        self.input_dim = family.input_dim
        self.sparsity = family.n_tables
        if units_of is None:
            if family.universe is None or family.key_width != 1:
                raise ValueError("`family` has unbounded keys: pass `units_of` and `n_unit_ids`.")
            self.n_units = family.n_tables * family.universe
            if self.n_units >= 2**63:
                raise ValueError(
                    f"n_tables * 2^m = {self.n_units} units do not fit int64 ids: pass "
                    "`units_of` (a fitted model's populated buckets)."
                )
        else:
            self._n_unit_ids = check_positive_int(n_unit_ids, "n_unit_ids")
            if family.universe is None:
                self.n_units = self._n_unit_ids
            else:
                self.n_units = family.n_tables * family.universe
        self._units_of = units_of

    @classmethod
    def random(cls, input_dim: int, n_units: int, sparsity: int, *, random_state=None):
        """Hyperplane LSH with ``sparsity`` tables of ``n_units / sparsity = 2^m`` buckets."""
        from ...lsh.families import HyperplaneLSH

        per_table = n_units // sparsity
        m = per_table.bit_length() - 1
        if per_table * sparsity != n_units or 2**m != per_table:
            raise ValueError(
                f"router='lsh' needs n_units / sparsity to be a power of 2; got t={n_units}, "
                f"s={sparsity}."
            )
        return cls(HyperplaneLSH(input_dim, m, sparsity, random_state=random_state))

    def _route(self, X, features):
        if self._units_of is not None:
            units = self._units_of(X)
        else:
            keys = self.family.keys(X)[:, :, 0]
            units = keys + np.arange(self.sparsity, dtype=np.int64) * self.family.universe
        return Routing(units, np.ones(units.shape), self.n_unit_ids)

    def routing_stages(self):
        return [self.family.projection_matrix()]
