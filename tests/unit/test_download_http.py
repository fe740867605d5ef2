"""The download path, for real, against a local HTTP server that mimics the hub.

The server answers ``HEAD/GET /{repo}/resolve/{revision}/{filename}`` the way the
hub does for LFS files (``X-Repo-Commit``, ``X-Linked-Etag`` = sha256,
``X-Linked-Size``, ``ETag``, Range requests), and can cut the connection mid-body
or serve bytes that do not match the sha256 it advertises.
"""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lsc_tui.errors import DownloadError
from lsc_tui.recipes.download import (
    DownloadCancelledError,
    DownloadProgress,
    download_file,
    partial_path,
)
from lsc_tui.recipes.gguf import read_gguf_header, write_gguf

REPO = "Qwen/Fake-Coder-GGUF"
FILENAME = "fake-coder-q4_k_m.gguf"
COMMIT = "a" * 40


def make_payload(tmp_path: Path, architecture: str = "qwen2") -> bytes:
    """A ~300 KiB valid GGUF: a real header followed by tensor data."""
    path = tmp_path / "payload.gguf"
    write_gguf(
        path,
        {
            "general.architecture": architecture,
            "general.name": "fake coder",
            "general.file_type": 15,
            f"{architecture}.block_count": 2,
            f"{architecture}.embedding_length": 64,
            f"{architecture}.attention.head_count": 4,
        },
        (("token_embd.weight", (64, 1200), 0),),
    )
    data = bytearray(path.read_bytes())
    # Non-zero tensor bytes so a resume that re-sent or skipped bytes changes the hash.
    for i in range(len(data) - 1, len(data) - 200_000, -1):
        data[i] = i % 251
    return bytes(data)


@dataclass
class HubState:
    """What the fake hub serves and what it saw."""

    payload: bytes
    advertised_sha: str
    repo: str = REPO
    filename: str = FILENAME
    cut_first_get_after: int | None = None
    serve_bytes: bytes | None = None
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    gets: int = 0


class FakeHubHandler(http.server.BaseHTTPRequestHandler):
    """Serves one LFS-like file under /{repo}/resolve/{revision}/{filename}."""

    state: HubState
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def _route_ok(self) -> bool:
        expected = f"/{self.state.repo}/resolve/main/{self.state.filename}"
        if self.path.split("?")[0] != expected:
            self.send_response(404)
            self.send_header("X-Error-Code", "EntryNotFound")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False
        return True

    def _common_headers(self) -> None:
        self.send_header("X-Repo-Commit", COMMIT)
        self.send_header("X-Linked-Etag", f'"{self.state.advertised_sha}"')
        self.send_header("X-Linked-Size", str(len(self.state.payload)))
        self.send_header("ETag", f'"{self.state.advertised_sha}"')
        self.send_header("Accept-Ranges", "bytes")

    def do_HEAD(self) -> None:
        self.state.requests.append(("HEAD", self.path, self.headers.get("Range")))
        if not self._route_ok():
            return
        self.send_response(200)
        self._common_headers()
        self.send_header("Content-Length", str(len(self.state.payload)))
        self.end_headers()

    def do_GET(self) -> None:
        range_header = self.headers.get("Range")
        self.state.requests.append(("GET", self.path, range_header))
        if not self._route_ok():
            return
        self.state.gets += 1
        body = self.state.serve_bytes or self.state.payload
        start = 0
        if range_header:
            start = int(range_header.removeprefix("bytes=").split("-")[0])
            self.send_response(206)
            self.send_header(
                "Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}"
            )
        else:
            self.send_response(200)
        self._common_headers()
        chunk = body[start:]
        self.send_header("Content-Length", str(len(chunk)))
        self.end_headers()
        cut = self.state.cut_first_get_after
        if cut is not None and self.state.gets == 1:
            self.wfile.write(chunk[:cut])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(chunk)


