"""The hostile-input corpus: each case writes its input under a folder and says what loading it must give.

Inputs are built here, at test time (nothing large is committed). A case expects either a partial
load (`Partial`: the good runs loaded, each bad item listed in `Sweep.skipped` with a reason naming
what was wrong) or a refusal (`Refused`: a `SourceError` whose message names the limit). Beside each
wandb case sits a good run, so "one bad run sinks the folder" cannot pass.
"""

from __future__ import annotations

import io
import json
import os
import struct
import warnings
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.sources.offline_runs import frame_records

GOOD = "good0001"
BAD = "bad00001"
STAMP = "20250101_000000"
GOOD_CONFIG = b"wandb_version: 1\nlr:\n  value: 0.1\n"
GOOD_SUMMARY = b'{"acc": 0.9}'


@dataclass(frozen=True)
class Partial:
    """The load succeeds with exactly `runs`; each (item, reason) pair of `skipped` is found among
    `Sweep.skipped` as substrings of one entry's item and reason."""

    runs: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Refused:
    """The load raises `SourceError` whose message holds every text of `says`."""

    says: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], str]  # writes the input below the folder given; returns the spec to load
    expect: Partial | Refused
    env: Mapping[str, str] = field(default_factory=dict)  # settings for this case's process


# ---------------------------------------------------------------- wandb folders


def run_folder(wandb: Path, run_id: str, files: Mapping[str, bytes | None]) -> Path:
    """`wandb/run-<stamp>-<id>/files/<name>` for each of `files` (None: not written)."""
    folder = wandb / f"run-{STAMP}-{run_id}"
    (folder / "files").mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if content is not None:
            (folder / "files" / name).write_bytes(content)
    return folder


def beside_a_good_run(
    bad_files: Mapping[str, bytes | None], *, special: Callable[[Path], None] | None = None
) -> Callable[[Path], str]:
    """A wandb/ folder with the good run and a bad one (`special` makes its odd files)."""

    def build(base: Path) -> str:
        wandb = base / "wandb"
        run_folder(wandb, GOOD, {"config.yaml": GOOD_CONFIG, "wandb-summary.json": GOOD_SUMMARY})
        files = {"config.yaml": GOOD_CONFIG, "wandb-summary.json": GOOD_SUMMARY, **bad_files}
        folder = run_folder(wandb, BAD, files)
        if special is not None:
            special(folder / "files")
        return str(wandb)

    return build


def bad_run_skipped(reason: str, *more: str) -> Partial:
    return Partial(runs=(GOOD,), skipped=tuple((f"run-{STAMP}-{BAD}", text) for text in (reason, *more)))


def nested_json(levels: int, *, objects: bool = False) -> bytes:
    if objects:
        return b'{"a": ' * levels + b"1" + b"}" * levels
    return b"[" * levels + b"]" * levels


def summary_with(value: bytes) -> bytes:
    return b'{"acc": 0.5, "v": ' + value + b"}"


def yaml_alias_bomb(levels: int = 9, fanout: int = 10) -> bytes:
    """Each anchor lists `fanout` aliases of the one before: `fanout ** levels` values expanded."""
    lines = ["wandb_version: 1", "a0: &a0 [x]"]
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * fanout)}]")
    return ("\n".join(lines) + "\n").encode()


def yaml_block_nesting(levels: int) -> bytes:
    """`k:` nested `levels` deep in block style, one space more each level (a config key 5,000 deep)."""
    return b"".join(b" " * depth + b"k:\n" for depth in range(levels)) + b" " * levels + b"v\n"


def make_fifo(name: str) -> Callable[[Path], None]:
    return lambda files: os.mkfifo(files / name)


def link_to(name: str, target: str) -> Callable[[Path], None]:
    return lambda files: os.symlink(target, files / name)


DEPTH_LIMIT = "nested more than 100 levels deep (set SWEEPSCOPE_MAX_DEPTH to raise it)"
DIGITS_LIMIT = "digits, over the 100 Sweepscope reads (set SWEEPSCOPE_MAX_INT_DIGITS to raise it)"
VALUES_LIMIT = "set SWEEPSCOPE_MAX_VALUES to raise it"

