"""Arabic text: normalisation for matching keys, and personal-data redaction.

Both work on whole Arrow columns (``pyarrow.compute``: NFKC and RE2 regexes in C++), so a million
records take seconds, and on single strings through the same code, so the ETL and the app's text
search normalise identically.

Redaction replaces personal data with typed markers (``[PHONE]``, ``[ID]``, ...) that the app
translates when it shows text; ``pii_types`` lists what was found per record.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import Executor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl.parallel import in_chunks, over_slices

# -- normalisation ---------------------------------------------------------------------------
_MARKS = "\u064b-\u065f\u0670\u0640"  # diacritics, superscript alef, tatweel
_INVISIBLE = "\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff"
_CHAR_MAP = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ى": "ي",
    "ک": "ك",
    "ی": "ي",
    "ة": "ه",
    **{a: str(i) for i, a in enumerate("٠١٢٣٤٥٦٧٨٩")},
    **{a: str(i) for i, a in enumerate("۰۱۲۳۴۵۶۷۸۹")},
}
_PY_TABLE = str.maketrans(_CHAR_MAP)
# Every Unicode space, spelled out: Arrow's regex engine (RE2) reads \s as ASCII only, Python as
# Unicode; both implementations use this class so that they agree (found by a property test).
_SPACE = "[\\s\\x0b\\x1c-\\x1f\\x85\\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"


# Beyond ASCII, plain Arabic letters and the symbols and emoji that NFKC leaves as they are (checked
# against Arrow's NFKC, code point by code point: U+2600-27BF, U+2B00-2BFF, the variation selector
# and the joiner of emoji, the regional indicators, U+1F300-1FAFF). Emoji sent a third of a million
# varied texts through NFKC for nothing (1.2 s); the Sehhaty reviews' 144 such rows, 197 of them
# for a heart.
_NEEDS_NFKC = (
    "[^\\x00-\\x7f\u0600-\u0674\u0679-\u06ff\\s"
    "\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d\U0001f1e6-\U0001f1ff\U0001f300-\U0001faff]"
)
_EASTERN_DIGITS = "[\u0660-\u0669\u06f0-\u06f9]"


def _on_rows(arr: pa.Array, pattern: str, fn: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``fn`` applied only to the rows matching ``pattern`` (the others are returned as they are)."""
    mask = pc.fill_null(pc.match_substring_regex(arr, pattern), False)
    if not pc.any(mask).as_py():
        return arr
    return pc.replace_with_mask(arr, mask, fn(pc.filter(arr, mask)))


_DIGITS_TABLE = str.maketrans({a: b for a, b in _CHAR_MAP.items() if b.isdigit()})


def _digits_to_ascii(arr: pa.Array) -> pa.Array:
    # One pass in Python over the few rows with such digits: twenty Arrow passes cost more.
    return pa.array([None if t is None else t.translate(_DIGITS_TABLE) for t in arr.to_pylist()], pa.string())


# The letters a key folds into others (one alef; ى, Persian ک ی, ة): each is two bytes of UTF-8, and
# so is the letter it becomes, so they are rewritten in the column's bytes in one pass. Five Arrow
# passes, each writing every text again, took 1.9 s of a million varied texts.
_FOLDS = {a: b for a, b in _CHAR_MAP.items() if not b.isdigit()}
assert all(len(a.encode()) == 2 == len(b.encode()) for a, b in _FOLDS.items())
_FOLD_FROM = np.array(sorted(int.from_bytes(k.encode(), "big") for k in _FOLDS), dtype=np.uint16)
_FOLD_TO = np.array(
    [int.from_bytes(_FOLDS[k.to_bytes(2, "big").decode()].encode(), "big") for k in _FOLD_FROM.tolist()],
    dtype=np.uint16,
)
_FOLD_SECOND = np.zeros(256, dtype=bool)  # the second bytes of the letters folded
_FOLD_SECOND[_FOLD_FROM & 0xFF] = True
_FOLD_BLOCK = 1 << 23  # bytes looked at a time: the temporary arrays stay small


