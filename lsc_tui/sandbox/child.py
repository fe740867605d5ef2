"""The sandbox runner: confines itself, then compiles or runs candidate code.

Started by the trusted parent as ``python -S -s -B -P child.py`` with a job
(marshal data from the trusted parent) on stdin and a result pipe whose descriptor
the job names. It reads the whole job, points
stdin at /dev/null, applies rlimits and confinement, and only then compiles the
candidate. Results go to that pipe as newline-delimited JSON records (see
``lsc_tui/sandbox/runner.py`` for the protocol); the candidate's own stdout and
stderr are plain pipes that never decide anything. Only the standard library is
used, because site-packages is not on the path.
"""

from __future__ import annotations

import os
import sys
from typing import Any

CANDIDATE_FILE = "<candidate>"
MESSAGE_LIMIT = 300
ITEM_LIMIT_BYTES = 4 << 20


def _load_helper(name: str) -> Any:
    """Import a helper from the runner's directory without leaving it on sys.path."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    try:
        module = __import__(name)
    finally:
        sys.path.remove(here)
        sys.modules.pop(name, None)
    return module


def _make_dumps() -> Any:
    """A compact ASCII JSON encoder from the C accelerator (json itself imports re)."""
    import _json

    def refuse(value: Any) -> Any:
        raise TypeError(f"{type(value).__name__} is not JSON data")

    encode = _json.make_encoder(
        None, refuse, _json.encode_basestring_ascii, None, ":", ",", False, False, False
    )

    def dumps(data: Any) -> str:
        return "".join(encode(data, 0))

    return dumps


class Channel:
    """Writes protocol records to the result pipe."""

    def __init__(self, fd: int) -> None:
        self._write = os.write
        self.dumps = _make_dumps()
        self._fd = fd

    def send(self, record: dict[str, Any]) -> None:
        data = (self.dumps(record) + "\n").encode("ascii")
        view = memoryview(data)
        while view:
            written = self._write(self._fd, view)
            view = view[written:]


def _short(text: str) -> str:
    text = text.replace("\n", " ").strip()
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def _safe_repr(value: Any) -> str:
    try:
        return _short(repr(value))
    except BaseException as exc:  # a hostile __repr__
        return f"<unprintable {type(exc).__name__}>"


def _describe(exc: BaseException) -> str:
    """'Type: message (line N)', with the candidate's line when it is known."""
    try:
        detail = str(exc)
    except BaseException:
        detail = "<unprintable>"
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == CANDIDATE_FILE:
            line = tb.tb_lineno
        tb = tb.tb_next
    where = f" (line {line})" if line is not None else ""
    name = type(exc).__name__
    return _short(f"{name}: {detail}{where}" if detail else f"{name}{where}")


def _flush_std() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except BaseException:
            pass


def _apply_rlimits(limits: dict[str, int]) -> None:
    """Set soft and hard rlimits; names are RLIMIT_* suffixes in lower case."""
    import resource

    for name, value in limits.items():
        kind = getattr(resource, "RLIMIT_" + name.upper())
        _soft, hard = resource.getrlimit(kind)
        target = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(kind, (target, target))


