"""Rigorous interval evaluation of sympy expressions over a box.

An :class:`Interval` ``[lo, hi]`` has exact endpoints: ``fractions.Fraction``
while the expression stays rational (sums, products and integer powers of
rational inputs: polynomials are evaluated exactly), and otherwise points of
``python-flint``'s ``arb`` type. Every operation on ``arb`` endpoints is done
in Arb's ball arithmetic, which rounds outward by construction, and the
result's lower endpoint is taken from the lower end of the ball, the upper
from the upper end: no step rounds toward the inside, so an interval always
contains every value of the expression on the box (docs/theory.md,
"Certified Lipschitz constants"). Functions that are not monotone on their
argument (sin, cos) are evaluated on the enclosing ball of the argument.

Every number is taken exactly: Python and numpy floats and sympy ``Float``
of any precision as the binary rational they store, never through a
rounded ``float``. Strings are refused (``sympify`` would evaluate them).

Supported: numbers (rationals, floats taken exactly, pi, E), symbols, sums,
products, integer and rational powers, exp, log, sqrt, sin, cos, tanh, Abs,
sign, Max, Min, Heaviside and Piecewise with relational conditions. Anything
else -- DiracDelta, NaN, infinities -- is a ``ValueError`` naming it.
"""

from __future__ import annotations

import math
import numbers
from decimal import Decimal
from fractions import Fraction

import flint
import sympy as sp
from flint import arb, fmpq

__all__ = [
    "Interval",
    "UnboundedError",
    "UnsupportedError",
    "as_expression",
    "box_interval",
    "decide_condition",
    "evaluate_interval",
    "exact_rational",
]


def as_expression(value, name: str = "expr") -> sp.Expr:
    """``value`` as a sympy expression, without ever parsing a string.

    ``sympy.sympify`` evaluates a string as Python code; here a string is a
    ``ValueError`` naming the parameter. Numbers and sympy objects pass.

    Examples
    --------
    >>> as_expression(2) + sp.Symbol("x")
    x + 2
    >>> as_expression("x + 1")
    Traceback (most recent call last):
    ...
    ValueError: `expr` must be a sympy expression or a number, not a string ('x + 1').
    """
    if isinstance(value, str | bytes):
        raise ValueError(
            f"`{name}` must be a sympy expression or a number, not a string ({value!r})."
        )
    try:
        return sp.sympify(value, strict=True)
    except (sp.SympifyError, TypeError) as exc:
        raise ValueError(
            f"`{name}` must be a sympy expression or a number. Got {value!r}."
        ) from exc


def exact_rational(value, name: str = "value") -> Fraction:
    """The exact rational value of a finite number: no rounding anywhere.

    Python and numpy integers and floats, ``Fraction``, ``Decimal``, sympy
    ``Rational`` and ``Float`` (of any precision: the binary number it
    stores). Anything else -- strings, bools, infinities, NaN, irrational
    sympy numbers such as ``sqrt(2)`` -- is a ``ValueError`` naming ``name``.

    Examples
    --------
    >>> exact_rational(0.5), exact_rational(sp.Rational(1, 3))
    (Fraction(1, 2), Fraction(1, 3))
    >>> exact_rational(sp.Float("1.00000000000000005", 30)) > 1
    True
    """
    if isinstance(value, bool | str | bytes):
        raise ValueError(f"`{name}` must be a finite real number. Got {value!r}.")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, numbers.Integral):
        return Fraction(int(value))
    if isinstance(value, float | numbers.Real) and not isinstance(value, sp.Basic):
        if isinstance(value, Decimal) or math.isfinite(float(value)):
            try:
                return Fraction(value if isinstance(value, Decimal) else float(value))
            except (ValueError, OverflowError):
                pass
        raise ValueError(f"`{name}` must be a finite real number. Got {value!r}.")
    if isinstance(value, sp.Basic):
        if value.is_Rational:
            return Fraction(int(value.p), int(value.q))
        if value.is_Float and value.is_finite:
            r = sp.Rational(value)  # exact: the binary rational the Float stores
            return Fraction(int(r.p), int(r.q))
    raise ValueError(
        f"`{name}` must be a finite rational or float number (irrational constants such as "
        f"sqrt(2) are enclosed only where the documentation says so). Got {value!r}."
    )


class UnboundedError(ValueError):
    """The expression is unbounded or undefined somewhere on the box."""


class UnsupportedError(ValueError):
    """The expression uses a function interval arithmetic here does not support."""


def _to_arb(x):
    if isinstance(x, arb):
        return x
    return arb(fmpq(x.numerator, x.denominator))


