"""Analysts' corrections of a record's theme or sentiment: the store, the explorer's record view
that writes it, the app reading through it at once, the next ETL run and reclassify applying it, and
training taking it."""

from __future__ import annotations

import getpass
import shutil
import threading
from pathlib import Path

import duckdb
import pytest

from core.sqlfiles import load_sql, quote_literal
from etl import corrections
from etl.corrections import CorrectionError
from etl.reclassify import reclassify
from tests.conftest import REFERENCE, etl, open_page

THEMES = ("awareness", "privacy_data", "usability")


def test_the_store_keeps_every_correction_and_the_later_wins(tmp_path: Path) -> None:
    store = tmp_path / "c.sqlite"
    corrections.record(store, "p1", "theme", "awareness", "usability", "a@x.sa", THEMES)
    corrections.record(store, "p1", "theme", "usability", "privacy_data", "b@x.sa", THEMES)
    corrections.record(store, "p1", "sentiment", "neutral", "negative", "a@x.sa", corrections.SENTIMENTS)
    corrections.record(store, "p2", "sentiment", None, "positive", "a@x.sa", corrections.SENTIMENTS)
    assert corrections.latest(store) == [("p1", "privacy_data", "negative"), ("p2", None, "positive")]
    past = corrections.history(store, "p1")
    assert [(c.label, c.old_value, c.new_value, c.corrected_by) for c in past] == [
        ("theme", "awareness", "usability", "a@x.sa"),
        ("theme", "usability", "privacy_data", "b@x.sa"),
        ("sentiment", "neutral", "negative", "a@x.sa"),
    ]
    assert corrections.version(store) == 4


@pytest.mark.parametrize(
    ("label", "value", "who"),
    [
        ("theme", "no_such_theme", "a@x.sa"),
        ("sentiment", "furious", "a@x.sa"),
        ("rating", "5", "a@x.sa"),
        ("theme", "usability", " "),
    ],
)
def test_a_correction_that_is_not_a_label_is_refused(tmp_path: Path, label: str, value: str, who: str) -> None:
    store = tmp_path / "c.sqlite"
    allowed = THEMES if label == "theme" else corrections.SENTIMENTS
    with pytest.raises(CorrectionError):
        corrections.record(store, "p1", label, None, value, who, allowed)
    assert corrections.latest(store) == []


def test_reading_never_creates_the_store(tmp_path: Path) -> None:
    store = tmp_path / "none.sqlite"
    assert corrections.latest(store) == [] and corrections.version(store) == 0
    assert corrections.history(store, "p1") == [] and not store.exists()


def test_two_analysts_correcting_at_once_are_both_kept(tmp_path: Path) -> None:
    store = tmp_path / "c.sqlite"
    corrections.record(store, "p0", "theme", None, "usability", "setup", THEMES)  # the file exists

    def analyst(who: str) -> None:
        for i in range(40):
            corrections.record(store, f"p{i % 5}", "theme", None, THEMES[i % 3], who, THEMES)

    workers = [threading.Thread(target=analyst, args=(f"{n}@x.sa",)) for n in ("a", "b")]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert corrections.version(store) == 81
    for pid, theme, _ in corrections.latest(store):
        assert theme == corrections.history(store, pid)[-1].new_value  # the last write of each record wins


