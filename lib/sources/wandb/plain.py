"""The plain shapes fetched W&B data is kept in: JSON-safe copies and W&B's UTC timestamps."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def json_safe(value: Any) -> Any:
    """JSON-safe copy (dates in YAML become text)."""
    return json.loads(json.dumps(value, default=json_default))


def json_default(value: Any) -> Any:
    """How `json.dumps` writes what JSON has no type for: numpy scalars, dates, else their text."""
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def parse_time(value: object) -> datetime | None:
    """An ISO time as W&B writes it (`Z` or no zone both mean UTC); None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # W&B sends UTC
