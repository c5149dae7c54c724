"""Input as an attacker would write it: every case refused in one line, or handled correctly,
and nothing of the user's lost. The CLI is run as the installed ``dsn``."""

import json
import os
import shutil
import socket
import stat
import subprocess
import threading
import time

import pytest

from dsn_model.cli import main
from dsn_model.experiments import runner, tasks

DSN = shutil.which("dsn")
needs_dsn = pytest.mark.skipif(DSN is None, reason="the dsn command is not installed")


def run(*args, timeout=120):
    return subprocess.run(
        [DSN, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def one_line_error(result, *words):
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


# ------------------------------------------------------------ output folders: nothing lost
@needs_dsn
def test_a_folder_with_files_of_the_user_is_refused_and_left_as_it_was(tmp_path):
    folder = tmp_path / "un"
    folder.mkdir()
    (folder / "REPORT.md").write_text("mine")
    (folder / "table2.csv").write_text("a,b")
    before = {p.name: (p.read_text(), p.stat().st_mode) for p in folder.iterdir()}
    one_line_error(
        run("reproduce", "table2", "--quick", "--seeds", "1", "--out", str(folder)),
        "not a `dsn reproduce` run",
        "REPORT.md",
    )
    after = {p.name: (p.read_text(), p.stat().st_mode) for p in folder.iterdir() if p.is_file()}
    after.pop(".dsn.lock", None)
    assert after == before


@needs_dsn
def test_an_empty_out_is_refused():
    one_line_error(run("reproduce", "fig1", "--out", ""), "--out", "empty")


def test_force_removes_only_the_files_a_run_writes(tmp_path):
    out = tmp_path / "run"
    runner.reproduce(["fig1"], out, quick=True, seeds=1, progress=False)
    mine = out / "records" / "mine" / "keep.json"
    mine.parent.mkdir(parents=True)
    mine.write_text("{}")
    (out / "notes.txt").write_text("mine too")
    runner.reproduce(["fig1"], out, quick=True, seeds=2, progress=False, force=True)
    assert mine.read_text() == "{}" and (out / "notes.txt").read_text() == "mine too"
    assert json.loads((out / "run.json").read_text())["seeds"] == 2


def test_written_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "run"
        runner.reproduce(["fig1"], out, quick=True, seeds=1, progress=False)
    finally:
        os.umask(old)
    for path in (out / "run.json", out / "REPORT.md", out / "fig1.png"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


# ------------------------------------------------------------ sizes and workers bounded
def test_seeds_beyond_what_a_run_holds_are_refused_before_anything_is_written(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(ValueError, match="seeds"):
        runner.reproduce(["fig4"], out, seeds=10**8, progress=False)
    assert not (out / "run.json").exists()


def test_more_jobs_than_cores_are_capped_with_a_note(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert (
        main(["reproduce", "fig1", "--jobs", "1000", "--out", str(tmp_path / "o"), "--no-progress"])
        == 0
    )
    err = capsys.readouterr().err
    assert "note: `jobs` = 1000 is more than the 2 cores here: using 2." in err
    assert "Traceback" not in err and "warnings.warn" not in err


# ------------------------------------------------------------ Dask: a handshake, not a hang
def _serve(reply: bytes | None):
    """A local TCP server that accepts and then says ``reply`` (or nothing)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)

    def answer():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            if reply is not None:
                conn.recv(4096)  # an HTTP server waits for the request first
                conn.sendall(reply)
            threading.Timer(5, conn.close).start()

    threading.Thread(target=answer, daemon=True).start()
    return server, f"tcp://127.0.0.1:{server.getsockname()[1]}"


@pytest.mark.parametrize("reply", [None, b"HTTP/1.1 400 Bad Request\r\n\r\n"])
def test_a_socket_that_is_not_a_dask_scheduler_is_refused_within_the_timeout(
    tmp_path, capsys, monkeypatch, reply
):
    monkeypatch.setattr(tasks, "DASK_TIMEOUT", 1.0)
    server, address = _serve(reply)
    try:
        started = time.perf_counter()
        code = main(
            [
                "reproduce",
                "fig4",
                "--quick",
                "--seeds",
                "1",
                "--dask",
                address,
                "--out",
                str(tmp_path / "o"),
                "--no-progress",
            ]
        )
        assert time.perf_counter() - started < 10
    finally:
        server.close()
    err = capsys.readouterr().err
    assert code == 2 and "--dask" in err and address in err
    assert len(err.strip().splitlines()) == 1
