"""Sphinx configuration of the dsn documentation site.

Build (warnings are errors, as in CI): ``python -m sphinx -W -b html docs docs/_build/html``.
The user guide (``docs/guide``) and the examples (``examples/``) are sphinx-gallery
scripts: each is executed at build time and its output and figures shown.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import dsn_model  # noqa: E402

project = "dsn"
author = "the dsn developers"
copyright = "2026, the dsn developers"
release = version = dsn_model.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "guide", "**.ipynb_checkpoints"]
root_doc = "index"

# --- API reference: generated from the numpydoc docstrings
autosummary_generate = True
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
default_role = "code"  # `name` in a docstring is code, as in the rest of the project
nitpicky = False
suppress_warnings = ["myst.header", "myst.xref_missing", "config.cache"]
myst_heading_anchors = 3
templates_path = ["_templates"]

# --- executed pages: the user guide and the examples
_OUTPUTS = Path(tempfile.mkdtemp(prefix="dsn-docs-"))


def _argv(gallery_conf, script_vars):
    """Examples that save a figure get ``--out`` in a temporary folder, not the source tree."""
    source = Path(script_vars["src_file"])
    if "--out" in source.read_text():
        return ["--out", str(_OUTPUTS / f"{source.stem}.png")]
    return []


sphinx_gallery_conf = {
    "examples_dirs": ["guide", str(ROOT / "examples")],
    "gallery_dirs": ["user_guide", "auto_examples"],
    "filename_pattern": r".*\.py",
    "reset_argv": _argv,
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "plot_gallery": os.environ.get("DSN_DOCS_RUN", "1") == "1",
}

# --- look
html_theme = "pydata_sphinx_theme"
html_title = f"dsn {release}"
html_theme_options = {
    "navigation_depth": 2,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path: list[str] = []


def _skip_generated_request_methods(app, what, name, obj, skip, options):
    """scikit-learn's generated ``set_*_request`` methods document its own routing API."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_generated_request_methods)
