"""Every page through AppTest, in both languages, with filters set in the URL, over a warehouse
built by the real ETL; at least one interaction per page."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import queries
from dashboard.analysis import MIN_COUNT, what_changed, whole_weeks
from dashboard.i18n import hijri, reason, strings, t
from tests.conftest import PAGE_TITLES, ROOT, older_warehouse, open_page

PAGES = [
    "app_pages/overview.py",
    "app_pages/channels.py",
    "app_pages/data_quality.py",
    "app_pages/moderation.py",
    "app_pages/themes.py",
    "app_pages/actions.py",
    "app_pages/explorer.py",
]
TITLES = {f"app_pages/{key}.py": titles for key, titles in PAGE_TITLES.items()}


@pytest.fixture
def wh(built, monkeypatch: pytest.MonkeyPatch) -> Path:
    path, _ = built
    monkeypatch.setenv("WAREHOUSE_PATH", str(path))
    return path


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_every_page_renders_in_each_language(wh: Path, page: str, lang: str) -> None:
    at = open_page(page, lang=lang, start="2025-01-01", end="2026-11-27")
    assert at.title[0].value == TITLES[page][0 if lang == "ar" else 1]
    assert at.dataframe or at.metric
    # a missing value reads "—" in every table, never Streamlit's English "None"
    assert all(d.proto.placeholder == "—" for d in at.dataframe)
    # whole numbers read with a thousands separator (12,345)
    for d in at.dataframe:
        config = json.loads(d.proto.columns or "{}")
        for column in d.value.columns:
            if pd.api.types.is_integer_dtype(d.value[column]) and not pd.api.types.is_bool_dtype(d.value[column]):
                assert config[str(column)]["type_config"]["format"] == "%,d", (page, column)


def _count(wh: Path, where: str = "true", params: list | None = None) -> int:
    return (
        duckdb.connect(str(wh), read_only=True)
        .execute(f"select count(*) from participation where {where}", params or [])
        .fetchone()[0]
    )


def test_overview_follows_the_url_filters(wh: Path) -> None:
    at = open_page(PAGES[0], lang="en", start="2026-01-01", end="2026-03-31", channel="email")
    expected = _count(wh, "channel = 'email' and submitted_at >= '2026-01-01' and submitted_at < '2026-04-01'")
    assert at.metric[0].label == "Participations" and at.metric[0].value == f"{expected:,}"
    assert at.multiselect(key="f_channel").value == ["email"]


def test_overview_filter_interaction(wh: Path) -> None:
    at = open_page(PAGES[0], lang="ar", start="2025-01-01", end="2026-11-27")
    everything = at.metric[0].value
    at.multiselect(key="f_channel").set_value(["website"]).run()
    website = _count(wh, "channel = 'website' and submitted_at >= '2025-01-01'")
    assert at.metric[0].value == f"{website:,}" != everything


@pytest.mark.parametrize("page", ["app_pages/public.py", "app_pages/actions.py", "app_pages/data_quality.py"])
def test_pages_the_filters_do_not_reach_hide_them_and_keep_them(wh: Path, page: str) -> None:
    at = open_page(PAGES[0], lang="en", start="2026-01-01", end="2026-03-31", channel="email")
    assert at.sidebar.multiselect and at.sidebar.date_input
    at.switch_page(page).run()
    assert not at.exception and not at.sidebar.multiselect and not at.sidebar.date_input  # they would not apply
    assert "channel" not in at.query_params
    at.switch_page(PAGES[0]).run()
    assert at.multiselect(key="f_channel").value == ["email"]
    assert at.date_input(key="f_period").value == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))


def test_unknown_codes_in_the_url_are_ignored(wh: Path) -> None:
    at = open_page(PAGES[0], lang="en", channel="email,<script>alert(1)</script>", start="garbage")
    assert at.multiselect(key="f_channel").value == ["email"]


def test_channels_page_interaction(wh: Path) -> None:
    at = open_page(PAGES[1], lang="en", start="2025-01-01", end="2026-11-27")
    n_before = len(at.dataframe)
    at.multiselect(key="f_region").set_value(["riyadh"]).run()
    assert not at.exception and len(at.dataframe) == n_before
    service = at.dataframe[-1].value
    assert "Quiet?" in service.columns and service["Participations"].sum() == _count(
        wh, "region = 'riyadh' and submitted_at >= '2025-01-01'"
    )
    assert _column_format(at.dataframe[-1], "Share answered") == "percent"  # 0.635 reads 63.50%
    assert _column_format(at.dataframe[-1], "Median hours to answer") == "%.1f"  # 22.0 beside 27.9, not 22
    assert _column_format(at.dataframe[-1], "Average rating") == "%.2f"  # 2.90 beside 3.16, not 2.9
    # "Automated voice response (IVR)" is read whole, not cut off; short columns keep Streamlit's fit
    assert "Automated voice response (IVR)" in set(service["Channel"])
    # (Chromium draws it 184.6 pixels wide in the tables' font, and a cell pads it by 16)
    assert 201 <= _column_config(at.dataframe[-1], "Channel").get("width") <= 206
    assert "width" not in _column_config(at.dataframe[-1], "Last participation")


def test_text_columns_are_as_wide_as_their_longest_value() -> None:
    from dashboard.components import text_width

    assert text_width(pd.Series(["Website", "E-mail", None])) is None  # short: Streamlit's own fit
    assert text_width(pd.Series([1234567890123456789, 2])) is None  # numbers are not text
    # Latin text in the tables' own font, measured in Chromium (129.0 and 231.4 pixels), padded by 16:
    # "improvement_actions" lost its s at the old estimate of 6.2 pixels a letter
    assert 145 <= text_width(pd.Series(["improvement_actions", "polls"])) <= 150
    assert 248 <= text_width(pd.Series(["call_center/crm_export_1909_2025.xlsx"])) <= 253
    # Arabic is drawn in the reader's system font: 7.2 pixels a letter, spaces as the font's
    assert text_width(pd.Series(["مواقع التواصل الاجتماعي"])) == int(16 + 21 * 7.2 + 2 * 2.8 + 1)
    assert text_width(pd.Series(["ممتاز" * 4 + "ً"])) == text_width(pd.Series(["ممتاز" * 4]))  # marks take no room
    # a column named more widely than its values is as wide as its name
    named = pd.Series(["x" * 17], name="The longest name of all the columns")
    assert text_width(named) > text_width(pd.Series(["x" * 17]))
    assert text_width(pd.Series(["ب" * 500])) == 400  # a long text: its cell ends at 400 pixels
    assert text_width(pd.Series(["", "x" * 17, ""], name="")) == text_width(pd.Series(["x" * 17]))  # empties
    wide = pd.Series(["ب" * 20] * 20_000 + ["😍" * 20])  # the widest of 20,001 values, the last one
    assert text_width(wide) == int(16 + 20 * 15.0 + 1)


def test_a_table_is_measured_as_streamlit_lays_it_out() -> None:
    from dashboard.components import table_width, text_width

    # short columns: as wide as their widest value or name, padded by 16, and never under 50
    assert table_width(pd.DataFrame({"n": [1, 22]}), {}) == 50
    assert 145 <= table_width(pd.DataFrame({"improvement_actions": [1]}), {}) <= 150  # its name: 129 px
    # a column given a width (text_width's) counts as that width
    names = pd.DataFrame({"name": ["call_center/crm_export_1909_2025.xlsx"], "n": [1]})
    widths = {"name": text_width(names["name"])}
    assert table_width(names, widths) == widths["name"] + 50
    # the explorer's cells may hold lists (the controls a record may break), empty ones included:
    # measured as written out; a missing value as the placeholder
    lists = pd.DataFrame({"controls": [[], ["2", "9", "9"], None]})
    assert table_width(lists, {}) == table_width(pd.DataFrame({"controls": ["[]", "['2', '9', '9']", "—"]}), {}) > 50


def test_arabic_tables_run_right_to_left_when_they_fit(wh: Path) -> None:
    """Streamlit's grid lays columns out left to right in every language; in Arabic a table that
    fits is given its columns in reverse, so the first (the control, the status) is at the right."""
    at = open_page("app_pages/moderation.py", lang="ar", start="2024-01-01", end="2026-11-27")
    agreement = next(d for d in at.dataframe if t("ar", "col_agreement") in d.value.columns)
    assert list(agreement.proto.column_order) == list(reversed(agreement.value.columns))
    assert agreement.value.columns[0] == t("ar", "col_control")  # the download keeps the order
    # in one of two columns: the time to a decision (4 columns) fits in half the page
    decisions = next(d for d in at.dataframe if t("ar", "col_p90_hours") in d.value.columns)
    assert list(decisions.proto.column_order)[-1] == t("ar", "col_status")
    # the explorer's page of records is far wider than the page: it scrolls from the left, where
    # its first columns stay in view
    at = open_page("app_pages/explorer.py", lang="ar", start="2024-01-01", end="2026-11-27")
    assert not at.dataframe[0].proto.column_order
    # English reads left to right as the grid draws it
    at = open_page("app_pages/moderation.py", lang="en", start="2024-01-01", end="2026-11-27")
    assert at.dataframe and not any(d.proto.column_order for d in at.dataframe)


def _column_format(table, column: str) -> str | None:
    """The number format a table's column is shown with (st.column_config), if any."""
    return _column_config(table, column).get("type_config", {}).get("format")


