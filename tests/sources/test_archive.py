from __future__ import annotations

import io
import os
import stat
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lib.sources import load_source
from lib.sources.archive import ZipTooLarge, extract_zip, folder_to_load, load_wandb_zip
from lib.sources.errors import SourceError

REAL_WANDB = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "real"
    / "wandb_dirs"
    / "Yogesh0arya__da6401_assignment1"
)
SWEEP_ID = "bk9z220w"
LIMITS = {"max_total_bytes": 1024 * 1024, "max_files": 100}


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Temporary folders land in tmp_path/scratch, so tests can see what is left behind or escapes."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    yield scratch


def zip_of(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in members.items():
            archive.writestr(zipfile.ZipInfo(name), content, compress_type=compression)
    return buffer.getvalue()


def zip_of_folder(folder: Path, prefix: str) -> dict[str, bytes]:
    return {
        f"{prefix}{p.relative_to(folder).as_posix()}": p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file()
    }


def with_symlink(data: bytes, name: str, target: str) -> bytes:
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as archive:
        info = zipfile.ZipInfo(name)
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, target)
    return buffer.getvalue()


def lying_about_size_of(data: bytes, member: str, claimed: int) -> bytes:
    """The zip with `member`'s uncompressed size in both its headers replaced by `claimed`."""
    patched = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(member)
    struct.pack_into("<I", patched, info.header_offset + 22, claimed)  # local file header
    encoded = member.encode()
    start = patched.find(b"PK\x01\x02")
    while start != -1:  # central directory entries: the name follows the 46-byte fixed part
        if patched[start + 46 : start + 46 + len(encoded)] == encoded:
            struct.pack_into("<I", patched, start + 24, claimed)
        start = patched.find(b"PK\x01\x02", start + 4)
    return bytes(patched)


def real_runs_zip(prefix: str = "") -> dict[str, bytes]:
    return zip_of_folder(REAL_WANDB / "wandb", f"{prefix}wandb/")


# --- happy path (needs lib.sources.wandb.local) -----------------------------------------------


@pytest.mark.parametrize("prefix", ["", "my-project/"])
def test_a_zipped_wandb_folder_loads_its_runs(private_tmp: Path, prefix: str) -> None:
    sweep = load_wandb_zip(zip_of(real_runs_zip(prefix)), name="runs.zip")
    assert len(sweep.runs) == 5
    assert sweep.sweep_ids == [SWEEP_ID]
    assert sweep.params and sweep.metrics
    assert sweep.source.startswith("runs.zip")
    assert not any("sweepscope-zip" in f"{a} {b}" for a, b in sweep.skipped)
    assert list(private_tmp.iterdir()) == []  # the unpacked copy is gone


def test_load_source_reads_a_zip_path(private_tmp: Path, tmp_path: Path) -> None:
    path = tmp_path / "wandb.zip"
    path.write_bytes(zip_of(real_runs_zip()))
    assert len(load_source(str(path)).runs) == 5


def test_hostile_members_are_skipped_and_the_rest_loads(private_tmp: Path, tmp_path: Path) -> None:
    members = {
        **real_runs_zip(),
        "../evil.txt": b"escaped",
        "/tmp_abs_evil.txt": b"absolute",
        "wandb/../../evil2.txt": b"escaped",
        "C:/windows_evil.txt": b"drive",
    }
    data = with_symlink(zip_of(members), "wandb/link", "/etc/passwd")
    sweep = load_wandb_zip(data, name="runs.zip")
    assert len(sweep.runs) == 5
    refused = dict(sweep.skipped)
    assert "'..'" in refused["../evil.txt"] and "'..'" in refused["wandb/../../evil2.txt"]
    assert "absolute" in refused["/tmp_abs_evil.txt"] and "absolute" in refused["C:/windows_evil.txt"]
    assert "symbolic link" in refused["wandb/link"]
    assert not (tmp_path / "evil.txt").exists() and not (private_tmp / "evil.txt").exists()
    assert not Path("/tmp_abs_evil.txt").exists()
    assert list(private_tmp.iterdir()) == []


def test_a_zip_without_runs_is_a_source_error_naming_the_upload(private_tmp: Path) -> None:
    with pytest.raises(SourceError) as caught:
        load_wandb_zip(zip_of({"notes/readme.txt": b"hello"}), name="empty.zip")
    assert "empty.zip" in str(caught.value) and "sweepscope-zip" not in str(caught.value)
    assert list(private_tmp.iterdir()) == []


# --- refusals --------------------------------------------------------------------------------


def test_not_a_zip_is_a_source_error(private_tmp: Path) -> None:
    for data in (b"", b"plain text, not a zip", b"PK\x03\x04" + b"\x00" * 40):
        with pytest.raises(SourceError, match="not a readable zip"):
            load_wandb_zip(data, name="upload.zip")


