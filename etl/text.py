"""Arabic text: normalisation for matching keys, and personal-data redaction.

Both work on whole Arrow columns (``pyarrow.compute``: NFKC and RE2 regexes in C++), so a million
records take seconds, and on single strings through the same code, so the ETL and the app's text
search normalise identically.

Redaction replaces personal data with typed markers (``[PHONE]``, ``[ID]``, ...) that the app
translates when it shows text; ``pii_types`` lists what was found per record.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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


def normalise_array(arr: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Matching keys for a column of text: see ``normalise``."""
    out = pc.utf8_normalize(arr, "NFKC")
    out = pc.replace_substring_regex(out, f"[{_MARKS}{_INVISIBLE}]", "")
    for a, b in _CHAR_MAP.items():
        out = pc.replace_substring(out, a, b)
    out = pc.utf8_lower(out)
    out = pc.replace_substring_regex(out, r"\s+", " ")
    return pc.utf8_trim_whitespace(out)


def normalise(text: str | None) -> str:
    """The matching key of one text: NFKC; no diacritics, tatweel or invisible marks; one alef; ى→ي;
    Persian ک ی → ك ي; ة→ه; Arabic-Indic and Persian digits → ASCII; lower case; single spaces.

    For keys and search only: the stored text keeps its letters.
    """
    if not text:
        return ""
    return normalise_array(pa.array([text], pa.string()))[0].as_py()


def normalise_py(text: str) -> str:
    """The same key in pure Python, for places without Arrow (tests pin the two together)."""
    import re
    import unicodedata

    t = unicodedata.normalize("NFKC", text)
    t = re.sub(f"[{_MARKS}{_INVISIBLE}]", "", t).translate(_PY_TABLE).lower()
    return re.sub(r"\s+", " ", t).strip()


# -- redaction ---------------------------------------------------------------------------------
_D = "[0-9\u0660-\u0669\u06f0-\u06f9]"
_ND = "[^0-9\u0660-\u0669\u06f0-\u06f9]"
_SEP = f"[ \\t\\-.()\u00a0{_INVISIBLE}]*"


def _digit(d: str) -> str:
    return f"[{d}{chr(0x0660 + int(d))}{chr(0x06F0 + int(d))}]"


def _digits(k: int) -> str:
    return f"(?:{_SEP}{_D}){{{k}}}"


_PHONE = (
    f"(?:\\+{_SEP}|{_digit('0')}{_digit('0')}{_SEP})?{_digit('9')}{_digit('6')}{_digit('6')}{_SEP}"
    f"(?:{_digit('0')}{_SEP})?{_digit('5')}{_digits(8)}(?:{_SEP}\\+)?"
    f"|{_digit('0')}{_SEP}{_digit('5')}{_digits(8)}"
    f"|{_digit('0')}{_SEP}{_digit('1')}{_SEP}[1-7\u0661-\u0667\u06f1-\u06f7]{_digits(7)}"
)
_ID = f"[12\u0661\u0662\u06f1\u06f2](?:[ \u00a0{_INVISIBLE}\\-]?{_D}){{9}}"

# (type, pattern, replacement). Patterns with a leading (^|non-digit) group and trailing
# (non-digit|$) group keep those characters: RE2 has no look-around.
REDACTIONS: tuple[tuple[str, str, str], ...] = (
    ("email", r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", "[EMAIL]"),
    (
        "url_token",
        r"([?&](?:token|access_token|key|uid|user|id|email|phone|mobile|session|auth|code|sig)=)[^&\s#]+",
        r"\1[TOKEN]",
    ),
    ("iban", f"(?i)\\bSA{_SEP}{_D}{_SEP}{_D}(?:{_SEP}[0-9A-Z]){{20}}", "[IBAN]"),
    ("card", f"(^|{_ND})({_D}{{4}}(?:[ \\-]{_D}{{4}}){{3}})({_ND}|$)", r"\1[CARD]\3"),
    ("phone", f"(^|{_ND})({_PHONE})({_ND}|$)", r"\1[PHONE]\3"),
    ("national_id", f"(^|{_ND})({_ID})({_ND}|$)", r"\1[ID]\3"),
    ("long_number", f"(^|{_ND})((?:{_D}[{_INVISIBLE}]*){{10,}})({_ND}|$)", r"\1[NUMBER]\3"),
)


def luhn_ok(digits: str) -> bool:
    """The Luhn check that Saudi national ID and iqama numbers carry in their last digit."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_ID_RE = re.compile(REDACTIONS[5][1])
_TO_ASCII = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def _typed_ids(texts: list[str]) -> tuple[list[str], list[set[str]]]:
    """Mask ID-shaped numbers; the Luhn check says national ID (1…), iqama (2…) or just a number."""
    out, kinds = [], []
    for text in texts:
        found: set[str] = set()

        def mask(m: re.Match[str], found: set[str] = found) -> str:
            digits = re.sub(r"\D", "", m.group(2).translate(_TO_ASCII))
            if luhn_ok(digits):
                found.add("national_id" if digits[0] == "1" else "iqama")
                return f"{m.group(1)}[ID]{m.group(3)}"
            found.add("long_number")
            return f"{m.group(1)}[NUMBER]{m.group(3)}"

        out.append(_ID_RE.sub(mask, _ID_RE.sub(mask, text)))
        kinds.append(found)
    return out, kinds


PII_KINDS = ("email", "url_token", "iban", "card", "phone", "national_id", "iqama", "long_number")


def redact_array(arr: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """Redacted text and, per record, the list of personal-data types found (in PII_KINDS order)."""
    arr = pa.chunked_array([arr]) if isinstance(arr, pa.Array) else arr
    n = len(arr)
    masks = {k: np.zeros(n, dtype=bool) for k in PII_KINDS}
    out = arr
    for kind, pattern, repl in REDACTIONS:
        hit = pc.fill_null(pc.match_substring_regex(out, pattern), False)
        hit_np = hit.to_numpy(zero_copy_only=False)
        if not hit_np.any():
            continue
        if kind == "national_id":  # typed one by one: few rows, and the check digit needs arithmetic
            rows = np.flatnonzero(hit_np)
            values = out.take(pa.array(rows)).to_pylist()
            masked, kinds = _typed_ids(values)
            out = _put(out, rows, masked)
            for r, ks in zip(rows, kinds):
                for k in ks:
                    masks[k][r] = True
            continue
        masks[kind] |= hit_np
        # Twice: a match consumes the character after it, which may begin the next match.
        out = pc.replace_substring_regex(out, pattern, repl)
        out = pc.replace_substring_regex(out, pattern, repl)
    stacked = np.stack([masks[k] for k in PII_KINDS], axis=1)
    rows_idx, kind_idx = np.nonzero(stacked)
    offsets = np.concatenate(([0], np.cumsum(stacked.sum(axis=1)))).astype(np.int32)
    values = pa.array(np.array(PII_KINDS, dtype=object)[kind_idx].tolist() if len(kind_idx) else [], pa.string())
    types = pa.ListArray.from_arrays(pa.array(offsets), values)
    del rows_idx
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out, types


def _put(arr: pa.ChunkedArray, rows: np.ndarray, values: list[str]) -> pa.Array:
    """``arr`` with ``values`` at ``rows``."""
    mask = np.zeros(len(arr), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(arr.combine_chunks(), pa.array(mask), pa.array(values, pa.string()))


def redact(text: str | None) -> tuple[str | None, list[str]]:
    """One text, redacted, with the personal-data types found."""
    if text is None:
        return None, []
    out, types = redact_array(pa.array([text], pa.string()))
    return out[0].as_py(), types[0].as_py()
