"""The ETL run: exports -> a NEW warehouse file, checked, then swapped in atomically.

Steps: match files to mappings; extract each file; parse dates per mapping; code values against the
reference tables; validate (quarantine every failing row with file, line and reason); give each
record a stable id (a record exported twice is a duplicate row); redact and normalise text; classify;
screen against the controls; build the marts; run the data checks; swap.

Memory does not follow the input's size: DuckDB holds the rows (within ETL_MEMORY_LIMIT, spilling
to a temporary folder past it), and the stages written in Python take them a chunk at a time
(``_enrich``); what spans every text (the near-duplicate clusters' signatures, 64 bytes a text) is
held while DuckDB's own share is set aside (``_duckdb_aside``).

The new warehouse is built beside the old one under a hidden name and only replaces it
(``os.replace``, atomic on one filesystem) after every check has passed. A failed check, an error or
Ctrl-C removes the half-built file and leaves the previous warehouse serving, untouched. Raw text
and senders live only in temporary tables: nothing personal is persisted.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from core.clock import riyadh_now
from core.settings import get as setting
from core.settings import memory_bytes
from core.settings import path as setting_path
from core.sqlfiles import arrow, in_order, load_sql, quote_literal, transaction
from etl import checks, corrections, delta, reference, sketch
from etl.classify import features, load_rules, read_overrides
from etl.errors import CheckFailed, ConfigError, InputFileError
from etl.extract import Extracted, extract, extract_csv_native
from etl.fingerprint import load_fingerprint, rules_fingerprint
from etl.model import model as sentiment_model
from etl.parallel import beside, worker_pool
from etl.retention import file_sha256, modified_at
from etl.sources import (
    ACTION_FIELDS,
    DATE_FIELDS,
    PARTICIPATION_FIELDS,
    Source,
    load_sources,
    match_files,
    utf8_name,
)
from etl.text import SENDER_HASH_DIGITS, normalise_array, normalise_py, redact_array, sender_key

SQL_DIR = Path(__file__).parent / "sql"
# participation's ids and hashes, nearly all distinct: DuckDB's own choice for strings (DICT_FSST)
# takes twice as long to write them as zstd, which takes 3-4 MB more for each of them per million
# rows and reads them as fast (bench/results.md, 2026-11-29).
ZSTD_COLUMNS = ("participation_id", "source_record_id", "sender_hash")
# 3: etl_run_source names its sources (name_ar, name_en); 4: sender_hash is 16 hex digits;
# 5: etl_run.history_note says why the run history was not carried over;
# 6: participation.sentiment_source and sentiment_confidence;
# 7: etl_run.load_fingerprint and rules_fingerprint (etl/fingerprint.py); sentiment_source 'analyst'
# 8: record_file (which file brought each record), etl_run.kind and rows_replaced: incremental runs
# 9: text_sketch.sig of 16-bit values; 10: participation.text_hash and text_sketch.cluster;
# 11: text_sketch.component, so that an append finds again only the clusters its texts reach
SCHEMA_VERSION = 11
HISTORY_TABLES = ("etl_run", "etl_run_source", "etl_file")


@dataclass
class SourceStats:
    source: str
    mapping: str
    name_ar: str
    name_en: str
    files: int = 0
    rows_read: int = 0
    loaded: int = 0
    quarantined: int = 0
    duplicates: int = 0


@dataclass
class RunResult:
    run_id: int
    warehouse: Path
    sources: list[SourceStats]
    stage_seconds: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # said after the run's table, and kept in etl_run
    # an append's changed rows, per table (etl/delta.py ``changed``): what a lake commit writes
    changed: delta.Changed | None = None

    @property
    def totals(self) -> SourceStats:
        t = SourceStats("total", "", "المجموع", "Total")
        for s in self.sources:
            t.files += s.files
            t.rows_read += s.rows_read
            t.loaded += s.loaded
            t.quarantined += s.quarantined
            t.duplicates += s.duplicates
        return t


Progress = Callable[[str, int, int], None]  # (what, done, total)


def _noop(what: str, done: int, total: int) -> None:
    return None


@contextmanager
def lock(warehouse: Path) -> Iterator[None]:
    """One ETL run per warehouse at a time."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    lock_path = warehouse.with_name(f".{warehouse.name}.lock")
    with lock_path.open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ConfigError(f"{warehouse}: another ETL run is building it; wait for that run to finish") from exc
        yield


