"""Experiment sweeps: determinism across backends, and the quick reproduction end to end."""

import json

import pytest

from dsn_model.cli import main
from dsn_model.experiments import Task, build_tasks, run_tasks

TASKS = [
    Task(
        experiment="t",
        target="polynomial",
        model="dsm",
        params={"n_units": 64, "n_active": 8},
        seed=1,
        n_train=400,
        n_test=200,
    ),
    Task(
        experiment="t",
        target="hypercube",
        model="lsh",
        params={"n_tables": 4, "n_hashes": 6},
        seed=2,
        n_train=400,
        n_test=200,
    ),
    Task(
        experiment="t",
        target="subspace",
        model="dense",
        params={"n_units": 16},
        seed=3,
        n_train=300,
        n_test=100,
        d=6,
        k=2,
    ),
    Task(
        experiment="t",
        target="digits",
        model="dsm-clf",
        params={"n_units": 32, "n_active": 8},
        seed=4,
        d=64,
    ),
]


def strip(records):
    return [{k: v for k, v in r.items() if k != "fit_seconds"} for r in records]


def test_records_do_not_depend_on_workers():
    one = run_tasks(TASKS, jobs=1, progress=False)
    two = run_tasks(TASKS, jobs=2, progress=False)
    assert strip(one) == strip(two)
    assert 0 < one[0]["mse_over_var"] < 1 and 0 < one[3]["accuracy"] <= 1


def test_records_do_not_depend_on_the_dask_backend():
    distributed = pytest.importorskip("distributed")  # the optional 'dask' extra
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        on_dask = run_tasks(TASKS, dask_address=cluster.scheduler_address, progress=False)
    assert strip(on_dask) == strip(run_tasks(TASKS, jobs=1, progress=False))


def test_build_tasks_validates():
    assert {t.experiment for t in build_tasks("fig4", quick=True, seeds=1)} == {"fig4"}
    with pytest.raises(ValueError, match="experiment"):
        build_tasks("fig9")
    with pytest.raises(ValueError, match="seeds"):
        build_tasks("fig2", seeds=0)


def test_quick_reproduction_of_everything(tmp_path, capsys):
    """`dsn reproduce all --quick` (the README's main job) writes a complete report."""
    out = tmp_path / "results"
    assert (
        main(
            [
                "reproduce",
                "all",
                "--quick",
                "--seeds",
                "2",
                "--out",
                str(out),
                "--jobs",
                "2",
                "--no-progress",
            ]
        )
        == 0
    )
    report = (out / "REPORT.md").read_text()
    for heading in ("Fig. 1", "Fig. 2", "Fig. 3", "Fig. 4", "Table 1", "Table 2", "Subspace"):
        assert f"## {heading}" in report
    for png in ("fig1", "fig2", "fig3", "fig4", "subspace"):
        assert (out / f"{png}.png").stat().st_size > 10_000
    records = json.loads((out / "table1.json").read_text())
    assert len(records) == 3 * 3 * 2 and all(r["mse"] > 0 for r in records)
    assert "0.01015" in report  # the paper's number stands beside ours
    assert "agrees" in report and ("same order" in report or "different order" in report)
    (out / "REPORT.md").unlink()
    assert (
        main(
            [
                "reproduce",
                "table1",
                "table2",
                "--quick",
                "--seeds",
                "2",
                "--out",
                str(out),
                "--render-only",
            ]
        )
        == 0
    )  # redrawn from the records, nothing refitted
    redrawn = (out / "REPORT.md").read_text()
    assert redrawn == report  # every experiment of the folder, mode, seeds and run time kept
