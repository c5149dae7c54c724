"""Baseline estimators: scikit-learn conformance, exact top layers, FLOP accounting."""

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from dsn_model.estimators import (
    DenseClassifier,
    DenseRegressor,
    DSMClassifier,
    DSMRegressor,
    RandomHashClassifier,
    RandomHashRegressor,
)
from dsn_model.targets import RandomPolynomial

SMALL = {"n_units": 24, "n_active": 6, "random_state": 0}


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
    model = DSMRegressor(n_units=40, n_active=10, alpha=1e-3, random_state=1).fit(X, y)
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
    dsm = mse(DSMRegressor(n_units=512, n_active=64, random_state=0))
    hashed = mse(RandomHashRegressor(n_units=512, n_active=64, random_state=0))
    assert dsm < dense < hashed


def test_flops_follow_table_1():
    X = np.random.default_rng(0).uniform(-1, 1, (50, 8))
    y = X[:, 0]
    dense = DenseRegressor(n_units=1024, random_state=0).fit(X, y).flops_per_sample()
    assert dense.paper[0] - 2 * 1024 - 2 == 18432  # 2 (n + 1) w, plus read-out and bias
    dsm = DSMRegressor(n_units=2048, n_active=1024, random_state=0).fit(X, y).flops_per_sample()
    assert dsm.paper[0] == dense.paper[0] and dsm.routing[0] == 2 * 1024 * 9
    hashed = RandomHashRegressor(n_units=2048, n_active=1024, random_state=0).fit(X, y)
    assert hashed.flops_per_sample().routing.tolist() == [0]
    assert hashed.n_params_ == 2049 and hashed.n_active_units_ == 1024


@pytest.mark.parametrize("n_classes", [2, 3])
def test_flops_of_a_classifier_count_every_output(n_classes):
    X = np.random.default_rng(1).uniform(-1, 1, (90, 5))
    y = np.arange(90) % n_classes
    model = DSMClassifier(n_units=40, n_active=10, random_state=0).fit(X, y)
    outputs = 1 if n_classes == 2 else n_classes  # one decision value for two classes
    s, d = 10, 5
    paper = 2 * s * (d + 1) + 2 * (s + 1) * outputs  # features, then read-out + bias per output
    assert model.flops_per_sample(X[:3]).paper.tolist() == [paper] * 3
    assert model.flops_per_sample().routing.tolist() == [2 * (40 - s) * (d + 1)]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"n_units": 0}, "n_units"),
        ({"n_units": 8, "n_active": 9}, "n_active"),
        ({"n_active": 0}, "n_active"),
        ({"alpha": -1.0}, "alpha"),
        ({"activation": "gelu"}, "activation"),
    ],
)
def test_bad_parameters_name_the_parameter(params, name):
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match=name):
        DSMRegressor(**params).fit(X, np.arange(10.0))
