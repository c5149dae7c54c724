"""Running a reproduction into a folder: resumable, safe to run concurrently, nothing lost.

A reproduction folder holds

* ``records/<experiment>/<task id>.json`` -- one record per task, written
  atomically as soon as the task finishes (the id digests the task's fields
  and the code version, see :func:`~dsn_model.experiments.tasks.task_id`);
* ``<experiment>.csv`` / ``.json`` / ``.png`` -- every record of an experiment
  and its figure;
* ``run.json`` -- the run's manifest: quick or full mode, seeds, Table 1's
  scale, the code version and each experiment's compute time (its tasks'
  seconds summed over workers);
* ``REPORT.md`` -- rendered from *all* the experiments in the folder.

A run writes only into a folder that is empty (or new) or that holds a
``run.json`` of ours: a folder with other files is refused, so nothing of the
user's is overwritten. A rerun into the same folder skips the tasks whose
records are there (unless ``force``); a run of another mode or number of
seeds is refused rather than mixed in, and ``force`` replaces it by removing
only the files a run writes (never a file of another name, nor a folder it
did not create). Writers of one folder take turns on a lock file for the shared
files; every file is replaced atomically (:mod:`dsn_model._io`).
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections import Counter
from pathlib import Path

from .. import __version__
from .._io import atomic_writer, folder_lock, writable_folder
from .registry import EXPERIMENTS, get_experiment
from .report import render_sections
from .schema import read_json, read_records, validate_manifest, validate_record
from .tasks import iter_tasks, longest_first, table1_scale, task_id, write_records

__all__ = ["MANIFEST", "render_report", "reproduce"]

#: The manifest file of a reproduction folder.
MANIFEST = "run.json"
#: The most seeds a run takes (each seed is a task per configuration).
MAX_SEEDS = 1000
_TASK_FILE = re.compile(r"[0-9a-f]{16}\.json")


def _names(experiments) -> list[str]:
    names = list(EXPERIMENTS) if "all" in experiments else list(experiments)
    unknown = sorted(set(names) - set(EXPERIMENTS))
    if unknown:
        raise ValueError(
            f"`experiments` must be among {list(EXPERIMENTS)} or 'all'. Got {unknown}."
        )
    return names


def read_manifest(out) -> dict | None:
    """The manifest of a reproduction folder, or None if it has none."""
    path = Path(out) / MANIFEST
    if not path.exists():
        return None
    manifest = read_json(path)
    validate_manifest(manifest, str(path))
    return manifest


def _finished(path: Path, experiment: str) -> bool:
    """Whether a task's record is on disk and valid; an invalid one is rerun, with a note."""
    if not path.exists():
        return False
    try:
        record = read_json(path)
        validate_record(record, str(path))
        if record["experiment"] != experiment:
            raise ValueError(f"{path} is a record of {record['experiment']!r}.")
    except ValueError as exc:
        warnings.warn(f"{exc} Its task is run again.", stacklevel=3)
        return False
    return True


def _run_files(out: Path) -> list[Path]:
    """The files a run writes that exist in ``out``: nothing else is ever removed."""
    files = [out / n for n in (MANIFEST, "REPORT.md")]
    files += [
        out / f"{name}{suffix}" for name in EXPERIMENTS for suffix in (".csv", ".json", ".png")
    ]
    for name in EXPERIMENTS:
        folder = out / "records" / name
        if folder.is_dir():
            files += [p for p in folder.iterdir() if _TASK_FILE.fullmatch(p.name)]
    return [p for p in files if p.is_file()]


def _clear(out: Path) -> None:
    """Remove a previous run's outputs (``force`` over a run of another mode): only the
    files a run writes, and the record folders they leave empty."""
    for path in _run_files(out):
        path.unlink(missing_ok=True)
    for folder in [*(out / "records" / name for name in EXPERIMENTS), out / "records"]:
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _foreign_files(out: Path) -> list[str]:
    """Entries of a folder without a manifest that a run did not write: anything but the
    lock and the temporary files of a run killed before its manifest was written."""
    ours = re.compile(r"\.dsn\.lock|\.[^/]+\.tmp")
    return sorted(p.name for p in out.iterdir() if not ours.fullmatch(p.name))


