"""Certified Lipschitz bounds are never below what sampling and local search find."""

import itertools
import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from theory.lipschitz import (
    dense_network_lipschitz,
    dsm_region_lipschitz,
    exact_gradient_norm_max,
    gradient,
    hypercube_lipschitz,
    lipschitz_bound,
    polynomial_lipschitz_chain,
)

x, y = sp.symbols("x y")


def sampled_max(expr, variables, box, seed=0, n=2000, starts=5):
    """Largest ||grad|| found by uniform sampling plus L-BFGS-B from the best points."""
    grad = sp.lambdify(variables, gradient(expr, variables), "numpy")
    lo, hi = np.array(box, dtype=float).T
    P = np.random.default_rng(seed).uniform(lo, hi, size=(n, len(variables)))

    def norm(p):
        return float(np.sqrt(sum(np.asarray(g, dtype=float) ** 2 for g in grad(*p))))

    values = np.array([norm(p) for p in P])
    best = values.max()
    for p in P[np.argsort(values)[-starts:]]:
        res = minimize(
            lambda q: -norm(q), p, bounds=list(zip(lo, hi, strict=True)), method="L-BFGS-B"
        )
        best = max(best, -res.fun)
    return best


coefficients = st.integers(-6, 6).map(lambda c: sp.Rational(c, 4))
monomials_2d = [x**i * y**j for i in range(4) for j in range(4) if i + j <= 3]


@settings(max_examples=8)
@given(st.lists(coefficients, min_size=len(monomials_2d), max_size=len(monomials_2d)))
@example(coefs=[0, 0, 3 / 4, 1 / 2, 0, 0, 1 / 2, 0, -3 / 4, 0])  # a flat maximum: many boxes
@example(coefs=[0, 0, 0, 0, 0, 0, 3 / 4, 1, -5 / 4, 3 / 2])  # an interior critical point
def test_certified_bound_brackets_the_exact_maximum_of_cubics(coefs):
    coefs = [sp.nsimplify(c) for c in coefs]
    p = sum(c * m for c, m in zip(coefs, monomials_2d, strict=True))
    box = [(-1, 1), (-1, 1)]
    bound = lipschitz_bound(p, [x, y], box, tol=1e-3, max_boxes=20000)
    exact = float(exact_gradient_norm_max(p, [x, y], box))
    assert bound.lower <= exact + 1e-9
    assert exact <= bound.upper
    assert bound.converged and bound.upper <= exact + 1e-3 + 1e-9  # within the tolerance
    assert sampled_max(p, [x, y], box) <= bound.upper


@pytest.mark.parametrize(
    "expr",
    [
        sp.sin(3 * x) * y + sp.exp(x / 2),
        sp.tanh(2 * x - y) + x * y**2,
        sp.Max(0, x + y - sp.Rational(1, 3)) + sp.cos(y),
        sp.sqrt(x + 2) * y,
    ],
)
def test_certified_bound_is_never_below_sampling_for_transcendental_functions(expr):
    box = [(-1, 1), (-1, 1)]
    bound = lipschitz_bound(expr, [x, y], box, tol=1e-2, max_boxes=4000)
    assert bound.lower <= bound.upper
    assert sampled_max(expr, [x, y], box) <= bound.upper


@pytest.mark.parametrize("expr", [sp.sqrt(x), 1 / x, x * sp.log(x)])
def test_unbounded_gradients_are_refused(expr):
    with pytest.raises(ValueError, match="unbounded"):
        lipschitz_bound(expr, [x], [(-1 if expr == 1 / x else 0, 1)])


def test_bad_boxes_are_refused():
    with pytest.raises(ValueError, match="box"):
        lipschitz_bound(x * y, [x, y], [(0, 1)])
    with pytest.raises(ValueError, match="lo <= hi"):
        lipschitz_bound(x, [x], [(1, 0)])


def hypercube_expr(values, n, xs):
    total = 0
    for c in range(2**n):
        term = values[c]
        for i in range(n):
            yi = 1 if c >> i & 1 else -1
            term *= (1 + yi * xs[i]) / 2
        total += term
    return sp.expand(total)


@given(st.integers(1, 4), st.integers(0, 2**31))
def test_hypercube_constant_is_the_gradient_norm_at_the_worst_corner(n, seed):
    rng = np.random.default_rng(seed)
    values = rng.choice([-1, 1], size=2**n).tolist()
    xs = sp.symbols(f"x0:{n}")
    f = hypercube_expr(values, n, xs)
    L = float(hypercube_lipschitz(values, n))
    grad = sp.lambdify(xs, gradient(f, xs), "numpy")
    corners = [float(np.linalg.norm(grad(*c))) for c in itertools.product([-1, 1], repeat=n)]
    assert max(corners) == pytest.approx(L, abs=1e-12)
    inner = rng.uniform(-1, 1, size=(200, n))
    assert max(float(np.linalg.norm(grad(*p))) for p in inner) <= L + 1e-12


