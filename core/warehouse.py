"""Where the warehouse lives, and the one place where its two kinds differ.

- **A DuckDB file** (the default, ``WAREHOUSE_PATH``): the ETL builds a new file beside it and swaps
  it in; the app opens it read-only; its version is the file's inode, size and modification time.
- **A DuckLake** (``WAREHOUSE_URL=ducklake:...``): Parquet files under ``WAREHOUSE_DATA_PATH`` and a
  catalog in PostgreSQL (``ducklake:postgres:dbname=... host=...``, for several machines), SQLite
  (``ducklake:sqlite:PATH``) or DuckDB (``ducklake:PATH``). The ETL commits each run in one DuckLake
  transaction (etl/lake.py); the app attaches the lake read-only; its version is the lake's latest
  snapshot.

Everything else (the app's and the marts' SQL, the checks) sees the same tables under the name it
attaches them as. DuckLake's extensions are loaded from their PyPI packages' files: nothing is
downloaded at run time. A catalog's password never goes in ``WAREHOUSE_URL``: PostgreSQL reads it
from ``PGPASSWORD`` or ``PGPASSFILE``; ``shown()`` takes any ``password=`` out of what is printed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core import settings
from core.sqlfiles import quote_literal

LAKE_PREFIX = "ducklake:"
# the catalog's database kinds and the extension each needs beside ducklake
CATALOGS = {"postgres": "postgres_scanner", "sqlite": "sqlite_scanner", "duckdb": None}
PASSWORD = re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)
URI_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be opened: a catalog that does not answer, or a lake without DuckDB's
    DuckLake extensions. The message is one line and holds no password."""

    exit_code = 2


@dataclass(frozen=True)
class Warehouse:
    """The configured warehouse: a file (``path``) or a lake (``url``, ``data_path``)."""

    path: Path | None = None
    url: str | None = None
    data_path: Path | None = None

    @property
    def is_lake(self) -> bool:
        return self.url is not None

    @property
    def catalog(self) -> str:
        """The lake catalog's database kind: postgres, sqlite or duckdb."""
        rest = (self.url or "").removeprefix(LAKE_PREFIX)
        kind = rest.split(":", 1)[0]
        return kind if kind in ("postgres", "sqlite") else "duckdb"

    def __str__(self) -> str:
        return shown(self.url) if self.url else str(self.path)


def shown(text: str) -> str:
    """``text`` (a URL, a DSN, an error) with any password in it replaced by ***."""
    return URI_PASSWORD.sub(r"\1***@", PASSWORD.sub(r"\1***", text))


def one_line(exc: BaseException) -> str:
    """An error's text on one line, with no password in it."""
    return " ".join(shown(str(exc)).split())


def configured(path: Path | None = None) -> Warehouse:
    """The warehouse the settings name: ``WAREHOUSE_URL`` when set (a lake), else the file at
    ``path`` (a command's --warehouse) or ``WAREHOUSE_PATH``."""
    url = str(settings.get("WAREHOUSE_URL")).strip()
    if url and path is None:
        data = str(settings.get("WAREHOUSE_DATA_PATH")).strip()
        return Warehouse(url=url, data_path=settings.path("WAREHOUSE_DATA_PATH") if data else None)
    return Warehouse(path=path if path is not None else settings.path("WAREHOUSE_PATH"))


def _extension(name: str) -> Path:
    site = Path(duckdb.__file__).resolve().parent.parent
    found = sorted(site.glob(f"duckdb_extension_*/extensions/*/{name}.duckdb_extension"))
    if not found:
        raise WarehouseUnavailable(
            f"WAREHOUSE_URL names a DuckLake, which needs DuckDB's {name} extension for DuckDB "
            f"{duckdb.__version__}; none is installed: `make lake` builds .venv-lake (DuckDB 1.5.5 and the "
            "lake's extension packages, requirements-lake.txt); run the ETL and the app with .venv-lake/bin/"
        )
    return found[-1]


def load_lake(con: duckdb.DuckDBPyConnection, wh: Warehouse) -> None:
    """DuckLake's extensions, from the PyPI packages beside DuckDB (never downloaded)."""
    if wh.catalog == "postgres":  # an unreachable catalog fails in seconds, not minutes
        os.environ.setdefault("PGCONNECT_TIMEOUT", "10")
    for name in ("ducklake", CATALOGS[wh.catalog]):
        if name:
            con.execute(f"load {quote_literal(str(_extension(name)))}")


def attach(
    con: duckdb.DuckDBPyConnection,
    wh: Warehouse,
    alias: str,
    *,
    read_only: bool = True,
    snapshot: int | None = None,
) -> None:
    """Attach ``wh`` to ``con`` as ``alias``. A lake at ``snapshot`` reads that snapshot (time
    travel); a new lake is created on a writable attach, with its Parquet under the data path."""
    options = ["read_only"] if read_only else []
    if wh.is_lake:
        load_lake(con, wh)
        if wh.data_path is not None and not read_only:
            wh.data_path.mkdir(parents=True, exist_ok=True)
            options.append(f"data_path {quote_literal(str(wh.data_path) + os.sep)}")
        if snapshot is not None:
            options.append(f"snapshot_version {int(snapshot)}")
        target = wh.url or ""
    else:
        target = str(wh.path)
    opts = f" ({', '.join(options)})" if options else ""
    try:
        con.execute(f"attach {quote_literal(target)} as {alias}{opts}")
    except duckdb.Error as exc:
        if not wh.is_lake:
            raise
        raise WarehouseUnavailable(
            f"WAREHOUSE_URL={wh}: the lake's catalog cannot be opened: {one_line(exc)}"
        ) from None


def snapshot(con: duckdb.DuckDBPyConnection, alias: str) -> int:
    """The latest snapshot of the lake attached as ``alias``."""
    return int(con.execute(f"select max(snapshot_id) from {alias}.snapshots()").fetchone()[0])


def tables(con: duckdb.DuckDBPyConnection, alias: str) -> list[str]:
    """The tables of the database attached as ``alias``, by name."""
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = 'main' order by 1",
        [alias],
    ).fetchall()
    return [r[0] for r in rows]


def columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    """The (name, type) of each column of ``relation``: a table (``alias.table``) or a query."""
    return con.execute(f"select column_name, column_type from (describe {relation})").fetchall()


def lake_available() -> bool:
    """Whether this environment can open a DuckLake (DuckDB 1.5.5 and the extension packages)."""
    try:
        _extension("ducklake")
    except WarehouseUnavailable:
        return False
    return True