def _lo(x) -> arb:
    """An exact point at or below ``x`` (an arb ball or a Fraction)."""
    return x.lower() if isinstance(x, arb) else _to_arb(x).lower()


def _hi(x) -> arb:
    return x.upper() if isinstance(x, arb) else _to_arb(x).upper()


class Interval:
    """A closed interval ``[lo, hi]`` with exact endpoints (Fraction or an exact arb point)."""

    __slots__ = ("hi", "lo")

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    @classmethod
    def point(cls, value) -> Interval:
        return cls(value, value)

    @classmethod
    def from_ball(cls, ball: arb) -> Interval:
        if not ball.is_finite():
            raise UnboundedError("a value overflows or is undefined on the box")
        return cls(ball.lower(), ball.upper())

    @property
    def exact(self) -> bool:
        return isinstance(self.lo, Fraction) and isinstance(self.hi, Fraction)

    def ball(self) -> arb:
        """The smallest arb ball (at the working precision) containing the interval."""
        return _lo(self.lo).union(_hi(self.hi))

    def __add__(self, other: Interval) -> Interval:
        if self.exact and other.exact:
            return Interval(self.lo + other.lo, self.hi + other.hi)
        return Interval(
            _lo(_to_arb(self.lo) + _to_arb(other.lo)), _hi(_to_arb(self.hi) + _to_arb(other.hi))
        )

    def __mul__(self, other: Interval) -> Interval:
        if self.exact and other.exact:
            p = [a * b for a in (self.lo, self.hi) for b in (other.lo, other.hi)]
            return Interval(min(p), max(p))
        p = [_to_arb(a) * _to_arb(b) for a in (self.lo, self.hi) for b in (other.lo, other.hi)]
        return Interval(min(_lo(q) for q in p), max(_hi(q) for q in p))

    def power(self, n: int) -> Interval:
        if n == 0:
            return Interval.point(Fraction(1))
        if n < 0:
            if self.contains_zero():
                raise UnboundedError("division by an interval that contains 0")
            if self.exact:
                inverse = Interval(1 / self.hi, 1 / self.lo)
            else:
                inverse = Interval(_lo(1 / _to_arb(self.hi)), _hi(1 / _to_arb(self.lo)))
            return inverse.power(-n)
        # lo^n and hi^n, each as (lower bound, upper bound)
        if self.exact:
            a, b, zero = (self.lo**n,) * 2, (self.hi**n,) * 2, Fraction(0)
        else:
            pa, pb = _to_arb(self.lo) ** n, _to_arb(self.hi) ** n
            a, b, zero = (_lo(pa), _hi(pa)), (_lo(pb), _hi(pb)), arb(0)
        if n % 2 == 1 or self.lo >= 0:  # increasing on the interval
            return Interval(a[0], b[1])
        if self.hi <= 0:  # decreasing
            return Interval(b[0], a[1])
        return Interval(zero, max(a[1], b[1]))

    def monotone(self, fn, *, increasing: bool = True) -> Interval:
        """Image under a monotone arb function (evaluated at the two endpoints)."""
        a, b = fn(_to_arb(self.lo)), fn(_to_arb(self.hi))
        if not (a.is_finite() and b.is_finite()):
            raise UnboundedError("a value overflows or is undefined on the box")
        return Interval(_lo(a), _hi(b)) if increasing else Interval(_lo(b), _hi(a))

    def contains_zero(self) -> bool:
        return self.lo <= 0 <= self.hi

    def magnitude(self):
        """``max(|lo|, |hi|)`` (exact)."""
        return max(abs(self.lo), abs(self.hi))

    def magnitude_ball(self) -> arb:
        """An arb ball containing :meth:`magnitude`."""
        return _to_arb(self.magnitude())

    def __repr__(self) -> str:
        return f"Interval({self.lo}, {self.hi})"


def _hull(a: Interval, b: Interval) -> Interval:
    """The smallest interval holding both."""
    if a.exact and b.exact:
        return Interval(min(a.lo, b.lo), max(a.hi, b.hi))
    return Interval(min(_lo(a.lo), _lo(b.lo)), max(_hi(a.hi), _hi(b.hi)))


def _number(e: sp.Expr) -> Interval:
    if e.is_Rational:
        return Interval.point(Fraction(int(e.p), int(e.q)))
    if e.is_Float:
        if not e.is_finite:
            raise UnboundedError(f"the expression contains {e}.")
        return Interval.point(exact_rational(e))
    if e is sp.pi:
        return Interval.from_ball(arb.pi())
    if e is sp.E:
        return Interval.from_ball(arb.const_e())
    if e is sp.nan:
        raise ValueError("the expression contains NaN.")
    if e in (sp.oo, -sp.oo, sp.zoo):
        raise UnboundedError(f"the expression contains {e}.")
    return None


