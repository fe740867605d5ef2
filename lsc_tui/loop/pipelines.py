"""Pipeline recipes: named, data-driven descriptions of how a run iterates.

Each ``gguf_recipes/pipelines/<name>.toml`` names the pipeline ``kind`` (the algorithm
in ``runner.py``), the default maximum of iterations, and per role the model
reference, context size and decoding settings.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from lsc_tui.engine.base import SamplingParams
from lsc_tui.errors import RecipeError

PipelineKind = Literal["one-shot", "feedback", "two-stage", "three-stage", "select"]
PIPELINE_NAMES = (
    "one-shot",
    "feedback",
    "two-stage",
    "three-stage",
    "select",
    "select-consensus",
    "select-asserts",
)
"""The shipped pipeline recipes, baseline first (report order, fallback lists)."""
PIPELINE_KINDS: tuple[str, ...] = get_args(PipelineKind)
MAX_EDGE_REPAIRS = 8
"""The most edge-case repair turns a recipe may give one candidate."""
_ROLE_NAMES = ("generator", "syntax_critic", "logic_critic")
_SAMPLING_KEYS = {
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "repeat_penalty",
    "seed",
}


@dataclass(frozen=True, slots=True)
class RoleConfig:
    """How one role is served: model reference, context size and decoding."""

    model: str
    n_ctx: int = 4096
    sampling: SamplingParams = field(default_factory=SamplingParams)


@dataclass(frozen=True, slots=True)
class Pipeline:
    """A named pipeline recipe."""

    name: str
    description: str
    kind: PipelineKind
    max_iters: int
    roles: Mapping[str, RoleConfig]
    sample_temperature: float = 0.8
    """Temperature of the extra samples a ``select`` pipeline draws."""
    sample_top_p: float = 0.95
    """Nucleus cut-off of those samples."""
    retry_temperature: float = 0.0
    """Generator temperature from iteration 2 on in loop pipelines; above 0 it stops
    a greedy small model from returning the very same failing code again."""
    consensus_support: int = 0
    """``select`` only: keep sampling until this many candidates that pass the
    visible tests also agree on probe inputs (``loop.consensus``); 0 keeps the
    first candidate that passes."""
    repair_rounds: int = 0
    """``select`` only: when no candidate passes the visible tests, feed the best
    failing candidate's raw error back to the generator (greedy) this many times."""
    tester_asserts: int = 0
    """``select`` only: once a sample (not the greedy candidate) passes the visible
    tests, the generator writes this many extra asserts (``loop.tester``); sampling
    goes on until a passing candidate also passes all of them, and the passing
    candidate that passes most of them is kept. 0 keeps the first that passes."""
    edge_repair: int = 0
    """``select`` only: once a candidate passes the visible tests, run it on boundary
    inputs (``loop.edges``); when it crashes on some, give the generator up to this
    many repair turns (the first greedy, the others samples, drawn
    ``sample_batch`` at a time), and keep the first repair that fixes a crash and
    changes nothing else."""
    plan_samples: int = 0
    """``select`` only: the last this many candidates are samples of a second
    prompt (``prompts.plan_messages``: a few lines of plan, then the code), drawn
    only when every candidate of the task prompt before them failed the visible
    tests. Different wording, not more of the same samples."""
    concise_samples: bool = False
    """``select`` only: the samples (not the greedy candidate; the repair turns
    have ``concise_repairs``) are asked for code without comments or docstrings
    (``prompts.CONCISE_INSTRUCTION``), so they are shorter to generate."""
    concise_repairs: bool = False
    """``select`` with ``[edges]`` only (``[edges] concise``): the edge-case repair
    turns are asked for code without comments or docstrings too; a repair rewrites
    the whole function, so its comments cost as much as a sample's."""
    sample_batch: int = 1
    """``select`` only: draw this many samples side by side in one llama.cpp batch
    (``engine.batch``), then check them in order. Above 1 the samples after the
    first visible pass of a batch are drawn for nothing; below the batch's cost
    that is still cheaper than drawing them one after another."""

    def required_roles(self) -> tuple[str, ...]:
        """The roles this pipeline's algorithm calls, in order."""
        return tuple(role for role in _ROLE_NAMES if role in self.roles)


def _sampling(raw: Mapping[str, Any], where: str) -> SamplingParams:
    unknown = set(raw) - _SAMPLING_KEYS - {"model", "n_ctx"}
    if unknown:
        raise RecipeError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    values = {k: raw[k] for k in _SAMPLING_KEYS if k in raw}
    try:
        return SamplingParams(**values)
    except TypeError as exc:
        raise RecipeError(f"{where}: {exc}") from None


def _select_count(
    data: Mapping[str, Any],
    table: str,
    key: str,
    kind: str,
    where: str,
    others: tuple[str, ...] = (),
) -> int:
    """A ``[table] key = N`` option that only ``select`` pipelines take (the
    table may also hold the keys ``others``, read elsewhere)."""
    raw = data.get(table, {})
    unknown = set(raw) - {key, *others}
    if unknown:
        raise RecipeError(f"{where}: unknown {table} key(s) {', '.join(unknown)}")
    value = raw.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RecipeError(f"{where}: {table}.{key} must be a whole number >= 0")
    if value and kind != "select":
        raise RecipeError(f"{where}: [{table}] applies to kind select only")
    return value


