"""The README's Python snippets run as written."""

import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_snippet_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # snippets may save files
    rng = np.random.default_rng(0)
    namespace = {"chunks": [(rng.uniform(-1, 1, (200, 3)), rng.normal(size=200))] * 2}
    exec(compile(BLOCKS[index], f"README block {index}", "exec"), namespace)


def test_readme_has_snippets():
    assert len(BLOCKS) >= 3
