"""Certified Lipschitz constants: interval arithmetic, exact maxima, closed forms.

For a C^1 function on a convex box the l2 Lipschitz constant is
``sup ||grad f||_2`` (docs/theory.md). This module bounds it from both sides:

* :func:`lipschitz_bound` -- a **certified upper bound** by rigorous interval
  arithmetic (:mod:`theory.intervals`: exact rationals for polynomials, Arb
  ball arithmetic otherwise) on every partial derivative, tightened by branch
  and bound over sub-boxes, and a **witnessed lower bound** (a point where
  ``||grad f||`` is that large). Kinks (``Max``, ``Abs``, ReLU) are bounded
  jointly: on a box that a kink crosses, every side of every crossing kink is
  tried for all partial derivatives at once -- the extreme points of the
  Clarke generalised gradient -- so the bound converges on ReLU networks.
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
import time
from dataclasses import dataclass
from fractions import Fraction
from itertools import product

import mpmath
import sympy as sp
from flint import arb

from .intervals import (
    Interval,
    UnboundedError,
    as_expression,
    box_interval,
    decide_condition,
    evaluate_interval,
    exact_rational,
)

__all__ = [
    "Interval",
    "LipschitzBound",
    "UnboundedError",
    "dense_network_lipschitz",
    "dsm_region_lipschitz",
    "exact_gradient_norm_max",
    "gradient",
    "hypercube_lipschitz",
    "interval_of",
    "lipschitz_bound",
    "polynomial_lipschitz_chain",
]


def interval_of(expr: sp.Expr, box: dict) -> Interval:
    """An interval containing ``expr`` over ``box`` (``{symbol: (lo, hi)}``).

    See :func:`theory.intervals.evaluate_interval` for what is supported.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> iv = interval_of(x**2 - x, {x: (sp.Integer(-1), sp.Integer(1))})
    >>> iv.lo, iv.hi
    (Fraction(-1, 1), Fraction(2, 1))
    """
    return evaluate_interval(expr, box)


# ----------------------------------------------------------------- the bounds
def gradient(expr: sp.Expr, variables) -> list[sp.Expr]:
    """The symbolic gradient ``[d expr / d v for v in variables]``, the variables taken real.

    (With real variables, ``d|x|/dx = sign(x)`` and ``d Max(0, x)/dx = Heaviside(x)``.)

    Examples
    --------
    >>> x, y = sp.symbols("x y")
    >>> gradient(x**2 * y, [x, y])
    [2*x*y, x**2]
    """
    variables = list(variables)
    real = [sp.Dummy(v.name, real=True) for v in variables]
    e = as_expression(expr).subs(dict(zip(variables, real, strict=True)))
    back = dict(zip(real, variables, strict=True))
    return [sp.diff(e, r).subs(back) for r in real]


@dataclass(frozen=True)
class LipschitzBound:
    """Two-sided bound on ``sup_box ||grad f||_2``.

    Attributes
    ----------
    upper : float
        Certified: no point of the box has a larger gradient norm (rounded up).
    lower : float
        Attained: ``||grad f(witness)||_2 == lower`` (up to rounding).
    witness : tuple of float
    n_boxes : int
        Sub-boxes examined.
    converged : bool
        ``upper - lower <= tol``.
    stopped : str
        Why the search ended: ``"converged"``, ``"max_boxes"`` or ``"time_limit"``.
    """

    upper: float
    lower: float
    witness: tuple
    n_boxes: int
    converged: bool
    stopped: str = "converged"

    @property
    def gap(self) -> float:
        """``upper - lower``: how far from the true constant either bound can be."""
        return self.upper - self.lower


def _float_up(value) -> float:
    """A float at or above an exact Fraction or arb point; ValueError on overflow."""
    try:
        f = float(value)
    except OverflowError:
        f = math.inf
    if not math.isfinite(f):
        raise ValueError("overflow: the gradient norm exceeds the float range on the box.")
    return math.nextafter(f, math.inf)


def _norm_upper(components: list[Interval]) -> float:
    """Rounded-up ``sqrt(sum max(lo^2, hi^2))`` of gradient component intervals."""
    if all(c.exact for c in components):
        total = sum((c.magnitude() ** 2 for c in components), Fraction(0))
        root = _float_up(math.sqrt(_float_up(total)))
        while Fraction(root) ** 2 < total:
            root = math.nextafter(root, math.inf)
        return root
    total = arb(0)
    for c in components:
        m = c.magnitude_ball()
        total += m * m
    return _float_up(total.sqrt().upper())


def _kinks(grad) -> list[sp.Expr]:
    """Where the gradient jumps: its Heaviside and sign factors and its Piecewise conditions."""
    found = set()
    for g in grad:
        found |= g.atoms(sp.Heaviside, sp.sign)
        for piecewise in g.atoms(sp.Piecewise):
            found |= {c for _, c in piecewise.args if isinstance(c, sp.core.relational.Relational)}
    return sorted(found, key=sp.default_sort_key)


def _sides(kink) -> tuple:
    """The values a kink takes: a Heaviside 0 or 1, a sign -1 or 1, a condition False or True."""
    if isinstance(kink, sp.Heaviside):
        return (0, 1)
    return (-1, 1) if isinstance(kink, sp.sign) else (False, True)


def _side(kink, boxed: dict):
    """The kink's value on the whole box where it is decided there, else None."""
    if isinstance(kink, sp.core.relational.Relational):
        return decide_condition(kink, boxed)
    arg = evaluate_interval(kink.args[0], boxed)
    if arg.lo > 0:
        return 1
    if arg.hi < 0:
        return 0 if isinstance(kink, sp.Heaviside) else -1
    return None


