"""Cached wrappers around the slower analyses, keyed on a full fingerprint of the data they read.

Streamlit hashes big frames from a sample (stale hits past 50k rows), so each wrapper hashes an
explicit `frame_fingerprint` and passes the frame itself unhashed (`_runs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from lib.analysis._fit import ForestSettings
from lib.analysis.fanova import FanovaReport, fanova_report
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


def _kinds(sweep: Sweep, params: Sequence[str]) -> tuple[tuple[str, Kind], ...]:
    return tuple((p, sweep.kind(p)) for p in params)


@st.cache_data(max_entries=16, show_spinner=False)
def _fanova(
    fingerprint: str, params: tuple[str, ...], metric: str, kinds: tuple, seed: int, _runs: pd.DataFrame
) -> FanovaReport:
    return fanova_report(_runs, list(params), metric, kinds=dict(kinds), seed=seed)


def cached_fanova(sweep: Sweep, params: Sequence[str], metric: str, seed: int = 0) -> FanovaReport:
    runs = sweep.runs[[*params, metric]]
    with st.spinner("Decomposing the variance…"):
        return _fanova(
            frame_fingerprint(runs), tuple(params), metric, _kinds(sweep, params), seed, _runs=runs
        )


@st.cache_data(max_entries=16, show_spinner=False)
def _response(
    fingerprint: str,
    params: tuple[str, ...],
    metric: str,
    top: tuple[str, ...],
    kinds: tuple,
    seed: int,
    _runs: pd.DataFrame,
) -> ResponseShape:
    settings = ForestSettings(seed=seed)
    return response_shape(_runs, list(params), metric, top=list(top), kinds=dict(kinds), settings=settings)


def cached_response(
    sweep: Sweep, params: Sequence[str], metric: str, top: Sequence[str], seed: int = 0
) -> ResponseShape:
    runs = sweep.runs[[*params, metric]]
    with st.spinner("Fitting the response…"):
        return _response(
            frame_fingerprint(runs),
            tuple(params),
            metric,
            tuple(top),
            _kinds(sweep, params),
            seed,
            _runs=runs,
        )


@dataclass(frozen=True)
class SeedNoise:
    """What the pages need about repeated configurations of one metric."""

    seed_columns: list[str]
    groups: pd.Series  # a configuration id per run
    report: NoiseReport

    @property
    def known(self) -> bool:
        return self.report.pooled_std is not None


def sweep_noise(sweep: Sweep, metric: str) -> SeedNoise:
    """Runs sharing every analysed parameter but the seed, and the metric's spread among them
    (cached: widget changes that keep the runs do not regroup them)."""
    seeds = seed_columns(sweep)
    params = [p for p in sweep.analysable_params if p not in seeds]
    runs = sweep.runs[[*params, *seeds, metric]]
    return _noise(
        frame_fingerprint(runs), tuple(params), tuple(seeds), metric, sweep.direction(metric), _runs=runs
    )


@st.cache_data(max_entries=16, show_spinner=False)
def _noise(
    fingerprint: str,
    params: tuple[str, ...],
    seeds: tuple[str, ...],
    metric: str,
    direction: Direction,
    _runs: pd.DataFrame,
) -> SeedNoise:
    groups = repeat_groups(_runs, list(params), list(seeds))
    report = seed_noise(_runs, list(params), metric, seed_cols=list(seeds), direction=direction)
    return SeedNoise(list(seeds), groups, report)


@st.cache_data(max_entries=16, show_spinner=False)
def _effects(
    fingerprint: str,
    params: tuple[str, ...],
    seeds: tuple[str, ...],
    metric: str,
    kinds: tuple,
    _runs: pd.DataFrame,
) -> pd.DataFrame:
    means = config_means(_runs, list(params), metric, list(seeds))
    return effect_sizes(means, list(params), metric, dict(kinds))


def effects_against_noise(sweep: Sweep, params: Sequence[str], metric: str, noise: SeedNoise) -> pd.DataFrame:
    """Each parameter's effect on the metric (range of its partial dependence), flagged when it is
    smaller than the seed noise; computed on per-configuration means so repeats do not count twice."""
    params = [p for p in params if p not in noise.seed_columns]
    runs = sweep.runs[[*params, *noise.seed_columns, metric]]
    with st.spinner("Measuring effects against the seed noise…"):
        effects = _effects(
            frame_fingerprint(runs),
            tuple(params),
            tuple(noise.seed_columns),
            metric,
            _kinds(sweep, params),
            _runs=runs,
        )
    return flag_noise(effects, noise.report.pooled_std)


def per_configuration(sweep: Sweep, params: Sequence[str], metric: str, noise: SeedNoise) -> Sweep:
    """The sweep with repeated configurations averaged: one row per configuration."""
    kept = [p for p in params if p not in noise.seed_columns]
    means = config_means(sweep.runs, kept, metric, noise.seed_columns)
    return sweep.replace(runs=means, params=kept, metrics=[metric])
