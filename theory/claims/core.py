"""Claims, findings and their evidence; the registry that ``dsn check`` walks.

A :class:`Claim` is a statement of the paper: its section, the paper's words
(``quote``, verbatim where the check may refute it), what the checker tests
and how. ``check()`` returns :class:`Evidence` with one of four verdicts
(docs/theory.md, "Verdicts"):

``holds``
    the check passed;
``fails``
    it did not: a bug or a deliberately broken input. ``dsn check`` exits
    non-zero;
``refuted``
    only for a sentence the paper writes (quoted verbatim in ``quote``),
    with a counter-example. A claim registered as ``expect="refuted"`` whose
    counter-example does not materialise *fails*: the reading or the checker
    is wrong;
``erratum``
    a quoted sentence that is false as printed, whose evident correction
    (stated in ``checked``) holds exactly and leaves every later step of the
    paper unaffected: a typo, not a mathematical error. Registered as
    ``expect="erratum"``; if the printed form has no counter-example, or the
    correction fails too, the check *fails*;
``not reproduced``
    a measurement of Section 5 that our reproduction, under its stated
    protocol, does not show. Not a refutation and not a checker failure.

Each claim has a ``kind``: ``"paper"`` for a statement of the paper,
``"consistency"`` for a check of this implementation that the paper's claims
rely on (the DSM identities, the exact cell count, the targets' Lipschitz
constants, the calibrated lambda quantiles). ``dsn check`` prints the two
apart and counts only the paper's claims as verdicts on it.

A :class:`Finding` is a demonstration that is not a claim of the paper
(hyperplanes through the origin, no unseen-bucket fallback): it is printed
apart, with no verdict on the paper.

Each check takes keyword parameters, so it can be pointed at a broken input
(a wrong Lipschitz constant, a too-wide width, a router with s + 1 active
units) and must then fail. Every claim registers one (``broken``); the tests
run them all, and ``dsn check --full`` runs each beside its claim: a claim
whose breaking input does not flip its verdict *fails* -- a check that cannot
fail is no evidence.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

__all__ = [
    "CLAIMS",
    "FINDINGS",
    "KINDS",
    "METHODS",
    "VERDICTS",
    "Claim",
    "Evidence",
    "Finding",
    "check_claims",
    "check_findings",
    "register",
    "verdict",
]

#: The verdicts a claim can get.
VERDICTS = ("holds", "fails", "refuted", "erratum", "not reproduced")
#: What a claim is about: the paper, or the consistency of this implementation.
KINDS = ("paper", "consistency")
#: How a check decides: bit-exact or rational; float tolerances stated in ulps;
#: a sound bound; a test with stated level and power; a sympy derivation.
METHODS = ("exact", "numeric", "certified", "statistical", "symbolic")


def verdict(ok: bool) -> str:
    """``"holds"`` or ``"fails"``."""
    return "holds" if ok else "fails"


def _plain(value):
    """Numbers as JSON numbers (numpy scalars and arrays converted)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


@dataclass
class Evidence:
    """What a check measured, against which bound, how, and the verdict.

    Attributes
    ----------
    verdict : str
        One of :data:`VERDICTS`.
    method : str
        One of :data:`METHODS`.
    summary : str
        Measured versus bound, in one line.
    measured, bound : dict
        The numbers behind the summary (JSON numbers).
    parameters : dict
        The parameters the check ran with.
    checked : str
        What exactly was checked (filled from the claim).
    claim, section, statement, quote, kind : str
        Filled from the claim by :meth:`Claim.check`.
    breaking : dict
        With ``dsn check --full``: the claim's breaking input, the verdict it
        got, and whether that flipped the claim (``{}`` otherwise).
    seconds : float
    """

    verdict: str
    method: str
    summary: str
    measured: dict = field(default_factory=dict)
    bound: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)
    claim: str = ""
    section: str = ""
    statement: str = ""
    quote: str = ""
    checked: str = ""
    kind: str = "paper"
    breaking: dict = field(default_factory=dict)
    seconds: float = 0.0

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"`verdict` must be one of {VERDICTS}. Got {self.verdict!r}.")
        if self.method not in METHODS:
            raise ValueError(f"`method` must be one of {METHODS}. Got {self.method!r}.")

    def as_dict(self) -> dict:
        """The evidence as plain JSON types (numbers stay numbers)."""
        return _plain(asdict(self))


