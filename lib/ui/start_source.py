"""The sweep named when the server was started (`bash scripts/run.sh PATH_OR_SPEC`), as a link
reference: a fresh session opens it as if its URL carried `?src=` (`lib.ui.links`).

`scripts/run.sh` puts the argument in SWEEPSCOPE_SOURCE (a path made absolute, its folder added to
the allowed folders); the app starts on the demo when it is unset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from lib.sources import SourceError
from lib.sources.paths import resolve_allowed
from lib.sources.wandb.spec import parse_wandb_spec
from lib.ui.references import optuna_reference, path_reference, wandb_reference

START_SOURCE_VAR = "SWEEPSCOPE_SOURCE"
_DATABASE_SCHEMES = ("sqlite:", "postgresql", "mysql", "oracle", "mssql")


def start_source_reference(env: Mapping[str, str], roots: Sequence[Path]) -> str | None:
    """The reference of the sweep named at start, None when none was named. A name that is no
    path, storage URL or W&B project is given back as it is, so opening it says what is wrong."""
    text = env.get(START_SOURCE_VAR, "").strip()
    if not text:
        return None
    if text.startswith(_DATABASE_SCHEMES):
        return _study_reference(text, roots)
    if Path(text).expanduser().exists():
        try:
            return path_reference(resolve_allowed(text, roots), roots)
        except SourceError:
            return f"path:{text}"
    spec = parse_wandb_spec(text)
    if spec is not None:
        return wandb_reference(spec) or text
    return f"path:{text}"


def _study_reference(url: str, roots: Sequence[Path]) -> str:
    """The storage's study named after `#`, else its latest one (most people keep one per file)."""
    from lib.sources.optuna.load import list_studies

    storage, _, named = url.partition("#")
    if not named:
        try:
            studies = list_studies(storage)
        except SourceError:
            studies = []
        named = studies[-1].name if studies else ""
    return optuna_reference(storage, named, roots) if named else f"optuna:{storage}"