WANDB_CASES = [
    Case(
        "json-summary-100k-deep-lists",
        beside_a_good_run({"wandb-summary.json": nested_json(100_000)}),
        bad_run_skipped(f"files/wandb-summary.json is {DEPTH_LIMIT}"),
    ),
    Case(
        "json-summary-50k-deep-objects",
        beside_a_good_run({"wandb-summary.json": nested_json(50_000, objects=True)}),
        bad_run_skipped(f"files/wandb-summary.json is {DEPTH_LIMIT}"),
    ),
    Case(
        "json-summary-deep-value",
        beside_a_good_run({"wandb-summary.json": summary_with(nested_json(5_000))}),
        bad_run_skipped(DEPTH_LIMIT),
    ),
    Case(
        "json-summary-101-deep",  # one past the limit: the scan counts exactly
        beside_a_good_run({"wandb-summary.json": summary_with(nested_json(100))}),
        bad_run_skipped(DEPTH_LIMIT),
    ),
    Case(
        "json-brackets-inside-strings-are-text",
        beside_a_good_run({"wandb-summary.json": summary_with(b'"' + b"[{" * 50_000 + b'"')}),
        Partial(runs=(BAD, GOOD)),
    ),
    Case(
        # wandb-metadata.json only gives the start time: a bad one is ignored, the run still loads
        "json-metadata-100k-deep",
        beside_a_good_run({"wandb-metadata.json": nested_json(100_000)}),
        Partial(runs=(BAD, GOOD)),
    ),
    Case(
        "json-integer-5000-digits",
        beside_a_good_run({"wandb-summary.json": summary_with(b"7" * 5_000)}),
        bad_run_skipped(f"integer of 5,000 {DIGITS_LIMIT}"),
    ),
    Case(
        "json-negative-integer-5000-digits",
        beside_a_good_run({"wandb-summary.json": summary_with(b"-" + b"7" * 5_000)}),
        bad_run_skipped(f"integer of 5,000 {DIGITS_LIMIT}"),
    ),
    Case(
        "json-float-5000-digits-is-a-number",
        beside_a_good_run({"wandb-summary.json": summary_with(b"0." + b"7" * 5_000)}),
        Partial(runs=(BAD, GOOD)),
    ),
    Case(
        "json-300k-values",
        beside_a_good_run({"wandb-summary.json": b'{"acc": 0.5, "v": [' + b"0," * 300_000 + b"0]}"}),
        bad_run_skipped(f"values, over the 200,000 Sweepscope reads ({VALUES_LIMIT})"),
    ),
    Case(
        "json-summary-25-mb",
        beside_a_good_run({"wandb-summary.json": summary_with(b'"' + b"x" * (25 * 2**20) + b'"')}),
        bad_run_skipped("over the 20 MB Sweepscope reads per file (set SWEEPSCOPE_MAX_FILE_MB to raise it)"),
    ),
    Case(
        "json-200k-summary-keys",
        beside_a_good_run({"wandb-summary.json": json.dumps({f"k{i}": i for i in range(200_000)}).encode()}),
        bad_run_skipped("more than 10,000 config and summary keys", "SWEEPSCOPE_MAX_KEYS_PER_RUN"),
    ),
    Case(
        "yaml-alias-to-itself-list",
        beside_a_good_run({"config.yaml": b"a: &a [*a]\n"}),
        bad_run_skipped("files/config.yaml holds a YAML alias that refers to itself"),
    ),
    Case(
        "yaml-alias-to-itself-mapping",
        beside_a_good_run({"config.yaml": b"a: &a {value: {b: *a}}\n"}),
        bad_run_skipped("files/config.yaml holds a YAML alias that refers to itself"),
    ),
    Case(
        "yaml-alias-bomb-10e9",
        beside_a_good_run({"config.yaml": yaml_alias_bomb()}),
        bad_run_skipped("files/config.yaml expands to more than 200,000 values", VALUES_LIMIT),
    ),
    Case(
        "yaml-aliases-nesting-past-the-depth",  # 150 anchors, each a list holding the one before
        beside_a_good_run(
            {
                "config.yaml": b"a0: &a0 [x]\n"
                + b"".join(f"a{i}: &a{i} [*a{i - 1}]\n".encode() for i in range(1, 151))
            }
        ),
        bad_run_skipped(DEPTH_LIMIT),
    ),
    Case(
        "yaml-config-key-5000-deep-block",
        beside_a_good_run({"config.yaml": yaml_block_nesting(5_000)}),
        bad_run_skipped(f"files/config.yaml is {DEPTH_LIMIT}"),
    ),
    Case(
        "yaml-5000-deep-flow",
        beside_a_good_run({"config.yaml": b"a: " + b"[" * 5_000 + b"]" * 5_000 + b"\n"}),
        bad_run_skipped(f"files/config.yaml is {DEPTH_LIMIT}"),
    ),
    Case(
        "yaml-million-open-brackets",
        beside_a_good_run({"config.yaml": b"x: " + b"[" * 1_000_000}),
        bad_run_skipped(f"files/config.yaml is {DEPTH_LIMIT}"),
    ),
    Case(
        "yaml-integer-5000-digits",
        beside_a_good_run({"config.yaml": b"lr:\n  value: " + b"7" * 5_000 + b"\n"}),
        bad_run_skipped(f"files/config.yaml holds an integer of 5,000 {DIGITS_LIMIT}"),
    ),
    Case(
        "yaml-hex-integer-5000-digits",
        beside_a_good_run({"config.yaml": b"lr:\n  value: 0x" + b"f" * 5_000 + b"\n"}),
        bad_run_skipped(f"files/config.yaml holds an integer of 5,002 {DIGITS_LIMIT}"),
    ),
    Case(
        "yaml-quoted-digits-are-text",
        beside_a_good_run({"config.yaml": b'lr:\n  value: "' + b"7" * 5_000 + b'"\n'}),
        Partial(runs=(BAD, GOOD)),
    ),
    Case(
        "config-yaml-is-a-fifo",
        beside_a_good_run({"config.yaml": None}, special=make_fifo("config.yaml")),
        bad_run_skipped("files/config.yaml is a named pipe (FIFO), not a regular file"),
    ),
    Case(
        "summary-json-is-a-fifo",
        beside_a_good_run({"wandb-summary.json": None}, special=make_fifo("wandb-summary.json")),
        bad_run_skipped("files/wandb-summary.json is a named pipe (FIFO), not a regular file"),
    ),
    Case(
        "config-yaml-links-to-dev-zero",
        beside_a_good_run({"config.yaml": None}, special=link_to("config.yaml", "/dev/zero")),
        bad_run_skipped("files/config.yaml is a device, not a regular file"),
    ),
    Case(
        "config-yaml-is-a-folder",
        beside_a_good_run({"config.yaml": None}, special=lambda files: (files / "config.yaml").mkdir()),
        bad_run_skipped("files/config.yaml is a folder, not a file"),
    ),
    Case(
        "values-over-a-megabyte-left-out",
        beside_a_good_run({"wandb-summary.json": summary_with(b'"' + b"x" * (2 * 2**20) + b'"')}),
        Partial(runs=(BAD, GOOD)),
    ),
]


