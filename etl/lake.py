"""The ETL on a DuckLake (``WAREHOUSE_URL=ducklake:...``): every command works as it does on a file.

A command checks the lake's latest snapshot out into a private DuckDB file (``checkout``) and runs
on it exactly as on the file kind: plan, build or append or reclassify, checks. A command that
changed it then commits every table back in **one DuckLake transaction** (``commit``), which is the
file kind's swap: readers see the previous snapshot until it commits, and a run that fails, is
killed or stopped before the commit leaves the lake at its previous snapshot (its Parquet files are
orphans, which ``python -m etl maintain`` deletes).

Several writers: when another writer committed since the checkout, the commit is a conflict
(DuckLake's own detection: both replaced the same tables), and the command runs again from the new
snapshot, so both writers' rows are in the lake and each run's bookkeeping accounts for them. A lake
whose catalog is a file (SQLite, DuckDB) takes one writer at a time, as the file kind does: a lock
beside the catalog.

The checkout holds the warehouse's redacted tables only (raw rows stay in the build, as on the
file kind), in a private temporary folder deleted at the end (a killed command's, by the next
command). After a commit it is kept instead, beside ``WAREHOUSE_PATH``, as this machine's copy of
the new snapshot: the next command starts from it rather than copying the lake out again. When
another writer committed since, that copy is brought forward by DuckLake's change feed
(``_bring_forward``), and only where it cannot be is the lake copied out.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from core import settings
from core.sqlfiles import quote_identifier, quote_literal
from core.warehouse import Warehouse, WarehouseUnavailable, attach, columns, one_line, snapshot, tables
from etl.delta import CHANGED, Changed
from etl.errors import EtlError
from etl.lifeline import remove_orphaned
from etl.pipeline import NEWEST_STORAGE

ATTEMPTS = 5  # runs of one command before it gives up on a lake that other writers keep changing
WRITES = ("run", "reclassify")  # the commands whose result is committed; the others only read
# How the lake's Parquet is written (DuckLake's options, kept in its catalog). Measured on the pages'
# queries at 1M records (bench/results.md, 2026-12-03): zstd and format 2's encodings halve the
# files (173 -> 98 MB) and row groups of 20,480 rows let a date filter skip more; together they took
# the explorer's queries from 2.0x to 1.5x the DuckDB file's time.
# No rows kept in the catalog itself ("inlined"): an append's few rows and deletes go to Parquet
# files, which is what the app reads (dashboard/db.py).
PARQUET_OPTIONS = {
    "parquet_compression": "zstd",
    "parquet_version": "2",
    "parquet_row_group_size": "20480",
    "data_inlining_row_limit": "0",
}
# The order a table's rows are written in, where it is not the checkout's. The pages read the newest
# participations first (the explorer, a theme's samples: order by submitted_at desc limit N); from a
# file written oldest first, DuckDB's Parquet reader reads nearly every row group before it has them
# (a theme's samples at 10M records: 117 ms, against 8 ms newest first). Nothing reads the stored
# order: every query that needs one says it. Costs the commit 0.2 s at 1M records, 3.8 s at 10M.
WRITE_ORDER = {"participation": "submitted_at desc, participation_id desc"}


class Conflict(EtlError):
    """Another writer committed to the lake since this command's checkout."""


@dataclass
class Checkout:
    """The lake's snapshot ``base`` as a private DuckDB file (``local``; absent for an empty lake)."""

    local: Path
    base: int
    names: list[str] = field(default_factory=list)
    stamp: tuple | None = None

    def changed(self) -> bool:
        """Whether the command swapped a new warehouse in (a new file at ``local``)."""
        return _stamp(self.local) != self.stamp


def _stamp(path: Path) -> tuple | None:
    try:
        s = path.stat()
    except FileNotFoundError:
        return None
    return (s.st_ino, s.st_size, s.st_mtime_ns)


def _connect(wh: Warehouse, read_only: bool, spill: Path, at: int | None = None) -> duckdb.DuckDBPyConnection:
    """The lake attached as ``lake``, with DuckDB held to ETL_MEMORY_LIMIT as the ETL's own
    connection is (etl/pipeline.py), spilling to the folder ``spill``: a build's commit sorts every
    row of participation (``WRITE_ORDER``), and unbounded it held 9.6 GB at 10M records."""
    for attempt in range(5):
        con = duckdb.connect(config=NEWEST_STORAGE)  # the checkout's file in the newest storage format
        con.execute("set memory_limit = ?", [settings.get("ETL_MEMORY_LIMIT")])
        con.execute("set temp_directory = ?", [str(spill)])
        try:
            attach(con, wh, "lake", read_only=read_only, snapshot=at)
            return con
        except WarehouseUnavailable as exc:
            con.close()
            # two writers creating a new lake at once: the second finds the first's catalog tables
            if "already exists" not in str(exc) or attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


