"""The one place YAML and JSON read from a run (an upload, a folder on the server) are parsed, on a budget.

A few kilobytes of YAML aliases can stand for 10^9 values, and a compressed upload can hold a
100 MB string: the budget is checked before an object is built (YAML's node graph is measured with
aliases counted at the size they expand to), and values too big to be a config or summary entry are
dropped with a note instead of being held.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any

import yaml

from lib.sources import limits
from lib.sources.errors import SourceError
from lib.sources.reading import open_regular

MAX_DOCUMENT_BYTES = limits.FILE_MB.value()  # one config.yaml, wandb-summary.json, ... file
MAX_NODES = limits.VALUES.value()  # values and keys in one document, aliases expanded
MAX_DEPTH = limits.DEPTH.value()  # nesting of lists and mappings
MAX_INT_DIGITS = limits.INT_DIGITS.value()  # int() of a long digit string is slow; no config needs one
MAX_VALUE_BYTES = limits.VALUE_MB.value()  # one config or summary value (a string, a list, ...)
MAX_KEYS_PER_RUN = limits.KEYS_PER_RUN.value()  # config and summary keys of one run, once flattened

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
        if not has_aliases:  # without them, the events already counted every value
            return loader.construct_document(node)
        _check_yaml_nodes(node, what)
        value = loader.construct_document(node)
        _check_depth(value, what)  # aliases may nest deeper than the text does
        return value
    finally:
        loader.dispose()


def load_json(data: bytes | str, what: str) -> Any:
    """The JSON document `data`; its size bounds the objects built (JSON has no aliases).

    Nesting is measured on the text before parsing, so no depth reaches the parser's recursion."""
    _check_document_size(data, what)
    _check_json_structure(data, what)
    _check_json_depth(data, what)
    try:
        if _LONG_DIGIT_RUN.search(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")):
            value = json.loads(data, parse_int=partial(_bounded_int, what=what))  # a call per integer
        else:
            value = json.loads(data)
    except RecursionError as error:  # a depth the scan missed (it cannot, but the parser recurses)
        raise _too_deep(what) from error
    return value  # the scan measured the depth exactly: no walk over the value is needed


def read_document(path: Path, what: str) -> bytes:
    """The bytes of a regular file to parse, refused from its size before they are read.

    Pipes, devices and symlink loops are refused (`lib.sources.reading.open_regular`); a file that
    grows while it is read is cut at the budget, never read on."""
    with open_regular(path, what) as handle:
        _check_document_size_of(os.fstat(handle.fileno()).st_size, what)
        data = handle.read(MAX_DOCUMENT_BYTES + 1)
    _check_document_size(data, what)
    return data


def _check_document_size(data: bytes | str, what: str) -> None:
    _check_document_size_of(len(data), what)


def _check_document_size_of(size: int, what: str) -> None:
    if size > MAX_DOCUMENT_BYTES:
        raise OverBudget(
            f"{what} is {_mb(size)}, over the {_mb(MAX_DOCUMENT_BYTES)} Sweepscope reads per file "
            f"({limits.FILE_MB.how_to_raise})"
        )


def _too_deep(what: str) -> OverBudget:
    return OverBudget(f"{what} is nested more than {MAX_DEPTH} levels deep ({limits.DEPTH.how_to_raise})")


def _too_many_values(what: str, found: str, why: str = "the most Sweepscope reads") -> OverBudget:
    return OverBudget(f"{what} {found} values, {why} ({limits.VALUES.how_to_raise})")


def _too_long_integer(what: str, digits: int) -> OverBudget:
    return OverBudget(
        f"{what} holds an integer of {digits:,} digits, over the {MAX_INT_DIGITS} Sweepscope reads "
        f"({limits.INT_DIGITS.how_to_raise})"
    )


def _bounded_int(text: str, *, what: str) -> int:
    digits = len(text) - text.startswith("-")
    if digits > MAX_INT_DIGITS:
        raise _too_long_integer(what, digits)
    return int(text)


def _check_json_structure(data: bytes | str, what: str) -> None:
    """Commas and brackets bound the number of values from above (a comma in a string counts too)."""
    if len(data) < MAX_NODES:
        return
    text = data.decode("latin-1") if isinstance(data, bytes) else data  # one byte per character
    count = text.count(",") + text.count("[") + text.count("{")
    if count > MAX_NODES:
        raise _too_many_values(what, f"holds about {count:,}", f"over the {MAX_NODES:,} Sweepscope reads")


_LONG_DIGIT_RUN = re.compile(rb"[0-9]{%d}" % (MAX_INT_DIGITS + 1))
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_CHUNK = 1024 * 1024


def _check_json_depth(data: bytes | str, what: str) -> None:
    """Deeper than `MAX_DEPTH`, from the brackets outside strings (running sums, no recursion)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:  # most documents: cannot be that deep
        return
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    if _deepest(brackets) > MAX_DEPTH:
        raise _too_deep(what)


def _deepest(brackets: bytes) -> int:
    """The deepest nesting of a string of `[]{}` (openers add one, closers take one away)."""
    import numpy as np

    depth = deepest = 0
    for start in range(0, len(brackets), _DEPTH_CHUNK):
        codes = np.frombuffer(brackets[start : start + _DEPTH_CHUNK], dtype=np.uint8)
        steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)
        running = np.cumsum(steps) + depth
        deepest, depth = max(deepest, int(running.max())), int(running[-1])
    return deepest


def _check_depth(value: Any, what: str) -> None:
    """Nesting within `MAX_DEPTH`, so every later walk over the value stays far from the recursion limit."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        if children and depth >= MAX_DEPTH:
            raise _too_deep(what)
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
                    raise _too_deep(what)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if events > 2 * MAX_NODES:  # starts and ends are two events per collection
                raise _too_many_values(what, f"holds more than {MAX_NODES:,}")
    finally:
        loader.dispose()
    return has_aliases


def _check_yaml_nodes(root: yaml.Node, what: str) -> None:
    """Expanded size and depth of the node graph, each shared (aliased) node measured once.

    The walk keeps its own stack (no recursion): a node still open when it is met again is an alias
    to itself, refused before PyYAML builds a list that holds itself."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            sizes[key] = total = 1 + sum(sizes[id(child)] for child in _children(node))
            if total > MAX_NODES:
                raise _too_many_values(
                    what, f"expands to more than {MAX_NODES:,}", "as YAML aliases repeat what they point to"
                )
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise OverBudget(
                f"{what} holds a YAML alias that refers to itself, which Sweepscope does not read"
            )
        if depth > MAX_DEPTH:
            raise _too_deep(what)
        open_nodes.add(key)
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in _children(node))


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
        raise _too_long_integer(what, len(value))


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
    return (
        f"{where}: values over {_mb(MAX_VALUE_BYTES)} were left out ({shown}); {limits.VALUE_MB.how_to_raise}"
    )


def too_many_keys(*mappings: Mapping[str, Any]) -> str | None:
    """Why a run with these config and summary mappings is not read, or None when it is small enough."""
    count = 0
    for mapping in mappings:
        count += _leaf_count(mapping, MAX_KEYS_PER_RUN + 1 - count)
        if count > MAX_KEYS_PER_RUN:
            return (
                f"more than {MAX_KEYS_PER_RUN:,} config and summary keys once nested keys are "
                f"flattened, the most Sweepscope reads per run ({limits.KEYS_PER_RUN.how_to_raise})"
            )
    return None


def _leaf_count(mapping: Mapping[str, Any], limit: int) -> int:
    """Leaves of a nested mapping (an empty one is a leaf), counting stops once past `limit`."""
    count = 0
    for value in mapping.values():
        kind = type(value)  # JSON's own types first: an ABC check costs more than the count
        nested = kind is dict or (kind not in _JSON_LEAVES and isinstance(value, Mapping))
        count += _leaf_count(value, limit - count) if nested and value else 1
        if count > limit:
            break
    return count


_JSON_LEAVES = frozenset({str, int, float, bool, list, type(None)})


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


_mb = limits.size_text
