"""W&B's protobuf `Record` class, loaded without importing wandb, and a peek at a record's first field.

`import wandb` costs 0.3 s and wraps sys.stdout/sys.stderr for good, so `record_class` builds the
class from the serialized descriptors in wandb's generated `*_pb2.py` files when it can.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import threading
from pathlib import Path
from typing import Any

from lib.sources.errors import SourceError

_RECORD_CLASS: type[Any] | None = None
_RECORD_LOCK = threading.Lock()


def record_class() -> type[Any]:
    """wandb's protobuf `Record` class, loaded without importing the wandb package when possible.

    `import wandb` costs 0.3 s and wraps sys.stdout/sys.stderr for good. The generated
    `wandb/proto/v<N>/*_pb2.py` modules only register serialized descriptors, so those bytes are
    read from the installed files (as literals, nothing is executed) into a private descriptor
    pool; anything unexpected falls back to the ordinary import.
    """
    global _RECORD_CLASS
    with _RECORD_LOCK:
        if _RECORD_CLASS is None:
            try:
                _RECORD_CLASS = _record_class_from_descriptors()
            except Exception:  # any surprise in wandb's layout: the ordinary import is always right
                _RECORD_CLASS = _record_class_from_wandb()
        return _RECORD_CLASS


def _record_class_from_wandb() -> type[Any]:
    try:
        # the generated module picks its protobuf version at import time: its stub names no Record
        record: type[Any] = importlib.import_module("wandb.proto.wandb_internal_pb2").Record
    except ImportError as error:
        raise SourceError(
            "Reading offline W&B runs (run-<id>.wandb files) needs the wandb package: "
            f"`pip install wandb` ({error})."
        ) from error
    return record


_SERIALIZED_FILE = re.compile(rb"AddSerializedFile\((b'(?:[^'\\]|\\.)*')\)", re.DOTALL)
_WANDB_PROTO_FILES = ("wandb_base", "wandb_telemetry", "wandb_internal")


def _record_class_from_descriptors() -> type[Any]:
    from google.protobuf import __version__ as protobuf_version
    from google.protobuf import descriptor_pool, empty_pb2, message_factory, struct_pb2, timestamp_pb2

    spec = importlib.util.find_spec("wandb")  # locates the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("wandb is not installed")
    major = protobuf_version.split(".")[0]
    proto_dir = Path(next(iter(spec.submodule_search_locations))) / "proto" / f"v{major}"
    pool = descriptor_pool.DescriptorPool()
    for module in (empty_pb2, struct_pb2, timestamp_pb2):
        pool.AddSerializedFile(module.DESCRIPTOR.serialized_pb)
    for name in _WANDB_PROTO_FILES:
        source = (proto_dir / f"{name}_pb2.py").read_bytes()
        found = _SERIALIZED_FILE.search(source)
        if found is None:
            raise ImportError(f"no serialized descriptor in {name}_pb2.py")
        pool.AddSerializedFile(ast.literal_eval(found.group(1).decode("ascii")))
    record: type[Any] = message_factory.GetMessageClass(pool.FindMessageTypeByName("wandb_internal.Record"))
    return record


HISTORY_FIELD, SUMMARY_FIELD, CONFIG_FIELD = 2, 3, 5  # members of `Record.record_type`
RUN_FIELD, EXIT_FIELD = 17, 18
# `num`, `control`, `uuid` and `_info`: W&B writes them before the record's kind in some records
# and after it in others (its writer does not keep field-number order)
_BESIDE_THE_KIND = frozenset({16, 19, 200})
NUM_TAG = 0x08  # field 1 (num), a varint


def record_field(payload: bytes) -> int | None:
    """The field number of a record's kind (its `record_type` member), read from the wire without
    decoding it: `num`, `control`, `uuid` and `_info` are stepped over. None when the bytes are not
    plainly a record (let the decoder say why)."""
    if len(payload) > 2 and payload[0] == NUM_TAG and payload[1] < 0x80 and payload[2] < 0x80:
        tag = payload[2]  # a small `num`, then a field below 16 (history, summary, stats, ...): most
        return tag >> 3 if tag & 0x7 == 2 else None
    i, end = 0, len(payload)
    while i < end:
        tag = payload[i]
        i += 1
        if tag & 0x80:  # a two-byte tag: fields 16 to 2047
            if i >= end or payload[i] & 0x80:
                return None
            tag = (tag & 0x7F) | (payload[i] << 7)
            i += 1
        if tag == NUM_TAG:
            while i < end and payload[i] & 0x80:
                i += 1
            i += 1
            continue
        if tag & 0x7 != 2:  # every member of the oneof, and each field stepped over, is a message
            return None
        if tag >> 3 not in _BESIDE_THE_KIND:
            return tag >> 3
        length, i = _varint(payload, i)
        if length < 0:
            return None
        i += length
    return None


def _varint(data: bytes, i: int) -> tuple[int, int]:
    """The varint at `i` and the index after it; -1 when it is cut or longer than 4 bytes."""
    value = shift = 0
    while i < len(data) and shift <= 21:
        byte = data[i]
        value |= (byte & 0x7F) << shift
        i += 1
        if not byte & 0x80:
            return value, i
        shift += 7
    return -1, i


def unreplayed_fields(record: type[Any]) -> frozenset[int]:
    """The kinds of record a run log's replay has no use for (history, stats, telemetry, output,
    files, environment, ...): every member of `record_type` but run, config, summary and exit."""
    kinds = record.DESCRIPTOR.oneofs_by_name["record_type"].fields
    return frozenset(f.number for f in kinds) - {RUN_FIELD, CONFIG_FIELD, SUMMARY_FIELD, EXIT_FIELD}


def unread_kind_tags(fields: frozenset[int]) -> frozenset[int]:
    """The one-byte tags of these record kinds (fields below 16, a message each): what follows a
    small `num` at the start of such a record, as `record_field`'s first test reads it."""
    return frozenset((number << 3) | 2 for number in fields if number < 16)