def run(
    input_dir: Path,
    warehouse: Path,
    sources_path: Path,
    reference_dir: Path,
    salt: str,
    *,
    only: list[str] | None = None,
    progress: Progress = _noop,
    now: dt.datetime | None = None,
    append: delta.Appending | None = None,
) -> RunResult:
    """Build a new warehouse from every export under ``input_dir`` and swap it in; with ``append``,
    add the new and changed exports it names to a copy of the warehouse instead (etl/delta.py)."""
    if not input_dir.is_dir():
        raise ConfigError(f"{input_dir}: input directory not found; pass the folder that holds the exports")
    sources = load_sources(sources_path)
    if only:
        unknown = sorted(set(only) - set(sources))
        if unknown:
            raise ConfigError(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(sources)}")
        sources = {k: v for k, v in sources.items() if k in only}
    # a missing or damaged model stops the run here, in one line: never the rules alone, silently
    model_path = setting_path("SENTIMENT_MODEL_PATH")
    sentiment_model(model_path)
    files = _match_some(input_dir, sources) if only else match_files(input_dir, sources)
    if append:
        files = [(path, src) for path, src in files if path.relative_to(input_dir).as_posix() in append.files]
    if not files:
        raise ConfigError(f"{input_dir}: no export files found; put exports there or run `python -m etl generate`")
    warehouse = warehouse.resolve()
    prints = (
        load_fingerprint(sources_path, salt),
        rules_fingerprint(reference_dir, setting_path("SENTIMENT_MODEL_PATH"), warehouse),
    )
    with lock(warehouse):
        # Builds left by a run that was killed (SIGKILL, power loss) may hold raw rows: with the
        # lock held no other run is building, so every one of them goes.
        for stale in warehouse.parent.glob(f".{warehouse.name}.building-*"):
            remove_build(stale.with_name(stale.name.removesuffix(".wal").removesuffix(".tmp")))
        tmp = warehouse.with_name(f".{warehouse.name}.building-{os.getpid()}")
        remove_build(tmp)
        try:
            if append:
                shutil.copyfile(warehouse, tmp)
            # The Python rules' workers start (and load the rules) while DuckDB reads the exports;
            # the files' SHA-256 (the manifest) on a thread beside it all.
            size = sum(path.stat().st_size for path, _ in files)  # too little input starts no pool
            with (
                beside(_manifest, input_dir, files) as hashing,
                worker_pool(int(setting("ETL_THREADS")), load_rules, (reference_dir, model_path), work=size) as pool,
            ):
                result = _build(
                    tmp,
                    warehouse,
                    input_dir,
                    files,
                    reference_dir,
                    salt,
                    progress,
                    now or riyadh_now(),
                    pool,
                    hashing,
                    prints,
                    append,
                )
            _unchanged(input_dir, hashing.result())
            swap_in(tmp, warehouse)
        except BaseException:
            remove_build(tmp)
            raise
    result.warehouse = warehouse
    return result


def _manifest(input_dir: Path, files: list[tuple[Path, Source]]) -> list[tuple]:
    """(path, source, bytes, modified_at, sha256) of each file, as it is when the run starts."""
    out = []
    for path, src in files:
        before = path.stat()
        out.append(
            (path.relative_to(input_dir).as_posix(), src.key, before.st_size, modified_at(before), file_sha256(path))
        )
    return out


def _unchanged(input_dir: Path, manifest: list[tuple]) -> None:
    """Refuse the run when a file changed while it was being read: what was loaded may be neither
    the old file nor the new one."""
    for rel, _, size, modified, _ in manifest:
        st = (input_dir / rel).stat()
        if st.st_size != size or modified_at(st) != modified:
            raise InputFileError(
                rel, "changed while it was being read", "nothing of this run was loaded; run again once it is written"
            )


def _match_some(input_dir: Path, sources: dict[str, Source]) -> list[tuple[Path, Source]]:
    """With --source: files of the chosen sources only; other files are not this run's concern."""
    out = []
    for p in sorted(input_dir.rglob("*")):
        if p.is_file():
            rel = p.relative_to(input_dir).as_posix()
            hits = [s for s in sources.values() if s.matches(rel)]
            if hits:
                utf8_name(rel)
            out += [(p, s) for s in hits]
    return out


def remove_build(path: Path) -> None:
    """A half-built warehouse, its WAL and its spill folder (which may hold raw rows)."""
    for p in (path, path.with_name(path.name + ".wal")):
        with suppress(FileNotFoundError):
            p.unlink()
    shutil.rmtree(path.with_name(path.name + ".tmp"), ignore_errors=True)


def swap_in(tmp: Path, warehouse: Path) -> None:
    """The built warehouse, on disk, takes the old one's place in one atomic step."""
    fsync(tmp)
    shutil.rmtree(tmp.with_name(tmp.name + ".tmp"), ignore_errors=True)
    os.replace(tmp, warehouse)
    fsync(warehouse.parent)


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _source_name(path: Path, src: Source) -> str:
    if not src.source_from_file:
        return src.key
    name = normalise_py(path.stem).replace(" ", "_").replace("-", "_")
    if not name.replace("_", "").isalnum() or not name.isascii():
        raise ConfigError(f"{path.name}: a canonical file's name becomes its source name; use letters, digits and _")
    return name


NEWEST_STORAGE = {"storage_compatibility_version": "latest"}


def connect_build(tmp: Path) -> duckdb.DuckDBPyConnection:
    """A connection to a warehouse being built at ``tmp``, with the ETL's threads and memory limit,
    spilling to a folder beside it (removed with it). The file is written in the newest storage
    format of the running DuckDB: DuckDB 1.5 otherwise writes an old one, without zstd for text."""
    con = duckdb.connect(str(tmp), config=NEWEST_STORAGE)
    threads = int(setting("ETL_THREADS"))
    if threads > 0:
        con.execute(f"set threads = {threads}")
    con.execute("set memory_limit = ?", [setting("ETL_MEMORY_LIMIT")])
    con.execute("set temp_directory = ?", [str(tmp.with_name(tmp.name + ".tmp"))])
    return con


def build_marts(con: duckdb.DuckDBPyConnection) -> None:
    """What the app reads beside participation, built from it: campaigns and the three marts."""
    con.execute("create table campaign as " + load_sql(SQL_DIR, "campaign"))
    con.execute("create table mart_summary as " + load_sql(SQL_DIR, "mart_summary"))
    con.execute("create table mart_daily as " + load_sql(SQL_DIR, "mart_daily"))
    con.execute(
        "create table mart_window as " + load_sql(SQL_DIR, "mart_window"), {"days": int(setting("DEFAULT_PERIOD_DAYS"))}
    )


