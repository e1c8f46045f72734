"""The dependency rule of pipeline/, read from the imports themselves.

Stages depend on ``core`` and on the layers below them, never on each other;
``cli`` may import every stage; there are no import cycles between packages.
A new stage or layer must be added to the tables here, which is the point:
where it sits is decided once, on purpose.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PIPELINE = Path(__file__).resolve().parents[1] / "pipeline"

#: Shared layers, and what each may import (besides itself and the package root).
LAYERS = {
    "core": set(),
    "statements": {"core"},
    "bagit": {"core"},
    "archive": {"core", "bagit"},
    "events": {"core", "bagit", "archive"},
    "i18n": {"core", "statements"},
}
#: Stages: each may import core and the layers, and no other stage.
STAGES = {"validate", "render", "check", "package", "verify", "submit", "export", "seal", "importer",
          "catalogue", "reproduce"}
TOP = {"cli"}


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "pipeline" and len(parts) > 1 else None


def _imports() -> dict[str, set[tuple[str, str]]]:
    """Package → {(imported package, where)} for every import of pipeline code."""
    return _imports_under(PIPELINE)


@functools.lru_cache(maxsize=None)  # read once per process, not once per parametrized package
def _imports_under(pipeline: Path) -> dict[str, set[tuple[str, str]]]:
    found: dict[str, set[tuple[str, str]]] = {}
    for path in sorted(pipeline.rglob("*.py")):
        relative = path.relative_to(pipeline.parent)
        parts = relative.with_suffix("").parts
        if len(parts) < 3:  # pipeline/__init__.py, pipeline/__main__.py
            continue
        package = parts[1]
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{relative}:{node.lineno}: relative import; use pipeline.…"
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                target = _package_of(name)
                if target and target != package:
                    found.setdefault(package, set()).add((target, f"{relative}:{node.lineno}"))
    return found


def test_every_package_has_a_place_in_the_rule():
    packages = {p.name for p in PIPELINE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(LAYERS) | STAGES | TOP, "add the new package to LAYERS or STAGES"


def test_each_package_opens_with_a_docstring():
    for init in sorted(PIPELINE.glob("*/__init__.py")):
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring and len(docstring) > 40, f"{init}: say in two or three lines what it holds"


@pytest.mark.parametrize("package", sorted(set(LAYERS) | STAGES))
def test_stages_and_layers_import_only_what_the_rule_allows(package):
    allowed = LAYERS.get(package, set(LAYERS))
    wrong = sorted((target, where) for target, where in _imports().get(package, set())
                   if target not in allowed)
    assert not wrong, f"{package} may import only {sorted(allowed)}; found {wrong}"


def test_no_import_cycles_between_packages():
    graph = {package: {t for t, _ in edges} for package, edges in _imports().items()}
    seen, stack = set(), []

    def visit(node: str) -> None:
        if node in stack:
            raise AssertionError(f"import cycle: {' → '.join(stack[stack.index(node):] + [node])}")
        if node in seen:
            return
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            visit(target)
        stack.pop()
        seen.add(node)

    for package in sorted(graph):
        visit(package)


def test_the_rule_catches_a_violation(tmp_path, monkeypatch):
    """Positive control: a stage importing another stage is reported."""
    fake = tmp_path / "pipeline"
    for name in ("core", "render", "check"):
        (fake / name).mkdir(parents=True)
        (fake / name / "__init__.py").write_text('"""x"""\n')
    (fake / "check" / "stage.py").write_text("from pipeline.render.store import RenderKey\n")
    monkeypatch.setattr(__import__(__name__), "PIPELINE", fake)
    edges = _imports()
    assert ("render", "pipeline/check/stage.py:1") in edges["check"]
    assert "render" not in LAYERS.get("check", set(LAYERS))
