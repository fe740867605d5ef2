"""Every pipeline recipe loads, names real model recipes, and bad ones are rejected."""

from __future__ import annotations

import pytest

from lsc_tui.errors import RecipeError
from lsc_tui.loop.pipelines import (
    PIPELINE_KINDS,
    PIPELINE_NAMES,
    get_pipeline,
    load_pipelines,
    parse_pipeline,
)
from lsc_tui.recipes.catalog import load_catalog


def test_all_pipelines_load_and_reference_catalog_models() -> None:
    pipelines = load_pipelines()
    assert set(pipelines) == {
        "one-shot",
        "feedback",
        "two-stage",
        "three-stage",
        "select",
        "select-consensus",
        "select-asserts",
    }
    assert set(PIPELINE_NAMES) == set(pipelines)  # the report order names them all
    catalog = load_catalog()
    for pipeline in pipelines.values():
        assert pipeline.kind in PIPELINE_KINDS
        for role in pipeline.required_roles():
            ref = pipeline.roles[role].model
            recipe_id, _, quant = ref.partition(":")
            recipe = catalog.get(recipe_id)
            assert recipe.quant(quant or None) is not None


def test_seed_defaults_are_the_seed_models() -> None:
    three = get_pipeline("three-stage")
    assert three.max_iters == 3
    assert three.roles["generator"].model.startswith("qwen2.5-coder-1.5b-instruct")
    assert three.roles["syntax_critic"].model.startswith("deepseek-coder-1.3b-instruct")
    assert three.roles["logic_critic"].model.startswith("phi-3-mini")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "nope", "roles": {"generator": {"model": "x"}}}, "kind must be"),
        ({"kind": "one-shot", "roles": {}}, "roles.generator"),
        ({"kind": "three-stage", "roles": {"generator": {"model": "x"}}}, "needs"),
        (
            {
                "kind": "one-shot",
                "max_iters": 0,
                "roles": {"generator": {"model": "x"}},
            },
            "max_iters",
        ),
        (
            {"kind": "one-shot", "colour": 1, "roles": {"generator": {"model": "x"}}},
            "colour",
        ),
        (
            {"kind": "one-shot", "roles": {"generator": {"model": "x", "temp": 1}}},
            "temp",
        ),
    ],
)
def test_invalid_recipes_are_rejected(data: dict[str, object], message: str) -> None:
    with pytest.raises(RecipeError, match=message):
        parse_pipeline(data, "test.toml")


def test_consensus_repair_and_tester_tables_are_validated() -> None:
    from lsc_tui.errors import RecipeError
    from lsc_tui.loop.pipelines import get_pipeline, parse_pipeline

    assert get_pipeline("select-consensus").consensus_support == 2
    assert get_pipeline("select-asserts").tester_asserts == 5
    assert get_pipeline("select-asserts").consensus_support == 0
    select = get_pipeline("select")
    assert (select.consensus_support, select.repair_rounds) == (0, 0)
    assert select.tester_asserts == 0
    base = {
        "kind": "select",
        "max_iters": 3,
        "roles": {"generator": {"model": "m"}},
    }
    parsed = parse_pipeline(
        {**base, "consensus": {"support": 3}, "repair": {"rounds": 2}}, "x"
    )
    assert (parsed.consensus_support, parsed.repair_rounds) == (3, 2)
    with pytest.raises(RecipeError, match="use one"):
        parse_pipeline(
            {**base, "consensus": {"support": 2}, "tester": {"asserts": 5}}, "x"
        )
    for table, key in (
        ("consensus", "support"),
        ("repair", "rounds"),
        ("tester", "asserts"),
        ("edges", "repair"),
    ):
        for bad in ({key: -1}, {key: "2"}, {key: True}, {"votes": 2}):
            with pytest.raises(RecipeError, match=table):
                parse_pipeline({**base, table: bad}, "x")
        with pytest.raises(RecipeError, match="select only"):
            parse_pipeline({**base, "kind": "feedback", table: {key: 1}}, "x")


def test_edges_table_takes_up_to_8_repairs_and_only_the_first_pass_rule() -> None:
    from lsc_tui.errors import RecipeError
    from lsc_tui.loop.pipelines import get_pipeline, parse_pipeline

    assert get_pipeline("select").edge_repair == 4
    assert get_pipeline("select-consensus").edge_repair == 0
    base = {"kind": "select", "roles": {"generator": {"model": "m"}}}
    assert parse_pipeline({**base, "edges": {"repair": 1}}, "x").edge_repair == 1
    assert parse_pipeline(base, "x").edge_repair == 0
    assert parse_pipeline({**base, "edges": {"repair": 8}}, "x").edge_repair == 8
    with pytest.raises(RecipeError, match="0-8"):
        parse_pipeline({**base, "edges": {"repair": 9}}, "x")
    for other in ({"consensus": {"support": 2}}, {"tester": {"asserts": 5}}):
        with pytest.raises(RecipeError, match="does not combine"):
            parse_pipeline({**base, "edges": {"repair": 1}, **other}, "x")


def test_select_draws_all_17_candidates_from_the_task_prompt() -> None:
    """The shipped recipe: 17 task-prompt candidates (greedy, then four batches of
    4 concise samples), no plan prompt; the edge-case repair turns concise too."""
    from lsc_tui.loop.pipelines import get_pipeline

    select = get_pipeline("select")
    assert (select.max_iters, select.plan_samples) == (17, 0)
    assert (select.sample_batch, select.concise_samples) == (4, True)
    assert (select.edge_repair, select.concise_repairs) == (4, True)
    assert (select.max_iters - 1) % select.sample_batch == 0
