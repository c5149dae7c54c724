"""Feature maps ``phi: R^d -> R^t``: everything below a sparse layer.

The paper's DSM (Section 2.1) is ``g(x) = A (mask(x) o phi(x))``. Which
functions ``phi`` may be is a modelling choice (with arbitrary ``phi`` the class
contains every function, docs/theory.md), so ``phi`` is always one of a declared
family:

* :class:`IdentityFeatures` -- ``phi(x) = x`` (``t = d``);
* :class:`RandomFeatures` -- ``phi(x) = sigma(B x + c)`` with a fixed matrix
  ``B`` (random or given), optional bias ``c`` and elementwise ``sigma``;
* :class:`ConstantFeatures` -- ``phi(x) = 1`` (pure routing: bucket models,
  k-NN, the LSH model with Delta = 0).

Every map evaluates either all ``t`` units (:meth:`FeatureMap.transform`) or
only the units a routing selects (:meth:`FeatureMap.transform_units`), which is
what makes the sparse forward pass cost ``O(s)`` units instead of ``O(t)``.

Cost is counted in edges of the formal DAG: one edge is one multiply-add,
i.e. 2 FLOPs (a bias is an edge from a constant input).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from numpy.typing import ArrayLike

from .._kernels import unit_preactivations
from .._validation import as_rng, check_batch, check_memory, check_positive_int

__all__ = [
    "ACTIVATIONS",
    "ConstantFeatures",
    "FeatureMap",
    "IdentityFeatures",
    "RandomFeatures",
    "grouped_pays",
]

#: Elementwise activations by name. ``sign`` maps 0 to +1 (docs/theory.md).
ACTIVATIONS = {
    "identity": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "sign": lambda z: np.where(z >= 0.0, 1.0, -1.0),
    "tanh": np.tanh,
}


#: Cost model of an expert router's features, in ns, fitted to predictions measured on one
#: core (n = 1e4; d 16-512, 16-4096 experts of 4-64 units): the row-by-row path reads each
#: row's weight rows in a compiled loop (per weight read); the grouped path pays a BLAS
#: call per expert used, a sort and scatter per (row, block), and per weight read a BLAS
#: rate that falls for narrow experts. It picked the faster path at all eight points.
_ROW_NS, _CALL_NS, _PAIR_NS, _BLAS_NS, _NARROW_NS = 0.6, 3000.0, 100.0, 0.05, 3.0


def grouped_pays(n: int, blocks: int, size: int, d: int, experts: int) -> bool:
    """Whether evaluating ``n`` rows of ``blocks`` expert blocks of ``size`` units expert
    by expert (one BLAS product each) beats the row-by-row compiled loop.

    Examples
    --------
    >>> grouped_pays(10_000, 1, 64, 512, 64), grouped_pays(10_000, 1, 4, 16, 64)
    (True, False)
    """
    reads = n * blocks * size * d
    used = min(experts, n * blocks)
    grouped = used * _CALL_NS + n * blocks * _PAIR_NS + reads * (_BLAS_NS + _NARROW_NS / size)
    return grouped < reads * _ROW_NS


def _check_activation(activation: str) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(f"`activation` must be one of {sorted(ACTIVATIONS)}. Got {activation!r}.")
    return activation


class FeatureMap(ABC):
    """Base class of feature maps; subclasses set ``input_dim`` and ``n_units``.

    Subclasses implement ``_transform`` (all units) and ``_transform_units``
    (selected units), and describe the DAG through ``unit_in_edges``.
    """

    input_dim: int
    n_units: int
    activation: str = "identity"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(input_dim={self.input_dim}, n_units={self.n_units}, "
            f"activation={self.activation!r})"
        )

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Evaluate all ``t`` features: an array ``(n, t)``."""
        return self._transform(check_batch(X, self.input_dim))

    def transform_units(self, X: ArrayLike, units: ArrayLike) -> np.ndarray:
        """Evaluate only the features ``units`` (``(n, s)``, ``-1`` = empty).

        Returns an array ``(n, s)``; empty slots hold 0.
        """
        X = check_batch(X, self.input_dim)
        units = np.asarray(units, dtype=np.int64)
        if units.ndim != 2 or units.shape[0] != X.shape[0]:
            raise ValueError(
                f"`units` must have shape (n, s) with n = {X.shape[0]}. Got {units.shape}."
            )
        if units.size and units.max() >= self.n_units:
            raise ValueError(f"`units` holds index {units.max()}, beyond n_units={self.n_units}.")
        return self._transform_units(X, units)

    @abstractmethod
    def _transform(self, X: np.ndarray) -> np.ndarray:
        """All features of a validated batch."""

    @abstractmethod
    def _transform_units(self, X: np.ndarray, units: np.ndarray) -> np.ndarray:
        """The features ``units`` of a validated batch (0 where ``-1``)."""

    def _transform_blocks(self, X: np.ndarray, units: np.ndarray, size: int) -> np.ndarray:
        """:meth:`_transform_units` when each row's units are whole aligned blocks of
        ``size`` (an expert router's: ``e * size + [0, size)``, or ``-1`` throughout a
        dropped block); a feature map may evaluate them expert by expert."""
        return self._transform_units(X, units)

    def score_chain(self) -> tuple[list[np.ndarray], np.ndarray | None, str] | None:
        """``(stages, bias, activation)`` when the features are ``activation(M_L (... M_1 x)
        + bias)`` computed by products whose rounding may depend on the batch, for the
        exact top-k of :mod:`~dsn_model.model.exact_top_k`; ``None`` when the features
        are computed exactly (or are not of that form)."""
        return None

    def _linear(self, X: np.ndarray) -> np.ndarray:
        """The fast product of a one-stage :meth:`score_chain`, ``X @ M_1.T`` (before its
        bias and activation): what :meth:`_transform` computes first, and what a Top-K
        layer selects from with the bias and activation applied in its selection."""
        return X @ self.score_chain()[0][0].T

    @abstractmethod
    def edges_per_unit(self) -> int:
        """Multiply-adds (edges of the DAG) needed to compute one unit."""

    @abstractmethod
    def unit_in_edges(self, unit: int) -> list[tuple[object, float]]:
        """In-edges of hidden unit ``unit``: ``(source, weight)`` pairs.

        A source is an input index ``i`` (for ``x_i``) or the string ``"bias"``.
        """


