"""Names from data written into files Sweepscope generates (`next_study.py`, `next_sweep.yaml`).

A metric, parameter, level or sweep name comes from a CSV header, a W&B summary key or an Optuna
study, so it may hold line breaks of any kind (`\\n`, `\\r`, `\\x0b`, `\\x0c`, `\\x1c`-`\\x1e`,
`\\x85`, `\\u2028`, `\\u2029`), quotes, backslashes, `\"\"\"`, control or bidi characters. Rules:

- Comments: the text on one line (every line break and other non-printable character becomes a
  space), wrapped into `# ` lines. Nothing Python, YAML or an editor reads as a line break is left.
- Python: a name or value enters code only as a literal from `python_literal` (`repr` of plain
  values, built recursively; `repr` escapes quotes, backslashes and non-printable characters).
- YAML: scalars are written by PyYAML's emitter; text holding any non-printable character is
  double-quoted, so it is escaped and stays on one line. Keys written by hand come from `yaml_key`,
  which uses the explicit `? key` form when a key is too long for an implicit one.
"""

from __future__ import annotations

import math
import textwrap
from typing import Any

import yaml

from lib.safe_text import one_line

COMMENT_WIDTH = 100
MAX_COMMENT = 5000  # characters of one comment kept (wrapped over several `# ` lines)
MAX_IMPLICIT_KEY = 120  # PyYAML's emitter writes keys from 128 characters on as `? key`; so do we
NON_FINITE = {math.inf: 'float("inf")', -math.inf: 'float("-inf")'}


def comment_lines(text: str, indent: int = 0, width: int = COMMENT_WIDTH) -> list[str]:
    """`text` as `# ` comment lines at `indent`, each one physical line (no line break of any kind)."""
    pad = " " * indent
    flat = " ".join(one_line(str(text), limit=MAX_COMMENT).split())
    return [f"{pad}# {line}" for line in textwrap.wrap(flat, max(width - indent - 2, 20))]


def python_literal(value: Any) -> str:
    """Python source for a plain value (str, int, float, bool, None, and lists, tuples and dicts of
    them) that evaluates back to it; anything else is written as the literal of its text."""
    if value is None or isinstance(value, bool | int | str):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        return NON_FINITE.get(value, repr(value))
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + "".join(f"{python_literal(v)}, " for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items()) + "}"
    return repr(str(value))


class SweepDumper(yaml.SafeDumper):
    """Safe YAML with mappings as blocks, lists inline (`values: [16, 32]`) and any text holding a
    non-printable character (line breaks included) double-quoted, hence escaped and on one line.
    Double-quoted text is escaped to ASCII, so invisible and bidi characters show as `\\u202E`."""

    def write_double_quoted(self, text: str, split: bool = True) -> None:
        allow_unicode, self.allow_unicode = self.allow_unicode, False
        try:
            super().write_double_quoted(text, split)
        finally:
            self.allow_unicode = allow_unicode


def _represent_text(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=None if data.isprintable() else '"')


SweepDumper.add_representer(str, _represent_text)
SweepDumper.add_representer(
    list, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)
)


def yaml_block(value: Any, indent: int) -> list[str]:
    """`value` as YAML lines at `indent` (a mapping as a block; its text values escaped as above)."""
    text = yaml.dump(
        value, Dumper=SweepDumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=10**9
    )
    return [" " * indent + line for line in text.splitlines() if line != "..."]


def yaml_scalar(value: Any) -> str:
    """A scalar as one line of YAML (quoted when YAML would misread it or it holds line breaks)."""
    lines = [line for line in yaml_block(value, 0) if line]
    if len(lines) != 1:  # cannot happen for text (see SweepDumper); kept as a guard
        raise ValueError(f"{value!r} does not fit on one YAML line")
    return lines[0]


def yaml_key(key: Any, indent: int) -> list[str]:
    """The line(s) that open mapping entry `key` at `indent`; its value follows at `indent + 2`."""
    pad, text = " " * indent, yaml_scalar(key)
    if len(text) <= MAX_IMPLICIT_KEY:
        return [f"{pad}{text}:"]
    return [f"{pad}? {text}", f"{pad}:"]
