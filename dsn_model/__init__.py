"""dsn: data-dependent sparse networks (Baykal et al., NeurIPS 2022), simulated and checked.

The package reads from the top down:

* :mod:`dsn_model.model` -- the formal model DSM(d, s, t), its routers, its DAG;
* :mod:`dsn_model.lsh` -- the LSH model: hash families, bucket index, estimator;
* :mod:`dsn_model.estimators` -- the random-feature baselines (dense, DSM, hash);
* :mod:`dsn_model.data`, :mod:`dsn_model.targets` -- inputs and Lipschitz targets;
* :mod:`dsn_model.experiments` -- the paper's experiments, run and reported;
* :mod:`dsn_model.audit` -- statistical audits of routers.
"""

__version__ = "0.1.0"

from .estimators import (
    DenseClassifier,
    DenseRegressor,
    DSMClassifier,
    DSMRegressor,
    RandomHashClassifier,
    RandomHashRegressor,
)
from .lsh import LSHRegressor
from .model import (
    DSM,
    ROUTERS,
    BlockRouter,
    ConstantFeatures,
    ExpertChoiceRouter,
    FeatureMap,
    FlopCount,
    IdentityFeatures,
    KNNRouter,
    LSHRouter,
    RandomFeatures,
    Router,
    Routing,
    SparseLayer,
    SparseNetwork,
    SwitchRouter,
    TopKRouter,
    UniformHashRouter,
    active_subgraph,
    draw_graph,
    evaluate_graph,
    graph_flops,
    to_graph,
)

__all__ = [
    "DSM",
    "ROUTERS",
    "BlockRouter",
    "ConstantFeatures",
    "DSMClassifier",
    "DSMRegressor",
    "DenseClassifier",
    "DenseRegressor",
    "ExpertChoiceRouter",
    "FeatureMap",
    "FlopCount",
    "IdentityFeatures",
    "KNNRouter",
    "LSHRegressor",
    "LSHRouter",
    "RandomFeatures",
    "RandomHashClassifier",
    "RandomHashRegressor",
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
