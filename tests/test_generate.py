"""The demo generator: deterministic, every format as real exports have it, realistic content."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from etl.generate import generate
from tests.conftest import END


def _files(d: Path) -> dict[str, bytes]:
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    generate(800, tmp_path / "a", seed=5, end=END)
    generate(800, tmp_path / "b", seed=5, end=END)
    generate(800, tmp_path / "c", seed=6, end=END)
    a, b, c = _files(tmp_path / "a"), _files(tmp_path / "b"), _files(tmp_path / "c")
    assert len(a) >= 8
    assert a == b
    assert a.keys() == c.keys() and any(a[k] != c[k] for k in a)


def test_each_source_has_its_own_format(demo_dir: Path) -> None:
    web = (demo_dir / "website" / "comments_export.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        web.decode("utf-8")
    assert "تعليق على صفحة" in web.decode("cp1256")

    mail = (demo_dir / "email" / "inbox_export.csv").read_bytes()
    assert mail.startswith(b"\xef\xbb\xbf")
    assert re.search(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0300", mail.decode("utf-8-sig"))

    xlsx = sorted((demo_dir / "call_center").glob("*.xlsx"))
    assert len(xlsx) >= 2  # one export per year
    header = CalamineWorkbook.from_path(str(xlsx[0])).get_sheet_by_index(0).to_python()[0]
    assert "رقم التذكرة" in header and "ملخص الملاحظة" in header

    lines = (demo_dir / "social_media" / "mentions.jsonl").read_text(encoding="utf-8").splitlines()
    parsed = []
    for line in lines:
        with contextlib.suppress(json.JSONDecodeError):
            parsed.append(json.loads(line))
    assert len(parsed) < len(lines)  # a few broken lines, as real exports have
    assert parsed[0]["created_at"].endswith("Z")

    polls = list(csv.DictReader(io.StringIO((demo_dir / "polls" / "tafaul_istitlaa_answers.csv").read_text())))
    assert {"tafaul", "istitlaa"} <= {r["platform"] for r in polls}
    assert (demo_dir / "actions" / "improvement_actions.csv").exists()


def test_content_is_realistic(demo_dir: Path) -> None:
    text = "\n".join(
        p.read_bytes().decode("cp1256" if "website" in p.parts else "utf-8-sig", errors="replace")
        for p in demo_dir.rglob("*")
        if p.suffix in (".csv", ".jsonl")
    )
    assert re.search(r"[\u064b-\u0652]", text), "diacritics"
    assert "\u0640" in text, "tatweel"
    assert re.search(r"[٠-٩]{10}", text), "Arabic-Indic digits"
    assert re.search(r"\b05\d{8}\b", text), "mobile numbers"
    assert re.search(r"SA\d{2}", text), "IBANs"
    assert re.search(r"[\w.]+@[\w-]+\.\w+", text), "e-mail addresses"
    assert re.search(r"[A-Za-z]{4,} [A-Za-z]{3,}", text), "some English"
    assert "وش" in text or "ما يردون" in text or "مو " in text, "Gulf dialect"
    from etl.phrases import CAMPAIGNS

    copies = [text.count(c) for c in CAMPAIGNS]
    assert all(n >= 1 for n in copies) and sum(copies) >= 8, f"coordinated campaigns: {copies}"


def test_dates_span_two_years_up_to_the_end(demo_dir: Path) -> None:
    rows = list(csv.DictReader(io.StringIO((demo_dir / "app_reviews" / "store_reviews.csv").read_text())))
    dates = sorted(r["at"][:10] for r in rows if re.match(r"\d{4}-\d{2}-\d{2}", r["at"]))
    assert dates[0] < "2025-01-15" and dates[-1] >= "2026-10-01" and dates[-1] <= END.isoformat()


def test_rows_are_about_what_was_asked(tmp_path: Path) -> None:
    generate(1000, tmp_path, seed=1, end=END)
    n = 0
    for p in tmp_path.rglob("*.csv"):
        if "actions" not in p.parts:
            n += sum(1 for _ in p.open("rb")) - 1
    n += sum(1 for _ in (tmp_path / "social_media" / "mentions.jsonl").open("rb"))
    n += sum(
        len(CalamineWorkbook.from_path(str(x)).get_sheet_by_index(0).to_python()) - 1 for x in tmp_path.rglob("*.xlsx")
    )
    assert 1000 <= n <= 1030  # plus the rows an overlapping export carries twice
