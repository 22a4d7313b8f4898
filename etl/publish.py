"""``python -m etl publish``: a public snapshot of one period, safe by construction.

A snapshot holds aggregates only (volumes by channel, tool, region and theme; moderation outcomes
and removals by control; responsiveness; satisfaction; poll results), the improvement actions
flagged public in Arabic and English, the metric dictionary and metadata. Every count passes
``etl.suppression`` (primary and complementary) before anything is written; rates, averages and
medians are published only beside a published count. The agency's own texts (action titles, poll
questions) are scanned for personal data, and publishing stops if any is found.

Layout (``OUT/PERIOD/vN/``): ``data.json`` (everything, open data), ``csv/*.csv`` (one file per
table, with ``dictionary.csv``), ``open_data_csv.zip``, ``report.pdf``. A published period is frozen:
its files are read-only, and publishing the period again makes ``v(N+1)`` beside it. A version
appears whole or not at all (built in a temporary folder, then renamed).

Suppression holds across snapshots too: a period is solved with its year's other periods and with
every frozen version (``_joint``), and each version writes ``suppression.json`` (its counts by key,
null where suppressed, and its equations) for the publications after it. Before a version is
written, ``etl.audit``, which reads only what is public, checks it against the year's other
versions (``_second_opinion``): a small count it can work out stops the publication.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from core.clock import riyadh_aware, riyadh_today
from core.sqlfiles import load_sql
from dashboard.i18n import t
from etl.errors import ConfigError, EtlError, require_warehouse
from etl.reference import read_table
from etl.site import write_manifest
from etl.suppression import Grid, recovered, solve
from etl.text import redact

SQL_DIR = Path(__file__).parent / "sql"
SNAPSHOT_SCHEMA = 1
STATUSES = ("published", "hidden", "deleted", "pending")
REMOVED = ("hidden", "deleted")
TOTAL = "total"
PERIOD_LABEL = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(0[1-9]|1[0-2])))?$")


def _both(key: str) -> tuple[str, str]:
    """A name in Arabic and English, from the locale files (the snapshot carries both)."""
    return t("ar", key), t("en", key)


TOTAL_NAMES = _both("snapshot_total")


@dataclass(frozen=True)
class Period:
    label: str
    first: dt.date
    last: dt.date


def parse_period(text: str, today: dt.date | None = None) -> Period:
    """``2026-Q2`` (a quarter), ``2026-05`` (a month), ``2026`` (a year), or ``last-quarter`` (the
    last complete quarter before today)."""
    if text.strip() == "last-quarter":
        today = today or riyadh_today()
        year, quarter = today.year, (today.month - 1) // 3  # the current quarter's index - 1
        text = f"{year - 1}-Q4" if quarter == 0 else f"{year}-Q{quarter}"
    m = PERIOD_LABEL.match(text.strip())
    if not m:
        raise ConfigError(f"period {text!r}: use a quarter (2026-Q2), a month (2026-05) or a year (2026)")
    year = int(m[1])
    if m[2]:
        first_month, months = 3 * int(m[2]) - 2, 3
    elif m[3]:
        first_month, months = int(m[3]), 1
    else:
        first_month, months = 1, 12
    first = dt.date(year, first_month, 1)
    nxt = dt.date(year + (first_month + months - 1) // 12, (first_month + months - 1) % 12 + 1, 1)
    return Period(text.strip(), first, nxt - dt.timedelta(days=1))


@dataclass(frozen=True)
class Published:
    path: Path
    version: int
    suppressed: int
    counts: int
    exposed: int = 0  # protected counts that earlier publications had already made recoverable
    legacy: tuple[Path, ...] = ()  # versions without suppression.json, not taken into account
    assumed: tuple[str, ...] = ()  # counts anyone can work out if they assume data unchanged (etl.audit)


# -- building the tables ---------------------------------------------------------------------------
def _names(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, tuple[str, str]]:
    return {str(c): (ar, en) for c, ar, en in con.execute(f"select code, name_ar, name_en from {table}").fetchall()}


class _Builder:
    """Declares every count in one ``Grid`` and lays the tables out with cell keys in place of
    counts; ``fill`` then writes values, or None where suppressed."""

    def __init__(self) -> None:
        self.grid = Grid()
        self.tables: dict[str, list[dict]] = {}
        self.rating_sum = 0.0

    def sums(self, df: pd.DataFrame, by: list[str], value: str) -> dict:
        return df.groupby(by, dropna=False)[value].sum().to_dict() if not df.empty else {}

    def one_way(self, table: str, prefix: str, codes: list[str], names: dict, counts: dict, total_key) -> None:
        """``table``: one row per code with its count, then the total row (``total_key``)."""
        keys = [self.grid.cell((prefix, c), counts.get(c, 0)) for c in codes]
        self.grid.cell(total_key, sum(counts.get(c, 0) for c in codes))
        self.grid.total(total_key, keys)
        rows = [_row(c, names.get(c, (c, c)), {prefix_metric(prefix): (prefix, c)}) for c in codes]
        rows.append(_row(TOTAL, TOTAL_NAMES, {prefix_metric(prefix): total_key}))
        self.tables[table] = rows


def prefix_metric(prefix: str) -> str:
    return {"control": "removed"}.get(prefix, "participations")


def _row(code: str, names: tuple[str, str], cells: dict) -> dict:
    return {"code": code, "name_ar": names[0], "name_en": names[1], **cells}


def _ordered(codes: list[str], present: set) -> list[str]:
    """Reference order, then any code the data has that the reference lacks."""
    return [c for c in codes if c in present] + sorted(str(c) for c in present if c not in codes)


def _declare(con: duckdb.DuckDBPyConnection, period: Period, ref_dir: Path) -> _Builder:
    """Every count of one period's snapshot in a ``Grid``, with the tables that show them."""
    start, end = period.first, period.last
    end_ts = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    counts = con.execute(load_sql(SQL_DIR, "publish_counts"), [start, end]).df()
    if counts.empty or counts["participations"].sum() == 0:
        raise EtlError(f"period {period.label} ({start} to {end}): no participations in the warehouse to publish")
    response = con.execute(load_sql(SQL_DIR, "publish_response"), [start, end_ts]).df()
    polls = con.execute(load_sql(SQL_DIR, "publish_polls"), [start, end_ts]).df()
    actions = con.execute(load_sql(SQL_DIR, "publish_actions"), [end]).df()

    names = {d: _names(con, f"ref_{d}") for d in ("channel", "tool", "region", "theme", "moderation_status", "control")}
    names["region"]["unknown"] = _both("snapshot_region_unknown")
    names["control"]["0"] = _both("snapshot_no_control")
    order = {d: list(v) for d, v in names.items()}
    b = _Builder()
    g = b.grid
    all_key = ("all",)

    # Moderation outcomes: channel x status, with both margins. Channel volumes are its row totals.
    channels = _ordered(order["channel"], set(counts["channel"]))
    by_cs = b.sums(counts, ["channel", "moderation_status"], "participations")
    for ch in channels:
        for st in STATUSES:
            g.cell(("outcome", ch, st), by_cs.get((ch, st), 0))
        g.cell(("channel", ch), sum(by_cs.get((ch, st), 0) for st in STATUSES))
        g.total(("channel", ch), [("outcome", ch, st) for st in STATUSES])
    for st in STATUSES:
        g.cell(("status", st), sum(by_cs.get((ch, st), 0) for ch in channels))
        g.total(("status", st), [("outcome", ch, st) for ch in channels])
    g.cell(all_key, int(counts["participations"].sum()))
    g.total(all_key, [("channel", ch) for ch in channels])
    g.total(all_key, [("status", st) for st in STATUSES])
    b.tables["outcomes_by_channel"] = [
        _row(
            ch,
            names["channel"].get(ch, (ch, ch)),
            {st: ("outcome", ch, st) for st in STATUSES} | {TOTAL: ("channel", ch)},
        )
        for ch in channels
    ] + [_row(TOTAL, TOTAL_NAMES, {st: ("status", st) for st in STATUSES} | {TOTAL: all_key})]
    b.tables["volume_by_channel"] = [
        _row(ch, names["channel"].get(ch, (ch, ch)), {"participations": ("channel", ch)}) for ch in channels
    ] + [_row(TOTAL, TOTAL_NAMES, {"participations": all_key})]

    for dim, table in (("tool", "volume_by_tool"), ("region", "volume_by_region"), ("theme", "volume_by_theme")):
        per = b.sums(counts, [dim], "participations")
        b.one_way(table, dim, _ordered(order[dim], set(per)), names[dim], per, all_key)

    # Removals by the control cited; their total is hidden + deleted of the outcomes table.
    removed = counts[counts["moderation_status"].isin(REMOVED)]
    per_control = {str(k): v for k, v in b.sums(removed, ["control"], "participations").items()}
    controls = [str(c) for c in range(1, 10)] + (["0"] if per_control.get("0") else [])
    b.one_way("removals_by_control", "control", controls, names["control"], per_control, ("removed",))
    policy = {
        str(c): (ar, en) for c, ar, en in con.execute("select code, text_ar, text_en from ref_control").fetchall()
    }
    for row in b.tables["removals_by_control"]:  # the policy's own words for each control
        row["text_ar"], row["text_en"] = policy.get(row["code"], (None, None))
    g.total(("removed",), [("status", st) for st in REMOVED])

    # Responsiveness and satisfaction per channel, each count column with its own total.
    for metric in ("answerable", "answered", "rated"):
        per = b.sums(counts, ["channel"], metric)
        keys = [g.cell((metric, ch), per.get(ch, 0)) for ch in channels]
        g.cell((metric,), sum(per.get(ch, 0) for ch in channels))
        g.total((metric,), keys)
    rating_sum = b.sums(counts, ["channel"], "rating_sum")
    medians = dict(zip(response["channel"], response["median_hours"], strict=True))
    b.tables["responsiveness_by_channel"] = [
        _row(ch, names["channel"].get(ch, (ch, ch)), {"answerable": ("answerable", ch), "answered": ("answered", ch)})
        | {"_median": medians.get(ch)}
        for ch in channels
    ] + [_row(TOTAL, TOTAL_NAMES, {"answerable": ("answerable",), "answered": ("answered",)})]
    b.tables["satisfaction_by_channel"] = [
        _row(ch, names["channel"].get(ch, (ch, ch)), {"rated": ("rated", ch)}) | {"_rating_sum": rating_sum.get(ch, 0)}
        for ch in channels
    ] + [_row(TOTAL, TOTAL_NAMES, {"rated": ("rated",)}) | {"_rating_sum": float(counts["rating_sum"].sum())}]

    # Polls: answers per poll with the poll's total; a tool's polls add up to the tool's volume.
    answer_names = {r["code"]: (r["name_ar"], r["name_en"]) for r in read_table(ref_dir, "poll_answers.csv")}
    poll_rows = []
    polls_by_tool: dict[str, list] = defaultdict(list)
    for (poll_id, tool), grp in polls.groupby(["poll_id", "tool"], sort=True):
        total_key = g.cell(("poll", poll_id, tool), int(grp["n"].sum()))
        parts = []
        for r in grp.itertuples():
            key = g.cell(("poll", poll_id, tool, r.answer), int(r.n))
            parts.append(key)
            poll_rows.append(
                {"poll_id": poll_id, "question": r.question, "tool": tool, "answer": str(r.answer)}
                | dict(
                    zip(("answer_ar", "answer_en"), answer_names.get(str(r.answer), (r.answer, r.answer)), strict=True)
                )
                | {"answers": key}
            )
        g.total(total_key, parts)
        poll_rows.append(
            {"poll_id": poll_id, "question": grp["question"].iloc[0], "tool": tool, "answer": TOTAL}
            | {"answer_ar": TOTAL_NAMES[0], "answer_en": TOTAL_NAMES[1], "answers": total_key}
        )
        polls_by_tool[tool].append(total_key)
    for tool, keys in polls_by_tool.items():
        if g.values.get(("tool", tool)) == sum(g.values[k] for k in keys):  # every answer of the tool is here
            g.total(("tool", tool), keys)
    b.tables["poll_results"] = poll_rows

    action_rows = []
    for a in actions.itertuples():
        key = g.cell(("action", a.action_id), int(a.participations))
        action_rows.append(
            {
                "action_id": a.action_id,
                "status": a.status,
                "theme": a.theme,
                "theme_ar": names["theme"].get(a.theme, (a.theme, a.theme))[0],
                "theme_en": names["theme"].get(a.theme, (a.theme, a.theme))[1],
                "title_ar": a.title_ar,
                "title_en": a.title_en,
                "description_ar": a.description_ar,
                "description_en": a.description_en,
                "proposed_at": _iso(a.proposed_at),
                "completed_at": _iso(a.completed_at),
                "completed_in_period": bool(
                    pd.notna(a.completed_at) and start <= pd.Timestamp(a.completed_at).date() <= end
                ),
                "action_participations": key,
            }
        )
    b.tables["actions"] = action_rows
    b.rating_sum = float(counts["rating_sum"].sum())
    return b


