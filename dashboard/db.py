"""Read-only access to the warehouse: one connection per warehouse version, a cursor per query.

The ETL swaps a new file in with ``os.replace``; the file's inode and modification time change, so
``warehouse_version()`` changes, the next query opens a connection to the new file and caches keyed
on the version are missed. A session never sees a half-built warehouse: it is never at this path.

The analysts' corrections (etl/corrections.py, a store beside the warehouse) show at once: when
there are any, each query's cursor reads ``participation`` and ``mart_daily`` through temporary
views of the same names that put the latest corrections over the warehouse's labels (source
``analyst``); the pages' SQL does not change. The corrections' version is part of every cache key,
so a correction made now is in the next query's answer.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from core import settings
from core.sqlfiles import load_sql
from etl import corrections

SQL_DIR = Path(__file__).parent / "sql"
# mart_daily's keys; every other column of it is a count, which a correction moves between keys
MART_KEYS = (
    "day",
    "channel",
    "tool",
    "region",
    "theme",
    "moderation_status",
    "language",
    "sentiment",
    "beneficiary_type",
    "moderation_control",
)


class WarehouseMissing(RuntimeError):
    """No warehouse at WAREHOUSE_PATH yet."""


def warehouse_path() -> Path:
    """The warehouse file; in public mode there is none: the public app opens only the snapshot."""
    from dashboard.access import AccessError, mode

    if mode() == "public":
        raise AccessError("public mode opens no warehouse, only the published snapshot")
    return settings.path("WAREHOUSE_PATH")


def warehouse_version() -> str:
    """Identifies the file now at WAREHOUSE_PATH (inode, size and mtime): changes with every swap."""
    p = warehouse_path()
    try:
        s = os.stat(p)
    except FileNotFoundError as exc:
        raise WarehouseMissing(str(p)) from exc
    return f"{s.st_ino}-{s.st_size}-{s.st_mtime_ns}"


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(path: str, version: str) -> duckdb.DuckDBPyConnection:
    """A private in-memory database with the warehouse attached read-only. Not
    ``duckdb.connect(path)``: DuckDB caches database instances by path within a process, so after
    a swap that would hand back the old file while any connection to it lives.

    Never closed by the cache: when a third warehouse version evicts it, a session that is still
    rendering may hold it, and a close would fail that session's next query. The garbage collector
    closes it once no session refers to it any more (a DuckDB connection closes when collected)."""
    del version  # part of the cache key only
    con = duckdb.connect()
    con.execute("attach ? as warehouse (read_only)", [path])
    return con


def corrections_path() -> Path:
    """The analysts' corrections of this warehouse (``CORRECTIONS_PATH``, or beside it)."""
    return corrections.store_path(warehouse_path())


@st.cache_data(max_entries=4, show_spinner=False)
def _corrections(path: str, corrected: int) -> pd.DataFrame:
    del corrected  # part of the cache key only
    return pd.DataFrame(
        corrections.latest(Path(path)), columns=["participation_id", "theme", "sentiment"], dtype="string"
    )


def _overlay(cur: duckdb.DuckDBPyConnection, fixes: pd.DataFrame) -> None:
    """``participation`` and ``mart_daily`` with the corrections over them, as temporary views on
    this cursor (found before the warehouse's tables of the same names)."""
    cur.register("label_correction", fixes)
    cur.execute(load_sql(SQL_DIR, "overlay_participation"))
    # mart_daily plus, for each corrected record, its counts under its corrected labels and minus
    # them under its stored ones: every page that sums the mart sums the corrected figures.
    mart = load_sql(Path(corrections.__file__).parent / "sql", "mart_daily")
    if mart.count("from participation\n") != 1:
        raise RuntimeError("etl/sql/mart_daily.sql: expected one `from participation` to overlay")
    counts = [
        r[0]
        for r in cur.execute(
            "select column_name from duckdb_columns() where database_name = 'warehouse' "
            "and table_name = 'mart_daily' order by column_index"
        ).fetchall()
        if r[0] not in MART_KEYS
    ]
    minus = ", ".join([*MART_KEYS, *(f"-{c} as {c}" for c in counts)])
    cur.execute(
        "create or replace temp view mart_daily as "
        "select * from warehouse.main.mart_daily "
        "union all by name select * from (" + mart.replace("from participation\n", "from corrected_rows\n") + ") "
        f"union all by name select {minus} from (" + mart.replace("from participation\n", "from stored_rows\n") + ")"
    )


@st.cache_data(max_entries=256, show_spinner=False)
def _query(sql: str, params: tuple, version: str, corrected: int = 0) -> pd.DataFrame:
    con = _connection(str(warehouse_path()), version)
    cur = con.cursor()
    try:
        cur.execute("use warehouse")
        if corrected:
            fixes = _corrections(str(corrections_path()), corrected)
            if len(fixes):
                # a warehouse from before the labels' sources: the corrections apply at its next run
                with contextlib.suppress(duckdb.BinderException, duckdb.CatalogException):
                    _overlay(cur, fixes)
        return cur.execute(sql, list(params)).df()
    finally:
        cur.close()


def query(sql: str, params: tuple = ()) -> pd.DataFrame:
    """Run a query with bound parameters against the current warehouse version, with the analysts'
    latest corrections over it; results cached."""
    return _query(sql, params, warehouse_version(), corrections.version(corrections_path()))
