"""Sample size: where LSH and DSM 25% vs 50% change their verdicts, and why.

One random polynomial per seed, one test set, and nested training sets of
growing size (:attr:`Task.nested`). At each size: dense models of several
widths, LSH with ``2^11`` and ``2^14`` buckets per table and one scalar per
bucket (``Delta = 0``) trained jointly as the paper trains its top layer, the
same ``2^11`` model under Theorem 4.1's rule (per-table bucket means, averaged:
the measurement that tells a training artefact from LSH itself), LSH with one
affine function per bucket (``Delta = 1``, the paper's open question on
per-bucket interpolation), and Table 1's smallest DSM pair (50% and 25%
active). Every ridge penalty is chosen on a validation split. The report gives
the sample size from which each LSH beats every dense width tried, and how the
DSM order moves with n.
"""

from __future__ import annotations

from pathlib import Path

from .._io import save_figure
from .comparisons import paired_comparison
from .experiment import Experiment
from .plots import errorbars, group, label_order, mean_std, pyplot
from .tasks import PAPER_LSH, SIZES, Task

__all__ = ["EXPERIMENT", "SWEEP", "beats_all_dense"]

#: Per size: training sizes, dense widths, LSH tables (Delta = 0 and 1), and the largest
#: size the DSM pair runs at (Top-K fits cost n t s).
SWEEP = {
    "quick": {
        "n": (1000, 4000, 16000),
        "dense": (32, 64, 128),
        "lsh_tables": (32, 16),
        "dsm_max_n": 16000,
    },
    "full": {
        # 1e6 rows would cost ~2 min per joint LSH penalty path (128 tables of 2^14
        # buckets): ~40 min of the full run's 2 cores for 10 seeds
        "n": (50_000, 200_000),
        "dense": (64, 128, 256, 512),
        "lsh_tables": (128, 32),
        "dsm_max_n": 200_000,
    },
}


def _tasks(size, seeds):
    sweep, sizes = SWEEP[size], SIZES[size]
    width = 18432 // (2 * 9) // sizes["table1_scale"]  # Table 1's smallest level
    tables0, tables1 = sweep["lsh_tables"]
    tasks = []
    for seed in seeds:
        for n in sweep["n"]:
            base = {
                "experiment": "samples",
                "target": "polynomial",
                "n_train": n,
                "n_test": sizes["n_test"],
                "nested": True,
                "seed": seed,
            }
            models = [(f"dense {w}", "dense", {"n_units": w}) for w in sweep["dense"]]
            models += [
                (f"LSH Delta=0 2^{m}", "lsh", {"n_tables": tables0, "n_hashes": m, **PAPER_LSH})
                for m in (11, 14)
            ]
            means = {**PAPER_LSH, "solver": "mean"}
            models.append(("LSH means 2^11", "lsh", {"n_tables": tables0, "n_hashes": 11, **means}))
            models.append(
                (
                    "LSH Delta=1 2^11",
                    "lsh",
                    {"n_tables": tables1, "n_hashes": 11, "degree": 1, **PAPER_LSH},
                )
            )
            if n <= sweep["dsm_max_n"]:
                models += [
                    ("DSM 50%", "dsm", {"n_units": 2 * width, "sparsity": width}),
                    ("DSM 25%", "dsm", {"n_units": 4 * width, "sparsity": width}),
                ]
            tasks += [Task(model=m, params=p, label=label, **base) for label, m, p in models]
    return tasks


def _model_order(label: str):
    """Dense widths, then LSH, then DSM; numbers in natural order."""
    family = 2 * label.startswith("LSH")
    return (family + 3 * label.startswith("DSM"), label_order(label))