def _column_config(table, column: str) -> dict:
    """What st.column_config says of a table's column ({} when nothing)."""
    config = json.loads(table.proto.columns or "{}")
    return next((c for k, c in config.items() if column in k), {})


def test_data_quality_shows_the_run(wh: Path, built) -> None:
    _, result = built
    at = open_page(PAGES[2], lang="en")
    sources = at.dataframe[0].value
    assert _column_format(at.dataframe[0], "Share quarantined") == "percent"
    assert set(sources["Source key"]) == {s.source for s in result.sources}
    assert set(sources["Source"]) == {s.name_en for s in result.sources}  # names, not keys
    assert sources["Read"].sum() == result.totals.rows_read
    at.button_group(key="lang_switch").set_value("ar").run()
    assert at.title[0].value == "جودة البيانات"
    named = {s.name_ar for s in result.sources}
    assert set(at.dataframe[0].value[t("ar", "col_source")]) == named
    assert set(at.dataframe[1].value[t("ar", "col_source")]) <= named
    # the quarantine reasons and the run's status, stored in English, read in Arabic
    reasons = at.dataframe[1].value[t("ar", "col_reason")]
    assert len(reasons) and all(re.search("[\u0600-\u06ff]", r) for r in reasons), list(reasons)
    assert set(at.dataframe[2].value[t("ar", "col_status")]) == {t("ar", "run_success")}