def test_a_zip_of_only_refused_members_says_so(private_tmp: Path) -> None:
    with pytest.raises(SourceError, match=r"Nothing in 'bad\.zip' could be unpacked"):
        load_wandb_zip(zip_of({"../a": b"x", "/b": b"y"}), name="bad.zip")


def test_a_bomb_that_declares_its_size_is_refused_before_unpacking(tmp_path: Path) -> None:
    data = zip_of({"wandb/big.bin": b"\x00" * (5 * 1024 * 1024)})
    assert len(data) < 50_000  # highly compressible: small upload, large unpacked
    with pytest.raises(ZipTooLarge, match=r"unpacks to 5\.0 MB"):
        extract_zip(data, "bomb.zip", tmp_path, **LIMITS)
    assert list(tmp_path.iterdir()) == []


def test_a_member_that_lies_about_its_size_is_dropped_and_the_rest_loads(
    private_tmp: Path, tmp_path: Path
) -> None:
    members = {**real_runs_zip(), "wandb/big.bin": b"\x00" * (5 * 1024 * 1024)}
    data = lying_about_size_of(zip_of(members), "wandb/big.bin", 10)
    sweep = load_wandb_zip(data, name="bomb.zip", **LIMITS)  # 5 MB real, 1 MB allowed
    assert len(sweep.runs) == 5
    assert "could not be unpacked" in dict(sweep.skipped)["wandb/big.bin"]
    assert list(private_tmp.iterdir()) == []
    extraction = extract_zip(data, "bomb.zip", tmp_path / "out", **LIMITS)
    assert not (tmp_path / "out" / "wandb" / "big.bin").exists()
    assert extraction.bytes_written < LIMITS["max_total_bytes"]


def test_counting_stops_a_member_that_yields_more_than_it_declares(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = zip_of({"wandb/small.txt": b"tiny"})
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, member: io.BytesIO(b"\x00" * 3_000_000))
    with pytest.raises(ZipTooLarge, match="zip bomb"):
        extract_zip(data, "bomb.zip", tmp_path, **LIMITS)


def test_the_declared_total_counts_every_member(tmp_path: Path) -> None:
    data = zip_of({f"wandb/part{i}.bin": b"\x00" * 300_000 for i in range(5)})
    extract_zip(data, "ok.zip", tmp_path / "a", max_total_bytes=2_000_000, max_files=100)
    with pytest.raises(ZipTooLarge, match="more than the"):
        extract_zip(data, "big.zip", tmp_path / "b", max_total_bytes=1_000_000, max_files=100)


def test_too_many_files_is_refused(tmp_path: Path) -> None:
    data = zip_of({f"wandb/f{i}.txt": b"x" for i in range(11)})
    with pytest.raises(ZipTooLarge, match="11 files"):
        extract_zip(data, "many.zip", tmp_path, max_total_bytes=10_000, max_files=10)


def test_macos_resource_forks_are_ignored_and_duplicates_skipped(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("__MACOSX/wandb/._x", b"fork")
        archive.writestr("wandb/a.txt", b"first")
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("wandb/a.txt", b"second")
    extraction = extract_zip(buffer.getvalue(), "mac.zip", tmp_path, **LIMITS)
    assert (tmp_path / "wandb" / "a.txt").read_bytes() == b"first"
    assert not (tmp_path / "__MACOSX").exists()
    assert extraction.files == 1
    assert [what for what, _ in extraction.skipped] == ["wandb/a.txt"]


def test_folder_to_load_steps_into_wrapping_folders(tmp_path: Path) -> None:
    (tmp_path / "project" / "wandb" / "run-20250101_000000-abc").mkdir(parents=True)
    (tmp_path / "project" / "wandb" / "run-20250101_000001-def").mkdir()
    assert folder_to_load(tmp_path) == tmp_path / "project" / "wandb"
    single = tmp_path / "one"
    (single / "run-20250101_000000-abc").mkdir(parents=True)
    assert folder_to_load(single) == single  # a run folder is not stepped into


def test_a_zip_path_is_read_only_when_it_is_a_regular_file_within_the_budget(
    private_tmp: Path, tmp_path: Path
) -> None:
    from lib.sources.archive import load_wandb_zip_path
    from lib.sources.reading import NotARegularFile

    good = tmp_path / "runs.zip"
    good.write_bytes(zip_of(zip_of_folder(REAL_WANDB, "wandb/")))
    assert len(load_wandb_zip_path(good).runs) > 0
    os.mkfifo(tmp_path / "pipe.zip")
    with pytest.raises(NotARegularFile, match="named pipe"):
        load_wandb_zip_path(tmp_path / "pipe.zip")  # refused before it is opened: no wait
    with pytest.raises(ZipTooLarge, match=r"'runs\.zip' is .* MB, more than the 0\.0 MB"):
        load_wandb_zip_path(good, max_total_bytes=1000)
    assert list(private_tmp.iterdir()) == []
