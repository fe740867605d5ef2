"""Download one GGUF file from the hub into our store: progress, cancel, resume, sha256.

The default fetcher uses huggingface_hub's own URL building, auth headers, metadata
HEAD (``X-Linked-Etag`` is the LFS sha256, ``X-Linked-Size`` the size) and HTTP
session, but streams into ``<dest>.part`` itself. That file survives a cut
connection, a cancel or a crash, so the next pull resumes it with an HTTP Range
request; ``hf_hub_download`` deletes its partial file on failure and cannot resume.

A different hub function with ``hf_hub_download``'s calling convention (for example
``hf_hub_download`` itself, or a fake in tests) can be passed as ``hf_download``; it
then downloads into a staging folder next to ``dest`` and we verify and move the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsc_tui.errors import DownloadError

ProgressCallback = Callable[["DownloadProgress"], None]
HubDownload = Callable[..., Any]

DEFAULT_ENDPOINT = "https://huggingface.co"
CHUNK_BYTES = 1 << 20
PROGRESS_INTERVAL_S = 0.1
MAX_RESUMES = 3
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class DownloadProgress:
    """A snapshot of one download, posted up to ten times a second and at the end."""

    recipe_ref: str
    downloaded_bytes: int
    total_bytes: int | None
    bytes_per_second: float
    eta_seconds: float | None
    done: bool = False

    @property
    def fraction(self) -> float | None:
        """Share downloaded, in [0, 1], when the total is known."""
        if not self.total_bytes:
            return None
        return min(self.downloaded_bytes / self.total_bytes, 1.0)


@dataclass(frozen=True, slots=True)
class DownloadResult:
    """A verified file at ``path``."""

    path: Path
    sha256: str
    size_bytes: int
    commit: str | None
    hub_sha256: str | None
    resumed_from: int = 0


class DownloadCancelledError(DownloadError):
    """The user cancelled; the partial file is kept for a later resume."""

    title = "Download cancelled"


class _Cancelled(Exception):
    """Raised inside a hub function's progress bar to stop it."""


def partial_path(dest: Path) -> Path:
    """Where the partial download of ``dest`` lives."""
    return dest.with_name(dest.name + ".part")


def _partial_meta_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part.json")


