"""md(): text from data reads literally in Markdown; Chromium: tests/e2e/test_hostile_markdown.py."""

import re

import pytest

from lib.safe_text import MAX_SENTENCE, MAX_SHOWN, WORD_JOINER, md, md_sentence, one_line

HOSTILE = [
    "[a](http://x.test)",
    "![x](http://127.0.0.1:9/pixel.png)",
    "https://x.test/a",
    "HTTP://x.test/a",
    "www.x.test",
    "WWW.x.test",
    "x@y.test",
    ":material/key:",
    ":red[text]",
    ":smile:",
    "$x^2$",
    "<img src=http://x.test/p.png>",
    "# x",
    "- x",
    "1. x",
    "---",
    "&#60;img&#62;",
    "&lt;b&gt;",
    "_it_ *it* ~s~ `c`",
    "\\[a](http://x.test)",
]


def read_back(markdown: str) -> str:
    """What a reader sees: escapes undone, word joiners invisible."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(WORD_JOINER, "")


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_reads_back_literally(text: str) -> None:
    assert read_back(md(text)) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_no_markdown_syntax_is_left_unescaped(text: str) -> None:
    escaped = md(text)
    assert not re.search(r"(?<!\\)[\[\]<>`*~$#]", escaped.replace("\\\\", "")), escaped
    assert not re.match(r"[-+=]|\d+[.)]\s", escaped)


@pytest.mark.parametrize(
    "text", ["https://x.test/a", "http://x", "www.x.test", "WwW.x", "a@b.test", ":smile:", ":material/key:"]
)
def test_patterns_found_after_unescaping_are_broken(text: str) -> None:
    # GFM autolinks, emoji and Streamlit's icons match the text once escapes are undone.
    literal = re.sub(r"\\(.)", r"\1", md(text))
    assert not re.search(r"(?i)(https?://|www\.|@[\w-]|:[\w+-]+:|:material/)", literal)


def test_ordinary_names_keep_their_spelling() -> None:
    for name in ["val_loss", "learning rate (log)", "sqlite:///a.db", "W&B export", "0.98", "flat: x"]:
        assert md(name) == name


def test_text_is_one_line_and_bounded() -> None:
    assert md("a\nb\r\nc\u2028d") == "a b c d"
    assert len(one_line("x" * 1000)) == MAX_SHOWN and one_line("x" * 1000).endswith("…")
    assert len(md("x" * 1000)) == MAX_SHOWN
    assert len(md_sentence("word " * 1000)) <= MAX_SENTENCE
