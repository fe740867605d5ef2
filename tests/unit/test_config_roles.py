"""save_roles: role choices persist in config.toml, keep the rest, fail cleanly."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from lsc_tui.cli.run_cmd import run_settings
from lsc_tui.errors import ConfigError
from lsc_tui.loop.session import RunRequest, Session
from lsc_tui.paths import get_paths
from lsc_tui.settings import load_settings, save_roles
from lsc_tui.tasks.typed import typed_task

SMALL_REF = "qwen2.5-coder-0.5b-instruct:q4_k_m"
OTHER_REF = "qwen2.5-coder-1.5b-instruct:q4_k_m"

HAND_WRITTEN = """\
# my lsc settings
pipeline = "three-stage"  # the one I like
generator = "old:q8_0"
max_iters = 4

[keymap]
# a comment in a table
stop_run = "ctrl+c"
"""


def config_file() -> Path:
    """The config file under this test's LSC_HOME."""
    return get_paths().config_file


def write_config(text: str) -> Path:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_saved_role_is_used_by_the_next_start() -> None:
    """With no file yet, the saved generator is what load_settings and solve use."""
    save_roles(config_file(), {"generator": SMALL_REF})
    settings = load_settings()
    assert settings.generator == SMALL_REF
    assert settings.syntax_critic is None
    solve_settings = run_settings(
        pipeline=None,
        max_iters=None,
        generator=None,
        syntax_critic=None,
        logic_critic=None,
    )
    assert solve_settings.generator == SMALL_REF
    session = Session(solve_settings)
    request = RunRequest(task=typed_task("Add.", "assert f(1) == 1"))
    pipeline = session.pipeline(None)
    assert session.model_ref(request, pipeline, "generator") == SMALL_REF


def test_other_keys_tables_and_comments_are_kept() -> None:
    """Only the role lines change; the rest of a hand-written file survives."""
    path = write_config(HAND_WRITTEN)
    save_roles(path, {"generator": SMALL_REF, "logic_critic": OTHER_REF})
    text = path.read_text(encoding="utf-8")
    assert text == HAND_WRITTEN.replace('"old:q8_0"', f'"{SMALL_REF}"').replace(
        "max_iters = 4\n", f'max_iters = 4\nlogic_critic = "{OTHER_REF}"\n'
    )
    settings = load_settings()
    assert (settings.generator, settings.logic_critic) == (SMALL_REF, OTHER_REF)
    assert settings.pipeline == "three-stage"
    assert settings.max_iters == 4
    assert dict(settings.keymap) == {"stop_run": "ctrl+c"}


def test_none_removes_the_role_and_a_table_only_file_gets_top_level_keys() -> None:
    """None drops the key; new keys go before the first table, not inside it."""
    path = write_config('[keymap]\nquit = "ctrl+q"\n')
    save_roles(path, {"syntax_critic": SMALL_REF})
    assert load_settings().syntax_critic == SMALL_REF
    assert dict(load_settings().keymap) == {"quit": "ctrl+q"}
    save_roles(path, {"syntax_critic": None})
    assert load_settings().syntax_critic is None
    assert path.read_text(encoding="utf-8") == '\n[keymap]\nquit = "ctrl+q"\n'


def test_paths_with_quotes_and_backslashes_round_trip() -> None:
    """A .gguf path is written as a valid TOML string, whatever it contains."""
    odd_path = 'C:\\models\\my "best" model.gguf'
    save_roles(config_file(), {"generator": odd_path})
    assert load_settings().generator == odd_path


def test_environment_still_overrides_the_saved_role(lsc_home: Path) -> None:
    """Saving writes the file layer only; LSC_* and flags keep their precedence."""
    save_roles(config_file(), {"generator": SMALL_REF})
    env = {"LSC_HOME": str(lsc_home), "LSC_GENERATOR": OTHER_REF}
    assert load_settings(env=env).generator == OTHER_REF


def test_a_symlinked_config_stays_a_symlink(tmp_path: Path) -> None:
    """Dotfile setups link config.toml elsewhere; the link target is updated."""
    target = tmp_path / "dotfiles" / "lsc.toml"
    target.parent.mkdir()
    target.write_text('pipeline = "three-stage"\n', encoding="utf-8")
    link = config_file()
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    save_roles(link, {"generator": SMALL_REF})
    assert link.is_symlink()
    assert load_settings().generator == SMALL_REF


def test_unwritable_location_is_one_line_config_error(lsc_home: Path) -> None:
    """The config directory is a file: a one-line ConfigError, nothing written."""
    lsc_home.mkdir(parents=True)
    (lsc_home / "config").write_text("not a directory", encoding="utf-8")
    with pytest.raises(ConfigError, match="Not a directory") as info:
        save_roles(config_file(), {"generator": SMALL_REF})
    assert "\n" not in str(info.value)
    assert (lsc_home / "config").read_text(encoding="utf-8") == "not a directory"


def test_failed_write_leaves_the_file_and_no_temp_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A full disk at the last step keeps the old file intact and cleans up."""
    path = write_config(HAND_WRITTEN)

    def disk_full(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(ConfigError, match="No space left on device"):
        save_roles(path, {"generator": SMALL_REF})
    assert path.read_text(encoding="utf-8") == HAND_WRITTEN
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml"]


@pytest.mark.parametrize(
    "text",
    [
        "pipeline = \n",  # not TOML at all
        'generator = """old:q8_0\n"""\n',  # a multi-line string it cannot rewrite
    ],
)
def test_files_it_cannot_edit_safely_are_left_alone(text: str) -> None:
    """Invalid TOML, or a layout the line edit cannot handle, is never overwritten."""
    path = write_config(text)
    with pytest.raises(ConfigError):
        save_roles(path, {"generator": SMALL_REF})
    assert path.read_text(encoding="utf-8") == text


def test_unknown_role_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not a role: pipeline"):
        save_roles(config_file(), {"pipeline": "x"})
