"""Fetching a 5,000-run W&B project: Sweepscope's way against the naive one, on the local stand-in.

Both run the real `wandb.Api` (and its wandb-core service) against the stand-in GraphQL server in
tests/sources/wandb_standin.py, so request counts are exact; times are this machine's loopback.
The projection adds a network round trip per request, the cost that dominates on the real server.

Run: python benchmarks/bench_wandb_api.py [--runs 5000] [--rtt-ms 100] [--skip-naive]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.sources.wandb.api import load_wandb
from lib.sources.wandb.spec import WandbSpec
from tests.sources.wandb_standin import StandinSweep, WandbStandin, wandb_run

KEY = "bench" + "0123456789abcdef" * 3
SWEEP = "sw5k0001"
SWEEP_CONFIG = {
    "method": "random",
    "metric": {"name": "val/acc", "goal": "maximize"},
    "parameters": {
        "lr": {"min": 1e-5, "max": 1e-1, "distribution": "log_uniform_values"},
        "batch_size": {"values": [16, 32, 64, 128]},
        "dropout": {"min": 0.0, "max": 0.5},
        "layers": {"values": [2, 4, 8]},
        "optimizer": {
            "parameters": {"name": {"values": ["adam", "sgd", "adamw"]}, "beta1": {"min": 0.8, "max": 0.99}}
        },
        "warmup": {"values": [0, 100, 1000]},
        "weight_decay": {"min": 0.0, "max": 0.1},
    },
}


def bench_run(i: int) -> dict:
    """A run shaped like a real one: wrapped config, define_metric dicts, media, bookkeeping."""
    config = {
        "lr": 10 ** (-5 + 4 * ((i * 37) % 100) / 100),
        "batch_size": [16, 32, 64, 128][i % 4],
        "dropout": (i % 50) / 100,
        "layers": [2, 4, 8][i % 3],
        "optimizer": {"name": ["adam", "sgd", "adamw"][i % 3], "beta1": 0.8 + (i % 19) / 100},
        "warmup": [0, 100, 1000][i % 3],
        "weight_decay": (i % 10) / 100,
        "epochs": 30,
        "dataset": "cifar10",
        "data_dir": "/data/cifar10",
    }
    summary = {
        "val/acc": {"max": 0.5 + (i % 47) / 100, "last": 0.5},
        "val/loss": 1.0 - (i % 47) / 100,
        "train/loss": 0.9 - (i % 31) / 100,
        "train/acc": 0.6 + (i % 29) / 100,
        "epoch": 30,
        "grad_norm": 1.5,
        "lr_final": 1e-6,
        "throughput": 1234.5,
        "confusion": {"_type": "image-file", "path": f"media/images/confusion_{i}.png", "size": 48000},
        "predictions": {"_type": "table-file", "path": f"media/table/preds_{i}.json", "nrows": 100},
    }
    state = "crashed" if i % 97 == 0 else "finished"
    created = f"2025-03-{1 + i // 1000:02d}T{(i // 60) % 24:02d}:{i % 60:02d}:00"
    return wandb_run(
        f"r{i:05d}", config=config, summary=summary, sweep=SWEEP, state=state, created_at=created
    )


def measure(standin: WandbStandin, label: str, fetch, rtt: float) -> dict:
    standin.clear_requests()
    start = time.perf_counter()
    n_runs = fetch()
    seconds = time.perf_counter() - start
    requests = len(standin.operations())
    row = {
        "way": label,
        "runs": n_runs,
        "requests": requests,
        "seconds": seconds,
        "MB": standin.bytes_sent / 1e6,
        "largest_MB": standin.largest_response / 1e6,
        "projected_s": seconds + requests * rtt,
    }
    print(
        f"{label:<34} {n_runs:>6} runs {requests:>6} requests {seconds:>8.2f} s "
        f"{row['MB']:>7.1f} MB (largest answer {row['largest_MB']:.2f} MB) "
        f"~{row['projected_s']:>7.1f} s at {rtt * 1000:.0f} ms per round trip"
    )
    return row


def naive_fetch(standin: WandbStandin, spec: WandbSpec) -> int:
    """What most scripts do: the default lazy listing, then `run.config` / `run.summary` per run."""
    import wandb

    api = wandb.Api(api_key=KEY, overrides={"base_url": standin.url}, timeout=60)
    rows = []
    for run in api.runs(spec.path, filters={"sweep": SWEEP}):
        rows.append((run.id, dict(run.config), dict(run.summary)))
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--rtt-ms", type=float, default=100.0, help="network round trip for the projection")
    parser.add_argument("--skip-naive", action="store_true", help="leave out the slow naive fetch")
    args = parser.parse_args()
    rtt = args.rtt_ms / 1000

    standin = WandbStandin({KEY: "bench"})
    project = standin.add_project("bench", "big")
    project.runs += [bench_run(i) for i in range(args.runs)]
    project.sweeps[SWEEP] = StandinSweep(SWEEP, SWEEP_CONFIG)
    with standin:
        spec = WandbSpec("bench", "big", sweep_id=SWEEP, base_url=standin.url)
        load_wandb(spec, KEY, per_page=50)  # warm up: import wandb, start wandb-core
        print(f"{args.runs} runs in one sweep; Sweepscope's loader builds the whole Sweep in its time.\n")
        rows = []
        for per_page in (50, 200, 500, 1000):
            label = f"sweepscope, per_page={per_page}"
            rows.append(
                measure(standin, label, lambda p=per_page: len(load_wandb(spec, KEY, per_page=p).runs), rtt)
            )
        if not args.skip_naive:
            rows.append(
                measure(standin, "naive: lazy list + run.config", lambda: naive_fetch(standin, spec), rtt)
            )
            ours, naive = next(r for r in rows if r["way"].endswith("=500")), rows[-1]
            print(
                f"\nper_page=500 against naive: {naive['requests'] / ours['requests']:.0f}x fewer requests, "
                f"{naive['seconds'] / ours['seconds']:.1f}x faster here, "
                f"{naive['projected_s'] / ours['projected_s']:.0f}x faster at {args.rtt_ms:.0f} ms per trip."
            )
        expected_pages = math.ceil(args.runs / 500)
        print(f"(per_page=500: 1 key check + 1 sweep config + {expected_pages} pages of runs)")


if __name__ == "__main__":
    main()
