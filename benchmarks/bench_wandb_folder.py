"""How fast a big `wandb/` folder of offline runs loads, against the bare cost of decoding it.

    OMP_NUM_THREADS=1 python benchmarks/bench_wandb_folder.py [--runs 5000] [--steps 10]

The folder is generated once into benchmarks/.cache/ (git-ignored). It is NOT 5,000 runs of the
wandb package, which would take most of an hour: the wandb package writes 8 real offline runs of
`--steps` logged steps each, and those `.wandb` files are re-encoded into `--runs` run folders
with new run ids (in the run record and every record's stream id), new learning rates and batch
sizes in the run record's config, and shifted start times (`tests/sources/offline_runs.py`,
`clone_run_log`). Each clone folder holds only its `run-<id>.wandb`, as the loader reads nothing else.

Every figure comes from a fresh Python process (median of --repeats), with the files in the OS
page cache (the same for every figure):
- bare: read every `.wandb` file and `Record.FromString` each framed payload (no CRC check, no
  replay, no DataFrame; the list of paths is made before timing);
- cold: the first `load_wandb_folder` of a process (finding the folders, CRCs, replaying config and
  summary, the `Sweep`), parsing in forked workers as a single-threaded process does, and again
  parsing in-process as the threaded app server does; warm: the same call again (from the cache);
- parse: `read_run_logs` alone, in one process or split over a pool of 2 processes, spawned or forked.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.sources.offline_runs import OfflineRun, write_clone, write_offline_runs  # noqa: E402

CACHE = REPO / "benchmarks" / ".cache"
SOURCE_RUNS = 8

PROBE = r"""
import json, os, struct, sys, time
sys.path.insert(0, {repo!r})
from pathlib import Path
mode, folder = sys.argv[1], Path(sys.argv[2])
t0 = time.perf_counter()
from lib.sources.wandb import run_log
from lib.sources.wandb.local import load_wandb_folder
run_log.record_class()
t1 = time.perf_counter()
out = {{"import": t1 - t0}}
if mode == "bare":
    paths = sorted(folder.glob("offline-run-*/run-*.wandb"))
    Record = run_log.record_class()
    header = struct.Struct("<IHB")
    start = time.perf_counter()
    records = 0
    for path in paths:
        data = path.read_bytes()
        pos, pending = 7, b""
        while pos < len(data):
            left = 32768 - pos % 32768
            if left < 7:
                pos += left
                continue
            _, length, kind = header.unpack_from(data, pos)
            pending += data[pos + 7 : pos + 7 + length]
            pos += 7 + length
            if kind in (1, 4):
                Record.FromString(pending)
                records += 1
                pending = b""
    out.update(seconds=time.perf_counter() - start, records=records, files=len(paths))
elif mode in ("load", "load_in_process"):
    if mode == "load_in_process":
        run_log.PARALLEL_MIN_FILES = 10**9
    start = time.perf_counter()
    sweep = load_wandb_folder(folder)
    middle = time.perf_counter()
    again = load_wandb_folder(folder)
    end = time.perf_counter()
    assert again.runs.equals(sweep.runs)
    out.update(cold=middle - start, warm=end - middle, runs=len(sweep.runs), skipped=len(sweep.skipped))
elif mode == "serial":
    paths = sorted(folder.glob("offline-run-*/run-*.wandb"))
    start = time.perf_counter()
    logs = [run_log._parse_file(p) for p in paths]
    out.update(seconds=time.perf_counter() - start, parsed=len(logs))
