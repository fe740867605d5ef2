"""`lsc models list|pull|import|rm|info`: manage the GGUF files in the model store.

Data goes to stdout (a table, or JSON with ``--json``); the pull progress bar and
hints go to stderr.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lsc_tui.cli.errors import friendly_errors
from lsc_tui.cli.exit_codes import ExitCode

if TYPE_CHECKING:
    from lsc_tui.hardware import HardwareFacts
    from lsc_tui.recipes.download import DownloadProgress
    from lsc_tui.recipes.model import QuantFile, Recipe
    from lsc_tui.recipes.store import InstalledModel, ModelStore


def open_store() -> ModelStore:
    """The store under the configured models dir, with the configured hub settings."""
    from lsc_tui.recipes.catalog import load_catalog
    from lsc_tui.recipes.store import ModelStore
    from lsc_tui.settings import load_settings

    settings = load_settings()
    return ModelStore(
        settings.paths.models_dir,
        load_catalog(),
        endpoint=settings.hf_endpoint,
        offline=settings.offline,
    )


def _facts() -> HardwareFacts:
    from lsc_tui.hardware import hardware_facts

    # Importing llama.cpp only matters when there is VRAM to count.
    return hardware_facts(include_backend=shutil.which("nvidia-smi") is not None)


def human_size(n_bytes: int | None, approximate: bool = False) -> str:
    """Bytes as a short human size (GiB/MiB); '?' when unknown."""
    if n_bytes is None:
        return "?"
    prefix = "~" if approximate else ""
    if n_bytes >= 1024**3:
        return f"{prefix}{n_bytes / 1024**3:.2f} GiB"
    return f"{prefix}{n_bytes / 1024**2:.0f} MiB"


def _fit_need(
    recipe: Recipe | None, size: int | None, installed: InstalledModel | None
) -> int | None:
    """Estimated bytes to load, from the installed header or the recipe size."""
    from lsc_tui.hardware import estimate_for_recipe, estimate_for_size

    n_ctx = recipe.n_ctx if recipe is not None else 4096
    if installed is not None and installed.header.get("kv_bytes_per_token"):
        return estimate_for_size(
            installed.size_bytes,
            n_ctx,
            int(installed.header["kv_bytes_per_token"]),
            installed.header.get("vocab_size"),
        ).total_bytes
    if size is None:
        return None
    if recipe is not None:
        return estimate_for_recipe(recipe, size, n_ctx).total_bytes
    return estimate_for_size(size, n_ctx, None).total_bytes


def _rows(store: ModelStore, facts: HardwareFacts) -> list[dict[str, Any]]:
    """One row per recipe quant, then one per custom model."""
    from lsc_tui.hardware import recommend_quant

    installed = {m.ref: m for m in store.installed()}
    rows: list[dict[str, Any]] = []
    for recipe in store.catalog:
        recommended = recommend_quant(recipe, facts)
        for quant in sorted(recipe.quants.values(), key=lambda q: q.name):
            ref = f"{recipe.id}:{quant.name}"
            model = installed.pop(ref, None)
            row = _row(store, facts, ref, recipe, quant, model)
            row["recommended"] = quant.name == recommended
            rows.append(row)
    for ref, model in sorted(installed.items()):
        rows.append(
            {**_row(store, facts, ref, None, None, model), "recommended": False}
        )
    return rows


def _row(
    store: ModelStore,
    facts: HardwareFacts,
    ref: str,
    recipe: Recipe | None,
    quant: QuantFile | None,
    model: InstalledModel | None,
) -> dict[str, Any]:
    size = model.size_bytes if model is not None else None
    approximate = False
    if size is None and quant is not None:
        size = quant.best_size_bytes
        approximate = quant.size_bytes is None and size is not None
    need = _fit_need(recipe, size, model)
    partial = 0
    if model is None and recipe is not None:
        partial = store.partial_bytes(ref)
    return {
        "ref": ref,
        "recipe": recipe.id if recipe is not None else None,
        "quant": quant.name if quant is not None else (model.quant if model else None),
        "default": recipe is not None
        and quant is not None
        and quant.name == recipe.default_quant,
        "size_bytes": size,
        "size_approximate": approximate,
        "installed": model is not None and model.present,
        "missing_file": model is not None and not model.present,
        "partial_bytes": partial,
        "path": str(model.path) if model is not None else None,
        "source": model.source if model is not None else None,
        "needs_bytes": need,
        "fits": None if need is None else need <= facts.model_budget_bytes,
        "license": recipe.license if recipe is not None else None,
    }


@click.group()
def models() -> None:
    """List, pull, import, inspect and remove models (RECIPE[:QUANT] references)."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--installed", "only_installed", is_flag=True, help="Only installed models."
)
def list_models(as_json: bool, only_installed: bool) -> None:
    """Show installed and pullable models, their size and whether they fit."""
    with friendly_errors():
        store = open_store()
        facts = _facts()
        rows = _rows(store, facts)
        if only_installed:
            rows = [r for r in rows if r["installed"] or r["missing_file"]]
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "models_dir": str(store.models_dir),
                        "memory_budget_bytes": facts.model_budget_bytes,
                        "models": rows,
                    },
                    indent=2,
                )
            )
            return
        width = max([len(r["ref"]) for r in rows] + [3])
        click.echo(
            f"{'REF':<{width}}  {'SIZE':>10}  {'INSTALLED':<9}  {'FITS':<4}  NOTE"
        )
        for row in rows:
            if row["installed"]:
                state = "yes"
            elif row["missing_file"]:
                state = "MISSING"
            elif row["partial_bytes"]:
                state = "partial"
            else:
                state = "-"
            fits = {True: "yes", False: "no", None: "?"}[row["fits"]]
            notes = []
            if row["default"]:
                notes.append("default")
            if row["recommended"]:
                notes.append("recommended here")
            if row["recipe"] is None:
                notes.append("custom")
            if row["source"] == "link":
                notes.append("linked")
            size = human_size(row["size_bytes"], row["size_approximate"])
            click.echo(
                f"{row['ref']:<{width}}  {size:>10}  {state:<9}  {fits:<4}  "
                f"{', '.join(notes)}".rstrip()
            )
        click.echo(
            f"models dir: {store.models_dir}; memory for models: "
            f"{human_size(facts.model_budget_bytes)}",
            err=True,
        )


