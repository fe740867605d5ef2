"""The local model store: which GGUF files are installed, under which reference.

Layout: ``<models_dir>/<id>/<filename>`` plus a sidecar manifest
``<filename>.lsc.json`` holding the reference, sha256, size, source and the GGUF
header facts. ``<id>`` is a recipe id, or a custom name for a GGUF that matches no
recipe (registered with ``custom=True``). Downloads land in ``<filename>.part``
until verified, so a partial file is never mistaken for a model.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsc_tui.engine.base import ModelSpec
from lsc_tui.errors import DownloadError, ModelError, RecipeError
from lsc_tui.recipes.catalog import RECIPE_ID_PATTERN, Catalog
from lsc_tui.recipes.download import (
    DownloadProgress,
    HubDownload,
    discard_partial,
    download_file,
    partial_path,
)
from lsc_tui.recipes.gguf import GGUFHeader, read_gguf_header
from lsc_tui.recipes.model import QuantFile, Recipe, split_ref

MANIFEST_SUFFIX = ".lsc.json"
DEFAULT_N_CTX = 4096

# GGUF general.architecture -> prompt family, for files given by path.
_FAMILY_BY_ARCHITECTURE = {"qwen2": "qwen2.5-coder", "phi3": "phi-3"}


@dataclass(frozen=True, slots=True)
class InstalledModel:
    """One GGUF file registered in the store."""

    ref: str
    """``RECIPE:QUANT`` (or ``NAME:QUANT`` for a custom model)."""
    model_id: str
    quant: str
    path: Path
    size_bytes: int
    sha256: str
    source: str
    """'pull', 'import' or 'link'."""
    origin: str
    """The hub repo@commit, or the file it was imported from."""
    architecture: str
    custom: bool = False
    header: dict[str, Any] = field(default_factory=dict)

    @property
    def present(self) -> bool:
        """Whether the file (or the link's target) still exists."""
        return self.path.is_file()

    def to_json(self) -> dict[str, Any]:
        """Plain values for ``--json`` output."""
        return {
            "ref": self.ref,
            "model_id": self.model_id,
            "quant": self.quant,
            "path": str(self.path),
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "source": self.source,
            "origin": self.origin,
            "architecture": self.architecture,
            "custom": self.custom,
            "present": self.present,
        }


def is_path_ref(ref: str) -> bool:
    """Whether ``ref`` names a file rather than ``RECIPE[:QUANT]``."""
    return ref.lower().endswith(".gguf") or os.sep in ref or ref.startswith((".", "~"))


def sha256_file(path: Path, chunk_bytes: int = 4 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


class ModelStore:
    """Installed models under ``models_dir``, resolved against the recipe catalog."""

    def __init__(
        self,
        models_dir: Path,
        catalog: Catalog,
        *,
        endpoint: str | None = None,
        offline: bool = False,
    ) -> None:
        self.models_dir = models_dir
        self.catalog = catalog
        self.endpoint = endpoint
        """Hub URL for pulls (None: HF_ENDPOINT or huggingface.co)."""
        self.offline = offline
        """Refuse to contact the hub at all."""

    # ----- lookup -------------------------------------------------------------

    def installed(self) -> list[InstalledModel]:
        """Every registered model, sorted by reference."""
        models = []
        if not self.models_dir.is_dir():
            return []
        for manifest in sorted(self.models_dir.glob(f"*/*{MANIFEST_SUFFIX}")):
            model = self._read_manifest(manifest)
            if model is not None:
                models.append(model)
        return sorted(models, key=lambda m: m.ref)

    def find(self, ref: str) -> InstalledModel | None:
        """The installed model ``ref`` names, or None (a quant-less ref picks one)."""
        model_id, quant = split_ref(ref)
        candidates = [m for m in self.installed() if m.model_id == model_id]
        if quant is not None:
            return next((m for m in candidates if m.quant == quant), None)
        if not candidates:
            return None
        if model_id in self.catalog:
            default = self.catalog.get(model_id).default_quant
            for model in candidates:
                if model.quant == default:
                    return model
        if len(candidates) == 1:
            return candidates[0]
        names = ", ".join(m.ref for m in candidates)
        raise ModelError(f"'{ref}' is ambiguous; installed: {names}; add :QUANT")

    def resolve(self, ref: str, *, n_ctx: int | None = None) -> ModelSpec:
        """Turn ``RECIPE[:QUANT]`` or a .gguf path into a loadable ModelSpec."""
        if is_path_ref(ref):
            return self._spec_for_path(Path(ref).expanduser(), n_ctx)
        model_id, quant = split_ref(ref)
        recipe = self.catalog.recipes.get(model_id)
        if recipe is not None and quant is not None:
            recipe.quant(quant)  # unknown quant -> RecipeError listing the real ones
        model = self.find(ref)
        if model is None:
            if recipe is None:
                self.catalog.get(model_id)  # RecipeError listing valid ids
            shown = recipe.ref(quant) if recipe is not None else ref
            raise ModelError(
                f"model {shown} is not installed: run `lsc models pull {shown}` or "
                f"`lsc models import FILE --as {shown}`"
            )
        if not model.present:
            raise ModelError(
                f"model {model.ref} is registered but {model.path} is missing: "
                f"run `lsc models rm {model.ref}` and pull or import it again"
            )
        if recipe is None:
            return ModelSpec(
                model_id=model.ref,
                path=model.path,
                n_ctx=n_ctx or DEFAULT_N_CTX,
                sha256=model.sha256,
                family=_FAMILY_BY_ARCHITECTURE.get(model.architecture, ""),
                size_bytes=model.size_bytes,
            )
        return ModelSpec(
            model_id=model.ref,
            path=model.path,
            n_ctx=n_ctx or recipe.n_ctx,
            stop=recipe.stop,
            sha256=model.sha256,
            family=recipe.family,
            size_bytes=model.size_bytes,
            sampling=recipe.sampling,
        )

    def _spec_for_path(self, path: Path, n_ctx: int | None) -> ModelSpec:
        header = read_gguf_header(path)
        recipe = self._recipe_for_file(path)
        if recipe is not None:
            return ModelSpec(
                model_id=path.stem,
                path=path.resolve(),
                n_ctx=n_ctx or recipe.n_ctx,
                stop=recipe.stop,
                family=recipe.family,
                size_bytes=header.file_size,
                sampling=recipe.sampling,
            )
        return ModelSpec(
            model_id=path.stem,
            path=path.resolve(),
            n_ctx=n_ctx or DEFAULT_N_CTX,
            family=_FAMILY_BY_ARCHITECTURE.get(header.architecture, ""),
            size_bytes=header.file_size,
        )

    def _recipe_for_file(self, path: Path) -> Recipe | None:
        """The recipe whose quant file name equals ``path``'s name, if any."""
        for recipe in self.catalog:
            for quant in recipe.quants.values():
                if quant.filename.lower() == path.name.lower():
                    return recipe
        return None

    # ----- registering ----------------------------------------------------------

    def import_file(
        self,
        path: Path,
        as_ref: str,
        *,
        link: bool = False,
        custom: bool = False,
    ) -> InstalledModel:
        """Register a GGUF you already have as ``as_ref``.

        The header is read first: a file that is not GGUF, is truncated, or whose
        architecture differs from the recipe's is refused. ``link=True`` stores a
        symlink (the original must stay); otherwise a hard link when possible, else
        a copy. ``custom=True`` allows a name that is not a recipe id.
        """
        source = path.expanduser().resolve()
        header = read_gguf_header(source)
        model_id, quant = split_ref(as_ref)
        recipe = self.catalog.recipes.get(model_id)
        if recipe is None and not custom:
            raise RecipeError(
                f"unknown recipe '{model_id}'; valid ids: "
                f"{', '.join(self.catalog.ids())}; to register it under your own "
                "name pass --custom"
            )
        if recipe is not None:
            if header.architecture != recipe.architecture:
                raise ModelError(
                    f"{source.name} is a '{header.architecture or 'unknown'}' model "
                    f"but {recipe.id} needs '{recipe.architecture}'; pick the right "
                    "file or recipe"
                )
            quant_file = recipe.quant(quant)
            filename = quant_file.filename
        else:
            if not RECIPE_ID_PATTERN.match(model_id):
                raise RecipeError(
                    f"custom name '{model_id}' must be lower-case letters, digits, "
                    "'.', '_' or '-'"
                )
            quant_file = None
            quant = quant or (header.quant_name.lower() or "default")
            filename = source.name
        target_dir = self.models_dir / model_id
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / filename
        if target.resolve() != source:
            self._place(source, target, link=link)
        sha = sha256_file(source)
        origin = str(source)
        kind = "link" if link else "import"
        note_mismatch = quant_file is not None and quant_file.sha256 not in (None, sha)
        return self._write_manifest(
            target=target,
            model_id=model_id,
            quant=quant_file.name if quant_file is not None else str(quant),
            sha256=sha,
            source=kind,
            origin=origin,
            header=header,
            custom=recipe is None,
            extra={"differs_from_recipe_sha256": note_mismatch},
        )

    def _place(self, source: Path, target: Path, *, link: bool) -> None:
        """Put ``source`` at ``target`` as a symlink, hard link or copy."""
        tmp = target.with_name(target.name + ".importing")
        tmp.unlink(missing_ok=True)
        if link:
            tmp.symlink_to(source)
        else:
            try:
                os.link(source, tmp)
            except OSError:
                free = shutil.disk_usage(target.parent).free
                size = source.stat().st_size
                if free < size:
                    raise ModelError(
                        f"not enough disk space to copy {source.name} "
                        f"({size} bytes, {free} free); use --link instead"
                    ) from None
                shutil.copyfile(source, tmp)
        os.replace(tmp, target)

    def pull(
        self,
        ref: str,
        *,
        progress: Callable[[DownloadProgress], None] | None = None,
        cancel: threading.Event | None = None,
        hf_download: HubDownload | None = None,
    ) -> InstalledModel:
        """Download ``RECIPE[:QUANT]`` into the store, resuming a partial file."""
        recipe, quant_file = self.catalog.resolve_ref(ref)
        canonical = recipe.ref(quant_file.name)
        existing = self.find(canonical)
        if existing is not None and existing.present:
            return existing
        if self.offline:
            raise DownloadError(
                f"cannot pull {canonical}: offline mode is on (settings 'offline'); "
                f"turn it off or `lsc models import FILE --as {canonical}`"
            )
        target = self.models_dir / recipe.id / quant_file.filename
        result = download_file(
            recipe.repo_id,
            quant_file.filename,
            target,
            expected_sha256=quant_file.sha256,
            expected_size=quant_file.size_bytes,
            progress=progress,
            cancel=cancel,
            hf_download=hf_download,
            endpoint=self.endpoint,
            recipe_ref=canonical,
        )
        try:
            header = read_gguf_header(target)
        except ModelError:
            target.unlink(missing_ok=True)
            raise
        if header.architecture != recipe.architecture:
            target.unlink(missing_ok=True)
            raise ModelError(
                f"the hub's {quant_file.filename} is a '{header.architecture}' model, "
                f"not '{recipe.architecture}'; the recipe {recipe.id} is wrong"
            )
        commit = f"@{result.commit}" if result.commit else ""
        return self._write_manifest(
            target=target,
            model_id=recipe.id,
            quant=quant_file.name,
            sha256=result.sha256,
            source="pull",
            origin=f"{recipe.repo_id}{commit}",
            header=header,
            custom=False,
            extra={"hub_sha256": result.hub_sha256},
        )

    def partial_bytes(self, ref: str) -> int:
        """Bytes of an unfinished download of ``RECIPE[:QUANT]`` kept for resume."""
        recipe, quant_file = self.catalog.resolve_ref(ref)
        part = partial_path(self.models_dir / recipe.id / quant_file.filename)
        return part.stat().st_size if part.exists() else 0

    def remove(self, ref: str) -> None:
        """Unregister ``ref`` and delete its file (a symlink's target is kept)."""
        model = None if is_path_ref(ref) else self.find(ref)
        if model is None:
            if not is_path_ref(ref):
                model_id, _ = split_ref(ref)
                if model_id in self.catalog:
                    recipe, quant_file = self.catalog.resolve_ref(ref)
                    target = self.models_dir / recipe.id / quant_file.filename
                    if partial_path(target).exists():
                        discard_partial(target)
                        return
            raise ModelError(f"model {ref} is not installed; see `lsc models list`")
        model.path.unlink(missing_ok=True)
        self._manifest_path(model.path).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            model.path.parent.rmdir()

    # ----- manifests ------------------------------------------------------------

    @staticmethod
    def _manifest_path(target: Path) -> Path:
        return target.with_name(target.name + MANIFEST_SUFFIX)

    def _write_manifest(
        self,
        *,
        target: Path,
        model_id: str,
        quant: str,
        sha256: str,
        source: str,
        origin: str,
        header: GGUFHeader,
        custom: bool,
        extra: dict[str, Any],
    ) -> InstalledModel:
        summary = header.summary()
        data = {
            "ref": f"{model_id}:{quant}",
            "model_id": model_id,
            "quant": quant,
            "filename": target.name,
            "size_bytes": header.file_size,
            "sha256": sha256,
            "source": source,
            "origin": origin,
            "architecture": header.architecture,
            "custom": custom,
            "added_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "header": summary,
            **extra,
        }
        manifest = self._manifest_path(target)
        tmp = manifest.with_name(manifest.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        os.replace(tmp, manifest)
        model = self._read_manifest(manifest)
        assert model is not None
        return model

    def _read_manifest(self, manifest: Path) -> InstalledModel | None:
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            filename = manifest.name[: -len(MANIFEST_SUFFIX)]
            return InstalledModel(
                ref=str(data["ref"]),
                model_id=str(data["model_id"]),
                quant=str(data["quant"]),
                path=manifest.with_name(filename),
                size_bytes=int(data["size_bytes"]),
                sha256=str(data["sha256"]),
                source=str(data["source"]),
                origin=str(data.get("origin", "")),
                architecture=str(data.get("architecture", "")),
                custom=bool(data.get("custom", False)),
                header=dict(data.get("header") or {}),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def quant_for(self, model: InstalledModel) -> tuple[Recipe, QuantFile] | None:
        """The recipe and quant entry behind an installed model, if it has one."""
        recipe = self.catalog.recipes.get(model.model_id)
        if recipe is None or model.quant not in recipe.quants:
            return None
        return recipe, recipe.quants[model.quant]
