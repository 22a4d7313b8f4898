"""Incremental runs (etl/delta.py): the same exports loaded as a sequence of daily deltas, with a
re-exported file and a purged one on the way, give the same warehouse as one build from them."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from core.warehouse import Warehouse, attach
from etl.cli import main
from etl.sources import load_sources
from tests.conftest import REFERENCE, SALT, SOURCES

BOOKKEEPING = ("etl_run", "etl_run_source", "etl_file", "warehouse_meta")
PER_RUN = ("quarantine", "duplicate_row")  # compared without their run_id
CAMPAIGN = "نطالب بإعادة فتح مركز الرعاية الصحية الأولية في حي النسيم بعد إغلاقه المفاجئ"


def _split(src: Path, dst: Path, parts: int) -> list[Path]:
    """``src`` as ``parts`` files of consecutive rows beside each other under ``dst`` (CSV with its
    header and encoding, JSONL by line), named so that they sort in the order of their rows."""
    spec = next(s for s in load_sources(SOURCES).values() if s.matches(src.parent.name + "/" + src.name))
    dst.mkdir(parents=True, exist_ok=True)
    out = [dst / f"{src.stem}.part{k}{src.suffix}" for k in range(1, parts + 1)]
    if src.suffix == ".jsonl":
        lines = src.read_bytes().splitlines(keepends=True)
        for k, path in enumerate(out):
            path.write_bytes(b"".join(lines[k::parts]))
        return out
    with src.open(encoding=spec.encoding, errors="surrogateescape", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=spec.delimiter))
    size = -(-(len(rows) - 1) // parts)
    for k, path in enumerate(out):
        with path.open("w", encoding=spec.encoding, errors="surrogateescape", newline="") as fh:
            w = csv.writer(fh, delimiter=spec.delimiter)
            w.writerow(rows[0])
            w.writerows(rows[1 + k * size : 1 + (k + 1) * size])
    return out


def _canonical(path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    """A canonical-template file: (id, submitted_at, sender, text) on the website's comments."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["source_record_id", "channel", "tool", "submitted_at", "sender", "text"])
        w.writerows([(i, "website", "page_comment_rating", at, sender, text) for i, at, sender, text in rows])


def _days(demo_dir: Path, root: Path) -> list[dict[str, Path]]:
    """Three days of exports (relative path -> file): every demo export in parts, a campaign that
    only becomes one on day 2, and a sender whose day-2 record is older than their day-1 ones (the
    first becomes a repeat; the second, an exact repeat of the first, becomes a near one)."""
    staged = root / "staged"
    days: list[dict[str, Path]] = [{}, {}, {}]
    for src in sorted(demo_dir.rglob("*")):
        if not src.is_file():
            continue
        rel = src.relative_to(demo_dir)
        if src.suffix == ".xlsx":  # by year already: 2024 and 2025 first, 2026 on day 2
            days[1 if "2026" in src.name else 0][rel.as_posix()] = src
            continue
        for k, part in enumerate(_split(src, staged / rel.parent, 3)):
            days[k][part.relative_to(staged).as_posix()] = part
    base = dt.datetime(2026, 11, 20, 9, 0)

    def at(hours: float) -> str:
        return (base + dt.timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")

    first = [(f"c{i}", at(i), f"campaigner{i}@example.sa", f"{CAMPAIGN} {'!' * i}") for i in range(6)]
    first.append(("r1", at(30), "repeater@example.sa", "الرجاء تحسين سرعة الرد على البلاغات في التطبيق"))
    first.append(("r2", at(40), "repeater@example.sa", "الرجاء تحسين سرعة الرد على البلاغات في التطبيق"))
    second = [(f"c{i}", at(i), f"campaigner{i}@example.sa", f"{CAMPAIGN} رقم {i}") for i in range(6, 13)]
    second.append(("r0", at(2), "repeater@example.sa", "الرجاء تحسين سرعة الرد على البلاغات في التطبيق!"))
    _canonical(staged / "canonical/day1.csv", first)
    _canonical(staged / "canonical/day2.csv", second)
    days[0]["canonical/day1.csv"] = staged / "canonical/day1.csv"
    days[1]["canonical/day2.csv"] = staged / "canonical/day2.csv"
    return days


def _reexport(path: Path) -> None:
    """A corrected re-export: one record's text changed, the last record dropped."""
    spec = load_sources(SOURCES)["website_comments"]
    with path.open(encoding=spec.encoding, errors="surrogateescape", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=spec.delimiter))
    rows[1][rows[0].index("comment")] = "تم تصحيح هذا التعليق بعد المراجعة"
    with path.open("w", encoding=spec.encoding, errors="surrogateescape", newline="") as fh:
        csv.writer(fh, delimiter=spec.delimiter).writerows(rows[:-1])


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    salt = tmp_path / "salt"
    salt.write_text(SALT)
    for name, value in {"SALT_PATH": salt, "REFERENCE_DIR": REFERENCE, "CAMPAIGN_MIN_SENDERS": 10}.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.delenv("CORRECTIONS_PATH", raising=False)