def test_polynomial_chain_is_ordered_and_dominates_the_certified_bound():
    rng = np.random.default_rng(4)
    xs = sp.symbols("x0:3")
    monos = [
        sp.Mul(*[v**e for v, e in zip(xs, a, strict=True)])
        for a in itertools.product(range(3), repeat=3)
        if sum(a) <= 3
    ]
    c = rng.standard_normal(len(monos))
    c = c / np.abs(c).sum() * (1 - 1e-9)
    p = sum(sp.Rational(float(ci)) * m for ci, m in zip(c, monos, strict=True))
    chain = polynomial_lipschitz_chain(p, xs)
    values = [float(chain[key]) for key in ("B1", "B2", "B3", "degree_bound")]
    assert values == sorted(values) and values[-1] < 3
    bound = lipschitz_bound(p, xs, [(-1, 1)] * 3, tol=1e-2, max_boxes=1500)
    assert bound.upper <= values[0] * (1 + 1e-12)
    assert sampled_max(p, xs, [(-1, 1)] * 3) <= bound.upper


def test_dense_network_bounds_dominate_sampled_gradients():
    rng = np.random.default_rng(5)
    A, Bm, c = rng.standard_normal(12), rng.standard_normal((12, 3)), rng.standard_normal(12)
    out = dense_network_lipschitz(A.tolist(), Bm.tolist(), "relu")
    X = rng.uniform(-3, 3, size=(5000, 3))
    active = (X @ Bm.T + c) > 0
    grads = (active * A) @ Bm  # exact gradient of A relu(Bx + c) off the kinks
    assert np.linalg.norm(grads, axis=1).max() <= float(out["interval"])
    assert float(out["interval"]) <= float(out["norm_product"]) + 1e-12
    region = dsm_region_lipschitz(A.tolist(), Bm.tolist(), [0, 3, 5])
    sub = (active[:, [0, 3, 5]] * A[[0, 3, 5]]) @ Bm[[0, 3, 5]]
    assert np.linalg.norm(sub, axis=1).max() <= float(region["interval"])
    with pytest.raises(ValueError, match="activation"):
        dense_network_lipschitz([1.0], [[1.0]], "sign")


def test_exact_maximum_in_one_variable_matches_calculus():
    p = x**3 - 3 * x  # p' = 3x^2 - 3: max |p'| on [-2, 2] is 9 at the ends
    assert exact_gradient_norm_max(p, [x], [(-2, 2)]) == 9
    assert math.isclose(float(exact_gradient_norm_max(x**4 - x, [x], [(-1, 1)])), 5.0)
    with pytest.raises(ValueError, match="polynomial"):
        exact_gradient_norm_max(sp.sin(x), [x], [(0, 1)])


def relu_gradient_norm_max(f, n_points=400_000, seed=0):
    """An independent estimate: the largest ||grad|| of the network over random points."""
    X = np.random.default_rng(seed).uniform(-1, 1, (n_points, f.input_dim))
    active = X @ f.B.T + f.c > 0
    return float(np.linalg.norm((active * f.a) @ f.B, axis=1).max())


@pytest.mark.parametrize(("width", "within"), [(3, 0.01), (16, 0.05)])
@pytest.mark.parametrize("seed", [0, 1])
def test_relu_networks_converge_to_their_lipschitz_constant(width, within, seed):
    from dsn_model.targets import ReLUNetworkTarget

    f = ReLUNetworkTarget(2, width=width, random_state=seed)
    bound = lipschitz_bound(
        f.expr, f.symbols, [(-1, 1), (-1, 1)], tol=1e-4, max_boxes=20_000, time_limit=30
    )
    sampled = relu_gradient_norm_max(f)
    assert bound.lower - 1e-12 <= bound.upper
    assert sampled <= bound.upper + 1e-12  # certified
    assert bound.upper <= (1 + within) * sampled  # and tight: the kinks do not block it
    assert bound.gap == bound.upper - bound.lower


def test_the_search_stops_on_its_time_limit_with_sound_bounds():
    xs = sp.symbols("x0:6")
    expr = sp.expand((xs[0] * xs[1] - xs[2] + xs[3] * xs[4] * xs[5]) ** 6)
    bound = lipschitz_bound(expr, xs, [(-1, 1)] * 6, tol=1e-12, time_limit=0.5, max_boxes=10**9)
    assert bound.stopped == "time_limit" and not bound.converged
    assert 0 < bound.lower <= bound.upper


