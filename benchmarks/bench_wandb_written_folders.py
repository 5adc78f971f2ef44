"""How fast `load_source(<wandb dir>)` reads run folders as the wandb package writes them, against bare.

    OMP_NUM_THREADS=1 python benchmarks/bench_wandb_written_folders.py [--runs 5000] [--repeats 5]
        [--before /tmp/loader-before] [--busy both|no|only]

Unlike bench_wandb_folder.py (folders holding only `run-<id>.wandb`), every clone folder here holds
everything the wandb package wrote: `files/` (requirements.txt, output.log; wandb 0.31 offline
writes no config.yaml, wandb-summary.json or wandb-metadata.json there), `logs/debug.log`,
`logs/debug-internal.log`, the `logs/debug-core.log` link, `tmp/code/`, and a run log with every
record type W&B writes (stats, telemetry, environment, output, files ...), with `latest-run` and the
`debug*.log` links beside the runs. Sources: half written by `write_offline_runs` (its quiet
settings), half by the wandb package with its default settings (system stats, console capture,
metadata, requirements) printing a line per step; each has a config, 10 logged steps, summary
updates and a finish. The clones change the run id in the folder name, the `.wandb` file name and
its records (`clone_run_log`: new lr and batch size in the run record, shifted start times); every
other file is copied as it is. Generated once into benchmarks/.cache/ (git-ignored).

Figures (each from a fresh Python process with the loader imported and `Record` built first, files
in the page cache; medians over --repeats rounds that interleave every variant):
- bare: every run log's bytes read, split into records (no CRC check) and every record decoded
  with `record_class().FromString`, nothing else (the list of paths is made before timing; the
  loader reads no other file of these folders: their offline run logs all have a run record).
  "forked" shares the files out as the checkout's loader does for a cold load from a
  single-threaded process (`run_log.map_forked` where it has one, else the pool of 2 forked
  workers older loaders used), the workers' start and end included; "in-process" does it all in
  one process, as the threaded app server does;
- cold: the first `load_source(<wandb dir>)` of the process, with and without
  `allowed_roots=[<its parent>]` (the app always passes allowed roots); warm: the same load again,
  from the caches (`RUN_LOG_CACHE`, `ONLINE_CACHE`, cleared before the next cold one);
- wall and CPU time (this process and its reaped workers; steadier on a shared machine);
- busy: the same rounds while a CPU-burning process runs on each core.
With --before, a checkout of other loader code (`git worktree add /tmp/loader-before <commit>`)
is timed in the same rounds, and both must report the same sweep (runs, skipped, notes).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.sources.offline_runs import (  # noqa: E402
    OfflineRun,
    _offline_env,
    clone_run_log,
    write_offline_runs,
)

CACHE = REPO / "benchmarks" / ".cache"
SOURCE_RUNS = 8  # half quiet, half with wandb's default settings

PROBE = r"""
import hashlib, json, os, statistics, struct, sys, time
from pathlib import Path
repo, what, folder, parallel = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4]
allowed = sys.argv[5] == "1"
sys.path.insert(0, repo)
import pandas
from lib.sources import load_source
from lib.sources.wandb import run_log
from lib.sources.wandb.run_files import ONLINE_CACHE
Record = run_log.record_class()
# imports warm: every module a load imports lazily (the readers tried first, pandas paths) is loaded
# by a load of a few other run folders, whose parses then leave the caches
load_source(str(folder.parents[1] / "warmup" / "wandb"), allowed_roots=[folder.parents[1] / "warmup"])
load_source(str(folder.parents[1] / "warmup" / "wandb"))
run_log.RUN_LOG_CACHE.clear()
ONLINE_CACHE.clear()
HEADER = struct.Struct("<IHB")


def cpu():  # this process and its reaped children (forked workers): steadier than the wall clock
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def bare_batch(paths):
    records = 0
    for path in paths:
        data = path.read_bytes()
        pos, pending = 7, b""
        while pos < len(data):
            left = 32768 - pos % 32768
            if left < 7:
                pos += left
                continue
            _, length, kind = HEADER.unpack_from(data, pos)
            pending += data[pos + 7 : pos + 7 + length]
            pos += 7 + length
            if kind in (1, 4):
                Record.FromString(pending)
                records += 1
                pending = b""
    return records


