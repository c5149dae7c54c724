"""Interval enclosures are sound: they contain the value computed at 100 digits."""

import math
from fractions import Fraction

import mpmath
import pytest
import sympy as sp
from flint import arb
from hypothesis import given, settings
from hypothesis import strategies as st

from theory.intervals import UnboundedError, UnsupportedError, box_interval, evaluate_interval

x, y = sp.symbols("x y")

#: Every function the engine supports, each on a domain where it is defined.
FUNCTIONS = [
    (sp.exp(x), (-30, 30)),
    (sp.log(x), (1e-6, 1e6)),
    (sp.sqrt(x), (0, 1e6)),
    (x ** sp.Rational(3, 2), (0, 100)),
    (sp.sin(x), (-1e3, 1e3)),
    (sp.cos(x), (-1e3, 1e3)),
    (sp.tanh(x), (-40, 40)),
    (x**5 - 3 * x**2 + sp.Rational(1, 3), (-10, 10)),
    (1 / (1 + x**2), (-10, 10)),
    (sp.Abs(x - sp.Rational(1, 7)), (-3, 3)),
    (sp.Max(0, 2 * x - 1) - sp.Min(x, sp.Rational(1, 2)), (-3, 3)),
    (sp.Heaviside(x - sp.Rational(1, 3)) * x, (-3, 3)),
    (sp.sign(x) * x**2, (-3, 3)),
    (sp.Piecewise((x**2, x > 1), (sp.exp(x), True)), (-3, 3)),
    (sp.pi * x + sp.E, (-3, 3)),
]


def exact_value(expr, point):
    """``expr`` at ``point`` with 100 significant digits (mpmath)."""
    with mpmath.workdps(100):
        f = sp.lambdify(x, expr, modules=["mpmath"])
        return f(mpmath.mpf(point))


def as_fraction(v) -> Fraction:
    """An endpoint (Fraction or exact arb point) or an mpf value, as an exact rational."""
    if isinstance(v, Fraction):
        return v
    if isinstance(v, arb):
        man, exp = v.man_exp()
    else:  # an mpmath mpf: (sign, mantissa, exponent, bit count)
        sign, man, exp, _ = v._mpf_
        man = -man if sign else man
    return Fraction(int(man)) * Fraction(2) ** int(exp)


def contains(iv, value) -> bool:
    """Whether ``iv`` holds the 100-digit value (off from the truth by < 1e-95 relative)."""
    v = as_fraction(value)
    slack = Fraction(1, 10**95) * max(1, abs(v))
    return as_fraction(iv.lo) - slack <= v <= as_fraction(iv.hi) + slack


@settings(max_examples=60, deadline=None)
@given(st.integers(0, len(FUNCTIONS) - 1), st.floats(0, 1), st.sampled_from([0, 1e-12, 1e-6]))
def test_enclosure_contains_the_100_digit_value(which, where, width):
    expr, (lo, hi) = FUNCTIONS[which]
    a = lo + where * (hi - lo)
    b = min(hi, a + width * max(1.0, abs(a)))
    iv = evaluate_interval(expr, {x: (a, b)})
    for point in (a, b, (a + b) / 2):
        value = exact_value(expr, point)
        assert contains(iv, value), (expr, a, b, iv, value)


def test_one_point_boxes_of_transcendental_functions_are_tight_and_sound():
    for expr, lo in [(sp.exp(x), 0.7), (sp.sin(x), 2.0), (sp.log(x), 3.0), (sp.tanh(x), 0.3)]:
        iv = evaluate_interval(expr, {x: (lo, lo)})
        value = exact_value(expr, lo)
        assert contains(iv, value)
        assert float(iv.hi) - float(iv.lo) <= 1e-14 * max(1.0, abs(float(value)))


def test_polynomials_on_rational_boxes_are_exact():
    iv = evaluate_interval(x**2 * y - x, {x: (sp.Rational(1, 3), 1), y: (2, 3)})
    assert iv.exact
    assert (iv.lo, iv.hi) == (Fraction(2, 9) - 1, 3 - Fraction(1, 3))  # no rounding at all


@pytest.mark.parametrize(
    ("expr", "box", "error", "match"),
    [
        (1 / x, (-1, 1), UnboundedError, "contains 0"),
        (sp.log(x), (-1, 1), UnboundedError, "log"),
        (sp.sqrt(x), (-1, 1), UnboundedError, "sqrt|undefined"),
        (sp.DiracDelta(x), (-1, 1), UnsupportedError, "DiracDelta"),
        (sp.gamma(x), (1, 2), UnsupportedError, "gamma"),
        (sp.nan * x, (-1, 1), ValueError, "NaN"),
    ],
)
def test_bad_expressions_name_the_problem(expr, box, error, match):
    with pytest.raises(error, match=match):
        evaluate_interval(expr, {x: box})


def test_bad_boxes_are_refused():
    with pytest.raises(ValueError, match="lo <= hi"):
        box_interval((1, 0))
    with pytest.raises(ValueError, match="finite"):
        box_interval((0, math.inf))
    with pytest.raises(ValueError, match="does not bound the variable y"):
        evaluate_interval(x + y, {x: (0, 1)})
