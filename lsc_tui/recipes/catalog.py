"""Load and validate the model recipes (``gguf_recipes/*.toml``) into a Catalog.

Every top-level TOML file is one recipe whose id is the file stem. Unknown keys,
missing keys and values of the wrong type are rejected with a message naming the
file, so a broken recipe never loads half-right.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsc_tui.engine.base import SamplingParams
from lsc_tui.errors import RecipeError
from lsc_tui.recipes.model import QuantFile, Recipe, split_ref

RECIPE_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
_QUANT_PATTERN = re.compile(r"^[a-z0-9_]+$")

_TOP_KEYS = {
    "schema": int,
    "name": str,
    "repo_id": str,
    "family": str,
    "architecture": str,
    "license": str,
    "parameters": str,
    "default_quant": str,
    "n_ctx": int,
    "stop": list,
    "notes": str,
    "sampling": dict,
    "quants": dict,
}
_REQUIRED_TOP = {
    "schema",
    "name",
    "repo_id",
    "family",
    "architecture",
    "license",
    "default_quant",
    "n_ctx",
    "stop",
    "quants",
}
_QUANT_KEYS = {"file": str, "size_bytes": int, "sha256": str, "approx_size_bytes": int}
_SAMPLING_KEYS = {
    "max_tokens": int,
    "temperature": float,
    "top_p": float,
    "top_k": int,
    "min_p": float,
    "repeat_penalty": float,
    "seed": int,
}
SCHEMA_VERSION = 1


def recipes_dir(explicit: Path | None = None) -> Path:
    """Where recipes live: ``explicit``, else the wheel's copy, else the checkout's."""
    if explicit is not None:
        return explicit
    package_root = Path(__file__).resolve().parents[1]
    packaged = package_root / "_recipes"
    if packaged.is_dir():
        return packaged
    return package_root.parent / "gguf_recipes"


@dataclass(frozen=True, slots=True)
class Catalog:
    """All valid recipes by id."""

    recipes: Mapping[str, Recipe]
    directory: Path

    def ids(self) -> list[str]:
        """Every recipe id, sorted."""
        return sorted(self.recipes)

    def __iter__(self) -> Iterator[Recipe]:
        return iter(self.recipes[recipe_id] for recipe_id in self.ids())

    def __contains__(self, recipe_id: object) -> bool:
        return recipe_id in self.recipes

    def get(self, recipe_id: str) -> Recipe:
        """The recipe called ``recipe_id``; RecipeError lists the valid ids."""
        try:
            return self.recipes[recipe_id]
        except KeyError:
            raise RecipeError(
                f"unknown recipe '{recipe_id}'; valid ids: {', '.join(self.ids())}"
            ) from None

    def resolve_ref(self, ref: str) -> tuple[Recipe, QuantFile]:
        """Parse ``RECIPE[:QUANT]`` into its recipe and quant file."""
        recipe_id, quant = split_ref(ref)
        recipe = self.get(recipe_id)
        return recipe, recipe.quant(quant)


def load_catalog(directory: Path | None = None) -> Catalog:
    """Load and validate every ``*.toml`` at the top level of the recipes directory."""
    root = recipes_dir(directory)
    if not root.is_dir():
        raise RecipeError(f"recipes directory {root} does not exist")
    recipes: dict[str, Recipe] = {}
    for path in sorted(root.glob("*.toml")):
        recipe = load_recipe(path)
        recipes[recipe.id] = recipe
    if not recipes:
        raise RecipeError(f"no recipes (*.toml) found in {root}")
    return Catalog(recipes=recipes, directory=root)


def load_recipe(path: Path) -> Recipe:
    """Parse and validate one recipe file."""
    recipe_id = path.stem
    if not RECIPE_ID_PATTERN.match(recipe_id):
        raise RecipeError(
            f"{path}: recipe id '{recipe_id}' must be lower-case [a-z0-9._-]"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RecipeError(f"{path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise RecipeError(f"cannot read {path}: {exc.strerror}") from None
    return parse_recipe(recipe_id, data, source=path)


def _check_keys(
    where: str, data: Mapping[str, Any], allowed: Mapping[str, type], required: set[str]
) -> None:
    """Reject unknown or missing keys and values of the wrong type."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise RecipeError(
            f"{where}: unknown key(s) {', '.join(unknown)}; "
            f"valid keys are {', '.join(sorted(allowed))}"
        )
    missing = sorted(required - set(data))
    if missing:
        raise RecipeError(f"{where}: missing key(s) {', '.join(missing)}")
    for key, value in data.items():
        expected = allowed[key]
        ok = isinstance(value, expected) and not (
            expected is int and isinstance(value, bool)
        )
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            raise RecipeError(
                f"{where}: '{key}' must be {expected.__name__}, got {value!r}"
            )


