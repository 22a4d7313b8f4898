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
        ("ﻻ 🙏 ①", "لا 🙏 1"),  # with an emoji beside it, still NFKC
        ("شكرا 🤍🇸🇦 ❤️", "شكرا 🤍🇸🇦 ❤️"),  # emoji alone: nothing for NFKC to do
        ("", ""),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected
    assert normalise_py(text) == expected


def test_the_characters_that_skip_nfkc_are_those_it_leaves_alone() -> None:
    """Rows with no character outside ASCII, plain Arabic and the emoji ranges skip NFKC: every
    code point of those ranges must be one Arrow's NFKC leaves as it is."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from etl.text import _NEEDS_NFKC

    every = pa.array([chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF])
    skipped = every.filter(pc.invert(pc.match_substring_regex(every, _NEEDS_NFKC)))  # as the ETL matches: RE2
    assert "🙏" in skipped.to_pylist() and "ﻻ" not in skipped.to_pylist() and "🄰" not in skipped.to_pylist()
    assert pc.utf8_normalize(skipped, "NFKC").equals(skipped)


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
        # disguises the first rules never named
        ("هاتف المكتب +966 11 465 1234", "هاتف المكتب [PHONE]", ["phone"]),  # a landline with +966
        ("00966-11-4651234 أو", "[PHONE] أو", ["phone"]),
        ("+966 (0)12 345 6789", "[PHONE]", ["phone"]),
        ("بطاقة أمريكان 3782 822463 10005", "بطاقة أمريكان [CARD]", ["card"]),  # 15 digits, 4-6-5
        ("بطاقة 4111.1111.1111.1111", "بطاقة [CARD]", ["card"]),  # dots between the groups
        ("card 6011-0009-9013-9424 ok", "card [CARD] ok", ["card"]),
        ("write to ali (at) mail (dot) com", "write to [EMAIL]", ["email"]),
        ("ali.h [at] host [dot] gov [dot] sa شكرا", "[EMAIL] شكرا", ["email"]),
        ("راسلني ali at gmail dot com", "راسلني [EMAIL]", ["email"]),
        ("راسلني sara (آت) hotmail (نقطة) com", "راسلني [EMAIL]", ["email"]),
        ("call +1 415 555 2671 now", "call [PHONE] now", ["phone"]),  # libphonenumber: a foreign number
        ("رقم أخي +44 7911 123456", "رقم أخي [PHONE]", ["phone"]),
        # digits of other forms: fullwidth, mathematical, circled, another script's
        ("جوالي ０５５１２３４５６７", "جوالي [PHONE]", ["phone"]),
        ("جوالي 𝟎𝟓𝟓𝟏𝟐𝟑𝟒𝟓𝟔𝟕", "جوالي [PHONE]", ["phone"]),
        ("رقمي ⓪⑤⑤①②③④⑤⑥⑦", "رقمي [PHONE]", ["phone"]),
        ("फ़ोन ०५५१२३४५६७", "फ़ोन [PHONE]", ["phone"]),
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
        "الرقم الموحد 920012345",  # unified numbers are the agency's own
        "الرقم المجاني 8001245555 أو 800 124 5555",  # toll-free
        "بتاريخ 1446/05/12 هـ الموافق 2024/11/14",
        "المبلغ 1,500,000 ريال و 2,350.75",
        "رقم الطلب 4111 1111 1111 1112",  # sixteen digits that fail the Luhn check: no card
        "I was at home today",
        "مساحة 100 م²",  # a superscript that makes no number
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


@pytest.mark.parametrize("block", [1, 2, 3, 7, 1 << 23])
def test_letters_fold_in_the_columns_bytes_across_blocks_and_slices(
    monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """The folded letters (one alef, ى, Persian ک ی, ة) are rewritten in the UTF-8 bytes, a block at
    a time: a letter on a block's edge, a slice of a column, nulls and empty texts, letters of three
    and four bytes beside them, all as Python's str.translate gives."""
    import random

    import pyarrow as pa

    from etl import text

    monkeypatch.setattr(text, "_FOLD_BLOCK", block)
    rng = random.Random(block)
    alphabet = "أإآٱىکیةابتيهك a1،€😀\u064e"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12))) for _ in range(300)]
    texts[5] = None
    arr = pa.array(texts, pa.string())
    table = str.maketrans(text._FOLDS)
    for part in (arr, arr.slice(17, 200), arr.slice(299)):
        expected = [None if t is None else t.translate(table) for t in part.to_pylist()]
        assert text._fold_letters(part).to_pylist() == expected
    assert text._fold_letters(pa.array([], pa.string())).to_pylist() == []
