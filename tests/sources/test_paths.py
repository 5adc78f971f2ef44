from __future__ import annotations

import os
from pathlib import Path

import pytest

from lib.sources.errors import SourceError
from lib.sources.paths import (
    ENV_VAR,
    SECRETS_KEY,
    PathNotAllowed,
    allowed_roots,
    guard_storage_url,
    resolve_allowed,
)


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "app"
    (folder / "exports").mkdir(parents=True)
    (folder / "exports" / "runs.csv").write_text("lr,loss\n0.1,0.5\n")
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "secret.csv").write_text("x\n1\n")
    return folder


def test_the_start_folder_is_the_default_root(app_dir: Path) -> None:
    assert allowed_roots({}, None, app_dir) == [app_dir.resolve()]


def test_env_and_secrets_add_roots_in_order_without_repeats(app_dir: Path, tmp_path: Path) -> None:
    one, two, three = (tmp_path / n for n in ("one", "two", "three"))
    env = {ENV_VAR: f"{one}{os.pathsep} {two} {os.pathsep}{os.pathsep}{app_dir}"}
    roots = allowed_roots(env, {SECRETS_KEY: [str(three), str(one)]}, app_dir)
    assert roots == [app_dir.resolve(), one.resolve(), two.resolve(), three.resolve()]
    assert allowed_roots({}, {SECRETS_KEY: str(two)}, app_dir) == [app_dir.resolve(), two.resolve()]


def test_relative_roots_are_relative_to_the_start_folder(app_dir: Path) -> None:
    assert allowed_roots({ENV_VAR: "exports"}, None, app_dir)[1] == (app_dir / "exports").resolve()


def test_a_secrets_value_of_another_type_adds_nothing(app_dir: Path) -> None:
    assert allowed_roots({}, {SECRETS_KEY: 42, "other": "x"}, app_dir) == [app_dir.resolve()]


def test_relative_and_absolute_paths_inside_a_root_are_resolved(app_dir: Path) -> None:
    roots = allowed_roots({}, None, app_dir)
    expected = (app_dir / "exports" / "runs.csv").resolve()
    assert resolve_allowed("exports/runs.csv", roots) == expected
    assert resolve_allowed(f"  '{app_dir / 'exports' / 'runs.csv'}'  ", roots) == expected
    assert resolve_allowed("exports/../exports/runs.csv", roots) == expected
    assert resolve_allowed(".", roots) == app_dir.resolve()
    assert resolve_allowed("exports/not-yet-there.csv", roots) == (app_dir / "exports").resolve() / (
        "not-yet-there.csv"
    )


@pytest.mark.parametrize("text", ["../elsewhere/secret.csv", "exports/../../elsewhere/secret.csv", ".."])
def test_dot_dot_cannot_climb_out(app_dir: Path, outside: Path, text: str) -> None:
    with pytest.raises(PathNotAllowed, match="outside the folders"):
        resolve_allowed(text, allowed_roots({}, None, app_dir))


def test_absolute_paths_outside_are_refused_with_how_to_allow_them(app_dir: Path, outside: Path) -> None:
    with pytest.raises(PathNotAllowed) as caught:
        resolve_allowed(str(outside / "secret.csv"), allowed_roots({}, None, app_dir))
    assert ENV_VAR in str(caught.value) and str(app_dir.resolve()) in str(caught.value)
    assert isinstance(caught.value, SourceError)
    with pytest.raises(PathNotAllowed):
        resolve_allowed("/etc/passwd", allowed_roots({}, None, app_dir))


def test_a_symlink_inside_a_root_pointing_outside_is_refused(app_dir: Path, outside: Path) -> None:
    (app_dir / "exports" / "link.csv").symlink_to(outside / "secret.csv")
    (app_dir / "linked_dir").symlink_to(outside, target_is_directory=True)
    roots = allowed_roots({}, None, app_dir)
    for text in ("exports/link.csv", "linked_dir/secret.csv", "linked_dir"):
        with pytest.raises(PathNotAllowed):
            resolve_allowed(text, roots)


