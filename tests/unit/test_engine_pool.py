"""EnginePool logic with scripted engines: lazy loading, sharing, and making room."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from lsc_tui.engine.base import Engine, ModelSpec
from lsc_tui.engine.fake import ScriptedEngine
from lsc_tui.engine.pool import EnginePool, engine_key
from lsc_tui.errors import ConfigError, ModelError


class RecordingLoader:
    """A loader that builds scripted engines and remembers what it loaded and closed."""

    def __init__(self) -> None:
        self.loaded: list[str] = []
        self.engines: list[ClosableEngine] = []

    def __call__(self, spec: ModelSpec) -> Engine:
        self.loaded.append(spec.model_id)
        engine = ClosableEngine(model_id=spec.model_id)
        self.engines.append(engine)
        return engine


class ClosableEngine(ScriptedEngine):
    """A scripted engine that records whether it was closed."""

    closed = False

    def close(self) -> None:
        self.closed = True
        super().close()


def _spec(
    tmp_path: Path, name: str, *, n_ctx: int = 4096, size: int = 100
) -> ModelSpec:
    return ModelSpec(
        model_id=name, path=tmp_path / f"{name}.gguf", n_ctx=n_ctx, size_bytes=size
    )


def test_get_loads_lazily_and_once(tmp_path: Path) -> None:
    loader = RecordingLoader()
    pool = EnginePool({"generator": _spec(tmp_path, "gen")}, loader=loader)
    assert pool.model_id("generator") == "gen"
    assert not pool.is_loaded("generator")
    assert loader.loaded == []

    first = pool.get("generator")
    second = pool.get("generator")

    assert first is second
    assert loader.loaded == ["gen"]
    assert pool.is_loaded("generator")


def test_roles_naming_the_same_model_share_one_instance(tmp_path: Path) -> None:
    loader = RecordingLoader()
    shared = _spec(tmp_path, "qwen")
    same_file_other_id = ModelSpec(model_id="qwen-again", path=shared.path)
    pool = EnginePool(
        {"generator": shared, "syntax_critic": same_file_other_id}, loader=loader
    )

    assert pool.get("generator") is pool.get("syntax_critic")
    assert loader.loaded == ["qwen"]
    assert pool.is_loaded("syntax_critic")


def test_same_file_with_another_context_size_is_another_instance(
    tmp_path: Path,
) -> None:
    loader = RecordingLoader()
    spec = _spec(tmp_path, "qwen")
    bigger = ModelSpec(model_id="qwen", path=spec.path, n_ctx=8192)
    pool = EnginePool({"generator": spec, "logic_critic": bigger}, loader=loader)

    assert pool.get("generator") is not pool.get("logic_critic")
    assert engine_key(spec) != engine_key(bigger)
    assert len(loader.loaded) == 2


def test_fit_check_gets_the_bytes_already_loaded(tmp_path: Path) -> None:
    seen: list[tuple[str, int]] = []

    def fits(spec: ModelSpec, already_loaded_bytes: int) -> None:
        seen.append((spec.model_id, already_loaded_bytes))

    pool = EnginePool(
        {
            "generator": _spec(tmp_path, "a", size=300),
            "logic_critic": _spec(tmp_path, "b"),
        },
        loader=RecordingLoader(),
        fits=fits,
    )
    pool.get("generator")
    pool.get("logic_critic")
    pool.get("generator")  # already loaded: no second check

    assert seen == [("a", 0), ("b", 300)]


def test_misfit_unloads_the_others_and_retries_once(tmp_path: Path) -> None:
    calls: list[int] = []

    def fits(spec: ModelSpec, already_loaded_bytes: int) -> None:
        calls.append(already_loaded_bytes)
        if already_loaded_bytes > 0:
            raise ModelError(f"{spec.model_id} needs more RAM")

    loader = RecordingLoader()
    pool = EnginePool(
        {
            "generator": _spec(tmp_path, "gen"),
            "logic_critic": _spec(tmp_path, "critic"),
        },
        loader=loader,
        fits=fits,
    )
    generator = pool.get("generator")
    critic = pool.get("logic_critic")

    assert calls == [0, 100, 0]
    assert loader.engines[0].closed
    assert not pool.is_loaded("generator")
    assert pool.is_loaded("logic_critic")
    assert pool.loaded_model_ids() == ["critic"]
    assert pool.unloaded == ["gen"]
    assert critic is not generator
    # Asking for the generator again swaps back.
    pool.get("generator")
    assert loader.loaded == ["gen", "critic", "gen"]
    assert loader.engines[1].closed


def test_misfit_with_nothing_loaded_is_raised(tmp_path: Path) -> None:
    def never_fits(spec: ModelSpec, already_loaded_bytes: int) -> None:
        raise ModelError("too big: needs 9.0 GiB, 4.0 GiB free")

    loader = RecordingLoader()
    pool = EnginePool(
        {"generator": _spec(tmp_path, "gen")}, loader=loader, fits=never_fits
    )
    with pytest.raises(ModelError, match="too big"):
        pool.get("generator")
    assert loader.loaded == []


def test_misfit_even_alone_is_raised_after_unloading(tmp_path: Path) -> None:
    def fits(spec: ModelSpec, already_loaded_bytes: int) -> None:
        if spec.model_id == "huge":
            raise ModelError("huge does not fit")

    loader = RecordingLoader()
    pool = EnginePool(
        {"generator": _spec(tmp_path, "gen"), "logic_critic": _spec(tmp_path, "huge")},
        loader=loader,
        fits=fits,
    )
    pool.get("generator")
    with pytest.raises(ModelError, match="huge does not fit"):
        pool.get("logic_critic")
    assert loader.loaded == ["gen"]
    assert not pool.is_loaded("generator")


def test_unknown_role_is_a_config_error(tmp_path: Path) -> None:
    pool = EnginePool({"generator": _spec(tmp_path, "gen")}, loader=RecordingLoader())
    with pytest.raises(ConfigError, match="logic_critic role"):
        pool.get("logic_critic")
    with pytest.raises(ConfigError, match="--logic-critic"):
        pool.model_id("logic_critic")


def test_close_unloads_everything(tmp_path: Path) -> None:
    loader = RecordingLoader()
    with EnginePool(
        {"generator": _spec(tmp_path, "a"), "logic_critic": _spec(tmp_path, "b")},
        loader=loader,
    ) as pool:
        pool.get("generator")
        pool.get("logic_critic")
    assert [engine.closed for engine in loader.engines] == [True, True]
    assert pool.loaded_model_ids() == []


def test_concurrent_gets_load_once(tmp_path: Path) -> None:
    release = threading.Event()
    loads: list[str] = []

    def slow_loader(spec: ModelSpec) -> Engine:
        loads.append(spec.model_id)
        assert release.wait(5)
        return ScriptedEngine(model_id=spec.model_id)

    pool = EnginePool({"generator": _spec(tmp_path, "gen")}, loader=slow_loader)
    results: list[Engine] = []
    threads = [
        threading.Thread(target=lambda: results.append(pool.get("generator")))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(5)
    assert loads == ["gen"]
    assert len(results) == 3
    assert all(engine is results[0] for engine in results)
