"""The architecture of docs/architecture.md, checked against the code.

- The layers contract in ``pyproject.toml`` ([tool.importlinter]) holds: each
  part imports only the parts below it (import-linter), and the contract
  does break when a low part imports a high one (checked on a copy of the
  package with one upward import added).
- No module imports itself through others (no import cycles).
- Library modules import at the top; an import inside a function is allowed
  only for the command line (start-up time) and the listed optional heavy
  dependencies.
- The top-level API is exactly ``__all__`` and every name in it loads.
- Every solution concept's solvers exist where the registry says.
"""

from __future__ import annotations

import ast
import inspect
import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

import realpolitik as rp
from realpolitik.concepts import CONCEPTS
from realpolitik.solve.dispatch import resolve

PACKAGE = Path(rp.__file__).parent
REPO = Path(__file__).resolve().parents[1]

#: Imports allowed inside functions (module, imported name): optional and heavy.
LAZY_ALLOWED = {
    ("realpolitik.uncertainty.ensemble", "distributed"),
    # matplotlib where a figure is made: 0.3 s of every forecast's start-up otherwise
    ("realpolitik.plots.explain_plots", "matplotlib"),
    ("realpolitik.plots.forecast_plots", "matplotlib"),
    ("realpolitik.plots.information_plots", "matplotlib"),
    ("realpolitik.plots.sensitivity_plots", "matplotlib"),
    # ... and the figure module, which imports matplotlib (users' text drawn as written)
    ("realpolitik.plots.explain_plots", "realpolitik.plots.figure"),
    ("realpolitik.plots.forecast_plots", "realpolitik.plots.figure"),
    ("realpolitik.plots.information_plots", "realpolitik.plots.figure"),
    ("realpolitik.plots.sensitivity_plots", "realpolitik.plots.figure"),
}


def _lint_imports(root: Path, config: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the package found under ``root``."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())",
            "--config",
            str(config),
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=120,
    )


def test_the_layers_contract_is_kept() -> None:
    result = _lint_imports(PACKAGE.parent, REPO / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_the_layers_contract_breaks_on_an_upward_import(tmp_path: Path) -> None:
    copy = tmp_path / "src"
    shutil.copytree(PACKAGE, copy / "realpolitik", ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / "realpolitik" / "scenario" / "model.py"
    target.write_text(
        target.read_text(encoding="utf-8") + "\nimport realpolitik.solve.dispatch  # upward\n",
        encoding="utf-8",
    )
    result = _lint_imports(copy, REPO / "pyproject.toml")
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert "realpolitik.scenario.model -> realpolitik.solve.dispatch" in result.stdout


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("realpolitik", cache_dir=None)


def test_no_module_imports_itself_through_others() -> None:
    graph = _graph()
    modules = sorted(graph.modules)
    cycles = []
    for module in modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported == module:
                continue
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None and not module.endswith("__init__"):
                cycles.append(" -> ".join((module, *back)))
    assert cycles == []


def _library_modules() -> list[Path]:
    return [
        p
        for p in sorted(PACKAGE.rglob("*.py"))
        if "cli" not in p.relative_to(PACKAGE).parts and p.name != "__init__.py"
    ]


def _imports_in_functions(path: Path) -> list[tuple[str, int]]:
    """``(imported module, line)`` of every import inside a function body."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import):
                found += [(alias.name, inner.lineno) for alias in inner.names]
            elif isinstance(inner, ast.ImportFrom):
                found.append((inner.module or "", inner.lineno))
    return found


def test_library_modules_import_at_the_top() -> None:
    hidden = []
    for path in _library_modules():
        module = "realpolitik." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for imported, line in _imports_in_functions(path):
            allowed = {(module, imported.split(".")[0]), (module, imported)}
            if not allowed & LAZY_ALLOWED:
                hidden.append(f"{module}:{line} imports {imported}")
    assert hidden == []


def test_the_public_api_is_all_and_only_all() -> None:
    assert sorted(dir(rp)) == sorted(rp.__all__)
    for leaked in ("Any", "Path", "annotations", "importlib", "TYPE_CHECKING"):
        assert leaked not in dir(rp)
    for name in rp.__all__:
        assert getattr(rp, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        rp.nope  # noqa: B018


@pytest.mark.parametrize("name", sorted(CONCEPTS))
def test_every_concept_solver_is_where_the_registry_says(name: str) -> None:
    concept = CONCEPTS[name]
    assert concept.tree_solver or concept.normal_form_solver
    for path in (concept.tree_solver, concept.normal_form_solver):
        if path is None:
            continue
        function = resolve(path)
        assert function.__module__.startswith("realpolitik.solve.")
        keywords = {
            p.name for p in inspect.signature(function).parameters.values() if p.name != "game"
        }
        assert keywords == {p.keyword for p in concept.parameters}