def parse_recipe(
    recipe_id: str, data: Mapping[str, Any], source: Path | None
) -> Recipe:
    """Validate parsed TOML ``data`` as the recipe ``recipe_id``."""
    where = str(source) if source else f"recipe {recipe_id}"
    _check_keys(where, data, _TOP_KEYS, _REQUIRED_TOP)
    if data["schema"] != SCHEMA_VERSION:
        raise RecipeError(f"{where}: schema must be {SCHEMA_VERSION}")
    repo_id = data["repo_id"]
    if repo_id.count("/") != 1 or repo_id.startswith("/") or repo_id.endswith("/"):
        raise RecipeError(f"{where}: repo_id must be 'owner/name', got {repo_id!r}")
    if data["n_ctx"] < 256:
        raise RecipeError(f"{where}: n_ctx must be at least 256")
    stop = data["stop"]
    if not all(isinstance(s, str) and s for s in stop):
        raise RecipeError(f"{where}: stop must be a list of non-empty strings")
    quants = _parse_quants(where, data["quants"])
    default_quant = data["default_quant"].lower()
    if default_quant not in quants:
        raise RecipeError(
            f"{where}: default_quant '{data['default_quant']}' is not among the quants "
            f"({', '.join(sorted(quants))})"
        )
    sampling_data = data.get("sampling", {})
    _check_keys(f"{where} [sampling]", sampling_data, _SAMPLING_KEYS, set())
    sampling = SamplingParams(
        **{k: _SAMPLING_KEYS[k](v) for k, v in sampling_data.items()}, stop=tuple(stop)
    )
    if not 0.0 <= sampling.temperature <= 2.0:
        raise RecipeError(f"{where} [sampling]: temperature must be in [0, 2]")
    if sampling.max_tokens < 1:
        raise RecipeError(f"{where} [sampling]: max_tokens must be at least 1")
    return Recipe(
        id=recipe_id,
        name=data["name"],
        repo_id=repo_id,
        family=data["family"],
        architecture=data["architecture"],
        license=data["license"],
        default_quant=default_quant,
        quants=quants,
        n_ctx=data["n_ctx"],
        sampling=sampling,
        stop=tuple(stop),
        notes=data.get("notes", "").strip(),
        parameters=data.get("parameters", ""),
        source=source,
    )


def _parse_quants(where: str, table: Mapping[str, Any]) -> dict[str, QuantFile]:
    """Validate the ``[quants.<name>]`` tables."""
    if not table:
        raise RecipeError(f"{where}: [quants] must list at least one quant")
    quants: dict[str, QuantFile] = {}
    filenames: set[str] = set()
    for raw_name, entry in table.items():
        name = raw_name.lower()
        qwhere = f"{where} [quants.{raw_name}]"
        if not _QUANT_PATTERN.match(name):
            raise RecipeError(f"{qwhere}: quant names are letters, digits and '_'")
        if name in quants:
            raise RecipeError(f"{qwhere}: duplicate quant (names ignore case)")
        if not isinstance(entry, Mapping):
            raise RecipeError(f"{qwhere}: must be a table")
        _check_keys(qwhere, entry, _QUANT_KEYS, {"file"})
        filename = entry["file"]
        if "/" in filename or "\\" in filename or not filename.endswith(".gguf"):
            raise RecipeError(f"{qwhere}: file must be a bare *.gguf name")
        if filename in filenames:
            raise RecipeError(f"{qwhere}: file {filename} is listed twice")
        filenames.add(filename)
        sha256 = entry.get("sha256")
        if sha256 is not None and not _SHA256_PATTERN.match(sha256):
            raise RecipeError(f"{qwhere}: sha256 must be 64 lower-case hex digits")
        for key in ("size_bytes", "approx_size_bytes"):
            if key in entry and entry[key] <= 0:
                raise RecipeError(f"{qwhere}: {key} must be positive")
        quants[name] = QuantFile(
            name=name,
            filename=filename,
            size_bytes=entry.get("size_bytes"),
            sha256=sha256,
            approx_size_bytes=entry.get("approx_size_bytes"),
        )
    return quants