def bare():
    paths = sorted(folder.glob("*run-*/run-*.wandb"))
    start, start_cpu = time.perf_counter(), cpu()
    if parallel == "forked" and hasattr(run_log, "map_forked"):  # the loader's own workers
        records = sum(run_log.map_forked(lambda path: bare_batch([path]), paths))
    elif parallel == "forked":  # the pool older loaders forked for a cold load
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        workers = min(len(os.sched_getaffinity(0)), run_log.MAX_WORKERS)
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            records = sum(pool.map(bare_batch, [paths[i::workers] for i in range(workers)]))
    else:
        records = bare_batch(paths)
    seconds, cpu_seconds = time.perf_counter() - start, cpu() - start_cpu
    return {"seconds": seconds, "cpu": cpu_seconds, "records": records, "files": len(paths)}


def digest(sweep):
    described = [
        sweep.runs.to_json(orient="split", date_format="iso", double_precision=15),
        sweep.params, sweep.metrics, sweep.skipped, sweep.notes, sweep.default_metric, repr(sweep.history),
    ]
    return hashlib.sha256(json.dumps(described, default=str).encode()).hexdigest()[:16]


def load():
    if parallel == "in_process":
        run_log.PARALLEL_MIN_FILES = 10**9  # as in the threaded app server
    roots = {"allowed_roots": [folder.parent]} if allowed else {}
    start, start_cpu = time.perf_counter(), cpu()
    sweep = load_source(str(folder), **roots)
    cold, cold_cpu = time.perf_counter(), cpu()
    again = load_source(str(folder), **roots)
    warm, warm_cpu = time.perf_counter(), cpu()
    run_log.RUN_LOG_CACHE.clear()
    ONLINE_CACHE.clear()
    third = load_source(str(folder), **roots)
    cold_again = time.perf_counter() - warm
    assert again.runs.equals(sweep.runs) and third.runs.equals(sweep.runs)
    return {
        "cold": cold - start, "warm": warm - cold, "cold_again": cold_again,
        "cold_cpu": cold_cpu - start_cpu, "warm_cpu": warm_cpu - cold_cpu,
        "runs": len(sweep.runs), "skipped": len(sweep.skipped), "digest": digest(sweep),
    }


print(json.dumps(bare() if what == "bare" else load()))
"""

_DEFAULT_SETTINGS_WRITER = r"""
import json, sys
import wandb

for spec in json.loads(sys.stdin.read()):
    with wandb.init(id=spec["run_id"], name=spec["name"], group=spec["group"], tags=spec["tags"],
                    config=spec["config"], settings=wandb.Settings(sweep_id=spec["sweep_id"])) as run:
        run.define_metric("acc", summary="max")
        for step, row in enumerate(spec["history"]):
            print(f"epoch {step}: loss {row['loss']:.4f}")
            run.log(row)
        run.summary["best_epoch"] = len(spec["history"]) - 1
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--before", type=Path, help="a checkout of the loader to time beside this one")
    parser.add_argument("--busy", choices=("both", "no", "only"), default="both")
    args = parser.parse_args()
    folder = ensure_folder(args.runs, args.steps)
    describe(folder)
    checkouts = {"after": REPO, **({"before": args.before.resolve()} if args.before else {})}
    probe(REPO, "bare", folder, "in_process", allowed=False)  # untimed: the files into the page cache
    conditions = {"no": ["quiet"], "only": ["busy"], "both": ["quiet", "busy"]}[args.busy]
    for condition in conditions:
        with burning(os.cpu_count() or 1 if condition == "busy" else 0):
            rounds = [one_round(checkouts, folder, r) for r in range(args.repeats)]
        report(condition, rounds, checkouts)


def describe(folder: Path) -> None:
    logs = list(folder.glob("*run-*/run-*.wandb"))
    every = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    size = sum(p.stat().st_size for p in logs)
    print(
        f"{len(logs):,} run folders in {folder}: {len(every):,} files, "
        f"{size / 1e6:.1f} MB of run logs, {sum(p.stat().st_size for p in every) / 1e6:.1f} MB in all"
    )


