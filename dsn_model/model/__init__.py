"""The formal model: DSM(d, s, t), its routers and feature maps, and its DAG.

* :mod:`.dsm` -- :class:`DSM` (one sparse layer and a read-out), stacks of
  sparse layers, and FLOP counts;
* :mod:`.routers` -- every router and the :data:`ROUTERS` registry;
  :mod:`.routing_result` -- the :class:`Routing` they return;
  :mod:`.exact_top_k` -- the top-k of linear scores as fixed-order sums decide
  it, so that routing does not depend on the batch;
* :mod:`.features` -- the feature maps of the units;
* :mod:`.graph` -- the networkx DAG: full graph, active sub-DAG, evaluation;
* :mod:`.constructions` -- the paper's Section 3 constructions;
* :mod:`.uniform_hash` -- the non-local hash of the random-hash router.
"""

from .dsm import DSM, FlopCount, SparseLayer, SparseNetwork
from .features import ConstantFeatures, FeatureMap, IdentityFeatures, RandomFeatures
from .graph import active_subgraph, draw_graph, evaluate_graph, graph_flops, to_graph
from .routers import (
    ROUTERS,
    BlockRouter,
    ExpertChoiceRouter,
    KNNRouter,
    LSHRouter,
    Router,
    SwitchRouter,
    TopKRouter,
    UniformHashRouter,
)
from .routing_result import Routing

__all__ = [
    "DSM",
    "ROUTERS",
    "BlockRouter",
    "ConstantFeatures",
    "ExpertChoiceRouter",
    "FeatureMap",
    "FlopCount",
    "IdentityFeatures",
    "KNNRouter",
    "LSHRouter",
    "RandomFeatures",
    "Router",
    "Routing",
    "SparseLayer",
    "SparseNetwork",
    "SwitchRouter",
    "TopKRouter",
    "UniformHashRouter",
    "active_subgraph",
    "draw_graph",
    "evaluate_graph",
    "graph_flops",
    "to_graph",
]
