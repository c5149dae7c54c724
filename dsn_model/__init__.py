"""dsn: data-dependent sparse networks (Baykal et al., NeurIPS 2022), simulated and checked."""

from .dsm import DSM, FlopCount, SparseLayer, SparseNetwork
from .features import ConstantFeatures, FeatureMap, IdentityFeatures, RandomFeatures
from .graph import active_subgraph, draw_graph, evaluate_graph, graph_flops, to_graph
from .routers import (
    BlockRouter,
    ExpertChoiceRouter,
    KNNRouter,
    LSHRouter,
    Router,
    SwitchRouter,
    TopKRouter,
    UniformHashRouter,
)
from .routing import Routing

__version__ = "0.1.0"

__all__ = [
    "DSM",
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
    "__version__",
    "active_subgraph",
    "draw_graph",
    "evaluate_graph",
    "graph_flops",
    "to_graph",
]
