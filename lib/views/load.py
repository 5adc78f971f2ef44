"""What the load page shows about a freshly read sweep, as plain data."""

from __future__ import annotations

import pandas as pd

from lib.sweep import Sweep


def source_facts(sweep: Sweep) -> dict[str, str]:
    """Headline counts: runs, parameters, metrics, sweeps and items not loaded."""
    facts = {
        "Runs": f"{len(sweep.runs):,}",
        "Parameters": f"{len(sweep.params)}",
        "Metrics": f"{len(sweep.metrics)}",
        "Sweeps": f"{len(sweep.sweep_ids)}",
        "Not loaded": f"{len(sweep.skipped)}",
    }
    return facts


def skipped_table(sweep: Sweep) -> pd.DataFrame:
    return pd.DataFrame(sweep.skipped, columns=["item", "reason"])


INCLUDED_COLUMN = "included"


def runs_with_inclusion(loaded: Sweep, included: Sweep) -> pd.DataFrame:
    """Every loaded run with an `included` flag in front, the included runs first (in load order)."""
    flag = loaded.runs.index.isin(included.runs.index)
    runs = loaded.runs.copy()
    runs.insert(0, INCLUDED_COLUMN, flag)
    return pd.concat([runs[flag], runs[~flag]])
