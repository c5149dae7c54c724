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

The package: :mod:`.base` (the interface), :mod:`.selection` (Top-K, k-NN),
:mod:`.experts` (Switch, expert choice, blocks) and :mod:`.hashing` (uniform hash, LSH).
"""

from __future__ import annotations

from ..exact_top_k import top_k_indices
from .base import Router
from .experts import BlockRouter, ExpertChoiceRouter, SwitchRouter
from .hashing import LSHRouter, UniformHashRouter
from .selection import KNNRouter, TopKRouter

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
