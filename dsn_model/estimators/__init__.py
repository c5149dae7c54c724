"""scikit-learn estimators: the paper's dense and sparse models (Section 5) and the LSH model.

All random-feature models share one fixed bottom layer ``phi(x) = sigma(B x + c)``
(:meth:`~dsn_model.model.features.RandomFeatures.random`, drawn from
``random_state``) and an exactly solved top layer: ridge regression on the
(masked) features, through the normal equations ``(Phi^T Phi + alpha n I) a =
Phi^T y`` (centred, for the intercept). The sums are accumulated over row
blocks -- a symmetric rank-k update (BLAS ``dsyrk``) for dense features, the
``s^2 / 2`` products of each row's active units (a compiled, cache-tiled loop)
for sparse ones when a measured cost model says they are cheaper -- so memory
stays ``O(t^2 + block)`` at any number of samples, ``partial_fit`` merges
chunks exactly, and the system is solved by Cholesky. Predictions use
the active units only, block by block.

* :class:`DenseRegressor` -- all ``n_units`` features (the dense baseline);
* :class:`DSMRegressor` -- Top-K: the ``sparsity`` largest features of each
  input (the paper's DSM layer; routing needs every feature);
* :class:`RandomHashRegressor` -- a uniform hash of the input picks
  ``sparsity`` units (data dependent, not locality preserving);
* classifier counterparts for multi-class data (ridge on one-hot targets:
  exact, fast, and what a linear read-out of fixed features amounts to);
* :class:`~dsn_model.lsh.regressor.LSHRegressor` (re-exported).

Each fitted model reports ``sparsity_``, ``n_params_`` and
:meth:`flops_per_sample`, a :class:`~dsn_model.model.dsm.FlopCount` counted on :meth:`to_dsm`.

The package: :mod:`.models` (the estimators and their parameters), :mod:`.base` (what
they share), :mod:`.ridge` (the exact top layer) and :mod:`.adam` (the Adam top layer).
"""

from ..lsh.regressor import LSHRegressor
from .models import (
    DenseClassifier,
    DenseRegressor,
    DSMClassifier,
    DSMRegressor,
    RandomHashClassifier,
    RandomHashRegressor,
)

__all__ = [
    "DSMClassifier",
    "DSMRegressor",
    "DenseClassifier",
    "DenseRegressor",
    "LSHRegressor",
    "RandomHashClassifier",
    "RandomHashRegressor",
]
