"""The recipe schema: what we know about one model and its quantized GGUF files.

Recipes are data (``gguf_recipes/<id>.toml``); these frozen dataclasses are their
validated form. Quant names match case-insensitively, so ``Q4_K_M`` is ``q4_k_m``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lsc_tui.engine.base import SamplingParams
from lsc_tui.errors import RecipeError


@dataclass(frozen=True, slots=True)
class QuantFile:
    """One quantized GGUF file of a recipe, as published on the hub."""

    name: str
    """Canonical lower-case quant name, e.g. ``q4_k_m``."""
    filename: str
    """File name inside the hub repository."""
    size_bytes: int | None = None
    """Exact size in bytes, when verified."""
    sha256: str | None = None
    """Lower-case hex sha256 of the file, when verified."""
    approx_size_bytes: int | None = None
    """Size as the hub's file listing rounds it, when the exact one is unknown."""

    @property
    def best_size_bytes(self) -> int | None:
        """The exact size if known, else the approximate one."""
        return (
            self.size_bytes if self.size_bytes is not None else self.approx_size_bytes
        )


@dataclass(frozen=True, slots=True)
class Recipe:
    """Everything lsc-tui needs to fetch, check and prompt one model."""

    id: str
    name: str
    repo_id: str
    family: str
    architecture: str
    license: str
    default_quant: str
    quants: Mapping[str, QuantFile]
    n_ctx: int = 4096
    sampling: SamplingParams = field(default_factory=SamplingParams)
    stop: tuple[str, ...] = ()
    notes: str = ""
    parameters: str = ""
    source: Path | None = None

    def quant(self, name: str | None = None) -> QuantFile:
        """The quant called ``name`` (any case), or the default one for None."""
        key = (name or self.default_quant).lower()
        try:
            return self.quants[key]
        except KeyError:
            available = ", ".join(sorted(self.quants))
            raise RecipeError(
                f"recipe '{self.id}' has no quant '{name}'; available: {available}"
            ) from None

    def ref(self, quant: str | None = None) -> str:
        """The canonical ``RECIPE:QUANT`` reference for ``quant`` (default if None)."""
        return f"{self.id}:{self.quant(quant).name}"


def split_ref(ref: str) -> tuple[str, str | None]:
    """Split ``RECIPE[:QUANT]`` into the recipe id and the lower-case quant."""
    recipe_id, sep, quant = ref.strip().partition(":")
    if not recipe_id or (sep and not quant):
        raise RecipeError(
            f"'{ref}' is not RECIPE[:QUANT], e.g. qwen2.5-coder-1.5b-instruct"
        )
    return recipe_id, (quant.lower() if quant else None)
