"""The query set behind each page at 1M and 10M records: medians, against pandas in the same run.

    python -m bench.pages --warehouse W1M.duckdb [--scale 10]

With --scale K, a K-times larger warehouse is made in DuckDB directly (each participation copied K
times under new ids) next to W1M. Each page's queries run exactly as the app runs them (the SQL
files in dashboard/sql, on a read-only connection and a cursor per query, no Streamlit cache);
pandas computes the same figures from a DataFrame held in memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from core.settings import get as setting
from core.sqlfiles import load_sql, quote_literal
from dashboard import analysis, queries
from dashboard.filters import Filters

ROOT = Path(__file__).resolve().parent.parent
ETL_SQL = ROOT / "etl" / "sql"
RESULTS = ROOT / "bench" / "results.md"
COPY_TABLES = (
    "improvement_action",
    "action_participation",
    "poll_answer",
    "campaign",
    "etl_run",
    "etl_run_source",
    "quarantine",
    "duplicate_row",
    "warehouse_meta",
)


# pages whose default view reads mart_window (the ETL's stored figures for the last 90 days and the
# 90 before): measured again over another period, where they compute those figures from the rows
LIVE_PAGES = ("overview", "channels", "moderation")
DAYS = int(setting("DEFAULT_PERIOD_DAYS"))


def scaled(src: Path, k: int) -> Path:
    """W1M made ``k`` times larger beside it, as a warehouse the ETL's checks pass (an append can run
    on it): each participation copied ``k`` times (the first copy keeps its id, the others add
    "-1", "-2", ...), with its duplicate_of and the manifest's record rows; the copies counted as
    read and loaded by the last run that loaded their source; the marts and campaigns rebuilt from
    the copies by the ETL's SQL."""
    dst = src.with_name(f"{src.stem}_x{k}.duckdb")
    if dst.exists():
        return dst
    con = duckdb.connect(str(dst))
    con.execute(f"attach {quote_literal(str(src))} as src (read_only)")

    def copy(column: str) -> str:  # the id ``column`` in copy r.k
        return f"case when r.k = 0 or {column} is null then {column} else {column} || '-' || r.k end"

    rebuilt = ("mart_summary", "mart_daily", "mart_window", "campaign")
    for (name,) in con.execute(
        "select table_name from information_schema.tables where table_catalog = 'src'"
    ).fetchall():
        if name == "participation":
            con.execute(
                f"create table participation as select p.* replace ({copy('participation_id')} as participation_id, "
                f"{copy('duplicate_of')} as duplicate_of) from src.participation as p, range({k}) r(k) "
                "order by submitted_at"
            )
        elif name == "record_file":
            con.execute(
                f"create table record_file as select f.* replace ({copy('record_id')} as record_id) "
                f"from src.record_file as f, range({k}) r(k) where r.k = 0 or kind = 'participation'"
            )
        elif name in ("etl_run", "etl_run_source"):
            # each source's new copies counted as loaded (and read) by the last run that loaded it
            added = (
                f"select s.run_id, s.source, {k - 1} * count(*) as n from src.participation as p "
                "join (select source, max(run_id) as run_id from src.etl_run_source group by source) as s "
                "using (source) group by all"
            )
            key = "run_id, source" if name == "etl_run_source" else "run_id"
            con.execute(
                f"create table {name} as select t.* replace (cast(t.rows_read + coalesce(a.n, 0) as bigint) "
                "as rows_read, cast(t.rows_loaded + coalesce(a.n, 0) as bigint) as rows_loaded) "
                f"from src.{name} as t "
                f"left join (select {key}, sum(n) as n from ({added}) group by all) as a using ({key}) "
                "order by t.run_id"
            )
        elif name not in rebuilt:
            con.execute(f"create table {name} as select * from src.{name}")
    for table in rebuilt:  # from the scaled rows, by the ETL's SQL
        sql = load_sql(ETL_SQL, table)
        con.execute(f"create table {table} as " + sql, {"days": DAYS} if "$days" in sql else {})
    con.close()
    return dst


