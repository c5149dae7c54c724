"""Inputs on a k-dimensional section of the cube in R^d: how LSH's error depends on k and d."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._io import save_figure
from .plots import errorbars, group, label_order, pyplot
from .registry import Experiment
from .tasks import EXACT_LSH, SIZES, Task


def _tasks(size, seeds):
    s = SIZES[size]
    tasks = []
    for d in (8, 32):
        for k in (2, 3, 4):
            base = {
                "experiment": "subspace",
                "target": "subspace-polynomial",
                "d": d,
                "k": k,
                "n_train": s["n_train"],
                "n_test": s["n_test"],
            }
            for seed in seeds:
                tasks += [
                    Task(
                        model="lsh",
                        params={
                            "family": "euclidean",
                            "n_tables": 16,
                            "n_hashes": 4 * k,
                            "width": 1.0,
                            "fallback": "probe",
                            **EXACT_LSH,
                        },
                        seed=seed,
                        label="LSH (euclidean, 4k hashes)",
                        **base,
                    ),
                    Task(
                        model="dense", params={"n_units": 128}, seed=seed, label="dense 128", **base
                    ),
                ]
    return tasks


def _section(records, out: Path, quick: bool) -> str:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    lines = [
        "## Subspace inputs -- cost in k, not d\n",
        "![subspace](subspace.png)\n",
        "| model | d | k=2 | k=3 | k=4 |",
        "|---|---|---|---|---|",
    ]
    for label in sorted({r["label"] for r in records}, key=label_order):
        for d in (8, 32):
            groups = group([r for r in records if r["label"] == label and r["d"] == d], "k")
            errorbars(ax, groups, label, legend=f"{label}, d={d}")
            ks = sorted(k for _, k in groups)
            means = [float(np.mean(groups[(label, k)])) for k in ks]
            lines.append(f"| {label} | {d} | " + " | ".join(f"{m:.3f}" for m in means) + " |")
    ax.set_xlabel("k (subspace dimension)")
    ax.set_ylabel("test MSE / Var(y) (mean and sd over seeds)")
    ax.set_yscale("log")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title("Subspace inputs: error against k, for d = 8 and 32")
    ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, out / "subspace.png", dpi=120)
    plt.close(fig)
    lines.append(
        "\nInputs uniform on a random k-dim section of [-1, 1]^d, target a random "
        "degree-4 polynomial of the k subspace coordinates. Theorem 4.1 predicts the "
        "LSH error at a fixed table size to depend on k and hardly on d; compare the "
        "d = 8 and d = 32 rows.\n"
    )
    return "\n".join(lines)


EXPERIMENT = Experiment("subspace", "inputs on a k-dim section: cost in k and d", _tasks, _section)
