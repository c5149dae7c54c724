"""Streamed random-feature fits equal the direct ridge solution, merge by partial_fit, and stay
small in memory."""

import tracemalloc

import numpy as np
import pytest

from dsn_model.estimators import (
    DenseClassifier,
    DenseRegressor,
    DSMRegressor,
    RandomHashRegressor,
)
from dsn_model.estimators.ridge import sparse_gram_pays
from dsn_model.model.graph import active_subgraph, evaluate_graph, graph_flops

rng = np.random.default_rng(0)
X = rng.uniform(-1, 1, (3000, 5))
y = np.sin(3 * X[:, 0]) + X[:, 1] * X[:, 2]


def direct_ridge(model, X, y):
    """The exact solution from the explicit masked design (an independent oracle)."""
    F = model.features_.transform(X)
    Phi = F * model.dsm_.mask(X) if model.router_ is not None else F
    n = len(X)
    mean, y_mean = Phi.mean(axis=0), y.mean()
    Pc = Phi - mean
    G = Pc.T @ Pc
    G[np.diag_indices_from(G)] += model.alpha * n + 1e-12 * max(1.0, np.trace(G) / len(G))
    coef = np.linalg.solve(G, Pc.T @ (y - y_mean))
    return coef, y_mean - mean @ coef


MODELS = [
    DenseRegressor(n_units=64, random_state=1),
    DSMRegressor(n_units=1024, sparsity=64, random_state=1),  # scattered pairs
    DSMRegressor(n_units=64, sparsity=32, random_state=1),  # masked dense rank-k update
    DSMRegressor(n_units=1024, sparsity=256, random_state=1),  # on the columns a block uses
    RandomHashRegressor(n_units=256, sparsity=16, random_state=1),
    RandomHashRegressor(n_units=64, sparsity=32, random_state=1),  # rows written from units
]


def test_blocks_sorted_by_locality_use_fewer_columns(monkeypatch):
    """The (1024, 256) model's blocks of rows in locality order are summed over fewer than
    85% of the columns (the narrow rank-k update), as the direct solution checks above."""
    import dsn_model.estimators.local_gram as local_gram

    widths = []
    add = local_gram.add_upper_block
    monkeypatch.setattr(
        local_gram,
        "add_upper_block",
        lambda G, cols, b: widths.append(len(cols)) or add(G, cols, b),
    )
    DSMRegressor(n_units=1024, sparsity=256, random_state=1).fit(X, y)
    assert widths and max(widths) <= 0.85 * 1024


@pytest.mark.parametrize("model", MODELS, ids=repr)
def test_streamed_fit_equals_the_direct_solution(model):
    model.fit(X, y)
    coef, intercept = direct_ridge(model, X, y)
    assert np.allclose(model.coef_, coef, rtol=1e-8, atol=1e-8 * np.abs(coef).max())
    assert model.intercept_ == pytest.approx(intercept, rel=1e-8, abs=1e-10)
    dsm = model.to_dsm()  # the fitted model as the DSM it is, intercept included
    assert np.allclose(dsm.predict(X), model.predict(X), rtol=1e-10, atol=1e-10)
    x = X[0]
    graph = active_subgraph(dsm, x, include_routing=True)
    assert evaluate_graph(graph, x) == pytest.approx(model.predict(X[:1])[0], rel=1e-10)
    assert graph_flops(graph).total == dsm.flops(X[:1]).total[0]


@pytest.mark.parametrize("model", MODELS, ids=repr)
def test_partial_fit_in_chunks_equals_fit(model):
    whole = type(model)(**model.get_params()).fit(X, y)
    parts = type(model)(**model.get_params())
    for chunk in np.array_split(np.arange(len(X)), 7):
        parts.partial_fit(X[chunk], y[chunk])
    assert np.allclose(parts.coef_, whole.coef_, rtol=1e-9, atol=1e-12)
    scale = np.abs(whole.coef_).sum()  # predictions cancel large coefficients
    assert np.allclose(parts.predict(X), whole.predict(X), rtol=1e-9, atol=1e-12 * scale)


