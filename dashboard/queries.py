"""Every query the app runs: functions that load SQL from dashboard/sql/ and bind parameters.

A SQL file may hold ``{where}``: it is replaced by the fragment ``filters.where`` builds from fixed
column names and ``?`` placeholders; every value is bound, never formatted in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd

from core import settings
from core.settings import WEEK_SHIFTS
from core.sqlfiles import load_sql
from dashboard.db import corrections_path, query, served_from
from dashboard.filters import DIMENSIONS, Filters, where
from dashboard.i18n import t
from etl import corrections

SQL_DIR = Path(__file__).parent / "sql"


def _date_column(sql: str) -> str:
    """SQL over ``mart_daily`` (the pre-aggregated mart) filters on its ``day`` column."""
    return "day" if "from mart_daily" in sql else "submitted_at"


def _run(
    name: str, filters: Filters | None = None, *before: object, after: tuple = (), sql: str | None = None
) -> pd.DataFrame:
    """Run ``name.sql`` (or ``sql``, a variant of it): parameters ``before`` the filters', the
    filters' (once for every ``{where}`` in the file), then ``after``."""
    sql = sql or load_sql(SQL_DIR, name)
    params: list = list(before)
    slots = sql.count("{where}")
    if slots:
        clause, fparams = where(filters or Filters(), date_column=_date_column(sql))
        sql = sql.replace("{where}", clause)
        params += fparams * slots
    return query(sql, tuple(params) + tuple(after))


def headline() -> pd.DataFrame:
    """One row: participations, senders, channels, last run, quarantined rows, build time."""
    return _run("headline")


def lake_source() -> tuple[int, bool] | None:
    """On a lake, the snapshot the pages read and whether from this server's copy (dashboard/db.py)."""
    return served_from()


def names(lang: str) -> dict[tuple[str, str], str]:
    """(dimension, code) -> name in ``lang`` for every coded field: the filters' choices (channel,
    tool, region, theme, status, language), sentiment and beneficiary type."""
    return {(r.dimension, r.code): r.name for r in _run("code_names", None, lang).itertuples()}


def data_span() -> pd.DataFrame:
    """First and last submission day in the warehouse, as dates."""
    return _run("data_span").apply(lambda column: column.map(_as_date))


def stored_period(filters: Filters) -> str | None:
    """``current`` or ``previous`` when ``filters`` are exactly a period whose non-additive figures
    (distinct senders, medians, the 90th percentile) the ETL stored in ``mart_window``: the default
    view, or the period before it, with no other filter. Otherwise None: computed from the rows."""
    if filters.days is None or any(getattr(filters, name) for name in DIMENSIONS):
        return None
    try:
        stored = _run("stored_periods")
    except duckdb.CatalogException:  # a warehouse built before mart_window existed
        return None
    for row in stored.itertuples():
        if (_as_date(row.period_start), _as_date(row.period_end)) == (filters.start, filters.end):
            return str(row.period)
    return None


def _as_date(value: object) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value  # type: ignore[return-value]


def _stored_or_rows(name: str, filters: Filters, *before: object) -> pd.DataFrame:
    """``name_stored.sql`` (its last parameter: the period) when ``filters`` are a period stored in
    mart_window, else ``name.sql`` over the rows; parameters ``before`` come first in both."""
    period = stored_period(filters)
    return _run(f"{name}_stored", None, *before, period) if period else _run(name, filters, *before)


def kpis(filters: Filters) -> pd.DataFrame:
    """The overview's headline figures for ``filters``: sums from the mart, and the two figures that
    do not add up (distinct senders, median time to answer) from ``mart_window`` for the default
    view, else from the time-ordered table."""
    additive = _run("kpis", filters)
    other = _stored_or_rows("kpis_distinct", filters)
    return pd.concat([additive, other], axis=1)


def actions_completed(filters: Filters) -> pd.DataFrame:
    return query(load_sql(SQL_DIR, "actions_completed"), (filters.start, filters.end))


def week_shift() -> int:
    """Days from WEEK_START's day to the next Monday: DuckDB's date_trunc('week') starts weeks on
    Monday, so a day moved this far forward truncates to the Monday after its week's first day
    (Sunday: 1, Saturday: 2, Monday: 0); the weekly SQL moves it back by as much."""
    return WEEK_SHIFTS[settings.get("WEEK_START")]


def weekly_volume(filters: Filters) -> pd.DataFrame:
    return _run("weekly_volume", filters, week_shift())


def changes(lang: str, current: Filters, previous: Filters) -> pd.DataFrame:
    """Per theme, channel and region: count now and in the previous period."""
    sql = load_sql(SQL_DIR, "changes")
    cur, cur_p = where(current, date_column=_date_column(sql))
    prev, prev_p = where(previous, date_column=_date_column(sql))
    sql = sql.replace("{where_current}", cur).replace("{where_previous}", prev)
    return query(sql, (lang, lang, lang, *cur_p, *prev_p, *cur_p, *prev_p))  # in the order they appear


def by_channel_over_time(lang: str, filters: Filters) -> pd.DataFrame:
    return _run("channel_weekly", filters, week_shift(), lang)


def by_dimension(lang: str, dimension: str, filters: Filters) -> pd.DataFrame:
    """Participations per region, beneficiary type or tool, named in ``lang``."""
    return _run(f"by_{dimension}", filters, lang)