# ---------------------------------------------------------------- .wandb run logs


def run_log_case(summary_value: bytes) -> Callable[[Path], str]:
    """An offline run whose run log sets summary `v` to `summary_value`, beside the good run."""

    def build(base: Path) -> str:
        from tests.sources.wandb.test_run_log import exit_record, run_record, summary_record

        wandb = base / "wandb"
        run_folder(wandb, GOOD, {"config.yaml": GOOD_CONFIG, "wandb-summary.json": GOOD_SUMMARY})
        folder = wandb / f"offline-run-{STAMP}-{BAD}"
        folder.mkdir(parents=True)
        records = [
            run_record(BAD, {"lr": 0.2}),
            summary_record([("acc", "0.5"), ("v", summary_value.decode())]),
            exit_record(0),
        ]
        (folder / f"run-{BAD}.wandb").write_bytes(frame_records(records))
        return str(wandb)

    return build


def run_log_nested_key_case(depth: int) -> Callable[[Path], str]:
    """An offline run whose run log sets a summary key nested `depth` levels (W&B's own record class)."""

    def build(base: Path) -> str:
        from tests.sources.wandb.test_run_log import exit_record, run_record, summary_record

        wandb = base / "wandb"
        run_folder(wandb, GOOD, {"config.yaml": GOOD_CONFIG, "wandb-summary.json": GOOD_SUMMARY})
        folder = wandb / f"offline-run-{STAMP}-{BAD}"
        folder.mkdir(parents=True)
        path = tuple(f"k{i}" for i in range(depth))
        records = [
            run_record(BAD, {"lr": 0.2}),
            summary_record([("acc", "0.5"), (path, "1")]),
            exit_record(0),
        ]
        (folder / f"run-{BAD}.wandb").write_bytes(frame_records(records))
        return str(wandb)

    return build


