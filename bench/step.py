"""One measured step in a fresh process: prints JSON with wall seconds and this process's peak RSS.

python -m bench.step generate ROWS OUT SEED
python -m bench.step run INPUT_DIR WAREHOUSE
python -m bench.step cli_run INPUT_DIR WAREHOUSE   # `python -m etl run`: its plan, then a build or an append
python -m bench.step reclassify WAREHOUSE
python -m bench.step baseline INPUT_DIR     # DuckDB's plain read of the same text exports
python -m bench.step read_csv FILE          # DuckDB's plain load of one CSV (all varchar)
python -m bench.step canonical ROWS OUT SEED [varied]  # varied: nearly every text different
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

from etl.lifeline import children


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and every process under it (the ETL's rule workers and their
    fork server), from /proc; 0 for a process that has ended."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            rss = next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return rss + sum(_tree_rss_mb(c) for c in children(pid))


class TreePeak:
    """The peak of this process's and its children's summed resident memory, sampled every 50 ms
    on a thread (ru_maxrss counts one process: the ETL's workers are others)."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, _tree_rss_mb(os.getpid()))

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main(argv: list[str]) -> dict:
    what = argv[0]
    t0 = time.perf_counter()
    extra: dict = {}
    if what == "generate":
        from etl.generate import generate

        generate(int(argv[1]), Path(argv[2]), int(argv[3]), dt.date(2026, 11, 27))
    elif what == "run":
        from core.settings import ROOT
        from etl.pipeline import run

        with TreePeak() as tree:
            r = run(Path(argv[1]), Path(argv[2]), ROOT / "data/sources.yaml", ROOT / "data/reference", "bench-salt" * 4)
        extra = {
            "rows_read": r.totals.rows_read,
            "stages": {k: round(v, 2) for k, v in r.stage_seconds.items()},
            "peak_tree_mb": round(tree.peak),
        }
    elif what == "cli_run":
        import duckdb

        from etl.cli import main as etl

        with TreePeak() as tree:
            if etl(["run", argv[1], "--warehouse", argv[2], "--quiet"]) != 0:
                raise SystemExit("the ETL run failed")
        with duckdb.connect(argv[2], read_only=True) as con:
            (stages,) = con.execute("select stage_seconds from etl_run order by run_id desc limit 1").fetchone()
            # the file's blocks, and those free in it (left by rewrites: every append copies them too)
            size, total, free = con.execute(
                "select block_size, total_blocks, free_blocks from pragma_database_size() "
                "where database_name = current_database()"
            ).fetchone()
        extra = {
            "stages": json.loads(stages),
            "peak_tree_mb": round(tree.peak),
            "file_mb": round(size * total / 2**20),
            "free_mb": round(size * free / 2**20),
        }
    elif what == "reclassify":
        from etl.cli import main as etl

        if etl(["reclassify", "--warehouse", argv[1]]) != 0:
            raise SystemExit("the reclassification failed")
    elif what == "canonical":
        from etl.generate import generate

        varied = argv[4:] == ["varied"]
        generate(int(argv[1]), Path(argv[2]), int(argv[3]), dt.date(2026, 11, 27), canonical=True, varied=varied)
    elif what == "read_csv":
        import duckdb

        con = duckdb.connect()
        con.execute("create table t as select * from read_csv(?, all_varchar = true)", [argv[1]])
        extra = {"rows_read": con.execute("select count(*) from t").fetchone()[0]}
    elif what == "baseline":
        import duckdb

        con = duckdb.connect()
        d = Path(argv[1])
        n = 0
        for p in sorted(d.rglob("*.csv")):
            if "website" in p.parts:
                continue  # cp1256: DuckDB has no reader for it without an extension
            n += con.execute(
                "select count(*) from read_csv(?, all_varchar = true, ignore_errors = true)", [str(p)]
            ).fetchone()[0]
        for p in sorted(d.rglob("*.jsonl")):
            n += con.execute(
                "select count(*) from read_json(?, format = 'newline_delimited', ignore_errors = true)", [str(p)]
            ).fetchone()[0]
        extra = {"rows_read": n}
    else:
        raise SystemExit(f"unknown step {what}")
    return {"step": what, "seconds": round(time.perf_counter() - t0, 3), "peak_mb": round(_peak_mb()), **extra}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
