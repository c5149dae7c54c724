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
