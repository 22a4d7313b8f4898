"""Command line: ``python -m etl`` generate, run, reclassify, purge-landing, check, publish, audit, site, maintain.

Errors are one line on stderr naming the file and what to do; ``--verbose`` adds the traceback.
Exit codes: 0 done, 1 unexpected error, 2 bad input or configuration (a setting, a mapping), 3 a data
check failed, 130 interrupted (Ctrl-C), 143 stopped (SIGTERM). In every failure case the previous
warehouse is left serving, untouched, and no worker process outlives the command (etl/lifeline.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import sys
import threading
import time
from pathlib import Path

from core import settings
from core.warehouse import WarehouseUnavailable, configured
from etl.errors import ConfigError, EtlError, require_warehouse, storage_error

# the commands that read or write the warehouse: on a lake (WAREHOUSE_URL), they run on a checkout
LAKE_COMMANDS = ("run", "reclassify", "check", "publish", "purge-landing")


def _shape(text: str, width: int = 0) -> str:
    """Arabic for a terminal, which does no shaping of its own: joined letters, visual order.

    ``width`` truncates in logical order first, so the ellipsis ends the sentence (on the left).
    """
    import arabic_reshaper
    from bidi import get_display

    if width and len(text) > width:
        text = text[: width - 1] + "…"
    return get_display(arabic_reshaper.reshape(text))


def _console():
    from rich.console import Console

    return Console(stderr=True)


def cmd_generate(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from etl.generate import generate

    end = dt.date.fromisoformat(args.end_date) if args.end_date else None
    if args.rows is None:
        args.rows = settings.get("DEMO_ROWS")
    t0 = time.perf_counter()
    with Progress(console=_console(), transient=True, disable=args.quiet) as bar:
        task = bar.add_task("generate", total=max(args.rows, 1))
        paths = generate(
            args.rows,
            Path(args.out),
            args.seed,
            end,
            progress=lambda name, n: bar.update(task, advance=n, description=f"generate {name}"),
            canonical=args.canonical,
        )
    secs = time.perf_counter() - t0
    out = Path(args.out)
    for p in paths:
        print(p.relative_to(out).as_posix() if p.is_relative_to(out) else p)
    rate = args.rows / secs if secs else 0
    print(f"{args.rows:,} rows in {secs:.1f} s ({rate:,.0f} rows/s) -> {out}", file=sys.stderr)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from etl.pipeline import run

    console = _console()
    warehouse = _warehouse(args)
    input_dir = Path(args.input_dir)
    sources_path = Path(args.sources) if args.sources else settings.path("SOURCES_PATH")
    salt = settings.sender_salt()
    reclassified = False
    if not args.source and input_dir.is_dir():  # a partial run (--source) always builds
        decision = _plan(warehouse, input_dir, sources_path, salt, args.full)
        if decision.action == "up to date":
            print(
                f"{_named(args, warehouse)}: up to date, nothing to load ({decision.why}); --full builds it again",
                file=sys.stderr,
            )
            return 0
        if decision.action == "reclassify":
            print(f"reclassifying the stored text, no export read again: {decision.why}", file=sys.stderr)
            done = cmd_reclassify(args)
            if done or decision.append is None:
                return done
            reclassified = True
        append = decision.append
        if not args.quiet:  # with --quiet, stderr holds only the outcome (and an error in one line)
            if append:
                print(f"adding the new and changed exports only: {decision.why}", file=sys.stderr)
            else:
                print(f"building from every export: {decision.why}", file=sys.stderr)
    else:
        append = None
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=args.quiet) as bar:
        task = bar.add_task("extract", total=None)

        def progress(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total)

        result = run(
            input_dir,
            warehouse,
            sources_path,
            settings.path("REFERENCE_DIR"),
            salt,
            only=args.source or None,
            progress=progress,
            append=append,
        )
    # on a lake, what to commit (etl/lake.py): an append's changed rows; a build's, or an append
    # after a reclassification, every table
    args.changed = None if reclassified else result.changed
    where = _named(args, result.warehouse)
    table = Table(title=f"ETL run {result.run_id} -> {where}")
    table.add_column("source", no_wrap=True)
    # Visual-order Arabic must never wrap: a wrapped line would read in the wrong order.
    table.add_column(_shape("المصدر"), no_wrap=True, justify="right")
    for col in ("files", "read", "loaded", "quarantined", "duplicates"):
        table.add_column(col, justify="right", no_wrap=True)
    for s in [*sorted(result.sources, key=lambda s: s.source), result.totals]:
        table.add_row(
            s.source,
            _shape(s.name_ar, 36),
            f"{s.files:,}",
            f"{s.rows_read:,}",
            f"{s.loaded:,}",
            f"{s.quarantined:,}",
            f"{s.duplicates:,}",
        )
    from rich.console import Console

    out = Console()
    if not out.is_terminal:
        out = Console(width=160)
    out.print(table)
    t = result.stage_seconds
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in t.items() if k != "total")
    rate = result.totals.rows_read / t["total"] if t.get("total") else 0
    print(
        f"{result.totals.rows_read:,} rows in {t.get('total', 0):.1f} s ({rate:,.0f} rows/s): {stages}", file=sys.stderr
    )
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if result.totals.quarantined:
        print(
            f"{result.totals.quarantined:,} rows quarantined: see the quarantine table (file, line, reason) in {where}",
            file=sys.stderr,
        )
    return 0


def _plan(warehouse: Path, input_dir: Path, sources_path: Path, salt: str, full: bool):
    """What the run must do (etl/fingerprint.py): nothing, reclassify, or build."""
    from etl.fingerprint import load_fingerprint, plan, rules_fingerprint
    from etl.sources import load_sources, match_files

    files = [path for path, _ in match_files(input_dir, load_sources(sources_path))]
    warehouse = warehouse.resolve()
    rules = rules_fingerprint(settings.path("REFERENCE_DIR"), settings.path("SENTIMENT_MODEL_PATH"), warehouse)
    return plan(warehouse, input_dir, files, load_fingerprint(sources_path, salt), rules, full)


def _warehouse(args: argparse.Namespace) -> Path:
    """--warehouse, or the WAREHOUSE_PATH setting."""
    return Path(args.warehouse) if args.warehouse else settings.path("WAREHOUSE_PATH")


def _named(args: argparse.Namespace, warehouse: Path) -> str:
    """The warehouse as the user knows it: on a lake, the lake (etl/lake.py sets ``args.lake``), not
    the checkout the command works on."""
    return getattr(args, "lake", None) or str(warehouse)


def _out(args: argparse.Namespace) -> Path:
    """--out, or the PUBLIC_SNAPSHOT_PATH setting."""
    return Path(args.out) if args.out else settings.path("PUBLIC_SNAPSHOT_PATH")


def cmd_maintain(args: argparse.Namespace) -> int:
    wh = configured()
    if not wh.is_lake:
        print(f"{wh}: a DuckDB file, which each run writes whole: nothing to maintain", file=sys.stderr)
        return 0
    from etl.lake import maintain

    done = maintain(wh, args.keep_days, _out(args), apply=args.yes)
    for snap, why in sorted(done.kept.items()):
        print(f"keep    snapshot {snap}: {why}")
    for snap in done.expired:
        print(f"{'expired' if args.yes else 'would expire'} snapshot {snap}")
    if args.yes:
        print(
            f"expired {len(done.expired)} snapshots, deleted {done.files_deleted} files no snapshot reads",
            file=sys.stderr,
        )
    else:
        print(f"dry run: {len(done.expired)} snapshots would be expired; run again with --yes", file=sys.stderr)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    import duckdb

    from etl import checks

    warehouse = _warehouse(args)
    require_warehouse(warehouse)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        run_id = con.execute("select max(run_id) from etl_run").fetchone()[0]
        failures = checks.run_all(con, run_id)
    finally:
        con.close()
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    print(f"{checks.count(run_id) - len(failures)} checks passed, {len(failures)} failed")
    return 3 if failures else 0


def cmd_reclassify(args: argparse.Namespace) -> int:
    from etl.reclassify import reclassify

    warehouse = _warehouse(args)
    result = reclassify(warehouse, settings.path("REFERENCE_DIR"))
    print(
        f"reclassified {result.participations:,} participations in {result.seconds:.1f} s "
        f"(run {result.run_id}): {result.themes_changed:,} themes and {result.sentiments_changed:,} "
        f"sentiments changed -> {_named(args, result.warehouse)}",
        file=sys.stderr,
    )
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def cmd_purge_landing(args: argparse.Namespace) -> int:
    from etl.retention import plan, purge

    warehouse = _warehouse(args)
    input_dir = Path(args.input_dir)
    planned = plan(input_dir, warehouse, args.older_than)
    for rel, why in planned.kept:
        print(f"keep    {rel}: {why}")
    for rel, size in planned.deletable:
        print(f"{'delete' if args.yes else 'would delete'}  {rel} ({size:,} bytes)")
    total = sum(size for _, size in planned.deletable)
    if args.yes:
        n = purge(input_dir, planned)
        print(f"deleted {n:,} loaded files ({total:,} bytes); kept {len(planned.kept):,}", file=sys.stderr)
    else:
        print(
            f"dry run: {len(planned.deletable):,} loaded files ({total:,} bytes) would be deleted, "
            f"{len(planned.kept):,} kept; run again with --yes to delete them",
            file=sys.stderr,
        )
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from etl.publish import publish

    warehouse = _warehouse(args)
    out = _out(args)
    threshold = args.threshold if args.threshold is not None else settings.get("PUBLISH_THRESHOLD")
    t0 = time.perf_counter()
    lake = getattr(args, "lake_snapshot", None)
    if args.at_snapshot is not None and getattr(args, "lake", None) is None:
        raise EtlError("--at-snapshot reads a snapshot of a DuckLake, and WAREHOUSE_URL names none: a file has none")
    result = publish(warehouse, args.period, out, threshold, settings.path("REFERENCE_DIR"), lake_snapshot=lake)
    print(result.path)
    print(
        f"published {result.path.parent.name} as version {result.version} in {time.perf_counter() - t0:.1f} s: "
        f"{result.counts:,} counts, {result.suppressed:,} suppressed (threshold {threshold}), "
        "solved with every period of its year and every earlier version",
        file=sys.stderr,
    )
    _site(out)
    for path in result.legacy:
        print(
            f"warning: {path} has no suppression.json (published before it existed): not taken into account",
            file=sys.stderr,
        )
    for finding in result.assumed:
        print(
            f"warning: anyone who assumes the data unchanged since an earlier version works out {finding}; "
            "where it did change, that figure is wrong (see `python -m etl audit`)",
            file=sys.stderr,
        )
    if result.exposed:
        print(
            f"warning: {result.exposed:,} suppressed counts were already recoverable from earlier publications "
            "on their own; nothing published now adds to that",
            file=sys.stderr,
        )
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from etl.audit import ASSUMPTIONS, audit

    out = _out(args)
    if not out.is_dir():
        raise ConfigError(f"{out}: no published snapshots there; name the folder with --out")
    t0 = time.perf_counter()
    result = audit(out, args.threshold)
    for finding in result.findings:
        print(finding.describe())
    for path in result.skipped:
        print(f"warning: {path} has no suppression.json (published before it existed): not checked", file=sys.stderr)
    periods = len({v.period for v in result.versions})
    changed = sum(result.refuted.values())
    print(
        f"checked {len(result.versions):,} versions of {periods:,} periods, published from {result.builds:,} "
        f"warehouse builds, under {len(ASSUMPTIONS)} assumptions ({', '.join(ASSUMPTIONS)}"
        + (f"; {changed:,} counts the figures show changed were not assumed unchanged" if changed else "")
        + f") in {time.perf_counter() - t0:.1f} s: "
        + (
            f"{len(result.findings):,} count{'s' if len(result.findings) > 1 else ''} from 1 to "
            f"{result.threshold - 1} can be worked out (above)"
            if result.findings
            else f"no count from 1 to {result.threshold - 1}, and no change of one, can be worked out"
        ),
        file=sys.stderr,
    )
    return 1 if result.findings else 0


def cmd_site(args: argparse.Namespace) -> int:
    out = _out(args)
    print(_site(out))
    return 0


def _site(out: Path) -> Path:
    from etl.site import build_site, unverifiable

    site = build_site(out)
    print(f"site rebuilt: {site}/ ({len(list(site.rglob('*.html'))):,} pages)", file=sys.stderr)
    for path in unverifiable(out):
        print(
            f"warning: {path} has no manifest.json (published before manifests existed): left out of the site",
            file=sys.stderr,
        )
    return site


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m etl", description=__doc__.split("\n")[0])
    p.add_argument("--verbose", action="store_true", help="show tracebacks on errors")
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="write realistic demo exports of every channel")
    g.add_argument("--rows", type=int, help="about how many participations (default: the DEMO_ROWS setting)")
    g.add_argument("--out", required=True, help="folder to write the exports into (the landing zone)")
    g.add_argument("--seed", type=int, default=42, help="same seed and end date, same bytes")
    g.add_argument("--end-date", help="last day of the two years generated, YYYY-MM-DD (default: yesterday in Riyadh)")
    g.add_argument(
        "--canonical",
        action="store_true",
        help="one file in the canonical import template instead of each channel's format",
    )
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g.set_defaults(func=cmd_generate)

    r = sub.add_parser(
        "run",
        help="bring the warehouse up to date with INPUT_DIR: nothing when nothing changed, reclassify when only the "
        "rules did, add new and changed exports to a copy of it, or (another mapping, salt or ETL version) load "
        "every export into a new one; each checked, then swapped in",
    )
    r.add_argument("input_dir", help="the landing zone: one folder per channel's exports")
    r.add_argument("--warehouse", help="warehouse file (default: the WAREHOUSE_PATH setting)")
    r.add_argument("--sources", help="source mappings (default: the SOURCES_PATH setting)")
    r.add_argument("--source", action="append", help="load only this source (repeatable)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument(
        "--full",
        action="store_true",
        help="build from every export even when the warehouse is up to date or only the rules changed",
    )
    r.set_defaults(func=cmd_run)

    pub = sub.add_parser("publish", help="build the public snapshot of a period: aggregates, suppressed, frozen")
    pub.add_argument("--period", required=True, help="a quarter (2026-Q2), a month (2026-05) or a year (2026)")
    pub.add_argument("--warehouse", help="warehouse file (default: the WAREHOUSE_PATH setting)")
    pub.add_argument("--out", help="snapshot folder (default: the PUBLIC_SNAPSHOT_PATH setting)")
    pub.add_argument("--threshold", type=int, help="smallest count published (default: PUBLISH_THRESHOLD)")
    pub.add_argument(
        "--at-snapshot",
        type=int,
        metavar="N",
        help="on a DuckLake (WAREHOUSE_URL): publish from its snapshot N, as a publication records it, not the latest",
    )
    pub.set_defaults(func=cmd_publish)

    au = sub.add_parser(
        "audit",
        help="read every published version under OUT side by side, as anyone can, and list each count from 1 to "
        "threshold-1 (or change of one between versions) that they let anyone work out; exit 1 if any",
        description="Reads each version's suppression.json and the build it came from (data.json), as anyone "
        "can, and lists each count from 1 to threshold-1, and each change of one between two builds, that they "
        "fix together: assuming nothing about the data between builds, then assuming a count unchanged unless "
        "the figures show otherwise. Exit 0: none; 1: some, listed; 2: the figures contradict each other.",
    )
    au.add_argument("--out", help="snapshot folder (default: the PUBLIC_SNAPSHOT_PATH setting)")
    au.add_argument("--threshold", type=int, help="smallest count that may be known (default: the versions' own)")
    au.set_defaults(func=cmd_audit)

    site = sub.add_parser("site", help="rebuild the static public site (OUT/site) from the published snapshots")
    site.add_argument("--out", help="snapshot folder (default: the PUBLIC_SNAPSHOT_PATH setting)")
    site.set_defaults(func=cmd_site)

    rc = sub.add_parser(
        "reclassify",
        help="themes, sentiment and text screens again from the stored text, with the rules and model as they are now",
    )
    rc.add_argument("--warehouse", help="warehouse file (default: the WAREHOUSE_PATH setting)")
    rc.set_defaults(func=cmd_reclassify)

    pl = sub.add_parser(
        "purge-landing",
        help="delete raw exports the warehouse shows as loaded, once older than --older-than days (dry run by default)",
    )
    pl.add_argument("input_dir", help="the landing zone")
    pl.add_argument("--older-than", type=int, required=True, metavar="DAYS", help="retention period in days")
    pl.add_argument("--yes", action="store_true", help="delete (without it: only say what would be deleted)")
    pl.add_argument("--warehouse", help="warehouse file (default: the WAREHOUSE_PATH setting)")
    pl.set_defaults(func=cmd_purge_landing)

    m = sub.add_parser(
        "maintain",
        help="on a DuckLake: expire old snapshots (never the latest, nor one a publication names), merge small "
        "files, delete the files no snapshot reads (dry run by default)",
    )
    m.add_argument("--keep-days", type=int, default=30, help="keep every snapshot younger than this (default 30)")
    m.add_argument("--out", help="the publications whose snapshots are kept (default: PUBLIC_SNAPSHOT_PATH)")
    m.add_argument("--yes", action="store_true", help="do it (without it: say what would be expired)")
    m.set_defaults(func=cmd_maintain)

    c = sub.add_parser("check", help="run the data checks on an existing warehouse")
    c.add_argument("--warehouse", help="warehouse file (default: the WAREHOUSE_PATH setting)")
    c.set_defaults(func=cmd_check)
    return p


class Stopped(BaseException):
    """SIGTERM: stop as Ctrl-C does, cleanly (not an Exception: nothing may swallow it)."""


_signalled: list[int] = []  # the signals seen: whatever error one surfaces as, the run was stopped, not broken


def _stop_on_sigterm(signum: int, frame: object) -> None:
    _signalled.append(signum)
    raise Stopped


def _stop_on_sigint(signum: int, frame: object) -> None:
    """Ctrl-C, remembered: raised inside Python that DuckDB called (a registered frame's schema),
    the KeyboardInterrupt comes back as DuckDB's InvalidInputException, and is still an interrupt."""
    _signalled.append(signum)
    raise KeyboardInterrupt


def _interrupted(exc: BaseException) -> bool:
    """DuckDB turns a signal that arrives during a query into an error of its own."""
    import duckdb

    return isinstance(exc, duckdb.InterruptException) or "Query interrupted" in str(exc)


def ordinary_pages() -> None:
    """Stop numpy asking the kernel for transparent huge pages for each large array (madvise), unless
    NUMPY_MADVISE_HUGEPAGE says otherwise. Where the kernel compacts memory to find them (THP defrag
    "madvise", as on this project's machines), filling a fresh array cost more than the work on it:
    at 10M texts the clusters spent 9.4 s of 21.6 in the kernel, and 2.9 s of 12.3 without (reading
    the signatures back 5.9 s against 0.7 s)."""
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return
    import numpy as np

    setter = getattr(getattr(getattr(np, "_core", None), "multiarray", None), "_set_madvise_hugepage", None)
    if setter is not None:
        setter(False)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    _signalled.clear()
    ordinary_pages()
    handlers = {}
    if threading.current_thread() is threading.main_thread():  # a handler can only be set there
        handlers = {
            signal.SIGTERM: signal.signal(signal.SIGTERM, _stop_on_sigterm),
            signal.SIGINT: signal.signal(signal.SIGINT, _stop_on_sigint),
        }
    try:
        return _run(args)
    finally:
        for signum, handler in handlers.items():  # a caller in the same process gets its own back
            signal.signal(signum, handler)


def _run(args: argparse.Namespace) -> int:
    try:
        settings.current()  # every setting checked before any work: a wrong one is one line, exit 2
        wh = configured(Path(args.warehouse) if getattr(args, "warehouse", None) else None)
        if wh.is_lake and args.command in LAKE_COMMANDS:  # etl/lake.py: the same command on a checkout
            from etl.lake import around

            return around(wh, args, args.func)
        return args.func(args)
    except (KeyboardInterrupt, Stopped, Exception) as exc:
        # a signal first: whatever error it surfaced as (DuckDB's "Query interrupted", or a
        # KeyboardInterrupt wrapped in an InvalidInputException), the run was stopped, not broken
        if isinstance(exc, Stopped) or signal.SIGTERM in _signalled:
            print("stopped (SIGTERM): nothing was swapped in; the previous warehouse is untouched", file=sys.stderr)
            return 143
        if isinstance(exc, KeyboardInterrupt) or signal.SIGINT in _signalled or _interrupted(exc):
            print("interrupted: nothing was swapped in; the previous warehouse is untouched", file=sys.stderr)
            return 130
        if isinstance(exc, (settings.SettingError, WarehouseUnavailable)):
            print(f"error: {exc}", file=sys.stderr)
            return exc.exit_code
        if args.verbose:  # anything else: one line, and the traceback on request
            raise
        if isinstance(exc, EtlError):
            print(f"error: {exc}", file=sys.stderr)
            return exc.exit_code
        storage = storage_error(exc, getattr(args, "warehouse", None) or settings.get("WAREHOUSE_PATH"))
        if storage is not None:
            print(f"error: {storage}", file=sys.stderr)
            return storage.exit_code
        print(
            f"error: unexpected {type(exc).__name__}: {exc} (run again with --verbose for details; "
            "the previous warehouse is untouched)",
            file=sys.stderr,
        )
        return 1
