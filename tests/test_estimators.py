"""Baseline estimators: scikit-learn conformance, exact top layers, FLOP accounting."""

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from dsn_model import _kept
from dsn_model.estimators import (
    DenseClassifier,
    DenseRegressor,
    DSMClassifier,
    DSMRegressor,
    RandomHashClassifier,
    RandomHashRegressor,
)
from dsn_model.targets import RandomPolynomial

SMALL = {"n_units": 24, "sparsity": 6, "random_state": 0}


@parametrize_with_checks(
    [
        DenseRegressor(n_units=24, random_state=0),
        DSMRegressor(**SMALL),
        RandomHashRegressor(**SMALL),
        DenseClassifier(n_units=24, random_state=0),
        DSMClassifier(**SMALL),
        RandomHashClassifier(**SMALL),
    ]
)
def test_scikit_learn_estimator_checks(estimator, check):
    # No check is skipped by us; scikit-learn skips its array-API and pandas
    # checks itself when those optional packages are missing.
    check(estimator)


def test_top_layer_is_the_exact_ridge_solution():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (400, 3))
    y = np.sin(2 * X[:, 0]) + X[:, 1]
    model = DSMRegressor(n_units=40, sparsity=10, alpha=1e-3, random_state=1).fit(X, y)
    masked = model.dsm_.mask(X) * model.features_.transform(X)  # independent dense design
    ridge = Ridge(alpha=1e-3 * len(X), solver="cholesky").fit(masked, y)
    np.testing.assert_allclose(model.coef_, ridge.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(model.predict(X), ridge.predict(masked), rtol=1e-8, atol=1e-9)


def test_sparse_beats_dense_and_hash_is_worst_on_the_random_polynomial():
    """The paper's ordering at equal active units (Fig. 4), one seed, sizes for CI."""
    rng = np.random.default_rng(2)
    f = RandomPolynomial(8, 4, random_state=2)
    X, Xt = rng.uniform(-1, 1, (8000, 8)), rng.uniform(-1, 1, (4000, 8))
    y, yt = f(X), f(Xt)

    def mse(model):
        return np.mean((model.fit(X, y).predict(Xt) - yt) ** 2) / yt.var()

    dense = mse(DenseRegressor(n_units=64, random_state=0))
    dsm = mse(DSMRegressor(n_units=512, sparsity=64, random_state=0))
    hashed = mse(RandomHashRegressor(n_units=512, sparsity=64, random_state=0))
    assert dsm < dense < hashed


def test_flops_follow_table_1():
    X = np.random.default_rng(0).uniform(-1, 1, (50, 8))
    y = X[:, 0]
    dense = DenseRegressor(n_units=1024, random_state=0).fit(X, y).flops_per_sample()
    assert dense.paper[0] - 2 * 1024 - 2 == 18432  # 2 (n + 1) w, plus read-out and bias
    dsm = DSMRegressor(n_units=2048, sparsity=1024, random_state=0).fit(X, y).flops_per_sample()
    assert dsm.paper[0] == dense.paper[0] and dsm.routing[0] == 2 * 1024 * 9
    hashed = RandomHashRegressor(n_units=2048, sparsity=1024, random_state=0).fit(X, y)
    assert hashed.flops_per_sample().routing.tolist() == [0]
    assert hashed.n_params_ == 2049 and hashed.sparsity_ == 1024


@pytest.mark.parametrize("n_classes", [2, 3])
def test_flops_of_a_classifier_count_every_output(n_classes):
    X = np.random.default_rng(1).uniform(-1, 1, (90, 5))
    y = np.arange(90) % n_classes
    model = DSMClassifier(n_units=40, sparsity=10, random_state=0).fit(X, y)
    outputs = 1 if n_classes == 2 else n_classes  # one decision value for two classes
    s, d = 10, 5
    paper = 2 * s * (d + 1) + 2 * (s + 1) * outputs  # features, then read-out + bias per output
    assert model.flops_per_sample(X[:3]).paper.tolist() == [paper] * 3
    assert model.flops_per_sample().routing.tolist() == [2 * (40 - s) * (d + 1)]


def test_the_former_names_of_sparsity_still_work_with_a_warning():
    """``n_active`` (parameter) and ``n_active_units_`` (fitted) are the former names of
    ``sparsity`` and ``sparsity_``: they give the same model, with a FutureWarning."""
    rng = np.random.default_rng(0)
    X, y = rng.uniform(-1, 1, (200, 3)), rng.normal(size=200)
    new = DSMRegressor(n_units=32, sparsity=8, random_state=0).fit(X, y)
    with pytest.warns(FutureWarning, match="`n_active` is now called `sparsity`"):
        old = DSMRegressor(n_units=32, n_active=8, random_state=0).fit(X, y)
    np.testing.assert_array_equal(old.predict(X), new.predict(X))
    with pytest.warns(FutureWarning, match="`n_active_units_` is now called `sparsity_`"):
        assert old.n_active_units_ == new.sparsity_ == 8


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"n_units": 0}, "n_units"),
        ({"n_units": 8, "sparsity": 9}, "sparsity"),
        ({"sparsity": 0}, "sparsity"),
        ({"sparsity": 4, "n_active": 4}, "sparsity` only"),
        ({"alpha": -1.0}, "alpha"),
        ({"activation": "gelu"}, "activation"),
    ],
)
def test_bad_parameters_name_the_parameter(params, name):
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match=name):
        DSMRegressor(**params).fit(X, np.arange(10.0))


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: DenseRegressor(n_units=32, **kw),
        lambda **kw: DSMRegressor(n_units=64, sparsity=16, **kw),
    ],
)
def test_adam_minimises_the_same_ridge_objective(make):
    """Adam (lr 1e-2, 400 epochs, seed 0) lands within 10% of the exact ridge coefficients."""
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (2000, 3))
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2]
    exact = make(alpha=1e-3, random_state=0).fit(X, y)
    adam = make(alpha=1e-3, random_state=0, solver="adam", epochs=400, learning_rate=1e-2)
    adam.fit(X, y)
    gap = np.linalg.norm(adam.coef_ - exact.coef_) / np.linalg.norm(exact.coef_)
    assert gap < 0.1
    few = make(alpha=1e-3, random_state=0, solver="adam", epochs=2, learning_rate=1e-2)
    assert np.linalg.norm(few.fit(X, y).coef_ - exact.coef_) > 2 * gap * np.linalg.norm(
        exact.coef_
    )  # two epochs are far from it: the test above is not trivially met
    np.testing.assert_allclose(adam.to_dsm().predict(X), adam.predict(X), rtol=1e-10, atol=1e-10)