class ProgressBar:
    """Draws a one-line download progress bar on stderr."""

    def __init__(self, stream: Any = None, width: int = 28) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.last: DownloadProgress | None = None

    def __call__(self, progress: DownloadProgress) -> None:
        self.last = progress
        fraction = progress.fraction
        if fraction is None:
            bar = "?" * self.width
            percent = "  ?%"
        else:
            filled = int(fraction * self.width)
            bar = "#" * filled + "-" * (self.width - filled)
            percent = f"{fraction * 100:3.0f}%"
        total = human_size(progress.total_bytes) if progress.total_bytes else "?"
        speed = human_size(int(progress.bytes_per_second)) + "/s"
        eta = _format_eta(progress.eta_seconds)
        line = (
            f"\r{progress.recipe_ref} [{bar}] {percent} "
            f"{human_size(progress.downloaded_bytes)}/{total} {speed} ETA {eta}"
        )
        self.stream.write(line.ljust(100))
        if progress.done:
            self.stream.write("\n")
        self.stream.flush()


def _format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


@models.command("pull")
@click.argument("ref", metavar="RECIPE[:QUANT]")
def pull(ref: str) -> None:
    """Download a model from the hub (resumes an interrupted download)."""
    from lsc_tui.recipes.download import DownloadCancelledError

    with friendly_errors():
        store = open_store()
        recipe, quant = store.catalog.resolve_ref(ref)
        canonical = recipe.ref(quant.name)
        already = store.find(canonical)
        if already is not None and already.present:
            click.echo(f"{canonical} is already installed at {already.path}", err=True)
            return
        kept = store.partial_bytes(canonical)
        if kept:
            click.echo(f"resuming {canonical} from {human_size(kept)}", err=True)
        bar = ProgressBar()
        cancel = threading.Event()
        started = time.monotonic()
        try:
            model = store.pull(canonical, progress=bar, cancel=cancel)
        except KeyboardInterrupt:
            cancel.set()
            kept = store.partial_bytes(canonical)
            click.echo(
                f"\nlsc: pull of {canonical} interrupted with {human_size(kept)} kept; "
                "run the same command to resume",
                err=True,
            )
            sys.exit(ExitCode.INTERRUPTED)
        except DownloadCancelledError:
            raise
        seconds = time.monotonic() - started
        click.echo(
            f"installed {model.ref} ({human_size(model.size_bytes)}, sha256 "
            f"{model.sha256[:12]}…) in {seconds:.1f}s",
            err=True,
        )
        click.echo(str(model.path))


@models.command("import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--as",
    "as_ref",
    required=True,
    metavar="RECIPE[:QUANT]",
    help="Register the file under this reference.",
)
@click.option(
    "--link",
    is_flag=True,
    help="Store a symlink instead of a hard link or copy (keep the original).",
)
@click.option(
    "--custom",
    is_flag=True,
    help="Allow a name that is not a recipe id (no recipe defaults).",
)
def import_model(path: Path, as_ref: str, link: bool, custom: bool) -> None:
    """Register a GGUF file you already have (its header is checked first)."""
    with friendly_errors():
        store = open_store()
        model = store.import_file(path, as_ref, link=link, custom=custom)
        click.echo(
            f"imported {model.ref}: {model.architecture}, "
            f"{model.header.get('quant') or '?'} ({human_size(model.size_bytes)})",
            err=True,
        )
        click.echo(str(model.path))


@models.command("rm")
@click.argument("ref", metavar="RECIPE[:QUANT]")
def remove(ref: str) -> None:
    """Remove an installed model (or an unfinished download of it)."""
    with friendly_errors():
        store = open_store()
        store.remove(ref)
        click.echo(f"removed {ref}", err=True)


@models.command("info")
@click.argument("ref", metavar="RECIPE[:QUANT]|PATH")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def info(ref: str, as_json: bool) -> None:
    """Print a model's recipe, install state, GGUF header and memory estimate."""
    with friendly_errors():
        data = model_info(open_store(), ref, _facts())
        if as_json:
            click.echo(json.dumps(data, indent=2, default=str))
            return
        _print_info(data)


