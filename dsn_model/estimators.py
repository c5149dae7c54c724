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
"""

from __future__ import annotations

import hashlib
import warnings
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from scipy.linalg import blas, cho_factor, cho_solve
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import Hidden, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _kept
from ._kernels import dense_rows, sparse_gram_upper
from ._validation import as_rng, check_memory, check_numeric_targets
from .lsh.regressor import LSHRegressor
from .model.dsm import DSM, SparseLayer
from .model.features import ACTIVATIONS, RandomFeatures
from .model.fitted import FittedDSMMixin
from .model.routers import Router, TopKRouter, UniformHashRouter

__all__ = [
    "DSMClassifier",
    "DSMRegressor",
    "DenseClassifier",
    "DenseRegressor",
    "LSHRegressor",
    "RandomHashClassifier",
    "RandomHashRegressor",
]

#: Cost model of the Gram accumulation, in ns: a BLAS ``dsyrk`` multiply-add, one active
#: pair of the compiled sparse update, and one entry of the ``t x t`` sums each sparse batch
#: adds. Fitted to Top-K fits measured on one core (n = 2e4, ten (t, s) from (256, 64) to
#: (4096, 1024)): the path it picks was the faster one at every point.
_DSYRK_NS, _PAIR_NS, _ADD_NS = 0.05, 1.1, 1.0
_ENTRIES = 1 << 21  # active entries per sparse batch: 32 MiB of units and values
#: Largest routing (active units of every row of a chunk) kept across Adam epochs.
_ROUTING_CACHE_BYTES = 1 << 28


def sparse_gram_pays(t: int, s: int) -> bool:
    """Whether the ``s^2 / 2`` active pairs per row beat a dense ``t``-wide rank-k update.

    Examples
    --------
    >>> sparse_gram_pays(4096, 256), sparse_gram_pays(1024, 512)
    (True, False)
    """
    rows = max(1, _ENTRIES // s)
    return s * s / 2 * _PAIR_NS + t * t * _ADD_NS / rows < t * t / 2 * _DSYRK_NS


class _RandomFeatureModel(FittedDSMMixin, BaseEstimator):
    """Shared fit/predict of the random-feature models; subclasses pick the router.

    A subclass stores its parameters in ``__init__`` and overrides
    :meth:`_make_router` (``None``: every unit active).
    """

    def _make_router(self, d: int, t: int, s: int, rng) -> Router | None:
        return None

    def _active(self) -> int:
        t = self.n_units
        if not hasattr(self, "sparsity"):  # dense: every unit is active
            return t
        s = self.sparsity
        if self.n_active != "deprecated":
            if s is not None:
                raise ValueError("Give `sparsity` only (`n_active` is its former name).")
            warnings.warn(
                "`n_active` is now called `sparsity`; `n_active` will be removed.",
                FutureWarning,
                stacklevel=4,
            )
            s = self.n_active
        s = s if s is not None else max(1, t // 4)
        if s > t:
            raise ValueError(f"`sparsity` must be <= n_units={t}. Got {s}.")
        return s

    def _block_rows(self) -> int:
        """Rows per block of features: about 4 MiB."""
        return max(64, (4 << 20) // (8 * self.features_.n_units))

    def _active_features(self, X):
        """``(units, values)`` of the active features, or ``(None, F)`` for dense ones.

        Sparse rows are routed in blocks of :meth:`_block_rows` (routing may compute all
        ``t`` features), so ``X`` may be longer than a block.
        """
        if self.router_ is None:
            return None, self.features_._transform(X)
        step = self._block_rows()
        parts = [self._layer.forward(X[i : i + step]) for i in range(0, len(X), step)]
        units = np.concatenate([routing.units for routing, _ in parts])
        values = np.concatenate([values for _, values in parts])
        return np.maximum(units, 0), values  # empty slots hold value 0

    def _reset_stats(self, outputs: int):
        t = self.features_.n_units
        self._G = np.zeros((t, t))
        self._colsum = np.zeros(t)
        self._FtY = np.zeros((t, outputs))
        self._ysum = np.zeros(outputs)
        self._n = 0

    def _accumulate(self, X, Y):
        """Add a chunk's normal-equation sums to the upper triangle, block by block.

        Memory is ``O(t^2 + block)``: dense blocks of about 4 MiB of features, or sparse
        batches of ``_ENTRIES`` active entries (enough rows that their pairs outweigh the
        ``t x t`` sums the compiled update adds per batch).
        """
        t = self.features_.n_units
        step = self._block_rows()
        if self._pairwise:
            step = max(step, _ENTRIES // self.sparsity_)
        for start in range(0, len(X), step):
            Xc, Yc = X[start : start + step], Y[start : start + step]
            units, values = self._active_features(Xc)
            if units is not None and not self._pairwise:  # masked dense rows
                units, values = None, dense_rows(units, values, t)
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

    def _scores(self, X):
        """``Phi(X) @ coef_ + intercept_`` block by block, from the active features only."""
        coef = self.coef_.reshape(self.features_.n_units, -1)
        out = np.empty((len(X), coef.shape[1]))
        kept = self._kept_features(X)
        step = len(X) if kept is not None else self._block_rows()
        for start in range(0, len(X), max(1, step)):
            units, values = kept or self._active_features(X[start : start + step])
            if units is None:
                out[start : start + step] = values @ coef
            else:
                out[start : start + step] = np.einsum("ns,nso->no", values, coef[units])
        return out + np.reshape(self.intercept_, (1, -1))

    def _fit_features(self, X):
        self._validate_params()
        d, t = X.shape[1], self.n_units
        s = self._active()
        check_memory(8.0 * t * t * 2, f"the {t} x {t} normal equations of `n_units`={t}")
        rng = as_rng(self.random_state)
        self.features_ = RandomFeatures.random(d, t, activation=self.activation, random_state=rng)
        self.router_ = self._make_router(d, t, s, rng)
        router = self.router_ if self.router_ is not None else TopKRouter(t, t)
        self._layer = SparseLayer(self.features_, router)
        self._pairwise = self.router_ is not None and sparse_gram_pays(t, s)
        self.sparsity_ = s
        self.n_params_ = t + 1
        self._adam_rng = np.random.default_rng(rng.integers(2**63))
        self._routing_cache = None
        _kept.release(self)  # new features: nothing kept applies

    def _train(self, X, Y, Y_ndim: int, *, first: bool, epochs: int) -> None:
        """Fit the top layer on a chunk: merge its sums (exact) or run Adam epochs over it."""
        if self.solver == "exact":
            if first:
                self._reset_stats(Y.shape[1])
            self._accumulate(X, Y)
            self._set_top(*self._solve(), Y_ndim)
            return
        if first:
            self._adam = MLPRegressor(
                hidden_layer_sizes=(),
                solver="adam",
                alpha=self.alpha * self.batch_size,  # = ridge's alpha per sample, see _adam_epoch
                batch_size=self.batch_size,
                learning_rate_init=self.learning_rate,
                shuffle=False,  # rows are permuted here, once per epoch
                random_state=int(self._adam_rng.integers(2**31)),
            )
        for _ in range(epochs):
            self._adam_epoch(X, Y)
        coef, intercept = self._adam.coefs_[0], self._adam.intercepts_[0]
        self._set_top(coef.reshape(len(coef), -1), np.atleast_1d(intercept), Y_ndim)

    def _adam_epoch(self, X, Y) -> None:
        """One pass of Adam over ``X`` in a random order, features computed block by block.

        scikit-learn's loss per minibatch of ``b`` rows is ``mean(r^2) / 2 + alpha_mlp
        ||a||^2 / (2 b)``; with ``alpha_mlp = alpha b`` it is half of ridge's
        ``mean(r^2) + alpha ||a||^2``: the same minimiser as the exact solver.
        """
        order = self._adam_rng.permutation(len(X))
        t = self.features_.n_units
        kept = self._kept_features(X)
        routed = None if kept is not None else self._chunk_routing(X)
        # whole minibatches per call (at least 8, to spread scikit-learn's per-call checks):
        # the updates are the same for any block size, minibatch by minibatch
        block = max(8, (4 << 20) // (8 * t) // self.batch_size) * self.batch_size
        for start in range(0, len(X), block):
            rows = order[start : start + block]
            if kept is not None:  # the features of every row, computed once per chunk
                units, values = kept[0] if kept[0] is None else kept[0][rows], kept[1][rows]
            elif routed is None:
                units, values = self._active_features(X[rows])
            else:  # the routed units' features, computed as routing would, with no selection
                units = np.maximum(routed[rows], 0).astype(np.int64)  # empty slots: unit 0 ...
                step = self._block_rows()
                values = np.concatenate(
                    [
                        self._layer.features_at(X[rows[i : i + step]], units[i : i + step])
                        for i in range(0, len(rows), step)
                    ]
                )
                values[routed[rows] < 0] = 0.0  # ... with value 0, as forward gives them
            if units is not None:
                values = dense_rows(units, values, t)
            target = Y[rows]
            # features computed here are finite (inputs were checked): no second scan
            with warnings.catch_warnings(), config_context(assume_finite=True):
                warnings.simplefilter("ignore", ConvergenceWarning)
                # an epoch's last block may be shorter than a minibatch: it is one
                warnings.filterwarnings("ignore", message="Got `batch_size`", category=UserWarning)
                self._adam.partial_fit(values, target[:, 0] if target.shape[1] == 1 else target)

    def _kept_features(self, X):
        """``(units, values)`` of ``X``'s active features, computed once and kept while the
        model's features stay the same (Adam's epochs, its checkpoint predictions and a
        grid of step sizes read the same rows again and again); ``None`` beyond
        ``_ROUTING_CACHE_BYTES / 8`` per array.

        Kept by :mod:`dsn_model._kept`: shared by models whose features and router are
        the same byte for byte, outside the model's ``__dict__``; the values are those
        :meth:`_active_features` gives, so predictions are unchanged.
        """
        width = self.features_.n_units if self.router_ is None else self.sparsity_
        if len(X) * width * 12 > _ROUTING_CACHE_BYTES // 8:
            return None
        if not _kept.holds(self):  # e.g. a model loaded or copied after its fit
            _kept.hold(self, _kept.fingerprint(type(self).__name__, self.features_, self.router_))
        return _kept.kept(self, X, self._features_of)

    def _features_of(self, X):
        step = self._block_rows()
        parts = [self._active_features(X[i : i + step]) for i in range(0, len(X), step)]
        units = None if parts[0][0] is None else np.concatenate([u for u, _ in parts])
        return units, np.concatenate([v for _, v in parts])

    def _chunk_routing(self, X) -> np.ndarray | None:
        """The active units of every row of ``X`` for a feature-routed (Top-K) model, kept
        across Adam epochs over the same chunk; ``None`` for other models (their routing
        is cheap or absent) or if it would take more than ``_ROUTING_CACHE_BYTES``.

        Routing a row needs all ``t`` features and a selection; an epoch only needs the
        features of the ``s`` units, so it reads them from features it computes anyway.
        The chunk is recognised by its shape and a digest of its bytes.
        """
        router = self._layer.router
        if self.router_ is None or not router.uses_features:
            return None
        cache = getattr(self, "_routing_cache", None)  # a pickled model has none
        t, s = self.features_.n_units, self.sparsity_
        dtype = np.int32 if t < 1 << 31 else np.int64
        if len(X) * s * np.dtype(dtype).itemsize > _ROUTING_CACHE_BYTES:
            return None
        X = np.ascontiguousarray(X)
        key = (X.shape, hashlib.blake2b(X.data, digest_size=16).digest())
        if cache is None or cache[0] != key:
            routed = np.empty((len(X), s), dtype=dtype)
            step = self._block_rows()
            for start in range(0, len(X), step):
                block = X[start : start + step]
                routed[start : start + step] = self._layer.forward(block)[0].units
            self._routing_cache = (key, routed)
        return self._routing_cache[1]

    def __getstate__(self):
        """The state without the routing kept for Adam epochs and the solutions kept along
        a penalty path: a copy or a pickle does not carry them (recomputed when needed)."""
        state = super().__getstate__()
        state.pop("_routing_cache", None)
        state.pop("_solved", None)
        return state

    def refit_top_layer(self):
        """Solve the top layer again from the sums kept so far, with the current ``alpha``.

        No pass over the data: ``set_params(alpha=a).refit_top_layer()`` for a grid of
        ``a`` walks a ridge penalty path for the cost of a few Cholesky solves (how the
        reproduction chooses ``alpha`` on a validation split). ``solver="exact"`` only.

        Examples
        --------
        >>> import numpy as np
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

    def _set_top(self, coef, intercept, Y_ndim: int) -> None:
        if Y_ndim == 1:
            self.coef_, self.intercept_ = coef[:, 0], float(intercept[0])
        else:
            self.coef_, self.intercept_ = coef, intercept
        coef = np.reshape(self.coef_, (self.features_.n_units, -1))
        if coef.shape[1] == 1:  # one output: the fitted model is exactly this DSM
            bias = float(np.ravel(self.intercept_)[0])
            self.dsm_ = DSM(self.features_, self._layer.router, coef[:, 0], output_bias=bias)
        else:
            self.dsm_ = None  # a DSM has one output; this model has one per class

    def to_dsm(self) -> DSM:
        """The fitted model as the DSM it is: ``to_dsm().predict(X)`` equals the decision value.

        Raises
        ------
        ValueError
            For a classifier of more than two classes (a DSM has one output).
        """
        check_is_fitted(self, "coef_")
        if self.dsm_ is None:
            raise ValueError("a DSM has one output; this classifier has one per class.")
        return self.dsm_

    def _flops_dsm(self) -> DSM:
        """The DSM of the first output (the routing and features every output shares)."""
        check_is_fitted(self, "coef_")
        coef = np.reshape(self.coef_, (self.features_.n_units, -1))
        bias = float(np.ravel(self.intercept_)[0])
        return DSM(self.features_, self._layer.router, coef[:, 0], output_bias=bias)

    def _extra_output_flops(self) -> int:
        """Each output beyond the first reads the same active units: 2 per edge and its bias."""
        check_is_fitted(self, "coef_")
        outputs = 1 if np.ndim(self.coef_) == 1 else self.coef_.shape[1]
        return 2 * (self.sparsity_ + 1) * (outputs - 1)

    def _decision(self, X):
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self._scores(X)


