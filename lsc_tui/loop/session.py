"""Session: everything a front end needs to start runs, built once from Settings.

It resolves a pipeline and the models for its roles, keeps loaded engines across
runs, runs the loop, records every event to SQLite and scores hidden tests at the
end. The CLI, the TUI and bench all run tasks through it, so they behave alike.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lsc_tui.engine.base import EngineProvider, ModelSpec
from lsc_tui.events import LoopEvent, RoleModel
from lsc_tui.loop.pipelines import Pipeline, get_pipeline
from lsc_tui.loop.runner import SandboxLike, new_run_id, run_loop
from lsc_tui.settings import Settings
from lsc_tui.tasks.model import Task


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What to run: a task, and optional overrides of the pipeline and role models."""

    task: Task
    pipeline: str | None = None
    max_iters: int | None = None
    roles: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResolvedRun:
    """A request with its pipeline and per-role model specs resolved."""

    pipeline: Pipeline
    specs: Mapping[str, ModelSpec]


class Session:
    """Runs tasks with shared engines, sandbox and run history."""

    def __init__(
        self,
        settings: Settings,
        *,
        provider: EngineProvider | None = None,
        sandbox: SandboxLike | None = None,
        record: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._fixed_provider = provider
        self._sandbox = sandbox
        self._record = record
        self._clock = clock
        self._pool: Any = None
        self._pool_key: tuple[tuple[str, ModelSpec], ...] | None = None
        self._lock = threading.Lock()

    # -- resolution --------------------------------------------------------------

    @property
    def sandbox(self) -> SandboxLike:
        """The sandbox, created on first use from the settings."""
        if self._sandbox is None:
            from lsc_tui.sandbox import Sandbox

            self._sandbox = Sandbox.from_settings(self.settings)
        return self._sandbox

    def pipeline(self, name: str | None) -> Pipeline:
        """The named pipeline, or the configured default."""
        return get_pipeline(name or self.settings.pipeline)

    def model_ref(self, request: RunRequest, pipeline: Pipeline, role: str) -> str:
        """The model reference for ``role``: request > settings > pipeline recipe."""
        override = request.roles.get(role) or getattr(self.settings, role, None)
        return str(override or pipeline.roles[role].model)

    def resolve(self, request: RunRequest) -> ResolvedRun:
        """Resolve the pipeline and each required role's model file (no loading)."""
        pipeline = self.pipeline(request.pipeline)
        if self._fixed_provider is not None:
            return ResolvedRun(pipeline, {})
        from lsc_tui.recipes.catalog import load_catalog
        from lsc_tui.recipes.store import ModelStore

        store = ModelStore(self.settings.paths.models_dir, load_catalog())
        specs: dict[str, ModelSpec] = {}
        for role in pipeline.required_roles():
            spec = store.resolve(
                self.model_ref(request, pipeline, role),
                n_ctx=pipeline.roles[role].n_ctx,
            )
            specs[role] = dataclasses.replace(
                spec,
                n_threads=self.settings.n_threads or spec.n_threads,
                n_gpu_layers=(
                    self.settings.n_gpu_layers
                    if self.settings.n_gpu_layers is not None
                    else spec.n_gpu_layers
                ),
            )
        return ResolvedRun(pipeline, specs)

    def provider(self, resolved: ResolvedRun) -> EngineProvider:
        """Engines for the resolved roles; reuses loaded models when nothing changed."""
        if self._fixed_provider is not None:
            return self._fixed_provider
        key = tuple(sorted(resolved.specs.items()))
        with self._lock:
            if self._pool is None or self._pool_key != key:
                from lsc_tui.engine.pool import EnginePool
                from lsc_tui.hardware import check_fits

                self.close()

                def fits(spec: ModelSpec, already_loaded: int) -> None:
                    check_fits(spec, already_loaded_bytes=already_loaded)

                self._pool = EnginePool(resolved.specs, fits=fits)
                self._pool_key = key
            pool: EngineProvider = self._pool
            return pool

    def close(self) -> None:
        """Unload every model this session loaded."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None
            self._pool_key = None

    # -- running -----------------------------------------------------------------

    def run(
        self, request: RunRequest, cancel: threading.Event | None = None
    ) -> Iterator[LoopEvent]:
        """Resolve, run, record and score one task; yields every loop event."""
        resolved = self.resolve(request)
        provider = self.provider(resolved)
        roles = resolved.pipeline.required_roles()
        models = tuple(
            RoleModel(
                role,  # type: ignore[arg-type]
                provider.model_id(role),
                resolved.specs[role].sha256 if role in resolved.specs else "",
            )
            for role in roles
        )
        families = {role: spec.family for role, spec in resolved.specs.items()}
        sandbox = self.sandbox

        def score(task: Task, code: str) -> Any:
            from lsc_tui.tasks.scoring import score_hidden

            return score_hidden(task, code, sandbox)

        events = run_loop(
            request.task,
            resolved.pipeline,
            provider,
            sandbox,
            cancel,
            run_id=new_run_id(),
            max_iters=request.max_iters or self.settings.max_iters,
            clock=self._clock,
            families=families,
            score_hidden=score if request.task.hidden is not None else None,
            models=models,
        )
        if not self._record:
            return events
        from lsc_tui.runs.store import RunStore

        store = RunStore(self.settings.paths.runs_db)
        return store.record(events, self._meta(request, resolved, models))

    def _meta(
        self, request: RunRequest, resolved: ResolvedRun, models: tuple[RoleModel, ...]
    ) -> dict[str, Any]:
        task = request.task
        return {
            "task": {
                "task_id": task.task_id,
                "description": task.description,
                "visible_tests": list(task.visible_tests),
                "entry_point": task.entry_point,
                "setup_code": task.setup_code,
                "source": task.source,
            },
            "models": {
                m.role: {
                    "model_id": m.model_id,
                    "sha256": m.sha256,
                    "path": str(resolved.specs[m.role].path)
                    if m.role in resolved.specs
                    else "",
                }
                for m in models
            },
            "sampling": {
                role: dataclasses.asdict(cfg.sampling)
                for role, cfg in resolved.pipeline.roles.items()
            },
            "pipeline": resolved.pipeline.name,
        }