def test_every_quarantine_reason_the_etl_writes_reads_in_arabic() -> None:
    sql = " ".join(p.read_text(encoding="utf-8") for p in (ROOT / "etl/sql").glob("*.sql"))
    written = set(re.findall(r"'([a-z_]+: [^']+)'", sql))
    written |= {"invalid JSON", "not a JSON object", "expected 15 fields, found 14"}  # etl/extract.py
    assert len(written) > 30
    untranslated = sorted(
        r for r in written if reason(r, "ar") == r or not re.search("[\u0600-\u06ff]", reason(r, "ar"))
    )
    assert not untranslated
    assert all(reason(r, "en") == r for r in written)
    assert reason("field: something new", "ar") == "field: something new"  # shown as stored


def test_empty_filter_result_says_why(wh: Path) -> None:
    at = open_page(PAGES[0], lang="en", start="2025-01-01", end="2025-01-01", channel="ivr", region="al_baha")
    assert any("No participations match" in i.value for i in at.info)


def test_what_changed_guards_against_noise() -> None:
    df = pd.DataFrame(
        {
            "dimension": ["theme", "theme", "channel", "region"],
            "name": ["a", "b", "c", "d"],
            "now": [5, 200, 100, 60],
            "before": [1, 100, 96, 20],
        }
    )
    out = what_changed(df)
    assert list(out["name"]) == ["b", "d"]  # 5 vs 1 is small numbers; 100 vs 96 is noise
    assert list(out["direction"]) == ["up", "up"] and out.loc[0, "change_pct"] == 1.0
    assert what_changed(df.assign(now=df["before"])).empty
    assert MIN_COUNT >= 10


