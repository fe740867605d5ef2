"""Every on-disk location lsc-tui uses, in one place.

Locations come from platformdirs for the app name ``lsc-tui``. Setting ``LSC_HOME``
relocates all of them under one root, which is what tests and portable installs use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "lsc-tui"


@dataclass(frozen=True, slots=True)
class Paths:
    """The directories lsc-tui reads and writes."""

    config_dir: Path
    data_dir: Path
    models_dir: Path
    cache_dir: Path
    log_dir: Path

    @property
    def config_file(self) -> Path:
        """The TOML settings file."""
        return self.config_dir / "config.toml"

    @property
    def runs_db(self) -> Path:
        """The SQLite run-history database."""
        return self.data_dir / "runs.sqlite3"

    @property
    def datasets_dir(self) -> Path:
        """Cached benchmark datasets (MBPP, MBPP+)."""
        return self.cache_dir / "datasets"

    def as_dict(self) -> dict[str, Path]:
        """Every location by name, for `lsc paths`."""
        return {
            "config": self.config_file,
            "data": self.data_dir,
            "models": self.models_dir,
            "runs_db": self.runs_db,
            "cache": self.cache_dir,
            "datasets": self.datasets_dir,
            "logs": self.log_dir,
        }


def get_paths(env: dict[str, str] | None = None) -> Paths:
    """Resolve the locations, honouring ``LSC_HOME`` when it is set."""
    environ = os.environ if env is None else env
    home = environ.get("LSC_HOME")
    if home:
        root = Path(home).expanduser()
        return Paths(
            config_dir=root / "config",
            data_dir=root / "data",
            models_dir=root / "data" / "models",
            cache_dir=root / "cache",
            log_dir=root / "logs",
        )
    data_dir = Path(platformdirs.user_data_dir(APP_NAME))
    return Paths(
        config_dir=Path(platformdirs.user_config_dir(APP_NAME)),
        data_dir=data_dir,
        models_dir=data_dir / "models",
        cache_dir=Path(platformdirs.user_cache_dir(APP_NAME)),
        log_dir=Path(platformdirs.user_log_dir(APP_NAME)),
    )
