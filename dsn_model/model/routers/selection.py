"""Routers that keep the largest scores of a row: its features (Top-K, the DSM layer) or
its inner products with unit vectors (k-NN).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..._kernels import top_k_rows
from ..._validation import as_rng, check_positive_int
from ..exact_top_k import (
    _compiled_selection_wins,
    screened_top_k,
    top_k_indices,
)
from ..routing_result import Routing
from .base import Router, _check_matrix, _renamed


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
    sparsity : int
        ``s``, active units per input (the paper's ``K``), ``1 <= s <= t``.
    k : int, optional
        The former name of ``sparsity`` (deprecated: a ``DeprecationWarning``).

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

    def __init__(self, n_units: int, sparsity: int | None = None, *, k: int | None = None):
        sparsity = _renamed(sparsity, k, "k")
        self.n_units = check_positive_int(n_units, "n_units")
        self.sparsity = check_positive_int(sparsity, "sparsity")
        if self.sparsity > self.n_units:
            raise ValueError(f"`sparsity` must be <= n_units={self.n_units}. Got {sparsity}.")
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
    sparsity : int
        ``s``, neighbours per input.
    k : int, optional
        The former name of ``sparsity`` (deprecated: a ``DeprecationWarning``).

    Examples
    --------
    >>> import numpy as np
    >>> router = KNNRouter([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], sparsity=2)
    >>> router.route([[0.9, 0.2]]).units.tolist()
    [[0, 1]]
    """

    constant_features = True

    def __init__(self, centers: ArrayLike, sparsity: int | None = None, *, k: int | None = None):
        sparsity = _renamed(sparsity, k, "k")
        self.centers = _check_matrix(centers, "centers")
        self.n_units, self.input_dim = self.centers.shape
        self.sparsity = check_positive_int(sparsity, "sparsity")
        if self.sparsity > self.n_units:
            raise ValueError(
                f"`sparsity` must be <= the number of centers ({self.n_units}). Got {sparsity}."
            )

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
