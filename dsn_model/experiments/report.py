"""``REPORT.md`` of a reproduction: every experiment's section, in registry order.

Each experiment draws its own figure and writes its own section
(:class:`~dsn_model.experiments.registry.Experiment`); this module puts them
under one header. Running the experiments into a folder is
:mod:`dsn_model.experiments.runner`'s job.
"""

from __future__ import annotations

from pathlib import Path

from .registry import EXPERIMENTS
from .tasks import ALPHA_GRID
from .verdicts import verdict_lines

__all__ = ["chosen_values", "render_sections"]


def render_sections(
    records_of: dict, out: Path, *, quick: bool, seeds: int, drawn: dict | None = None
) -> str:
    """``REPORT.md``'s text, drawing each experiment's figure into ``out``.

    ``records_of`` maps experiment names to their records (``None`` for an
    experiment without records); sections come in the order of
    :data:`~dsn_model.experiments.registry.EXPERIMENTS`. ``drawn`` maps names to
    sections already drawn from the same records (not drawn again).
    """
    drawn = drawn or {}
    mode = "quick" if quick else "full"
    sections = [f"# Reproduction report ({mode} mode, {seeds} seeds)\n"]
    if quick:
        sections.append(
            "**Quick mode: small sizes and few seeds. Its verdicts are not the full run's "
            "and may differ from them; `dsn reproduce` without `--quick` gives those.**\n"
        )
    sections.append(
        "Every number below was measured by `dsn reproduce`; the paper's numbers are quoted "
        "beside ours where it reports them. Mean ± standard deviation over seeds.\n\n"
        "How every model is trained: a fixed random bottom layer and a trained top layer, as "
        "in the paper. Dense and DSM: ReLU random features (weights N(0, 1/d), biases "
        "U[-1, 1]), top layer by exact ridge regression. LSH: hyperplanes with offsets in "
        "[-1, 1] (m per table, s tables), one scalar per bucket, all s 2^m scalars trained "
        "jointly by ridge regression (conjugate gradients) -- the top layer of the DSM(d, s, "
        "s 2^m) it is; a bucket no training row fell in keeps a zero contribution. Every "
        f"ridge penalty is chosen from {', '.join(f'{a:g}' for a in ALPHA_GRID['alpha'])} "
        "(per sample) on a validation split (the last 20% of the training rows), and the "
        "model is then re-solved on all training rows; the test set is never used to "
        "choose. Inputs uniform on [-1, 1]^8.\n"
    )
    for name, experiment in EXPERIMENTS.items():
        if name in drawn:
            sections.append(drawn[name])
        elif name in records_of:
            sections.append(experiment.section(records_of[name], out, quick))
    verdicts = verdict_lines(records_of)
    if verdicts:
        sections.append(
            "## Verdicts -- one line per claim of the paper's Section 5\n\n"
            "The unit of evidence is an independent (target, seed) draw; values that share a "
            "draw (widths, FLOP levels) are averaged inside it as log error ratios. "
            "*agrees*: a one-sided Wilcoxon signed-rank test over the units reproduces it at "
            "level 0.01 under our protocol; *agrees in every unit*: every unit goes its way "
            "but too few units exist for the test to reach 0.01; *agrees only when*: it is "
            "reproduced under the condition named (Adam's protocol, a larger sample) and not "
            "under ours; *disagrees*: neither; *undecided*: the interval straddles the claim's "
            "bound. Evidence in brackets.\n\n" + "\n".join(verdicts) + "\n"
        )
    chosen = chosen_values(records_of)
    if chosen:
        sections.append(chosen)
    return "\n".join(sections)


def chosen_values(records_of: dict) -> str:
    """A section listing, per experiment and model, the hyper-parameter values chosen on
    the validation split and how many tasks chose each ("" if none were chosen).

    Examples
    --------
    >>> rec = [{"label": "dense", "chosen_alpha": a} for a in (1e-5, 1e-5, 1e-3)]
    >>> print(chosen_values({"fig4": rec}).splitlines()[-1])
    | fig4 | dense | alpha | 0.001 (1), 1e-05 (2) |
    """
    rows = []
    for name, records in records_of.items():
        for label in sorted({r["label"] for r in records or ()}):
            for key in ("chosen_alpha", "chosen_learning_rate"):
                values = [r[key] for r in records if r["label"] == label and key in r]
                if not values:
                    continue
                counts = {v: values.count(v) for v in sorted(set(values), reverse=True)}
                listed = ", ".join(f"{v:g} ({c})" for v, c in counts.items())
                rows.append(f"| {name} | {label} | {key.removeprefix('chosen_')} | {listed} |")
    if not rows:
        return ""
    return "\n".join(
        [
            "## Hyper-parameters chosen on validation\n",
            "Each task chose its value on its own validation split (the last 20% of its "
            "training rows); the count of tasks that chose each value is in brackets.\n",
            "| experiment | model | parameter | values chosen (tasks) |",
            "|---|---|---|---|",
            *rows,
        ]
    )
