"""Routers over experts, blocks of units chosen by a gate: Switch (each input picks its
experts), expert choice (each expert picks its inputs) and the Scaling Transformer's
blocks (one unit per block).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..._validation import as_rng, check_batch, check_positive_int
from ..exact_top_k import (
    rounding_band,
    screened_top_k,
    top_k_indices,
)
from ..routing_result import Routing
from .base import Router, _check_matrix, _renamed


def expert_units(experts: np.ndarray, size: int) -> np.ndarray:
    """The units of each row's experts: ``(n, k)`` expert ids (``-1`` where dropped) to
    ``(n, k * size)`` units, expert ``e`` being units ``e * size + [0, size)``.

    Examples
    --------
    >>> expert_units(np.array([[2, -1]]), 2).tolist()
    [[4, 5, -1, -1]]
    """
    units = experts[:, :, None] * size + np.arange(size)
    return np.where(experts[:, :, None] >= 0, units, -1).reshape(len(experts), -1)


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
        experts, weights = self._route_experts(X)
        units = expert_units(experts, self.expert_size)
        return Routing(units, np.repeat(weights, self.expert_size, axis=1), self.n_units)

    def _route_experts(self, X):
        """Each row's experts ``(n, top_k)`` (``-1`` where dropped) and their weights (the
        gate probabilities if ``weighted``, else 1; 0 where dropped): the routing by
        expert, before it is written unit by unit."""
        experts, probs = self._experts_and_probabilities(X)
        kept = self._within_capacity(experts, probs)
        weights = probs if self.weighted else np.ones(experts.shape)
        return np.where(kept, experts, -1), np.where(kept, weights, 0.0)

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

    The ``t`` units form ``s`` consecutive blocks of ``t / s``. A
    controller scores every unit, ``(x @ down.T) @ up.T`` (low rank ``r``) or
    ``x @ down.T`` (full), and each block keeps its best-scoring unit (ties to
    the lower index). The mask is block one-hot (docs/theory.md).

    Parameters
    ----------
    sparsity : int
        ``s``, the number of blocks; must divide the number of units.
    down : array_like, shape (r, d) or (t, d)
        First controller matrix.
    up : array_like of shape (t, r), optional
        Second controller matrix; omit for a full-rank controller.
    n_blocks : int, optional
        The former name of ``sparsity`` (deprecated: a ``DeprecationWarning``).

    Examples
    --------
    >>> import numpy as np
    >>> router = BlockRouter(2, down=np.array([[1.0], [-1.0], [2.0], [0.5]]))
    >>> router.route([[1.0]]).units.tolist()
    [[0, 2]]
    """

    def __init__(
        self,
        sparsity: int | None = None,
        down: ArrayLike | None = None,
        up: ArrayLike | None = None,
        *,
        n_blocks: int | None = None,
    ):
        sparsity = _renamed(sparsity, n_blocks, "n_blocks")
        if down is None:
            raise ValueError("`down` (the controller matrix) is required.")
        self.down = _check_matrix(down, "down")
        self.input_dim = self.down.shape[1]
        if up is None:
            self.up = None
            self.n_units = self.down.shape[0]
        else:
            self.up = _check_matrix(up, "up", cols=self.down.shape[0])
            self.n_units = self.up.shape[0]
        self.sparsity = check_positive_int(sparsity, "sparsity")
        if self.n_units % self.sparsity:
            raise ValueError(
                f"`sparsity` (the number of blocks) must divide the number of units "
                f"({self.n_units}). Got {sparsity}."
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
        units = expert_units(experts, self.expert_size)
        return Routing(units, np.ones(units.shape), self.n_units)

    def routing_stages(self):
        return [self.gate]
