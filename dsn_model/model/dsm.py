"""The Data-Dependent Sparse Model DSM(d, s, t) and its compositions.

Section 2 of the paper (docs/theory.md). A DSM is ``g(x) = A (mask(x) o phi(x))`` with a fixed
top layer ``A in R^t``, a feature map ``phi: R^d -> R^t`` from a declared family
(:mod:`dsn_model.model.features`) and an ``s``-sparse ``mask(x)`` given by a router
(:mod:`dsn_model.model.routers`). A router may also weight its active units (the
Switch gate probability, say); then ``g(x) = sum_j w_j(x) A_j phi_j(x)`` over
the active units ``j``.

Several sparse layers compose (:class:`SparseNetwork`):
``g(x) = A (mask_L o phi_L( ... mask_1(x) o phi_1(x)))``, each router reading the
hidden state below it.

The forward pass computes only the active units' features whenever the router
does not need them all (everything but :class:`~dsn_model.model.routers.TopKRouter`).

FLOPs are counted two ways (:class:`FlopCount`): ``paper`` counts the active
sub-network only (feature edges of active units and their top-layer edges,
2 FLOPs per multiply-add); ``routing`` counts the extra work needed to decide
the mask (gate scores, or the inactive features Top-K must compute anyway);
``total = paper + routing``. :func:`dsn_model.model.graph.graph_flops` gives the same
numbers from the edges of the active sub-DAG.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._kernels import (
    dense_rows,
    hash_read_out,
    slot_read_out,
    sparse_rows_read_out,
    take_rows,
    top_k_masked_rows,
    top_k_read_out,
)
from .._kernels.sampling import _BITMAP_ITEMS
from .._validation import as_rng, check_batch, check_positive_int
from .exact_top_k import rounding_band, screened_top_k, selection_tolerance
from .features import ConstantFeatures, FeatureMap, RandomFeatures, grouped_pays
from .routers import ROUTERS, Router, TopKRouter, UniformHashRouter
from .routing_result import Routing
from .uniform_hash import chain_start

__all__ = ["DSM", "FlopCount", "SparseLayer", "SparseNetwork"]


@dataclass(frozen=True)
class FlopCount:
    """FLOPs of a forward pass, one entry per input (2 FLOPs per multiply-add).

    Attributes
    ----------
    paper : ndarray of int64, shape (n,)
        The active sub-network only: the paper's accounting (Table 1 counts
        ``2 (d + 1)`` per active unit of a biased random-feature layer).
    routing : ndarray of int64, shape (n,)
        Work spent deciding the mask beyond the active sub-network.
    """

    paper: np.ndarray
    routing: np.ndarray

    @property
    def total(self) -> np.ndarray:
        """``paper + routing``: the full cost of the forward pass."""
        return self.paper + self.routing


#: Features a feature-routed layer computes, routes and gathers at a time (in bytes), and
#: the fewest rows a block holds: blocks small enough to stay in cache and to be reused by
#: the allocator (a fresh array of megabytes is mapped page by page), large enough that the
#: per-block work in Python stays small. Measured on DSM forward, predict and fit at
#: t = 1024 and 4096 (s = 256): 512 KiB with 128 rows at least was the fastest of 16, 64
#: and 128 rows at least; 4 MiB blocks were up to 9% slower at t = 1024.
_BLOCK_BYTES, _BLOCK_ROWS = 1 << 19, 128


@dataclass(frozen=True)
class SparseLayer:
    """One sparse layer: a feature map and the router that masks it.

    The router reads the layer's input (or its features, for Top-K); its
    ``n_units`` must equal the feature map's.
    """

    features: FeatureMap
    router: Router

    def __post_init__(self):
        if not isinstance(self.features, FeatureMap):
            raise ValueError(
                f"`features` must be a FeatureMap. Got {type(self.features).__name__}."
            )
        if not isinstance(self.router, Router):
            raise ValueError(f"`router` must be a Router. Got {type(self.router).__name__}.")
        if self.router.n_unit_ids != self.features.n_units:
            raise ValueError(
                f"`router` routes over {self.router.n_unit_ids} units but `features` has "
                f"{self.features.n_units}."
            )
        if self.router.input_dim not in (None, self.features.input_dim):
            raise ValueError(
                f"`router` reads inputs of dimension {self.router.input_dim} but "
                f"`features` reads {self.features.input_dim}."
            )

    def forward(self, H: np.ndarray) -> tuple[Routing, np.ndarray]:
        """Route ``H`` and evaluate the active units: ``(routing, values)``.

        ``values[i, j]`` is ``w_ij * phi_{units[i, j]}(H_i)`` (0 in empty slots).
        """
        if self.router.uses_features:
            chain = self.features.score_chain() if isinstance(self.router, TopKRouter) else None
            if chain is not None:  # every weight is 1: the values are the features
                return self._exact_top_k(H, chain)
            units, weights, values = [], [], []
            for block, F in self._feature_blocks(H):
                routing, active_values = self.router._route_with_values(block, F)
                units.append(routing.units)
                weights.append(routing.weights)
                values.append(active_values)
            routing = Routing(np.concatenate(units), np.concatenate(weights), self.router.n_units)
            values = np.concatenate(values)
        else:
            routing = self.router._route(H, None)
            size = getattr(self.router, "expert_size", None)  # units in whole expert blocks
            if size is None:
                values = self.features._transform_units(H, routing.units)
            else:
                values = self.features._transform_blocks(H, routing.units, size)
        return routing, values * routing.weights

    def _exact_top_k(self, H, chain):
        """Top-K as the features summed in a fixed order select it
        (:func:`~.exact_top_k.screened_top_k` on each block's product of the features'
        one stage, bias and activation applied inside the selection), written into
        one array. Returns the routing and the (fast) features at its units, which is
        what :meth:`features_at` reads."""
        stages, bias, activation = chain
        k = self.router.sparsity
        band = rounding_band(H, stages, bias)
        units = np.empty((len(H), k), dtype=np.int64)
        values = np.empty((len(H), k))
        linear = len(stages) == 1
        start = 0
        for block, scores in self._feature_blocks(H, linear=linear):
            rows = slice(start, start + len(block))
            units[rows], values[rows] = screened_top_k(
                block,
                stages,
                k,
                scores=scores,
                band=band[rows],
                bias=bias,
                activation=activation,
                return_values=True,
                linear_scores=linear,
            )
            start += len(block)
        return Routing(units, np.ones(units.shape), self.router.n_units), values

    def _feature_blocks(self, H: np.ndarray, *, linear: bool = False):
        """``(H block, its features)`` in blocks of features that stay in cache (a
        feature-routed router reads each row alone); with ``linear``, the product of
        the features' one stage instead (``H @ B.T``, no bias or activation)."""
        step = max(_BLOCK_ROWS, _BLOCK_BYTES // (8 * self.features.n_units))
        for start in range(0, len(H), step):
            block = H[start : start + step]
            if linear:
                yield block, self.features._linear(block)
            else:
                yield block, self.features._transform(block)

    def _read_out_kind(self) -> str | None:
        """``"topk"`` or ``"hash"`` where :meth:`read_out` has a fused path, else ``None``:
        one-stage ``relu`` or ``identity`` features under a Top-K or uniform-hash router."""
        chain = self.features.score_chain()
        if chain is None or len(chain[0]) != 1 or chain[2] not in ("relu", "identity"):
            return None
        if isinstance(self.router, TopKRouter):
            return "topk"
        if isinstance(self.router, UniformHashRouter) and self.router.n_units <= _BITMAP_ITEMS:
            return "hash"
        return None

    @property
    def reads_out(self) -> bool:
        """Whether :meth:`read_out` has a fused path for this layer."""
        return self._read_out_kind() is not None

    def read_out(self, H: np.ndarray, top_weights: np.ndarray) -> np.ndarray | None:
        """``top_weights . (mask(h) o phi(h))`` for every row, or ``None`` where this
        layer has no fused read-out (:attr:`reads_out`).

        On one-stage ``relu`` or ``identity`` features, a Top-K layer selects and sums
        in one compiled pass per row (:func:`~dsn_model._kernels.top_k_read_out`; rows
        the near-tie screen flags are routed again by :meth:`forward`), and a
        uniform-hash layer hashes, picks, evaluates and sums
        (:func:`~dsn_model._kernels.hash_read_out`): no unit is written out. The
        selection is :meth:`forward`'s, and the sum is :meth:`read_out_rows` of
        ``forward``'s units and values, bit for bit.

        Examples
        --------
        >>> import numpy as np
        >>> from dsn_model.model.features import RandomFeatures
        >>> from dsn_model.model.routers import TopKRouter
        >>> layer = SparseLayer(RandomFeatures.random(3, 64, random_state=0), TopKRouter(64, 8))
        >>> H = np.random.default_rng(0).uniform(-1, 1, (5, 3))
        >>> routing, values = layer.forward(H)
        >>> A = np.linspace(-1, 1, 64)
        >>> kept = layer.read_out_rows(routing.units, values, A)
        >>> bool(np.array_equal(layer.read_out(H, A), kept))
        True
        """
        kind = self._read_out_kind()
        if kind is None:
            return None
        stages, bias, activation = self.features.score_chain()
        k = self.router.sparsity
        top_weights = np.ascontiguousarray(top_weights, dtype=np.float64)
        if top_weights.shape != (self.features.n_units,):
            raise ValueError(
                f"`top_weights` must hold one value per unit, {self.features.n_units}."
            )
        relu = activation == "relu"
        if kind == "hash":
            start = chain_start(self.router.key)
            return hash_read_out(H, start, k, stages[0], bias, top_weights, relu=relu)

        def sums(Z, tolerance, part):
            part[:], unsure = top_k_read_out(
                Z, k, top_weights, offset=bias, relu=relu, tolerance=tolerance
            )
            return unsure

        def again(units, values):
            return sparse_rows_read_out(units, values, top_weights)

        return self._fused_top_k(H, np.empty(len(H)), sums, again)

    def masked_features(self, H: np.ndarray) -> np.ndarray | None:
        """``mask(h) o phi(h)`` for every row, written out with zeros (``(n, t)``), or
        ``None`` where this layer has no fused selection (:attr:`reads_out` for a Top-K
        router): the rows :func:`~dsn_model._kernels.dense_rows` makes of
        :meth:`forward`'s units and values, selected and cleared in one compiled pass
        per row (:func:`~dsn_model._kernels.top_k_masked_rows`); rows the near-tie screen
        flags are routed again by :meth:`forward`.

        Examples
        --------
        >>> import numpy as np
        >>> from dsn_model._kernels import dense_rows
        >>> from dsn_model.model.features import RandomFeatures
        >>> from dsn_model.model.routers import TopKRouter
        >>> layer = SparseLayer(RandomFeatures.random(3, 64, random_state=0), TopKRouter(64, 8))
        >>> H = np.random.default_rng(0).uniform(-1, 1, (5, 3))
        >>> routing, values = layer.forward(H)
        >>> bool(np.array_equal(layer.masked_features(H), dense_rows(routing.units, values, 64)))
        True
        """
        if self._read_out_kind() != "topk":
            return None
        _, bias, activation = self.features.score_chain()
        t, k, relu = self.features.n_units, self.router.sparsity, activation == "relu"

        def masked(Z, tolerance, part):
            _, unsure = top_k_masked_rows(
                Z, k, offset=bias, relu=relu, tolerance=tolerance, out=part
            )
            return unsure

        def again(units, values):
            return dense_rows(units, values, t)

        return self._fused_top_k(H, np.empty((len(H), t)), masked, again)

    def _fused_top_k(self, H, out, select, again):
        """Run a fused Top-K kernel on each block of :meth:`_feature_blocks`' products:
        ``select(Z, tolerance, part)`` fills the block's ``part`` of ``out`` and returns the
        rows the near-tie screen flags; those are routed again by :meth:`forward`, the
        fixed-order selection, and ``again(units, values)`` gives their part. Returns
        ``out``."""
        stages, bias, activation = self.features.score_chain()
        tolerance = selection_tolerance(H, stages, bias, activation)
        start = 0
        for block, Z in self._feature_blocks(H, linear=True):
            rows = slice(start, start + len(block))
            redo = np.flatnonzero(select(Z, tolerance[rows], out[rows]))
            if redo.size:  # near ties: the fixed-order selection decides these rows
                routing, values = self.forward(block[redo])
                out[start + redo] = again(routing.units, values)
            start += len(block)
        return out

    def read_out_rows(
        self, units: np.ndarray, values: np.ndarray, top_weights: np.ndarray
    ) -> np.ndarray:
        """``sum_i top_weights[units[r, i]] values[r, i]`` for each row, summed as
        :meth:`read_out` sums that layer's rows (a Top-K layer by column,
        :func:`~dsn_model._kernels.sparse_rows_read_out`; others slot by slot,
        :func:`~dsn_model._kernels.slot_read_out`): a row read out from kept units and
        values equals its fused read-out bit for bit."""
        if self._read_out_kind() == "topk":
            return sparse_rows_read_out(units, values, top_weights)
        return slot_read_out(units, values, top_weights)

    def features_at(self, H: np.ndarray, units: np.ndarray) -> np.ndarray:
        """The features ``units`` (each in ``[0, t)``) of the rows of ``H``.

        Read from features computed in the same blocks as :meth:`forward`'s, so for the
        units ``forward`` routes to, the values are bit for bit those it returns (before
        the router's weights): a caller that kept a routing gets its values back without
        routing again.

        Parameters
        ----------
        H : ndarray of shape (n, input_dim)
        units : ndarray of shape (n, s), int

        Returns
        -------
        ndarray of shape (n, s)

        Examples
        --------
        >>> import numpy as np
        >>> from dsn_model.model.features import RandomFeatures
        >>> from dsn_model.model.routers import TopKRouter
        >>> layer = SparseLayer(RandomFeatures.random(3, 8, random_state=0), TopKRouter(8, 2))
        >>> H = np.random.default_rng(0).uniform(-1, 1, (4, 3))
        >>> routing, values = layer.forward(H)
        >>> bool(np.array_equal(layer.features_at(H, routing.units), values))
        True
        """
        values, start = np.empty(units.shape), 0
        for block, F in self._feature_blocks(H):
            stop = start + len(block)
            values[start:stop] = take_rows(F, units[start:stop])
            start = stop
        return values


class SparseNetwork:
    """A stack of sparse layers with a fixed top layer ``A``.

    ``g(x) = A (mask_L o phi_L( ... (mask_1(x) o phi_1(x)) ... ))`` (docs/theory.md).
    Layer ``l``'s features and router read the sparse hidden vector of layer
    ``l - 1`` (a dense array with zeros off the active units).

    Parameters
    ----------
    layers : sequence of SparseLayer
        Bottom to top; layer ``l + 1``'s ``input_dim`` is layer ``l``'s width.
    top_weights : array_like, shape (t_L,)
        ``A``, one weight per unit of the top sparse layer.
    output_bias : float, default=0
        A constant added to the output (a fitted intercept; the paper's models
        have none). The graph view draws it as an edge from the bias node.

    Examples
    --------
    >>> import numpy as np
    >>> from dsn_model.model.features import RandomFeatures
    >>> from dsn_model.model.routers import TopKRouter, UniformHashRouter
    >>> l1 = SparseLayer(RandomFeatures.random(3, 8, random_state=0),
    ...                  UniformHashRouter(3, 8, 2, key=0))
    >>> l2 = SparseLayer(RandomFeatures.random(8, 4, random_state=1), TopKRouter(4, 1))
    >>> net = SparseNetwork([l1, l2], top_weights=np.ones(4))
    >>> net.predict(np.zeros((2, 3))).shape
    (2,)
    >>> [r.n_active().tolist() for r in net.route_all(np.zeros((1, 3)))]
    [[2], [1]]
    """

    def __init__(self, layers, top_weights: ArrayLike, output_bias: float = 0.0):
        layers = list(layers)
        if not layers:
            raise ValueError("`layers` must hold at least one SparseLayer.")
        for i, layer in enumerate(layers):
            if not isinstance(layer, SparseLayer):
                raise ValueError(
                    f"`layers[{i}]` must be a SparseLayer. Got {type(layer).__name__}."
                )
            if i and layer.features.input_dim != layers[i - 1].features.n_units:
                raise ValueError(
                    f"`layers[{i}]` reads {layer.features.input_dim} inputs but layer "
                    f"{i - 1} has {layers[i - 1].features.n_units} units."
                )
        self.layers = layers
        A = np.asarray(top_weights, dtype=np.float64)
        t = layers[-1].router.n_unit_ids
        if A.shape != (t,):
            raise ValueError(f"`top_weights` must have shape ({t},). Got {A.shape}.")
        if not np.all(np.isfinite(A)):
            raise ValueError("`top_weights` must be finite.")
        self.top_weights = A
        if isinstance(output_bias, bool) or not np.isfinite(output_bias):
            raise ValueError(f"`output_bias` must be a finite number. Got {output_bias!r}.")
        self.output_bias = float(output_bias)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(d={self.input_dim}, s={self.sparsity}, t={self.n_units}, "
            f"layers={len(self.layers)})"
        )

    @property
    def input_dim(self) -> int:
        """``d``, the input dimension."""
        return self.layers[0].features.input_dim

    @property
    def n_units(self) -> int:
        """``t``, the width of the top sparse layer.

        Exact even when units are implicit (an LSH model with ``2^64`` buckets
        per table stores only its populated buckets; ``top_weights`` then has
        one entry per stored unit).
        """
        return self.layers[-1].router.n_units

    @property
    def sparsity(self) -> int:
        """``s``, the most active units of the top sparse layer per input."""
        return self.layers[-1].router.sparsity

    def _forward(self, X: np.ndarray):
        routings, values = [], []
        H = X
        for depth, layer in enumerate(self.layers):
            routing, vals = layer.forward(H)
            routings.append(routing)
            values.append(vals)
            if depth + 1 < len(self.layers):
                H = np.zeros((len(X), layer.features.n_units))
                rows, cols = np.nonzero(routing.active)
                H[rows, routing.units[rows, cols]] = vals[rows, cols]
        return routings, values

    def route_all(self, X: ArrayLike) -> list[Routing]:
        """The routing of every layer, bottom to top."""
        return self._forward(check_batch(X, self.input_dim))[0]

    def route(self, X: ArrayLike) -> Routing:
        """The routing of the top sparse layer (the one ``A`` multiplies)."""
        return self.route_all(X)[-1]

    def mask(self, X: ArrayLike) -> np.ndarray:
        """The paper's ``mask(x)`` of the top sparse layer: bool ``(n, t)``."""
        return self.route(X).mask()

    def predict(self, X: ArrayLike) -> np.ndarray:
        """``g(x)`` for every row, computing only active units where possible."""
        routings, values = self._forward(check_batch(X, self.input_dim))
        top = routings[-1]
        A = self.top_weights[np.maximum(top.units, 0)]
        return np.einsum("ns,ns->n", A, values[-1]) + self.output_bias

    def flops(self, X: ArrayLike) -> FlopCount:
        """FLOPs of each input's forward pass, in both accountings.

        Feature edges count only active inputs of the layer below (zeros in a
        sparse hidden state cost nothing); Top-K routing costs the inactive
        units' features; linear routing stages cost their matrix entries, the
        first stage reading only the active inputs.
        """
        routings = self.route_all(X)
        n = len(routings[0].units)
        paper = np.zeros(n, dtype=np.int64)
        routing_cost = np.zeros(n, dtype=np.int64)
        n_inputs = np.full(n, self.input_dim, dtype=np.int64)
        for layer, r in zip(self.layers, routings, strict=True):
            active = r.n_active()
            per_unit = _edges_per_unit(layer.features, n_inputs)
            paper += active * per_unit
            if layer.router.uses_features:
                routing_cost += (layer.features.n_units - active) * per_unit
            else:
                stages = layer.router.routing_stages()
                if stages:
                    routing_cost += stages[0].shape[0] * n_inputs
                    routing_cost += sum(M.size for M in stages[1:])
            n_inputs = active
        paper += routings[-1].n_active() + (self.output_bias != 0)  # top edges, output bias
        return FlopCount(paper=2 * paper, routing=2 * routing_cost)


def _edges_per_unit(features: FeatureMap, n_inputs: np.ndarray) -> np.ndarray:
    """In-edges of one active unit when ``n_inputs`` inputs are active."""
    if isinstance(features, RandomFeatures):
        return n_inputs + (features.bias is not None)
    return np.full_like(n_inputs, features.edges_per_unit())


class DSM(SparseNetwork):
    """DSM(d, s, t): ``g(x) = A (mask(x) o phi(x))`` with an s-sparse mask.

    Parameters
    ----------
    features : FeatureMap
        ``phi: R^d -> R^t``.
    router : Router
        Produces ``mask(x)`` with at most ``s = router.sparsity`` ones.
    top_weights : array_like, shape (t,)
        ``A``.
    output_bias : float, default=0
        A constant added to ``g(x)`` (a fitted intercept).

    See Also
    --------
    DSM.random : a random network of a named router kind in one line.
    dsn_model.model.graph.active_subgraph : the sub-DAG one input activates.

    Notes
    -----
    Containments (docs/theory.md): ``DSM(d,s,t)`` is in ``DSM(d,s',t')`` for
    ``s <= s'``, ``t <= t'``, and a dense width-t layer is ``DSM(d,t,t)``.

    Examples
    --------
    >>> import numpy as np
    >>> net = DSM.random(4, 12, 3, router="switch", random_state=0)
    >>> net
    DSM(d=4, s=3, t=12, router=SwitchRouter(input_dim=4, n_units=12, sparsity=3), \
features=RandomFeatures(input_dim=4, n_units=12, activation='relu'))
    >>> X = np.random.default_rng(0).uniform(-1, 1, size=(5, 4))
    >>> net.mask(X).sum(axis=1).tolist()
    [3, 3, 3, 3, 3]
    >>> net.flops(X).paper[0], net.flops(X).routing[0]   # 3 units x (4+1) + 3 top; gate 4 x 4
    (np.int64(36), np.int64(32))
    """

    def __init__(
        self,
        features: FeatureMap,
        router: Router,
        top_weights: ArrayLike,
        output_bias: float = 0.0,
    ):
        super().__init__([SparseLayer(features, router)], top_weights, output_bias)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """``g(x)`` for every row. A Top-K or uniform-hash DSM on ReLU or linear random
        features selects and sums in one compiled pass per row
        (:meth:`SparseLayer.read_out`); an
        expert-routed DSM on random features is read out expert by expert where the cost
        model says it pays (one BLAS product per expert used). Neither writes a unit
        out; both give the same values as the generic path up to rounding."""
        X = check_batch(X, self.input_dim)
        fused = self.layers[0].read_out(X, self.top_weights)
        if fused is not None:
            return fused + self.output_bias
        route_experts = getattr(self.router, "_route_experts", None)
        if route_experts is None or not isinstance(self.features, RandomFeatures):
            return super().predict(X)
        size = self.router.expert_size
        per_input = self.router.sparsity // size
        if not grouped_pays(len(X), per_input, size, self.input_dim, self.router.n_experts):
            return super().predict(X)
        experts, weights = route_experts(X)
        out = self.features._expert_read_out(X, experts, weights, size, self.top_weights)
        return out + self.output_bias

    def __repr__(self) -> str:
        return (
            f"DSM(d={self.input_dim}, s={self.sparsity}, t={self.n_units}, "
            f"router={self.router!r}, features={self.features!r})"
        )

    @property
    def features(self) -> FeatureMap:
        """The feature map ``phi``."""
        return self.layers[0].features

    @property
    def router(self) -> Router:
        """The router that produces ``mask(x)``."""
        return self.layers[0].router

    @classmethod
    def random(
        cls,
        input_dim: int,
        n_units: int,
        sparsity: int,
        router: str = "switch",
        *,
        activation: str = "relu",
        random_state=None,
    ) -> DSM:
        """A random DSM(d, s, t) with a named router kind.

        Parameters
        ----------
        input_dim, n_units, sparsity : int
            ``d``, ``t`` and ``s``.
        router : {"topk", "switch", "block", "hash", "knn", "lsh"}
            ``"switch"`` uses ``t / s`` experts of ``s`` units; ``"block"``
            uses ``s`` blocks of ``t / s`` (both need ``s | t``); ``"knn"`` uses
            ``t`` random unit centres and constant features; ``"lsh"`` uses
            ``s`` hyperplane tables of ``t / s`` buckets (a power of 2) and
            constant features: the LSH model as DSM(d, s, s 2^m).
        activation : str, default="relu"
            ``sigma`` of the random features ``sigma(B x + c)``.
        random_state : None, int or numpy Generator
            Seeds everything; the same seed gives the same network bit for bit.

        Examples
        --------
        >>> DSM.random(8, 64, 4, router="hash", random_state=0).sparsity
        4
        """
        d = check_positive_int(input_dim, "input_dim")
        t = check_positive_int(n_units, "n_units")
        s = check_positive_int(sparsity, "sparsity")
        if s > t:
            raise ValueError(f"`sparsity` (s={s}) must be <= n_units (t={t}).")
        rng = as_rng(random_state)
        if router not in ROUTERS:
            raise ValueError(f"`router` must be one of {list(ROUTERS)}. Got {router!r}.")
        r = ROUTERS[router].random(d, t, s, random_state=rng)
        if r.constant_features:
            return cls(ConstantFeatures(d, t), r, rng.standard_normal(t) / s)
        phi = RandomFeatures.random(d, t, activation=activation, random_state=rng)
        return cls(phi, r, rng.standard_normal(t) / np.sqrt(s))