def _differences(a: Path | Warehouse, b: Path | Warehouse, every: bool = False) -> dict[str, tuple[int, int]]:
    """Rows only in ``a``, and only in ``b``, per table but the runs' bookkeeping (each a warehouse
    file, or a lake: tests/test_lake.py); ``every``: every table, every column, the runs' too."""
    con = duckdb.connect()
    try:
        for alias, wh in (("a", a), ("b", b)):
            attach(con, wh if isinstance(wh, Warehouse) else Warehouse(path=wh), alias)
        tables = {
            db: {
                r[0]
                for r in con.execute("select table_name from duckdb_tables() where database_name = ?", [db]).fetchall()
            }
            for db in ("a", "b")
        }
        assert tables["a"] == tables["b"]
        out = {}
        for t in sorted(tables["a"] - (set() if every else set(BOOKKEEPING))):
            cols = "* exclude (run_id)" if t in PER_RUN and not every else "*"
            only = [
                con.execute(
                    f"select count(*) from (select {cols} from {x}.{t} except all select {cols} from {y}.{t})"
                ).fetchone()[0]
                for x, y in (("a", "b"), ("b", "a"))
            ]
            if any(only):
                out[t] = tuple(only)
        return out
    finally:
        con.close()


def test_daily_appends_give_the_warehouse_one_build_gives(
    env, demo_dir: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from etl import similar

    # the day-2 append finds again only the clusters its texts reach (etl.similar.recluster), however
    # many of the stored texts that is: the generator's texts chain into large components
    monkeypatch.setattr(similar, "RECLUSTER_SHARE", 1.0)
    found_again = []
    recluster = similar.recluster
    monkeypatch.setattr(similar, "recluster", lambda *a: found_again.append(recluster(*a)) or found_again[-1])
    days = _days(demo_dir, tmp_path)
    daily, whole = tmp_path / "daily", tmp_path / "whole"
    wh_daily, wh_whole = tmp_path / "daily.duckdb", tmp_path / "whole.duckdb"

    def land(folder: Path, files: dict[str, Path]) -> None:
        for rel, src in files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, folder / rel)

    land(daily, days[0])
    assert main(["run", str(daily), "--warehouse", str(wh_daily), "--quiet"]) == 0
    land(daily, days[1])
    assert main(["run", str(daily), "--warehouse", str(wh_daily)]) == 0
    assert "adding the new and changed exports only: " in capsys.readouterr().err
    assert len(found_again) == 1 and len(found_again[0][0]) > 0  # day 3 took texts away: every cluster anew
    con = duckdb.connect(str(wh_daily), read_only=True)
    (campaign,) = con.execute("select count(distinct campaign_id) from participation where source = 'day1'").fetchone()
    repeats = con.execute(
        "select source_record_id, duplicate_kind, list_contains(screening_controls, 7), screening_rules "
        "from participation where source = 'day1' and source_record_id in ('r1', 'r2') order by 1"
    ).fetchall()
    con.close()
    assert campaign == 1  # day 1's six senders joined day 2's seven: a campaign of records loaded before
    # day 1's records repeat an older one that came on day 2 (r2 was an exact repeat of r1: its rule names that)
    assert [r[:3] for r in repeats] == [("r1", "near", True), ("r2", "near", True)]
    assert ["7:repeated_near" in r[3] and "7:repeated_exact" not in r[3] for r in repeats] == [True, True]

    # day 3: a corrected re-export of a file loaded on day 1, and a loaded file purged from the landing
    reexported = next(rel for rel in days[0] if rel.startswith("website/"))
    _reexport(daily / reexported)
    purged = next(rel for rel in days[0] if rel.startswith("email/"))
    (daily / purged).unlink()
    land(daily, days[2])
    assert main(["run", str(daily), "--warehouse", str(wh_daily)]) == 0
    err = capsys.readouterr().err
    assert "1 changed export file(s)" in err and "1 loaded export file(s) are not there any more" in err

    land(whole, {**days[0], **days[1], **days[2]})
    shutil.copyfile(daily / reexported, whole / reexported)
    assert main(["run", str(whole), "--warehouse", str(wh_whole), "--quiet"]) == 0

    assert _differences(wh_daily, wh_whole) == {}
    con = duckdb.connect(str(wh_daily), read_only=True)
    runs = con.execute("select run_id, kind, rows_replaced > 0 from etl_run order by run_id").fetchall()
    manifest = {r[0] for r in con.execute("select file from etl_file where run_id = 3").fetchall()}
    texts = con.execute(
        "select count(*) from participation where text_redacted like '%تم تصحيح هذا التعليق%'"
    ).fetchone()
    con.close()
    assert runs == [(1, "build", False), (2, "append", False), (3, "append", True)]
    assert manifest == {*days[0], *days[1], *days[2]}  # the purged file is still what the warehouse stands on
    assert texts == (1,)

    # data quality describes every load the warehouse holds, not the last append alone
    from dashboard import queries
    from tests.conftest import open_page

    shown = {}
    for wh in (wh_daily, wh_whole):
        monkeypatch.setenv("WAREHOUSE_PATH", str(wh))
        shown[wh] = (set(queries.run_sources("en")["source"]), queries.quarantine_reasons())
    assert shown[wh_daily][0] == shown[wh_whole][0]
    assert shown[wh_daily][1].equals(shown[wh_whole][1]) and len(shown[wh_daily][1])
    monkeypatch.setenv("WAREHOUSE_PATH", str(wh_daily))
    at = open_page("app_pages/data_quality.py", lang="en")
    assert "Rows per source (the last full build and every append since)" in [h.value for h in at.subheader]
    runs = queries.runs()
    assert list(runs["status"]) == ["appended", "appended", "success"]  # newest first: the two appends, the build


