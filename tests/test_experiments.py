"""Experiment sweeps: determinism across backends, and the quick reproduction end to end."""

import json
import re

import numpy as np
import pytest
from builders import assert_drawn

from dsn_model.cli import main
from dsn_model.experiments import Task, build_tasks, run_tasks
from dsn_model.experiments.tasks import task_id

TASKS = [
    Task(
        experiment="t",
        target="polynomial",
        model="dsm",
        params={"n_units": 64, "sparsity": 8},
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
        params={"n_units": 32, "sparsity": 8},
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


def test_tasks_run_on_one_blas_thread_whatever_the_caller_allows(monkeypatch):
    """Threaded BLAS rounds differently from one thread (records of a sequential run
    differed in the last digit from those of two workers): a task pins BLAS to one."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from dsn_model.experiments import tasks

    seen = []
    fit = tasks._fit

    def spy(*args, **kwargs):
        seen.extend(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")
        return fit(*args, **kwargs)

    monkeypatch.setattr(tasks, "_fit", spy)
    with threadpool_limits(2, user_api="blas"):
        tasks.run_task(TASKS[0])
    assert seen and set(seen) == {1}


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
    headings = ("Fig. 1", "Fig. 2", "Fig. 3", "Fig. 4", "Table 1", "Table 2", "Subspace")
    for heading in (*headings, "Training protocol", "Sample size", "Verdicts"):
        assert f"## {heading}" in report
    for png in ("fig1", "fig2", "fig3", "fig4", "subspace", "protocol", "samples"):
        assert_drawn(out / f"{png}.png")
    verdicts = report.split("## Verdicts")[1]
    claims = re.findall(r"^- \*\*(.+?)\*\* -- (.+?) \(", verdicts, re.M)
    assert len(claims) >= 15  # Figs. 2-4, Tables 1-2, the sweeps, the subspace
    verdicts_by_claim = dict(claims)
    words = r"(agrees only when|agrees in every unit|agrees|disagrees|not measured|undecided)\b"
    assert all(re.match(words, v) for v in verdicts_by_claim.values()), verdicts_by_claim
    # the claims robust even at 2 quick seeds get their known verdicts
    assert re.match(r"agrees\b", verdicts_by_claim["fig4: DSM beats dense"])
    assert re.match(r"agrees\b", verdicts_by_claim["fig4: dense beats random hash"])
    assert re.match(r"agrees\b", verdicts_by_claim["fig4: LSH beats dense"])
    # dense error falls with width: the paper's flat column is never reproduced (2 seeds
    # leave it undecided; 3 or more disagree)
    flat = verdicts_by_claim["table1: dense MSE flat in width"]
    assert re.match(r"(disagrees|undecided)\b", flat), flat
    records = json.loads((out / "table1.json").read_text())
    assert len(records) == 3 * 3 * 2 and all(r["mse"] > 0 for r in records)
    assert "0.01015" in report  # the paper's number stands beside ours
    assert "same order" in report or "different order" in report
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


def test_a_run_streams_every_experiment_longest_task_first(tmp_path, monkeypatch):
    """The tasks of all the experiments asked for go to the workers as one stream, in
    non-increasing estimated time; each experiment's compute time is recorded."""
    from dsn_model.experiments import reproduce, runner
    from dsn_model.experiments.tasks import estimated_seconds, iter_tasks

    streams = []

    def spy(tasks, **kwargs):
        streams.append(list(tasks))
        yield from iter_tasks(streams[-1], **kwargs)

    monkeypatch.setattr(runner, "iter_tasks", spy)
    reproduce(["table1", "table2"], tmp_path / "out", quick=True, seeds=1, progress=False)
    ((stream,),) = [streams]
    assert {t.experiment for t in stream} == {"table1", "table2"}
    costs = [estimated_seconds(t) for t in stream]
    assert costs == sorted(costs, reverse=True) and costs[0] > costs[-1]
    seconds = json.loads((tmp_path / "out" / "run.json").read_text())["seconds"]
    assert seconds["table1"] > 0 and seconds["table2"] > 0


def _record(label, seed, value, **fields):
    return {"label": label, "seed": seed, "target": "p", "mse_over_var": value, **fields}


def _fig4(dsm_better: bool, seeds: int, widths=(8, 16, 32)):
    records = []
    for seed in range(seeds):
        for units in widths:
            low, high = (0.1, 0.2) if dsm_better else (0.2, 0.1)
            records += [
                _record("DSM", seed, low, active_units=units),
                _record("dense", seed, high, active_units=units),
                _record("LSH", seed, 0.3, active_units=units),
                _record("random hash", seed, 0.4, active_units=units),
            ]
    return records


def _dsm_line(records):
    from dsn_model.experiments.verdicts import verdict_lines

    lines = [line for line in verdict_lines({"fig4": records}) if "DSM beats dense" in line]
    return lines[0].split(" -- ")[1]


def test_a_verdict_follows_the_evidence_over_independent_units():
    """Eight seeds with DSM < dense give "agrees"; the same reversed give "disagrees"."""
    assert _dsm_line(_fig4(True, 8)).startswith("agrees (8/8 independent")
    assert _dsm_line(_fig4(False, 8)).startswith("disagrees (0/8 independent")


def test_widths_that_share_a_seed_are_not_independent_evidence():
    """Three seeds at 30 widths are 3 units (least p 1/8), not 90 pairs: too few to decide;
    the same 30 widths over 8 seeds decide."""
    wide = tuple(range(8, 38))
    assert _dsm_line(_fig4(True, 3, wide)).startswith("agrees in every unit (too few units")
    assert _dsm_line(_fig4(True, 8, wide)).startswith("agrees (8/8")


def test_unit_ratios_average_log_ratios_inside_a_unit():
    from dsn_model.experiments.comparisons import paired_comparison

    records = []
    for seed, (dsm, dense) in enumerate([(1.0, 2.0), (1.0, 0.5), (1.0, 4.0)]):
        for units in (8, 16):
            records += [
                _record("DSM", seed, dsm, active_units=units),
                _record("dense", seed, dense, active_units=units),
            ]
    c = paired_comparison(records, "DSM", "dense")
    assert c.total == 3 and c.wins == 2
    assert np.allclose(c.log_ratios, np.log([2.0, 0.5, 4.0]))
    assert c.ratio == pytest.approx(4 ** (1 / 3))  # geometric mean of 2, 0.5, 4
    assert c.least_p == pytest.approx(1 / 8) and not c.can_decide


def test_flatness_is_an_equivalence_test_both_ways():
    from dsn_model.experiments.verdicts import flat_in_width

    rng = np.random.default_rng(0)

    def dense(ratio):
        return [
            _record(f"dense|{f}", seed, v, target="p")
            for seed in range(10)
            for f, v in ((18432, ratio * (1 + 0.01 * rng.normal())), (73728, 1.0))
        ]

    assert flat_in_width(dense(1.0))[0] == "flat"
    assert flat_in_width(dense(1.6))[0] == "falls with width"
    assert flat_in_width(dense(1 / 1.6))[0] == "rises with width"  # worse when wider: not flat


def test_beats_all_dense_finds_the_first_size_from_which_it_holds_in_every_seed():
    from dsn_model.experiments.samples import beats_all_dense

    ns = (10, 20, 40, 80)
    lsh = {10: (0.5, 0.5), 20: (0.3, 0.1), 40: (0.1, 0.3), 80: (0.1, 0.1)}  # seed 0, seed 1
    records = [
        _record(label, seed, value, n_train=n)
        for n in ns
        for seed in (0, 1)
        for label, value in (("LSH", lsh[n][seed]), ("dense 8", 0.2), ("dense 16", 0.15))
    ]
    assert beats_all_dense(records, "LSH", ns, ["dense 8", "dense 16"]) == 80
    assert beats_all_dense(records, "LSH", ns[:3], ["dense 8", "dense 16"]) is None


def test_nested_training_sets_share_the_target_and_the_test_set():
    small = Task("s", "polynomial", "dense", n_train=100, n_test=50, nested=True, seed=1)
    large = Task("s", "polynomial", "dense", n_train=300, n_test=50, nested=True, seed=1)
    from dsn_model.experiments.tasks import _regression_data

    (Xs, ys, Ts, us), (Xl, yl, Tl, ul) = _regression_data(small), _regression_data(large)
    assert np.array_equal(Xs, Xl[:100]) and np.array_equal(ys, yl[:100])
    assert np.array_equal(Ts, Tl) and np.array_equal(us, ul)
    plain = Task("s", "polynomial", "dense", n_train=100, n_test=50, seed=1)
    assert task_id(plain) != task_id(small)  # a nested task is another task


def test_adam_tasks_record_their_error_against_epochs():
    from dsn_model.experiments.tasks import CHECKPOINTS, run_task

    params = {"n_units": 16, "solver": "adam", "epochs": 6}
    task = Task("t", "polynomial", "dense", params=params, n_train=600, n_test=200)
    record = run_task(task)
    assert record["curve_epochs"] == [e for e in CHECKPOINTS if e <= 6] + [6]
    assert record["curve_mse_over_var"][-1] == record["mse_over_var"]


def test_the_penalty_is_chosen_on_validation_then_solved_on_every_training_row():
    """The record's model equals a fresh fit with the chosen penalty on all training rows,
    and its validation error is that of the penalty path on the held-out 20%."""
    from dsn_model.estimators import DenseRegressor
    from dsn_model.experiments.tasks import ALPHA_GRID, _regression_data, run_task

    task = Task("t", "polynomial", "dense", params={"n_units": 32}, n_train=1000, n_test=300)
    record = run_task(task)
    assert record["chosen_alpha"] in ALPHA_GRID["alpha"] and record["validation_rows"] == 200
    Xtr, ytr, Xte, yte = _regression_data(task)
    alpha = record["chosen_alpha"]
    fresh = DenseRegressor(n_units=32, alpha=alpha, random_state=0).fit(Xtr, ytr)
    assert record["mse"] == pytest.approx(np.mean((fresh.predict(Xte) - yte) ** 2), rel=1e-8)
    on_rest = DenseRegressor(n_units=32, alpha=alpha, random_state=0).fit(Xtr[:800], ytr[:800])
    val = np.mean((on_rest.predict(Xtr[800:]) - ytr[800:]) ** 2) / ytr[800:].var()
    assert record["validation_error"] == pytest.approx(val, rel=1e-8)


def test_adam_tasks_choose_their_step_and_train_on_standardised_targets():
    from dsn_model.experiments.tasks import STEP_GRID, run_task

    params = {"n_units": 16, "solver": "adam", "epochs": 3}
    scaled = run_task(Task("t", "polynomial", "dense", params=params, n_train=600, n_test=200))
    assert scaled["chosen_learning_rate"] in STEP_GRID["learning_rate"]
    assert len(scaled["curve_train_mse_over_var"]) == len(scaled["curve_epochs"])
    # standardised: a fresh start predicts about the mean, not 1e3 times the variance
    assert scaled["curve_mse_over_var"][0] < 10
