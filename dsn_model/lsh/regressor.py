"""The LSH model LSH(d, s, m, Delta) as a scikit-learn regressor (docs/theory.md).

``s`` independent hash tables; each bucket ``z`` of table ``i`` holds a
polynomial ``g^i_z`` of degree ``Delta``, and

    g(x) = sum_i alpha_i g^i_{z^i(x)}(x).

``solver="mean"`` fits each bucket to the training points that fall in it
(Theorem 4.1's learner) from per-bucket sufficient statistics (counts and sums;
for ``degree=1`` also ``sum z z^T`` and ``sum z y`` with ``z = (1, x)``), so
:meth:`LSHRegressor.partial_fit` merges chunks exactly and ten million samples
stream through in bounded memory. ``"ridge"`` and ``"adam"`` train every bucket
of every table jointly, the top layer of the DSM the model is
(:mod:`dsn_model.lsh.joint`).

Units. Every prediction reads one *unit* per table; the units are

* ``[0, n_slots)`` -- the stored buckets (``n_slots = s 2^m`` by direct
  addressing for small tables, else only the populated buckets);
* ``[n_slots, n_slots + s)`` -- one "global" fallback unit per table;
* with ``fallback="nearest"``, one unit per (table, training point).

A unit holds coefficients ``(c_0, c_1..c_d)`` and contributes
``alpha_i (c_0 + c . x)``. This is also exactly how :meth:`LSHRegressor.to_dsm`
writes the model as a DSM: constant features (``degree=0``, docs/theory.md) or
per-unit affine features (``degree=1``, representation (b)).

The class's parameters, fitting entry points, DSM and files are here; how its buckets
are trained is :mod:`.training`, how an input is answered :mod:`.lookup`.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import assert_all_finite, check_is_fitted, validate_data

from .._kernels import abs_max
from .._validation import (
    as_rng,
    check_memory,
    check_numeric_targets,
)
from ..model.dsm import DSM
from ..model.features import ConstantFeatures, RandomFeatures
from ..model.fitted import FittedDSMMixin
from ..model.routers import LSHRouter
from .buckets import BucketIndex
from .families import DTYPES, FAMILIES
from .lookup import _BucketLookup
from .persistence import load_model, save_model
from .training import _BucketTraining

__all__ = ["LSHRegressor"]

_FALLBACKS = ("global", "probe", "nearest")
_SOLVERS = ("mean", "ridge", "adam")
# Slots per fitting chunk (rows x tables): the chunk's codes (2 MiB) are hashed, then added
# to the bucket sums while those are still in cache (at s = 16, m = 16 and n = 1e6,
# 16384-row chunks add them in 0.028 s, 65536-row ones in 0.04 s).
_CHUNK_SLOTS = 1 << 18
_PREDICT_CHUNK = 8192


class LSHRegressor(_BucketTraining, _BucketLookup, FittedDSMMixin, RegressorMixin, BaseEstimator):
    """Piecewise-polynomial regression on LSH buckets: the paper's LSH model.

    Parameters
    ----------
    family : {"hyperplane", "euclidean", "cross-polytope"}, default="hyperplane"
        The hash family (:mod:`dsn_model.lsh.families`).
    n_tables : int, default=4
        ``s``, independent tables; one active unit each.
    n_hashes : int, default=8
        ``m`` hyperplanes / rotations per table (``2^m`` or ``(2d)^m``
        buckets), or the number ``D`` of directions for ``"euclidean"``.
    width : float, default=0.5
        Slab width of ``"euclidean"`` buckets.
    offset : float, default=1.0
        Offsets ``b ~ U[-offset, offset]`` of ``"hyperplane"``; 0 gives
        Charikar's family, whose buckets are cones that never shrink.
    degree : {0, 1}, default=0
        ``Delta``: a constant (0) or an affine function (1) per bucket.
    solver : {"mean", "ridge", "adam"}, default="mean"
        How the top layer -- the buckets' coefficients -- is trained.
        ``"mean"`` is Theorem 4.1's learner: each table's bucket answers the mean
        of its training targets (``degree=1``: its own least-squares affine fit,
        in buckets with at least ``min_bucket_size`` points), and the tables'
        answers are averaged; streaming and exact under ``partial_fit``.
        ``"ridge"`` fits every bucket's coefficients of every table jointly, as
        the paper trains the top layer of DSM(d, s, s 2^m) in its experiments:
        ``min mean((y - g(x))^2) + alpha ||b||^2`` over the tables'
        contributions ``b`` (:func:`dsn_model.lsh.joint.ridge_top_layer`,
        conjugate gradients, in the dual form when rows are fewer than
        coefficients). ``"adam"`` minimises the same objective by
        minibatch Adam for ``epochs`` epochs. Docs: docs/theory.md.
    alpha : float, default=1e-6
        Ridge penalty per sample of ``"ridge"`` and ``"adam"`` (as in
        :class:`~dsn_model.estimators.DenseRegressor`).
    tol : float, default=1e-4
        ``"ridge"``: relative residual of the normal equations at which the
        conjugate gradients stop.
    max_iter : int, default=1000
        ``"ridge"``: most conjugate-gradient iterations.
    epochs : int, default=20
        ``"adam"``: passes over the data of :meth:`fit` (``partial_fit``: one).
    batch_size : int, default=256
        ``"adam"``: minibatch rows.
    learning_rate : float, default=1e-3
        ``"adam"``: step size.
    min_bucket_size : int, optional
        Points a bucket needs for an affine fit under ``solver="mean"``;
        default ``2 (d + 1)``.
    table_weights : array_like of shape (n_tables,), optional
        ``alpha_i``; default ``1 / n_tables`` each.
    fallback : {"global", "probe", "nearest"}, default="global"
        Value of a table whose bucket holds no training point: the training
        mean (jointly trained solvers: the table's share of the intercept, what
        an untrained bucket holds); the first populated bucket among
        ``n_probes`` multi-probe neighbours (the same if none); or the label of
        the nearest training point -- the fallback under which Theorem 4.1's
        uniform error holds (docs/theory.md), for ``solver="mean"`` only.
        ``"nearest"`` stores the training points.
    n_probes : int, default=8
        Neighbouring buckets tried by ``fallback="probe"``.
    hash_dtype : {"float32", "float64"}, default="float32"
        Precision of the hash projections of ``"hyperplane"`` and
        ``"euclidean"`` (``"cross-polytope"`` hashes in float64). float32
        hashes about twice as fast. Keys are the same in both: a hyperplane bit
        is the sign of ``<a, x> + b`` and a Euclidean key the floor of
        ``(<a, x> + b) / w``, each summed in float64 in a fixed order, the fast
        product settling everything outside its rounding band, so an input
        hashes alike at fit and predict time, alone or in any batch.
    random_state : None, int or numpy Generator
        Seeds the hash functions; the same seed gives the same model bit for bit.

    Attributes
    ----------
    family_ : LSHFamily
    n_features_in_ : int
    n_buckets_ : ndarray of shape (n_tables,)
        Non-empty buckets per table.
    sparsity_ : int
        ``s``: one bucket per table answers each input.
    n_params_ : int
        Trainable coefficients stored: non-empty buckets times ``1`` (``degree=0``)
        or ``d + 1`` (``degree=1``).
    table_weights_ : ndarray of shape (n_tables,)
        The weights ``alpha_i`` of the tables' answers (``1 / n_tables`` by default).
    index_ : BucketIndex
        The exact map from each table's bucket keys to slots ``0 .. n_slots - 1``.
    bucket_counts_ : ndarray of shape (n_slots,)
        Training points per stored bucket slot.
    bucket_sums_ : ndarray of shape (n_slots,)
        Sum of the targets per slot (``degree=0``'s sufficient statistic). Both are
        columns of one ``(n_slots, 2)`` array, so that adding a point to a bucket
        touches one cache line; arrays assigned to them are interleaved again at the
        next ``partial_fit``.
    bucket_coef_ : ndarray of shape (n_slots,) or (n_slots, d + 1), or None
        ``"ridge"`` and ``"adam"``: each stored bucket's jointly trained
        contribution ``b`` (so ``alpha_i`` times its coefficients); None for ``"mean"``.
    intercept_ : float
        ``"ridge"`` and ``"adam"``: the unpenalised intercept, shared equally by the
        tables; for ``"mean"`` the training mean.
    n_iter_ : int
        ``"ridge"``: conjugate-gradient iterations of the last solve; ``"adam"``:
        epochs run; ``"mean"``: 1 (one pass over the data).
    bucket_gram_, bucket_xty_ : ndarray or None
        Per-slot normal equations ``sum z z^T`` and ``sum z y`` with ``z = (1, x)``
        (``degree=1``; None otherwise). Every statistic adds over chunks, so
        ``partial_fit`` equals ``fit``.
    y_sum_ : float
        Sum of all targets seen (the ``"global"`` fallback's mean).
    X_seen_, y_seen_ : ndarray or None
        The training points (``fallback="nearest"`` only; None otherwise).
    populated_ : ndarray of bool, shape (n_slots,)
        Slots with at least ``min_bucket_size`` points: they answer with their fit.
    unit_coef_ : ndarray of shape (n_units, 1 or d + 1)
        Coefficients of every unit: stored buckets, then the fallback units.
    unit_values_ : ndarray of shape (n_units,)
        ``unit_coef_[:, 0]`` contiguous: what :meth:`predict` reads for ``degree=0``.
    n_samples_seen_ : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, size=(2000, 2))
    >>> y = np.sin(3 * X[:, 0]) * X[:, 1]
    >>> model = LSHRegressor(n_tables=16, n_hashes=10, random_state=0).fit(X, y)
    >>> bool(model.score(X, y) > 0.8)
    True
    >>> dsm = model.to_dsm()
    >>> bool(np.allclose(dsm.predict(X[:5]), model.predict(X[:5]), rtol=1e-12, atol=1e-12))
    True
    """

    def __init__(
        self,
        family="hyperplane",
        n_tables=4,
        n_hashes=8,
        width=0.5,
        offset=1.0,
        degree=0,
        solver="mean",
        alpha=1e-6,
        tol=1e-4,
        max_iter=1000,
        epochs=20,
        batch_size=256,
        learning_rate=1e-3,
        min_bucket_size=None,
        table_weights=None,
        fallback="global",
        n_probes=8,
        hash_dtype="float32",
        random_state=None,
    ):
        self.family = family
        self.n_tables = n_tables
        self.n_hashes = n_hashes
        self.width = width
        self.offset = offset
        self.degree = degree
        self.solver = solver
        self.alpha = alpha
        self.tol = tol
        self.max_iter = max_iter
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.min_bucket_size = min_bucket_size
        self.table_weights = table_weights
        self.fallback = fallback
        self.n_probes = n_probes
        self.hash_dtype = hash_dtype
        self.random_state = random_state

    _parameter_constraints: ClassVar[dict] = {
        "family": [StrOptions(set(FAMILIES))],
        "n_tables": [Interval(Integral, 1, None, closed="left")],
        "n_hashes": [Interval(Integral, 1, None, closed="left")],
        "width": [Interval(Real, 0, None, closed="neither")],
        "offset": [Interval(Real, 0, None, closed="left")],
        "degree": [Options(Integral, {0, 1})],
        "solver": [StrOptions(set(_SOLVERS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "min_bucket_size": [Interval(Integral, 1, None, closed="left"), None],
        "table_weights": ["array-like", None],
        "fallback": [StrOptions(set(_FALLBACKS))],
        "n_probes": [Interval(Integral, 1, None, closed="left")],
        "hash_dtype": [StrOptions(set(DTYPES))],
        "random_state": ["random_state", np.random.Generator],
    }

    # ------------------------------------------------------------------ set-up
    def _check_params(self):
        """Validate the parameters (scikit-learn's constraints); return the table weights."""
        self._validate_params()
        s = self.n_tables
        check_memory(  # before any array of one entry per table exists
            8.0 * s * (1 + self.n_hashes),
            f"`n_tables`={s} tables of `n_hashes`={self.n_hashes} hashes",
        )
        if self.table_weights is None:
            alpha = np.full(s, 1.0 / s)
        else:
            alpha = np.asarray(self.table_weights, dtype=np.float64)
            if alpha.shape != (s,) or not np.all(np.isfinite(alpha)):
                raise ValueError(
                    f"`table_weights` must be {s} finite numbers (one per table). "
                    f"Got {self.table_weights!r}."
                )
        if self.solver != "mean" and self.fallback == "nearest":
            raise ValueError(
                f"`fallback`='nearest' answers a table with a training label, which only "
                f"`solver`='mean' (one estimate of y per table) can use; `solver`="
                f"{self.solver!r} trains the tables jointly. Use fallback='global' or 'probe'."
            )
        if self.solver != "mean" and not np.all(alpha != 0):
            raise ValueError(
                f"`table_weights` must be non-zero for `solver`={self.solver!r}: each "
                f"bucket's coefficients are its trained contribution divided by its table's "
                f"weight. Got {self.table_weights!r}."
            )
        return alpha

    def _make_family(self, d, rng):
        kwargs = {"n_tables": self.n_tables, "random_state": rng}
        if self.family in ("euclidean", "hyperplane"):
            kwargs["hash_dtype"] = self.hash_dtype
        if self.family == "euclidean":
            kwargs["width"] = float(self.width)
        if self.family == "hyperplane":
            kwargs["offset"] = float(self.offset)
        return FAMILIES[self.family](d, self.n_hashes, **kwargs)

    def _reset(self, d):
        self.table_weights_ = self._check_params()
        per_hash = d * d if self.family == "cross-polytope" else d + 1
        check_memory(  # the directions and their padded hashing copy
            16.0 * self.n_tables * self.n_hashes * per_hash,
            f"`n_tables`={self.n_tables} tables of `n_hashes`={self.n_hashes} hashes on {d} inputs",
        )
        rng = as_rng(self.random_state)
        self.family_ = self._make_family(d, rng)
        self._adam_generator = np.random.default_rng(rng.integers(2**63))  # after the hashes
        f = self.family_
        self.index_ = BucketIndex(f.n_tables, f.key_width, f.universe)
        n = self.index_.n_slots
        check_memory(
            float(n) * self._slot_bytes(),
            f"{n} buckets with `degree`={self.degree} on {d} inputs",
        )
        p = d + 1 if self.degree == 1 else 1
        self._set_bucket_stats(np.zeros((n, 2)))
        self.bucket_gram_ = np.zeros((n, p * (p + 1) // 2)) if self.degree == 1 else None
        self.bucket_xty_ = np.zeros((n, p)) if self.degree == 1 else None
        self.n_samples_seen_ = 0
        self.y_sum_ = 0.0
        self.X_seen_ = np.empty((0, d)) if self.fallback == "nearest" else None
        self.y_seen_ = np.empty(0) if self.fallback == "nearest" else None
        self._seen_buffers = None
        self.bucket_coef_ = None
        self._dual = None  # the dual form's solution: the next solve's warm start
        self._solved = {}  # (alpha, rows, tol) -> a ridge solution of the rows kept now
        self.intercept_ = 0.0
        self.n_iter_ = 0
        self._kept = []  # the design's chunks ("ridge": all rows seen; "adam": this call's)
        self._fitted_params = self._fixed_params()
        self._adam = None

    # ------------------------------------------------------------------ fitting
    def fit(self, X: ArrayLike, y: ArrayLike) -> LSHRegressor:
        """Fit from scratch (forgets earlier calls)."""
        X, y, top = self._validate(X, y, reset=True)
        self._reset(X.shape[1])
        self._check_hash_range(top)
        self._accumulate(X, y)
        self._train_top(epochs=self.epochs)
        self._finalize()
        return self

    def partial_fit(self, X: ArrayLike, y: ArrayLike) -> LSHRegressor:
        """Add a chunk of samples.

        ``solver="mean"``: the bucket statistics merge exactly with earlier chunks, so
        chunks give the model :meth:`fit` gives on their union, in bounded memory.
        ``"ridge"``: the joint problem is solved again on every row seen so far (their
        bucket codes are kept: ``2-8 s`` bytes a row, ``+ 8 d`` for ``degree=1``),
        warm-started from the last solution -- the model :meth:`fit` gives on the union.
        ``"adam"``: one more epoch of Adam over this chunk.
        """
        first = not hasattr(self, "family_")
        if not first:
            self._check_continuable()
        X, y, top = self._validate(X, y, reset=first)
        if first:
            self._reset(X.shape[1])
        self._check_hash_range(top)
        self._accumulate(X, y)
        self._train_top(epochs=1)
        self._finalize()
        return self

    def __getstate__(self):
        """The state without the solutions kept along a penalty path (a copy or a pickle
        solves again when it returns to a penalty)."""
        state = super().__getstate__()
        state.pop("_solved", None)
        return state

    def refit_top_layer(self) -> LSHRegressor:
        """Train the top layer again on the rows seen so far, with the current parameters.

        Hashing is not repeated: ``"mean"`` recomputes from the bucket statistics,
        ``"ridge"`` solves again from the kept codes, warm-started -- so a penalty path
        (``set_params(alpha=a).refit_top_layer()`` for a grid of ``a``) costs a few
        conjugate-gradient runs. Hash parameters must not change in between.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).uniform(-1, 1, (400, 2))
        >>> model = LSHRegressor(n_tables=4, n_hashes=6, solver="ridge", random_state=0)
        >>> model = model.fit(X, X[:, 0])
        >>> heavy = model.set_params(alpha=10.0).refit_top_layer().predict(X)
        >>> bool(np.ptp(heavy) < 0.1)   # a heavy penalty flattens the fit
        True
        """
        check_is_fitted(self, "unit_coef_")
        self._check_continuable()
        self.table_weights_ = self._check_params()
        if self.solver == "adam":
            raise ValueError("`refit_top_layer` needs an exact solver; `solver`='adam' is not.")
        self._train_top(epochs=0)
        self._finalize()
        return self

    def _fixed_params(self) -> dict:
        keys = ("solver", "family", "n_tables", "n_hashes", "width", "offset", "degree")
        return {k: getattr(self, k) for k in keys}

    def _check_continuable(self) -> None:
        """A jointly trained model keeps its design (ridge) or optimiser (Adam) in memory
        only: a loaded one can predict and be saved, not train further. Nor can a model
        change its solver, hashes or degree after a fit: its kept statistics are those of
        the parameters it was fitted with."""
        fitted = getattr(self, "_fitted_params", None)
        current = self._fixed_params()
        changed = [k for k in current if fitted is not None and fitted[k] != current[k]]
        if changed:
            raise ValueError(
                f"{', '.join(f'`{k}`' for k in changed)} changed since the model was fitted "
                f"({', '.join(f'{k}={fitted[k]!r}' for k in changed)}); call fit to start "
                "again with the new value."
            )
        if self.solver != "mean" and getattr(self, "_kept", None) is None:
            raise ValueError(
                f"This `solver`={self.solver!r} model was loaded from a file, which keeps its "
                "trained coefficients but not its training design or Adam's state; refit it "
                "to train further."
            )

    def _validate(self, X, *y, reset: bool):
        """scikit-learn's validation of ``X`` (and ``y`` when given), except that ``X``'s
        finiteness and its largest ``|x|`` (the reach of the hash projections) come from
        one compiled pass: returns ``(X, y, top)`` or ``(X, top)``."""
        options = {"reset": reset, "dtype": np.float64, "ensure_all_finite": False}
        before = {k: v for k, v in vars(self).items() if k.endswith("features_in_")}
        if y:
            check_numeric_targets(y[0])
            X, target = validate_data(self, X, y[0], y_numeric=True, **options)
        else:
            X = validate_data(self, X, **options)
        if y:
            with np.errstate(over="ignore"):
                total = float(np.abs(target).sum())
            if not np.isfinite(total):
                self._restore_features_in(before)
                raise ValueError(
                    "`y` is too large in magnitude: its sum overflows float64, and so would "
                    "every bucket's. Rescale y, e.g. to unit variance."
                )
        top = abs_max(X)
        if not np.isfinite(top):  # scikit-learn's own error for NaN or infinity
            self._restore_features_in(before)
            assert_all_finite(X, estimator_name=type(self).__name__, input_name="X")
        return (X, target, top) if y else (X, top)

    def _restore_features_in(self, before: dict) -> None:
        """Undo what validation with ``reset=True`` set, before raising: a refused input
        changes nothing."""
        for name in ("n_features_in_", "feature_names_in_"):
            vars(self).pop(name, None)
        vars(self).update(before)

    def _check_hash_range(self, top: float) -> None:
        """Refuse inputs up to ``|x| = top`` whose float32 hash projections would overflow
        (naming ``hash_dtype``)."""
        if self.family_.hash_dtype != "float32":
            return
        reach = top * float(np.abs(self.family_.projection_matrix()).sum(axis=1).max())
        if not reach < 1e37:
            raise ValueError(
                f"`X` holds values up to {top:.3g}, whose hash projections (up to {reach:.3g}) "
                "overflow `hash_dtype`='float32'; use hash_dtype='float64' or rescale X."
            )

    # --------------------------------------------------------------- prediction

    # ------------------------------------------------------------- the DSM view
    def to_dsm(self) -> DSM:
        """The fitted model as the DSM(d, s, t) it is (docs/theory.md).

        ``t = s 2^m`` (exact, reported by ``n_units``) for bounded families;
        the DSM materialises one unit per stored bucket and fallback unit.
        Predictions equal :meth:`predict` up to rounding (1e-12).
        """
        check_is_fitted(self, "unit_coef_")
        tables = self._unit_tables()
        coef = self._unit_rows(np.arange(len(tables)))  # nearest-point units materialised here
        n_ids = len(coef)
        router = LSHRouter(self.family_, units_of=self._units, n_unit_ids=n_ids)
        alpha = self.table_weights_[tables]
        d = self.n_features_in_
        if self.degree == 0:
            return DSM(ConstantFeatures(d, n_ids), router, alpha * coef[:, 0])
        phi = RandomFeatures(coef[:, 1:], coef[:, 0], activation="identity")
        return DSM(phi, router, alpha)

    def _unit_tables(self) -> np.ndarray:
        s = self.family_.n_tables
        parts = [self.index_.slot_tables(), np.arange(s)]
        if self.fallback == "nearest":
            parts.append(np.repeat(np.arange(s), len(self.y_seen_)))
        return np.concatenate(parts)

    # -------------------------------------------------------------- persistence
    def save(self, path) -> None:
        """Save the fitted model to an ``.npz`` file (no pickle).

        The file holds the parameters (JSON), the feature names of a model
        fitted on a DataFrame, the hash family's arrays, the bucket statistics
        and a SHA-256 checksum of all of them (:mod:`.persistence`).
        """
        save_model(self, path)

    @classmethod
    def load(cls, path) -> LSHRegressor:
        """Load a model saved by :meth:`save`, validating the whole file.

        The checksum (SHA-256 over every array) detects accidental corruption;
        it is not an authentication -- anyone can write a file with a matching
        checksum -- so the contents are validated as well: every array's
        declared size against its bytes before anything is allocated, shapes
        against the parameters, counts (non-negative integers that sum to the
        samples seen in every table), finite sums, codes and slots in range.

        Raises
        ------
        ValueError
            Naming the file and the field that is wrong.
        """
        return load_model(cls, path)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
