"""Normalisation and personal-data redaction, pinned with the hard Arabic cases."""

from __future__ import annotations

import pytest

from etl.text import normalise, normalise_py, redact


@pytest.mark.parametrize(
    "text, expected",
    [
        ("أَهْلاً بِكُــــم", "اهلا بكم"),
        ("إلى مكتبى", "الي مكتبي"),
        ("آمنة ٱلهيئة", "امنه الهيئه"),
        ("ی ک", "ي ك"),
        ("رقم ٢٠٢٥ و ۱۴۰۳", "رقم 2025 و 1403"),
        ("a\u200fb\u202bc\u2067d\u2069 e\ufeff", "abcd e"),
        ("GOOD   Service", "good service"),
        ("ﻻ", "لا"),  # a presentation form, undone by NFKC
        ("", ""),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected
    assert normalise_py(text) == expected


@pytest.mark.parametrize(
    "text, redacted, types",
    [
        ("رقم جوالي 0551234567", "رقم جوالي [PHONE]", ["phone"]),
        ("جوال ٠٥٥١٢٣٤٥٦٧", "جوال [PHONE]", ["phone"]),
        ("جوال ۰۵۵۱۲۳۴۵۶۷", "جوال [PHONE]", ["phone"]),
        ("+966 55 123 4567", "[PHONE]", ["phone"]),
        ("00966551234567", "[PHONE]", ["phone"]),
        ("966551234567+ اتصلوا", "[PHONE] اتصلوا", ["phone"]),
        ("055\u200c1234567", "[PHONE]", ["phone"]),
        ("05-512-34567", "[PHONE]", ["phone"]),
        ("055 123 4567", "[PHONE]", ["phone"]),
        ("هاتف المنزل 011 465 1234", "هاتف المنزل [PHONE]", ["phone"]),
        ("0551234567 0559876543", "[PHONE] [PHONE]", ["phone"]),
        ("هويتي 1012345672", "هويتي [ID]", ["national_id"]),
        ("إقامة ٢٠١٢٣٤٥٦٧٠", "إقامة [ID]", ["iqama"]),
        ("هوية 101 234 5672", "هوية [ID]", ["national_id"]),  # digits split by spaces
        ("هوية 1012\u200f345\u200c672", "هوية [ID]", ["national_id"]),  # marks inside
        ("رقم 1012345678", "رقم [NUMBER]", ["long_number"]),  # ID-shaped, fails the Luhn check
        ("هويتي 1012345672 وإقامة 2012345670", "هويتي [ID] وإقامة [ID]", ["national_id", "iqama"]),
        ("iban SA44 2000 0001 2345 6789 1234", "iban [IBAN]", ["iban"]),
        ("sa4420000001234567891234", "[IBAN]", ["iban"]),
        ("mail me a.b-c@mail.example.sa ok", "mail me [EMAIL] ok", ["email"]),
        ("https://x.sa/p?token=abc123&x=1", "https://x.sa/p?token=[TOKEN]&x=1", ["url_token"]),
        ("بطاقتي 4111 1111 1111 1111", "بطاقتي [CARD]", ["card"]),
        ("رقم 12345678901234", "رقم [NUMBER]", ["long_number"]),
        ("0551234567", "[PHONE]", ["phone"]),  # text that is only a number
    ],
)
def test_redact(text: str, redacted: str, types: list[str]) -> None:
    assert redact(text) == (redacted, types)


@pytest.mark.parametrize(
    "text",
    [
        "اتصلت على 1909 ثلاث مرات",
        "مركز الصحة 937",
        "عام 2025 وعام ١٤٤٧",
        "الساعة 10:30 المبلغ 500 ريال",
        "رقم البلاغ 12345",
        "تذكرة CC-2025-0001234",
        "🙏😡 ممتاز",
    ],
)
def test_public_numbers_and_plain_text_stay(text: str) -> None:
    assert redact(text) == (text, [])


def test_empty_and_very_long_text() -> None:
    assert redact("") == ("", [])
    assert redact(None) == (None, [])
    long = ("كلام عادي " * 20000) + "0551234567"
    out, types = redact(long)
    assert out.endswith("[PHONE]") and types == ["phone"]
