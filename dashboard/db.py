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

import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

import duckdb
import pandas as pd
import pyarrow as pa
import streamlit as st

from core import settings
from core.sqlfiles import load_sql, quote_identifier, quote_literal, reading
from core.warehouse import Warehouse, WarehouseUnavailable, attach, columns, configured, one_line, snapshot, tables
from etl import corrections
from etl.checks import DAILY_KEYS
from etl.lake import read_copy, replicate

SQL_DIR = Path(__file__).parent / "sql"
LABELLED = re.compile(r"theme|sentiment", re.IGNORECASE)  # the columns a correction changes, by name
# mart_daily's keys; every other column of it is a count, which a correction moves between keys
MART_KEYS = ("day", *DAILY_KEYS)
MART_SQL = "etl/sql/mart_daily.sql"  # the overlay reads it over the corrected records
LAKE_POLL_SECONDS = 2  # how often the app asks a lake's catalog for a newer snapshot
LAKE_VERSION = "lake-"  # a lake's version: this, then its snapshot (a file's is its inode, size and mtime)
READ_COPY = "+copy"  # after a lake's version: read from this machine's copy of the snapshot (etl.lake.replicate)
COPY_RETRY_SECONDS = 10  # after a copy that failed, or that another process was making: look again this late
# a lake's tables of one row per record (or more): read from the lake, never copied into memory
RECORD_LEVEL = frozenset(
    (
        "participation",
        "poll_answer",
        "quarantine",
        "duplicate_row",
        "record_file",
        "text_sketch",
        "action_participation",
    )
)


class WarehouseMissing(RuntimeError):
    """No warehouse at WAREHOUSE_PATH yet (or a lake with no tables yet)."""


def target() -> Warehouse:
    """The configured warehouse (core/warehouse.py); in public mode there is none: the public app
    opens only the snapshot."""
    from dashboard.access import AccessError, mode

    if mode() == "public":
        raise AccessError("public mode opens no warehouse, only the published snapshot")
    return configured()


def warehouse_path() -> Path | str:
    """Where the warehouse is, as the app says it: the file, or the lake's URL without a password."""
    wh = target()
    return wh.path if wh.path is not None else str(wh)


