"""The exact top layer: ridge regression through normal equations summed over row blocks.

``(Phi^T Phi + alpha n I) a = Phi^T y``, centred for the intercept. The sums are
accumulated block by block -- a symmetric rank-k update (BLAS ``dsyrk``) for dense
features, the ``s^2 / 2`` products of each row's active units (a compiled, cache-tiled
loop) for sparse ones when a measured cost model says they are cheaper, else a rank-k
update of each block of rows sorted by locality over the columns it uses -- so memory
stays ``O(t^2 + block)`` at any number of samples and chunks merge exactly; the system
is solved by Cholesky, once per penalty (a path walked back reuses its solution).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import blas, cho_factor, cho_solve
from sklearn.utils.validation import check_is_fitted

from .._kernels import sparse_gram_upper
from .local_gram import add_block_sums, add_masked_rows, locality_order

__all__ = ["sparse_gram_pays"]

#: Cost model of the Gram accumulation, in ns: a BLAS ``dsyrk`` multiply-add, one active
#: pair of the compiled sparse update, and one entry of the ``t x t`` sums each sparse batch
#: adds. Fitted to Top-K fits measured on one core (n = 2e4, ten (t, s) from (256, 64) to
#: (4096, 1024)): the path it picks was the faster one at every point.
_DSYRK_NS, _PAIR_NS, _ADD_NS = 0.05, 1.1, 1.0
_ENTRIES = 1 << 21  # active entries per sparse batch: 32 MiB of units and values
_POOL_ROWS = 1 << 16  # rows sorted by locality at a time (only their order is kept)


def sparse_gram_pays(t: int, s: int) -> bool:
    """Whether the ``s^2 / 2`` active pairs per row beat a dense ``t``-wide rank-k update.

    Examples
    --------
    >>> sparse_gram_pays(4096, 256), sparse_gram_pays(1024, 512)
    (True, False)
    """
    rows = max(1, _ENTRIES // s)
    return s * s / 2 * _PAIR_NS + t * t * _ADD_NS / rows < t * t / 2 * _DSYRK_NS


class _RidgeTopLayer:
    """The exact solver of a random-feature model (mixed into it): sums, solve, refit."""

    def _reset_stats(self, outputs: int):
        t = self.features_.n_units
        self._G = np.zeros((t, t))
        self._colsum = np.zeros(t)
        self._FtY = np.zeros((t, outputs))
        self._ysum = np.zeros(outputs)
        self._n = 0

    def _accumulate(self, X, Y):
        """Add a chunk's normal-equation sums to the upper triangle, block by block.

        Memory is ``O(t^2 + block)``: dense blocks of about 4 MiB of features; sparse
        batches of ``_ENTRIES`` active entries (enough rows that their pairs outweigh the
        ``t x t`` sums the compiled update adds per batch) where the pairs are cheaper;
        else masked rows by :meth:`_accumulate_by_locality`.
        """
        t = self.features_.n_units
        if self.router_ is not None and not self._pairwise:
            self._accumulate_by_locality(X, Y)
        else:
            step = self._block_rows()
            if self._pairwise:
                step = max(step, _ENTRIES // self.sparsity_)
            for start in range(0, len(X), step):
                Xc, Yc = X[start : start + step], Y[start : start + step]
                units, values = self._active_features(Xc)
                if units is None:  # a symmetric rank-k update of the upper triangle
                    self._G = blas.dsyrk(
                        1.0, values, beta=1.0, c=self._G, trans=1, lower=0, overwrite_c=1
                    )
                    self._colsum += values.sum(axis=0)
                    self._FtY += values.T @ Yc
                    continue
                sparse_gram_upper(self._G, units, values)
                self._colsum += np.bincount(units.ravel(), values.ravel(), minlength=t)
                for j in range(Yc.shape[1]):
                    w = (values * Yc[:, j : j + 1]).ravel()
                    self._FtY[:, j] += np.bincount(units.ravel(), w, minlength=t)
        self._ysum += Y.sum(axis=0)
        self._n += len(X)
        self._solved = {}

    def _accumulate_by_locality(self, X, Y):
        """Masked rows: pools of ``_POOL_ROWS`` rows sorted by
        :func:`~.local_gram.locality_order`, summed a block of about 4 MiB of features at
        a time over the columns the block uses (:func:`~.local_gram.add_block_sums`; a
        Top-K layer writes its rows out masked in one pass,
        :meth:`~dsn_model.model.dsm.SparseLayer.masked_features`, and
        :func:`~.local_gram.add_masked_rows` sums them)."""
        t, step = self.features_.n_units, self._block_rows()
        pool = max(step, _POOL_ROWS)
        for start in range(0, len(X), pool):
            order = start + locality_order(X[start : start + pool])
            for a in range(0, len(order), step):
                rows = order[a : a + step]
                sums = (self._G, self._colsum, self._FtY)
                F = self._layer.masked_features(X[rows])  # Top-K: selected in place
                if F is not None:
                    self._G = add_masked_rows(*sums, F, Y[rows])
                    continue
                units, values = self._active_features(X[rows])
                self._G = add_block_sums(*sums, units, values, Y[rows], t)

    def _solve(self):
        """Ridge with intercept from the accumulated sums: centred normal equations, Cholesky.

        Only the upper triangle is summed, and only it is read (LAPACK ``potrf``). A
        penalty solved before on the same sums is not solved again (a path walked back).
        """
        n = self._n
        key = (float(self.alpha), n)
        solved = getattr(self, "_solved", {})  # emptied whenever the sums change
        if key in solved:
            return tuple(np.copy(a) for a in solved[key])
        # In LAPACK's (column-major) order without a transposing copy: the transpose of a
        # row-major matrix holds its upper triangle as a lower one.
        lower = self._G.flags.c_contiguous
        G = (self._G.T if lower else self._G).copy(order="F")
        mean, y_mean = self._colsum / n, self._ysum / n
        G = blas.dsyr(-n, mean, a=G, lower=lower, overwrite_a=1)  # G -= n mean mean^T
        G[np.diag_indices_from(G)] += self.alpha * n + 1e-12 * max(1.0, np.trace(G) / len(G))
        rhs = self._FtY - n * np.outer(mean, y_mean)
        coef = cho_solve(cho_factor(G, lower=lower, overwrite_a=True, check_finite=False), rhs)
        intercept = y_mean - mean @ coef
        self._solved = {**dict(list(solved.items())[-7:]), key: (coef.copy(), intercept.copy())}
        return coef, intercept

    def refit_top_layer(self):
        """Solve the top layer again from the sums kept so far, with the current ``alpha``.

        No pass over the data: ``set_params(alpha=a).refit_top_layer()`` for a grid of
        ``a`` walks a ridge penalty path for the cost of a few Cholesky solves (how the
        reproduction chooses ``alpha`` on a validation split). ``solver="exact"`` only.

        Examples
        --------
        >>> import numpy as np
        >>> from dsn_model.estimators import DenseRegressor
        >>> X = np.random.default_rng(0).uniform(-1, 1, (300, 2))
        >>> model = DenseRegressor(n_units=32, random_state=0).fit(X, X[:, 0])
        >>> fresh = DenseRegressor(n_units=32, alpha=1.0, random_state=0).fit(X, X[:, 0])
        >>> path = model.set_params(alpha=1.0).refit_top_layer()
        >>> bool(np.allclose(path.predict(X), fresh.predict(X)))
        True
        """
        check_is_fitted(self, "coef_")
        self._validate_params()
        if self.solver != "exact":
            raise ValueError(f"`refit_top_layer` needs solver='exact'. Got {self.solver!r}.")
        self._set_top(*self._solve(), np.ndim(self.coef_))
        return self
