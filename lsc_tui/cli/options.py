"""Option decorators shared by solve, mbpp, bench and tui."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

ROLE_FLAGS: tuple[tuple[str, str], ...] = (
    ("--generator", "generator"),
    ("--syntax-critic", "syntax_critic"),
    ("--logic-critic", "logic_critic"),
)


def model_role_options(func: F) -> F:
    """Add the three role flags (each RECIPE[:QUANT] or a .gguf path)."""
    for flag, role in reversed(ROLE_FLAGS):
        func = click.option(
            flag,
            role,
            metavar="RECIPE[:QUANT]|PATH",
            default=None,
            help=f"Model for the {role.replace('_', ' ')} role.",
        )(func)
    return func


def role_options(func: F) -> F:
    """Add --pipeline and the three role flags."""
    func = model_role_options(func)
    func = click.option(
        "--pipeline",
        "pipeline",
        default=None,
        metavar="NAME",
        help=(
            "Pipeline recipe: one-shot, feedback, two-stage, three-stage, select "
            "(the default), select-consensus, select-asserts."
        ),
    )(func)
    return func
