"""What the analysts' corrections cost the pages: each page's query set with none, and with N
corrected records read through the overlay (dashboard/db.py), medians of 5, in the same run.

    python -m bench.corrections --warehouse W1M.duckdb [--corrections 1000]

The queries run as the app runs them (the SQL files, a cursor per query, no Streamlit cache); with
corrections, each cursor gets the same temporary views the app gives it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import duckdb

from bench.pages import RESULTS, page_sets, through, timed, views
from dashboard import db


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warehouse", required=True, help="a warehouse built by the ETL")
    ap.add_argument("--corrections", type=int, default=1000, help="corrected records (theme and sentiment)")
    args = ap.parse_args()
    con = duckdb.connect()
    con.execute("attach ? as warehouse (read_only)", [str(Path(args.warehouse))])
    con.execute("use warehouse")
    n = con.execute("select count(*) from participation").fetchone()[0]
    fixes = con.execute(
        "select participation_id, case when theme = 'usability' then 'awareness' else 'usability' end as theme, "
        "case when sentiment = 'negative' then 'positive' else 'negative' end as sentiment "
        f"from participation using sample reservoir({int(args.corrections)} rows) repeatable (7)"
    ).fetchall()
    t0 = time.perf_counter()
    built = db.build_overlay(con, fixes)  # once per warehouse and corrections version, in the app
    build_ms = (time.perf_counter() - t0) * 1000
    print(f"overlay built in {build_ms:,.0f} ms", flush=True)
    overlay: list[db.Overlay | None] = [None]

    def prepare(cur: duckdb.DuckDBPyConnection, sql: str) -> None:
        if overlay[0] is not None and db.LABELLED.search(sql):  # as dashboard.db._query does
            db.overlay(cur, overlay[0])

    through(con, prepare)
    f, _ = views(con)
    lines = []
    for page, fns in page_sets("ar", f).items():
        overlay[0] = None
        plain = timed(fns)
        overlay[0] = built
        corrected = timed(fns)
        lines.append(f"| {n:,} | {page} | {plain:,.0f} ms | {corrected:,.0f} ms | {corrected / plain:.2f}x |")
        print(lines[-1], flush=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(
            f"\n## {dt.date.today().isoformat()}: pages with {args.corrections:,} analysts' corrections read through "
            f"the overlay, median of 5 (`python -m bench.corrections --warehouse W --corrections "
            f"{args.corrections}`)\n\nThe overlay itself (the corrected records' mart rows, built once per "
            f"warehouse and corrections version): {build_ms:,.0f} ms.\n\n"
            "| participations | page | no corrections | with corrections | ratio |\n| --- | --- | --- | --- | --- |\n"
            + "\n".join(lines)
            + "\n"
        )


if __name__ == "__main__":
    main()
