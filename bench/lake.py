"""Issue 26's first measurement: the pages' query sets over a DuckLake against a DuckDB file.

DuckLake's extensions on PyPI exist only for DuckDB 1.5.5, and this project runs 2.0.1, so the lake
is measured in an environment of its own. Measuring the file under both versions shows what the
version alone changes:

    python -m venv /tmp/v155
    /tmp/v155/bin/pip install -r <(grep -v '^duckdb==' requirements.txt) duckdb==1.5.5 \\
        duckdb-extension-ducklake==1.5.5 duckdb-extension-sqlite-scanner==1.5.5
    .venv/bin/python -m bench.lake export W.duckdb /tmp/export          # the warehouse as Parquet
    /tmp/v155/bin/python -m bench.lake build /tmp/export /tmp/w155.duckdb /tmp/lake-sqlite sqlite
    /tmp/v155/bin/python -m bench.lake build /tmp/export /tmp/w155.duckdb /tmp/lake-duckdb duckdb
    .venv/bin/python -m bench.lake pages file W.duckdb                  # DuckDB 2.0.1, the file
    /tmp/v155/bin/python -m bench.lake pages file /tmp/w155.duckdb      # DuckDB 1.5.5, the file
    /tmp/v155/bin/python -m bench.lake pages sqlite /tmp/lake-sqlite    # the lake, SQLite catalog
    /tmp/v155/bin/python -m bench.lake pages duckdb /tmp/lake-duckdb    # the lake, DuckDB catalog

A PostgreSQL catalog (the several-machines case) needs ``duckdb-extension-postgres-scanner==1.5.5``
and the connection in ``LAKE_PG_DSN`` (for example ``dbname=lake host=127.0.0.1 port=5433
user=postgres``), then ``postgres`` in place of ``sqlite`` above.

The ETL into a lake against into a file (in the lake's environment; ``LAKE_PG_DSN`` for postgres):
a build of a folder of exports, then a day's export appended, with each commit's time and how soon
after the append a reader polling the catalog sees its snapshot:

    .venv-lake/bin/python -m bench.lake etl /tmp/v1m/in /tmp/v1m/day.csv sqlite

The app's copy of a lake's snapshot on a machine of its own (``WAREHOUSE_READ_COPY``): made once
by copying the lake out, then after each commit brought forward by the change feed; the pages on it
are a file's (``pages file`` on the path it prints):

    .venv-lake/bin/python -m bench.lake copy ducklake:sqlite:/tmp/v1m/lake/meta.sqlite /tmp/v1m/app

Each ``pages`` prints one JSON line: the median of 5 of each page's query set (bench.pages), in
the app's default view and in another period. The lake is read with the extensions loaded from the
PyPI packages' files (nothing is downloaded) and with ``parquet_metadata_cache`` on.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from core.sqlfiles import quote_literal
from core.warehouse import Warehouse, load_lake
from etl.lake import parquet_options, write_tables

ROOT = Path(__file__).resolve().parent.parent


def _catalog(kind: str, lake: Path) -> str:
    if kind == "postgres":
        return "ducklake:postgres:" + os.environ["LAKE_PG_DSN"]
    return f"ducklake:sqlite:{lake}/meta.sqlite" if kind == "sqlite" else f"ducklake:{lake}/meta.ducklake"


def export(warehouse: Path, out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    con.execute(f"export database '{out}' (format parquet)")


def build(parquet: Path, file: Path, lake: Path, kind: str) -> None:
    """The exported warehouse as a DuckDB file of this version, and as a DuckLake (one commit)."""
    tables = sorted(p.stem for p in parquet.glob("*.parquet"))
    file.unlink(missing_ok=True)
    t0 = time.perf_counter()
    con = duckdb.connect(str(file))
    for table in tables:  # in the export's order: participation stays in time order
        con.execute(f"create table {table} as select * from read_parquet('{parquet / table}.parquet')")
    con.execute("checkpoint")
    print(f"file: {time.perf_counter() - t0:.1f} s")
    shutil.rmtree(lake, ignore_errors=True)
    (lake / "data").mkdir(parents=True)
    load_lake(con, Warehouse(url=_catalog(kind, lake)))
    con.execute(f"attach '{_catalog(kind, lake)}' as lake (data_path '{lake}/data/')")
    seconds = _fill(con, "main", tables)
    size = sum(p.stat().st_size for p in (lake / "data").rglob("*") if p.is_file())
    print(f"lake ({kind} catalog): {seconds:.1f} s, {size / 1e6:.0f} MB of Parquet")


def _fill(con: duckdb.DuckDBPyConnection, source: str, tables: list[str]) -> float:
    """The ``tables`` of the database ``source`` written to the lake attached as ``lake`` in one
    transaction, as etl/lake.py commits them; the seconds it took."""
    parquet_options(con)
    t0 = time.perf_counter()
    con.execute("begin")
    write_tables(con, source, tables)
    con.execute("commit")
    return time.perf_counter() - t0


def pages(kind: str, target: Path) -> dict:
    from bench.pages import page_sets, through, timed, views

    con = duckdb.connect()
    if kind == "file":
        con.execute(f"attach {quote_literal(str(target))} as warehouse (read_only)")
    elif kind.startswith("app-"):  # as the app opens a lake: the marts in memory (dashboard.db.open_warehouse)
        from core.warehouse import attach, snapshot
        from dashboard.db import LAKE_VERSION, open_warehouse

        wh = Warehouse(url=_catalog(kind.removeprefix("app-"), target))
        attach(con, wh, "probe")
        t0 = time.perf_counter()
        con = open_warehouse(wh, f"{LAKE_VERSION}{snapshot(con, 'probe')}")
        opened = time.perf_counter() - t0
        con.execute("set parquet_metadata_cache = true")
    else:
        load_lake(con, Warehouse(url=_catalog(kind, target)))
        con.execute("set parquet_metadata_cache = true")
        data = quote_literal(f"{target}/data/")
        con.execute(f"attach {quote_literal(_catalog(kind, target))} as warehouse (data_path {data}, read_only)")
    con.execute("use warehouse")
    through(con)
    rows = con.execute("select count(*) from participation").fetchone()[0]
    out: dict = {"duckdb": duckdb.__version__, "storage": kind, "rows": rows}
    if kind.startswith("app-"):
        out["open_snapshot_ms"] = round(opened * 1000)
    for view, filters in zip(("default", "other"), views(con)):
        for page, fns in page_sets("ar", filters).items():
            out[f"{page}/{view}"] = round(timed(fns), 1)
    return out


def copy(url: str, home: Path) -> dict:
    """The app's copy of the lake's latest snapshot (``etl.lake.replicate``) made on a machine whose
    copies are kept in ``home`` (its WAREHOUSE_PATH's folder): how long it took and how large it is.
    Its stderr line says how it was made: copied out of the lake (the first), brought forward from
    the copy of an older snapshot by the change feed, or copied from the ETL's copy on this machine.
    The pages on it: ``pages file`` on the path printed."""
    from core.warehouse import attach, snapshot
    from etl.lake import replicate

    os.environ["WAREHOUSE_PATH"] = str(home / "w.duckdb")
    wh = Warehouse(url=url)
    con = duckdb.connect()
    attach(con, wh, "lake")
    snap = snapshot(con, "lake")
    con.close()
    t0 = time.perf_counter()
    made = replicate(wh, snap)
    seconds = time.perf_counter() - t0
    if made is None:
        raise SystemExit("another process on this machine is making this copy")
    return {"snapshot": snap, "seconds": round(seconds, 2), "mb": round(made.stat().st_size / 1e6), "path": str(made)}


def _run(landing: Path, env: dict[str, str], *extra: str) -> tuple[float, float | None]:
    """``python -m etl run`` in a fresh process: its seconds, and its commit's (on a lake)."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "etl", "run", str(landing), *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    secs = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"etl run failed: {done.stderr.strip()[-500:]}")
    found = re.search(r"committed snapshot \d+ to .* in ([\d.]+) s", done.stderr)
    return secs, float(found.group(1)) if found else None


def _new_lake(kind: str, lake: Path, database: str) -> str:
    """The URL of a new lake of catalog ``kind``: under the folder ``lake``, or (postgres) in a
    database ``database`` made anew on LAKE_PG_DSN's server."""
    if kind == "postgres":
        from scripts.postgres import create_database

        return "ducklake:postgres:" + create_database(os.environ["LAKE_PG_DSN"], database)
    return _catalog(kind, lake)


def _file_env(salt: Path) -> dict[str, str]:
    """The environment of ``python -m etl run`` into a DuckDB file (its ``--warehouse``)."""
    env = {**os.environ, "SALT_PATH": str(salt), "PYTHONPATH": str(ROOT)}
    env.pop("WAREHOUSE_URL", None)
    return env


def _lake_env(salt: Path, url: str, work: Path) -> dict[str, str]:
    """The environment of ``python -m etl run`` into the lake at ``url``: its Parquet under
    ``work/lake/data``, the ETL's copy of the snapshot it committed under ``work/local``."""
    return {
        **_file_env(salt),
        "WAREHOUSE_URL": url,
        "WAREHOUSE_DATA_PATH": str(work / "lake" / "data"),
        "WAREHOUSE_PATH": str(work / "local" / "w.duckdb"),
    }


def etl(history: Path, day: Path, into: str, catalog: str, work: Path) -> dict:
    """The ETL into a DuckDB file against into a lake, with the same exports: a build of the history,
    then the day's export appended; and how long after the append's commit a reader that polls the
    catalog (as the app does) sees the new snapshot."""
    shutil.rmtree(work, ignore_errors=True)
    landing = work / "in"
    shutil.copytree(history, landing)
    salt = work / "salt"
    salt.write_text("bench-lake-salt-0123456789abcdef")
    base = _file_env(salt)
    url = _new_lake(catalog, work / "lake", "bench_lake")
    lake_env = _lake_env(salt, url, work)
    out: dict = {"duckdb": duckdb.__version__, "catalog": catalog}
    out["file_build_s"], _ = _run(landing, base, "--warehouse", str(work / "w.duckdb"), "--quiet")
    out["lake_build_s"], out["lake_build_commit_s"] = _run(landing, lake_env, "--quiet")
    shutil.copyfile(day, landing / into / day.name)
    out["file_append_s"], _ = _run(landing, base, "--warehouse", str(work / "w.duckdb"), "--quiet")
    out.update(_watched_append(landing, lake_env, url))
    for k in ("lake_build_s", "lake_append_s"):
        out[k.replace("lake", "ratio")] = round(out[k] / out[k.replace("lake", "file")], 2)
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}


