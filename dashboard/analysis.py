"""Small, pure computations on query results (no st.*, no SQL): tested directly."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

MIN_COUNT = 20  # below this in both periods a change is noise, whatever its percentage


def what_changed(df: pd.DataFrame, top: int = 5) -> pd.DataFrame:
    """The themes, channels and regions that rose or fell most against the previous period.

    Guard against noise: a change counts only when the larger of the two counts is at least
    MIN_COUNT and the difference exceeds twice its Poisson noise (2 * sqrt(now + before)).
    Returns dimension, name, now, before, change, change_pct, direction (up/down), largest first.
    """
    if df.empty:
        return df.assign(change=[], change_pct=[], direction=[])
    out = df.copy()
    out["change"] = out["now"] - out["before"]
    noise = 2 * (out["now"] + out["before"]).map(math.sqrt)
    big_enough = out[["now", "before"]].max(axis=1) >= MIN_COUNT
    out = out[big_enough & (out["change"].abs() > noise)]
    out["change_pct"] = (out["change"] / out["before"].where(out["before"] > 0)).round(3)
    out["direction"] = out["change"].map(lambda c: "up" if c > 0 else "down")
    return out.sort_values(["change"], key=lambda s: -s.abs()).head(top * 2).reset_index(drop=True)


def delta(now: float | None, before: float | None) -> float | None:
    """now - before, or None when either is missing."""
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        return None
    return now - before


def whole_weeks(df: pd.DataFrame, start: dt.date | None, end: dt.date | None, column: str = "week") -> pd.DataFrame:
    """The rows whose week (labelled by its first day, WEEK_START's, as the weekly SQL gives it) lies
    wholly inside the period [start, end]. A week the period cuts holds only some of its days and would
    draw as a dip at either end of a weekly line. All the rows when no week is whole: a short period
    shows what it has."""
    if df.empty:
        return df
    first = pd.to_datetime(df[column]).dt.date
    inside = pd.Series(True, index=df.index)
    if start is not None:
        inside &= first >= start
    if end is not None:
        inside &= first.map(lambda d: d + dt.timedelta(days=6)) <= end
    return df[inside] if inside.any() else df
