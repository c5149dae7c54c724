"""
Reproduce the paper and read the report
=======================================

``dsn reproduce`` (or `dsn_model.experiments.runner.reproduce`) runs the
paper's experiments into a folder: one record per task, figures, CSV/JSON and a
``REPORT.md`` whose verdicts are tested over (target, seed) units. Here one
small experiment, Table 2, in quick mode with one seed.
"""

# %%
import tempfile
from pathlib import Path

from dsn_model.experiments.runner import reproduce

out = Path(tempfile.mkdtemp()) / "run"
report = reproduce(["table2"], out, quick=True, seeds=1, progress=False)
print(sorted(p.name for p in out.iterdir()))

# %%
# The report's Table 2 section, as written:
text = report.read_text()
print(text[text.index("## Table 2") :][:1500])
