"""Every checkable claim of the paper as an object whose ``check()`` returns Evidence.

One module per part of the paper (Sections 2-3, Lemma 4.2, Theorems 4.1 and
4.3 with Equation 1, Section 5), a small registry (:mod:`.core`) and the
statistics behind the verdicts (:mod:`.inference`). Demonstrations that are
not claims of the paper are :data:`FINDINGS`, with no verdict on it.

Examples
--------
>>> from theory.claims import CLAIMS
>>> evidence = CLAIMS["simulation.knn"].check()
>>> evidence.verdict, evidence.method
('holds', 'numeric')
"""

from . import findings, lemma_4_2, section3, section5, theorem_4_1, theorem_4_3
from .core import (
    CLAIMS,
    FINDINGS,
    METHODS,
    VERDICTS,
    Claim,
    Evidence,
    Finding,
    check_claims,
    check_findings,
)
from .core import register as _register
from .inference import BinomialTest, PowerLaw, fit_power_law
from .lemma_4_2 import Q_BAR

# one registry, listed once, in the paper's order: each module lists its own claims
for _item in [
    *section3.CLAIMS,
    *lemma_4_2.CLAIMS,
    *theorem_4_1.CLAIMS,
    *theorem_4_3.CLAIMS,
    *section5.CLAIMS,
    *findings.FINDINGS,
]:
    _register(_item)

__all__ = [
    "CLAIMS",
    "FINDINGS",
    "METHODS",
    "Q_BAR",
    "VERDICTS",
    "BinomialTest",
    "Claim",
    "Evidence",
    "Finding",
    "PowerLaw",
    "check_claims",
    "check_findings",
    "findings",
    "fit_power_law",
    "lemma_4_2",
    "section3",
    "section5",
    "theorem_4_1",
    "theorem_4_3",
]