class _Regressor(RegressorMixin, _RandomFeatureModel):
    def fit(self, X, y):
        """Draw the bottom layer, route, and fit the top layer (exactly, or by Adam)."""
        check_numeric_targets(y)
        X, y = validate_data(self, X, y, reset=True, dtype=np.float64, y_numeric=True)
        self._fit_features(X)
        self._train(X, y.reshape(-1, 1), 1, first=True, epochs=self.epochs)
        return self

    def partial_fit(self, X, y):
        """Add a chunk: the normal-equation sums merge and the top layer is re-solved exactly
        (``solver="adam"``: one more epoch over the chunk).

        A chunk that fails validation (another number of features, NaN) leaves
        the model as it was.
        """
        first = not hasattr(self, "features_")
        check_numeric_targets(y)
        X, y = validate_data(self, X, y, reset=first, dtype=np.float64, y_numeric=True)
        if first:
            self._fit_features(X)
        self._train(X, y.reshape(-1, 1), 1, first=first, epochs=1)
        return self

    def predict(self, X):
        """Predictions of the fitted model."""
        return self._decision(X)[:, 0]


class _Classifier(ClassifierMixin, _RandomFeatureModel):
    def fit(self, X, y):
        """Ridge regression on one-hot targets over the (masked) random features."""
        X, y = validate_data(self, X, y, reset=True, dtype=np.float64)
        check_classification_targets(y)
        self._binarizer = LabelBinarizer(neg_label=-1, pos_label=1)
        Y = self._binarizer.fit_transform(y).astype(np.float64)
        self.classes_ = self._binarizer.classes_
        self._fit_features(X)
        self._train(X, Y, 2, first=True, epochs=self.epochs)
        return self

    def partial_fit(self, X, y, classes=None):
        """Add a chunk; ``classes`` (every label) is required on the first call.

        The normal-equation sums merge exactly, so chunks give the model ``fit``
        gives on their union. A chunk that fails validation leaves it unchanged.
        """
        first = not hasattr(self, "features_")
        X, y = validate_data(self, X, y, reset=first, dtype=np.float64)
        check_classification_targets(y)
        if first:
            if classes is None:
                raise ValueError("`classes` must list every label on the first partial_fit.")
            binarizer = LabelBinarizer(neg_label=-1, pos_label=1).fit(classes)
        else:
            binarizer = self._binarizer
        unknown = np.setdiff1d(y, binarizer.classes_)
        if unknown.size:
            raise ValueError(f"`y` holds labels not in `classes`: {unknown.tolist()}.")
        Y = binarizer.transform(y).astype(np.float64)
        if first:
            self._binarizer, self.classes_ = binarizer, binarizer.classes_
            self._fit_features(X)
        self._train(X, Y, 2, first=first, epochs=1)
        return self

    def decision_function(self, X):
        """One score per class (one column for two classes)."""
        scores = self._decision(X)
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """The class with the highest score."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]


class _PoorFitTags:
    """A uniform hash scatters similar inputs: scikit-learn's checks expect a poor fit."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        for kind in ("regressor_tags", "classifier_tags"):
            if getattr(tags, kind, None) is not None:
                getattr(tags, kind).poor_score = True
        return tags