def test_adam_partial_fit_is_one_more_epoch():
    X = np.random.default_rng(4).uniform(-1, 1, (700, 3))
    y = X[:, 0] - X[:, 1] ** 2
    kw = {"n_units": 48, "sparsity": 12, "solver": "adam", "batch_size": 64, "random_state": 5}
    three = DSMRegressor(epochs=3, **kw).fit(X, y)
    two_then_one = DSMRegressor(epochs=2, **kw).fit(X, y).partial_fit(X, y)
    np.testing.assert_array_equal(three.coef_, two_then_one.coef_)
    assert three.intercept_ == two_then_one.intercept_


def test_adam_routes_a_chunk_once_and_equals_routing_every_epoch(monkeypatch):
    """Adam epochs over one chunk select the Top-K units once (kept across epochs and
    ``partial_fit`` calls on the same data) and train bit for bit as re-routing each
    epoch does; new data, or the same array changed in place, is routed anew."""
    import dsn_model.estimators.adam as adam
    import dsn_model.model.dsm as selection

    rng = np.random.default_rng(6)
    X, y = rng.uniform(-1, 1, (900, 3)), rng.normal(size=900)
    kw = {"n_units": 96, "sparsity": 8, "solver": "adam", "batch_size": 64, "random_state": 2}
    calls = []
    select = selection.screened_top_k  # the selection of a block of every Top-K route
    monkeypatch.setattr(
        selection, "screened_top_k", lambda *a, **k: calls.append(1) or select(*a, **k)
    )
    cached = DSMRegressor(epochs=3, **kw).fit(X, y).partial_fit(X, y)
    routed_once = len(calls)
    blocks = -(-900 // max(selection._BLOCK_ROWS, selection._BLOCK_BYTES // (8 * 96)))
    assert 0 < routed_once <= blocks  # one pass over the rows
    monkeypatch.setattr(adam, "_ROUTING_CACHE_BYTES", 0)  # nothing fits: route each time
    fresh = DSMRegressor(epochs=3, **kw).fit(X, y).partial_fit(X, y)
    assert len(calls) > 4 * routed_once
    np.testing.assert_array_equal(cached.coef_, fresh.coef_)
    monkeypatch.undo()
    before = cached._kept_features(X)[1].copy()  # the kept features of this chunk
    X[:, 0] *= -1  # in place: the same array now holds other data
    cached.partial_fit(X, y)
    units, values = cached._kept_features(X)
    assert not np.array_equal(values, before)
    expected = DSMRegressor(epochs=1, **kw).fit(X, y)._active_features(X)
    np.testing.assert_array_equal(units, expected[0])
    np.testing.assert_array_equal(values, expected[1])
    import copy
    import pickle

    twins = (pickle.loads(pickle.dumps(cached)), copy.deepcopy(cached))
    cached.partial_fit(X, y)
    for twin in twins:
        assert not _kept.holds(twin)  # kept features are not part of a copy
        assert not hasattr(twin, "_routing_cache")
        np.testing.assert_array_equal(twin.partial_fit(X, y).coef_, cached.coef_)


def test_models_drawn_alike_share_kept_features_and_others_do_not(monkeypatch):
    """A grid of Adam step sizes (same seed: the same features and routing) computes the
    active features of a chunk once; a model of another seed computes its own; the
    entries go with the last model holding them."""
    import gc

    rng = np.random.default_rng(3)
    X, y = rng.uniform(-1, 1, (500, 3)), rng.normal(size=500)
    computed = []
    original = DSMRegressor._features_of
    monkeypatch.setattr(
        DSMRegressor, "_features_of", lambda self, X: computed.append(1) or original(self, X)
    )
    kw = {"n_units": 48, "sparsity": 6, "solver": "adam", "epochs": 2}
    grid = [DSMRegressor(learning_rate=lr, random_state=1, **kw).fit(X, y) for lr in (0.1, 0.01)]
    assert len(computed) == 1
    other = DSMRegressor(learning_rate=0.1, random_state=2, **kw).fit(X, y)
    assert len(computed) == 2
    shared = _kept.fingerprint("DSMRegressor", grid[0].features_, grid[0].router_)
    assert shared in _kept._ENTRIES
    del grid
    gc.collect()
    assert shared not in _kept._ENTRIES and other.predict(X).shape == (500,)


def test_predictions_from_kept_features_equal_fresh_ones_and_leave_the_model_unchanged():
    rng = np.random.default_rng(3)
    X, y = rng.uniform(-1, 1, (500, 4)), rng.normal(size=500)
    for cls in (DSMRegressor, RandomHashRegressor, DenseRegressor):
        model = cls(n_units=64, solver="adam", epochs=2, random_state=0).fit(X, y)
        state = dict(model.__dict__)
        first = model.predict(X)  # computes and keeps X's features
        assert _kept.holds(model) and model.__dict__.keys() == state.keys()
        _kept.release(model)
        np.testing.assert_array_equal(model.predict(X), first)  # recomputed: the same


def test_a_penalty_path_back_at_a_solved_value_is_not_factorised_again(monkeypatch):
    """Walking a ridge path back to a penalty solved on the same sums gives its solution
    without a Cholesky factorisation; new rows (new sums) factorise again; the kept
    solution is a copy, so changing ``coef_`` in place does not reach it."""
    import dsn_model.estimators.ridge as ridge

    rng = np.random.default_rng(4)
    X, y = rng.uniform(-1, 1, (400, 3)), rng.normal(size=400)
    factorised = []
    original = ridge.cho_factor
    monkeypatch.setattr(
        ridge, "cho_factor", lambda *a, **k: factorised.append(1) or original(*a, **k)
    )
    model = DSMRegressor(n_units=32, sparsity=8, alpha=1e-3, random_state=0).fit(X, y)
    first = model.coef_.copy()
    model.set_params(alpha=1e-1).refit_top_layer()
    assert len(factorised) == 2 and not np.array_equal(model.coef_, first)
    model.coef_[:] = 0.0
    model.set_params(alpha=1e-3).refit_top_layer()
    assert len(factorised) == 2
    np.testing.assert_array_equal(model.coef_, first)
    model.partial_fit(X[:40], y[:40])
    assert len(factorised) == 3


def test_unknown_solver_is_a_value_error_naming_it():
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match="solver"):
        DenseRegressor(solver="sgd").fit(X, X[:, 0])


@pytest.mark.parametrize("model", [DSMRegressor, RandomHashRegressor])
def test_a_prediction_does_not_depend_on_the_path_that_computed_it(model):
    """An array predicted once goes through the layer's fused read-out, and from its second
    reading on through the active features kept for it: the same values, bit for bit, and
    the same as the DSM the model is and as a batch of one row."""
    rng = np.random.default_rng(3)
    X, y = rng.uniform(-1, 1, (400, 4)), rng.normal(size=400)
    fitted = model(n_units=256, sparsity=64, random_state=0).fit(X, y)
    Xt = rng.uniform(-1, 1, (500, 4))
    first = fitted.predict(Xt)  # fused
    again = fitted.predict(Xt)  # kept from now on
    assert np.array_equal(first, fitted.predict(Xt))
    assert np.array_equal(first, again)
    assert np.array_equal(first, fitted.to_dsm().predict(Xt))
    np.testing.assert_allclose(first[:5], [fitted.predict(row[None])[0] for row in Xt[:5]])
