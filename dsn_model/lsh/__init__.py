"""The paper's LSH model: hash families, the exact bucket index, and the estimator.

* :mod:`.families` -- hyperplane (Charikar), Euclidean (Datar et al.) and
  cross-polytope hashing: keys, probes and cells as halfspaces;
* :mod:`.buckets` -- an exact map from (table, key) to a compact slot;
* :mod:`.joint` -- the top layer trained jointly (ridge by conjugate gradients, Adam);
* :mod:`.regressor` -- :class:`LSHRegressor`, with validated persistence.
"""

from .families import FAMILIES, CrossPolytopeLSH, EuclideanLSH, HyperplaneLSH, LSHFamily
from .regressor import LSHRegressor

__all__ = [
    "FAMILIES",
    "CrossPolytopeLSH",
    "EuclideanLSH",
    "HyperplaneLSH",
    "LSHFamily",
    "LSHRegressor",
]