def test_an_append_that_fails_its_checks_keeps_the_previous_warehouse(
    env, demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = _days(demo_dir, tmp_path)
    landing, wh = tmp_path / "landing", tmp_path / "w.duckdb"
    for k in (0, 1):
        for rel, src in days[k].items():
            (landing / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, landing / rel)
        if k == 0:
            assert main(["run", str(landing), "--warehouse", str(wh), "--quiet"]) == 0
            before = wh.read_bytes()
    from etl import checks

    monkeypatch.setattr(checks, "run_all", lambda con, *args, **kwargs: ["a failing check"])
    assert main(["run", str(landing), "--warehouse", str(wh), "--quiet"]) == 3  # a check failed
    assert wh.read_bytes() == before
    assert not list(tmp_path.glob(".w.duckdb.building-*"))


def test_an_append_killed_or_out_of_disk_leaves_the_serving_warehouse_as_it_was(
    env, demo_dir: Path, tmp_path: Path
) -> None:
    """SIGKILL at random points of an append, and an append that cannot write: the warehouse that
    serves is byte for byte the one before, and the next append completes."""
    import os
    import random
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT, digest
    from tests.test_faults import _gone, _no_writes_beyond

    days = _days(demo_dir, tmp_path)
    landing, wh = tmp_path / "landing", tmp_path / "wh" / "w.duckdb"
    for rel, src in days[0].items():
        (landing / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, landing / rel)
    cmd = [sys.executable, "-m", "etl", "run", str(landing), "--warehouse", str(wh), "--quiet"]
    environ = dict(os.environ)
    subprocess.run(cmd, env=environ, cwd=ROOT, check=True, capture_output=True)
    for rel, src in days[1].items():
        (landing / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, landing / rel)
    before = digest(wh)

    proc = subprocess.run(
        cmd, env=environ, cwd=ROOT, capture_output=True, text=True, preexec_fn=_no_writes_beyond(1 << 20)
    )
    assert proc.returncode == 2, proc.stderr
    assert "previous warehouse is untouched" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert digest(wh) == before

    rng = random.Random(20261202)
    for _ in range(5):
        p = subprocess.Popen(cmd, env=environ, cwd=ROOT, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.5, 2.2))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
        p.wait()
        assert _gone(p.pid) == []
        if digest(wh) != before:  # it finished before the kill: an append, complete
            break
    subprocess.run(cmd, env=environ, cwd=ROOT, check=True, capture_output=True)
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("select kind from etl_run order by run_id").fetchall() == [("build",), ("append",)]
    con.close()
    assert not [p for p in wh.parent.iterdir() if ".building-" in p.name]


