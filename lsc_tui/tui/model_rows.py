"""The Models screen's table rows, computed from the catalog, the store and the roles.

Pure functions (no textual) so the table's content is unit-testable with fakes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lsc_tui.errors import LscError

DEFAULT_GENERATOR_REF = "qwen2.5-coder-1.5b-instruct:q4_k_m"
"""The design's default generator, offered on first start."""
FALLBACK_KV_BYTES_PER_TOKEN = 128 * 1024
OVERHEAD_BYTES = 300 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ModelRow:
    """One recipe quant (or one custom installed model) in the table."""

    ref: str
    name: str
    quant: str
    size_bytes: int | None
    installed: bool
    fits: bool | None
    roles: tuple[str, ...]
    is_default: bool = False


def memory_need(size_bytes: int, n_ctx: int) -> int:
    """A rough need for a model file at ``n_ctx``: weights + KV cache + overhead."""
    try:
        from lsc_tui.hardware import estimate_for_size

        return int(estimate_for_size(size_bytes, n_ctx, None).total_bytes)
    except ImportError:
        return size_bytes + n_ctx * FALLBACK_KV_BYTES_PER_TOKEN + OVERHEAD_BYTES


def memory_budget() -> int | None:
    """Bytes available for models on this machine (None when unknown)."""
    try:
        from lsc_tui.hardware import hardware_facts

        return int(hardware_facts(include_backend=False).model_budget_bytes)
    except Exception:  # hardware probing must never break the screen
        return None


def effective_generator_ref(
    settings_pipeline: str, roles: Mapping[str, str | None]
) -> str:
    """The generator a new run would use: the chosen role, else the pipeline's."""
    chosen = roles.get("generator")
    if chosen:
        return chosen
    try:
        from lsc_tui.loop.pipelines import get_pipeline

        return get_pipeline(settings_pipeline).roles["generator"].model
    except (LscError, ImportError, KeyError):
        return DEFAULT_GENERATOR_REF


def is_installed(store: Any, ref: str) -> bool:
    """Whether ``ref`` resolves to a present file in ``store``."""
    try:
        model = store.find(ref)
    except LscError:
        return False
    return model is not None and bool(model.present)


def build_rows(
    store: Any, roles: Mapping[str, str | None], budget: int | None
) -> list[ModelRow]:
    """Rows for every recipe quant plus installed models outside the catalog."""
    installed = {model.ref: model for model in store.installed()}
    rows: list[ModelRow] = []
    seen: set[str] = set()

    def roles_of(ref: str) -> tuple[str, ...]:
        recipe_id = ref.split(":", 1)[0]
        return tuple(
            role
            for role, chosen in roles.items()
            if chosen and chosen in (ref, recipe_id)
        )

    for recipe in store.catalog:
        for quant_name, quant in sorted(recipe.quants.items()):
            ref = f"{recipe.id}:{quant_name}"
            seen.add(ref)
            model = installed.get(ref)
            size = model.size_bytes if model is not None else quant.best_size_bytes
            fits = (
                None
                if budget is None or size is None
                else memory_need(size, recipe.n_ctx) <= budget
            )
            rows.append(
                ModelRow(
                    ref=ref,
                    name=recipe.id,
                    quant=quant_name,
                    size_bytes=size,
                    installed=model is not None and model.present,
                    fits=fits,
                    roles=roles_of(ref),
                    is_default=ref == DEFAULT_GENERATOR_REF,
                )
            )
    for ref, model in sorted(installed.items()):
        if ref in seen:
            continue
        fits = None if budget is None else memory_need(model.size_bytes, 4096) <= budget
        rows.append(
            ModelRow(
                ref=ref,
                name=model.model_id,
                quant=model.quant,
                size_bytes=model.size_bytes,
                installed=model.present,
                fits=fits,
                roles=roles_of(ref),
            )
        )
    return rows
