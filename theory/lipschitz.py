"""Certified Lipschitz constants: interval arithmetic, exact maxima, closed forms.

For a C^1 function on a convex box the l2 Lipschitz constant is
``sup ||grad f||_2`` (docs/theory.md). This module bounds it from both sides:

* :func:`lipschitz_bound` -- a **certified upper bound** by interval
  arithmetic on the sympy expression tree of every partial derivative,
  tightened by branch and bound over sub-boxes, and a **witnessed lower
  bound** (a point where ``||grad f||`` is that large). Arithmetic is exact
  (``fractions.Fraction``) while the expression and box are rational;
  transcendental functions and irrational constants switch to floats rounded
  outward, so the upper bound stays sound.
* :func:`exact_gradient_norm_max` -- the exact maximum for polynomials in one
  or two variables, from critical points (corners, edge roots, and interior
  points through a resultant).
* closed forms for the paper's targets: :func:`hypercube_lipschitz` (exact,
  docs/theory.md) and :func:`polynomial_lipschitz_chain` (``L <= B1 <= B2 <= B3
  <= P sum|c|``, §7.1);
* networks: :func:`dense_network_lipschitz` for ``A sigma(B x + c)`` and
  :func:`dsm_region_lipschitz` for one routing region of a DSM.

Pure sympy (and the standard library); imports nothing of ``dsn_model``.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from fractions import Fraction
from itertools import product

import mpmath
import sympy as sp

__all__ = [
    "LipschitzBound",
    "dense_network_lipschitz",
    "dsm_region_lipschitz",
    "exact_gradient_norm_max",
    "gradient",
    "hypercube_lipschitz",
    "interval_of",
    "lipschitz_bound",
    "polynomial_lipschitz_chain",
]


class UnboundedError(ValueError):
    """The expression (or its gradient) is unbounded or undefined on the box."""


# --------------------------------------------------------------------- intervals
def _down(x):
    return x if isinstance(x, Fraction) else math.nextafter(float(x), -math.inf)


def _up(x):
    return x if isinstance(x, Fraction) else math.nextafter(float(x), math.inf)


def _mix(a, b):
    """Common type of two endpoints: Fraction if both exact, else float."""
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a, b
    return float(a), float(b)


class Interval:
    """A closed interval ``[lo, hi]`` with Fraction (exact) or float (outward) ends."""

    __slots__ = ("hi", "lo")

    def __init__(self, lo, hi):
        if lo > hi:  # pragma: no cover - an internal invariant
            raise AssertionError("empty interval")
        self.lo, self.hi = lo, hi

    def __add__(self, other):
        lo1, lo2 = _mix(self.lo, other.lo)
        hi1, hi2 = _mix(self.hi, other.hi)
        return Interval(_down(lo1 + lo2), _up(hi1 + hi2))

    def __mul__(self, other):
        products = []
        for a in (self.lo, self.hi):
            for b in (other.lo, other.hi):
                x, y = _mix(a, b)
                products.append(x * y)
        return Interval(_down(min(products)), _up(max(products)))

    def power(self, n: int):
        if n == 0:
            return Interval(Fraction(1), Fraction(1))
        if n < 0:
            if self.lo <= 0 <= self.hi:
                raise UnboundedError("division by an interval that contains 0")
            inv = Interval(
                _down(1 / self.hi if isinstance(self.hi, Fraction) else 1.0 / self.hi),
                _up(1 / self.lo if isinstance(self.lo, Fraction) else 1.0 / self.lo),
            )
            return inv.power(-n)
        a, b = self.lo**n, self.hi**n
        if n % 2 == 1 or self.lo >= 0:
            return Interval(_down(min(a, b)), _up(max(a, b)))
        if self.hi <= 0:
            return Interval(_down(b), _up(a))
        return Interval(Fraction(0) if isinstance(a, Fraction) else 0.0, _up(max(a, b)))

    def monotone(self, fn, increasing=True):
        a, b = fn(float(self.lo)), fn(float(self.hi))
        lo, hi = (a, b) if increasing else (b, a)
        return Interval(_down(lo), _up(hi))

    def magnitude(self):
        """``max(|lo|, |hi|)``."""
        return max(abs(self.lo), abs(self.hi))


def _constant(value: sp.Expr) -> Interval:
    if value.is_Rational:
        q = Fraction(int(value.p), int(value.q))
        return Interval(q, q)
    if value.is_Float:
        q = Fraction(float(value))
        return Interval(q, q)
    if value.is_real is False:
        raise UnboundedError(f"non-real constant {value}")
    x = float(sp.N(value, 30))
    return Interval(_down(x), _up(x))


def _trig(iv: Interval, fn, peaks_at):
    lo, hi = float(iv.lo), float(iv.hi)
    if hi - lo >= 2 * math.pi:
        return Interval(-1.0, 1.0)
    values = [fn(lo), fn(hi)]
    k = math.ceil((lo - peaks_at) / (math.pi / 2))
    while peaks_at + k * math.pi / 2 <= hi:
        values.append(fn(peaks_at + k * math.pi / 2))
        k += 1
    return Interval(max(-1.0, _down(min(values))), min(1.0, _up(max(values))))


def interval_of(expr: sp.Expr, box: dict) -> Interval:
    """An interval containing ``expr`` over ``box`` (``{symbol: (lo, hi)}``).

    Supports sums, products, integer and rational powers, exp, log, sin,
    cos, tanh, Abs, Max, Min, Heaviside and constants.

    Raises
    ------
    ValueError
        If the expression is unbounded or undefined somewhere on the box
        (a pole, ``sqrt`` or ``log`` of a non-positive range).

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> iv = interval_of(x**2 - x, {x: (sp.Integer(-1), sp.Integer(1))})
    >>> iv.lo, iv.hi
    (Fraction(-1, 1), Fraction(2, 1))
    """
    memo: dict = {}
    boxed = {s: _as_interval(v) for s, v in box.items()}
    return _eval(sp.sympify(expr), boxed, memo)


def _as_interval(bounds) -> Interval:
    lo, hi = bounds
    return Interval(_to_exact(lo), _to_exact(hi))


def _to_exact(value):
    value = sp.sympify(value)
    if value.is_Rational or value.is_Float:
        return _constant(value).lo
    raise ValueError(f"box bounds must be rational or float numbers. Got {value}.")


def _eval(e, box, memo):
    if e in memo:
        return memo[e]
    if e.is_Symbol:
        if e not in box:
            raise ValueError(f"the box does not bound the variable {e}.")
        out = box[e]
    elif e.is_number:
        out = _constant(e)
    elif e.is_Add:
        args = [_eval(a, box, memo) for a in e.args]
        out = args[0]
        for a in args[1:]:
            out = out + a
    elif e.is_Mul:
        args = [_eval(a, box, memo) for a in e.args]
        out = args[0]
        for a in args[1:]:
            out = out * a
    elif e.is_Pow:
        base, expo = e.args
        b = _eval(base, box, memo)
        if expo.is_Integer:
            out = b.power(int(expo))
        elif expo.is_Rational and expo.q == 2:
            if b.lo < 0 or (b.lo == 0 and expo < 0):
                raise UnboundedError(f"{e} is undefined or unbounded on the box")
            root = b.monotone(math.sqrt)
            out = root.power(int(expo.p))
        else:
            if b.lo <= 0:
                raise UnboundedError(f"{e} is undefined or unbounded on the box")
            out = Interval(
                _down(min(float(b.lo) ** float(expo), float(b.hi) ** float(expo))),
                _up(max(float(b.lo) ** float(expo), float(b.hi) ** float(expo))),
            )
    elif isinstance(e, sp.exp):
        out = _eval(e.args[0], box, memo).monotone(math.exp)
    elif isinstance(e, sp.log):
        a = _eval(e.args[0], box, memo)
        if a.lo <= 0:
            raise UnboundedError(f"{e} is undefined or unbounded on the box")
        out = a.monotone(math.log)
    elif isinstance(e, sp.tanh):
        out = _eval(e.args[0], box, memo).monotone(math.tanh)
    elif isinstance(e, sp.sin):
        out = _trig(_eval(e.args[0], box, memo), math.sin, math.pi / 2)
    elif isinstance(e, sp.cos):
        out = _trig(_eval(e.args[0], box, memo), math.cos, 0.0)
    elif isinstance(e, sp.Abs):
        a = _eval(e.args[0], box, memo)
        zero = Fraction(0) if isinstance(a.lo, Fraction) else 0.0
        lo = zero if a.lo <= 0 <= a.hi else min(abs(a.lo), abs(a.hi))
        out = Interval(lo, a.magnitude())
    elif isinstance(e, sp.Max | sp.Min):
        args = [_eval(a, box, memo) for a in e.args]
        pick = max if isinstance(e, sp.Max) else min
        out = Interval(pick(a.lo for a in args), pick(a.hi for a in args))
    elif isinstance(e, sp.Heaviside):
        a = _eval(e.args[0], box, memo)
        out = Interval(Fraction(int(a.lo > 0)), Fraction(int(a.hi >= 0)))
    else:
        raise ValueError(f"interval arithmetic does not support {type(e).__name__} ({e}).")
    memo[e] = out
    return out


# ----------------------------------------------------------------- the bounds
def gradient(expr: sp.Expr, variables) -> list[sp.Expr]:
    """The symbolic gradient ``[d expr / d v for v in variables]``.

    Examples
    --------
    >>> x, y = sp.symbols("x y")
    >>> gradient(x**2 * y, [x, y])
    [2*x*y, x**2]
    """
    return [sp.diff(sp.sympify(expr), v) for v in variables]


@dataclass(frozen=True)
class LipschitzBound:
    """Two-sided bound on ``sup_box ||grad f||_2``.

    Attributes
    ----------
    upper : float
        Certified: no point of the box has a larger gradient norm.
    lower : float
        Attained: ``||grad f(witness)||_2 == lower`` (up to rounding).
    witness : tuple of float
    n_boxes : int
        Sub-boxes examined.
    converged : bool
        ``upper - lower <= tol``.
    """

    upper: float
    lower: float
    witness: tuple
    n_boxes: int
    converged: bool


def _norm_upper(components):
    """Rounded-up ``sqrt(sum max(lo^2, hi^2))`` of gradient component intervals."""
    total = Fraction(0)
    inexact = 0.0
    for iv in components:
        m = iv.magnitude()
        if isinstance(m, Fraction):
            total += m * m
        else:
            inexact = _up(inexact + _up(float(m) * float(m)))
    root = math.sqrt(_up(float(total) + inexact) if inexact else float(total))
    root = _up(root)
    while inexact == 0.0 and Fraction(root) ** 2 < total:
        root = _up(root)
    return root


def lipschitz_bound(
    expr: sp.Expr, variables, box, *, tol: float = 1e-3, max_boxes: int = 2000
) -> LipschitzBound:
    """Certified upper and witnessed lower bound of ``sup_box ||grad expr||_2``.

    Branch and bound: the box with the largest interval upper bound is split
    along its widest side until ``upper - lower <= tol`` or ``max_boxes``
    boxes have been examined (then ``converged`` is False and ``upper`` is
    still a valid bound).

    Parameters
    ----------
    expr : sympy expression
    variables : sequence of sympy Symbols
    box : sequence of (lo, hi) pairs, one per variable (rational or float)
    tol : float, default=1e-3
    max_boxes : int, default=2000

    Raises
    ------
    ValueError
        If the gradient is unbounded or undefined on the box, or the box is
        malformed.

    Examples
    --------
    >>> x, y = sp.symbols("x y")
    >>> b = lipschitz_bound(x**2 + y, [x, y], [(-1, 1), (-1, 1)], tol=1e-6)
    >>> round(b.upper, 5), round(b.lower, 5)   # sqrt(4 + 1) at x = +-1
    (2.23607, 2.23607)
    """
    variables = list(variables)
    if len(box) != len(variables):
        raise ValueError(f"`box` must give one (lo, hi) per variable ({len(variables)}).")
    root = []
    for lo, hi in box:
        lo_, hi_ = _to_exact(lo), _to_exact(hi)
        if not lo_ <= hi_:
            raise ValueError(f"`box` bounds must satisfy lo <= hi. Got ({lo}, {hi}).")
        root.append((lo_, hi_))
    grad = gradient(expr, variables)
    numeric = sp.lambdify(variables, grad, "math")

    def upper_of(cell):
        memo: dict = {}
        boxed = {v: Interval(*c) for v, c in zip(variables, cell, strict=True)}
        try:
            return _norm_upper([_eval(g, boxed, memo) for g in grad])
        except UnboundedError as exc:
            raise ValueError(f"the gradient of {expr} is unbounded on the box: {exc}") from exc

    def norm_at(point):
        try:
            values = numeric(*point)
        except (ValueError, ZeroDivisionError, OverflowError):
            return -math.inf
        return math.sqrt(sum(float(v) ** 2 for v in values))

    best, witness = -math.inf, None
    for corner in product(*root):  # corners first: where many maxima lie
        point = tuple(float(c) for c in corner)
        value = norm_at(point)
        if value > best:
            best, witness = value, point
        if len(variables) > 4:
            break
    heap = [(-upper_of(root), 0, root)]
    counter, n_boxes = 1, 1
    while heap:
        ub = -heap[0][0]
        if ub - best <= tol or n_boxes >= max_boxes:
            break
        _, _, cell = heapq.heappop(heap)
        centre = tuple(float((lo + hi) / 2) for lo, hi in cell)
        value = norm_at(centre)
        if value > best:
            best, witness = value, centre
        axis = max(range(len(cell)), key=lambda i: cell[i][1] - cell[i][0])
        lo, hi = cell[axis]
        mid = (lo + hi) / 2
        for half in ((lo, mid), (mid, hi)):
            child = list(cell)
            child[axis] = half
            heapq.heappush(heap, (-upper_of(child), counter, child))
            counter += 1
            n_boxes += 1
    upper = -heap[0][0] if heap else best
    return LipschitzBound(
        upper=float(upper),
        lower=float(best),
        witness=witness,
        n_boxes=n_boxes,
        converged=upper - best <= tol,
    )


def exact_gradient_norm_max(expr: sp.Expr, variables, box) -> sp.Expr:
    """Exact ``max_box ||grad p||_2`` of a polynomial in one or two variables.

    The maximum of ``S = ||grad p||^2`` over a box is at a corner, at a
    critical point of ``S`` on an edge (real roots of a univariate
    polynomial), or at an interior critical point (for two variables: real
    roots of the resultant of ``dS/dx`` and ``dS/dy``, then of ``dS/dy``).
    Returns an exact sympy number where the maximiser is rational and a
    30-digit value otherwise.

    Raises
    ------
    ValueError
        For more than two variables or a non-polynomial expression.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> exact_gradient_norm_max(x**3 - x, [x], [(-1, 1)])
    2
    """
    variables = list(variables)
    if not 1 <= len(variables) <= 2:
        raise ValueError("exact_gradient_norm_max handles one or two variables.")
    expr = sp.sympify(expr)
    if not expr.is_polynomial(*variables):
        raise ValueError(f"`expr` must be a polynomial in {variables}. Got {expr}.")
    bounds = [(sp.nsimplify(lo), sp.nsimplify(hi)) for lo, hi in box]
    S = sp.expand(sum(g**2 for g in gradient(expr, variables)))
    candidates = [dict(zip(variables, c, strict=True)) for c in product(*bounds)]

    def roots_in(poly_expr, var, lo, hi):
        poly = sp.Poly(poly_expr, var)
        if poly.is_zero or poly.degree() < 1:
            return []
        return [r for r in sp.real_roots(poly) if lo <= r <= hi]

    for i, v in enumerate(variables):  # edges: the other variable at a bound
        others = [w for w in variables if w is not v]
        for fixed in product(*[bounds[variables.index(w)] for w in others]):
            edge = S.subs(dict(zip(others, fixed, strict=True)))
            for r in roots_in(sp.diff(edge, v), v, *bounds[i]):
                candidates.append({v: r, **dict(zip(others, fixed, strict=True))})
    x, y = [*variables, None][:2]
    Sx, Sy = sp.diff(S, x), (sp.diff(S, y) if y is not None else sp.Integer(0))
    # if S does not depend on one variable, its interior critical values already
    # appear on the edges where that variable sits at a bound
    if y is not None and Sx != 0 and Sy != 0:
        res = sp.resultant(Sx, Sy, y)
        if res.is_zero:  # a common factor: fall back to the common curve's critical points
            common = sp.gcd(Sx, Sy)
            Sx, Sy = sp.quo(Sx, common), sp.quo(Sy, common)
            res = sp.resultant(Sx, Sy, y)
        for rx in roots_in(res, x, *bounds[0]):
            sy = sp.Poly(Sy.subs(x, rx), y)
            if sy.degree() < 1:
                continue
            coeffs = [mpmath.mpf(str(sp.N(c, 50))) for c in sy.all_coeffs()]
            for ry in mpmath.polyroots(coeffs, maxsteps=500, extraprec=300):
                if abs(mpmath.im(ry)) < 1e-20 and bounds[1][0] <= mpmath.re(ry) <= bounds[1][1]:
                    candidates.append({x: rx, y: sp.Float(str(mpmath.re(ry)), 30)})
    values = [S.subs(c) for c in candidates]
    best = max(values, key=lambda v: sp.N(v, 30))
    return sp.sqrt(sp.nsimplify(best)) if best.is_Rational else sp.sqrt(sp.N(best, 30))


def hypercube_lipschitz(values, n: int) -> sp.Expr:
    """Exact Lipschitz constant of the random hypercube function (docs/theory.md).

    ``f(x) = sum_y v_y prod_i (1 + y_i x_i)/2`` with corner ``y`` indexed by the
    integer whose bit ``i`` is set when ``y_i = +1``. Then
    ``L = sqrt(max_y #{i : v_y != v_{y with coordinate i flipped}})``.

    Examples
    --------
    >>> hypercube_lipschitz([1, -1, -1, 1], 2)   # a parity: every neighbour differs
    sqrt(2)
    >>> hypercube_lipschitz([1, 1, 1, 1], 2)
    0
    """
    n = int(n)
    values = [int(v) for v in values]
    if len(values) != 2**n or any(v not in (-1, 1) for v in values):
        raise ValueError(f"`values` must be 2^n = {2**n} entries in {{-1, +1}}.")
    worst = max(sum(values[c] != values[c ^ (1 << i)] for i in range(n)) for c in range(2**n))
    return sp.sqrt(sp.Integer(worst))


def polynomial_lipschitz_chain(expr: sp.Expr, variables) -> dict:
    """Closed-form bounds ``L <= B1 <= B2 <= B3 <= P sum|c|`` on ``[-1, 1]^n`` (docs/theory.md).

    With ``p = sum c_a x^a``: ``B1 = ||(sum_a |c_a| a_i)_i||_2``,
    ``B2 = sum_a |c_a| ||a||_2``, ``B3 = sum_a |c_a| |a|_1``, and
    ``P sum_a |c_a|`` with P the total degree. All exact.

    Examples
    --------
    >>> x, y = sp.symbols("x y")
    >>> chain = polynomial_lipschitz_chain(x * y / 2 - x / 4, [x, y])
    >>> chain["B1"], chain["B3"]   # per axis (3/4, 1/2); 1/2 * 2 + 1/4 * 1
    (sqrt(13)/4, 5/4)
    """
    poly = sp.Poly(sp.sympify(expr), *variables)
    terms = poly.terms()
    n = len(variables)
    per_axis = [sum(abs(c) * a[i] for a, c in terms) for i in range(n)]
    B1 = sp.sqrt(sum(p**2 for p in per_axis))
    B2 = sum(abs(c) * sp.sqrt(sum(ai**2 for ai in a)) for a, c in terms)
    B3 = sum(abs(c) * sum(a) for a, c in terms)
    top = poly.total_degree() * sum(abs(c) for _, c in terms)
    return {"B1": sp.nsimplify(B1), "B2": B2, "B3": B3, "degree_bound": top}


_SLOPE_RANGE = {"relu": (0, 1), "tanh": (0, 1), "identity": (1, 1)}


def dense_network_lipschitz(A, B, activation: str = "relu") -> dict:
    """Upper bounds on the Lipschitz constant of ``x -> A sigma(B x + c)`` (any c).

    * ``norm_product`` = ``||A||_2 ||B||_F`` (Frobenius dominates the spectral
      norm; exact arithmetic, no eigenvalues needed);
    * ``interval`` = ``sqrt(sum_i max(|lo_i|, |hi_i|)^2)`` where
      ``[lo_i, hi_i]`` bounds ``d g / d x_i = sum_j A_j sigma'(.) B_ji`` over
      ``sigma' in [0, 1]`` (relu, tanh) or ``{1}`` (identity). Never larger
      than ``||A||_1 max_j ||b_j||`` and often much smaller than the product.

    Entries are converted to exact rationals (floats exactly). ``upper`` is
    the smaller of the two.

    Examples
    --------
    >>> out = dense_network_lipschitz([1, -1], [[1, 0], [1, 0]], "relu")
    >>> out["interval"], out["norm_product"]
    (1, 2)
    """
    if activation not in _SLOPE_RANGE:
        raise ValueError(
            f"`activation` must be one of {sorted(_SLOPE_RANGE)} (sign is not Lipschitz). "
            f"Got {activation!r}."
        )
    A = (
        sp.Matrix([[sp.nsimplify(a, rational=True) for a in A]])
        if not isinstance(A, sp.MatrixBase)
        else A
    )
    B = (
        sp.Matrix([[sp.nsimplify(b, rational=True) for b in row] for row in B])
        if not isinstance(B, sp.MatrixBase)
        else B
    )
    if A.shape[1] != B.shape[0]:
        raise ValueError(f"`A` has {A.shape[1]} entries but `B` has {B.shape[0]} rows.")
    lo_s, hi_s = _SLOPE_RANGE[activation]
    bound2 = 0
    for i in range(B.shape[1]):
        lo = sum(min(lo_s * A[j] * B[j, i], hi_s * A[j] * B[j, i]) for j in range(B.shape[0]))
        hi = sum(max(lo_s * A[j] * B[j, i], hi_s * A[j] * B[j, i]) for j in range(B.shape[0]))
        bound2 += max(abs(lo), abs(hi)) ** 2
    interval = sp.sqrt(bound2)
    product_ = sp.sqrt(sum(a**2 for a in A)) * sp.sqrt(sum(b**2 for b in B))
    return {"interval": interval, "norm_product": product_, "upper": sp.Min(interval, product_)}


def dsm_region_lipschitz(A, B, units, activation: str = "relu") -> dict:
    """Lipschitz bound of a DSM ``A (mask(x) o sigma(B x + c))`` on one routing region.

    On the region where the routing is constant (active units ``units``) the
    DSM is the dense network of those units, so its Lipschitz constant there
    is bounded by :func:`dense_network_lipschitz` of the sub-network. Across
    region boundaries the mask changes and ``g`` may jump (Switch, hash and
    LSH routing do), so a DSM has no global Lipschitz constant unless it is
    continuous at the boundaries; Top-K with ReLU features, for instance, is
    continuous only where the K-th and (K+1)-th features tie at zero.

    Examples
    --------
    >>> dsm_region_lipschitz([1, 5, -1], [[1, 0], [0, 9], [1, 0]], units=[0, 2])["interval"]
    1
    """
    units = [int(u) for u in units]
    return dense_network_lipschitz([A[u] for u in units], [B[u] for u in units], activation)
