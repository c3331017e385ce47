"""The ``ishcd`` command: the server, the runner, admin commands and a client."""

from __future__ import annotations

from typing import Any

import typer

from ishcd.cli import (
    access,
    admin,
    config,
    jobs,
    lists,
    login,
    pipeline,
    pipeline_follow,
    projects,
    run,
    runner,
    runners,
    runs,
    secrets,
    server,
    users,
)

app = typer.Typer(
    name="ishcd",
    help="Ish CD: run ops jobs and CI/CD pipelines.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
server.register(app)
runner.register(app)
run.register(app)
projects.register(app)
jobs.register(app)
lists.register(app)
runs.register(app)
admin.register(app)
config.register(app)
pipeline.register(app)
login.register(app)
access.register(app)
secrets.register(app)
users.register(app)
runners.register(app)
pipeline_follow.register(app)


def placeholders(command: Any) -> None:
    """Give every parameter of ``command`` and its subcommands a real placeholder in help.

    typer's rich help shows a type (``--wait <bool>``, ``--branch <str>``) where a
    parameter has no metavar: a flag gets none (``--wait``), an option or argument
    its name (``--branch BRANCH``, ``PROJECT``), a choice its values.
    """
    help_option = command.get_help_option(command.context_class(command, info_name=command.name))
    for param in [*command.params, *([help_option] if help_option else [])]:
        if param.param_type_name == "argument":
            # The name column already shows PROJECT: no type (``<str>``) beside it.
            setattr(param, "display_type_rich", _no_type)  # noqa: B010 - on this object only
        if param.metavar is not None:
            continue
        if getattr(param, "is_flag", False) or getattr(param, "count", False):
            param.metavar = ""
        elif choices := _choices(param):
            param.metavar = "[" + "|".join(str(choice) for choice in choices) + "]"
        else:
            param.metavar = (param.name or "value").upper()
    for sub in getattr(command, "commands", {}).values():
        placeholders(sub)


def _no_type(ctx: object) -> None:
    return None


def _choices(param: Any) -> tuple[object, ...] | None:
    """A choice parameter's values (typer keeps them on its own type descriptor)."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is not None:
        found: tuple[object, ...] | None = descriptor.choices
        return found
    choices = getattr(getattr(param, "type", None), "choices", None)
    return None if choices is None else tuple(choices)


def command() -> Any:
    """The ``ishcd`` command as click runs it, with real placeholders in every help."""
    made = typer.main.get_command(app)
    placeholders(made)
    return made


def main() -> None:
    command()(prog_name="ishcd")
