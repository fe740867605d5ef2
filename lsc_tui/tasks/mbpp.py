"""MBPP tasks by number (1-974), with MBPP+ v0.2.0 hidden inputs where they exist.

Tasks in MBPP+ take their description, asserts and entry point from the MBPP+ record,
because EvalPlus fixed signatures there (e.g. task 166 takes one argument, not two)
and its hidden inputs call that signature. Other tasks use the full MBPP record.
Visible tests are the first assert (MBPP+ style) or all of them (the seed). Hidden
tests of an MBPP+ task are its base inputs (the inputs of its asserts) and plus
inputs, compared with the canonical solution's outputs the EvalPlus way (see
``lsc_tui.tasks.scoring``); other tasks keep their remaining asserts as hidden tests.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from lsc_tui.errors import TaskError
from lsc_tui.tasks.datasets import (
    MBPP_FILE,
    MBPP_PLUS_FILE,
    datasets_dir,
    require_dataset,
    sha256_file,
)
from lsc_tui.tasks.expected import (
    BatchCaller,
    ReferenceJob,
    iter_expected_many,
    load_or_compute_expected,
    read_cached_expected,
    write_cached_expected,
)
from lsc_tui.tasks.model import HiddenInputs, HiddenSuite, Task
from lsc_tui.tasks.typed import infer_entry_point, parse_tests

FIRST_TASK = 1
LAST_TASK = 974

Visible = Literal["first", "all"]

# EvalPlus 0.3.1 special oracles by entry point (evalplus/eval/_special_oracle.py).
MBPP_OUTPUT_NOT_NONE_TASKS = frozenset(
    {"check_str", "text_match_three", "text_starta_endb"}
)
MBPP_OUTPUT_SET_EQ_TASKS = frozenset(
    {
        "similar_elements",
        "find_char_long",
        "common_in_nested_lists",
        "extract_singly",
        "larg_nnum",
        "intersection_array",
        "find_dissimilar",
        "Diff",
    }
)
_CUSTOM_ORACLES = {
    "digit_distance_nums": "digit_distance_nums",  # Mbpp/558
    "surface_Area": "surface_area",  # Mbpp/581
    "are_equivalent": "any",  # Mbpp/164 (not in v0.2.0)
    "sum_div": "sum_div",  # Mbpp/295 (not in v0.2.0)
}

# evalplus/data/mbpp.py `mbpp_deserialize_inputs`: JSON has no tuples, sets or complex.
_TUPLE_ARGS = frozenset(
    {2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596}
    | {616, 630, 726, 740, 744, 809}
)
_TUPLES_IN_LIST_ARGS = frozenset(
    {63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780}
)
_FIRST_ARG_TUPLES_IN_LIST = frozenset({75, 413, 444, 753})
_SECOND_ARG_TUPLE = frozenset({106, 750})
_FIRST_ARG_TUPLE = frozenset({250, 405, 446, 617, 720, 763, 808})
_NESTED_TUPLE_ARGS = frozenset({259, 401, 445})
_ALL_TUPLES = frozenset({580, 615, 791})


@dataclass(frozen=True, slots=True)
class MbppRecord:
    """One line of full ``mbpp.jsonl``."""

    number: int
    text: str
    code: str
    setup_code: str
    tests: tuple[str, ...]
    challenge_tests: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MbppPlusRecord:
    """One MBPP+ v0.2.0 task, with inputs already converted back to Python types."""

    number: int
    description: str
    prompt_assert: str
    asserts: tuple[str, ...]
    imports: tuple[str, ...]
    entry_point: str
    canonical_solution: str
    base_inputs: tuple[tuple[Any, ...], ...]
    plus_inputs: tuple[tuple[Any, ...], ...]
    atol: float

    @property
    def comparison(self) -> str:
        """How EvalPlus compares this task's outputs."""
        if self.entry_point in MBPP_OUTPUT_SET_EQ_TASKS:
            return "set"
        if self.entry_point in MBPP_OUTPUT_NOT_NONE_TASKS:
            return "not_none"
        return _CUSTOM_ORACLES.get(self.entry_point, "exact")


