"""The only Streamlit-aware package in `lib`: the app frame, the session's sweep, shared widgets and
cached analyses. The names pages and the entry point use are re-exported here (`from lib import ui`)."""

from lib.ui.cache import cached_importance, default_importance, importance_order
from lib.ui.context import analysis_context, context_header, shared_metric_picker, why_this_metric
from lib.ui.frame import page_frame, run_app
from lib.ui.metric_value import metric_history, remember_wandb_key, valued_sweep
from lib.ui.session import (
    current_choices,
    current_sweep,
    load_generation,
    load_into_session,
    loaded_reference,
    loaded_sweep,
    secrets_mapping,
    set_choices,
    set_loaded_sweep,
)
from lib.ui.tables import runs_column_config, whole_rows_height
from lib.ui.widgets import chart, column_table_config, lazy_tabs, needs_metric_and_params

__all__ = [
    "analysis_context",
    "cached_importance",
    "chart",
    "column_table_config",
    "context_header",
    "current_choices",
    "current_sweep",
    "default_importance",
    "importance_order",
    "lazy_tabs",
    "load_generation",
    "load_into_session",
    "loaded_reference",
    "loaded_sweep",
    "metric_history",
    "needs_metric_and_params",
    "page_frame",
    "remember_wandb_key",
    "run_app",
    "runs_column_config",
    "secrets_mapping",
    "set_choices",
    "set_loaded_sweep",
    "shared_metric_picker",
    "valued_sweep",
    "whole_rows_height",
    "why_this_metric",
]