def page_sets(lang: str, f: Filters) -> dict[str, list[Callable[[], object]]]:
    prev = f.previous()
    return {
        "overview": [
            lambda: queries.kpis(f),
            lambda: queries.kpis(prev),
            lambda: queries.actions_completed(f),
            lambda: queries.weekly_volume(f),
            lambda: analysis.what_changed(queries.changes(lang, f, prev)),
        ],
        "channels": [
            lambda: queries.by_channel_over_time(lang, f),
            lambda: queries.by_dimension(lang, "tool", f),
            lambda: queries.by_dimension(lang, "region", f),
            lambda: queries.by_dimension(lang, "beneficiary_type", f),
            lambda: queries.channel_service(lang, f, 7),  # the page's QUIET_DAYS
        ],
        "moderation": [
            lambda: queries.moderation_outcomes(lang, f),
            lambda: queries.removals_by_control(lang, f),
            lambda: queries.decision_time(lang, f),
            lambda: queries.pending_backlog(f),
            lambda: queries.screening_agreement(lang, f),
        ],
        "themes": [
            lambda: queries.theme_distribution(lang, f),
            lambda: queries.theme_weekly(lang, f),
            lambda: queries.emerging_themes(lang, f),
            lambda: queries.campaigns(lang, f),
            lambda: queries.theme_samples("call_center", f),
        ],
        "actions": [lambda: queries.actions_register(lang)],
        "explorer": [lambda: queries.explorer_count(f, "الاتصال"), lambda: queries.explorer_rows(f, "الاتصال", 50, 0)],
        "data_quality": [queries.headline, lambda: queries.run_sources(lang), queries.quarantine_reasons, queries.runs],
    }


def pandas_sets(df: pd.DataFrame, f: Filters) -> dict[str, list[Callable[[], object]]]:
    start, end = pd.Timestamp(f.start), pd.Timestamp(f.end) + pd.Timedelta(days=1)
    prev = f.previous()
    pstart = pd.Timestamp(prev.start)

    def cur() -> pd.DataFrame:
        return df[(df.submitted_at >= start) & (df.submitted_at < end)]

    def kpis(d: pd.DataFrame) -> object:
        hours = (d.responded_at - d.submitted_at).dt.total_seconds() / 3600
        return (
            len(d),
            d.sender_hash.nunique(),
            d.responded_at.notna().mean(),
            hours.median(),
            d.rating.mean(),
            d.moderation_status.isin(["hidden", "deleted"]).mean(),
        )

    def weekly(d: pd.DataFrame, by: list[str]) -> object:
        return d.groupby([d.submitted_at.dt.to_period("W"), *by]).size()

    return {
        "overview": [
            lambda: kpis(cur()),
            lambda: kpis(df[(df.submitted_at >= pstart) & (df.submitted_at < start)]),
            lambda: weekly(cur(), []),
            lambda: [cur().groupby(c).size() for c in ("theme", "channel", "region")],
        ],
        "channels": [
            lambda: weekly(cur(), ["channel"]),
            lambda: cur().groupby("tool").size(),
            lambda: cur().groupby("region").size(),
            lambda: cur().groupby("beneficiary_type").size(),
            lambda: (
                cur().groupby("channel").agg(n=("rating", "size"), r=("rating", "mean"), last=("submitted_at", "max"))
            ),
        ],
        "moderation": [
            lambda: cur().groupby(["channel", "moderation_status"]).size(),
            lambda: cur()[cur().moderation_status.isin(["hidden", "deleted"])].groupby("moderation_control").size(),
            lambda: (
                ((cur().moderated_at - cur().submitted_at).dt.total_seconds() / 3600)
                .groupby(cur().moderation_status)
                .median()
            ),
            lambda: cur()[cur().moderation_status == "pending"].shape[0],
        ],
        "themes": [lambda: cur().groupby(["theme", "sentiment"]).size(), lambda: weekly(cur(), ["theme"])],
        "explorer": [
            lambda: cur().text_normalized.str.contains("الاتصال", regex=False).sum(),
            lambda: (
                cur()[cur().text_normalized.str.contains("الاتصال", regex=False)]
                .sort_values("submitted_at", ascending=False)
                .head(50)
            ),
        ],
    }


