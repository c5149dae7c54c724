"""What the random-feature models share: the drawn bottom layer, the routing, prediction
from active features only, and the fitted model as the DSM it is; the top layer is
solved exactly (:mod:`.ridge`) or by Adam (:mod:`.adam`).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import _kept
from .._validation import as_rng, check_memory, check_numeric_targets
from ..model.dsm import DSM, SparseLayer
from ..model.features import RandomFeatures
from ..model.fitted import FittedDSMMixin
from ..model.routers import Router, TopKRouter
from .adam import _AdamTopLayer
from .ridge import _RidgeTopLayer, sparse_gram_pays

#: Features a prediction computes and reads out at a time: blocks that stay in cache (a
#: dense layer of 1,024 units, d = 8, batch 1e4, one thread: 1.3 us per sample with 512 KiB
#: blocks, 2.0 with 4 MiB ones).
_READ_BYTES = 1 << 19


class _RandomFeatureModel(_RidgeTopLayer, _AdamTopLayer, FittedDSMMixin, BaseEstimator):
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

    def _block_rows(self, nbytes: int = 4 << 20, least: int = 64) -> int:
        """Rows per block of features: about ``nbytes`` (4 MiB: a rank-k update's blocks),
        at least ``least``."""
        return max(least, nbytes // (8 * self.features_.n_units))

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

    def _scores(self, X):
        """``Phi(X) @ coef_ + intercept_`` block by block, from the active features only.

        A one-output Top-K or uniform-hash model reads an array out by the layer's fused read-out
        (:meth:`~dsn_model.model.dsm.SparseLayer.read_out`) until the array comes again:
        from then on its active features are kept (:meth:`_kept_features`)."""
        coef = self.coef_.reshape(self.features_.n_units, -1)
        fused = coef.shape[1] == 1 and self.router_ is not None and self._layer.reads_out
        kept = self._kept_features(X, defer=fused)  # an array read once: no units kept
        if kept is None and fused:
            out = self._layer.read_out(X, coef[:, 0])
            return out[:, None] + np.reshape(self.intercept_, (1, -1))
        out = np.empty((len(X), coef.shape[1]))
        step = len(X) if kept is not None else self._block_rows(_READ_BYTES, least=16)
        for start in range(0, len(X), max(1, step)):
            units, values = kept or self._active_features(X[start : start + step])
            if units is None:
                out[start : start + step] = values @ coef
            elif fused:  # summed as the fused read-out sums: the same value either way
                out[start : start + step, 0] = self._layer.read_out_rows(units, values, coef[:, 0])
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
            self._start_adam()
        for _ in range(epochs):
            self._adam_epoch(X, Y)
        coef, intercept = self._adam.coefs_[0], self._adam.intercepts_[0]
        self._set_top(coef.reshape(len(coef), -1), np.atleast_1d(intercept), Y_ndim)

    def __getstate__(self):
        """The state without the routing kept for Adam epochs and the solutions kept along
        a penalty path: a copy or a pickle does not carry them (recomputed when needed)."""
        state = super().__getstate__()
        state.pop("_routing_cache", None)
        state.pop("_solved", None)
        return state

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
