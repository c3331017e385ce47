"""Machine names made from display names, unique even when created at the same moment.

"My Job" becomes ``my-job``, or ``my-job-2`` when that is taken. Checking
first is not enough on PostgreSQL: two transactions can both find ``my-job``
free, and the second insert then breaks the unique constraint. So each insert
runs in a savepoint, and a duplicate moves on to the next number, which is
what SQLite (one writer at a time) gives anyway.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ishcd import exceptions
from ishcd.db.database import Connection
from ishcd.services import ids

# Inserts lost to concurrent ones before giving up (each moves to the next number).
MAX_RACES = 100


async def insert_named(
    conn: Connection,
    base: str,
    taken: Callable[[str], Awaitable[bool]],
    insert: Callable[[str], Awaitable[None]],
) -> str:
    """Insert (``insert(name)``) under the first free name of base, base-2, …; that name."""
    n, candidate, races = 1, base, 0
    while True:
        if not await taken(candidate):
            try:
                async with conn.savepoint():
                    await insert(candidate)
            except exceptions.Duplicate as exc:
                races += 1
                if races > MAX_RACES:
                    raise exceptions.Conflict(
                        f"no free machine name like {base!r}: too many created at once; try again"
                    ) from exc
            else:
                return candidate
        n += 1
        candidate = ids.with_suffix(base, n)


async def insert_as(
    insert: Callable[[str], Awaitable[None]], machine_name: str, taken_message: str
) -> None:
    """Insert under a name the client chose; taken (even just now) is a 409."""
    try:
        await insert(machine_name)
    except exceptions.Duplicate as exc:
        raise exceptions.Conflict(taken_message) from exc
