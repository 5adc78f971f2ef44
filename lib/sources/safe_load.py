"""The one place YAML and JSON read from a run (an upload, a folder on the server) are parsed, on a budget.

A few kilobytes of YAML aliases can stand for 10^9 values, and a compressed upload can hold a
100 MB string: the budget is checked before an object is built (YAML's node graph is measured with
aliases counted at the size they expand to), and values too big to be a config or summary entry are
dropped with a note instead of being held.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping
from itertools import chain
from pathlib import Path
from typing import Any

import yaml

from lib.sources.errors import SourceError

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # one config.yaml, wandb-summary.json, ... file
MAX_NODES = 200_000  # values and keys in one document, aliases expanded
MAX_DEPTH = 100  # nesting of lists and mappings
MAX_INT_DIGITS = 100  # Python's int() of a long digit string is slow, and no config needs one
MAX_VALUE_BYTES = 1024 * 1024  # one config or summary value (a string, a list, ...)
MAX_KEYS_PER_RUN = 10_000  # config and summary keys of one run, once flattened

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's safe loader when built
_LONG_INT = re.compile(r"[-+]?(0[box])?[0-9a-fA-F_:]+")


class OverBudget(SourceError):
    """A document, or a run, is bigger than Sweepscope reads; the message says which limit."""


# ---------------------------------------------------------------- documents


def load_yaml(data: bytes, what: str) -> Any:
    """The YAML document `data`, built only after its node graph passed the budget."""
    _check_document_size(data, what)
    has_aliases = _check_yaml_events(data, what)
    loader = _YAML_LOADER(data)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if has_aliases:  # without them, the events already counted every value
            _check_yaml_nodes(node, what)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_json(data: bytes | str, what: str) -> Any:
    """The JSON document `data`; its size bounds the objects built (JSON has no aliases)."""
    _check_document_size(data, what)
    _check_json_structure(data, what)
    try:
        value = json.loads(data)
    except RecursionError as error:
        raise OverBudget(f"{what} is nested more than {MAX_DEPTH} levels deep") from error
    _check_depth(value, what)
    return value


def read_document(path: Path, what: str) -> bytes:
    """The bytes of a file to parse, refused from its size before they are read."""
    _check_document_size_of(path.stat().st_size, what)
    return path.read_bytes()


def _check_document_size(data: bytes | str, what: str) -> None:
    _check_document_size_of(len(data), what)


def _check_document_size_of(size: int, what: str) -> None:
    if size > MAX_DOCUMENT_BYTES:
        raise OverBudget(
            f"{what} is {_mb(size)}, over the {_mb(MAX_DOCUMENT_BYTES)} Sweepscope reads per file"
        )


def _check_json_structure(data: bytes | str, what: str) -> None:
    """Commas and brackets bound the number of values from above (a comma in a string counts too)."""
    if len(data) < MAX_NODES:
        return
    text = data.decode("latin-1") if isinstance(data, bytes) else data  # one byte per character
    count = text.count(",") + text.count("[") + text.count("{")
    if count > MAX_NODES:
        raise OverBudget(f"{what} holds about {count:,} values, over the {MAX_NODES:,} Sweepscope reads")


def _check_depth(value: Any, what: str) -> None:
    """Nesting within `MAX_DEPTH`, so every later walk over the value stays far from the recursion limit."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        if children and depth >= MAX_DEPTH:
            raise OverBudget(f"{what} is nested more than {MAX_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in children)


def _check_yaml_events(data: bytes, what: str) -> bool:
    """Depth, integers and (alias-free) size from the event stream, which stops at the first excess:
    libyaml's composer recurses in C (a million `[` crash the process) and slows down with depth.
    True when the document holds aliases."""
    loader = _YAML_LOADER(data)
    depth = events = 0
    has_aliases = False
    try:
        while loader.check_event():
            event = loader.get_event()
            events += 1
            if isinstance(event, yaml.ScalarEvent):
                _check_scalar(event, what)
            elif isinstance(event, yaml.AliasEvent):
                has_aliases = True
            elif isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise OverBudget(f"{what} is nested more than {MAX_DEPTH} levels deep")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if events > 2 * MAX_NODES:  # starts and ends are two events per collection
                raise OverBudget(f"{what} holds more than {MAX_NODES:,} values, the most Sweepscope reads")
    finally:
        loader.dispose()
    return has_aliases


def _check_yaml_nodes(root: yaml.Node, what: str) -> None:
    """Expanded size and depth of the node graph, each shared (aliased) node measured once."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if depth > MAX_DEPTH:
            raise OverBudget(f"{what} is nested more than {MAX_DEPTH} levels deep")
        if id(node) in on_path:
            raise OverBudget(f"{what} holds an alias that refers to itself")
        on_path.add(id(node))
        total = 1 + sum(size(child, depth + 1) for child in _children(node))
        on_path.discard(id(node))
        if total > MAX_NODES:
            raise OverBudget(
                f"{what} expands to more than {MAX_NODES:,} values (YAML aliases repeat what they point to)"
            )
        sizes[id(node)] = total
        return total

    size(root, 0)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_scalar(event: yaml.ScalarEvent, what: str) -> None:
    """A plain scalar of more than `MAX_INT_DIGITS` digits would become an int (YAML 1.1 also reads
    `1_000`, `0x..`, `0o..` and `1:30` as integers)."""
    value = event.value
    if len(value) > MAX_INT_DIGITS and not event.style and _LONG_INT.fullmatch(value):
        raise OverBudget(f"{what} holds an integer of {len(value):,} digits (at most {MAX_INT_DIGITS})")


# ---------------------------------------------------------------- values and runs


def without_oversized(mapping: Mapping[str, Any], dropped: list[str], prefix: str = "") -> dict[str, Any]:
    """`mapping` without values over `MAX_VALUE_BYTES` (nested mappings are descended into); the
    dotted keys of the values left out are appended to `dropped`."""
    kept: dict[str, Any] = {}
    for key, value in mapping.items():
        if type(value) in _SMALL:  # most values: nothing to measure
            kept[key] = value
        elif isinstance(value, Mapping):
            kept[key] = without_oversized(value, dropped, f"{prefix}{key}.")
        elif approx_bytes(value, MAX_VALUE_BYTES) > MAX_VALUE_BYTES:
            dropped.append(f"{prefix}{key}")
        else:
            kept[key] = value
    return kept


def dropped_note(where: str, dropped: list[str]) -> str:
    shown = ", ".join(dropped[:5]) + (f" and {len(dropped) - 5} more" if len(dropped) > 5 else "")
    return f"{where}: values over {_mb(MAX_VALUE_BYTES)} were left out ({shown})"


def too_many_keys(*mappings: Mapping[str, Any]) -> str | None:
    """Why a run with these config and summary mappings is not read, or None when it is small enough."""
    count = 0
    for mapping in mappings:
        count += _leaf_count(mapping, MAX_KEYS_PER_RUN + 1 - count)
        if count > MAX_KEYS_PER_RUN:
            return (
                f"more than {MAX_KEYS_PER_RUN:,} config and summary keys once nested keys are "
                f"flattened, the most Sweepscope reads per run"
            )
    return None


def _leaf_count(mapping: Mapping[str, Any], limit: int) -> int:
    """Leaves of a nested mapping, counting stops once past `limit`."""
    count = 0
    for value in mapping.values():
        count += _leaf_count(value, limit - count) if isinstance(value, Mapping) and value else 1
        if count > limit:
            break
    return count


def approx_bytes(value: Any, limit: int = sys.maxsize) -> int:
    """Roughly the memory `value` holds (containers walked), counting stops once past `limit`."""
    total = sys.getsizeof(value)
    if isinstance(value, Mapping):
        parts: Iterable[Any] = chain.from_iterable(value.items())
    elif isinstance(value, list | tuple | set | frozenset):
        parts = value
    else:
        return total
    for part in parts:
        total += sys.getsizeof(part) if type(part) in _ATOMS else approx_bytes(part, limit - total)
        if total > limit:
            break
    return total


_ATOMS = frozenset({str, bytes, int, float, bool, type(None)})
_SMALL = frozenset({int, float, bool, type(None)})


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:,.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:,.0f} KB"
