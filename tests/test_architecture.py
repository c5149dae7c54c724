"""The layout's rules, read from the import statements of every module (also nested ones).

Layers, bottom up: plumbing (``_io``, ``_validation``, ``_threads``, ``_kept``, the
compiled ``_kernels``), then
``model``, ``data`` and ``targets``, then ``lsh``, then ``estimators``, then
``experiments``, ``audit`` and ``strategies``, then ``cli``. A module imports
only its own layer or lower ones; only ``cli`` imports ``theory``.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "dsn_model"

LAYER = {
    "_io": 0,
    "_validation": 0,
    "_threads": 0,
    "_kept": 0,
    "_kernels": 0,
    "model": 1,
    "data": 1,
    "targets": 1,
    "lsh": 2,
    "estimators": 3,
    "experiments": 4,
    "audit": 4,
    "strategies": 4,
    "cli": 5,
    "__init__": 5,
}
#: Imports that run up a layer on purpose, each inside a function (lazy):
#: ``LSHRouter.random`` draws a hyperplane family.
ALLOWED_UPWARD = {("model/routers/hashing.py", "lsh")}


def _area(path: Path) -> str:
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


def _imports(path: Path):
    """``(top-level package, area imported)`` of every import in the module."""
    package = path.relative_to(ROOT).parent.parts
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - (node.level - 1)])
                parts = base + (node.module.split(".") if node.module else [])
                if not parts:  # "from .. import x" at the top: the names themselves
                    yield from (("dsn_model", alias.name) for alias in node.names)
                    continue
                yield "dsn_model", parts[0]
            elif node.module:
                top, *rest = node.module.split(".")
                yield top, rest[0] if rest else ""
        elif isinstance(node, ast.Import):
            for alias in node.names:
                top, *rest = alias.name.split(".")
                yield top, rest[0] if rest else ""


MODULES = sorted(ROOT.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_run_down_the_layers(path):
    area = _area(path)
    name = str(path.relative_to(ROOT))
    for top, imported in _imports(path):
        if top == "theory":
            assert area == "cli", f"{name} imports theory"
        if top != "dsn_model" or imported in ("", "__version__"):
            continue
        assert imported in LAYER, f"{name} imports an unknown area {imported!r}"
        if (name, imported) in ALLOWED_UPWARD:
            continue
        assert LAYER[imported] <= LAYER[area], f"{name} ({area}) imports {imported} (upward)"


def test_the_rules_can_fail():
    """The parser sees a nested upward import (the one allowed exception)."""
    routers = ROOT / "model" / "routers" / "hashing.py"
    assert ("dsn_model", "lsh") in set(_imports(routers))


def test_the_package_namespace_loads_each_name_when_first_used():
    """``import dsn_model`` loads no model code (nor scikit-learn); every exported name then
    resolves to the object its module defines."""
    import importlib
    import subprocess
    import sys

    code = "import sys, dsn_model; print(sorted({'sklearn', 'numba', 'scipy'} & set(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
    import dsn_model

    assert set(dsn_model.__all__) == {"__version__", *dsn_model._EXPORTS}
    for name, module in dsn_model._EXPORTS.items():
        expected = getattr(importlib.import_module(module, "dsn_model"), name)
        assert getattr(dsn_model, name) is expected, name
        assert name in dir(dsn_model)
    with pytest.raises(AttributeError, match="no_such_name"):
        dsn_model.no_such_name  # noqa: B018


def test_a_task_worker_imports_neither_the_report_nor_sympy():
    """Workers unpickle tasks from ``dsn_model.experiments.tasks``: the package's names are
    imported on first use, so a worker loads no report, figure or symbolic code; every
    listed name resolves to its module's object."""
    import importlib
    import subprocess
    import sys

    import dsn_model.experiments as experiments

    code = (
        "import sys, dsn_model.experiments.tasks; "
        "print(sorted({'sympy', 'matplotlib', 'dsn_model.experiments.report', "
        "'dsn_model.experiments.registry'} & set(sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
    assert set(experiments.__all__) == set(experiments._HOMES)
    for name, home in experiments._HOMES.items():
        module = importlib.import_module(f"dsn_model.experiments.{home}")
        assert getattr(experiments, name) is getattr(module, name), name
    with pytest.raises(AttributeError, match="no_such_name"):
        experiments.no_such_name  # noqa: B018


def test_no_module_imports_itself_through_a_circle():
    """The graph of imports inside dsn_model and theory (lazy ones too) has no cycle."""
    import ast
    from pathlib import Path

    import networkx as nx

    root = Path(__file__).resolve().parents[1]
    modules = {}
    for path in [*root.glob("dsn_model/**/*.py"), *root.glob("theory/**/*.py")]:
        name = ".".join(path.relative_to(root).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    graph = nx.DiGraph()
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):  # lazy imports too
            if isinstance(node, ast.ImportFrom) and node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
            else:
                continue
            for alias in node.names:
                target = f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                if target in modules and target != name:
                    graph.add_edge(name, target)
    assert graph.number_of_edges() > 100  # the walk saw the package
    assert list(nx.simple_cycles(graph)) == []
