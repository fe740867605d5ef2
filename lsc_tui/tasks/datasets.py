"""The benchmark dataset cache: MBPP and MBPP+ files pinned by sha256.

Files land in ``Paths.datasets_dir``. They arrive either by ``import_datasets`` (copy
from a local directory) or ``pull_datasets`` (MBPP from the hub's parquet files,
MBPP+ from the EvalPlus GitHub release). Every file is checked against its pin before
it is written, and files are replaced atomically, so the cache never holds a
half-written or unverified dataset.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsc_tui.errors import ConfigError, DownloadError, TaskError
from lsc_tui.paths import get_paths

MBPP_FILE = "mbpp.jsonl"
MBPP_PLUS_FILE = "MbppPlus-v0.2.0.jsonl"
SANITIZED_FILE = "sanitized-mbpp.json"

MBPP_HUB_REPO = "google-research-datasets/mbpp"
MBPP_HUB_SPLITS = ("train", "test", "validation", "prompt")
MBPP_PLUS_URL = (
    "https://github.com/evalplus/mbppplus_release/releases/download/v0.2.0/"
    "MbppPlus.jsonl.gz"
)
MBPP_PLUS_GZ_SHA256 = "af43697e8791c4c149bdfd6b489d8b5412507551ac20e28a439f650b8225db63"

NOT_CACHED_MESSAGE = (
    "MBPP data is not cached: run `lsc data import DIR` or `lsc data pull`"
)

# The key order of one mbpp.jsonl record upstream; rebuilding the file from parquet
# rows in this order reproduces the pinned bytes.
_MBPP_KEYS = (
    "text",
    "code",
    "task_id",
    "test_setup_code",
    "test_list",
    "challenge_test_list",
)


@dataclass(frozen=True, slots=True)
class DatasetFile:
    """A file the cache can hold, with its pinned sha256."""

    name: str
    sha256: str
    required: bool
    about: str
    aliases: tuple[str, ...] = ()
    """Other names the same bytes go by in a source directory."""


DATASET_FILES: tuple[DatasetFile, ...] = (
    DatasetFile(
        MBPP_FILE,
        "ccf64ceae9c5403bf50a044cb6d505bfd2a2963ee58338ba268fd65beab92a9f",
        required=True,
        about="full MBPP, 974 tasks",
    ),
    DatasetFile(
        MBPP_PLUS_FILE,
        "b54e762755248ca411b523c917fa9f93c07b5ff2966bf60b3917b853926a3dad",
        required=True,
        about="MBPP+ v0.2.0, 378 tasks",
        aliases=("MbppPlus.jsonl",),
    ),
    DatasetFile(
        SANITIZED_FILE,
        "ca95deaa9a01ef0a6f439f88bcf0dd3db3563d22f22aad6cae04ebb9a8d8c8e9",
        required=False,
        about="sanitized MBPP, 427 tasks",
    ),
)
_BY_NAME = {f.name: f for f in DATASET_FILES}


@dataclass(frozen=True, slots=True)
class DatasetStatus:
    """What the cache holds for one dataset file."""

    name: str
    path: Path
    present: bool
    sha256: str
    expected_sha256: str
    required: bool
    about: str

    @property
    def ok(self) -> bool:
        """True when the file is present and matches its pin."""
        return self.present and self.sha256 == self.expected_sha256

    def to_json(self) -> dict[str, Any]:
        """The entry ``lsc data status --json`` prints."""
        return {
            "name": self.name,
            "path": str(self.path),
            "present": self.present,
            "sha256": self.sha256,
            "expected_sha256": self.expected_sha256,
            "ok": self.ok,
            "required": self.required,
            "about": self.about,
        }


def datasets_dir(data_dir: Path | None = None) -> Path:
    """The dataset cache directory: ``data_dir`` if given, else the configured one."""
    return data_dir if data_dir is not None else get_paths().datasets_dir


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def dataset_status(data_dir: Path | None = None) -> list[DatasetStatus]:
    """The state of every known dataset file in the cache."""
    root = datasets_dir(data_dir)
    statuses: list[DatasetStatus] = []
    for spec in DATASET_FILES:
        path = root / spec.name
        present = path.is_file()
        statuses.append(
            DatasetStatus(
                name=spec.name,
                path=path,
                present=present,
                sha256=sha256_file(path) if present else "",
                expected_sha256=spec.sha256,
                required=spec.required,
                about=spec.about,
            )
        )
    return statuses


def require_dataset(name: str, data_dir: Path | None = None) -> Path:
    """The cached path of dataset ``name``, or TaskError saying how to get it."""
    path = datasets_dir(data_dir) / name
    if not path.is_file():
        raise TaskError(NOT_CACHED_MESSAGE, title="MBPP data missing")
    return path


def _write_verified(files: Mapping[str, bytes], root: Path) -> list[Path]:
    """Write ``files`` into ``root`` atomically after checking every pin first."""
    for name, data in files.items():
        spec = _BY_NAME[name]
        actual = sha256_bytes(data)
        if actual != spec.sha256:
            raise DownloadError(
                f"{name} has sha256 {actual[:12]}..., expected {spec.sha256[:12]}...; "
                "nothing was written (use the pinned upstream file)"
            )
    root.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, data in files.items():
            fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", dir=root)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            staged.append((Path(tmp_name), root / name))
        for tmp, final in staged:
            os.replace(tmp, final)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    return [root / name for name in files]


def _find_source(source: Path, spec: DatasetFile) -> Path | None:
    """The file in ``source`` that should hold ``spec``'s bytes, if any."""
    for name in (spec.name, *spec.aliases):
        candidate = source / name
        if candidate.is_file():
            return candidate
    return None


