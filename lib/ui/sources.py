"""The load page's source panels: one function per way in, each ending in `load_into_session`.

Each load passes the reference a link uses to reopen the sweep (`lib.ui.references`): the demo, a
path below the allowed folders, an Optuna URL without credentials, a W&B project or sweep; an upload
gets an `upload:` reference that only names the file. After a load the sidebar is redrawn at once.

The W&B key is the one typed in the page's password field (this browser session only), or for the
configured W&B server only, the app's secrets or the environment (`lib.sources.wandb.hosts`).
Fetched sweeps are cached on the key's digest, never the key (`lib.sources.wandb.cache`).
What is shown from data or typed by the visitor goes through `md` (`load_into_session` escapes
what it is given itself).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from lib.safe_text import md, md_sentence
from lib.sources import SourceError, load_source, load_upload
from lib.sources.archive import load_wandb_zip
from lib.sources.optuna import (
    StudyInfo,
    list_studies,
    list_studies_in_bytes,
    load_optuna_bytes,
    load_optuna_study,
)
from lib.sources.paths import allowed_roots, guard_storage_url, resolve_allowed
from lib.sources.snapshot import describe_age, describe_claimed_age, is_from_snapshot
from lib.sources.wandb.api import fetch_sweep
from lib.sources.wandb.auth import KEY_NAME, WHERE_TO_PUT_A_KEY, credential_digest
from lib.sources.wandb.cache import FetchedSweeps
from lib.sources.wandb.errors import IncompleteFetchError
from lib.sources.wandb.hosts import KeyChoice, choose_key, configured_base_url, display_host, key_page
from lib.sources.wandb.snapshot import fetched_at, snapshot_bytes
from lib.sources.wandb.spec import WandbSpec, parse_wandb_spec
from lib.sweep import Sweep
from lib.ui.frame import show_current_sweep
from lib.ui.metric_value import remember_wandb_key
from lib.ui.references import (
    optuna_reference,
    path_reference,
    private_reference,
    upload_reference,
    wandb_reference,
)
from lib.ui.session import DEMO_REFERENCE, load_into_session, secrets_mapping, set_loaded_sweep

log = logging.getLogger("sweepscope")

PARTIAL_KEY = "load.wandb.partial"
PARTIAL_SPEC_KEY = "load.wandb.partial_spec"
WANDB_SPEC_KEY = "load.wandb.loaded_spec"
FETCH_TTL_SECONDS = 15 * 60
# One store per server process, shared by its sessions; an entry is reachable only with its key.
FETCHED = FetchedSweeps(ttl_seconds=FETCH_TTL_SECONDS, max_entries=16, max_bytes=256 * 2**20)


def demo_panel() -> None:
    st.caption("A real scikit-learn sweep shipped with Sweepscope: no account, no network.")
    if st.button("Load the demo", type="primary"):
        _load(lambda: load_source("demo"), "the demo sweep", DEMO_REFERENCE)


def path_panel() -> None:
    roots = allowed_roots(os.environ, secrets_mapping(), Path.cwd())
    st.caption(
        "A wandb/ folder (or the folder holding it), a runs table (.csv, .tsv, .parquet), a Sweepscope "
        f"snapshot, a .zip or an Optuna .db file. Readable folders: {', '.join(str(r) for r in roots)}."
    )
    text = st.text_input("Path", placeholder="wandb  or  exports/runs.csv", key="load.path")
    if st.button("Load path", type="primary", disabled=not text):
        _load(
            lambda: load_source(resolve_allowed(text, roots), allowed_roots=roots),
            text,
            _path_link(text, roots),
        )


def table_upload_panel() -> None:
    st.caption(
        "A W&B runs-table export (Runs tab → table → Export CSV), an API-made table, any runs table, "
        "or a snapshot saved from Sweepscope (.parquet)."
    )
    upload = st.file_uploader("Runs table", type=["csv", "tsv", "txt", "parquet", "pq"], key="load.table")
    if upload is not None and st.button("Load table", type="primary"):
        _load(lambda: load_upload(upload.getvalue(), upload.name), upload.name, upload_reference(upload.name))


def zip_upload_panel() -> None:
    st.caption("Zip your wandb/ folder (online and offline runs) and upload it; nothing in it is executed.")
    upload = st.file_uploader("Zipped wandb/ folder", type=["zip"], key="load.zip")
    if upload is not None and st.button("Load zip", type="primary"):
        _load(
            lambda: load_wandb_zip(upload.getvalue(), name=upload.name),
            upload.name,
            upload_reference(upload.name),
        )


def _load(loader: Callable[[], Sweep], what: str, reference: str | None) -> bool:
    """`load_into_session`, then the sidebar names the new sweep in this same run."""
    if not load_into_session(loader, what, reference):
        return False
    show_current_sweep()
    return True


def _path_link(text: str, roots: list[Path]) -> str | None:
    """The reference of a typed path; None when it is refused (the load then says why)."""
    try:
        return path_reference(resolve_allowed(text, roots), roots)
    except SourceError:
        return None


# ---------------------------------------------------------------------------------------------- W&B


def wandb_panel() -> None:
    st.caption(
        "Paste `entity/project`, `entity/project/sweep_id`, or the URL of a W&B project, sweep or run "
        "(a self-hosted server's URL works too)."
    )
    text = st.text_input(
        "W&B project, sweep or URL",
        placeholder="https://wandb.ai/entity/project/sweeps/abc123",
        key="load.wandb.spec",
    )
    field = st.text_input(
        "W&B API key",
        type="password",
        key="load.wandb.key",
        help="Kept only for this browser session: never shown, logged, cached or written to disk.",
    )
    st.caption(_key_origin(text, field))
    fetch, refresh = st.columns([1, 1])
    if fetch.button("Fetch from W&B", type="primary", disabled=not text.strip()):
        _fetch_into_session(text, field, fresh=False)
    if refresh.button("Refresh (fetch again)", disabled=not text.strip()):
        _fetch_into_session(text, field, fresh=True)
    _offer_partial_fetch()


def _key_origin(text: str, field: str) -> str:
    """Which key a fetch would send: never advertises the deployment's key for another server."""
    try:
        spec = parse_wandb_spec(text) if text.strip() else None
        choice = choose_key(spec.base_url if spec else configured_base_url(), field, secrets_mapping(), None)
    except SourceError:
        return "Type your W&B API key for that server above: this deployment's key is not sent to it."
    if choice is None:
        return f"No API key is configured: paste yours above (from {key_page(configured_base_url())})."
    if choice.origin == "typed":
        return "Using the key typed above."
    where = display_host(configured_base_url())
    if choice.origin == "secrets":
        return f"Using the API key from the app's secrets (sent only to {where})."
    return f"Using the API key from the {KEY_NAME} environment variable (sent only to {where})."


