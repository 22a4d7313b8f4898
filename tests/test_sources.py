"""Each source format round-trips into the canonical record, field by field."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from etl.generate import _write_xlsx
from etl.sources import load_sources, match_files
from tests.conftest import SALT, SEHHATY, SOURCES, digest, etl

D = dt.datetime


def _csv(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([header, *rows])
    path.write_bytes(buf.getvalue().encode(encoding))


@pytest.fixture(scope="module")
def one_of_each(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    d = tmp_path_factory.mktemp("one_of_each")
    _write_xlsx(
        d / "call_center" / "crm.xlsx",
        [
            "رقم التذكرة",
            "تاريخ الاتصال",
            "قناة الاتصال",
            "رقم المتصل",
            "المنطقة",
            "فئة المستفيد",
            "ملخص الملاحظة",
            "تقييم الخدمة",
            "حالة المراجعة",
            "رقم الضابط",
            "تاريخ المراجعة",
            "تاريخ الرد",
        ],
        [
            [
                "CC-1",
                "٠٥/٠٣/٢٠٢٦ 14:30",
                "الرد الآلي",
                "055 123 4567",
                "منطقة الرياض",
                "مقيم",
                "اتصلت ورقمي 0551234567",
                4,
                "محذوف",
                9,
                "05/03/2026 16:00",
                "05/03/2026 15:00",
            ]
        ],
    )
    _csv(
        d / "website" / "comments.csv",
        [
            "comment_id",
            "form_type",
            "portal",
            "page_url",
            "hijri_date",
            "time",
            "comment",
            "rating",
            "email",
            "region",
            "visitor_type",
            "status",
            "violation",
            "reply_hijri_date",
        ],
        [
            [
                "WEB-1",
                "التواصل مع الرئيس العام",
                "بوابة الخدمات الذاتية",
                "/ar",
                "1447/09/01",
                "10:00",
                "أقترح إضافة خدمة",
                "",
                "a@b.sa",
                "جدة",
                "مواطن",
                "منشور",
                "",
                "1447/09/03",
            ]
        ],
        "cp1256",
    )
    (d / "social_media").mkdir()
    (d / "social_media" / "m.jsonl").write_text(
        json.dumps(
            {
                "id": "S1",
                "account_type": "unofficial",
                "created_at": "2026-03-05T11:00:00Z",
                "lang": "en",
                "text": "see https://x.sa/p?token=abc123",
                "user": {"handle": "@someone"},
                "media": [{"type": "file", "name": "tool.exe"}, {"type": "image", "name": "a.jpg"}],
                "moderation": {"status": "hidden", "control": 8, "at": "2026-03-05T12:00:00Z"},
                "reply": None,
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    _csv(
        d / "email" / "inbox.csv",
        [
            "message_id",
            "received",
            "from",
            "to",
            "subject",
            "body",
            "attachments",
            "language",
            "moderation",
            "control",
            "replied",
        ],
        [
            [
                "<m1@x>",
                "Thu, 05 Mar 2026 14:22:10 +0300",
                "Someone@Example.com",
                "president@pv.gov.sa",
                "s",
                "هويتي 1012345672",
                "a.pdf;b.docx",
                "ar",
                "published",
                "",
                "Fri, 06 Mar 2026 09:00:00 +0300",
            ]
        ],
        "utf-8-sig",
    )
    _csv(
        d / "app_reviews" / "r.csv",
        ["reviewId", "store", "content", "score", "thumbsUpCount", "appVersion", "at", "replyContent", "repliedAt"],
        [["R1", "google_play", "ممتاز", "5", "0", "1", "2026-03-05 11:00:00", "", ""]],
    )
    _csv(
        d / "polls" / "p.csv",
        [
            "response_id",
            "platform",
            "survey_type",
            "poll_id",
            "question",
            "respondent",
            "answer",
            "comment",
            "answered_at",
            "region",
        ],
        [["PR-1", "tafaul", "poll", "TF-1", "سؤال", "R9", "agree", "", "2026-03-05T14:00:00+03:00", "riyadh"]],
    )
    _csv(
        d / "actions" / "a.csv",
        [
            "action_id",
            "title_ar",
            "title_en",
            "description_ar",
            "description_en",
            "theme",
            "owner_unit",
            "status",
            "proposed_on",
            "approved_on",
            "started_on",
            "completed_on",
            "is_public",
            "linked_themes",
        ],
        [
            [
                "IA-1",
                "خدمة",
                "Service",
                "وصف",
                "Description",
                "new_services",
                "وحدة",
                "done",
                "2026-04-01",
                "2026-04-05",
                "2026-04-10",
                "2026-05-01",
                "نعم",
                "new_services",
            ]
        ],
    )
    _csv(
        d / "canonical" / "ministry_portal.csv",
        ["source_record_id", "channel", "tool", "submitted_at", "text", "rating", "region", "sender"],
        [["X-1", "website", "contact_us", "2026-03-05 14:00", "شكرا", "5", "Eastern", "0501112223"]],
    )
    wh = d / "w.duckdb"
    etl(d, wh)
    return duckdb.connect(str(wh), read_only=True)


def _row(con: duckdb.DuckDBPyConnection, source: str) -> dict:
    cur = con.execute("select * from participation where source = ?", [source])
    cols = [c[0] for c in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, f"{source}: {len(rows)} rows"
    return dict(zip(cols, rows[0]))


def test_call_centre_xlsx(one_of_each: duckdb.DuckDBPyConnection) -> None:
    r = _row(one_of_each, "call_center_crm")
    assert (r["channel"], r["tool"], r["region"], r["beneficiary_type"]) == (
        "ivr",
        "direct_contact",
        "riyadh",
        "resident",
    )
    assert r["submitted_at"] == D(2026, 3, 5, 14, 30)  # Arabic-Indic digits in the date
    assert (r["rating"], r["moderation_status"], r["moderation_control"]) == (4, "deleted", 9)
    assert r["responded_at"] == D(2026, 3, 5, 15, 0) and r["moderated_at"] == D(2026, 3, 5, 16, 0)
    assert r["text_redacted"] == "اتصلت ورقمي [PHONE]" and r["pii_types"] == ["phone"]
    # the caller "055 123 4567" as +966551234567, salted, SHA-256's first 16 hex digits
    assert r["sender_hash"] == hashlib.sha256(f"{SALT}+966551234567".encode()).hexdigest()[:16]
    assert 9 in r["screening_controls"]


def test_website_cp1256_hijri(one_of_each: duckdb.DuckDBPyConnection) -> None:
    r = _row(one_of_each, "website_comments")
    assert (r["channel"], r["tool"], r["region"]) == ("self_service", "contact_president", "makkah")
    assert r["submitted_at"] == D(2026, 2, 18, 10, 0)  # 1 Ramadan 1447 (Umm al-Qura)
    assert r["responded_at"] == D(2026, 2, 20)
    assert r["text_redacted"] == "أقترح إضافة خدمة" and r["rating"] is None


def test_social_jsonl_utc(one_of_each: duckdb.DuckDBPyConnection) -> None:
    r = _row(one_of_each, "social_media")
    assert r["submitted_at"] == D(2026, 3, 5, 14, 0)  # 11:00Z is 14:00 in Riyadh
    assert r["channel"] == "other" and r["language"] == "en"
    assert r["attachments_count"] == 2 and r["attachment_types"] == ["exe", "jpg"]
    assert r["screening_controls"] == [5, 8, 9]
    assert r["text_redacted"] == "see https://x.sa/p?token=[TOKEN]"
    assert (r["moderation_status"], r["moderation_control"]) == ("hidden", 8)


def test_email_rfc2822(one_of_each: duckdb.DuckDBPyConnection) -> None:
    r = _row(one_of_each, "email_inbox")
    assert (r["channel"], r["tool"]) == ("email", "contact_president")
    assert r["submitted_at"] == D(2026, 3, 5, 14, 22, 10) and r["responded_at"] == D(2026, 3, 6, 9, 0)
    assert r["text_redacted"] == "هويتي [ID]" and r["pii_types"] == ["national_id"]


def test_app_store_utc(one_of_each: duckdb.DuckDBPyConnection) -> None:
    r = _row(one_of_each, "app_store_reviews")
    assert (r["channel"], r["tool"], r["rating"]) == ("mobile_app", "page_comment_rating", 5)
    assert r["submitted_at"] == D(2026, 3, 5, 14, 0) and r["moderation_status"] == "published"
    assert r["sender_hash"] is None


def test_poll_answer(one_of_each: duckdb.DuckDBPyConnection) -> None:
    r = _row(one_of_each, "polls")
    assert (r["channel"], r["tool"], r["region"]) == ("platform", "poll", "riyadh")
    assert r["text_redacted"] is None and r["language"] == "other"
    ans = one_of_each.execute(
        "select poll_id, answer from poll_answer where participation_id = ?", [r["participation_id"]]
    ).fetchall()
    assert ans == [("TF-1", "agree")]


def test_improvement_action(one_of_each: duckdb.DuckDBPyConnection) -> None:
    row = one_of_each.execute(
        "select action_id, title_en, theme, status, proposed_at, completed_at, is_public from improvement_action"
    ).fetchall()
    assert row == [("IA-1", "Service", "new_services", "done", dt.date(2026, 4, 1), dt.date(2026, 5, 1), True)]


def test_canonical_template(one_of_each: duckdb.DuckDBPyConnection) -> None:
    r = _row(one_of_each, "ministry_portal")  # the source name is the file's
    assert (r["channel"], r["tool"], r["region"], r["rating"]) == ("website", "contact_us", "eastern", 5)
    assert r["source_record_id"] == "X-1" and r["submitted_at"] == D(2026, 3, 5, 14, 0)


def test_sender_hash_is_salted_and_normalised(one_of_each: duckdb.DuckDBPyConnection) -> None:
    hashes = dict(one_of_each.execute("select source, sender_hash from participation").fetchall())
    assert hashes["email_inbox"] != hashes["website_comments"]
    raw = {"0551234567", "055 123 4567", "someone@example.com", "@someone"}
    assert not raw & set(hashes.values())


@pytest.mark.skipif(not SEHHATY.exists(), reason="../shared/datasets/sehhaty_reviews is not on this machine")
def test_sehhaty_real_export_loads(tmp_path: Path) -> None:
    shutil.copytree(SEHHATY, tmp_path / "sehhaty_reviews")
    before = digest(tmp_path / "sehhaty_reviews" / "sehhaty_reviews_2000.csv")
    result = etl(tmp_path, tmp_path / "w.duckdb")
    s = {x.source: x for x in result.sources}["sehhaty_reviews"]
    assert s.rows_read == 2000 and s.loaded + s.quarantined + s.duplicates == 2000
    assert s.loaded >= 1990
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    got = con.execute(
        "select count(*), count(distinct participation_id), count(responded_at), min(submitted_at), "
        "count(*) filter (where language = 'ar'), count(*) filter (where rating = 5) from participation"
    ).fetchone()
    assert got[0] == got[1] == s.loaded
    assert got[2] >= 1900  # 35 reviews have no reply; a few replies are dated before their review
    assert got[3] >= D(2025, 1, 1)
    assert 900 <= got[4] <= 1100 and got[5] >= 1550
    channels = con.execute("select distinct channel, tool from participation").fetchall()
    assert channels == [("mobile_app", "page_comment_rating")]
    assert digest(tmp_path / "sehhaty_reviews" / "sehhaty_reviews_2000.csv") == before  # never modified


def test_every_generated_file_matches_one_mapping(demo_dir: Path) -> None:
    files = match_files(demo_dir, load_sources(SOURCES))
    assert len(files) == sum(1 for p in demo_dir.rglob("*") if p.is_file())