def test_whole_weeks_leave_out_the_weeks_a_period_cuts() -> None:
    weeks = pd.DataFrame(
        {"week": pd.to_datetime(["2026-08-24", "2026-08-31", "2026-09-07", "2026-11-23"]), "n": [1, 9, 9, 4]}
    )
    # Sunday 30 August to Friday 27 November: the first and the last week are cut
    kept = whole_weeks(weeks, dt.date(2026, 8, 30), dt.date(2026, 11, 27))
    assert list(kept["n"]) == [9, 9]
    assert list(whole_weeks(weeks, dt.date(2026, 8, 24), dt.date(2026, 11, 29))["n"]) == [1, 9, 9, 4]
    assert list(whole_weeks(weeks, None, None)["n"]) == [1, 9, 9, 4]
    # a period with no whole week shows what it has
    assert len(whole_weeks(weeks.head(1), dt.date(2026, 8, 26), dt.date(2026, 8, 28))) == 1


def test_overview_says_when_cut_weeks_are_left_out(wh: Path) -> None:
    partial = strings("en")["partial_weeks"]
    at = open_page(PAGES[0], lang="en", start="2026-08-30", end="2026-11-27")
    assert any(c.value == partial for c in at.caption)
    at = open_page(PAGES[0], lang="en", start="2026-08-30", end="2026-11-21")  # Sunday to Saturday
    assert not any(c.value == partial for c in at.caption)


def test_moderation_counts_removals_by_control(wh: Path) -> None:
    at = open_page("app_pages/moderation.py", lang="en", start="2024-01-01", end="2026-11-27")
    removals = next(d.value for d in at.dataframe if "The control's text" in d.value.columns)
    assert list(removals["Control"]) == list(range(1, 10))
    decisions = next(d for d in at.dataframe if "90th percentile hours" in d.value.columns)
    assert _column_format(decisions, "Median hours") == _column_format(decisions, "90th percentile hours") == "%.1f"
    assert removals["Removals"].sum() == _count(
        wh, "moderation_status in ('hidden', 'deleted') and moderation_control is not null"
    )
    at.multiselect(key="f_channel").set_value(["email"]).run()
    removals = next(d.value for d in at.dataframe if "The control's text" in d.value.columns)
    assert removals["Removals"].sum() == _count(
        wh, "channel = 'email' and moderation_status in ('hidden', 'deleted') and moderation_control is not null"
    )


def test_themes_samples_are_plain_redacted_text(wh: Path) -> None:
    at = open_page("app_pages/themes.py", lang="ar", start="2024-01-01", end="2026-11-27")
    at.selectbox(key="sample_theme").set_value("call_center").run()
    samples = at.dataframe[-1].value
    assert len(samples) == 20 and not at.exception
    text = " ".join(samples["النص"].dropna())
    assert "[PHONE]" not in text  # markers are shown in the reader's language
    assert not at.markdown or all("النص" not in m.value for m in at.markdown)


