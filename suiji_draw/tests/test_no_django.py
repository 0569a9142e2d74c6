"""The sampling engine stays a pure library: no module imports Django; the verifier is stdlib-only."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from .conftest import REPO_ROOT

PACKAGE = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_of_the_package_imports_django():
    sources = sorted(PACKAGE.rglob("*.py"))
    assert len(sources) > 10
    offenders = [str(p) for p in sources if "django" in imported_modules(p)]
    assert offenders == []


def test_the_verifier_imports_only_the_standard_library():
    modules = imported_modules(REPO_ROOT / "verify_draw.py")
    assert modules <= set(sys.stdlib_module_names) | {"__future__"}, modules - set(sys.stdlib_module_names)