VARIANTS = (  # (what, parallelism, allowed roots)
    ("bare", "forked", False),
    ("load", "forked", True),
    ("load", "forked", False),
    ("bare", "in_process", False),
    ("load", "in_process", True),
    ("load", "in_process", False),
)


def one_round(checkouts: dict[str, Path], folder: Path, index: int) -> dict[str, dict[str, Any]]:
    """Every variant once, for every checkout; the order rotates from round to round."""
    jobs = [(name, variant) for variant in VARIANTS for name in checkouts]
    shift = index % len(jobs)
    results = {}
    for name, (what, parallel, allowed) in jobs[shift:] + jobs[:shift]:
        results[f"{name} {what} {parallel} {allowed}"] = probe(
            checkouts[name], what, folder, parallel, allowed
        )
    return results


def probe(repo: Path, what: str, folder: Path, parallel: str, allowed: bool) -> dict[str, Any]:
    command = [sys.executable, "-c", PROBE, str(repo), what, str(folder), parallel, str(int(allowed))]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=repo, env=env)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def report(condition: str, rounds: list[dict[str, dict[str, Any]]], checkouts: dict[str, Path]) -> None:
    print(f"\n== {condition} machine: medians of {len(rounds)} interleaved rounds")
    first = rounds[0]
    print(f"records decoded by bare: {first['after bare in_process False']['records']:,}")
    digests = {key.split()[0]: r["digest"] for key, r in first.items() if "digest" in r}
    if len(set(digests.values())) > 1:
        print(f"!! the checkouts report different sweeps: {digests}")
    elif len(checkouts) > 1:
        print("every checkout reports the same sweep (runs, params, metrics, skipped, notes)")
    header = f"{'':42s}" + "".join(f"{name:>26s}" for name in checkouts)
    print(f"\nbare read + decode (wall / CPU), in each checkout's worker setup\n{header}")
    for parallel in ("forked", "in_process"):
        cells = []
        for name in checkouts:
            key = f"{name} bare {parallel} False"
            cells.append(f"{_median(rounds, key, 'seconds'):.3f} s / {_median(rounds, key, 'cpu'):.3f} s")
        print(f"  {parallel.replace('_', '-'):40s}" + "".join(f"{c:>26s}" for c in cells))
    for clock, bare_figure, suffix in (("wall", "seconds", ""), ("CPU", "cpu", "_cpu")):
        print(f"\nload, {clock} time, and its ratio to bare in the same setup\n{header}")
        for parallel in ("forked", "in_process"):
            for allowed in (True, False):
                roots = "allowed_roots=[parent]" if allowed else "no allowed roots"
                for figure in ("cold", "warm"):
                    cells = []
                    for name in checkouts:
                        key, bare_key = f"{name} load {parallel} {allowed}", f"{name} bare {parallel} False"
                        seconds = _median(rounds, key, figure + suffix)
                        ratios = [r[key][figure + suffix] / r[bare_key][bare_figure] for r in rounds]
                        cells.append(f"{seconds:7.3f} s = {statistics.median(ratios):5.2f} x bare")
                    label = f"{parallel.replace('_', '-')} {figure}, {roots}"
                    print(f"  {label:40s}" + "".join(f"{c:>26s}" for c in cells))


def _median(rounds: list[dict[str, dict[str, Any]]], key: str, figure: str) -> float:
    return statistics.median(r[key][figure] for r in rounds)


