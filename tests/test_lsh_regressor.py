"""LSHRegressor: oracles, the DSM view, streaming, persistence, scikit-learn conformance."""

import copy

import networkx as nx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.utils.estimator_checks import parametrize_with_checks

from dsn_model import active_subgraph, evaluate_graph
from dsn_model.lsh.regressor import LSHRegressor

FAMILY_KW = {
    "hyperplane": {"n_hashes": 6},
    "euclidean": {"n_hashes": 3, "width": 0.5},
    "cross-polytope": {"n_hashes": 2},
}


def data(n=3000, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, d))
    return X, np.sin(2 * X[:, 0]) + X[:, 1] * X[:, -1]


@parametrize_with_checks(
    [
        LSHRegressor(random_state=0),
        LSHRegressor(family="euclidean", degree=1, random_state=0),
        LSHRegressor(fallback="nearest", n_tables=2, random_state=0),
        LSHRegressor(solver="ridge", random_state=0),
        LSHRegressor(family="euclidean", solver="adam", learning_rate=0.05, random_state=0),
    ]
)
def test_scikit_learn_estimator_checks(estimator, check):
    # No check is skipped by us; scikit-learn itself skips its array-API and
    # pandas checks when those optional packages are not installed.
    check(estimator)


def test_degree_0_is_the_bucket_mean():
    X, y = data(500)
    model = LSHRegressor(n_tables=1, n_hashes=5, random_state=0).fit(X, y)
    keys = model.family_.keys(X)[:, 0, 0]
    for key in np.unique(keys)[:20]:
        members = keys == key
        assert np.allclose(model.predict(X[members]), y[members].mean(), rtol=1e-12)


def test_degree_1_reproduces_an_affine_target():
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(4000, 3))
    y = 0.5 + X @ np.array([1.0, -2.0, 0.25])
    model = LSHRegressor(n_tables=3, n_hashes=3, degree=1, random_state=0).fit(X, y)
    np.testing.assert_allclose(model.predict(X), y, atol=1e-7)


@pytest.mark.parametrize("family", sorted(FAMILY_KW))
@pytest.mark.parametrize("fallback", ["global", "probe", "nearest"])
@pytest.mark.parametrize("degree", [0, 1])
def test_to_dsm_agrees_and_activates_exactly_s_units(family, fallback, degree):
    X, y = data(2000, seed=2)
    model = LSHRegressor(
        family=family,
        n_tables=3,
        degree=degree,
        fallback=fallback,
        random_state=0,
        **FAMILY_KW[family],
    ).fit(X[:1000], y[:1000])
    dsm = model.to_dsm()
    test = np.vstack([X[1000:], 3 * X[:50]])  # the scaled points fall in unseen buckets
    np.testing.assert_allclose(dsm.predict(test), model.predict(test), rtol=1e-12, atol=1e-12)
    assert dsm.sparsity == 3
    if model.family_.universe is not None:
        assert dsm.n_units == 3 * model.family_.universe
    for x in test[::250]:
        G = active_subgraph(dsm, x)
        assert nx.is_directed_acyclic_graph(G)
        assert sum(1 for _, r in G.nodes(data="role") if r == "hidden") == 3
        np.testing.assert_allclose(
            evaluate_graph(G, x), model.predict(x[None])[0], rtol=1e-12, atol=1e-12
        )
    per_unit = (X.shape[1] + 1 if degree == 1 else 1) + 1  # feature edges + top edge
    assert model.flops_per_sample().paper.tolist() == [2 * 3 * per_unit]
    projections = model.family_.projection_matrix().size  # hash projections, 2 FLOPs each
    assert model.flops_per_sample(test[:4]).routing.tolist() == [2 * projections] * 4


@pytest.mark.parametrize("family", sorted(FAMILY_KW))
@pytest.mark.parametrize("degree", [0, 1])
def test_partial_fit_over_chunks_equals_fit(family, degree):
    X, y = data(5000, seed=3)
    kw = dict(family=family, degree=degree, random_state=7, **FAMILY_KW[family])
    whole = LSHRegressor(**kw).fit(X, y)
    streamed = LSHRegressor(**kw)
    for chunk in np.array_split(np.arange(5000), 7):
        streamed.partial_fit(X[chunk], y[chunk])
    Xt, _ = data(1000, seed=4)
    np.testing.assert_allclose(streamed.predict(Xt), whole.predict(Xt), rtol=1e-12, atol=1e-12)
    assert np.array_equal(streamed.n_buckets_, whole.n_buckets_)


