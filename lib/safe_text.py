"""Text that came from data (column names, cell values, file names, snapshot metadata) shown safely.

Streamlit renders the strings given to `st.markdown`, `st.caption`, `st.info`, `st.error` and friends
as Markdown: a column named `![x](https://host/pixel)` would make every visitor's browser fetch that
image, and `[re-enter your key](https://host)` would be a working link. Everything derived from data
goes through `md` before it is put into such a string; text written by Sweepscope itself does not.
"""

from __future__ import annotations

import re

# CommonMark lets a backslash escape any ASCII punctuation character; escaping all of them also
# defeats GFM's bare-URL autolinks (`https\:\/\/`, `www\.`), Streamlit's `:material/x:` icons,
# `:red[...]` colours and `$...$` maths.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")
MAX_SHOWN = 300


def md(value: object, *, limit: int = MAX_SHOWN) -> str:
    """`value` as literal text inside Markdown: one line, at most `limit` characters, nothing active."""
    text = one_line(str(value), limit=limit)
    return _PUNCTUATION.sub(r"\\\1", text)


def one_line(text: str, *, limit: int = MAX_SHOWN) -> str:
    """`text` on a single line (line breaks become spaces), cut to `limit` characters with an ellipsis."""
    flat = _LINE_BREAKS.sub(" ", text)
    flat = "".join(ch if ch.isprintable() else " " for ch in flat)
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)] + "…"
