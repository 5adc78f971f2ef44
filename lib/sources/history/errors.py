"""The one error the history readers raise."""

from __future__ import annotations

from lib.sources.errors import SourceError


class HistoryUnavailable(SourceError):
    """The history cannot be read (no key, the server refused, the files are gone): says why."""
