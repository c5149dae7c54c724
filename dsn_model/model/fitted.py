"""What every fitted estimator reports through the DSM it is.

An estimator of this package (the random-feature baselines, the LSH model)
*is* a DSM once fitted: :meth:`to_dsm` returns it with the fitted weights.
:class:`FittedDSMMixin` derives the FLOP count from that DSM, so FLOPs are
counted in one place, :meth:`~dsn_model.model.dsm.SparseNetwork.flops`.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike

from .dsm import DSM, FlopCount

__all__ = ["FittedDSMMixin"]


class FittedDSMMixin:
    """``flops_per_sample`` from the estimator's own ``to_dsm()``.

    The estimator defines ``to_dsm()`` (its fitted model as a DSM) and sets
    ``sparsity_`` (s, its active units per input) when it fits.
    """

    @property
    def n_active_units_(self) -> int:
        """The former name of ``sparsity_`` (deprecated: it will be removed)."""
        warnings.warn(
            "`n_active_units_` is now called `sparsity_`; `n_active_units_` will be removed.",
            FutureWarning,
            stacklevel=2,
        )
        return self.sparsity_

    def _flops_dsm(self) -> DSM:
        """The DSM whose FLOPs are counted (a multi-class model: its first output's)."""
        return self.to_dsm()

    def _extra_output_flops(self) -> int:
        """Read-out FLOPs of outputs beyond the DSM's one (multi-class models)."""
        return 0

    def flops_per_sample(self, X: ArrayLike | None = None) -> FlopCount:
        """FLOPs of one prediction for each row of ``X`` (default: one row, the origin).

        Counted on :meth:`to_dsm` by
        :meth:`~dsn_model.model.dsm.SparseNetwork.flops`: ``paper`` is the
        active sub-network (the paper's accounting: ``2 (d + 1)`` per active
        biased unit, 2 per read-out edge and for the output bias); ``routing``
        is the work that decides the mask (the inactive features of Top-K, the
        gate or hash projections; a uniform hash costs none).
        """
        dsm = self._flops_dsm()
        rows = np.zeros((1, dsm.input_dim)) if X is None else X
        counts = dsm.flops(rows)
        return FlopCount(counts.paper + self._extra_output_flops(), counts.routing)
