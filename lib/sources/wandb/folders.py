"""Finding a path's W&B run folders: a `wandb/` folder, the folder holding it, or one run folder.

An online run folder is `run-<time>-<id>/`, an offline one `offline-run-<time>-<id>/`; a
`latest-run` copy (committed to git) counts once; `sweep-<id>/config-<run_id>.yaml` files say which
sweep an online agent's runs belong to.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lib.sources import limits
from lib.sources.reading import LINK_OUTSIDE, UNGUARDED, Reading, unreadable_entry_reason

RUN_FOLDER = re.compile(r"(?P<offline>offline-)?run-(?P<stamp>\d{8}_\d{6})-(?P<id>[^/\\]+)")
SWEEP_FOLDER = re.compile(r"sweep-(?P<id>[^/\\]+)")
SWEEP_RUN_CONFIG = re.compile(r"config-(?P<run>.+)\.yaml")
LATEST_RUN = "latest-run"


@dataclass(frozen=True)
class RunFolder:
    """One run folder on disk; `run_id` None for a `latest-run` copy whose id is not in its name."""

    path: Path
    run_id: str | None
    stamp: str | None = None  # YYYYMMDD_HHMMSS from the folder name
    log_path: Path | None = field(init=False)  # where its run-<id>.wandb would be
    linked: bool | None = field(default=None, compare=False)  # a link, as its listing said; None: unknown

    def __post_init__(self) -> None:
        log_path = self.path / f"run-{self.run_id}.wandb" if self.run_id else None
        object.__setattr__(self, "log_path", log_path)

    @property
    def started(self) -> datetime | None:
        """The folder name's time, read as this machine's local time (W&B writes the local time of
        the machine that ran it)."""
        if self.stamp is None:
            return None
        try:
            return datetime.strptime(self.stamp, "%Y%m%d_%H%M%S").astimezone(UTC)
        except ValueError:
            return None


@dataclass
class FoundRuns:
    """The run folders a path leads to, and which sweep each online sweep run belongs to."""

    wandb_dir: Path
    folders: list[RunFolder] = field(default_factory=list)
    sweep_of_run: dict[str, str] = field(default_factory=dict)
    refused: list[tuple[str, str]] = field(default_factory=list)  # folders `Reading` does not allow


def find_run_folders(path: Path, reading: Reading = UNGUARDED) -> FoundRuns:
    """The run folders `path` means: itself if it is a run folder, else the runs in it or in its wandb/."""
    if RUN_FOLDER.fullmatch(path.name):
        return _single_run(path)
    found = _scan(path, reading)
    if not found.folders and (path / "wandb").is_dir():
        if not reading.allows(path / "wandb"):
            return FoundRuns(wandb_dir=path, refused=[("wandb", f"the folder is {LINK_OUTSIDE}")])
        found = _scan(path / "wandb", reading)
    if not found.folders and _looks_like_run_folder(path):
        return _single_run(path)  # a renamed run folder, or a latest-run copy given on its own
    return found


def _single_run(path: Path) -> FoundRuns:
    found = FoundRuns(wandb_dir=path)
    found.folders.append(_single_run_folder(path))
    found.sweep_of_run.update(_scan(path.parent, with_runs=False).sweep_of_run)
    return found


def _looks_like_run_folder(path: Path) -> bool:
    files = path / "files"
    return (
        (files / "config.yaml").is_file()
        or (files / "wandb-summary.json").is_file()
        or any(path.glob("run-*.wandb"))
    )


def _single_run_folder(path: Path) -> RunFolder:
    matched = RUN_FOLDER.fullmatch(path.name)
    if matched:
        return RunFolder(path, matched["id"], matched["stamp"])
    return RunFolder(path, _run_id_from_log_name(path))


def _scan(wandb_dir: Path, reading: Reading = UNGUARDED, *, with_runs: bool = True) -> FoundRuns:
    found = FoundRuns(wandb_dir=wandb_dir)
    latest_copy: Path | None = None
    try:
        with os.scandir(wandb_dir) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError:
        return found
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError as error:  # a link loop: list it, never lose the folder over it
            if RUN_FOLDER.fullmatch(entry.name) or SWEEP_FOLDER.fullmatch(entry.name):
                found.refused.append((entry.name, unreadable_entry_reason(error, "the folder")))
            continue
        if not is_dir:
            continue
        run = RUN_FOLDER.fullmatch(entry.name)
        sweep = None if run else SWEEP_FOLDER.fullmatch(entry.name)
        if run and with_runs:
            folder = RunFolder(wandb_dir / entry.name, run["id"], run["stamp"], linked=entry.is_symlink())
            found.folders.append(folder)
        elif sweep and not reading.allows(Path(entry.path)):
            found.refused.append((entry.name, f"the folder is {LINK_OUTSIDE}"))
        elif sweep:
            found.sweep_of_run.update(_sweep_members(Path(entry.path), sweep["id"]))
        elif entry.name == LATEST_RUN and with_runs and not entry.is_symlink():
            latest_copy = Path(entry.path)  # a real copy of one run (committed to git): count it once
    if latest_copy is not None:
        _add_latest_copy(found, latest_copy)
    _within_budget(found)
    return found


def _within_budget(found: FoundRuns) -> None:
    """Keep the newest run folders up to the budget (names start with their time); say how many
    older ones were left and which limit to raise."""
    budget = limits.RUN_FOLDERS.value()
    extra = len(found.folders) - budget
    if extra <= 0:
        return
    oldest = found.folders[extra - 1].path.name
    found.folders = found.folders[extra:]
    reason = f"over the budget of {budget:,} {limits.RUN_FOLDERS.what} ({limits.RUN_FOLDERS.how_to_raise})"
    found.refused.append((f"the {extra:,} oldest run folders (up to {oldest})", reason))


def _add_latest_copy(found: FoundRuns, latest: Path) -> None:
    """Keep a `latest-run` copy only when it is not a copy of a run folder that is also here."""
    run_id = _run_id_from_log_name(latest)
    known = {f.run_id for f in found.folders}
    if (run_id is None and not found.folders) or (run_id is not None and run_id not in known):
        found.folders.append(RunFolder(latest, run_id))


def _run_id_from_log_name(folder: Path) -> str | None:
    names = sorted(p.name for p in folder.glob("run-*.wandb"))
    return names[0][len("run-") : -len(".wandb")] if names else None


def _sweep_members(sweep_dir: Path, sweep_id: str) -> dict[str, str]:
    """`sweep-<id>/config-<run_id>.yaml`: the runs an online sweep agent started."""
    members = {}
    for name in os.listdir(sweep_dir):
        matched = SWEEP_RUN_CONFIG.fullmatch(name)
        if matched:
            members[matched["run"]] = sweep_id
    return members
