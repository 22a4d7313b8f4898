"""Incremental runs: a daily delta added to a warehouse of ROWS records, against a full build of it.

    python -m bench.delta [--rows 1000000] [--delta 10000] [--repeat 3]

Generates ROWS + DELTA varied canonical records (nearly every text different, as in real feedback),
and splits them by time: the oldest ROWS are the history (canonical/history.csv), the newest DELTA
the day's export (canonical/day.csv). Then, each step in a fresh process through the command line
(`python -m etl run`, with its plan: the files' SHA-256 included), as an operator runs it:

- build: the history into a new warehouse (twice);
- append: the day's export added to a copy of that warehouse (``--repeat`` times, each on a fresh
  copy), with its stage times; the new warehouse is what readers see once the command returns;
- reclassify: every stored record classified again (rules changed), no export read.

Prints the medians, the delta's ratio to the build (the issue's bar: <= 0.15 at 1M) and the
reclassification's, and appends a line to bench/results.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import tempfile
from pathlib import Path

import duckdb

from bench.__main__ import _canonical_input, step
from core.sqlfiles import quote_literal

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.md"


def _split(source: str, history: Path, day: Path, delta: int) -> None:
    """The newest ``delta`` rows by submitted_at to ``day``, the rest to ``history`` (both with the
    header); ``source``: a CSV file, or a glob of them."""
    history.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("create table t as select * from read_csv(?, all_varchar = true, header = true)", [source])
    con.execute(
        "create table ranked as select *, row_number() over (order by submitted_at desc, source_record_id) as r from t"
    )
    for where, out in (("r > ?", history), ("r <= ?", day)):  # a literal target: DuckDB 1.5.5 binds none
        con.execute(
            f"copy (select * exclude (r) from ranked where {where} order by submitted_at) "
            f"to {quote_literal(str(out))} (header, delimiter ',')",
            [delta],
        )
    con.close()


def main(rows: int, delta: int, repeat: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-delta-"))
    env = {**os.environ, "SALT_PATH": str(work / "salt")}
    (work / "salt").write_text("bench-salt" * 4)
    try:
        made = _canonical_input(rows + delta, True, work / "gen")  # in parts of 1M: one file of 10M is OOM-killed
        landing = work / "in"
        day = work / "day.csv"
        _split(made, landing / "canonical" / "history.csv", day, delta)
        shutil.rmtree(work / "gen")
        built = work / "built.duckdb"
        builds = []
        for _ in range(2):
            built.unlink(missing_ok=True)
            builds.append(step("cli_run", str(landing), str(built), env=env))
            print(f"build: {builds[-1]['seconds']:.1f} s, peak {builds[-1]['peak_tree_mb']:,} MB", flush=True)
        shutil.copyfile(day, landing / "canonical" / "day.csv")
        appends = []
        for _ in range(repeat):
            shutil.copyfile(built, work / "w.duckdb")
            appends.append(step("cli_run", str(landing), str(work / "w.duckdb"), env=env))
            print(f"append: {appends[-1]['seconds']:.2f} s {appends[-1]['stages']}", flush=True)
        with duckdb.connect(str(work / "w.duckdb"), read_only=True) as con:
            kinds = [k for (k,) in con.execute("select kind from etl_run order by run_id").fetchall()]
            (n,) = con.execute("select count(*) from participation").fetchone()
        if kinds != ["build", "append"]:
            raise SystemExit(f"expected a build then an append, got {kinds}")
        recl = step("reclassify", str(work / "w.duckdb"), env=env)
        print(f"reclassify: {recl['seconds']:.1f} s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    b = statistics.median(r["seconds"] for r in builds)
    a = statistics.median(r["seconds"] for r in appends)
    stages = {k: statistics.median(r["stages"].get(k, 0) for r in appends) for k in appends[0]["stages"]}
    line = (
        f"- {dt.date.today()} `python -m bench.delta --rows {rows} --delta {delta} --repeat {repeat}`: "
        f"build of {rows:,} varied records {b:.1f} s (peak {max(r['peak_tree_mb'] for r in builds):,} MB); "
        f"append of {delta:,} newer records to it {a:.2f} s (median of {repeat}; "
        f"{min(r['seconds'] for r in appends):.2f}-{max(r['seconds'] for r in appends):.2f}), "
        f"**{a / b:.3f}x the build** (peak {max(r['peak_tree_mb'] for r in appends):,} MB; stages "
        + ", ".join(f"{k} {v:.2f}" for k, v in stages.items())
        + f"); reclassify of the {n:,} {recl['seconds']:.1f} s, {recl['seconds'] / b:.2f}x the build\n"
    )
    print(line)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(line)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--delta", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    main(args.rows, args.delta, args.repeat)