def _build(
    tmp: Path,
    warehouse: Path,
    input_dir: Path,
    files: list[tuple[Path, Source]],
    reference_dir: Path,
    salt: str,
    progress: Progress,
    now: dt.datetime,
    pool: Executor | None,
    hashing: Future,
    prints: tuple[str, str],
    append: delta.Appending | None = None,
) -> RunResult:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    started_at = now
    con = connect_build(tmp)
    try:
        con.execute("set preserve_insertion_order = false")
        con.execute("set enable_progress_bar = false")

        t = time.perf_counter()
        reference.load(con, reference_dir)
        file_rows: dict[str, int] = {}
        stats = _extract_all(con, input_dir, files, progress, file_rows)
        timings["extract"] = time.perf_counter() - t

        t = time.perf_counter()
        _parse_dates(con, files)
        _code_lookup(con, files)
        con.execute("create temp table stg_participation as " + load_sql(SQL_DIR, "stg_participation"), {"now": now})
        _release_raw(con)
        con.execute("create temp table stg_identified as " + load_sql(SQL_DIR, "stg_identified"))
        replaced = 0
        if append:
            replaced = delta.forget(con, append.replaced)
            delta.against_history(con)
        timings["validate"] = time.perf_counter() - t

        t = time.perf_counter()
        _senders(con, salt)
        _record_input(con)
        _release_staging(con)
        timings["text"] = time.perf_counter() - t
        timings["classify"] = 0.0
        if not append:
            con.execute(sketch.SKETCH_TABLE)
        _enrich(con, reference_dir, pool, progress, timings)

        t = time.perf_counter()
        with _duckdb_aside(con):  # over every text's signature: the warehouse's and this run's
            # an append that took texts away finds every cluster again: a text gone changes the
            # neighbours in its buckets, and its signature is no longer there to say which
            moved = sketch.clusters(con, full=not append or replaced > 0)
        sketch.keep_clusters(con, moved)
        del moved
        label_overrides(con, reference_dir, warehouse)
        timings["classify"] += time.perf_counter() - t

        t = time.perf_counter()
        if append:  # across the stored records and the new: repeats, campaigns
            delta.link_keys(con)
            delta.relink(con, link_params())
            timings["links"] = time.perf_counter() - t
            t = time.perf_counter()
            _participation(con, create=False)
            delta.marts(con)
            con.execute("insert into poll_answer " + load_sql(SQL_DIR, "poll_answer"))
        else:
            _links(con)
            _participation(con)
            build_marts(con)
            con.execute("create table poll_answer as " + load_sql(SQL_DIR, "poll_answer"))
        _actions(con, now, append is not None)
        con.execute("create temp table loaded_now as " + load_sql(SQL_DIR, "loaded_now"))
        con.execute(
            ("insert into record_file " if append else "create table record_file as ") + "select * from loaded_now"
        )
        run_id, history_note = _bookkeeping(
            con, warehouse, input_dir, stats, started_at, now, hashing.result(), file_rows, prints, replaced, append
        )
        timings["marts"] = time.perf_counter() - t

        t = time.perf_counter()
        failures = checks.run_all(
            con,
            run_id,
            delta.NEW_ROWS if append else None,
            delta.TOUCHED if append else None,
            pool=pool,
            new_days=delta.NEW_DAYS if append else None,
        )
        timings["checks"] = time.perf_counter() - t
        if failures:
            raise CheckFailed("data checks failed, the previous warehouse keeps serving: " + "; ".join(failures))
        timings["total"] = time.perf_counter() - started
        con.execute(
            "update etl_run set seconds = ?, stage_seconds = ? where run_id = ?",
            [timings["total"], json.dumps({k: round(v, 3) for k, v in timings.items()}), run_id],
        )
        con.execute("checkpoint")
        warnings = [w for w in (history_note, orphan_corrections(con, warehouse)) if w]
        changed = delta.changed(con, run_id, append.files) if append else None
        result = RunResult(run_id, warehouse, list(stats.values()), timings, warnings, changed)
        _count_outcomes(con, run_id, result)
        return result
    finally:
        con.close()


# -- extraction ------------------------------------------------------------------------------
def _extract_all(
    con: duckdb.DuckDBPyConnection,
    input_dir: Path,
    files: list[tuple[Path, Source]],
    progress: Progress,
    file_rows: dict[str, int],
) -> dict[str, SourceStats]:
    """Every file's rows into the raw tables; ``file_rows`` gets each file's count, by its path."""
    cols_p = ", ".join(f"{f} varchar" for f in PARTICIPATION_FIELDS)
    cols_a = ", ".join(f"{f} varchar" for f in ACTION_FIELDS)
    base = "row_id bigint, source varchar, mapping varchar, file varchar, line bigint"
    con.execute(f"create temp table raw_participation_read ({base}, {cols_p})")
    con.execute(f"create temp table raw_action ({base}, {cols_a})")
    con.execute(
        "create temp table extract_reject (source varchar, mapping varchar, file varchar, line bigint, reason varchar)"
    )
    # the plain CSV files read in place, not copied (see extract_csv_native): one row each
    con.execute(
        "create temp table native_file (name varchar, first_row_id bigint, source varchar, "
        "mapping varchar, file varchar, consts varchar[])"
    )
    stats: dict[str, SourceStats] = {}
    total_bytes = sum(p.stat().st_size for p, _ in files)
    done_bytes = 0
    next_id = 0
    for n, (path, src) in enumerate(files):
        rel = path.relative_to(input_dir).as_posix()
        progress(f"extract {rel}", done_bytes, total_bytes)
        name = _source_name(path, src)
        s = stats.setdefault(name, SourceStats(name, src.key, src.name_ar, src.name_en))
        target = "raw_participation_read" if src.kind == "participation" else "raw_action"
        keep = f"raw_file_{n}" if src.kind == "participation" else None
        added = extract_csv_native(con, path, rel, src, name, next_id, target, keep)
        if added is None:  # not a plain UTF-8 CSV, or rows that need their reasons: the Python reader
            ex = extract(path, rel, src, name)
            next_id = _append(con, ex, src, next_id)
            s.rows_read += ex.rows_read
            file_rows[rel] = ex.rows_read
        else:
            next_id += added
            s.rows_read += added
            file_rows[rel] = added
        s.files += 1
        done_bytes += path.stat().st_size
        progress(f"extract {rel}", done_bytes, total_bytes)
    # Every extracted participation row, under one name: the rows copied in, and the files read in place.
    con.execute(
        "create temp view raw_participation as select * from raw_participation_read"
        + "".join(f" union all by name select * from {k}_rows" for k in _read_in_place(con))
    )
    return stats