else:  # "spawn" or "fork": the same parse split over a pool of 2 processes
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    paths = sorted(folder.glob("offline-run-*/run-*.wandb"))
    start = time.perf_counter()
    context = multiprocessing.get_context(mode)
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        parts = list(pool.map(run_log._parse_batch, [paths[0::2], paths[1::2]]))
    out.update(seconds=time.perf_counter() - start, parsed=sum(len(p) for p in parts))
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    folder = ensure_folder(args.runs, args.steps)
    size = sum(p.stat().st_size for p in folder.glob("offline-run-*/run-*.wandb"))
    print(f"{args.runs} offline runs x {args.steps} steps in {folder} ({size / 1e6:.1f} MB of .wandb files)")
    probe("bare", folder)  # one untimed pass, so every timed figure sees the files in the page cache
    runs = {mode: [probe(mode, folder) for _ in range(args.repeats)] for mode in MODES}
    bare = median(runs["bare"], "seconds")
    first = runs["bare"][0]
    print(f"records decoded            {first['records']:>9,}   in {first['files']:,} files")
    print(f"import of the loader       {median(runs['load'], 'import'):9.3f} s")
    print(f"bare read + decode         {bare:9.3f} s")
    for mode, label in (("load", "forked parse"), ("load_in_process", "in-process parse")):
        cold = median(runs[mode], "cold")
        print(f"cold load, {label:16s}{cold:9.3f} s   = {cold / bare:.2f} x bare")
    print(f"warm load (cached)         {median(runs['load'], 'warm'):9.3f} s")
    print(f"parse only, 1 process      {median(runs['serial'], 'seconds'):9.3f} s")
    print(f"parse only, 2 spawned      {median(runs['spawn'], 'seconds'):9.3f} s   (incl. their start)")
    print(f"parse only, 2 forked       {median(runs['fork'], 'seconds'):9.3f} s   (incl. their start)")


MODES = ("bare", "load", "load_in_process", "serial", "spawn", "fork")


def probe(mode: str, folder: Path) -> dict[str, float]:
    script = PROBE.format(repo=str(REPO))
    done = subprocess.run(
        [sys.executable, "-c", script, mode, str(folder)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def median(results: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in results)


def ensure_folder(n_runs: int, steps: int) -> Path:
    """The cached benchmark folder, generated on first use."""
    root = CACHE / f"wandb_folder_{n_runs}x{steps}"
    wandb_dir = root / "clones" / "wandb"
    if (root / "complete").exists():
        return wandb_dir
    started = time.perf_counter()
    sources = write_sources(root / "sources", steps)
    rng = random.Random(0)
    base_time = time.time() - n_runs
    for i in range(n_runs):
        write_clone(
            wandb_dir,
            sources[i % len(sources)],
            f"b{i:07d}",
            base_time + i,
            config={"lr": 10 ** rng.uniform(-4, -1), "batch_size": rng.choice([16, 32, 64, 128])},
            start_offset=float(i),
        )
    (root / "complete").touch()
    print(f"generated {n_runs} runs in {time.perf_counter() - started:.1f} s")
    return wandb_dir


def write_sources(root: Path, steps: int) -> list[bytes]:
    """`SOURCE_RUNS` real offline runs written by the wandb package; their `.wandb` bytes."""
    rng = random.Random(1)
    runs = []
    for i in range(SOURCE_RUNS):
        lr, width = 10 ** rng.uniform(-4, -1), rng.choice([32, 64, 128])
        history = [
            {"loss": 2.0 / (1 + step * lr * 100), "acc": 1 - 1 / (2 + step), "epoch": step}
            for step in range(steps)
        ]
        runs.append(
            OfflineRun(
                f"src{i:05d}",
                config={
                    "lr": lr,
                    "batch_size": 32,
                    "model": {"width": width, "depth": 1 + i % 3},
                    "opt": "adam",
                },
                history=history,
                name=f"source-{i}",
                group="bench",
                tags=["bench"],
                sweep_id="benchswp",
                max_of=["acc"],
            )
        )
    wandb_dir = write_offline_runs(root, runs, project="sweepscope-bench")
    return [next(wandb_dir.glob(f"offline-run-*-{r.run_id}/run-{r.run_id}.wandb")).read_bytes() for r in runs]


if __name__ == "__main__":
    main()
