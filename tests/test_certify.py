"""Certificates of uniform error are never below what sampling finds, and are complete."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.spatial import ConvexHull
from sklearn.base import clone

from dsn_model.data import random_subspace, uniform_on_section
from dsn_model.lsh.regressor import LSHRegressor
from dsn_model.targets import DistanceTarget
from theory.certify import certify_uniform_error


def fitted(k, width, seed, n=800, d=6, fallback="global"):
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
        fallback=fallback,
        random_state=seed,
    ).fit(X, f(X))
    return model, U, f, X, rng


@settings(max_examples=8)
@given(
    st.sampled_from([1, 2]),
    st.floats(0.3, 0.8),
    st.integers(0, 2**31),
    st.sampled_from(["global", "nearest"]),
)
def test_certificate_dominates_sampled_error_and_is_complete(k, width, seed, fallback):
    model, U, f, _, rng = fitted(k, width, seed, fallback=fallback)
    cert = certify_uniform_error(model, U, f, 1.0)
    assert cert.volume_ratio == pytest.approx(1.0, abs=1e-9)
    assert cert.consistent
    Xt = uniform_on_section(20000, U, random_state=rng)
    errors = np.abs(model.predict(Xt) - f(Xt))
    sampled = float(errors.max())
    for x0 in Xt[np.argsort(errors)[-5:]]:  # local search (in Gamma) from the worst points

        def neg_error(y):
            x = (U @ y)[None]
            if np.abs(x).max() > 1:
                return 0.0
            return -float(np.abs(model.predict(x) - f(x))[0])

        res = minimize(
            neg_error,
            U.T @ x0,
            method="Nelder-Mead",
            options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 200},
        )
        sampled = max(sampled, -res.fun)
    assert sampled <= cert.upper
    assert cert.upper <= 3.0 * max(cert.lower, 1e-12)  # tight within the cell radii


def test_certificate_reads_the_fitted_model_so_perturbed_values_fail():
    model, U, f, _, _ = fitted(2, 0.5, 1)
    cert = certify_uniform_error(model, U, f, 1.0)
    model.unit_values_ = model.unit_values_ + 0.3
    model.unit_coef_ = model.unit_coef_ + 0.3
    shifted = certify_uniform_error(model, U, f, 1.0)
    assert shifted.lower >= 0.3 - cert.upper  # |f - g - 0.3| >= 0.3 - |f - g|
    assert shifted.lower > cert.lower


def test_certify_refuses_what_it_cannot_certify():
    model, U, f, X, _ = fitted(2, 0.5, 0)
    with pytest.raises(ValueError, match="k = 1, 2 or 3"):
        certify_uniform_error(model, np.eye(6)[:, :4], f, 1.0)
    hyper = LSHRegressor(n_tables=1).fit(X, f(X))
    with pytest.raises(ValueError, match="Euclidean"):
        certify_uniform_error(hyper, U, f, 1.0)
    with pytest.raises(ValueError, match="max_cells"):
        certify_uniform_error(model, U, f, 1.0, max_cells=5)


@pytest.mark.parametrize("fallback", ["global", "probe", "nearest"])
def test_a_float32_model_gets_the_float64_model_certificate(fallback):
    """Keys are floors of one fixed-order float64 sum in either precision, so a model
    hashing in float32 has the same buckets, values and certificate."""
    model, U, f, X, _ = fitted(2, 0.4, 5, n=1500, fallback=fallback)
    single = clone(model).set_params(hash_dtype="float32").fit(X, f(X))
    assert single.family_.hash_dtype == "float32"
    expected, cert = (certify_uniform_error(m, U, f, 1.0) for m in (model, single))
    assert cert.consistent and cert == expected


def test_three_dimensional_sections_are_certified_completely():
    model, U, f, _, _ = fitted(3, 1.2, 2, n=1500)
    cert = certify_uniform_error(model, U, f, 1.0)
    assert cert.consistent and cert.n_cells > cert.n_seen > 0


@settings(max_examples=5, deadline=None)
@given(st.integers(0, 2**31), st.floats(0.25, 0.8), st.integers(4, 10))
def test_the_planar_sweep_finds_the_cells_breadth_first_search_finds(seed, width, d):
    from dsn_model.lsh.families import EuclideanLSH
    from theory.arrangement import planar_cells
    from theory.certify import enumerate_cells

    U = random_subspace(d, 2, random_state=seed)
    lsh = EuclideanLSH(d, 6, width, random_state=seed)
    cells = planar_cells(U, lsh.directions, lsh.offsets, lsh.width)
    bfs = dict(enumerate_cells(U, lsh.directions, lsh.offsets, lsh.width))
    assert {tuple(k) for k in cells.keys} == set(bfs)
    for key, radius, area in zip(cells.keys, cells.radii, cells.areas, strict=True):
        V = bfs[tuple(key)]
        assert radius == pytest.approx(np.linalg.norm(V - V.mean(axis=0), axis=1).max(), abs=1e-12)
        assert area == pytest.approx(ConvexHull(V).volume, rel=1e-9, abs=1e-15)
    assert cells.areas.sum() == pytest.approx(cells.gamma_area, rel=1e-12)


def test_exact_vertices_give_the_same_certificate_and_an_exact_volume_check():
    model, U, f, _, _ = fitted(2, 0.6, 3, n=400)
    exact = certify_uniform_error(model, U, f, 1.0, exact=True)
    fast = certify_uniform_error(model, U, f, 1.0)
    assert exact.volume_ratio == 1.0 and exact.consistent  # sum of rational areas, exactly
    assert exact.n_cells == fast.n_cells
    assert exact.upper == pytest.approx(fast.upper, abs=1e-8)


def test_several_tables_are_certified_on_the_common_refinement():
    rng = np.random.default_rng(4)
    U = random_subspace(6, 2, random_state=rng)
    f = DistanceTarget(uniform_on_section(1, U, random_state=rng)[0])
    X = uniform_on_section(3000, U, random_state=rng)
    model = LSHRegressor(
        family="euclidean",
        n_tables=3,
        n_hashes=4,
        width=0.4,
        hash_dtype="float64",
        random_state=4,
    ).fit(X, f(X))
    cert = certify_uniform_error(model, U, f, 1.0)
    assert cert.consistent and cert.n_cells > 100
    Xt = uniform_on_section(50_000, U, random_state=rng)
    assert np.abs(model.predict(Xt) - f(Xt)).max() <= cert.upper
    with pytest.raises(ValueError, match="one table"):
        certify_uniform_error(clone(model).set_params(fallback="nearest").fit(X, f(X)), U, f, 1.0)


@pytest.mark.parametrize(("tables", "probes"), [(1, 2), (1, 8), (3, 8)])
def test_the_probe_fallback_is_certified_by_the_range_of_its_answers(tables, probes):
    rng = np.random.default_rng(5)
    U = random_subspace(6, 2, random_state=rng)
    f = DistanceTarget(uniform_on_section(1, U, random_state=rng)[0])
    X = uniform_on_section(1500, U, random_state=rng)
    model = LSHRegressor(
        family="euclidean",
        n_tables=tables,
        n_hashes=4,
        width=0.3,
        hash_dtype="float64",
        fallback="probe",
        n_probes=probes,
        random_state=5,
    ).fit(X, f(X))
    cert = certify_uniform_error(model, U, f, 1.0)
    assert cert.consistent and cert.n_seen < cert.n_cells  # untrained cells are covered
    Xt = uniform_on_section(100_000, U, random_state=rng)
    assert np.abs(model.predict(Xt) - f(Xt)).max() <= cert.upper


# ---------------------------------------------------- the Lipschitz constant it relies on
def spiked(model, U, f):
    """The cone plus one spike of height 0.2 and slope 400 inside every cell (true L = 401)."""
    from theory.certify import enumerate_cells

    family = model.family_
    u = U[:, 0]
    tips = []
    for _, V in enumerate_cells(U, family.directions, family.offsets, family.width):
        lo, hi = float(V.min()), float(V.max())
        tips.append(lo + (hi - lo) / 3)  # away from the vertices and the centroid
    tips = np.array(tips)

    def g(X):
        t = np.asarray(X) @ u
        spikes = np.maximum(0.0, 0.2 - 400 * np.abs(t[:, None] - tips[None])).sum(axis=1)
        return f(X) + spikes

    return g, tips


def test_a_declared_lipschitz_constant_that_the_witnesses_contradict_is_not_certified():
    model, U, f, _, _ = fitted(1, 0.3, seed=5, fallback="global")
    g, tips = spiked(model, U, f)
    cert = certify_uniform_error(model, U, g, 1.0)
    assert cert.conditional and cert.lipschitz_contradicted and not cert.consistent
    assert cert.witnessed_lipschitz > 100  # the spikes' slope is found
    # the real error at the spike tips is above what L = 1 would have certified
    tips_x = tips[:, None] * U[:, 0][None]
    real = float(np.abs(model.predict(tips_x) - g(tips_x)).max())
    assert real > cert.upper
    honest = certify_uniform_error(model, U, g, 401.0)
    assert honest.consistent and honest.upper >= real


def test_a_target_with_an_expression_gets_its_own_certified_constant():
    from dsn_model.targets import RandomPolynomial, ReLUNetworkTarget

    model, U, _, X, _ = fitted(2, 0.5, seed=3)
    for f in (RandomPolynomial(6, 3, random_state=0), ReLUNetworkTarget(6, 8, random_state=0)):
        refit = clone(model).fit(X, f(X))
        cert = certify_uniform_error(refit, U, f, L=1e-6)  # a wrong declared L is not used
        assert cert.lipschitz_source == "certified" and cert.consistent
        assert cert.witnessed_lipschitz <= cert.lipschitz <= f.lipschitz_bound() * (1 + 1e-9)


def test_a_distance_target_uses_its_closed_form_and_a_plain_callable_needs_l():
    model, U, f, _, _ = fitted(1, 0.4, seed=2)
    cert = certify_uniform_error(model, U, f)
    assert cert.lipschitz_source == "closed form" and cert.lipschitz == f.lipschitz_bound()
    assert "closed-form" in cert.describe()
    with pytest.raises(ValueError, match="`L` is required"):
        certify_uniform_error(model, U, lambda X: f(X))
    with pytest.raises(ValueError, match="`L` must be"):
        certify_uniform_error(model, U, lambda X: f(X), L=float("nan"))