def _sign_interval(a: Interval, *, heaviside: bool) -> Interval:
    zero = Fraction(0)
    low = zero if heaviside else Fraction(-1)
    lo = Fraction(1) if a.lo > 0 else (zero if (a.lo == 0 and not heaviside) else low)
    hi = low if a.hi < 0 else (zero if (a.hi == 0 and not heaviside) else Fraction(1))
    if heaviside and a.hi == 0 and a.lo == 0:
        lo, hi = zero, Fraction(1)  # Heaviside(0) is left open: either value
    return Interval(lo, hi)


def evaluate_interval(expr: sp.Expr, box: dict, *, fixed: dict | None = None) -> Interval:
    """An interval containing every value of ``expr`` on ``box``.

    Parameters
    ----------
    expr : sympy expression
    box : dict
        ``{symbol: Interval or (lo, hi)}`` with rational or float bounds.
    fixed : dict, optional
        ``{Heaviside(...) or sign(...): value}``: take these sub-expressions as
        constants (a side of a kink chosen by the caller).

    Raises
    ------
    UnboundedError
        A pole, a root or logarithm of a range that reaches below 0, or an overflow.
    UnsupportedError
        A function outside the supported list.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> iv = evaluate_interval(x**2 - x, {x: (-1, 1)})
    >>> iv.lo, iv.hi
    (Fraction(-1, 1), Fraction(2, 1))
    >>> e = evaluate_interval(sp.exp(x), {x: (0, 1)})
    >>> float(e.lo) <= 1.0 and float(e.hi) >= math.e
    True
    """
    boxed = {s: v if isinstance(v, Interval) else box_interval(v) for s, v in box.items()}
    return _eval(as_expression(expr), boxed, {} if fixed is None else dict(fixed), {})


def box_interval(bounds) -> Interval:
    """The interval ``[lo, hi]`` of a pair of bounds, taken exactly (ValueError if lo > hi).

    Rationals and floats of any kind are exact (:func:`exact_rational`).
    A real sympy constant that is not rational (``sqrt(2)``, ``pi / 4``) is
    enclosed outward: the box grows by at most ``2**-120`` relative at that
    end, never shrinks. Strings are refused.

    Examples
    --------
    >>> box_interval((0, sp.Float("0.3", 50))).hi > Fraction(3, 10) - Fraction(1, 10**40)
    True
    """
    if isinstance(bounds, str | bytes) or len(bounds) != 2:
        raise ValueError(f"box bounds must be a (lo, hi) pair. Got {bounds!r}.")
    lo, hi = _outward(bounds[0], upper=False), _outward(bounds[1], upper=True)
    if not lo <= hi:
        raise ValueError(f"box bounds must satisfy lo <= hi. Got ({bounds[0]}, {bounds[1]}).")
    return Interval(lo, hi)


def _outward(value, *, upper: bool) -> Fraction:
    """An exact rational at (or, for an irrational constant, just beyond) ``value``."""
    if isinstance(value, sp.Basic) and value.is_number and not value.is_Rational:
        if not value.is_Float:
            if value.is_real is not True or not value.is_finite:
                raise ValueError(f"box bounds must be finite real numbers. Got {value}.")
            with flint.ctx.workprec(160):
                ball = _eval(value, {}, {}, {}).ball()
                man, exp = (ball.upper() if upper else ball.lower()).man_exp()
            return Fraction(int(man)) * Fraction(2) ** int(exp)
    return exact_rational(value, "box bounds")


def _eval(e, box, fixed, memo):
    if e in memo:
        return memo[e]
    if e in fixed:
        out = Interval.point(Fraction(fixed[e]))
    elif e.is_Symbol:
        if e not in box:
            raise ValueError(f"the box does not bound the variable {e}.")
        out = box[e]
    elif e.is_Atom and e.is_number:
        out = _number(e)
        if out is None:
            raise UnsupportedError(f"unsupported: the constant {e}")
    elif e.is_Add:
        terms = [_eval(a, box, fixed, memo) for a in e.args]
        out = terms[0]
        for t in terms[1:]:
            out = out + t
    elif e.is_Mul:
        factors = [_eval(a, box, fixed, memo) for a in e.args]
        out = factors[0]
        for f in factors[1:]:
            out = out * f
    elif e.is_Pow:
        out = _power(e, box, fixed, memo)
    else:
        out = _function(e, box, fixed, memo)
    memo[e] = out
    return out