@pytest.fixture
def fake_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HubState]:
    """A running fake hub on 127.0.0.1, with HF_ENDPOINT pointing at it."""
    payload = make_payload(tmp_path)
    state = HubState(
        payload=payload, advertised_sha=hashlib.sha256(payload).hexdigest()
    )
    handler = type("Handler", (FakeHubHandler,), {"state": state})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_complete_download_verifies_and_reports_progress(
    fake_hub: HubState, tmp_path: Path
) -> None:
    """The whole file arrives, matches the hub's LFS sha256, progress ends done."""
    dest = tmp_path / "store" / FILENAME
    seen: list[DownloadProgress] = []
    result = download_file(
        REPO,
        FILENAME,
        dest,
        expected_sha256=fake_hub.advertised_sha,
        expected_size=len(fake_hub.payload),
        progress=seen.append,
        recipe_ref="fake:q4_k_m",
    )
    assert dest.read_bytes() == fake_hub.payload
    assert result.sha256 == fake_hub.advertised_sha
    assert result.hub_sha256 == fake_hub.advertised_sha
    assert result.commit == COMMIT
    assert result.resumed_from == 0
    assert not partial_path(dest).exists()
    assert read_gguf_header(dest).architecture == "qwen2"
    assert seen[-1].done
    assert seen[-1].downloaded_bytes == seen[-1].total_bytes == len(fake_hub.payload)
    assert seen[-1].recipe_ref == "fake:q4_k_m"
    methods = [method for method, _, _ in fake_hub.requests]
    assert methods == ["HEAD", "GET"], fake_hub.requests


def test_resume_after_cut_connection_uses_range(
    fake_hub: HubState, tmp_path: Path
) -> None:
    """The server drops the socket mid-body; the next request asks for the rest only."""
    cut = 100_000
    fake_hub.cut_first_get_after = cut
    dest = tmp_path / FILENAME
    result = download_file(
        REPO, FILENAME, dest, expected_sha256=fake_hub.advertised_sha
    )
    assert dest.read_bytes() == fake_hub.payload
    gets = [(path, rng) for method, path, rng in fake_hub.requests if method == "GET"]
    assert len(gets) == 2
    assert gets[0][1] is None
    assert gets[1][1] == f"bytes={cut}-"
    assert result.sha256 == fake_hub.advertised_sha


