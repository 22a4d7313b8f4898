"""Interface strings from the locale files (dashboard/locales/<lang>.json): Arabic first, English.

Every string shown to people comes from here; a test fails when a key is missing in either file.

A counted string is an object instead of a string: ``"plural"`` names the placeholder that counts,
and one text per CLDR plural category of the language (Babel's rules): Arabic has six (zero, one,
two, few for 3-10, many for 11-99, other for 100, 101, 102 ...), English two (one, other). The
count is passed as a number; it is shown grouped (``number``) in the text chosen for it.
"""

from __future__ import annotations

import json
import numbers
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

LANGS = ("ar", "en")
DEFAULT_LANG = "ar"
LOCALE_DIR = Path(__file__).parent / "locales"


Text = str | dict[str, str]  # a string, or a counted string's forms (see the module's docstring)


@cache
def strings(lang: str) -> dict[str, Text]:
    return json.loads((LOCALE_DIR / f"{lang}.json").read_text(encoding="utf-8"))


@cache
def _plural_rule(lang: str):
    from babel import Locale

    return Locale.parse(lang).plural_form


def plural_category(lang: str, count: float) -> str:
    """CLDR's plural category of ``count`` in ``lang`` (zero, one, two, few, many or other)."""
    return _plural_rule(lang)(abs(count))


def t(lang: str, key: str, **values: object) -> str:
    """The string ``key`` in ``lang``, with ``{name}`` placeholders filled in; for a counted string,
    the form its count takes in ``lang``."""
    lang = lang if lang in LANGS else DEFAULT_LANG
    text = strings(lang)[key]
    if isinstance(text, dict):
        name = text["plural"]
        count = values[name]
        if not isinstance(count, numbers.Real) or isinstance(count, bool):
            raise TypeError(f"{key}: the count {name} must be a number, not {type(count).__name__}")
        text = text.get(plural_category(lang, count), text["other"])
        values = {**values, name: number(count, lang)}
    return text.format(**values) if values else text


def isolate(label: str) -> str:
    """A label wrapped in first-strong isolation (U+2068 … U+2069), so mixed Arabic, English and
    digits keep their own order inside a left-to-right chart."""
    return f"\u2068{label}\u2069"


def number(value: float | int, lang: str) -> str:
    """A count formatted for people: thousands grouped, Western digits as Saudi government sites use."""
    del lang  # the same grouping reads well in both; kept for when a locale needs otherwise
    return f"{value:,.0f}"


def hijri(day: object) -> str:
    """The Umm al-Qura date of a Gregorian day, as YYYY/MM/DD (people read both here)."""
    from hijridate import Gregorian

    h = Gregorian(day.year, day.month, day.day).to_hijri()  # type: ignore[attr-defined]
    return f"{h.year}/{h.month:02d}/{h.day:02d}"


def percent(value: float | None) -> str:
    return "—" if value is None or value != value else f"{value:.1%}"


# Quarantine reasons are stored in English, "field: problem" (etl/sql, etl/extract.py). Each problem
# is read in the page's language through the reason_* locale key whose English text it is; the field
# keeps its name (the export's column), and a reason no key matches shows as stored.
def _pattern(english: str) -> re.Pattern:
    """A reason key's English text as a pattern: each {placeholder} matches what the ETL wrote."""
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(english)) + "$")


def forms(text: Text) -> list[str]:
    """Every text a locale entry can show: the string, or each form of a counted string."""
    return [v for k, v in text.items() if k != "plural"] if isinstance(text, dict) else [text]


REASONS = {key: [_pattern(f) for f in forms(text)] for key, text in strings("en").items() if key.startswith("reason_")}


def _counts(found: dict[str, str]) -> dict[str, object]:
    """A reason's values as found in its text: whole numbers become numbers (a count picks a form)."""
    return {k: int(v) if v.isdigit() else v for k, v in found.items()}


def reason(text: str, lang: str) -> str:
    """A quarantine reason ("rating: not a whole number from 1 to 5") in ``lang``; in Arabic it
    starts with an Arabic word, so a table lays the line out right to left."""
    field, _, problem = text.rpartition(": ")  # no field: ("", "", text)
    for key, patterns in REASONS.items():
        found = next((m for m in (p.match(problem) for p in patterns) if m), None)
        if found:
            problem = t(lang, key, **_counts(found.groupdict()))
            shown = isolate(field) if lang == "ar" else field
            return t(lang, "quarantine_field", field=shown, problem=problem) if field else problem
    return text


def named(df: pd.DataFrame, names: dict[tuple[str, str], str], columns: dict[str, str]) -> pd.DataFrame:
    """The frame with coded columns shown by name: ``columns`` maps a column to its dimension in
    ``names`` ((dimension, code) -> name, from ``queries.names``); a code with no name stays."""
    return df.assign(**{c: df[c].map(lambda v, d=d: names.get((d, v), v)) for c, d in columns.items() if c in df})


def headers(df: pd.DataFrame, lang: str, **keys: str) -> pd.DataFrame:
    """The frame with each column labelled from the locale files: ``col_<column>``, or the key given
    for it in ``keys``; a column with no label keeps its name. Use as ``df.pipe(headers, lang)``."""
    labels = strings(lang if lang in LANGS else DEFAULT_LANG)
    names = {}
    for c in df.columns:
        key = keys.get(c, f"col_{c}")
        if key in labels:
            names[c] = labels[key]
    return df.rename(columns=names)
