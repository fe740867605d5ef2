"""Import the three real test GGUFs with `lsc models import`, then list them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from lsc_tui.cli import cli
from lsc_tui.paths import get_paths
from lsc_tui.recipes.catalog import load_catalog
from lsc_tui.recipes.store import ModelStore
from tests.conftest import test_model_path as model_file

IMPORTS = [
    ("qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b-instruct:Q4_K_M", []),
    ("qwen2.5-coder-1.5b", "qwen2.5-coder-1.5b-instruct:Q4_K_M", []),
    ("smollm2-135m", "smollm2-135m", ["--custom"]),
]


@pytest.mark.model
def test_import_then_list_shows_the_three_test_models() -> None:
    """Real files pass the header checks, keep their pinned sha256s and list."""
    runner = CliRunner()
    for name, ref, extra in IMPORTS:
        result = runner.invoke(
            cli,
            [
                "models",
                "import",
                str(model_file(name)),
                "--as",
                ref,
                "--link",
                *extra,
            ],
        )
        assert result.exit_code == 0, result.output

    listing = runner.invoke(cli, ["models", "list", "--installed", "--json"])
    assert listing.exit_code == 0, listing.output
    rows = {row["ref"]: row for row in json.loads(listing.stdout)["models"]}
    assert set(rows) == {
        "qwen2.5-coder-0.5b-instruct:q4_k_m",
        "qwen2.5-coder-1.5b-instruct:q4_k_m",
        "smollm2-135m:q4_1",
    }
    assert all(row["installed"] and row["fits"] for row in rows.values())

    table = runner.invoke(cli, ["models", "list", "--installed"])
    assert table.exit_code == 0
    for ref in rows:
        assert any(line.startswith(ref) for line in table.stdout.splitlines())

    catalog = load_catalog()
    store = ModelStore(get_paths().models_dir, catalog)
    by_ref = {m.ref: m for m in store.installed()}
    for ref in (
        "qwen2.5-coder-0.5b-instruct:q4_k_m",
        "qwen2.5-coder-1.5b-instruct:q4_k_m",
    ):
        recipe, quant = catalog.resolve_ref(ref)
        model = by_ref[ref]
        # The fetched test files are the official ones: the recipe pins match.
        assert model.sha256 == quant.sha256
        assert model.size_bytes == quant.size_bytes
        assert model.header["quant"] == "Q4_K_M"
        spec = store.resolve(ref)
        assert spec.path.resolve() == model_file(
            "qwen2.5-coder-0.5b" if "0.5b" in ref else "qwen2.5-coder-1.5b"
        )
        assert spec.stop == recipe.stop
    smol = store.resolve("smollm2-135m")
    assert smol.size_bytes == model_file("smollm2-135m").stat().st_size
    assert by_ref["smollm2-135m:q4_1"].architecture == "llama"
