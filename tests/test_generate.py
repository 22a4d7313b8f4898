"""The demo generator: deterministic, every format as real exports have it, realistic content."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from core.clock import riyadh_now
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


def test_same_seed_same_bytes_in_another_process(tmp_path: Path) -> None:
    """Python salts string hashes per process: nothing the generator draws may follow a set's order."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, datetime as dt; from pathlib import Path; from etl.generate import generate; "
        "generate(3000, Path(sys.argv[1]), seed=5, end=dt.date(2026, 11, 27), canonical=sys.argv[2] == 'c')"
    )
    root = Path(__file__).resolve().parent.parent
    for kind in ("c", "exports"):
        for salt in ("1", "2"):
            env = {**os.environ, "PYTHONHASHSEED": salt}
            out = str(tmp_path / kind / salt)
            subprocess.run([sys.executable, "-c", code, out, kind], cwd=root, env=env, check=True)
        assert _files(tmp_path / kind / "1") == _files(tmp_path / kind / "2")


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


def test_varied_texts_nearly_all_differ_and_keep_their_subject(tmp_path: Path) -> None:
    """The benchmark's varied texts: the same phrases in their own words, so nearly every text is
    new (as in real feedback), and the words still come from the phrase's own bank."""

    def texts(out: Path, varied: bool) -> list[str]:
        generate(4_000, out, seed=3, end=END, canonical=True, varied=varied)
        with (out / "canonical" / "participations.csv").open(encoding="utf-8", newline="") as fh:
            return [r["text"] for r in csv.DictReader(fh)]

    plain, varied = texts(tmp_path / "plain", False), texts(tmp_path / "varied", True)
    assert len(plain) == len(varied) == 4_000
    assert len(set(plain)) < 0.8 * len(plain)  # at a million rows: 5%
    assert len(set(varied)) > 0.95 * len(varied)
    assert texts(tmp_path / "again", True) == varied  # still deterministic
    # each varied text holds the words of a plain one, with two to six more
    plain_words = [set(t.split()) for t in set(plain)]
    sample = varied[:200]
    assert sum(any(w <= set(t.split()) for w in plain_words) for t in sample) > 0.8 * len(sample)


def test_by_default_nothing_is_dated_later_than_now(tmp_path: Path) -> None:
    """`make run` generates without an end date: the last day is yesterday in Riyadh (where the
    exports' times are), so no participation, answer or decision is dated in the future."""
    generate(3_000, tmp_path, seed=2, canonical=True)
    with (tmp_path / "canonical" / "participations.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    times = [r[k] for r in rows for k in ("submitted_at", "moderated_at", "responded_at") if r[k]]
    now = riyadh_now()
    assert len(times) > 3_000
    assert max(dt.datetime.fromisoformat(t) for t in times) < now
    latest = max(dt.date.fromisoformat(r["submitted_at"][:10]) for r in rows)
    assert latest >= now.date() - dt.timedelta(days=3)  # still up to date: the last days have participations