@contextmanager
def _connected(wh: Warehouse, read_only: bool, at: int | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """``_connect``, spilling to a private folder; the connection closed and the folder deleted at
    the end (a killed command's folder, by the next command's ``checkout``)."""
    spill = Path(tempfile.mkdtemp(prefix=f"etl-lake-{os.getpid()}-"))
    try:
        con = _connect(wh, read_only, spill, at)
        try:
            yield con
        finally:
            con.close()
    finally:
        shutil.rmtree(spill, ignore_errors=True)


@contextmanager
def _writer_lock(wh: Warehouse) -> Iterator[None]:
    """A catalog in a file takes one writer at a time (PostgreSQL's takes many: no lock)."""
    if wh.catalog == "postgres":
        yield
        return
    catalog = Path((wh.url or "").removeprefix("ducklake:").removeprefix("sqlite:"))
    lock = catalog.with_name(f".{catalog.name}.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # waits for the other writer, as a second commit would
        yield


@contextmanager
def checkout(wh: Warehouse, *, create: bool, at: int | None = None) -> Iterator[Checkout]:
    """The lake's latest snapshot (or snapshot ``at``) as a DuckDB file in a private temporary
    folder. ``create``: a lake that does not exist yet is created (its first snapshot holds no table)."""
    remove_orphaned("etl-lake")  # checkouts and spill folders of commands that were killed
    work = Path(tempfile.mkdtemp(prefix=f"etl-lake-{os.getpid()}-"))
    try:
        with _connected(wh, read_only=not create or at is not None, at=at) as con:
            base = snapshot(con, "lake") if at is None else at
            names = tables(con, "lake")
            local = work / "warehouse.duckdb"
            kept = _kept(wh, base)
            if names and kept.exists():  # the snapshot this machine committed last: no copy out of the lake
                _link_or_copy(kept, local)
            elif names and not _bring_forward(con, wh, base, names, local):  # else every row, copied out
                _copy_out(con, names, base, local)
        yield Checkout(local, base, names, _stamp(local))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _bring_forward(
    con: duckdb.DuckDBPyConnection, wh: Warehouse, base: int, names: list[str], local: Path, kind: str = "lake"
) -> bool:
    """The lake's snapshot ``base`` at ``local`` from this machine's newest copy of an older snapshot
    (``_kept`` of ``kind``: the ETL's, or the app's "read" copies) and DuckLake's change feed between
    the two, instead of every row of the lake: a table that an append wrote by keys
    (``etl.delta.CHANGED``) gets the rows of the keys that changed; one that was made anew (the small
    tables every commit replaces) is copied whole. Each table must then hold as many rows as the
    lake's; False (and nothing at ``local``) where it cannot be done: no older copy, a snapshot
    expired, a table made anew that an append writes by keys, or a count that differs."""
    older = [snap for snap in _kept_copies(wh, kind) if snap < base]
    if not older:
        return False
    since = max(older)
    kept = _kept(wh, since, kind)
    t0 = time.perf_counter()
    try:
        made = {
            name.split(".", 1)[-1].strip('"')
            for (name,) in con.execute(
                "select unnest(coalesce(changes['tables_created'], [])) from lake.snapshots() "
                "where snapshot_id > ? and snapshot_id <= ?",
                [since, base],
            ).fetchall()
        }
        if made & set(CHANGED):
            return False  # a build or a reclassification since: nearly every row is new
        shutil.copyfile(kept, local)
        con.execute(f"attach {quote_literal(str(local))} as local")
        try:
            have = set(tables(con, "local"))
            for name in sorted(have - set(names)):
                con.execute(f"drop table local.{quote_identifier(name)}")
            for name in names:
                t = quote_identifier(name)
                if name in made or name not in have or name not in CHANGED:
                    _copy_table(con, name, base)
                    continue
                k = quote_identifier(CHANGED[name][0])
                con.execute(
                    f"create temp table _moved as select distinct {k} as k "
                    f"from lake.table_changes({quote_literal(name)}, {since + 1}, {base})"
                )
                try:
                    con.execute(f"delete from local.{t} where {k} in (select k from _moved)")
                    con.execute(
                        f"insert into local.{t} select * from lake.{t} at (version => {base}) "
                        f"where {k} in (select k from _moved)"
                    )
                finally:
                    con.execute("drop table _moved")
            for name in names:
                t = quote_identifier(name)
                here, there = (
                    con.execute(f"select count(*) from {db}.{t}{at}").fetchall()[0][0]
                    for db, at in (("local", ""), ("lake", f" at (version => {base})"))
                )
                if here != there:
                    raise EtlError(f"{name}: {here:,} rows brought forward, {there:,} in the lake")
        finally:
            con.execute("detach local")
    except (duckdb.Error, EtlError, OSError) as exc:
        print(f"{wh}: copying snapshot {base} out of the lake ({one_line(exc)})", file=sys.stderr)
        local.unlink(missing_ok=True)
        return False
    print(
        f"{wh}: snapshot {base} from this machine's copy of {since} and the changes since "
        f"({time.perf_counter() - t0:.1f} s)",
        file=sys.stderr,
    )
    return True


def _copy_table(con: duckdb.DuckDBPyConnection, name: str, snap: int) -> None:
    """Table ``name`` of the lake's snapshot ``snap``, every row, into the database attached as ``local``."""
    t = quote_identifier(name)
    con.execute(f"create or replace table local.{t} as select * from lake.{t} at (version => {snap})")


def _copy_out(con: duckdb.DuckDBPyConnection, names: list[str], snap: int, local: Path) -> None:
    """The tables ``names`` of the lake's snapshot ``snap``, every row, into a new DuckDB file at
    ``local`` (checkpointed when detached: one file)."""
    con.execute(f"attach {quote_literal(str(local))} as local")
    for name in names:
        _copy_table(con, name, snap)
    con.execute("detach local")


def _link_or_copy(src: Path, dst: Path) -> None:
    """``src`` at ``dst`` too: a hard link where both are on one file system (no 600 MB copy at 1M
    records; every command either reads its checkout or swaps a new file in, never writes it in
    place), else a copy."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def commit(wh: Warehouse, co: Checkout, changed: Changed | None = None) -> int:
    """The checkout's new warehouse in the lake, in one transaction; returns the new snapshot.
    ``Conflict`` when another writer committed since the checkout. Each table replaces the lake's,
    but those of an append's ``changed`` (etl/delta.py ``changed``: per table, a key column and the
    keys of the rows it inserted, updated or deleted): of those, the rows with these keys go and the
    checkout's rows with them come. At 10M records that writes 10,000 new rows and the few hundred
    stored ones relinked (2-3 s), where the whole tables took 21-25 s. It leaves delete files: the
    app reads such a table through the lake (dashboard/db.py) until ``maintain`` writes it again."""
    with _connected(wh, read_only=False) as con:
        con.execute(f"attach {quote_literal(str(co.local))} as local (read_only)")
        parquet_options(con)
        con.execute("begin")
        now = snapshot(con, "lake")
        if now != co.base:
            raise Conflict(f"{wh}: snapshot {now} was committed by another writer since this run read {co.base}")
        new = tables(con, "local")
        changed = changed or {}
        whole = [n for n in new if not (n in changed and n in co.names and write_rows(con, n, *changed[n]))]
        write_tables(con, "local", whole)
        for name in sorted(set(co.names) - set(new)):
            con.execute(f"drop table lake.{quote_identifier(name)}")
        try:
            con.execute("commit")
        except duckdb.TransactionException as exc:
            if "conflict" in str(exc).lower():
                raise Conflict(f"{wh}: another writer committed first ({one_line(exc)})") from None
            raise
        return snapshot(con, "lake")


def write_tables(con: duckdb.DuckDBPyConnection, source: str, names: list[str]) -> None:
    """The tables ``names`` of the database ``source`` written to (or over) the lake attached as
    ``lake``, each in its ``WRITE_ORDER``; within the caller's transaction."""
    for name in names:
        t = quote_identifier(name)
        order = f" order by {WRITE_ORDER[name]}" if name in WRITE_ORDER else ""
        con.execute(f"create or replace table lake.{t} as select * from {source}.{t}{order}")


def write_rows(con: duckdb.DuckDBPyConnection, name: str, key: str, keys: pa.Table) -> bool:
    """The lake's rows of table ``name`` whose ``key`` is one of ``keys`` replaced by the checkout's
    (attached as ``local``), within the caller's transaction. False where the table must go whole
    instead: the two tables' columns differ, or afterwards they hold different numbers of rows (the
    keys missed one: a bug in etl/delta.py CHANGED, said on stderr)."""
    t = quote_identifier(name)
    if columns(con, f"lake.{t}") != columns(con, f"local.{t}"):
        return False
    con.register("_keys", keys)
    try:
        k = quote_identifier(key)
        order = f" order by {WRITE_ORDER[name]}" if name in WRITE_ORDER else ""
        con.execute(f"delete from lake.{t} where {k} in (select k from _keys)")
        con.execute(f"insert into lake.{t} select * from local.{t} where {k} in (select k from _keys){order}")
    finally:
        con.unregister("_keys")
    lake, local = (con.execute(f"select count(*) from {db}.{t}").fetchall()[0][0] for db in ("lake", "local"))
    if lake != local:  # the keys missed a row: a bug in them, said; the table goes whole instead
        print(
            f"{name}: {lake:,} rows in the lake after the append's rows, {local:,} in the run; written whole",
            file=sys.stderr,
        )
        return False
    return True


def parquet_options(con: duckdb.DuckDBPyConnection) -> None:
    """``PARQUET_OPTIONS`` on the lake attached as ``lake``, each set once (a lake made before them
    gets them at its next commit; its old files stay as they are until ``maintain`` merges them)."""
    have = {
        name: str(value).lower().removeprefix("v")
        for name, value in con.execute(
            "select option_name, value from lake.options() where scope = 'GLOBAL'"
        ).fetchall()
    }
    for name, value in PARQUET_OPTIONS.items():
        if have.get(name) != value:
            con.execute("call lake.set_option(?, ?)", [name, value])


def around(wh: Warehouse, args: argparse.Namespace, command: Callable[[argparse.Namespace], int]) -> int:
    """Run ``command`` on a checkout of the lake, and commit what it changed; again from the new
    snapshot when another writer committed first."""
    writes = args.command in WRITES
    for attempt in range(1, ATTEMPTS + 1):
        at = getattr(args, "at_snapshot", None)
        with _writer_lock(wh) if writes else _no_lock(), checkout(wh, create=writes, at=at) as co:
            if not co.names and not writes:
                raise EtlError(f"{wh}: the lake holds no warehouse yet; build one with `python -m etl run INPUT_DIR`")
            args.warehouse, args.lake = str(co.local), str(wh)
            args.lake_snapshot = co.base
            args.changed = None
            done = command(args)
            if not writes or done != 0 or not co.changed():
                return done
            t0 = time.perf_counter()
            try:
                new = commit(wh, co, args.changed)
            except Conflict as exc:
                if attempt == ATTEMPTS:
                    raise EtlError(f"{exc}; gave up after {ATTEMPTS} runs: run again later") from None
                print(f"{exc}: running again on the new snapshot", file=sys.stderr)
                time.sleep(0.2 * attempt)
                continue
            print(f"committed snapshot {new} to {wh} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            _keep(wh, co.local, new)
            return done
    raise AssertionError("unreachable")


@contextmanager
def _no_lock() -> Iterator[None]:
    yield


def _kept(wh: Warehouse, snap: int, kind: str = "lake") -> Path:
    """This machine's copy of the lake's snapshot ``snap``, as its last commit left it: beside
    WAREHOUSE_PATH (which a lake does not use otherwise), named by the lake and the snapshot, so a
    copy is only ever taken for the snapshot it is. ``kind`` "read": the app's copy (``read_copy``)."""
    key = hashlib.sha256((wh.url or "").encode()).hexdigest()[:16]
    return settings.path("WAREHOUSE_PATH").parent / f".{kind}-{key}-{snap}.duckdb"


def _kept_copies(wh: Warehouse, kind: str = "lake") -> list[int]:
    """The snapshots of the lake that this machine keeps a copy of (``_kept``)."""
    first = _kept(wh, 0, kind)
    prefix = first.name.removesuffix("0.duckdb")  # ".lake-<key>-"
    snaps = (p.name.removeprefix(prefix).removesuffix(".duckdb") for p in first.parent.glob(f"{prefix}*.duckdb"))
    return sorted(int(snap) for snap in snaps if snap.isdigit())


def _keep(wh: Warehouse, local: Path, snap: int) -> None:
    """Keep the committed checkout as the copy of snapshot ``snap`` (the next run on this machine
    starts from it instead of copying the lake out: 9 s at 1M records), and drop older copies."""
    target = _kept(wh, snap)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        shutil.move(local, tmp)
        os.replace(tmp, target)  # whole or nothing: a copy is always a complete snapshot
    except OSError:
        tmp.unlink(missing_ok=True)
        return  # only a cache: the next run copies the lake out instead
    for old in _kept_copies(wh):
        if old != snap:
            _kept(wh, old).unlink(missing_ok=True)


def read_copy(wh: Warehouse, snap: int) -> Path:
    """Where the app on this machine keeps its copy of the lake's snapshot ``snap`` (``replicate``)."""
    return _kept(wh, snap, "read")


def replicate(wh: Warehouse, snap: int) -> Path | None:
    """The lake's snapshot ``snap`` as a DuckDB file that the app reads instead of the lake's Parquet
    (``read_copy``; the pages then take a file's time, where the lake's files took 1.5-3.8x it at
    10M records), made if it is not there yet: from the app's copy of an older snapshot and the
    change feed (``_bring_forward``), else by copying the ETL's kept copy of the same snapshot (a copy
    of its bytes, never a link: a reader's lock on it would then stop the ETL's writer), else every
    row copied out of the lake. Made under a temporary name and renamed whole, so a copy at
    ``read_copy`` is always a complete snapshot; older copies are then deleted (a connection that
    has one open reads on until it closes). None when another process on this machine is making
    one: the app reads the lake until it is there."""
    target = read_copy(wh, snap)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = target.name.removesuffix(f"{snap}.duckdb")  # ".read-<key>-"
    with (target.parent / f"{prefix}lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        if target.exists():  # made while this process looked
            return target
        for stale in target.parent.glob(f"{prefix}*.tmp*"):  # under the lock, only a killed maker's
            stale.unlink(missing_ok=True)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        try:
            _make_read_copy(wh, snap, tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        for old in _kept_copies(wh, "read"):
            if old < snap:
                read_copy(wh, old).unlink(missing_ok=True)
    return target


def _make_read_copy(wh: Warehouse, snap: int, local: Path) -> None:
    t0 = time.perf_counter()
    with _connected(wh, read_only=True, at=snap) as con:
        names = tables(con, "lake")
        if _bring_forward(con, wh, snap, names, local, "read"):
            return
        with contextlib.suppress(FileNotFoundError):  # the ETL's copy, unless its next commit just replaced it
            shutil.copyfile(_kept(wh, snap), local)
            print(f"{wh}: snapshot {snap} copied from this machine's ETL copy", file=sys.stderr)
            return
        _copy_out(con, names, snap, local)
        print(f"{wh}: snapshot {snap} copied out of the lake ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)


@dataclass
class Maintenance:
    """What ``maintain`` expired (or would), what it kept and why, and the files it deleted."""

    expired: list[int]
    kept: dict[int, str]
    files_deleted: int = 0


def published_snapshots(out: Path) -> set[int]:
    """The lake snapshots that publications under ``out`` were built from (``lake_snapshot`` in
    their metadata): kept, so that each publication can be rebuilt from its own data."""
    found = set()
    for path in out.glob("*/v*/data.json"):
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            snap = json.loads(path.read_text(encoding="utf-8"))["metadata"].get("lake_snapshot")
            if snap is not None:
                found.add(int(snap))
    return found


def maintain(wh: Warehouse, keep_days: int, published: Path, apply: bool) -> Maintenance:
    """Expire the snapshots older than ``keep_days`` that no publication names (never the latest),
    then merge small files and delete the files no snapshot reads any more (the old snapshots', and
    the orphans of runs killed before their commit). ``apply=False``: only say what would go."""
    with _connected(wh, read_only=not apply) as con:
        rows = con.execute(
            "select snapshot_id, snapshot_time < now() - to_days(cast(? as integer)) from lake.snapshots() order by 1",
            [keep_days],
        ).fetchall()
        named = published_snapshots(published)
        kept: dict[int, str] = {}
        expired = []
        for snap, old in rows:
            if snap == rows[-1][0]:
                kept[snap] = "the latest"
            elif snap in named:
                kept[snap] = "a publication was built from it"
            elif not old:
                kept[snap] = f"younger than {keep_days} days"
            else:
                expired.append(snap)
        deleted = 0
        if apply:
            if expired:
                con.execute(f"call ducklake_expire_snapshots('lake', versions => {[int(s) for s in expired]})")
            # rows kept in the catalog to files; files with rows deleted (an append's relinked and
            # replaced records) written again without them: the app reads such tables' files again
            con.execute("call ducklake_flush_inlined_data('lake')")
            con.execute("call ducklake_rewrite_data_files('lake', delete_threshold => 0)")
            con.execute("call ducklake_merge_adjacent_files('lake')")
            for fn in ("ducklake_cleanup_old_files", "ducklake_delete_orphaned_files"):
                deleted += len(con.execute(f"call {fn}('lake', cleanup_all => true)").fetchall())
        return Maintenance(expired, kept, deleted)
