"""The routing of a batch: which units each input activates, and with what weight.

A router maps a batch ``X`` of shape ``(n, d)`` to a :class:`Routing`. Row ``i``
lists at most ``s`` distinct active units of the sparse layer (``-1`` pads rows
with fewer), and a weight per slot. The boolean ``mask`` of the paper
(Section 2.1, ``mask(x) in {0,1}^t``) is derived from it, for small ``t`` only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MAX_DENSE_MASK_ENTRIES", "Routing"]

#: Largest ``n * t`` for which :meth:`Routing.mask` materialises a dense mask.
MAX_DENSE_MASK_ENTRIES = 50_000_000


@dataclass(frozen=True, eq=False)
class Routing:
    """Active units and their weights for a batch of inputs.

    Parameters
    ----------
    units : ndarray of int64, shape (n, s)
        Indices into the ``n_units`` units; ``-1`` marks an empty slot.
        The non-negative entries of a row are distinct.
    weights : ndarray of float64, shape (n, s)
        The factor each active unit's contribution is multiplied by
        (1 for the paper's 0/1 masks). Zero in empty slots.
    n_units : int
        ``t``, the width of the sparse layer.

    Examples
    --------
    >>> import numpy as np
    >>> r = Routing(np.array([[2, 0], [1, -1]]), np.ones((2, 2)), n_units=3)
    >>> r.mask().astype(int)
    array([[1, 0, 1],
           [0, 1, 0]])
    >>> r.n_active().tolist()
    [2, 1]
    """

    units: np.ndarray
    weights: np.ndarray
    n_units: int

    def __post_init__(self):
        units = np.asarray(self.units, dtype=np.int64)
        weights = np.asarray(self.weights, dtype=np.float64)
        if units.ndim != 2 or weights.shape != units.shape:
            raise ValueError(
                "`units` and `weights` must be 2-D arrays of the same shape. "
                f"Got {units.shape} and {weights.shape}."
            )
        object.__setattr__(self, "units", units)
        object.__setattr__(self, "weights", np.where(units >= 0, weights, 0.0))

    @property
    def n_samples(self) -> int:
        """Number of routed inputs ``n``."""
        return self.units.shape[0]

    @property
    def slots(self) -> int:
        """Number of slots per row: the sparsity ``s`` of the router."""
        return self.units.shape[1]

    @property
    def active(self) -> np.ndarray:
        """Boolean array ``(n, s)``: which slots hold an active unit."""
        return self.units >= 0

    def n_active(self) -> np.ndarray:
        """Number of active units of each row, shape ``(n,)``."""
        return self.active.sum(axis=1)

    def mask(self) -> np.ndarray:
        """The paper's ``mask(x)`` for every row: a boolean array ``(n, t)``.

        Raises
        ------
        ValueError
            If ``n * t`` exceeds :data:`MAX_DENSE_MASK_ENTRIES`; use ``units``.
        """
        n, t = self.n_samples, self.n_units
        if n * t > MAX_DENSE_MASK_ENTRIES:
            raise ValueError(
                f"A dense mask of {n} x {t} entries is too large to materialise "
                f"(limit {MAX_DENSE_MASK_ENTRIES}); use `Routing.units` instead."
            )
        mask = np.zeros((n, t), dtype=bool)
        rows, cols = np.nonzero(self.active)
        mask[rows, self.units[rows, cols]] = True
        return mask
