"""The one helper that loads SQL from .sql files (named after what they produce), the ones that
quote an identifier or a literal, the one that makes sure a result is in its query's order, the one
that reads a query with parameters into Arrow, and the one that runs statements in one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa


@cache
def load_sql(folder: Path, name: str) -> str:
    """The text of ``folder/name.sql``; cached, since the files do not change while running."""
    path = folder / f"{name}.sql"
    return path.read_text(encoding="utf-8")


def quote_identifier(name: str) -> str:
    """``name`` as a SQL identifier, double-quoted with its own quotes doubled (SQL's rule), so a
    column header from a CSV can never end the identifier and run as SQL."""
    if not name or "\x00" in name:
        raise ValueError("an identifier must be a non-empty name without NUL characters")
    return '"' + name.replace('"', '""') + '"'


def reading(sql: str, table: str, instead: str, name: str) -> str:
    """``sql`` (the file ``name``) reading ``instead`` where it reads ``table``: its one ``from
    <table>`` line, replaced; an error if the file no longer has exactly one."""
    line = f"from {table}\n"
    if sql.count(line) != 1:
        raise RuntimeError(f"{name}: expected one `from {table}` to read {instead} in its place")
    return sql.replace(line, f"from {instead}\n")


def quote_literal(value: str) -> str:
    """``value`` as a SQL string literal, single-quoted with its own quotes doubled. Only where a
    statement takes no bound parameter: DuckDB 1.5 does not bind ATTACH's path (2.0 does)."""
    if "\x00" in value:
        raise ValueError("a literal cannot hold NUL characters")
    return "'" + value.replace("'", "''") + "'"


# DuckDB 1.5 (the lake's environment) reads a relation that has parameters into Arrow ten times as
# slowly as a DB-API result of the same query: 262,144 records of the ETL's chunk took 1.1-1.4 s,
# against 0.13 s (its whole table: 0.08 s). DuckDB 2.0 reads either fast, and warns that a DB-API
# result's Arrow is an extra copy of the rows.
_DBAPI_ARROW = int(duckdb.__version__.split(".")[0]) < 2


def arrow(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> pa.Table:
    """The rows of ``sql`` with its ``$name`` parameters bound to ``params``, as an Arrow table, by
    the fast way of this environment's DuckDB (``_DBAPI_ARROW``)."""
    if _DBAPI_ARROW:
        return con.execute(sql, params).to_arrow_table()
    return con.sql(sql, params=params).to_arrow_table()


def in_order(tbl: pa.Table, column: str = "pos") -> pa.Table:
    """``tbl`` with its rows in increasing ``column``, as its query's ORDER BY should have given it.
    The stages line columns up by position, so the order is checked, and restored when lost:
    DuckDB 1.5.5 drops the final ORDER BY from some plans (record_links.sql at 1M records came back
    in blocks out of order), where 2.0.1 keeps it. A no-op in the usual case (one pass of numpy)."""
    key = tbl.column(column).to_numpy()
    if len(key) > 1 and not (np.diff(key) > 0).all():
        tbl = tbl.take(pa.array(np.argsort(key, kind="stable")))
    return tbl


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The block's statements in one transaction on ``con`` (auto-commit otherwise): committed when
    the block ends, rolled back when it raises or is interrupted."""
    con.begin()
    try:
        yield
    except BaseException:
        con.rollback()
        raise
    con.commit()