def test_actions_cards(wh: Path) -> None:
    at = open_page("app_pages/actions.py", lang="en")
    statuses = list(dict.fromkeys(at.dataframe[0].value["Status"]))
    lifecycle = ["Proposed", "Approved", "In progress", "Done", "Dropped"]
    assert statuses == [s for s in lifecycle if s in statuses] and len(statuses) > 2
    n = (
        duckdb.connect(str(wh), read_only=True)
        .execute("select count(*) from improvement_action where status in ('done', 'in_progress')")
        .fetchone()[0]
    )
    assert n > 0 and sum(1 for c in at.caption if "answering" in c.value) == n


def test_explorer_search_ignores_diacritics_and_hamza(wh: Path) -> None:
    at = open_page("app_pages/explorer.py", lang="en", start="2024-01-01", end="2026-11-27")
    at.text_input(key="search").input("الاتصال").run()
    plain = at.caption[0].value
    at.text_input(key="search").input("الإتِّصال").run()  # hamza under the alef, shadda and kasra
    assert at.caption[0].value == plain and plain.split()[0] != "0"


def test_explorer_exports_are_built_on_click_only(wh: Path, monkeypatch) -> None:
    """Rendering the explorer, and rerunning it on each search, reads one page of records; the
    export's 200,000 rows are read only when a download is clicked (the button's data is a callable)."""
    limits: list[int] = []
    real = queries.explorer_rows
    monkeypatch.setattr(
        queries, "explorer_rows", lambda f, s, limit, offset: limits.append(limit) or real(f, s, limit, offset)
    )
    at = open_page("app_pages/explorer.py", lang="en", start="2024-01-01", end="2026-11-27")
    at.text_input(key="search").input("الاتصال").run()
    assert not at.exception
    labels = {b.label for b in at.get("download_button")}
    assert {"Download CSV", "Download XLSX"} <= labels, labels
    assert limits and set(limits) == {50}, limits


def test_a_deferred_download_reads_its_rows_when_called() -> None:
    from dashboard.exports import deferred, to_csv

    built: list[int] = []
    data = deferred(lambda: built.append(1) or pd.DataFrame({"text": ["=1+1", "ok"]}), to_csv)
    assert built == []
    assert data() == "text\n'=1+1\nok\n".encode("utf-8-sig") and built == [1]


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_explorer_shows_names_in_the_interface_language(wh: Path, lang: str) -> None:
    at = open_page("app_pages/explorer.py", lang=lang, start="2024-01-01", end="2026-11-27")
    rows = at.dataframe[0].value
    con = duckdb.connect(str(wh), read_only=True)
    for field, ref in [
        ("channel", "ref_channel"),
        ("tool", "ref_tool"),
        ("theme", "ref_theme"),
        ("sentiment", "ref_sentiment"),
        ("status", "ref_moderation_status"),
        ("language", "ref_language"),
    ]:
        names = {name for (name,) in con.execute(f"select name_{lang} from {ref}").fetchall()}
        shown = set(rows[t(lang, f"col_{field}")].dropna())
        assert shown and shown <= names, (field, shown - names)
    # each submission's day in the Umm al-Qura calendar beside the Gregorian one
    newest = rows.iloc[0]
    assert newest[t(lang, "col_submitted_hijri")] == hijri(newest[t(lang, "col_submitted")].date())
    first = ("col_id", "col_submitted", "col_submitted_hijri", "col_text")
    assert list(rows.columns[:4]) == [t(lang, k) for k in first]


