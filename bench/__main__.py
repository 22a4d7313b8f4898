"""`make bench`: generator and ETL throughput and peak memory at 100k and 1M rows.

Each step runs in its own process (its own peak RSS). Ratios compare with baselines measured in the
same run, since absolute times on these shared machines are not stable:
- generate: against writing the same number of rows as a plain CSV with Python's csv module;
- run: against DuckDB's plain read (read_csv / read_json, all varchar) of the same UTF-8 exports.
Results are appended to bench/results.md.

    python -m bench                 # 100k and 1M, then the canonical million (three ETL runs)
    python -m bench --rows 100000   # just one size
    python -m bench --canonical 1000000 [--varied] [--repeat 3]  # the whole ETL on one canonical file
    python -m bench --scaling 1000000,3000000,10000000  # time per million and peak RSS against size
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.md"


def step(*args: str, env: dict[str, str] | None = None) -> dict:
    """One bench.step in a fresh process (``env``: its environment, when not this one's)."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.step", *args], cwd=ROOT, check=True, capture_output=True, text=True, env=env
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def plain_csv_seconds(rows: int, path: Path) -> float:
    t0 = time.perf_counter()
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "submitted_at", "text", "rating"])
        w.writerows(
            [i, "2026-01-01 10:00:00", "شكراً لكم على جهودكم في خدمة المستفيدين", i % 5 + 1] for i in range(rows)
        )
    return time.perf_counter() - t0


def canonical(rows: int, varied: bool = False, repeat: int = 3) -> None:
    """The whole ETL on ROWS canonical rows against DuckDB's plain load of the same file, with
    records/s per stage (issue: text pipeline speed). ``varied``: nearly every text different, as
    in real feedback (the text rules run once per distinct text; the demo phrases repeat).

    The ETL runs ``repeat`` times, each between two loads of the baseline (read_csv, then the ETL,
    then read_csv again, ...): both sides see the same hours of this shared machine. The ratio is
    median against median; the table also gives the spread, the slowest ETL against the fastest
    baseline and the other way round, so one noisy run can neither make nor break the figure."""
    work = Path(tempfile.mkdtemp(prefix="bench-canonical-"))
    try:
        csv_path = _canonical_input(rows, varied, work)
        bases = [step("read_csv", str(csv_path))["seconds"]]
        runs = []
        for i in range(repeat):
            (work / "w.duckdb").unlink(missing_ok=True)
            runs.append(step("run", str(work / "in"), str(work / "w.duckdb")))
            bases.append(step("read_csv", str(csv_path))["seconds"])
            print(f"run {i + 1}/{repeat}: ETL {runs[-1]['seconds']:.1f} s, read_csv {bases[-1]:.2f} s", flush=True)
        with duckdb.connect(str(work / "w.duckdb"), read_only=True) as con:
            (distinct,) = con.execute("select count(distinct text_redacted) from participation").fetchone()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    line = canonical_line(rows, varied, distinct, runs, bases)
    print(line)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(
            f"\n## {dt.date.today().isoformat()}: whole ETL on canonical rows against read_csv "
            f"(`python -m bench --canonical {rows}{' --varied' if varied else ''} --repeat {repeat}`)\n\n"
            "| input | ETL time, median (range) | records/s | peak RSS | against the same run's baseline "
            "| records/s per stage (medians) |\n"
            "| --- | --- | --- | --- | --- | --- |\n" + line + "\n"
        )


PART_ROWS = 1_000_000  # the generator holds its rows in memory: more than this are made in parts


def _canonical_input(rows: int, varied: bool, work: Path) -> str:
    """ROWS canonical rows under work/in/canonical (what ``read_csv`` reads: a file, or a glob of
    the parts): up to PART_ROWS in one file; more in files of PART_ROWS, each from its own seed and
    with its ids prefixed by its part's number (the generator numbers every part's ids from 1)."""
    flags = ["varied"] if varied else []
    if rows <= PART_ROWS:
        step("canonical", str(rows), str(work / "in"), "42", *flags)
        return str(work / "in" / "canonical" / "participations.csv")
    (work / "in" / "canonical").mkdir(parents=True)
    for k, start in enumerate(range(0, rows, PART_ROWS)):
        part = work / f"part{k}"
        step("canonical", str(min(PART_ROWS, rows - start)), str(part), str(42 + k), *flags)
        duckdb.execute(
            "copy (select ? || source_record_id as source_record_id, * exclude (source_record_id) "
            "from read_csv(?, all_varchar = true)) to ? (header)",
            [f"P{k}-", str(part / "canonical" / "participations.csv"), str(work / "in" / "canonical" / f"part{k}.csv")],
        )
        shutil.rmtree(part)
        print(f"generated part {k + 1} of {-(-rows // PART_ROWS)}", flush=True)
    return str(work / "in" / "canonical" / "*.csv")