class IdentityFeatures(FeatureMap):
    """``phi(x) = x``: the sparse layer selects input coordinates (``t = d``).

    Examples
    --------
    >>> IdentityFeatures(3).transform([[1.0, 2.0, 3.0]])
    array([[1., 2., 3.]])
    """

    def __init__(self, input_dim: int):
        self.input_dim = check_positive_int(input_dim, "input_dim")
        self.n_units = self.input_dim

    def _transform(self, X):
        return X.copy()

    def _transform_units(self, X, units):
        rows = np.arange(X.shape[0])[:, None]
        return np.where(units >= 0, X[rows, np.maximum(units, 0)], 0.0)

    def edges_per_unit(self) -> int:
        return 1

    def unit_in_edges(self, unit):
        return [(int(unit), 1.0)]


class ConstantFeatures(FeatureMap):
    """``phi(x) = 1`` for every unit: the value of an active unit is its weight.

    Used for bucket models (the LSH model with Delta = 0, docs/theory.md) and for
    k-NN regression as a DSM (Section 3).

    Examples
    --------
    >>> ConstantFeatures(2, 4).transform([[0.5, -1.0]])
    array([[1., 1., 1., 1.]])
    """

    def __init__(self, input_dim: int, n_units: int):
        self.input_dim = check_positive_int(input_dim, "input_dim")
        self.n_units = check_positive_int(n_units, "n_units")

    def _transform(self, X):
        return np.ones((X.shape[0], self.n_units))

    def _transform_units(self, X, units):
        return (units >= 0).astype(np.float64)

    def edges_per_unit(self) -> int:
        return 1

    def unit_in_edges(self, unit):
        return [("bias", 1.0)]