def _tuple_all(value: Any) -> Any:
    """Lists to tuples, recursively (evalplus ``turn_all_list_into_tuple``)."""
    if isinstance(value, list):
        return tuple(_tuple_all(item) for item in value)
    return value


def deserialize_inputs(number: int, inputs: list[Any]) -> list[Any]:
    """Restore the argument types JSON lost, exactly as EvalPlus 0.3.1 does per task."""
    if number in _TUPLE_ARGS:
        return [[tuple(arg) for arg in inp] for inp in inputs]
    if number in _TUPLES_IN_LIST_ARGS:
        return [[[tuple(x) for x in arg] for arg in inp] for inp in inputs]
    if number in _FIRST_ARG_TUPLES_IN_LIST:
        return [[[tuple(x) for x in inp[0]], inp[1]] for inp in inputs]
    if number in _SECOND_ARG_TUPLE:
        return [[inp[0], tuple(inp[1])] for inp in inputs]
    if number == 115:
        return [
            [[set(x) if isinstance(x, list) and len(x) else {} for x in inp[0]]]
            for inp in inputs
        ]
    if number == 124:
        return [(float(inp[0]), complex(inp[1])) for inp in inputs]
    if number in _FIRST_ARG_TUPLE:
        return [[tuple(inp[0]), *inp[1:]] for inp in inputs]
    if number in _NESTED_TUPLE_ARGS:
        converted = [[[tuple(x) for x in arg] for arg in inp] for inp in inputs]
        return [[tuple(arg) for arg in inp] for inp in converted]
    if number == 278:
        converted = [
            [[tuple(x) if isinstance(x, list) else x for x in inp[0]]] for inp in inputs
        ]
        return [[tuple(arg) for arg in inp] for inp in converted]
    if number == 307:
        return [[tuple(inp[0]), inp[1], inp[2]] for inp in inputs]
    if number == 722:
        return [
            [{key: tuple(value) for key, value in inp[0].items()}, *inp[1:]]
            for inp in inputs
        ]
    if number == 252:
        return [[complex(inp[0])] for inp in inputs]
    if number in _ALL_TUPLES:
        return [_tuple_all(inp) for inp in inputs]
    return inputs


# File hashes by (path, mtime, size), and parses by content hash: loading many tasks,
# or the same data from several cache directories, parses each file once.
_HASHES: dict[tuple[str, int, int], str] = {}
_PARSED: dict[tuple[str, str], Any] = {}

T = TypeVar("T")


def _file_sha256(path: Path) -> str:
    """The file's sha256, hashed once per version of the file."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _HASHES:
        _HASHES[key] = sha256_file(path)
    return _HASHES[key]


def _cached_parse(kind: str, path: Path, parse: Callable[[Path], T]) -> T:
    """Parse ``path`` once per distinct content."""
    key = (kind, _file_sha256(path))
    if key not in _PARSED:
        _PARSED[key] = parse(path)
    result: T = _PARSED[key]
    return result


def _read_jsonl(path: Path) -> Iterable[dict[str, Any]]:
    """The JSON objects of a JSON-lines file."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _parse_mbpp(path: Path) -> dict[int, MbppRecord]:
    """Every record of ``mbpp.jsonl`` by task number."""
    records: dict[int, MbppRecord] = {}
    for row in _read_jsonl(path):
        number = int(row["task_id"])
        records[number] = MbppRecord(
            number=number,
            text=row["text"].strip(),
            code=row["code"].replace("\r\n", "\n"),
            setup_code=row["test_setup_code"].replace("\r\n", "\n"),
            tests=tuple(t.strip() for t in row["test_list"]),
            challenge_tests=tuple(t.strip() for t in row["challenge_test_list"]),
        )
    return records