def timed(fns: list[Callable[[], object]], repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for fn in fns:
            fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000


def through(con: duckdb.DuckDBPyConnection, prepare: Callable[[duckdb.DuckDBPyConnection, str], None] | None = None):
    """The app's queries (dashboard.queries) run on ``con`` as the app runs them, without Streamlit's
    cache: a cursor per query, on the database ``con`` uses, ``prepare(cursor, sql)`` first if given."""
    database = con.execute("select current_database()").fetchone()[0]

    def direct(sql: str, params: tuple = ()) -> pd.DataFrame:
        cur = con.cursor()
        try:
            cur.execute(f"use {database}")
            if prepare is not None:
                prepare(cur, sql)
            return cur.execute(sql, list(params)).df()
        finally:
            cur.close()

    queries.query = direct


def views(con: duckdb.DuckDBPyConnection) -> tuple[Filters, Filters]:
    """The app's default view (the last DAYS days) and the same length of period ending a day
    earlier: not the stored default view, so the figures that do not add up are computed from the rows."""
    last = con.execute("select cast(max(submitted_at) as date) from participation").fetchone()[0]
    default = Filters(start=last - dt.timedelta(days=DAYS - 1), end=last)
    return default, Filters(start=default.start - dt.timedelta(days=1), end=default.end - dt.timedelta(days=1))


def measure(path: Path, label: str) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    through(con)
    f, other = views(con)
    n = con.execute("select count(*) from participation").fetchone()[0]
    cols = [
        "submitted_at",
        "responded_at",
        "moderated_at",
        "channel",
        "tool",
        "region",
        "beneficiary_type",
        "theme",
        "sentiment",
        "rating",
        "moderation_status",
        "moderation_control",
        "sender_hash",
        "text_normalized",
    ]
    t0 = time.perf_counter()
    df = con.execute(f"select {', '.join(cols)} from participation").df()
    load = time.perf_counter() - t0
    lines = []
    for view, filters, pages in (("default view", f, None), ("other period", other, LIVE_PAGES)):
        pd_sets = pandas_sets(df, filters)
        for page, fns in page_sets("ar", filters).items():
            if pages is not None and page not in pages:
                continue
            ms = timed(fns)
            pms = timed(pd_sets[page], repeat=3) if page in pd_sets else None
            ratio = f"{ms / pms:.2f}x pandas ({pms:,.0f} ms)" if pms else "no pandas equivalent"
            lines.append(f"| {label} ({n:,}) | {page}, {view} | {ms:,.0f} ms | {ratio} |")
            print(lines[-1], flush=True)
    print(f"pandas DataFrame load: {load:.1f} s, {df.memory_usage(deep=True).sum() / 1e9:.1f} GB")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warehouse", required=True, help="a warehouse built by the ETL (1M records)")
    ap.add_argument("--scale", type=int, default=10)
    args = ap.parse_args()
    base = Path(args.warehouse)
    lines = measure(base, "1M")
    if args.scale > 1:
        lines += measure(scaled(base, args.scale), f"{args.scale}M")
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(
            f"\n## {dt.date.today().isoformat()}: page query sets, median of 5 (`python -m bench.pages "
            f"--warehouse W --scale {args.scale}`)\n\nDefault view: the last 90 days, no other filter. Other "
            "period: 90 days ending a day earlier (not stored in mart_window: computed from the rows).\n\n"
            "| warehouse | page | query set | against pandas in the same run |\n| --- | --- | --- | --- |\n"
            + "\n".join(lines)
            + "\n"
        )


if __name__ == "__main__":
    main()
