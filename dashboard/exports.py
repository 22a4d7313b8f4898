"""Downloads of records: CSV and XLSX, safe to open in a spreadsheet.

A cell that begins with = + - @ (or a tab or carriage return) is read by spreadsheets as a formula
(CSV injection); such cells get a leading apostrophe, so they read as the text they are.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache

import pandas as pd

from dashboard.i18n import strings

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_575  # Excel's limit, less the header


def deferred(build: Callable[[], pd.DataFrame], write: Callable[[pd.DataFrame], bytes]) -> Callable[[], bytes]:
    """A download's data as Streamlit's download button takes it lazily: the rows are read and the
    file written when someone clicks, not on every rerun of the page (up to 200,000 rows of CSV and
    XLSX each time a filter or the search changed)."""

    def data() -> bytes:
        return write(build())

    return data


def neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell neutralised (lists become text first)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):  # pandas 3 has a str dtype
            out[col] = out[col].map(lambda v: neutralise(", ".join(map(str, v)) if isinstance(v, list) else v))
    return out


def to_csv(df: pd.DataFrame) -> bytes:
    return safe(df).to_csv(index=False).encode("utf-8-sig")


def to_xlsx(df: pd.DataFrame) -> bytes:
    """XLSX bytes (strings are never turned into formulas or links)."""
    buf = io.BytesIO()
    with pd.ExcelWriter(
        buf,
        engine="xlsxwriter",
        engine_kwargs={
            "options": {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
        },
    ) as writer:
        safe(df.head(XLSX_MAX_ROWS)).to_excel(writer, index=False, sheet_name="participations")
    return buf.getvalue()


def localise_markers(text: object, lang: str) -> object:
    """Redaction markers as people read them in ``lang`` ([PHONE] -> [رقم هاتف]); anything that is
    not text (a missing value) is returned as it is."""
    if not isinstance(text, str):
        return text
    for marker, shown in _markers(lang).items():
        if marker in text:
            text = text.replace(marker, shown)
    return text


@cache
def _markers(lang: str) -> dict[str, str]:
    """etl.text's typed markers ([PHONE], ...) and how ``lang`` shows them: the locale's marker_* keys."""
    return {f"[{k.removeprefix('marker_')}]": v for k, v in strings(lang).items() if k.startswith("marker_")}