def _figure(records, out: Path) -> None:
    plt = pyplot()
    groups = group(records, "n_train")
    fig, ax = plt.subplots(figsize=(10, 5))
    labels = sorted({label for label, _ in groups}, key=_model_order)
    for i, label in enumerate(labels):  # a colour each (tab10, then tab20), a style per family
        style, marker = (
            ("--", "s")
            if label.startswith("LSH")
            else (":", "^")
            if label.startswith("DSM")
            else ("-", "o")
        )
        colour = plt.cm.tab10(i) if len(labels) <= 10 else plt.cm.tab20(i % 20)
        errorbars(ax, groups, label, linestyle=style, marker=marker, color=colour)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ns = sorted({x for _, x in groups})
    ax.set_xticks(ns, labels=[f"{n:,}" for n in ns])
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.set_xlabel("training samples n")
    ax.set_ylabel("test MSE / Var(y) (mean and sd over seeds)")
    ax.set_title("Sample size: random polynomial, one target and test set per seed")
    ax.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    save_figure(fig, out / "samples.png", dpi=120)
    plt.close(fig)


def beats_all_dense(records, label, ns, dense):
    """The smallest n from which ``label`` beats every dense width in every seed, or None."""
    table = {(r["label"], r["n_train"], r["seed"]): r["mse_over_var"] for r in records}
    seeds = sorted({r["seed"] for r in records})
    wins = []
    for n in ns:
        ok = all(
            table[(label, n, s)] < min(table[(d, n, s)] for d in dense)
            for s in seeds
            if (label, n, s) in table
        )
        wins.append(ok)
    for i, n in enumerate(ns):
        if all(wins[i:]):
            return n
    return None


def _by_n(records, better: str, worse: str) -> str:
    """Wins of ``better`` over ``worse`` at each n, and the test over seeds (each seed's
    log ratios averaged over n: one unit)."""
    ns = sorted({r["n_train"] for r in records if r["label"] == better})
    counts = []
    for n in ns:
        at_n = [r for r in records if r["n_train"] == n]
        c = paired_comparison(at_n, better, worse, key="n_train")
        counts.append(f"{c.wins}/{c.total} at n = {n:,}")
    pooled = paired_comparison(records, better, worse, key="n_train")
    return f"{', '.join(counts)}; over every n, {pooled.describe()}."


def _section(records, out: Path, quick: bool) -> str:
    _figure(records, out)
    size = "quick" if quick else "full"
    sweep = SWEEP[size]
    ns = sorted({r["n_train"] for r in records})
    dense = [f"dense {w}" for w in sweep["dense"]]
    groups = group(records, "n_train")
    labels = sorted({label for label, _ in groups}, key=_model_order)
    lines = [
        "## Sample size -- where each verdict changes\n",
        "![samples](samples.png)\n",
        "One random polynomial and one test set per seed; training sets nested in n. "
        "MSE/Var, mean ± sd over seeds.\n",
        "| model | " + " | ".join(f"n = {n:,}" for n in ns) + " |",
        "|---|" + "---|" * len(ns),
    ]
    for label in labels:
        cells = []
        for n in ns:
            values = groups.get((label, n))
            m, sd = mean_std(values) if values else (None, None)
            cells.append(f"{m:.4f} ± {sd:.4f}" if values else "")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    for label in [lab for lab in labels if lab.startswith("LSH")]:
        n0 = beats_all_dense(records, label, ns, dense)
        where = f"from n = {n0:,} on" if n0 else f"at no n up to {ns[-1]:,}"
        lines.append(f"- {label} beats every dense width tried in every seed {where}.")
    for better, worse, what in (
        ("LSH Delta=0 2^11", "LSH means 2^11", "the joint fit against Theorem 4.1's means"),
        ("LSH Delta=1 2^11", "LSH Delta=0 2^11", "one affine function per bucket"),
        ("DSM 25%", "DSM 50%", "Table 1's order"),
    ):
        lines.append(f"- {what}: {_by_n(records, better, worse)}")
    return "\n".join(lines) + "\n"


EXPERIMENT = Experiment(
    "samples", "sample size: LSH (joint, means, Delta = 1), DSM 25% vs 50%", _tasks, _section
)
