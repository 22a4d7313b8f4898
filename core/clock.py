"""The one clock of the project: Asia/Riyadh.

The exports' local times, the warehouse's timestamps, a period's "today" and a snapshot's
``published_at`` are all Riyadh time, whatever zone the server runs in (containers run in UTC, where
00:00-03:00 in Riyadh is still the day before). Riyadh is +03 all year, with no daylight saving
since 1947, but the zone database is used anyway, so the name says what is meant.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

RIYADH = ZoneInfo("Asia/Riyadh")


def _utc_now() -> dt.datetime:
    """The machine's clock, in UTC (the one place tests freeze)."""
    return dt.datetime.now(dt.UTC)


def riyadh_now(now: dt.datetime | None = None) -> dt.datetime:
    """The time in Riyadh (of ``now``, an aware time, when given), without a zone: the clock of the
    exports' local times and of the warehouse's timestamps."""
    return riyadh_aware(now).replace(tzinfo=None)


def riyadh_aware(now: dt.datetime | None = None) -> dt.datetime:
    """The time in Riyadh, with its +03:00 offset (of ``now`` when given; a naive ``now`` is UTC)."""
    if now is None:
        now = _utc_now()
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return now.astimezone(RIYADH)


def riyadh_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in Riyadh."""
    return riyadh_aware(now).date()


def riyadh_date(stamp: str) -> dt.date:
    """The Riyadh date of an ISO time stamp such as a snapshot's ``published_at``. A stamp with an
    offset (older snapshots were written in UTC) is converted; one without is taken as Riyadh's."""
    parsed = dt.datetime.fromisoformat(stamp)
    return parsed.astimezone(RIYADH).date() if parsed.tzinfo else parsed.date()