_DENSE_CONSTRAINTS = {
    "n_units": [Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions(set(ACTIVATIONS))],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "solver": [StrOptions({"exact", "adam"})],
    "epochs": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "random_state": ["random_state", np.random.Generator],
}


class _DenseParams:
    """The parameters of a dense model: every one of ``n_units`` is active."""

    _parameter_constraints: ClassVar[dict] = _DENSE_CONSTRAINTS

    def __init__(
        self,
        n_units=256,
        activation="relu",
        alpha=1e-6,
        solver="exact",
        epochs=20,
        batch_size=256,
        learning_rate=1e-3,
        random_state=None,
    ):
        self.n_units = n_units
        self.activation = activation
        self.alpha = alpha
        self.solver = solver
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.random_state = random_state


class _SparseParams:
    """The parameters of a sparse model: ``sparsity`` of ``n_units`` units per input."""

    _parameter_constraints: ClassVar[dict] = {
        **_DENSE_CONSTRAINTS,
        "sparsity": [Interval(Integral, 1, None, closed="left"), None],
        "n_active": [
            Interval(Integral, 1, None, closed="left"),
            None,
            Hidden(StrOptions({"deprecated"})),
        ],
    }

    def __init__(
        self,
        n_units=256,
        sparsity=None,
        activation="relu",
        alpha=1e-6,
        solver="exact",
        epochs=20,
        batch_size=256,
        learning_rate=1e-3,
        random_state=None,
        n_active="deprecated",
    ):
        self.n_units = n_units
        self.sparsity = sparsity
        self.n_active = n_active
        self.activation = activation
        self.alpha = alpha
        self.solver = solver
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.random_state = random_state


