"""The paper's experiments (Section 5), run into a folder and reported.

* :mod:`.registry` -- :class:`Experiment` and :data:`EXPERIMENTS`, in report order;
* one module per experiment: :mod:`.fig1` (a 1-D LSH fit), :mod:`.curves`
  (Figs. 2 and 3: error against activated units), :mod:`.fig4` (routing
  matters), :mod:`.table1` (equal FLOPs), :mod:`.table2` (real data),
  :mod:`.subspace` (inputs on a k-dim section);
* :mod:`.tasks` -- seeded tasks, their records, and running them (joblib or Dask);
* :mod:`.comparisons` -- the paired test over (target, seed) units REPORT.md and
  ``dsn check`` share;
* :mod:`.plots` -- what the figures share; :mod:`.report` -- ``REPORT.md``;
* :mod:`.runner` -- a resumable, lockable reproduction folder.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .registry import EXPERIMENTS, Experiment, build_tasks, get_experiment
    from .runner import render_report, reproduce
    from .tasks import Task, run_task, run_tasks

#: Where each public name lives: imported on first use, so that a worker process that
#: only runs tasks (:mod:`.tasks`) does not import the report, its figures and its tests.
_HOMES = {
    "EXPERIMENTS": "registry",
    "Experiment": "registry",
    "build_tasks": "registry",
    "get_experiment": "registry",
    "render_report": "runner",
    "reproduce": "runner",
    "Task": "tasks",
    "run_task": "tasks",
    "run_tasks": "tasks",
}

__all__ = [
    "EXPERIMENTS",
    "Experiment",
    "Task",
    "build_tasks",
    "get_experiment",
    "render_report",
    "reproduce",
    "run_task",
    "run_tasks",
]


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
