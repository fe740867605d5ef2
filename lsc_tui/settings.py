"""Validated, frozen user settings with CLI > environment > file > default precedence.

The file is ``<config>/config.toml``. Unknown keys and values of the wrong type are
rejected with a message that names the file and the key, so typos never pass silently.
``save_roles`` writes the per-role model choices back into that file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsc_tui.errors import ConfigError
from lsc_tui.events import ROLES
from lsc_tui.paths import Paths, get_paths

DEFAULT_PIPELINE = "select"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a user can configure; each field has an ``LSC_<NAME>`` override."""

    pipeline: str = DEFAULT_PIPELINE
    """Pipeline recipe id used when none is given."""
    max_iters: int | None = None
    """Maximum loop iterations; None means the pipeline's own (3 in the seed's)."""
    generator: str | None = None
    """RECIPE[:QUANT] or .gguf path for the generator; None means the pipeline's."""
    syntax_critic: str | None = None
    """RECIPE[:QUANT] or .gguf path for the syntax critic."""
    logic_critic: str | None = None
    """RECIPE[:QUANT] or .gguf path for the logic critic."""
    n_threads: int | None = None
    """llama.cpp threads; None means the number of physical cores."""
    n_gpu_layers: int | None = None
    """Layers to offload; None means decide from the hardware."""
    test_timeout_s: float = 5.0
    """Wall-clock limit for one test in the sandbox."""
    total_timeout_s: float = 30.0
    """Wall-clock limit for all tests of one candidate."""
    memory_mb: int = 512
    """Address-space limit for sandboxed code."""
    output_limit_bytes: int = 1 << 20
    """Captured stdout/stderr cap per sandbox run."""
    allow_unsafe_sandbox: bool = False
    """Run candidates with rlimits only when no containment tier is available."""
    offline: bool = False
    """Never contact the model hub."""
    hf_endpoint: str | None = None
    """Alternative hub URL (huggingface_hub's HF_ENDPOINT)."""
    mbpp_visible: str = "first"
    """Which MBPP asserts models may see: 'first' or 'all'."""
    theme: str = "textual-dark"
    """Textual theme name for the dashboard."""
    keymap: Mapping[str, str] = field(default_factory=dict)
    """Binding id -> key overrides for the TUI."""
    paths: Paths = field(default_factory=get_paths)
    """Resolved locations (not read from the file)."""

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with ``changes`` applied and validated."""
        merged = dataclasses.replace(self, **changes)
        _validate(merged, source="arguments")
        return merged


_FILE_FIELDS = {f.name: f for f in dataclasses.fields(Settings) if f.name != "paths"}
_CHOICES = {"mbpp_visible": ("first", "all")}


def _coerce(name: str, raw: Any, source: str) -> Any:
    """Convert ``raw`` to the field's type, or raise a ConfigError naming ``source``."""
    annotation = str(_FILE_FIELDS[name].type)
    try:
        if raw is None:
            if "None" in annotation:
                return None
            raise TypeError
        if annotation.startswith("Mapping"):
            if not isinstance(raw, Mapping):
                raise TypeError
            return {str(k): str(v) for k, v in raw.items()}
        if annotation.startswith("bool"):
            if isinstance(raw, bool):
                return raw
            if isinstance(raw, str) and raw.lower() in {"1", "true", "yes", "on"}:
                return True
            if isinstance(raw, str) and raw.lower() in {"0", "false", "no", "off"}:
                return False
            raise TypeError
        if annotation.startswith("int"):
            if isinstance(raw, bool):
                raise TypeError
            return int(raw)
        if annotation.startswith("float"):
            if isinstance(raw, bool):
                raise TypeError
            return float(raw)
        if not isinstance(raw, str):
            raise TypeError
        return raw
    except (TypeError, ValueError):
        kind = annotation.replace(" | None", " or empty")
        raise ConfigError(
            f"{source}: '{name}' must be {kind}, got {raw!r}; fix or remove it"
        ) from None


def _validate(settings: Settings, source: str) -> None:
    """Reject out-of-range values with a message naming ``source``."""
    if settings.max_iters is not None and settings.max_iters < 1:
        raise ConfigError(f"{source}: 'max_iters' must be at least 1")
    for name in ("test_timeout_s", "total_timeout_s"):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"{source}: '{name}' must be positive")
    if settings.memory_mb < 32:
        raise ConfigError(f"{source}: 'memory_mb' must be at least 32")
    if settings.n_threads is not None and settings.n_threads < 1:
        raise ConfigError(f"{source}: 'n_threads' must be at least 1")
    for name, allowed in _CHOICES.items():
        if getattr(settings, name) not in allowed:
            raise ConfigError(f"{source}: '{name}' must be one of {', '.join(allowed)}")


