"""Local admin commands, ``ishcd admin …``: work directly on a server's database and data dir.

They need no running server and no token (``ishcd users …`` and ``ishcd tokens …``
do the same through the API), so they are the way back in when no site admin
can log in.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer

from ishcd import exceptions
from ishcd.cli.options import DatabaseUrlOption, DataDirOption, settings_from

if TYPE_CHECKING:
    from ishcd.db.database import Database
    from ishcd.settings import Settings

admin_app = typer.Typer(
    help="Local admin commands on a server's data dir (no server, no token needed).",
    no_args_is_help=True,
)
users_app = typer.Typer(help="Create users on the data dir.", no_args_is_help=True)
tokens_app = typer.Typer(help="Create API tokens on the data dir.", no_args_is_help=True)
admin_app.add_typer(users_app, name="users")
admin_app.add_typer(tokens_app, name="tokens")


async def _open(settings: Settings) -> Database:
    # Imported here so client commands start fast.
    from ishcd.db import database, migrate

    url = settings.resolved_database_url
    await migrate.upgrade(url)
    return await database.connect(url)


def _fail(exc: exceptions.IshError) -> typer.Exit:
    typer.echo(f"error: {exc.message}", err=True)
    return typer.Exit(1)


@users_app.command("create")
def create_user(
    username: Annotated[str, typer.Argument(help="The new user's name")],
    admin: Annotated[bool, typer.Option("--admin", help="Make a site admin")] = False,
    password: Annotated[
        str | None, typer.Option(help="The password; a random one is made and printed if absent")
    ] = None,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Create a user."""
    from ishcd.services import passwords, users

    if password is not None and len(password) < passwords.MIN_LENGTH:
        typer.echo(
            f"error: the password must have at least {passwords.MIN_LENGTH} characters", err=True
        )
        raise typer.Exit(2)
    settings = settings_from(data_dir=data_dir, database_url=database_url)
    shown = password or passwords.generate()

    async def main() -> None:
        db = await _open(settings)
        try:
            hashed = await passwords.hash_password(shown)
            async with db.transaction() as conn:
                await users.create_user(
                    conn,
                    username,
                    password_hash=hashed,
                    is_admin=admin,
                    via="ishcd admin users create",
                )
        finally:
            await db.close()

    try:
        asyncio.run(main())
    except exceptions.IshError as exc:
        raise _fail(exc) from exc
    typer.echo(f"created user {username}{' (site admin)' if admin else ''}")
    if password is None:
        typer.echo(f"password: {shown}")


@tokens_app.command("create")
def create_token(
    user: Annotated[str, typer.Option("--user", help="Whose token")],
    name: Annotated[str, typer.Option("--name", help="What the token is for")],
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Create an API token; the token alone is printed on the last line."""
    from ishcd import keys
    from ishcd.db import users as users_db
    from ishcd.services import audit, tokens

    settings = settings_from(data_dir=data_dir, database_url=database_url)
    server_keys = keys.load_keys(settings.secret_key, settings.data_dir)

    async def main() -> str:
        db = await _open(settings)
        try:
            async with db.transaction() as conn:
                record = await users_db.get_user_by_username(conn, user)
                if record is None:
                    raise exceptions.NotFound(f"user {user!r} not found")
                new = await tokens.mint(conn, server_keys, record.id, name)
                details = {"via": "ishcd admin tokens create", "for": user}
                target = ("token", new.record.id, name)
                await audit.record(conn, None, "token.create", target=target, details=details)
                return new.token
        finally:
            await db.close()

    try:
        token = asyncio.run(main())
    except exceptions.IshError as exc:
        raise _fail(exc) from exc
    typer.echo(f"API token {name!r} for {user} (shown once):")
    typer.echo(token)


def register(app: typer.Typer) -> None:
    app.add_typer(admin_app, name="admin")
