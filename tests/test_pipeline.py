"""The ETL's promises: nothing lost, idempotent, atomic, no personal data, clear refusals."""

from __future__ import annotations

import csv
import datetime
import io
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from etl import checks, delta, pipeline
from etl.errors import CheckFailed, EtlError
from tests.conftest import ROOT, SALT, digest, etl

DATA_TABLES = ("participation", "improvement_action", "action_participation", "poll_answer")


def _leftovers(wh: Path) -> list[str]:
    return sorted(p.name for p in wh.parent.iterdir() if ".building-" in p.name)


@pytest.fixture
def serving(tmp_path: Path, landing: Path) -> tuple[Path, Path, str]:
    """A landing zone, and a warehouse built from it: (landing, warehouse, its digest)."""
    wh = tmp_path / "wh" / "w.duckdb"
    etl(landing, wh)
    return landing, wh, digest(wh)


def test_every_row_is_accounted_for(built) -> None:
    wh, result = built
    con = duckdb.connect(str(wh), read_only=True)
    for s in result.sources:
        assert s.rows_read == s.loaded + s.quarantined + s.duplicates, s
        assert s.rows_read > 0
    t = result.totals
    assert (
        con.execute("select count(*) from participation").fetchone()[0]
        + con.execute("select count(*) from improvement_action").fetchone()[0]
        == t.loaded
    )
    assert con.execute("select count(*) from quarantine").fetchone()[0] == t.quarantined > 0
    assert con.execute("select count(*) from duplicate_row").fetchone()[0] == t.duplicates > 0
    run = con.execute("select rows_read, rows_loaded, rows_quarantined, rows_duplicate, status from etl_run").fetchall()
    assert run == [(t.rows_read, t.loaded, t.quarantined, t.duplicates, "success")]


def test_quarantine_says_where_and_why_never_what(built) -> None:
    wh, _ = built
    con = duckdb.connect(str(wh), read_only=True)
    assert [c[0] for c in con.execute("describe quarantine").fetchall()] == [
        "run_id",
        "source",
        "file",
        "line",
        "reason",
    ]
    reasons = {r[0] for r in con.execute("select reason from quarantine").fetchall()}
    joined = " | ".join(reasons)
    for expected in (
        "invalid JSON",
        "expected 14 fields, found 5",
        "rating: not a whole number from 1 to 5",
        "submitted_at: not a date in the expected format",
        "status: unknown code",
    ):
        assert expected in joined
    lines = con.execute("select min(line) from quarantine").fetchone()[0]
    assert lines >= 1
    # A reason names fields, never values: no Arabic words from the rows, no digits runs.
    assert not any(ch in joined for ch in "ةىأ") and "05" not in joined


def test_duplicate_rows_point_at_the_loaded_record(built) -> None:
    wh, _ = built
    con = duckdb.connect(str(wh), read_only=True)
    orphans = con.execute(
        "select count(*) from duplicate_row d where d.duplicate_of not in "
        "(select participation_id from participation union all select action_id from improvement_action)"
    ).fetchone()[0]
    assert orphans == 0


def test_participation_is_stored_in_time_order(tmp_path: Path, landing: Path, monkeypatch) -> None:
    """Pages read a period through zone maps: the rows must lie in (submitted_at, id) order, also
    when the records go through the stages in many chunks (small chunks here), each written on
    every thread."""
    monkeypatch.setattr(pipeline, "CHUNK_RECORDS", 64)
    wh = tmp_path / "w.duckdb"
    etl(landing, wh)
    con = duckdb.connect(str(wh), read_only=True)
    out_of_order = con.execute(
        "select count(*) from (select submitted_at, participation_id, "
        "lag(submitted_at) over (order by rowid) as t0, lag(participation_id) over (order by rowid) as id0 "
        "from participation) where t0 is not null and (t0, id0) > (submitted_at, participation_id)"
    ).fetchone()[0]
    assert out_of_order == 0
    assert con.execute("select count(*) from participation").fetchone()[0] > 1_000


def test_a_builds_chunks_fill_whole_row_groups(tmp_path: Path) -> None:
    """participation is inserted a chunk (pipeline.CHUNK_RECORDS records) at a time: a chunk of
    whole row groups leaves none half-full for the next chunk to fill and the checkpoint to rewrite
    (a chunk of 2^18 records left a quarter of a 1M or 10M warehouse's file free). The row groups'
    size is DuckDB's, measured here."""
    con = duckdb.connect(str(tmp_path / "rows.duckdb"))
    con.execute("create table t as select range as i from range(?)", [2 * pipeline.ROW_GROUP_ROWS + 5])
    con.execute("checkpoint")
    sizes = con.execute(
        "select count from pragma_storage_info('t') where column_id = 0 and segment_type <> 'VALIDITY' "
        "order by row_group_id"
    ).fetchall()
    con.close()
    assert [n for (n,) in sizes] == [pipeline.ROW_GROUP_ROWS, pipeline.ROW_GROUP_ROWS, 5]
    assert pipeline.CHUNK_RECORDS % pipeline.ROW_GROUP_ROWS == 0