@pytest.fixture
def own(built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the test warehouse, served to the app; its corrections beside it."""
    src, _ = built
    wh = tmp_path / "w.duckdb"
    shutil.copyfile(src, wh)
    monkeypatch.setenv("WAREHOUSE_PATH", str(wh))
    monkeypatch.delenv("CORRECTIONS_PATH", raising=False)
    return wh


def _open_first_record(lang: str):
    at = open_page("app_pages/explorer.py", lang=lang, start="2024-01-01", end="2026-11-27")
    at.selectbox(key="record_open").select_index(0).run()
    assert not at.exception
    return at, at.selectbox(key="record_open").value


def _stored(wh: Path, pid: str) -> tuple:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(
            "select theme, sentiment, text_redacted, campaign_id from participation where participation_id = ?", [pid]
        ).fetchone()
    finally:
        con.close()


def test_an_analyst_corrects_a_record_in_the_explorer_and_the_app_shows_it_at_once(own: Path) -> None:
    at, pid = _open_first_record("en")
    theme, sentiment, text, _ = _stored(own, pid)
    assert f"\u2068{text}\u2069" in [t.value for t in at.text]  # the full redacted text, plain and isolated
    facts = at.dataframe[1].value.set_index("Field")["Value"]
    assert facts["ID"] == pid and facts["Theme"].endswith("rules")
    new_theme = next(c for c in ("privacy_data", "usability") if c != theme)
    new_sentiment = next(c for c in corrections.SENTIMENTS if c != sentiment)
    at.selectbox(key=f"fix_theme_{pid}").set_value(new_theme)
    at.selectbox(key=f"fix_sentiment_{pid}").set_value(new_sentiment)
    at.button[0].click().run()
    assert not at.exception and at.success[0].value == "2 corrections saved."

    facts = at.dataframe[1].value.set_index("Field")["Value"]
    names = dict(duckdb.connect(str(own), read_only=True).execute("select code, name_en from ref_theme").fetchall())
    assert facts["Theme"] == f"{names[new_theme]} · 100.0% · analysts"
    assert facts["Sentiment"].endswith("· 100.0% · analysts")
    table = at.dataframe[0].value.set_index("ID")
    assert table.at[pid, "Theme"] == names[new_theme] and table.at[pid, "Sentiment from"] == "analysts"
    history = at.dataframe[2].value
    assert list(history["Who"]) == [f"local:{getpass.getuser()}"] * 2

    store = corrections.store_path(own)
    assert [(c.label, c.old_value, c.new_value) for c in corrections.history(store, pid)] == [
        ("theme", theme, new_theme),
        ("sentiment", sentiment, new_sentiment),
    ]
    assert _stored(own, pid)[:2] == (theme, sentiment)  # the warehouse itself is read-only

    # the figures that sum the mart move the record too, and the themes page names the analysts' share
    at.switch_page("app_pages/themes.py").run()
    assert not at.exception
    sources = next(d.value for d in at.dataframe if "Source" in d.value.columns)
    assert ((sources["Label"] == "Theme") & (sources["Source"] == "analysts") & (sources["Participations"] == 1)).any()
    con = duckdb.connect(str(own), read_only=True)
    stored_counts = dict(con.execute("select theme, count(*) from participation group by 1").fetchall())
    con.close()
    from dashboard import queries
    from dashboard.filters import Filters

    shown = queries.theme_totals("en", Filters()).set_index("theme")["participations"]
    assert shown[names[new_theme]] == stored_counts.get(new_theme, 0) + 1
    assert shown.get(names[theme], 0) == stored_counts[theme] - 1


def test_only_an_analyst_may_correct(own: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard import record_view

    monkeypatch.setattr(record_view, "current_role", lambda: "executive")
    at, pid = _open_first_record("ar")
    assert at.dataframe[1].value.shape[0] > 10  # the record is shown in full ...
    assert not [s for s in at.selectbox if s.key and s.key.startswith("fix_")]  # ... with nothing to correct
    monkeypatch.setattr(record_view, "current_user", lambda: "someone@x.sa")
    with pytest.raises(PermissionError):
        record_view.save(pid, "theme", None, "usability", list(THEMES))
    assert corrections.version(corrections.store_path(own)) == 0


def test_the_next_run_and_reclassify_apply_corrections_and_keep_the_orphans(
    landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CORRECTIONS_PATH", raising=False)
    wh = tmp_path / "wh" / "w.duckdb"
    wh.parent.mkdir()
    etl(landing, wh)
    con = duckdb.connect(str(wh), read_only=True)
    pid, theme, sentiment = con.execute(
        "select participation_id, theme, sentiment from participation "
        "where theme <> 'usability' and sentiment <> 'negative' order by participation_id limit 1"
    ).fetchone()
    con.close()
    store = corrections.store_path(wh)
    corrections.record(store, pid, "theme", theme, "usability", "a@x.sa", ["usability"])
    corrections.record(store, pid, "sentiment", sentiment, "negative", "a@x.sa", corrections.SENTIMENTS)
    corrections.record(store, "no-such-record", "theme", None, "usability", "a@x.sa", ["usability"])

    for result in (etl(landing, wh), reclassify(wh, REFERENCE)):
        con = duckdb.connect(str(wh), read_only=True)
        row = con.execute(
            "select theme, theme_source, theme_confidence, sentiment, sentiment_source, sentiment_confidence "
            "from participation where participation_id = ?",
            [pid],
        ).fetchone()
        in_mart = con.execute(
            "select sum(participations) from mart_daily where theme = 'usability' and sentiment = 'negative'"
        ).fetchone()[0]
        con.close()
        assert row == ("usability", "analyst", 1.0, "negative", "analyst", 1.0)
        assert in_mart >= 1
        assert any("1 analyst label(s) name records not in this warehouse" in w for w in result.warnings)
    assert ("no-such-record", "usability", None) in corrections.latest(store)  # kept, not lost


def test_training_takes_the_analysts_sentiments(own: Path) -> None:
    from etl.train import analyst_examples, with_analysts

    con = duckdb.connect(str(own), read_only=True)
    (pid, text), (other, _) = con.execute(
        "select participation_id, text_normalized from participation where text_normalized <> '' "
        "order by participation_id limit 2"
    ).fetchall()
    con.close()
    store = corrections.store_path(own)
    corrections.record(store, pid, "sentiment", None, "positive", "a@x.sa", corrections.SENTIMENTS)
    corrections.record(store, pid, "sentiment", None, "negative", "b@x.sa", corrections.SENTIMENTS)
    corrections.record(store, other, "theme", None, "usability", "a@x.sa", ["usability"])  # no sentiment
    corrections.record(store, "gone", "sentiment", None, "neutral", "a@x.sa", corrections.SENTIMENTS)
    examples = analyst_examples(own)
    assert examples == [(text, "negative")]
    texts, labels = with_analysts(["a", text], ["neutral", "positive"], examples)
    assert dict(zip(texts, labels)) == {"a": "neutral", text: "negative"}  # the analyst's label wins


def test_a_correction_moves_counts_between_labels_only(own: Path) -> None:
    """The overlay's mart rows add +1 under the corrected labels and -1 under the stored ones: they sum
    to zero over any grouping without a label, which is why queries that name no label skip it."""
    from dashboard import db

    con = duckdb.connect()
    con.execute(f"attach {quote_literal(str(own))} as warehouse (read_only)")
    fixes = con.execute(
        "select participation_id, 'usability', 'negative' from warehouse.participation "
        "where theme <> 'usability' and sentiment <> 'negative' order by participation_id limit 7"
    ).fetchall()
    delta = db.build_overlay(con, fixes).mart_delta
    con.register("delta", delta)
    assert con.execute("select sum(participations), sum(abs(participations)) from delta").fetchone() == (0, 14)
    assert (
        con.execute(
            "select count(*) from (select channel, day, sum(participations) s from delta group by all) where s <> 0"
        ).fetchone()[0]
        == 0
    )
    assert (
        con.execute(
            "select sum(participations) from delta where theme = 'usability' and sentiment = 'negative'"
        ).fetchone()[0]
        == 7
    )
    assert db.LABELLED.search(load_sql(db.SQL_DIR, "theme_totals")) and not db.LABELLED.search(
        load_sql(db.SQL_DIR, "kpis")
    )


def test_the_data_quality_page_says_how_many_corrections_name_no_record(own: Path) -> None:
    at = open_page("app_pages/data_quality.py", lang="en")
    said = lambda at: [w.value for w in at.warning if w.icon == ":material/rule:"]  # noqa: E731
    assert said(at) == []  # no corrections, nothing to say
    store = corrections.store_path(own)
    con = duckdb.connect(str(own), read_only=True)
    pid = con.execute("select min(participation_id) from participation").fetchone()[0]
    con.close()
    corrections.record(store, pid, "theme", None, "usability", "a@x.sa", ["usability"])
    for gone in ("gone-1", "gone-2"):
        corrections.record(store, gone, "theme", None, "usability", "a@x.sa", ["usability"])
    at = open_page("app_pages/data_quality.py", lang="en")
    assert said(at) == [
        "2 analysts' corrections name records that are not in this warehouse: they are kept, and apply if the "
        "records are loaded again."
    ]