RUN_LOG_CASES = [
    Case(
        "run-log-key-nested-5000-deep",  # the key is left out with a note; the run's acc loads
        run_log_nested_key_case(5_000),
        Partial(runs=(BAD, GOOD), skipped=()),
    ),
    Case(
        "run-log-value-100k-deep",  # the value is left out with a note; the run's other values load
        run_log_case(nested_json(100_000)),
        Partial(runs=(BAD, GOOD)),
    ),
    Case("run-log-integer-5000-digits", run_log_case(b"7" * 5_000), Partial(runs=(BAD, GOOD))),
]


# ---------------------------------------------------------------- zips


def zip_case(
    members: list[tuple[zipfile.ZipInfo | str, bytes]], *, patch: Callable[[bytes], bytes] | None = None
) -> Callable[[Path], str]:
    """`upload.zip` of the good run and `members` (written in order; `patch` edits the bytes)."""

    def build(base: Path) -> str:
        buffer = io.BytesIO()
        with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            warnings.simplefilter("ignore")  # duplicate names are meant
            archive.writestr(f"wandb/run-{STAMP}-{GOOD}/files/config.yaml", GOOD_CONFIG)
            archive.writestr(f"wandb/run-{STAMP}-{GOOD}/files/wandb-summary.json", GOOD_SUMMARY)
            for name, content in members:
                archive.writestr(name, content)
        data = buffer.getvalue()
        path = base / "upload.zip"
        path.write_bytes(patch(data) if patch else data)
        return str(path)

    return build


def bad_member(name: str) -> str:
    return f"wandb/run-{STAMP}-{BAD}/files/{name}"


def symlink_member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (0o120777) << 16
    return info


def lie_about_size(data: bytes, *, declared: int) -> bytes:
    """Members whose name holds 'bomb' say they unpack to `declared` bytes, in both headers."""
    out = bytearray(data)
    # (signature, offset of the uncompressed size, of the name's length, of the name)
    for signature, size_at, length_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        at = out.find(signature)
        while at >= 0:
            (length,) = struct.unpack_from("<H", out, at + length_at)
            if b"bomb" in out[at + name_at : at + name_at + length]:
                struct.pack_into("<I", out, at + size_at, declared)
            at = out.find(signature, at + 4)
    return bytes(out)


def invalid_utf8_name(placeholder: bytes) -> Callable[[bytes], bytes]:
    """The member named with `placeholder` gets bytes that are not UTF-8, and the flag saying they are."""

    def patch(data: bytes) -> bytes:
        out = bytearray(data.replace(placeholder, b"\xff\xfe\xfd\xfc"))
        for signature, flags_at, length_at, name_at in (
            (b"PK\x03\x04", 6, 26, 30),
            (b"PK\x01\x02", 8, 28, 46),
        ):
            at = out.find(signature)
            while at >= 0:
                (length,) = struct.unpack_from("<H", out, at + length_at)
                if b"\xff\xfe" in out[at + name_at : at + name_at + length]:
                    (flags,) = struct.unpack_from("<H", out, at + flags_at)
                    struct.pack_into("<H", out, at + flags_at, flags | 0x800)
                at = out.find(signature, at + 4)
        return bytes(out)

    return patch