def test_ids_are_stored_with_zstd_and_the_table_keeps_its_query_types(built, tmp_path: Path) -> None:
    """participation's ids and hashes are written with zstd (half the write time of DuckDB's own
    choice); the table still has the query's columns and types, and a query without a column to
    compress is refused before any table is made."""
    wh, _ = built
    con = duckdb.connect(str(wh), read_only=True)
    stored = dict(
        con.execute(
            "select column_name, string_agg(distinct compression, ',') from pragma_storage_info('participation') "
            "where segment_type = 'VARCHAR' group by all"
        ).fetchall()
    )
    assert {c: stored[c] for c in pipeline.ZSTD_COLUMNS} == dict.fromkeys(pipeline.ZSTD_COLUMNS, "ZSTD")
    assert "ZSTD" not in {v for c, v in stored.items() if c not in pipeline.ZSTD_COLUMNS}
    (kind,) = con.execute(
        "select data_type from duckdb_columns() where table_name = 'participation' and column_name = 'participation_id'"
    ).fetchone()
    assert kind == "VARCHAR"

    small = duckdb.connect(str(tmp_path / "small.duckdb"))
    query = "select 'id-' || i as id, i, [i] as l from range(5) as t(i) order by i desc"
    pipeline._create_as(small, "t", query, ("id",))
    assert small.execute("select * from t").fetchall() == small.execute(query).fetchall()
    assert small.execute("describe t").fetchall() == small.execute("describe " + query).fetchall()
    with pytest.raises(ValueError, match="no column nope"):
        pipeline._create_as(small, "u", query, ("id", "nope"))
    assert small.execute("select count(*) from duckdb_tables() where table_name = 'u'").fetchone()[0] == 0


def test_second_run_changes_nothing(serving) -> None:
    landing, wh, _ = serving
    before = duckdb.connect(str(wh), read_only=True)
    snap = {t: before.execute(f"select * from {t} order by all").fetchall() for t in DATA_TABLES}
    q1 = before.execute("select source, file, line, reason from quarantine order by all").fetchall()
    before.close()
    etl(landing, wh)
    after = duckdb.connect(str(wh), read_only=True)
    for t in DATA_TABLES:
        assert after.execute(f"select * from {t} order by all").fetchall() == snap[t], t
    assert after.execute("select source, file, line, reason from quarantine order by all").fetchall() == q1
    assert after.execute("select count(*) from etl_run").fetchone()[0] == 2  # history carries over


def _write_csv(path: Path, rows: list[list[str]], encoding: str) -> None:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def _bad_utf8_in_cp1256_source(landing: Path) -> str:
    _write_csv(landing / "website" / "utf8.csv", [["comment_id", "comment"], ["1", "تعليق"]], "utf-8")
    return "website/utf8.csv"


def _cp1256_in_utf8_source(landing: Path) -> str:
    src = landing / "email" / "inbox_export.csv"
    text = src.read_bytes().decode("utf-8-sig")
    (landing / "email" / "legacy.csv").write_bytes(text.encode("cp1256", errors="ignore"))
    return "email/legacy.csv"


