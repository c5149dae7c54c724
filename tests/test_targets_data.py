"""Targets against brute force, Lipschitz bounds against gradients, samplers against Gamma."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from dsn_model.data import (
    curved_manifold,
    load_diabetes_data,
    load_digits_data,
    random_subspace,
    section_bounding_box,
    uniform_cube,
    uniform_on_section,
)
from dsn_model.targets import (
    DistanceTarget,
    LinearTarget,
    RandomHypercube,
    RandomPolynomial,
    ReLUNetworkTarget,
)


@given(st.integers(1, 6), st.integers(0, 2**31))
def test_hypercube_equals_the_literal_sum(n, seed):
    f = RandomHypercube(n, random_state=seed)
    X = np.random.default_rng(seed).uniform(-1, 1, (20, n))
    literal = np.zeros(20)
    for c in range(2**n):
        y = np.array([1 if c >> i & 1 else -1 for i in range(n)])
        literal += f.values[c] * np.prod((1 + y * X) / 2, axis=1)
    np.testing.assert_allclose(f(X), literal, rtol=1e-12, atol=1e-14)


@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**31))
def test_polynomial_equals_the_monomial_sum_and_its_expression(n, degree, seed):
    p = RandomPolynomial(n, degree, random_state=seed)
    X = np.random.default_rng(seed).uniform(-1, 1, (10, n))
    brute = [
        sum(c * np.prod(x**a) for c, a in zip(p.coefficients, p.exponents, strict=True)) for x in X
    ]
    np.testing.assert_allclose(p(X), brute, rtol=1e-12, atol=1e-14)
    assert np.abs(p.coefficients).sum() < 1
    symbolic = [float(p.expr.subs(dict(zip(p.symbols, x, strict=True)))) for x in X[:3]]
    np.testing.assert_allclose(p(X[:3]), symbolic, rtol=1e-10, atol=1e-12)


def numeric_gradient_norms(f, X, h=1e-6):
    grads = np.stack([(f(X + h * e) - f(X - h * e)) / (2 * h) for e in np.eye(X.shape[1])], 1)
    return np.linalg.norm(grads, axis=1)


@pytest.mark.parametrize(
    "make",
    [
        lambda: RandomPolynomial(4, 4, random_state=1),
        lambda: RandomHypercube(5, random_state=2),
        lambda: LinearTarget([0.5, -1.0, 2.0]),
        lambda: DistanceTarget([0.1, 0.2, -0.3], lipschitz=2.0),
        lambda: ReLUNetworkTarget(3, width=20, lipschitz=1.5, random_state=3),
    ],
)
def test_lipschitz_bound_is_never_below_sampled_gradient_norms(make):
    f = make()
    X = np.random.default_rng(0).uniform(-0.999, 0.999, (20000, f.input_dim))
    assert numeric_gradient_norms(f, X).max() <= f.lipschitz_bound() * (1 + 1e-6)


def test_hypercube_bound_is_attained_at_a_corner():
    f = RandomHypercube(4, random_state=5)
    corners = np.array(list(itertools.product([-1.0, 1.0], repeat=4)))
    inward = corners * (1 - 1e-7)
    assert numeric_gradient_norms(f, inward).max() == pytest.approx(f.lipschitz_bound(), rel=1e-5)


def test_samplers_land_in_gamma_and_are_uniform():
    """Uniformity on Gamma by a chi-square test on a grid of Gamma_y cells.

    k = 2, d = 6, seed 3, 40,000 points: cell counts are compared with the
    cells' exact areas (each cell clipped to the polytope, areas from 400x400
    sub-grid membership); rejected at p < 1e-3. Rejection from a Gaussian
    instead of the uniform box (denser at the centre) gives p ~ 0.
    """
    U = random_subspace(6, 2, random_state=3)
    X = uniform_on_section(40_000, U, random_state=4)
    assert np.abs(X).max() <= 1.0
    Y = X @ U
    np.testing.assert_allclose(Y @ U.T, X, atol=1e-12)  # on the subspace
    box = section_bounding_box(U)
    edges = [np.linspace(lo, hi, 7) for lo, hi in box]
    counts, _, _ = np.histogram2d(Y[:, 0], Y[:, 1], bins=edges)
    fine = [np.linspace(lo, hi, 2401)[:-1] + (hi - lo) / 4800 for lo, hi in box]
    G = np.stack(np.meshgrid(*fine, indexing="ij"), -1).reshape(-1, 2)
    inside = np.abs(G @ U.T).max(axis=1) <= 1
    area, _, _ = np.histogram2d(G[inside, 0], G[inside, 1], bins=edges)
    keep = area.ravel() > 0
    expected = area.ravel()[keep] / area.sum() * len(Y)
    observed = counts.ravel()[keep]
    assert observed[~(expected > 0)].sum() == 0
    assert stats.chisquare(observed, expected * observed.sum() / expected.sum()).pvalue > 1e-3


def test_curved_manifold_and_real_data():
    X, U, w = curved_manifold(500, 6, 2, curvature=0.8, random_state=0)
    assert np.abs(X).max() <= 1
    Y = X @ U
    np.testing.assert_allclose(X @ w, 0.4 * (Y**2).sum(axis=1), atol=1e-12)
    Xd, yd = load_digits_data()
    assert Xd.shape == (1797, 64) and Xd.min() >= -1 and Xd.max() <= 1 and set(yd) == set(range(10))
    Xr, yr = load_diabetes_data()
    assert Xr.shape == (442, 10) and np.isfinite(yr).all()
    assert uniform_cube(4, 3, random_state=0).shape == (4, 3)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: RandomPolynomial(0, 3), "n"),
        (lambda: RandomPolynomial(3, 0), "degree"),
        (lambda: RandomHypercube(27), "n"),
        (lambda: RandomHypercube(3)(np.zeros((2, 4))), "X"),
        (lambda: DistanceTarget([0.0], lipschitz=-1.0), "lipschitz"),
        (lambda: LinearTarget([np.nan]), "weights"),
        (lambda: random_subspace(3, 4), "k"),
        (lambda: uniform_on_section(10, np.ones((3, 2))), "U"),
        (lambda: curved_manifold(10, 3, 3), "k"),
        (lambda: uniform_cube(0, 3), "n"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()
