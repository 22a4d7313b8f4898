"""Analysts' corrections of a record's theme or sentiment: a small writable store beside the
read-only warehouse.

One SQLite file (the standard library's ``sqlite3``: no server, safe for several app sessions and
processes writing at once) holding one append-only table. Every correction is kept: the record,
the label, the old value and the new, who made it and when. For each record and label the latest
correction counts: the highest ``id``, which SQLite hands out under its write lock, so of two
analysts correcting the same record the later write wins whatever their clocks say, and both stay
in the history.

- The app writes here (the explorer's record view) and overlays the latest corrections on what it
  reads (``dashboard.db``): they show at once, before any ETL run.
- ``python -m etl run`` and ``reclassify`` apply them as they build (source ``analyst``), and say
  how many name records that are not in the warehouse: those are kept, never dropped.
- ``python -m etl.train --corrections WAREHOUSE`` adds the sentiment corrections to the training
  data.

The file is found by ``CORRECTIONS_PATH``, or, when that is empty, beside the warehouse
(``<warehouse>.corrections.sqlite``), so a warehouse and its corrections travel together. Reading
never creates it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from core import settings

LABELS = ("theme", "sentiment")
SENTIMENTS = ("negative", "neutral", "positive")
SCHEMA = """
create table if not exists correction (
    id integer primary key autoincrement,
    participation_id text not null,
    label text not null check (label in ('theme', 'sentiment')),
    old_value text,
    new_value text not null,
    corrected_by text not null,
    corrected_at text not null
);
create index if not exists correction_record on correction (participation_id);
"""
LATEST = """
select participation_id,
       max(case when label = 'theme' then new_value end) as theme,
       max(case when label = 'sentiment' then new_value end) as sentiment
from correction
where id in (select max(id) from correction group by participation_id, label)
group by participation_id
order by participation_id
"""


class CorrectionError(ValueError):
    """A correction that cannot be stored: said in one line, nothing written."""


@dataclass(frozen=True)
class Correction:
    id: int
    participation_id: str
    label: str
    old_value: str | None
    new_value: str
    corrected_by: str
    corrected_at: str


def store_path(warehouse: Path) -> Path:
    """The corrections file of ``warehouse``: ``CORRECTIONS_PATH`` when set, else beside it."""
    if str(settings.get("CORRECTIONS_PATH")).strip():
        return settings.path("CORRECTIONS_PATH")
    return warehouse.with_name(warehouse.name + ".corrections.sqlite")


def _open(path: Path, write: bool) -> sqlite3.Connection | None:
    if not write and not path.exists():
        return None
    if write:
        path.parent.mkdir(parents=True, exist_ok=True)
    # timeout: a second writer waits for the first instead of failing
    con = sqlite3.connect(path if write else f"file:{path}?mode=ro", timeout=10, uri=not write)
    if write:
        con.executescript(SCHEMA)
    return con


def record(
    path: Path,
    participation_id: str,
    label: str,
    old_value: str | None,
    new_value: str,
    corrected_by: str,
    allowed: Iterable[str],
    at: dt.datetime | None = None,
) -> int:
    """Store one correction and return its id. ``allowed`` is the label's codes (the themes of
    ``ref_theme``, or ``SENTIMENTS``): anything else is refused, as is a correction without an author."""
    allowed = set(allowed)
    if label not in LABELS:
        raise CorrectionError(f"{label!r} cannot be corrected; labels are {', '.join(LABELS)}")
    if new_value not in allowed:
        raise CorrectionError(f"{new_value!r} is not a {label}; choose one of {', '.join(sorted(allowed))}")
    if not participation_id or not corrected_by.strip():
        raise CorrectionError("a correction needs the record and who made it")
    when = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="seconds")
    con = _open(path, write=True)
    assert con is not None
    with closing(con), con:  # one transaction: committed on leaving, rolled back on an error
        cur = con.execute(
            "insert into correction (participation_id, label, old_value, new_value, corrected_by, corrected_at) "
            "values (?, ?, ?, ?, ?, ?)",
            (participation_id, label, old_value, new_value, corrected_by.strip(), when),
        )
        return int(cur.lastrowid or 0)


def version(path: Path) -> int:
    """The id of the latest correction (0: none): changes with every write, so caches keyed on it
    see a correction at once."""
    con = _open(path, write=False)
    if con is None:
        return 0
    with closing(con):
        try:
            return int(con.execute("select coalesce(max(id), 0) from correction").fetchone()[0])
        except sqlite3.OperationalError:  # created by a writer that has not made its table yet
            return 0


def latest(path: Path) -> list[tuple[str, str | None, str | None]]:
    """(participation_id, theme, sentiment) for every corrected record: each label's latest
    correction, None where that label was never corrected."""
    con = _open(path, write=False)
    if con is None:
        return []
    with closing(con):
        try:
            return [tuple(r) for r in con.execute(LATEST)]  # type: ignore[misc]
        except sqlite3.OperationalError:
            return []


def history(path: Path, participation_id: str) -> list[Correction]:
    """Every correction of one record, oldest first."""
    con = _open(path, write=False)
    if con is None:
        return []
    with closing(con):
        rows = con.execute(
            "select id, participation_id, label, old_value, new_value, corrected_by, corrected_at "
            "from correction where participation_id = ? order by id",
            (participation_id,),
        ).fetchall()
    return [Correction(*r) for r in rows]
