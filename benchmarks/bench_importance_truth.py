"""Importance against a known truth: every estimator on the same random-search runs, side by side.

Designed sweeps (benchmarks/importance_truth/functions.py) have a true importance: the Sobol
total-effect shares of their noise-free metric (importance_truth/truth.py says exactly what is
computed, conditional parameters included). For each n, seed and function one set of runs is
sampled and every contender scores it in this process. Per n the table gives, as mean ± standard
error across seeds of the per-seed average over functions: Spearman with the true shares, NDCG@3
(true shares as gains), the share given to dead parameters, seconds per call, and the paired
difference "default − this" in Spearman and NDCG@3 (> 2 SE: the default is ahead beyond noise).

Run: OMP_NUM_THREADS=1 python benchmarks/bench_importance_truth.py [--quick] [--n 30 50]
     [--seeds 5] [--functions training branches] [--only Sweepscope Optuna] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.importance_truth import FUNCTIONS, QUICK_FUNCTIONS, sample_runs, true_importance
from benchmarks.importance_truth.methods import PEER_NOTES, Contender, contenders, default_contender
from benchmarks.importance_truth.scores import (
    dead_share,
    mean_se,
    ndcg_at,
    spearman,
    spearman_ceiling,
    to_shares,
)
from benchmarks.importance_truth.truth import SobolIndices

SCORES = ("spearman", "ndcg3", "dead_share", "seconds")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[30, 50, 200, 1000], help="sweep sizes")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per (function, n); default 5")
    parser.add_argument("--quick", action="store_true", help=f"2 seeds, functions {QUICK_FUNCTIONS}")
    parser.add_argument("--functions", nargs="+", default=None, help="designed functions by name")
    parser.add_argument("--only", nargs="+", default=None, help="contenders whose name contains one")
    parser.add_argument("--truth-base", type=int, default=2**16, help="Saltelli base sample size N")
    parser.add_argument("--json", type=Path, default=None, help="write every figure here")
    return parser.parse_args(argv)


def chosen_functions(args: argparse.Namespace) -> list[Any]:
    names = args.functions or (list(QUICK_FUNCTIONS) if args.quick else [f.name for f in FUNCTIONS])
    unknown = set(names) - {f.name for f in FUNCTIONS}
    if unknown:
        raise SystemExit(f"unknown functions {sorted(unknown)}; known: {[f.name for f in FUNCTIONS]}")
    return [f for f in FUNCTIONS if f.name in names]


def chosen_contenders(only: list[str] | None) -> list[Contender]:
    everyone = contenders()
    if not only:
        return everyone
    default = default_contender([c.name for c in everyone])
    return [c for c in everyone if c.name == default or any(o.lower() in c.name.lower() for o in only)]


def score_one(contender: Contender, sweep: Any, seed: int, truth: SobolIndices) -> dict[str, Any]:
    start = time.perf_counter()
    error = None
    try:
        raw = contender.estimate(sweep, seed)
    except Exception as exc:  # a peer that cannot run on these runs scores as "no ranking"
        raw, error = {}, f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - start
    shares = to_shares(raw, sweep.params)
    return {
        "spearman": spearman(shares, truth.shares),
        "ndcg3": ndcg_at(shares, truth.shares, 3),
        "dead_share": dead_share(shares, truth.dead),
        "seconds": seconds,
        "shares": shares,
        "error": error,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    functions = chosen_functions(args)
    n_seeds = args.seeds or (2 if args.quick else 5)
    field = chosen_contenders(args.only)
    truths = {f.name: true_importance(f, n_base=args.truth_base) for f in functions}
    print_truths(functions, truths)
    records = []
    for n in args.n:
        for seed in range(n_seeds):
            for index, function in enumerate(functions):
                sweep = sample_runs(function, n, seed=10_000 * index + seed)
                for contender in field:
                    result = score_one(contender, sweep, seed, truths[function.name])
                    records.append(
                        {
                            "n": n,
                            "seed": seed,
                            "function": function.name,
                            "method": contender.name,
                            "failed_runs": int(sweep.failed.sum()),
                            **result,
                        }
                    )
            print(f"  n={n} seed {seed} done", file=sys.stderr, flush=True)
        print_table(n, [r for r in records if r["n"] == n], [c.name for c in field], functions)
    return {
        "settings": {
            "n": args.n,
            "seeds": n_seeds,
            "functions": [f.name for f in functions],
            "truth_base": args.truth_base,
            "contenders": [c.name for c in field],
        },
        "notes": PEER_NOTES,
        "truth": {
            name: {"shares": t.shares, "total": t.total, "first": t.first, "dead": t.dead}
            for name, t in truths.items()
        },
        "summary": summarise(records, [c.name for c in field]),
        "records": records,
    }


def per_seed(records: list[dict[str, Any]], method: str, score: str) -> dict[int, float]:
    """Per seed, the score averaged over functions."""
    by_seed: dict[int, list[float]] = defaultdict(list)
    for r in records:
        if r["method"] == method:
            by_seed[r["seed"]].append(r[score])
    return {seed: float(np.mean(v)) for seed, v in sorted(by_seed.items())}


def paired_gap(records: list[dict[str, Any]], default: str, method: str, score: str) -> dict[str, float]:
    ours, theirs = per_seed(records, default, score), per_seed(records, method, score)
    gap = mean_se([ours[s] - theirs[s] for s in ours])
    return {"mean": gap.mean, "se": gap.se}


def summarise(records: list[dict[str, Any]], methods: list[str]) -> dict[str, Any]:
    default = default_contender(methods)
    summary: dict[str, Any] = {}
    for n in sorted({r["n"] for r in records}):
        at_n = [r for r in records if r["n"] == n]
        summary[str(n)] = {
            method: {
                **{s: vars(mean_se(list(per_seed(at_n, method, s).values()))) for s in SCORES},
                "gap_spearman": paired_gap(at_n, default, method, "spearman"),
                "gap_ndcg3": paired_gap(at_n, default, method, "ndcg3"),
                "per_function_spearman": {
                    f: float(
                        np.mean([r["spearman"] for r in at_n if r["method"] == method and r["function"] == f])
                    )
                    for f in dict.fromkeys(r["function"] for r in at_n)
                },
                "errors": sum(1 for r in at_n if r["method"] == method and r["error"]),
            }
            for method in methods
        }
    return summary


def print_truths(functions: list[Any], truths: dict[str, SobolIndices]) -> None:
    print("True importance (Sobol total-effect shares of the noise-free metric; dead = exactly 0)")
    for function in functions:
        shares = truths[function.name].shares
        live = ", ".join(f"{p} {s:.2f}" for p, s in sorted(shares.items(), key=lambda kv: -kv[1]) if s > 0)
        ceiling = spearman_ceiling(shares)
        print(f"  {function.name:<12} {live}; dead: {', '.join(truths[function.name].dead)}")
        print(f"  {'':<12} Spearman of the true order, dead in any order: {ceiling:.2f} (all tied at 0: 1)")
        print(f"  {'':<12} tests: {function.tests}")
    for note in PEER_NOTES:
        print(f"  note: {note}")


def print_table(n: int, records: list[dict[str, Any]], methods: list[str], functions: list[Any]) -> None:
    summary = summarise(records, methods)[str(n)]
    seeds = len({r["seed"] for r in records})
    fn_names = [f.name for f in functions]
    print(
        f"\nn = {n}: {seeds} seeds x {len(functions)} functions; mean±SE across seeds; "
        "gap = default − this (paired by seed)"
    )
    head = f"{'method':<46} {'Spearman':>10} {'NDCG@3':>10} {'dead':>10} {'sec':>6}"
    head += f" {'gap ρ':>11} {'gap NDCG':>11}"
    print(head + "  ρ per function: " + " ".join(f"{name[:8]:>8}" for name in fn_names))
    for method in methods:
        row = summary[method]
        gaps = [f"{row[g]['mean']:+.2f}±{row[g]['se']:.2f}" for g in ("gap_spearman", "gap_ndcg3")]
        per_fn = " ".join(f"{row['per_function_spearman'][name]:8.2f}" for name in fn_names)
        errors = f"  ({row['errors']} errors)" if row["errors"] else ""
        print(
            f"{method:<46} {_ms(row['spearman']):>10} {_ms(row['ndcg3']):>10} {_ms(row['dead_share']):>10} "
            f"{row['seconds']['mean']:6.2f} {gaps[0]:>11} {gaps[1]:>11}  {'':16}{per_fn}{errors}",
            flush=True,
        )


def _ms(value: dict[str, float]) -> str:
    return f"{value['mean']:.2f}±{value['se']:.2f}"


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    warnings.filterwarnings("ignore")
    figures = run(args)
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=1, default=float))
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