def test_screening_agreement_from_the_mart_matches_the_rows(wh: Path) -> None:
    at = open_page("app_pages/moderation.py", lang="en", start="2024-01-01", end="2026-11-27")
    shown = next(d for d in at.dataframe if "Agreement" in d.value.columns)
    table = shown.value
    # shares read as percentages, as every other share in the app ("58.3%", not 0.583 beside 1)
    assert all(_column_format(shown, c) == "percent" for c in ("Precision", "Recall", "Agreement"))
    captions = " ".join(c.value for c in at.caption)  # each of the three is defined where it is shown
    assert all(d in captions for d in ("(both ÷ flagged)", "(both ÷ removed)", "(both ÷ either)"))
    con = duckdb.connect(str(wh), read_only=True)
    for control in range(1, 10):
        screened, both = con.execute(
            "select count(*) filter (where list_contains(screening_controls, ?)), "
            "count(*) filter (where list_contains(screening_controls, ?) and moderation_status in "
            "('hidden', 'deleted') and moderation_control = ?) from participation",
            [control] * 3,
        ).fetchone()
        row = table[table["Control"] == control].iloc[0]
        assert (row["Screened"], row["Both"]) == (screened, both), control
    assert table["Screened"].sum() > 0


def test_default_view_reads_stored_figures_that_match_the_rows(wh: Path) -> None:
    """The default view (last 90 days, no other filter) reads senders and medians from mart_window;
    they must be the figures the rows give, and any other filter must compute them from the rows."""
    import datetime as dt

    from core import settings
    from dashboard import queries
    from dashboard.filters import Filters

    con = duckdb.connect(str(wh), read_only=True)
    last = con.execute("select cast(max(submitted_at) as date) from participation").fetchone()[0]
    days = int(settings.get("DEFAULT_PERIOD_DAYS"))
    default = Filters(start=last - dt.timedelta(days=days - 1), end=last)
    assert queries.stored_period(default) == "current"
    assert queries.stored_period(default.previous()) == "previous"
    assert queries.stored_period(Filters(start=default.start, end=default.end, channel=("email",))) is None
    assert queries.stored_period(Filters(start=default.start, end=last - dt.timedelta(days=1))) is None

    for f in (default, default.previous()):
        rows = (f.start, f.end + dt.timedelta(days=1))
        senders, median = con.execute(
            "select count(distinct sender_hash), median(hours_to_answer) from participation "
            "where submitted_at >= ? and submitted_at < ?",
            list(rows),
        ).fetchone()
        stored = queries.kpis(f).iloc[0]
        assert (stored.senders, stored.median_hours_to_answer) == (senders, pytest.approx(median))
        for lang in ("ar", "en"):
            live = queries._run("decision_time", f, lang).sort_values("status").reset_index(drop=True)
            kept = queries.decision_time(lang, f).sort_values("status").reset_index(drop=True)
            pd.testing.assert_frame_equal(live, kept, check_dtype=False)
        per_channel = queries.channel_service("en", f, 7).set_index("channel")["median_hours_to_answer"]
        expected = con.execute(
            "select name_en, round(median(hours_to_answer), 1) from participation join ref_channel "
            "on code = channel where submitted_at >= ? and submitted_at < ? group by all",
            list(rows),
        ).fetchall()
        assert {k: v for k, v in expected if v is not None} == per_channel.dropna().to_dict()

    at = open_page(PAGES[0], lang="en")  # no dates in the URL: the default view
    senders = next(m for m in at.metric if m.label == "Identified participants")
    assert senders.value == f"{int(queries.kpis(default).iloc[0].senders):,}"


def test_overview_what_changed_shows_its_change_as_a_percentage(wh: Path) -> None:
    at = open_page(PAGES[0], lang="en")
    changed = [d for d in at.dataframe if "%" in d.value.columns]
    assert changed, "the default view should have a 'what changed' table"
    assert changed[0].value["%"].abs().max() < 100  # stored as a share (0.109): the format makes it 10.9%
    assert _column_format(changed[0], "%") == "percent"


def test_pending_backlog_bars_run_from_the_youngest_age_band(wh: Path) -> None:
    at = open_page("app_pages/moderation.py", lang="en", start="2024-01-01", end="2026-11-27")
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    backlog = next(s for s in specs if s.get("description") == "Pending backlog by age (days)")
    bands = [b.strip("\u2068\u2069") for b in backlog["encoding"]["y"]["sort"]]
    assert len(bands) > 2 and bands == [b for b in ["0-1", "1-3", "3-7", "7-30", "30+"] if b in bands]


