"""How long a 10,000-trial Optuna study takes to load, listed and read into a sweep.

The study has the real koleo study's shape (8 parameters: log floats, a float, categoricals of ints,
strings and booleans, one conditional; a maximized value; a few reports per trial; one user
attribute; about 85% pruned) and is written by Optuna itself into benchmarks/.cache/ once. Figures:
median wall time of `list_studies` and `load_optuna_study`, and for reference Optuna's own
`load_study(...).trials_dataframe()` on a copy (Optuna's storage may write to the file it opens).

    python benchmarks/bench_optuna_study.py [--trials 10000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.trial import TrialState, create_trial

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lib.sources.optuna import list_studies, load_optuna_study  # noqa: E402

CACHE = REPO / "benchmarks" / ".cache"
STUDY = "bench"
DISTRIBUTIONS = {
    "triplet_loss_margin": FloatDistribution(0.2, 0.6),
    "use_koleo": CategoricalDistribution([True, False]),
    "koleo_weight": FloatDistribution(1e-4, 0.1, log=True),
    "grad_accum_steps": CategoricalDistribution([1, 2, 4]),
    "batch_size": CategoricalDistribution([64, 128]),
    "learning_rate": FloatDistribution(1e-4, 1e-2, log=True),
    "embedding_size": CategoricalDistribution([64, 128, 256]),
    "optimizer": CategoricalDistribution(["Adam", "RMSprop"]),
}


def random_trial(rng: random.Random) -> optuna.trial.FrozenTrial:
    params = {
        "triplet_loss_margin": rng.uniform(0.2, 0.6),
        "use_koleo": rng.choice([True, False]),
        "grad_accum_steps": rng.choice([1, 2, 4]),
        "batch_size": rng.choice([64, 128]),
        "learning_rate": 10 ** rng.uniform(-4, -2),
        "embedding_size": rng.choice([64, 128, 256]),
        "optimizer": rng.choice(["Adam", "RMSprop"]),
    }
    if params["use_koleo"]:
        params["koleo_weight"] = 10 ** rng.uniform(-4, -1)
    pruned = rng.random() < 0.85
    steps = rng.randint(1, 4) if pruned else 15
    reports = {step: rng.uniform(0.5, 0.95) for step in range(1, steps + 1)}
    return create_trial(
        state=TrialState.PRUNED if pruned else TrialState.COMPLETE,
        value=reports[steps],
        params=params,
        distributions={name: DISTRIBUTIONS[name] for name in params},
        intermediate_values=reports,
        user_attrs={"koleo_weight": params.get("koleo_weight", 0.0)},
    )


def study_file(trials: int) -> Path:
    path = CACHE / f"optuna_study_{trials}.db"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=STUDY, storage=f"sqlite:///{partial}", direction="maximize")
    rng = random.Random(0)
    started = time.perf_counter()
    study.add_trials([random_trial(rng) for _ in range(trials)])
    print(f"wrote {trials} trials with Optuna in {time.perf_counter() - started:.1f} s (once, cached)")
    partial.rename(path)
    return path


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def optuna_dataframe_seconds(path: Path, repeats: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        url = f"sqlite:///{copy}"
        return median_seconds(
            lambda: optuna.load_study(study_name=STUDY, storage=url).trials_dataframe(), repeats
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    path = study_file(args.trials)
    url = f"sqlite:///{path}"
    load_optuna_study(url)  # warm up: imports, Optuna's schema revisions
    sweep = load_optuna_study(url)
    print(f"study: {len(sweep.runs)} trials, {len(sweep.params)} params, {path.stat().st_size / 1e6:.1f} MB")
    print(f"list_studies:               {median_seconds(lambda: list_studies(url), args.repeats):.3f} s")
    print(f"load_optuna_study:          {median_seconds(lambda: load_optuna_study(url), args.repeats):.3f} s")
    print(f"optuna trials_dataframe():  {optuna_dataframe_seconds(path, args.repeats):.3f} s (reference)")


if __name__ == "__main__":
    main()
