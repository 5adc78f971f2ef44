"""How fast a metric's history is read from a big `wandb/` folder of offline runs, against the bare
cost of decoding it.

    OMP_NUM_THREADS=1 python benchmarks/bench_history.py [--runs 5000] [--steps 50]

The folder is the one `bench_wandb_folder.py` generates (and caches in benchmarks/.cache/): the
wandb package writes 8 real offline runs logging `loss`, `acc` and `epoch` at every step, and their
`.wandb` files are re-encoded into `--runs` run folders under new run ids (`clone_run_log`).

Every figure comes from a fresh Python process (median of --repeats), with the files in the OS
page cache:
- bare: read every `.wandb` file and `Record.FromString` each framed payload (every record, not
  only the history; no CRC check, no replay, nothing kept): the floor issue 13 measures against;
- load (`last`): `load_wandb_folder`, the summary value every page starts from, as today;
- best, cold: after the load, `read_local_history(sweep.history, "loss")` and the best value per
  run (`chosen_values`), with the files parsed by forked workers as a single-threaded process does,
  and again in-process as the threaded app server does (that one also in CPU time, which a busy
  machine disturbs less than wall time);
- best, warm: the same again (every file's parse cached), and another metric on another step key
  (`acc` on `epoch`), which reads nothing again either.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_wandb_folder import ensure_folder  # noqa: E402

FLOOR_TARGET = 3.0  # issue 13: best of one metric within 3x the bare decode

PROBE = r"""
import json, struct, sys, time
sys.path.insert(0, {repo!r})
from pathlib import Path
mode, folder = sys.argv[1], Path(sys.argv[2])
from lib.sources.wandb import run_log
from lib.sources.wandb.local import load_wandb_folder
from lib.sources.history import wandb_local
from lib.analysis.metric_value import chosen_values
from lib.columns import Direction
from lib.histories import MetricValue, ValueChoice
run_log.record_class()
out = {{}}


def best(sweep, metric, step_key, direction):
    history = wandb_local.read_local_history(sweep.history, metric, step_key=step_key)
    value = MetricValue(ValueChoice.BEST)
    values = chosen_values(history, value, direction=direction, run_ids=list(sweep.runs.index))
    return history, values


if mode == "bare":
    paths = sorted(folder.glob("offline-run-*/run-*.wandb"))
    Record = run_log.record_class()
    header = struct.Struct("<IHB")
    start, cpu = time.perf_counter(), time.process_time()
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
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    out.update(seconds=seconds, cpu=cpu, records=records, files=len(paths))
else:  # "forked" or "in_process"
    if mode == "in_process":
        wandb_local.PARALLEL_MIN_FILES = 10**9
    start = time.perf_counter()
    sweep = load_wandb_folder(folder)
    loaded, cpu = time.perf_counter(), time.process_time()
    history, values = best(sweep, "loss", "_step", Direction.MINIMIZE)
    cold, cold_cpu = time.perf_counter(), time.process_time() - cpu
    again, _ = best(sweep, "loss", "_step", Direction.MINIMIZE)
    warm = time.perf_counter()
    other, _ = best(sweep, "acc", "epoch", Direction.MAXIMIZE)
    end = time.perf_counter()
    assert again.frame.equals(history.frame) and len(other.frame) == len(history.frame)
    out.update(load=loaded - start, cold=cold - loaded, cold_cpu=cold_cpu, warm=warm - cold, other=end - warm,
               rows=len(history.frame), runs=int(values.notna().sum()),
               cached_mb=wandb_local.HISTORY_CACHE.bytes_held / 2**20)
print(json.dumps(out))
"""

MODES = ("bare", "forked", "in_process")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    folder = ensure_folder(args.runs, args.steps)
    size = sum(p.stat().st_size for p in folder.glob("offline-run-*/run-*.wandb"))
    print(f"{args.runs} offline runs x {args.steps} steps in {folder} ({size / 1e6:.1f} MB of .wandb files)")
    probe("bare", folder)  # one untimed pass, so every timed figure sees the files in the page cache
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    for _ in range(args.repeats):  # interleaved, so a busy spell on the machine hits every mode
        for mode in MODES:
            runs[mode].append(probe(mode, folder))
    bare = median(runs["bare"], "seconds")
    first, forked = runs["bare"][0], runs["forked"][0]
    print(f"records decoded (bare)         {first['records']:>9,}   in {first['files']:,} files")
    print(f"history rows of loss           {int(forked['rows']):>9,}   for {int(forked['runs']):,} runs")
    print(f"bare read + decode             {bare:9.3f} s   ({median(runs['bare'], 'cpu'):.3f} s CPU)")
    print(f"load (last, the summary)       {median(runs['forked'], 'load'):9.3f} s")
    for mode, label in (("forked", "forked"), ("in_process", "in-process")):
        cold = median(runs[mode], "cold")
        print(f"best of loss, cold, {label:10s} {cold:9.3f} s   = {cold / bare:.2f} x bare")
    cpu_ratio = median(runs["in_process"], "cold_cpu") / median(runs["bare"], "cpu")
    print(
        f"  in-process in CPU time: {median(runs['in_process'], 'cold_cpu'):.3f} s = {cpu_ratio:.2f} x bare's"
    )
    print(f"best of loss, warm (cached)    {median(runs['forked'], 'warm'):9.3f} s")
    print(f"best of acc on epoch, warm     {median(runs['forked'], 'other'):9.3f} s")
    print(f"history cache held             {forked['cached_mb']:9.1f} MB")
    worst = max(median(runs[m], "cold") for m in ("forked", "in_process")) / bare
    verdict = "within" if worst <= FLOOR_TARGET else "OVER"
    print(f"slowest cold best: {worst:.2f} x bare, {verdict} the {FLOOR_TARGET:.0f}x target")


def probe(mode: str, folder: Path) -> dict[str, float]:
    script = PROBE.format(repo=str(REPO))
    done = subprocess.run(
        [sys.executable, "-c", script, mode, str(folder)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def median(results: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in results)


if __name__ == "__main__":
    main()