def _split_prompt(prompt: str) -> tuple[str, str]:
    """The description and the assert inside an MBPP+ prompt docstring."""
    body = prompt.strip()
    if body.startswith('"""') and body.endswith('"""'):
        body = body[3:-3]
    lines = [line.rstrip() for line in body.strip().splitlines()]
    asserts = [line.strip() for line in lines if line.lstrip().startswith("assert")]
    description = "\n".join(
        line for line in lines if not line.lstrip().startswith("assert")
    ).strip()
    return description, asserts[0] if asserts else ""


def _parse_plus(path: Path) -> dict[int, MbppPlusRecord]:
    """Every MBPP+ record by task number, inputs converted as EvalPlus does."""
    records: dict[int, MbppPlusRecord] = {}
    for row in _read_jsonl(path):
        number = int(str(row["task_id"]).split("/")[-1])
        description, prompt_assert = _split_prompt(row["prompt"])
        statements = parse_tests(row["assertion"])
        imports = tuple(
            s
            for s in statements
            if isinstance(ast.parse(s).body[0], ast.Import | ast.ImportFrom)
        )
        asserts = tuple(s for s in statements if s not in imports)
        plus_raw = row["plus_input"] if isinstance(row["plus_input"], list) else []
        records[number] = MbppPlusRecord(
            number=number,
            description=description,
            prompt_assert=prompt_assert or (asserts[0] if asserts else ""),
            asserts=asserts,
            imports=imports,
            entry_point=row["entry_point"],
            canonical_solution=row["canonical_solution"],
            base_inputs=tuple(
                tuple(inp) for inp in deserialize_inputs(number, row["base_input"])
            ),
            plus_inputs=tuple(
                tuple(inp) for inp in deserialize_inputs(number, plus_raw)
            ),
            atol=float(row["atol"] or 0),
        )
    return records


def load_mbpp_records(data_dir: Path | None = None) -> dict[int, MbppRecord]:
    """Full MBPP by task number, from the dataset cache."""
    return _cached_parse("mbpp", require_dataset(MBPP_FILE, data_dir), _parse_mbpp)


def load_mbpp_plus_records(data_dir: Path | None = None) -> dict[int, MbppPlusRecord]:
    """MBPP+ v0.2.0 by task number, from the dataset cache."""
    return _cached_parse("plus", require_dataset(MBPP_PLUS_FILE, data_dir), _parse_plus)


def mbpp_plus_ids(data_dir: Path | None = None) -> list[int]:
    """The 378 MBPP+ v0.2.0 task numbers, ascending."""
    return sorted(load_mbpp_plus_records(data_dir))


def _reference_job(plus: MbppPlusRecord) -> ReferenceJob:
    """The canonical solution of ``plus`` on all its base and plus inputs."""
    return ReferenceJob(
        number=plus.number,
        code=plus.canonical_solution,
        entry_point=plus.entry_point,
        inputs=plus.base_inputs + plus.plus_inputs,
        output_not_none=plus.comparison == "not_none",
    )


def precompute_expected(
    numbers: Iterable[int] | None = None,
    *,
    data_dir: Path | None = None,
    sandbox: BatchCaller | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
) -> int:
    """Compute and cache expected outputs of MBPP+ tasks not cached yet, in bulk.

    Several tasks' references share a sandbox process, which is much faster than
    one process per task; ``workers`` such processes run at once. ``progress(done,
    total)`` follows along. Returns how many tasks were computed.
    """
    records = load_mbpp_plus_records(data_dir)
    wanted = sorted(records) if numbers is None else sorted(set(numbers))
    unknown = [n for n in wanted if n not in records]
    if unknown:
        raise TaskError(f"not MBPP+ v0.2.0 tasks: {', '.join(map(str, unknown[:10]))}")
    root = datasets_dir(data_dir)
    dataset_sha256 = _file_sha256(require_dataset(MBPP_PLUS_FILE, data_dir))
    jobs = [
        _reference_job(records[n])
        for n in wanted
        if read_cached_expected(
            root,
            dataset_sha256,
            n,
            len(records[n].base_inputs + records[n].plus_inputs),
        )
        is None
    ]
    if not jobs:
        return 0
    if sandbox is None:
        from lsc_tui.sandbox import Sandbox

        sandbox = Sandbox()
    results = iter_expected_many(jobs, sandbox, workers=workers)
    for done, (number, outputs) in enumerate(results, 1):
        write_cached_expected(root, dataset_sha256, number, outputs)
        if progress is not None:
            progress(done, len(jobs))
    return len(jobs)