def channel_service(lang: str, filters: Filters, quiet_days: int) -> pd.DataFrame:
    """Per channel: rating, share answered, median hours to answer, last submission, and whether it
    went quiet (no participation for more than ``quiet_days``)."""
    counts, count_params = where(filters, date_column="day")
    period = stored_period(filters)
    if period:
        medians, median_params = load_sql(SQL_DIR, "channel_medians_stored"), [period]
    else:
        rows, median_params = where(filters)
        medians = load_sql(SQL_DIR, "channel_medians").replace("{where}", rows)
    sql = load_sql(SQL_DIR, "channel_service").replace("{where}", counts).replace("{medians}", medians)
    return query(sql, (lang, *count_params, *median_params, quiet_days))  # in the order they appear


def runs() -> pd.DataFrame:
    return _run("etl_runs")


def run_sources(lang: str) -> pd.DataFrame:
    """Per source of the last run: its name in ``lang`` (source_name; the key where the warehouse
    predates stored names), its key (source), files and row counts, the share quarantined."""
    df = _run("run_sources")
    name = df.get(f"name_{lang}")
    df = df.assign(source_name=df["source"] if name is None else name.fillna(df["source"]))
    counts = ["files", "rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate", "share_quarantined"]
    return df[["source_name", "source", *counts]]


def quarantine_reasons() -> pd.DataFrame:
    return _run("quarantine_reasons")


# -- moderation ---------------------------------------------------------------------------------
def moderation_outcomes(lang: str, filters: Filters) -> pd.DataFrame:
    return _run("moderation_outcomes", filters, lang, lang)


def removals_by_control(lang: str, filters: Filters) -> pd.DataFrame:
    return _run("removals_by_control", filters, lang, lang)


def decision_time(lang: str, filters: Filters) -> pd.DataFrame:
    return _stored_or_rows("decision_time", filters, lang)


def pending_backlog(filters: Filters) -> pd.DataFrame:
    return _run("pending_backlog", filters)


def screening_agreement(lang: str, filters: Filters) -> pd.DataFrame:
    return _run("screening_agreement", filters, after=(lang,))


# -- themes -------------------------------------------------------------------------------------
def theme_distribution(lang: str, filters: Filters) -> pd.DataFrame:
    return _run("theme_distribution", filters, lang, lang)


def theme_totals(lang: str, filters: Filters) -> pd.DataFrame:
    return _run("theme_totals", filters, lang)


def theme_weekly(lang: str, filters: Filters) -> pd.DataFrame:
    return _run("theme_weekly", filters, week_shift(), lang)


def emerging_themes(lang: str, filters: Filters) -> pd.DataFrame:
    """Themes whose last four weeks (to the period's end) rose beyond their own 12-week baseline."""
    window = replace(filters, start=filters.end - dt.timedelta(weeks=17), end=filters.end)  # what it compares
    return _run("emerging_themes", window, week_shift(), lang, after=(filters.end,))


def label_sources(lang: str, filters: Filters) -> pd.DataFrame:
    """Per label (theme, sentiment) and source (rules, analyst, rating, model, none): participations
    and their share, named in ``lang``. Empty for a warehouse from before schema 6 (no sentiment
    source yet), until its next run."""
    try:
        df = _run("label_sources", filters)
    except duckdb.BinderException:
        return pd.DataFrame(columns=["label", "source", "participations", "share"])
    return df.assign(
        label=df["label"].map(lambda code: t(lang, f"label_{code}")),
        source=df["source"].map(lambda code: t(lang, f"label_source_{code or 'none'}")),
    )


def campaigns(lang: str, filters: Filters) -> pd.DataFrame:
    return query(load_sql(SQL_DIR, "campaigns"), (lang, filters.start, filters.end))


def theme_samples(theme: str, filters: Filters) -> pd.DataFrame:
    return _run("theme_samples", filters, after=(theme,))


def record_detail(participation_id: str) -> pd.DataFrame:
    """The explorer's record view: one row (none if the id is not in the warehouse)."""
    return _run("record_detail", None, participation_id)


def corrections_not_in_warehouse() -> int:
    """How many corrected records (the analysts' store beside the warehouse) the warehouse does not
    hold: kept in the store, applied if the record comes back, and said on the data-quality page."""
    ids = [pid for pid, _, _ in corrections.latest(corrections_path())]
    return int(_run("corrections_missing", None, ids).at[0, "missing"]) if ids else 0


# -- actions --------------------------------------------------------------------------------------
def actions_register(lang: str) -> pd.DataFrame:
    return query(load_sql(SQL_DIR, "actions_register"), (lang, lang, lang, lang))


def actions_by_status(lang: str) -> pd.DataFrame:
    """Actions per status and theme (names in ``lang``; an action without a theme shows "—")."""
    return query(load_sql(SQL_DIR, "actions_by_status"), (lang, lang))


# -- explorer -------------------------------------------------------------------------------------
def explorer_count(filters: Filters, search: str) -> int:
    return int(_run("explorer_count", filters, after=(search, search)).iloc[0, 0])


def explorer_rows(filters: Filters, search: str, limit: int, offset: int) -> pd.DataFrame:
    try:
        return _run("explorer_rows", filters, after=(search, search, limit, offset))
    except duckdb.BinderException:  # a warehouse built before schema 6, until its next run:
        # the same query over participation with the two columns it lacks, empty
        older = (
            "from (select *, null::double as sentiment_confidence, null::varchar as sentiment_source "
            "from participation) as participation"
        )
        sql = load_sql(SQL_DIR, "explorer_rows").replace("from participation", older, 1)
        return _run("explorer_rows", filters, after=(search, search, limit, offset), sql=sql)