def _rational(q: Fraction) -> sp.Rational:
    return sp.Rational(q.numerator, q.denominator)


def _require_continuous(expr: sp.Expr, box: dict) -> None:
    """ValueError unless every ``Piecewise`` of ``expr`` is continuous where it meets ``box``.

    A bound on the gradient bounds the Lipschitz constant only of a continuous
    function: a jump has no gradient to bound. For each condition ``lhs < rhs``
    (or any relational) whose boundary ``lhs = rhs`` meets the box, the
    branch it selects must equal what the later branches give on the
    boundary, proved symbolically after solving the boundary for one
    variable. A difference sympy cannot reduce to zero is refused too: the
    bound would not be certified.
    """
    for piecewise in sorted(expr.atoms(sp.Piecewise), key=sp.default_sort_key):
        branches = piecewise.args
        for i, (value, cond) in enumerate(branches[:-1]):
            if cond in (sp.true, sp.false):
                continue
            if not isinstance(cond, sp.core.relational.Relational):
                raise ValueError(
                    f"`expr` has a Piecewise condition {cond} that is not a comparison; write "
                    "it with one relational per branch (or with Max/Min/Abs)."
                )
            boundary = cond.lhs - cond.rhs
            try:
                reaches = evaluate_interval(boundary, box).contains_zero()
            except ValueError:
                reaches = True
            if not reaches:
                continue  # the boundary misses the box: no jump on it
            later = sp.Piecewise(*branches[i + 1 :])
            if not _agree_on(value - later, boundary):
                raise ValueError(
                    f"`expr` may be discontinuous: in {piecewise} the branch {value} and the "
                    f"later branches do not provably agree where {cond.lhs} = {cond.rhs}. A "
                    "Lipschitz bound needs a continuous function (branches equal on their "
                    "boundaries); a jump has no finite Lipschitz constant."
                )


def _agree_on(difference: sp.Expr, boundary: sp.Expr) -> bool:
    """Whether ``difference`` is 0 wherever ``boundary`` is 0 (proved symbolically)."""
    for v in sorted(boundary.free_symbols, key=sp.default_sort_key):
        try:
            solutions = sp.solve(boundary, v, dict=False)
        except (NotImplementedError, ValueError):
            continue
        if solutions and all(sp.simplify(difference.subs(v, root)) == 0 for root in solutions):
            return True
    return False


_NUMERIC = {
    "Heaviside": lambda z, *_: 1.0 if z > 0 else (0.0 if z < 0 else 0.5),
    "sign": lambda z: math.copysign(1.0, z) if z != 0 else 0.0,
}