def _read_in_place(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [name for (name,) in con.execute("select name from native_file order by first_row_id").fetchall()]


def _append(con: duckdb.DuckDBPyConnection, ex: Extracted, src: Source, next_id: int) -> int:
    table = ex.to_arrow()
    n = table.num_rows
    table = table.append_column("mapping", pa.array([src.key] * n, pa.string()))
    table = table.append_column("row_id", pa.array(range(next_id, next_id + n), pa.int64()))
    target = "raw_participation_read" if src.kind == "participation" else "raw_action"
    con.register("_batch", table)
    con.execute(f"insert into {target} by name select * from _batch")
    con.unregister("_batch")
    if ex.rejects:
        rej = pa.table(
            {
                "source": [ex.source] * len(ex.rejects),
                "mapping": [src.key] * len(ex.rejects),
                "file": [ex.file] * len(ex.rejects),
                "line": [r[0] for r in ex.rejects],
                "reason": [r[1] for r in ex.rejects],
            }
        )
        con.register("_rej", rej)
        con.execute("insert into extract_reject select * from _rej")
        con.unregister("_rej")
    return next_id + n


# -- dates and codes ---------------------------------------------------------------------------
_DIGITS_FROM, _DIGITS_TO = "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789"
_ISO_ZONED = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})$"


def _date_expr(col: str, src: Source, params: list) -> str:
    """A SQL expression parsing the cleaned column ``s_<col>`` into Asia/Riyadh local time.

    The mapping's formats are tried first (bound parameters); ISO 8601 is always understood too
    (XLSX date cells and converted Hijri dates arrive as ISO), last: whether the value carries an
    offset or Z is asked only of the values no format read, and of the cleaned value (its digits
    already ASCII), so an offset written in Arabic-Indic digits counts too.

    A source already in Asia/Riyadh time needs no conversion: the zone has had one offset (+03)
    and no daylight saving since 1947, so the round trip through UTC is the identity and costs
    half the parsing time.
    """
    s = f"s_{col}"
    local = src.timezone == "Asia/Riyadh"
    parts = []
    for fmt in src.date_formats:
        if fmt == "iso":
            continue
        if "%z" in fmt or "%Z" in fmt:
            parts.append(f"timezone('Asia/Riyadh', try_strptime({s}, ?))")
            params.append(fmt)
        elif local:
            parts.append(f"try_strptime({s}, ?)")
            params.append(fmt)
        else:
            parts.append(f"timezone('Asia/Riyadh', timezone(?, try_strptime({s}, ?)))")
            params += [src.timezone, fmt]
    naive = (
        f"try_cast({s} as timestamp)" if local else f"timezone('Asia/Riyadh', timezone(?, try_cast({s} as timestamp)))"
    )
    parts.append(
        f"case when regexp_matches({s}, ?) then timezone('Asia/Riyadh', try_cast({s} as timestamptz)) else {naive} end"
    )
    params.append(_ISO_ZONED)
    if not local:
        params.append(src.timezone)
    return "coalesce(" + ", ".join(parts) + ")"


def _parse_dates(con: duckdb.DuckDBPyConnection, files: list[tuple[Path, Source]]) -> None:
    for table, fields in (("participation", PARTICIPATION_FIELDS), ("action", ACTION_FIELDS)):
        date_cols = [f for f in fields if f in DATE_FIELDS]
        con.execute(
            f"create temp table parsed_{'dates' if table == 'participation' else 'action_dates'} "
            f"(row_id bigint, {', '.join(f'{c} timestamp' for c in date_cols)})"
        )
    seen: set[str] = set()
    for _, src in files:
        if src.key in seen:
            continue
        seen.add(src.key)
        date_cols = [f for f in src.fields if f in DATE_FIELDS]
        cleaned = []
        for c in date_cols:
            # translate() costs about a second per million values: only where there is a non-ASCII
            # character; trim() (of spaces) a tenth of that, only where a space may begin or end the value
            cleaned.append(
                f"case when strlen({c}) <> length({c}) then translate(trim({c}), '{_DIGITS_FROM}', '{_DIGITS_TO}') "
                f"when {c} < '!' or ends_with({c}, ' ') then trim({c}) else {c} end as s_{c}"
            )
        params: list = []
        exprs = ", ".join(f"{_date_expr(c, src, params)} as {c}" for c in date_cols)
        target = "parsed_dates" if src.kind == "participation" else "parsed_action_dates"
        raw = "raw_participation" if src.kind == "participation" else "raw_action"
        con.execute(
            f"insert into {target} select row_id, {exprs} from "
            f"(select row_id, {', '.join(cleaned)} from {raw} where mapping = ?)",
            [*params, src.key],  # in the order the placeholders appear
        )


