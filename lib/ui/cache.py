"""The slower analyses, cached across reruns and sessions and keyed on every cell of the data they read.

Streamlit hashes frames of 50,000+ rows from a sample, which can return stale results, so
`cached_analysis` keys each frame argument on `frame_fingerprint` (a digest of every cell) instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import ParamSpec, TypeVar

import pandas as pd
import streamlit as st
from streamlit.runtime.caching.hashing import HashFuncsDict

from lib.analysis._fit import ForestSettings
from lib.analysis.fanova import FanovaReport, fanova_report
from lib.analysis.importance import ImportanceReport, Method, importance_report
from lib.analysis.noise import (
    NoiseReport,
    config_means,
    effect_sizes,
    flag_noise,
    repeat_groups,
    seed_columns,
    seed_noise,
)
from lib.analysis.response import ResponseShape, response_shape
from lib.columns import Direction, Kind
from lib.fingerprint import frame_fingerprint
from lib.sweep import Sweep

P = ParamSpec("P")
R = TypeVar("R")
# Results of a sweep nobody looks at any more leave the cache after this long.
CACHE_TTL = timedelta(hours=1)
FULL_DIGEST: HashFuncsDict = {pd.DataFrame: frame_fingerprint}

log = logging.getLogger("sweepscope")


def cached_analysis(
    *, max_entries: int = 16, spinner: str | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """`st.cache_data` for an analysis taking data frames: each frame is keyed on a digest of
    every cell, at most `max_entries` results are kept, and `spinner` shows while one is computed."""

    def decorate(analysis: Callable[P, R]) -> Callable[P, R]:
        cache = st.cache_data(
            max_entries=max_entries, ttl=CACHE_TTL, show_spinner=spinner or False, hash_funcs=FULL_DIGEST
        )
        return cache(analysis)

    return decorate


def _kinds(sweep: Sweep, params: Sequence[str]) -> dict[str, Kind]:
    return {p: sweep.kind(p) for p in params}


# ------------------------------------------------------------------------------------ importance


@cached_analysis(max_entries=32, spinner="Fitting the forest…")
def _importance(
    runs: pd.DataFrame,
    params: tuple[str, ...],
    metric: str,
    kinds: dict[str, Kind],
    method: Method,
    settings: ForestSettings,
    direction: Direction,
) -> ImportanceReport:
    return importance_report(
        runs, list(params), metric, kinds=kinds, method=method, settings=settings, direction=direction
    )


def cached_importance(
    sweep: Sweep, params: Sequence[str], metric: str, method: Method, settings: ForestSettings
) -> ImportanceReport:
    """Importance, refitted only when the data or the settings change."""
    runs = sweep.runs[[*params, metric]]
    kinds = _kinds(sweep, params)
    return _importance(runs, tuple(params), metric, kinds, method, settings, sweep.direction(metric))


def default_importance(sweep: Sweep, metric: str) -> ImportanceReport:
    """The importance page's default fit of the analysable parameters (one shared cached result)."""
    return cached_importance(
        sweep, sweep.analysable_params, metric, Method.HELD_OUT_PERMUTATION, ForestSettings()
    )


def importance_order(sweep: Sweep, metric: str | None) -> list[str]:
    """The analysable parameters, most important for `metric` first; empty when there is nothing
    to fit."""
    if metric is None or metric not in sweep.runs or not sweep.analysable_params:
        return []
    try:
        report = default_importance(sweep, metric)
    except Exception:  # ordering is a nicety: never let it break the page
        log.exception("Importance order for %s could not be computed", metric)
        return []
    return list(report.table["parameter"])


# ----------------------------------------------------------------------- variance and response


@cached_analysis(spinner="Decomposing the variance…")
def _fanova(
    runs: pd.DataFrame, params: tuple[str, ...], metric: str, kinds: dict[str, Kind], seed: int
) -> FanovaReport:
    return fanova_report(runs, list(params), metric, kinds=kinds, seed=seed)


def cached_fanova(sweep: Sweep, params: Sequence[str], metric: str, seed: int = 0) -> FanovaReport:
    runs = sweep.runs[[*params, metric]]
    return _fanova(runs, tuple(params), metric, _kinds(sweep, params), seed)


@cached_analysis(spinner="Fitting the response…")
def _response(
    runs: pd.DataFrame,
    params: tuple[str, ...],
    metric: str,
    top: tuple[str, ...],
    kinds: dict[str, Kind],
    seed: int,
) -> ResponseShape:
    settings = ForestSettings(seed=seed)
    return response_shape(runs, list(params), metric, top=list(top), kinds=kinds, settings=settings)


def cached_response(
    sweep: Sweep, params: Sequence[str], metric: str, top: Sequence[str], seed: int = 0
) -> ResponseShape:
    runs = sweep.runs[[*params, metric]]
    return _response(runs, tuple(params), metric, tuple(top), _kinds(sweep, params), seed)


# ------------------------------------------------------------------------------------ seed noise


@dataclass(frozen=True)
class SeedNoise:
    """What the pages need about repeated configurations of one metric."""

    seed_columns: list[str]
    groups: pd.Series  # a configuration id per run
    report: NoiseReport

    @property
    def known(self) -> bool:
        return self.report.pooled_std is not None


@cached_analysis()
def _noise(
    runs: pd.DataFrame, params: tuple[str, ...], seeds: tuple[str, ...], metric: str, direction: Direction
) -> SeedNoise:
    groups = repeat_groups(runs, list(params), list(seeds))
    report = seed_noise(runs, list(params), metric, seed_cols=list(seeds), direction=direction)
    return SeedNoise(list(seeds), groups, report)


def sweep_noise(sweep: Sweep, metric: str) -> SeedNoise:
    """Runs sharing every analysed parameter but the seed, and the metric's spread among them
    (cached: widget changes that keep the runs do not regroup them)."""
    seeds = seed_columns(sweep)
    params = [p for p in sweep.analysable_params if p not in seeds]
    runs = sweep.runs[[*params, *seeds, metric]]
    return _noise(runs, tuple(params), tuple(seeds), metric, sweep.direction(metric))


@cached_analysis(spinner="Measuring effects against the seed noise…")
def _effects(
    runs: pd.DataFrame, params: tuple[str, ...], seeds: tuple[str, ...], metric: str, kinds: dict[str, Kind]
) -> pd.DataFrame:
    means = config_means(runs, list(params), metric, list(seeds))
    return effect_sizes(means, list(params), metric, kinds)


def effects_against_noise(sweep: Sweep, params: Sequence[str], metric: str, noise: SeedNoise) -> pd.DataFrame:
    """Each parameter's effect on the metric (range of its partial dependence), flagged when it is
    smaller than the seed noise; computed on per-configuration means so repeats do not count twice."""
    params = [p for p in params if p not in noise.seed_columns]
    runs = sweep.runs[[*params, *noise.seed_columns, metric]]
    effects = _effects(runs, tuple(params), tuple(noise.seed_columns), metric, _kinds(sweep, params))
    return flag_noise(effects, noise.report.pooled_std)


def per_configuration(sweep: Sweep, params: Sequence[str], metric: str, noise: SeedNoise) -> Sweep:
    """The sweep with repeated configurations averaged: one row per configuration."""
    kept = [p for p in params if p not in noise.seed_columns]
    means = config_means(sweep.runs, kept, metric, noise.seed_columns)
    return sweep.replace(runs=means, params=kept, metrics=[metric])
