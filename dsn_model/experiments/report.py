"""``REPORT.md`` of a reproduction: every experiment's section, in registry order.

Each experiment draws its own figure and writes its own section
(:class:`~dsn_model.experiments.registry.Experiment`); this module puts them
under one header. Running the experiments into a folder is
:mod:`dsn_model.experiments.runner`'s job.
"""

from __future__ import annotations

from pathlib import Path

from .registry import EXPERIMENTS
from .verdicts import verdict_lines

__all__ = ["render_sections"]


def render_sections(records_of: dict, out: Path, *, quick: bool, seeds: int) -> str:
    """``REPORT.md``'s text, drawing each experiment's figure into ``out``.

    ``records_of`` maps experiment names to their records (``None`` for an
    experiment without records); sections come in the order of
    :data:`~dsn_model.experiments.registry.EXPERIMENTS`.
    """
    mode = "quick" if quick else "full"
    sections = [
        f"# Reproduction report ({mode} mode, {seeds} seeds)\n",
        "Every number below was measured by `dsn reproduce`; the paper's numbers are quoted "
        "beside ours where it reports them. Mean ± standard deviation over seeds.\n",
    ]
    for name, experiment in EXPERIMENTS.items():
        if name in records_of:
            sections.append(experiment.section(records_of[name], out, quick))
    verdicts = verdict_lines(records_of)
    if verdicts:
        sections.append(
            "## Verdicts -- one line per claim of the paper's Section 5\n\n"
            "*agrees*: the paired sign test (level 0.01) reproduces it under our protocol; "
            "*agrees only when*: it is reproduced under the condition named (Adam's protocol, "
            "a larger sample) and not under ours; *disagrees*: neither. Evidence in brackets.\n\n"
            + "\n".join(verdicts)
            + "\n"
        )
    return "\n".join(sections)