def _fold_letters(arr: pa.Array) -> pa.Array:
    """``arr`` with the letters of ``_FOLDS`` replaced. A byte from D8 to DB always begins a
    two-byte letter in UTF-8, so a pair of bytes equal to a folded letter is that letter."""
    validity, offsets_buf, data = arr.buffers()
    if data is None or not len(arr):
        return arr
    offsets = np.frombuffer(offsets_buf, dtype=np.int64 if pa.types.is_large_string(arr.type) else np.int32)
    lo, hi = int(offsets[arr.offset]), int(offsets[arr.offset + len(arr)])
    raw = np.frombuffer(data, dtype=np.uint8)
    out = None
    for start in range(lo, hi - 1, _FOLD_BLOCK):
        block = raw[start : min(hi, start + _FOLD_BLOCK + 1)]  # a letter may begin on the block's last byte
        second = np.flatnonzero(_FOLD_SECOND[block[1:]])
        code = (block[second].astype(np.uint16) << 8) | block[second + 1]
        at = np.minimum(np.searchsorted(_FOLD_FROM, code), len(_FOLD_FROM) - 1)
        hit = _FOLD_FROM[at] == code
        if not hit.any():
            continue
        if out is None:
            out = raw.copy()
        pos, new = start + second[hit], _FOLD_TO[at[hit]]
        out[pos] = new >> 8
        out[pos + 1] = new & 0xFF
    if out is None:
        return arr
    return pa.Array.from_buffers(
        arr.type, len(arr), [validity, offsets_buf, pa.py_buffer(out)], arr.null_count, arr.offset
    )


# Rows whose spaces are already single ASCII spaces need no rewriting (most rows).
_OTHER_SPACE = "\\t\\n\\f\\r\\x0b\\x1c-\\x1f\\x85\\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_ODD_SPACE = f"[ {_OTHER_SPACE}]{{2,}}|[{_OTHER_SPACE}]"


def _normalise_chunk(arr: pa.Array) -> pa.Array:
    # Each step touches only the rows it changes: a pattern match is cheaper than a rewrite.
    out = _on_rows(arr, _NEEDS_NFKC, lambda a: pc.utf8_normalize(a, "NFKC"))
    strip = f"[{_MARKS}{_INVISIBLE}]"
    out = _on_rows(out, strip, lambda a: pc.replace_substring_regex(a, strip, ""))
    out = _fold_letters(out)
    out = _on_rows(out, _EASTERN_DIGITS, _digits_to_ascii)
    out = pc.utf8_lower(out)
    out = _on_rows(out, _ODD_SPACE, lambda a: pc.replace_substring_regex(a, _SPACE, " "))
    return pc.utf8_trim(out, " ")