def other_bytes(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    return lambda data: data.replace(old, new)


def not_a_zip(base: Path) -> str:
    path = base / "upload.zip"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    return str(path)


ZIP_CASES = [
    Case(
        "zip-duplicate-names",
        zip_case([(bad_member("config.yaml"), GOOD_CONFIG), (bad_member("config.yaml"), b"lr: [")]),
        Partial(runs=(BAD, GOOD), skipped=((bad_member("config.yaml"), "the same path appears twice"),)),
    ),
    Case(
        "zip-unicode-equivalent-names",  # é composed, then e + combining acute: one name on macOS
        zip_case([(bad_member("caf\u00e9.txt"), b"1"), (bad_member("cafe\u0301.txt"), b"2")]),
        Partial(
            runs=(GOOD,),
            skipped=((bad_member("cafe\u0301.txt"), "appears twice in the zip (perhaps in other Unicode)"),),
        ),
    ),
    Case(
        "zip-right-to-left-override-in-a-name",
        zip_case([(bad_member("gpj.\u202eyaml"), b"1")]),
        Partial(runs=(GOOD,), skipped=((bad_member("gpj.\u202eyaml"), "control or direction-changing"),)),
    ),
    Case(
        "zip-escape-codes-in-a-name",
        zip_case([(bad_member("\x1b[31mred.txt"), b"1")]),
        Partial(runs=(GOOD,), skipped=((bad_member("\x1b[31mred.txt"), "control or direction-changing"),)),
    ),
    Case(
        "zip-name-part-over-255-bytes",
        zip_case([(bad_member("\u00e9" * 200), b"1")]),
        Partial(runs=(GOOD,), skipped=(("\u00e9" * 200, "over 255 bytes, too long for a file name"),)),
    ),
    Case(
        "zip-file-and-folder-of-one-name",
        zip_case([(f"wandb/run-{STAMP}-{BAD}/files", b"x"), (bad_member("config.yaml"), GOOD_CONFIG)]),
        Partial(runs=(GOOD,), skipped=((bad_member("config.yaml"), "could not be written (File exists)"),)),
    ),
    Case(
        # the name says it is UTF-8 and is not: Python's zipfile cannot list such an archive at all
        "zip-invalid-utf8-name",
        zip_case([(bad_member("XXXX.txt"), b"1")], patch=invalid_utf8_name(b"XXXX")),
        Refused(("is not a readable zip archive", "can't decode", "Zip the wandb/ folder again")),
    ),
    Case(
        "zip-cp437-name-is-read-as-cp437",  # no UTF-8 flag: the old DOS code page, every byte a letter
        zip_case([(bad_member("XXXX.txt"), b"1")], patch=other_bytes(b"XXXX", b"\xff\xfe\x80\x81")),
        Partial(runs=(GOOD,)),
    ),
    Case(
        "zip-dot-dot-and-absolute-and-link",
        zip_case([("../../evil.txt", b"1"), ("/etc/evil", b"1"), (symlink_member("wandb/link"), b"/etc")]),
        Partial(
            runs=(GOOD,),
            skipped=(
                ("../../evil.txt", "climbs out"),
                ("/etc/evil", "absolute path"),
                ("wandb/link", "symbolic link"),
            ),
        ),
    ),
    Case(
        "zip-member-lies-about-its-size",  # says 1 KB, inflates to 20 MB: stopped at what it declared
        zip_case(
            [(bad_member("bomb.bin"), b"\0" * (20 * 2**20))], patch=lambda d: lie_about_size(d, declared=1024)
        ),
        Partial(runs=(GOOD,), skipped=((bad_member("bomb.bin"), "could not be unpacked"),)),
    ),
    Case(
        "zip-unpacks-past-the-budget",
        zip_case([(bad_member("zeros.bin"), b"\0" * (5 * 2**20))]),
        Refused(("unpacks to 5.0 MB, more than the 2.0 MB", "SWEEPSCOPE_MAX_ZIP_MB")),
        env={"SWEEPSCOPE_MAX_ZIP_MB": "2"},
    ),
    Case(
        "zip-many-entries",
        zip_case([(f"wandb/empty-{i}/", b"") for i in range(100)]),
        Refused(("lists 102 entries", "SWEEPSCOPE_MAX_ZIP_FILES")),
        env={"SWEEPSCOPE_MAX_ZIP_FILES": "10"},
    ),
    Case(
        "zip-deep-json-inside",
        zip_case(
            [
                (bad_member("config.yaml"), GOOD_CONFIG),
                (bad_member("wandb-summary.json"), nested_json(100_000)),
            ]
        ),
        Partial(runs=(GOOD,), skipped=((f"run-{STAMP}-{BAD}", DEPTH_LIMIT),)),
    ),
    Case(
        "zip-that-is-not-a-zip",
        not_a_zip,
        Refused(("'upload.zip' is not a readable zip archive",)),
    ),
]


# ---------------------------------------------------------------- snapshots and folders


def snapshot_case(meta: bytes) -> Callable[[Path], str]:
    def build(base: Path) -> str:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({"acc": [0.1, 0.2]}).replace_schema_metadata({b"sweepscope.snapshot": meta})
        pq.write_table(table, base / "runs.parquet")
        return str(base / "runs.parquet")

    return build


def table_case(bad_cell: str) -> Callable[[Path], str]:
    """A two-run CSV whose first run has `bad_cell` in its last column."""

    def build(base: Path) -> str:
        (base / "runs.csv").write_text(f"name,lr,acc,extra\na,0.1,0.5,{bad_cell}\nb,0.2,0.6,1\n")
        return str(base / "runs.csv")

    return build


def optuna_case(attribute_json: str) -> Callable[[Path], str]:
    """A three-trial Optuna study, one trial carrying a user attribute stored as `attribute_json`."""

    def build(base: Path) -> str:
        import sqlite3

        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        url = f"sqlite:///{base / 'study.db'}"
        study = optuna.create_study(storage=url, study_name="s", sampler=optuna.samplers.RandomSampler(0))
        study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=3)
        with sqlite3.connect(base / "study.db") as connection:
            connection.execute(
                "INSERT INTO trial_user_attributes (trial_id, key, value_json) VALUES (1, 'blob', ?)",
                (attribute_json,),
            )
        return url

    return build


