"""Old Mac exports end lines with a bare carriage return: such a table is read, not refused."""

from __future__ import annotations

from pathlib import Path

from lib.sources import load_source


def test_a_table_with_bare_carriage_returns_loads_every_row(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_bytes(
        b"run_id,lr,val_loss\r" + b"".join(f"r{i},{10**-i},{0.1 * i}\r".encode() for i in range(1, 9))
    )
    sweep = load_source(str(path))
    assert len(sweep.runs) == 8
    assert sweep.runs["val_loss"].tolist() == [0.1 * i for i in range(1, 9)]


def test_mixed_line_ends_read_alike(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    rows = [b"run_id,lr,val_loss", *(f"r{i},{10**-i},{0.1 * i}".encode() for i in range(1, 9))]
    path.write_bytes(b"\r\n".join(rows[:4]) + b"\r" + b"\n".join(rows[4:]) + b"\n")
    assert len(load_source(str(path)).runs) == 8