class RandomFeatures(FeatureMap):
    """``phi(x) = sigma(B x + c)``: one hidden layer with fixed weights.

    Parameters
    ----------
    weights : array_like, shape (t, d)
        The matrix ``B``; row ``b_j`` feeds unit ``j``.
    bias : array_like of shape (t,), optional
        The offsets ``c``; ``None`` for none.
    activation : {"relu", "identity", "sign", "tanh"}
        The elementwise ``sigma``.

    See Also
    --------
    RandomFeatures.random : draw ``B`` and ``c`` at random.

    Examples
    --------
    >>> phi = RandomFeatures([[1.0, -1.0], [2.0, 0.0]], bias=[0.5, -3.0])
    >>> phi.transform([[1.0, 1.0]])
    array([[0.5, 0. ]])
    >>> phi.transform_units([[1.0, 1.0]], [[1, -1]])
    array([[0., 0.]])
    """

    def __init__(self, weights: ArrayLike, bias: ArrayLike | None = None, activation: str = "relu"):
        B = check_batch(weights, name="weights")
        self.weights = B
        self.n_units, self.input_dim = B.shape
        if bias is not None:
            bias = np.asarray(bias, dtype=np.float64)
            if bias.shape != (self.n_units,) or not np.all(np.isfinite(bias)):
                raise ValueError(
                    f"`bias` must be a finite array of shape ({self.n_units},). "
                    f"Got shape {bias.shape}."
                )
        self.bias = bias
        self.activation = _check_activation(activation)

    @classmethod
    def random(
        cls,
        input_dim: int,
        n_units: int,
        *,
        activation: str = "relu",
        bias: bool = True,
        random_state=None,
    ) -> RandomFeatures:
        """Gaussian ``B`` with ``N(0, 1/d)`` entries and bias ``c ~ U[-1, 1]``.

        On ``[-1, 1]^d`` the pre-activations then have unit order of magnitude,
        so the ReLU kinks cut through the cube.

        Examples
        --------
        >>> phi = RandomFeatures.random(8, 16, random_state=0)
        >>> phi.transform(np.zeros((1, 8))).shape
        (1, 16)
        """
        d = check_positive_int(input_dim, "input_dim")
        t = check_positive_int(n_units, "n_units")
        check_memory(8.0 * t * (d + 1), f"`n_units`={t} random features on {d} inputs")
        rng = as_rng(random_state)
        B = rng.standard_normal((t, d)) / np.sqrt(d)
        c = rng.uniform(-1.0, 1.0, size=t) if bias else None
        return cls(B, c, activation=activation)

    def _transform(self, X):
        Z = self._linear(X)
        if self.bias is not None:
            Z += self.bias
        if self.activation == "relu":  # Z is ours: no second n x t array
            return np.maximum(Z, 0.0, out=Z)
        return ACTIVATIONS[self.activation](Z)

    def score_chain(self):
        return [self.weights], self.bias, self.activation

    def _transform_blocks(self, X, units, size):
        """Expert by expert where the cost model says it pays (:func:`grouped_pays`): the
        rows routed to an expert, sorted together, times its ``size`` weight rows in one
        BLAS product; else row by row (:meth:`_transform_units`). The two differ by
        rounding only (a product's summation order)."""
        n, s = units.shape
        k = s // size
        if not grouped_pays(n, k, size, self.input_dim, self.n_units // size):
            return self._transform_units(X, units)
        first = units[:, ::size]  # each block's first unit, or -1
        experts = np.where(first >= 0, first // size, -1)
        out = np.zeros((n * k, size))
        for pairs, block in self._by_expert(X, experts, size):
            out[pairs] = block
        return out.reshape(n, s)

    def _expert_read_out(self, X, experts, weights, size, top_weights):
        """``sum_j weights[i, j] * (top_weights . features of expert experts[i, j])`` per
        row, expert by expert: the prediction of a one-layer expert-routed DSM without
        writing its units out (``experts`` ``-1`` where dropped)."""
        n, k = experts.shape
        contributions = np.zeros(n * k)
        for pairs, block in self._by_expert(X, experts, size):
            e = experts.flat[pairs[0]]
            contributions[pairs] = block @ top_weights[e * size : (e + 1) * size]
        return np.einsum("nk,nk->n", contributions.reshape(n, k), weights)

    def _by_expert(self, X, experts, size):
        """``(pairs, features)`` per expert used: the (row, block) pairs routed to it (flat
        indices into ``experts``) and their ``size`` features, from one BLAS product of
        its rows. A loop over experts, not rows."""
        k = experts.shape[1]
        flat = experts.ravel()
        if not flat.size:
            return
        order = np.argsort(flat, kind="stable")
        ranked = flat[order]
        bounds = np.flatnonzero(np.diff(ranked)) + 1
        activate = ACTIVATIONS[self.activation]
        for a, b in zip(np.r_[0, bounds], np.r_[bounds, len(order)], strict=True):
            e = ranked[a]
            if e < 0:
                continue
            units = slice(e * size, (e + 1) * size)
            Z = X[order[a:b] // k] @ self.weights[units].T
            if self.bias is not None:
                Z += self.bias[units]
            yield order[a:b], activate(Z)

    def _transform_units(self, X, units):
        """Each selected unit's features from its weight row in place (a compiled loop, a
        fixed summation order: :func:`~dsn_model._kernels.unit_preactivations`)."""
        Z = unit_preactivations(X, self.weights, self.bias, units)
        return np.where(units >= 0, ACTIVATIONS[self.activation](Z), 0.0)

    def edges_per_unit(self) -> int:
        return self.input_dim + (self.bias is not None)

    def unit_in_edges(self, unit):
        edges = [(i, float(w)) for i, w in enumerate(self.weights[unit])]
        if self.bias is not None:
            edges.append(("bias", float(self.bias[unit])))
        return edges
