"""Seed-paired comparisons of experiment records: the one rule REPORT.md and ``dsn check`` share.

Two models are compared on records with the same seed, target and x value
(activated units); a one-sided sign test at level 0.01 decides whether ``better``
has the lower error more often than chance, and states its power
(docs/theory.md, "Section 5").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

__all__ = ["PairedComparison", "paired_comparison"]


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