def _truncated_xlsx(landing: Path) -> str:
    src = sorted((landing / "call_center").glob("*.xlsx"))[0]
    data = src.read_bytes()
    (landing / "call_center" / "broken.xlsx").write_bytes(data[: len(data) // 2])
    return "call_center/broken.xlsx"


def _empty_file(landing: Path) -> str:
    (landing / "app_reviews" / "empty.csv").write_bytes(b"")
    return "app_reviews/empty.csv"


def _unmatched_file(landing: Path) -> str:
    (landing / "misc").mkdir()
    (landing / "misc" / "notes.txt").write_text("x")
    return "misc/notes.txt"


def _missing_column(landing: Path) -> str:
    _write_csv(landing / "app_reviews" / "old.csv", [["reviewId", "content"], ["1", "x"]], "utf-8")
    return "app_reviews/old.csv"


@pytest.mark.parametrize(
    "make_bad, words",
    [
        (_bad_utf8_in_cp1256_source, "looks like UTF-8"),
        (_cp1256_in_utf8_source, "is not valid utf-8-sig"),
        (_truncated_xlsx, "not a readable XLSX"),
        (_empty_file, "is empty"),
        (_unmatched_file, "matches no source"),
        (_missing_column, "missing column"),
    ],
)
def test_bad_file_is_refused_and_previous_warehouse_serves(serving, make_bad, words) -> None:
    landing, wh, before = serving
    name = make_bad(landing)
    with pytest.raises(EtlError) as err:
        etl(landing, wh)
    message = str(err.value)
    assert name in message and words in message and "\n" not in message
    assert digest(wh) == before and not _leftovers(wh)


@pytest.mark.parametrize("make_bad, words", [(_truncated_xlsx, "not a readable XLSX"), (_empty_file, "is empty")])
def test_cli_error_is_one_line_without_traceback(serving, make_bad, words) -> None:
    landing, wh, before = serving
    make_bad(landing)
    proc = subprocess.run(
        [sys.executable, "-m", "etl", "run", str(landing), "--warehouse", str(wh), "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_env(wh),
        timeout=120,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0]
    assert "Traceback" not in proc.stderr
    assert digest(wh) == before
    verbose = subprocess.run(
        [sys.executable, "-m", "etl", "--verbose", "run", str(landing), "--warehouse", str(wh), "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_env(wh),
        timeout=120,
    )
    assert "Traceback" in verbose.stderr


def _env(wh: Path) -> dict[str, str]:
    import os

    return {**os.environ, "SALT_PATH": str(wh.parent / "salt")}


def test_missing_input_dir_and_unknown_source(tmp_path: Path, serving) -> None:
    landing, wh, before = serving
    with pytest.raises(EtlError, match="input directory not found"):
        etl(tmp_path / "nowhere", wh)
    with pytest.raises(EtlError, match="unknown source"):
        etl(landing, wh, only=["no_such_source"])
    assert digest(wh) == before


def test_a_failed_check_keeps_the_previous_warehouse(serving, monkeypatch) -> None:
    landing, wh, before = serving
    monkeypatch.setattr(
        checks,
        "run_all",
        lambda con, *args, **kwargs: ["unique participation.participation_id: 3 rows"],
    )
    with pytest.raises(CheckFailed, match="previous warehouse keeps serving"):
        etl(landing, wh)
    assert digest(wh) == before and not _leftovers(wh)


def test_interrupt_keeps_the_previous_warehouse(serving) -> None:
    landing, wh, before = serving
    calls = []

    def interrupt(what: str, done: int, total: int) -> None:
        calls.append(what)
        if len(calls) == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        etl(landing, wh, progress=interrupt)
    assert digest(wh) == before and not _leftovers(wh)


def test_first_run_creates_the_warehouse_folder(tmp_path: Path, landing: Path) -> None:
    wh = tmp_path / "new" / "deeper" / "w.duckdb"
    etl(landing, wh)
    assert wh.exists() and not _leftovers(wh)


CANARIES = (
    "0551234567",
    "1012345679",
    "canary.person@example.com",
    "SA4420000001234567891234",
    "4111 1111 1111 1111",
    "+966 55 765 4321",
)


def test_no_personal_data_reaches_the_warehouse(tmp_path: Path) -> None:
    d = tmp_path / "in"
    (d / "canonical").mkdir(parents=True)
    rows = [["source_record_id", "channel", "tool", "submitted_at", "text", "sender"]]
    for i, c in enumerate(CANARIES):
        rows.append([f"C{i}", "email", "direct_contact", f"2026-01-0{i + 1} 10:00", f"بياناتي {c} شكرا", c])
    _write_csv(d / "canonical" / "canaries.csv", rows, "utf-8")
    wh = tmp_path / "w.duckdb"
    etl(d, wh)
    con = duckdb.connect(str(wh), read_only=True)
    cols = con.execute(
        "select table_name, column_name from information_schema.columns "
        "where data_type = 'VARCHAR' or data_type like '%[]'"
    ).fetchall()
    assert len(cols) > 20
    for table, col in cols:
        for c in CANARIES:
            hits = con.execute(
                f'select count(*) from "{table}" where cast("{col}" as varchar) like ?', [f"%{c}%"]
            ).fetchone()[0]
            assert hits == 0, (table, col, c)
    raw = wh.read_bytes()
    for c in CANARIES:
        assert c.encode() not in raw  # not even in free pages of the file


def test_dates_in_any_digits_with_spaces_or_an_offset(tmp_path: Path) -> None:
    """The same moment written six ways: Arabic-Indic digits (with Z, an offset counts in any
    digits), spaces around the value, an ISO offset, plain, and an offset with spaces around."""
    d = tmp_path / "in" / "canonical"
    d.mkdir(parents=True)
    written = {
        "D1": "٢٠٢٦-٠٣-٠٥T١١:٠٠:٠٠Z",
        "D2": "  2026-03-05 14:00 ",
        "D3": "2026-03-05T11:00:00+00:00",
        "D4": "٢٠٢٦-٠٣-٠٥ ١٤:٠٠",
        "D5": "2026-03-05 14:00",
        "D6": "  2026-03-05T11:00:00Z ",  # only trimmed is its offset seen
    }
    rows = [["source_record_id", "channel", "tool", "submitted_at", "text"]]
    rows += [[k, "email", "direct_contact", v, "شكرا"] for k, v in written.items()]
    _write_csv(d / "dates.csv", rows, "utf-8")
    wh = tmp_path / "w.duckdb"
    etl(tmp_path / "in", wh)
    con = duckdb.connect(str(wh), read_only=True)
    got = dict(con.execute("select source_record_id, submitted_at from participation").fetchall())
    assert got == {k: datetime.datetime(2026, 3, 5, 14, 0) for k in written}


def test_a_text_over_100000_characters_is_quarantined(tmp_path: Path) -> None:
    """Characters, not bytes: 100,000 Arabic letters (200,000 bytes) load; one more does not."""
    d = tmp_path / "in" / "canonical"
    d.mkdir(parents=True)
    rows = [["source_record_id", "channel", "tool", "submitted_at", "text"]]
    rows += [[f"L{n}", "email", "direct_contact", "2026-03-05 14:00", "ب" * n] for n in (100_000, 100_001)]
    _write_csv(d / "long.csv", rows, "utf-8")
    wh = tmp_path / "w.duckdb"
    etl(tmp_path / "in", wh)
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("select source_record_id, length(text_redacted) from participation").fetchall() == [
        ("L100000", 100_000)
    ]
    assert con.execute("select line, reason from quarantine").fetchall() == [
        (3, "text: too long (over 100,000 characters)")
    ]


def test_checks_catch_personal_data_and_broken_accounting(built, tmp_path: Path) -> None:
    wh, result = built
    copy = tmp_path / "copy.duckdb"
    shutil.copy(wh, copy)
    con = duckdb.connect(str(copy))
    assert checks.run_all(con, result.run_id) == []
    # one text in two rows: the check matches each distinct text once and counts the rows
    con.execute("update participation set text_redacted = 'call me 0551234567' where rowid in (1, 3)")
    con.execute("update etl_run_source set rows_read = rows_read + 1 where rowid = 1")
    con.execute("update participation set duplicate_of = 'no-such-id', duplicate_kind = 'exact' where rowid = 2")
    (orphans,) = con.execute("update poll_answer set participation_id = 'gone' where rowid < 3").fetchone()
    assert orphans > 0
    failed = " | ".join(checks.run_all(con, result.run_id))
    assert "no personal data (" in failed and "phone" in failed and "in participation.text_redacted: 2 rows" in failed
    assert "row accounting: read = loaded + quarantined + duplicates" in failed
    assert "relationship participation.duplicate_of -> participation.participation_id: 1 rows" in failed
    assert f"relationship poll_answer.participation_id -> participation.participation_id: {orphans} rows" in failed
    assert failed.count("relationship") == 2  # the other references still hold


def test_one_run_at_a_time(serving) -> None:
    import fcntl

    landing, wh, _ = serving
    lock = wh.with_name(f".{wh.name}.lock")
    with lock.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(EtlError, match="another ETL run"):
            etl(landing, wh)


def test_pipeline_uses_the_salt(tmp_path: Path, landing: Path) -> None:
    a = pipeline.run(landing, tmp_path / "a.duckdb", ROOT / "data/sources.yaml", ROOT / "data/reference", SALT)
    b = pipeline.run(landing, tmp_path / "b.duckdb", ROOT / "data/sources.yaml", ROOT / "data/reference", SALT + "x")
    q = "select sender_hash from participation where sender_hash is not null order by participation_id limit 5"
    ha = duckdb.connect(str(a.warehouse), read_only=True).execute(q).fetchall()
    hb = duckdb.connect(str(b.warehouse), read_only=True).execute(q).fetchall()
    assert ha and ha != hb


def test_native_and_python_readers_agree_on_lines(tmp_path: Path, monkeypatch) -> None:
    """The DuckDB reader (plain UTF-8 CSV) numbers lines as the Python reader does, line breaks
    inside quoted fields included; a row DuckDB rejects sends the file to the Python reader."""
    from etl import extract

    rows = [
        ["source_record_id", "channel", "tool", "submitted_at", "text", "rating"],
        ["A", "email", "direct_contact", "2026-01-01 10:00", "سطر أول\nسطر ثان\nسطر ثالث", "5"],
        ["B", "email", "direct_contact", "2026-01-01 11:00", "x", "9"],  # rating out of range: line 5
        ["C", "email", "direct_contact", "2026-01-01 12:00", "a\r\nb", ""],
        ["D", "email", "direct_contact", "not a date", "y", ""],
    ]  # line 8
    d = tmp_path / "in" / "canonical"
    d.mkdir(parents=True)
    _write_csv(d / "multi.csv", rows, "utf-8")

    def quarantine(wh: Path) -> list[tuple]:
        return (
            duckdb.connect(str(wh), read_only=True)
            .execute("select line, reason from quarantine order by line")
            .fetchall()
        )

    calls = []
    real = extract.extract_csv_native
    monkeypatch.setattr(pipeline, "extract_csv_native", lambda *a: calls.append(1) or real(*a))
    etl(tmp_path / "in", tmp_path / "native.duckdb")
    native = quarantine(tmp_path / "native.duckdb")
    monkeypatch.setattr(pipeline, "extract_csv_native", lambda *a: None)
    etl(tmp_path / "in", tmp_path / "python.duckdb")
    assert calls and native == quarantine(tmp_path / "python.duckdb")
    assert [line for line, _ in native] == [5, 8]

    with (d / "multi.csv").open("a", encoding="utf-8") as fh:
        fh.write("E,email,direct_contact\n")  # too few fields: DuckDB rejects it, Python reports it
    etl(tmp_path / "in", tmp_path / "mixed.duckdb")
    assert quarantine(tmp_path / "mixed.duckdb")[-1] == (9, "expected 6 fields, found 3")


def test_work_beside_the_caller_gives_its_result_and_is_waited_for() -> None:
    """``beside`` (the line count while DuckDB reads a file) hands back fn's result, its error as
    the error, and leaving the block waits for fn even when the block never asked for it."""
    import threading
    import time

    from etl.parallel import beside

    main = threading.get_ident()
    with beside(lambda n: (threading.get_ident(), n * 2), 21) as done:
        ident, value = done.result()
    assert value == 42 and ident != main

    finished = []
    with beside(lambda: time.sleep(0.2) or finished.append(1)):
        pass
    assert finished == [1]

    with pytest.raises(ValueError, match="unreadable"), beside(lambda: int("unreadable")) as failed:
        failed.result()


def test_files_read_in_place_give_what_the_python_reader_gives(tmp_path: Path, monkeypatch) -> None:
    """A plain CSV read by DuckDB is not copied but kept and read through a view that cleans and
    maps it: null values, fields joined from several columns and constant fields included, the
    warehouse must hold what the Python reader gives."""
    from etl.pipeline import run

    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        "  split_dates:\n"
        "    name_ar: تجربة\n"
        "    name_en: Trial\n"
        "    format: csv\n"
        '    pattern: "trial/*.csv"\n'
        "    encoding: utf-8\n"
        '    null_values: ["NA", "-"]\n'
        '    date_formats: ["%Y %m %d %H:%M"]\n'
        "    constants: {channel: email, tool: direct_contact, moderation_status: published}\n"
        "    columns:\n"
        '      source_record_id: "id"\n'
        '      submitted_at: ["year", "month", "day", "time"]\n'
        '      text: "body"\n'
        '      rating: "stars"\n'
        '      region: "area"\n',
        encoding="utf-8",
    )
    d = tmp_path / "in" / "trial"
    d.mkdir(parents=True)
    _write_csv(
        d / "a.csv",
        [
            ["id", "year", "month", "day", "time", "body", "stars", "area"],
            ["1", "2026", "01", "05", "10:00", "شكرا لكم", "5", "NA"],
            ["2", "2026", "01", "06", "NA", "   ", "-", "الرياض"],
            ["3", "2026", "02", "07", "09:30", "الخدمة بطيئة", "2", ""],
            ["4", "NA", "02", "08", "09:30", "NA", "9", "-"],
            ["5", "2026", "03", "01", "08:00", " الموقع ممتاز", "4", " NA"],  # not blank, not a null value
            ["6", "2026", "03", "02", "08:00", "\t", "3", "الرياض"],  # blank
        ],
        "utf-8",
    )
    tables = ("participation", "quarantine", "etl_run_source")

    def build(name: str) -> dict[str, list]:
        wh = tmp_path / f"{name}.duckdb"
        run(tmp_path / "in", wh, sources, ROOT / "data" / "reference", SALT)
        con = duckdb.connect(str(wh), read_only=True)
        return {
            t: con.execute(f"select * exclude (run_id) from {t} order by all").fetchall()
            if t != "participation"
            else con.execute(f"select * from {t} order by all").fetchall()
            for t in tables
        }

    from etl import extract

    kept: list[bool] = []
    real = extract._keep_rows
    monkeypatch.setattr(extract, "_keep_rows", lambda *a: kept.append(True) or real(*a))
    native = build("native")
    assert kept == [True]  # the file was read in place
    monkeypatch.setattr(pipeline, "extract_csv_native", lambda *a: None)
    assert native == build("python")
    assert len(native["participation"]) == 3 and len(native["quarantine"]) == 3


@pytest.mark.parametrize(
    ("tamper", "check"),
    [
        (
            "update mart_window set senders = senders + 1 where dimension = 'channel' and rowid = "
            "(select min(rowid) from mart_window where dimension = 'channel')",
            "mart_window agrees",
        ),
        (
            "update mart_window set p90_hours_to_decision = p90_hours_to_decision + 1 where dimension = 'status' "
            "and p90_hours_to_decision is not null",
            "mart_window agrees",
        ),
        (
            "update mart_window set decisions = decisions - 1 where dimension = 'all' and period = 'current'",
            "mart_window agrees",
        ),
        (
            "delete from mart_window where dimension = 'status' and rowid = "
            "(select min(rowid) from mart_window where dimension = 'status')",
            "mart_window agrees",
        ),
        ("update mart_daily set answered = answered + 1 where rowid = 7", "mart_daily agrees"),
        (
            "update mart_daily set screened_3 = screened_3 + 1, participations = participations + 1 where rowid = 9",
            "mart_daily agrees",
        ),
        ("update mart_daily set channel = 'email' where rowid = 11 and channel <> 'email'", "mart_daily agrees"),
        ("update mart_summary set senders = senders - 1", "mart_summary agrees"),
        ("update mart_summary set last_at = last_at + interval 1 day", "mart_summary agrees"),
        (
            "insert into campaign by name select 'c-none' as campaign_id, 12 as participations, 11 as senders, "
            "timestamp '2026-05-01' as first_at",
            "campaign agrees",
        ),
    ],
)
def test_every_stored_figure_is_checked_against_participation(built, tmp_path: Path, tamper: str, check: str) -> None:
    """The figures the app and the public side read from the marts (non-additive ones per channel and
    status, the 90th percentile, every additive figure of mart_daily, the summary, campaigns) fail
    the run's checks when they stop agreeing with participation."""
    wh, result = built
    copy = tmp_path / "copy.duckdb"
    shutil.copy(wh, copy)
    con = duckdb.connect(str(copy))
    assert checks.run_all(con, result.run_id) == []
    assert con.execute(tamper).fetchone()[0] >= 1, "the tampering changed nothing"
    failed = checks.run_all(con, result.run_id)
    assert [f for f in failed if f.startswith(check)] and len(failed) == 1, failed
    con.close()


def test_the_checks_scan_every_stored_text_column(built) -> None:
    """The personal-data scan covers every text column of every table the ETL stores, save the ids,
    codes and hashes listed as such: a new text column must be scanned or named here."""
    wh, _ = built
    con = duckdb.connect(str(wh), read_only=True)
    stored = set(
        con.execute(
            "select table_name, column_name from information_schema.columns "
            "where data_type in ('VARCHAR', 'VARCHAR[]') and table_schema = 'main' and table_name not like 'ref_%'"
        ).fetchall()
    )
    con.close()
    assert set(checks.TEXT_COLUMNS) == {
        ("participation", "text_redacted"),
        ("participation", "text_normalized"),
        ("improvement_action", "title_ar"),
        ("improvement_action", "title_en"),
        ("improvement_action", "description_ar"),
        ("improvement_action", "description_en"),
        ("improvement_action", "owner_unit"),
        ("campaign", "sample_text_redacted"),
        ("poll_answer", "question"),
        ("poll_answer", "answer"),
        ("quarantine", "file"),
        ("quarantine", "reason"),
        ("duplicate_row", "file"),
        ("etl_run", "input_dir"),
        ("etl_file", "file"),
        ("record_file", "file"),
    }
    assert set(checks.TEXT_COLUMNS) | set(checks.NOT_TEXT) == stored, "a stored text column nobody scans"
    assert not set(checks.TEXT_COLUMNS) & set(checks.NOT_TEXT)


def test_personal_data_in_an_action_title_fails_the_checks(built, tmp_path: Path) -> None:
    wh, result = built
    copy = tmp_path / "copy.duckdb"
    shutil.copy(wh, copy)
    con = duckdb.connect(str(copy))
    con.execute("update improvement_action set title_en = 'ask Sara on 0551234567' where rowid = 0")
    failed = " | ".join(checks.run_all(con, result.run_id))
    con.close()
    assert "in improvement_action.title_en: 1 rows" in failed


def test_a_history_that_cannot_be_carried_over_is_said(serving, capsys) -> None:
    """A previous warehouse whose run history cannot be copied (here: a column this version does not
    know) does not stop the run, and is not swallowed either: the run says so, and etl_run keeps it."""
    from etl.cli import main

    landing, wh, _ = serving
    con = duckdb.connect(str(wh))
    con.execute("alter table etl_run add column bogus integer")
    con.close()
    assert main(["run", str(landing), "--warehouse", str(wh), "--quiet", "--full"]) == 0
    err = capsys.readouterr().err
    assert "warning: the run history of w.duckdb could not be carried over (" in err
    con = duckdb.connect(str(wh), read_only=True)
    runs = con.execute("select run_id, history_note from etl_run").fetchall()
    sources = con.execute("select distinct run_id from etl_run_source").fetchall()
    con.close()
    assert len(runs) == 1 and runs[0][1].startswith("the run history of w.duckdb could not be carried over")
    assert sources == [(runs[0][0],)]  # nothing half-copied
    # the next run carries this one's history over again, with no note
    assert main(["run", str(landing), "--warehouse", str(wh), "--quiet", "--full"]) == 0
    assert "warning" not in capsys.readouterr().err
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("select count(*), count(history_note) from etl_run").fetchone() == (2, 1)
    con.close()


@pytest.mark.parametrize(
    ("planted", "kind"),
    [
        ("هاتف المكتب +966 11 465 1234", "phone"),  # each class of disguise seen getting through
        ("بطاقة 3782 822463 10005", "card"),
        ("بطاقة 4111.1111.1111.1111", "card"),
        ("ali (at) mail [dot] com", "email"),
        ("x@y.example.sa", "email"),
        ("call +1 415 555 2671", "phone"),
        ("هويتي 1012345672", "national_id"),
        ("رقم 12345678901234", "long_number"),
    ],
)
def test_the_post_load_scan_is_independent_of_the_redactor(built, tmp_path: Path, planted: str, kind: str) -> None:
    """The checks scan stored text with their own detector (libphonenumber, Luhn over digit groups,
    long digit runs, an e-mail shape), never the redactor's patterns, which cannot see what they miss:
    each kind of personal data left in a stored text fails the run."""
    import inspect

    assert "REDACTIONS" not in inspect.getsource(checks) and "redact" not in inspect.getsource(checks.personal_data_in)
    wh, result = built
    copy = tmp_path / "copy.duckdb"
    shutil.copy(wh, copy)
    con = duckdb.connect(str(copy))
    con.execute("update participation set text_redacted = ? where rowid in (2, 4, 6)", [f"شكرا {planted} شكرا"])
    failed = checks.run_all(con, result.run_id)
    con.close()
    assert len(failed) == 1 and "in participation.text_redacted: 3 rows" in failed[0], failed
    assert failed[0].startswith("no personal data (independent scan: ") and kind in failed[0]


def test_the_scan_reads_its_candidates_on_the_workers_and_finds_what_it_finds_alone(
    built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the ETL's worker processes, the personal-data scan hands them its candidate texts and
    counts the same rows as it does alone: mobile numbers planted in 700 texts, among texts whose
    digits are public (a ticket, a year, 1909)."""
    from etl.parallel import worker_pool

    monkeypatch.setattr("etl.parallel.PARALLEL_MIN", 1)
    wh, _ = built
    copy = tmp_path / "copy.duckdb"
    shutil.copy(wh, copy)
    con = duckdb.connect(str(copy))
    con.execute(
        "update participation set text_redacted = case when rowid % 3 = 0 "
        "then 'جوالي 050' || lpad(cast(rowid as varchar), 7, '0') "
        "else 'التذكرة CC-2025-' || lpad(cast(rowid as varchar), 7, '0') || ' عام 2025 اتصلت 1909' end "
        "where rowid < 2100"
    )
    alone = checks.personal_data_failures(con)

    class Counting:  # the pool, counting what it is handed
        def __init__(self, pool) -> None:
            self.pool, self.texts = pool, 0

        def map(self, fn, texts, chunksize=1):
            self.texts += len(texts)
            return self.pool.map(fn, texts, chunksize=chunksize)

    with worker_pool(2) as pool:
        counting = Counting(pool)
        pooled = checks.personal_data_failures(con, pool=counting)
    con.close()
    assert pooled == alone and any("participation.text_redacted: 700 rows" in f for f in alone), alone
    assert counting.texts >= 2100


def test_the_scan_leaves_public_numbers_alone() -> None:
    for text in (
        "اتصل 1909",
        "الموحد 920012345",
        "المجاني 8001245555",
        "عام 2025/11/27",
        "1,500,000 ريال",
        "CC-2025-0001234",
        "[PHONE] و [CARD] و [EMAIL]",
        "I was at home",
    ):
        assert checks.personal_data_in(text) == set(), text


def test_stages_line_up_by_position_even_when_an_engine_loses_a_query_order(tmp_path: Path) -> None:
    """DuckDB 1.5.5 dropped record_links.sql's ORDER BY at 1M records: ``in_order`` restores what
    the query's order should have been, and leaves an ordered result as it is."""
    import numpy as np
    import pyarrow as pa

    from core.sqlfiles import in_order, quote_literal

    pos = np.r_[np.arange(4096), np.arange(6144, 8192), np.arange(4096, 6144)]  # blocks out of order
    got = in_order(pa.table({"pos": pos, "v": pos * 10}))
    assert got.column("pos").to_pylist() == list(range(8192))
    assert got.column("v").to_pylist() == [p * 10 for p in range(8192)]
    ordered = pa.table({"pos": np.arange(10)})
    assert in_order(ordered) is ordered

    odd = tmp_path / "it's here.duckdb"  # a path with a quote, attached as a literal (1.5.5 binds no ATTACH)
    duckdb.connect(str(odd)).close()
    con = duckdb.connect()
    con.execute(f"attach {quote_literal(str(odd))} as w (read_only)")
    assert con.execute("select count(*) from duckdb_databases() where database_name = 'w'").fetchone() == (1,)


def test_an_appends_mart_check_compares_the_days_it_rewrote(built, tmp_path: Path) -> None:
    """After an append, mart_daily is compared on the days the append rewrote (etl.delta.TOUCHED):
    a wrong figure on one of them fails; every other day stays as the last full check left it."""
    wh, result = built
    copy = tmp_path / "copy.duckdb"
    shutil.copy(wh, copy)
    con = duckdb.connect(str(copy))
    first, last = con.execute("select min(day), max(day) from mart_daily").fetchone()
    con.execute("create temp table touched as select ?::date as day", [last])
    assert checks.run_all(con, result.run_id, days=delta.TOUCHED) == []
    con.execute("update mart_daily set participations = participations + 1 where day = ?", [last])
    failed = checks.run_all(con, result.run_id, days=delta.TOUCHED)
    assert len(failed) == 1 and failed[0].startswith("mart_daily agrees"), failed
    con.execute("update mart_daily set participations = participations - 1 where day = ?", [last])
    con.execute("update mart_daily set participations = participations + 1 where day = ?", [first])
    assert checks.run_all(con, result.run_id, days=delta.TOUCHED) == []
    assert [f for f in checks.run_all(con, result.run_id) if f.startswith("mart_daily agrees")]
    con.close()


@pytest.mark.parametrize(
    ("limit", "aside", "after"), [("1GB", "256.0 MiB", "953.6 MiB"), ("100MB", "95.3 MiB", "95.3 MiB")]
)
def test_duckdb_lets_go_of_its_memory_while_the_clusters_are_found(
    monkeypatch: pytest.MonkeyPatch, limit: str, aside: str, after: str
) -> None:
    """While this process holds every text's signature, DuckDB's limit drops (never above
    ETL_MEMORY_LIMIT) and it writes its temporary tables out; ETL_MEMORY_LIMIT again after, even
    when the block fails."""
    monkeypatch.setenv("ETL_MEMORY_LIMIT", limit)
    con = duckdb.connect()
    con.execute("set memory_limit = ?", [limit])

    def current() -> str:
        return con.execute("select current_setting('memory_limit')").fetchall()[0][0]

    with pytest.raises(RuntimeError), pipeline._duckdb_aside(con):
        assert current() == aside
        raise RuntimeError("the clusters failed")
    assert current() == after


def test_participation_refuses_links_that_lost_records() -> None:
    """Every enriched record has its row of links (by pos): one missing stops the run before any
    participation row is written, where a left join would have written it unlinked."""
    con = duckdb.connect()
    con.execute("create temp table enriched as select range as pos from range(5)")
    con.execute("create temp table record_link as select range as pos from range(4)")
    with pytest.raises(CheckFailed, match="record links lost records"):
        pipeline._participation(con)
    assert not con.execute("select count(*) from duckdb_tables() where table_name = 'participation'").fetchall()[0][0]