def _fetch_into_session(text: str, field: str, *, fresh: bool) -> None:
    spec = _parsed_spec(text)
    if spec is None:
        return
    choice = _key_choice(spec, field)
    if choice is None:
        return
    st.session_state.pop(PARTIAL_KEY, None)
    st.session_state[PARTIAL_SPEC_KEY] = spec
    if _load(lambda: fetch_with_progress(spec, choice.key, fresh=fresh), spec.label, _wandb_link(spec)):
        st.session_state[WANDB_SPEC_KEY] = spec


def _wandb_link(spec: WandbSpec) -> str:
    return wandb_reference(spec) or private_reference(f"W&B {spec.label}")


def _key_choice(spec: WandbSpec, field: str) -> KeyChoice | None:
    """The key this fetch may send (see `choose_key`); None after saying why there is none."""
    try:
        choice = choose_key(spec.base_url, field, secrets_mapping(), None)
    except SourceError as error:
        st.error(md_sentence(str(error)), icon=":material/key:")
        return None
    if choice is None:
        st.error(WHERE_TO_PUT_A_KEY, icon=":material/key:")
    return choice


def _parsed_spec(text: str) -> WandbSpec | None:
    try:
        spec = parse_wandb_spec(text)
    except SourceError as error:
        st.error(md_sentence(str(error)), icon=":material/error:")
        return None
    if spec is None:
        st.error(
            f"{md(repr(text.strip()))} is not a W&B project or sweep. Paste entity/project, "
            "entity/project/sweep_id or a W&B URL such as https://wandb.ai/entity/project/sweeps/abc123.",
            icon=":material/error:",
        )
    return spec


def fetch_with_progress(spec: WandbSpec, key: str, *, fresh: bool) -> Sweep:
    """A cached copy unless `fresh`; else a fetch drawing its progress bar, then cached."""
    remember_wandb_key(key)  # this session's history reads of the sweep need it
    digest = credential_digest(key)
    cached = None if fresh else FETCHED.get(spec, digest)
    if cached is not None:
        return cached
    bar = st.progress(0.0, text=f"Asking W&B for {md(spec.label)}…")

    def progress(done: int, total: int | None) -> None:
        share = min(done / total, 1.0) if total else 0.0
        bar.progress(share, text=f"{done:,} of {total:,} runs" if total else f"{done:,} runs so far")

    try:
        sweep = fetch_sweep(spec, digest, key, progress)
    except IncompleteFetchError as error:
        st.session_state[PARTIAL_KEY] = error.partial
        raise
    finally:
        bar.empty()
    FETCHED.put(spec, digest, sweep)
    return sweep