def _watched_append(landing: Path, lake_env: dict[str, str], url: str) -> dict:
    """``python -m etl run`` on the lake at ``url`` (an append), with a reader on its own connection
    polling the catalog every 10 ms, as the app does: the run's and its commit's seconds, and when the
    reader saw the new snapshot."""
    import threading

    from core.warehouse import attach, snapshot

    reader = duckdb.connect()
    attach(reader, Warehouse(url=url), "lake")
    before = snapshot(reader, "lake")
    seen: list[float] = []

    def poll() -> None:
        while not seen:
            if snapshot(reader, "lake") > before:
                seen.append(time.perf_counter())
            time.sleep(0.01)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    t0 = time.perf_counter()
    secs, commit = _run(landing, lake_env, "--quiet")
    ended = time.perf_counter()
    watcher.join(timeout=30)
    reader.close()
    return {
        "lake_append_s": secs,
        "lake_append_commit_s": commit,
        "reader_sees_it_s_after_the_run_ends": round(seen[0] - ended, 3) if seen else None,
        "reader_sees_it_s_after_the_run_starts": round(seen[0] - t0, 2) if seen else None,
    }


def _day_after(day: Path, out: Path, n: int) -> None:
    """``day``'s export again as day ``n`` after it: new record ids, every time moved ``n`` days on."""
    shift = f"interval {int(n)} day"
    duckdb.sql(
        f"copy (select * replace ('d{int(n)}-' || source_record_id as source_record_id, "
        f"strftime(cast(submitted_at as timestamp) + {shift}, '%Y-%m-%d %H:%M:%S') as submitted_at, "
        f"strftime(cast(moderated_at as timestamp) + {shift}, '%Y-%m-%d %H:%M:%S') as moderated_at, "
        f"strftime(cast(responded_at as timestamp) + {shift}, '%Y-%m-%d %H:%M:%S') as responded_at) "
        f"from read_csv({quote_literal(str(day))}, all_varchar = true)) to {quote_literal(str(out))} (header)"
    )


