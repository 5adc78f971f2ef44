"""Records the replay has no use for are stepped over in the framing, unsliced and unchecked.

Files are framed by `offline_runs.frame_records`, a writer independent of the reader; the history
reader, which needs every record, still gets them all.
"""

from __future__ import annotations

from wandb.proto.wandb_internal_pb2 import Record as WandbRecord

from lib.sources.wandb.run_log_frames import read_payloads, read_payloads_except
from lib.sources.wandb.run_log_proto import record_class, unread_kind_tags, unreplayed_fields
from lib.sources.wandb.run_log_replay import parse_run_log
from tests.sources.offline_runs import frame_records
from tests.sources.wandb.test_run_log import history_record, run_record, summary_record


def numbered(payload: bytes, num: int) -> bytes:
    """A record as W&B writes it: its `num` first."""
    record = WandbRecord.FromString(payload)
    record.num = num
    return record.SerializeToString()


UNREAD = unread_kind_tags(unreplayed_fields(record_class()))


def test_history_records_are_stepped_over_and_counted() -> None:
    records = [
        numbered(run_record("r1"), 1),
        numbered(history_record(loss=1.0), 2),
        numbered(summary_record(), 3),
    ]
    data = frame_records(records)
    kept, count, problem = read_payloads_except(data, UNREAD)
    assert (kept, count, problem) == ([records[0], records[2]], 3, None)
    assert read_payloads(data) == (records, None)  # the history reader still gets every record


def test_a_damaged_record_that_is_never_read_does_not_stop_the_replay() -> None:
    history = numbered(history_record(loss=1.0), 2)
    exit_record = WandbRecord(num=4)
    exit_record.exit.exit_code = 0
    records = [numbered(run_record("r1"), 1), history, numbered(summary_record([(("a",), "1")]), 3)]
    data = bytearray(frame_records([*records, exit_record.SerializeToString()]))
    at = bytes(data).index(history) + len(history) - 1
    data[at] ^= 0xFF  # the history record's last byte: its CRC no longer matches
    assert read_payloads(bytes(data))[1] is not None and "checksum" in str(read_payloads(bytes(data))[1])
    log = parse_run_log(bytes(data))
    assert (log.summary, log.exit_code, log.problem, log.record_count) == ({"a": 1}, 0, None, 4)


def test_a_record_that_does_not_decode_is_numbered_among_all_records() -> None:
    damaged = numbered(summary_record([(("loss",), "2")]), 4)[:-3] + b"\xff\xff\xff"
    records = [numbered(run_record("r1"), 1), numbered(history_record(loss=1.0), 2)]
    records += [numbered(history_record(loss=0.5), 3), damaged]
    log = parse_run_log(frame_records(records))
    assert log.problem is not None and "record 4 cannot be decoded" in log.problem
