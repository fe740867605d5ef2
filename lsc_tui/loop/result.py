"""Fold a run's events into the result object of ``lsc solve/mbpp --json``.

The shape is a contract (DESIGN.md): ``success``, ``first_attempt_passed``,
``hidden``, ``final_code``, ``seconds`` and per-iteration ``code``,
``syntax_error``, ``tests``, ``critic``, ``feedback``, ``gen_tokens``,
``gen_seconds``. Extra fields are only ever added, never renamed: for one,
``hidden_seconds``, the part of ``seconds`` spent scoring the hidden tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lsc_tui.events import (
    AssertsChecked,
    AssertsWritten,
    CandidateSelected,
    CriticFinished,
    EdgesChecked,
    FeedbackPrepared,
    GenerationFinished,
    IterationFinished,
    LoopEvent,
    NameHarmonized,
    RunFailed,
    RunFinished,
    RunStarted,
    SamplesDiscarded,
    SyntaxChecked,
    TestsFinished,
)


def _iteration(store: dict[int, dict[str, Any]], number: int) -> dict[str, Any]:
    return store.setdefault(
        number,
        {
            "iteration": number,
            "code": "",
            "syntax_error": None,
            "tests": [],
            "critic": None,
            "feedback": None,
            "gen_tokens": 0,
            "gen_seconds": 0.0,
            "prompt_tokens": 0,
            "cached_tokens": 0,
            "status": None,
            "renamed": None,
            "extra_asserts": None,
        },
    )


def result_from_events(events: Iterable[LoopEvent]) -> dict[str, Any]:
    """The contract's result object for one run."""
    result: dict[str, Any] = {
        "run_id": None,
        "task_id": None,
        "pipeline": None,
        "status": "interrupted",
        "success": False,
        "first_attempt_passed": False,
        "first_pass_iteration": None,
        "hidden": None,
        "final_code": "",
        "seconds": 0.0,
        "hidden_seconds": 0.0,
        "visible_tests": 0,
        "models": {},
        "error": None,
        "selected": None,
        "tester": None,
        "discarded_samples": None,
        "iterations": [],
    }
    iterations: dict[int, dict[str, Any]] = {}
    for event in events:
        match event:
            case RunStarted():
                result["run_id"] = event.run_id
                result["task_id"] = event.task_id
                result["pipeline"] = event.pipeline
                result["visible_tests"] = len(event.visible_tests)
                result["models"] = {m.role: m.model_id for m in event.models}
            case GenerationFinished():
                it = _iteration(iterations, event.iteration)
                it["code"] = event.code
                it["gen_tokens"] += event.tokens
                it["gen_seconds"] = round(it["gen_seconds"] + event.seconds, 3)
                it["prompt_tokens"] = event.prompt_tokens
                it["cached_tokens"] = event.cached_tokens
            case NameHarmonized():
                _iteration(iterations, event.iteration)["renamed"] = {
                    "from": event.old_name,
                    "to": event.new_name,
                }
            case SyntaxChecked():
                it = _iteration(iterations, event.iteration)
                it["syntax_error"] = event.error.to_json() if event.error else None
            case TestsFinished():
                it = _iteration(iterations, event.iteration)
                it["tests"] = [t.to_json() for t in event.results]
            case CriticFinished():
                _iteration(iterations, event.iteration)["critic"] = {
                    "role": event.role,
                    "text": event.raw,
                    "reflection": event.reflection,
                    "tokens": event.tokens,
                    "seconds": round(event.seconds, 3),
                }
            case FeedbackPrepared():
                _iteration(iterations, event.iteration)["feedback"] = event.feedback
            case IterationFinished():
                _iteration(iterations, event.iteration)["status"] = event.status
            case AssertsWritten():
                result["tester"] = {
                    "asserts": list(event.asserts),
                    "tokens": event.tokens,
                    "seconds": round(event.seconds, 3),
                }
            case AssertsChecked():
                _iteration(iterations, event.iteration)["extra_asserts"] = {
                    "passed": event.passed,
                    "total": event.total,
                }
            case EdgesChecked():
                _iteration(iterations, event.iteration)["edges"] = {
                    "inputs": event.inputs,
                    "crashed": event.crashed,
                    "shown": list(event.shown),
                }
            case SamplesDiscarded():
                result["discarded_samples"] = {
                    "count": event.count,
                    "tokens": event.tokens,
                    "seconds": round(event.seconds, 3),
                }
            case CandidateSelected():
                result["selected"] = {
                    "iteration": event.candidate,
                    "reason": event.reason,
                }
            case RunFailed():
                result["error"] = event.message
            case RunFinished():
                result["status"] = event.status
                result["success"] = event.success
                result["first_attempt_passed"] = event.first_attempt_passed
                result["first_pass_iteration"] = event.first_pass_iteration
                result["final_code"] = event.final_code
                result["seconds"] = round(event.seconds, 3)
                result["hidden_seconds"] = round(event.hidden_seconds, 3)
                result["hidden"] = (
                    None
                    if event.hidden is None
                    else {
                        "passed": event.hidden.passed,
                        "passed_count": event.hidden.passed_count,
                        "total": event.hidden.total,
                    }
                )
            case _:
                pass
    result["iterations"] = [iterations[k] for k in sorted(iterations)]
    return result
