"""Filters -> SQL and parameters (pure), and the URL round trip."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from dashboard.filters import Filters, from_query, to_query, where

D = dt.date


@pytest.mark.parametrize(
    "filters, sql, params",
    [
        (Filters(), "true", []),
        (Filters(start=D(2026, 1, 1)), "submitted_at >= ?", [dt.datetime(2026, 1, 1)]),
        (Filters(end=D(2026, 1, 31)), "submitted_at < ?", [dt.datetime(2026, 2, 1)]),  # the end day is included
        (Filters(channel=("email", "website")), "channel in (?, ?)", ["email", "website"]),
        (Filters(status=("hidden",)), "moderation_status in (?)", ["hidden"]),
        (
            Filters(start=D(2026, 1, 1), end=D(2026, 1, 1), theme=("other",), language=("ar",)),
            "submitted_at >= ? and submitted_at < ? and theme in (?) and language in (?)",
            [dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 2), "other", "ar"],
        ),
        (
            Filters(region=("x'); drop table participation; --",)),
            "region in (?)",
            ["x'); drop table participation; --"],
        ),
    ],
)
def test_where(filters: Filters, sql: str, params: list) -> None:
    assert where(filters) == (sql, params)


def test_where_binds_against_a_real_table() -> None:
    con = duckdb.connect()
    con.execute(
        "create table participation as select * from (values "
        "(timestamp '2026-01-01 10:00', 'email', 'direct_contact', 'riyadh', 'other', 'published', 'ar'), "
        "(timestamp '2026-01-02 10:00', 'website', 'contact_us', null, 'other', 'hidden', 'en')) "
        "t(submitted_at, channel, tool, region, theme, moderation_status, language)"
    )
    sql, params = where(Filters(channel=("email", "x'); drop table participation; --")))
    assert con.execute(f"select count(*) from participation where {sql}", params).fetchone()[0] == 1
    sql, params = where(Filters(start=D(2026, 1, 2), end=D(2026, 1, 2)), table_alias="p")
    assert con.execute(f"select count(*) from participation p where {sql}", params).fetchone()[0] == 1


def test_query_round_trip_and_sanitising() -> None:
    f = Filters(start=D(2026, 1, 1), end=D(2026, 3, 31), channel=("email", "website"), status=("hidden",))
    assert from_query(to_query(f)) == f
    known = {"channel": {"email"}, "status": {"hidden"}}
    got = from_query({"channel": "email,evil", "start": "not-a-date", "end": "2026-02-01", "status": ["hidden"]}, known)
    assert got == Filters(end=D(2026, 2, 1), channel=("email",), status=("hidden",))
    swapped = from_query({"start": "2026-03-01", "end": "2026-01-01"})
    assert (swapped.start, swapped.end) == (D(2026, 1, 1), D(2026, 3, 1))


def test_previous_period() -> None:
    f = Filters(start=D(2026, 3, 1), end=D(2026, 3, 31), channel=("email",))
    p = f.previous()
    assert (p.start, p.end, p.channel) == (D(2026, 1, 29), D(2026, 2, 28), ("email",))
    assert Filters().previous() is None
