"""What each column of a sweep is (parameter, metric, bookkeeping) and the metric it opens on.

No Streamlit and no sources: `lib.sweep.finish_sweep` calls these rules for every source.
- `vocabulary`: what a name says (metric words, step counters, learning rates, model sizes, splits).
- `rules`: `decide_roles(frame, columns, evidence, config=...)` -> `Roles` with a reason per column.
- `opening_metric`: `choose_opening_metric(runs, metrics, params, config_metric=...)` -> `OpeningMetric`.
"""

from lib.roles.opening_metric import OpeningMetric, choose_opening_metric, disqualification, ranked_metrics
from lib.roles.rules import (
    BY_NAME_ONLY,
    CONFIG,
    CONFIG_BY_ORDER,
    SUMMARY,
    SUMMARY_BY_ORDER,
    Evidence,
    Origin,
    Roles,
    SweepConfigFacts,
    decide_roles,
    looks_hand_typed,
)
from lib.roles.vocabulary import (
    is_learning_rate_name,
    is_model_size_name,
    is_step_counter_name,
    looks_like_metric_name,
    names_a_metric,
)

__all__ = [
    "BY_NAME_ONLY",
    "CONFIG",
    "CONFIG_BY_ORDER",
    "SUMMARY",
    "SUMMARY_BY_ORDER",
    "Evidence",
    "OpeningMetric",
    "Origin",
    "Roles",
    "SweepConfigFacts",
    "choose_opening_metric",
    "decide_roles",
    "disqualification",
    "is_learning_rate_name",
    "is_model_size_name",
    "is_step_counter_name",
    "looks_hand_typed",
    "looks_like_metric_name",
    "names_a_metric",
    "ranked_metrics",
]
