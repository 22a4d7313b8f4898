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

Each ``pages`` prints one JSON line: the median of 5 of each page's query set (bench.pages), in
the app's default view and in another period. The lake is read with the extensions loaded from the
PyPI packages' files (nothing is downloaded) and with ``parquet_metadata_cache`` on.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

import duckdb


def _load(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    site = Path(duckdb.__file__).resolve().parent.parent
    for name in names:
        found = sorted(site.glob(f"duckdb_extension_*/extensions/*/{name}.duckdb_extension"))
        if not found:
            raise SystemExit(f"no {name} extension beside DuckDB {duckdb.__version__}: pip install its package")
        con.execute(f"load '{found[-1]}'")


def _catalog(kind: str, lake: Path) -> str:
    if kind == "postgres":
        return "ducklake:postgres:" + os.environ["LAKE_PG_DSN"]
    return f"ducklake:sqlite:{lake}/meta.sqlite" if kind == "sqlite" else f"ducklake:{lake}/meta.ducklake"


def _load_lake(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    _load(con, "ducklake", *(["postgres_scanner"] if kind == "postgres" else ["sqlite_scanner"]))


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
    _load_lake(con, kind)
    t0 = time.perf_counter()
    con.execute(f"attach '{_catalog(kind, lake)}' as lake (data_path '{lake}/data/')")
    con.execute("begin")
    for table in tables:
        con.execute(f"create table lake.{table} as select * from main.{table}")
    con.execute("commit")
    size = sum(p.stat().st_size for p in (lake / "data").rglob("*") if p.is_file())
    print(f"lake ({kind} catalog): {time.perf_counter() - t0:.1f} s, {size / 1e6:.0f} MB of Parquet")


def pages(kind: str, target: Path) -> dict:
    from bench.pages import page_sets, through, timed, views

    con = duckdb.connect()
    if kind == "file":
        con.execute(f"attach '{target}' as warehouse (read_only)")
    else:
        _load_lake(con, kind)
        con.execute("set parquet_metadata_cache = true")
        con.execute(f"attach '{_catalog(kind, target)}' as warehouse (data_path '{target}/data/', read_only)")
    con.execute("use warehouse")
    through(con)
    rows = con.execute("select count(*) from participation").fetchone()[0]
    out: dict = {"duckdb": duckdb.__version__, "storage": kind, "rows": rows}
    for view, filters in zip(("default", "other"), views(con)):
        for page, fns in page_sets("ar", filters).items():
            out[f"{page}/{view}"] = round(timed(fns), 1)
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
    p.add_argument("storage", choices=["file", "sqlite", "duckdb", "postgres"])
    p.add_argument("target", type=Path)
    args = ap.parse_args()
    if args.what == "export":
        export(args.warehouse, args.out)
    elif args.what == "build":
        build(args.parquet, args.file, args.lake, args.catalog)
    else:
        print(json.dumps(pages(args.storage, args.target)))


if __name__ == "__main__":
    os.environ.setdefault("DASHBOARD_MODE", "internal")
    main()
