"""Target functions on ``[-1, 1]^n``, vectorised, each with its sympy expression.

Every target is callable on a batch ``X (N, n)``, carries ``.expr`` (a sympy
expression in ``.symbols``) and ``.lipschitz_bound()``, an upper bound on its
l2 Lipschitz constant over ``[-1, 1]^n`` in closed form (docs/theory.md):

* :class:`RandomPolynomial` -- the paper's random polynomial (Section 5):
  all ``binom(n + P, P)`` monomials of degree ``<= P``, Gaussian coefficients
  rescaled to ``sum |c| = 1 - 1e-9`` (the paper asks for ``< 1``; it does not
  say how it draws them, this is our choice); bound ``B1`` of docs/theory.md;
* :class:`RandomHypercube` -- ``sum_y v_y prod_i (1 + y_i x_i)/2`` with random
  signs ``v_y``; the exact Lipschitz constant ``sqrt(max_y #disagreeing
  neighbours)`` (docs/theory.md);
* :class:`LinearTarget`, :class:`DistanceTarget` (``L ||x - c||``, gradient
  norm L everywhere: the hard case of Theorem 4.1) and
  :class:`ReLUNetworkTarget` (a random ReLU network rescaled to Lipschitz
  constant at most L).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from itertools import combinations_with_replacement
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ._validation import as_rng, check_batch, check_positive_float, check_positive_int

if TYPE_CHECKING:
    import sympy as sp  # imported where an expression is built: it takes 0.3 s

__all__ = [
    "DistanceTarget",
    "LinearTarget",
    "RandomHypercube",
    "RandomPolynomial",
    "ReLUNetworkTarget",
    "Target",
]

_ROWS = 1 << 22  # entries per evaluation chunk


class Target(ABC):
    """Base class: ``input_dim``, ``__call__``, ``expr``, ``symbols``, ``lipschitz_bound``."""

    input_dim: int

    @property
    def symbols(self) -> tuple:
        """The sympy symbols ``x0 .. x{n-1}`` of :attr:`expr`."""
        import sympy as sp

        return sp.symbols(f"x0:{self.input_dim}")

    def __call__(self, X: ArrayLike) -> np.ndarray:
        X = check_batch(X, self.input_dim)
        return self._evaluate(X)

    @abstractmethod
    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        """Values on a validated batch."""

    @abstractmethod
    def lipschitz_bound(self) -> float:
        """Closed-form upper bound on the l2 Lipschitz constant over ``[-1, 1]^n``."""


def _exponents(n: int, degree: int):
    """All exponent vectors of total degree ``<= degree`` (constant first), and for
    each monomial its parent (itself divided by its last variable) and that variable."""
    combos = [()]
    for total in range(1, degree + 1):
        combos.extend(combinations_with_replacement(range(n), total))
    position = {combo: i for i, combo in enumerate(combos)}
    rows = np.array([np.bincount(c, minlength=n) for c in combos], dtype=np.int64)
    parent = np.array([position[c[:-1]] if c else -1 for c in combos])
    var = np.array([c[-1] if c else -1 for c in combos])
    return rows, parent, var


class RandomPolynomial(Target):
    """The paper's random polynomial of degree ``P`` in ``n`` variables.

    Parameters
    ----------
    n : int
        Input dimension (8 in the paper).
    degree : int
        Total degree P (4 in the paper: 495 monomials).
    random_state : None, int or Generator

    Examples
    --------
    >>> p = RandomPolynomial(2, 2, random_state=0)
    >>> len(p.coefficients), round(float(np.abs(p.coefficients).sum()), 6)
    (6, 1.0)
    >>> bool(abs(p(np.zeros((1, 2)))[0] - p.coefficients[0]) < 1e-15)
    True
    """

    def __init__(self, n: int, degree: int, random_state=None):
        self.input_dim = check_positive_int(n, "n")
        self.degree = check_positive_int(degree, "degree")
        self.exponents, self._parent, self._var = _exponents(self.input_dim, self.degree)
        c = as_rng(random_state).standard_normal(len(self.exponents))
        self.coefficients = c * (1 - 1e-9) / np.abs(c).sum()

    def _evaluate(self, X):
        out = np.empty(len(X))
        m = len(self.exponents)
        step = max(1, _ROWS // m)
        degree = self.exponents.sum(axis=1)
        levels = [np.flatnonzero(degree == t) for t in range(1, self.degree + 1)]
        for start in range(0, len(X), step):
            XT = np.ascontiguousarray(X[start : start + step].T)
            values = np.empty((m, XT.shape[1]))  # a monomial per row: contiguous products
            values[0] = 1.0
            for idx in levels:  # each monomial = parent * one variable
                values[idx] = values[self._parent[idx]] * XT[self._var[idx]]
            # rows of samples again: the same product (and rounding) in every chunk
            out[start : start + step] = np.ascontiguousarray(values.T) @ self.coefficients
        return out

    @property
    def expr(self) -> sp.Expr:
        """The polynomial with the coefficients as exact rationals (binary64 values)."""
        import sympy as sp

        xs = self.symbols
        return sp.Add(
            *[
                sp.Rational(float(c)) * sp.Mul(*[x ** int(e) for x, e in zip(xs, a, strict=True)])
                for c, a in zip(self.coefficients, self.exponents, strict=True)
            ]
        )

    def lipschitz_bound(self) -> float:
        """``B1 = ||(sum_a |c_a| a_i)_i||_2`` (docs/theory.md), rounded up by 1e-12."""
        per_axis = np.abs(self.coefficients) @ self.exponents
        return float(np.linalg.norm(per_axis)) * (1 + 1e-12)


class RandomHypercube(Target):
    """``f(x) = sum_{y in {-1,1}^n} v_y prod_i (1 + y_i x_i) / 2``, ``v_y`` uniform in {-1, +1}.

    It interpolates random signs at the corners of the cube and is
    multilinear. Corner ``y`` is the integer whose bit ``i`` is set when
    ``y_i = +1``. Evaluation contracts one coordinate at a time (``O(2^n)`` work
    per sample, in chunks whose memory stays bounded), never forming the
    ``2^n`` products of a sample.

    Examples
    --------
    >>> f = RandomHypercube(3, random_state=0)
    >>> corners = np.array([[1 if c >> i & 1 else -1 for i in range(3)] for c in range(8)])
    >>> bool(np.array_equal(f(corners), f.values))
    True
    """

    def __init__(self, n: int, random_state=None):
        self.input_dim = check_positive_int(n, "n")
        if self.input_dim > 26:
            raise ValueError(f"`n` must be <= 26 (2^n corner values are stored). Got {n}.")
        self.values = as_rng(random_state).choice([-1.0, 1.0], size=2**self.input_dim)

    def _evaluate(self, X):
        n = self.input_dim
        out = np.empty(len(X))
        step = max(1, _ROWS // max(1, 2 ** (n - 1)))
        for start in range(0, len(X), step):
            Xc = X[start : start + step]
            T = self.values[None, :]
            for i in range(n - 1, -1, -1):  # bit i splits the table in halves
                half = T.shape[1] // 2
                lo, hi = (1 - Xc[:, i : i + 1]) / 2, (1 + Xc[:, i : i + 1]) / 2
                T = T[:, :half] * lo + T[:, half:] * hi
            out[start : start + step] = T[:, 0]
        return out

    @property
    def expr(self) -> sp.Expr:
        import sympy as sp

        xs = self.symbols
        terms = []
        for c, v in enumerate(self.values):
            factors = [(1 + (1 if c >> i & 1 else -1) * x) / 2 for i, x in enumerate(xs)]
            terms.append(int(v) * sp.Mul(*factors))
        return sp.Add(*terms)

    def lipschitz_bound(self) -> float:
        """Exact: ``sqrt(max_y #{i : v_y != v_{y xor e_i}})`` (docs/theory.md)."""
        corners = np.arange(2**self.input_dim)
        flips = sum(self.values != self.values[corners ^ (1 << i)] for i in range(self.input_dim))
        return float(np.sqrt(flips.max()))


class LinearTarget(Target):
    """``f(x) = <w, x> + b``; Lipschitz constant ``||w||_2`` exactly.

    Examples
    --------
    >>> LinearTarget([3.0, 4.0]).lipschitz_bound()
    5.0
    """

    def __init__(self, weights: ArrayLike, bias: float = 0.0):
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1 or not w.size or not np.all(np.isfinite(w)):
            raise ValueError("`weights` must be a non-empty finite vector.")
        self.weights, self.bias = w, float(bias)
        self.input_dim = len(w)

    def _evaluate(self, X):
        return X @ self.weights + self.bias

    @property
    def expr(self):
        import sympy as sp

        return sp.Rational(self.bias) + sum(
            sp.Rational(float(w)) * x for w, x in zip(self.weights, self.symbols, strict=True)
        )

    def lipschitz_bound(self) -> float:
        return float(np.linalg.norm(self.weights))


class DistanceTarget(Target):
    """``f(x) = L ||x - c||_2``: gradient norm exactly L away from c (the 'cone' of docs/theory.md).

    Examples
    --------
    >>> DistanceTarget([0.0, 0.0], lipschitz=2.0)(np.array([[3.0, 4.0]]))
    array([10.])
    """

    def __init__(self, center: ArrayLike, lipschitz: float = 1.0):
        c = np.asarray(center, dtype=np.float64)
        if c.ndim != 1 or not c.size or not np.all(np.isfinite(c)):
            raise ValueError("`center` must be a non-empty finite vector.")
        self.center, self.L = c, check_positive_float(lipschitz, "lipschitz")
        self.input_dim = len(c)

    def _evaluate(self, X):
        return self.L * np.linalg.norm(X - self.center, axis=1)

    @property
    def expr(self):
        import sympy as sp

        return sp.Rational(self.L) * sp.sqrt(
            sum(
                (x - sp.Rational(float(c))) ** 2
                for x, c in zip(self.symbols, self.center, strict=True)
            )
        )

    def lipschitz_bound(self) -> float:
        return self.L


def _slope_bound(a: np.ndarray, B: np.ndarray) -> float:
    """``sqrt(sum_i max(|lo_i|, |hi_i|)^2)``, ``lo_i``/``hi_i`` the sums of the negative /
    positive ``a_j B_ji``: the interval bound on the gradient of ``a^T relu(B x + c)``."""
    terms = a[:, None] * B
    return float(
        np.sqrt((np.maximum(-np.minimum(terms, 0).sum(0), np.maximum(terms, 0).sum(0)) ** 2).sum())
    )


class ReLUNetworkTarget(Target):
    """A random network ``a^T relu(B x + c)`` rescaled to Lipschitz constant at most L.

    The scale makes the interval bound ``sqrt(sum_i max(|lo_i|, |hi_i|)^2)``
    on the gradient (``lo_i, hi_i`` = sums of the negative / positive terms
    ``a_j B_ji``) equal to L, so L is a certified upper bound.

    Examples
    --------
    >>> f = ReLUNetworkTarget(3, width=16, lipschitz=1.0, random_state=0)
    >>> f.lipschitz_bound()
    1.0
    """

    def __init__(self, n: int, width: int = 32, lipschitz: float = 1.0, random_state=None):
        self.input_dim = check_positive_int(n, "n")
        width = check_positive_int(width, "width")
        self.L = check_positive_float(lipschitz, "lipschitz")
        rng = as_rng(random_state)
        self.B = rng.standard_normal((width, self.input_dim))
        self.c = rng.uniform(-1, 1, width)
        a = rng.standard_normal(width)
        self.a = a * self.L / _slope_bound(a, self.B)

    @classmethod
    def from_weights(
        cls, B: ArrayLike, c: ArrayLike, a: ArrayLike, lipschitz: float = 1.0
    ) -> ReLUNetworkTarget:
        """The network ``a^T relu(B x + c)`` of given weights, ``a`` rescaled so that the
        interval bound equals ``lipschitz`` (``a`` and ``B`` must not make every slope 0).

        Examples
        --------
        >>> f = ReLUNetworkTarget.from_weights([[1.0, 0.0]], [0.0], [3.0], lipschitz=2.0)
        >>> f(np.array([[1.0, 5.0]])), f.lipschitz_bound()
        (array([2.]), 2.0)
        """
        B = check_batch(B, name="B")
        width, n = B.shape
        c = np.asarray(c, dtype=np.float64).reshape(-1)
        a = np.asarray(a, dtype=np.float64).reshape(-1)
        if c.shape != (width,) or a.shape != (width,) or not np.all(np.isfinite([*c, *a])):
            raise ValueError(f"`c` and `a` must be finite vectors of the {width} units.")
        self = cls.__new__(cls)
        self.input_dim, self.L = n, check_positive_float(lipschitz, "lipschitz")
        self.B, self.c = B, c
        bound = _slope_bound(a, B)
        if bound == 0:
            raise ValueError("`a` and `B` give every unit zero slope: the network is constant.")
        self.a = a * self.L / bound
        return self

    def _evaluate(self, X):
        return np.maximum(X @ self.B.T + self.c, 0.0) @ self.a

    @property
    def expr(self):
        import sympy as sp

        xs = self.symbols
        return sum(
            sp.Rational(float(a))
            * sp.Max(
                0,
                sum(sp.Rational(float(b)) * x for b, x in zip(row, xs, strict=True))
                + sp.Rational(float(c)),
            )
            for a, row, c in zip(self.a, self.B, self.c, strict=True)
        )

    def lipschitz_bound(self) -> float:
        return self.L
