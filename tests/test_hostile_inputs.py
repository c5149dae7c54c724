"""Input as an attacker would write it: every case refused in one line, or handled correctly,
and nothing of the user's lost. The CLI is run as the installed ``dsn``."""

import json
import os
import socket
import stat
import threading
import time

import pytest
from builders import DSN, one_line_error
from builders import run_dsn as run

from dsn_model.cli import main
from dsn_model.experiments import runner, tasks

needs_dsn = pytest.mark.skipif(DSN is None, reason="the dsn command is not installed")


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


# ------------------------------------------------------------ CLI: one line, never a traceback
@needs_dsn
@pytest.mark.parametrize(
    "args, words",
    [
        (["bounds", "--eps", "1e6"], ["--eps", "L sqrt(d)"]),
        (["audit", "--router", "switch", "--capacity-factor", "inf"], ["capacity_factor"]),
        (["audit", "--router", "topk", "--capacity-factor", "0.5"], ["capacity_factor", "switch"]),
        (["audit", "--router", "lsh", "--s", "512", "--t", "256"], ["`n_units` (t)", "s 2^m"]),
        (["audit", "--router", "lsh", "--t", "100", "--s", "4"], ["(t)", "t / s = 25"]),
        (["audit", "--router", "lsh", "--t", "4", "--s", "4"], ["`n_units` (t)"]),
        (["audit", "--router", "lsh", "--family", "cross-polytope", "--d", "1"], ["(d)", ">= 2"]),
        (["inspect", "--router", "hash", "--d", "100000000", "--t", "4"], ["--d", "--t"]),
        (["inspect", "--step", "1e308"], ["--step", "float range"]),
        (["audit", "--router", "hash", "--family", "euclidean"], ["--family", "lsh only"]),
    ],
)
def test_cli_refuses_in_one_line_naming_the_parameter(tmp_path, args, words):
    started = time.perf_counter()
    one_line_error(run(*args, "--out", str(tmp_path)) if args[0] == "audit" else run(*args), *words)
    assert time.perf_counter() - started < 10


@needs_dsn
def test_bounds_at_extreme_values_are_computed_and_written_as_json(tmp_path):
    for args in (["--eps", "1e-200"], ["--L", "1e300"], ["--d", "100000", "--k", "100000"]):
        path = tmp_path / "b.json"
        result = run("bounds", *args, "--json", str(path), timeout=60)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result
        record = json.loads(path.read_text())  # strict JSON: no Infinity
        values = [row["value"] for row in record["bounds"]]
        assert all(isinstance(v, float) or "e+" in v for v in values), values


def test_the_uniform_hash_of_a_wide_input_is_one_compiled_pass():
    import numpy as np

    from dsn_model.model.uniform_hash import _GOLDEN, hash_rows, mix64

    X = np.random.default_rng(0).standard_normal((40, 9))
    X[0, 0] = -0.0
    bits = (X + 0.0).view(np.uint64)  # the definition, a column at a time
    h = np.full(len(X), mix64(np.array([5], dtype=np.uint64))[0])
    for j in range(X.shape[1]):
        h = mix64(h + _GOLDEN + bits[:, j])
    assert (hash_rows(X, 5) == h).all()
    started = time.perf_counter()
    hash_rows(np.zeros((1, 2_000_000)), 5)  # was a numpy call per column: ~18 s
    assert time.perf_counter() - started < 10  # a hang guard, not a benchmark