TABLE_RUNS = Partial(runs=("a", "b"))


def many_empty_run_folders(count: int) -> Callable[[Path], str]:
    def build(base: Path) -> str:
        wandb = base / "wandb"
        run_folder(wandb, GOOD, {"config.yaml": GOOD_CONFIG, "wandb-summary.json": GOOD_SUMMARY})
        for index in range(count):
            (wandb / f"run-{STAMP}-e{index:07d}").mkdir()
        return str(wandb)

    return build


OTHER_CASES = [
    Case(
        # not a snapshot after all: its rows are still a readable runs table
        "snapshot-metadata-not-json",
        snapshot_case(b"{not json"),
        Partial(runs=("1", "2")),
    ),
    Case(
        "twenty-thousand-empty-run-folders",
        many_empty_run_folders(20_000),
        Partial(runs=(GOOD,), skipped=((f"run-{STAMP}-e0019999", "no run-<id>.wandb and no files/"),)),
    ),
]

TABLE_CASES = [
    Case("csv-integer-5000-digits", table_case("7" * 5_000), TABLE_RUNS),
    Case("csv-cell-5000-deep-list", table_case("[" * 5_000 + "]" * 5_000), TABLE_RUNS),
    Case("csv-cell-3000-deep-dict", table_case('"' + "{'a': " * 3_000 + "1" + "}" * 3_000 + '"'), TABLE_RUNS),
    Case("csv-cell-of-5-mb", table_case("x" * 5_000_000), TABLE_RUNS),
    Case("csv-dict-cell-with-a-5000-digit-integer", table_case("\"{'a': " + "7" * 5_000 + '}"'), TABLE_RUNS),
    Case(
        "optuna-attribute-integer-5000-digits",
        optuna_case("7" * 5_000),
        Partial(runs=("trial-0", "trial-1", "trial-2")),
    ),
]


def run_log_fifo(base: Path) -> str:
    """An offline run whose `run-<id>.wandb` is a named pipe, beside the good run."""
    wandb = base / "wandb"
    run_folder(wandb, GOOD, {"config.yaml": GOOD_CONFIG, "wandb-summary.json": GOOD_SUMMARY})
    folder = wandb / f"offline-run-{STAMP}-{BAD}"
    folder.mkdir(parents=True)
    os.mkfifo(folder / f"run-{BAD}.wandb")
    return str(wandb)


