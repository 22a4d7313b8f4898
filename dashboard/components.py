"""Reusable page parts (they call st.*; chart builders in charts.py never do).

``chart_with_table``: every chart has its table a click away and a download, and an empty result
says why it is empty; ``show_table`` shows any table, missing values as "—". Participants' text is
shown only through ``st.dataframe``/``st.text``, never as Markdown or HTML.
"""

from __future__ import annotations

import logging

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core.warehouse import WarehouseUnavailable
from dashboard import analysis, charts
from dashboard.db import WarehouseMissing, warehouse_path, warehouse_version
from dashboard.filters import Filters
from dashboard.i18n import t
from dashboard.state import current_filters, current_lang, on_phone

MISSING = "—"  # a missing value in a table, in either language (Streamlit's own is "None")
# The room a table has to be drawn right to left in (``show_table``): the main area beside the
# sidebar on a 1,366-pixel-wide screen (Chromium: 906 px; 938 at 1,400), and half of it in
# st.columns(2) (426-460 at 1,400); on a phone, whose columns stack, the page's width less its
# margins (358 px on a 390-pixel phone, 328 on the narrowest common ones, 360).
FULL_WIDTH, HALF_WIDTH, PHONE_WIDTH = 900, 420, 328


def show_table(
    table: pd.DataFrame,
    percent: tuple[str, ...] = (),
    hours: tuple[str, ...] = (),
    ratings: tuple[str, ...] = (),
    figures: tuple[str, ...] = (),
    room: int = FULL_WIDTH,
    whole: bool = False,
    fit: bool = False,
) -> None:
    """A table with missing values shown as "—", not as Streamlit's English "None"; the ``percent``
        columns (shares from 0 to 1) read as percentages, the ``hours`` columns with one decimal (22.0,
        not 22 beside 27.9), the ``ratings`` columns (average stars) with two (2.90 beside 3.16, as the
        overview's figure), and all still sort as numbers; the ``figures`` columns (figures already
        written out, "1,737", "64.9%", beside a word such as "Suppressed") aligned right as numbers
        are, in both languages (a grid aligns text by its script: the word went right, the figures
        left); whole numbers with a thousands separator; a column of long names wide enough to read
        them (``text_width``). Plain cells:
        ``st.dataframe`` never renders Markdown or HTML.

        In Arabic the columns run right to left, the first at the right, when the table fits in
        ``room`` pixels (``HALF_WIDTH`` in one of two columns; ``PHONE_WIDTH`` on a phone): Streamlit's
        grid always lays its columns out left to right, so they are given to it in reverse. A wider
        table keeps its order: it scrolls, and its scroll starts at the left, where its first column
        then stays in view. ``whole``: tall enough for every row, with no scrolling (a short table, such
        as one record's fields). ``fit``: wider than ``room``, its widest text column is narrowed until it
    fits (its longest values cut at the cell's edge) rather than scrolling: on a phone, a record's
    values stay in view beside their fields."""
    config = {c: st.column_config.NumberColumn(format="percent") for c in percent}
    config |= {c: st.column_config.NumberColumn(format="%.1f") for c in hours}
    config |= {c: st.column_config.NumberColumn(format="%.2f") for c in ratings}
    # whole numbers with their thousands separated (12,345, not 12345), as the pages' figures are
    config |= {
        c: st.column_config.NumberColumn(format="%,d")
        for c in table.columns
        if c not in config and pd.api.types.is_integer_dtype(table[c]) and not pd.api.types.is_bool_dtype(table[c])
    }
    widths = {c: text_width(table[c]) for c in table.columns if c not in config}
    if on_phone():
        room = min(room, PHONE_WIDTH)
    if fit and (excess := table_width(table, widths) - room) > 0 and any(widths.values()):
        widest = max(widths, key=lambda c: widths[c] or 0)
        widths[widest] = max(_MIN_COLUMN, int(widths[widest] or 0) - excess)
    config |= {c: st.column_config.TextColumn(width=w) for c, w in widths.items() if w}
    config |= {c: st.column_config.TextColumn(width=widths.get(c), alignment="right") for c in figures}
    order = None
    if current_lang() == "ar" and table_width(table, widths) <= room:
        order = [str(c) for c in reversed(table.columns)]
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        placeholder=MISSING,
        column_config=config or None,
        column_order=order,
        height=(len(table) + 1) * ROW_PX + 3 if whole else "auto",
    )


ROW_PX = 35  # the height of a row of Streamlit's grid, the header's too