# ------------------------------------------------------------ records and manifests validated
@pytest.mark.parametrize(
    "content, words",
    [
        ('{"a": 1}', ["not a list of records"]),
        ("[]", ["not a list of records"]),
        ('[{"model": "dense"}]', ["record 0", "required property"]),
        (
            '[{"experiment": "fig4", "target": "t", "model": "DSM", "seed": 0, "mse": NaN}]',
            ["not valid JSON", "NaN"],
        ),
        (
            '[{"experiment": "fig4", "target": "t", "model": "DSM", "seed": 0, "mse": "10"}]',
            ["(at mse)", "not of type 'number'"],
        ),
        (
            '[{"experiment": "table2", "target": "t", "model": "DSM", "seed": 0, "mse": 1}]',
            ["not 'fig4'"],
        ),
    ],
)
def test_check_records_that_are_not_records_are_named(tmp_path, capsys, content, words):
    (tmp_path / "fig4.json").write_text(content)
    code = main(
        [
            "check",
            "--claim",
            "experiments.dsm_beats_dense",
            "--records",
            str(tmp_path),
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "fig4.json" in err and len(err.strip().splitlines()) == 1, err
    for word in words:
        assert word in err, err


@pytest.mark.parametrize(
    "manifest, field",
    [
        ({"mode": "quick", "seeds": "abc", "seconds": {}}, "seeds"),
        ({"mode": "fast", "seeds": 1, "seconds": {}}, "mode"),
        ({"mode": "quick", "seeds": 1, "seconds": {"fig1": -5}}, "seconds/fig1"),
    ],
)
def test_a_tampered_manifest_is_refused_naming_the_field(tmp_path, manifest, field):
    (tmp_path / "run.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=f"run.json is not a valid manifest \\(at {field}\\)"):
        runner.render_report(tmp_path)


def test_a_corrupt_task_record_is_named_and_its_task_run_again(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["reproduce", "table2", "--quick", "--seeds", "1", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    records = sorted((out / "records" / "table2").glob("*.json"))
    records[0].write_text("null")
    records[1].write_text('{"experiment": "table2"}')
    capsys.readouterr()
    assert main(args) == 0
    err = capsys.readouterr().err
    assert records[0].name in err and records[1].name in err and "run again" in err
    for path in records[:2]:
        assert json.loads(path.read_text())["experiment"] == "table2"


# ------------------------------------------------------------ model files: sizes before reading
def _saved_arrays(tmp_path):
    import numpy as np

    from dsn_model.lsh.regressor import LSHRegressor

    X = np.random.default_rng(0).uniform(-1, 1, (200, 3))
    LSHRegressor(n_tables=2, n_hashes=3, random_state=0).fit(X, X.sum(1)).save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as data:
        return {k: data[k] for k in data.files}


def test_an_extra_compressed_member_is_refused_before_it_is_decompressed(tmp_path):
    import io
    import tracemalloc
    import zipfile

    import numpy as np

    from dsn_model.lsh.regressor import LSHRegressor

    path = tmp_path / "extra.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, value in _saved_arrays(tmp_path).items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, value)
            archive.writestr(f"{key}.npy", buffer.getvalue())
        with archive.open("junk.npy", "w", force_zip64=True) as fh:  # 256 MiB of zeros
            np.lib.format.write_array_header_1_0(
                fh, {"descr": "<f8", "fortran_order": False, "shape": (2**25,)}
            )
            for _ in range(16):
                fh.write(bytes(2**24))
    assert path.stat().st_size < 2**20
    tracemalloc.start()
    with pytest.raises(ValueError, match=r"'junk\.npy' is not part of a saved LSHRegressor"):
        LSHRegressor.load(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2**25  # nothing decompressed


def test_a_file_declaring_huge_tables_is_refused_before_allocating(tmp_path):
    import numpy as np

    from dsn_model.lsh.persistence import _checksum
    from dsn_model.lsh.regressor import LSHRegressor

    arrays = _saved_arrays(tmp_path)
    meta = json.loads(str(arrays["meta"]))
    meta["params"]["n_tables"] = 500_000_000
    arrays["meta"] = np.array(json.dumps(meta))
    del arrays["checksum"]
    arrays["checksum"] = np.array(_checksum(arrays))
    np.savez_compressed(tmp_path / "big.npz", **arrays)
    started = time.perf_counter()
    with pytest.raises(ValueError, match=r"n_tables.*GiB of memory"):
        LSHRegressor.load(tmp_path / "big.npz")
    assert time.perf_counter() - started < 10


# ------------------------------------------------------------ nothing a user fitted is lost
def test_feature_names_survive_save_and_load(tmp_path):
    import numpy as np

    from dsn_model.lsh.regressor import LSHRegressor

    X = np.random.default_rng(0).uniform(-1, 1, (300, 3))
    model = LSHRegressor(n_tables=2, n_hashes=3, random_state=0).fit(X, X.sum(1))
    model.feature_names_in_ = np.array(["a", "b", "c"], dtype=object)  # as a DataFrame fit sets
    model.save(tmp_path / "m.npz")
    loaded = LSHRegressor.load(tmp_path / "m.npz")
    assert list(loaded.feature_names_in_) == ["a", "b", "c"]
    with pytest.warns(UserWarning, match="feature names"):  # as the in-memory model does
        loaded.predict(X)


def test_every_estimator_takes_a_numpy_generator_as_documented():
    import numpy as np

    import dsn_model

    X = np.random.default_rng(0).uniform(-1, 1, (300, 3))
    for name in ("LSHRegressor", "DSMRegressor", "DenseRegressor", "RandomHashRegressor"):
        cls = getattr(dsn_model, name)
        a = cls(random_state=np.random.default_rng(7)).fit(X, X.sum(1)).predict(X[:5])
        b = cls(random_state=np.random.default_rng(7)).fit(X, X.sum(1)).predict(X[:5])
        assert np.array_equal(a, b), name


def test_adam_that_diverges_says_so():
    import numpy as np

    from dsn_model.lsh.regressor import LSHRegressor

    X = np.random.default_rng(0).uniform(-1, 1, (2000, 3))
    with pytest.raises(ValueError, match="diverged at `learning_rate`=1e\\+30"):
        LSHRegressor(n_tables=4, n_hashes=4, solver="adam", learning_rate=1e30, random_state=0).fit(
            X, np.sin(3 * X.sum(1))
        )


# ------------------------------------------------------------ library calls: named errors
@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"tol": float("nan")}, "tol"),
        ({"tol": -1.0}, "tol"),
        ({"max_boxes": 0}, "max_boxes"),
        ({"max_kinks": 1.5}, "max_kinks"),
        ({"time_limit": float("inf")}, "time_limit"),
    ],
)
def test_lipschitz_search_parameters_are_validated(kwargs, name):
    import sympy as sp

    from theory.lipschitz import lipschitz_bound

    x = sp.Symbol("x")
    with pytest.raises(ValueError, match=f"`{name}`"):
        lipschitz_bound(x**2, [x], [(0, 1)], **kwargs)


def _graph():
    import networkx as nx

    G = nx.DiGraph()
    G.add_node(("x", 0), role="input")
    G.add_node(("h", 1, 0), role="hidden", activation="relu", gate=1.0)
    G.add_node(("y",), role="output")
    G.add_edge(("x", 0), ("h", 1, 0), weight=2.0)
    G.add_edge(("h", 1, 0), ("y",), weight=1.0)
    return G


@pytest.mark.parametrize(
    "breaks, words",
    [
        (lambda G: G.edges[("x", 0), ("h", 1, 0)].pop("weight"), ["has no `weight`"]),
        (lambda G: G.nodes[("h", 1, 0)].pop("activation"), ["no `activation`"]),
        (lambda G: G.edges[("h", 1, 0), ("y",)].update(weight=float("nan")), ["non-finite"]),
        (lambda G: G.nodes[("h", 1, 0)].update(gate="on"), ["non-numeric `gate`"]),
        (lambda G: G.nodes[("h", 1, 0)].update(role="hiden"), ["role 'hiden'"]),
    ],
)
def test_a_graph_missing_what_evaluation_needs_is_refused(breaks, words):
    from dsn_model.model.graph import evaluate_graph

    assert evaluate_graph(_graph(), [1.5]) == 3.0
    G = _graph()
    breaks(G)
    with pytest.raises(ValueError) as info:
        evaluate_graph(G, [1.5])
    for word in words:
        assert word in str(info.value)


@needs_dsn
def test_an_unwritable_json_path_is_refused_before_the_checks_run(tmp_path):
    started = time.perf_counter()
    one_line_error(run("check", "--json", "/proc/x.json", "--no-progress"), "--json", "/proc")
    assert time.perf_counter() - started < 10  # not after every claim ran
    one_line_error(run("bounds", "--json", str(tmp_path / "no" / "b.json")), "does not exist")


def test_write_errors_name_the_users_path_not_a_temporary_file(tmp_path):
    from dsn_model._io import atomic_writer

    target = tmp_path / "gone" / "out.json"
    with pytest.raises(OSError) as info, atomic_writer(target) as fh:
        fh.write("x")
    assert info.value.filename == str(target)


def test_a_resume_with_nothing_to_do_leaves_the_report_as_it_is(tmp_path):
    out = tmp_path / "run"
    runner.reproduce(["fig1", "table2"], out, quick=True, seeds=1, progress=False)
    report = out / "REPORT.md"
    before = (report.stat().st_mtime_ns, (out / "run.json").read_text())
    runner.reproduce(["fig1", "table2"], out, quick=True, seeds=1, progress=False)
    assert (report.stat().st_mtime_ns, (out / "run.json").read_text()) == before
    (out / "table2.json").unlink()  # a lost output is written again, and the report with it
    runner.reproduce(["table2"], out, quick=True, seeds=1, progress=False)
    assert (out / "table2.json").exists() and report.stat().st_mtime_ns > before[0]


def test_a_folder_left_by_a_run_killed_before_its_manifest_is_taken(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / ".run.json.abc123.tmp").write_text("{")  # what a kill -9 mid-write leaves
    (out / ".dsn.lock").write_text("")
    runner.reproduce(["fig1"], out, quick=True, seeds=1, progress=False)
    assert (out / "REPORT.md").exists()