def debug_log_fifo(base: Path) -> str:
    """Both runs readable, one with `logs/debug.log` a named pipe (the log only adds config)."""
    spec = beside_a_good_run({})(base)
    logs = Path(spec) / f"run-{STAMP}-{BAD}" / "logs"
    logs.mkdir()
    os.mkfifo(logs / "debug.log")
    return spec


def spec_fifo(base: Path) -> str:
    os.mkfifo(base / "runs.csv")
    return str(base / "runs.csv")


def run_folder_link_loop(base: Path) -> str:
    """A run folder that is a symbolic link to itself, beside the good run."""
    wandb = base / "wandb"
    run_folder(wandb, GOOD, {"config.yaml": GOOD_CONFIG, "wandb-summary.json": GOOD_SUMMARY})
    loop = wandb / f"run-{STAMP}-{BAD}"
    loop.symlink_to(loop.name)
    return str(wandb)


def spec_link_loop(base: Path) -> str:
    (base / "runs.csv").symlink_to("runs.csv")
    return str(base / "runs.csv")


FIFO_CASES = [
    Case(
        "typed-path-is-a-link-loop",
        spec_link_loop,
        Refused(("'runs.csv' is a symbolic link that leads back",)),
    ),
    Case(
        "run-folder-is-a-link-loop",
        run_folder_link_loop,
        Partial(runs=(GOOD,), skipped=((f"run-{STAMP}-{BAD}", "leads back to itself (a loop)"),)),
    ),
    Case(
        "run-log-is-a-fifo",
        run_log_fifo,
        Partial(
            runs=(GOOD,), skipped=((f"offline-run-{STAMP}-{BAD}", "named pipe (FIFO), not a regular file"),)
        ),
    ),
    Case("debug-log-is-a-fifo", debug_log_fifo, Partial(runs=(BAD, GOOD))),
    Case("typed-path-is-a-fifo", spec_fifo, Refused(("'runs.csv' is a named pipe (FIFO)",))),
]

CASES = [*WANDB_CASES, *RUN_LOG_CASES, *ZIP_CASES, *TABLE_CASES, *OTHER_CASES, *FIFO_CASES]


def wide_table(n_columns: int) -> Callable[[Path], str]:
    def build(base: Path) -> str:
        header = ",".join(f"c{i}" for i in range(n_columns))
        row = ",".join("1" for _ in range(n_columns))
        (base / "wide.csv").write_text(f"{header}\n{row}\n{row}\n")
        return str(base / "wide.csv")

    return build


def long_table(n_rows: int) -> Callable[[Path], str]:
    def build(base: Path) -> str:
        rows = "".join(f"r{i},{i % 7},{i % 3}\n" for i in range(n_rows))
        (base / "long.csv").write_text("name,lr,acc\n" + rows)
        return str(base / "long.csv")

    return build


BUDGET_CASES = [
    Case(
        "run-folders-over-the-budget",  # the newest are read (the good run), the oldest listed
        many_empty_run_folders(2_000),
        Partial(runs=(GOOD,), skipped=(("the 1,001 oldest run folders", "SWEEPSCOPE_MAX_RUN_FOLDERS"),)),
        env={"SWEEPSCOPE_MAX_RUN_FOLDERS": "1000"},
    ),
    Case(
        "csv-of-100000-columns",
        wide_table(100_000),
        Refused(("100,000 columns", "SWEEPSCOPE_MAX_TABLE_COLUMNS")),
    ),
    Case(
        "csv-rows-over-the-budget",
        long_table(1_200),
        Partial(
            runs=tuple(sorted(f"r{i}" for i in range(1_000))),
            skipped=(("200 row(s) after row 1,000", "SWEEPSCOPE_MAX_TABLE_ROWS"),),
        ),
        env={"SWEEPSCOPE_MAX_TABLE_ROWS": "1000"},
    ),
]
CASES = [*CASES, *BUDGET_CASES]
