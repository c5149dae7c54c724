"""The installed ``dsn`` command: one-line errors for bad input, nothing lost when interrupted
or run twice at once."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from builders import DSN, assert_drawn, one_line_error
from builders import run_dsn as run

pytestmark = pytest.mark.skipif(DSN is None, reason="the dsn command is not installed")


def test_bad_paths_and_values_get_one_line_errors(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    one_line_error(
        run("check", "--claim", "simulation.knn", "--json", "/proc/x.json", "--no-progress"),
        "/proc",
    )
    one_line_error(run("bounds", "--json", str(a_file / "x.json")), str(a_file))
    one_line_error(run("bounds", "--eps", "inf"), "eps", "finite")
    one_line_error(run("inspect", "--step", "nan"), "--step")
    one_line_error(
        run("reproduce", "all", "--render-only", "--out", str(tmp_path / "none")), "none"
    )
    one_line_error(run("reproduce", "all", "--render-only", "--out", str(tmp_path)), "run.json")
    one_line_error(run("reproduce", "fig1", "--seeds", "0", "--out", str(tmp_path / "o")), "seeds")
    one_line_error(
        run("reproduce", "fig1", "--jobs", "0", "--out", str(tmp_path / "o")), "--jobs", "joblib"
    )
    one_line_error(run("reproduce", "fig1", "--out", str(a_file)), "is a file")
    one_line_error(run("reproduce", "fig1", "--out", str(tmp_path / "a" / "b")), "does not exist")
    assert not (tmp_path / "a").exists()  # no parent folders created silently
    one_line_error(run("audit", "--router", "hash", "--out", str(a_file)), "is a file")


def test_an_unreachable_dask_scheduler_fails_fast_naming_it(tmp_path):
    started = time.perf_counter()
    result = run(
        "reproduce",
        "table1",
        "--quick",
        "--seeds",
        "1",
        "--no-progress",
        "--dask",
        "tcp://127.0.0.1:9",
        "--out",
        str(tmp_path / "o"),
    )
    one_line_error(result, "tcp://127.0.0.1:9")
    assert time.perf_counter() - started < 30


def test_two_runs_into_one_folder_keep_both(tmp_path):
    out = tmp_path / "R"
    out.mkdir()
    runs = [
        subprocess.Popen(
            [
                DSN,
                "reproduce",
                name,
                "--quick",
                "--seeds",
                "1",
                "--jobs",
                "1",
                "--no-progress",
                "--out",
                str(out),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("table1", "fig1")
    ]
    assert [p.wait(timeout=300) for p in runs] == [0, 0]
    report = (out / "REPORT.md").read_text()
    assert "## Table 1" in report and "## Fig. 1" in report
    assert json.loads((out / "table1.json").read_text())
    assert_drawn(out / "fig1.png")
    assert set(json.loads((out / "run.json").read_text())["seconds"]) == {"table1", "fig1"}


def test_concurrent_record_writers_never_leave_a_broken_file(tmp_path):
    stem = tmp_path / "records"
    script = (
        "import sys\nfrom dsn_model.experiments.tasks import write_records\n"
        "rows = [{'a': i, 'b': 'x' * 2000} for i in range(int(sys.argv[1]))]\n"
        f"for _ in range(30): write_records(rows, {str(stem)!r})\n"
    )
    writers = [subprocess.Popen([sys.executable, "-c", script, n]) for n in ("50", "400")]
    reads = 0
    while any(w.poll() is None for w in writers):
        if (tmp_path / "records.json").exists():
            rows = json.loads((tmp_path / "records.json").read_text())  # never a fragment
            assert len(rows) in (50, 400)
            reads += 1
    assert [w.returncode for w in writers] == [0, 0]
    assert len(json.loads((tmp_path / "records.json").read_text())) in (50, 400)


def test_ctrl_c_exits_in_one_line_and_a_rerun_resumes(tmp_path):
    out = tmp_path / "R"
    args = [
        DSN,
        "reproduce",
        "fig2",
        "--quick",
        "--seeds",
        "2",
        "--jobs",
        "1",
        "--no-progress",
        "--out",
        str(out),
    ]
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    records = out / "records" / "fig2"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(records.glob("*.json"))) < 3:
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130
    assert "Traceback" not in err and "interrupted" in err and "kept" in err
    kept = {p: p.stat().st_mtime_ns for p in records.glob("*.json")}
    assert len(kept) >= 3
    assert run(*args[1:]).returncode == 0
    for path, mtime in kept.items():
        assert path.stat().st_mtime_ns == mtime  # finished tasks were not run again
    assert len(json.loads((out / "fig2.json").read_text())) == len(list(records.glob("*.json")))
    os.remove(out / "REPORT.md")
    assert run("reproduce", "all", "--render-only", "--out", str(out)).returncode == 0
    assert "## Fig. 2" in (out / "REPORT.md").read_text()
