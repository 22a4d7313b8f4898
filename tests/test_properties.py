"""Property-based tests (hypothesis) for the normaliser and the redactor, over arbitrary text.

(The suppression properties are in test_publish.py.)"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from etl.text import luhn_ok, normalise, normalise_array, normalise_py, redact, redact_array
from tests.conftest import REFERENCE
from tests.test_model import FEEDBACK_CHARS

ARABIC = st.characters(min_codepoint=0x0600, max_codepoint=0x06FF)
MARKS = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670\u0640"
INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\ufeff"
text = st.text(
    alphabet=st.one_of(ARABIC, st.characters(codec="utf-8"), st.sampled_from(MARKS + INVISIBLE + " ٠١٢٣٤٥٦٧٨٩۰۱۲")),
    max_size=200,
)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(text)
@example("\U0001e030")  # Unicode 15: Python 3.11's unicodedata has no NFKC mapping for it, Arrow does
@example("\U00010d50")  # Unicode 16: a Garay capital, which Python 3.11's str.lower leaves, Arrow lowers
def test_normalising_twice_changes_nothing_and_both_implementations_agree(s: str) -> None:
    once = normalise(s)
    assert normalise(once) == once
    assert normalise_py(s) == once
    assert not set(once) & set(MARKS + INVISIBLE)  # no diacritics, tatweel or invisible marks left
    assert not re.search("[\u0660-\u0669\u06f0-\u06f9أإآٱىة]", once)  # ASCII digits, one alef, ي, ه
    assert once == once.strip() and "  " not in once


@SETTINGS
@given(st.lists(text, max_size=20))
def test_the_column_function_is_the_row_function(rows: list[str]) -> None:
    assert normalise_array(pa.array(rows, pa.string())).to_pylist() == [normalise(r) for r in rows]


DIGIT_ZERO = {
    "ascii": "0",
    "arabic": "\u0660",
    "persian": "\u06f0",
    "fullwidth": "\uff10",
    "math_bold": "\U0001d7ce",
    "devanagari": "\u0966",
}


def _digits(n: int, script: str) -> st.SearchStrategy[str]:
    base = DIGIT_ZERO[script]
    return st.lists(st.integers(0, 9), min_size=n, max_size=n).map(lambda ds: "".join(chr(ord(base) + d) for d in ds))


def _spread(s: str, seps: list[str]) -> str:
    """The digits with separators (spaces, dashes, invisible marks) between some of them."""
    return "".join(c + (seps[i % len(seps)] if seps else "") for i, c in enumerate(s)).rstrip(" -")


script = st.sampled_from(list(DIGIT_ZERO))
sep = st.lists(st.sampled_from(["", "", " ", "-", "\u200f", "\u200b"]), max_size=4)
mobile = st.tuples(script, sep, st.sampled_from(["05", "+9665", "009665", "9665"])).flatmap(
    lambda t: _digits(8, t[0]).map(lambda d: (t[1], t[2] + d))
)
national_id = st.tuples(script, sep, st.sampled_from("12")).flatmap(
    lambda t: _digits(9, t[0]).map(lambda d: (t[1], t[2] + d))
)
words = st.text(alphabet=st.sampled_from("ابتثجحخدذرزسشصضطظعغفقكلمنهوي "), max_size=30)


def _digits_only(s: str) -> str:
    return "".join(str(int(c)) for c in s if c.isdigit())


@SETTINGS
@given(words, st.one_of(mobile, national_id), words)
def test_phone_numbers_and_ids_never_survive_redaction(before: str, found: tuple[list[str], str], after: str) -> None:
    seps, number = found
    spread = _spread(number, seps)
    redacted, types = redact(f"{before} {spread} {after}")
    assert types, (spread, redacted)
    digits = _digits_only(number)
    assert digits[-7:] not in _digits_only(redacted), (spread, redacted)


landline = st.tuples(script, sep, st.sampled_from(["01", "+9661", "009661", "9661", "+966 (0)1"])).flatmap(
    lambda t: st.tuples(st.sampled_from("1234567"), _digits(7, t[0])).map(lambda d: (t[1], t[2] + d[0] + d[1]))
)


@SETTINGS
@given(words, landline, words)
def test_landlines_in_any_form_never_survive(before: str, found: tuple[list[str], str], after: str) -> None:
    seps, number = found
    spread = _spread(number, seps)
    redacted, types = redact(f"{before} {spread} {after}")
    assert "phone" in types, (spread, redacted)
    assert _digits_only(number)[-7:] not in _digits_only(redacted), (spread, redacted)


def _luhn_complete(body: list[int]) -> str:
    """``body`` and the check digit that makes it pass Luhn."""
    for check in range(10):
        digits = "".join(map(str, [*body, check]))
        if luhn_ok(digits):
            return digits
    raise AssertionError


card = st.tuples(
    st.integers(13, 19).flatmap(lambda n: st.lists(st.integers(0, 9), min_size=n - 1, max_size=n - 1)),
    st.sampled_from([" ", ".", "-", "", " - ", "\u200f", "\u00a0"]),
    st.lists(st.integers(3, 6), min_size=1, max_size=5),
    script,
)


@SETTINGS
@given(words, card, words)
def test_card_numbers_of_13_to_19_digits_never_survive(before: str, found: tuple, after: str) -> None:
    body, separator, sizes, digits_script = found
    number = _luhn_complete([4, *body[1:]])  # a leading 4 (Visa's): not an ID, not a phone
    groups, i = [], 0
    while i < len(number):
        size = sizes[len(groups) % len(sizes)]
        groups.append(number[i : i + size])
        i += size
    shift = ord(DIGIT_ZERO[digits_script]) - 0x30
    written = separator.join("".join(chr(ord(c) + shift) for c in g) for g in groups)
    redacted, types = redact(f"{before} {written} {after}")
    assert "card" in types, (written, redacted)
    assert number not in _digits_only(redacted), (written, redacted)


at_word = st.sampled_from(["(at)", "[at]", "[AT]", "{at}", " at ", "(آت)", " آت ", "<at>", "( at )"])
dot_word = st.sampled_from(["(dot)", "[dot]", " dot ", ".", "(نقطة)", " نقطة ", "[DOT]", " دوت "])
label = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789"), min_size=1, max_size=10)
disguised = st.tuples(
    label, at_word, label, st.lists(label, max_size=2), dot_word, st.sampled_from(["com", "sa", "net", "org"])
)


@SETTINGS
@given(words, disguised, words)
def test_disguised_email_addresses_never_survive(before: str, parts: tuple, after: str) -> None:
    local, at, host, more, dot, tld = parts
    address = local + at + host + "".join(dot + m for m in more) + dot + tld
    redacted, types = redact(f"{before} {address} {after}")
    assert "email" in types and host not in redacted.split(), (address, redacted)


public = st.one_of(
    st.just("1909"),
    _digits(5, "ascii").map(lambda d: "920" + d[:1] + d[1:] + "0"),  # 920xxxxxx
    _digits(7, "ascii").map(lambda d: "800" + d),  # 8001234567
    _digits(7, "ascii").map(lambda d: f"800 {d[:3]} {d[3:]}"),
    st.integers(1990, 2035).map(str),
    st.tuples(st.integers(1400, 1460), st.integers(1, 12), st.integers(1, 29)).map(
        lambda t: f"{t[0]}/{t[1]:02d}/{t[2]:02d}"
    ),
    st.integers(1, 9_999_999).map(lambda n: f"{n:,} ريال"),
    st.integers(1, 9_999_999).map(lambda n: f"CC-2025-{n:07d}"),
)


@SETTINGS
@given(words, public, words)
def test_public_numbers_are_never_redacted(before: str, number: str, after: str) -> None:
    text = f"{before} {number} {after}"
    assert redact(text) == (text, [])


@SETTINGS
@given(st.emails(), words)
def test_email_addresses_never_survive_redaction(email: str, context: str) -> None:
    assume(not set(email.split("@")[0]) & set("/?&="))  # URL characters: see etl/text.py
    redacted, types = redact(f"{context} {email} {context}")
    assert "email" in types and email not in redacted


@SETTINGS
@given(st.lists(st.one_of(text, words), max_size=15))
def test_redaction_is_stable_and_never_grows_personal_data(rows: list[str]) -> None:
    out, types = redact_array(pa.array(rows, pa.string()))
    out = out.to_pylist()
    again, _ = redact_array(pa.array(out, pa.string()))
    assert again.to_pylist() == out  # redacting redacted text finds nothing more to change
    assert len(types.to_pylist()) == len(rows)


@SETTINGS
@given(
    st.lists(
        st.one_of(text, st.text(alphabet=st.one_of(ARABIC, st.sampled_from("abXY 1٢.")), max_size=30)), max_size=20
    )
)
def test_the_script_counts_letters_as_a_person_would(rows: list[str]) -> None:
    """Arrow's letter counts (RE2, code points) give what counting in Python gives: texts of both
    scripts, in any proportion, included."""
    from etl.classify import scripts

    def by_hand(t: str) -> str:
        arabic = sum("\u0621" <= c <= "\u064a" or "\u066e" <= c <= "\u06d3" for c in t)
        latin = sum(c.isascii() and c.isalpha() for c in t)
        return "other" if not arabic and not latin else "ar" if arabic >= latin else "en"

    assert scripts(pa.array(rows, pa.string())).to_pylist() == [by_hand(r) for r in rows]


ascii_sender = st.text(alphabet=st.sampled_from("0123456789 +-().\t\n\x0b\x0c\r\x1c\x1fAbZ@_"), max_size=20)
phone_sender = st.builds(
    lambda prefix, sep, digits, pad: f"{pad}{prefix}{sep}5{sep.join(digits)}{pad}",
    st.sampled_from(["0", "966", "+966", "00966", "+96", "9660", ""]),
    st.sampled_from(["", " ", "-", "(", ".", "\t"]),
    st.lists(st.sampled_from("01234567890123456789٠١٢٣٤٥٦٧٨٩۰۱"), min_size=7, max_size=9),
    st.sampled_from(["", " ", "\x1c", "\n "]),
)


@SETTINGS
@given(st.lists(st.one_of(ascii_sender, phone_sender, text, st.emails()), min_size=1, max_size=30))
def test_duckdb_hashes_senders_as_python_does(senders: list[str]) -> None:
    """The ETL hashes ASCII senders in DuckDB (record_sender.sql), others in Python
    (etl.text.sender_key): every sender's hash is the Python definition's, across separators,
    whitespace Python strips, Saudi mobile forms and non-ASCII text."""
    import duckdb

    from etl.pipeline import _senders
    from etl.text import sender_hashes

    con = duckdb.connect()
    con.execute(
        "create table stg_participation as select *, '' as text, []::varchar[] as reasons "
        "from unnest(?) with ordinality as t(sender, row_id)",
        [senders],
    )
    con.execute("create table stg_identified as select row_id, 1 as occurrence from stg_participation")
    _senders(con, "salt" * 8)
    hashed = dict(con.execute("select sender, sender_hash from record_sender").fetchall())
    expected = sender_hashes(pa.array(senders, pa.string()), "salt" * 8).to_pylist()
    assert [hashed[s] for s in senders] == expected
    # sender_no: one number per hash, none without
    numbers = con.execute("select sender_hash, list(distinct sender_no) from record_sender group by all").fetchall()
    assert all(n == [None] if h is None else len(n) == 1 for h, n in numbers)
    assert len({n[0] for h, n in numbers if h is not None}) == sum(h is not None for h, _ in numbers)


TRICKY_PATTERNS = [
    r"\bpass\b",
    r"\d{3}-\d{4}",
    r"[\d.]+\s*kg",
    r"[^\w\s]{2}",
    r"user\s*name$",
    r"(?P<k>key)\s*=\s*\w+",
    r"[A-Z]{2}\d",
    r"ك[^\d]ب",
    r"\x41B",
    r"\u0627ل",
    r"مو\s+زين",
    r"a.b",
    r"^\s*hello",
    r"[]a]x",
    r"\W\S\D",
    r"\d\d",
    r"\w\s\w",
    r"ك\w",
    r"\bك",
    r"ب$",
]
screen_text = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.sampled_from("\n\t\x1c\x85\u00a0\u2028\u2003İıKſÉéⒶ😀👍\ufe0f٠٣۴"),
        st.sampled_from("كبلاموزينهيكلمهالمرور"),
    ),
    max_size=25,
)


@SETTINGS
@given(st.lists(screen_text, min_size=1, max_size=20))
@example(["ب\n", "ك", " ك", "PASSWORD: x", "Pass", "٣٣", "١٢٣-٤٥٦٧", "٣ KG", "كلمه المرور هي ٣", "EXPLOİT"])
def test_the_security_prefilter_never_rules_out_a_match(texts: list[str]) -> None:
    """PatternList.candidates (RE2 over the column) keeps every text a pattern matches in Python,
    for the shipped patterns and for patterns with word boundaries, Unicode classes, negated
    classes, case, $ and escapes; with texts of ASCII, Arabic, emoji, spaces and cased letters
    outside ASCII."""
    from etl.classify import PatternList, re2_superset

    shipped = PatternList.load(REFERENCE / "security_patterns.csv")
    tricky = [(str(i), re.compile(p, re.IGNORECASE)) for i, p in enumerate(TRICKY_PATTERNS)]
    for rule in shipped.patterns + tricky:  # one at a time: together, one pattern's catch hides another's miss
        assert re2_superset(rule[1].pattern) is not None, rule[1].pattern
        one = PatternList([rule])
        for text, candidate in zip(texts, one.candidates(pa.array(texts, pa.string()))):
            assert candidate or one.first(text) is None, (rule[1].pattern, text)


term_text = st.text(alphabet=st.sampled_from("غبيتافهكلحمرsStupidI \ufe0f.،"), max_size=30)


@SETTINGS
@given(
    st.lists(term_text, min_size=1, max_size=20),
    st.lists(st.text(alphabet=st.sampled_from("غبيتكلs"), min_size=1, max_size=4), max_size=3),
)
@example(["غغغبببي", "غ\ufe0fبي", "يا غبيييي", "وللغبي"], [])
def test_the_offensive_prefilter_never_rules_out_a_term(texts: list[str], more_terms: list[str]) -> None:
    """TermList.candidates (RE2 over the normalised column) keeps every text whose folded form
    TermList.first finds a term in: stretched letters, U+FE0F, clitics; the shipped terms and
    random ones."""
    from etl.classify import TermList, fold, screens, term_pattern

    shipped = screens(REFERENCE)[0]
    terms = tuple(dict.fromkeys(shipped.terms + tuple(fold(t) for t in more_terms)))
    for screen in (shipped, TermList(term_pattern(terms), terms)):
        for text, candidate in zip(texts, screen.candidates(pa.array(texts, pa.string()))):
            assert candidate or screen.first(text) is None, text


@SETTINGS
@given(st.lists(st.text(alphabet=st.sampled_from("ممتازاa1 \ufe0f😀_"), max_size=12), max_size=20))
@example(["ممتااااز", "aa", "a\ufe0f", "xx", "x", "x", "😀😀😀", "___", "111", ""])
def test_the_fold_prefilter_never_rules_out_a_text_fold_changes(texts: list[str]) -> None:
    """may_fold (numpy over the whole column) keeps every text fold would change, and a run of
    three that only spans neighbouring texts marks neither."""
    from etl.classify import fold, may_fold

    edges = ["xx", "x", "ab", "ممتاااز", "a\ufe0f", "zzz", "yy", "y"]
    assert may_fold(pa.array(edges, pa.string())).tolist() == [False, False, False, True, True, True, False, False]
    flagged = may_fold(pa.array(texts, pa.string())).tolist()
    assert len(flagged) == len(texts)
    for t, hit in zip(texts, flagged):
        assert hit or fold(t) == t, t
        if not hit:  # nothing in the text itself repeats three times, and no U+FE0F
            assert "\ufe0f" not in t and not re.search(r"(.)\1\1", t, re.S), t


def _rule_text(terms: list[str]) -> st.SearchStrategy[str]:
    """Texts made of ``terms``, clitics, letters and punctuation, with or without spaces between."""
    piece = st.one_of(
        st.sampled_from(terms),
        st.text(alphabet=st.sampled_from("ابتلمنهوي_aZ1٣😀?؟،."), min_size=1, max_size=5),
    )
    sep = st.sampled_from(["", " ", "  ", "و", "ال", "بال", "، ", "\n", "-", "\ufe0f"])
    return st.lists(st.tuples(sep, piece), max_size=10).map(lambda parts: "".join(a + b for a, b in parts))


def _theme_terms() -> list[str]:
    from etl.classify import rules

    return sorted(rules(REFERENCE)[0].keywords)


def _sentiment_terms() -> list[str]:
    from etl.classify import rules

    s = rules(REFERENCE)[1]
    return sorted({*s.words, *(p for p, _ in s.phrases), *s.negators, *s.intensifiers, *s.contrasts, *s.neutral})


@SETTINGS
@given(st.lists(_rule_text(_theme_terms()), min_size=1, max_size=10))
@example(["مركز الاتصال", "والخدمات الالكترونيه", "مركزالاتصال", "تسجيل  الدخول", "بالتطبيق، تسجيل الدخول"])
def test_themes_word_by_word_are_the_themes_of_the_whole_text(texts: list[str]) -> None:
    """A text ThemeRules.spanning rules out gets from its tokens the theme and confidence that the
    keyword pattern over the whole text gives; the prefilter keeps every text in which the pattern
    finds a keyword of more than one word."""
    from etl.classify import _TOKEN, fold, rules

    themes = rules(REFERENCE)[0]
    spanning = themes.spanning(pa.array(texts, pa.string())).tolist()
    for t, may_span in zip(texts, spanning):
        folded = fold(t)
        if not may_span:
            assert themes.theme(folded, True, _TOKEN.findall(folded)) == themes.theme(folded, True), t
            assert all(re.fullmatch(r"\w+", m.group(1)) for m in themes.pattern.finditer(folded)), t


@SETTINGS
@given(st.lists(_rule_text(_sentiment_terms()), min_size=1, max_size=10))
@example(["ما عجبني", "الله يعطيكم العافيه", "لا بأس بس", "مو زين جدا", "ممتاز لكن", "الله  يعطيكم"])
def test_sentiment_from_tokens_is_the_sentiment_of_the_whole_text(texts: list[str]) -> None:
    """A text SentimentRules.phrased rules out scores the same from its tokens as through the
    phrase search."""
    from etl.classify import _TOKEN, fold, rules

    sentiment = rules(REFERENCE)[1]
    phrased = sentiment.phrased(pa.array(texts, pa.string())).tolist()
    for t, may_phrase in zip(texts, phrased):
        folded = fold(t)
        if not may_phrase:
            assert sentiment.score(folded, True, _TOKEN.findall(folded)) == sentiment.score(folded, True), t
        assert may_phrase or sentiment.phrase_pattern.search(folded) is None, t


def _by_rules(texts: list[str], theme_rules, sentiment_rules) -> list[tuple]:
    """Each text's words' sentiment, theme and confidence, by the rules text by text."""
    from etl.classify import fold, theme_of

    out = []
    for t in texts:
        folded = fold(t)
        words = sentiment_rules.words_label(folded, True)
        out.append((words, *theme_of(folded, words, theme_rules, True)))
    return out


_SPACES = [chr(c) for c in range(0x3001) if chr(c).isspace()]


@SETTINGS
@given(st.lists(st.text(st.one_of(FEEDBACK_CHARS, st.sampled_from(_SPACES)), max_size=40), max_size=6))
def test_arrow_finds_the_tokens_python_does(texts: list[str]) -> None:
    """The rules' tokens over a column (``TokenFacts.tokens``, Arrow) are ``_TOKEN``'s, in order:
    words, each mark of punctuation alone, and every kind of space between."""
    from etl.classify import _TOKEN, token_facts

    flat, rows, *_ = token_facts(REFERENCE).tokens(pa.array(texts, pa.string()))
    expected = [(r, w) for r, t in enumerate(texts) for w in _TOKEN.findall(t)]
    assert list(zip(rows.tolist(), flat.to_pylist())) == expected


def test_every_character_of_the_basic_plane_is_tokenised_as_python_does() -> None:
    """Each character of the Basic Multilingual Plane (where Arabic, its presentation forms and
    every space are), between two letters and after a space, splits as ``_TOKEN`` splits it."""
    from etl.classify import _TOKEN, token_facts

    chars = [chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000]
    texts = [f"a{c}b {c}" for c in chars]
    flat, rows, *_ = token_facts(REFERENCE).tokens(pa.array(texts, pa.string()))
    got: dict[int, list[str]] = {}
    for r, w in zip(rows.tolist(), flat.to_pylist()):
        got.setdefault(r, []).append(w)
    assert [hex(ord(c)) for i, c in enumerate(chars) if got.get(i, []) != _TOKEN.findall(texts[i])] == []


@SETTINGS
@given(st.lists(_rule_text(sorted({*_theme_terms(), *_sentiment_terms()})), min_size=1, max_size=12))
@example(["ممتاز لكن الدخول بطيء", "ما عجبني", "مو زين جدا ما يفتح", "مركز الاتصال ممتااااز", "", "؟", "جيد"])
def test_the_rules_over_a_column_answer_as_the_rules_text_by_text(texts: list[str]) -> None:
    """What the ETL's rule workers find (``_per_text``: the themes and the words' sentiment read
    over the column in numpy, and text by text where a phrase, a keyword of more than one word or
    stretched letters may be) is what the rules find text by text; and the column's own answers
    (``TokenFacts.read``) are, for every text that needs none of those."""
    from etl.classify import SENTIMENTS, _items, _per_text, fold, rules, token_facts

    theme_rules, sentiment_rules = rules(REFERENCE)
    expected = _by_rules(texts, theme_rules, sentiment_rules)
    column = pa.array(texts, pa.string())
    found = _per_text(_items(column, REFERENCE), REFERENCE)
    assert [(w, t, c) for t, c, w, *_ in found] == expected
    facts = token_facts(REFERENCE)
    said, theme, confidence, _, _ = facts.read(column)
    plain = ~(theme_rules.spanning(column) | sentiment_rules.phrased(column))
    for i, t in enumerate(texts):
        if plain[i] and fold(t) == t:
            words = SENTIMENTS[said[i]] if said[i] >= 0 else None
            assert words == expected[i][0], t
            assert ((facts.themes[theme[i]] if theme[i] >= 0 else "other"), confidence[i]) == theme_rules.theme(t), t


@SETTINGS
@given(st.lists(_rule_text(["خدم", "تطبيق", "دخول", "شكر", "ممتاز"]), min_size=1, max_size=12))
def test_themes_over_a_column_add_any_weights_as_the_rules_do(texts: list[str]) -> None:
    """Keywords weighted 0.1, 0.2, 0.7 (sums that floating point rounds) and one keyword naming two
    themes: the column's confidence is ``ThemeRules.theme``'s, to the last bit."""
    from etl.classify import PRAISE, ThemeRules, TokenFacts, rules, term_pattern

    keywords = {"خدم": [("service", 0.1)], "تطبيق": [("app", 0.2), ("service", 0.7)], "دخول": [("login", 0.7)]}
    keywords |= {"شكر": [(PRAISE, 0.3)], "ممتاز": [(PRAISE, 0.1), ("app", 0.1)]}
    theme_rules = ThemeRules(keywords, term_pattern(keywords))
    facts = TokenFacts.of(theme_rules, rules(REFERENCE)[1])
    _, theme, confidence, _, _ = facts.read(pa.array(texts, pa.string()))
    for i, t in enumerate(texts):
        if "\ufe0f" not in t and not re.search(r"(\w)\1\1", t):  # fold changes nothing
            assert ((facts.themes[theme[i]] if theme[i] >= 0 else "other"), confidence[i]) == theme_rules.theme(t), t


@SETTINGS
@given(
    st.lists(st.text(st.one_of(FEEDBACK_CHARS, st.sampled_from([*_SPACES, "ⅻ", "①", " "])), max_size=40), max_size=8)
)
def test_a_skeleton_is_the_words_single_spaced(texts: list[str]) -> None:
    """``etl.similar.skeletons`` (Arrow) keeps a text's letters and non-decimal numerals, puts one
    space for each run of anything else, and trims: as Unicode's categories say, character by
    character."""
    import unicodedata

    from etl.similar import skeletons

    def kept(ch: str) -> bool:
        return unicodedata.category(ch)[0] == "L" or unicodedata.category(ch) in ("Nl", "No")

    expected = [" ".join("".join(ch if kept(ch) else " " for ch in t).split(" ")).strip() for t in texts]
    expected = [re.sub(" +", " ", e) for e in expected]
    assert skeletons(pa.array(texts, pa.string())).to_pylist() == expected


_NUMBER_GAP = st.text(
    alphabet=st.sampled_from(
        ["-", " ", ".", "/", "(", ")", "x", "\u00a0", "\u200b", "\u200f", "\uff0d", "+", "ا", "a", ":"]
    ),
    max_size=6,
)


@SETTINGS
@given(
    words,
    st.sampled_from(["+966 50", "050", "+1 415", "+44 20", "+290", "+683", "00971 50", "+49 30", "+966 11", "800"]),
    st.lists(st.tuples(_NUMBER_GAP, st.text(alphabet=st.sampled_from("0123456789٠١٢٣٤٥٦٧٨٩"), max_size=4)), max_size=5),
    words,
)
@example("جوالي", "+966 50", [(" - ", "123"), (" - ", "4567")], "")
@example("", "050", [(" ( ", "123"), (") ", "4567")], "شكرا")
@example("", "+1 415", [(" .\u200b ", "555"), ("\u00a0-\u00a0", "2671")], "")
def test_the_phone_pass_reads_every_text_libphonenumber_finds_a_number_in(
    before: str, lead: str, parts: list[tuple[str, str]], after: str
) -> None:
    """The redactor hands libphonenumber only the texts with a run of seven digits joined by four
    of its punctuation marks at most (``_PHONE_RUN``): every text in which it finds a number is one
    of them, whatever lies between the digits; and the punctuation is the library's own."""
    from phonenumbers.phonenumberutil import _VALID_PUNCTUATION

    from etl.text import _PHONE_RUN, PHONE_PUNCTUATION, phone_spans

    assert PHONE_PUNCTUATION == _VALID_PUNCTUATION
    text = f"{before} {lead}" + "".join(gap + digits for gap, digits in parts) + f" {after}"
    if phone_spans(text):
        assert pc.match_substring_regex(pa.array([text]), _PHONE_RUN)[0].as_py(), text
