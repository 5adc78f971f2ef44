"""How long the built-in demo takes to load: imports, first (cold) load, and repeated (warm) loads.

Each figure comes from a fresh Python process, as a new app server would see it.

    python benchmarks/bench_demo_load.py
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REPEATS = 5

PROBE = """
import json, time
t0 = time.perf_counter()
from lib.sources.demo import DEMO_DIR, load_demo
import lib.sources.wandb.local
t1 = time.perf_counter()
sweep = load_demo()
t2 = time.perf_counter()
load_demo()
t3 = time.perf_counter()
size = sum(p.stat().st_size for p in (DEMO_DIR / "wandb").rglob("*.wandb"))
print(json.dumps({"import": t1 - t0, "cold": t2 - t1, "warm": t3 - t2, "runs": len(sweep.runs),
                  "files_mb": size / 1e6}))
"""


def measure_once() -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    samples = [measure_once() for _ in range(REPEATS)]
    first = samples[0]
    print(f"demo: {first['runs']} runs, {first['files_mb']:.2f} MB of .wandb files")
    for key, label in (
        ("import", "import lib.sources.demo + lib.sources.wandb.local"),
        ("cold", "load_demo(), first call"),
        ("warm", "load_demo(), second call"),
    ):
        values = [s[key] * 1000 for s in samples]
        print(f"{label:40s} median {statistics.median(values):7.1f} ms  (min {min(values):.1f}, n={REPEATS})")


if __name__ == "__main__":
    main()