def _offer_partial_fetch() -> None:
    partial: Sweep | None = st.session_state.get(PARTIAL_KEY)
    if partial is None:
        return
    label = f"Use the {len(partial.runs):,} runs that arrived (marked incomplete)"
    if st.button(label, key="load.wandb.use_partial"):
        note = "Incomplete: W&B stopped answering before every run arrived (see what was not loaded)."
        spec: WandbSpec | None = st.session_state.get(PARTIAL_SPEC_KEY)
        set_loaded_sweep(
            partial.replace(notes=[*partial.notes, note], source=f"{partial.source} (incomplete)"),
            _wandb_link(spec) if spec is not None else None,
        )
        st.session_state.pop(PARTIAL_KEY, None)
        show_current_sweep()


def fetched_data_facts(sweep: Sweep) -> None:
    """For data from W&B: how old it is, and a snapshot to reopen offline."""
    when = fetched_at(sweep)
    if when is None:
        return
    if is_from_snapshot({str(key): value for key, value in sweep.runs.attrs.items()}):
        st.caption(f"From a snapshot file: {describe_claimed_age(when)}. Fetch from W&B for current data.")
        return
    st.caption(f"Data {describe_age(when)}. Use Refresh on the W&B source to fetch it again.")
    spec = st.session_state.get(WANDB_SPEC_KEY)
    st.download_button(
        "Save a snapshot to reopen offline (.parquet)",
        data=lambda: snapshot_bytes(sweep, spec),
        file_name=f"{_file_stem(sweep.source)}.parquet",
        mime="application/octet-stream",
        icon=":material/download:",
        key="load.snapshot",
    )


def _file_stem(source: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", source).strip("-")[:80] or "sweep"


# ------------------------------------------------------------------------------------------- Optuna


def optuna_panel() -> None:
    st.caption(
        "An Optuna storage: a SQLite file (uploaded, or `sqlite:///path.db` on this server) or any database "
        "URL Optuna accepts. It is only read: nothing is written, and a missing file is never created."
    )
    how = st.radio(
        "Storage", ["Upload a SQLite file", "Database URL"], horizontal=True, key="load.optuna.how"
    )
    if how == "Database URL":
        _optuna_url_panel()
    else:
        _optuna_upload_panel()


def _optuna_url_panel() -> None:
    text = st.text_input("Storage URL", placeholder="sqlite:///optuna.db", key="load.optuna.url")
    if not text.strip():
        return
    roots = allowed_roots(os.environ, secrets_mapping(), Path.cwd())
    url = _listed_or_error(lambda: guard_storage_url(text, roots))
    studies = _listed_or_error(lambda: _studies_at(url)) if url else None
    study = _study_picker(studies)
    if study is not None and st.button("Load study", type="primary"):
        _load(
            lambda: load_optuna_study(url, study.name),
            f"the study {study.name!r}",
            optuna_reference(url, study.name, roots),
        )


def _optuna_upload_panel() -> None:
    upload = st.file_uploader("Optuna SQLite file", type=["db", "sqlite", "sqlite3"], key="load.optuna.file")
    if upload is None:
        return
    data = upload.getvalue()
    studies = _listed_or_error(lambda: _studies_in_upload(data, upload.name))
    study = _study_picker(studies)
    if study is not None and st.button("Load study", type="primary"):
        _load(
            lambda: load_optuna_bytes(data, upload.name, study.name),
            f"the study {study.name!r}",
            upload_reference(upload.name),
        )


@st.cache_data(ttl=30, max_entries=8, show_spinner=False)
def _studies_at(url: str) -> list[StudyInfo]:
    """The studies of a storage, read once per half minute rather than on every rerun of the page."""
    return list_studies(url)


@st.cache_data(max_entries=8, show_spinner=False)
def _studies_in_upload(data: bytes, name: str) -> list[StudyInfo]:
    return list_studies_in_bytes(data, name)


def _listed_or_error(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except SourceError as error:
        st.error(md_sentence(str(error)), icon=":material/error:")
    except Exception as error:
        log.exception("Unexpected error while opening an Optuna storage")
        st.error(
            f"Sweepscope could not open that storage: an unexpected {type(error).__name__}. "
            "Check that it is an Optuna storage.",
            icon=":material/error:",
        )
    return None


def _study_picker(studies: list[StudyInfo] | None) -> StudyInfo | None:
    if not studies:
        if studies is not None:
            st.warning("This storage holds no study yet.", icon=":material/warning:")
        return None
    return st.selectbox("Study", studies, format_func=lambda s: s.label, key="load.optuna.study")


SOURCE_PANELS: dict[str, Callable[[], None]] = {
    "Demo sweep": demo_panel,
    "W&B project or sweep": wandb_panel,
    "Optuna study": optuna_panel,
    "Path on this server": path_panel,
    "Upload a runs table": table_upload_panel,
    "Upload a zipped wandb/ folder": zip_upload_panel,
}