def _workers(jobs: int) -> int:
    """``jobs`` capped at the machine's cores (joblib's negative convention kept)."""
    cores = os.cpu_count() or 1
    if jobs > cores:
        warnings.warn(
            f"`jobs` = {jobs} is more than the {cores} cores here: using {cores}.", stacklevel=3
        )
        return cores
    return jobs


def _claim_folder(out: Path, mode: str, seeds: int, force: bool) -> None:
    manifest = read_manifest(out)
    if manifest is None and _foreign_files(out):
        listed = _foreign_files(out)
        more = f" and {len(listed) - 5} more" if len(listed) > 5 else ""
        raise ValueError(
            f"`--out` {str(out)!r} holds files that are not a `dsn reproduce` run "
            f"({', '.join(listed[:5])}{more}): write into an empty or new folder, so that "
            "nothing of yours is overwritten."
        )
    if manifest is not None and (manifest["mode"], manifest["seeds"]) != (mode, seeds):
        if not force:
            raise ValueError(
                f"`--out` {str(out)!r} holds a {manifest['mode']} run with "
                f"{manifest['seeds']} seeds; this is a {mode} run with {seeds}: use another "
                "folder, or --force to replace that run."
            )
        _clear(out)
        manifest = None
    if manifest is None:
        manifest = {
            "mode": mode,
            "seeds": seeds,
            "table1_scale": table1_scale(mode == "quick"),
            "version": __version__,
            "seconds": {},
        }
        with atomic_writer(out / MANIFEST) as fh:
            json.dump(manifest, fh, indent=1)


def _record_experiment(out: Path, name: str, seconds: float) -> None:
    manifest = read_manifest(out)
    manifest["seconds"][name] = round(manifest["seconds"].get(name, 0.0) + seconds, 1)
    with atomic_writer(out / MANIFEST) as fh:
        json.dump(manifest, fh, indent=1)


def _render(out: Path, drawn: dict | None = None) -> Path:
    """REPORT.md from every experiment of the folder (call with the lock held); the
    sections in ``drawn`` (by experiment name) were drawn from the same records."""
    manifest = read_manifest(out)
    records_of = {}
    for name, experiment in EXPERIMENTS.items():
        if not experiment.has_records:
            if name in manifest["seconds"]:
                records_of[name] = None
            continue
        path = out / f"{name}.json"
        if path.exists():
            records_of[name] = read_records(path, name)
    text = render_sections(
        records_of, out, quick=manifest["mode"] == "quick", seeds=manifest["seeds"], drawn=drawn
    )
    total = sum(manifest["seconds"].values())
    text += f"\n_Compute time of the experiments' tasks, summed over workers: {total:.0f} s._\n"
    report = out / "REPORT.md"
    with atomic_writer(report) as fh:
        fh.write(text)
    return report


