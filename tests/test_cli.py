"""The ``dsn`` command line."""

import subprocess
import sys

from dsn_model.cli import main


def test_inspect_prints_routing_and_saves_png(tmp_path, capsys):
    png = tmp_path / "g.png"
    assert main(["inspect", "--router", "hash", "--t", "256", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "active units" in out and "FLOPs" in out
    assert png.stat().st_size > 1000


def test_bad_parameters_exit_2_with_the_parameter_named(capsys):
    assert main(["inspect", "--router", "switch", "--t", "10", "--s", "3"]) == 2
    assert "sparsity" in capsys.readouterr().err


def test_console_script_is_installed():
    done = subprocess.run(
        [sys.executable, "-m", "dsn_model.cli", "inspect", "--t", "16"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_bounds_prints_the_table_and_writes_json(tmp_path, capsys):
    import json

    path = tmp_path / "b.json"
    assert (
        main(["bounds", "--d", "64", "--k", "3", "--eps", "0.05", "--latex", "--json", str(path)])
        == 0
    )
    out = capsys.readouterr().out
    assert "table_size" in out and "\\sqrt{d}" in out
    record = json.loads(path.read_text())
    values = {row["bound"]: row["value"] for row in record["bounds"]}
    assert abs(values["table_size"] - (8 / 0.05) ** 3) < 1e-6 * values["table_size"]
    assert record["dense_over_sparse"] == values["inference_gap"] > 1


def test_bounds_rejects_impossible_parameters(capsys):
    assert main(["bounds", "--eps", "0"]) == 2
    assert "eps" in capsys.readouterr().err
    assert main(["bounds", "--d", "2", "--k", "3"]) == 2
    assert "k" in capsys.readouterr().err