def warehouse_version() -> str:
    """Identifies the warehouse now being served: a file's inode, size and mtime (changes with
    every swap), or a lake's latest snapshot (changes with every commit), with ``READ_COPY`` once
    this machine's copy of that snapshot is ready (``WAREHOUSE_READ_COPY``)."""
    wh = target()
    if wh.is_lake:
        version = _lake_version(wh.url or "", int(time.monotonic() // LAKE_POLL_SECONDS))
        if not settings.get("WAREHOUSE_READ_COPY"):
            return version
        snap = int(version.removeprefix(LAKE_VERSION))
        if read_copy(wh, snap).exists():
            return version + READ_COPY
        _copy_soon(wh, snap)
        return version
    p = wh.path
    try:
        s = os.stat(p)
    except FileNotFoundError as exc:
        raise WarehouseMissing(str(p)) from exc
    return f"{s.st_ino}-{s.st_size}-{s.st_mtime_ns}"


def served_from() -> tuple[int, bool] | None:
    """On a lake: the snapshot the pages read, and whether from this machine's copy of it (else
    from the lake's files); None for a file."""
    version = warehouse_version()
    if not version.startswith(LAKE_VERSION):
        return None
    return int(version.removeprefix(LAKE_VERSION).removesuffix(READ_COPY)), version.endswith(READ_COPY)


_copying: dict[str, tuple[threading.Thread, float]] = {}  # per lake: the thread making its copy, and since when
_copying_lock = threading.Lock()


def _copy_soon(wh: Warehouse, snap: int) -> None:
    """Start making this machine's copy of the lake's snapshot ``snap`` in a thread of this process
    (a daemon: it ends with the server), unless one is at work, or ended less than
    ``COPY_RETRY_SECONDS`` ago without the copy (it failed, or another process is making it). The
    sessions read the lake meanwhile."""
    key = wh.url or ""
    with _copying_lock:
        thread, since = _copying.get(key, (None, 0.0))
        if thread is not None and (thread.is_alive() or time.monotonic() - since < COPY_RETRY_SECONDS):
            return
        thread = threading.Thread(target=_copy, args=(wh, snap), name=f"lake-copy-{snap}", daemon=True)
        _copying[key] = (thread, time.monotonic())
        thread.start()


def _copy(wh: Warehouse, snap: int) -> None:
    t0 = time.perf_counter()
    try:
        made = replicate(wh, snap)
    except Exception as exc:
        said = f"no copy of snapshot {snap} on this machine, the pages read the lake ({one_line(exc)})"
    else:
        if made is None:
            return
        said = f"the pages read this machine's copy of snapshot {snap} ({time.perf_counter() - t0:.1f} s to make)"
    print(f"{wh}: {said}", file=sys.stderr)


@st.cache_resource(max_entries=2, show_spinner=False)
def _catalog(url: str) -> duckdb.DuckDBPyConnection:
    """A connection that reads the lake's catalog only: which snapshot is the latest."""
    con = duckdb.connect()
    attach(con, Warehouse(url=url), "lake")
    return con


@st.cache_data(max_entries=4, show_spinner=False)
def _lake_version(url: str, tick: int) -> str:
    """The lake's latest snapshot, asked of the catalog at most once per ``LAKE_POLL_SECONDS``
    (``tick``), not once per query: a page's queries read the same snapshot."""
    del tick  # part of the cache key only
    cur = _catalog(url).cursor()
    try:
        if not tables(cur, "lake"):
            raise WarehouseMissing(str(Warehouse(url=url)))
        return f"{LAKE_VERSION}{snapshot(cur, 'lake')}"
    except duckdb.Error as exc:
        _catalog.clear()  # a catalog that went away: the next query connects again
        raise WarehouseUnavailable(f"{Warehouse(url=url)}: {one_line(exc)}") from None
    finally:
        cur.close()


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(where: str, version: str) -> duckdb.DuckDBPyConnection:
    """A private in-memory database with the warehouse attached read-only. Not
    ``duckdb.connect(path)``: DuckDB caches database instances by path within a process, so after
    a swap that would hand back the old file while any connection to it lives. A lake is attached
    at the snapshot ``version`` names, so every query of this connection reads that snapshot.

    Never closed by the cache: when a third warehouse version evicts it, a session that is still
    rendering may hold it, and a close would fail that session's next query. The garbage collector
    closes it once no session refers to it any more (a DuckDB connection closes when collected)."""
    if not version.startswith(LAKE_VERSION):
        return open_warehouse(Warehouse(path=Path(where)), version)
    lake = Warehouse(url=where)
    if version.endswith(READ_COPY):
        version = version.removesuffix(READ_COPY)
        try:
            return open_warehouse(Warehouse(path=read_copy(lake, int(version.removeprefix(LAKE_VERSION)))), version)
        except (duckdb.Error, WarehouseUnavailable):  # gone since: a copy of a newer snapshot replaced it
            pass
    return open_warehouse(lake, version)


def open_warehouse(wh: Warehouse, version: str) -> duckdb.DuckDBPyConnection:
    """A private in-memory database with the warehouse as ``warehouse``. A lake's snapshot
    (``version``) is read this way: its record-level tables (``RECORD_LEVEL``) as views over their
    Parquet files, every other table (the marts, the reference tables, the runs) copied into memory
    once per snapshot (``_parquet_files``). Then the lake is detached: while it is attached, each query
    first asks its catalog for the snapshot and its files, which cost the pages 2-8x their time on
    a file. A snapshot's files never change, so reading them directly reads that snapshot."""
    con = duckdb.connect()
    if not wh.is_lake:
        attach(con, wh, "warehouse")
        return con
    attach(con, wh, "lake", snapshot=int(version.removeprefix(LAKE_VERSION)))
    con.execute("attach ':memory:' as warehouse")
    through_lake = False
    for name in tables(con, "lake"):
        t = quote_identifier(name)
        table = f"select * from lake.main.{t}"
        files = _parquet_read(con, name) if name in RECORD_LEVEL else ""
        if files is None:  # only the lake reads it
            con.execute(f"create view warehouse.main.{t} as {table}")
            through_lake = True
        elif files:
            con.execute(f"create view warehouse.main.{t} as {files}")
        else:  # the marts, the reference tables, the runs, and empty tables: copied into memory
            con.execute(f"create table warehouse.main.{t} as {table}")
    con.execute("set parquet_metadata_cache = true")
    if not through_lake:  # while a lake is attached, each query asks its catalog first
        con.execute("detach lake")
    return con


def _parquet_read(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """The query that reads the lake table ``name`` at the attached snapshot from its Parquet files
    alone ("" for a table with no files), newest file first; None when only the lake reads it: rows
    deleted (an append's relinked and replaced records: DuckLake's delete files), encryption, files
    whose columns are not the table's, or fewer rows in the files than in the lake (rows kept in its
    catalog). DuckLake's own scan skips deleted positions as it reads; an anti join on file and
    position did the same at 1.4-2.6x its time at 10M records (bench/results.md, 2026-12-03).
    ``maintain`` writes such files again without their deleted rows."""
    files = con.execute(
        "select data_file, delete_file is not null or data_file_encryption_key is not null "
        "from ducklake_list_files('lake', ?) order by data_file desc",  # named by UUIDv7: newest first
        [name],
    ).fetchall()
    if not files:
        return ""
    if any(special for _, special in files):
        return None
    sql = f"select * from read_parquet([{', '.join(quote_literal(f) for f, _ in files)}])"
    lake_table = f"select * from lake.main.{quote_identifier(name)}"
    if columns(con, sql) != columns(con, lake_table):
        return None
    rows = "select count(*) from ({})"
    if con.execute(rows.format(sql)).fetchall() != con.execute(rows.format(lake_table)).fetchall():
        return None
    return sql


def corrections_path() -> Path:
    """The analysts' corrections of this warehouse (``CORRECTIONS_PATH``, or beside the file, or in
    a lake's data folder)."""
    wh = target()
    return corrections.store_path(wh.path if wh.path is not None else (wh.data_path or Path(".")) / "warehouse")


class Overlay(NamedTuple):
    """The corrections as the app reads them: the latest label of each corrected record, and the
    rows that move those records' counts in ``mart_daily`` (+1 under the corrected labels, -1 under
    the stored ones, for every count the mart holds)."""

    fixes: pa.Table
    mart_delta: pa.Table


def build_overlay(con: duckdb.DuckDBPyConnection, fixes: list[tuple]) -> Overlay:
    """The ``Overlay`` of ``fixes`` ((participation_id, theme, sentiment), as
    ``corrections.latest`` gives them) over the warehouse attached to ``con``. Built once per
    warehouse and corrections version: the mart's delta reads the corrected records' rows."""
    table = pa.table(
        {
            name: pa.array([f[i] for f in fixes], pa.string())
            for i, name in enumerate(("participation_id", "theme", "sentiment"))
        }
    )
    cur = con.cursor()
    try:
        cur.execute("use warehouse")
        cur.register("label_correction", table)
        cur.execute(load_sql(SQL_DIR, "overlay_participation"))
        cur.execute(load_sql(SQL_DIR, "overlay_rows"))
        mart = load_sql(Path(corrections.__file__).parent / "sql", "mart_daily")
        counts = [
            r[0]
            for r in cur.execute(
                "select column_name from duckdb_columns() where database_name = 'warehouse' "
                "and table_name = 'mart_daily' order by column_index"
            ).fetchall()
            if r[0] not in MART_KEYS
        ]
        minus = ", ".join([*MART_KEYS, *(f"-{c} as {c}" for c in counts)])
        delta = cur.sql(
            "select * from (" + reading(mart, "participation", "corrected_rows", MART_SQL) + ") "
            f"union all by name select {minus} from (" + reading(mart, "participation", "stored_rows", MART_SQL) + ")"
        ).to_arrow_table()
    finally:
        cur.close()
    return Overlay(table, delta)


def overlay(cur: duckdb.DuckDBPyConnection, over: Overlay) -> None:
    """``participation`` and ``mart_daily`` with the corrections over them, as temporary views on
    this cursor (found before the warehouse's tables of the same names): the pages' SQL is the same."""
    cur.register("label_correction", over.fixes)
    cur.execute(load_sql(SQL_DIR, "overlay_participation"))
    cur.register("mart_correction", over.mart_delta)
    cur.execute(
        "create or replace temp view mart_daily as "
        "select * from warehouse.main.mart_daily union all by name select * from mart_correction"
    )


@st.cache_resource(max_entries=4, show_spinner=False)
def _overlay(where: str, version: str, store: str, corrected: int) -> Overlay | None:
    """The overlay of this warehouse and corrections version (None: none, or a warehouse from
    before the labels' sources, to which the corrections apply at its next run)."""
    del corrected  # part of the cache key only
    fixes = corrections.latest(Path(store))
    if not fixes:
        return None
    try:
        return build_overlay(_connection(where, version), fixes)
    except (duckdb.BinderException, duckdb.CatalogException):
        return None


@st.cache_data(max_entries=256, show_spinner=False)
def _query(sql: str, params: tuple, version: str, corrected: int = 0) -> pd.DataFrame:
    wh = target()
    where = wh.url or str(wh.path)  # what _connection opens: the lake's URL, or the file
    con = _connection(where, version)
    # A query that reads no label (theme or sentiment, nor their confidence or source, nor a filter
    # on them) gives the same answer with the corrections and without: a correction only moves a
    # record between labels, and its mart rows sum to zero over any other grouping. Those skip it.
    labelled = corrected and LABELLED.search(sql)
    over = _overlay(where, version, str(corrections_path()), corrected) if labelled else None
    cur = con.cursor()
    try:
        cur.execute("use warehouse")
        if over is not None:
            overlay(cur, over)
        return cur.execute(sql, list(params)).df()
    finally:
        cur.close()


def query(sql: str, params: tuple = ()) -> pd.DataFrame:
    """Run a query with bound parameters against the current warehouse version, with the analysts'
    latest corrections over it; results cached."""
    return _query(sql, params, warehouse_version(), corrections.version(corrections_path()))