def _read_file(path: Path) -> dict[str, Any]:
    """Parse the TOML file into field values; a missing file is empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(_FILE_FIELDS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {', '.join(unknown)}; "
            f"valid keys are {', '.join(sorted(_FILE_FIELDS))}"
        )
    return {name: _coerce(name, value, str(path)) for name, value in data.items()}


def _read_env(env: Mapping[str, str]) -> dict[str, Any]:
    """Collect ``LSC_<FIELD>`` overrides (keymap cannot come from the environment)."""
    values: dict[str, Any] = {}
    for name in _FILE_FIELDS:
        if name == "keymap":
            continue
        raw = env.get(f"LSC_{name.upper()}")
        if raw is not None:
            values[name] = _coerce(name, raw or None, f"environment LSC_{name.upper()}")
    return values


def load_settings(
    explicit_path: Path | None = None,
    *,
    cli: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Build Settings from defaults, the config file, ``LSC_*`` env vars and CLI flags.

    Args:
        explicit_path: a config file to read instead of the default location.
        cli: values of flags the user actually passed (None values are ignored).
        env: the environment to read; defaults to ``os.environ``.
    """
    environ = os.environ if env is None else env
    paths = get_paths(dict(environ))
    config_path = explicit_path or paths.config_file
    if explicit_path is not None and not explicit_path.exists():
        raise ConfigError(f"config file {explicit_path} does not exist")
    values: dict[str, Any] = _read_file(config_path)
    values.update(_read_env(environ))
    for name, raw in (cli or {}).items():
        if raw is not None:
            values[name] = _coerce(name, raw, f"option --{name.replace('_', '-')}")
    settings = Settings(paths=paths, **values)
    _validate(settings, source=str(config_path))
    return settings


_TABLE_HEADER = re.compile(r"^\s*\[")
_KEY_LINE = re.compile(r"""^\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*=""")
_TOML_ESCAPES = {ord('"'): '\\"', ord("\\"): "\\\\"} | {
    code: f"\\u{code:04X}" for code in (*range(0x20), 0x7F)
}


def save_roles(config_file: Path, roles: Mapping[str, str | None]) -> None:
    """Set each role's model in ``config_file``, keeping every other line as it is.

    Roles are top-level keys, so only their lines change and comments elsewhere
    survive; None removes the key, so the pipeline's model applies again. The file
    is replaced atomically and never written unless the edit re-parses as intended.

    Raises:
        ConfigError: the file cannot be read, parsed, safely edited or written.
    """
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ValueError(f"not a role: {', '.join(unknown)}")
    path = config_file.resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {_reason(exc)}") from None
    try:
        current = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    expected = {key: value for key, value in current.items() if key not in roles}
    expected.update({role: ref for role, ref in roles.items() if ref is not None})
    edited = _set_top_level_strings(text, roles)
    try:
        safe = tomllib.loads(edited) == expected
    except tomllib.TOMLDecodeError:
        safe = False
    if not safe:
        raise ConfigError(
            f"cannot update the roles in {path} safely; edit "
            f"{', '.join(roles)} there by hand"
        )
    _write_atomically(path, edited)


def _set_top_level_strings(text: str, values: Mapping[str, str | None]) -> str:
    """Set, add or (for None) drop ``key = "value"`` lines before the first table."""
    lines = text.splitlines(keepends=True)
    end = next(
        (i for i, line in enumerate(lines) if _TABLE_HEADER.match(line)), len(lines)
    )
    pending = dict(values)
    head: list[str] = []
    for line in lines[:end]:
        match = _KEY_LINE.match(line)
        key = next((g for g in match.groups() if g is not None), "") if match else ""
        if key in pending:
            value = pending.pop(key)
            if value is not None:
                head.append(f"{key} = {_toml_string(value)}\n")
            continue
        head.append(line)
    added = [f"{k} = {_toml_string(v)}\n" for k, v in pending.items() if v is not None]
    if added:
        at = len(head)
        while at and not head[at - 1].strip():
            at -= 1
        if at and not head[at - 1].endswith("\n"):
            head[at - 1] += "\n"
        if at == len(head) and end < len(lines):
            added.append("\n")
        head[at:at] = added
    return "".join(head + lines[end:])


def _toml_string(value: str) -> str:
    """``value`` as a TOML basic string."""
    return f'"{value.translate(_TOML_ESCAPES)}"'


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` via a temporary file in the same directory."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
        replaced = False
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as temp:
                temp.write(text)
                temp.flush()
                os.fsync(temp.fileno())
            if path.exists():
                os.chmod(temp_name, path.stat().st_mode & 0o7777)
            os.replace(temp_name, path)
            replaced = True
        finally:
            if not replaced:
                with contextlib.suppress(OSError):
                    os.unlink(temp_name)
    except OSError as exc:
        raise ConfigError(f"cannot save roles to {path}: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    """A short, one-line reason for an I/O or decoding failure."""
    return getattr(exc, "strerror", None) or (str(exc) or type(exc).__name__)