def append(file: Path, landing: Path, day: Path, salt: Path, catalog: str, work: Path, into: str) -> dict:
    """Daily appends on a large warehouse: ``file`` (built by the ETL from ``landing``, or
    ``bench.pages.scaled`` from such a one) written to a new lake in one transaction, then two days'
    exports (``day`` moved one and two days on) appended to each, the file and the lake, by
    ``python -m etl run``. The first append on the lake copies its snapshot out (no run on this
    machine committed it); the second starts from the copy the first kept, as a daily run does."""
    shutil.rmtree(work, ignore_errors=True)
    (work / "lake" / "data").mkdir(parents=True)
    shutil.copytree(landing, work / "in", copy_function=os.link)
    shutil.copyfile(file, work / "w.duckdb")
    base = _file_env(salt)
    url = _new_lake(catalog, work / "lake", "bench_lake_append")
    con = duckdb.connect()
    con.execute(f"attach {quote_literal(str(file))} as src (read_only)")
    load_lake(con, Warehouse(url=url))
    data = quote_literal(str(work / "lake" / "data") + os.sep)
    con.execute(f"attach {quote_literal(url)} as lake (data_path {data})")
    names = [n for (n,) in con.execute("select table_name from duckdb_tables() where database_name = 'src'").fetchall()]
    out: dict = {"duckdb": duckdb.__version__, "catalog": catalog}
    out["lake_written_s"] = _fill(con, "src", names)
    (out["rows"],) = con.execute("select count(*) from src.participation").fetchone()
    con.close()
    lake_env = _lake_env(salt, url, work)
    for n in (1, 2):
        _day_after(day, work / "in" / into / f"day-after-{n}.csv", n)
        out[f"file_append{n}_s"], _ = _run(work / "in", base, "--warehouse", str(work / "w.duckdb"), "--quiet")
        lake = _watched_append(work / "in", lake_env, url)
        out.update(
            {
                f"{k}_append{n}" if k.startswith("reader") else k.replace("append", f"append{n}"): v
                for k, v in lake.items()
            }
        )
        out[f"ratio_append{n}"] = out[f"lake_append{n}_s"] / out[f"file_append{n}_s"]
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}


