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

from importlib import import_module
from typing import TYPE_CHECKING

#: Where each name of the package's namespace lives. They are imported when first used
#: (PEP 562), so ``import dsn_model`` -- and the ``dsn`` command -- does not load
#: scikit-learn, scipy or numba until a model needs them.
_EXPORTS = {
    **dict.fromkeys(
        (
            "DenseClassifier",
            "DenseRegressor",
            "DSMClassifier",
            "DSMRegressor",
            "RandomHashClassifier",
            "RandomHashRegressor",
        ),
        ".estimators",
    ),
    "LSHRegressor": ".lsh",
    **dict.fromkeys(
        (
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
        ),
        ".model",
    ),
}

if TYPE_CHECKING:  # what static tools see: the same names, imported eagerly
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


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


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
