"""Fig. 1: a one-dimensional piecewise-constant LSH fit of a polynomial, buckets coloured."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._io import save_figure
from ..data import uniform_cube
from ..lsh.regressor import LSHRegressor
from ..targets import RandomPolynomial
from .experiment import Experiment
from .plots import pyplot


def _fits(quick: bool):
    """The target, a grid of [-1, 1], and per panel (tables, title) the fit's predictions
    on the grid and the bucket of each grid point in the first table."""
    rng = np.random.default_rng(0)
    f = RandomPolynomial(1, 4, random_state=3)
    X = uniform_cube(2000 if quick else 20000, 1, random_state=rng)
    grid = np.linspace(-1, 1, 1000)[:, None]
    panels = []
    for tables, title in [(1, "(a) one table, 2^6 buckets"), (8, "(b) eight tables averaged")]:
        model = LSHRegressor(n_tables=tables, n_hashes=6, random_state=1).fit(X, f(X))
        panels.append((title, model.predict(grid), model.family_.keys(grid)[:, 0, 0]))
    return f, grid, panels


def _figure(f, grid, panels, out: Path) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, (title, pred, keys) in zip(axes, panels, strict=True):
        ax.plot(grid[:, 0], f(grid), color="black", lw=1.5, label="target")
        colours = plt.cm.tab20(np.searchsorted(np.unique(keys), keys) % 20)
        ax.scatter(grid[:, 0], pred, c=colours, s=4)
        ax.scatter([], [], c="grey", s=12, label="LSH fit (colour: bucket of table 1)")
        ax.set_title(title)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x) and the LSH fit g(x)")
        ax.legend(loc="best", fontsize=8)
    fig.suptitle("Fig. 1: piecewise-constant LSH fit of a degree-4 polynomial")
    fig.tight_layout()
    save_figure(fig, out / "fig1.png", dpi=120)
    plt.close(fig)


def _section(records, out: Path, quick: bool) -> str:
    _figure(*_fits(quick), out)
    return (
        "## Fig. 1 -- 1-D LSH fit\n\n![fig1](fig1.png)\n\nOffset hyperplanes in one "
        "dimension are thresholds, so one table of 6 hashes splits [-1, 1] into at most 7 "
        "intervals with one constant each (a); averaging 8 tables gives a finer staircase "
        "(b).\n"
    )


EXPERIMENT = Experiment("fig1", "a 1-D LSH fit, buckets coloured", None, _section)
