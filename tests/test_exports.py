"""Exports are safe to open in a spreadsheet, and markers read in the reader's language."""

from __future__ import annotations

import io

import pandas as pd
from python_calamine import CalamineWorkbook

from dashboard.exports import localise_markers, neutralise, to_csv, to_xlsx

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "ok", "شكرا =1"]


def test_formula_cells_are_neutralised() -> None:
    assert [neutralise(v) for v in HOSTILE] == ["'" + v for v in HOSTILE[:5]] + ["ok", "شكرا =1"]
    assert neutralise(5) == 5 and neutralise(None) is None


def test_csv_and_xlsx_exports() -> None:
    df = pd.DataFrame({"text": HOSTILE, "n": range(len(HOSTILE)), "controls": [[2, 9]] * len(HOSTILE)})
    csv_text = to_csv(df).decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(csv_text))
    assert not any(str(v).startswith(("=", "+", "-", "@")) for v in back["text"])
    assert back.loc[0, "controls"] == "2, 9"
    rows = CalamineWorkbook.from_filelike(io.BytesIO(to_xlsx(df))).get_sheet_by_index(0).to_python()
    assert rows[1][0] == "'" + HOSTILE[0] and rows[6][0] == "ok"


def test_markers_in_arabic() -> None:
    assert localise_markers("رقمي [PHONE] وبريدي [EMAIL]", "ar") == "رقمي [رقم هاتف] وبريدي [بريد إلكتروني]"
    assert localise_markers("call [PHONE]", "en") == "call [PHONE]"
    assert localise_markers(None, "ar") is None
