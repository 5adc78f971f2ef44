"""How tables read: Sweepscope's own run columns under plain headers, whole rows, fitted widths.

Sources name the run's own fields `run.name`, `run.state`, ... so they never collide with a config key
(`lib.sweep`); a table shows them as "run", "state" and so on, and the index as "run id". A user's
parameter and metric columns keep their own names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
import streamlit as st

from lib.sweep import RUN_CREATED, RUN_GROUP, RUN_NAME, RUN_RUNTIME, RUN_STATE, RUN_SWEEP, RUN_TAGS

RUN_HEADERS = {
    RUN_NAME: "run",
    RUN_STATE: "state",
    RUN_SWEEP: "sweep",
    RUN_GROUP: "group",
    RUN_TAGS: "tags",
    RUN_CREATED: "created",
    RUN_RUNTIME: "runtime (s)",
}
INDEX_COLUMN = "_index"  # st.column_config's key for the index
ROW_PX, MAX_ROWS = 35, 10  # Streamlit's row (and header) height; rows shown before the table scrolls
CHAR_PX, CELL_PADDING_PX = 7.5, 28  # Streamlit's 14 px table font, and a cell's padding and border


def runs_column_config(frame: pd.DataFrame) -> dict[str, Any]:
    """Headers for the run columns of `frame` (and its index, when it is the run id)."""
    config: dict[str, Any] = {column: header for column, header in RUN_HEADERS.items() if column in frame}
    if RUN_CREATED in frame:
        config[RUN_CREATED] = st.column_config.DatetimeColumn("created", format="YYYY-MM-DD HH:mm")
    if RUN_RUNTIME in frame:
        config[RUN_RUNTIME] = st.column_config.NumberColumn("runtime (s)", format="%.0f")
    if frame.index.name == "run_id":
        config[INDEX_COLUMN] = "run id"
    return config


def whole_rows_height(n_rows: int, max_rows: int = MAX_ROWS) -> int:
    """A height that shows whole rows only (Streamlit's own default cuts the eleventh in half):
    every row up to `max_rows`, then the table scrolls."""
    return ROW_PX * (min(max(n_rows, 1), max_rows) + 1) + 2  # and a 1 px border above and below


def fitted_width(texts: Iterable[object], *, least: int = 75, most: int = 320) -> int:
    """A column width (px) that shows the longest of `texts` whole, within `least` and `most`: so
    the columns a reader needs first fit beside each other rather than scroll out of sight."""
    longest = max((len(str(text)) for text in texts), default=0)
    return int(min(max(longest * CHAR_PX + CELL_PADDING_PX, least), most))
