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

from .registry import EXPERIMENTS, Experiment, build_tasks, get_experiment
from .runner import render_report, reproduce
from .tasks import Task, run_task, run_tasks

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
