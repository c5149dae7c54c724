"""The router interface every routing rule implements: ``route``, ``random``, costs."""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod

import numpy as np
from numpy.typing import ArrayLike

from ..._kernels import take_rows
from ..._validation import check_batch
from ..routing_result import Routing


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