def normalise_array(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Matching keys for a column of text: see ``normalise``."""
    return pa.concat_arrays(over_slices(arr, _normalise_chunk))


def normalise(text: str | None) -> str:
    """The matching key of one text: NFKC; no diacritics, tatweel or invisible marks; one alef; ى→ي;
    Persian ک ی → ك ي; ة→ه; Arabic-Indic and Persian digits → ASCII; lower case; single spaces.

    For keys and search only: the stored text keeps its letters.
    """
    if not text:
        return ""
    return normalise_array(pa.array([text], pa.string()))[0].as_py()


def strings(texts: Sequence[str]) -> pa.Array:
    """Python strings as an Arrow array (large_string), built from their bytes. pa.array or
    pa.scalar on a Python object first imports pandas (to ask whether the object is one): half a
    second in each rule worker, which otherwise never needs it."""
    encoded = [t.encode() for t in texts]
    offsets = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, encoded), np.int64, count=len(encoded)), out=offsets[1:])
    return pa.LargeStringArray.from_buffers(len(encoded), pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded)))


def numbers(arr: pa.Array) -> np.ndarray:
    """A primitive Arrow array with no nulls as numpy, read from its buffer (a view): ``to_numpy``
    imports pandas first, as ``pa.array`` does (``strings``)."""
    if arr.null_count:
        raise ValueError("numbers() reads arrays with no nulls")
    return np.frombuffer(arr.buffers()[1], dtype=np.dtype(str(arr.type)))[arr.offset : arr.offset + len(arr)]


def int_array(values: np.ndarray) -> pa.Array:
    """Integers (numpy) as an Arrow int64 array, built from their buffer (``numbers``, ``strings``)."""
    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def large_strings(texts: pa.Array | pa.ChunkedArray | list[str]) -> pa.Array:
    """Texts as one large_string array (64-bit offsets: a million long texts pass 2 GB); a
    dictionary-encoded column decoded."""
    if isinstance(texts, list):
        texts = pa.array(texts, pa.large_string())
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    return texts.cast(pa.large_string())


def pieces(
    texts: pa.Array | pa.ChunkedArray | list[str], gap: str, literal: bool = False
) -> tuple[pa.Array, np.ndarray]:
    """The pieces of each text between matches of ``gap`` (an RE2 pattern; ``literal``: a plain
    string, split at faster), text after text, and the row of the text each comes from: split by
    Arrow, in C++, with no Python string made per piece. No piece is empty (a text that starts or
    ends with a gap, or two gaps side by side); a null text has none."""
    split = (pc.split_pattern if literal else pc.split_pattern_regex)(large_strings(texts), gap)
    flat = pc.list_flatten(split)
    keep = pc.cast(pc.binary_length(flat), pa.bool_())
    return flat.filter(keep).cast(pa.string()), numbers(pc.list_parent_indices(split).filter(keep)).astype(np.int64)


def memo_rows(
    known: list[pa.Array], table: list[np.ndarray], flat: pa.Array, compute: Callable, limit: int
) -> np.ndarray:
    """Where each string of ``flat`` is in a per-process memo: ``known[0]``, the strings met, and
    ``table``, arrays with a row for each (what ``compute(new strings)`` returned for them). The
    strings not met before are computed and added first; past ``limit`` strings the memo starts
    again, so that the long tail of words in real feedback cannot grow a process without bound.
    Found with Arrow's hashing (``pc.index_in``), not a Python lookup per string."""
    if known and len(known[0]) > limit:
        known.clear()
        table.clear()
    seen = known[0] if known else pa.nulls(0, pa.string())
    at = pc.index_in(flat, value_set=seen)
    if at.null_count or not table:  # (an empty memo is empty arrays, not none)
        new = pc.unique(flat.filter(pc.is_null(at)))
        computed = compute(new)
        table[:] = [np.concatenate([a, b]) for a, b in zip(table, computed)] or list(computed)
        known[:] = [pa.concat_arrays([seen, new])]
        at = pc.index_in(flat, value_set=known[0])
    return numbers(at).astype(np.int64)


def code_points(texts: pa.Array | pa.ChunkedArray | list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Every text's code points end to end (uint32), and each text's length in code points (no
    nulls); decoded from Arrow's one UTF-8 buffer at once, not text by text."""
    texts = large_strings(texts)
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64)[texts.offset : texts.offset + len(texts) + 1]
    data = texts.buffers()[2]
    utf8 = memoryview(data)[offsets[0] : offsets[-1]] if data is not None else b""
    codes = np.frombuffer(str(utf8, "utf-8").encode("utf-32-le"), dtype=np.uint32)
    return codes, pc.utf8_length(texts).to_numpy(zero_copy_only=False).astype(np.int64)


def normalise_py(text: str) -> str:
    """The same key for one short string (a lexicon term, an alias, a file name) without the column
    machinery; tests pin the two together. NFKC comes from Arrow's tables, as in ``normalise``:
    Python's ``unicodedata`` lags (Unicode 14 on 3.11), so a newer character such as U+1E030 would
    get another key. Lower case too: Python's str.lower leaves Unicode 16's Garay capitals (U+10D50)
    as they are, Arrow lowers them."""
    t = pc.utf8_normalize(strings([text]), "NFKC")[0].as_py()
    t = re.sub(f"[{_MARKS}{_INVISIBLE}]", "", t).translate(_PY_TABLE)
    t = pc.utf8_lower(strings([t]))[0].as_py()
    return re.sub(_SPACE, " ", t).strip(" ")


# -- redaction ---------------------------------------------------------------------------------
_D = "[0-9\u0660-\u0669\u06f0-\u06f9]"
_ND = "[^0-9\u0660-\u0669\u06f0-\u06f9]"
_SEP = f"[ \\t\\-.()\u00a0{_INVISIBLE}]*"


def _digit(d: str) -> str:
    return f"[{d}{chr(0x0660 + int(d))}{chr(0x06F0 + int(d))}]"


def _digits(k: int) -> str:
    return f"(?:{_SEP}{_D}){{{k}}}"


# A Saudi number: with the country code (+966, 00966, 966; "(0)" or 0 may follow it) a mobile
# 5XXXXXXXX or a landline 1[1-7]XXXXXXX; without it 05XXXXXXXX or 01[1-7]XXXXXXX. Unified (9200...)
# and toll-free (800...) numbers are the agency's own and public: none of these forms is theirs.
_COUNTRY = (
    f"(?:\\+{_SEP}|{_digit('0')}{_SEP}{_digit('0')}{_SEP})?{_digit('9')}{_SEP}{_digit('6')}{_SEP}{_digit('6')}{_SEP}"
)
_PHONE = (
    f"{_COUNTRY}(?:{_digit('0')}{_SEP})?"
    f"(?:{_digit('5')}{_digits(8)}|{_digit('1')}{_SEP}[1-7\u0661-\u0667\u06f1-\u06f7]{_digits(7)})(?:{_SEP}\\+)?"
    f"|{_digit('0')}{_SEP}{_digit('5')}{_digits(8)}"
    f"|{_digit('0')}{_SEP}{_digit('1')}{_SEP}[1-7\u0661-\u0667\u06f1-\u06f7]{_digits(7)}"
)
_ID = f"[12\u0661\u0662\u06f1\u06f2](?:[ \u00a0{_INVISIBLE}\\-]?{_D}){{9}}"

# An e-mail address written to slip past a filter: "name (at) host (dot) sa", "name [at] host.sa",
# "name at host dot com", with the words in Latin or Arabic letters (آت, نقطة, دوت).
_OPEN, _CLOSE = "[(\\[{<]", "[)\\]}>]"
_AT = f"(?:\\s*{_OPEN}\\s*(?:at|@|آت|أت|ات)\\s*{_CLOSE}\\s*|\\s+(?:at|آت|أت)\\s+)"
_DOT = f"(?:\\s*{_OPEN}\\s*(?:dot|\\.|نقطة|نقطه|دوت)\\s*{_CLOSE}\\s*|\\s+(?:dot|نقطة|نقطه|دوت)\\s+|\\.)"
_DISGUISED_EMAIL = f"(?i)[A-Za-z0-9._%+\\-]+{_AT}[A-Za-z0-9\\-]+(?:{_DOT}[A-Za-z0-9\\-]+)*{_DOT}[A-Za-z]{{2,6}}\\b"
# A payment card: 13 to 19 digits, in groups split by spaces, dots or dashes (4-4-4-4, 4-6-5, ...);
# which of them are a card the Luhn check decides (_typed_cards).
_CARD = f"(^|{_ND})({_D}(?:[ .\\-\u00a0{_INVISIBLE}]{{0,3}}{_D}){{12,18}})({_ND}|$)"

# (type, pattern, replacement). Patterns with a leading (^|non-digit) group and trailing
# (non-digit|$) group keep those characters: RE2 has no look-around. The types in TYPED are
# replaced in Python, match by match, where a check digit or an exception decides.
REDACTIONS: tuple[tuple[str, str, str], ...] = (
    # the local part: what RFC 5322 allows unquoted (a property test generates it), but / ? & =,
    # which would swallow the URL around an address; url_token catches those parameters
    ("email", r"[A-Za-z0-9.!#$%'*+^_`{|}~\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", "[EMAIL]"),
    ("email", _DISGUISED_EMAIL, "[EMAIL]"),
    (
        "url_token",
        r"([?&](?:token|access_token|key|uid|user|id|email|phone|mobile|session|auth|code|sig)=)[^&\s#]+",
        r"\1[TOKEN]",
    ),
    ("iban", f"(?i)\\bSA{_SEP}{_D}{_SEP}{_D}(?:{_SEP}[0-9A-Z]){{20}}", "[IBAN]"),
    ("card", _CARD, ""),
    ("phone", f"(^|{_ND})({_PHONE})({_ND}|$)", r"\1[PHONE]\3"),
    ("national_id", f"(^|{_ND})({_ID})({_ND}|$)", ""),
    ("long_number", f"(^|{_ND})((?:{_D}[{_INVISIBLE}]*){{10,}})({_ND}|$)", ""),
)
_PATTERN = {kind: pattern for kind, pattern, _ in REDACTIONS}


def luhn_ok(digits: str) -> bool:
    """The Luhn check that Saudi national ID and iqama numbers carry in their last digit."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_TO_ASCII = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def _ascii_digits(text: str) -> str:
    return re.sub(r"\D", "", text.translate(_TO_ASCII))


def _typed(kind: str, decide: Callable[[str], str | None]) -> Callable[[list[str]], tuple[list[str], list[set[str]]]]:
    """A typed rule: each match of ``kind``'s pattern is replaced by what ``decide`` says of its
    digits (a marker, and the type found, as "[ID]:national_id"), or kept when it says None."""
    pattern = re.compile(_PATTERN[kind])

    def apply(texts: list[str]) -> tuple[list[str], list[set[str]]]:
        out, kinds = [], []
        for text in texts:
            found: set[str] = set()

            def mask(m: re.Match[str], found: set[str] = found) -> str:
                decided = decide(m.group(2))
                if decided is None:
                    return m.group(0)
                marker, what = decided.split(":")
                found.add(what)
                return f"{m.group(1)}{marker}{m.group(3)}"

            out.append(pattern.sub(mask, pattern.sub(mask, text)))  # twice: a match eats the next one's start
            kinds.append(found)
        return out, kinds

    return apply


def _id_or_number(span: str) -> str:
    """The Luhn check says national ID (1…), iqama (2…) or just a number."""
    digits = _ascii_digits(span)
    if luhn_ok(digits):
        return "[ID]:national_id" if digits[0] == "1" else "[ID]:iqama"
    return "[NUMBER]:long_number"


def _card(span: str) -> str | None:
    """A card number among the span's groups: the longest run of whole groups with 13 to 19 digits,
    not starting with 0, that passes the Luhn check (a card written beside another number still
    reads as one)."""
    groups = [_ascii_digits(g) for g in re.split(f"[ .\\-\u00a0{_INVISIBLE}]+", span) if g]
    for size in range(len(groups), 0, -1):
        for i in range(len(groups) - size + 1):
            digits = "".join(groups[i : i + size])
            # no card number starts with 0 (ISO/IEC 7812 issues none): 00966... is a phone
            if 13 <= len(digits) <= 19 and digits[0] != "0" and luhn_ok(digits):
                return "[CARD]:card"
    return None


def _long_number(span: str) -> str | None:
    """Ten or more digits in a row are masked, save a toll-free number (800 and seven digits)."""
    digits = _ascii_digits(span)
    return None if len(digits) == 10 and digits.startswith("800") else "[NUMBER]:long_number"


TYPED = {
    "card": _typed("card", _card),
    "national_id": _typed("national_id", _id_or_number),
    "long_number": _typed("long_number", _long_number),
}

PII_KINDS = ("email", "url_token", "iban", "card", "phone", "national_id", "iqama", "long_number")


_MAY_HOLD_PII = (
    "[0-9\u0660-\u0669\u06f0-\u06f9@]|[?&][A-Za-z_]+=|[Ss][Aa]\\d"
    "|(?i)[(\\[{<]\\s*(?:at|آت|أت|ات)\\s*[)\\]}>]|\\s(?:at|آت|أت)\\s"  # a disguised e-mail's "at"
)


# Digits of every other form: fullwidth (０５５), mathematical (𝟎𝟓𝟓), circled (⓪⑤⑤), superscript,
# and the decimal digits of other scripts (Devanagari ०५५, ...). The rules know ASCII, Arabic-Indic
# and Persian digits; NFKC later turns most of these into ASCII in text_normalized, where a phone
# the rules never saw would stand in plain digits.
_OTHER_DIGIT = "[^\\P{Nd}0-9\u0660-\u0669\u06f0-\u06f9]|\\p{No}"
_KEEP_DIGITS = frozenset("0123456789" + "".join(chr(0x0660 + i) + chr(0x06F0 + i) for i in range(10)))


def _fold(text: str) -> str:
    """``text`` with every digit of another form written in ASCII, when that makes a number of seven
    digits or more (a lone "م²" keeps its superscript)."""
    folded = "".join(
        str(d) if ch not in _KEEP_DIGITS and (d := unicodedata.digit(ch, None)) is not None else ch for ch in text
    )
    return folded if sum(ch.isdigit() for ch in folded) >= 7 else text


def _fold_other_digits(arr: pa.Array) -> pa.Array:
    """Digits of other forms as ASCII, in the few rows that have any, before the rules run."""
    hit = pc.fill_null(pc.match_substring_regex(arr, _OTHER_DIGIT), False).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(hit)
    if not len(rows):
        return arr
    return _put(arr, rows, [_fold(t) for t in arr.take(pa.array(rows)).to_pylist()])


def redact_array(arr: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """Redacted text and, per record, the list of personal-data types found (in PII_KINDS order).

    Only rows with a digit, an @ or a URL parameter can hold personal data; the patterns run on
    those rows alone. Both the search for those rows and the patterns run on every core.
    """
    arr = _fold_other_digits(arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr)
    maybe = pa.concat_arrays(
        over_slices(arr, lambda a: pc.fill_null(pc.match_substring_regex(a, _MAY_HOLD_PII), False))
    )
    rows = np.flatnonzero(maybe.to_numpy(zero_copy_only=False))
    offsets = np.zeros(len(arr) + 1, dtype=np.int32)
    if not len(rows):
        return arr, pa.ListArray.from_arrays(pa.array(offsets), pa.array([], pa.string()))
    subset = arr.take(pa.array(rows))
    results = over_slices(subset, _redact_chunk)
    redacted = pa.concat_arrays([r[0] for r in results])
    stacked = np.concatenate([r[1] for r in results])  # (len(subset), len(PII_KINDS)) booleans
    counts = np.zeros(len(arr), dtype=np.int32)
    counts[rows] = stacked.sum(axis=1)
    offsets[1:] = np.cumsum(counts)
    _, kind_idx = np.nonzero(stacked)
    values = pa.array(np.array(PII_KINDS, dtype=object)[kind_idx].tolist(), pa.string())
    mask = np.zeros(len(arr), dtype=bool)
    mask[rows] = True
    out = pc.replace_with_mask(arr, pa.array(mask), redacted)
    return out, pa.ListArray.from_arrays(pa.array(offsets), values)


def _redact_chunk(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    masks = {k: np.zeros(len(arr), dtype=bool) for k in PII_KINDS}
    out = arr
    for kind, pattern, repl in REDACTIONS:
        hit_np = pc.fill_null(pc.match_substring_regex(out, pattern), False).to_numpy(zero_copy_only=False)
        if not hit_np.any():
            continue
        if kind in TYPED:  # one by one: few rows, and a check digit or an exception decides
            rows = np.flatnonzero(hit_np)
            masked, kinds = TYPED[kind](out.take(pa.array(rows)).to_pylist())
            out = _put(out, rows, masked)
            for r, ks in zip(rows, kinds):
                for k in ks:
                    masks[k][r] = True
            continue
        masks[kind] |= hit_np
        rows = np.flatnonzero(hit_np)  # rewrite only the rows that match
        hit = out.take(pa.array(rows))
        # Twice: a match consumes the character after it, which may begin the next match.
        hit = pc.replace_substring_regex(hit, pattern, repl)
        out = _put(out, rows, pc.replace_substring_regex(hit, pattern, repl))
    out = _phone_pass(out, masks["phone"])
    return out, np.stack([masks[k] for k in PII_KINDS], axis=1)


# -- the second pass: Google's libphonenumber --------------------------------------------------
# Numbers that are the agency's or a business's, published for everyone: toll-free (800), unified
# (9200: "shared cost"), universal access and premium-rate numbers stay.
_PUBLIC_NUMBER_TYPES = frozenset({3, 4, 5, 9})  # PhoneNumberType TOLL_FREE, PREMIUM_RATE, SHARED_COST, UAN
# What libphonenumber's matcher reads as one number: digits with at most four of its punctuation
# marks between two of them (phonenumbers' _VALID_PUNCTUATION: a test holds this copy to it), once
# invisible marks are gone; and no number it finds valid has fewer than seven digits. Only the texts
# with such a run go to the matcher: a sixth of those with seven digits anywhere.
PHONE_PUNCTUATION = (
    "-x\u2010-\u2015\u2212\u30fc\uff0d-\uff0f \u00a0\u00ad\u200b\u2060\u3000()\uff08\uff09\uff3b\uff3d.\\[\\]/~\u2053"
    "\u223c\uff5e"
)
_PHONE_RUN = f"{_D}(?:[{_INVISIBLE}]*(?:[{PHONE_PUNCTUATION}][{_INVISIBLE}]*){{0,4}}{_D}){{6}}"
_INVISIBLE_CHAR = re.compile(f"[{_INVISIBLE}]")


def phone_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds a Saudi (or any international) personal phone number, as libphonenumber
    reads it once its digits are ASCII and its invisible marks gone: (start, end) in ``text``."""
    from phonenumbers import Leniency, PhoneNumberMatcher, number_type

    if _INVISIBLE_CHAR.search(text):
        kept = [i for i, ch in enumerate(text) if not _INVISIBLE_CHAR.match(ch)]
        plain = "".join(text[i] for i in kept).translate(_TO_ASCII)
    else:
        kept, plain = range(len(text)), text.translate(_TO_ASCII)
    spans = []
    for m in PhoneNumberMatcher(plain, "SA", leniency=Leniency.VALID):
        if number_type(m.number) not in _PUBLIC_NUMBER_TYPES:
            spans.append((kept[m.start], kept[m.end - 1] + 1))
    return spans


def _phone_pass(arr: pa.Array, found: np.ndarray) -> pa.Array:
    """libphonenumber over the texts in which the rules left a run of seven digits or more that it
    may read as a number (``_PHONE_RUN``): a number the rules did not foresee (a foreign mobile, a
    landline split oddly) becomes [PHONE] too."""
    hit = pc.fill_null(pc.match_substring_regex(arr, _PHONE_RUN), False).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(hit)
    if not len(rows):
        return arr
    texts = arr.take(pa.array(rows)).to_pylist()
    changed = []
    for r, text in zip(rows, texts):
        spans = phone_spans(text)
        for start, end in reversed(spans):
            text = text[:start] + "[PHONE]" + text[end:]
        if spans:
            found[r] = True
        changed.append(text)
    return _put(arr, rows, changed)


def _put(arr: pa.Array, rows: np.ndarray, values: list[str] | pa.Array) -> pa.Array:
    """``arr`` with ``values`` at ``rows``."""
    mask = np.zeros(len(arr), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(arr, pa.array(mask), pa.array(values, pa.string()))


def redact(text: str | None) -> tuple[str | None, list[str]]:
    """One text, redacted, with the personal-data types found."""
    if text is None:
        return None, []
    out, types = redact_array(pa.array([text], pa.string()))
    return out[0].as_py(), types[0].as_py()


# -- senders -------------------------------------------------------------------------------------
_SENDER_TABLE = str.maketrans(
    {
        **{a: str(i % 10) for i, a in enumerate("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹")},
        **{c: None for c in " -().\t\u200b\u200c\u200d\u200e\u200f"},
    }
)
_MOBILE = re.compile(r"(?:\+?966|00966|0)(5\d{8})")
# A sender's hash keeps 64 bits of the salted SHA-256: two of ten million senders share one with a
# chance of about 3 in a million, and a quarter of the bytes cost the ETL 0.3-0.4 s less on a million
# records (storing, joining, counting distinct senders). etl/sql/record_sender.sql is given it.
SENDER_HASH_DIGITS = 16


def sender_key(sender: str) -> str:
    """What identifies a sender: lower case, digits in ASCII, no separators; a Saudi mobile number
    in any form (05…, +966 5…, 00966 5…) becomes +9665…. etl/sql/record_sender.sql repeats this
    for senders written in ASCII: change both."""
    key = sender.strip().lower().translate(_SENDER_TABLE)
    m = _MOBILE.fullmatch(key)
    return f"+966{m.group(1)}" if m else key


def _hashes(senders: list[str], salt: str) -> list[str | None]:
    out: list[str | None] = []
    for s in senders:
        key = sender_key(s)
        out.append(hashlib.sha256((salt + key).encode("utf-8")).hexdigest()[:SENDER_HASH_DIGITS] if key else None)
    return out


def sender_hashes(senders: pa.Array | pa.ChunkedArray, salt: str, pool: Executor | None = None) -> pa.Array:
    """Salted SHA-256 of each sender's key, its first SENDER_HASH_DIGITS hex digits (None for no
    key); one hash per distinct sender, on ``pool``'s worker processes when given. The definition:
    the ETL computes the same hashes in DuckDB (etl/sql/record_sender.sql), and a property test
    compares the two."""
    flat = senders.combine_chunks() if isinstance(senders, pa.ChunkedArray) else senders
    encoded = pc.dictionary_encode(flat)
    return pa.array(in_chunks(pool, _hashes, encoded.dictionary.to_pylist(), salt)(), pa.string()).take(encoded.indices)
