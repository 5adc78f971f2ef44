"""How well the importance table's "within noise" flag is calibrated, against a known truth.

On the designed sweeps of bench_importance_truth (true importance: Sobol total-effect shares of
the noise-free metric), the default `importance_report` is run at each n and seed, and every
parameter's `within_noise` flag is compared with the truth:
- dead parameters (true share exactly 0): the share flagged within noise (want: high; the floor
  is a 90th percentile of the shuffled-metric nulls, so about 9 in 10 at best);
- live parameters by true share: the share flagged within noise (want: low for the ones that
  matter; a parameter with a 2% true share may well be within noise at 30 runs);
- a metric of pure noise (every parameter dead): the share flagged within noise.

Run: OMP_NUM_THREADS=1 python benchmarks/bench_noise_floor.py [--n 30 50 200] [--seeds 5]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.importance_truth import FUNCTIONS, METRIC, sample_runs, true_importance
from lib.analysis._fit import ForestSettings
from lib.analysis.importance import importance_report

LIVE_BANDS = ((0.0, 0.05, "live, true share < 5%"), (0.05, 0.15, "live, 5-15%"), (0.15, 1.01, "live, >= 15%"))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[30, 50, 200])
    parser.add_argument("--seeds", type=int, default=5)
    return parser.parse_args(argv)


def band_of(share: float) -> str:
    if share == 0:
        return "dead"
    return next(name for low, high, name in LIVE_BANDS if low <= share < high)


def flags_on_designed_sweeps(n: int, seeds: int) -> dict[str, list[bool]]:
    flags: dict[str, list[bool]] = defaultdict(list)
    for index, function in enumerate(FUNCTIONS):
        truth = true_importance(function, n_base=2**14)
        for seed in range(seeds):
            sweep = sample_runs(function, n, seed=10_000 * index + seed)
            report = importance_report(
                sweep.runs, sweep.params, METRIC, kinds=sweep.kinds, settings=ForestSettings(seed=seed)
            )
            within = report.table.set_index("parameter")["within_noise"]
            for param in sweep.params:
                flags[band_of(truth.shares[param])].append(bool(within[param]))
    return flags


def flags_on_pure_noise(n: int, seeds: int) -> list[bool]:
    flags = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        runs = pd.DataFrame({f"p{i}": rng.uniform(size=n) for i in range(8)})
        runs["level"] = rng.choice(["a", "b", "c", "d"], n)
        runs[METRIC] = rng.normal(size=n)
        params = [*(f"p{i}" for i in range(8)), "level"]
        table = importance_report(runs, params, METRIC, settings=ForestSettings(seed=seed)).table
        flags.extend(bool(v) for v in table["within_noise"])
    return flags


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    warnings.filterwarnings("ignore")
    print("Share of parameters the default importance flags 'within noise' (count in brackets)")
    bands = " ".join(f"{name:>24}" for *_, name in LIVE_BANDS)
    print(f"{'n':>6} {'dead':>14} {bands} {'pure noise':>14}")
    for n in args.n:
        flags = flags_on_designed_sweeps(n, args.seeds)
        noise = flags_on_pure_noise(n, args.seeds)
        cells = [_cell(flags["dead"])] + [_cell(flags[name]) for *_, name in LIVE_BANDS]
        widths = [14, 24, 24, 24]
        row = " ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True))
        print(f"{n:>6} {row} {_cell(noise):>14}", flush=True)


def _cell(values: list[bool]) -> str:
    return f"{np.mean(values):.0%} ({len(values)})" if values else "-"


if __name__ == "__main__":
    main()
