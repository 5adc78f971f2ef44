"""The browser session's sweep: what was loaded, the user's choices on it, and loading a new one."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import streamlit as st

from lib.safe_text import md, md_sentence
from lib.selection import Choices, apply_choices, default_choices
from lib.sources import SourceError, load_source
from lib.sweep import Sweep, empty_sweep
from lib.ui.heap import freeze_startup_heap

LOADED_KEY = "sweep.loaded"
GENERATION_KEY = "sweep.generation"
CHOICES_KEY = "sweep.choices"
CHOICES_VERSION_KEY = "sweep.choices_version"
REFERENCE_KEY = "sweep.reference"
DEMO_REFERENCE = "demo"

log = logging.getLogger("sweepscope")


@st.cache_resource(show_spinner="Loading the demo sweep…")
def _demo_sweep() -> Sweep:
    return load_source("demo")


def loaded_sweep() -> Sweep:
    """The sweep this browser session loaded, the demo until it loads another."""
    if LOADED_KEY not in st.session_state:
        try:
            st.session_state[LOADED_KEY] = _demo_sweep()
        except Exception:  # a broken install must still leave the Load page usable
            log.exception("The demo sweep could not be read")
            st.session_state[LOADED_KEY] = empty_sweep(
                "The demo sweep could not be read: load a sweep instead"
            )
        freeze_startup_heap()  # the app's imports and the demo are loaded by now: see lib.ui.heap
    sweep: Sweep = st.session_state[LOADED_KEY]
    return sweep


def set_loaded_sweep(sweep: Sweep, reference: str | None = None) -> None:
    """Make `sweep` the session's sweep, with fresh widgets and no choices carried over.

    `reference` says how a link can reopen it (`lib.ui.links`); None when it cannot."""
    st.session_state[LOADED_KEY] = sweep
    st.session_state[REFERENCE_KEY] = reference
    st.session_state[GENERATION_KEY] = load_generation() + 1
    set_choices(default_choices(sweep))


def loaded_reference() -> str | None:
    """How a link reopens the session's sweep: the demo until another is loaded, None if it cannot."""
    if LOADED_KEY not in st.session_state:
        return DEMO_REFERENCE
    reference: str | None = st.session_state.get(REFERENCE_KEY, DEMO_REFERENCE)
    return reference


def load_generation() -> int:
    """Counts loads in this session; widget keys include it so a new sweep starts from fresh widgets."""
    return int(st.session_state.get(GENERATION_KEY, 0))


def current_choices() -> Choices:
    """The user's choices on the loaded sweep; a sweep nobody chose for yet starts from its defaults."""
    if CHOICES_KEY not in st.session_state:
        st.session_state[CHOICES_KEY] = default_choices(loaded_sweep())
    choices: Choices = st.session_state[CHOICES_KEY]
    return choices


def set_choices(choices: Choices) -> None:
    st.session_state[CHOICES_KEY] = choices
    st.session_state[CHOICES_VERSION_KEY] = st.session_state.get(CHOICES_VERSION_KEY, 0) + 1


def current_sweep() -> Sweep:
    """The sweep every page analyses: the loaded one with the user's choices applied."""
    return apply_choices(loaded_sweep(), current_choices())


def load_into_session(loader: Callable[[], Sweep], what: str, reference: str | None = None) -> bool:
    """Run a loader; on success make its sweep current (reopened by `reference`), on failure say
    why. Returns success."""
    try:
        with st.spinner(f"Reading {md(what)}…"):
            sweep = loader()
    except SourceError as error:
        st.error(md_sentence(str(error)), icon=":material/error:")
        return False
    except Exception as error:
        log.exception("Unexpected error while reading %s", what)
        st.error(
            f"Sweepscope could not read {md(what)}: an unexpected {type(error).__name__}. "
            "Check that it is a W&B folder, a runs table or a zip of a wandb/ folder.",
            icon=":material/error:",
        )
        return False
    set_loaded_sweep(sweep, reference)
    return True


def secrets_mapping() -> dict[str, Any]:
    """`st.secrets` as a plain dict; empty when the app has no secrets file."""
    try:
        return dict(st.secrets)
    except Exception:  # no secrets.toml: Streamlit raises even on .get()
        return {}
