"""The dataset cache: import, pinned downloads from a loopback server, status."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import json
import random
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lsc_tui.errors import ConfigError, DownloadError, TaskError
from lsc_tui.paths import get_paths
from lsc_tui.tasks.datasets import (
    MBPP_FILE,
    MBPP_PLUS_FILE,
    NOT_CACHED_MESSAGE,
    SANITIZED_FILE,
    dataset_status,
    import_datasets,
    mbpp_jsonl_from_rows,
    pull_datasets,
    require_dataset,
    sha256_file,
)
from tests.conftest import MBPP_DIR

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _cache() -> Path:
    return get_paths().datasets_dir


def test_import_copies_and_verifies_every_file() -> None:
    written = import_datasets(MBPP_DIR)
    assert sorted(p.name for p in written) == sorted(
        [MBPP_FILE, MBPP_PLUS_FILE, SANITIZED_FILE]
    )
    for path in written:
        assert path.parent == _cache()
        assert path.read_bytes() == (MBPP_DIR / path.name).read_bytes()
    assert all(s.ok for s in dataset_status())
    assert not list(_cache().glob(".*"))  # no temporary files left behind


def test_import_with_a_bad_checksum_copies_nothing(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in (MBPP_FILE, MBPP_PLUS_FILE):
        shutil.copy(MBPP_DIR / name, source / name)
    with (source / MBPP_PLUS_FILE).open("ab") as handle:
        handle.write(b"\n")
    with pytest.raises(
        DownloadError, match=r"MbppPlus-v0\.2\.0\.jsonl has sha256"
    ) as info:
        import_datasets(source)
    assert "\n" not in str(info.value)
    assert not _cache().exists() or not any(_cache().iterdir())


def test_import_accepts_the_release_name_and_skips_missing_optional(
    tmp_path: Path,
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(MBPP_DIR / MBPP_FILE, source / MBPP_FILE)
    shutil.copy(MBPP_DIR / MBPP_PLUS_FILE, source / "MbppPlus.jsonl")
    written = import_datasets(source)
    assert sorted(p.name for p in written) == sorted([MBPP_FILE, MBPP_PLUS_FILE])
    status = {s.name: s for s in dataset_status()}
    assert status[MBPP_PLUS_FILE].ok
    assert not status[SANITIZED_FILE].present


def test_import_needs_both_required_files(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(MBPP_DIR / MBPP_FILE, source / MBPP_FILE)
    with pytest.raises(TaskError, match=r"has no MbppPlus-v0\.2\.0\.jsonl"):
        import_datasets(source)
    with pytest.raises(TaskError, match="is not a directory"):
        import_datasets(tmp_path / "nope")


def test_status_reports_missing_and_mismatched_files(mbpp_cache: Path) -> None:
    (mbpp_cache / SANITIZED_FILE).unlink()
    (mbpp_cache / MBPP_FILE).write_text("{}\n")
    status = {s.name: s for s in dataset_status()}
    assert not status[MBPP_FILE].ok
    assert status[MBPP_FILE].present
    assert status[MBPP_FILE].sha256 == hashlib.sha256(b"{}\n").hexdigest()
    assert status[MBPP_PLUS_FILE].ok
    assert not status[SANITIZED_FILE].present
    assert status[SANITIZED_FILE].to_json()["ok"] is False


def test_require_dataset_says_how_to_get_the_data() -> None:
    with pytest.raises(TaskError) as info:
        require_dataset(MBPP_FILE)
    assert str(info.value) == NOT_CACHED_MESSAGE


def _mbpp_rows() -> list[dict[str, Any]]:
    lines = (MBPP_DIR / MBPP_FILE).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_rows_rebuild_the_pinned_mbpp_bytes() -> None:
    rows = _mbpp_rows()
    random.Random(7).shuffle(rows)
    rebuilt = mbpp_jsonl_from_rows(rows)
    assert rebuilt == (MBPP_DIR / MBPP_FILE).read_bytes()


class _Server:
    """A loopback HTTP server for the MBPP+ asset and a minimal hub endpoint."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, body: bool) -> None:
                path = self.path.split("?")[0]
                server.requests.append(f"{self.command} {path}")
                data = server.files.get(path)
                if data is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
                self.send_header("X-Repo-Commit", COMMIT)
                self.end_headers()
                if body:
                    self.wfile.write(data)

            def do_HEAD(self) -> None:
                self._answer(body=False)

            def do_GET(self) -> None:
                self._answer(body=True)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _json_reader(path: Path) -> list[dict[str, Any]]:
    """Reads the test server's stand-in 'parquet' files (JSON rows)."""
    rows: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return rows


