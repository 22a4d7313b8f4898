"""Incremental runs: only the exports that are new or changed since the last load, added to a copy of
the warehouse (``python -m etl run`` chooses it, etl/fingerprint.py; the flow is pipeline._build's).

What a full build would compute across all records is computed across the warehouse's records and
the new ones together, from what the warehouse keeps, so that a sequence of daily runs gives the same
warehouse as one build from the same exports (a test compares every table but the run bookkeeping):

- **ids**: a record whose (source, id) the warehouse already holds is a repeated row, like a record
  exported twice within one build (the earlier file's row is the record: the warehouse's);
- **re-exported files**: a file loaded before whose content changed brings its records again; the
  ones it brought before go first (``record_file`` says which file brought each record);
- **near-duplicates**: the clusters of every distinct normalised text, old and new, found again
  from their sketches (``text_sketch`` keeps the stored texts': only the new texts' are computed;
  ``etl.similar``: the same set of texts gives the same clusters, and the clusters of old texts may
  change when a new text joins them);
- **repeats and campaigns** (record_links.sql): found again over every record's narrow keys; the
  stored records whose links changed are updated, with their screens for control 7;
- **marts**: mart_daily for the days that gained, lost or changed records; the small ones anew.

The text, the rules and the model run on the new records only: that is most of a build's cost. What
is not matched exactly: an id seen in both a new file and an old one keeps the old file's row, where
a build would keep the row of the file whose path sorts first (exports named by date sort in time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from core.settings import get as setting
from core.sqlfiles import arrow, load_sql, reading, transaction
from etl import sketch

SQL_DIR = Path(__file__).parent / "sql"


@dataclass(frozen=True)
class Appending:
    """What an incremental run reads: the new and changed files (paths under the input directory),
    and of those, the changed ones, whose earlier records go (``replaced``)."""

    files: tuple[str, ...]
    replaced: tuple[str, ...] = ()


def forget(con: duckdb.DuckDBPyConnection, replaced: tuple[str, ...]) -> int:
    """Remove what the re-exported files ``replaced`` brought before: their records, poll answers,
    quarantined and repeated rows. The days their records were on go into ``touched_day``.
    Returns how many records (participations and actions) went."""
    con.execute("create temp table touched_day (day date)")
    # what the records that go were linked by (link_keys.sql: the groups and clusters they leave)
    con.execute("create temp table gone_keys (sender_hash varchar, cluster varchar, text_hash ubigint)")
    con.execute("create temp table replaced_file as select unnest(?::varchar[]) as file", [list(replaced)])
    con.execute(
        "create temp table gone as select kind, record_id from record_file semi join replaced_file using (file)"
    )
    if not replaced:
        return 0
    gone_p = "(select record_id from gone where kind = 'participation')"
    con.execute(
        "insert into touched_day select distinct cast(submitted_at as date) from participation "
        f"where participation_id in {gone_p}"
    )
    con.execute(
        "insert into gone_keys select sender_hash, text_cluster, text_hash from participation "
        f"where participation_id in {gone_p}"
    )
    n = con.execute("select count(*) from gone").fetchone()[0]
    con.execute(f"delete from participation where participation_id in {gone_p}")
    # the sketches of texts no record holds any more: a build from the same exports has none of them
    con.execute(
        "delete from text_sketch where h not in (select text_hash from participation where text_hash is not null)"
    )
    con.execute(f"delete from poll_answer where participation_id in {gone_p}")
    con.execute("delete from improvement_action where action_id in (select record_id from gone where kind = 'action')")
    for table in ("record_file", "quarantine", "duplicate_row"):
        con.execute(f"delete from {table} where file in (select file from replaced_file)")
    return n


def against_history(con: duckdb.DuckDBPyConnection) -> None:
    """A record the warehouse holds already is, in the new files, a repeated row (occurrence > 1)."""
    con.execute(
        "update stg_identified set occurrence = occurrence + 1 "
        "where participation_id in (select participation_id from participation)"
    )


def actions_against_history(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "update stg_action set occurrence = occurrence + 1 where occurrence is not null "
        "and (source, action_id) in (select (source, action_id) from improvement_action)"
    )


# The new records as link_keys.sql reads them (``_new``): their keys, and their texts' clusters now
# (etl/sketch.py keep_clusters stored them).
NEW_KEYS = (
    "select e.participation_id, e.submitted_at, e.sender_hash, "
    f"{sketch.CLUSTER_KEY.format('s.cluster')} as cluster, e.text_id as text_hash "
    "from enriched as e left join text_sketch as s on s.h = e.text_hash"
)


def link_keys(con: duckdb.DuckDBPyConnection) -> None:
    """The narrow keys, as record_links.sql reads them (the view ``records``), in the temp table
    ``link_keys``, of the new records (pipeline's temp table ``enriched``, with their texts'
    clusters now) and of the stored records whose links they can change (those in a cluster or a
    sender's exact-text group that a new record, a record whose cluster changed, or a record a
    re-exported file took away is in; link_keys.sql): pos in time order over old and new records
    alike; the sender's hash and a 64-bit hash of the normalised text (participation.text_hash)
    stand for a build's numbers of them (the chance that two of a million texts share a hash is
    about 1 in 10^7). The texts whose cluster changed are etl/sketch.py's ``cluster_moved``: their
    records are found by text_hash, never by hashing every stored text again."""
    con.execute("create temp view _new as " + NEW_KEYS)
    try:
        con.execute("create temp table link_keys as " + load_sql(SQL_DIR, "link_keys"))
    finally:
        con.execute("drop view _new")
    con.execute("create temp view records as select * from link_keys")


def relink(con: duckdb.DuckDBPyConnection, params: dict[str, int]) -> None:
    """Find the links of ``link_keys``' records again (record_links.sql with ``params``), update
    the stored records whose cluster, repeat or campaign changed (and their screens for control 7,
    placed where a build puts them), note in ``touched_day`` the days whose mart_daily figures that
    changes, and keep the new records' links as the temp table record_link, by their pos among
    the new records (time order, as pipeline._record_input numbers them)."""
    con.execute("create temp table links as " + load_sql(SQL_DIR, "record_links"), params)
    con.execute("drop view records")
    with transaction(con):  # the rows relinked finds are the rows relink.sql updates: no checkpoint between
        con.execute("create temp table relinked as " + load_sql(SQL_DIR, "relinked"))
        # mart_daily counts control 7's screen, not clusters, repeats' kinds or campaigns: only the
        # days of records that became, or stopped being, a repeat are touched
        con.execute("insert into touched_day select distinct cast(submitted_at as date) from relinked where screened")
        con.execute(load_sql(SQL_DIR, "relink"))
        rows = [r for (r,) in con.execute("select row_id from relinked where rescreened").fetchall()]
        if rows:
            con.execute(load_sql(SQL_DIR, "relink_screens"), {"rows": rows})
    con.execute(
        "create temp table new_day as select distinct cast(submitted_at as date) as day from link_keys where new"
    )
    con.execute("insert into touched_day select day from new_day")
    con.execute(
        "create temp table record_link as select (row_number() over (order by k.pos) - 1) as pos, "
        "l.* exclude (pos) from link_keys as k inner join links as l using (pos) where k.new"
    )


def marts(con: duckdb.DuckDBPyConnection) -> None:
    """The marts after an append: mart_daily for the touched days, the others anew (they are small,
    or read only a window or the campaigns' members)."""
    for table in ("campaign", "mart_summary", "mart_window"):
        con.execute(f"drop table {table}")
    con.execute("create table campaign as " + load_sql(SQL_DIR, "campaign"))
    con.execute("create table mart_summary as " + load_sql(SQL_DIR, "mart_summary"))
    con.execute(
        "create table mart_window as " + load_sql(SQL_DIR, "mart_window"), {"days": int(setting("DEFAULT_PERIOD_DAYS"))}
    )
    con.execute("create temp table touched as select distinct day from touched_day")
    con.execute("delete from mart_daily where day in (select day from touched)")
    first, last = con.execute("select min(day), max(day) from touched").fetchone()
    if first is None:
        return
    # mart_daily.sql over the touched days' rows alone (a range the zone maps skip the rest of the
    # table with), read where it stands: only the columns the mart reads (a copy of the rows, every
    # column, took 1.2-4.4 s at 10M records)
    rows = (
        "(select * from participation where submitted_at >= $first and submitted_at < $end "
        "and cast(submitted_at as date) in (select day from touched))"
    )
    mart = reading(load_sql(SQL_DIR, "mart_daily"), "participation", rows, "etl/sql/mart_daily.sql")
    con.execute("insert into mart_daily " + mart, {"first": first, "end": last + dt.timedelta(days=1)})


# The days whose mart_daily rows an append rewrote (``marts``): the only ones its check compares
# (every other day's rows, and its records' figures, are as the last run checked them).
TOUCHED = "select day from touched"
# The days of the records an append loaded (``relink``; among TOUCHED).
NEW_DAYS = "select day from new_day"
# The rows an append wrote, per table with stored text: the only ones whose text no earlier run's
# personal-data scan read (an append updates no text: relink.sql changes links and screens only).
# Each condition reads loaded_now (this run's records) or this run's id, the newest in etl_run.
_THIS_RUN = "run_id = (select max(run_id) from etl_run)"
_NEW = "(select record_id from loaded_now where kind = '{}')"
NEW_ROWS = {
    # and from the first day of the new records, by which the zone maps skip the rest of the table
    # (it is stored in time order): by the ids alone every row's texts were read, 0.9 s at 10M
    # records. checks.new_days_check fails the run if a new record is not on those days.
    "participation": "participation_id in "
    + _NEW.format("participation")
    + f" and submitted_at >= (select min(day) from ({NEW_DAYS}))",
    "poll_answer": "participation_id in " + _NEW.format("participation"),
    "improvement_action": "action_id in " + _NEW.format("action"),
    # and of this run's files (forget took their earlier rows away), by which the zone maps skip
    # every other file's rows: by the keys alone, the whole table was read (0.2 s at 10M records)
    "record_file": "file in (select file from loaded_now) "
    "and (kind, record_id) in (select (kind, record_id) from loaded_now)",
    "quarantine": _THIS_RUN,
    "duplicate_row": _THIS_RUN,
    "etl_file": _THIS_RUN,
    "etl_run": _THIS_RUN,
}


def carried_files(con: duckdb.DuckDBPyConnection, run_id: int, previous: int) -> None:
    """The manifest of an append holds every file the warehouse stands on: the previous load's
    entries for the files this run did not read, beside this run's own."""
    con.execute(
        "insert into etl_file select ?, file, source, bytes, modified_at, sha256, rows_read from etl_file "
        "where run_id = ? and file not in (select file from etl_file where run_id = ?)",
        [run_id, previous, run_id],
    )


# The rows an append may have changed, per table: the key column and the query (over this run's temp
# tables) of the keys whose rows it inserted, updated or deleted. A lake commits only these rows of
# these tables (etl/lake.py: the lake's rows with these keys go, the checkout's come), every other
# table whole. A key too many costs a row written again; a key missing would leave the lake's row
# stale, so each set errs on the side of more: a new record's text, say, whether or not it was new.
# $run is this run's id, $files the exports it read (new and changed: the replaced ones among them).
CHANGED: dict[str, tuple[str, str]] = {
    "participation": (
        "participation_id",
        "select record_id from loaded_now where kind = 'participation' "
        "union select record_id from gone where kind = 'participation' "
        "union select participation_id from relinked",
    ),
    "poll_answer": (
        "participation_id",
        "select record_id from loaded_now where kind = 'participation' "
        "union select record_id from gone where kind = 'participation'",
    ),
    # the texts whose cluster or component moved, the new records' (signed now, or already held), the gone records'
    "text_sketch": (
        "h",
        "select h from sketch_moved union select text_id from enriched where text_id is not null "
        "union select text_hash from gone_keys where text_hash is not null",
    ),
    "record_file": ("file", "select unnest($files)"),
    "quarantine": ("file", "select unnest($files)"),
    "duplicate_row": ("file", "select unnest($files)"),
    "mart_daily": ("day", TOUCHED),
    "etl_run": ("run_id", "select $run"),
    "etl_run_source": ("run_id", "select $run"),
    "etl_file": ("run_id", "select $run"),
}


# per table, a key column and the keys (a one-column table, ``k``) of the rows an append changed
Changed = dict[str, tuple[str, pa.Table]]


def changed(con: duckdb.DuckDBPyConnection, run_id: int, files: tuple[str, ...]) -> Changed:
    """``CHANGED`` for this append: per table, its key column and the keys (a one-column table)."""
    out = {}
    for table, (key, sql) in CHANGED.items():
        params = {name: value for name, value in (("run", run_id), ("files", list(files))) if f"${name}" in sql}
        keys = arrow(con, f"select distinct k from ({sql}) as c(k) where k is not null", params)
        out[table] = (key, keys.rename_columns(["k"]))
    return out
