"""The examples run and print what they promise."""

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize(
    ("script", "expect"),
    [
        ("derive_bounds.py", "buys eps = 0.0787"),
        ("lipschitz_of_targets.py", "exact L ="),
        ("inspect_routing.py", "saved the active sub-DAG"),
        ("audit_locality.py", "saved locality.png"),
    ],
)
def test_example_runs(script, expect, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [script])
    runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    assert expect in capsys.readouterr().out
