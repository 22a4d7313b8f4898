"""The filters every page shares: defined once, read from and written to the URL, turned into SQL.

``Filters`` is what a person chose (period, channel, tool, region, theme, status, language).
``where()`` turns it into a WHERE fragment over fixed column names with ``?`` placeholders and the
parameters to bind, so nothing a person types is ever formatted into SQL (as datasette's
filters.py does). It is pure, and a parametrised test pins each case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

# filter name -> participation column; the lists below are the values people may choose from
DIMENSIONS: dict[str, str] = {
    "channel": "channel",
    "tool": "tool",
    "region": "region",
    "theme": "theme",
    "status": "moderation_status",
    "language": "language",
}


@dataclass(frozen=True)
class Filters:
    start: dt.date | None = None
    end: dt.date | None = None  # inclusive
    channel: tuple[str, ...] = field(default_factory=tuple)
    tool: tuple[str, ...] = field(default_factory=tuple)
    region: tuple[str, ...] = field(default_factory=tuple)
    theme: tuple[str, ...] = field(default_factory=tuple)
    status: tuple[str, ...] = field(default_factory=tuple)
    language: tuple[str, ...] = field(default_factory=tuple)

    @property
    def days(self) -> int | None:
        if self.start and self.end:
            return (self.end - self.start).days + 1
        return None

    def previous(self) -> Filters | None:
        """The same filters over the period just before (as long), for comparisons."""
        if not self.days:
            return None
        span = dt.timedelta(days=self.days)
        return replace(self, start=self.start - span, end=self.end - span)


def where(f: Filters, date_column: str = "submitted_at", table_alias: str = "") -> tuple[str, list]:
    """SQL condition (``true`` when nothing is chosen) and its parameters, in placeholder order."""
    prefix = f"{table_alias}." if table_alias else ""
    clauses: list[str] = []
    params: list = []
    if f.start:
        clauses.append(f"{prefix}{date_column} >= ?")
        params.append(dt.datetime.combine(f.start, dt.time.min))
    if f.end:
        clauses.append(f"{prefix}{date_column} < ?")
        params.append(dt.datetime.combine(f.end + dt.timedelta(days=1), dt.time.min))
    for name, column in DIMENSIONS.items():
        values = getattr(f, name)
        if values:
            clauses.append(f"{prefix}{column} in ({', '.join('?' for _ in values)})")
            params.extend(values)
    return (" and ".join(clauses) or "true"), params


def from_query(params: Mapping[str, str | list[str]], known: Mapping[str, set[str]] | None = None) -> Filters:
    """Filters from URL query parameters (``?channel=email,website&start=2026-01-01``).

    Unknown codes and malformed dates are dropped, never passed on.
    """

    def one(name: str) -> str:
        v = params.get(name, "")
        return (v[-1] if isinstance(v, list) and v else v) or ""  # type: ignore[return-value]

    def day(name: str) -> dt.date | None:
        try:
            return dt.date.fromisoformat(one(name)) if one(name) else None
        except ValueError:
            return None

    values: dict[str, tuple[str, ...]] = {}
    for name in DIMENSIONS:
        chosen = [v.strip() for v in one(name).split(",") if v.strip()]
        if known is not None:
            chosen = [v for v in chosen if v in known.get(name, set())]
        values[name] = tuple(dict.fromkeys(chosen))
    start, end = day("start"), day("end")
    if start and end and start > end:
        start, end = end, start
    return Filters(start=start, end=end, **values)


def to_query(f: Filters) -> dict[str, str]:
    """URL query parameters for these filters (only what is chosen)."""
    out: dict[str, str] = {}
    for fld in fields(f):
        v = getattr(f, fld.name)
        if isinstance(v, tuple) and v:
            out[fld.name] = ",".join(v)
        elif isinstance(v, dt.date):
            out[fld.name] = v.isoformat()
    return out