def import_datasets(source: Path, *, data_dir: Path | None = None) -> list[Path]:
    """Copy the pinned dataset files from directory ``source`` into the cache.

    Both required files must be there; the optional sanitized file is copied when
    present. Any checksum mismatch aborts before anything is written.
    """
    source = Path(source).expanduser()
    if not source.is_dir():
        raise TaskError(
            f"{source} is not a directory; give the folder holding mbpp.jsonl"
        )
    files: dict[str, bytes] = {}
    for spec in DATASET_FILES:
        found = _find_source(source, spec)
        if found is None:
            if spec.required:
                raise TaskError(
                    f"{source} has no {spec.name}; it needs {MBPP_FILE} and "
                    f"{MBPP_PLUS_FILE}"
                )
            continue
        data = found.read_bytes()
        actual = sha256_bytes(data)
        if actual != spec.sha256:
            raise DownloadError(
                f"{found} has sha256 {actual[:12]}..., expected {spec.sha256[:12]}...; "
                "nothing was copied (use the pinned upstream file)",
                title="Checksum mismatch",
            )
        files[spec.name] = data
    return _write_verified(files, datasets_dir(data_dir))


def mbpp_jsonl_from_rows(rows: Iterable[Mapping[str, Any]]) -> bytes:
    """Rebuild upstream ``mbpp.jsonl`` bytes from MBPP records (any order)."""
    ordered = sorted(rows, key=lambda row: int(row["task_id"]))
    lines = []
    for row in ordered:
        record = {key: row[key] for key in _MBPP_KEYS}
        record["task_id"] = int(record["task_id"])
        record["test_list"] = list(record["test_list"])
        record["challenge_test_list"] = list(record["challenge_test_list"] or [])
        lines.append(json.dumps(record))
    return ("\n".join(lines) + "\n").encode("utf-8")


ParquetReader = Callable[[Path], list[dict[str, Any]]]
HubDownload = Callable[..., str]


def read_parquet_rows(path: Path) -> list[dict[str, Any]]:
    """Read a parquet file's rows with pyarrow (an optional dependency)."""
    try:
        import pyarrow.parquet as pq  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - depends on the environment
        raise ConfigError(
            "reading MBPP parquet needs pyarrow: install pyarrow or use "
            "`lsc data import DIR`"
        ) from None
    rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    return rows


def _default_parquet_reader() -> ParquetReader:
    """pyarrow's reader, or ConfigError at once when pyarrow is missing."""
    if importlib.util.find_spec("pyarrow") is None:
        raise ConfigError(
            "reading MBPP parquet needs pyarrow: install pyarrow or use "
            "`lsc data import DIR`"
        )
    return read_parquet_rows