def hub_endpoint(explicit: str | None = None) -> str:
    """The hub URL: ``explicit``, else ``HF_ENDPOINT`` read now, else huggingface.co."""
    return (explicit or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def offline_requested() -> bool:
    """Whether ``HF_HUB_OFFLINE`` is set to a true value right now."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {
        "1",
        "true",
        "yes",
        "on",
    }


def _quiet_hub() -> None:
    """Turn off huggingface_hub telemetry unless the user opted in explicitly.

    With telemetry on, huggingface_hub first fetches an "agent harness" registry from
    the endpoint (3 s timeout) and caches it under HF_HOME: an extra request that a
    local-first tool should not make, and a delay when the hub is unreachable.
    """
    from huggingface_hub import constants

    if os.environ.get("HF_HUB_DISABLE_TELEMETRY", "").strip() not in {"0", "false"}:
        constants.HF_HUB_DISABLE_TELEMETRY = True


class _ProgressMeter:
    """Turns byte counts into throttled DownloadProgress callbacks."""

    def __init__(
        self,
        recipe_ref: str,
        total: int | None,
        start: int,
        callback: ProgressCallback | None,
    ) -> None:
        self.recipe_ref = recipe_ref
        self.total = total
        self.start_bytes = start
        self.downloaded = start
        self.callback = callback
        self.started_at = time.monotonic()
        self.last_emit = 0.0

    def speed(self) -> float:
        elapsed = time.monotonic() - self.started_at
        fetched = self.downloaded - self.start_bytes
        return fetched / elapsed if elapsed > 0 else 0.0

    def snapshot(self, done: bool = False) -> DownloadProgress:
        speed = self.speed()
        eta: float | None = None
        if done:
            eta = 0.0
        elif self.total is not None and speed > 0:
            eta = max(self.total - self.downloaded, 0) / speed
        return DownloadProgress(
            recipe_ref=self.recipe_ref,
            downloaded_bytes=self.downloaded,
            total_bytes=self.total,
            bytes_per_second=speed,
            eta_seconds=eta,
            done=done,
        )

    def advance(self, n_bytes: int) -> None:
        self.downloaded += n_bytes
        now = time.monotonic()
        if self.callback is not None and now - self.last_emit >= PROGRESS_INTERVAL_S:
            self.last_emit = now
            self.callback(self.snapshot())

    def finish(self) -> None:
        if self.callback is not None:
            self.callback(self.snapshot(done=True))


def _human_bytes(n_bytes: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n_bytes) < 1024 or unit == "TiB":
            return f"{n_bytes:.1f} {unit}" if unit != "B" else f"{int(n_bytes)} B"
        n_bytes /= 1024
    return f"{n_bytes:.1f} TiB"


def _check_disk_space(directory: Path, needed: int | None, name: str) -> None:
    """Raise DownloadError with the free space when ``needed`` bytes will not fit."""
    if needed is None or needed <= 0:
        return
    free = shutil.disk_usage(directory).free
    if free < needed:
        raise DownloadError(
            f"not enough disk space for {name}: needs {_human_bytes(needed)} more, "
            f"{_human_bytes(free)} free in {directory}; free some space or set LSC_HOME"
        )


def _hash_file(path: Path, cancel: threading.Event | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES * 4):
            if cancel is not None and cancel.is_set():
                raise _Cancelled
            digest.update(chunk)
    return digest.hexdigest()


def _verify(
    name: str,
    actual_sha: str,
    expected_sha256: str | None,
    hub_sha256: str | None,
) -> None:
    """Raise DownloadError when the sha256 differs from the recipe's or the hub's."""
    for source, expected in (("the recipe", expected_sha256), ("the hub", hub_sha256)):
        if expected and actual_sha != expected.lower():
            raise DownloadError(
                f"sha256 mismatch for {name}: {source} says {expected[:12]}…, "
                f"the download is {actual_sha[:12]}…; the corrupt file was deleted, "
                "run the pull again"
            )


def download_file(
    repo_id: str,
    filename: str,
    dest: Path,
    *,
    revision: str = "main",
    expected_sha256: str | None = None,
    expected_size: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    hf_download: HubDownload | None = None,
    endpoint: str | None = None,
    recipe_ref: str = "",
    connect_timeout_s: float = 5.0,
    read_timeout_s: float = 30.0,
) -> DownloadResult:
    """Fetch ``repo_id/filename`` at ``revision`` into ``dest`` and verify it.

    Raises DownloadCancelledError when ``cancel`` is set (the partial file stays),
    and DownloadError with a one-line hint for an unreachable hub, a missing file,
    a full disk or a checksum mismatch.
    """
    ref = recipe_ref or filename
    if offline_requested():
        raise DownloadError(
            f"cannot download {ref}: offline mode (HF_HUB_OFFLINE) is on; unset it, "
            "or register a file you have with `lsc models import FILE --as REF`"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    _quiet_hub()
    if hf_download is not None:
        return _download_with_hub_function(
            hf_download,
            repo_id=repo_id,
            filename=filename,
            dest=dest,
            revision=revision,
            expected_sha256=expected_sha256,
            expected_size=expected_size,
            progress=progress,
            cancel=cancel,
            endpoint=endpoint,
            ref=ref,
        )
    return _download_resumable(
        repo_id=repo_id,
        filename=filename,
        dest=dest,
        revision=revision,
        expected_sha256=expected_sha256,
        expected_size=expected_size,
        progress=progress,
        cancel=cancel,
        endpoint=hub_endpoint(endpoint),
        ref=ref,
        connect_timeout_s=connect_timeout_s,
        read_timeout_s=read_timeout_s,
    )


def _hub_error(ref: str, endpoint: str, exc: BaseException) -> DownloadError:
    """Translate huggingface_hub / httpx failures into one-line DownloadErrors."""
    import httpx
    from huggingface_hub import errors as hub_errors

    if isinstance(exc, hub_errors.GatedRepoError):
        return DownloadError(
            f"cannot download {ref}: the repository is gated; accept its licence "
            "on the hub and log in with `hf auth login`"
        )
    if isinstance(exc, hub_errors.RepositoryNotFoundError):
        return DownloadError(
            f"cannot download {ref}: repository not found on {endpoint} "
            "(private, renamed or a wrong recipe)"
        )
    if isinstance(exc, hub_errors.RevisionNotFoundError):
        return DownloadError(f"cannot download {ref}: revision not found on {endpoint}")
    if isinstance(exc, hub_errors.EntryNotFoundError):
        return DownloadError(
            f"cannot download {ref}: the file is not in the repository on {endpoint}; "
            "the recipe may be out of date"
        )
    if isinstance(exc, hub_errors.HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else "?"
        return DownloadError(f"cannot download {ref}: the hub answered HTTP {status}")
    if isinstance(exc, httpx.TimeoutException):
        return DownloadError(
            f"cannot download {ref}: {endpoint} did not answer in time; check the "
            "network or set HF_ENDPOINT to a reachable mirror"
        )
    if isinstance(exc, httpx.TransportError | OSError):
        return DownloadError(
            f"cannot download {ref}: {endpoint} is unreachable ({type(exc).__name__}); "
            "check the network, or `lsc models import` a file you already have"
        )
    return DownloadError(f"cannot download {ref}: {exc}")


def _read_partial_meta(dest: Path) -> dict[str, Any]:
    try:
        data = json.loads(_partial_meta_path(dest).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_partial_meta(dest: Path, data: dict[str, Any]) -> None:
    _partial_meta_path(dest).write_text(json.dumps(data), encoding="utf-8")


def discard_partial(dest: Path) -> None:
    """Delete the partial download of ``dest`` and its metadata, if any."""
    partial_path(dest).unlink(missing_ok=True)
    _partial_meta_path(dest).unlink(missing_ok=True)


def _download_resumable(
    *,
    repo_id: str,
    filename: str,
    dest: Path,
    revision: str,
    expected_sha256: str | None,
    expected_size: int | None,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    endpoint: str,
    ref: str,
    connect_timeout_s: float,
    read_timeout_s: float,
) -> DownloadResult:
    """Our default fetcher: HEAD for metadata, then a resumable ranged GET."""
    import httpx
    from huggingface_hub import (
        get_hf_file_metadata,
        get_session,
        hf_hub_url,
        hf_raise_for_status,
    )
    from huggingface_hub.utils import (  # type: ignore[attr-defined]  # lazy export
        build_hf_headers,
    )

    url = hf_hub_url(repo_id, filename, revision=revision, endpoint=endpoint)
    try:
        metadata = get_hf_file_metadata(
            url, timeout=connect_timeout_s, endpoint=endpoint
        )
    except Exception as exc:
        raise _hub_error(ref, endpoint, exc) from None
    hub_sha = metadata.etag.lower() if metadata.etag else None
    hub_sha256 = hub_sha if hub_sha and _SHA256.match(hub_sha) else None
    total = metadata.size if metadata.size is not None else expected_size
    if expected_sha256 and hub_sha256 and hub_sha256 != expected_sha256.lower():
        raise DownloadError(
            f"{ref} changed upstream: the hub's file has sha256 {hub_sha256[:12]}…, "
            f"the recipe pins {expected_sha256[:12]}…; update the recipe or import "
            "the file"
        )
    if (
        expected_size is not None
        and metadata.size is not None
        and (metadata.size != expected_size)
    ):
        raise DownloadError(
            f"{ref} changed upstream: the hub's file is {metadata.size} bytes, the "
            f"recipe says {expected_size}; update the recipe or import the file"
        )

    part = partial_path(dest)
    identity = {"url": url, "etag": metadata.etag, "size": total}
    if part.exists() and _read_partial_meta(dest) != identity:
        discard_partial(dest)
    _write_partial_meta(dest, identity)
    resumed_from = part.stat().st_size if part.exists() else 0
    if total is not None and resumed_from > total:
        discard_partial(dest)
        _write_partial_meta(dest, identity)
        resumed_from = 0
    _check_disk_space(
        dest.parent, None if total is None else total - resumed_from, filename
    )

    digest = hashlib.sha256()
    if resumed_from:
        with part.open("rb") as handle:
            while chunk := handle.read(CHUNK_BYTES * 4):
                digest.update(chunk)
    meter = _ProgressMeter(ref, total, resumed_from, progress)
    headers = build_hf_headers(headers={"Accept-Encoding": "identity"})
    timeout = httpx.Timeout(read_timeout_s, connect=connect_timeout_s)
    attempts_without_progress = 0
    with part.open("ab") as out:
        while total is None or meter.downloaded < total:
            position = meter.downloaded
            request_headers = dict(headers)
            if position:
                request_headers["Range"] = f"bytes={position}-"
            try:
                with get_session().stream(
                    "GET",
                    url,
                    headers=request_headers,
                    timeout=timeout,
                    follow_redirects=True,
                ) as response:
                    if response.status_code == 416 and total == position:
                        break
                    hf_raise_for_status(response)
                    if position and response.status_code == 200:
                        # The server ignored our Range: start over.
                        out.seek(0)
                        out.truncate()
                        digest = hashlib.sha256()
                        meter.downloaded = 0
                        meter.start_bytes = 0
                    for chunk in response.iter_bytes():
                        if cancel is not None and cancel.is_set():
                            out.flush()
                            raise DownloadCancelledError(
                                f"download of {ref} cancelled with "
                                f"{_human_bytes(meter.downloaded)} kept; "
                                "pull it again to resume"
                            )
                        out.write(chunk)
                        digest.update(chunk)
                        meter.advance(len(chunk))
                if total is None:
                    break
                if meter.downloaded == position:
                    attempts_without_progress += 1
            except (httpx.TransportError, OSError) as exc:
                out.flush()
                if isinstance(exc, OSError) and exc.errno == 28:  # ENOSPC
                    free = shutil.disk_usage(dest.parent).free
                    raise DownloadError(
                        f"disk full while downloading {ref} ({_human_bytes(free)} "
                        f"free in {dest.parent}); free some space and pull again "
                        "to resume"
                    ) from None
                if meter.downloaded == position:
                    attempts_without_progress += 1
                    if position == 0 or attempts_without_progress >= MAX_RESUMES:
                        raise _hub_error(ref, endpoint, exc) from None
                else:
                    attempts_without_progress = 0
                if attempts_without_progress >= MAX_RESUMES:
                    raise DownloadError(
                        f"download of {ref} keeps failing at "
                        f"{_human_bytes(meter.downloaded)}; pull again later to resume"
                    ) from None
                continue
            except DownloadError:
                raise
            except Exception as exc:
                out.flush()
                raise _hub_error(ref, endpoint, exc) from None
            if attempts_without_progress >= MAX_RESUMES:
                raise DownloadError(
                    f"download of {ref} stalled at {_human_bytes(meter.downloaded)}; "
                    "pull again later to resume"
                )
        out.flush()
        os.fsync(out.fileno())
    size = part.stat().st_size
    if total is not None and size != total:
        raise DownloadError(
            f"download of {ref} ended at {size} of {total} bytes; pull again to resume"
        )
    actual_sha = digest.hexdigest()
    try:
        _verify(ref, actual_sha, expected_sha256, hub_sha256)
    except DownloadError:
        discard_partial(dest)
        raise
    os.replace(part, dest)
    _partial_meta_path(dest).unlink(missing_ok=True)
    meter.finish()
    return DownloadResult(
        path=dest,
        sha256=actual_sha,
        size_bytes=size,
        commit=metadata.commit_hash,
        hub_sha256=hub_sha256,
        resumed_from=resumed_from,
    )


def _download_with_hub_function(
    hf_download: HubDownload,
    *,
    repo_id: str,
    filename: str,
    dest: Path,
    revision: str,
    expected_sha256: str | None,
    expected_size: int | None,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    endpoint: str | None,
    ref: str,
) -> DownloadResult:
    """Run an ``hf_hub_download``-style function into a staging dir, then verify."""
    staging = dest.parent / f".staging-{dest.name}"
    staging.mkdir(parents=True, exist_ok=True)
    meter = _ProgressMeter(ref, expected_size, 0, progress)

    class _ProgressBar:
        """The tqdm stand-in huggingface_hub drives: forwards bytes, honours cancel."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.total = kwargs.get("total")
            self.n = int(kwargs.get("initial") or 0)
            if self.total:
                meter.total = int(self.total)

        def __enter__(self) -> _ProgressBar:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def update(self, n: float = 1) -> None:
            if cancel is not None and cancel.is_set():
                raise _Cancelled
            self.n += int(n)
            meter.advance(int(n))

        def close(self) -> None:
            return None

    kwargs: dict[str, Any] = {
        "repo_id": repo_id,
        "filename": filename,
        "revision": revision,
        "local_dir": str(staging),
        "tqdm_class": _ProgressBar,
    }
    if endpoint is not None:
        kwargs["endpoint"] = endpoint
    try:
        if cancel is not None and cancel.is_set():
            raise _Cancelled
        _check_disk_space(dest.parent, expected_size, filename)
        downloaded = Path(hf_download(**kwargs))
        if cancel is not None and cancel.is_set():
            raise _Cancelled
        actual_sha = _hash_file(downloaded, cancel)
        _verify(ref, actual_sha, expected_sha256, None)
        size = downloaded.stat().st_size
        os.replace(downloaded, dest)
    except _Cancelled:
        raise DownloadCancelledError(
            f"download of {ref} cancelled; this hub function cannot resume, pull again"
        ) from None
    except DownloadError:
        raise
    except Exception as exc:
        raise _hub_error(ref, hub_endpoint(endpoint), exc) from None
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(staging)
    meter.finish()
    return DownloadResult(
        path=dest, sha256=actual_sha, size_bytes=size, commit=None, hub_sha256=None
    )
