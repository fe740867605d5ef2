"""Peak RSS of a three-stage run compared with the sum of its model files.

A child process loads every role of the pipeline (so both critics count even when
the generator passes at once), runs one MBPP task through the same ``Session`` as
``lsc mbpp``, and exits; the parent reads the child's peak RSS from the kernel.
Models come from the store under ``LSC_HOME`` (import them with ``lsc models
import``) or from ``.gguf`` paths given to the role flags.

Usage: python benchmarks/bench_memory.py [--task 35] [--pipeline three-stage]
       [--generator REF] [--syntax-critic REF] [--logic-critic REF] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_ROLES = {
    "generator": "qwen2.5-coder-1.5b-instruct:q4_k_m",
    "syntax_critic": "qwen2.5-coder-0.5b-instruct:q4_k_m",
    "logic_critic": "qwen2.5-coder-0.5b-instruct:q4_k_m",
}


def child(task_number: int, pipeline: str, roles: dict[str, str]) -> dict[str, Any]:
    """Load every role, run the task, and describe what was loaded."""
    import psutil

    from lsc_tui.events import RunFinished
    from lsc_tui.loop.session import RunRequest, Session
    from lsc_tui.settings import load_settings
    from lsc_tui.tasks.mbpp import load_mbpp_task

    process = psutil.Process()
    rss_start = process.memory_info().rss
    session = Session(load_settings(), record=False)
    request = RunRequest(
        task=load_mbpp_task(task_number), pipeline=pipeline, roles=dict(roles)
    )
    resolved = session.resolve(request)
    provider = session.provider(resolved)
    for role in resolved.pipeline.required_roles():
        provider.get(role)
    rss_loaded = process.memory_info().rss
    status = "?"
    for event in session.run(request):
        if isinstance(event, RunFinished):
            status = event.status
    rss_end = process.memory_info().rss
    files = {
        str(spec.path.resolve()): spec.path.stat().st_size
        for spec in resolved.specs.values()
    }
    session.close()
    return {
        "task": task_number,
        "pipeline": pipeline,
        "status": status,
        "roles": {role: spec.model_id for role, spec in resolved.specs.items()},
        "model_files": files,
        "rss_start_bytes": rss_start,
        "rss_after_load_bytes": rss_loaded,
        "rss_end_bytes": rss_end,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", type=int, default=35)
    parser.add_argument("--pipeline", default="three-stage")
    for role, ref in DEFAULT_ROLES.items():
        parser.add_argument("--" + role.replace("_", "-"), dest=role, default=ref)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    roles = {role: getattr(args, role) for role in DEFAULT_ROLES}
    if args.child:
        print(json.dumps(child(args.task, args.pipeline, roles)))
        return
    command = [sys.executable, __file__, "--child", "--task", str(args.task)]
    command += ["--pipeline", args.pipeline]
    for role, ref in roles.items():
        command += ["--" + role.replace("_", "-"), ref]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"child failed:\n{done.stderr[-2000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    # ru_maxrss is in KiB on Linux; the child's own last reading can be a page higher.
    peak = max(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
        report["rss_end_bytes"],
        report["rss_after_load_bytes"],
    )
    files_total = sum(report["model_files"].values())
    report["peak_rss_bytes"] = peak
    report["model_files_total_bytes"] = files_total
    report["peak_over_files"] = round(peak / files_total, 3) if files_total else None
    if args.json:
        print(json.dumps(report, indent=2))
        return
    gib = 1024**3
    print(f"{report['pipeline']} run on MBPP {report['task']} ({report['status']}):")
    for role, model in report["roles"].items():
        print(f"  {role}: {model}")
    print(f"  distinct model files:  {files_total / gib:6.2f} GiB")
    print(f"  RSS before loading:    {report['rss_start_bytes'] / gib:6.2f} GiB")
    print(f"  RSS with all loaded:   {report['rss_after_load_bytes'] / gib:6.2f} GiB")
    print(f"  peak RSS of the run:   {peak / gib:6.2f} GiB")
    print(f"  peak / model files:    {report['peak_over_files']:6.2f}x")


if __name__ == "__main__":
    main()
