"""Statistics of experiment records, the rules REPORT.md and ``dsn check`` share.

* Seed-paired comparisons: two models are compared on records with the same
  seed, target and x value (activated units); a one-sided sign test at level
  0.01 decides whether ``better`` has the lower error more often than chance,
  and states its power (docs/theory.md, "Section 5").
* Scaling laws: ``y = c x^a`` fitted on a log-log scale with a confidence
  interval for the exponent ``a``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

__all__ = ["PairedComparison", "PowerLaw", "fit_power_law", "paired_comparison"]


@dataclass(frozen=True)
class PairedComparison:
    """``wins`` of ``better`` over ``worse`` in ``total`` seed-paired comparisons.

    The one-sided sign test of ``H0: P(better wins a pair) <= 1/2`` at ``level``:
    the ordering is reproduced when the wins reach :attr:`critical`.
    """

    better: str
    worse: str
    wins: int
    total: int
    p_value: float
    level: float

    @property
    def critical(self) -> int:
        """The fewest wins that reject ``H0`` (``total + 1`` if none can)."""
        w = np.arange(self.total + 1)
        ok = stats.binom.sf(w - 1, self.total, 0.5) <= self.level
        return int(w[ok][0]) if ok.any() else self.total + 1

    @property
    def reproduced(self) -> bool:
        """Sign test: ``better`` wins significantly more than half the pairs."""
        return self.total > 0 and self.wins >= self.critical

    def power(self, probability: float = 0.8) -> float:
        """The smallest true win rate detected with at least ``probability`` (1.0 if none)."""
        c = self.critical
        if c > self.total or stats.binom.sf(c - 1, self.total, 1.0) < probability:
            return 1.0
        return float(
            optimize.brentq(lambda p: stats.binom.sf(c - 1, self.total, p) - probability, 0.5, 1.0)
        )

    def describe(self) -> str:
        word = "reproduced" if self.reproduced else "not reproduced"
        return (
            f"{self.better} has lower error than {self.worse} in {self.wins}/{self.total} "
            f"seed-paired comparisons (one-sided sign test p = {self.p_value:.3g}: {word} "
            f"at level {self.level}, which needs {self.critical} wins; it detects a true win "
            f"rate of {self.power():.2f} or more with probability 0.8)"
        )


def paired_comparison(
    records,
    better: str,
    worse: str,
    *,
    key: str = "active_units",
    value: str = "mse_over_var",
    level: float = 0.01,
) -> PairedComparison:
    """Compare two labels of ``records`` pair by pair (same seed, target and ``key``).

    Examples
    --------
    >>> rec = [{"label": m, "active_units": 8, "seed": s, "target": "p", "mse_over_var": v}
    ...        for s in range(6) for m, v in (("DSM", 0.1), ("dense", 0.2))]
    >>> paired_comparison(rec, "DSM", "dense").describe()[:48]
    'DSM has lower error than dense in 6/6 seed-paire'
    """
    table = {(r["label"], r[key], r["seed"], r.get("target")): r[value] for r in records}
    wins = total = 0
    for (label, x, seed, target), v in table.items():
        if label == better and (worse, x, seed, target) in table:
            total += 1
            wins += v < table[(worse, x, seed, target)]
    p = stats.binomtest(wins, total, 0.5, alternative="greater").pvalue if total else 1.0
    return PairedComparison(better, worse, wins, total, float(p), level)


@dataclass(frozen=True)
class PowerLaw:
    """``y = constant * x^exponent`` fitted on a log-log scale.

    Attributes
    ----------
    exponent : float
        Least-squares slope of ``log y`` on ``log x``.
    low, high : float
        Its two-sided confidence interval (Student t, ``n - 2`` degrees of freedom).
    constant : float
        ``exp(intercept)``: the hidden constant of the fitted law.
    points : int
        Points fitted.
    """

    exponent: float
    low: float
    high: float
    constant: float
    points: int

    def describe(self) -> str:
        return (
            f"exponent {self.exponent:.3f} [{self.low:.3f}, {self.high:.3f}], "
            f"constant {self.constant:.3g} ({self.points} points)"
        )


def fit_power_law(x, y, *, confidence: float = 0.95) -> PowerLaw:
    """Fit ``y = c x^a`` by least squares on ``log x, log y``, with a CI for ``a``.

    Parameters
    ----------
    x, y : array_like of positive numbers, at least 3 points
    confidence : float, default=0.95

    Raises
    ------
    ValueError
        If fewer than 3 points, a non-positive value, or all ``x`` equal.

    Examples
    --------
    >>> law = fit_power_law([1, 2, 4, 8], [3, 12, 48, 192])   # 3 x^2, exactly
    >>> round(law.exponent, 6), round(law.constant, 6)
    (2.0, 3.0)
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 3:
        raise ValueError(f"`x` and `y` must be 1-d of equal length >= 3. Got {x.shape}, {y.shape}.")
    if not (np.all(x > 0) and np.all(y > 0) and np.all(np.isfinite(x * y))):
        raise ValueError("`x` and `y` must be finite and positive for a log-log fit.")
    if np.ptp(x) == 0:
        raise ValueError("`x` must take at least two values.")
    fit = stats.linregress(np.log(x), np.log(y))
    half = stats.t.ppf(0.5 + confidence / 2, len(x) - 2) * fit.stderr
    return PowerLaw(
        exponent=float(fit.slope),
        low=float(fit.slope - half),
        high=float(fit.slope + half),
        constant=float(math.exp(fit.intercept)),
        points=len(x),
    )