def scaling(sizes: list[int]) -> None:
    """Issue 23's bars: the ETL's time per million records and its peak RSS (the process and its
    rule workers) at each of ``sizes`` varied canonical records, one run each, with the slopes:
    time per million against the smallest size's (±15% asked), and MB of peak per million more."""
    rows_out = []
    for rows in sizes:
        work = Path(tempfile.mkdtemp(prefix="bench-scaling-"))
        try:
            _canonical_input(rows, True, work)
            r = step("run", str(work / "in"), str(work / "w.duckdb"))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        rows_out.append((rows, r["seconds"], r["peak_mb"], r["peak_tree_mb"]))
        print(f"{rows:,}: {r['seconds']:.1f} s, peak {r['peak_tree_mb']:,} MB with the workers", flush=True)
    first = rows_out[0]
    lines = [
        f"| {n:,} | {t:.1f} s | {t / n * 1e6:.1f} s | {(t / n) / (first[1] / first[0]):.2f}x "
        f"| {peak:,} MB | {tree:,} MB |"
        for n, t, peak, tree in rows_out
    ]
    grows = (rows_out[-1][3] - first[3]) / max(1e-9, (rows_out[-1][0] - first[0]) / 1e6)
    text = (
        f"\n## {dt.date.today().isoformat()}: the ETL's time and memory against its input's size "
        f"(`python -m bench --scaling {','.join(map(str, sizes))}`)\n\n"
        "Varied canonical records (more than 1M made in parts of 1M), one run each.\n\n"
        "| records | ETL time | per million | per million, against the smallest | peak RSS | "
        "with the rule workers |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n"
        + "\n".join(lines)
        + f"\n\nPeak RSS grows by {grows:,.0f} MB per million records from the smallest size to the largest.\n"
    )
    print(text)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(text)


def canonical_line(rows: int, varied: bool, distinct: int, runs: list[dict], bases: list[float]) -> str:
    """One row of results.md from the ETL runs (``bench.step run`` output) and the baseline's times."""
    etl = [r["seconds"] for r in runs]
    e, b = statistics.median(etl), statistics.median(bases)
    stages = {k: statistics.median(r["stages"][k] for r in runs) for k in runs[0]["stages"] if k != "total"}
    per_stage = ", ".join(f"{k} {rows / v:,.0f}/s" for k, v in stages.items() if v > 0)
    what = f"{rows:,} canonical{', varied texts' if varied else ''} ({distinct:,} distinct texts)"
    spread = f"{min(etl) / max(bases):.1f}x-{max(etl) / min(bases):.1f}x"
    peak, tree = max(r["peak_mb"] for r in runs), max(r["peak_tree_mb"] for r in runs)
    peaks = f"{peak:,} MB ({tree:,} MB with the rule workers)"
    loads = f"median {b:.2f} s of {len(bases)} loads, {min(bases):.2f}-{max(bases):.2f} s"
    return (
        f"| {what} | {e:.1f} s ({min(etl):.1f}-{max(etl):.1f} s, {len(etl)} run{'s' if len(etl) > 1 else ''}) "
        f"| {rows / e:,.0f} | {peaks} "
        f"| {e / b:.1f}x DuckDB read_csv load ({loads}; spread {spread}) | {per_stage} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="100000,1000000")
    ap.add_argument("--canonical", type=int, help="only the canonical-file benchmark, with this many rows")
    ap.add_argument("--varied", action="store_true", help="with --canonical: nearly every text different")
    ap.add_argument("--repeat", type=int, default=3, help="with --canonical: ETL runs, each between baseline loads")
    ap.add_argument("--scaling", help="only the ETL's time and memory at these sizes of varied records (1000000,...)")
    args = ap.parse_args()
    if args.repeat < 1:
        ap.error("--repeat: at least one ETL run")
    if args.canonical:
        canonical(args.canonical, args.varied, args.repeat)
        return
    if args.scaling:
        scaling([int(n) for n in args.scaling.split(",")])
        return
    lines = []
    for rows in [int(r) for r in args.rows.split(",")]:
        work = Path(tempfile.mkdtemp(prefix="bench-"))
        try:
            g = step("generate", str(rows), str(work / "in"), "42")
            base_g = plain_csv_seconds(rows, work / "plain.csv")
            r = step("run", str(work / "in"), str(work / "w.duckdb"))
            b = step("baseline", str(work / "in"))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        lines.append(
            f"| {rows:,} | generate | {g['seconds']:.1f} s | {rows / g['seconds']:,.0f} | {g['peak_mb']:,} MB "
            f"| {g['seconds'] / base_g:.1f}x plain csv.writer ({base_g:.1f} s) |"
        )
        stages = ", ".join(f"{k} {v}" for k, v in r["stages"].items() if k != "total")
        # Per row: the baseline reads only the exports DuckDB can read plainly (no cp1256, no XLSX).
        ratio = (r["seconds"] / r["rows_read"]) / (b["seconds"] / b["rows_read"])
        lines.append(
            f"| {rows:,} | run | {r['seconds']:.1f} s | {r['rows_read'] / r['seconds']:,.0f} | {r['peak_mb']:,} MB "
            f"| {ratio:.1f}x per row, DuckDB plain read of the UTF-8 exports ({b['seconds']:.2f} s for "
            f"{b['rows_read']:,} rows); stages (s): {stages} |"
        )
        print("\n".join(lines[-2:]), flush=True)
    header = (
        f"\n## {dt.date.today().isoformat()}: generate and run (`python -m bench --rows {args.rows}`)\n\n"
        f"Machine: {platform.machine()}, Python {platform.python_version()}, 2 cores.\n\n"
        "| rows | step | time | rows/s | peak RSS | against the same run's baseline |\n"
        "| --- | --- | --- | --- | --- | --- |\n"
    )
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(header + "\n".join(lines) + "\n")
    print(f"appended to {RESULTS.relative_to(ROOT)}")
    canonical(1_000_000)


if __name__ == "__main__":
    main()
