"""Fig. 4: dense vs random hash vs DSM vs LSH at equal activated units: routing matters."""

from __future__ import annotations

from pathlib import Path

from .._io import save_figure
from .comparisons import paired_comparison
from .experiment import Experiment
from .plots import errorbars, group, pyplot
from .tasks import PAPER_LSH, SIZES, Task

__all__ = ["EXPERIMENT", "FIG4_COMPARISONS"]

#: The paper's Fig. 4 orderings, (better, worse): checked by REPORT.md and by ``dsn check``.
FIG4_COMPARISONS = (("DSM", "dense"), ("LSH", "dense"), ("dense", "random hash"))


def _tasks(size, seeds):
    s = SIZES[size]
    tasks = []
    total = s["totals"][-1]
    for target in ("polynomial", "hypercube"):
        base = {
            "experiment": "fig4",
            "target": target,
            "n_train": s["n_train"],
            "n_test": s["n_test"],
        }
        for seed in seeds:
            for a in s["active"]:
                tasks += [
                    Task(model="dense", params={"n_units": a}, seed=seed, label="dense", **base),
                    Task(
                        model="hash",
                        params={"n_units": total, "sparsity": a},
                        seed=seed,
                        label="random hash",
                        **base,
                    ),
                    Task(
                        model="dsm",
                        params={"n_units": total, "sparsity": a},
                        seed=seed,
                        label="DSM",
                        **base,
                    ),
                    Task(
                        model="lsh",
                        params={"n_tables": a, "n_hashes": 14, **PAPER_LSH},
                        seed=seed,
                        label="LSH",
                        **base,
                    ),
                ]
    return tasks


def _figure(records, out: Path) -> None:
    """Error against activated units, per target: ``out/fig4.png``."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, target in zip(axes, ("polynomial", "hypercube"), strict=True):
        sub = [r for r in records if r["target"] == target]
        groups = group(sub, "active_units")
        for i, label in enumerate(("dense", "random hash", "DSM", "LSH")):
            errorbars(ax, groups, label, color=plt.cm.tab10(i))
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_title(f"random {target}")
        ax.set_xlabel("activated units")
    axes[0].set_ylabel("test MSE / Var(y) (mean, bars: sd over seeds)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=9)  # below: covers nothing
    fig.suptitle(
        "Fig. 4: dense vs random hash vs DSM vs LSH (LSH: one table of 2^14 buckets per "
        "activated unit)"
    )
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    save_figure(fig, out / "fig4.png", dpi=120)
    plt.close(fig)


def _section(records, out: Path, quick: bool = False) -> str:
    _figure(records, out)
    lines = ["## Fig. 4 -- routing matters\n", "![fig4](fig4.png)\n"]
    for better, worse in FIG4_COMPARISONS:
        lines.append(
            f"- {paired_comparison(records, better, worse).describe()}; both targets, every width."
        )
    lines.append("\nPaper: random hash is worse than dense; DSM and LSH better.\n")
    return "\n".join(lines)


EXPERIMENT = Experiment("fig4", "routing matters: dense, random hash, DSM, LSH", _tasks, _section)
