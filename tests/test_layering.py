"""The helpers' module boundaries, read from their source: no import cycles, no science module
importing a command-line module, allotropy imported by the plate reader only, one repository root."""
from __future__ import annotations

import ast
import re

from helpers import ROOT

MODULES = {p.stem: p for p in (ROOT / "helpers").glob("*.py") if p.stem != "__init__"}
COMMAND_LINE = {"report", "check", "handout", "benchmark"}


def imports(path) -> set[str]:
    """The helpers modules a module imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "helpers":
            found |= {a.name for a in node.names if a.name in MODULES}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("helpers."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("helpers.")}
    return found - {path.stem}


GRAPH = {name: imports(path) for name, path in MODULES.items()}


def test_no_import_cycles():
    done, path = set(), []

    def visit(name):
        assert name not in path, "import cycle: " + " -> ".join(path[path.index(name):] + [name])
        if name in done:
            return
        path.append(name)
        for dep in sorted(GRAPH[name]):
            visit(dep)
        path.pop()
        done.add(name)

    for name in sorted(GRAPH):
        visit(name)


def test_science_modules_import_no_command_line_module():
    wrong = {name: sorted(deps & COMMAND_LINE) for name, deps in GRAPH.items()
             if name not in COMMAND_LINE and deps & COMMAND_LINE}
    assert not wrong


def test_allotropy_is_imported_by_the_plate_reader_only():
    users = {name for name, path in MODULES.items()
             if re.search(r"^\s*(import|from) allotropy", path.read_text(encoding="utf-8"), re.M)}
    assert users == {"instruments"}


def test_the_repository_root_is_defined_once():
    defining = [p.name for p in (ROOT / "helpers").glob("*.py")
                if re.search(r"Path\(__file__\)\.resolve\(\)\.parent\.parent", p.read_text(encoding="utf-8"))]
    assert defining == ["__init__.py"]
