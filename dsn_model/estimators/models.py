"""The six random-feature estimators: the paper's dense and sparse models (Section 5).

Parameters and documentation only; fitting is :mod:`.base`'s.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.utils._param_validation import Hidden, Interval, StrOptions

from ..model.features import ACTIVATIONS
from ..model.routers import TopKRouter, UniformHashRouter
from .base import _Classifier, _Regressor

__all__ = [
    "DSMClassifier",
    "DSMRegressor",
    "DenseClassifier",
    "DenseRegressor",
    "RandomHashClassifier",
    "RandomHashRegressor",
]


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
