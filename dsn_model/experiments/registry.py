"""The experiments of the reproduction, in report order.

Each experiment module defines one :class:`~.experiment.Experiment` (its tasks and its
report section); :data:`EXPERIMENTS` lists them in report order; ``dsn reproduce`` and the
report iterate it. Adding an experiment is one module holding an
``EXPERIMENT`` and one line below.
"""

from __future__ import annotations

from . import curves, fig1, fig4, protocol, samples, subspace, table1, table2
from .experiment import Experiment
from .tasks import Task

__all__ = ["EXPERIMENTS", "Experiment", "build_tasks", "get_experiment"]


def _registry() -> dict[str, Experiment]:
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
