"""The PDF transparency report of a published period: Arabic pages, then English pages.

Built from the snapshot's content only (never the warehouse), so it holds nothing suppression did
not pass. Arabic is shaped by fpdf2's HarfBuzz text shaping with IBM Plex Sans Arabic, installed
from PyPI (``fontpkg-ibm-plex-sans-arabic``); charts are the app's Altair builders rendered to PNG
by vl-convert, with the same font, so no system font or browser is needed.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pandas as pd
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from core.clock import riyadh_date
from dashboard.i18n import t

FONT = "IBM Plex Sans Arabic"
CHARTS = ("volume_by_channel", "volume_by_tool", "volume_by_theme", "volume_by_region", "removals_by_control")


@cache
def font_dir() -> Path:
    import fontpkg_ibm_plex_sans_arabic as pkg

    return Path(pkg.__file__).parent / "files"


def _fmt(value: object, lang: str, kind: str = "count") -> str:
    if value is None:
        return t(lang, "report_suppressed")
    if kind == "share":
        return f"{float(value):.0%}"
    if kind in ("mean", "median"):
        return f"{float(value):,.1f}"
    return f"{int(value):,}"


def chart_png(rows: list[dict], value: str, lang: str, title: str) -> bytes | None:
    """A bar chart of the published (not suppressed, not total) rows, as PNG; None if none."""
    import vl_convert as vlc

    from dashboard import charts

    df = pd.DataFrame([r for r in rows if r["code"] != "total" and r.get(value) is not None])
    if df.empty or df[value].sum() == 0:
        return None
    name = f"name_{lang}"
    chart = charts.bar(df, name, value, "", t(lang, "report_count"), title).properties(width=420, title=title)
    spec = chart.configure(font=FONT).to_dict()
    _register_font()
    return vlc.vegalite_to_png(spec, scale=2)


@cache
def _register_font() -> None:
    import vl_convert as vlc

    vlc.register_font_directory(str(font_dir()))


class _Report(FPDF):
    def __init__(self, data: dict) -> None:
        super().__init__(format="A4")
        self.data = data
        self.lang = "ar"
        d = font_dir()
        self.add_font(FONT, "", str(d / "IBMPlexSansArabic-Regular.ttf"))
        self.add_font(FONT, "B", str(d / "IBMPlexSansArabic-Bold.ttf"))
        self.set_text_shaping(True)
        self.set_auto_page_break(True, margin=18)
        meta = data["metadata"]
        self.set_title(f"{t('en', 'report_title')} {meta['period']}")
        self.set_lang("ar")
        self.set_creation_date(dt.datetime.fromisoformat(meta["published_at"]))

    @property
    def align(self) -> str:
        return "R" if self.lang == "ar" else "L"

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        meta = self.data["metadata"]
        self.cell(0, 6, f"{meta['period']} · v{meta['version']} · {self.page_no()}", align="C")

    def line_text(self, text: str, size: float = 10, bold: bool = False, height: float = 6) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.multi_cell(0, height, text, align=self.align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def table_rows(self, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        if self.lang == "ar":  # first column on the right
            header, rows, widths = header[::-1], [r[::-1] for r in rows], widths[::-1]
        self.set_font(FONT, "", 9)
        with self.table(col_widths=widths, text_align=self.align, line_height=6, first_row_as_headings=True) as grid:
            for r in [header, *rows]:
                row = grid.row()
                for cell in r:
                    row.cell(cell)
        self.ln(3)


def render_pdf(data: dict) -> bytes:
    pdf = _Report(data)
    for lang in ("ar", "en"):
        pdf.lang = lang
        _section(pdf, data, lang)
    return bytes(pdf.output())


def _section(pdf: _Report, data: dict, lang: str) -> None:
    meta, head = data["metadata"], data["headline"]
    tables = {table["code"]: table for table in data["dictionary"]["tables"]}
    pdf.add_page()
    pdf.line_text(t(lang, "report_title"), 18, bold=True, height=10)
    pdf.line_text(f"{t(lang, 'report_period')}: {meta['period']}", 10)
    pdf.line_text(f"{meta['first_day']} — {meta['last_day']}", 9)
    published = riyadh_date(meta["published_at"]).isoformat()
    pdf.line_text(f"{t(lang, 'report_version')}: {meta['version']} · {t(lang, 'report_published')}: {published}", 9)
    pdf.ln(2)
    pdf.line_text(t(lang, "report_headline"), 13, bold=True, height=8)
    kinds = {"share_answered": "share", "share_removed": "share", "mean_rating": "mean"}
    rows = [
        [t(lang, f"report_{k}"), _fmt(head.get(k), lang, kinds.get(k, "count"))]
        for k in ("participations", "share_answered", "mean_rating", "share_removed", "actions_completed")
    ]
    pdf.table_rows([t(lang, "report_figure"), t(lang, "report_value")], rows, [70, 30])
    pdf.line_text(t(lang, "report_note", threshold=meta["threshold"] - 1), 8)
    pdf.ln(2)
    for name in CHARTS:
        rows = data.get(name, [])
        title = tables[name][f"name_{lang}"]
        value = "removed" if name == "removals_by_control" else "participations"
        png = chart_png(rows, value, lang, title)
        if png is None:
            continue
        if pdf.get_y() > 190:
            pdf.add_page()
        pdf.image(png, w=170, keep_aspect_ratio=True)  # fpdf2 reads the PNG bytes directly
        pdf.ln(2)

    pdf.add_page()
    pdf.line_text(t(lang, "report_responsiveness"), 13, bold=True, height=8)
    sat = {r["code"]: r for r in data["satisfaction_by_channel"]}
    rows = [
        [
            r[f"name_{lang}"],
            _fmt(r["share_answered"], lang, "share"),
            _fmt(r["median_hours_to_answer"], lang, "median"),
            _fmt(sat.get(r["code"], {}).get("mean_rating"), lang, "mean"),
        ]
        for r in data["responsiveness_by_channel"]
        if r["code"] != "total"
    ]
    header = [t(lang, f"report_{k}") for k in ("channel", "answered", "median_hours", "rating")]
    pdf.table_rows(header, rows, [70, 30, 40, 30])

    pdf.line_text(tables["actions"][f"name_{lang}"], 13, bold=True, height=8)
    if not data["actions"]:
        pdf.line_text(t(lang, "report_none"))
    for a in data["actions"]:
        pdf.line_text(a[f"title_{lang}"], 11, bold=True)
        pdf.line_text(a[f"description_{lang}"] or "", 9)
        pdf.ln(2)