def lipschitz_bound(
    expr: sp.Expr,
    variables,
    box,
    *,
    tol: float = 1e-3,
    max_boxes: int = 2000,
    time_limit: float | None = None,
    max_kinks: int = 12,
) -> LipschitzBound:
    """Certified upper and witnessed lower bound of ``sup_box ||grad expr||_2``.

    Branch and bound: the box with the largest upper bound is split along its
    widest side until ``upper - lower <= tol``, ``max_boxes`` boxes have been
    examined or ``time_limit`` seconds have passed (then ``converged`` is
    False, ``stopped`` says why, and ``upper`` is still a certified bound).

    On a box crossed by kinks of the gradient (Heaviside or sign factors whose
    argument changes sign on it), each of the ``2^u`` sides of the ``u``
    crossing kinks is evaluated for all partial derivatives at once (up to
    ``max_kinks`` kinks; beyond, their hull): for a Lipschitz function the
    constant is the largest norm over these pieces, so the bound converges on
    piecewise-smooth functions such as ReLU networks.

    Parameters
    ----------
    expr : sympy expression
    variables : sequence of sympy Symbols
    box : sequence of (lo, hi) pairs, one per variable (rational or float)
    tol : float, default=1e-3
    max_boxes : int, default=2000
    time_limit : float, optional
        Seconds after which the search stops with the bounds it has.
    max_kinks : int, default=12

    Raises
    ------
    ValueError
        If the gradient is unbounded or undefined on the box, uses an
        unsupported function (named), overflows, or the box is malformed.

    Examples
    --------
    >>> x, y = sp.symbols("x y")
    >>> b = lipschitz_bound(x**2 + y, [x, y], [(-1, 1), (-1, 1)], tol=1e-6)
    >>> round(b.upper, 5), round(b.lower, 5)   # sqrt(4 + 1) at x = +-1
    (2.23607, 2.23607)
    >>> relu = lipschitz_bound(sp.Max(0, x + y) - sp.Max(0, x - y), [x, y], [(-1, 1), (-1, 1)])
    >>> relu.gap < 1e-3, round(relu.upper, 3)   # |(0, 2)| where both units are on
    (True, 2.0)
    """
    variables = list(variables)
    if not variables:
        raise ValueError("`variables` must name at least one symbol (the box is empty).")
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not 0 <= tol < math.inf:
        raise ValueError(f"`tol` must be a finite number >= 0. Got {tol!r}.")
    for name, value, least in (("max_boxes", max_boxes, 1), ("max_kinks", max_kinks, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"`{name}` must be an integer >= {least}. Got {value!r}.")
    if time_limit is not None and (
        isinstance(time_limit, bool)
        or not isinstance(time_limit, int | float)
        or not 0 < time_limit < math.inf
    ):
        raise ValueError(f"`time_limit` must be None or a finite number > 0. Got {time_limit!r}.")
    if len(box) != len(variables):
        raise ValueError(f"`box` must give one (lo, hi) per variable ({len(variables)}).")
    expr = as_expression(expr)
    if expr.has(sp.nan):
        raise ValueError(f"`expr` contains NaN: {expr}.")
    if expr.has(sp.oo, -sp.oo, sp.zoo):
        raise ValueError(f"`expr` contains an infinity: {expr}.")
    missing = expr.free_symbols - set(variables)
    if missing:
        raise ValueError(f"`variables` does not list {sorted(map(str, missing))} of `expr`.")
    root = [(iv.lo, iv.hi) for iv in map(box_interval, box)]
    _require_continuous(
        expr, {v: Interval(lo, hi) for v, (lo, hi) in zip(variables, root, strict=True)}
    )
    grad = gradient(expr, variables)
    kinks = _kinks(grad)
    numeric = sp.lambdify(variables, grad, modules=[_NUMERIC, "math"])

    def upper_of(cell):
        boxed = {v: Interval(lo, hi) for v, (lo, hi) in zip(variables, cell, strict=True)}
        fixed, crossing = {}, []
        for kink in kinks:
            side = _side(kink, boxed)
            if side is None:
                crossing.append(kink)
            else:
                fixed[kink] = side
        if len(crossing) > max_kinks:
            crossing = []  # their hull: still sound, only looser
        values = [_sides(k) for k in crossing]
        best = 0.0
        try:
            for sides in product(*values):
                chosen = {**fixed, **dict(zip(crossing, sides, strict=True))}
                parts = [evaluate_interval(g, boxed, fixed=chosen) for g in grad]
                best = max(best, _norm_upper(parts))
        except UnboundedError as exc:
            raise ValueError(f"the gradient of {expr} is unbounded on the box: {exc}") from exc
        return best

    def norm_at(point):
        try:
            values = numeric(*point)
            return math.sqrt(sum(float(v) ** 2 for v in values))
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            return -math.inf

    start = time.perf_counter()
    heap = [(-upper_of(root), 0, root)]  # first: refuses what cannot be bounded, by name
    best, witness = -math.inf, None
    for corner in product(*root):  # corners first: where many maxima lie
        point = tuple(float(c) for c in corner)
        value = norm_at(point)
        if value > best:
            best, witness = value, point
        if len(variables) > 4:
            break
    counter, n_boxes, stopped = 1, 1, "converged"
    while heap:
        ub = -heap[0][0]
        if ub - best <= tol:
            break
        if n_boxes >= max_boxes:
            stopped = "max_boxes"
            break
        if time_limit is not None and time.perf_counter() - start > time_limit:
            stopped = "time_limit"
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
        stopped=stopped if upper - best > tol else "converged",
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
    expr = as_expression(expr)
    if not expr.is_polynomial(*variables):
        raise ValueError(f"`expr` must be a polynomial in {variables}. Got {expr}.")
    bounds = [
        (_rational(iv.lo), _rational(iv.hi)) for iv in map(box_interval, box)
    ]  # exact: a float bound is the binary number it stores
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
    return sp.sqrt(best) if best.is_Rational else sp.sqrt(sp.N(best, 30))


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
    poly = sp.Poly(as_expression(expr), *variables)
    terms = poly.terms()
    n = len(variables)
    per_axis = [sum(abs(c) * a[i] for a, c in terms) for i in range(n)]
    B1 = sp.sqrt(sum(p**2 for p in per_axis))
    B2 = sum(abs(c) * sp.sqrt(sum(ai**2 for ai in a)) for a, c in terms)
    B3 = sum(abs(c) * sum(a) for a, c in terms)
    top = poly.total_degree() * sum(abs(c) for _, c in terms)
    return {"B1": B1, "B2": B2, "B3": B3, "degree_bound": top}


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
        sp.Matrix([[_rational(exact_rational(a, "A")) for a in A]])
        if not isinstance(A, sp.MatrixBase)
        else A
    )
    B = (
        sp.Matrix([[_rational(exact_rational(b, "B")) for b in row] for row in B])
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