def test_an_append_scans_its_new_rows_for_personal_data(
    env, demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """An append's personal-data scan reads only the rows it wrote (the stored ones were scanned by
    the runs that wrote them): a phone number the redactor lets through in a new record fails it."""
    from etl import pipeline

    days = _days(demo_dir, tmp_path)
    landing, wh = tmp_path / "landing", tmp_path / "w.duckdb"
    for rel, src in days[0].items():
        (landing / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, landing / rel)
    assert main(["run", str(landing), "--warehouse", str(wh), "--quiet"]) == 0
    before = wh.read_bytes()
    _canonical(landing / "canonical/leak.csv", [("l1", "2026-11-21 10:00:00", "a@example.sa", "اتصلوا على 0501234567")])
    redact = pipeline.redact_array
    monkeypatch.setattr(pipeline, "redact_array", lambda texts: (texts, redact(texts)[1]))  # lets everything through
    assert main(["run", str(landing), "--warehouse", str(wh), "--quiet"]) == 3
    err = capsys.readouterr().err
    assert "no personal data (independent scan: " in err and "in participation.text_redacted: 1 rows" in err
    assert wh.read_bytes() == before


def test_a_build_in_small_chunks_gives_the_warehouse_one_chunk_gives(
    env, demo_dir: Path, built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The text and rule stages hold one chunk of records at a time (pipeline.CHUNK_RECORDS): a
    build in chunks of 500 records gives every table one chunk gives: repeats, clusters and
    campaigns found across chunks as within one."""
    from etl import pipeline

    wh_one, _ = built
    monkeypatch.setattr(pipeline, "CHUNK_RECORDS", 500)
    chunked = tmp_path / "chunked.duckdb"
    assert main(["run", str(demo_dir), "--warehouse", str(chunked), "--quiet"]) == 0
    assert _differences(chunked, wh_one) == {}
    con = duckdb.connect(str(chunked), read_only=True)
    across = con.execute("select count(*) from participation where duplicate_of is not null").fetchall()[0][0]
    con.close()
    assert across > 10  # repeats to find, most of them in another chunk than the record they repeat


def _as_if_appended(con: duckdb.DuckDBPyConnection, n: int = 3) -> None:
    """The temp tables an append's checks read (etl/delta.py), as if this run had written the first
    ``n`` records by id: loaded_now (kind, record_id, source, file) and new_day, their days."""
    con.execute(
        "create temp table loaded_now as select 'participation' as kind, p.participation_id as record_id, p.source, "
        "f.file from (select * from participation order by participation_id limit ?) as p "
        "left join record_file as f on f.kind = 'participation' and f.record_id = p.participation_id",
        [n],
    )
    con.execute(
        "create temp table new_day as select distinct cast(submitted_at as date) as day from participation "
        "where participation_id in (select record_id from loaded_now)"
    )


def test_an_appends_uniqueness_check_reads_its_own_keys_against_the_whole_table(built, tmp_path: Path) -> None:
    """An append checks the keys it wrote (delta.NEW_ROWS) for uniqueness, against every stored row:
    a new record that repeats a stored id fails it, as the whole table's check does."""
    from etl import checks, delta

    wh = tmp_path / "w.duckdb"
    shutil.copyfile(built[0], wh)
    con = duckdb.connect(str(wh))
    run_id = con.execute("select max(run_id) from etl_run").fetchall()[0][0]
    _as_if_appended(con)

    def duplicated(scope: dict[str, str] | None) -> int:
        name = "unique participation.participation_id"
        sql = next(q for n, q, _ in checks.queries(run_id, None, scope) if n == name)
        return con.execute(sql).fetchall()[0][0]

    assert duplicated(delta.NEW_ROWS) == duplicated(None) == 0
    con.execute(
        "insert into participation select * from participation "
        "where participation_id = (select min(record_id) from loaded_now)"
    )
    assert duplicated(delta.NEW_ROWS) == duplicated(None) == 1
    con.close()


def test_an_appends_personal_data_scan_reads_the_rows_it_wrote_in_every_text_column(built, tmp_path: Path) -> None:
    """An append scans the rows it wrote (delta.NEW_ROWS) for personal data, each text column of
    them, in one pass over the table: a phone number in one new record's redacted text and an
    e-mail address in another's normalised text both fail it; one in a stored record outside
    the append is the whole scan's to find."""
    from etl import checks, delta

    wh = tmp_path / "w.duckdb"
    shutil.copyfile(built[0], wh)
    con = duckdb.connect(str(wh))
    _as_if_appended(con)
    assert checks.personal_data_failures(con, delta.NEW_ROWS) == []
    first, second, outside = [
        r[0]
        for r in con.execute("select participation_id from participation order by participation_id limit 4").fetchall()
    ][1:]
    con.execute("update participation set text_redacted = 'اتصل على 0551234567' where participation_id = ?", [first])
    con.execute(
        "update participation set text_normalized = 'راسلني على someone@example.com' where participation_id = ?",
        [second],
    )
    con.execute("update participation set text_redacted = 'رقمي 0559876543' where participation_id = ?", [outside])
    failures = checks.personal_data_failures(con, delta.NEW_ROWS)
    assert [f.split(" in ")[1] for f in failures] == [
        "participation.text_redacted: 1 rows",
        "participation.text_normalized: 1 rows",
    ]
    assert "phone" in failures[0] and "email" in failures[1]
    assert "participation.text_redacted: 2 rows" in " | ".join(checks.personal_data_failures(con))
    assert not con.execute("select count(*) from duckdb_tables() where table_name like '_scanned_%'").fetchall()[0][0]
    con.close()


def test_an_appends_records_off_the_days_its_scan_reads_fail_it(built, tmp_path: Path) -> None:
    """An append scans its new rows for personal data from the first day of its new records on
    (delta.NEW_ROWS: the zone maps skip the rest of the table) and rewrites mart_daily on the days it
    touched: a new record stored on another day would be neither scanned nor counted, so a check
    of its own fails the run."""
    from etl import checks, delta

    wh = tmp_path / "w.duckdb"
    shutil.copyfile(built[0], wh)
    con = duckdb.connect(str(wh))
    run_id = con.execute("select max(run_id) from etl_run").fetchall()[0][0]
    _as_if_appended(con)
    con.execute("create temp table touched as select day from new_day")
    assert checks.run_all(con, run_id, delta.NEW_ROWS, delta.TOUCHED, new_days=delta.NEW_DAYS) == []
    (moved,) = con.execute(
        "select record_id from loaded_now as l join participation as p on p.participation_id = l.record_id "
        "order by p.submitted_at limit 1"
    ).fetchone()
    con.execute(
        "update participation set submitted_at = (select min(day) from new_day) - interval 1 day, "
        "text_redacted = 'اتصل على 0551234567' where participation_id = ?",
        [moved],
    )
    assert checks.personal_data_failures(con, delta.NEW_ROWS) == []  # out of the scan's reach
    failed = checks.run_all(con, run_id, delta.NEW_ROWS, delta.TOUCHED, new_days=delta.NEW_DAYS)
    assert "every participation an append loaded is on a day of its new records, which it rewrote: 1 rows" in failed
    assert not [f for f in checks.run_all(con, run_id, delta.NEW_ROWS, delta.TOUCHED) if f.startswith("every")]
    con.close()


def test_a_query_with_parameters_reads_into_arrow_bound_in_order_and_without_warnings() -> None:
    """``core.sqlfiles.arrow`` (the ETL's chunks and an append's changed keys) binds its parameters
    as values, keeps the query's order, and takes each DuckDB's own way without a warning: this file
    runs under DuckDB 2.0 (make test) and 1.5 (the lake's phase), whose fast ways differ."""
    import warnings

    from core.sqlfiles import arrow

    con = duckdb.connect()
    con.execute("create table t as select range as pos, 'v' || range as s from range(1000)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = arrow(con, "select * from t where pos >= $lo and pos < $hi order by pos desc", {"lo": 5, "hi": 9})
        none = arrow(con, "select * from t where s = $s", {"s": "v1' or '1' = '1"})
        counted = arrow(con, "select count(*) as n from t", {})
    assert got.to_pydict() == {"pos": [8, 7, 6, 5], "s": ["v8", "v7", "v6", "v5"]}
    assert none.num_rows == 0 and counted.to_pydict() == {"n": [1000]}
