"""Publishing a year, period by period: the time of each publication with suppression solved across
snapshots (its year's periods and every frozen version), against the same period's suppression
solved alone (the snapshot-only method) in the same run, and what the protection costs in cells;
and the publisher's second opinion (``etl.audit`` on the year's versions with the new one added),
timed again on its own after each publication.

    python -m bench.publish [--rows 20000]

Builds a demo warehouse of ROWS records, publishes 2026-Q2, its months, the year, 2026-Q1 and then
2026-Q2 again into a fresh folder (site included), and appends a table to bench/results.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from bench.step import main as step
from etl.audit import added_by, read_versions
from etl.publish import _declare, parse_period, publish
from etl.site import build_site
from etl.suppression import suppress

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.md"
ORDER = ["2026-Q2", "2026-04", "2026-05", "2026-06", "2026", "2026-Q1", "2026-Q2"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--threshold", type=int, default=10)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    rows = []
    try:
        step(["generate", str(args.rows), str(work / "in"), "42"])
        step(["run", str(work / "in"), str(work / "w.duckdb")])
        out = work / "public"
        con = duckdb.connect(str(work / "w.duckdb"), read_only=True)
        for label in ORDER:
            t0 = time.perf_counter()
            alone = len(suppress(_declare(con, parse_period(label), ROOT / "data/reference").grid, args.threshold))
            t_alone = time.perf_counter() - t0
            t0 = time.perf_counter()
            result = publish(work / "w.duckdb", label, out, args.threshold, ROOT / "data/reference")
            t_joint = time.perf_counter() - t0
            found, _ = read_versions(out)
            new = next(v for v in found if v.period == label and v.number == result.version)
            t0 = time.perf_counter()
            added = added_by([v for v in found if v is not new], new, args.threshold)
            t_audit = time.perf_counter() - t0
            assert added == [], added  # what publish itself checked
            t0 = time.perf_counter()
            build_site(out)
            t_site = time.perf_counter() - t0
            rows.append(
                (label, result.version, result.counts, alone, result.suppressed, t_alone, t_joint, t_audit, t_site)
            )
            print(
                f"{label} v{result.version}: {result.suppressed} of {result.counts} suppressed ({alone} alone), "
                f"publish {t_joint:.1f} s, alone {t_alone:.2f} s, second opinion {t_audit:.2f} s, site {t_site:.1f} s",
                flush=True,
            )
        con.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = [
        "",
        f"### Publishing a year across snapshots ({dt.date.today().isoformat()}, `python -m bench.publish "
        f"--rows {args.rows}`)",
        "",
        "| period | version | counts | suppressed alone | suppressed across snapshots | solve alone | publish "
        "(joint solve, second opinion, files, PDF) | ratio | of which the second opinion | site rebuild |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, v, counts, alone, joint, t_alone, t_joint, t_audit, t_site in rows:
        lines.append(
            f"| {label} | {v} | {counts} | {alone} | {joint} | {t_alone:.2f} s | {t_joint:.1f} s | "
            f"{t_joint / t_alone:.0f}× | {t_audit:.2f} s ({t_audit / t_joint:.0%}) | {t_site:.1f} s |"
        )
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
