"""The brief's link back to the live view: the address bar's `?src=...&<view>` on the app's own
address, read back with urllib; none for a sweep no link can reopen, or a URL naming another sweep."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from lib.ui.brief import app_base_url, link_for
from lib.ui.references import path_reference, private_reference, upload_reference
from lib.views.parallel_state import ViewState, to_query
from tests.views.test_brief import SCRIPT

VIEW = to_query(ViewState(metric="val_loss", best_percent=25.0, axes=(SCRIPT, "a,b")))


def test_the_link_opens_the_parallel_page_of_the_app_with_the_same_query() -> None:
    query = {"src": "demo", **VIEW}
    link, note = link_for(query, "demo", "http://127.0.0.1:8501")
    assert link is not None and note
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "127.0.0.1:8501", "/parallel")
    assert {k: v[0] for k, v in parse_qs(parts.query).items()} == query  # every value whole


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("http://127.0.0.1:8501", "http://127.0.0.1:8501"),
        ("http://127.0.0.1:8501/", "http://127.0.0.1:8501"),
        ("https://apps.example/team/sweepscope/home", "https://apps.example/team/sweepscope"),
        ("https://user:secret@apps.example/x/", "https://apps.example/x"),
        ("javascript:alert(1)", None),
        ("file:///tmp/app", None),
        (None, None),
    ],
)
def test_the_app_address_keeps_its_path_but_not_the_page_or_a_user(url: str | None, base: str | None) -> None:
    assert app_base_url(url) == base


def test_without_the_app_address_the_link_is_relative() -> None:
    link, _ = link_for({"src": "demo", "q": "25.0"}, "demo", None)
    assert link == "?src=demo&q=25.0"


@pytest.mark.parametrize(
    ("reference", "why"),
    [
        (upload_reference("runs.csv"), "uploaded"),
        (private_reference("the Optuna study 's' on a database server"), "password"),
        ("unlinked", "cannot be reopened"),
    ],
)
def test_a_sweep_no_link_can_reopen_gets_none(reference: str, why: str) -> None:
    link, note = link_for({"src": reference, **VIEW}, reference, "http://127.0.0.1:8501")
    assert link is None and why in note


def test_a_url_still_naming_another_sweep_gives_no_link(tmp_path: Path) -> None:
    failed = path_reference(tmp_path / "other.csv", [tmp_path])  # a link that could not be opened
    link, _ = link_for({"src": failed, **VIEW}, "demo", "http://127.0.0.1:8501")
    assert link is None
    assert link_for(VIEW, "demo", "http://127.0.0.1:8501")[0] is None  # no src at all