class DenseRegressor(_DenseParams, _Regressor):
    """Dense random-feature regression: every unit active (the paper's dense baseline).

    Parameters
    ----------
    n_units : int, default=256
        ``t``, width of the fixed random layer ``sigma(B x + c)``; all active.
    activation : {"relu", "identity", "sign", "tanh"}, default="relu"
    alpha : float, default=1e-6
        Ridge penalty per sample on the top layer.
    solver : {"exact", "adam"}, default="exact"
        ``"exact"`` solves the ridge problem (streamed normal equations,
        Cholesky); ``"adam"`` minimises the same objective with Adam over
        shuffled minibatches for ``epochs`` epochs (the paper's protocol), by
        scikit-learn's ``MLPRegressor(hidden_layer_sizes=())`` on the masked
        features. With ``"adam"``, :meth:`partial_fit` runs one more epoch
        over the chunk it is given.
    epochs : int, default=20
        Passes over the data of :meth:`fit` with ``solver="adam"``.
    batch_size : int, default=256
        Minibatch rows with ``solver="adam"``.
    learning_rate : float, default=1e-3
        Adam's step size.
    random_state : None, int or numpy Generator
        Draws the bottom layer; the same seed gives the same model.

    Attributes
    ----------
    features_ : RandomFeatures
        The fixed bottom layer.
    router_ : None
        No routing: every unit is active.
    coef_ : ndarray (n_units,)
    intercept_ : float
        The top layer (solved exactly, or trained by Adam).
    dsm_ : DSM
        The fitted model as a DSM (see :meth:`to_dsm`).
    sparsity_ : int
    n_params_ : int
        Trainable parameters: the top layer and the intercept.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).uniform(-1, 1, (500, 3))
    >>> model = DenseRegressor(n_units=128, random_state=0).fit(X, np.sin(3 * X[:, 0]))
    >>> bool(model.score(X, np.sin(3 * X[:, 0])) > 0.8), model.sparsity_
    (True, 128)
    """


