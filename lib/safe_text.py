"""Text that came from data (column names, cell values, file names, snapshot metadata) shown safely.

Streamlit renders the strings given to `st.markdown`, `st.caption`, `st.info`, `st.error` and friends
as Markdown: a column named `![x](https://host/pixel)` would make every visitor's browser fetch that
image, and `[re-enter your key](https://host)` would be a working link. Everything derived from data
goes through `md` before it is put into such a string; text written by Sweepscope itself does not.
"""

from __future__ import annotations

import re

# CommonMark lets a backslash escape any ASCII punctuation character; escaping all of them defeats
# links, images, HTML, headings, Streamlit's `:material/x:` icons, `:red[...]` colours and `$...$` maths.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# GFM's bare-URL autolinks (`https://x`, `www.x`, `a@b.x`) are found in the text *after* escapes are
# undone (checked in Chromium), so escaping does not stop them: an invisible word joiner where such a
# link would start does.
_AUTOLINK_STARTS = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")
MAX_SHOWN = 300
MAX_SENTENCE = 2_000  # a whole sentence that embeds names (the names inside are not capped)


def md(value: object, *, limit: int = MAX_SHOWN) -> str:
    """`value` as literal text inside Markdown: one line, at most `limit` characters, nothing active."""
    text = one_line(str(value), limit=limit)
    text = _AUTOLINK_STARTS.sub(WORD_JOINER, text)
    return _PUNCTUATION.sub(r"\\\1", text)


def md_sentence(text: str) -> str:
    """A sentence Sweepscope wrote around names from data, with no formatting of its own, as literal text."""
    return md(text, limit=MAX_SENTENCE)


def one_line(text: str, *, limit: int = MAX_SHOWN) -> str:
    """`text` on a single line (line breaks become spaces), cut to `limit` characters with an ellipsis."""
    flat = _LINE_BREAKS.sub(" ", text)
    flat = "".join(ch if ch.isprintable() else " " for ch in flat)
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)] + "…"
