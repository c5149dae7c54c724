"""The paper's bounds as exact sympy expressions (PAPER.md §5, MATH.md §4-§6).

Every function takes ``d, k, L, eps`` -- numbers or sympy symbols -- and
returns a ``sympy.Expr``. The big-O constants the paper hides are explicit
keyword arguments whose defaults are MATH.md's calibrated values, so that the
expressions can be evaluated, inverted and compared:

* Theorem 4.1 (upper bound, LSH learner): :func:`table_size`,
  :func:`sample_complexity`, :func:`forward_cost_sparse`;
* Lemma 4.2 (Euclidean LSH on a k-dim section of the cube):
  :func:`cell_diameter_bound`, :func:`cell_count_bound`,
  :func:`nonempty_bucket_bound`, and the literal reading
  :func:`naive_bucket_count`, which is false in general (MATH.md E6);
* Theorem 4.3 (lower bound, dense width): :func:`dense_width_lower_bound`,
  :func:`dense_sample_lower_bound`, with the constant ``C = theta sqrt(k)``
  (MATH.md E7: a constant C cannot work);
* Equation (1): :func:`forward_cost_dense`, :func:`inference_gap`.

Helpers: :func:`evaluate`, :func:`solve_for`, :func:`compare`, :func:`latex`,
:func:`numeric` (the one ``lambdify``). Reading E4 of MATH.md is used
throughout: ``L sqrt(d)^k / eps^k`` means ``(L sqrt(d) / eps)^k``.

The module is pure sympy: exact rationals (``Rational(5, 4)``), never floats.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import sympy as sp

__all__ = [
    "SYMBOLS",
    "Comparison",
    "cell_count_bound",
    "cell_diameter_bound",
    "compare",
    "dense_sample_lower_bound",
    "dense_width_lower_bound",
    "evaluate",
    "forward_cost_dense",
    "forward_cost_sparse",
    "inference_gap",
    "latex",
    "naive_bucket_count",
    "nonempty_bucket_bound",
    "numeric",
    "sample_complexity",
    "solve_for",
    "table_size",
]

d, k, L, eps = sp.symbols("d k L epsilon", positive=True)
#: The paper's symbols: input dimension d, subspace dimension k, Lipschitz constant L, error eps.
SYMBOLS = {"d": d, "k": k, "L": L, "eps": eps}

#: theta of MATH.md §6 (bump height h = theta eps); C = theta sqrt(k).
THETA = sp.Rational(5, 4)
#: Directions per subspace dimension of the learner, D = C k (MATH.md §5.2).
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
    ``c`` is the hidden constant (1 by default; MATH.md §5.5 measured the
    stored buckets at 1.8-38 times this).

    Examples
    --------
    >>> table_size(4, 1, 1, sp.Rational(1, 10))
    20
    """
    d, k, L, eps = _params(d, k, L, eps)
    return _param(c, "c") * (L * sp.sqrt(d) / eps) ** k


def sample_complexity(d, k, L, eps, *, c=1):
    """Theorem 4.1: samples ``c k (L sqrt(d)/eps)^k log(L sqrt(d)/eps)``.

    ``c = 1`` is ``n_paper`` of MATH.md §5.3; the checker's practical choice
    is ``c = 4`` (MATH.md §5.5: 240/240 trials passed).

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
    bits (MATH.md §5.2): ``O(d k log(L sqrt(d)/eps))``.

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
    for ``C = 2, 4, 8, 16`` (MATH.md §4.1(b)).

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

    MATH.md E6 / T4.2: measured counts exceed it by up to 251x (C = 8).

    Examples
    --------
    >>> naive_bucket_count(4, 2, 1)
    16
    """
    return (2 * sp.sqrt(_param(d, "d", integer=True)) / _param(width, "width")) ** _param(
        k, "k", integer=True
    )


def dense_width_lower_bound(d, k, L, eps, *, theta=THETA):
    """Theorem 4.3: a dense model needs width ``(sqrt(d) L / (C eps))^k``, ``C = theta sqrt(k)``.

    The packing of MATH.md §6.1 has ``N = (floor(sqrt(d/k) L / (theta eps)) + 1)^k``
    bumps, at least this many; any model linear in ``w < N`` fixed features
    misses one of them by ``theta eps > eps``. The paper's "C a constant"
    cannot hold: sections of the cube have volume ``<= 2^k (d/k)^{k/2}``
    (Ball), so C must grow like ``sqrt(k)`` (MATH.md E7).

    Examples
    --------
    >>> dense_width_lower_bound(8, 2, 1, sp.Rational(1, 5))   # (2 sqrt 2 / (sqrt 2 / 4))^2
    64
    """
    d, k, L, eps = _params(d, k, L, eps)
    C = _param(theta, "theta") * sp.sqrt(k)
    return (sp.sqrt(d) * L / (C * eps)) ** k


def dense_sample_lower_bound(d, k, L, eps, *, theta=THETA):
    """Theorem 4.3: samples ``k (sqrt(d) L/(C eps))^k log(2 sqrt(d) L/(C eps))``, C = theta sqrt(k).

    Examples
    --------
    >>> dense_sample_lower_bound(4, 1, 1, sp.Rational(1, 4))   # ratio 2 / (5/16) = 32/5
    32*log(64/5)/5
    """
    d, k, L, eps = _params(d, k, L, eps)
    C = _param(theta, "theta") * sp.sqrt(k)
    ratio = sp.sqrt(d) * L / (C * eps)
    return k * ratio**k * sp.log(2 * ratio)


def forward_cost_dense(d, k, L, eps, *, theta=THETA):
    """Eq. (1): a dense forward pass costs at least ``d`` times the width lower bound.

    Examples
    --------
    >>> forward_cost_dense(8, 2, 1, sp.Rational(1, 5))
    512
    """
    dd = _params(d, k, L, eps)[0]
    return dd * dense_width_lower_bound(d, k, L, eps, theta=theta)


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
    expr = sp.sympify(expr)
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
    equation = evaluate(expr, **values) - sp.sympify(target)
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
    (0, 512/(25*epsilon**2))
    """
    symbol = SYMBOLS.get(symbol, symbol) if isinstance(symbol, str) else symbol
    a, b = sp.sympify(a), sp.sympify(b)
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
    return sp.latex(sp.sympify(expr))


def numeric(expr: sp.Expr, *names: str):
    """A vectorised numpy function of ``names`` (default: the expression's free symbols).

    Examples
    --------
    >>> f = numeric(table_size(d, k, L, eps), "d", "k", "L", "eps")
    >>> float(f(4, 1, 1, 0.1))
    20.0
    """
    expr = sp.sympify(expr)
    if names:
        symbols = [
            SYMBOLS.get(n) or next(s for s in expr.free_symbols if s.name == n) for n in names
        ]
    else:
        symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    return sp.lambdify(symbols, expr, "numpy")
