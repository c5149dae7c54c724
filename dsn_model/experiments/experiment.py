"""One experiment of the reproduction: its tasks and its report section.

An :class:`Experiment` owns

* ``tasks(size, seeds) -> list[Task]`` -- the fits it needs (``None`` for an
  experiment drawn without records, such as Fig. 1);
* ``section(records, out, quick) -> str`` -- its figure, drawn into ``out``,
  and its section of ``REPORT.md``.

The experiment modules define one each; :mod:`.registry` lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .tasks import Task

__all__ = ["Experiment"]


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