def model_info(store: ModelStore, ref: str, facts: HardwareFacts) -> dict[str, Any]:
    """Everything `lsc models info` shows, as plain values."""
    from lsc_tui.hardware import estimate_memory
    from lsc_tui.recipes.gguf import read_gguf_header
    from lsc_tui.recipes.model import split_ref
    from lsc_tui.recipes.store import is_path_ref

    data: dict[str, Any] = {"ref": ref}
    recipe = None
    quant = None
    installed = None
    if is_path_ref(ref):
        path: Path | None = Path(ref).expanduser()
    else:
        model_id, quant_name = split_ref(ref)
        if model_id in store.catalog:
            recipe = store.catalog.get(model_id)
            quant = recipe.quant(quant_name)
        installed = store.find(recipe.ref(quant.name) if recipe and quant else ref)
        if recipe is None and installed is None:
            store.catalog.get(model_id)  # unknown: RecipeError listing the ids
        path = installed.path if installed is not None and installed.present else None
    if recipe is not None and quant is not None:
        data["recipe"] = {
            "id": recipe.id,
            "name": recipe.name,
            "repo_id": recipe.repo_id,
            "family": recipe.family,
            "architecture": recipe.architecture,
            "license": recipe.license,
            "parameters": recipe.parameters,
            "n_ctx": recipe.n_ctx,
            "stop": list(recipe.stop),
            "sampling": {
                "temperature": recipe.sampling.temperature,
                "top_p": recipe.sampling.top_p,
                "top_k": recipe.sampling.top_k,
                "min_p": recipe.sampling.min_p,
                "repeat_penalty": recipe.sampling.repeat_penalty,
                "max_tokens": recipe.sampling.max_tokens,
            },
            "notes": recipe.notes,
            "quant": {
                "name": quant.name,
                "file": quant.filename,
                "size_bytes": quant.size_bytes,
                "approx_size_bytes": quant.approx_size_bytes,
                "sha256": quant.sha256,
            },
            "quants": sorted(recipe.quants),
            "default_quant": recipe.default_quant,
        }
    data["installed"] = installed.to_json() if installed is not None else None
    if path is not None:
        header = read_gguf_header(path)
        data["gguf"] = header.summary()
        spec = store.resolve(str(path) if is_path_ref(ref) else installed.ref)  # type: ignore[union-attr]
        estimate = estimate_memory(spec)
        data["memory"] = {
            "n_ctx": spec.n_ctx,
            "weights_bytes": estimate.weights_bytes,
            "kv_bytes": estimate.kv_bytes,
            "overhead_bytes": estimate.overhead_bytes,
            "total_bytes": estimate.total_bytes,
            "budget_bytes": facts.model_budget_bytes,
            "fits": estimate.total_bytes <= facts.model_budget_bytes,
        }
    return data


def _print_info(data: dict[str, Any]) -> None:
    recipe = data.get("recipe")
    if recipe:
        quant = recipe["quant"]
        size = quant["size_bytes"] or quant["approx_size_bytes"]
        click.echo(f"{recipe['name']} ({recipe['id']}:{quant['name']})")
        click.echo(f"  hub:           {recipe['repo_id']} / {quant['file']}")
        click.echo(f"  size:          {human_size(size, quant['size_bytes'] is None)}")
        click.echo(f"  sha256:        {quant['sha256'] or 'not pinned'}")
        click.echo(f"  license:       {recipe['license']}")
        click.echo(f"  family/arch:   {recipe['family']} / {recipe['architecture']}")
        click.echo(f"  n_ctx:         {recipe['n_ctx']}")
        click.echo(f"  stop:          {', '.join(recipe['stop'])}")
        sampling = ", ".join(f"{k}={v}" for k, v in recipe["sampling"].items())
        click.echo(f"  sampling:      {sampling}")
        click.echo(
            f"  quants:        {', '.join(recipe['quants'])} "
            f"(default {recipe['default_quant']})"
        )
        for line in recipe["notes"].splitlines():
            click.echo(f"  | {line}")
    installed = data.get("installed")
    if installed:
        click.echo(
            f"installed:       {installed['path']} ({installed['source']}, "
            f"from {installed['origin']})"
        )
        click.echo(f"  sha256:        {installed['sha256']}")
    elif recipe:
        click.echo(f"installed:       no (run `lsc models pull {data['ref']}`)")
    gguf = data.get("gguf")
    if gguf:
        click.echo("gguf header:")
        for key, value in gguf.items():
            click.echo(f"  {key + ':':<19}{value}")
    memory = data.get("memory")
    if memory:
        click.echo(
            f"memory at n_ctx {memory['n_ctx']}: {human_size(memory['total_bytes'])} "
            f"(weights {human_size(memory['weights_bytes'])}, "
            f"KV {human_size(memory['kv_bytes'])}); "
            f"{human_size(memory['budget_bytes'])} available -> "
            f"{'fits' if memory['fits'] else 'does NOT fit'}"
        )