def _confine(job: dict[str, Any]) -> None:
    if job.get("workdir"):
        os.chdir(job["workdir"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    _apply_rlimits(job["rlimits"])
    landlock = job.get("landlock")
    if landlock is None and not job.get("seccomp") and not job.get("drop_caps"):
        return
    confine = _load_helper("confine")
    if landlock is not None:
        confine.apply_landlock(landlock["read"], landlock["write"])
    if job.get("drop_caps"):
        confine.drop_privileges()
    if job.get("seccomp"):
        confine.apply_seccomp(job["seccomp"])


def _syntax(job: dict[str, Any], channel: Channel) -> None:
    import ast

    source = job["code"]
    try:
        tree = ast.parse(source, CANDIDATE_FILE, "exec")
        compile(tree, CANDIDATE_FILE, "exec", 0, True)
    except SyntaxError as exc:
        text = exc.text
        lines = source.splitlines()
        if not text and exc.lineno and 0 < exc.lineno <= len(lines):
            text = lines[exc.lineno - 1]
        error = {
            "type": type(exc).__name__,
            "message": str(exc.msg),
            "line": exc.lineno,
            "col": exc.offset,
            "text": (text or "").rstrip("\n"),
        }
        channel.send({"k": "syntax", "ok": False, "error": error})
        return
    except (ValueError, MemoryError, RecursionError, OverflowError) as exc:
        error = {
            "type": type(exc).__name__,
            "message": _short(str(exc)),
            "line": None,
            "col": None,
            "text": "",
        }
        channel.send({"k": "syntax", "ok": False, "error": error})
        return
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names.extend(t.id for t in node.targets if isinstance(t, ast.Name))
    channel.send({"k": "syntax", "ok": True, "names": names})


def _import_candidate(job: dict[str, Any]) -> dict[str, Any]:
    import types

    module = types.ModuleType("candidate")
    module.__file__ = CANDIDATE_FILE
    sys.modules["candidate"] = module
    namespace = module.__dict__
    code = compile(job["code"], CANDIDATE_FILE, "exec", 0, True)
    exec(code, namespace)
    if job.get("setup"):
        exec(compile(job["setup"], "<setup>", "exec", 0, True), namespace)
    if job.get("preamble"):
        exec(compile(job["preamble"], "<tests>", "exec", 0, True), namespace)
    return namespace


def _run_exec(source: str, namespace: dict[str, Any]) -> tuple[str, str]:
    """Run a test statement in the sandbox (the weak fallback); status, message."""
    import ast

    tree = ast.parse(source, "<test>", "exec")
    node = tree.body[0] if len(tree.body) == 1 else None
    if (
        isinstance(node, ast.Assert)
        and isinstance(node.test, ast.Compare)
        and len(node.test.ops) == 1
        and isinstance(node.test.ops[0], ast.Eq)
    ):
        left = eval(
            compile(ast.Expression(node.test.left), "<test>", "eval"), namespace
        )
        right = eval(
            compile(ast.Expression(node.test.comparators[0]), "<test>", "eval"),
            namespace,
        )
        if left == right:
            return "passed", ""
        return "failed", f"expected {_safe_repr(right)}, got {_safe_repr(left)}"
    try:
        exec(compile(tree, "<test>", "exec"), namespace)
    except AssertionError as exc:
        detail = _safe_repr(exc.args[0]) if exc.args else ""
        return "failed", "assertion failed" + (f": {detail}" if detail else "")
    return "passed", ""


class _Builtins:
    """Detects and undoes changes to the builtins module (tampering is never a pass)."""

    def __init__(self) -> None:
        import builtins

        self._dict = builtins.__dict__
        self._saved = dict(self._dict)

    def restore(self) -> str:
        """Put the original builtins back; names that had been changed, if any."""
        current = self._dict
        changed = sorted(
            {k for k in self._saved if current.get(k, _MISSING) is not self._saved[k]}
            | (current.keys() - self._saved.keys())
        )
        if changed:
            current.clear()
            current.update(self._saved)
        return ", ".join(str(name) for name in changed[:5])


_MISSING = object()


def _run_ops(job: dict[str, Any], channel: Channel) -> None:
    wire = _load_helper("wire")
    guard = _Builtins()
    try:
        namespace = _import_candidate(job)
    except SystemExit as exc:
        guard.restore()
        _flush_std()
        channel.send(
            {
                "k": "import_failed",
                "m": f"exited at import with SystemExit({exc.code!r})",
            }
        )
        return
    except BaseException as exc:
        guard.restore()
        _flush_std()
        channel.send({"k": "import_failed", "m": "failed at import: " + _describe(exc)})
        return
    changed = guard.restore()
    if changed:
        _flush_std()
        channel.send({"k": "import_failed", "m": f"tampered with builtins: {changed}"})
        return
    channel.send({"k": "imported"})
    start = int(job.get("start", 0))
    for index, op in enumerate(job["ops"][start:], start):
        record = _run_op(index, op, namespace, wire)
        changed = guard.restore()
        if changed:
            record = {"k": "op", "i": index, "s": "error"}
            record["m"] = f"tampered with builtins: {changed}"
        elif record.get("s") == "ok":
            record = _encode_value(record, wire, channel.dumps)
        _flush_std()
        channel.send(record)


def _run_op(
    index: int, op: dict[str, Any], namespace: dict[str, Any], wire: Any
) -> dict[str, Any]:
    """Run one op; an 'ok' record carries the raw value under 'raw' until encoded."""
    record: dict[str, Any] = {"k": "op", "i": index}
    try:
        kind = op["t"]
        if kind == "exec":
            record["s"], record["m"] = _run_exec(op["src"], namespace)
            return record
        if kind == "eval":
            value = eval(compile(op["src"], "<test>", "eval"), namespace)
        else:
            args = wire.decode(op["args"])
            kwargs = wire.decode(op["kw"]) if op.get("kw") else {}
            function = namespace.get(op["fn"])
            if function is None:
                raise NameError(f"name {op['fn']!r} is not defined")
            value = function(*args, **kwargs)
    except (SystemExit, KeyboardInterrupt) as exc:
        code = getattr(exc, "code", None)
        record["s"] = "crashed"
        record["m"] = f"exited with {type(exc).__name__}({code!r}) during the call"
        return record
    except BaseException as exc:
        record["s"] = "error"
        record["m"] = _describe(exc)
        return record
    record["s"] = "ok"
    record["raw"] = value
    return record


def _encode_value(record: dict[str, Any], wire: Any, dumps: Any) -> dict[str, Any]:
    """Replace the raw value by its wire form, or turn the record into an error."""
    value = record.pop("raw")
    try:
        try:
            encoded = wire.encode(value)
            if len(dumps(encoded)) > ITEM_LIMIT_BYTES:
                raise wire.WireError("return value is too large to transfer")
        except wire.WireError as exc:
            if "too large" not in str(exc):
                raise
            encoded = wire.encode_digest(value)
    except (SystemExit, KeyboardInterrupt) as exc:
        return {**record, "s": "crashed", "m": f"exited with {type(exc).__name__}"}
    except BaseException as exc:
        return {**record, "s": "error", "m": _describe(exc)}
    record["v"] = encoded
    return record


def main() -> None:
    """Read the job, confine, run it, report, and exit without running atexit."""
    import marshal

    job = marshal.loads(sys.stdin.buffer.read())
    channel = Channel(int(job["result_fd"]))
    try:
        _confine(job)
    except BaseException as exc:
        channel.send({"k": "confine_failed", "m": f"{type(exc).__name__}: {exc}"})
        os._exit(70)
    channel.send({"k": "ready"})
    if job["mode"] == "syntax":
        _syntax(job, channel)
    else:
        _run_ops(job, channel)
    _flush_std()
    channel.send({"k": "done"})
    os._exit(0)


if __name__ == "__main__":
    main()
