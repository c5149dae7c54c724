"""The README's and the documentation pages' Python blocks run as written."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCKS = [
    (page.name, i, block)
    for page in PAGES
    for i, block in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(), re.S))
]


@pytest.mark.parametrize(("page", "index", "code"), BLOCKS, ids=lambda v: str(v)[:20])
def test_snippet_runs(page, index, code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # snippets may save files
    exec(compile(code, f"{page} block {index}", "exec"), {})


def test_the_readme_is_a_front_page_with_a_short_tour():
    text = (ROOT / "README.md").read_text()
    tour = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(tour) == 1 and len(tour[0].splitlines()) <= 30
    assert len(text.splitlines()) <= 160 and (ROOT / "LICENSE").is_file()
