"""Reference data (data/reference/*.csv): load it into the warehouse and build the code lookup.

Each table has a ``code`` and Arabic and English names; analysts edit the CSVs, not code. Export
values are matched to codes through the code itself, both names and the ``aliases`` column
(``|``-separated), all compared as normalised keys, so "منطقة الرياض", "الرياض" and "Riyadh" all
give ``riyadh``.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb
import pyarrow as pa

from core.sqlfiles import quote_identifier
from etl.errors import ConfigError
from etl.text import normalise_py

# warehouse table -> (csv file, canonical field whose values it codes)
TABLES: dict[str, tuple[str, str | None]] = {
    "ref_channel": ("channels.csv", "channel"),
    "ref_tool": ("tools.csv", "tool"),
    "ref_control": ("controls.csv", None),
    "ref_region": ("regions.csv", "region"),
    "ref_beneficiary_type": ("beneficiary_types.csv", "beneficiary_type"),
    "ref_theme": ("themes.csv", "theme"),
    "ref_moderation_status": ("moderation_statuses.csv", "moderation_status"),
    "ref_sentiment": ("sentiments.csv", None),
    "ref_language": ("languages.csv", "language"),
    "ref_action_status": ("action_statuses.csv", "status"),
}
REQUIRED_COLUMNS = ("code", "name_ar", "name_en")
_HEADER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def read_table(ref_dir: Path, filename: str) -> list[dict[str, str]]:
    p = ref_dir / filename
    if not p.exists():
        raise ConfigError(f"{p}: reference table missing; restore it from the repository or set REFERENCE_DIR")
    with p.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cols = rows[0].keys() if rows else []
    odd = [c for c in cols if c is None or not _HEADER.fullmatch(c)]
    if odd:
        raise ConfigError(
            f"{p}: column header {odd[0]!r} is not a name; headers are snake_case (letters, digits and _), "
            "and every row has as many cells as the header"
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    if missing:
        raise ConfigError(f"{p}: missing column(s) {', '.join(missing)}")
    codes = [r["code"] for r in rows]
    if len(set(codes)) != len(codes) or any(not c for c in codes):
        raise ConfigError(f"{p}: every row needs a code, and codes must be unique")
    return rows


def load(con: duckdb.DuckDBPyConnection, ref_dir: Path) -> None:
    """Create the ref_* tables and the temporary ``code_alias`` lookup (field, key, code)."""
    alias_rows: list[tuple[str, str, str]] = []
    for table, (filename, field) in TABLES.items():
        rows = read_table(ref_dir, filename)
        cols = list(rows[0].keys())
        arrow = pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in cols})
        con.register("_ref", arrow)
        code_type = "integer" if table == "ref_control" else "varchar"
        select = ", ".join(
            f"cast({quote_identifier(c)} as {code_type}) as code" if c == "code" else quote_identifier(c) for c in cols
        )
        con.execute(f"create or replace table {table} as select {select} from _ref")
        con.unregister("_ref")
        if field:
            for r in rows:
                names = [r["code"], r.get("name_ar", ""), r.get("name_en", "")]
                names += (r.get("aliases") or "").split("|")
                for name in names:
                    if name.strip():
                        alias_rows.append((field, normalise_py(name), r["code"]))
    con.register(
        "_alias",
        pa.table(
            {
                "field": [a[0] for a in alias_rows],
                "key": [a[1] for a in alias_rows],
                "code": [a[2] for a in alias_rows],
            }
        ),
    )
    con.execute("create or replace temp table code_alias as select distinct field, key, code from _alias")
    con.unregister("_alias")
    clash = con.execute(
        "select field, key from code_alias group by all having count(distinct code) > 1 limit 1"
    ).fetchone()
    if clash:
        raise ConfigError(f"{ref_dir}: the {clash[0]} alias {clash[1]!r} points to more than one code; keep one")
