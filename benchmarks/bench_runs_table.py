"""How long a 10,000-run W&B runs-table export takes to load, as CSV and as Parquet.

The table has the real NevroHelios export's shape (106 columns: run fields, config with the copied
sweep config, summary): its 50 rows are repeated with fresh names and jittered metrics. Files are
written to benchmarks/.cache/. Figures: median wall time of `load_runs_table`, and how much of it
is the shared last step (`finish_sweep`: metric cleaning and kind inference).

    python benchmarks/bench_runs_table.py [--rows 10000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lib.sources.table import build as table_build  # noqa: E402

FIXTURE = (
    REPO
    / "tests/fixtures/real/wandb_runs_csv/NevroHelios__DeepWaste-Optimization__notebooks__wandb_export.csv"
)
CACHE = REPO / "benchmarks" / ".cache"
SUMMARY_START = "epoch"  # first summary column of the fixture


def export_like_fixture(rows: int, seed: int = 0) -> pd.DataFrame:
    """The fixture's rows repeated to `rows`, each run with its own name and slightly other metrics."""
    base = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    repeats = -(-rows // len(base))
    frame = pd.concat([base] * repeats, ignore_index=True).iloc[:rows].copy()
    frame["Name"] = [f"run-{i}" for i in range(rows)]
    rng = np.random.default_rng(seed)
    summary = list(frame.columns[list(frame.columns).index(SUMMARY_START) + 1 :])
    for column in summary:
        values = pd.to_numeric(frame[column], errors="coerce")
        frame[column] = (values * rng.uniform(0.95, 1.05, rows)).map(repr)
    return frame


def write_files(frame: pd.DataFrame) -> tuple[Path, Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    csv_path = CACHE / f"runs_table_{len(frame)}.csv"
    parquet_path = CACHE / f"runs_table_{len(frame)}.parquet"
    frame.to_csv(csv_path, index=False)
    typed = pd.read_csv(csv_path)  # Parquet as a tool would write it: typed columns
    typed.to_parquet(parquet_path, index=False)
    return csv_path, parquet_path


def timed(load: Callable[[], object], repeats: int) -> tuple[list[float], list[float]]:
    """Wall times of `load` and of the `finish_sweep` calls inside it, in milliseconds."""
    original = table_build.finish_sweep
    finish_times: list[float] = []

    def finish_timed(*args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        result = original(*args, **kwargs)
        finish_times.append((time.perf_counter() - start) * 1000)
        return result

    table_build.finish_sweep = finish_timed  # type: ignore[assignment]
    try:
        totals = []
        for _ in range(repeats):
            start = time.perf_counter()
            load()
            totals.append((time.perf_counter() - start) * 1000)
    finally:
        table_build.finish_sweep = original
    return totals, finish_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    csv_path, parquet_path = write_files(export_like_fixture(args.rows))
    sweep = table_build.load_runs_table(csv_path)
    print(
        f"{args.rows:,} runs x {len(pd.read_csv(csv_path, nrows=1).columns)} columns: "
        f"{len(sweep.params)} params, {len(sweep.metrics)} metrics; "
        f"CSV {csv_path.stat().st_size / 1e6:.1f} MB, Parquet {parquet_path.stat().st_size / 1e6:.1f} MB"
    )
    for label, path in (("CSV", csv_path), ("Parquet", parquet_path)):
        totals, finishes = timed(lambda p=path: table_build.load_runs_table(p), args.repeats)
        total, finish = statistics.median(totals), statistics.median(finishes)
        print(
            f"load_runs_table {label:8s} median {total:7.1f} ms (min {min(totals):.1f}, n={args.repeats}); "
            f"of which finish_sweep {finish:.1f} ms, reading and column roles {total - finish:.1f} ms"
        )


if __name__ == "__main__":
    main()