# The width in pixels of each printable ASCII character (space to ~) in the tables' font, Source
# Sans at 14 px, which Streamlit serves to every browser: measured with a canvas's measureText in
# Chromium, as the table draws its cells, and rounded up to a tenth of a pixel.
# fmt: off
_ASCII_PX = (
    2.8, 4.1, 6.0, 7.0, 7.0, 11.6, 8.6, 3.5, 4.3, 4.3, 5.9, 7.0, 3.5, 4.4, 3.5, 4.9,  # space to /
    7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 3.5, 3.5, 7.0, 7.0, 7.0, 6.0,  # 0 to ?
    11.9, 7.7, 8.3, 8.0, 8.7, 7.4, 7.0, 8.7, 9.2, 3.7, 6.8, 8.2, 6.9, 10.2, 9.1, 9.3,  # @ to O
    8.0, 9.3, 8.0, 7.5, 7.6, 9.1, 7.3, 11.1, 7.2, 6.7, 7.6, 4.3, 4.9, 4.3, 7.0, 7.0,  # P to _
    7.6, 7.1, 7.8, 6.4, 7.8, 7.0, 4.1, 7.1, 7.7, 3.5, 3.5, 7.0, 3.6, 11.7, 7.7, 7.6,  # ` to o
    7.8, 7.8, 4.9, 5.9, 4.8, 7.7, 6.6, 10.1, 6.3, 6.6, 6.0, 4.3, 3.4, 4.3, 7.0,  # p to ~
)
# fmt: on
# Source Sans has no Arabic: the browser draws it in a font of the reader's system, so an Arabic
# letter is an estimate, a little over the median letter of the Sehhaty reviews (6.8 px) in
# Chromium's fallback. Diacritics and joiners take no room; an emoji (beyond U+FFFF) about 15.
_OTHER_PX, _EMOJI_PX = 7.2, 15.0
_NO_WIDTH = np.array([0x0670, 0xFE0F, 0x200C, 0x200D, *range(0x064B, 0x0660)], dtype=np.uint32)
_CELL_PADDING = 16  # 8 pixels each side of a cell's text
_MAX_WIDTH = 400  # where a participation's longer text is cut at the cell's edge
_MIN_COLUMN = 50  # the narrowest column Streamlit draws (its grid's minColumnWidth, 3.125rem)


def _px(texts: list[str]) -> np.ndarray:
    """The width in pixels of each text that is not empty (none: [0]), from one array of all their
    code points."""
    texts = [t for t in texts if t]
    if not texts:
        return np.zeros(1)
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    px = np.full(len(codes), _OTHER_PX)
    ascii_ = (codes >= 32) & (codes < 127)
    px[ascii_] = np.asarray(_ASCII_PX)[codes[ascii_] - 32]
    px[codes > 0xFFFF] = _EMOJI_PX
    px[np.isin(codes, _NO_WIDTH)] = 0
    starts = np.concatenate([[0], np.cumsum([len(t) for t in texts])[:-1]])
    return np.add.reduceat(px, starts)


def _fitted(values: pd.Series) -> int:
    """The width Streamlit fits a column to: its widest value as drawn (a missing one as
    ``MISSING``, a list as written out) or its name where that is wider, in the table's font
    (``_ASCII_PX``; Arabic estimated), with the cell's padding. Every value at once, in one array:
    the app's tables hold tens to hundreds of rows (the explorer shows 50 at a time), and 20,000
    long texts would take 0.08 s."""
    shown = values.astype(str).where(values.notna(), MISSING)
    return int(_CELL_PADDING + _px([*shown, str(values.name or "")]).max() + 1)


def text_width(values: pd.Series) -> int | None:
    """A width in pixels for a column of text whose longest value would be cut off, else None
    (Streamlit fits a column to some of its values, not all of them: "Automated voice response
    (IVR)" lost its end, "improvement_actions" its s): ``_fitted``, at most 400 pixels."""
    if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
        return None
    if max(map(len, values.dropna().astype(str)), default=0) <= 16:
        return None
    return min(_MAX_WIDTH, _fitted(values))


def table_width(table: pd.DataFrame, widths: dict[str, int | None]) -> int:
    """The width in pixels Streamlit's grid gives ``table``: each column as wide as ``widths`` says,
    or else as Streamlit fits it (``_fitted``), at least ``_MIN_COLUMN``. Within about 5% of what
    Chromium draws (the data-quality page's sources: 966 against 944; its quarantine reasons:
    1,147 against 1,163)."""
    return sum(widths.get(c) or max(_MIN_COLUMN, _fitted(table[c])) for c in table.columns)


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
    figures: tuple[str, ...] = (),
    room: int = FULL_WIDTH,
) -> None:
    if table.empty:
        st.info(t(lang, "empty_filtered"))
        return
    if chart is None:  # a table is the figure itself
        show_table(table, percent, hours, ratings, figures, room)
    else:
        st.altair_chart(charts.localised(chart, lang), width="stretch")
        with st.expander(t(lang, "show_table")):
            show_table(table, percent, hours, ratings, figures, room)
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
    except WarehouseUnavailable as exc:  # a lake's catalog that does not answer: said, never a traceback
        logging.getLogger(__name__).warning("%s", exc)  # the why, for the operator (no password in it)
        st.warning(t(lang, "warehouse_unavailable"))
        st.stop()
    return lang, filters