@dataclass
class Claim:
    """A statement of the paper with a check.

    Parameters
    ----------
    name : str
        Dotted, by section: ``"lemma_4_2.diameter"``.
    section : str
        The paper's section, ``"4"``, ``"3.2"``, ``"5.1"``.
    statement : str
        The claim in short, our words.
    checked : str
        What the check tests (and its reconstruction, if any).
    run : callable
        Keyword parameters -> :class:`Evidence`.
    quote : str, optional
        The paper's sentence, verbatim; required with ``expect="refuted"`` or
        ``"erratum"``.
    expect : {"holds", "refuted", "erratum"}
        What a correct checker finds on the default parameters.
    kind : {"paper", "consistency"}
        A statement of the paper, or a consistency check of this implementation.
    broken : dict
        Parameters that break the check's input on purpose (a steeper target,
        a too-wide width, a leaking router): with them it must not hold.
    quick, full : dict
        Parameters of the quick and the full run.
    expression : sympy expression, optional
        The bound, from :mod:`theory.bounds`.
    """

    name: str
    section: str
    statement: str
    checked: str
    run: Callable[..., Evidence]
    quote: str = ""
    expect: str = "holds"
    quick: dict = field(default_factory=dict)
    full: dict = field(default_factory=dict)
    expression: object = None
    kind: str = "paper"
    broken: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.expect not in ("holds", "refuted", "erratum"):
            raise ValueError(
                f"`expect` must be 'holds', 'refuted' or 'erratum'. Got {self.expect!r}."
            )
        if self.expect != "holds" and not self.quote:
            raise ValueError(f"{self.name}: only a quoted sentence of the paper can be refuted.")
        if self.kind not in KINDS:
            raise ValueError(f"`kind` must be one of {KINDS}. Got {self.kind!r}.")

    def check(self, *, full: bool = False, **params) -> Evidence:
        """Run the check (quick sizes unless ``full``); ``params`` override them."""
        start = time.perf_counter()
        merged = {**(self.full if full else self.quick), **params}
        evidence = self.run(**merged)
        if self.expect in ("refuted", "erratum") and evidence.verdict == "holds":
            evidence.verdict = "fails"  # the counter-example did not materialise
            evidence.summary += " -- expected a counter-example to the quoted sentence"
        elif self.expect == "erratum" and evidence.verdict == "refuted":
            evidence.verdict = "fails"  # the correction does not hold either
            evidence.summary += " -- expected the corrected sentence to hold"
        elif self.expect == "holds" and evidence.verdict in ("refuted", "erratum"):
            raise AssertionError(f"{self.name} is not a quoted sentence; it cannot be refuted")
        evidence.claim, evidence.section = self.name, self.section
        evidence.statement, evidence.quote, evidence.checked, evidence.kind = (
            self.statement,
            self.quote,
            self.checked,
            self.kind,
        )
        defaults = {
            name: p.default
            for name, p in inspect.signature(self.run).parameters.items()
            if p.default is not inspect.Parameter.empty
        }
        evidence.parameters = {**defaults, **merged, **evidence.parameters}
        evidence.seconds = round(time.perf_counter() - start, 2)
        return evidence

    def check_breaking(self, **params) -> Evidence:
        """Run the check on its breaking input (quick sizes); ``params`` as in :meth:`check`."""
        return self.check(**{**params, **self.broken})

    @property
    def breaks_to(self) -> str:
        """The verdict the breaking input must get: ``"not reproduced"`` for a Section 5
        measurement, ``"fails"`` otherwise."""
        return "not reproduced" if self.name.startswith("experiments.") else "fails"


@dataclass
class Finding(Claim):
    """A demonstration that is not a claim of the paper: no verdict on the paper.

    ``run`` returns :class:`Evidence` whose verdict says whether the
    demonstration behaved as documented (``holds``) or not (``fails``).
    """


#: Every registered claim by name, in registration order.
CLAIMS: dict[str, Claim] = {}
#: Every registered finding by name.
FINDINGS: dict[str, Finding] = {}


def register(item: Claim | Finding) -> Claim | Finding:
    """Add a claim or a finding to its registry (names are unique).

    Each module of :mod:`theory.claims` lists its own ``CLAIMS`` (or ``FINDINGS``);
    the package registers them, in the paper's order, when it is imported.
    """
    registry = FINDINGS if isinstance(item, Finding) else CLAIMS
    if item.name in CLAIMS or item.name in FINDINGS:
        raise ValueError(f"{item.name!r} is registered already.")
    registry[item.name] = item
    return item


def _run(registry, names, full, progress, desc, **params):
    names = list(registry) if not names else list(names)
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ValueError(f"Unknown {desc}(s) {unknown}; known: {sorted(registry)}.")
    from tqdm.auto import tqdm

    out = []
    for name in tqdm(names, disable=not progress, desc=desc):
        item = registry[name]
        accepted = inspect.signature(item.run).parameters
        extra = {k: v for k, v in params.items() if v is not None and k in accepted}
        evidence = item.check(full=full, **extra)
        if full and item.broken:
            broken = item.check_breaking(**extra)
            flipped = broken.verdict == item.breaks_to
            evidence.breaking = {
                "input": _plain(item.broken),
                "verdict": broken.verdict,
                "flipped": flipped,
            }
            if not flipped:
                evidence.verdict = "fails"
                evidence.summary += " -- its breaking input did not flip the verdict"
        out.append(evidence)
    return out


def check_claims(
    names=None, *, full: bool = False, progress: bool = False, records: str | None = None
) -> list[Evidence]:
    """Check the named claims (all by default) and return their Evidence in order.

    ``records``: a folder of ``dsn reproduce`` records that the Section 5
    claims read instead of running their own configuration.
    """
    return _run(CLAIMS, names, full, progress, "claim", records=records)


def check_findings(names=None, *, full: bool = False, progress: bool = False) -> list[Evidence]:
    """Run the named findings (all by default)."""
    return _run(FINDINGS, names, full, progress, "finding")