def build(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    threshold: int,
    ref_dir: Path,
    frozen: list[Frozen] | None = None,
) -> dict:
    """The snapshot's content, suppressed: a dict ready for ``data.json``. Its suppression is
    solved together with every period of its year and every ``frozen`` snapshot (see ``_joint``)."""
    b = _declare(con, period, ref_dir)
    family = {}
    for label in family_of(period.label):
        if label == period.label:
            family[label] = b
            continue
        try:
            family[label] = _declare(con, parse_period(label), ref_dir)
        except EtlError:  # no data in that period: its counts are all zero
            continue
    joint, locked, unknown, protected = _joint(family, frozen or [])
    solution = solve(joint, threshold, locked=locked, unknown=unknown, protected=protected)
    hidden = {k for k in b.grid.values if joint_key(period.label, k) in solution.hidden}
    data = _fill(b.tables, b.grid.values, hidden)
    _derive(data)
    data["headline"] = _headline(b.grid.values, hidden, data, b.rating_sum)
    data["_suppression"] = {
        "counts": len(b.grid.values),
        "suppressed": len(hidden),
        "equations": len(b.grid.equations),
        "joint_counts": len(joint.values),
        "exposed": len(solution.exposed),
        "grid": _grid_record(b.grid, hidden),
    }
    return data