def test_partial_file_survives_cancel_and_next_pull_resumes(
    fake_hub: HubState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancel keeps the .part file; the next call sends a Range and completes it."""
    import lsc_tui.recipes.download as download_module

    monkeypatch.setattr(download_module, "PROGRESS_INTERVAL_S", 0.0)
    dest = tmp_path / FILENAME
    cancel = threading.Event()

    def cancel_after_first_bytes(progress: DownloadProgress) -> None:
        if progress.downloaded_bytes > 0:
            cancel.set()

    with pytest.raises(DownloadCancelledError, match="pull it again to resume"):
        download_file(
            REPO, FILENAME, dest, progress=cancel_after_first_bytes, cancel=cancel
        )
    kept = partial_path(dest).stat().st_size
    assert 0 < kept < len(fake_hub.payload)
    assert not dest.exists()
    result = download_file(
        REPO, FILENAME, dest, expected_sha256=fake_hub.advertised_sha
    )
    assert result.resumed_from == kept
    assert dest.read_bytes() == fake_hub.payload
    assert fake_hub.requests[-1] == (
        "GET",
        f"/{REPO}/resolve/main/{FILENAME}",
        f"bytes={kept}-",
    )


def test_checksum_mismatch_is_refused_and_partial_deleted(
    fake_hub: HubState, tmp_path: Path
) -> None:
    """Bytes that do not hash to the advertised sha256 never become a model file."""
    corrupted = bytearray(fake_hub.payload)
    corrupted[-1] ^= 0xFF
    fake_hub.serve_bytes = bytes(corrupted)
    dest = tmp_path / FILENAME
    with pytest.raises(DownloadError, match="sha256 mismatch") as info:
        download_file(REPO, FILENAME, dest)
    assert "\n" not in str(info.value)
    assert not dest.exists()
    assert not partial_path(dest).exists()


def test_recipe_sha_that_disagrees_with_hub_fails_before_downloading(
    fake_hub: HubState, tmp_path: Path
) -> None:
    """A changed upstream file is caught from the HEAD metadata alone."""
    with pytest.raises(DownloadError, match="changed upstream"):
        download_file(REPO, FILENAME, tmp_path / FILENAME, expected_sha256="0" * 64)
    assert [m for m, _, _ in fake_hub.requests] == ["HEAD"]


def test_missing_file_gives_a_one_line_hint(fake_hub: HubState, tmp_path: Path) -> None:
    """A 404 EntryNotFound turns into a DownloadError that names the cause."""
    with pytest.raises(DownloadError, match="not in the repository") as info:
        download_file(REPO, "other.gguf", tmp_path / "other.gguf")
    assert "\n" not in str(info.value)


def test_unreachable_hub_fails_fast_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A closed port on loopback: one DownloadError line in well under the timeout."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(DownloadError, match="unreachable") as info:
        download_file(REPO, FILENAME, tmp_path / FILENAME)
    assert time.monotonic() - started < 3.0
    assert "\n" not in str(info.value)
    assert not (tmp_path / FILENAME).exists()


def test_offline_mode_refuses_without_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HF_HUB_OFFLINE=1 stops before any connection is attempted."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_ENDPOINT", "http://192.0.2.1")  # would hang if contacted
    started = time.monotonic()
    with pytest.raises(DownloadError, match="offline"):
        download_file(REPO, FILENAME, tmp_path / FILENAME)
    assert time.monotonic() - started < 0.5


def test_hf_hub_download_can_be_injected(fake_hub: HubState, tmp_path: Path) -> None:
    """huggingface_hub's own hf_hub_download works as the hub function, into our dir."""
    from huggingface_hub import hf_hub_download

    dest = tmp_path / "store" / FILENAME
    seen: list[DownloadProgress] = []
    result = download_file(
        REPO,
        FILENAME,
        dest,
        expected_sha256=fake_hub.advertised_sha,
        hf_download=hf_hub_download,
        progress=seen.append,
    )
    assert dest.read_bytes() == fake_hub.payload
    assert result.sha256 == fake_hub.advertised_sha
    assert seen[-1].done
    assert seen[-1].downloaded_bytes == len(fake_hub.payload)
    assert sorted(p.name for p in dest.parent.iterdir()) == [FILENAME]


def test_cli_pull_draws_progress_and_installs(
    fake_hub: HubState, tmp_path: Path
) -> None:
    """`lsc models pull` downloads through the hub API, draws a bar, then lists it."""
    import json

    from click.testing import CliRunner

    from lsc_tui.cli import cli

    fake_hub.repo = "TheBloke/deepseek-coder-1.3b-instruct-GGUF"
    fake_hub.filename = "deepseek-coder-1.3b-instruct.Q4_K_S.gguf"
    fake_hub.payload = make_payload(tmp_path, "llama")
    fake_hub.advertised_sha = hashlib.sha256(fake_hub.payload).hexdigest()
    runner = CliRunner()
    result = runner.invoke(
        cli, ["models", "pull", "deepseek-coder-1.3b-instruct:Q4_K_S"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith(
        "deepseek-coder-1.3b-instruct/deepseek-coder-1.3b-instruct.Q4_K_S.gguf"
    )
    assert Path(result.stdout.strip()).read_bytes() == fake_hub.payload
    assert "100%" in result.stderr
    assert "ETA" in result.stderr
    assert "installed deepseek-coder-1.3b-instruct:q4_k_s" in result.stderr
    listing = runner.invoke(cli, ["models", "list", "--installed", "--json"])
    rows = json.loads(listing.stdout)["models"]
    assert [(r["ref"], r["source"]) for r in rows] == [
        ("deepseek-coder-1.3b-instruct:q4_k_s", "pull")
    ]
    again = runner.invoke(
        cli, ["models", "pull", "deepseek-coder-1.3b-instruct:q4_k_s"]
    )
    assert again.exit_code == 0
    assert "already installed" in again.stderr
    assert sum(1 for m, _, _ in fake_hub.requests if m == "GET") == 1


def test_disk_full_is_refused_with_the_free_space(
    fake_hub: HubState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Too little free space stops the download before it starts, naming the numbers."""
    import collections

    import lsc_tui.recipes.download as download_module

    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(
        download_module.shutil, "disk_usage", lambda _path: usage(10**9, 10**9, 4096)
    )
    with pytest.raises(DownloadError, match=r"not enough disk space.*4\.0 KiB free"):
        download_file(REPO, FILENAME, tmp_path / FILENAME)
    assert [m for m, _, _ in fake_hub.requests] == ["HEAD"]