class DSMRegressor(_SparseParams, _Regressor):
    """The paper's DSM: a Top-K layer keeps the ``sparsity`` largest of ``n_units`` features.

    Routing computes every feature (the Top-K cost the paper's FLOPs leave out);
    the read-out sees only the ``sparsity`` kept ones.

    Parameters
    ----------
    n_units : int, default=256
        ``t``, width of the fixed random layer ``sigma(B x + c)``.
    sparsity : int, optional
        ``s``, active units per input; default ``max(1, n_units // 4)``.
    n_active : int, optional
        The former name of ``sparsity`` (deprecated: a ``FutureWarning``).
    activation : {"relu", "identity", "sign", "tanh"}, default="relu"
    alpha : float, default=1e-6
        Ridge penalty per sample on the top layer.
    solver : {"exact", "adam"}, default="exact"
        ``"exact"`` solves the ridge problem (streamed normal equations,
        Cholesky); ``"adam"`` minimises the same objective with Adam over
        shuffled minibatches for ``epochs`` epochs (the paper's protocol), by
        scikit-learn's ``MLPRegressor(hidden_layer_sizes=())`` on the masked
        features. With ``"adam"``, :meth:`partial_fit` runs one more epoch
        over the chunk it is given. The Top-K units of a chunk are selected
        once and kept across its epochs (and ``partial_fit`` calls on the same
        data, up to 256 MiB of units, not copied or pickled with the model);
        each epoch reads their features.
    epochs : int, default=20
        Passes over the data of :meth:`fit` with ``solver="adam"``.
    batch_size : int, default=256
        Minibatch rows with ``solver="adam"``.
    learning_rate : float, default=1e-3
        Adam's step size.
    random_state : None, int or numpy Generator
        Draws the bottom layer; the same seed gives the same model.

    Attributes
    ----------
    features_ : RandomFeatures
    router_ : TopKRouter
    coef_ : ndarray (n_units,)
    intercept_ : float
    dsm_ : DSM
        The fitted model as a DSM (see :meth:`to_dsm`).
    sparsity_ : int
    n_params_ : int
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).uniform(-1, 1, (500, 3))
    >>> model = DSMRegressor(n_units=128, random_state=0).fit(X, np.sin(3 * X[:, 0]))
    >>> bool(model.score(X, np.sin(3 * X[:, 0])) > 0.8), model.sparsity_
    (True, 32)
    """

    def _make_router(self, d, t, s, rng):
        return TopKRouter(t, s)


