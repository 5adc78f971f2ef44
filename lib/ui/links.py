"""Links that carry their sweep: `?src=<reference>&<view>` (references: `lib.ui.references`).

A fresh session opened on a link reopens the link's sweep when it can (`open_linked_source`, run by
the frame before the sidebar and the page). When it cannot, `link_notice` says so at the top of the
page and `linked_view` returns None, so no page applies the link's view to another sweep. Pages that
keep a view in the URL write it with `write_link`, which puts the loaded sweep's reference first.

Session memory: the `src` values already handled (opened, refused or written here: a link is acted
on once, not on every rerun), the link that opened the loaded sweep, the last link written, and the
link that could not be opened (its view waits until the user loads that sweep themselves).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from lib.safe_text import md, md_sentence
from lib.sources import SourceError, load_source
from lib.sources.paths import allowed_roots, guard_storage_url, resolve_allowed
from lib.sources.wandb.auth import resolve_api_key
from lib.sources.wandb.hosts import (
    KeyRefusedError,
    choose_key,
    configured_base_url,
    display_host,
    is_configured_host,
)
from lib.sweep import Sweep
from lib.ui.references import (
    DEMO,
    UNLINKED,
    Reference,
    carries_credentials,
    describe,
    optuna_reference,
    parse_reference,
    path_reference,
    wandb_reference,
    wandb_spec_of,
)
from lib.ui.session import LOADED_KEY, load_generation, loaded_reference, secrets_mapping, set_loaded_sweep
from lib.ui.start_source import start_source_reference

SOURCE_PARAM = "src"
HANDLED_KEY = "links.handled"
OPENED_KEY = "links.opened"
WRITTEN_KEY = "links.written"
PROBLEM_KEY = "links.problem"
# The Load page's widgets a W&B link fills in when a key must be typed (lib.ui.sources, pages/load.py).
LOAD_SOURCE_KEY = "load.source"
WANDB_PANEL = "W&B project or sweep"
WANDB_SPEC_FIELD = "load.wandb.spec"
WANDB_KEY_FIELD = "load.wandb.key"
TO_SEE_IT = "to see this view"

log = logging.getLogger("sweepscope")


@dataclass(frozen=True)
class LinkProblem:
    """A link whose sweep is not loaded: what it said, what to tell the user, and its waiting view."""

    src: str
    expected: str  # the reference the sweep gets when the user loads it on the Load page
    message: str  # Markdown, names escaped
    generation: int
    view: dict[str, str] = field(default_factory=dict)
    linked: bool = True  # False: the sweep the server was started on (no `src` in the URL)


# ---------------------------------------------------------------------------------- public API


def open_linked_source() -> None:
    """Reopen the sweep the URL's `src` names, once per session, unless it is the loaded one."""
    query = st.query_params.to_dict()
    linked = query.pop(SOURCE_PARAM, None)
    src = linked or _start_source()
    if not src or _belongs_to_loaded(src) or src in _handled():
        return
    _handled().add(src)
    reference = parse_reference(src)
    message = _reopen(reference, src)
    if message is not None and not linked:
        message = message.replace("This link is to", "Sweepscope was started on", 1)
        message = message.replace(NOT_APPLIED, "It shows the demo sweep; load another on the Load page.")
    if message is None:
        st.session_state[OPENED_KEY] = (load_generation(), src)
        st.session_state.pop(PROBLEM_KEY, None)
        return
    expected = _expected_reference(reference) or src
    st.session_state[PROBLEM_KEY] = LinkProblem(
        src, expected, message, load_generation(), query, linked=linked is not None
    )


def _start_source() -> str | None:
    """The sweep the server was started on (`scripts/run.sh PATH`), for a session yet to load one."""
    if LOADED_KEY in st.session_state:
        return None
    return start_source_reference(os.environ, _roots())


def link_notice(slot: DeltaGenerator) -> None:
    """In `slot`, at the top of the page: why the link's sweep is not the one shown; emptied for a
    good link, or once another sweep is loaded."""
    problem = _active_problem()
    if problem is None:
        slot.empty()
    else:
        slot.warning(problem.message, icon=":material/link_off:")


