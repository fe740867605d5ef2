"""One loaded engine per distinct model, shared by the roles that use it.

The loop asks for a role's engine; the pool loads it on first use and keeps it. Roles
that name the same file at the same context size share one instance. When the fit
check says the next model will not fit beside the ones already loaded, the pool
unloads them and tries once more, so a small machine runs one model at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from lsc_tui.engine.base import Engine, ModelSpec
from lsc_tui.engine.llama import load_llama
from lsc_tui.errors import ConfigError, ModelError

Loader = Callable[[ModelSpec], Engine]
FitCheck = Callable[[ModelSpec, int], None]
"""Called as ``fits(spec, already_loaded_bytes)``; raises ModelError on a misfit."""
EngineKey = tuple[str, int]


def engine_key(spec: ModelSpec) -> EngineKey:
    """What makes two roles' models the same instance: the file and the context size."""
    return (str(Path(spec.path).expanduser().resolve()), spec.n_ctx)


def model_bytes(spec: ModelSpec) -> int:
    """The model's weight size: the spec's figure, else the file's size on disk.

    Only the weights are counted for models already loaded: they are memory-mapped,
    so free-RAM figures still include them, while the KV cache is already taken.
    """
    if spec.size_bytes:
        return spec.size_bytes
    try:
        return Path(spec.path).stat().st_size
    except OSError:
        return 0


class EnginePool:
    """An EngineProvider that loads each role's model lazily and at most once."""

    def __init__(
        self,
        specs: Mapping[str, ModelSpec],
        *,
        loader: Loader = load_llama,
        fits: FitCheck | None = None,
    ) -> None:
        self._specs = dict(specs)
        self._loader = loader
        self._fits = fits
        self._engines: dict[EngineKey, Engine] = {}
        self._loaded_specs: dict[EngineKey, ModelSpec] = {}
        self._lock = threading.RLock()
        self.unloaded: list[str] = []
        """Model ids unloaded to make room, oldest first, for logs and tests."""

    def spec(self, role: str) -> ModelSpec:
        """The spec configured for ``role``."""
        try:
            return self._specs[role]
        except KeyError:
            configured = ", ".join(sorted(self._specs)) or "none"
            raise ConfigError(
                f"no model is configured for the {role} role (configured: "
                f"{configured}); pass --{role.replace('_', '-')} RECIPE[:QUANT]"
            ) from None

    def model_id(self, role: str) -> str:
        return self.spec(role).model_id

    def is_loaded(self, role: str) -> bool:
        with self._lock:
            return engine_key(self.spec(role)) in self._engines

    def loaded_model_ids(self) -> list[str]:
        """Model ids currently in memory, in load order."""
        with self._lock:
            return [self._loaded_specs[key].model_id for key in self._engines]

    def get(self, role: str) -> Engine:
        spec = self.spec(role)
        key = engine_key(spec)
        with self._lock:
            engine = self._engines.get(key)
            if engine is not None:
                return engine
            self._make_room(spec)
            engine = self._loader(spec)
            self._engines[key] = engine
            self._loaded_specs[key] = spec
            return engine

    def _make_room(self, spec: ModelSpec) -> None:
        """Run the fit check; on a misfit unload the others and check once more."""
        if self._fits is None:
            return
        already = sum(model_bytes(s) for s in self._loaded_specs.values())
        try:
            self._fits(spec, already)
        except ModelError:
            if not self._engines:
                raise
            self.unload_all()
            self._fits(spec, 0)

    def unload_all(self) -> None:
        """Close every loaded engine and free its memory."""
        with self._lock:
            engines = list(self._engines.items())
            self._engines.clear()
            for key, engine in engines:
                spec = self._loaded_specs.pop(key)
                engine.close()
                self.unloaded.append(spec.model_id)

    def close(self) -> None:
        """Unload everything; the pool can still load again afterwards."""
        self.unload_all()

    def __enter__(self) -> EnginePool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
