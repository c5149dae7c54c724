"""The statistics behind the checker's verdicts: binomial tests and fitted exponents.

Every statistical check states a null hypothesis and a level ``alpha``;
critical values come from :mod:`scipy.stats`, never from tables, and every
test reports its power: the largest true rate it would reject with
probability at least 0.8. Scaling claims (the paper's ``O(.)`` and
``Omega(.)``) are checked by fitting ``y = c x^a`` on a log-log scale with a
confidence interval for the exponent ``a`` (docs/theory.md, "Verdicts").
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy import optimize, stats

from dsn_model.experiments.comparisons import PowerLaw, fit_power_law

__all__ = ["BinomialTest", "PowerLaw", "fit_power_law"]


@dataclass(frozen=True)
class BinomialTest:
    """One-sided exact binomial test of ``H0: P(success) >= p0``.

    ``H0`` is rejected when the number of successes in ``trials`` independent
    trials is at most :attr:`critical`, the largest ``c`` with
    ``P(Bin(trials, p0) <= c) <= alpha``; so a true rate of ``p0`` or more is
    rejected with probability at most ``alpha``.

    Parameters
    ----------
    p0 : float
        The claimed success probability, in (0, 1).
    trials : int
        Independent trials, at least 1.
    alpha : float, default=0.01
        Level of the test, in (0, 1).

    Examples
    --------
    >>> test = BinomialTest(0.8, 20)
    >>> test.critical            # P(Bin(20, 0.8) <= 11) = 0.0100
    11
    >>> test.rejects(11), test.rejects(12)
    (True, False)
    >>> round(test.power(), 2)   # rejects a true rate <= 0.48 with probability >= 0.8
    0.48
    >>> BinomialTest(0.9, 20).critical   # P(Bin(20, 0.9) <= 14) = 0.011 > 0.01
    13
    """

    p0: float
    trials: int
    alpha: float = 0.01

    def __post_init__(self):
        if not 0 < self.p0 < 1:
            raise ValueError(f"`p0` must be in (0, 1). Got {self.p0}.")
        if isinstance(self.trials, bool) or int(self.trials) != self.trials or self.trials < 1:
            raise ValueError(f"`trials` must be a positive integer. Got {self.trials!r}.")
        if not 0 < self.alpha < 1:
            raise ValueError(f"`alpha` must be in (0, 1). Got {self.alpha}.")

    @property
    def critical(self) -> int:
        """Reject when successes are at most this (-1: the test can never reject)."""
        c = int(stats.binom.ppf(self.alpha, self.trials, self.p0))
        while c >= 0 and stats.binom.cdf(c, self.trials, self.p0) > self.alpha:
            c -= 1
        while stats.binom.cdf(c + 1, self.trials, self.p0) <= self.alpha:
            c += 1
        return c

    def rejects(self, successes: int) -> bool:
        """Whether ``successes`` out of ``trials`` reject ``H0``."""
        if not 0 <= successes <= self.trials:
            raise ValueError(f"`successes` must be in [0, {self.trials}]. Got {successes}.")
        return successes <= self.critical

    def p_value(self, successes: int) -> float:
        """``P(Bin(trials, p0) <= successes)``."""
        return float(stats.binom.cdf(successes, self.trials, self.p0))

    def power(self, probability: float = 0.8) -> float:
        """The largest true rate that the test rejects with at least ``probability`` (0 if none)."""
        c = self.critical
        if c < 0 or stats.binom.cdf(c, self.trials, 1e-12) < probability:
            return 0.0
        return float(
            optimize.brentq(
                lambda p: stats.binom.cdf(c, self.trials, p) - probability, 1e-12, self.p0
            )
        )

    def describe(self) -> str:
        """The null hypothesis, the rejection rule and the power, in words."""
        return (
            f"H0: P >= {self.p0}; {self.trials} trials, alpha = {self.alpha}: reject if "
            f"successes <= {self.critical}; power: a true P <= {self.power():.2f} is rejected "
            "with probability >= 0.8"
        )