def _code_lookup(con: duckdb.DuckDBPyConnection, files: list[tuple[Path, Source]]) -> None:
    """raw value -> reference code, per mapping and field: the mapping's own values first, then the
    reference codes, names and aliases; both compared as normalised keys."""
    aliases: dict[tuple[str, str], str] = {
        (f, k): c for f, k, c in con.execute("select field, key, code from code_alias").fetchall()
    }
    rows: list[tuple[str, str, str, str]] = []
    coded = ("channel", "tool", "region", "beneficiary_type", "language", "moderation_status")
    for key in sorted({s.key for _, s in files}):
        src = next(s for _, s in files if s.key == key)
        table = "raw_participation" if src.kind == "participation" else "raw_action"
        fields = coded if src.kind == "participation" else ("status", "theme")
        own = {f: {normalise_py(a): c for a, c in m.items()} for f, m in src.values.items()}
        lists = ", ".join(f"list(distinct {f}) filter (where {f} is not null)" for f in fields)
        # every field's distinct values in one scan
        found = con.execute(f"select {lists} from {table} where mapping = ?", [key]).fetchall()[0]
        for f, values in zip(fields, found):
            for raw in values or ():  # None: no rows
                k = normalise_py(raw)
                code = own.get(f, {}).get(k) or aliases.get((f, k))
                if code is not None:
                    rows.append((key, f, raw, code))
    con.register(
        "_lookup",
        pa.table(
            {
                "mapping": [r[0] for r in rows],
                "field": [r[1] for r in rows],
                "raw": [r[2] for r in rows],
                "code": [r[3] for r in rows],
            },
            schema=pa.schema(
                [("mapping", pa.string()), ("field", pa.string()), ("raw", pa.string()), ("code", pa.string())]
            ),
        ),
    )
    con.execute("create temp table code_lookup as select * from _lookup")
    con.unregister("_lookup")
    con.execute("create temp table source_config (mapping varchar, required varchar[])")
    for key in sorted({s.key for _, s in files}):
        src = next(s for _, s in files if s.key == key)
        con.execute("insert into source_config values (?, ?)", [key, list(src.required)])


def _release_raw(con: duckdb.DuckDBPyConnection) -> None:
    """Keep which sources were read and drop the extracted strings once they are typed: temporary
    tables live in DuckDB's memory, and holding three copies of every row made the later steps
    spill to disk."""
    con.execute("create temp table raw_sources as select distinct source, mapping from raw_participation")
    con.execute("drop view raw_participation")
    for name in _read_in_place(con):
        con.execute(f"drop view {name}_rows")
        con.execute(f"drop table {name}")
    for table in ("parsed_dates", "raw_participation_read", "native_file"):
        con.execute(f"drop table {table}")


