"""Settings: defaults, file, environment and CLI precedence, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsc_tui.errors import ConfigError
from lsc_tui.paths import get_paths
from lsc_tui.settings import Settings, load_settings


def write_config(text: str) -> Path:
    path = get_paths().config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file() -> None:
    settings = load_settings(env={"LSC_HOME": str(get_paths().config_dir.parent)})
    assert settings.pipeline == Settings().pipeline
    assert settings.test_timeout_s == 5.0 and settings.memory_mb == 512


def test_precedence_cli_over_env_over_file(lsc_home: Path) -> None:
    write_config('pipeline = "feedback"\nmax_iters = 4\nmemory_mb = 256\n')
    env = {"LSC_HOME": str(lsc_home), "LSC_PIPELINE": "two-stage", "LSC_MAX_ITERS": "5"}
    settings = load_settings(env=env, cli={"pipeline": "one-shot", "max_iters": None})
    assert settings.pipeline == "one-shot"  # CLI flag wins
    assert settings.max_iters == 5  # env beats file; an unset flag is ignored
    assert settings.memory_mb == 256  # file beats default


def test_unknown_key_names_the_file() -> None:
    path = write_config("pipline = 'x'\n")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) pipline") as info:
        load_settings()
    assert str(path) in str(info.value)


def test_bad_type_and_value_are_rejected() -> None:
    write_config("max_iters = 'many'\n")
    with pytest.raises(ConfigError, match="'max_iters' must be int"):
        load_settings()
    write_config("max_iters = 0\n")
    with pytest.raises(ConfigError, match="at least 1"):
        load_settings()
    write_config("mbpp_visible = 'some'\n")
    with pytest.raises(ConfigError, match="first, all"):
        load_settings()


def test_invalid_toml_is_one_clear_error() -> None:
    write_config("pipeline = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings()


def test_lsc_home_relocates_everything(lsc_home: Path) -> None:
    for location in get_paths().as_dict().values():
        assert lsc_home in location.parents
