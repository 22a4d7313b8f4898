"""``python -m etl reclassify``: the rules changed, the raw exports gone, the warehouse classified
again from its stored text, and the same as a full run under the new rules."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb

from core.sqlfiles import quote_literal
from etl.cli import main
from etl.pipeline import run
from tests.conftest import REFERENCE, SALT, SOURCES, digest

NOW = dt.datetime(2026, 11, 28, 9, 0)
COMPARED = (
    "participation",
    "campaign",
    "mart_daily",
    "mart_window",
    "mart_summary",
    "action_participation",
    "improvement_action",
    "poll_answer",
    "quarantine",
    "ref_theme",
)


def _edit_rules(ref: Path, pid: str) -> None:
    """New rules as an analyst would write them: a word made negative, a new theme keyword, an
    analyst's theme for one record."""
    with (ref / "sentiment_lexicon.csv").open("a", encoding="utf-8") as fh:
        fh.write("التطبيق,-1.5,test\n")
    with (ref / "theme_keywords.csv").open("a", encoding="utf-8") as fh:
        fh.write("privacy_data,الطلبات,5,test\n")
    with (ref / "theme_overrides.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"{pid},employment_training,test\n")


def test_reclassifying_equals_a_full_run_under_the_same_rules(landing: Path, tmp_path: Path, capsys) -> None:
    ref = tmp_path / "reference"
    shutil.copytree(REFERENCE, ref)
    reclassified = tmp_path / "a" / "w.duckdb"
    run(landing, reclassified, SOURCES, ref, SALT, now=NOW)
    con = duckdb.connect(str(reclassified), read_only=True)
    pid = con.execute(
        "select min(participation_id) from participation where theme <> 'employment_training'"
    ).fetchall()[0][0]
    con.close()
    _edit_rules(ref, pid)
    full = tmp_path / "b" / "w.duckdb"
    run(landing, full, SOURCES, ref, SALT, now=NOW)  # the reference: everything again from the exports
    shutil.rmtree(landing)  # reclassifying needs no raw export
    before = digest(reclassified)

    import os

    os.environ["REFERENCE_DIR"] = str(ref)
    try:
        assert main(["reclassify", "--warehouse", str(reclassified)]) == 0
    finally:
        del os.environ["REFERENCE_DIR"]
    said = capsys.readouterr().err
    assert "themes and" in said and digest(reclassified) != before
    changed = int(said.split("themes and ")[1].split(" sentiments")[0].replace(",", ""))
    assert changed > 0  # the edit reached some records

    con = duckdb.connect()
    con.execute(f"attach {quote_literal(str(reclassified))} as a (read_only)")
    con.execute(f"attach {quote_literal(str(full))} as b (read_only)")
    for table in COMPARED:
        diff = con.execute(
            f"select (select count(*) from (select * from a.{table} except all select * from b.{table})) "
            f"+ (select count(*) from (select * from b.{table} except all select * from a.{table}))"
        ).fetchall()[0][0]
        assert diff == 0, table
    # the participation table keeps its time order (the app's period reads rely on it)
    order = con.execute(
        "select count(*) from (select submitted_at < lag(submitted_at) over () as back from a.participation) where back"
    ).fetchall()[0][0]
    assert order == 0
    runs = con.execute("select status from a.etl_run order by run_id").fetchall()
    assert runs == [("success",), ("reclassified",)]
    assert con.execute(
        "select theme, theme_source from a.participation where participation_id = ?", [pid]
    ).fetchall() == [("employment_training", "analyst")]
    con.close()


def test_reclassify_refuses_what_it_cannot_do(tmp_path: Path, capsys, monkeypatch) -> None:
    assert main(["reclassify", "--warehouse", str(tmp_path / "none.duckdb")]) == 2
    assert "no warehouse there" in capsys.readouterr().err


def test_a_failed_reclassification_keeps_the_previous_warehouse(landing: Path, tmp_path: Path, monkeypatch) -> None:
    from etl import checks

    wh = tmp_path / "w.duckdb"
    run(landing, wh, SOURCES, REFERENCE, SALT, now=NOW)
    before = digest(wh)
    monkeypatch.setattr(
        checks,
        "run_all",
        lambda con, run_id, scope=None, days=None, pool=None: ["unique participation.participation_id: 3 rows"],
    )
    assert main(["reclassify", "--warehouse", str(wh)]) == 3
    assert digest(wh) == before and not list(tmp_path.glob(".w.duckdb.building-*"))


def test_a_warehouse_from_an_older_version_is_brought_up_to_date(landing: Path, tmp_path: Path) -> None:
    """A warehouse built before the manifest, the history note, the sentiment's source and the
    appends' bookkeeping (schema 4) reclassifies: the tables and columns it lacks are added, and its
    checks pass."""
    wh = tmp_path / "w.duckdb"
    run(landing, wh, SOURCES, REFERENCE, SALT, now=NOW)
    con = duckdb.connect(str(wh))
    con.execute("drop table etl_file")
    con.execute("alter table etl_run drop column history_note")
    con.execute("alter table etl_run drop column kind")  # schema 8's, as the three below
    con.execute("alter table etl_run drop column rows_replaced")
    con.execute("drop table record_file")
    con.execute("drop table text_sketch")
    con.execute("alter table participation drop column sentiment_source")
    con.execute("alter table participation drop column sentiment_confidence")
    con.close()
    assert main(["reclassify", "--warehouse", str(wh)]) == 0
    con = duckdb.connect(str(wh), read_only=True)
    sources = {r[0] for r in con.execute("select distinct sentiment_source from participation").fetchall()}
    assert {"rules", "model"} <= sources and con.execute("select count(*) from etl_file").fetchall() == [(0,)]
    con.close()


def test_data_quality_still_shows_the_last_load_after_a_reclassification(
    landing: Path, tmp_path: Path, monkeypatch
) -> None:
    """The data-quality page's rows per source, quarantine reasons and headline counts describe the
    last load; a reclassification, which loads nothing, must not blank them."""
    from dashboard import queries

    wh = tmp_path / "w.duckdb"
    run(landing, wh, SOURCES, REFERENCE, SALT, now=NOW)
    monkeypatch.setenv("WAREHOUSE_PATH", str(wh))
    before = (
        queries.run_sources("en"),
        queries.quarantine_reasons(),
        queries.headline()[["rows_read", "rows_quarantined"]],
    )
    assert len(before[0]) and len(before[1])
    assert main(["reclassify", "--warehouse", str(wh)]) == 0
    after = (
        queries.run_sources("en"),
        queries.quarantine_reasons(),
        queries.headline()[["rows_read", "rows_quarantined"]],
    )
    for b, a in zip(before, after):
        assert a.equals(b)
