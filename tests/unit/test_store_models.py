"""The model store (import, resolve, list, remove, pull) and `lsc models`."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lsc_tui.cli import cli
from lsc_tui.errors import DownloadError, ModelError, RecipeError
from lsc_tui.paths import get_paths
from lsc_tui.recipes.catalog import Catalog, load_catalog
from lsc_tui.recipes.download import DownloadCancelledError, DownloadProgress
from lsc_tui.recipes.gguf import write_gguf
from lsc_tui.recipes.store import ModelStore

ARCH_KEYS = {
    "block_count": 2,
    "embedding_length": 64,
    "attention.head_count": 4,
    "attention.head_count_kv": 2,
}


def fake_gguf(path: Path, architecture: str = "qwen2", file_type: int = 15) -> Path:
    """A small valid GGUF with the given architecture."""
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata: dict[str, Any] = {
        "general.architecture": architecture,
        "general.name": f"fake {architecture}",
        "general.file_type": file_type,
    }
    metadata.update({f"{architecture}.{k}": v for k, v in ARCH_KEYS.items()})
    write_gguf(path, metadata, (("token_embd.weight", (64, 256), 0),))
    return path


@pytest.fixture
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def store(tmp_path: Path, catalog: Catalog) -> ModelStore:
    return ModelStore(tmp_path / "models", catalog)


def test_import_copies_and_resolves_with_recipe_defaults(
    store: ModelStore, tmp_path: Path
) -> None:
    """An imported file resolves to a ModelSpec carrying the recipe's settings."""
    source = fake_gguf(tmp_path / "src" / "mine.gguf")
    model = store.import_file(source, "qwen2.5-coder-1.5b-instruct:Q4_K_M")
    assert model.ref == "qwen2.5-coder-1.5b-instruct:q4_k_m"
    assert model.path == (
        store.models_dir
        / "qwen2.5-coder-1.5b-instruct"
        / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    )
    assert not model.path.is_symlink()
    assert model.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert model.architecture == "qwen2"
    spec = store.resolve("qwen2.5-coder-1.5b-instruct")
    assert spec.path == model.path
    assert spec.model_id == "qwen2.5-coder-1.5b-instruct:q4_k_m"
    assert spec.family == "qwen2.5-coder"
    assert spec.stop == ("<|im_end|>", "<|endoftext|>")
    assert spec.n_ctx == 4096
    assert store.resolve("qwen2.5-coder-1.5b-instruct:q4_k_m", n_ctx=1024).n_ctx == 1024
    assert spec.sha256 == model.sha256
    assert [m.ref for m in store.installed()] == [model.ref]
    source.unlink()  # a copy/hard link does not depend on the original
    assert store.installed()[0].present


def test_import_link_keeps_a_symlink(store: ModelStore, tmp_path: Path) -> None:
    """--link stores a symlink; removing it leaves the original alone."""
    source = fake_gguf(tmp_path / "src" / "mine.gguf")
    model = store.import_file(source, "qwen2.5-coder-0.5b-instruct", link=True)
    assert model.path.is_symlink()
    assert model.source == "link"
    store.remove("qwen2.5-coder-0.5b-instruct")
    assert source.exists()
    assert store.installed() == []
    assert not (store.models_dir / "qwen2.5-coder-0.5b-instruct").exists()


def test_import_refuses_bad_files(store: ModelStore, tmp_path: Path) -> None:
    """Non-GGUF, truncated and wrong-architecture files never enter the store."""
    not_gguf = tmp_path / "weights.gguf"
    not_gguf.write_bytes(b"\x00" * 100)
    with pytest.raises(ModelError, match="not a GGUF file"):
        store.import_file(not_gguf, "qwen2.5-coder-0.5b-instruct")
    truncated = fake_gguf(tmp_path / "cut.gguf")
    truncated.write_bytes(truncated.read_bytes()[:-10])
    with pytest.raises(ModelError, match="truncated"):
        store.import_file(truncated, "qwen2.5-coder-0.5b-instruct")
    llama = fake_gguf(tmp_path / "llama.gguf", architecture="llama")
    with pytest.raises(ModelError, match=r"'llama' model but .* needs 'qwen2'"):
        store.import_file(llama, "qwen2.5-coder-0.5b-instruct")
    with pytest.raises(RecipeError, match="pass --custom"):
        store.import_file(llama, "my-llama")
    assert store.installed() == []


