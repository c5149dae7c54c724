"""The experiments of the reproduction, each one object: its tasks and its report section.

An :class:`Experiment` owns

* ``tasks(size, seeds) -> list[Task]`` -- the fits it needs (``None`` for an
  experiment drawn without records, such as Fig. 1);
* ``section(records, out, quick) -> str`` -- its figure, drawn into ``out``,
  and its section of ``REPORT.md``.

:data:`EXPERIMENTS` lists them in report order; ``dsn reproduce`` and the
report iterate it. Adding an experiment is one module holding an
``EXPERIMENT`` and one line below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .tasks import Task

__all__ = ["EXPERIMENTS", "Experiment", "build_tasks", "get_experiment"]


@dataclass(frozen=True)
class Experiment:
    """One experiment of the paper's Section 5 (or a reconstruction of one).

    Parameters
    ----------
    name : str
        Its name on the command line and its files' stem.
    title : str
        One line: what it shows.
    tasks : callable or None
        ``(size, seeds) -> list[Task]``, ``size`` in ``{"quick", "full"}``;
        ``None`` when the section needs no records.
    section : callable
        ``(records, out, quick) -> str``: draws ``out/<name>.png`` and returns
        the markdown section (``records`` is ``None`` when ``tasks`` is).
    """

    name: str
    title: str
    tasks: Callable[[str, list[int]], list[Task]] | None
    section: Callable[[list[dict] | None, Path, bool], str]

    @property
    def has_records(self) -> bool:
        return self.tasks is not None

    def build_tasks(self, *, quick: bool = True, seeds: int = 3) -> list[Task]:
        """The tasks of this experiment for ``seeds`` seeds ``0 .. seeds - 1``."""
        if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
            raise ValueError(f"`seeds` must be a positive integer. Got {seeds!r}.")
        if self.tasks is None:
            return []
        return self.tasks("quick" if quick else "full", list(range(seeds)))


def _registry() -> dict[str, Experiment]:
    from . import curves, fig1, fig4, protocol, samples, subspace, table1, table2

    experiments = [
        fig1.EXPERIMENT,
        curves.FIG2,
        curves.FIG3,
        fig4.EXPERIMENT,
        table1.EXPERIMENT,
        table2.EXPERIMENT,
        subspace.EXPERIMENT,
        protocol.EXPERIMENT,
        samples.EXPERIMENT,
    ]
    return {e.name: e for e in experiments}


#: Every experiment by name, in the order ``dsn reproduce all`` runs and reports them.
EXPERIMENTS: dict[str, Experiment] = _registry()


def get_experiment(name: str) -> Experiment:
    """The registered experiment ``name``; ``ValueError`` listing the names otherwise."""
    if name not in EXPERIMENTS:
        raise ValueError(f"`experiment` must be one of {list(EXPERIMENTS)}. Got {name!r}.")
    return EXPERIMENTS[name]


def build_tasks(experiment: str, *, quick: bool = True, seeds: int = 3) -> list[Task]:
    """The tasks of one experiment.

    Examples
    --------
    >>> tasks = build_tasks("table1", quick=True, seeds=2)
    >>> len(tasks), tasks[0].params
    (18, {'n_units': 64})
    """
    return get_experiment(experiment).build_tasks(quick=quick, seeds=seeds)
