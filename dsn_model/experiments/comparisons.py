"""Statistics of experiment records, the rules REPORT.md and ``dsn check`` share.

* Paired comparisons over independent units: the unit of replication is a
  (target, seed) draw -- its target function, training data and test set. The
  x values of one unit (activated units, widths, FLOP levels) share that draw,
  so they are averaged inside the unit, never counted as pairs of their own:
  each unit gives one mean log error ratio ``log(worse / better)``, and a
  one-sided Wilcoxon signed-rank test over the units decides at level 0.01
  whether ``better`` has the lower error (docs/theory.md, "Section 5").
* Scaling laws: ``y = c x^a`` fitted on a log-log scale with a confidence
  interval for the exponent ``a``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

__all__ = ["PairedComparison", "PowerLaw", "fit_power_law", "paired_comparison", "unit_ratios"]


@dataclass(frozen=True)
class PairedComparison:
    """``better`` against ``worse`` over independent (target, seed) units.

    Attributes
    ----------
    log_ratios : tuple of float
        Per unit, the mean over its shared x values of ``log(error_worse / error_better)``
        (positive: ``better`` had the lower error).
    p_value : float
        One-sided Wilcoxon signed-rank test (exact) of ``H0: the ratios are symmetric
        about 0`` against ``better`` having the lower error; 1 without units.
    """

    better: str
    worse: str
    log_ratios: tuple = field(default=())
    p_value: float = 1.0
    level: float = 0.01

    @property
    def total(self) -> int:
        """Independent units compared."""
        return len(self.log_ratios)

    @property
    def wins(self) -> int:
        """Units in which ``better`` had the lower (mean log) error."""
        return int(sum(r > 0 for r in self.log_ratios))

    @property
    def least_p(self) -> float:
        """The smallest p-value this many units can give (all ratios of one sign): 2^-n."""
        return 0.5**self.total

    @property
    def can_decide(self) -> bool:
        """Whether the test can reach ``level`` with this many units."""
        return self.total > 0 and self.least_p <= self.level

    @property
    def reproduced(self) -> bool:
        """The test rejects ``H0`` at ``level``: ``better`` has the lower error."""
        return self.total > 0 and self.p_value <= self.level

    @property
    def ratio(self) -> float:
        """Geometric mean over units of ``error_worse / error_better``."""
        return float(np.exp(np.mean(self.log_ratios))) if self.total else float("nan")

    def describe(self) -> str:
        if not self.total:
            return f"{self.better} and {self.worse} share no unit"
        word = "reproduced" if self.reproduced else "not reproduced"
        if not self.can_decide:
            word += f"; {self.total} units cannot reach it (least p {self.least_p:.2g})"
        return (
            f"{self.better} has lower error than {self.worse} in {self.wins}/{self.total} "
            f"independent (target, seed) units, error ratio {self.ratio:.2f}x "
            f"(one-sided Wilcoxon signed-rank p = {self.p_value:.2g}: {word} at level "
            f"{self.level})"
        )


def unit_ratios(
    records, better: str, worse: str, *, key: str = "active_units", value: str = "mse_over_var"
) -> dict:
    """``{(target, seed): mean log(worse / better)}`` over the ``key`` values both labels have.

    Examples
    --------
    >>> rec = [{"label": m, "active_units": a, "seed": 0, "target": "p", "mse_over_var": v * a}
    ...        for a in (1, 2) for m, v in (("DSM", 1.0), ("dense", 2.0))]
    >>> {k: round(v, 4) for k, v in unit_ratios(rec, "DSM", "dense").items()}
    {('p', 0): 0.6931}
    """
    table = {(r["label"], r[key], r["seed"], r.get("target")): r[value] for r in records}
    per_unit: dict = {}
    for (label, x, seed, target), v in table.items():
        other = table.get((worse, x, seed, target))
        if label == better and other is not None:
            per_unit.setdefault((target, seed), []).append(math.log(other / v))
    return {unit: float(np.mean(logs)) for unit, logs in sorted(per_unit.items(), key=str)}


def paired_comparison(
    records,
    better: str,
    worse: str,
    *,
    key: str = "active_units",
    value: str = "mse_over_var",
    level: float = 0.01,
) -> PairedComparison:
    """Compare two labels of ``records`` over independent (target, seed) units.

    Records of one unit (same target and seed) are paired on ``key`` and averaged
    as log ratios (:func:`unit_ratios`); the units are then tested against each
    other (one-sided exact Wilcoxon signed-rank).

    Examples
    --------
    >>> rec = [{"label": m, "active_units": 8, "seed": s, "target": "p", "mse_over_var": v}
    ...        for s in range(8) for m, v in (("DSM", 0.1), ("dense", 0.2))]
    >>> c = paired_comparison(rec, "DSM", "dense")
    >>> c.wins, c.total, round(c.p_value, 4), c.reproduced
    (8, 8, 0.0039, True)
    """
    ratios = tuple(unit_ratios(records, better, worse, key=key, value=value).values())
    p = 1.0
    if ratios and np.any(ratios):
        p = float(stats.wilcoxon(ratios, alternative="greater", zero_method="zsplit").pvalue)
    return PairedComparison(better, worse, ratios, p, level)


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
