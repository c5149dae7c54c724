"""What every experiment's figure and section share: grouping records, error bars, colours."""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

__all__ = ["colour_index", "errorbars", "group", "label_order", "mean_std", "pyplot"]


def pyplot():
    """matplotlib's pyplot on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def group(records, key, value="mse_over_var"):
    """``{(label, x): [values over seeds]}``."""
    out = defaultdict(list)
    for r in records:
        out[(r["label"], r[key])].append(r[value])
    return out


def mean_std(values):
    return float(np.mean(values)), float(np.std(values))


def errorbars(ax, groups, label, legend=None, **style):
    """Mean and standard deviation over seeds of one curve of :func:`group` output."""
    xs = sorted(x for lab, x in groups if lab == label)
    stats = [mean_std(groups[(label, x)]) for x in xs]
    ax.errorbar(
        xs,
        [m for m, _ in stats],
        yerr=[s for _, s in stats],
        capsize=3,
        label=legend or label,
        **{"marker": "o", **style},
    )


def label_order(label: str):
    """Dense first, then labels in natural order ("2^8" before "2^11", "t=512" before "t=1024").

    Examples
    --------
    >>> sorted(["LSH 2^11", "dense", "LSH 2^8"], key=label_order)
    ['dense', 'LSH 2^8', 'LSH 2^11']
    """
    parts = re.split(r"(\d+)", label)
    return (label != "dense", [int(p) if p.isdigit() else p for p in parts])


def colour_index(label: str) -> int:
    """A colour per label that does not depend on which other labels a run has.

    Dense 0; DSM of 2^j total units 1 + j mod 4; LSH of 2^m buckets 5 + m mod 5.
    """
    numbers = [int(n) for n in re.findall(r"\d+", label)]
    if label.startswith("DSM") and numbers:
        return 1 + int(np.log2(numbers[-1])) % 4
    if label.startswith("LSH") and len(numbers) >= 2:
        return 5 + numbers[-1] % 5
    return 0