def _release_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Keep the rejected rows (for the quarantine) and drop the rest of the typed rows, texts and
    senders."""
    con.execute(
        "create temp table stg_rejected as select source, file, line, reasons from stg_participation "
        "where len(reasons) > 0"
    )
    for table in ("stg_participation", "record_sender"):
        con.execute(f"drop table {table}")


# -- text, senders, classification ------------------------------------------------------------
RECORD_COLUMNS = (
    "ids.participation_id, typed.source, ids.record_key, channel, tool, submitted_at, language_code, region, "
    "beneficiary_type, cast(rating_number as integer) as rating, attachments_count, attachment_names, "
    "moderation_status, moderation_control, moderated_at, responded_at, typed.poll_id, typed.text, "
    "record_sender.sender_hash, record_sender.sender_no, accepted.pos"
)
ASCII_WHITESPACE = "".join(c for c in map(chr, range(128)) if c.isspace())  # what str.strip() strips
# DuckDB stores a table in row groups of this many rows (its default; tests/test_pipeline.py checks).
ROW_GROUP_ROWS = 122_880
# Records per chunk of the text and classification stages (``_enrich``): what this process holds of
# them at once, whatever the input's size (the rest waits in DuckDB, which spills past its limit).
# Whole row groups, since ``_participation`` inserts a chunk at a time: a chunk that ends in a
# half-full row group has it filled by the next and rewritten at the checkpoint. With 2^18 records a
# chunk, a 10M build's checkpoint rewrote half of participation, and left 845 MB of the file's 3.7 GB
# free (372 of 1,496 blocks at 1M), which every append copied and synced again.
CHUNK_RECORDS = 2 * ROW_GROUP_ROWS


# DuckDB's memory limit while this process holds what spans every text (``_duckdb_aside``).
ASIDE_LIMIT = 256 * 1024**2


@contextmanager
def _duckdb_aside(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """While the block holds large arrays in this process (the signatures of every text, to cluster
    them), DuckDB's memory limit drops to ASIDE_LIMIT (or ETL_MEMORY_LIMIT, if lower): it writes the
    temporary tables it held in memory to its temporary folder and lets go of that memory, so that
    the two never hold the most at once. ETL_MEMORY_LIMIT again after."""
    limit = str(setting("ETL_MEMORY_LIMIT"))
    with suppress(duckdb.Error):  # what DuckDB cannot write out, it keeps: the run goes on at its limit
        con.execute("set memory_limit = ?", [f"{min(ASIDE_LIMIT, memory_bytes(limit))}B"])
    try:
        yield
    finally:
        con.execute("set memory_limit = ?", [limit])


def _senders(con: duckdb.DuckDBPyConnection, salt: str) -> None:
    """The temp table record_sender: the distinct senders of valid rows with their salted hashes and
    numbers (record_sender.sql). DuckDB hashes them on every core; only the key of a sender not
    written in ASCII comes from here."""
    con.execute(  # every valid row's sender (a repeated row's too: a hash nobody reads costs less than the join)
        "create temp table sender_distinct as select sender, strlen(sender) = length(sender) as ascii "
        "from (select distinct sender from stg_participation where sender is not null and len(reasons) = 0)"
    )
    others = [s for (s,) in con.execute("select sender from sender_distinct where not ascii").fetchall()]
    keys = pa.table(
        {"sender": pa.array(others, pa.string()), "sender_key": pa.array([sender_key(s) for s in others], pa.string())}
    )
    con.register("sender_python_key", keys)
    try:
        con.execute(
            "create temp table record_sender as " + load_sql(SQL_DIR, "record_sender"),
            {"salt": salt, "digits": SENDER_HASH_DIGITS, "strip": f"^[{ASCII_WHITESPACE}]+|[{ASCII_WHITESPACE}]+$"},
        )
    finally:
        con.unregister("sender_python_key")
    con.execute("drop table sender_distinct")


def _record_input(con: duckdb.DuckDBPyConnection) -> None:
    """The accepted records (first occurrences) in time order, numbered by ``pos``, as the temp table
    record_in: the text and classification stages read it a chunk (a range of pos) at a time. The
    sender is its hash already; the raw text goes no further than the chunk that redacts it."""
    con.execute("set preserve_insertion_order = true")  # stored in pos order: a chunk is a few row groups
    try:
        # pos numbered on narrow rows, then the wide rows sorted once by it (a window over the wide
        # rows sorted them twice: 1.3-1.8 s against 0.9 s at 1M records, and both spill at 10M)
        con.execute(
            "create temp table record_in as with accepted as materialized ("
            "select ids.row_id, row_number() over (order by typed.submitted_at, ids.participation_id) - 1 as pos "
            "from stg_identified as ids inner join stg_participation as typed on typed.row_id = ids.row_id "
            "where ids.occurrence = 1) "
            f"select {RECORD_COLUMNS} from accepted inner join stg_identified as ids on ids.row_id = accepted.row_id "
            "inner join stg_participation as typed on typed.row_id = accepted.row_id "
            "left join record_sender on record_sender.sender = typed.sender order by accepted.pos"
        )
    finally:
        con.execute("set preserve_insertion_order = false")


def _enrich(
    con: duckdb.DuckDBPyConnection,
    reference_dir: Path,
    pool: Executor | None,
    progress: Progress,
    timings: dict[str, float],
) -> None:
    """The text and classification stages over record_in, CHUNK_RECORDS records at a time in time
    order, into the temp table ``enriched``: each chunk is redacted and normalised (``_text_stage``),
    its new texts signed into text_sketch (on a thread, beside the rules on the workers), classified
    (``_classify_stage``) and written. What a stage needs across every record (clusters, repeats,
    campaigns) comes after, from what DuckDB keeps: this process holds one chunk, not the input.
    ``text_id``: a 64-bit hash of the normalised text (null for none), the same in every chunk and
    in an append (etl/delta.py)."""
    total = con.execute("select count(*) from record_in").fetchall()[0][0]
    con.execute("set preserve_insertion_order = true")  # enriched in time order too
    try:
        for lo in range(0, max(total, 1), CHUNK_RECORDS):
            progress("text and rules", lo, total)
            t = time.perf_counter()
            chunk = arrow(
                con,
                "select * from record_in where pos >= $lo and pos < $hi order by pos",
                {"lo": lo, "hi": lo + CHUNK_RECORDS},
            )
            chunk = _text_stage(in_order(chunk))
            timings["text"] += time.perf_counter() - t
            t = time.perf_counter()
            with beside(sketch.sign, con, chunk.column("text_normalized")) as signed:
                chunk = _classify_stage(chunk, reference_dir, pool)
            signed.result()
            con.register("_chunk", chunk.drop_columns(["text_id"]))
            try:
                con.execute(
                    ("insert into enriched " if lo else "create temp table enriched as ")
                    + "select *, hash(coalesce(text_normalized, '')) as text_hash, "
                    "case when coalesce(text_normalized, '') <> '' then text_hash end as text_id from _chunk"
                )
            finally:
                con.unregister("_chunk")
            timings["classify"] += time.perf_counter() - t
        progress("text and rules", total, total)
    finally:
        con.execute("set preserve_insertion_order = false")
    con.execute("drop table record_in")


def _text_stage(records: pa.Table) -> pa.Table:
    """Redact, then normalise the redacted text (keys never hold personal data); the raw text goes.

    Both are functions of the text alone, so they run once per distinct text of the chunk and stay
    dictionary-encoded: the rules (``features``) and DuckDB read the encoded columns as they are.
    """
    encoded = pc.dictionary_encode(pc.fill_null(records.column("text").combine_chunks(), ""))
    distinct, idx = encoded.dictionary, encoded.indices
    redacted, types = redact_array(distinct)
    normalized = normalise_array(redacted)
    redacted = pc.if_else(pc.equal(distinct, ""), None, redacted)
    records = records.drop_columns(["text"])
    records = records.append_column("text_redacted", pa.DictionaryArray.from_arrays(idx, redacted))
    records = records.append_column("text_normalized", pa.DictionaryArray.from_arrays(idx, normalized))
    return records.append_column("pii_types", types.take(idx))


def _classify_stage(records: pa.Table, reference_dir: Path, pool: Executor | None) -> pa.Table:
    """The features of each text (etl.classify): the rules written in Python, on ``pool``'s worker
    processes."""
    model_path = setting_path("SENTIMENT_MODEL_PATH")
    found = features(  # the clusters: etl/sketch.py, across the warehouse's texts
        records.column("text_normalized"),
        records.column("rating"),
        reference_dir,
        pool,
        model_path,
        clusters=False,
        script=True,
    )
    for name in found.column_names:
        records = records.append_column(name, found.column(name))
    return records


def label_overrides(con: duckdb.DuckDBPyConnection, reference_dir: Path, warehouse: Path) -> None:
    """The analysts' labels, as the temp table ``label_override`` (participation_id, theme,
    sentiment): the themes of theme_overrides.csv, then the latest corrections made in the app
    (etl/corrections.py), which win where both name a record."""
    themes = read_overrides(reference_dir / "theme_overrides.csv")
    labels: dict[str, list[str | None]] = {pid: [theme, None] for pid, theme in themes.items()}
    for pid, theme, sentiment in corrections.latest(corrections.store_path(warehouse)):
        kept = labels.setdefault(pid, [None, None])
        kept[0] = theme or kept[0]
        kept[1] = sentiment or kept[1]
    con.register(
        "_over",
        pa.table(
            {
                "participation_id": list(labels),
                "theme": [v[0] for v in labels.values()],
                "sentiment": [v[1] for v in labels.values()],
            },
            schema=pa.schema([("participation_id", pa.string()), ("theme", pa.string()), ("sentiment", pa.string())]),
        ),
    )
    con.execute("create or replace temp table label_override as select * from _over")
    con.unregister("_over")
    unknown = con.execute(
        "select count(*) from label_override where theme not in (select code from ref_theme)"
    ).fetchall()[0][0]
    if unknown:
        raise ConfigError(
            f"{reference_dir / 'theme_overrides.csv'} or {corrections.store_path(warehouse)}: {unknown} "
            "label(s) name a theme not in themes.csv; fix the theme codes"
        )


def orphan_corrections(con: duckdb.DuckDBPyConnection, warehouse: Path) -> str | None:
    """A warning when analysts' labels name records the warehouse does not hold (the record was
    never loaded here, or its export was replaced): they are kept, and apply if it comes back."""
    n = con.execute(
        # an anti join: no hash table of every participation when there are no labels (0.5-0.8 s at 10M)
        "select count(*) from label_override as l anti join participation as p using (participation_id)"
    ).fetchall()[0][0]
    if not n:
        return None
    return (
        f"{n:,} analyst label(s) name records not in this warehouse; kept in "
        f"{corrections.store_path(warehouse)} (or theme_overrides.csv), not applied"
    )


def link_params() -> dict[str, int]:
    """record_links.sql's settings: what makes a campaign."""
    return {
        "min_senders": int(setting("CAMPAIGN_MIN_SENDERS")),
        "window_hours": int(setting("CAMPAIGN_WINDOW_HOURS")),
    }


