"""The framing of W&B's `run-<id>.wandb` log: the header, LevelDB blocks and chunks, reassembled payloads.

The file is a 7-byte header (`:W&B`, uint16 magic 0xBEE1, uint8 version 0) followed by LevelDB log
framing: 32 KiB blocks of chunks `crc32 (uint32) | length (uint16) | type (uint8) | payload`, where
a block's last < 7 bytes are zero padding and a record larger than what is left of a block spans
FIRST, MIDDLE..., LAST chunks. Every reassembled payload is one protobuf `Record`.

Reading stops at the first thing that is wrong (a bad CRC of a record that is read, impossible
framing, the end of the file inside a record) and keeps what came before; the reason is returned
with the payloads.
"""

from __future__ import annotations

import struct
import zlib

from lib.sources.errors import SourceError
from lib.sources.wandb.run_log_proto import NUM_TAG

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
    payloads, _, problem = read_payloads_except(data, frozenset())
    return payloads, problem


def read_payloads_except(data: bytes, unread_tags: frozenset[int]) -> tuple[list[bytes], int, str | None]:
    """`read_payloads`, less the records a reader has no use for, with the count of all records.

    A record in one chunk whose first bytes are a small `num` and then a tag in `unread_tags`
    (`run_log_proto.unread_kind_tags`) is stepped over unsliced and unchecked: its CRC guards
    only bytes nobody reads. A damaged chunk header still stops reading, as a record that is read
    would then fail its CRC or framing check.
    """
    if HEADER.startswith(data[: len(HEADER)]) and len(data) <= len(HEADER):
        return [], 0, None
    if data[: len(HEADER)] != HEADER:
        raise SourceError("not a W&B run log: the file does not start with the ':W&B' header")
    payloads: list[bytes] = []
    problem, stepped_over = _split_chunks(data, len(HEADER), payloads, unread_tags)
    return payloads, len(payloads) + stepped_over, problem


def _split_chunks(
    data: bytes, pos: int, payloads: list[bytes], unread_tags: frozenset[int]
) -> tuple[str | None, int]:
    """Appends each reassembled payload to `payloads` but those stepped over (`unread_tags`);
    returns why it stopped early (if it did) and how many records it stepped over."""
    end, stepped_over, problem = len(data), 0, None
    # bound once: this loop runs for every record of every file
    unpack, crc32, seeds, head = CHUNK_HEADER.unpack_from, zlib.crc32, _TYPE_CRC, _HEAD
    append, num_tag = payloads.append, NUM_TAG
    pending: list[bytes] | None = None  # chunks of a record split across blocks
    while pos < end:
        left_in_block = BLOCK_SIZE - pos % BLOCK_SIZE
        if left_in_block < head:
            pos += left_in_block  # zero padding at the end of a block
            continue
        if end - pos < head:
            problem = f"the file ends inside a chunk header at byte {pos} (cut while being written)"
            break
        crc, length, kind = unpack(data, pos)
        if length > left_in_block - head or kind not in seeds:
            problem = _bad_chunk(data, pos, kind, length)
            break
        start = pos + head
        pos = start + length
        if pos > end:
            problem = f"the file ends inside a record at byte {start - head} (cut while being written)"
            break
        if (
            kind == FULL
            and length > 2
            and data[start + 2] in unread_tags
            and data[start] == num_tag
            and data[start + 1] < 0x80
            and pending is None
        ):
            stepped_over += 1
            continue
        payload = data[start:pos]
        if crc32(payload, seeds[kind]) != crc:
            problem = f"checksum mismatch at byte {start - head}: the file is damaged from there on"
            break
        if kind == FULL and pending is None:
            append(payload)
        elif kind == FULL or (kind == FIRST and pending is not None):
            problem = f"a record split across blocks is never finished (at byte {pos})"
            break
        elif kind == FIRST:
            pending = [payload]
        elif pending is None:
            problem = f"damaged framing at byte {pos}: a continuation chunk without its start"
            break
        else:
            pending.append(payload)
            if kind == LAST:
                append(b"".join(pending))
                pending = None
    if problem is None and pending is not None:
        problem = "the file ends inside a record (cut while being written)"
    return problem, stepped_over


def _bad_chunk(data: bytes, pos: int, kind: int, length: int) -> str:
    if not data[pos:].strip(b"\0"):
        return f"the file ends in zero bytes from byte {pos} (cut while being written)"
    return f"damaged framing at byte {pos} (chunk type {kind}, length {length})"
