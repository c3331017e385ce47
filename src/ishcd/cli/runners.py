"""``ishcd runners …`` (site admins): registered runners and their registration tokens,
through the API. (``ishcd runner`` is the agent itself.)"""

from __future__ import annotations

import time
from typing import Annotated

import typer

from ishcd.cli import lists, tables
from ishcd.cli.connect import DEFAULT_URL, TokenOption, UrlOption, client_from, reporting_errors
from ishcd.client import Runner

runners_app = typer.Typer(
    help="Runners on other machines, and the tokens they register with (site admins).",
    no_args_is_help=True,
)
tokens_app = typer.Typer(help="Registration tokens for runners.", no_args_is_help=True)

RunnerArgument = Annotated[str, typer.Argument(help="The runner's id", show_default=False)]


def _runner_row(runner: Runner, now: float) -> tuple[str, ...]:
    contact = "never" if runner.last_contact is None else lists.ago(runner.last_contact, now)
    return (
        runner.name,
        runner.state,
        str(runner.running),
        ",".join(runner.labels),
        contact,
        runner.version or "",
        runner.host or "",
        runner.id,
    )


@runners_app.command("list")
def list_runners(
    as_json: lists.JsonOption = False, url: UrlOption = DEFAULT_URL, token: TokenOption = None
) -> None:
    """List registered runners: state (online, offline, paused), running runs, labels."""
    with client_from(url, token) as client, reporting_errors():
        found = list(client.runners().iter_all())
    now = time.time()
    headers = ("NAME", "STATE", "RUNNING", "LABELS", "CONTACT", "VERSION", "HOST", "ID")
    rows = [_runner_row(runner, now) for runner in found]
    tables.show(found, as_json, "runners", tables.table(headers, rows))


@runners_app.command("pause")
def pause_runner(
    runner: RunnerArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None
) -> None:
    """Pause a runner: it gets no new work; what it runs goes on."""
    with client_from(url, token) as client, reporting_errors():
        paused = client.runners(runner).pause()
    typer.echo(f"paused runner {paused.name}")


@runners_app.command("resume")
def resume_runner(
    runner: RunnerArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None
) -> None:
    """Resume a paused runner."""
    with client_from(url, token) as client, reporting_errors():
        resumed = client.runners(runner).resume()
    typer.echo(f"resumed runner {resumed.name} ({resumed.state})")


@runners_app.command("delete")
def delete_runner(
    runner: RunnerArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None
) -> None:
    """Delete a runner: its credential stops working at once."""
    with client_from(url, token) as client, reporting_errors():
        client.runners(runner).delete()
    typer.echo(f"deleted runner {runner}")


@tokens_app.command("create")
def create_registration_token(
    description: Annotated[
        str, typer.Argument(help="What the runners it registers are", show_default=False)
    ],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Make a registration token: printed once, alone on the last line."""
    with client_from(url, token) as client, reporting_errors():
        made = client.registration_tokens().create(description)
    typer.echo(f"created registration token {made.description!r}, id {made.id}; shown this once:")
    typer.echo(made.token)


@tokens_app.command("list")
def list_registration_tokens(
    as_json: lists.JsonOption = False, url: UrlOption = DEFAULT_URL, token: TokenOption = None
) -> None:
    """List registration tokens, newest first (never the tokens themselves)."""
    with client_from(url, token) as client, reporting_errors():
        found = list(client.registration_tokens().iter_all())
    now = time.time()
    rows = [
        (
            t.description,
            lists.ago(t.created, now),
            t.created_by or "",
            "never" if t.last_used is None else lists.ago(t.last_used, now),
            t.id,
        )
        for t in found
    ]
    headers = ("DESCRIPTION", "CREATED", "BY", "LAST USED", "ID")
    tables.show(found, as_json, "registration tokens", tables.table(headers, rows))


@tokens_app.command("revoke")
def revoke_registration_token(
    token_id: Annotated[str, typer.Argument(help="The token's id", show_default=False)],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Revoke a registration token: no more registrations; its runners keep working."""
    with client_from(url, token) as client, reporting_errors():
        client.registration_tokens(token_id).revoke()
    typer.echo(f"revoked registration token {token_id}")


def register(app: typer.Typer) -> None:
    runners_app.add_typer(tokens_app, name="tokens")
    app.add_typer(runners_app, name="runners")
