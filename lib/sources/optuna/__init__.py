"""Optuna studies as sweeps, read from the storage's tables with SELECT statements only.

A spec is any SQLAlchemy URL Optuna accepts (`sqlite:///relative/study.db`, `sqlite:////abs/study.db`,
`postgresql://user:pass@host/db`, `mysql+pymysql://...`), optionally followed by `#study_name` to
choose one of the storage's studies (percent-encode a `#` or `%` in the name or a password). An uploaded
SQLite file goes through `load_optuna_bytes`.

Optuna's own `RDBStorage` creates missing tables and stamps version rows when it opens a storage,
so it is not used: SQLite files are opened read-only (`mode=ro`, never created), server databases
only see SELECTs (`storage.py`, `schema.py`), and parameter values are decoded with Optuna's JSON
distributions (`decode.py`).

Mapping (`trials.py`, `build.py`): one run per trial, id `trial-<number>`; COMPLETE -> finished,
PRUNED -> pruned, FAIL -> failed, RUNNING and WAITING (enqueued, not started) -> running. Objectives
are metrics named by `study.metric_names`, else `value` (one objective) or `value_0`, `value_1`, ...;
the last value a trial reported with `trial.report` is the metric `last_intermediate_value`, so pruned
trials have an outcome (Optuna itself stores a pruned trial's last report as its value, and that is
kept). A categorical's `None` choice is the text "None", unlike a parameter the trial never sampled.
Trial user attributes are extra columns `user_attrs.<key>`; system attributes are left out.
"""

from lib.sources.optuna.build import LAST_INTERMEDIATE_STEP, LAST_INTERMEDIATE_VALUE
from lib.sources.optuna.load import list_studies, list_studies_in_bytes, load_optuna_bytes, load_optuna_study
from lib.sources.optuna.storage import STORAGE_URL_SCHEMES, is_storage_url, split_study_spec
from lib.sources.optuna.studies import StudyInfo, objective_names

__all__ = [
    "LAST_INTERMEDIATE_STEP",
    "LAST_INTERMEDIATE_VALUE",
    "STORAGE_URL_SCHEMES",
    "StudyInfo",
    "is_storage_url",
    "list_studies",
    "list_studies_in_bytes",
    "load_optuna_bytes",
    "load_optuna_study",
    "objective_names",
    "split_study_spec",
]
