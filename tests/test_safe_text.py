import re

import pytest

from lib.safe_text import MAX_SHOWN, WORD_JOINER, md, md_sentence, one_line

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
    "$x^2$",
    "<img src=http://x.test/p.png>",
    "# x",
    "&#60;img&#62;",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_every_punctuation_character_is_escaped(text: str) -> None:
    without_escapes = re.sub(r"\\[!-/:-@\[-`{-~]", "", md(text))
    assert not re.search(r"[!-/:-@\[-`{-~]", without_escapes)


@pytest.mark.parametrize("text", ["https://x.test/a", "http://x", "www.x.test", "WwW.x", "a@b.test"])
def test_bare_url_autolinks_are_broken(text: str) -> None:
    # GFM finds bare URLs after undoing escapes, so the unescaped text must not hold one.
    literal = re.sub(r"\\(.)", r"\1", md(text))
    assert not re.search(r"(?i)(https?://|www\.|@[\w-])", literal)
    assert literal.replace(WORD_JOINER, "") == text


def test_text_is_one_line_and_bounded() -> None:
    assert "\n" not in md("a\nb\r\nc\u2028d")
    assert md("a\nb") == "a b"
    assert len(one_line("x" * 1000)) == MAX_SHOWN and one_line("x" * 1000).endswith("…")
    assert len(md_sentence("word " * 1000)) <= 2_000


def test_plain_names_are_unchanged() -> None:
    assert md("learning rate") == "learning rate"
    assert md("val_loss") == r"val\_loss"
