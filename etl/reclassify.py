"""``python -m etl reclassify``: themes, sentiment and the text screens again, from the stored text.

The warehouse keeps every participation's redacted, normalised text (``text_normalized``): what the
rules and the model read in a full run. So when the rules change (a lexicon, a theme keyword, an
analyst's theme in theme_overrides.csv, a correction made in the app, a retrained model), the
warehouse can be classified again without the raw exports, which may be purged from the landing
zone once loaded (PDPL: personal data kept no longer than needed). Everything else stays as the
load made it: the records, their links, repeats and campaigns, and the screens that do not read the
words (5, 7, 8, 9).

Like a run, it builds a copy beside the warehouse, checks it, and swaps it in: the app keeps
serving the previous warehouse until then, and a failed or stopped reclassification changes
nothing. A test compares a reclassified warehouse with a full run under the same rules.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from core.clock import riyadh_now
from core.settings import get as setting
from core.settings import path as setting_path
from core.sqlfiles import load_sql
from etl import checks, reference
from etl.classify import features, load_rules
from etl.errors import CheckFailed, ConfigError, require_warehouse
from etl.fingerprint import rules_fingerprint
from etl.model import model as sentiment_model
from etl.parallel import worker_pool
from etl.pipeline import (
    SCHEMA_VERSION,
    SQL_DIR,
    build_marts,
    connect_build,
    label_overrides,
    lock,
    orphan_corrections,
    remove_build,
    swap_in,
)

# Tables built from participation that the classification reaches: rebuilt after it.
DERIVED = ("campaign", "mart_summary", "mart_daily", "mart_window", "action_participation")


@dataclass
class Reclassified:
    run_id: int
    warehouse: Path
    participations: int
    themes_changed: int
    sentiments_changed: int
    seconds: float
    warnings: list[str] = field(default_factory=list)


def reclassify(warehouse: Path, reference_dir: Path) -> Reclassified:
    """Classify every stored participation again and swap the result in."""
    started = time.perf_counter()
    warehouse = warehouse.resolve()
    require_warehouse(warehouse)
    model_path = setting_path("SENTIMENT_MODEL_PATH")
    sentiment_model(model_path)  # a missing or damaged model stops here, in one line
    rules = rules_fingerprint(reference_dir, model_path, warehouse)  # before reading: a later edit shows next run
    with lock(warehouse):
        tmp = warehouse.with_name(f".{warehouse.name}.building-{os.getpid()}")
        remove_build(tmp)
        try:
            shutil.copyfile(warehouse, tmp)
            size = warehouse.stat().st_size  # about as much text as the exports held: pool or not
            with worker_pool(int(setting("ETL_THREADS")), load_rules, (reference_dir, model_path), work=size) as pool:
                result = _reclassify(tmp, warehouse, reference_dir, model_path, pool, rules)
            swap_in(tmp, warehouse)
        except BaseException:
            remove_build(tmp)
            raise
    result.seconds = time.perf_counter() - started
    return result


def _upgrade(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse built by an older version gets what this one adds (README: changes to the
    contract): the bookkeeping tables it lacks, and the columns reclassify writes."""
    con.execute(load_sql(SQL_DIR, "run_tables"))  # every statement there is `create table if not exists`
    con.execute("alter table etl_run add column if not exists history_note varchar")
    con.execute("alter table etl_run add column if not exists load_fingerprint varchar")
    con.execute("alter table etl_run add column if not exists rules_fingerprint varchar")
    con.execute("alter table etl_run add column if not exists kind varchar")
    con.execute("alter table etl_run add column if not exists rows_replaced bigint")
    con.execute("alter table participation add column if not exists sentiment_source varchar")
    con.execute("alter table participation add column if not exists sentiment_confidence double")


def _reclassify(tmp: Path, warehouse: Path, reference_dir: Path, model_path: Path, pool, rules: str) -> Reclassified:
    con = connect_build(tmp)
    try:
        # fetchall: DuckDB refuses a register() while a result is unfinished
        load_run = con.execute("select max(run_id) from etl_run where status = 'success'").fetchall()[0][0]
        if load_run is None:
            raise ConfigError(f"{warehouse}: no completed load to reclassify; run `python -m etl run INPUT_DIR`")
        _upgrade(con)
        reference.load(con, reference_dir)  # the reference tables as they are now (themes.csv, ...)
        label_overrides(con, reference_dir, warehouse)
        stored = con.sql("select participation_id, text_normalized, rating from participation").to_arrow_table()
        found = features(
            stored.column("text_normalized"), stored.column("rating"), reference_dir, pool, model_path, clusters=False
        )
        classified = found.append_column("participation_id", stored.column("participation_id"))
        del stored, found
        con.register("classified_arrow", classified)
        con.execute("create temp table classified as select * from classified_arrow")
        con.unregister("classified_arrow")
        del classified
        themes, sentiments = con.execute(
            "select count(*) filter (where coalesce(o.theme, c.theme) is distinct from p.theme), "
            "count(*) filter (where coalesce(o.sentiment, c.sentiment) is distinct from p.sentiment) "
            "from participation as p inner join classified as c using (participation_id) "
            "left join label_override as o using (participation_id)"
        ).fetchone()
        con.execute("set preserve_insertion_order = true")  # participation stays in time order
        con.execute(load_sql(SQL_DIR, "reclassify"))
        for table in DERIVED:
            con.execute(f"drop table {table}")
        build_marts(con)
        con.execute("create table action_participation as " + load_sql(SQL_DIR, "action_participation"))
        n = con.execute("select count(*) from participation").fetchone()[0]
        now = riyadh_now()
        run_id = con.execute("select max(run_id) + 1 from etl_run").fetchone()[0]
        con.execute(
            "insert into etl_run (run_id, started_at, finished_at, status, input_dir, files, rows_read, "
            "rows_loaded, rows_quarantined, rows_duplicate, schema_version, rules_fingerprint) "
            "values (?, ?, ?, 'reclassified', null, 0, ?, ?, 0, 0, ?, ?)",
            [run_id, now, now, n, n, SCHEMA_VERSION, rules],
        )
        con.execute("drop table warehouse_meta")
        con.execute(
            load_sql(SQL_DIR, "warehouse_meta"), {"run_id": run_id, "built_at": now, "schema_version": SCHEMA_VERSION}
        )
        failures = checks.run_all(con, load_run, pool=pool)  # the row accounting is the load's
        if failures:
            raise CheckFailed("data checks failed, the previous warehouse keeps serving: " + "; ".join(failures))
        con.execute("checkpoint")
        orphans = orphan_corrections(con, warehouse)
        return Reclassified(run_id, warehouse, n, themes, sentiments, 0.0, [orphans] if orphans else [])
    finally:
        con.close()