def test_pending_backlog_ages_count_from_the_newest_submission(wh: Path) -> None:
    """The ages are days before the newest submission in the warehouse (stored in mart_summary),
    counted here again from the rows."""
    from dashboard.db import query
    from dashboard.filters import Filters

    filters = Filters(start=dt.date(2024, 1, 1), end=dt.date(2026, 11, 27))
    got = queries.pending_backlog(filters)
    rows = query(
        "select date_diff('day', submitted_at, (select max(submitted_at) from participation)) as age "
        "from participation where moderation_status = 'pending' "
        "and submitted_at >= ? and submitted_at < ?",
        (filters.start, filters.end + dt.timedelta(days=1)),
    )["age"]
    bands = {"0-1": (0, 1), "1-3": (1, 3), "3-7": (3, 7), "7-30": (7, 30), "30+": (30, 10**9)}
    expected = {b: int(((rows >= lo) & (rows < hi)).sum()) for b, (lo, hi) in bands.items()}
    assert dict(zip(got["age"], got["pending"])) == {b: n for b, n in expected.items() if n}


def test_a_warehouse_from_before_source_names_shows_its_keys(wh: Path, tmp_path: Path, monkeypatch) -> None:
    old = older_warehouse(wh, tmp_path, "etl_run_source", "name_ar", "name_en")
    monkeypatch.setenv("WAREHOUSE_PATH", str(old))
    sources = queries.run_sources("ar")
    assert len(sources) and list(sources["source_name"]) == list(sources["source"])


@pytest.mark.parametrize(("start", "weekday"), [("sunday", 6), ("monday", 0), ("saturday", 5)])
def test_weeks_start_on_week_start_in_every_weekly_figure(wh: Path, monkeypatch, start: str, weekday: int) -> None:
    """Every weekly figure (the overview's trend, channels and themes by week, emerging themes) cuts
    its weeks on WEEK_START, labels each by its first day, and counts exactly that week's records."""
    from dashboard.db import query
    from dashboard.filters import Filters

    monkeypatch.setenv("WEEK_START", start)
    filters = Filters(start=dt.date(2026, 5, 1), end=dt.date(2026, 8, 31))
    frames = {
        "weekly_volume": queries.weekly_volume(filters),
        "channel_weekly": queries.by_channel_over_time("en", filters),
        "theme_weekly": queries.theme_weekly("en", filters),
    }
    for name, df in frames.items():
        days = pd.to_datetime(df["week"]).dt.date
        assert (days.map(lambda d: d.weekday()) == weekday).all(), name
        assert not df.empty
    weekly = {pd.Timestamp(w).date(): n for w, n in frames["weekly_volume"][["week", "participations"]].values}
    for first in sorted(weekly)[1:-1]:  # the whole weeks inside the period: counted from the rows
        n = query(
            "select count(*) as n from participation where cast(submitted_at as date) between ? and ?",
            (first, first + dt.timedelta(days=6)),
        ).iat[0, 0]
        assert weekly[first] == n
    for name in ("channel_weekly", "theme_weekly"):  # the same weeks, split another way
        per = frames[name].groupby("week")["participations"].sum()
        assert {pd.Timestamp(w).date(): n for w, n in per.items()} == weekly, name


def test_the_default_week_is_the_saudi_working_week(wh: Path) -> None:
    at = open_page(PAGES[0], lang="en", start="2026-05-03", end="2026-08-29")  # Sunday to Saturday
    weekly = next(d.value for d in at.dataframe if "Week" in d.value.columns)
    days = pd.to_datetime(weekly["Week"]).dt.date
    assert (days.map(lambda d: d.weekday()) == 6).all() and days.iloc[0] == dt.date(2026, 5, 3)
