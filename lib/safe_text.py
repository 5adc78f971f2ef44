"""Text that came from data (column names, cell values, file names, snapshot metadata) shown safely.

Streamlit renders the strings given to `st.markdown`, `st.caption`, `st.info`, `st.error` and friends
as Markdown: a column named `![x](https://host/pixel)` would make every visitor's browser fetch that
image, and `[re-enter your key](https://host)` would be a working link. Everything derived from data
goes through `md` before it is put into such a string; text written by Sweepscope itself does not.

`md` escapes only the characters that can start Markdown, so ordinary names (`val_loss`, `lr (log)`,
`sqlite:///a.db`) keep their spelling in the Markdown source and read the same on the page.
"""

from __future__ import annotations

import re

# Backslash-escaped wherever they appear: links and images (`[`), HTML and autolinks (`<`), code,
# emphasis, strikethrough, maths, headings, quotes, and the backslash itself.
_ALWAYS = re.compile(r"([\\`*~\[\]<>$#|])")
# `_` emphasises only next to a non-alphanumeric character: `val_loss` stays as it is.
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
# `&lt;` and `&#60;` would be decoded; a lone `&` (as in `W&B`) is text.
_ENTITY = re.compile(r"&(?=#|[A-Za-z][A-Za-z0-9]*;)")
# Block markers that only count at the start of a line: lists (`- x`, `+ x`, `1. x`, `1) x`), rules (`---`).
_LEADING_BLOCK_MARKER = re.compile(r"^(?:[-+=]|\d{1,9}[.)](?=\s|$))")
# Found in the text *after* escapes are undone, so escaping cannot stop them (checked in Chromium): GFM's
# bare-URL autolinks (`https://x`, `www.x`, `a@b.x`), Streamlit's `:smile:` emoji and `:material/key:`
# icons (which it rewrites in the raw source). An invisible word joiner where one would start does.
_INVISIBLE_BREAKS = re.compile(
    r"(?<=http:)(?=//)|(?<=https:)(?=//)|(?<=www)(?=\.)|(?<=@)|(?<=:)(?=[\w+-])", re.IGNORECASE
)
WORD_JOINER = "\u2060"
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")
MAX_SHOWN = 300
MAX_SENTENCE = 2_000  # a whole sentence that embeds names (the names inside are not capped)


def md(value: object, *, limit: int = MAX_SHOWN) -> str:
    """`value` as literal text inside Markdown: one line, at most `limit` characters, nothing active."""
    text = one_line(str(value), limit=limit).strip()  # leading spaces would make a code block
    text = _INVISIBLE_BREAKS.sub(WORD_JOINER, text)
    text = _ALWAYS.sub(r"\\\1", text)
    text = _EMPHASIS_UNDERSCORE.sub(r"\\_", text)
    text = _ENTITY.sub(r"\\&", text)
    return _LEADING_BLOCK_MARKER.sub(_escape_last_character, text)


def md_sentence(text: str) -> str:
    """A sentence Sweepscope wrote around names from data, with no formatting of its own, as literal text."""
    return md(text, limit=MAX_SENTENCE)


def one_line(text: str, *, limit: int = MAX_SHOWN) -> str:
    """`text` on a single line (line breaks become spaces), cut to `limit` characters with an ellipsis."""
    flat = _LINE_BREAKS.sub(" ", text)
    flat = "".join(ch if ch.isprintable() else " " for ch in flat)
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)] + "…"


def _escape_last_character(match: re.Match[str]) -> str:
    marker = match.group(0)
    return f"{marker[:-1]}\\{marker[-1]}"