@contextmanager
def burning(n: int) -> Iterator[None]:
    """`n` processes that each keep a core busy until the block ends."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


# ---------------------------------------------------------------- the folder


def ensure_folder(n_runs: int, steps: int) -> Path:
    """The cached benchmark `wandb/` folder, generated on first use."""
    root = CACHE / f"wandb_written_{n_runs}x{steps}"
    wandb_dir = root / "clones" / "wandb"
    if (root / "complete").exists():
        return wandb_dir
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    sources = write_sources(root / "sources", steps)
    rng = random.Random(0)
    base_time = time.time() - n_runs
    last = None
    for i in range(n_runs):
        config = {"lr": 10 ** rng.uniform(-4, -1), "batch_size": rng.choice([16, 32, 64, 128])}
        last = clone_folder(sources[i % len(sources)], wandb_dir, f"w{i:07d}", base_time + i, config)
    assert last is not None
    for i, source in enumerate(sources):  # what each probe loads first, to have its imports warm
        clone_folder(source, root / "warmup" / "wandb", f"warm{i:04d}", base_time + i, {})
    for name, target in (("latest-run", last.name), ("debug.log", f"{last.name}/logs/debug.log")):
        (wandb_dir / name).symlink_to(target)
    (wandb_dir / "debug-internal.log").symlink_to(f"{last.name}/logs/debug-internal.log")
    (root / "complete").touch()
    print(f"generated {n_runs} run folders in {time.perf_counter() - started:.1f} s")
    return wandb_dir


def clone_folder(source: Path, wandb_dir: Path, run_id: str, started: float, config: dict[str, Any]) -> Path:
    """A copy of the run folder `source` as run `run_id`: every file and link, the run log re-encoded."""
    old_id = source.name.rsplit("-", 1)[1]
    stamp = datetime.fromtimestamp(started).strftime("%Y%m%d_%H%M%S")
    target = wandb_dir / f"offline-run-{stamp}-{run_id}"
    for path in sorted(source.rglob("*")):
        copy = target / path.relative_to(source)
        if path.is_symlink():
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.symlink_to(os.readlink(path))
        elif path.is_dir():
            copy.mkdir(parents=True, exist_ok=True)
        elif path.name == f"run-{old_id}.wandb":
            copy.parent.mkdir(parents=True, exist_ok=True)
            offset = started - source.stat().st_mtime
            clone = clone_run_log(path.read_bytes(), run_id, config=config, start_offset=offset)
            (copy.parent / f"run-{run_id}.wandb").write_bytes(clone)
        else:
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy)
    return target


def write_sources(root: Path, steps: int) -> list[Path]:
    """`SOURCE_RUNS` run folders written by the wandb package."""
    rng = random.Random(1)
    runs = []
    for i in range(SOURCE_RUNS):
        lr, width = 10 ** rng.uniform(-4, -1), rng.choice([32, 64, 128])
        history = [
            {"loss": 2.0 / (1 + step * lr * 100), "acc": 1 - 1 / (2 + step), "epoch": step}
            for step in range(steps)
        ]
        config = {"lr": lr, "batch_size": 32, "model": {"width": width, "depth": 1 + i % 3}, "opt": "adam"}
        runs.append(
            OfflineRun(
                f"src{i:05d}",
                config=config,
                history=history,
                name=f"source-{i}",
                group="bench",
                tags=["bench"],
                sweep_id="benchswp",
                max_of=["acc"],
                summary_updates={"best_epoch": steps - 1},
            )
        )
    quiet, default = runs[: SOURCE_RUNS // 2], runs[SOURCE_RUNS // 2 :]
    wandb_dir = write_offline_runs(root / "quiet", quiet, project="sweepscope-bench")
    default_dir = _write_with_default_settings(root / "default", default)
    return [
        *(next(wandb_dir.glob(f"offline-run-*-{r.run_id}")) for r in quiet),
        *(next(default_dir.glob(f"offline-run-*-{r.run_id}")) for r in default),
    ]


def _write_with_default_settings(root: Path, runs: list[OfflineRun]) -> Path:
    """Runs written by the wandb package with its default settings (stats, console, metadata)."""
    root.mkdir(parents=True, exist_ok=True)
    specs = [
        {k: getattr(r, k) for k in ("run_id", "name", "group", "tags", "config", "history", "sweep_id")}
        for r in runs
    ]
    env = _offline_env(root, "sweepscope-bench", flush_every_second=False)
    subprocess.run(
        [sys.executable, "-c", _DEFAULT_SETTINGS_WRITER],
        input=json.dumps(specs).encode(),
        env=env,
        cwd=root,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=300,
    )
    return root / "wandb"


if __name__ == "__main__":
    main()