def _links(con: duckdb.DuckDBPyConnection) -> None:
    """What links records to each other (clusters, repeats, campaigns) and the analysts' labels, by
    pos, as the temp table record_link, found on narrow columns (record_links.sql)."""
    con.execute(
        "create temp table link_input as select e.pos, e.participation_id, e.submitted_at, e.sender_no, "
        f"{sketch.CLUSTER_KEY.format('s.cluster')} as cluster, e.text_id "
        "from enriched as e left join text_sketch as s on s.h = e.text_hash"
    )
    con.execute("create temp view records as select * from link_input")
    con.execute("create temp table record_link as " + load_sql(SQL_DIR, "record_links"), link_params())
    con.execute("drop view records")
    con.execute("drop table link_input")


def _participation(con: duckdb.DuckDBPyConnection, create: bool = True) -> None:
    """The participation table from ``enriched`` and record_link (``_links``, or an incremental
    run's, etl/delta.py), created, or with ``create=False`` added to: CHUNK_RECORDS records at a
    time in time order, so that the table is stored in time order without a sort of every wide row
    at once (each chunk is a range of pos: a few row groups of both tables)."""
    total, linked, unmatched = con.execute(
        "select (select count(*) from enriched), (select count(*) from record_link), "
        "(select count(*) from enriched anti join record_link using (pos))"
    ).fetchall()[0]
    if linked != total or unmatched:
        raise CheckFailed("record links lost records; the previous warehouse keeps serving")
    if create:
        con.execute("create temp view records as select * from enriched left join record_link using (pos) where false")
        _create_as(con, "participation", load_sql(SQL_DIR, "participation"), ZSTD_COLUMNS)
        con.execute("drop view records")
    con.execute("set preserve_insertion_order = true")  # the rows stay in time order
    try:
        for lo in range(0, total, CHUNK_RECORDS):
            hi = lo + CHUNK_RECORDS
            con.execute(  # numbers of this loop's own, not input: a view cannot take parameters
                "create or replace temp view records as select * from "
                f"(select * from enriched where pos >= {lo:d} and pos < {hi:d}) "
                f"left join (select * from record_link where pos >= {lo:d} and pos < {hi:d}) using (pos)"
            )
            con.execute(
                "insert into participation by name select * from ("
                + load_sql(SQL_DIR, "participation")
                + ") order by submitted_at, participation_id"
            )
    finally:
        con.execute("set preserve_insertion_order = false")
        con.execute("drop view if exists records")


def _create_as(con: duckdb.DuckDBPyConnection, table: str, sql: str, zstd: tuple[str, ...]) -> None:
    """``create table <table> as <sql>``, with the columns named in ``zstd`` stored with zstd
    (``create table ... as`` cannot choose a column's compression): the query gives the columns
    and their types, then its rows, in its order, in the same transaction."""
    columns = con.execute("describe " + sql).fetchall()
    missing = set(zstd) - {name for name, *_ in columns}
    if missing:
        raise ValueError(f"{table}: no column {', '.join(sorted(missing))} to store with zstd")
    defs = ", ".join(
        f'"{name}" {kind}' + (" using compression zstd" if name in zstd else "") for name, kind, *_ in columns
    )
    with transaction(con):  # the table appears with its rows
        con.execute(f"create table {table} ({defs})")
        con.execute(f"insert into {table} {sql}")


