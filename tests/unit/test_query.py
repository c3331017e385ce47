from __future__ import annotations

import pytest
import sqlalchemy as sa

from ishcd.db.query import Query, check_columns, insert
from ishcd.db.tables import runs

T = sa.table("t", sa.column("a"), sa.column("b"))


def test_compiled_per_dialect_with_positional_parameters() -> None:
    query = Query(sa.select(T.c.a).where(T.c.a == sa.bindparam("x"), T.c.b == 5))
    sqlite = query.compiled("sqlite")
    assert "?" in sqlite.sql
    assert sqlite.args({"x": 1}) == (1, 5)
    pg = query.compiled("postgresql")
    assert "$1" in pg.sql
    assert pg.args({"x": 1}) == (1, 5)
    assert query.compiled("sqlite") is sqlite


def test_missing_required_parameter() -> None:
    query = Query(sa.select(T.c.a).where(T.c.a == sa.bindparam("x")))
    with pytest.raises(KeyError, match="'x'"):
        query.compiled("sqlite").args({})


def test_insert_defaults_nullable_columns() -> None:
    compiled = insert(runs, exclude=("seq",)).compiled("sqlite")
    assert "seq" not in compiled.names
    with pytest.raises(KeyError):
        compiled.args({})


def test_expanding_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="render-time"):
        Query(sa.select(T.c.a).where(T.c.a.in_([1, 2]))).compiled("sqlite")


def test_check_columns() -> None:
    check_columns(sa.select(T.c.a, T.c.b), ("a", "b"))
    with pytest.raises(AssertionError):
        check_columns(sa.select(T.c.b, T.c.a), ("a", "b"))