def _check_number(number: int) -> None:
    """Reject task numbers outside MBPP's range with a clear message."""
    if isinstance(number, bool) or not isinstance(number, int):
        raise TaskError(f"MBPP task numbers are integers from 1 to 974; got {number!r}")
    if not FIRST_TASK <= number <= LAST_TASK:
        raise TaskError(
            f"MBPP task numbers run from {FIRST_TASK} to {LAST_TASK}; got {number}"
        )


def _split_visible(
    tests: tuple[str, ...], visible: Visible
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Visible and hidden asserts for the chosen visibility."""
    if visible == "all":
        return tests, ()
    return tests[:1], tests[1:]


def load_mbpp_task(
    number: int,
    *,
    visible: Visible = "first",
    data_dir: Path | None = None,
    sandbox: BatchCaller | None = None,
) -> Task:
    """MBPP task ``number`` as a Task with visible and hidden tests.

    For MBPP+ tasks the expected outputs of the hidden inputs come from running the
    canonical solution in ``sandbox`` (a default Sandbox when None), cached per task.
    """
    _check_number(number)
    if visible not in ("first", "all"):
        raise TaskError(f"--visible must be 'first' or 'all'; got {visible!r}")
    records = load_mbpp_records(data_dir)
    plus_records = load_mbpp_plus_records(data_dir)
    record = records.get(number)
    if record is None:
        raise TaskError(
            f"MBPP task {number} is missing from the cached data; "
            "run `lsc data status` to check it"
        )
    plus = plus_records.get(number)
    if plus is None:
        visible_tests, hidden_asserts = _split_visible(record.tests, visible)
        return Task(
            task_id=f"mbpp/{number}",
            description=record.text,
            visible_tests=visible_tests,
            entry_point=infer_entry_point(record.tests, record.setup_code),
            setup_code=record.setup_code,
            source="mbpp",
            hidden=HiddenSuite(asserts=hidden_asserts) if hidden_asserts else None,
            reference_code=record.code,
        )
    all_tests = (plus.prompt_assert, *plus.asserts[1:])
    # The other asserts are the base inputs, which the hidden inputs score EvalPlus
    # style (set equality, atol...), so they are not run a second time as asserts.
    visible_tests, _ = _split_visible(all_tests, visible)
    expected = load_or_compute_expected(
        _reference_job(plus),
        root=datasets_dir(data_dir),
        dataset_sha256=_file_sha256(require_dataset(MBPP_PLUS_FILE, data_dir)),
        sandbox=sandbox,
    )
    inputs = plus.base_inputs + plus.plus_inputs
    base_count = len(plus.base_inputs)
    setup_lines = (
        [*plus.imports, record.setup_code] if record.setup_code else plus.imports
    )
    return Task(
        task_id=f"mbpp/{number}",
        description=plus.description or record.text,
        visible_tests=visible_tests,
        entry_point=plus.entry_point,
        setup_code="\n".join(setup_lines),
        source="mbpp",
        hidden=HiddenSuite(
            plus=HiddenInputs(
                entry_point=plus.entry_point,
                inputs=tuple(inputs[i] for i in expected.kept),
                expected=expected.values,
                atol=plus.atol,
                comparison=plus.comparison,
                base_count=sum(1 for i in expected.kept if i < base_count),
                reference_seconds=expected.seconds,
                reference_call_seconds=expected.max_call_seconds,
            ),
        ),
        reference_code=plus.canonical_solution,
    )
