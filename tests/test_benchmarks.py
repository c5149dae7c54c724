"""The benchmark scripts stay runnable at tiny sizes: each prints its sections and finite,
non-negative ratios. The ratios' values are measurements, not checked here (performance is
reported by the scripts, never asserted in a unit test)."""

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def load(name, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # as when run: their helpers import
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: A line each script prints per section it measures.
SECTIONS = {
    "routing": ["uniform hash DSM", "Switch DSM"],
    "lsh": [
        "1. throughput",
        "2. predict time per sample",
        "3. against scikit-learn",
        "4. streaming",
    ],
    "certify": ["planar sweep + certificate", "Theorem 4.1 end to end"],
    "fit": ["1. fits of n = 2000", "2. predict, batch 500", "3. LSHRegressor"],
    "switch_torch": [],
    "experts": ["1. Switch DSM predict", "2. DSM predict against the dense layer"],
}


def test_the_version_comparison_runs_against_a_checkout(capsys, monkeypatch):
    """``versions.py`` with this checkout as its own baseline: one workload, one round,
    a finite ratio printed beside both times."""
    load("versions", monkeypatch).main(
        ["--baseline", str(ROOT), "--rounds", "1", "--only", "hash predict"]
    )
    row = capsys.readouterr().out.splitlines()[-1]
    before, after, ratio = re.fullmatch(
        r"hash predict\s+([\d.]+)s\s+([\d.]+)s\s+([\d.]+)x", row
    ).groups()
    assert float(before) > 0 and float(after) > 0 and np.isfinite(float(ratio))


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("routing", {"n": 500}),
        ("lsh", {"n": 2000, "stream": 20000, "quick": True}),
        ("certify", {"d": 6, "width": 0.5, "n": 2000, "stream": 20000, "quick": True}),
        (
            "fit",
            {"n": 2000, "t": 128, "s": 8, "batch": 500, "quick": True, "lsh_n": 2000}
            | {"baseline": str(ROOT)},  # this checkout as its own baseline
        ),
        ("switch_torch", {"batch": 300, "log_ts": (8,)}),
        ("experts", {"batch": 300, "rounds": 1, "configs": ((8, 4, 4), (8, 4, 64))}),
    ],
)
def test_benchmark_runs(name, kwargs, capsys, monkeypatch):
    load(name, monkeypatch).main(**kwargs)
    out = capsys.readouterr().out
    if name == "switch_torch" and importlib.util.find_spec("torch") is None:
        assert out.startswith("PyTorch is not installed")
        return
    ratios = [float(r) for r in re.findall(r"(\d+(?:\.\d+)?)x\b", out)]
    assert ratios and all(np.isfinite(r) and r >= 0 for r in ratios)
    for section in SECTIONS[name]:  # every part of the script ran and reported
        assert section in out, (section, out[:2000])


@pytest.mark.parametrize("model", ["dense", "dsm"])
def test_streaming_benchmark_runs(model, capsys, monkeypatch):
    load("fit", monkeypatch).stream(2500, model, t=64, s=8, chunk=1000)
    out = capsys.readouterr().out
    assert "2500 samples by partial_fit in chunks of 1000" in out
    assert re.search(r"peak resident memory \d+ MiB", out)
