"""The paper's bounds as exact sympy expressions (docs/theory.md).

Every function takes ``d, k, L, eps`` -- numbers or sympy symbols -- and
returns a ``sympy.Expr``. The big-O constants the paper hides are explicit
keyword arguments whose defaults are calibrated values (docs/theory.md), so that the
expressions can be evaluated, inverted and compared:

* Theorem 4.1 (upper bound, LSH learner): :func:`table_size`,
  :func:`sample_complexity`, :func:`forward_cost_sparse`;
* Lemma 4.2 (Euclidean LSH on a k-dim section of the cube):
  :func:`cell_diameter_bound`, :func:`cell_count_bound`,
  :func:`nonempty_bucket_bound`, and the literal reading
  :func:`naive_bucket_count`, which is false in general (docs/theory.md);
* Theorem 4.3 (lower bound, dense width): :func:`dense_width_lower_bound`
  (the larger of :func:`grid_packing_size` and :func:`volume_packing_bound`),
  :func:`dense_sample_lower_bound`, and the paper's constant form
  :func:`constant_width_bound` with ``C = theta sqrt(2 pi e)`` for every k;
* Equation (1): :func:`forward_cost_dense`, :func:`inference_gap`.

Helpers: :func:`evaluate`, :func:`solve_for`, :func:`compare`, :func:`latex`,
:func:`numeric` (the one ``lambdify``). The reading of docs/theory.md (errata) is used
throughout: ``L sqrt(d)^k / eps^k`` means ``(L sqrt(d) / eps)^k``.

The module is pure sympy: exact rationals (``Rational(5, 4)``), never floats.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import sympy as sp
from sympy.core.evalf import PrecisionExhausted

from .intervals import as_expression

__all__ = [
    "SYMBOLS",
    "THEOREM_4_3_C",
    "Comparison",
    "cell_count_bound",
    "cell_diameter_bound",
    "compare",
    "constant_width_bound",
    "dense_sample_lower_bound",
    "dense_width_lower_bound",
    "evaluate",
    "forward_cost_dense",
    "forward_cost_sparse",
    "grid_packing_size",
    "inference_gap",
    "latex",
    "naive_bucket_count",
    "nonempty_bucket_bound",
    "numeric",
    "sample_complexity",
    "solve_for",
    "table_size",
    "unit_ball_volume",
    "volume_packing_bound",
]

d, k, L, eps = sp.symbols("d k L epsilon", positive=True)
#: The paper's symbols: input dimension d, subspace dimension k, Lipschitz constant L, error eps.
SYMBOLS = {"d": d, "k": k, "L": L, "eps": eps}

#: theta of Theorem 4.3's packing (bump height h = theta eps > eps).
THETA = sp.Rational(5, 4)
#: Theorem 4.3's constant: C = theta sqrt(2 pi e) (about 5.17), the same for every k.
THEOREM_4_3_C = THETA * sp.sqrt(2 * sp.pi * sp.E)
#: Directions per subspace dimension of the learner, D = C k (docs/theory.md).
DIRECTIONS_PER_DIM = 4


def _param(value, name, *, integer=False):
    """A sympy expression for a parameter; ValueError for non-numeric input."""
    if isinstance(value, sp.Basic):
        if value.is_number and (value.is_real is False or value.is_positive is False):
            raise ValueError(f"`{name}` must be positive. Got {value}.")
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a number or a sympy expression. Got {value!r}.")
    if not value > 0:
        raise ValueError(f"`{name}` must be > 0. Got {value}.")
    if not math.isfinite(value):
        raise ValueError(f"`{name}` must be finite. Got {value}.")
    if integer and int(value) != value:
        raise ValueError(f"`{name}` must be a positive integer. Got {value}.")
    # a float is read as the decimal it prints as (0.05 -> 1/20): exact and fast
    return sp.Integer(int(value)) if integer else sp.Rational(str(value))


def _params(d_, k_, L_, eps_):
    dd, kk = _param(d_, "d", integer=True), _param(k_, "k", integer=True)
    if dd.is_number and kk.is_number and kk > dd:
        raise ValueError(f"`k` (the subspace dimension) must be <= d. Got k={kk}, d={dd}.")
    return dd, kk, _param(L_, "L"), _param(eps_, "eps")


def table_size(d, k, L, eps, *, c=1):
    """Theorem 4.1: hash-table size ``c (L sqrt(d) / eps)^k``.

    Assumptions: ``f: [-1,1]^d -> R`` is L-Lipschitz, inputs uniform on an
    unknown k-dimensional subspace of the cube; success probability >= 0.8.
    ``c`` is the hidden constant (1 by default); ``dsn check`` fits it
    (claim ``theorem_4_1.table_size``).

    Examples
    --------
    >>> table_size(4, 1, 1, sp.Rational(1, 10))
    20
    """
    d, k, L, eps = _params(d, k, L, eps)
    return _param(c, "c") * (L * sp.sqrt(d) / eps) ** k


def sample_complexity(d, k, L, eps, *, c=1):
    """Theorem 4.1: samples ``c k (L sqrt(d)/eps)^k log(L sqrt(d)/eps)``.

    ``c = 1`` is the paper's expression with constant 1; the checker's learner
    uses ``c = 4`` (docs/theory.md, "Theorem 4.1").

    Examples
    --------
    >>> sample_complexity(4, 1, 1, sp.Rational(1, 10))
    20*log(20)
    """
    d, k, L, eps = _params(d, k, L, eps)
    ratio = L * sp.sqrt(d) / eps
    return _param(c, "c") * k * ratio**k * sp.log(ratio)


def forward_cost_sparse(d, k, L, eps, *, C=DIRECTIONS_PER_DIM):
    """Theorem 4.1 / Eq. (1): word operations of one LSH forward pass.

    ``D = C k`` directions: ``2 D d`` for the projections, ``3 D`` for offsets,
    scaling and floors, and a look-up on a key of ``D log2(L sqrt(d)/eps)``
    bits (docs/theory.md): ``O(d k log(L sqrt(d)/eps))``.

    Examples
    --------
    >>> sp.simplify(forward_cost_sparse(8, 2, 1, 1) - (8 * 19 + 8 * sp.log(2 * sp.sqrt(2), 2)))
    0
    """
    d, k, L, eps = _params(d, k, L, eps)
    D = _param(C, "C") * k
    return 2 * D * d + 3 * D + D * sp.log(L * sp.sqrt(d) / eps, 2)


def cell_diameter_bound(width, lambda_inf):
    """Lemma 4.2(a): every cell on Gamma has diameter ``< width / lambda_inf(G)``.

    ``lambda_inf(G) = min_{|v|=1} |G v|_inf`` for the projected directions
    ``G = A U``; ``lambda_inf >= sigma_min(G) / sqrt(D)``. Deterministic
    given ``G``; with probability 0.9, ``lambda_inf >= 0.35, 0.74, 1.11, 1.46``
    for ``C = 2, 4, 8, 16`` (docs/theory.md, "Lemma 4.2").

    Examples
    --------
    >>> cell_diameter_bound(sp.Rational(1, 2), sp.Rational(3, 4))
    2/3
    """
    return _param(width, "width") / _param(lambda_inf, "lambda_inf")


def cell_count_bound(H, k):
    """Lemma 4.2(c): ``N <= Phi_k(H) = sum_{j<=k} binom(H, j)`` cells from H hyperplanes.

    Examples
    --------
    >>> cell_count_bound(10, 2)
    56
    """
    H_ = _param(H, "H", integer=True)
    k_ = _param(k, "k", integer=True)
    j = sp.Symbol("j", integer=True, nonnegative=True)
    return sp.summation(sp.binomial(H_, j), (j, 0, k_))


def nonempty_bucket_bound(d, k, width, *, C=DIRECTIONS_PER_DIM):
    """Lemma 4.2(d): with probability >= 0.9 the non-empty cells number at most

    ``(e C (2 sqrt(d) (sqrt(k) + sqrt(2 ln(10 C k))) / width + 1))^k``.

    This is the paper's ``(2 sqrt(d)/eps)^{O(k)}`` with the hidden factor explicit.

    Examples
    --------
    >>> nonempty_bucket_bound(8, 1, 1, C=1) > naive_bucket_count(8, 1, 1)
    True
    """
    d_ = _param(d, "d", integer=True)
    k_ = _param(k, "k", integer=True)
    w = _param(width, "width")
    C_ = _param(C, "C")
    radius = sp.sqrt(k_) + sp.sqrt(2 * sp.log(10 * C_ * k_))
    return (sp.E * C_ * (2 * sp.sqrt(d_) * radius / w + 1)) ** k_


def naive_bucket_count(d, k, width):
    """The literal reading of Lemma 4.2(2): ``(2 sqrt(d) / width)^k``. False in general.

    Measured counts exceed it by up to 251x (C = 8).

    Examples
    --------
    >>> naive_bucket_count(4, 2, 1)
    16
    """
    return (2 * sp.sqrt(_param(d, "d", integer=True)) / _param(width, "width")) ** _param(
        k, "k", integer=True
    )


def unit_ball_volume(k):
    """``omega_k = pi^(k/2) / Gamma(k/2 + 1)``, the volume of the unit k-ball.

    Examples
    --------
    >>> unit_ball_volume(2), unit_ball_volume(3)
    (pi, 4*pi/3)
    """
    k_ = _param(k, "k", integer=True)
    return sp.pi ** (k_ / 2) / sp.gamma(k_ / 2 + 1)


def _packing_ratio(d, k, L, eps, theta):
    """``sqrt(q) L / (theta eps)`` with ``q = floor(d / k)``: the cube half-side over r."""
    d, k, L, eps = _params(d, k, L, eps)
    return sp.sqrt(sp.floor(d / k)) * L / (_param(theta, "theta") * eps)


def grid_packing_size(d, k, L, eps, *, theta=THETA):
    """Theorem 4.3's grid: ``N = (floor(sqrt(q) L / (theta eps)) + 1)^k`` bumps, ``q = floor(d/k)``.

    The bump centres ``-sqrt(q) + 2 r i`` (``r = theta eps / L``) on each axis of
    the cube ``[-sqrt(q), sqrt(q)]^k`` inside ``Gamma*`` (docs/theory.md,
    "Theorem 4.3"). Its constant grows like ``theta sqrt(k)``.

    Examples
    --------
    >>> grid_packing_size(8, 2, 1, sp.Rational(1, 5))   # (floor(2 / (1/4)) + 1)^2
    81
    """
    k_ = _param(k, "k", integer=True)
    return (_floor(_packing_ratio(d, k, L, eps, theta)) + 1) ** k_


def _floor(x: sp.Expr) -> sp.Expr:
    """``floor(x)``; a number of any magnitude is evaluated with enough digits to decide it
    (sympy's default precision gives up beyond about 100 digits)."""
    if not x.is_number:
        return sp.floor(x)
    magnitude = abs(float(sp.log(sp.N(x, 15), 10))) if x != 0 else 0.0
    return sp.Integer(int(sp.floor(sp.N(x, int(magnitude) + 30, maxn=10**6))))


def volume_packing_bound(d, k, L, eps, *, theta=THETA):
    """A maximal ``2r``-separated set in ``[-sqrt(q), sqrt(q)]^k`` has at least this many points.

    Maximality means the balls ``B(p, 2r)`` cover the cube, so
    ``|P| >= (2 sqrt(q))^k / (omega_k (2 r)^k) = (sqrt(q) L / (theta eps))^k / omega_k``.
    Since ``k^(k/2) omega_k <= (2 pi e)^(k/2)`` for every k, this is at least
    ``(L sqrt(k q) / (C eps))^k`` with the constant ``C = theta sqrt(2 pi e)``
    (:data:`THEOREM_4_3_C`): the paper's "for a constant C" holds.

    Examples
    --------
    >>> volume_packing_bound(8, 2, 1, sp.Rational(1, 5))   # 8^2 / pi
    64/pi
    """
    k_ = _param(k, "k", integer=True)
    return _packing_ratio(d, k, L, eps, theta) ** k_ / unit_ball_volume(k_)


def dense_width_lower_bound(d, k, L, eps, *, theta=THETA):
    """Theorem 4.3: a dense model needs width ``max(grid N, volume bound)``.

    Any model linear in ``w < N`` fixed features misses one of ``N``
    ``2r``-separated bumps of height ``theta eps > eps``
    (docs/theory.md, "Theorem 4.3"). The grid (:func:`grid_packing_size`) is
    the larger for small k, the volume packing (:func:`volume_packing_bound`)
    from about k = 13 on. ``q = floor(d / k)`` is used exactly, so the bound is
    right when k does not divide d.

    Examples
    --------
    >>> dense_width_lower_bound(8, 2, 1, sp.Rational(1, 5))
    81
    """
    grid = grid_packing_size(d, k, L, eps, theta=theta)
    volume = volume_packing_bound(d, k, L, eps, theta=theta)
    try:
        return sp.Max(grid, volume)
    except PrecisionExhausted:  # numbers of hundreds of digits: compare at their precision
        return grid if sp.N(grid - volume, 15, maxn=10**6) >= 0 else volume


def constant_width_bound(d, k, L, eps, *, theta=THETA):
    """The paper's form ``(L sqrt(k q) / (C eps))^k``: ``C = theta sqrt(2 pi e)``, q = floor(d/k).

    A lower bound on :func:`volume_packing_bound` for every k, hence on the
    dense width; equal to ``(L sqrt(d) / (C eps))^k`` when k divides d.

    Examples
    --------
    >>> b = constant_width_bound(8, 2, 1, sp.Rational(1, 5))
    >>> bool(b <= volume_packing_bound(8, 2, 1, sp.Rational(1, 5)))
    True
    """
    d, k, L, eps = _params(d, k, L, eps)
    C = _param(theta, "theta") * sp.sqrt(2 * sp.pi * sp.E)
    return (sp.sqrt(k * sp.floor(d / k)) * L / (C * eps)) ** k


def dense_sample_lower_bound(d, k, L, eps, *, theta=THETA):
    """Theorem 4.3: samples ``k N^(1/k)...``: ``N log(2^k N)``, N the dense width bound.

    The paper's ``k R^k log(2 R)`` with ``R^k = N`` (:func:`dense_width_lower_bound`):
    the same packing bounds the width and, by a coupon-collector argument over
    its bump supports, the samples (docs/theory.md, "Theorem 4.3").

    Examples
    --------
    >>> dense_sample_lower_bound(8, 2, 1, sp.Rational(1, 5))   # N = 81
    81*log(324)
    """
    N = dense_width_lower_bound(d, k, L, eps, theta=theta)
    return N * sp.log(2 ** _param(k, "k", integer=True) * N)


def forward_cost_dense(d, k, L, eps, *, theta=THETA):
    """Eq. (1): a dense forward pass costs at least ``d`` times the width lower bound.

    In the paper's constant form (:func:`constant_width_bound`), so that limits
    in ``eps`` are symbolic.

    Examples
    --------
    >>> forward_cost_dense(8, 2, 1, sp.Rational(1, 5))
    512*exp(-1)/pi
    """
    dd = _params(d, k, L, eps)[0]
    return dd * constant_width_bound(d, k, L, eps, theta=theta)


def inference_gap(d, k, L, eps, *, theta=THETA, C=DIRECTIONS_PER_DIM):
    """Eq. (1): dense over sparse forward cost; exponential in ``k log(1/eps)``.

    Examples
    --------
    >>> compare(forward_cost_sparse(d, 2, 1, eps), forward_cost_dense(d, 2, 1, eps), eps).limit
    0
    """
    return forward_cost_dense(d, k, L, eps, theta=theta) / forward_cost_sparse(d, k, L, eps, C=C)


def evaluate(expr: sp.Expr, **values) -> sp.Expr:
    """Substitute values by symbol name (``d``, ``k``, ``L``, ``eps``, or any free symbol).

    Exact where the inputs are exact (ints, ``Rational``); floats give a
    floating-point result.

    Examples
    --------
    >>> evaluate(table_size(d, k, L, eps), d=4, k=1, L=1, eps=sp.Rational(1, 10))
    20
    """
    expr = as_expression(expr)
    names = {s.name: s for s in expr.free_symbols}
    names.update({key: SYMBOLS[key] for key in SYMBOLS if SYMBOLS[key] in expr.free_symbols})
    subs = {}
    for key, value in values.items():
        if key not in names:
            raise ValueError(
                f"`{key}` is not a free symbol of the expression "
                f"(free: {sorted(s.name for s in expr.free_symbols)})."
            )
        if isinstance(value, bool) or not isinstance(value, numbers.Number | sp.Basic):
            raise ValueError(f"`{key}` must be a number. Got {value!r}.")
        subs[names[key]] = sp.sympify(value)
    return expr.subs(subs)


def solve_for(expr: sp.Expr, target, symbol, **values) -> sp.Expr:
    """The positive value of ``symbol`` where ``expr == target`` (others substituted).

    Uses ``sympy.solveset`` on the positive reals for algebraic equations; for
    transcendental ones (or if solveset gives no explicit answer) a bracketed
    bisection (the expressions here are monotone in
    each parameter over the region of interest).

    Examples
    --------
    >>> eps_ = solve_for(table_size(d, k, L, eps), 2**20, eps, d=64, k=3, L=1)
    >>> round(float(eps_), 4)   # (8 / eps)^3 = 2^20
    0.0787
    """
    symbol = SYMBOLS.get(symbol, symbol) if isinstance(symbol, str) else symbol
    if not isinstance(symbol, sp.Symbol):
        raise ValueError(f"`symbol` must be a sympy Symbol or a name. Got {symbol!r}.")
    equation = evaluate(expr, **values) - as_expression(target, "target")
    if equation.free_symbols - {symbol}:
        raise ValueError(
            f"Give values for {sorted(s.name for s in equation.free_symbols - {symbol})}."
        )
    roots = None
    if not equation.has(sp.log, sp.exp):  # transcendental equations go straight to bisection
        roots = sp.solveset(equation, symbol, domain=sp.Interval.open(0, sp.oo))
    if isinstance(roots, sp.FiniteSet) and roots:
        return min(roots, key=lambda r: abs(sp.N(r)))
    f = sp.lambdify(symbol, equation, "mpmath")
    lo, hi = sp.Rational(1, 10**12), sp.Integer(1)
    while sp.sign(f(lo)) == sp.sign(f(hi)) and hi < 10**12:
        hi *= 10
    if sp.sign(f(lo)) == sp.sign(f(hi)):
        raise ValueError("No positive solution found in [1e-12, 1e12].")
    return sp.nsolve(equation, symbol, (lo, hi), solver="bisect")


@dataclass(frozen=True)
class Comparison:
    """Asymptotic comparison of two expressions as ``symbol -> at``."""

    limit: sp.Expr
    leading_a: sp.Expr
    leading_b: sp.Expr
    ratio: sp.Expr


def compare(a: sp.Expr, b: sp.Expr, symbol, at=0) -> Comparison:
    """Limit of ``a / b`` and the leading-order terms as ``symbol -> at`` (from above at 0).

    Examples
    --------
    >>> c = compare(forward_cost_sparse(8, 2, 1, eps), forward_cost_dense(8, 2, 1, eps), eps)
    >>> c.limit, c.leading_b
    (0, 512*exp(-1)/(25*pi*epsilon**2))
    """
    symbol = SYMBOLS.get(symbol, symbol) if isinstance(symbol, str) else symbol
    a, b = as_expression(a, "a"), as_expression(b, "b")
    ratio = a / b
    limit = sp.limit(ratio, symbol, at, "+") if at == 0 else sp.limit(ratio, symbol, at)

    def leading(e):
        return e.as_leading_term(symbol) if at == 0 else e

    return Comparison(limit=limit, leading_a=leading(a), leading_b=leading(b), ratio=ratio)


def latex(expr: sp.Expr) -> str:
    """LaTeX of an expression.

    Examples
    --------
    >>> latex(table_size(d, k, L, eps))
    '\\\\left(\\\\frac{L \\\\sqrt{d}}{\\\\epsilon}\\\\right)^{k}'
    """
    return sp.latex(as_expression(expr))


def numeric(expr: sp.Expr, *names: str):
    """A vectorised numpy function of ``names`` (default: the expression's free symbols).

    Examples
    --------
    >>> f = numeric(table_size(d, k, L, eps), "d", "k", "L", "eps")
    >>> float(f(4, 1, 1, 0.1))
    20.0
    """
    expr = as_expression(expr)
    if names:
        symbols = [
            SYMBOLS.get(n) or next(s for s in expr.free_symbols if s.name == n) for n in names
        ]
    else:
        symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    return sp.lambdify(symbols, expr, "numpy")
