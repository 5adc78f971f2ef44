"""The framing of W&B's `run-<id>.wandb` log: the header, LevelDB blocks and chunks, reassembled payloads.

The file is a 7-byte header (`:W&B`, uint16 magic 0xBEE1, uint8 version 0) followed by LevelDB log
framing: 32 KiB blocks of chunks `crc32 (uint32) | length (uint16) | type (uint8) | payload`, where
a block's last < 7 bytes are zero padding and a record larger than what is left of a block spans
FIRST, MIDDLE..., LAST chunks. Every reassembled payload is one protobuf `Record`.

Reading stops at the first thing that is wrong (a bad CRC, impossible framing, the end of the file
inside a record) and keeps what came before; the reason is returned with the payloads.
"""

from __future__ import annotations

import struct
import zlib

from lib.sources.errors import SourceError

HEADER = b":W&B" + struct.pack("<HB", 0xBEE1, 0)
BLOCK_SIZE = 32 * 1024
CHUNK_HEADER = struct.Struct("<IHB")  # crc, length, type
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
_TYPE_CRC = {kind: zlib.crc32(bytes((kind,))) for kind in (FULL, FIRST, MIDDLE, LAST)}  # CRC seeds
_HEAD = CHUNK_HEADER.size


def read_payloads(data: bytes) -> tuple[list[bytes], str | None]:
    """The record payloads of a whole file, and why reading stopped early (None if it did not).

    A file of 0 bytes or only (part of) its header has no payloads and no problem: that is what a
    run killed in its first seconds leaves. Raises `SourceError` for bytes that are not a run log.
    """
    if HEADER.startswith(data[: len(HEADER)]) and len(data) <= len(HEADER):
        return [], None
    if data[: len(HEADER)] != HEADER:
        raise SourceError("not a W&B run log: the file does not start with the ':W&B' header")
    payloads: list[bytes] = []
    problem = _split_chunks(data, len(HEADER), payloads)
    return payloads, problem


def _split_chunks(data: bytes, pos: int, payloads: list[bytes]) -> str | None:
    """Appends each reassembled payload to `payloads`; returns why it stopped early, if it did."""
    end = len(data)
    # bound once: this loop runs for every record of every file
    unpack, crc32, seeds, head = CHUNK_HEADER.unpack_from, zlib.crc32, _TYPE_CRC, _HEAD
    append = payloads.append
    pending: list[bytes] | None = None  # chunks of a record split across blocks
    while pos < end:
        left_in_block = BLOCK_SIZE - pos % BLOCK_SIZE
        if left_in_block < head:
            pos += left_in_block  # zero padding at the end of a block
            continue
        if end - pos < head:
            return f"the file ends inside a chunk header at byte {pos} (cut while being written)"
        crc, length, kind = unpack(data, pos)
        if length > left_in_block - head or kind not in seeds:
            if not data[pos:].strip(b"\0"):
                return f"the file ends in zero bytes from byte {pos} (cut while being written)"
            return f"damaged framing at byte {pos} (chunk type {kind}, length {length})"
        start = pos + head
        pos = start + length
        if pos > end:
            return f"the file ends inside a record at byte {start - head} (cut while being written)"
        payload = data[start:pos]
        if crc32(payload, seeds[kind]) != crc:
            return f"checksum mismatch at byte {start - head}: the file is damaged from there on"
        if kind == FULL and pending is None:
            append(payload)
        elif kind == FULL or (kind == FIRST and pending is not None):
            return f"a record split across blocks is never finished (at byte {pos})"
        elif kind == FIRST:
            pending = [payload]
        elif pending is None:
            return f"damaged framing at byte {pos}: a continuation chunk without its start"
        else:
            pending.append(payload)
            if kind == LAST:
                append(b"".join(pending))
                pending = None
    if pending is not None:
        return "the file ends inside a record (cut while being written)"
    return None
