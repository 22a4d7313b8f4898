"""Chart builders: pure functions from a DataFrame and labels to an ``alt.Chart`` (no ``st.*``).

Charts stay left-to-right; category labels are isolated (see ``i18n.isolate``) so Arabic names and
digits read in their own order. Each chart carries a text description for assistive technology.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from dashboard.i18n import isolate, t


def localised(chart: alt.TopLevelMixin, lang: str) -> alt.TopLevelMixin:
    """The chart with its dates in ``lang``: month and day names from the locale files, so a time
    axis and its tooltips read "30 أغسطس" on the Arabic page, not "Aug 30" (Vega's default is
    American English)."""
    names = {k: t(lang, f"time_{k}").split() for k in ("months", "short_months", "days", "short_days", "periods")}
    time = alt.TimeLocale(
        dateTime="%x %X",
        date="%Y/%m/%d",
        time="%H:%M:%S",
        periods=names["periods"],
        days=names["days"],
        shortDays=names["short_days"],
        months=names["months"],
        shortMonths=names["short_months"],
    )
    return chart.configure(locale=alt.Locale(time=time))


DAY = "%Y/%m/%d"  # a day in a tooltip: unambiguous in both languages


def _time_axis(dates: pd.Series) -> alt.Axis:
    """Up to half a year: a tick on each of the data's own days (the weeks' first days, not Vega's
    Sundays), labelled by day and month ("31 أغسطس", "31 Aug"); beyond, month and year. Vega's own
    labels mix day names, months and days from one tick to the next."""
    days = pd.to_datetime(dates)
    if days.empty or (days.max() - days.min()).days > 183:
        return alt.Axis(format="%b %Y", labelOverlap=True)
    ticks = [alt.DateTime(year=d.year, month=d.month, date=d.day) for d in sorted(days.dt.date.unique())]
    return alt.Axis(format="%-d %b", values=ticks, labelOverlap=True)


def _category_sort(order: list[str] | None) -> list[str] | str:
    """The categories in ``order`` when it means something (a lifecycle, age bands), else largest first."""
    return [isolate(v) for v in order] if order else "-x"


def bar(
    df: pd.DataFrame,
    category: str,
    value: str,
    category_title: str,
    value_title: str,
    description: str,
    order: list[str] | None = None,
) -> alt.Chart:
    """Horizontal bars, largest first; ``order``: the categories' order when it means something (age
    bands), as in ``stacked_bar``."""
    data = df.assign(**{category: df[category].map(isolate)})
    return (
        alt.Chart(data, description=description)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", sort=_category_sort(order), title=category_title, axis=alt.Axis(labelLimit=320)),
            x=alt.X(f"{value}:Q", title=value_title),
            tooltip=[
                alt.Tooltip(f"{category}:N", title=category_title),
                alt.Tooltip(f"{value}:Q", title=value_title, format=","),
            ],
        )
        .properties(height=alt.Step(28))
    )


def line(
    df: pd.DataFrame,
    x: str,
    y: str,
    x_title: str,
    y_title: str,
    description: str,
    color: str | None = None,
    color_title: str = "",
) -> alt.Chart:
    """A time series (one line per ``color`` value when given)."""
    data = df.assign(**{color: df[color].map(isolate)}) if color else df
    enc = {
        "x": alt.X(f"{x}:T", title=x_title, axis=_time_axis(df[x])),
        "y": alt.Y(f"{y}:Q", title=y_title),
        "tooltip": [
            alt.Tooltip(f"{x}:T", title=x_title, format=DAY),
            alt.Tooltip(f"{y}:Q", title=y_title, format=","),
        ],
    }
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=color_title, legend=alt.Legend(labelLimit=320))
        enc["tooltip"].insert(0, alt.Tooltip(f"{color}:N", title=color_title))
    return alt.Chart(data, description=description).mark_line(point=False).encode(**enc).properties(height=320)


# Colours that carry meaning keep it in every chart and language.
SENTIMENT_COLORS = {"positive": "#2e7d32", "neutral": "#9e9e9e", "negative": "#c62828"}
STATUS_COLORS = {"published": "#2e7d32", "pending": "#9e9e9e", "hidden": "#ef8f00", "deleted": "#c62828"}


def stacked_bar(
    df: pd.DataFrame,
    x: str,
    y: str,
    color: str,
    x_title: str,
    y_title: str,
    color_title: str,
    description: str,
    palette: dict[str, str] | None = None,
    order: list[str] | None = None,
) -> alt.Chart:
    """Stacked bars over time (upright, one per ``x`` day or week) or categories (lying, one row per
    ``x`` value, largest first, so long Arabic names are read whole), one colour per ``color`` value.

    ``palette``: a fixed colour per shown value (sentiment names -> green, grey, red, ...).
    ``order``: the categories' order when it means something (a lifecycle), instead of largest first.
    """
    data = df.assign(**{color: df[color].map(isolate)})
    scale = alt.Scale(domain=[isolate(k) for k in palette], range=list(palette.values())) if palette else alt.Undefined
    colour = alt.Color(f"{color}:N", title=color_title, legend=alt.Legend(labelLimit=320), scale=scale)
    count = alt.Tooltip(f"{y}:Q", title=y_title, format=",")
    if pd.api.types.is_datetime64_any_dtype(df[x]) or x == "week":
        # Vega draws a bar on a time axis a few pixels wide whatever its period: each bar spans
        # four fifths of the gap between periods, centred on its day (the axis ticks).
        days = pd.to_datetime(df[x])
        gaps = days.drop_duplicates().sort_values().diff().dropna()
        half = (gaps.min() if len(gaps) else pd.Timedelta(days=7 if x == "week" else 1)) * 0.4
        bars = alt.Chart(data.assign(bar_start=days - half, bar_end=days + half), description=description)
        return (
            bars.mark_bar(orient="vertical")
            .encode(
                x=alt.X("bar_start:T", title=x_title, axis=_time_axis(df[x])),
                x2="bar_end:T",
                y=alt.Y(f"{y}:Q", title=y_title, stack=True, axis=alt.Axis(tickMinStep=1)),
                color=colour,
                tooltip=[
                    alt.Tooltip(f"{color}:N", title=color_title),
                    alt.Tooltip(f"{x}:T", title=x_title, format=DAY),
                    count,
                ],
            )
            .properties(height=320)
        )
    data[x] = data[x].map(isolate)
    return (
        alt.Chart(data, description=description)
        .mark_bar()
        .encode(
            y=alt.Y(f"{x}:N", title=x_title, sort=_category_sort(order), axis=alt.Axis(labelLimit=320)),
            x=alt.X(f"{y}:Q", title=y_title, stack=True, axis=alt.Axis(tickMinStep=1)),  # counts: whole ticks
            color=colour,
            tooltip=[alt.Tooltip(f"{color}:N", title=color_title), alt.Tooltip(f"{x}:N", title=x_title), count],
        )
        .properties(height=alt.Step(28))
    )