def test_partial_fit_after_a_deep_copy_or_a_save_leaves_the_original_alone(tmp_path):
    """Counts and sums are views of one array: a deep copy, or a saved and loaded model,
    gets its own, and streaming more chunks into it gives the fit on the union."""
    X, y = data(3000, seed=8)
    kw = dict(n_tables=4, n_hashes=6, random_state=1)
    first = LSHRegressor(**kw).fit(X[:1500], y[:1500])
    counts, sums = first.bucket_counts_.copy(), first.bucket_sums_.copy()
    first.save(tmp_path / "m.npz")
    for other in (copy.deepcopy(first), LSHRegressor.load(tmp_path / "m.npz")):
        other.partial_fit(X[1500:], y[1500:])
        whole = LSHRegressor(**kw).fit(X, y)
        np.testing.assert_array_equal(other.bucket_counts_, whole.bucket_counts_)
        np.testing.assert_allclose(other.bucket_sums_, whole.bucket_sums_, rtol=1e-12)
        np.testing.assert_array_equal(first.bucket_counts_, counts)
        np.testing.assert_array_equal(first.bucket_sums_, sums)


@pytest.mark.parametrize("degree", [0, 1])
def test_partial_fit_equals_fit_when_later_chunks_widen_the_key_ranges(degree):
    """Chunks of growing spread: the Euclidean index repacks its codes, predictions agree."""
    X, y = data(6000, seed=5)
    X = X * np.repeat([0.05, 0.5, 5.0], 2000)[:, None]
    kw = dict(family="euclidean", n_hashes=4, width=0.25, degree=degree, random_state=2)
    whole = LSHRegressor(**kw).fit(X, y)
    streamed = LSHRegressor(**kw)
    radixes = []
    for chunk in np.array_split(np.arange(6000), 3):
        streamed.partial_fit(X[chunk], y[chunk])
        radixes.append(streamed.index_.coding)
    assert radixes[0] is not radixes[2]  # the ranges were widened at least once
    Xt = np.random.default_rng(6).uniform(-5, 5, (2000, 3))
    np.testing.assert_allclose(streamed.predict(Xt), whole.predict(Xt), rtol=1e-12, atol=1e-12)
    assert np.array_equal(streamed.n_buckets_, whole.n_buckets_)


@given(st.sampled_from(sorted(FAMILY_KW)), st.integers(0, 2**31))
def test_same_seed_same_model_bit_for_bit(family, seed):
    X, y = data(300, seed=seed % 1000)
    a = LSHRegressor(family=family, random_state=seed, **FAMILY_KW[family]).fit(X, y)
    b = LSHRegressor(family=family, random_state=seed, **FAMILY_KW[family]).fit(X, y)
    assert np.array_equal(a.predict(X), b.predict(X))


@pytest.mark.parametrize("family", sorted(FAMILY_KW))
@pytest.mark.parametrize("fallback", ["global", "nearest"])
def test_save_load_round_trip_bit_for_bit(tmp_path, family, fallback):
    X, y = data(1500, seed=5)
    model = LSHRegressor(
        family=family, degree=1, fallback=fallback, random_state=3, **FAMILY_KW[family]
    ).fit(X, y)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = LSHRegressor.load(path)
    Xt = np.vstack([data(500, seed=6)[0], 4 * X[:20]])
    assert np.array_equal(loaded.predict(Xt), model.predict(Xt))
    assert loaded.get_params() == model.get_params()
    loaded.partial_fit(X[:10], y[:10])  # a loaded model keeps learning
    model.partial_fit(X[:10], y[:10])
    assert np.array_equal(loaded.predict(Xt), model.predict(Xt))


def test_corrupted_and_foreign_files_are_rejected(tmp_path):
    X, y = data(300)
    path = tmp_path / "m.npz"
    LSHRegressor(family="euclidean", n_hashes=3, random_state=0).fit(X, y).save(path)
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["state.bucket_sums_"] = arrays["state.bucket_sums_"] + 1e-9
    tampered = tmp_path / "tampered.npz"
    np.savez(tampered, **arrays)
    with pytest.raises(ValueError, match="checksum"):
        LSHRegressor.load(tampered)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="path"):
        LSHRegressor.load(garbage)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.zeros(3))
    with pytest.raises(ValueError, match="LSHRegressor"):
        LSHRegressor.load(foreign)


def test_unseen_buckets_get_finite_fallback_values():
    X, y = data(200)
    far = np.full((5, 3), 50.0) + np.arange(5)[:, None]
    for fallback in ("global", "probe", "nearest"):
        model = LSHRegressor(
            family="euclidean", n_hashes=3, width=0.1, fallback=fallback, random_state=0
        ).fit(X, y)
        out = model.predict(far)
        assert np.isfinite(out).all()
        if fallback == "global":
            np.testing.assert_allclose(out, y.mean(), rtol=1e-12)
        if fallback == "nearest":
            nearest = np.argmin(((far[:, None] - X[None]) ** 2).sum(axis=2), axis=1)
            np.testing.assert_allclose(out, y[nearest], rtol=1e-12)