def whole(rows: int, work: Path) -> dict:
    """Issue 26's figures in one command, on ``rows`` varied records made here: the ETL into a file
    and into a lake (SQLite catalog), a build and a 10,000-record day appended (``etl``); the app's
    copy of the lake on a machine of its own, copied out, then brought forward after the next day's
    append (``copy``); then the pages on the ETL's file of that snapshot, on the app's copy and on
    the lake's files (``pages``), each against the file's."""
    from bench.__main__ import step
    from bench.delta import _split

    shutil.rmtree(work, ignore_errors=True)
    step("canonical", str(rows + 10_000), str(work / "gen"), "42", "varied")
    history, day = work / "history", work / "day.csv"
    _split(work / "gen" / "canonical" / "participations.csv", history / "canonical" / "history.csv", day, 10_000)
    shutil.rmtree(work / "gen")
    run = work / "run"
    out: dict = {"rows": rows, "etl": etl(history, day, "canonical", "sqlite", run)}
    url = _catalog("sqlite", run / "lake")  # the lake ``etl`` made
    out["copy_first"] = copy(url, work / "app")  # a new app machine: copied out
    _day_after(day, run / "in" / "canonical" / "day-after-1.csv", 1)
    lake_env = _lake_env(run / "salt", url, run)
    seconds, _ = _run(run / "in", lake_env, "--quiet")
    out["lake_second_append_s"] = round(seconds, 2)
    out["copy_after_append"] = copy(url, work / "app")  # brought forward by the change feed
    copied = Path(out["copy_after_append"]["path"])
    (etl_file,) = (run / "local").glob(f".lake-*-{out['copy_after_append']['snapshot']}.duckdb")  # the ETL's own
    measured = {
        "file": pages("file", etl_file),
        "copy": pages("file", copied),
        "lake": pages("app-sqlite", run / "lake"),
    }
    for kind in ("copy", "lake"):
        out[f"pages_{kind}_against_file"] = {
            k: round(v / measured["file"][k], 2) for k, v in measured[kind].items() if "/" in k and measured["file"][k]
        }
    out["pages_ms"] = {kind: {k: v for k, v in m.items() if "/" in k} for kind, m in measured.items()}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="what", required=True)
    e = sub.add_parser("export")
    e.add_argument("warehouse", type=Path)
    e.add_argument("out", type=Path)
    b = sub.add_parser("build")
    b.add_argument("parquet", type=Path)
    b.add_argument("file", type=Path)
    b.add_argument("lake", type=Path)
    b.add_argument("catalog", choices=["sqlite", "duckdb", "postgres"])
    p = sub.add_parser("pages")
    p.add_argument(
        "storage", choices=["file", "sqlite", "duckdb", "postgres", "app-sqlite", "app-duckdb", "app-postgres"]
    )
    p.add_argument("target", type=Path)
    r = sub.add_parser("etl")
    r.add_argument("history", type=Path, help="a folder of exports (the history)")
    r.add_argument("day", type=Path, help="the day's export, appended beside them")
    r.add_argument("catalog", choices=["sqlite", "duckdb", "postgres"])
    r.add_argument("--into", default="canonical", help="the folder under the history the day's export goes to")
    r.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bench-lake-etl")
    c = sub.add_parser("copy", help="the app's copy of the lake's latest snapshot, made on this machine")
    c.add_argument("url", help="the lake's WAREHOUSE_URL")
    c.add_argument("home", type=Path, help="the app machine's folder of copies (its WAREHOUSE_PATH's folder)")
    w = sub.add_parser("all", help="issue 26's figures at one size: ETL, the app's copy, the pages")
    w.add_argument("--rows", type=int, default=1_000_000)
    w.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bench-lake-all")
    a = sub.add_parser("append")
    a.add_argument("file", type=Path, help="a warehouse built by the ETL (or bench.pages.scaled from one)")
    a.add_argument("landing", type=Path, help="the exports it was built from")
    a.add_argument("day", type=Path, help="a day's export: appended as the next day, then the day after")
    a.add_argument("salt", type=Path, help="the salt it was built with")
    a.add_argument("catalog", choices=["sqlite", "duckdb", "postgres"])
    a.add_argument("--into", default="canonical", help="the folder under the landing the days' exports go to")
    a.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bench-lake-append")
    args = ap.parse_args()
    if args.what == "append":
        print(json.dumps(append(args.file, args.landing, args.day, args.salt, args.catalog, args.work, args.into)))
    elif args.what == "all":
        print(json.dumps(whole(args.rows, args.work)))
    elif args.what == "copy":
        print(json.dumps(copy(args.url, args.home)))
    elif args.what == "export":
        export(args.warehouse, args.out)
    elif args.what == "build":
        build(args.parquet, args.file, args.lake, args.catalog)
    elif args.what == "etl":
        print(json.dumps(etl(args.history, args.day, args.into, args.catalog, args.work)))
    else:
        print(json.dumps(pages(args.storage, args.target)))


if __name__ == "__main__":
    os.environ.setdefault("DASHBOARD_MODE", "internal")
    main()