@pytest.fixture
def hub_files() -> dict[str, bytes]:
    """MBPP split into the hub's four files, plus the gzipped MBPP+ asset."""
    rows = _mbpp_rows()
    splits = {
        "prompt": (1, 10),
        "test": (11, 510),
        "validation": (511, 600),
        "train": (601, 974),
    }
    files: dict[str, bytes] = {}
    prefix = "/datasets/google-research-datasets/mbpp/resolve/main/full"
    for split, (low, high) in splits.items():
        part = [r for r in rows if low <= r["task_id"] <= high]
        files[f"{prefix}/{split}-00000-of-00001.parquet"] = json.dumps(part).encode()
    plus_gz = gzip.compress((MBPP_DIR / MBPP_PLUS_FILE).read_bytes(), mtime=0)
    files["/release/MbppPlus.jsonl.gz"] = plus_gz
    return files


@pytest.fixture
def server(hub_files: dict[str, bytes]) -> Iterator[_Server]:
    with _Server(hub_files) as running:
        yield running


def test_pull_downloads_and_verifies_both_datasets(
    server: _Server, hub_files: dict[str, bytes]
) -> None:
    gz = hub_files["/release/MbppPlus.jsonl.gz"]
    written = pull_datasets(
        endpoint=server.url,
        mbpp_plus_url=f"{server.url}/release/MbppPlus.jsonl.gz",
        mbpp_plus_gz_sha256=hashlib.sha256(gz).hexdigest(),
        read_parquet=_json_reader,
    )
    assert sorted(p.name for p in written) == sorted([MBPP_FILE, MBPP_PLUS_FILE])
    status = {s.name: s for s in dataset_status()}
    assert status[MBPP_FILE].ok
    assert status[MBPP_PLUS_FILE].ok
    assert sha256_file(_cache() / MBPP_FILE) == sha256_file(MBPP_DIR / MBPP_FILE)
    assert "GET /release/MbppPlus.jsonl.gz" in server.requests
    assert any(r.startswith("GET /datasets/") for r in server.requests)


def test_pull_rejects_a_release_asset_that_does_not_match_its_pin(
    server: _Server,
) -> None:
    with pytest.raises(DownloadError, match="MBPP\\+ download has sha256"):
        pull_datasets(
            endpoint=server.url,
            mbpp_plus_url=f"{server.url}/release/MbppPlus.jsonl.gz",
            read_parquet=_json_reader,
        )
    assert not (_cache() / MBPP_PLUS_FILE).exists()
    assert not (_cache() / MBPP_FILE).exists()


def test_pull_rejects_hub_data_that_does_not_rebuild_the_pinned_file(
    server: _Server, hub_files: dict[str, bytes]
) -> None:
    key = next(k for k in hub_files if k.endswith("prompt-00000-of-00001.parquet"))
    rows = json.loads(hub_files[key])
    rows[0]["text"] += " (edited)"
    server.files[key] = json.dumps(rows).encode()
    gz = hub_files["/release/MbppPlus.jsonl.gz"]
    with pytest.raises(DownloadError, match=r"mbpp\.jsonl has sha256"):
        pull_datasets(
            endpoint=server.url,
            mbpp_plus_url=f"{server.url}/release/MbppPlus.jsonl.gz",
            mbpp_plus_gz_sha256=hashlib.sha256(gz).hexdigest(),
            read_parquet=_json_reader,
        )
    assert not (_cache() / MBPP_PLUS_FILE).exists()


def test_pull_fails_fast_with_one_line_when_unreachable() -> None:
    with _Server({}) as stopped:
        url = stopped.url
    started = time.monotonic()
    with pytest.raises(DownloadError, match=r"cannot reach 127\.0\.0\.1") as info:
        pull_datasets(
            endpoint=url,
            mbpp_plus_url=f"{url}/release/MbppPlus.jsonl.gz",
            read_parquet=_json_reader,
        )
    assert time.monotonic() - started < 5
    assert "\n" not in str(info.value)


def test_pull_reports_hub_errors_in_one_line(server: _Server) -> None:
    server.files = {
        k: v for k, v in server.files.items() if not k.startswith("/datasets/")
    }
    gz = server.files["/release/MbppPlus.jsonl.gz"]
    with pytest.raises(DownloadError, match="cannot download") as info:
        pull_datasets(
            endpoint=server.url,
            mbpp_plus_url=f"{server.url}/release/MbppPlus.jsonl.gz",
            mbpp_plus_gz_sha256=hashlib.sha256(gz).hexdigest(),
            read_parquet=_json_reader,
        )
    assert "\n" not in str(info.value)


def test_pull_refuses_in_offline_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DownloadError, match="offline"):
        pull_datasets(offline=True, read_parquet=_json_reader)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DownloadError, match="offline"):
        pull_datasets(read_parquet=_json_reader)


def test_pull_without_pyarrow_says_what_to_do() -> None:
    try:
        import pyarrow  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("pyarrow is installed here")
    with pytest.raises(
        ConfigError, match=r"install pyarrow or use `lsc data import DIR`"
    ):
        pull_datasets(mbpp_plus_url="http://127.0.0.1:9/never-contacted")