def test_a_bad_chunk_leaves_the_model_as_it_was():
    model = DenseRegressor(n_units=32, random_state=0).partial_fit(X[:1000], y[:1000])
    before = model.coef_.copy()
    with pytest.raises(ValueError):
        model.partial_fit(X[:10, :4], y[:10])  # another number of features
    bad = X[1000:1100].copy()
    bad[5, 2] = np.nan
    with pytest.raises(ValueError):
        model.partial_fit(bad, y[1000:1100])
    with pytest.raises(ValueError, match="`y` must hold numbers"):
        model.partial_fit(X[:4], np.array(["a", "b", "c", "d"]))
    assert np.array_equal(model.coef_, before)
    assert model._n == 1000


def test_fits_stream_in_bounded_memory():
    n, t = 200_000, 256
    Xb = np.random.default_rng(1).uniform(-1, 1, (n, 8))
    yb = Xb[:, 0] ** 2
    tracemalloc.start()
    DenseRegressor(n_units=t, random_state=0).fit(Xb, yb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 40 << 20  # the n x t design alone would be 410 MB


def test_classifiers_stream_too():
    labels = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
    model = DenseClassifier(n_units=64, random_state=0).fit(X, labels)
    assert model.score(X, labels) > 0.8
    assert model.decision_function(X).shape == (len(X), 3)


def test_both_gram_paths_are_exercised_and_the_cost_model_picks_by_size():
    assert sparse_gram_pays(1024, 64) and not sparse_gram_pays(64, 32)
    assert MODELS[1].fit(X[:100], y[:100])._pairwise and not MODELS[2].fit(X, y)._pairwise


def test_classifier_partial_fit_equals_fit_and_needs_its_classes():
    labels = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
    whole = DenseClassifier(n_units=48, random_state=0).fit(X, labels)
    parts = DenseClassifier(n_units=48, random_state=0)
    with pytest.raises(ValueError, match="classes"):
        parts.partial_fit(X[:10], labels[:10])
    for i, chunk in enumerate(np.array_split(np.arange(len(X)), 5)):
        parts.partial_fit(X[chunk], labels[chunk], classes=[0, 1, 2] if i == 0 else None)
    scale = np.abs(whole.coef_).max()
    assert np.allclose(parts.coef_, whole.coef_, rtol=1e-8, atol=1e-8 * scale)
    assert np.array_equal(parts.predict(X), whole.predict(X))
    with pytest.raises(ValueError, match="not in `classes`"):
        parts.partial_fit(X[:3], np.array([0, 1, 7]))


def test_to_dsm_of_every_estimator_predicts_as_the_estimator():
    from dsn_model.estimators import DSMClassifier, LSHRegressor, RandomHashClassifier

    binary = (X[:, 0] > 0).astype(int)
    for model, target in [
        (DenseRegressor(n_units=32, random_state=0), y),
        (DSMRegressor(n_units=64, sparsity=8, random_state=0), y),
        (RandomHashRegressor(n_units=64, sparsity=8, random_state=0), y),
        (DSMClassifier(n_units=64, sparsity=8, random_state=0), binary),
        (RandomHashClassifier(n_units=64, sparsity=8, random_state=0), binary),
        (LSHRegressor(n_tables=4, n_hashes=8, random_state=0), y),
    ]:
        model.fit(X, target)
        decision = (
            model.decision_function(X) if hasattr(model, "decision_function") else model.predict(X)
        )
        assert np.allclose(model.to_dsm().predict(X), decision, rtol=1e-10, atol=1e-10), model
    labels = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)  # three classes
    three = DenseClassifier(n_units=16, random_state=0).fit(X, labels)
    with pytest.raises(ValueError, match="one output"):
        three.to_dsm()
