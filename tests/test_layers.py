"""The package's shape, checked from the source: layer rules, module size, no import cycles.

Imports are read with `ast` from every module under `lib/`, so a rule broken by a new import fails
here rather than in review. Imports inside functions count for the layer rules (they still couple
the layers) but not for cycles (Python resolves them at call time).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib"
MAX_CODE_LINES = 400

# (importing package, imported prefix, why it is not allowed)
FORBIDDEN = [
    ("lib.analysis", "lib.sources", "analyses work on a Sweep, whatever its source"),
    ("lib.analysis", "lib.figures", "analyses compute; figures draw"),
    ("lib.analysis", "lib.views", "analyses know nothing of pages"),
    ("lib.analysis", "lib.ui", "analyses know nothing of Streamlit"),
    ("lib.figures", "lib.ui", "figures are drawn from data, not page state"),
    ("lib.figures", "lib.views", "figures take plain specs, not page models"),
    ("lib.figures", "lib.sources", "figures are drawn from analysis results"),
    ("lib.views", "lib.ui", "page models are plain pandas"),
    ("lib.sources", "lib.analysis", "sources only read"),
    ("lib.sources", "lib.figures", "sources only read"),
    ("lib.sources", "lib.views", "sources only read"),
    ("lib.sources", "lib.ui", "sources know nothing of Streamlit"),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(LIB.rglob("*.py"))}


def _resolved(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".")
    if MODULES[module].name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _imports(module: str, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolved(module, node)
            found.add(target)
            # `from lib.sources import wandb` imports a module, not a name
            found.update(f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES)
    return found


def _code_lines(path: Path) -> int:
    return sum(
        1
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#")
    )


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_is_at_most_400_code_lines(module: str) -> None:
    assert _code_lines(MODULES[module]) <= MAX_CODE_LINES


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_respects_the_layer_rules(module: str) -> None:
    imported = _imports(module, top_level_only=False)
    broken = [
        f"{module} imports {name}: {why}"
        for layer, prefix, why in FORBIDDEN
        if _within(module, layer)
        for name in imported
        if _within(name, prefix)
    ]
    if not _within(module, "lib.ui"):
        broken += [
            f"{module} imports {n}: only lib/ui uses Streamlit" for n in imported if _within(n, "streamlit")
        ]
    broken += [f"{module} imports the entry point" for n in imported if _within(n, "streamlit_app")]
    assert not broken


def test_no_import_cycle_among_lib_modules() -> None:
    graph = {m: {n for n in _imports(m, top_level_only=True) if n in MODULES and n != m} for m in MODULES}
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        path.append(module)
        for child in sorted(graph[module]):
            cycle = visit(child)
            if cycle:
                return cycle
        path.pop()
        done.add(module)
        return None

    cycles = [c for m in sorted(MODULES) if (c := visit(m))]
    assert not cycles, " -> ".join(cycles[0])


def test_the_rules_catch_a_broken_import(tmp_path: Path) -> None:
    """The checker itself: a figures module importing ui is reported."""
    fake = "lib.figures._layer_probe"
    MODULES[fake] = tmp_path / "probe.py"
    MODULES[fake].write_text("from lib.ui import chart\nimport streamlit as st\n", encoding="utf-8")
    try:
        with pytest.raises(AssertionError):
            test_module_respects_the_layer_rules(fake)
    finally:
        del MODULES[fake]
