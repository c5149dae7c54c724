"""The ``dsn`` command line: what it prints, read back as numbers."""

import re
import shutil
import subprocess

import pytest
from builders import assert_drawn

from dsn_model.cli import main


def active_unit_lists(out: str) -> list[list[int]]:
    """The ``active units [...]`` lists ``dsn inspect`` prints, one per input."""
    return [
        [int(u) for u in units.split(",")] for units in re.findall(r"active units \[([^]]*)\]", out)
    ]


def test_inspect_prints_routing_and_saves_png(tmp_path, capsys):
    png = tmp_path / "g.png"
    assert main(["inspect", "--router", "hash", "--t", "256", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    lists = active_unit_lists(out)
    assert len(lists) == 2  # x and x + step
    for units in lists:  # s = 4 distinct units of t = 256
        assert len(set(units)) == 4 and all(0 <= u < 256 for u in units)
    d, s = 8, 4  # the defaults: a hash router costs no FLOPs; each unit 2 (d + 1), read-out 2
    paper = 2 * s * (d + 1) + 2 * s
    assert f"FLOPs: {paper} active (paper), 0 routing, {paper} total" in out
    assert_drawn(png)


def test_bad_parameters_exit_2_with_the_parameter_named(capsys):
    assert main(["inspect", "--router", "switch", "--t", "10", "--s", "3"]) == 2
    assert "sparsity" in capsys.readouterr().err


def test_the_installed_dsn_command_runs():
    dsn = shutil.which("dsn")
    assert dsn is not None, "the `dsn` console script is not on PATH"
    done = subprocess.run(
        [dsn, "inspect", "--t", "16", "--s", "2"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert [len(units) for units in active_unit_lists(done.stdout)] == [2, 2]


def test_bounds_prints_the_table_and_writes_json(tmp_path, capsys):
    import json

    path = tmp_path / "b.json"
    assert (
        main(["bounds", "--d", "64", "--k", "3", "--eps", "0.05", "--latex", "--json", str(path)])
        == 0
    )
    out = capsys.readouterr().out
    printed = float(re.search(r"table_size\s+(\S+)", out).group(1))
    assert abs(printed - (8 / 0.05) ** 3) < 1e-4 * printed  # (L sqrt(d) / eps)^k, 6 digits
    assert "\\sqrt{d}" in out  # --latex
    record = json.loads(path.read_text())
    values = {row["bound"]: row["value"] for row in record["bounds"]}
    assert abs(values["table_size"] - (8 / 0.05) ** 3) < 1e-6 * values["table_size"]
    assert record["dense_over_sparse"] == values["inference_gap"] > 1


def test_bounds_rejects_impossible_parameters(capsys):
    assert main(["bounds", "--eps", "0"]) == 2
    assert "`eps`" in capsys.readouterr().err
    assert main(["bounds", "--d", "2", "--k", "3"]) == 2
    assert "`k` (the subspace dimension) must be <= d. Got k=3, d=2." in capsys.readouterr().err


def test_help_answers_without_loading_the_models():
    """The registries behind ``choices`` are read only when a sub-command needs them, so
    ``dsn --help`` does not import the models (nor scikit-learn); a bad name is still
    refused with the list of good ones."""
    import sys

    code = (
        "import sys\nfrom dsn_model.cli import main\ntry:\n    main(['--help'])\n"
        "except SystemExit:\n    pass\n"
        "print(sorted({'sklearn', 'numba', 'dsn_model.model'} & set(sys.modules)))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.strip().endswith("[]"), run.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "dsn_model.cli", "audit", "--router", "nope"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "'lsh'" in bad.stderr and "'knn'" in bad.stderr


def test_one_cli_vocabulary_version_and_defaults_in_help(capsys):
    from dsn_model.model.routers import ROUTERS

    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("dsn ")
    for command in ("inspect", "audit"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "one of " + ", ".join(ROUTERS) in text, text  # the same names everywhere
        assert "(default: " in text
    with pytest.raises(SystemExit):
        main(["reproduce", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--seeds SEEDS seeds per point (default: 3)" in text
    assert "(default: False)" not in text and "(default: None)" not in text  # flags: none


def test_model_objects_have_reprs():
    from dsn_model import DSM
    from dsn_model.lsh.families import EuclideanLSH

    net = DSM.random(4, 12, 3, router="block", random_state=0)
    assert repr(net).startswith("DSM(d=4, s=3, t=12, router=BlockRouter(")
    assert repr(EuclideanLSH(3, 4, 0.5, 2)) == "EuclideanLSH(input_dim=3, n_hashes=4, n_tables=2)"
