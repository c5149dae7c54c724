"""Certificates of uniform error are never below what sampling finds, and are complete."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from sklearn.base import clone

from dsn_model.data import random_subspace, uniform_on_section
from dsn_model.lsh_regressor import LSHRegressor
from dsn_model.targets import DistanceTarget
from theory.certify import certify_uniform_error
from theory.claims import CLAIMS


def fitted(k, width, seed, n=800, d=6):
    rng = np.random.default_rng(seed)
    U = random_subspace(d, k, random_state=rng)
    f = DistanceTarget(uniform_on_section(1, U, random_state=rng)[0])
    X = uniform_on_section(n, U, random_state=rng)
    model = LSHRegressor(
        family="euclidean",
        n_tables=1,
        n_hashes=3 * k,
        width=width,
        hash_dtype="float64",
        random_state=seed,
    ).fit(X, f(X))
    return model, U, f, X, rng


@settings(max_examples=6)
@given(st.sampled_from([1, 2]), st.floats(0.3, 0.8), st.integers(0, 2**31))
def test_certificate_dominates_sampled_error_and_is_complete(k, width, seed):
    model, U, f, X, rng = fitted(k, width, seed)
    cert = certify_uniform_error(model, U, f, 1.0, X, f(X))
    assert cert.volume_ratio == pytest.approx(1.0, abs=1e-9)
    Xt = uniform_on_section(20000, U, random_state=rng)
    errors = np.abs(cert.predict(model, Xt) - f(Xt))
    sampled = float(errors.max())
    for x0 in Xt[np.argsort(errors)[-5:]]:  # local search (in Gamma) from the worst points

        def neg_error(y):
            x = (U @ y)[None]
            if np.abs(x).max() > 1:
                return 0.0
            return -float(np.abs(cert.predict(model, x) - f(x))[0])

        res = minimize(
            neg_error,
            U.T @ x0,
            method="Nelder-Mead",
            options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 200},
        )
        sampled = max(sampled, -res.fun)
    assert cert.lower <= cert.upper
    assert sampled <= cert.upper
    assert cert.upper <= 2.0 * max(cert.lower, 1e-12)  # the stated factor for k <= 2


def test_certify_refuses_what_it_cannot_certify():
    model, U, f, X, _ = fitted(2, 0.5, 0)
    with pytest.raises(ValueError, match="k = 1 or 2"):
        certify_uniform_error(model, np.eye(6)[:, :3], f, 1.0, X, f(X))
    hyper = LSHRegressor(n_tables=1).fit(X, f(X))
    with pytest.raises(ValueError, match="Euclidean"):
        certify_uniform_error(hyper, U, f, 1.0, X, f(X))
    with pytest.raises(ValueError, match="max_cells"):
        certify_uniform_error(model, U, f, 1.0, X, f(X), max_cells=5)
    single = clone(model).set_params(hash_dtype="float32").fit(X, f(X))
    with pytest.raises(ValueError, match="hash_dtype='float64'"):
        certify_uniform_error(single, U, f, 1.0, X, f(X))


def test_understated_lipschitz_constant_breaks_the_certified_claim():
    assert CLAIMS["theorem_4_1.certified"].check().verdict == "holds"
    assert CLAIMS["theorem_4_1.certified"].check(declared_L=0.2).verdict == "fails"