class RandomHashRegressor(_SparseParams, _PoorFitTags, _Regressor):
    """Random-hash sparse regression: a uniform hash of the input picks ``sparsity`` units.

    Data dependent but not locality preserving (the paper's Fig. 4 contrast).

    Parameters
    ----------
    n_units : int, default=256
        ``t``, width of the fixed random layer ``sigma(B x + c)``.
    sparsity : int, optional
        ``s``, active units per input; default ``max(1, n_units // 4)``.
    n_active : int, optional
        The former name of ``sparsity`` (deprecated: a ``FutureWarning``).
    activation : {"relu", "identity", "sign", "tanh"}, default="relu"
    alpha : float, default=1e-6
        Ridge penalty per sample on the top layer.
    solver : {"exact", "adam"}, default="exact"
        ``"exact"`` solves the ridge problem (streamed normal equations,
        Cholesky); ``"adam"`` minimises the same objective with Adam over
        shuffled minibatches for ``epochs`` epochs (the paper's protocol), by
        scikit-learn's ``MLPRegressor(hidden_layer_sizes=())`` on the masked
        features. With ``"adam"``, :meth:`partial_fit` runs one more epoch
        over the chunk it is given.
    epochs : int, default=20
        Passes over the data of :meth:`fit` with ``solver="adam"``.
    batch_size : int, default=256
        Minibatch rows with ``solver="adam"``.
    learning_rate : float, default=1e-3
        Adam's step size.
    random_state : None, int or numpy Generator
        Draws the bottom layer and the hash; the same seed gives the same model.

    Attributes
    ----------
    features_ : RandomFeatures
    router_ : UniformHashRouter
    coef_ : ndarray (n_units,)
    intercept_ : float
    dsm_ : DSM
    sparsity_ : int
    n_params_ : int
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).uniform(-1, 1, (500, 3))
    >>> model = RandomHashRegressor(n_units=128, random_state=0).fit(X, np.sin(3 * X[:, 0]))
    >>> bool(model.score(X, np.sin(3 * X[:, 0])) > 0.2), model.sparsity_
    (True, 32)
    """

    def _make_router(self, d, t, s, rng):
        return UniformHashRouter.random(d, t, s, random_state=rng)


