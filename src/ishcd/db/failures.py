"""Driver errors as Ish CD's own: no SQL, constraint name or driver text reaches a client.

Both database modules turn what their driver raises into these, so a unique
violation is the same ``Duplicate`` on SQLite and PostgreSQL. The driver's
text goes to the server log, where an operator can read it.
"""

from __future__ import annotations

import logging

from ishcd import exceptions

log = logging.getLogger("ishcd.db")


def duplicate(exc: Exception) -> exceptions.Duplicate:
    log.debug("unique violation: %s", exc)
    return exceptions.Duplicate()


def conflict(exc: Exception) -> exceptions.Conflict:
    log.info("integrity error: %s", exc)
    return exceptions.Conflict("conflicts with existing data")


def unstorable(exc: Exception) -> exceptions.Unstorable:
    log.warning("value refused by the database: %s", exc)
    return exceptions.Unstorable()