def test_a_symlink_to_an_allowed_place_is_fine(app_dir: Path) -> None:
    (app_dir / "alias").symlink_to(app_dir / "exports", target_is_directory=True)
    roots = allowed_roots({}, None, app_dir)
    assert resolve_allowed("alias/runs.csv", roots) == (app_dir / "exports" / "runs.csv").resolve()


def test_a_root_reached_through_a_symlink_still_allows_its_files(tmp_path: Path, outside: Path) -> None:
    (tmp_path / "shortcut").symlink_to(outside, target_is_directory=True)
    roots = allowed_roots({ENV_VAR: str(tmp_path / "shortcut")}, None, tmp_path / "app")
    assert (
        resolve_allowed(str(tmp_path / "shortcut" / "secret.csv"), roots)
        == (outside / "secret.csv").resolve()
    )


def test_extra_roots_allow_their_folders_only(app_dir: Path, outside: Path, tmp_path: Path) -> None:
    roots = allowed_roots({ENV_VAR: str(outside)}, None, app_dir)
    assert resolve_allowed(str(outside / "secret.csv"), roots) == (outside / "secret.csv").resolve()
    sibling = tmp_path / "elsewhere-too"  # shares a prefix with an allowed root, but is not inside it
    sibling.mkdir()
    with pytest.raises(PathNotAllowed):
        resolve_allowed(str(sibling), roots)


@pytest.mark.parametrize("text", ["", "   ", "''", "bad\x00name"])
def test_empty_or_unusable_text_is_refused(app_dir: Path, text: str) -> None:
    with pytest.raises(PathNotAllowed):
        resolve_allowed(text, allowed_roots({}, None, app_dir))


def test_no_roots_refuses_everything(app_dir: Path) -> None:
    with pytest.raises(PathNotAllowed, match="no folder is allowed"):
        resolve_allowed(str(app_dir), [])


def test_home_shortcuts_are_expanded_before_checking(
    app_dir: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(outside))
    roots = allowed_roots({}, None, app_dir)
    with pytest.raises(PathNotAllowed):
        resolve_allowed("~/secret.csv", roots)
    roots = allowed_roots({ENV_VAR: "~"}, None, app_dir)
    assert resolve_allowed("~/secret.csv", roots) == (outside / "secret.csv").resolve()


def test_a_sqlite_url_is_read_only_inside_the_allowed_folders(tmp_path: Path) -> None:
    inside = tmp_path / "app"
    (inside / "studies").mkdir(parents=True)
    roots = [inside]
    assert guard_storage_url("sqlite:///studies/s.db", roots) == f"sqlite:///{inside / 'studies' / 's.db'}"
    assert guard_storage_url(f"sqlite:///{inside}/s.db#my study", roots).endswith("s.db#my study")
    for outside in ("sqlite:////etc/passwd", "sqlite:///../secret.db", "sqlite:///"):
        with pytest.raises(PathNotAllowed):
            guard_storage_url(outside, roots)
    assert guard_storage_url("postgresql://db.example/optuna", roots) == "postgresql://db.example/optuna"


def test_a_symlink_loop_inside_a_root_is_named_as_one(app_dir: Path) -> None:
    (app_dir / "exports" / "loop").symlink_to(app_dir / "exports" / "loop")
    (app_dir / "a").symlink_to(app_dir / "b")
    (app_dir / "b").symlink_to(app_dir / "a")
    for text in ("exports/loop", str(app_dir / "a")):
        with pytest.raises(PathNotAllowed, match="leads back to itself"):
            resolve_allowed(text, [app_dir])


def test_a_symlink_loop_outside_the_roots_gets_the_outside_answer(app_dir: Path, outside: Path) -> None:
    (outside / "loop").symlink_to(outside / "loop")
    with pytest.raises(PathNotAllowed, match="outside the folders") as caught:
        resolve_allowed(str(outside / "loop"), [app_dir])
    assert "itself" not in str(caught.value)