def linked_view() -> dict[str, str] | None:
    """The URL's parameters other than `src` when they belong to the loaded sweep; None when they
    belong to another one (never apply them then). A link that could not be opened gives its view
    once the user has loaded that sweep themselves."""
    query = st.query_params.to_dict()
    src = query.pop(SOURCE_PARAM, None)
    if src is not None:
        return query if _belongs_to_loaded(src) or _written_here({SOURCE_PARAM: src, **query}) else None
    waiting = _waiting_view()
    if waiting is not None and not query:
        return waiting
    return query if not query or _written_here(query) else None


def write_link(view: Mapping[str, str]) -> None:
    """Put `src=<the loaded sweep's reference>` and `view` in the URL (only when it changes).

    While a link that could not be opened is on screen, the URL keeps it, so it can be copied or
    reloaded once its sweep is available."""
    if _active_problem() is not None:
        return
    src = _link_reference()
    secrets = _known_keys()
    query = {SOURCE_PARAM: src} | {
        k: str(v) for k, v in view.items() if k != SOURCE_PARAM and not _holds_any(str(v), secrets)
    }
    _handled().add(src)
    st.session_state[WRITTEN_KEY] = (load_generation(), query)
    problem: LinkProblem | None = st.session_state.get(PROBLEM_KEY)
    if problem is not None and problem.expected == loaded_reference():
        st.session_state.pop(PROBLEM_KEY, None)  # its view has been taken up
    if query != st.query_params.to_dict():
        st.query_params.from_dict(query)


# ------------------------------------------------------------------------------ whose view is it


def _handled() -> set[str]:
    handled: set[str] = st.session_state.setdefault(HANDLED_KEY, set())
    return handled


def _belongs_to_loaded(src: str) -> bool:
    if src == loaded_reference() or st.session_state.get(OPENED_KEY) == (load_generation(), src):
        return True
    problem: LinkProblem | None = st.session_state.get(PROBLEM_KEY)
    return problem is not None and problem.src == src and _taken_up(problem)


def _taken_up(problem: LinkProblem) -> bool:
    """The user loaded the link's sweep after the link failed."""
    return load_generation() > problem.generation and problem.expected == loaded_reference()


def _written_here(query: Mapping[str, str]) -> bool:
    return st.session_state.get(WRITTEN_KEY) == (load_generation(), dict(query))


def _waiting_view() -> dict[str, str] | None:
    problem: LinkProblem | None = st.session_state.get(PROBLEM_KEY)
    return dict(problem.view) if problem is not None and _taken_up(problem) else None


def _active_problem() -> LinkProblem | None:
    """The failed link, while it is still in the URL (the start sweep: always) and nothing else was
    loaded since."""
    problem: LinkProblem | None = st.session_state.get(PROBLEM_KEY)
    if problem is None or problem.generation != load_generation():
        return None
    if not problem.linked:
        return problem
    return problem if st.query_params.get(SOURCE_PARAM) == problem.src else None


def _link_reference() -> str:
    reference = loaded_reference()
    if not reference or carries_credentials(reference) or _holds_any(reference, _known_keys()):
        return UNLINKED
    return reference


def _known_keys() -> list[str]:
    """Every W&B key this session could know, so none of them is ever written into a link."""
    typed = st.session_state.get(WANDB_KEY_FIELD)
    found = [
        resolve_api_key(typed if isinstance(typed, str) else None, None, None),
        resolve_api_key(None, secrets_mapping(), None),
        resolve_api_key(None, None, os.environ),
    ]
    return [key for key in found if key and len(key) >= 8]


def _holds_any(text: str, secrets: list[str]) -> bool:
    return any(secret in text for secret in secrets)


# ---------------------------------------------------------------------------------- reopening


def _roots() -> list[Path]:
    return allowed_roots(os.environ, secrets_mapping(), Path.cwd())


def _expected_reference(reference: Reference) -> str | None:
    """The reference a Load-page load of the same sweep gets, to recognise it later."""
    if reference.kind == "wandb":
        spec = wandb_spec_of(reference)
        return wandb_reference(spec) if spec is not None else None
    if reference.kind == "path":
        try:
            return path_reference(resolve_allowed(reference.target, _roots()), _roots())
        except SourceError:
            return None
    return None