# -- improvement actions -----------------------------------------------------------------------
def _actions(con: duckdb.DuckDBPyConnection, now: dt.datetime, append: bool = False) -> None:
    """The register of improvement actions, created, or (``append``) added to; and its links to the
    participations, anew."""
    con.execute("create temp table stg_action as " + load_sql(SQL_DIR, "stg_action"), {"now": now})
    if append:
        delta.actions_against_history(con)
    tbl = con.sql(
        "select row_id, title_ar, title_en, description_ar, description_en from stg_action where occurrence = 1"
    ).to_arrow_table()
    red = {"row_id": tbl.column("row_id")}
    for c in ("title_ar", "title_en", "description_ar", "description_en"):
        red[c] = redact_array(tbl.column(c))[0]
    con.register("_act", pa.table(red))
    con.execute("create temp table action_text as select * from _act")
    con.unregister("_act")
    con.execute(
        ("insert into improvement_action " if append else "create table improvement_action as ")
        + load_sql(SQL_DIR, "improvement_action")
    )
    con.execute("create or replace table action_participation as " + load_sql(SQL_DIR, "action_participation"))


# -- bookkeeping -------------------------------------------------------------------------------
def _bookkeeping(
    con: duckdb.DuckDBPyConnection,
    warehouse: Path,
    input_dir: Path,
    stats: dict[str, SourceStats],
    started_at: dt.datetime,
    now: dt.datetime,
    manifest: list[tuple],
    file_rows: dict[str, int],
    prints: tuple[str, str],
    replaced: int = 0,
    append: delta.Appending | None = None,
) -> tuple[int, str | None]:
    con.execute(load_sql(SQL_DIR, "run_tables"))
    history_note = None
    previous = None
    if append:  # the warehouse's copy holds its history
        previous = con.execute("select max(run_id) from etl_run where status = 'success'").fetchone()[0]
    elif warehouse.exists():
        try:
            con.execute(f"attach {quote_literal(str(warehouse))} as prev (read_only)")
            kept = {
                r[0]
                for r in con.execute("select table_name from duckdb_tables() where database_name = 'prev'").fetchall()
            }
            for t in HISTORY_TABLES:
                if t in kept or t == "etl_run":  # a warehouse from before etl_file has none to carry over
                    con.execute(f"insert into {t} by name select * from prev.{t}")
            con.execute("detach prev")
        except duckdb.Error as exc:  # a damaged warehouse: said in the output and in etl_run, not swallowed
            with suppress(duckdb.Error):
                con.execute("detach prev")
            for t in HISTORY_TABLES:  # nothing half-copied
                con.execute(f"delete from {t}")
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            history_note = (
                f"the run history of {warehouse.name} could not be carried over ({first[:200]}); "
                "it starts again with this run"
            )
    run_id = con.execute("select coalesce(max(run_id), 0) + 1 from etl_run").fetchone()[0]
    con.executemany(
        "insert into etl_file values (?, ?, ?, ?, ?, ?, ?)",
        [[run_id, *row, file_rows.get(row[0], 0)] for row in manifest],
    )
    if previous is not None:
        delta.carried_files(con, run_id, previous)
    con.execute("insert into quarantine " + load_sql(SQL_DIR, "quarantine_rows"), {"run_id": run_id})
    con.execute("insert into duplicate_row " + load_sql(SQL_DIR, "duplicate_rows"), {"run_id": run_id})
    con.execute("insert into etl_run_source by name " + load_sql(SQL_DIR, "etl_run_source"), {"run_id": run_id})
    # rows_read comes from extraction (it counts rows that never reached a table), names from the mapping.
    for s in stats.values():
        con.execute(
            "update etl_run_source set rows_read = ?, files = ?, name_ar = ?, name_en = ? "
            "where run_id = ? and source = ?",
            [s.rows_read, s.files, s.name_ar, s.name_en, run_id, s.source],
        )
        con.execute(
            "insert into etl_run_source (run_id, source, mapping, files, rows_read, rows_loaded, "
            "rows_quarantined, rows_duplicate, name_ar, name_en) select ?, ?, ?, ?, ?, 0, 0, 0, ?, ? "
            "where not exists (select 1 from etl_run_source where run_id = ? and source = ?)",
            [run_id, s.source, s.mapping, s.files, s.rows_read, s.name_ar, s.name_en, run_id, s.source],
        )
    con.execute(
        "insert into etl_run select ?, ?, ?, 'success', ?, sum(files), sum(rows_read), sum(rows_loaded), "
        "sum(rows_quarantined), sum(rows_duplicate), null, null, ?, ?, ?, ?, ?, ? from etl_run_source "
        "where run_id = ?",
        [
            run_id,
            started_at,
            riyadh_now(),
            input_dir.name,
            SCHEMA_VERSION,
            history_note,
            *prints,
            "append" if append else "build",
            replaced,
            run_id,
        ],
    )
    con.execute("drop table if exists warehouse_meta")
    con.execute(
        load_sql(SQL_DIR, "warehouse_meta"), {"run_id": run_id, "built_at": now, "schema_version": SCHEMA_VERSION}
    )
    return run_id, history_note


def _count_outcomes(con: duckdb.DuckDBPyConnection, run_id: int, result: RunResult) -> None:
    by_source = {
        r[0]: r[1:]
        for r in con.execute(
            "select source, rows_loaded, rows_quarantined, rows_duplicate from etl_run_source where run_id = ?",
            [run_id],
        ).fetchall()
    }
    for s in result.sources:
        s.loaded, s.quarantined, s.duplicates = by_source.get(s.source, (0, 0, 0))
