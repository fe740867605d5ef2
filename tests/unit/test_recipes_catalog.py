"""Every shipped recipe validates; the schema rejects broken ones with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsc_tui.errors import RecipeError
from lsc_tui.recipes.catalog import load_catalog, recipes_dir
from lsc_tui.recipes.model import split_ref

CONTRACT_IDS = [
    "deepseek-coder-1.3b-instruct",
    "phi-3-mini-128k-instruct",
    "phi-3-mini-4k-instruct",
    "qwen2.5-coder-0.5b-instruct",
    "qwen2.5-coder-1.5b-instruct",
    "qwen2.5-coder-3b-instruct",
    "qwen2.5-coder-7b-instruct",
]

MINIMAL = """
schema = 1
name = "Tiny"
repo_id = "owner/tiny-GGUF"
family = "qwen2.5-coder"
architecture = "qwen2"
license = "mit"
default_quant = "Q4_K_M"
n_ctx = 2048
stop = ["<|im_end|>"]

[quants.Q4_K_M]
file = "tiny-q4_k_m.gguf"
size_bytes = 1000
"""


def write_recipe(directory: Path, recipe_id: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{recipe_id}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_recipes_are_exactly_the_contract_ids() -> None:
    """The recipe ids are an external contract (DESIGN.md); all of them load."""
    catalog = load_catalog()
    assert catalog.ids() == CONTRACT_IDS
    assert catalog.directory == recipes_dir()


@pytest.mark.parametrize("recipe_id", CONTRACT_IDS)
def test_each_shipped_recipe_is_complete(recipe_id: str) -> None:
    """Each recipe has a repo, a default quant file, stops, notes and sampling."""
    recipe = load_catalog().get(recipe_id)
    assert recipe.repo_id.count("/") == 1
    assert recipe.architecture in {"qwen2", "llama", "phi3"}
    assert recipe.family in {"qwen2.5-coder", "deepseek-coder", "phi-3"}
    assert recipe.quant().filename.endswith(".gguf")
    assert recipe.quant().best_size_bytes
    assert recipe.stop
    assert recipe.sampling.stop == recipe.stop
    assert recipe.notes
    assert 1024 <= recipe.n_ctx <= 8192


def test_verified_facts_of_the_seed_generator() -> None:
    """The 1.5B Q4_K_M pin matches DESIGN.md's verified size and sha256."""
    quant = load_catalog().get("qwen2.5-coder-1.5b-instruct").quant("Q4_K_M")
    assert quant.filename == "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert quant.size_bytes == 1_117_320_768
    assert quant.sha256 == (
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    )


def test_quant_names_match_case_insensitively() -> None:
    """Q4_K_M and q4_k_m name the same file; refs split the same way."""
    catalog = load_catalog()
    recipe, upper = catalog.resolve_ref("qwen2.5-coder-1.5b-instruct:Q4_K_M")
    _, lower = catalog.resolve_ref("qwen2.5-coder-1.5b-instruct:q4_k_m")
    assert upper == lower
    assert recipe.ref() == "qwen2.5-coder-1.5b-instruct:q4_k_m"
    assert split_ref("x:Q8_0") == ("x", "q8_0")
    assert split_ref("x") == ("x", None)


def test_unknown_recipe_and_quant_list_the_valid_ones() -> None:
    """Errors name the valid ids / quants so the user can fix the typo."""
    catalog = load_catalog()
    with pytest.raises(RecipeError, match=r"valid ids: deepseek-coder-1\.3b-instruct"):
        catalog.get("qwen-coder")
    with pytest.raises(RecipeError, match="available: q2_k, q4_k_m, q8_0"):
        catalog.resolve_ref("qwen2.5-coder-0.5b-instruct:q5_k_m")
    with pytest.raises(RecipeError, match="not RECIPE"):
        split_ref("qwen2.5-coder-0.5b-instruct:")


def test_minimal_recipe_loads_from_an_explicit_dir(tmp_path: Path) -> None:
    """An explicit directory wins; quant keys are stored lower-case."""
    write_recipe(tmp_path, "tiny", MINIMAL)
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "one-shot.toml").write_text("not = 'a model'")
    catalog = load_catalog(tmp_path)
    assert catalog.ids() == ["tiny"]
    recipe = catalog.get("tiny")
    assert recipe.default_quant == "q4_k_m"
    assert list(recipe.quants) == ["q4_k_m"]
    assert recipe.sampling.temperature == 0.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("n_ctx = 2048", 'n_ctx = 2048\ncolour = "red"'), "unknown key"),
        (('license = "mit"\n', ""), "missing key.*license"),
        (("n_ctx = 2048", 'n_ctx = "big"'), "'n_ctx' must be int"),
        (
            ('default_quant = "Q4_K_M"', 'default_quant = "q8_0"'),
            "not among the quants",
        ),
        (("size_bytes = 1000", 'sha256 = "abc"'), "64 lower-case hex"),
        (('file = "tiny-q4_k_m.gguf"', 'file = "dir/tiny.gguf"'), "bare"),
        (('repo_id = "owner/tiny-GGUF"', 'repo_id = "tiny"'), "owner/name"),
        (('stop = ["<|im_end|>"]', 'stop = [""]'), "non-empty"),
        (("schema = 1", "schema = 2"), "schema must be 1"),
    ],
)
def test_broken_recipes_are_rejected_with_the_file_named(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    """Each schema violation raises a RecipeError that names the file."""
    old, new = change
    assert old in MINIMAL
    path = write_recipe(tmp_path, "tiny", MINIMAL.replace(old, new, 1))
    with pytest.raises(RecipeError, match=message) as info:
        load_catalog(tmp_path)
    assert str(path) in str(info.value)


def test_invalid_toml_and_bad_id(tmp_path: Path) -> None:
    """Unparseable TOML and upper-case file stems are refused."""
    write_recipe(tmp_path / "a", "tiny", "schema = = 1")
    with pytest.raises(RecipeError, match="not valid TOML"):
        load_catalog(tmp_path / "a")
    write_recipe(tmp_path / "b", "Tiny", MINIMAL)
    with pytest.raises(RecipeError, match="lower-case"):
        load_catalog(tmp_path / "b")
    (tmp_path / "empty" / "pipelines").mkdir(parents=True)
    with pytest.raises(RecipeError, match="no recipes"):
        load_catalog(tmp_path / "empty")
    with pytest.raises(RecipeError, match="does not exist"):
        load_catalog(tmp_path / "missing")