def test_custom_model_by_name(store: ModelStore, tmp_path: Path) -> None:
    """A GGUF with no recipe can be registered under its own name with custom=True."""
    source = fake_gguf(tmp_path / "SmolThing.Q4_1.gguf", "llama", file_type=3)
    model = store.import_file(source, "smol-thing", custom=True, link=True)
    assert model.ref == "smol-thing:q4_1"
    assert model.custom
    spec = store.resolve("smol-thing")
    assert spec.path == model.path
    assert spec.stop == ()
    assert spec.family == ""


def test_resolve_missing_model_says_how_to_get_it(store: ModelStore) -> None:
    """The exact hint from the contract, with the canonical reference."""
    with pytest.raises(ModelError) as info:
        store.resolve("qwen2.5-coder-1.5b-instruct:Q4_K_M")
    ref = "qwen2.5-coder-1.5b-instruct:q4_k_m"
    assert str(info.value) == (
        f"model {ref} is not installed: run `lsc models pull {ref}` or "
        f"`lsc models import FILE --as {ref}`"
    )
    with pytest.raises(RecipeError, match="valid ids"):
        store.resolve("no-such-model")


def test_resolve_a_path(store: ModelStore, tmp_path: Path) -> None:
    """A .gguf path resolves directly; a recipe file name picks up recipe settings."""
    plain = fake_gguf(tmp_path / "whatever.gguf", "phi3")
    spec = store.resolve(str(plain))
    assert spec.model_id == "whatever"
    assert spec.family == "phi-3"
    assert spec.size_bytes == plain.stat().st_size
    named = fake_gguf(tmp_path / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
    assert store.resolve(str(named)).stop == ("<|im_end|>", "<|endoftext|>")
    with pytest.raises(ModelError, match="does not exist"):
        store.resolve(str(tmp_path / "gone.gguf"))


def test_broken_link_is_reported(store: ModelStore, tmp_path: Path) -> None:
    """A symlinked model whose target vanished is listed as missing, not loaded."""
    source = fake_gguf(tmp_path / "src.gguf")
    store.import_file(source, "qwen2.5-coder-0.5b-instruct", link=True)
    source.unlink()
    assert not store.installed()[0].present
    with pytest.raises(ModelError, match="is missing"):
        store.resolve("qwen2.5-coder-0.5b-instruct")


class FakeHub:
    """An hf_hub_download stand-in that writes a payload and drives the progress bar."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> str:
        self.calls.append(kwargs)
        target = Path(kwargs["local_dir"]) / kwargs["filename"]
        with kwargs["tqdm_class"](total=len(self.payload), initial=0) as bar:
            for start in range(0, len(self.payload), 1024):
                chunk = self.payload[start : start + 1024]
                bar.update(len(chunk))
        target.write_bytes(self.payload)
        return str(target)


def test_pull_with_injected_hub_function(store: ModelStore, tmp_path: Path) -> None:
    """pull passes the recipe's repo and file, verifies, registers and reports."""
    payload = fake_gguf(tmp_path / "payload.gguf", "phi3").read_bytes()
    hub = FakeHub(payload)
    seen: list[DownloadProgress] = []
    model = store.pull(
        "phi-3-mini-128k-instruct", hf_download=hub, progress=seen.append
    )
    assert hub.calls[0]["repo_id"] == "second-state/Phi-3-mini-128k-instruct-GGUF"
    assert hub.calls[0]["filename"] == "Phi-3-mini-128k-instruct-Q4_K_M.gguf"
    assert model.ref == "phi-3-mini-128k-instruct:q4_k_m"
    assert model.source == "pull"
    assert model.path.read_bytes() == payload
    assert seen[-1].done and seen[-1].downloaded_bytes == len(payload)
    assert store.pull("phi-3-mini-128k-instruct", hf_download=hub) == model
    assert len(hub.calls) == 1  # already installed: no second download
    assert sorted(p.name for p in model.path.parent.iterdir()) == [
        "Phi-3-mini-128k-instruct-Q4_K_M.gguf",
        "Phi-3-mini-128k-instruct-Q4_K_M.gguf.lsc.json",
    ]


def test_pull_rejects_sha_mismatch_and_wrong_architecture(
    store: ModelStore, tmp_path: Path
) -> None:
    """A pinned sha256 that does not match, or a non-phi3 file, is not installed."""
    payload = fake_gguf(tmp_path / "payload.gguf", "phi3").read_bytes()
    with pytest.raises(DownloadError, match="sha256 mismatch"):
        store.pull("phi-3-mini-4k-instruct:Q4", hf_download=FakeHub(payload))
    llama = fake_gguf(tmp_path / "llama.gguf", "llama").read_bytes()
    with pytest.raises(ModelError, match="'llama' model, not 'phi3'"):
        store.pull("phi-3-mini-128k-instruct", hf_download=FakeHub(llama))
    assert store.installed() == []
    leftovers = list(store.models_dir.rglob("*.gguf"))
    assert leftovers == []


def test_pull_cancel_and_offline(store: ModelStore, tmp_path: Path) -> None:
    """A set cancel event stops the pull; an offline store never calls the hub."""
    hub = FakeHub(fake_gguf(tmp_path / "p.gguf", "phi3").read_bytes())
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(DownloadCancelledError):
        store.pull("phi-3-mini-128k-instruct", hf_download=hub, cancel=cancel)
    offline = ModelStore(store.models_dir, store.catalog, offline=True)
    with pytest.raises(DownloadError, match="offline"):
        offline.pull("phi-3-mini-128k-instruct", hf_download=hub)
    assert hub.calls == []


def test_remove_partial_download(store: ModelStore) -> None:
    """rm of a model that only has a .part file deletes the partial download."""
    target_dir = store.models_dir / "qwen2.5-coder-3b-instruct"
    target_dir.mkdir(parents=True)
    part = target_dir / "qwen2.5-coder-3b-instruct-q4_k_m.gguf.part"
    part.write_bytes(b"x" * 10)
    assert store.partial_bytes("qwen2.5-coder-3b-instruct") == 10
    store.remove("qwen2.5-coder-3b-instruct")
    assert not part.exists()
    with pytest.raises(ModelError, match="not installed"):
        store.remove("qwen2.5-coder-3b-instruct")


def test_cli_import_list_info_rm(tmp_path: Path) -> None:
    """The `lsc models` commands work end to end under LSC_HOME."""
    runner = CliRunner()
    source = fake_gguf(tmp_path / "mine.gguf")
    result = runner.invoke(
        cli,
        ["models", "import", str(source), "--as", "qwen2.5-coder-0.5b-instruct:Q4_K_M"],
    )
    assert result.exit_code == 0, result.output
    stored = get_paths().models_dir / "qwen2.5-coder-0.5b-instruct"
    assert result.stdout.strip() == str(
        stored / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    )

    listing = runner.invoke(cli, ["models", "list", "--json"])
    assert listing.exit_code == 0, listing.output
    rows = {row["ref"]: row for row in json.loads(listing.stdout)["models"]}
    assert rows["qwen2.5-coder-0.5b-instruct:q4_k_m"]["installed"] is True
    assert rows["qwen2.5-coder-7b-instruct:q4_k_m"]["installed"] is False
    assert rows["qwen2.5-coder-7b-instruct:q4_k_m"]["size_bytes"] == 4_683_073_536
    assert isinstance(rows["qwen2.5-coder-7b-instruct:q4_k_m"]["fits"], bool)

    table = runner.invoke(cli, ["models", "list"])
    line = next(
        row
        for row in table.stdout.splitlines()
        if row.startswith("qwen2.5-coder-0.5b-instruct:q4_k_m")
    )
    assert " yes " in line and "default" in line

    info = runner.invoke(
        cli, ["models", "info", "qwen2.5-coder-0.5b-instruct", "--json"]
    )
    assert info.exit_code == 0, info.output
    data = json.loads(info.stdout)
    assert data["gguf"]["architecture"] == "qwen2"
    assert data["recipe"]["repo_id"] == "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF"
    assert data["memory"]["kv_bytes"] == 4096 * 2 * 2 * 16 * 2 * 2

    removed = runner.invoke(cli, ["models", "rm", "qwen2.5-coder-0.5b-instruct"])
    assert removed.exit_code == 0
    again = runner.invoke(cli, ["models", "rm", "qwen2.5-coder-0.5b-instruct"])
    assert again.exit_code == 3
    assert again.stderr.strip().startswith("lsc: model qwen2.5-coder-0.5b-instruct")


def test_cli_errors_are_one_line_with_usage_codes(tmp_path: Path) -> None:
    """Unknown recipes exit 2 and bad files exit 3, each with one stderr line."""
    runner = CliRunner()
    unknown = runner.invoke(cli, ["models", "info", "gpt-5"])
    assert unknown.exit_code == 2
    assert len(unknown.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad.gguf"
    bad.write_text("hello")
    refused = runner.invoke(
        cli, ["models", "import", str(bad), "--as", "qwen2.5-coder-0.5b-instruct"]
    )
    assert refused.exit_code == 3
    assert "not a GGUF file" in refused.stderr