class DenseClassifier(_DenseParams, _Classifier):
    """Dense random-feature classifier: ridge regression on one-hot (+-1) targets.

    Parameters
    ----------
    n_units : int, default=256
        ``t``, width of the fixed random layer; all active.
    activation : {"relu", "identity", "sign", "tanh"}, default="relu"
    alpha : float, default=1e-6
        Ridge penalty per sample on the top layer.
    solver : {"exact", "adam"}, default="exact"
        ``"exact"`` solves the ridge problem (streamed normal equations,
        Cholesky); ``"adam"`` minimises the same objective with Adam over
        shuffled minibatches for ``epochs`` epochs (the paper's protocol), by
        scikit-learn's ``MLPRegressor(hidden_layer_sizes=())`` on the masked
        features. With ``"adam"``, :meth:`partial_fit` runs one more epoch
        over the chunk it is given.
    epochs : int, default=20
        Passes over the data of :meth:`fit` with ``solver="adam"``.
    batch_size : int, default=256
        Minibatch rows with ``solver="adam"``.
    learning_rate : float, default=1e-3
        Adam's step size.
    random_state : None, int or numpy Generator

    Attributes
    ----------
    classes_ : ndarray
    features_ : RandomFeatures
    router_ : None
    coef_ : ndarray (n_units,) or (n_units, n_classes)
    intercept_ : float or ndarray (n_classes,)
    dsm_ : DSM or None
        The fitted model as a DSM for two classes; None for more (one output per class).
    sparsity_ : int
    n_params_ : int
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).uniform(-1, 1, (500, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> model = DenseClassifier(n_units=128, random_state=0).fit(X, y)
    >>> bool(model.score(X, y) > 0.8), model.sparsity_
    (True, 128)
    """


class DSMClassifier(_SparseParams, _Classifier):
    """Top-K DSM classifier: ridge on one-hot targets over the ``sparsity`` largest features.

    Parameters
    ----------
    n_units : int, default=256
        ``t``, width of the fixed random layer.
    sparsity : int, optional
        ``s``, active units per input; default ``max(1, n_units // 4)``.
    n_active : int, optional
        The former name of ``sparsity`` (deprecated: a ``FutureWarning``).
    activation : {"relu", "identity", "sign", "tanh"}, default="relu"
    alpha : float, default=1e-6
    solver, epochs, batch_size, learning_rate : as for :class:`DenseRegressor`
    random_state : None, int or numpy Generator

    Attributes
    ----------
    classes_, features_, router_, coef_, intercept_, dsm_, sparsity_, n_params_,
    n_features_in_ : as for :class:`DenseClassifier`; ``router_`` is a TopKRouter.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).uniform(-1, 1, (500, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> model = DSMClassifier(n_units=128, random_state=0).fit(X, y)
    >>> bool(model.score(X, y) > 0.8), model.sparsity_
    (True, 32)
    """

    def _make_router(self, d, t, s, rng):
        return TopKRouter(t, s)


class RandomHashClassifier(_SparseParams, _PoorFitTags, _Classifier):
    """Random-hash sparse classifier: a uniform hash picks ``sparsity`` units.

    Parameters
    ----------
    n_units : int, default=256
        ``t``, width of the fixed random layer.
    sparsity : int, optional
        ``s``, active units per input; default ``max(1, n_units // 4)``.
    n_active : int, optional
        The former name of ``sparsity`` (deprecated: a ``FutureWarning``).
    activation : {"relu", "identity", "sign", "tanh"}, default="relu"
    alpha : float, default=1e-6
    solver, epochs, batch_size, learning_rate : as for :class:`DenseRegressor`
    random_state : None, int or numpy Generator

    Attributes
    ----------
    classes_, features_, router_, coef_, intercept_, dsm_, sparsity_, n_params_,
    n_features_in_ : as for :class:`DenseClassifier`; ``router_`` is a UniformHashRouter.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).uniform(-1, 1, (500, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> model = RandomHashClassifier(n_units=128, random_state=0).fit(X, y)
    >>> bool(model.score(X, y) > 0.5), model.sparsity_
    (True, 32)
    """

    def _make_router(self, d, t, s, rng):
        return UniformHashRouter.random(d, t, s, random_state=rng)
