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


HISTORY_FIELD, SUMMARY_FIELD = 2, 3  # `Record.history`, `Record.summary` (wandb_internal.proto)


def record_field(payload: bytes) -> int | None:
    """The number of a record's first field after `num`, read from its first bytes without decoding
    it (protobuf writes fields in number order; `num` is field 1). None when it is not plain."""
    i = 0
    if payload[:1] == b"\x08":  # Record.num, a varint
        i = 1
        while i < len(payload) and payload[i] & 0x80:
            i += 1
        i += 1
    if i >= len(payload) or payload[i] & 0x80:
        return None
    tag = payload[i]
    return tag >> 3 if tag & 0x7 == 2 else None  # only length-delimited (message) fields