@pytest.mark.parametrize(
    ("expr", "match"),
    [
        (sp.DiracDelta(x) + y, "DiracDelta"),
        (sp.nan * x, "NaN"),
        (sp.exp(1000 * x) * 10**300, "overflow"),
        (x**3 * 10**300 + y, "overflow"),
    ],
)
def test_unsupported_or_overflowing_expressions_are_named(expr, match):
    with pytest.raises(ValueError, match=match):
        lipschitz_bound(expr, [x, y], [(-1, 1), (-1, 1)])


def test_abs_sign_and_missing_variables():
    b = lipschitz_bound(sp.Abs(x) + sp.Abs(y), [x, y], [(-1, 1), (-1, 1)], tol=1e-9)
    assert b.upper == pytest.approx(math.sqrt(2), rel=1e-12) and b.converged
    with pytest.raises(ValueError, match="y"):
        lipschitz_bound(x * y, [x], [(0, 1)])
    with pytest.raises(ValueError, match="empty"):
        lipschitz_bound(sp.Integer(1), [], [])


# ------------------------------------------------ exact numbers, continuity, no strings
def _decimal(digits: list[int]) -> str:
    return "0." + "".join(map(str, digits))


@settings(max_examples=25, deadline=None)
@given(st.integers(15, 28), st.integers(1, 9), st.integers(30, 50))
def test_high_precision_slopes_are_never_rounded_away(exponent, lead, precision):
    """Max(0, a x) - Max(0, x) on [1/10, 1] has slope |a - 1| exactly; a has 30-50 digits."""
    a_text = f"1.{'0' * (exponent - 1)}{lead}"
    a = sp.Float(a_text, precision)
    bound = lipschitz_bound(sp.Max(0, a * x) - sp.Max(0, x), [x], [(sp.Rational(1, 10), 1)])
    true_slope = abs(sp.Rational(a) - 1)  # the binary number the Float stores, exactly
    assert true_slope > 0
    assert sp.Rational(bound.upper) >= true_slope


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=38, max_size=40), st.integers(25, 35))
def test_a_kink_just_inside_a_high_precision_box_end_is_seen(digits, gap):
    """The box ends at a 50-digit Float; the ReLU's kink sits 1e-gap below it: slope 1."""
    end_text = _decimal([1, *digits])
    end = sp.Float(end_text, 50)
    kink = sp.Rational(end) - sp.Rational(1, 10**gap)
    bound = lipschitz_bound(sp.Max(0, x - kink), [x], [(0, end)])
    assert bound.upper >= 1


@pytest.mark.parametrize(
    "expr",
    [
        sp.Piecewise((x, x < 0), (x + 1, True)),
        sp.Piecewise((x, x < y), (x + y + 1, True)),
        sp.Piecewise((0, x < 0), (1, x < 1), (x, True)),
    ],
)
def test_discontinuous_piecewise_functions_are_refused_by_name(expr):
    with pytest.raises(ValueError, match="discontinuous"):
        lipschitz_bound(expr, [x, y], [(-1, 2), (-1, 2)])


@pytest.mark.parametrize(
    "expr, expected",
    [
        (sp.Piecewise((0, x < 0), (x, x < 1), (1, True)), 1),  # a clamp
        (sp.Piecewise((x, x < y), (y, True)), 1),  # Min(x, y)
        (sp.Piecewise((x, x < 5), (0, True)), 1),  # the jump at 5 is outside the box
    ],
)
def test_continuous_piecewise_functions_converge(expr, expected):
    bound = lipschitz_bound(expr, [x, y], [(-1, 2), (-1, 2)], tol=1e-6)
    assert bound.converged and bound.lower <= expected <= bound.upper <= expected + 1e-6


def test_strings_are_never_parsed():
    for call in (
        lambda: lipschitz_bound("x**2", [x], [(0, 1)]),
        lambda: lipschitz_bound(x**2, [x], [("0", 1)]),
        lambda: exact_gradient_norm_max(x**2, [x], [(0, "1")]),
        lambda: dense_network_lipschitz(["1"], [[1]]),
        lambda: polynomial_lipschitz_chain("x", [x]),
    ):
        with pytest.raises(ValueError, match=r"string|finite real number|must be"):
            call()


def test_float_entries_and_box_ends_are_taken_as_the_binary_numbers_they_are():
    out = dense_network_lipschitz([0.1], [[1.0]], "identity")
    assert out["interval"] == sp.Rational(0.1) != sp.Rational(1, 10)
    # (x^2)' = 2x on [0, 0.1]: the float 0.1 is above 1/10, so the maximum is above 1/5
    assert exact_gradient_norm_max(x**2, [x], [(0, 0.1)]) == 2 * sp.Rational(0.1)


def test_irrational_box_ends_are_enclosed_outward():
    bound = lipschitz_bound(x**2, [x], [(0, sp.sqrt(2))], tol=1e-9)
    assert bound.upper >= 2 * math.sqrt(2)
