"""How the LSH model's top layer is trained: bucket statistics, the kept design, the
solvers (``"mean"``, ``"ridge"``, ``"adam"``) and the coefficients every unit holds.

Mixed into :class:`~dsn_model.lsh.regressor.LSHRegressor`.
"""

from __future__ import annotations

import numpy as np
from sklearn.neural_network import MLPRegressor

from .._kernels import add_affine_sums, add_bucket_sums
from .._threads import single_blas_thread
from .._validation import check_memory
from .joint import TableCodes, adam_epoch, ridge_top_layer

# Slots per fitting chunk (rows x tables): the chunk's codes (2 MiB) are hashed, then added
# to the bucket sums while those are still in cache (at s = 16, m = 16 and n = 1e6,
# 16384-row chunks add them in 0.028 s, 65536-row ones in 0.04 s).
_CHUNK_SLOTS = 1 << 18


class _BucketTraining:
    """Training of :class:`~dsn_model.lsh.regressor.LSHRegressor`'s buckets."""

    def _slot_bytes(self) -> int:
        p = self.n_features_in_ + 1 if self.degree == 1 else 1
        return 8 * (2 + (p * (p + 1) // 2 + p if self.degree == 1 else 0))

    def _bucket_stats(self) -> np.ndarray:
        """Counts and sums as the columns of one ``(n_slots, 2)`` array, interleaving them
        again if ``bucket_counts_`` or ``bucket_sums_`` is no longer its view (assigned,
        loaded or deep-copied)."""
        stats = getattr(self, "_stats", None)
        if (
            stats is None
            or self.bucket_counts_.base is not stats
            or self.bucket_sums_.base is not stats
        ):
            stats = np.column_stack([self.bucket_counts_, self.bucket_sums_]).astype(
                np.float64, copy=False
            )
            self._set_bucket_stats(stats)
        return stats

    def _set_bucket_stats(self, stats: np.ndarray) -> None:
        self._stats = stats
        self.bucket_counts_, self.bucket_sums_ = stats[:, 0], stats[:, 1]

    def _grow(self, n_slots):
        stats = self._bucket_stats()
        extra = n_slots - len(stats)
        if extra <= 0:
            return
        check_memory(
            float(n_slots) * self._slot_bytes(),
            f"{n_slots} buckets with `degree`={self.degree} on {self.n_features_in_} inputs",
        )
        self._set_bucket_stats(np.vstack([stats, np.zeros((extra, 2))]))
        if self.degree == 1:
            self.bucket_gram_ = np.vstack(
                [self.bucket_gram_, np.zeros((extra, self.bucket_gram_.shape[1]))]
            )
            self.bucket_xty_ = np.vstack(
                [self.bucket_xty_, np.zeros((extra, self.bucket_xty_.shape[1]))]
            )

    def _accumulate(self, X, y):
        f = self.family_
        step = max(1024, _CHUNK_SLOTS // f.n_tables)
        with single_blas_thread():
            for start in range(0, len(X), step):
                Xc, yc = X[start : start + step], y[start : start + step]
                # slot of (row r, table i): local[r, i] + offsets[i]
                local, offsets = self.index_.insert_batch_by_table(f.index_keys, Xc, f.block_rows())
                self._grow(self.index_.n_slots)
                add_bucket_sums(self._bucket_stats(), local, yc, offsets)
                if self.degree == 1:  # each bucket's normal equations of [1, x]
                    add_affine_sums(self.bucket_gram_, self.bucket_xty_, local, Xc, yc, offsets)
                if self.solver != "mean":  # the design's rows, table by table
                    self._keep(local, offsets, Xc, yc)
        self.index_.compact()
        self.n_samples_seen_ += len(X)
        self.y_sum_ += float(y.sum())
        if self.fallback == "nearest":
            self._append_seen(X, y)

    def _keep(self, local, offsets, X, y) -> None:
        codes = local.T
        if codes.dtype.itemsize > 4 and self.index_.universe is None:
            codes = codes.astype(np.int32) if self.index_.n_slots < 2**31 else codes
        check_memory(
            float(sum(c[0].nbytes for c in self._kept) + codes.nbytes) * 2,
            f"the joint fit's design of `n_tables`={self.n_tables} codes a row",
        )
        X = X.copy() if self.degree == 1 else None
        self._kept.append((np.ascontiguousarray(codes), offsets, X, y.copy()))

    def _design(self):
        """The kept chunks as one :class:`~dsn_model.lsh.joint.TableCodes` and targets."""
        codes, offsets, X, y = zip(*self._kept, strict=True)
        # one index gives every chunk the same offsets (i * universe, or 0 when hashed)
        assert all(np.array_equal(o, offsets[0]) for o in offsets)
        joined = np.concatenate(codes, axis=1, dtype=np.result_type(*codes))
        X = None if self.degree == 0 else np.concatenate(X)
        return TableCodes(joined, offsets[0], self.index_.n_slots, X), np.concatenate(y)

    def _unit_blocks(self) -> np.ndarray:
        """The block diagonal of ``Z^T Z``: counts, or each slot's Gram matrix of ``(1, x)``."""
        if self.degree == 0:
            return self.bucket_counts_
        return _full_gram(self.bucket_gram_, self.n_features_in_ + 1)

    def _train_top(self, *, epochs: int) -> None:
        """Train the joint solvers' coefficients on the kept design (``"mean"``: nothing)."""
        if self.solver == "mean":
            self.intercept_ = self.y_sum_ / self.n_samples_seen_
            self.n_iter_ = 1  # one pass over the rows
            return
        design, y = self._design()
        if self.solver == "ridge":
            key = (float(self.alpha), design.n_rows, float(self.tol))
            solved = getattr(self, "_solved", {})
            if key in solved:  # a penalty path back at a value solved on these rows
                self.bucket_coef_, self.intercept_, self._dual = solved[key]
                self.n_iter_ = 0
                return
            previous, dual = self.bucket_coef_, self._dual
            x0 = None
            if previous is not None:  # warm starts; new buckets and rows start at 0
                x0 = np.zeros(design.coef_shape())
                x0[: len(previous)] = previous
            if dual is not None:
                dual = np.concatenate([dual, np.zeros(design.n_rows - len(dual))])
            fit = ridge_top_layer(
                design,
                y,
                self.alpha,
                self._unit_blocks(),
                x0=x0,
                dual_x0=dual,
                tol=self.tol,
                max_iter=self.max_iter,
            )
            self.bucket_coef_, self.intercept_ = fit.coef, fit.intercept
            self.n_iter_, self._dual = fit.iterations, fit.dual
            solved = {k: v for k, v in solved.items() if k[1] == design.n_rows}
            self._solved = {
                **dict(list(solved.items())[-7:]),
                key: (fit.coef, fit.intercept, fit.dual),
            }
            return
        self._kept = []  # Adam reads this call's rows only
        if self._adam is None:
            self._adam = MLPRegressor(
                hidden_layer_sizes=(),
                solver="adam",
                alpha=self.alpha * self.batch_size,
                batch_size=self.batch_size,
                learning_rate_init=self.learning_rate,
                shuffle=False,
                random_state=int(self._adam_generator.integers(2**31)),
            )
        elif self._adam.coefs_[0].shape[0] != design.n_units * design.width:
            raise ValueError(
                "`solver`='adam' trains a fixed set of buckets, and this chunk falls in "
                f"buckets the first fit did not see (`family`={self.family!r} stores only "
                "populated buckets); fit on all data at once or use solver='ridge'."
            )
        for _ in range(epochs):
            adam_epoch(self._adam, design, y, self._adam_generator)
        self.n_iter_ += epochs
        coef = self._adam.coefs_[0][:, 0]
        # scikit-learn's loss of predicting 0 is mean(y^2) / 2; far above it (or above 1, for
        # targets near 0 and the random initial weights) Adam has diverged
        limit = 100 * max(float(np.mean(y**2)) / 2, 1.0)
        loss = float(self._adam.loss_)
        if not (np.isfinite(loss) and np.all(np.isfinite(coef))) or loss > limit:
            raise ValueError(
                f"`solver`='adam' diverged at `learning_rate`={self.learning_rate}: its "
                f"training loss {loss:.3g} exceeds 100 max(1, mean(y^2) / 2) = {limit:.3g}; "
                "lower `learning_rate`."
            )
        self.bucket_coef_ = coef.reshape(design.coef_shape()).copy()
        self.intercept_ = float(self._adam.intercepts_[0][0])

    def _joint_coefficients(self, unit_coef: np.ndarray) -> None:
        """Coefficients of the jointly trained units: contributions over table weights, plus
        each table's share ``mu / s`` of the intercept (the fallback units hold only it)."""
        s = self.family_.n_tables
        n_slots = self.index_.n_slots
        alpha = self.table_weights_
        tables = self.index_.slot_tables()
        coef = self.bucket_coef_.reshape(n_slots, -1).copy()  # solved on every stored slot
        coef[:, 0] += self.intercept_ / s
        unit_coef[:n_slots] = coef / alpha[tables][:, None]
        unit_coef[n_slots:, 0] = self.intercept_ / s / alpha

    def _finalize(self):
        """Turn statistics into per-unit coefficients (buckets, then fallback units)."""
        d = self.n_features_in_
        s = self.family_.n_tables
        counts = self.bucket_counts_
        self.populated_ = counts > 0
        self.n_buckets_ = self.index_.count_by_table(self.populated_)
        global_mean = self.y_sum_ / self.n_samples_seen_
        p = d + 1 if self.degree == 1 else 1
        unit_coef = np.zeros((len(counts) + s, p))  # the buckets, then one fallback per table
        if self.solver != "mean":
            self._joint_coefficients(unit_coef)
        else:
            coef = unit_coef[: len(counts)]
            with np.errstate(invalid="ignore", divide="ignore"):  # 0 / 0 in the empty slots
                np.divide(self.bucket_sums_, counts, out=coef[:, 0])
            np.copyto(coef[:, 0], global_mean, where=~self.populated_)
            if self.degree == 1:
                coef[:] = self._affine_coefficients(coef, counts)
            unit_coef[len(counts) :, 0] = global_mean
        if not np.all(np.isfinite(unit_coef)) or not np.isfinite(self.intercept_):
            raise ValueError(
                "The fitted coefficients overflow float64: `y` (or `table_weights`) is too "
                "large in magnitude. Rescale y, e.g. to unit variance."
            )
        self._tree = None  # the nearest-point tree is built when first needed
        self.unit_coef_ = unit_coef
        self.unit_values_ = np.ascontiguousarray(self.unit_coef_[:, 0])
        self.sparsity_ = s  # one bucket per table
        self.n_params_ = int(self.populated_.sum()) * p  # stored per-bucket coefficients

    def _affine_coefficients(self, coef, counts):
        d = self.n_features_in_
        need = self.min_bucket_size if self.min_bucket_size is not None else 2 * (d + 1)
        fit = np.flatnonzero(counts >= need)
        if fit.size == 0:
            return coef
        p = d + 1
        gram = _full_gram(self.bucket_gram_[fit], p)
        ridge = 1e-10 * np.trace(gram, axis1=1, axis2=2) / p
        gram += ridge[:, None, None] * np.eye(p)
        coef[fit] = np.linalg.solve(gram, self.bucket_xty_[fit][..., None])[..., 0]
        return coef


def _full_gram(packed: np.ndarray, p: int) -> np.ndarray:
    """Per-slot symmetric ``(p, p)`` matrices from their packed upper triangles."""
    rows, cols = np.triu_indices(p)
    gram = np.zeros((len(packed), p, p))
    gram[:, rows, cols] = packed
    gram[:, cols, rows] = packed
    return gram
