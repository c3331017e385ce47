"""Core statements compiled once per dialect, executed on the raw driver.

Measured (DESIGN.md, and bench/): SQLAlchemy's execution layer costs more
than the query on the hot paths, so statements are built with SQLAlchemy Core
on the table metadata, compiled once per dialect into SQL text with
positional parameters, and run directly on ``sqlite3`` or ``asyncpg``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg
from sqlalchemy.dialects.sqlite import pysqlite
from sqlalchemy.engine.interfaces import Dialect

DIALECTS: dict[str, Dialect] = {
    "sqlite": pysqlite.dialect(paramstyle="qmark"),
    "postgresql": pg_asyncpg.dialect(),  # type: ignore[no-untyped-call]
}

_REQUIRED = object()


@dataclass(frozen=True, slots=True)
class Compiled:
    """SQL text for one dialect and how to order its parameters."""

    sql: str
    names: tuple[str, ...]
    defaults: tuple[Any, ...]

    def args(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        values = []
        for name, default in zip(self.names, self.defaults, strict=True):
            if name in params:
                values.append(params[name])
            elif default is _REQUIRED:
                raise KeyError(f"query parameter {name!r} is required")
            else:
                values.append(default)
        return tuple(values)


class Query:
    """A statement plus its compiled form for each dialect, made on first use."""

    __slots__ = ("_compiled", "statement")

    def __init__(self, statement: sa.Executable):
        self.statement = statement
        self._compiled: dict[str, Compiled] = {}

    def compiled(self, dialect: str) -> Compiled:
        found = self._compiled.get(dialect)
        if found is None:
            found = self._compiled[dialect] = compile_statement(self.statement, dialect)
        return found


def check_columns(statement: sa.Select[Any], fields: tuple[str, ...]) -> None:
    """Records are built positionally from rows: the select must match them exactly."""
    names = tuple(column.name for column in statement.selected_columns)
    if names != fields:
        raise AssertionError(f"columns {names} do not match record fields {fields}")


def insert(table: sa.Table, exclude: tuple[str, ...] = ()) -> Query:
    """An INSERT of every column of ``table`` (but ``exclude``); nullable ones default to NULL."""
    values: dict[str, sa.BindParameter[Any]] = {
        c.name: sa.bindparam(c.name, value=None, required=not c.nullable)
        for c in table.c
        if c.name not in exclude
    }
    return Query(sa.insert(table).values(values))


def compile_statement(statement: sa.Executable, dialect: str) -> Compiled:
    compiled = statement.compile(dialect=DIALECTS[dialect])  # type: ignore[attr-defined]
    if "POSTCOMPILE" in compiled.string:
        # Expanding IN parameters need values at compile time; write OR clauses instead.
        raise ValueError(f"statement needs render-time parameters: {compiled.string}")
    names = tuple(compiled.positiontup or ())
    defaults = []
    for name in names:
        bind = compiled.binds[name]
        defaults.append(_REQUIRED if bind.required else bind.effective_value)
    return Compiled(compiled.string, names, tuple(defaults))
