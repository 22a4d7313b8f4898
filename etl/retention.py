"""``python -m etl purge-landing INPUT_DIR --older-than DAYS``: delete raw exports once loaded.

The raw exports hold personal data; under the PDPL it is kept no longer than needed. The warehouse
holds what was loaded, redacted, and `reclassify` works from it, so a file the manifest (`etl_file`)
shows as loaded by a successful run, with the same SHA-256, is no longer needed once it is older
than the retention period. Nothing else is ever deleted: a file never loaded, loaded by a failed
run, changed since, or newer than the period, stays. A dry run by default; ``--yes`` deletes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from core.clock import RIYADH
from etl.errors import ConfigError


@dataclass
class Purge:
    deletable: list[tuple[str, int]] = field(default_factory=list)  # (path, bytes)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


def file_sha256(path: Path) -> str:
    """A file's SHA-256, read a megabyte at a time (hashlib releases the GIL on large updates, so the
    run hashes its inputs on a thread while DuckDB reads them)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def modified_at(st: os.stat_result) -> dt.datetime:
    """A file's modification time as the manifest (etl_file.modified_at) stores it: Riyadh's clock."""
    return dt.datetime.fromtimestamp(st.st_mtime, RIYADH).replace(tzinfo=None)


def plan(input_dir: Path, warehouse: Path, older_than_days: int, now: dt.datetime | None = None) -> Purge:
    """What ``purge`` would delete under ``input_dir``, and what it keeps and why."""
    if older_than_days < 0:
        raise ConfigError(f"--older-than {older_than_days}: use a number of days, 0 or more")
    if not input_dir.is_dir():
        raise ConfigError(f"{input_dir}: input directory not found; pass the landing zone")
    if not warehouse.exists():
        raise ConfigError(f"{warehouse}: no warehouse there, so nothing is known to be loaded; nothing deleted")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        try:
            loaded = {
                r[0]
                for r in con.execute(
                    "select distinct f.sha256 from etl_file as f inner join etl_run as r using (run_id) "
                    "where r.status = 'success'"
                ).fetchall()
            }
        except duckdb.CatalogException:  # a warehouse from before the manifest
            loaded = set()
    finally:
        con.close()
    cutoff = (now or dt.datetime.now(dt.UTC)).timestamp() - older_than_days * 86400
    out = Purge()
    for path in sorted(p for p in input_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(input_dir).as_posix()
        if any(part.startswith(".") for part in Path(rel).parts):
            continue  # hidden files are not exports (the ETL passes them over too)
        st = path.stat()
        if st.st_mtime > cutoff:
            out.kept.append((rel, f"newer than {older_than_days} days"))
        elif file_sha256(path) not in loaded:
            out.kept.append((rel, "not loaded whole by a successful run (or changed since)"))
        else:
            out.deletable.append((rel, st.st_size))
    return out


def purge(input_dir: Path, planned: Purge) -> int:
    """Delete the planned files; how many were deleted."""
    for rel, _ in planned.deletable:
        (input_dir / rel).unlink(missing_ok=True)
    return len(planned.deletable)