def _reopen(reference: Reference, src: str) -> str | None:
    """Load the sweep `reference` names; None on success, else the message to show."""
    name = describe(reference)
    if reference.kind == "demo":
        return _load(lambda: load_source(DEMO), DEMO, name)
    if reference.kind == "path":
        return _reopen_path(reference, name)
    if reference.kind == "optuna":
        return _reopen_optuna(reference, src, name)
    if reference.kind == "wandb":
        return _reopen_wandb(reference, src, name)
    if reference.kind == "upload":
        return (
            f"This link is to **{md(name)}**, a file uploaded in another session; files cannot be "
            f"reopened from a link. Upload it on the Load page {TO_SEE_IT}."
        )
    if reference.kind == "private":
        return (
            f"This link is to **{md(name)}**, which was opened with a password, and links never carry "
            f"passwords. Load it on the Load page {TO_SEE_IT}."
        )
    return (
        f"This link is to **{md(name)}**, which Sweepscope cannot reopen from a link. Load that "
        f"sweep on the Load page {TO_SEE_IT}."
    )


def _reopen_path(reference: Reference, name: str) -> str | None:
    roots = _roots()
    try:
        path = resolve_allowed(reference.target, roots)
    except SourceError as error:
        return _cannot_open(name, str(error))
    return _load(lambda: load_source(path, allowed_roots=roots), path_reference(path, roots), name)


def _reopen_optuna(reference: Reference, src: str, name: str) -> str | None:
    from lib.sources.optuna import load_optuna_study

    roots = _roots()
    try:
        url = guard_storage_url(reference.target, roots)
    except SourceError as error:
        return _cannot_open(name, str(error))
    study = reference.study
    canonical = optuna_reference(url, study, roots) if study else src
    return _load(lambda: load_optuna_study(url, study), canonical, name)


def _reopen_wandb(reference: Reference, src: str, name: str) -> str | None:
    spec = wandb_spec_of(reference)
    if spec is None:
        return _cannot_open(name, "It does not name a W&B project or sweep Sweepscope can read.")
    if not is_configured_host(spec.base_url):
        _prefill_wandb_field(reference.target)
        return (
            f"This link is to **{md(name)}**. Type your W&B API key for that server on the Load page "
            f"(the W&B field is filled in) {TO_SEE_IT}: keys configured here are only sent to "
            f"{md(display_host(configured_base_url()))}."
        )
    try:
        choice = choose_key(spec.base_url, None, secrets_mapping(), None)
    except KeyRefusedError as error:
        _prefill_wandb_field(reference.target)
        return _cannot_open(name, str(error))
    if choice is None:
        _prefill_wandb_field(reference.target)
        return (
            f"This link is to **{md(name)}**. Fetching it needs a W&B API key and none is configured "
            f"here: paste yours on the Load page (the W&B field is filled in) {TO_SEE_IT}. Keys for "
            f"this deployment go into .streamlit/secrets.toml or WANDB_API_KEY, and are only sent to "
            f"{md(display_host(configured_base_url()))}."
        )
    from lib.ui.sources import WANDB_SPEC_KEY, fetch_with_progress

    message = _load(
        lambda: fetch_with_progress(spec, choice.key, fresh=False), wandb_reference(spec) or src, name
    )
    if message is None:
        st.session_state[WANDB_SPEC_KEY] = spec
    return message


def _prefill_wandb_field(text: str) -> None:
    """Open the Load page on the W&B panel with the link's project or sweep typed in."""
    st.session_state[LOAD_SOURCE_KEY] = WANDB_PANEL
    st.session_state[WANDB_SPEC_FIELD] = text


def _load(loader: Callable[[], Sweep], reference: str, name: str) -> str | None:
    try:
        with st.spinner(f"Opening {md(name)} from the link…"):
            sweep = loader()
    except SourceError as error:
        return _cannot_open(name, str(error))
    except Exception as error:
        log.exception("Unexpected error while reopening a linked sweep")
        return _cannot_open(name, f"an unexpected {type(error).__name__} (the server log has the details).")
    set_loaded_sweep(sweep, reference)
    return None


def _cannot_open(name: str, reason: str) -> str:
    return (
        f"This link is to **{md(name)}**, which could not be opened here: {md_sentence(reason)} {NOT_APPLIED}"
    )


NOT_APPLIED = "Its view is not applied to the sweep shown instead."
