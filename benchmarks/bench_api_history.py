"""One metric's history for a 5,000-run W&B sweep: Sweepscope's paged query against wandb's per-run path.

Both run the real `wandb.Api` (and its wandb-core service) against the stand-in GraphQL server in
tests/sources/wandb_standin.py, so request counts are exact; times are this machine's loopback.
`read_api_history` asks the runs query for each run's `sampledHistory` (ceil(N / 500) requests);
wandb's `Runs.histories(keys=[metric])` lists the runs, then sends `run.history()` per run. The
projection adds a network round trip per request, the cost that dominates on the real server.

Run: python benchmarks/bench_api_history.py [--runs 5000] [--steps 50] [--rtt-ms 100] [--skip-wandb]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.sources.history.wandb_api import HISTORY_PER_PAGE, read_api_history, wandb_runs
from lib.sources.wandb.spec import WandbSpec
from tests.sources.wandb_standin import WandbStandin, wandb_run

KEY = "bench" + "0123456789abcdef" * 3
SWEEP = "sw5k0001"
METRIC = "val/loss"


def bench_run(i: int, steps: int) -> dict:
    """A run logging val/loss, train/loss and epoch at every step."""
    history = [
        {
            "_step": s,
            "_runtime": 1.5 * s,
            "epoch": s,
            METRIC: 1.0 / (1 + s) + (i % 47) / 100,
            "train/loss": 0.9 / (1 + s) + (i % 31) / 100,
        }
        for s in range(steps)
    ]
    created = f"2025-03-{1 + i // 1000:02d}T{(i // 60) % 24:02d}:{i % 60:02d}:00"
    return wandb_run(
        f"r{i:05d}",
        config={"lr": 10 ** (-5 + 4 * ((i * 37) % 100) / 100), "batch_size": [16, 32, 64, 128][i % 4]},
        summary={METRIC: history[-1][METRIC]},
        sweep=SWEEP,
        created_at=created,
        history=history,
    )


def measure(standin: WandbStandin, label: str, read: Callable[[], int], rtt: float) -> dict:
    standin.clear_requests()
    start = time.perf_counter()
    n_rows = read()
    seconds = time.perf_counter() - start
    requests = len(standin.operations())
    row = {"way": label, "rows": n_rows, "requests": requests, "seconds": seconds}
    row["projected_s"] = seconds + requests * rtt
    print(
        f"{label:<40} {n_rows:>8} rows {requests:>6} requests {seconds:>8.2f} s "
        f"{standin.bytes_sent / 1e6:>6.1f} MB  ~{row['projected_s']:>7.1f} s at {rtt * 1000:.0f} ms per trip"
    )
    counts = Counter(standin.operations())
    print("  requests: " + ", ".join(f"{n} {operation}" for operation, n in counts.items()))
    return row


def wandb_histories(standin: WandbStandin, spec: WandbSpec) -> int:
    """wandb's own way: the runs listing, then one sampled-history request per run."""
    import wandb

    api = wandb.Api(api_key=KEY, overrides={"base_url": standin.url}, timeout=60)
    runs = api.runs(spec.path, filters={"sweep": SWEEP}, per_page=HISTORY_PER_PAGE)
    return len(runs.histories(samples=1000, keys=[METRIC], x_axis="_step"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--rtt-ms", type=float, default=100.0, help="network round trip for the projection")
    parser.add_argument("--skip-wandb", action="store_true", help="leave out wandb's slow per-run path")
    args = parser.parse_args()
    rtt = args.rtt_ms / 1000

    standin = WandbStandin({KEY: "bench"})
    project = standin.add_project("bench", "big")
    project.runs += [bench_run(i, args.steps) for i in range(args.runs)]
    with standin:
        spec = WandbSpec("bench", "big", sweep_id=SWEEP, base_url=standin.url)
        source = wandb_runs(spec, [run["name"] for run in project.runs])
        read_api_history(wandb_runs(spec, ["r00000"]), METRIC, key=KEY)  # warm up: wandb, wandb-core
        print(f"{args.runs} runs x {args.steps} steps in one sweep, the history of {METRIC}.\n")
        ours = measure(
            standin,
            "sweepscope: read_api_history",
            lambda: len(read_api_history(source, METRIC, key=KEY).frame),
            rtt,
        )
        pages = math.ceil(args.runs / HISTORY_PER_PAGE)
        print(f"  (ceil({args.runs} / {HISTORY_PER_PAGE}) = {pages} pages, and the key check)")
        if args.skip_wandb:
            return
        theirs = measure(
            standin, "wandb: Runs.histories(keys=[metric])", lambda: wandb_histories(standin, spec), rtt
        )
        print(
            f"\nsweepscope against wandb's per-run path: {theirs['requests'] / ours['requests']:.0f}x fewer "
            f"requests, {theirs['seconds'] / ours['seconds']:.1f}x faster here, "
            f"{theirs['projected_s'] / ours['projected_s']:.0f}x faster at {args.rtt_ms:.0f} ms per trip."
        )


if __name__ == "__main__":
    main()
