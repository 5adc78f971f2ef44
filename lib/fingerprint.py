"""Explicit cache keys for data. Streamlit hashes frames of 50,000+ rows from a sample, which can
return stale results; analyses are keyed on a digest of every cell instead."""

from __future__ import annotations

import hashlib

import pandas as pd


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """A digest of the index, the columns, their dtypes and every value."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(list(frame.columns)).encode())
    digest.update(repr([str(t) for t in frame.dtypes]).encode())
    digest.update(pd.util.hash_pandas_object(frame.index.to_frame(), index=False).to_numpy().tobytes())
    if len(frame.columns):
        hashable = frame.map(_hashable) if _needs_text(frame) else frame
        digest.update(pd.util.hash_pandas_object(hashable, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _needs_text(frame: pd.DataFrame) -> bool:
    return any(frame[c].dtype == object for c in frame.columns)


def _hashable(value: object) -> object:
    return value if isinstance(value, str | int | float | bool) or value is None else repr(value)
