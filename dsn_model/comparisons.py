"""Seed-paired comparisons of experiment records: the one rule REPORT.md and ``dsn check`` share.

Two models are compared on records with the same seed, target and x value
(activated units); a one-sided sign test decides whether ``better`` has the
lower error more often than chance (docs/theory.md, "Section 5").
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy import stats

__all__ = ["PairedComparison", "paired_comparison"]


@dataclass(frozen=True)
class PairedComparison:
    """``wins`` of ``better`` over ``worse`` in ``total`` seed-paired comparisons."""

    better: str
    worse: str
    wins: int
    total: int
    p_value: float
    level: float

    @property
    def reproduced(self) -> bool:
        """Sign test: ``better`` wins significantly more than half the pairs."""
        return self.total > 0 and self.p_value < self.level

    def describe(self) -> str:
        word = "reproduced" if self.reproduced else "not reproduced"
        return (
            f"{self.better} has lower error than {self.worse} in {self.wins}/{self.total} "
            f"seed-paired comparisons (one-sided sign test p = {self.p_value:.3g}: {word} "
            f"at level {self.level})"
        )


def paired_comparison(
    records,
    better: str,
    worse: str,
    *,
    key: str = "active_units",
    value: str = "mse_over_var",
    level: float = 0.05,
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
