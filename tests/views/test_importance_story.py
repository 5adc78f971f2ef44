"""The importance tabs tell one story: where they disagree about a parameter, they say so and why;
Next sweep is told which parameters show signs of an effect."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lib.analysis.importance import importance_report
from lib.views.importance import fanova_vs_forest, noise_vs_forest, signs_of_effect, unsupported_reason


def forest_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "parameter": ["lr", "alpha", "batch", "dead"],
            "importance": [0.70, 0.01, 0.29, 0.00],
            "within_noise": [False, False, True, True],
        }
    )


def seed_flags() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "parameter": ["lr", "alpha", "batch", "dead"],
            "within seed noise": pd.array([False, False, True, pd.NA], dtype="boolean"),
        }
    )


def test_signs_of_effect_come_from_the_noise_floor_and_the_seed_noise() -> None:
    signs = signs_of_effect(forest_table(), seed_flags())
    assert set(signs) == {"lr", "alpha"}
    assert "noise floor" in signs["alpha"]
    only_seeds = signs_of_effect(forest_table().drop(columns="within_noise"), seed_flags())
    assert only_seeds == {
        "lr": "its effect is larger than the seed noise",
        "alpha": "its effect is larger than the seed noise",
    }
    assert signs_of_effect(forest_table().drop(columns="within_noise")) == {}


def test_a_low_share_with_an_effect_beyond_the_seed_noise_is_explained() -> None:
    sentences = noise_vs_forest(forest_table(), seed_flags())
    assert any(s.startswith("alpha: its effect is larger than the seed noise") for s in sentences)
    assert any(
        s.startswith("batch: its importance share is 0.29, yet its effect is within") for s in sentences
    )
    assert not any(s.startswith(("lr:", "dead:")) for s in sentences)  # they agree, or noise is unknown


def test_the_interactions_bar_and_interaction_heavy_parameters_are_explained() -> None:
    fanova = pd.DataFrame(
        {"parameter": ["lr", "alpha", "batch", "dead"], "variance_share": [0.30, 0.0, 0.20, 0.0]}
    )
    sentences = fanova_vs_forest(forest_table(), fanova, interaction_share=0.6)
    assert sentences[0].startswith("(interactions), 60%") and "Shape of the response" in sentences[0]
    assert any(s.startswith("lr: importance 0.70 but a main effect of 0.30") for s in sentences)
    assert not any(s.startswith("batch:") for s in sentences)  # 0.29 vs 0.20: within the gap
    small = fanova_vs_forest(forest_table(), fanova, interaction_share=0.1)
    assert "most of the story" in small[0]


def test_importances_are_greyed_with_a_reason_when_the_fit_cannot_support_them() -> None:
    rng = np.random.default_rng(0)
    noise_only = pd.DataFrame({"a": rng.uniform(0, 1, 40), "b": rng.uniform(0, 1, 40)})
    noise_only["y"] = rng.normal(0, 1, 40)  # nothing to explain: held-out R² near or below 0
    report = importance_report(noise_only, ["a", "b"], "y")
    assert report.r2 is not None and report.r2 < 0.1
    assert unsupported_reason(report).startswith("Greyed out")
    signal = noise_only.assign(y=3 * noise_only["a"] + rng.normal(0, 0.1, 40))
    assert unsupported_reason(importance_report(signal, ["a", "b"], "y")) is None
