"""The config of a run killed in its first seconds, from `logs/debug.log` (read as literals, never run)."""

from __future__ import annotations

import ast
import math
from pathlib import Path
from typing import Any

from lib.sources.wandb.run_files import unwrap_config

DEBUG_LOG = "logs/debug.log"
DEBUG_LOG_CONFIG_PREFIX = "config: "
DEBUG_LOG_SWEEP_MARKER = "wandb.init called with sweep_config: "
MAX_DEBUG_LOG_BYTES = 20_000_000


def debug_log_config(path: Path) -> dict[str, Any]:
    """The config `wandb.init` logged (`config: {...}`, a Python dict repr), sweep values on top.

    Read as Python literals without evaluating anything; values that are not literals (objects,
    paths) are kept as their text. {} when the file or the line is missing or unreadable.
    """
    try:
        if not path.is_file() or path.stat().st_size > MAX_DEBUG_LOG_BYTES:  # a pipe would block
            return {}
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith(DEBUG_LOG_CONFIG_PREFIX):
            config = _python_literal(lines[i][len(DEBUG_LOG_CONFIG_PREFIX) :])
            sweep = _sweep_values(lines[i - 1]) if i > 0 else {}
            if isinstance(config, dict):
                merged = {str(k): v for k, v in config.items() if str(k) != "_wandb"}
                return {**merged, **sweep}
            return sweep
    return {}


def _sweep_values(line: str) -> dict[str, Any]:
    at = line.find(DEBUG_LOG_SWEEP_MARKER)
    if at < 0:
        return {}
    values = _python_literal(line[at + len(DEBUG_LOG_SWEEP_MARKER) :])
    if not isinstance(values, dict):
        return {}
    return unwrap_config({str(k): v for k, v in values.items()})


_FLOAT_NAMES = {"nan": math.nan, "inf": math.inf}


def _python_literal(text: str) -> Any:
    """A Python literal from its repr, with `nan`/`inf` and non-literal parts kept as text."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
        return _literal(tree.body, text.strip())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _literal(node: ast.AST, text: str) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Dict):
        return {
            _hashable(_literal(k, text)): _literal(v, text)
            for k, v in zip(node.keys, node.values, strict=True)
            if k is not None
        }
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [_literal(e, text) for e in node.elts]
    if isinstance(node, ast.Name) and node.id in _FLOAT_NAMES:
        return _FLOAT_NAMES[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _literal(node.operand, text)
        if isinstance(operand, int | float) and not isinstance(operand, bool):
            return -operand if isinstance(node.op, ast.USub) else operand
    return ast.get_source_segment(text, node)


def _hashable(key: Any) -> Any:
    return key if isinstance(key, str | int | float | bool | type(None)) else str(key)