def parse_pipeline(data: Mapping[str, Any], where: str) -> Pipeline:
    """Validate one pipeline recipe's TOML data; ``where`` names it in errors."""
    allowed = {
        "name",
        "description",
        "kind",
        "max_iters",
        "roles",
        "sampling",
        "consensus",
        "repair",
        "tester",
        "edges",
        "plan",
    }
    unknown = set(data) - allowed
    if unknown:
        raise RecipeError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    kind = data.get("kind")
    if kind not in PIPELINE_KINDS:
        raise RecipeError(f"{where}: kind must be one of {', '.join(PIPELINE_KINDS)}")
    max_iters = data.get("max_iters", 3)
    if not isinstance(max_iters, int) or max_iters < 1:
        raise RecipeError(f"{where}: max_iters must be a positive integer")
    raw_roles = data.get("roles", {})
    if "generator" not in raw_roles:
        raise RecipeError(f"{where}: a [roles.generator] table is required")
    roles: dict[str, RoleConfig] = {}
    for role, raw in raw_roles.items():
        if role not in _ROLE_NAMES:
            raise RecipeError(f"{where}: unknown role {role!r}")
        if not isinstance(raw.get("model"), str):
            raise RecipeError(f"{where}: roles.{role}.model must be RECIPE[:QUANT]")
        roles[role] = RoleConfig(
            model=raw["model"],
            n_ctx=int(raw.get("n_ctx", 4096)),
            sampling=_sampling(raw, f"{where} roles.{role}"),
        )
    needs = {
        "two-stage": ("syntax_critic",),
        "three-stage": ("syntax_critic", "logic_critic"),
    }
    for role in needs.get(kind, ()):
        if role not in roles:
            raise RecipeError(f"{where}: kind {kind} needs a [roles.{role}] table")
    sampling = data.get("sampling", {})
    batch = sampling.get("batch", 1)
    if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= 8:
        raise RecipeError(f"{where}: sampling.batch must be a whole number 1-8")
    if batch > 1 and kind != "select":
        raise RecipeError(f"{where}: sampling.batch applies to kind select only")
    concise = sampling.get("concise", False)
    if not isinstance(concise, bool):
        raise RecipeError(f"{where}: sampling.concise must be true or false")
    if concise and kind != "select":
        raise RecipeError(f"{where}: sampling.concise applies to kind select only")
    support = _select_count(data, "consensus", "support", kind, where)
    rounds = _select_count(data, "repair", "rounds", kind, where)
    asserts = _select_count(data, "tester", "asserts", kind, where)
    edge_repair = _select_count(data, "edges", "repair", kind, where, ("concise",))
    concise_repairs = data.get("edges", {}).get("concise", False)
    if not isinstance(concise_repairs, bool):
        raise RecipeError(f"{where}: edges.concise must be true or false")
    if concise_repairs and not edge_repair:
        raise RecipeError(f"{where}: edges.concise needs edges.repair above 0")
    if asserts and support:
        raise RecipeError(
            f"{where}: [tester] and [consensus] are two ways to choose; use one"
        )
    if edge_repair > MAX_EDGE_REPAIRS:
        raise RecipeError(
            f"{where}: edges.repair must be a whole number 0-{MAX_EDGE_REPAIRS}"
        )
    plan = _select_count(data, "plan", "samples", kind, where)
    if plan and (asserts or support or rounds):
        raise RecipeError(
            f"{where}: [plan] draws the last candidates; it does not combine with "
            "[tester], [consensus] or [repair]"
        )
    if plan >= max_iters:
        raise RecipeError(f"{where}: plan.samples must be below max_iters")
    if edge_repair and (asserts or support):
        raise RecipeError(
            f"{where}: [edges] checks the first passing candidate; "
            "it does not combine with [tester] or [consensus]"
        )
    return Pipeline(
        name=str(data.get("name", "")),
        description=str(data.get("description", "")),
        kind=kind,
        max_iters=max_iters,
        roles=roles,
        sample_temperature=float(sampling.get("temperature", 0.8)),
        sample_top_p=float(sampling.get("top_p", 0.95)),
        retry_temperature=float(sampling.get("retry_temperature", 0.0)),
        consensus_support=support,
        repair_rounds=rounds,
        tester_asserts=asserts,
        edge_repair=edge_repair,
        plan_samples=plan,
        sample_batch=batch,
        concise_samples=concise,
        concise_repairs=concise_repairs,
    )


def pipelines_dir() -> Path:
    """The directory of pipeline recipes, beside the model recipes."""
    from lsc_tui.recipes.catalog import recipes_dir

    return recipes_dir() / "pipelines"


def load_pipelines(directory: Path | None = None) -> dict[str, Pipeline]:
    """Load and validate every pipeline recipe; ids are the file stems."""
    folder = directory or pipelines_dir()
    pipelines: dict[str, Pipeline] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise RecipeError(f"{path} is not valid TOML: {exc}") from None
        pipeline = parse_pipeline(data, str(path))
        if pipeline.name != path.stem:
            raise RecipeError(f"{path}: name must equal the file stem {path.stem!r}")
        pipelines[path.stem] = pipeline
    if not pipelines:
        raise RecipeError(f"no pipeline recipes found in {folder}")
    return pipelines


def get_pipeline(name: str, directory: Path | None = None) -> Pipeline:
    """One pipeline by id, with an error listing the valid ids."""
    pipelines = load_pipelines(directory)
    if name not in pipelines:
        raise RecipeError(
            f"unknown pipeline {name!r}; choose one of {', '.join(sorted(pipelines))}"
        )
    return pipelines[name]