# -- across snapshots ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Frozen:
    """A published version's counts as the public has them: a value, or None where suppressed."""

    period: str
    version: int
    cells: dict[tuple, int | None]
    equations: list[tuple[tuple, tuple[tuple, ...]]]


def family_of(label: str) -> list[str]:
    """The periods whose counts add up with ``label``'s: its year, the year's quarters and months."""
    year = label[:4]
    return [year, *(f"{year}-Q{q}" for q in range(1, 5)), *(f"{year}-{m:02d}" for m in range(1, 13))]


def children_of(label: str) -> list[str]:
    if len(label) == 4:
        return [f"{label}-Q{q}" for q in range(1, 5)]
    if "-Q" in label:
        q = int(label[-1])
        return [f"{label[:4]}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]
    return []


def joint_key(period: str, key: tuple) -> tuple:
    """A cell's key in the joint system: per period, except the actions' counts, which do not
    depend on the period (every participation an action answers) and are one figure everywhere."""
    return key if key[0] == "action" else (period, *key)


def _joint(family: dict[str, _Builder], frozen: list[Frozen]) -> tuple[Grid, set, set, set]:
    """One system for a year's periods and the frozen snapshots:

    - each period's own equations;
    - a year is the sum of its quarters, a quarter of its months, count by count (a period without
      data is zero throughout);
    - each frozen version's cells and equations, linked to today's counts of the same period by a
      difference: ``today = frozen + d`` (or ``frozen = today + d`` for a correction downwards).
      A difference from 1 to threshold-1 is protected like any small count, so that two versions
      side by side do not reveal a late batch of a few records; a difference of 0 (a published
      count that has not changed) is known, as anyone may assume it; a frozen suppressed cell is
      unknown and protected, and so is its difference, which keeps its pattern in later versions.

    Every period is treated as published with today's counts, so that a period published later
    finds its figures protected already by the ones published before it."""
    g = Grid()
    locked: set = set()
    unknown: set = set()
    protected: set = set()
    for label, b in family.items():
        for key, value in b.grid.values.items():
            g.cell(joint_key(label, key), value)
        for total, parts in b.grid.equations:
            g.total(joint_key(label, total), [joint_key(label, p) for p in parts])
    for label in family:
        kids = [k for k in children_of(label) if k in family]
        if not kids:
            continue
        keys = {k for q in (label, *kids) for k in family[q].grid.values if k[0] != "action"}
        for key in sorted(keys, key=repr):
            for q in (label, *kids):
                if joint_key(q, key) not in g.values:
                    g.cell(joint_key(q, key), 0)
            g.total(joint_key(label, key), [joint_key(q, key) for q in kids])
    for f in frozen:
        name = ("v", f.period, f.version)
        for key, value in f.cells.items():
            old = (*name, *key)
            now = joint_key(f.period, key)
            if now not in g.values:
                g.cell(now, 0)  # gone from today's data, or a period with no data now
            d = ("d", *name[1:], *key)
            if value is None:
                g.unknown_cell(old)
                g.unknown_cell(d)
                protected |= {old, d}
                g.total(now, [old, d])
                unknown.add(d)
            else:
                g.cell(old, value)
                locked.add(old)
                diff = g.values[now] - value
                g.cell(d, abs(diff))
                if diff >= 0:
                    g.total(now, [old, d])
                else:
                    g.total(old, [now, d])
                # A count that has not changed since it was published is as good as published
                # today: a period is most often published again with nothing new in it, and
                # anyone may assume so. Left unknown, a new version could publish a total whose
                # parts the old one showed but one (June's total in v2, one of its parts in v1).
                (locked if diff == 0 else unknown).add(d)
        for total, parts in f.equations:
            g.total((*name, *total), [(*name, *p) for p in parts])
    return g, locked, unknown, protected


def _grid_record(grid: Grid, hidden: set) -> dict:
    """A version's counts and equations as published (``suppression.json``): values, or None."""
    return {
        "cells": [[list(k), None if k in hidden else int(v)] for k, v in grid.values.items()],
        "equations": [[list(total), [list(p) for p in parts]] for total, parts in grid.equations],
    }


def read_record(record: dict) -> tuple[dict[tuple, int | None], list[tuple[tuple, tuple[tuple, ...]]]]:
    """A version's ``suppression.json`` (see ``_grid_record``): its cells by key, and its equations."""
    cells = {tuple(k): v for k, v in record["cells"]}
    equations = [(tuple(t), tuple(tuple(p) for p in parts)) for t, parts in record["equations"]]
    return cells, equations


def frozen_versions(out: Path, label: str) -> tuple[list[Frozen], list[Path]]:
    """Every published version of ``label``'s family under ``out``, and the versions from before
    ``suppression.json`` existed, which cannot be taken into account."""
    found, legacy = [], []
    for period in family_of(label):
        for n in versions(out, period):
            path = out / period / f"v{n}" / "suppression.json"
            if not path.exists():
                legacy.append(path.parent)
                continue
            cells, equations = read_record(json.loads(path.read_text(encoding="utf-8")))
            found.append(Frozen(period, n, _known(cells, equations), equations))
    return found, legacy


def _known(cells: dict[tuple, int | None], equations: list) -> dict[tuple, int | None]:
    """The version's cells with the suppressed ones that its own published figures fix filled in
    (a complementary cell need not be protected itself): what anyone can work out from it."""
    g = Grid()
    for key, value in cells.items():
        if value is None:
            g.unknown_cell(key)
        else:
            g.cell(key, value)
    for total, parts in equations:
        g.total(total, parts)
    return cells | recovered(g)


def _iso(value: object) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _fill(tables: dict[str, list[dict]], values: dict, hidden: set) -> dict:
    """Replace each cell key by its value, or by None when suppressed."""

    def value(v: object) -> object:
        if isinstance(v, tuple):
            return None if v in hidden else int(values[v])
        return v

    return {name: [{k: value(v) for k, v in row.items()} for row in rows] for name, rows in tables.items()}


def _derive(data: dict) -> None:
    """Rates, medians and averages, each only beside the published count(s) it rests on."""
    for row in data["responsiveness_by_channel"]:
        ok = row["answered"] is not None and row["answerable"] not in (None, 0)
        row["share_answered"] = round(row["answered"] / row["answerable"], 4) if ok else None
        median = row.pop("_median", None)
        row["median_hours_to_answer"] = (
            round(float(median), 1) if row["answered"] and median is not None and pd.notna(median) else None
        )
    for row in data["satisfaction_by_channel"]:
        total = row.pop("_rating_sum", 0)
        row["mean_rating"] = round(float(total) / row["rated"], 2) if row["rated"] else None


def _headline(values: dict, hidden: set, data: dict, rating_sum: float) -> dict:
    def get(key: tuple) -> int | None:
        return None if key in hidden else values[key]

    total, removed = get(("all",)), get(("removed",))
    answerable, answered, rated = get(("answerable",)), get(("answered",)), get(("rated",))
    return {
        "participations": total,
        "removed": removed,
        "share_removed": round(removed / total, 4) if total and removed is not None else None,
        "share_answered": round(answered / answerable, 4) if answerable and answered is not None else None,
        "mean_rating": round(rating_sum / rated, 2) if rated else None,
        "actions_completed": sum(1 for a in data["actions"] if a["completed_in_period"]),
    }


# -- writing ---------------------------------------------------------------------------------------
def _texts(obj: object):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _texts(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _texts(v)


def assert_no_personal_data(data: dict) -> None:
    """Every text in the snapshot passes the redactor unchanged, or nothing is published."""
    for text in set(_texts(data)):
        redacted, types = redact(text)
        if types or redacted != text:
            raise EtlError(
                f"publishing stopped: a published text holds personal data ({', '.join(types) or 'pattern'}); "
                "correct the improvement-action register or the poll wording, then publish again"
            )


def _csv_bytes(rows: list[dict]) -> bytes:
    if not rows:
        return b""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return buf.getvalue().encode("utf-8-sig")


def versions(out: Path, period: str) -> list[int]:
    d = out / period
    return sorted(int(p.name[1:]) for p in d.glob("v*") if p.name[1:].isdigit()) if d.is_dir() else []


def publish(
    warehouse: Path,
    period_text: str,
    out: Path,
    threshold: int,
    ref_dir: Path,
    now: dt.datetime | None = None,
    lake_snapshot: int | None = None,
) -> Published:
    """Publish ``period`` from ``warehouse`` (a file; on a lake, the checkout of ``lake_snapshot``,
    which the publication records so that it can be rebuilt from the same data)."""
    published_at = riyadh_aware(now).replace(microsecond=0)  # the period's "today" is Riyadh's too
    period = parse_period(period_text, published_at.date())
    if threshold < 2:
        raise ConfigError("PUBLISH_THRESHOLD must be at least 2")
    require_warehouse(warehouse)
    out.mkdir(parents=True, exist_ok=True)
    # One publication at a time under OUT: each is solved with every version frozen before it, so two
    # at once (each blind to the other) could together reveal what neither does alone.
    with (out / ".publish.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _publish(warehouse, period, out, threshold, ref_dir, published_at, lake_snapshot)


def _publish(
    warehouse: Path,
    period: Period,
    out: Path,
    threshold: int,
    ref_dir: Path,
    published_at: dt.datetime,
    lake_snapshot: int | None,
) -> Published:
    frozen, legacy = frozen_versions(out, period.label)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        data = build(con, period, threshold, ref_dir, frozen)
        version, built_at = con.execute("select version, built_at from warehouse_meta").fetchone()
    finally:
        con.close()
    stats = data.pop("_suppression")
    grid_record = stats.pop("grid")
    data = {
        "metadata": {
            "period": period.label,
            "first_day": period.first.isoformat(),
            "last_day": period.last.isoformat(),
            "published_at": published_at.isoformat(),
            "threshold": threshold,
            "warehouse_version": int(version),
            "warehouse_built_at": pd.Timestamp(built_at).isoformat(),
            **({"lake_snapshot": int(lake_snapshot)} if lake_snapshot is not None else {}),
            "snapshot_schema": SNAPSHOT_SCHEMA,
            "suppressed_note_ar": t("ar", "snapshot_suppressed_note", threshold=threshold - 1),
            "suppressed_note_en": t("en", "snapshot_suppressed_note", threshold=threshold - 1),
        },
        "dictionary": {
            "metrics": read_table(ref_dir, "public_metrics.csv"),
            "tables": read_table(ref_dir, "public_tables.csv"),
        },
        **data,
    }
    assert_no_personal_data(data)

    n = (versions(out, period.label) or [0])[-1] + 1  # a period's versions are never overwritten
    assumed = _second_opinion(out, period, n, data["metadata"], grid_record, threshold)
    (out / period.label).mkdir(exist_ok=True)
    data["metadata"]["version"] = n
    target = out / period.label / f"v{n}"
    tmp = Path(tempfile.mkdtemp(prefix=".publishing-", dir=out))
    try:
        _write(tmp, data)
        (tmp / "suppression.json").write_text(json.dumps(grid_record, ensure_ascii=False), encoding="utf-8")
        write_manifest(tmp)
        _freeze(tmp)
        try:
            os.rename(tmp, target)  # whole or nothing; fails if v{n} appeared meanwhile
        except OSError as exc:
            raise EtlError(f"{target}: another publish of {period.label} finished first; publish again") from exc
        for d in (target / "csv", target):  # frozen: no file added, changed or removed
            d.chmod(0o555)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Published(target, n, stats["suppressed"], stats["counts"], stats["exposed"], tuple(legacy), assumed)


def _second_opinion(out: Path, period: Period, n: int, metadata: dict, record: dict, threshold: int) -> tuple[str, ...]:
    """``etl.audit``, which reads only what is public, on the folder with this version added: a
    count it lets anyone work out exactly (two versions of one build show one data) stops the
    publication before anything is written. One worked out only by assuming that data did not
    change between builds is returned, to be reported: where the data did change, that figure is
    wrong, so it does not stop a publication."""
    from etl.audit import added_by, read_versions, version_from

    found, _ = read_versions(out, period.label[:4])  # the calendar links a year's periods only
    new = version_from(period.label, n, metadata, json.loads(json.dumps(record)))  # as it will be read
    findings = added_by(found, new, threshold)
    exact = [f.describe() for f in findings if f.assumption == "as built"]
    if exact:
        raise EtlError(
            f"{period.label}: publishing it would let anyone work out {len(exact)} small "
            f"count{'s' if len(exact) > 1 else ''} ({exact[0]}); "
            "nothing was written. Report this: the suppression missed it"
        )
    return tuple(f.describe() for f in findings)


def _write(folder: Path, data: dict) -> None:
    from etl.report import render_pdf

    (folder / "data.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    csv_dir = folder / "csv"
    csv_dir.mkdir()
    files = {f"{name}.csv": _csv_bytes(rows) for name, rows in _csv_tables(data).items()}
    for name, content in files.items():
        (csv_dir / name).write_bytes(content)
    with zipfile.ZipFile(folder / "open_data_csv.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in sorted(files.items()):
            z.writestr(name, content)
    package = _data_package(data, {name: rows for name, rows in _csv_tables(data).items() if rows})
    (folder / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "report.pdf").write_bytes(render_pdf(data))


def _csv_tables(data: dict) -> dict[str, list[dict]]:
    tables = {name: data[name] for name in _table_names(data)}
    tables |= {"dictionary": data["dictionary"]["metrics"], "tables": data["dictionary"]["tables"]}
    return tables | {"metadata": [data["metadata"]]}


def _field_type(values: list) -> str:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return "boolean"
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "integer"
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "number"
    return "string"


def _data_package(data: dict, tables: dict[str, list[dict]]) -> dict:
    """The open data as a Frictionless Data Package: one resource per CSV with its table schema
    (types from the values; an empty cell is a suppressed count or a figure not published)."""
    meta = data["metadata"]
    metrics = {m["code"]: m for m in data["dictionary"]["metrics"]}
    titles = {t["code"]: t for t in data["dictionary"]["tables"]}
    resources = []
    for name, rows in tables.items():
        fields = []
        for column in rows[0]:
            field = {"name": column, "type": _field_type([r.get(column) for r in rows])}
            if column in metrics:
                field["title"] = metrics[column]["name_en"]
                field["description"] = metrics[column]["definition_en"]
            fields.append(field)
        resource = {
            "name": name.replace("_", "-"),
            "path": f"csv/{name}.csv",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8-sig",
            "schema": {"fields": fields, "missingValues": [""]},
        }
        if name in titles:
            resource["title"] = titles[name]["name_en"]
        resources.append(resource)
    return {
        "name": f"eparticipation-{meta['period'].lower()}-v{meta['version']}",
        "title": f"E-participation transparency snapshot {meta['period']}, version {meta['version']}",
        "description": meta["suppressed_note_en"],
        "created": meta["published_at"],
        "version": str(meta["version"]),
        "resources": resources,
    }


def _table_names(data: dict) -> list[str]:
    return [table["code"] for table in data["dictionary"]["tables"] if table["code"] in data]


def _freeze(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            p.chmod(0o444)