def _power(e, box, fixed, memo):
    base, expo = e.args
    b = _eval(base, box, fixed, memo)
    if expo.is_Integer:
        return b.power(int(expo))
    if b.lo < 0 or (b.lo == 0 and expo.is_negative):
        raise UnboundedError(f"{e} is undefined or unbounded on the box")
    if expo.is_Rational:
        p, q = int(expo.p), int(expo.q)
        root = b.monotone(lambda t: t.nonnegative_part().root(q))
        return root.power(p)
    if b.lo == 0:
        raise UnboundedError(f"{e} is undefined or unbounded on the box")
    return _eval(sp.exp(expo * sp.log(base)), box, fixed, memo)


def _function(e, box, fixed, memo):
    name = type(e).__name__
    if isinstance(e, sp.exp):
        return _eval(e.args[0], box, fixed, memo).monotone(arb.exp)
    if isinstance(e, sp.log):
        a = _eval(e.args[0], box, fixed, memo)
        if a.lo <= 0:
            raise UnboundedError(f"{e} is undefined or unbounded on the box")
        return a.monotone(arb.log)
    if isinstance(e, sp.tanh):
        return _eval(e.args[0], box, fixed, memo).monotone(arb.tanh)
    if isinstance(e, sp.sin | sp.cos):
        ball = _eval(e.args[0], box, fixed, memo).ball()
        value = ball.sin() if isinstance(e, sp.sin) else ball.cos()
        lo, hi = max(_lo(value), arb(-1)), min(_hi(value), arb(1))
        return Interval(lo, hi)
    if isinstance(e, sp.Abs):
        a = _eval(e.args[0], box, fixed, memo)
        if a.contains_zero():
            return Interval(Fraction(0) if a.exact else arb(0), a.magnitude())
        return Interval(min(abs(a.lo), abs(a.hi)), a.magnitude())
    if isinstance(e, sp.Max | sp.Min):
        args = [_eval(a, box, fixed, memo) for a in e.args]
        exact = all(a.exact for a in args)
        los = [a.lo if exact else _lo(a.lo) for a in args]
        his = [a.hi if exact else _hi(a.hi) for a in args]
        pick = max if isinstance(e, sp.Max) else min
        return Interval(pick(los), pick(his))
    if isinstance(e, sp.Heaviside | sp.sign):
        a = _eval(e.args[0], box, fixed, memo)
        return _sign_interval(a, heaviside=isinstance(e, sp.Heaviside))
    if isinstance(e, sp.Piecewise):
        return _piecewise(e, box, fixed, memo)
    raise UnsupportedError(f"unsupported: {name} ({e})")


def _piecewise(e, box, fixed, memo):
    """The hull of every branch whose condition may hold, up to the first that surely does."""
    out = None
    for value, cond in e.args:
        decided = _condition(cond, box, fixed, memo)
        if decided is False:
            continue
        branch = _eval(value, box, fixed, memo)
        out = branch if out is None else _hull(out, branch)
        if decided is True:
            return out
    if out is None:
        raise UnboundedError(f"{e} is undefined somewhere on the box")
    return out


def decide_condition(cond, box: dict):
    """True / False if the relational ``cond`` holds everywhere / nowhere on ``box``, else None.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> decide_condition(x < 2, {x: (0, 1)}), decide_condition(x < 0.5, {x: (0, 1)})
    (True, None)
    """
    boxed = {s: v if isinstance(v, Interval) else box_interval(v) for s, v in box.items()}
    return _condition(cond, boxed, {}, {})


def _condition(cond, box, fixed, memo):
    """True / False if the relational holds everywhere / nowhere on the box, else None."""
    if cond in fixed:
        return bool(fixed[cond])
    if cond is sp.true:
        return True
    if cond is sp.false:
        return False
    if isinstance(cond, sp.core.relational.Relational):
        d = _eval(cond.lhs - cond.rhs, box, fixed, memo)
        if isinstance(cond, sp.StrictLessThan | sp.LessThan):
            d = Interval(-d.hi, -d.lo) if d.exact else Interval(-_hi(d.hi), -_lo(d.lo))
        if isinstance(cond, sp.StrictGreaterThan | sp.StrictLessThan):
            return True if d.lo > 0 else (False if d.hi <= 0 else None)
        if isinstance(cond, sp.GreaterThan | sp.LessThan):
            return True if d.lo >= 0 else (False if d.hi < 0 else None)
    raise UnsupportedError(f"unsupported Piecewise condition: {cond}")
