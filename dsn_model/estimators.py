"""scikit-learn estimators: the paper's dense and sparse models (Section 5) and the LSH model.

All random-feature models share one fixed bottom layer ``phi(x) = sigma(B x + c)``
(:meth:`~dsn_model.features.RandomFeatures.random`, drawn from
``random_state``) and an exactly solved top layer: ridge regression on the
(masked) features, through the normal equations ``(Phi^T Phi + alpha n I) a =
Phi^T y`` (centred, for the intercept) with ``Phi`` stored as a sparse matrix
holding only active units; the Gram matrix is accumulated in dense row blocks
and the system solved by Cholesky.

* :class:`DenseRegressor` -- all ``n_units`` features (the dense baseline);
* :class:`DSMRegressor` -- Top-K: the ``n_active`` largest features of each
  input (the paper's DSM layer; routing needs every feature);
* :class:`RandomHashRegressor` -- a uniform hash of the input picks
  ``n_active`` units (data dependent, not locality preserving);
* classifier counterparts for multi-class data (ridge on one-hot targets:
  exact, fast, and what a linear read-out of fixed features amounts to);
* :class:`~dsn_model.lsh_regressor.LSHRegressor` (re-exported).

Each fitted model reports ``n_active_units_``, ``n_params_`` and
:meth:`flops_per_sample` in both accountings of :class:`~dsn_model.dsm.FlopCount`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sps
from scipy.linalg import solve
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._validation import as_rng, check_numeric_targets, check_positive_int
from .dsm import DSM
from .features import RandomFeatures
from .lsh_regressor import LSHRegressor
from .routers import TopKRouter, UniformHashRouter

__all__ = [
    "DSMClassifier",
    "DSMRegressor",
    "DenseClassifier",
    "DenseRegressor",
    "LSHRegressor",
    "RandomHashClassifier",
    "RandomHashRegressor",
]

_ROWS = 4096  # rows of features materialised at a time


class _RandomFeatureModel(BaseEstimator):
    """Shared fit/predict of the random-feature models; subclasses pick the router."""

    def __init__(
        self, n_units=256, n_active=None, activation="relu", alpha=1e-6, random_state=None
    ):
        self.n_units = n_units
        self.n_active = n_active
        self.activation = activation
        self.alpha = alpha
        self.random_state = random_state

    # Subclasses set ``_router(self, d, t, s, rng) -> Router | None`` (None: dense).

    def _active(self) -> int:
        t = check_positive_int(self.n_units, "n_units")
        if self._sparse:
            s = check_positive_int(
                self.n_active if self.n_active is not None else t // 4, "n_active"
            )
            if s > t:
                raise ValueError(f"`n_active` must be <= n_units={t}. Got {s}.")
            return s
        return t

    _sparse = True

    def _design(self, X):
        """The masked features as a CSR matrix ``(n, t)``."""
        t = self.features_.n_units
        if self.router_ is None:
            return sps.csr_matrix(self.features_.transform(X))
        blocks = []
        for start in range(0, len(X), _ROWS):
            Xc = X[start : start + _ROWS]
            routing, values = self.dsm_.layers[0].forward(Xc)
            s = routing.slots
            indptr = np.arange(0, len(Xc) * s + 1, s)
            blocks.append(
                sps.csr_matrix(
                    (values.ravel(), np.maximum(routing.units, 0).ravel(), indptr),
                    shape=(len(Xc), t),
                )
            )
        return sps.vstack(blocks, format="csr")

    def _fit_features(self, X):
        d = X.shape[1]
        t = check_positive_int(self.n_units, "n_units")
        s = self._active()
        if (
            isinstance(self.alpha, bool)
            or not isinstance(self.alpha, int | float)
            or not (self.alpha >= 0)
        ):
            raise ValueError(f"`alpha` must be a number >= 0. Got {self.alpha!r}.")
        rng = as_rng(self.random_state)
        self.features_ = RandomFeatures.random(d, t, activation=self.activation, random_state=rng)
        self.router_ = self._router(d, t, s, rng)
        self.n_active_units_ = s
        self.n_params_ = t + 1

    def _solve(self, Phi, Y):
        """Ridge with intercept on sparse features: exact (centred) normal equations."""
        Y2 = Y.reshape(len(Y), -1)
        n = len(Y2)
        mean = np.asarray(Phi.mean(axis=0)).ravel()
        y_mean = Y2.mean(axis=0)
        G = _gram(Phi) - n * np.outer(mean, mean)
        G[np.diag_indices_from(G)] += self.alpha * n + 1e-12 * max(1.0, np.trace(G) / len(G))
        rhs = Phi.T @ Y2 - n * np.outer(mean, y_mean)
        coef = solve(G, rhs, assume_a="pos")
        intercept = y_mean - mean @ coef
        if Y.ndim == 1:
            return coef[:, 0], float(intercept[0])
        return coef, intercept

    def _build_dsm(self):
        router = (
            self.router_
            if self.router_ is not None
            else TopKRouter(self.features_.n_units, self.features_.n_units)
        )
        self.dsm_ = DSM(self.features_, router, np.zeros(self.features_.n_units))

    def _decision(self, X):
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self._design(X) @ self.coef_ + self.intercept_

    def flops_per_sample(self) -> dict:
        """FLOPs of one prediction: ``paper`` (active units + read-out) and ``routing``.

        A biased random-feature unit costs ``2 (d + 1)`` (Table 1's count), the
        read-out 2 per active unit; Top-K routing computes the other ``t - s``
        features; hashing costs no FLOPs.
        """
        check_is_fitted(self, "coef_")
        d, t, s = self.n_features_in_, self.features_.n_units, self.n_active_units_
        outputs = 1 if np.ndim(self.coef_) == 1 else self.coef_.shape[1]
        paper = 2 * s * (d + 1) + 2 * s * outputs
        routing = 2 * (t - s) * (d + 1) if isinstance(self.router_, TopKRouter) else 0
        return {"paper": paper, "routing": routing, "total": paper + routing}


class _Regressor(RegressorMixin, _RandomFeatureModel):
    def fit(self, X, y):
        """Draw the bottom layer, route, and solve the top layer exactly."""
        check_numeric_targets(y)
        X, y = validate_data(self, X, y, reset=True, dtype=np.float64, y_numeric=True)
        self._fit_features(X)
        self._build_dsm()
        self.coef_, self.intercept_ = self._solve(self._design(X), y)
        return self

    def predict(self, X):
        """Predictions of the fitted model."""
        return self._decision(X)


class _Classifier(ClassifierMixin, _RandomFeatureModel):
    def fit(self, X, y):
        """Ridge regression on one-hot targets over the (masked) random features."""
        X, y = validate_data(self, X, y, reset=True, dtype=np.float64)
        check_classification_targets(y)
        self._binarizer = LabelBinarizer(neg_label=-1, pos_label=1)
        Y = self._binarizer.fit_transform(y).astype(np.float64)
        self.classes_ = self._binarizer.classes_
        self._fit_features(X)
        self._build_dsm()
        self.coef_, self.intercept_ = self._solve(self._design(X), Y)
        return self

    def decision_function(self, X):
        """One score per class (one column for two classes)."""
        scores = self._decision(X)
        return scores.ravel() if scores.ndim == 2 and scores.shape[1] == 1 else scores

    def predict(self, X):
        """The class with the highest score."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]


def _gram(Phi) -> np.ndarray:
    """``Phi^T Phi`` of a CSR design, accumulated over dense row blocks with BLAS.

    A sparse-sparse product costs ``n s^2`` scattered updates, dense blocks
    ``n t^2`` flops at BLAS speed (measured here: about 300 times cheaper per
    operation), so the sparse product is used only when ``t / s > 16``.
    """
    n, t = Phi.shape
    if n and t > 16 * max(1, Phi.nnz // n):
        return (Phi.T @ Phi).toarray()
    G = np.zeros((t, t))
    step = max(1, (1 << 22) // t)
    for start in range(0, Phi.shape[0], step):
        block = Phi[start : start + step].toarray()
        G += block.T @ block
    return G


def _dense(cls):
    cls._sparse = False
    cls._router = lambda self, d, t, s, rng: None
    return cls


def _topk(cls):
    cls._router = lambda self, d, t, s, rng: TopKRouter(t, s)
    return cls


def _hash(cls):
    cls._router = lambda self, d, t, s, rng: UniformHashRouter.random(d, t, s, random_state=rng)

    def __sklearn_tags__(self):  # a hash scatters similar inputs: a poor fit by design
        tags = super(cls, self).__sklearn_tags__()
        for kind in ("regressor_tags", "classifier_tags"):
            if getattr(tags, kind, None) is not None:
                getattr(tags, kind).poor_score = True
        return tags

    cls.__sklearn_tags__ = __sklearn_tags__
    return cls


_DOC = """{summary}

    Parameters
    ----------
    n_units : int, default=256
        ``t``, width of the fixed random layer ``sigma(B x + c)``.
    n_active : int, optional
        {active}
    activation : {{"relu", "identity", "sign", "tanh"}}, default="relu"
    alpha : float, default=1e-6
        Ridge penalty per sample on the top layer.
    random_state : None, int or numpy Generator

    Attributes
    ----------
    coef_, intercept_ : the exactly solved top layer
    n_active_units_ : int
    n_params_ : int
        Trainable parameters (top layer and intercept).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).uniform(-1, 1, (500, 3))
    >>> y = np.sin(3 * X[:, 0]) if {regressor} else (X[:, 0] > 0).astype(int)
    >>> model = {name}(n_units=128, random_state=0).fit(X, y)
    >>> bool(model.score(X, y) > {threshold}), model.n_active_units_
    (True, {active_value})
"""


@_dense
class DenseRegressor(_Regressor):
    pass


@_topk
class DSMRegressor(_Regressor):
    pass


@_hash
class RandomHashRegressor(_Regressor):
    pass


@_dense
class DenseClassifier(_Classifier):
    pass


@_topk
class DSMClassifier(_Classifier):
    pass


@_hash
class RandomHashClassifier(_Classifier):
    pass


for _cls, _summary, _active_doc, _value in [
    (
        DenseRegressor,
        "Dense random-feature regression: every unit active.",
        "Ignored: all ``n_units`` are active.",
        128,
    ),
    (
        DSMRegressor,
        "The paper's DSM: a Top-K layer keeps the ``n_active`` largest features.",
        "``s``, active units per input; default ``n_units // 4``.",
        32,
    ),
    (
        RandomHashRegressor,
        "Random-hash sparse regression: a uniform hash picks the units.",
        "``s``, active units per input; default ``n_units // 4``.",
        32,
    ),
    (
        DenseClassifier,
        "Dense random-feature classifier (ridge on one-hot targets).",
        "Ignored: all ``n_units`` are active.",
        128,
    ),
    (
        DSMClassifier,
        "Top-K DSM classifier (ridge on one-hot targets).",
        "``s``, active units per input; default ``n_units // 4``.",
        32,
    ),
    (
        RandomHashClassifier,
        "Random-hash sparse classifier (ridge on one-hot targets).",
        "``s``, active units per input; default ``n_units // 4``.",
        32,
    ),
]:
    _cls.__doc__ = _DOC.format(
        summary=_summary,
        active=_active_doc,
        name=_cls.__name__,
        active_value=_value,
        regressor=issubclass(_cls, _Regressor),
        threshold=0.2 if _cls is RandomHashRegressor else 0.8,
    )  # hashing fits worst