def reproduce(
    experiments,
    out,
    *,
    quick: bool = True,
    seeds: int = 3,
    jobs: int = 1,
    dask_address: str | None = None,
    progress: bool = True,
    force: bool = False,
) -> Path:
    """Run experiments into ``out``: records per task, figures, and ``REPORT.md``.

    Parameters
    ----------
    experiments : sequence of str
        Names of :data:`~dsn_model.experiments.registry.EXPERIMENTS` (``"all"``: every one).
    out : path
        The folder; created if missing (its parent must exist).
    quick : bool, default=True
    seeds : int, default=3
    jobs : int, default=1
        Worker processes (joblib's convention: -1 all cores, -2 all but one).
    dask_address : str, optional
        Run the tasks on this Dask scheduler instead of local processes.
    force : bool, default=False
        Rerun finished tasks, and replace a run of another mode or seed count.

    Returns
    -------
    Path of the report.

    Raises
    ------
    ValueError
        A bad folder, a folder holding another kind of run (without ``force``),
        an unknown experiment, or an unreachable Dask scheduler.
    """
    names = _names(experiments)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= MAX_SEEDS:
        raise ValueError(f"`seeds` must be an integer from 1 to {MAX_SEEDS}. Got {seeds!r}.")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs == 0:
        raise ValueError(
            "`jobs` must be a number of processes, or negative as in joblib (-1: all cores, "
            f"-2: all but one). Got {jobs!r}."
        )
    jobs = _workers(jobs)
    out, _ = writable_folder(out)
    mode = "quick" if quick else "full"
    with folder_lock(out):
        _claim_folder(out, mode, seeds, force)
    changed = force or not (out / "REPORT.md").exists()
    # Every experiment's unfinished tasks in one stream, the costliest first, so that no
    # worker idles at the end of an experiment while another still has work.
    folders, todo = {}, []
    for name in names:
        experiment = get_experiment(name)
        if not experiment.has_records:
            if name not in read_manifest(out)["seconds"]:
                changed = True
                with folder_lock(out):
                    _record_experiment(out, name, 0.0)
            continue
        tasks = experiment.build_tasks(quick=quick, seeds=seeds)
        folders[name] = (tasks, out / "records" / name)
        folders[name][1].mkdir(parents=True, exist_ok=True)
        todo += [
            (name, t)
            for t in tasks
            if force or not _finished(folders[name][1] / f"{task_id(t)}.json", name)
        ]
    todo = [todo[i] for i in longest_first([t for _, t in todo])]
    seconds = dict.fromkeys(folders, 0.0)
    results = iter_tasks(
        [t for _, t in todo],
        jobs=jobs,
        dask_address=dask_address,
        progress=progress,
        ordered=False,
    )
    names_of = {id(task): name for name, task in todo}
    remaining = Counter(name for name, _ in todo)  # keys stay when counts reach 0: ran
    # Sections are drawn while the workers run: an experiment's once its last task is
    # in, those without records once the first task is.
    drawn = {}
    plain = [n for n in names if not get_experiment(n).has_records]
    for task, record, elapsed in results:
        name = names_of[id(task)]
        with atomic_writer(folders[name][1] / f"{task_id(task)}.json") as fh:
            json.dump(record, fh)
        seconds[name] += elapsed
        remaining[name] -= 1
        if remaining[name] == 0:
            drawn[name] = _finish(out, name, folders[name], seconds[name], quick)
        for other in plain:
            drawn[other] = get_experiment(other).section(None, out, quick)
        plain = []
    for name in folders:
        if name in remaining or not (out / f"{name}.json").exists():
            changed = True
            if name not in drawn:
                _finish(out, name, folders[name], seconds[name], quick, draw=False)
    if not changed:  # a resume with nothing left to do: the report stands
        return out / "REPORT.md"
    with folder_lock(out):  # once, from every experiment of the folder
        return _render(out, drawn)


def _finish(out: Path, name: str, folder, seconds: float, quick: bool, draw: bool = True):
    """Write an experiment's records and compute time; its section, drawn, if ``draw``."""
    tasks, records_folder = folder
    records = [read_json(records_folder / f"{task_id(t)}.json") for t in tasks]
    with folder_lock(out):
        write_records(records, out / name)
        _record_experiment(out, name, seconds)
    return get_experiment(name).section(records, out, quick) if draw else None


def render_report(out) -> Path:
    """Redraw the figures and ``REPORT.md`` of a reproduction folder from its records.

    Mode, seeds and run times come from the folder's manifest; no model is
    fitted (an experiment without records, such as Fig. 1, is redrawn in a moment).
    """
    out = Path(out)
    if not out.is_dir():
        raise ValueError(f"`--out` {str(out)!r} is not a folder.")
    if read_manifest(out) is None:
        raise ValueError(
            f"`--out` {str(out)!r} has no {MANIFEST}: it is not a `dsn reproduce` folder."
        )
    with folder_lock(out):
        return _render(out)
