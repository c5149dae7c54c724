"""How the LSH model answers: the buckets an input falls in, the fallback for the others
(``"global"``, ``"probe"``, ``"nearest"``), and the prediction.

Mixed into :class:`~dsn_model.lsh.regressor.LSHRegressor`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree
from sklearn.utils.validation import check_is_fitted

from .._threads import single_blas_thread

_PREDICT_CHUNK = 8192


class _BucketLookup:
    """Lookups and predictions of :class:`~dsn_model.lsh.regressor.LSHRegressor`."""

    def _units(self, X: np.ndarray) -> np.ndarray:
        """Unit id of each (row, table): ``(n, n_tables)``."""
        out = np.empty((len(X), self.family_.n_tables), dtype=np.int64)
        with single_blas_thread():
            for start in range(0, len(X), _PREDICT_CHUNK):
                stop = start + _PREDICT_CHUNK
                out[start:stop] = self._chunk_units(X[start:stop])
        return out

    def _chunk_units(self, X: np.ndarray) -> np.ndarray:
        s = self.family_.n_tables
        n_slots = self.index_.n_slots
        f = self.family_
        slots = self.index_.lookup_batch(f.index_keys, X, f.block_rows())
        seen = slots >= 0
        if self.fallback == "global":  # an empty stored slot already holds the mean
            return slots if seen.all() else np.where(seen, slots, n_slots + np.arange(s))
        seen[seen] = self.populated_[slots[seen]]
        units = np.where(seen, slots, n_slots + np.arange(s))
        rows = np.flatnonzero(~seen.all(axis=1))
        if rows.size and self.fallback == "probe":
            units[rows] = self._probe_units(X[rows], units[rows], seen[rows])
        elif rows.size and self.fallback == "nearest":
            j = self._nearest_tree().query(X[rows], k=1)[1]
            nearest = n_slots + s + np.arange(s) * len(self.y_seen_) + j[:, None]
            units[rows] = np.where(seen[rows], units[rows], nearest)
        return units

    def _probe_units(self, X, units, seen):
        probes = self.family_.probes(X, self.n_probes)  # (r, s, P, D)
        r, s, P, D = probes.shape
        slots = self.index_.lookup(probes.transpose(0, 2, 1, 3).reshape(r * P, s, D))
        slots = slots.reshape(r, P, s)
        ok = slots >= 0
        ok[ok] = self.populated_[slots[ok]]
        first = ok.argmax(axis=1)  # first populated probe per (row, table)
        found = ok.any(axis=1) & ~seen
        probed = np.take_along_axis(slots, first[:, None, :], axis=1)[:, 0, :]
        return np.where(found, probed, units)

    def bucket_values(self, keys: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """The stored value of each table's bucket ``keys`` and whether training data fell in it.

        Parameters
        ----------
        keys : array_like of int, shape (n, n_tables, key_width)
            Key vectors, as :meth:`~dsn_model.lsh.families.LSHFamily.keys` returns them.

        Returns
        -------
        values : ndarray (n, n_tables)
            The bucket's coefficient (``degree=0``): its mean label under
            ``solver="mean"``, its trained contribution over the table's weight
            under ``"ridge"`` / ``"adam"``; the fallback unit's value where the bucket
            is not stored or held no data.
        trained : ndarray of bool (n, n_tables)

        Examples
        --------
        >>> import numpy as np
        >>> from dsn_model import LSHRegressor
        >>> X = np.random.default_rng(0).uniform(-1, 1, (500, 2))
        >>> model = LSHRegressor(n_tables=2, n_hashes=6, random_state=0).fit(X, X[:, 0])
        >>> values, trained = model.bucket_values(model.family_.keys(X[:3]))
        >>> bool(np.allclose(values.mean(axis=1), model.predict(X[:3]))), bool(trained.all())
        (True, True)
        """
        check_is_fitted(self, "unit_coef_")
        if self.degree != 0:
            raise ValueError("`bucket_values` describes degree-0 models (one value per bucket).")
        s, width = self.family_.n_tables, self.family_.key_width
        keys = np.asarray(keys, dtype=np.int64)
        if keys.ndim != 3 or keys.shape[1:] != (s, width):
            raise ValueError(f"`keys` must have shape (n, {s}, {width}). Got {keys.shape}.")
        slots = self.index_.lookup(keys)
        trained = slots >= 0
        trained[trained] = self.populated_[slots[trained]]
        global_units = self.index_.n_slots + np.arange(s)
        units = np.where(trained, slots, global_units)
        return self.unit_values_.take(units), trained

    def in_trained_bucket(self, X: ArrayLike) -> np.ndarray:
        """Whether each row's bucket in each table held training data: bool ``(n, n_tables)``.

        Where it is False, :meth:`predict` answers that table by the fallback.

        Examples
        --------
        >>> import numpy as np
        >>> from dsn_model import LSHRegressor
        >>> X = np.random.default_rng(0).uniform(-1, 1, (500, 2))
        >>> model = LSHRegressor(n_tables=2, n_hashes=6, random_state=0).fit(X, X[:, 0])
        >>> bool(model.in_trained_bucket(X).all())
        True
        """
        check_is_fitted(self, "unit_coef_")
        X, top = self._validate(X, reset=False)
        self._check_hash_range(top)
        slots = self.index_.lookup(self.family_.keys(X))
        seen = slots >= 0
        seen[seen] = self.populated_[slots[seen]]
        return seen

    def _append_seen(self, X, y):
        """Keep the training points for the nearest fallback: amortised O(1) per row."""
        n, d = len(self.y_seen_), X.shape[1]
        buffers = getattr(self, "_seen_buffers", None)  # absent on a loaded model
        if buffers is None or len(buffers[1]) < n + len(X):
            capacity = max(2 * (n + len(X)), 1024)
            X_buf, y_buf = np.empty((capacity, d)), np.empty(capacity)
            X_buf[:n], y_buf[:n] = self.X_seen_, self.y_seen_
            self._seen_buffers = (X_buf, y_buf)
        X_buf, y_buf = self._seen_buffers
        X_buf[n : n + len(X)], y_buf[n : n + len(X)] = X, y
        self.X_seen_, self.y_seen_ = X_buf[: n + len(X)], y_buf[: n + len(X)]

    def _nearest_tree(self):
        if self._tree is None:
            self._tree = cKDTree(self.X_seen_)  # builds 5x faster than sklearn's here
        return self._tree

    def _unit_rows(self, units):
        """Coefficient rows of unit ids; nearest-fallback ids read the training label."""
        base = len(self.unit_coef_)
        if self.fallback != "nearest" or not (units >= base).any():
            return self.unit_coef_[units]
        near = units >= base
        rows = self.unit_coef_[np.where(near, 0, units)]
        rows[near] = 0.0
        rows[near, 0] = self.y_seen_[(units[near] - base) % len(self.y_seen_)]
        return rows

    def predict(self, X: ArrayLike) -> np.ndarray:
        """``g(x) = sum_i alpha_i g^i_{z^i(x)}(x)`` for every row."""
        check_is_fitted(self, "unit_coef_")
        X, top = self._validate(X, reset=False)
        self._check_hash_range(top)
        out = np.empty(len(X))
        with single_blas_thread():
            for start in range(0, len(X), _PREDICT_CHUNK):  # cache-sized chunks
                Xc = X[start : start + _PREDICT_CHUNK]
                units = self._chunk_units(Xc)
                if self.degree == 0 and self.fallback != "nearest":
                    values = self.unit_values_.take(units)
                elif self.degree == 0:
                    values = self._unit_rows(units)[..., 0]
                else:
                    coef = self._unit_rows(units)  # (rows, s, d + 1)
                    values = coef[:, :, 0] + np.einsum("nsd,nd->ns", coef[:, :, 1:], Xc)
                out[start : start + _PREDICT_CHUNK] = values @ self.table_weights_
        return out
