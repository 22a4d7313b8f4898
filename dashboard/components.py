"""Reusable page parts (they call st.*; chart builders in charts.py never do).

``chart_with_table``: every chart has its table a click away and a download, and an empty result
says why it is empty; ``show_table`` shows any table, missing values as "—". Participants' text is
shown only through ``st.dataframe``/``st.text``, never as Markdown or HTML.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import analysis, charts
from dashboard.db import WarehouseMissing, warehouse_path, warehouse_version
from dashboard.filters import Filters
from dashboard.i18n import t
from dashboard.state import current_filters, current_lang

MISSING = "—"  # a missing value in a table, in either language (Streamlit's own is "None")


def show_table(
    table: pd.DataFrame, percent: tuple[str, ...] = (), hours: tuple[str, ...] = (), ratings: tuple[str, ...] = ()
) -> None:
    """A table with missing values shown as "—", not as Streamlit's English "None"; the ``percent``
    columns (shares from 0 to 1) read as percentages, the ``hours`` columns with one decimal (22.0,
    not 22 beside 27.9), the ``ratings`` columns (average stars) with two (2.90 beside 3.16, as the
    overview's figure), and all still sort as numbers; a column of long names wide enough to read
    them (``text_width``). Plain cells: ``st.dataframe`` never renders Markdown or HTML."""
    config = {c: st.column_config.NumberColumn(format="percent") for c in percent}
    config |= {c: st.column_config.NumberColumn(format="%.1f") for c in hours}
    config |= {c: st.column_config.NumberColumn(format="%.2f") for c in ratings}
    widths = {c: text_width(table[c]) for c in table.columns if c not in config}
    config |= {c: st.column_config.TextColumn(width=w) for c, w in widths.items() if w}
    st.dataframe(table, hide_index=True, width="stretch", placeholder=MISSING, column_config=config or None)


def text_width(values: pd.Series) -> int | None:
    """A width in pixels for a column of text whose longest value would be cut off, else None
    (Streamlit fits a column to its values, but not to all of them: "Automated voice response
    (IVR)" lost its end). Measured at the table's font: digits and capitals about 7.5 pixels,
    other letters (Arabic too) at most 6.2; 16 of padding; at most 400, where a participation's
    longer text is cut at the cell's edge, as before."""
    if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
        return None
    texts = values.dropna().astype(str)
    lengths = texts.str.len()
    longest = lengths.max() if len(texts) else 0
    if longest <= 16:
        return None
    if 16 + 6.2 * longest >= 400:
        return 400
    # only the values long enough to be the widest are measured (a big table costs no more)
    widest = max(
        sum(7.5 if c.isdigit() or c.isupper() else 6.2 for c in text) for text in texts[lengths * 7.5 >= longest * 6.2]
    )
    return int(min(400, 16 + widest))


def chart_weeks(lang: str, weekly: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The weeks of ``weekly`` to chart: those wholly inside the period (``analysis.whole_weeks``),
    with a caption when the chart leaves cut weeks out (its table keeps them)."""
    whole = analysis.whole_weeks(weekly, filters.start, filters.end)
    if len(whole) < len(weekly):
        st.caption(t(lang, "partial_weeks"))
    return whole


def chart_with_table(
    lang: str,
    chart: alt.Chart | None,
    table: pd.DataFrame,
    key: str,
    filename: str,
    percent: tuple[str, ...] = (),
    hours: tuple[str, ...] = (),
    ratings: tuple[str, ...] = (),
) -> None:
    if table.empty:
        st.info(t(lang, "empty_filtered"))
        return
    if chart is None:  # a table is the figure itself
        show_table(table, percent, hours, ratings)
    else:
        st.altair_chart(charts.localised(chart, lang), width="stretch")
        with st.expander(t(lang, "show_table")):
            show_table(table, percent, hours, ratings)
    st.download_button(
        t(lang, "download_csv"),
        table.to_csv(index=False).encode("utf-8-sig"),
        file_name=filename,
        mime="text/csv",
        key=f"dl_{key}",
    )


def page_start(title_key: str) -> tuple[str, Filters]:
    """Every page's start: its title, the session's language and filters; with no warehouse yet,
    a message saying how to build one, and the page stops there."""
    lang, filters = current_lang(), current_filters()
    st.title(t(lang, title_key))
    try:
        warehouse_version()
    except WarehouseMissing:
        st.info(t(lang, "warehouse_missing", path=warehouse_path()))
        st.stop()
    return lang, filters
