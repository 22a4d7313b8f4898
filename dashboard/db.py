"""Read-only access to the warehouse: one connection per warehouse version, a cursor per query.

The ETL swaps a new file in with ``os.replace``; the file's inode and modification time change, so
``warehouse_version()`` changes, the next query opens a connection to the new file and caches keyed
on the version are missed. A session never sees a half-built warehouse: it is never at this path.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from core import settings


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


@st.cache_data(max_entries=256, show_spinner=False)
def _query(sql: str, params: tuple, version: str) -> pd.DataFrame:
    con = _connection(str(warehouse_path()), version)
    cur = con.cursor()
    try:
        cur.execute("use warehouse")
        return cur.execute(sql, list(params)).df()
    finally:
        cur.close()


def query(sql: str, params: tuple = ()) -> pd.DataFrame:
    """Run a query with bound parameters against the current warehouse version; results cached."""
    return _query(sql, params, warehouse_version())