def _one_line(exc: BaseException) -> str:
    """The first line of an exception's message, or its type name."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def fetch_mbpp_plus(
    url: str = MBPP_PLUS_URL,
    *,
    gz_sha256: str = MBPP_PLUS_GZ_SHA256,
    timeout_s: float = 30.0,
) -> bytes:
    """Download the MBPP+ release asset, check both pins and return the jsonl bytes."""
    host = urllib.parse.urlsplit(url).netloc or url
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            payload: bytes = response.read()
    except urllib.error.HTTPError as exc:
        raise DownloadError(
            f"{host} answered HTTP {exc.code} for MBPP+; retry later or use "
            "`lsc data import DIR`"
        ) from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        why = _one_line(reason) if isinstance(reason, BaseException) else str(reason)
        raise DownloadError(
            f"cannot reach {host} ({why}); check the network or use "
            "`lsc data import DIR`"
        ) from None
    actual = sha256_bytes(payload)
    if actual != gz_sha256:
        raise DownloadError(
            f"MBPP+ download has sha256 {actual[:12]}..., "
            f"expected {gz_sha256[:12]}...; "
            "nothing was written"
        )
    try:
        return gzip.decompress(payload)
    except (OSError, EOFError) as exc:
        raise DownloadError(
            f"MBPP+ download is not valid gzip ({exc}); retry"
        ) from None


def fetch_mbpp_from_hub(
    *,
    cache_dir: Path,
    endpoint: str | None = None,
    read_parquet: ParquetReader | None = None,
    hub_download: HubDownload | None = None,
    splits: Sequence[str] = MBPP_HUB_SPLITS,
) -> bytes:
    """Download MBPP's parquet splits from the hub and rebuild ``mbpp.jsonl`` bytes."""
    reader = read_parquet or _default_parquet_reader()
    if hub_download is None:
        from huggingface_hub import hf_hub_download

        hub_download = hf_hub_download
    rows: list[dict[str, Any]] = []
    for split in splits:
        filename = f"full/{split}-00000-of-00001.parquet"
        try:
            local = hub_download(
                repo_id=MBPP_HUB_REPO,
                filename=filename,
                repo_type="dataset",
                cache_dir=str(cache_dir),
                endpoint=endpoint,
            )
        except Exception as exc:
            raise DownloadError(
                f"cannot download {MBPP_HUB_REPO}/{filename} from the hub "
                f"({type(exc).__name__}: {_one_line(exc)}); check the network or use "
                "`lsc data import DIR`"
            ) from None
        rows.extend(reader(Path(local)))
    try:
        return mbpp_jsonl_from_rows(rows)
    except (KeyError, TypeError, ValueError) as exc:
        raise DownloadError(
            f"the hub's MBPP parquet files have an unexpected layout ({exc!r}); "
            "use `lsc data import DIR`"
        ) from None


def _offline_requested(offline: bool) -> bool:
    """True when settings or huggingface_hub's environment say not to download."""
    flag = os.environ.get("HF_HUB_OFFLINE", "").strip().lower()
    return offline or flag in {"1", "true", "yes", "on"}


def pull_datasets(
    *,
    data_dir: Path | None = None,
    endpoint: str | None = None,
    offline: bool = False,
    mbpp_plus_url: str = MBPP_PLUS_URL,
    mbpp_plus_gz_sha256: str = MBPP_PLUS_GZ_SHA256,
    read_parquet: ParquetReader | None = None,
    hub_download: HubDownload | None = None,
    timeout_s: float = 30.0,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Download MBPP (hub parquet) and MBPP+ (release asset) and cache them verified.

    Nothing is written unless both downloads succeed and match their pins.
    """
    if _offline_requested(offline):
        raise DownloadError(
            "offline mode is on (LSC_OFFLINE, config `offline` or HF_HUB_OFFLINE); "
            "use `lsc data import DIR` instead"
        )
    reader = read_parquet or _default_parquet_reader()
    root = datasets_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _message: None)
    say(f"downloading MBPP+ v0.2.0 from {mbpp_plus_url}")
    plus_bytes = fetch_mbpp_plus(
        mbpp_plus_url, gz_sha256=mbpp_plus_gz_sha256, timeout_s=timeout_s
    )
    say(f"downloading MBPP from the hub ({MBPP_HUB_REPO})")
    mbpp_bytes = fetch_mbpp_from_hub(
        cache_dir=root / ".hub",
        endpoint=endpoint,
        read_parquet=reader,
        hub_download=hub_download,
    )
    return _write_verified({MBPP_FILE: mbpp_bytes, MBPP_PLUS_FILE: plus_bytes}, root)