def test_probe_fallback_beats_global_on_held_out_points():
    X, y = data(4000, seed=8)
    kw = dict(n_tables=2, n_hashes=14, random_state=0)
    glob = LSHRegressor(**kw).fit(X[:2000], y[:2000]).score(X[2000:], y[2000:])
    probe = LSHRegressor(fallback="probe", **kw).fit(X[:2000], y[:2000]).score(X[2000:], y[2000:])
    assert probe > glob


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"n_hashes": 65}, "n_hashes"),
        ({"family": "euclidean", "width": 0.0}, "width"),
        ({"family": "euclidean", "width": -2.0}, "width"),
        ({"n_tables": 0}, "n_tables"),
        ({"degree": 2}, "degree"),
        ({"fallback": "zero"}, "fallback"),
        ({"family": "minhash"}, "family"),
        ({"table_weights": [1.0, 2.0]}, "table_weights"),
        ({"hash_dtype": "float16"}, "hash_dtype"),
        ({"family": "euclidean", "width": 1e-8, "hash_dtype": "float32"}, "width"),
    ],
)
def test_bad_parameters_name_the_parameter(params, name):
    X, y = data(50)
    with pytest.raises(ValueError, match=name):
        LSHRegressor(**params).fit(X, y)


@pytest.mark.parametrize("value, message", [(np.nan, "NaN"), (-np.inf, "infinity")])
def test_non_finite_inputs_get_scikit_learns_error_and_change_nothing(value, message):
    X, y = data(200)
    model = LSHRegressor(random_state=0).partial_fit(X[:100], y[:100])
    sums, seen = model.bucket_sums_.copy(), model.n_samples_seen_
    bad = X[100:].copy()
    bad[7, 1] = value
    with pytest.raises(ValueError, match=f"Input X contains {message}"):
        model.partial_fit(bad, y[100:])
    with pytest.raises(ValueError, match=f"Input X contains {message}"):
        model.predict(bad)
    with pytest.raises(ValueError, match=f"Input X contains {message}"):
        model.in_trained_bucket(bad)
    assert np.array_equal(model.bucket_sums_, sums) and model.n_samples_seen_ == seen
    wider = np.hstack([bad, bad])  # a refit on other, non-finite data changes nothing either
    with pytest.raises(ValueError, match=f"Input X contains {message}"):
        model.fit(wider, y[100:])
    assert model.n_features_in_ == X.shape[1]
    assert np.array_equal(
        model.predict(X[:100]), LSHRegressor(random_state=0).fit(X[:100], y[:100]).predict(X[:100])
    )


def test_bad_data_is_rejected():
    X, y = data(50)
    model = LSHRegressor(random_state=0)
    with pytest.raises(ValueError):
        model.fit(np.where(X > 0.9, np.nan, X), y)
    with pytest.raises(ValueError):
        model.fit(X, np.where(y > 0.5, np.inf, y))
    model.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :2])
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(X[:, :2], y)


@pytest.mark.parametrize("family", ["hyperplane", "euclidean"])
def test_float32_hashing_agrees_with_float64_away_from_boundaries(family):
    """The two precisions bucket every input alike except within a thin band of a boundary."""
    X, y = data(4000, seed=8)
    kw = dict(family=family, n_tables=4, random_state=3, **FAMILY_KW[family])
    single = LSHRegressor(hash_dtype="float32", **kw).fit(X, y)
    double = LSHRegressor(hash_dtype="float64", **kw).fit(X, y)
    assert single.family_.hash_dtype == "float32" and double.family_.hash_dtype == "float64"
    same = (single.family_.keys(X) == double.family_.keys(X)).all(axis=2)
    assert same.mean() > 0.999
    agree = same.all(axis=1)
    np.testing.assert_allclose(single.predict(X)[agree], double.predict(X)[agree], rtol=1e-6)


def test_the_lsh_model_reports_its_active_units_and_parameters():
    X = np.random.default_rng(3).uniform(-1, 1, (2000, 3))
    for degree, per_bucket in ((0, 1), (1, 4)):
        model = LSHRegressor(n_tables=5, n_hashes=6, degree=degree, random_state=0)
        model.fit(X, X[:, 0])
        assert model.sparsity_ == 5
        assert model.n_params_ == int(model.n_buckets_.sum()) * per_bucket


def test_partial_fit_with_the_nearest_fallback_equals_fit_and_keeps_points_once():
    rng = np.random.default_rng(7)
    X, Xt = rng.uniform(-1, 1, (3000, 3)), rng.uniform(-1.5, 1.5, (2000, 3))
    y = np.sin(X.sum(axis=1))
    params = dict(n_tables=3, n_hashes=10, fallback="nearest", random_state=0)
    whole = LSHRegressor(**params).fit(X, y)
    parts = LSHRegressor(**params)
    for chunk in np.array_split(np.arange(len(X)), 30):
        parts.partial_fit(X[chunk], y[chunk])
        assert parts._tree is None  # no tree is rebuilt per chunk: it waits for a query
    assert np.array_equal(parts.X_seen_, X) and np.array_equal(parts.y_seen_, y)
    assert not parts.in_trained_bucket(Xt).all()  # the fallback is exercised
    assert np.allclose(parts.predict(Xt), whole.predict(Xt), rtol=1e-12, atol=1e-12)
    assert np.allclose(parts.to_dsm().predict(Xt), parts.predict(Xt), rtol=0, atol=1e-12)
