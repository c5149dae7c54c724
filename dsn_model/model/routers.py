"""Routers: the data-dependent ``mask(x)`` of a sparse layer (docs/theory.md).

Every router maps a batch ``X (n, d)`` (or, for :class:`TopKRouter`, the
features ``phi(X)``) to a :class:`~dsn_model.model.routing_result.Routing` with at most
``sparsity`` distinct active units out of ``n_units`` per row.

=====================  ====================================  ===================
router                 rule                                  routing cost / row
=====================  ====================================  ===================
``TopKRouter``         the k largest features (DSM layer)    all t features
``SwitchRouter``       argmax of a gate over L experts,       2 d L FLOPs
                       one block of s units per expert
``BlockRouter``        Scaling Transformer: s blocks of       2 (d r + r t)
                       t/s units, one unit per block          FLOPs (rank r)
``UniformHashRouter``  a seeded uniform hash of the bits      0 FLOPs,
                       of x picks s distinct units            O(d + s^2) int ops
``KNNRouter``          the k nearest of n unit vectors        2 d n FLOPs
                       (largest inner products)
``LSHRouter``          the bucket of x in each of s hash      2 s m d FLOPs
                       tables (the LSH model)                 (hyperplane)
=====================  ====================================  ===================

A new router is one small class: subclass :class:`Router`, set ``n_units``,
``sparsity`` and ``input_dim`` in ``__init__``, implement ``_route`` and, if it
computes linear scores of the input, ``routing_stages``. A router that keeps the
largest of linear scores selects them with
:func:`~dsn_model.model.exact_top_k.screened_top_k`, so that its routing does not
depend on the batch (a BLAS product's rounding does).
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod

import numpy as np
from numpy.typing import ArrayLike

from .._kernels import take_rows, top_k_rows
from .._validation import as_rng, check_batch, check_positive_int
from .exact_top_k import (
    _compiled_selection_wins,
    rounding_band,
    screened_top_k,
    top_k_indices,
)
from .routing_result import Routing
from .uniform_hash import hash_rows, sample_distinct

__all__ = [
    "ROUTERS",
    "BlockRouter",
    "ExpertChoiceRouter",
    "KNNRouter",
    "LSHRouter",
    "Router",
    "SwitchRouter",
    "TopKRouter",
    "UniformHashRouter",
    "top_k_indices",
]


def _renamed(value, old, old_name: str, new_name: str = "sparsity"):
    """``value``, or the deprecated keyword ``old`` (with a warning), but not both."""
    if old is None:
        if value is None:
            raise ValueError(f"`{new_name}` is required.")
        return value
    if value is not None:
        raise ValueError(f"give `{new_name}` only (`{old_name}` is its former name).")
    warnings.warn(
        f"`{old_name}` is now called `{new_name}`; `{old_name}` will be removed.",
        DeprecationWarning,
        stacklevel=3,
    )
    return old


def _check_matrix(M: ArrayLike, name: str, *, cols: int | None = None) -> np.ndarray:
    M = check_batch(M, cols, name=name)
    return M


class Router(ABC):
    """Base class of routers.

    Attributes
    ----------
    n_units : int
        ``t``, the width of the sparse layer routed over.
    sparsity : int
        ``s``, the most active units per input.
    input_dim : int or None
        ``d`` for routers that read the input; ``None`` for routers that read
        the features (``uses_features = True``).
    """

    n_units: int
    sparsity: int
    input_dim: int | None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(input_dim={self.input_dim}, n_units={self.n_units}, "
            f"sparsity={self.sparsity})"
        )

    uses_features: bool = False
    #: Whether :meth:`~dsn_model.model.dsm.DSM.random` pairs the router with constant features
    #: (the router is the model: k-NN, LSH) rather than random ones.
    constant_features: bool = False

    @property
    def n_unit_ids(self) -> int:
        """Range of the unit ids the router emits: ``t`` unless units are implicit."""
        return getattr(self, "_n_unit_ids", self.n_units)

    def route(self, X: ArrayLike, features: np.ndarray | None = None) -> Routing:
        """Route a batch.

        Parameters
        ----------
        X : array_like, shape (n, d)
            The inputs.
        features : ndarray, shape (n, t), optional
            ``phi(X)``; required by routers with ``uses_features = True``.

        Returns
        -------
        Routing
        """
        X = check_batch(X, self.input_dim)
        if self.uses_features:
            if features is None:
                raise ValueError(
                    f"{type(self).__name__} routes on the features phi(X): pass "
                    "`features` of shape (n, t)."
                )
            features = check_batch(features, self.n_units, name="features")
            if features.shape[0] != X.shape[0]:
                raise ValueError("`features` and `X` must have the same rows.")
        return self._route(X, features)

    @abstractmethod
    def _route(self, X: np.ndarray, features: np.ndarray | None) -> Routing:
        """The routing of a validated batch."""

    def _route_with_values(self, X: np.ndarray, features: np.ndarray) -> tuple[Routing, np.ndarray]:
        """The routing of a validated batch and ``features`` at its units (0 in empty slots),
        for routers that read the features."""
        routing = self._route(X, features)
        values = take_rows(features, np.maximum(routing.units, 0))
        return routing, np.where(routing.active, values, 0.0)

    def routing_stages(self) -> list[np.ndarray]:
        """The linear maps the router applies to decide, in order.

        Stage 0 reads the input ``x``; stage ``j`` reads the output of stage
        ``j - 1``. Each matrix row is one routing node of the DAG; its entries
        are that node's in-edges. Routers that compute no linear scores return
        ``[]``.
        """
        return []

    def routing_edges(self) -> int:
        """Multiply-adds per input spent on routing stages (2 FLOPs each)."""
        return int(sum(M.size for M in self.routing_stages()))


class TopKRouter(Router):
    """Keep the ``k`` largest features: the paper's DSM layer (Section 5).

    Routes on the features ``phi(x)``, so all ``t`` of them must be computed:
    sparsity in the top layer without a compute saving below it. Given features
    alone it takes them as exact; inside a :class:`~dsn_model.model.dsm.SparseLayer`
    on :class:`~dsn_model.model.features.RandomFeatures` the selection is that of
    the features summed in a fixed order, whatever the batch
    (:mod:`~dsn_model.model.exact_top_k`).

    Parameters
    ----------
    n_units : int
        ``t``, the number of features.
    k : int
        Active units per input, ``1 <= k <= t``.

    Examples
    --------
    >>> import numpy as np
    >>> r = TopKRouter(4, 2).route(np.zeros((1, 3)), features=np.array([[3., 1, 4, 1]]))
    >>> r.units.tolist()
    [[0, 2]]
    """

    uses_features = True

    @classmethod
    def random(cls, input_dim: int, n_units: int, sparsity: int, *, random_state=None):
        """The Top-K router of ``t`` features (nothing is drawn; the signature is shared)."""
        return cls(n_units, sparsity)

    def __init__(self, n_units: int, k: int):
        self.n_units = check_positive_int(n_units, "n_units")
        self.sparsity = check_positive_int(k, "k")
        if self.sparsity > self.n_units:
            raise ValueError(f"`k` must be <= n_units={self.n_units}. Got {k}.")
        self.input_dim = None

    def _route(self, X, features):
        units = top_k_indices(features, self.sparsity)
        return Routing(units, np.ones(units.shape), self.n_units)

    def _route_with_values(self, X, features):
        if _compiled_selection_wins(self.n_units, self.sparsity):  # values come with indices
            units, values = top_k_rows(features, self.sparsity, return_values=True)
            return Routing(units, np.ones(units.shape), self.n_units), values
        return super()._route_with_values(X, features)


class KNNRouter(Router):
    """The ``k`` centres with the largest inner product ``<b_i, x>``.

    With unit-norm centres ``b_i`` these are the ``k`` nearest neighbours of
    ``x`` for **every** x, since ``||x - b_i||^2 = ||x||^2 + 1 - 2 <x, b_i>``
    (docs/theory.md). Ties go to the lower index. Routing costs
    ``2 d n`` FLOPs: sparsity without a compute saving.

    Parameters
    ----------
    centers : array_like, shape (n_centers, d)
        The points ``b_i``; one unit each.
    k : int
        Neighbours per input.

    Examples
    --------
    >>> import numpy as np
    >>> router = KNNRouter([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], k=2)
    >>> router.route([[0.9, 0.2]]).units.tolist()
    [[0, 1]]
    """

    constant_features = True

    def __init__(self, centers: ArrayLike, k: int):
        self.centers = _check_matrix(centers, "centers")
        self.n_units, self.input_dim = self.centers.shape
        self.sparsity = check_positive_int(k, "k")
        if self.sparsity > self.n_units:
            raise ValueError(f"`k` must be <= the number of centers ({self.n_units}). Got {k}.")

    @classmethod
    def random(
        cls,
        input_dim: int,
        n_units: int,
        sparsity: int | None = None,
        *,
        random_state=None,
        k: int | None = None,
    ):
        """``n_units`` random unit vectors as centres, ``sparsity`` nearest of them active.

        ``k`` is the former name of ``sparsity`` (deprecated; kept one release).
        """
        sparsity = _renamed(sparsity, k, "k")
        rng = as_rng(random_state)
        B = rng.standard_normal(
            (check_positive_int(n_units, "n_units"), check_positive_int(input_dim, "input_dim"))
        )
        return cls(B / np.linalg.norm(B, axis=1, keepdims=True), sparsity)

    def _route(self, X, features):
        units = screened_top_k(X, [self.centers], self.sparsity)
        return Routing(units, np.ones(units.shape), self.n_units)

    def routing_stages(self):
        return [self.centers]


class SwitchRouter(Router):
    """Switch Transformer routing: a gate picks experts, each a block of units.

    ``L`` experts of ``expert_size`` units each, ``t = L * expert_size``; the
    gate logits are ``W x`` with ``W (L, d)``. The ``top_k`` experts with the
    largest logits are active (Switch: ``top_k = 1``), so ``s = top_k *
    expert_size`` and the mask is non-zero exactly on the chosen blocks
    (docs/theory.md). The gate costs ``2 d L`` FLOPs per input:
    routing cost grows linearly in the number of experts.

    Parameters
    ----------
    gate : array_like, shape (L, d)
        Gate weights.
    expert_size : int
        Units per expert.
    top_k : int, default=1
        Experts per input.
    weighted : bool, default=False
        If True, a unit's weight is its expert's softmax gate probability
        (over all L experts), as in the Switch Transformer; if False the mask
        is the paper's 0/1 mask.
    capacity_factor : float, optional
        If given, each expert accepts at most ``ceil(capacity_factor * n *
        top_k / L)`` inputs of a batch of n; the rest are dropped (their
        units are empty, so they contribute exactly 0 and ``nnz = 0 <= s``).
        ``None`` (default) is dropless. Routing then depends on the batch.
    drop_policy : {"position", "probability"}, default="position"
        Which assignments an over-full expert keeps: the earliest in the
        batch, or those with the highest gate probability.

    Examples
    --------
    >>> import numpy as np
    >>> router = SwitchRouter([[1.0, 0.0], [0.0, 1.0]], expert_size=3)
    >>> router.route([[0.2, 0.7]]).units.tolist()
    [[3, 4, 5]]
    """

    def __init__(
        self,
        gate: ArrayLike,
        expert_size: int,
        top_k: int = 1,
        weighted: bool = False,
        capacity_factor: float | None = None,
        drop_policy: str = "position",
    ):
        if capacity_factor is not None and not (
            isinstance(capacity_factor, int | float) and capacity_factor > 0
        ):
            raise ValueError(f"`capacity_factor` must be > 0 or None. Got {capacity_factor!r}.")
        if drop_policy not in ("position", "probability"):
            raise ValueError(
                f"`drop_policy` must be 'position' or 'probability'. Got {drop_policy!r}."
            )
        self.capacity_factor = capacity_factor
        self.drop_policy = drop_policy
        self.gate = _check_matrix(gate, "gate")
        self.n_experts, self.input_dim = self.gate.shape
        self.expert_size = check_positive_int(expert_size, "expert_size")
        self.top_k = check_positive_int(top_k, "top_k")
        if self.top_k > self.n_experts:
            raise ValueError(
                f"`top_k` must be <= the number of experts ({self.n_experts}). Got {top_k}."
            )
        self.weighted = bool(weighted)
        self.n_units = self.n_experts * self.expert_size
        self.sparsity = self.top_k * self.expert_size

    @classmethod
    def random(
        cls, input_dim: int, n_units: int, sparsity: int, *, top_k: int = 1, random_state=None
    ):
        """``t / s'`` experts of ``s' = s / top_k`` units; a Gaussian gate, ``N(0, 1/d)`` entries.

        Raises
        ------
        ValueError
            Unless ``top_k`` divides ``sparsity`` and the expert size divides ``n_units``.
        """
        rng = as_rng(random_state)
        d = check_positive_int(input_dim, "input_dim")
        t, s = check_positive_int(n_units, "n_units"), check_positive_int(sparsity, "sparsity")
        top_k = check_positive_int(top_k, "top_k")
        size = s // top_k
        if size * top_k != s or t % size:
            raise ValueError(
                f"router='switch' needs top_k | sparsity and the expert size s / top_k to divide "
                f"n_units; got t={t}, s={s}, top_k={top_k}."
            )
        W = rng.standard_normal((t // size, d)) / np.sqrt(d)
        return cls(W, size, top_k=top_k)

    def expert_of(self, X: ArrayLike) -> np.ndarray:
        """The chosen experts ``(n, top_k)`` of each input."""
        X = check_batch(X, self.input_dim)
        return self._experts_and_probabilities(X)[0]

    def capacity(self, n: int) -> int | None:
        """Inputs each expert accepts in a batch of ``n``: ``ceil(factor n top_k / L)``."""
        if self.capacity_factor is None:
            return None
        return int(np.ceil(self.capacity_factor * n * self.top_k / self.n_experts))

    def _route(self, X, features):
        experts, probs = self._experts_and_probabilities(X)
        kept = self._within_capacity(experts, probs)
        offsets = np.arange(self.expert_size)
        blocks = np.where(kept[:, :, None], experts[:, :, None] * self.expert_size + offsets, -1)
        units = blocks.reshape(len(X), -1)
        weights = (
            np.repeat(probs, self.expert_size, axis=1) if self.weighted else np.ones(units.shape)
        )
        weights = np.where(units >= 0, weights, 0.0)
        return Routing(units, weights, self.n_units)

    def _experts_and_probabilities(self, X):
        """The chosen experts ``(n, top_k)`` and, where the weights or the drop policy use
        them, their softmax gate probabilities (else ``None``), from the logits of blocks
        of rows that stay in cache (about 8 MiB of logits each)."""
        n = len(X)
        needs_probs = self.weighted or (
            self.capacity_factor is not None and self.drop_policy != "position"
        )
        experts = np.empty((n, self.top_k), dtype=np.int64)
        probs = np.empty((n, self.top_k)) if needs_probs else None
        band = rounding_band(X, [self.gate])
        step = max(1, (1 << 20) // self.n_experts)
        for start in range(0, n, step):
            rows = slice(start, start + step)
            logits = X[rows] @ self.gate.T
            experts[rows] = screened_top_k(
                X[rows], [self.gate], self.top_k, scores=logits, band=band[rows]
            )
            if needs_probs:  # the softmax, only where used
                z = np.exp(logits - logits.max(axis=1, keepdims=True))
                z /= z.sum(axis=1, keepdims=True)
                probs[rows] = np.take_along_axis(z, experts[rows], axis=1)
        return experts, probs

    def _within_capacity(self, experts, probs):
        """Which (input, expert) assignments survive the capacity limit (all if dropless).

        Assignments to one expert are ranked by position in the batch or by
        gate probability (highest first); those ranked beyond the capacity
        are dropped: their units are empty and contribute exactly zero.
        """
        capacity = self.capacity(len(experts))
        if capacity is None:
            return np.ones(experts.shape, dtype=bool)
        flat = experts.ravel()
        priority = np.arange(flat.size) if self.drop_policy == "position" else -probs.ravel()
        order = np.lexsort((priority, flat))
        first = np.searchsorted(flat[order], flat[order], side="left")
        rank = np.empty(flat.size, dtype=np.int64)
        rank[order] = np.arange(flat.size) - first
        return (rank < capacity).reshape(experts.shape)

    def routing_stages(self):
        return [self.gate]


class BlockRouter(Router):
    """Scaling Transformer block sparsity: one active unit in each of s blocks.

    The ``t`` units form ``n_blocks = s`` consecutive blocks of ``t / s``. A
    controller scores every unit, ``(x @ down.T) @ up.T`` (low rank ``r``) or
    ``x @ down.T`` (full), and each block keeps its best-scoring unit (ties to
    the lower index). The mask is block one-hot (docs/theory.md).

    Parameters
    ----------
    n_blocks : int
        ``s``; must divide the number of units.
    down : array_like, shape (r, d) or (t, d)
        First controller matrix.
    up : array_like of shape (t, r), optional
        Second controller matrix; omit for a full-rank controller.

    Examples
    --------
    >>> import numpy as np
    >>> router = BlockRouter(2, down=np.array([[1.0], [-1.0], [2.0], [0.5]]))
    >>> router.route([[1.0]]).units.tolist()
    [[0, 2]]
    """

    def __init__(self, n_blocks: int, down: ArrayLike, up: ArrayLike | None = None):
        self.down = _check_matrix(down, "down")
        self.input_dim = self.down.shape[1]
        if up is None:
            self.up = None
            self.n_units = self.down.shape[0]
        else:
            self.up = _check_matrix(up, "up", cols=self.down.shape[0])
            self.n_units = self.up.shape[0]
        self.sparsity = check_positive_int(n_blocks, "n_blocks")
        if self.n_units % self.sparsity:
            raise ValueError(
                f"`n_blocks` must divide the number of units ({self.n_units}). Got {n_blocks}."
            )
        self.block_size = self.n_units // self.sparsity

    @classmethod
    def random(
        cls,
        input_dim: int,
        n_units: int,
        sparsity: int | None = None,
        *,
        rank: int | None = None,
        random_state=None,
        n_blocks: int | None = None,
    ):
        """``sparsity`` blocks, one unit active in each; a Gaussian controller of rank ``rank``
        (default ``ceil(sqrt(t))``). ``n_blocks`` is the former name of ``sparsity``
        (deprecated; kept one release)."""
        sparsity = _renamed(sparsity, n_blocks, "n_blocks")
        rng = as_rng(random_state)
        d = check_positive_int(input_dim, "input_dim")
        t = check_positive_int(n_units, "n_units")
        r = check_positive_int(rank, "rank") if rank is not None else int(np.ceil(np.sqrt(t)))
        down = rng.standard_normal((r, d)) / np.sqrt(d)
        up = rng.standard_normal((t, r)) / np.sqrt(r)
        return cls(sparsity, down, up)

    def _route(self, X, features):
        units = screened_top_k(X, self.routing_stages(), 1, groups=self.sparsity)
        return Routing(units, np.ones(units.shape), self.n_units)

    def routing_stages(self):
        return [self.down] if self.up is None else [self.down, self.up]


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
        from ..lsh.families import HyperplaneLSH

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


class ExpertChoiceRouter(Router):
    """Expert-choice routing (Zhou et al. 2022): each expert picks its top inputs of a batch.

    ``L`` experts of ``expert_size`` units; every expert takes the
    ``capacity`` inputs of the batch with the highest softmax gate score for
    it. An input may so be chosen by 0 to L experts: the sparsity contract
    becomes "at most ``s = L * expert_size`` units", with the number of
    active units varying per input. In the DSM view the mask is a function
    of the input *and the batch* -- ``mask(x; batch)`` -- so the model is a
    DSM for each fixed batch, not a function of x alone. Exactly ``capacity``
    inputs reach each expert (none beyond it).

    Parameters
    ----------
    gate : array_like, shape (L, d)
    expert_size : int
    capacity : int
        Inputs per expert per batch (clipped to the batch size).

    Examples
    --------
    >>> import numpy as np
    >>> router = ExpertChoiceRouter([[1.0], [-1.0]], expert_size=1, capacity=1)
    >>> router.route([[2.0], [0.5], [-3.0]]).units.tolist()
    [[0, -1], [-1, -1], [-1, 1]]
    """

    def __init__(self, gate: ArrayLike, expert_size: int, capacity: int):
        self.gate = _check_matrix(gate, "gate")
        self.n_experts, self.input_dim = self.gate.shape
        self.expert_size = check_positive_int(expert_size, "expert_size")
        self.expert_capacity = check_positive_int(capacity, "capacity")
        self.n_units = self.n_experts * self.expert_size
        self.sparsity = self.n_units

    def _route(self, X, features):
        logits = X @ self.gate.T
        z = np.exp(logits - logits.max(axis=1, keepdims=True))
        scores = z / z.sum(axis=1, keepdims=True)
        c = min(self.expert_capacity, len(X))
        chosen = np.zeros(scores.shape, dtype=bool)  # (n, L): expert picked the input
        picks = top_k_indices(scores.T, c)  # (L, c): each expert's inputs
        chosen[picks, np.arange(self.n_experts)[:, None]] = True
        experts = np.where(chosen, np.arange(self.n_experts), -1)
        offsets = np.arange(self.expert_size)
        blocks = np.where(
            experts[:, :, None] >= 0, experts[:, :, None] * self.expert_size + offsets, -1
        )
        units = blocks.reshape(len(X), -1)
        return Routing(units, np.ones(units.shape), self.n_units)

    def routing_stages(self):
        return [self.gate]


#: Every router by the name :meth:`~dsn_model.model.dsm.DSM.random`, the CLI, the audits and the
#: strategies use; each has ``random(input_dim, n_units, sparsity, *, random_state)``.
ROUTERS: dict[str, type[Router]] = {
    "topk": TopKRouter,
    "switch": SwitchRouter,
    "block": BlockRouter,
    "hash": UniformHashRouter,
    "knn": KNNRouter,
    "lsh": LSHRouter,
}
