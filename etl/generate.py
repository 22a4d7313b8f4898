"""Demo exports, realistic enough to exercise every part of the ETL, generated deterministically.

``python -m etl generate --rows N --out DIR --seed S`` writes what an agency really has, each in its
own format: a call-centre CRM export (XLSX, Arabic headers, one file per year), website comments
(CSV in Windows-1256 with Hijri dates), social media (JSON Lines, UTC), e-mail (CSV, UTF-8 with BOM,
RFC 2822 dates), app-store reviews (CSV, UTC), poll and questionnaire answers (Tafaul/Istitlaa style)
and the improvement-actions register.

Everything is drawn from one ``numpy`` generator seeded with S, and every writer is byte-stable, so
the same seed and end date give the same bytes. Sampling is vectorised: a million rows take seconds.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from hijridate import Gregorian

from core.clock import riyadh_now
from etl import phrases as P

THEMES = list(P.BANK)
TONES = ["neg", "neu", "pos"]
REGIONS = [  # code, share of population, the spellings exports use
    ("riyadh", 0.26, ["الرياض", "منطقة الرياض", "Riyadh"]),
    ("makkah", 0.26, ["مكة المكرمة", "منطقة مكة المكرمة", "جدة", "Makkah"]),
    ("eastern", 0.15, ["الشرقية", "المنطقة الشرقية", "الدمام"]),
    ("madinah", 0.07, ["المدينة المنورة", "منطقة المدينة المنورة"]),
    ("asir", 0.06, ["عسير", "منطقة عسير"]),
    ("qassim", 0.045, ["القصيم", "منطقة القصيم"]),
    ("jazan", 0.045, ["جازان", "منطقة جازان"]),
    ("tabuk", 0.027, ["تبوك"]),
    ("hail", 0.02, ["حائل"]),
    ("najran", 0.02, ["نجران"]),
    ("al_jawf", 0.017, ["الجوف"]),
    ("al_baha", 0.013, ["الباحة"]),
    ("northern_borders", 0.012, ["الحدود الشمالية"]),
]
BENEFICIARIES = [
    ("citizen", 0.70, "مواطن"),
    ("resident", 0.20, "مقيم"),
    ("visitor", 0.05, "زائر"),
    ("business", 0.03, "منشأة"),
    ("unknown", 0.02, ""),
]
STATUS_AR = {"published": "منشور", "hidden": "مخفي", "deleted": "محذوف", "pending": "قيد المراجعة"}

AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True)
class Profile:
    """How one channel's participations differ: language, tone, ratings, answers, volume rhythm."""

    share: float
    english: float
    theme_weights: dict[str, float]
    tone: tuple[float, float, float]
    rating_share: float
    answered: float
    reply_hours_median: float
    weekend_factor: float
    pii_rate: float


def _themes(**over: float) -> dict[str, float]:
    base = {t: 1.0 for t in THEMES}
    base.update(over)
    return base


PROFILES: dict[str, Profile] = {
    "call_center": Profile(
        0.22,
        0.03,
        _themes(call_center=4, reports_complaints=3, response_speed=2),
        (0.45, 0.40, 0.15),
        0.4,
        0.93,
        0.2,
        0.55,
        0.08,
    ),
    "website": Profile(
        0.25,
        0.08,
        _themes(usability=3, technical_login=3, new_services=2, awareness=2),
        (0.40, 0.35, 0.25),
        0.6,
        0.55,
        96,
        0.8,
        0.05,
    ),
    "social": Profile(
        0.20, 0.10, _themes(thanks_praise=4, awareness=2, staff_conduct=2), (0.35, 0.20, 0.45), 0.0, 0.45, 6, 1.25, 0.03
    ),
    "email": Profile(
        0.08,
        0.15,
        _themes(reports_complaints=3, employment_training=3, response_speed=2),
        (0.40, 0.45, 0.15),
        0.0,
        0.85,
        48,
        0.5,
        0.12,
    ),
    "app_reviews": Profile(
        0.15,
        0.30,
        _themes(thanks_praise=6, technical_login=5, usability=3),
        (0.25, 0.05, 0.70),
        1.0,
        0.60,
        36,
        1.1,
        0.02,
    ),
    "polls": Profile(
        0.10, 0.02, _themes(awareness=3, usability=2, new_services=2), (0.2, 0.6, 0.2), 1.0, 0.0, 0, 0.9, 0.01
    ),
}


class Gen:
    """Shared sampling state for one generation run."""

    def __init__(self, seed: int, end: dt.date, days: int = 730, varied: bool = False) -> None:
        self.rng = np.random.default_rng(seed)
        self.varied = varied
        self.end = end
        self.start = end - dt.timedelta(days=days - 1)
        self.days = days
        self.now = np.datetime64(dt.datetime.combine(end, dt.time(23, 59, 59)), "s")
        dates = [self.start + dt.timedelta(days=i) for i in range(days)]
        hijri = [Gregorian(d.year, d.month, d.day).to_hijri() for d in dates]
        self.hijri = [f"{h.year}/{h.month:02d}/{h.day:02d}" for h in hijri]
        ramadan = np.array([h.month == 9 for h in hijri])
        weekday = np.array([d.weekday() for d in dates])  # Friday=4, Saturday=5: the Saudi weekend
        self.is_weekend = (weekday == 4) | (weekday == 5)
        trend = np.linspace(0.8, 1.2, days)
        self.base_day_weight = trend * np.where(ramadan, 1.6, 1.0)
        # Participations come mostly mid-morning and late evening.
        hours = np.array(
            [1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.6, 1.2, 2, 2.6, 3, 3, 2.8, 2.4, 2.2, 2, 2, 2.2, 2.4, 2.8, 3.2, 3.4, 3, 2]
        )
        self.hour_p = hours / hours.sum()

    # -- sampling helpers ------------------------------------------------------------------------
    def timestamps(self, n: int, prof: Profile) -> np.ndarray:
        w = self.base_day_weight * np.where(self.is_weekend, prof.weekend_factor, 1.0)
        day = self.rng.choice(self.days, size=n, p=w / w.sum())
        secs = self.rng.choice(24, size=n, p=self.hour_p) * 3600 + self.rng.integers(0, 3600, n)
        start = np.datetime64(self.start, "s")
        return start + (day * 86400 + secs).astype("timedelta64[s]")

    def pick(self, n: int, weights: dict[str, float] | list[float], items: list | None = None) -> np.ndarray:
        keys = list(weights) if isinstance(weights, dict) else items
        w = np.array(list(weights.values()) if isinstance(weights, dict) else weights, dtype=float)
        return np.array(keys, dtype=object)[self.rng.choice(len(keys), size=n, p=w / w.sum())]

    def texts(self, n: int, prof: Profile) -> dict[str, np.ndarray]:
        """Theme, tone, language and a text for each row."""
        rng = self.rng
        theme = self.pick(n, prof.theme_weights)
        tone = self.pick(n, dict(zip(TONES, prof.tone)))
        tone[theme == "thanks_praise"] = self.pick(
            int((theme == "thanks_praise").sum()), {"neg": 0.05, "neu": 0.05, "pos": 0.9}
        )
        lang = np.where(rng.random(n) < prof.english, "en", "ar").astype(object)
        out = np.empty(n, dtype=object)
        # in sorted order: a set's order follows the string hashes, which differ from process to
        # process (PYTHONHASHSEED), and each key draws from the one random generator
        for key in sorted({(a, b, c) for a, b, c in zip(theme, tone, lang)}):
            mask = (theme == key[0]) & (tone == key[1]) & (lang == key[2])
            bank = P.BANK[key[0]][key[1]][key[2]]
            variants = [_variants(p) for p in bank] if key[2] == "ar" else [[p, p, p] for p in bank]
            idx = rng.integers(0, len(bank), mask.sum())
            var = rng.choice(3, size=mask.sum(), p=[0.9, 0.06, 0.04])
            picked = [variants[i][v] for i, v in zip(idx, var)]
            if self.varied:
                picked = self._in_own_words(picked, bank)
            out[mask] = picked
        greet = rng.choice(P.GREETINGS_AR, n)
        close_ar = rng.choice(P.CLOSINGS_AR, n)
        close_en = rng.choice(P.CLOSINGS_EN, n)
        nums = rng.integers(2, 40, n)
        out = np.array(
            [(g + t + c) if lg == "ar" else (t + e) for g, t, c, e, lg in zip(greet, out, close_ar, close_en, lang)],
            dtype=object,
        )
        has_n = np.array(["{n}" in t for t in out])
        out[has_n] = [t.replace("{n}", str(k)) for t, k in zip(out[has_n], nums[has_n])]
        return {"theme": theme, "tone": tone, "lang": lang, "text": out}

    def _in_own_words(self, phrases: list[str], bank: list[str]) -> list[str]:
        """Each phrase with two to six more words of its bank in it, in random places: texts that
        say the same things in their own words, nearly all different (real feedback repeats far
        less than the phrase banks do)."""
        rng = self.rng
        vocab = np.array(sorted({w for p in bank for w in p.split()}), dtype=object)
        extra = rng.integers(2, 7, len(phrases))
        words = vocab[rng.integers(0, len(vocab), int(extra.sum()))]
        where = rng.random(int(extra.sum()))
        out, k = [], 0
        for phrase, e in zip(phrases, extra):
            ws = phrase.split(" ")
            for w, r in zip(words[k : k + e], where[k : k + e]):
                ws.insert(int(r * (len(ws) + 1)), w)
            k += e
            out.append(" ".join(ws))
        return out

    def pii(self, text: np.ndarray, lang: np.ndarray, rate: float) -> np.ndarray:
        """Embed personal data in about ``rate`` of the texts; returns which kind went where."""
        rng = self.rng
        n = len(text)
        kind = np.full(n, "", dtype=object)
        hit = np.flatnonzero(rng.random(n) < rate)
        kinds = self.pick(len(hit), {"phone": 0.5, "national_id": 0.25, "email": 0.15, "iban": 0.1})
        kind[hit] = kinds
        for i, k in zip(hit, kinds):
            value = self.pii_value(k)
            if lang[i] == "ar":
                phrase = P.PII_PHRASES_AR[k][int(rng.integers(0, len(P.PII_PHRASES_AR[k])))]
                text[i] = f"{text[i]} - {phrase.format(v=value)}"
            else:
                text[i] = f"{text[i]} - contact me: {value}"
        return kind

    def pii_value(self, kind: str) -> str:
        rng = self.rng
        if kind == "phone":
            body = "".join(str(d) for d in rng.integers(0, 10, 8))
            form = int(rng.integers(0, 9))
            return [
                f"05{body}",
                f"+9665{body}",
                f"009665{body}",
                f"05{body[:1]} {body[1:4]} {body[4:]}",
                f"05{body[:1]}-{body[1:4]}-{body[4:]}",
                f"05{body}".translate(AR_DIGITS),
                f"05{body[:4]}\u200c{body[4:]}",
                f"011{body[:7]}",
                f"966 5{body[:2]} {body[2:5]} {body[5:]}",
            ][form]
        if kind == "national_id":
            digits = [int(rng.integers(1, 3))] + [int(d) for d in rng.integers(0, 10, 8)]
            nid = "".join(map(str, [*digits, _luhn_digit(digits)]))
            return nid.translate(AR_DIGITS) if rng.random() < 0.2 else nid
        if kind == "email":
            user = ["abdullah", "sara.m", "fahad_99", "noura.q", "m.alharbi", "reem2024"][int(rng.integers(0, 6))]
            dom = ["gmail.com", "hotmail.com", "outlook.sa", "yahoo.com"][int(rng.integers(0, 4))]
            return f"{user}{int(rng.integers(1, 999))}@{dom}"
        acct = "".join(str(d) for d in rng.integers(0, 10, 22))
        iban = f"SA{acct}"
        return " ".join(iban[i : i + 4] for i in range(0, 24, 4)) if rng.random() < 0.5 else iban

    def ratings(self, tone: np.ndarray, share: float) -> np.ndarray:
        rng = self.rng
        n = len(tone)
        by_tone = {
            "pos": [0.02, 0.02, 0.04, 0.17, 0.75],
            "neu": [0.08, 0.12, 0.45, 0.2, 0.15],
            "neg": [0.55, 0.2, 0.12, 0.05, 0.08],
        }  # a few five-star complaints, as in real stores
        r = np.zeros(n, dtype=np.int64)
        for t, p in by_tone.items():
            m = tone == t
            r[m] = rng.choice(5, size=m.sum(), p=p) + 1
        r[rng.random(n) >= share] = 0
        return r

    def replies(self, ts: np.ndarray, prof: Profile) -> np.ndarray:
        n = len(ts)
        if prof.answered <= 0:
            return np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
        hours = self.rng.lognormal(np.log(max(prof.reply_hours_median, 0.05)), 0.9, n)
        out = ts + (hours * 3600).astype("timedelta64[s]")
        out[(self.rng.random(n) >= prof.answered) | (out > self.now)] = np.datetime64("NaT")
        return out

    def moderation(
        self,
        ts: np.ndarray,
        pii_kind: np.ndarray,
        public: bool,
        offensive: np.ndarray | None = None,
        repeated: np.ndarray | None = None,
    ) -> tuple[np.ndarray, ...]:
        """Moderators' decisions: most personal data on public pages hidden (9), most offensive
        texts (2) and repeated submissions (7) deleted, a few other controls, recent ones pending."""
        rng = self.rng
        n = len(ts)
        status = np.full(n, "published", dtype=object)
        control = np.zeros(n, dtype=np.int64)
        if public:
            m = (pii_kind != "") & (rng.random(n) < 0.7)
            status[m], control[m] = "hidden", 9
        for mask, c in ((offensive, 2), (repeated, 7)):
            if mask is not None:
                m = mask & (rng.random(n) < 0.8)
                status[m], control[m] = "deleted", c
        u = rng.random(n)
        for lo, hi, st, c in [
            (0, 0.003, "hidden", 4),
            (0.003, 0.004, "deleted", 1),
            (0.004, 0.005, "hidden", 3),
            (0.005, 0.0055, "deleted", 6),
        ]:
            m = (u >= lo) & (u < hi)
            status[m], control[m] = st, c
        recent = ts > self.now - np.timedelta64(10, "D")
        pend = (recent & (rng.random(n) < 0.5)) | (rng.random(n) < 0.01)
        status[pend], control[pend] = "pending", 0
        hours = rng.lognormal(np.log(8), 1.0, n)
        at = ts + (hours * 3600).astype("timedelta64[s]")
        at[(status == "pending") | (at > self.now)] = np.datetime64("NaT")
        status[(status != "pending") & np.isnat(at)] = "pending"
        control[status == "pending"] = 0
        return status, control, at

    def repeats(self, text: np.ndarray, sender: np.ndarray, ts: np.ndarray, rate: float) -> np.ndarray:
        """The same sender sends (nearly) the same text again shortly after: control 7."""
        rng = self.rng
        n = len(text)
        rep = np.flatnonzero(rng.random(n) < rate)
        rep = rep[rep > 0]
        src = (rng.random(len(rep)) * rep).astype(np.int64)
        exact = rng.random(len(rep)) < 0.6
        text[rep] = [text[s] if e else text[s] + " !!" for s, e in zip(src, exact)]
        sender[rep] = sender[src]
        ts[rep] = ts[src] + rng.integers(60, 3 * 86400, len(rep)).astype("timedelta64[s]")
        ts[rep] = np.minimum(ts[rep], self.now)
        mark = np.zeros(n, dtype=bool)
        mark[rep] = True
        return mark

    def campaigns(self, text: np.ndarray, ts: np.ndarray, lang: np.ndarray, rate: float) -> None:
        """A few coordinated campaigns: many senders, near-identical text, a three-day window."""
        rng = self.rng
        n = len(text)
        for _i, campaign in enumerate(P.CAMPAIGNS):
            m = np.flatnonzero(rng.random(n) < rate)
            if not len(m):
                continue
            start = self.now - np.timedelta64(int(rng.integers(20, self.days - 5)), "D")
            ts[m] = start + rng.integers(0, 3 * 86400, len(m)).astype("timedelta64[s]")
            suffix = rng.choice(["", "", " #مطلب_شعبي", " 🙏", " .", " نرجو الاستجابة"], len(m))
            text[m] = [campaign + s for s in suffix]
            lang[m] = "en" if campaign.startswith("We ") else "ar"

    def senders(self, n: int, kind: str, pool: float = 0.45) -> np.ndarray:
        size = max(1, int(n * pool))
        ids = self.rng.integers(0, size, n)
        if kind == "phone":
            base = self.rng.integers(10_000_000, 99_999_999, size)
            return np.array([f"05{base[i]:08d}" for i in ids], dtype=object)
        if kind == "email":
            return np.array([f"user{i}@example-mail.sa" for i in ids], dtype=object)
        if kind == "handle":
            return np.array([f"@citizen_{i}" for i in ids], dtype=object)
        return np.array([f"R{i:08d}" for i in ids], dtype=object)


def _luhn_digit(digits: list[int]) -> int:
    total = 0
    for i, d in enumerate(digits):
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return (10 - total % 10) % 10


def _variants(phrase: str) -> list[str]:
    """Plain, with diacritics, and with tatweel: the three ways the same words arrive."""
    marks = ["\u064e", "\u064f", "\u0650", "\u0651"]
    diac, k = [], 0
    for ch in phrase:
        diac.append(ch)
        if "\u0621" <= ch <= "\u064a" and ch not in "اىو":
            k += 1
            if k % 3 == 0:
                diac.append(marks[k % 4])
    words = phrase.split(" ")
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    w = words[longest]
    if len(w) > 3 and all("\u0621" <= c <= "\u064a" for c in w[:2]):
        words[longest] = w[0] + "\u0640\u0640\u0640" + w[1:]
    return [phrase, "".join(diac), " ".join(words)]


def _offensive(text: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    m = rng.random(len(text)) < rate
    text[m] = [f"{t} {rng.choice(P.OFFENSIVE)}" for t in text[m]]
    return m


# -- formatting ------------------------------------------------------------------------------
def _parts(ts: np.ndarray) -> Iterable[tuple[int, int, int, int, int, int, int, bool]]:
    nat = np.isnat(ts)
    safe = np.where(nat, np.datetime64("2000-01-01T00:00:00"), ts)
    days = safe.astype("datetime64[D]")
    y = days.astype("datetime64[Y]").astype(int) + 1970
    m = days.astype("datetime64[M]").astype(int) % 12 + 1
    d = (days - days.astype("datetime64[M]")).astype(int) + 1
    sec = (safe - days).astype(int)
    wd = (days.astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    return zip(
        y.tolist(),
        m.tolist(),
        d.tolist(),
        (sec // 3600).tolist(),
        (sec // 60 % 60).tolist(),
        (sec % 60).tolist(),
        wd.tolist(),
        nat.tolist(),
    )


def fmt(ts: np.ndarray, kind: str) -> list[str]:
    f: dict[str, Callable[..., str]] = {
        "dmy": lambda y, m, d, H, M, S, w: f"{d:02d}/{m:02d}/{y} {H:02d}:{M:02d}",
        "iso_z": lambda y, m, d, H, M, S, w: f"{y}-{m:02d}-{d:02d}T{H:02d}:{M:02d}:{S:02d}Z",
        "iso_local": lambda y, m, d, H, M, S, w: f"{y}-{m:02d}-{d:02d}T{H:02d}:{M:02d}:{S:02d}+03:00",
        "sql": lambda y, m, d, H, M, S, w: f"{y}-{m:02d}-{d:02d} {H:02d}:{M:02d}:{S:02d}",
        "rfc2822": lambda y, m, d, H, M, S, w: (
            f"{WEEKDAYS[w]}, {d:02d} {MONTHS[m - 1]} {y} {H:02d}:{M:02d}:{S:02d} +0300"
        ),
        "hm": lambda y, m, d, H, M, S, w: f"{H:02d}:{M:02d}",
    }[kind]
    return ["" if nat else f(y, m, d, H, M, S, w) for y, m, d, H, M, S, w, nat in _parts(ts)]


def _utc(ts: np.ndarray) -> np.ndarray:
    return ts - np.timedelta64(3, "h")


# -- writers -----------------------------------------------------------------------------------
def _write_csv(path: Path, header: list[str], rows: Iterable[list], encoding: str, delimiter: str = ",") -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    data = buf.getvalue()
    raw = data.encode(encoding, errors="strict")
    path.write_bytes(raw)
    return len(raw)


_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="البلاغات" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def _xml(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(v: object) -> str:
    if isinstance(v, int):
        return f"<c><v>{v}</v></c>"
    return f'<c t="inlineStr"><is><t xml:space="preserve">{_xml(str(v))}</t></is></c>' if v != "" else "<c/>"


def _write_xlsx(path: Path, header: list[str], rows: list[list]) -> None:
    """One right-to-left sheet of inline strings, as CRM systems export it.

    xlsxwriter spends about 25 µs a cell (over a minute for a million rows); this writes the same
    SpreadsheetML directly, with fixed zip timestamps so the bytes depend on the data alone.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join("<row>" + "".join(_cell(v) for v in row) + "</row>" for row in [header, *rows])
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetViews><sheetView rightToLeft="1" workbookViewId="0"/></sheetViews>'
        f"<sheetData>{body}</sheetData></worksheet>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, xml in [*_XLSX_PARTS.items(), ("xl/worksheets/sheet1.xml", sheet)]:
            z.writestr(
                zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)),
                xml.encode("utf-8"),
                compress_type=zipfile.ZIP_DEFLATED,
                compresslevel=1,
            )


def _malformed(n: int, rng: np.random.Generator, share: float = 0.0005) -> np.ndarray:
    k = max(3, int(n * share)) if n >= 50 else 0
    return rng.choice(n, size=min(k, n), replace=False) if k else np.array([], dtype=np.int64)


def _reexport(n: int, rng: np.random.Generator, share: float = 0.002) -> np.ndarray:
    """Indexes of rows an overlapping export window carries twice (same record, same id)."""
    k = int(n * share)
    return np.sort(rng.choice(n, size=k, replace=False)) if k else np.array([], dtype=np.int64)


def gen_call_center(g: Gen, n: int, out: Path) -> list[Path]:
    prof = PROFILES["call_center"]
    rng = g.rng
    ts = g.timestamps(n, prof)
    t = g.texts(n, prof)
    text, lang = t["text"], t["lang"]
    sender = g.senders(n, "phone")
    repeated = g.repeats(text, sender, ts, 0.02)
    pii = g.pii(text, lang, prof.pii_rate)
    offensive = _offensive(text, 0.004, rng)
    order = np.argsort(ts, kind="stable")
    ts, text, sender, pii, tone = ts[order], text[order], sender[order], pii[order], t["tone"][order]
    rating = g.ratings(tone, prof.rating_share)
    status, control, mod_at = g.moderation(ts, pii, public=False, offensive=offensive[order], repeated=repeated[order])
    reply = g.replies(ts, prof)
    ivr = rng.random(n) < 0.08
    region = g.pick(n, {r[0]: r[1] for r in REGIONS})
    spell = {r[0]: r[2] for r in REGIONS}
    region_txt = [spell[r][k % len(spell[r])] for r, k in zip(region, rng.integers(0, 9, n))]
    ben = g.pick(n, [b[1] for b in BENEFICIARIES], [b[2] for b in BENEFICIARIES])
    when, mod_s, reply_s = fmt(ts, "dmy"), fmt(mod_at, "dmy"), fmt(reply, "dmy")
    arabic_digits = rng.random(n) < 0.05
    years = ts.astype("datetime64[Y]").astype(int) + 1970
    bad = set(_malformed(n, rng).tolist())
    header = [
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
    ]
    rows_by_year: dict[int, list[list]] = {}
    seq: dict[int, int] = {}
    for i in range(n):
        y = int(years[i])
        seq[y] = seq.get(y, 0) + 1
        row = [
            f"CC-{y}-{seq[y]:07d}",
            when[i].translate(AR_DIGITS) if arabic_digits[i] else when[i],
            "الرد الآلي" if ivr[i] else "اتصال هاتفي 1909",
            sender[i],
            region_txt[i],
            ben[i],
            text[i],
            int(rating[i]) if rating[i] else "",
            STATUS_AR[status[i]],
            int(control[i]) if control[i] else "",
            mod_s[i],
            reply_s[i],
        ]
        if i in bad:  # the mistakes real exports carry
            k = i % 4
            if k == 0:
                row[1] = "31/02/" + str(y) + " 10:00"
            elif k == 1:
                row[7] = 7
            elif k == 2:
                row[4] = "منطقة غير معروفة"
            else:
                row[1] = ""
        rows_by_year.setdefault(y, []).append(row)
    paths = []
    for y, rows in sorted(rows_by_year.items()):
        for j in _reexport(len(rows), rng):
            rows.append(list(rows[j]))
        p = out / "call_center" / f"crm_export_1909_{y}.xlsx"
        _write_xlsx(p, header, rows)
        paths.append(p)
    return paths


def gen_website(g: Gen, n: int, out: Path) -> list[Path]:
    prof = PROFILES["website"]
    rng = g.rng
    ts = g.timestamps(n, prof)
    t = g.texts(n, prof)
    text, lang = t["text"], t["lang"]
    sender = g.senders(n, "email")
    repeated = g.repeats(text, sender, ts, 0.02)
    pii = g.pii(text, lang, prof.pii_rate)
    offensive = _offensive(text, 0.006, rng)
    form = g.pick(n, {"تعليق على صفحة": 0.6, "التواصل مع الرئيس العام": 0.15, "اتصل بنا": 0.25})
    portal = np.where(rng.random(n) < 0.15, "بوابة الخدمات الذاتية", "الموقع الإلكتروني")
    rating = g.ratings(t["tone"], prof.rating_share)
    rating[form != "تعليق على صفحة"] = 0
    status, control, _mod_at = g.moderation(ts, pii, public=True, offensive=offensive, repeated=repeated)
    reply = g.replies(ts, prof)
    region = g.pick(n, {r[2][0]: r[1] for r in REGIONS})
    region[rng.random(n) < 0.3] = ""
    ben = g.pick(n, [b[1] for b in BENEFICIARIES], [b[2] for b in BENEFICIARIES])
    day = (ts.astype("datetime64[D]") - np.datetime64(g.start, "D")).astype(int)
    rday = np.where(np.isnat(reply), -1, (reply.astype("datetime64[D]") - np.datetime64(g.start, "D")).astype(int))
    hm = fmt(ts, "hm")
    pages = ["/ar/services", "/ar/awareness", "/ar/about", "/en/services", "/ar/contact", "/ar/news"]
    email = np.where(rng.random(n) < 0.6, sender, "")
    bad = set(_malformed(n, rng).tolist())
    rows = []
    for i in range(n):
        body = text[i].encode("cp1256", errors="ignore").decode("cp1256").strip()
        row = [
            f"WEB-{i + 1:07d}",
            form[i],
            portal[i],
            pages[i % len(pages)],
            g.hijri[day[i]],
            hm[i],
            body,
            int(rating[i]) if rating[i] else "",
            email[i],
            region[i],
            ben[i],
            STATUS_AR[status[i]],
            int(control[i]) if control[i] else "",
            g.hijri[rday[i]] if rday[i] >= 0 and rday[i] < g.days else "",
        ]
        if i in bad:
            k = i % 3
            if k == 0:
                row = row[:5]  # a truncated line
            elif k == 1:
                row[4] = "1447/13/40"
            else:
                row[7] = "ممتاز"
        rows.append(row)
    for j in _reexport(n, rng):
        rows.append(list(rows[j]))
    p = out / "website" / "comments_export.csv"
    _write_csv(
        p,
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
        rows,
        "cp1256",
    )
    return [p]


def gen_social(g: Gen, n: int, out: Path) -> list[Path]:
    prof = PROFILES["social"]
    rng = g.rng
    ts = g.timestamps(n, prof)
    t = g.texts(n, prof)
    text, lang = t["text"], t["lang"]
    sender = g.senders(n, "handle", pool=0.6)
    repeated = g.repeats(text, sender, ts, 0.015)
    g.campaigns(text, ts, lang, 0.004)
    pii = g.pii(text, lang, prof.pii_rate)
    offensive = _offensive(text, 0.01, rng)
    status, control, mod_at = g.moderation(ts, pii, public=True, offensive=offensive, repeated=repeated)
    reply = g.replies(ts, prof)
    platform = g.pick(n, {"x": 0.5, "instagram": 0.2, "snapchat": 0.1, "youtube": 0.1, "tiktok": 0.1})
    unofficial = rng.random(n) < 0.03
    media = rng.random(n)
    c_ts, c_mod, c_rep = fmt(_utc(ts), "iso_z"), fmt(_utc(mod_at), "iso_z"), fmt(_utc(reply), "iso_z")
    bad = set(_malformed(n, rng).tolist())
    lines = []
    for i in range(n):
        rec = {
            "id": f"{1700000000000000000 + i * 7919}",
            "platform": platform[i],
            "account_type": "unofficial" if unofficial[i] else "official",
            "created_at": c_ts[i],
            "lang": lang[i] if i % 5 else None,
            "text": text[i],
            "user": {"handle": sender[i]},
            "media": (
                [{"type": "image", "name": f"IMG_{i}.jpg"}]
                if media[i] < 0.1
                else [{"type": "file", "name": "tool.exe"}]
                if media[i] > 0.998
                else []
            ),
            "moderation": {"status": status[i], "control": int(control[i]) or None, "at": c_mod[i] or None},
            "reply": {"at": c_rep[i]} if c_rep[i] else None,
        }
        line = json.dumps(rec, ensure_ascii=False, sort_keys=True)
        if i in bad:
            line = line[: len(line) // 2] if i % 2 else line.replace(c_ts[i], "yesterday")
        lines.append(line)
    for j in _reexport(n, rng):
        lines.append(lines[j])
    p = out / "social_media" / "mentions.jsonl"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return [p]


def gen_email(g: Gen, n: int, out: Path) -> list[Path]:
    prof = PROFILES["email"]
    rng = g.rng
    ts = g.timestamps(n, prof)
    t = g.texts(n, prof)
    text, lang = t["text"], t["lang"]
    sender = g.senders(n, "email")
    g.repeats(text, sender, ts, 0.03)
    g.campaigns(text, ts, lang, 0.003)
    pii = g.pii(text, lang, prof.pii_rate)
    status, control, _mod_at = g.moderation(ts, pii, public=False)
    reply = g.replies(ts, prof)
    to = g.pick(n, {"info@pv.gov.sa": 0.6, "president@pv.gov.sa": 0.25, "contact@pv.gov.sa": 0.15})
    att = rng.random(n)
    names = ["شكوى.pdf", "صورة_الموقع.jpg", "report.docx", "screenshot.png"]
    c_ts, c_rep = fmt(ts, "rfc2822"), fmt(reply, "rfc2822")
    subj = {"ar": "ملاحظة على الخدمات", "en": "Feedback"}
    bad = set(_malformed(n, rng).tolist())
    rows = []
    for i in range(n):
        a = "" if att[i] < 0.8 else (names[i % 4] if att[i] < 0.95 else f"{names[i % 4]};{names[(i + 1) % 4]}")
        if att[i] > 0.997:
            a = "setup.exe;invoice.js"
        row = [
            f"<{i + 1:08d}.{int(ts[i].astype(int)) % 99991}@mail.pv.gov.sa>",
            c_ts[i],
            sender[i],
            to[i],
            subj[lang[i]],
            text[i],
            a,
            lang[i],
            status[i],
            int(control[i]) if control[i] else "",
            c_rep[i],
        ]
        if i in bad:
            row[1] = "not a date" if i % 2 else ""
        rows.append(row)
    for j in _reexport(n, rng):
        rows.append(list(rows[j]))
    p = out / "email" / "inbox_export.csv"
    _write_csv(
        p,
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
        rows,
        "utf-8-sig",
    )
    return [p]


def gen_app_reviews(g: Gen, n: int, out: Path) -> list[Path]:
    prof = PROFILES["app_reviews"]
    rng = g.rng
    ts = g.timestamps(n, prof)
    t = g.texts(n, prof)
    text, lang = t["text"], t["lang"]
    g.pii(text, lang, prof.pii_rate)
    _offensive(text, 0.005, rng)
    rating = g.ratings(t["tone"], 1.0)
    reply = g.replies(ts, prof)
    store = np.where(rng.random(n) < 0.7, "google_play", "app_store")
    ver = rng.choice(["3.2.0", "3.3.1", "3.4.0", "4.0.2"], n)
    c_ts, c_rep = fmt(_utc(ts), "sql"), fmt(_utc(reply), "sql")
    hexid = rng.integers(0, 2**62, n)
    bad = set(_malformed(n, rng).tolist())
    rows = []
    for i in range(n):
        thumbs = int(rng.integers(0, 30)) if i % 7 == 0 else 0
        row = [
            f"{hexid[i]:016x}-{i:06d}",
            store[i],
            text[i],
            int(rating[i]),
            thumbs,
            ver[i],
            c_ts[i],
            "شكراً لمشاركتنا رأيك" if c_rep[i] else "",
            c_rep[i],
        ]
        if i in bad:
            row[3] = "٦" if i % 2 else "five"
        rows.append(row)
    for j in _reexport(n, rng):
        rows.append(list(rows[j]))
    p = out / "app_reviews" / "store_reviews.csv"
    _write_csv(
        p,
        ["reviewId", "store", "content", "score", "thumbsUpCount", "appVersion", "at", "replyContent", "repliedAt"],
        rows,
        "utf-8",
    )
    return [p]


def gen_polls(g: Gen, n: int, out: Path) -> list[Path]:
    prof = PROFILES["polls"]
    rng = g.rng
    ts = g.timestamps(n, prof)
    t = g.texts(n, prof)
    poll = rng.integers(0, len(P.POLLS), n)
    comment = np.where(rng.random(n) < 0.2, t["text"], "")
    pii = g.pii(comment, t["lang"], prof.pii_rate)
    del pii
    scale = g.ratings(t["tone"], 1.0)
    choice = rng.choice(P.CHOICES, n)
    respondent = g.senders(n, "token", pool=0.8)
    region = g.pick(n, {r[0]: r[1] for r in REGIONS})
    c_ts = fmt(ts, "iso_local")
    bad = set(_malformed(n, rng).tolist())
    rows = []
    for i in range(n):
        pid, platform, kind, question, qtype = P.POLLS[poll[i]]
        answer = str(scale[i]) if qtype == "scale" else choice[i]
        row = [f"PR-{i + 1:08d}", platform, kind, pid, question, respondent[i], answer, comment[i], c_ts[i], region[i]]
        if i in bad:
            row[1] = "unknown_platform" if i % 2 else platform
            row[8] = row[8] if i % 2 else "2031-01-01T10:00:00+03:00"
        rows.append(row)
    p = out / "polls" / "tafaul_istitlaa_answers.csv"
    _write_csv(
        p,
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
        rows,
        "utf-8",
    )
    return [p]


def gen_actions(g: Gen, out: Path) -> list[Path]:
    rng = g.rng
    rows = []
    statuses = ["done", "done", "in_progress", "approved", "proposed", "dropped"]
    for i, (theme, tar, ten, dar, den) in enumerate(P.ACTIONS):
        st = statuses[i % len(statuses)]
        proposed = g.start + dt.timedelta(days=int(rng.integers(30, g.days - 120)))
        approved = proposed + dt.timedelta(days=int(rng.integers(5, 40))) if st != "proposed" else None
        started = (
            approved + dt.timedelta(days=int(rng.integers(5, 30)))
            if approved and st in ("in_progress", "done")
            else None
        )
        done = started + dt.timedelta(days=int(rng.integers(10, 90))) if started and st == "done" else None
        if done and done > g.end:
            done = g.end
        rows.append(
            [
                f"IA-{proposed.year}-{i + 1:03d}",
                tar,
                ten,
                dar,
                den,
                theme,
                P.UNITS[i % len(P.UNITS)],
                st,
                proposed.isoformat(),
                approved.isoformat() if approved else "",
                started.isoformat() if started else "",
                done.isoformat() if done else "",
                "نعم" if st in ("done", "in_progress") and i % 5 else "لا",
                theme,
            ]
        )
    rows.append(
        [
            "IA-BAD-1",
            "إجراء بحالة غير معروفة",
            "Unknown status",
            "",
            "",
            "usability",
            P.UNITS[0],
            "maybe",
            g.end.isoformat(),
            "",
            "",
            "",
            "نعم",
            "usability",
        ]
    )
    p = out / "actions" / "improvement_actions.csv"
    _write_csv(
        p,
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
        rows,
        "utf-8",
    )
    return [p]


CANONICAL_HEADER = [
    "source_record_id",
    "channel",
    "tool",
    "submitted_at",
    "text",
    "rating",
    "language",
    "region",
    "beneficiary_type",
    "sender",
    "attachment_names",
    "moderation_status",
    "moderation_control",
    "moderated_at",
    "responded_at",
]
_CANONICAL_CHANNELS = {  # profile -> (channel, tool)
    "call_center": ("contact_center", "direct_contact"),
    "website": ("website", "page_comment_rating"),
    "social": ("social_media", "page_comment_rating"),
    "email": ("email", "direct_contact"),
    "app_reviews": ("mobile_app", "page_comment_rating"),
    "polls": ("platform", "poll"),
}


def gen_canonical(g: Gen, rows: int, out: Path) -> list[Path]:
    """Every channel's participations in the documented import template (canonical/*.csv, UTF-8):
    the same content as the channel exports, for benchmarks against a plain CSV read."""
    rng = g.rng
    shares = np.array([PROFILES[k].share for k in _CANONICAL_CHANNELS])
    counts = np.floor(shares / shares.sum() * rows).astype(int)
    counts[0] += rows - counts.sum()
    body: list[list] = []
    for (name, (channel, tool)), n in zip(_CANONICAL_CHANNELS.items(), counts):
        n = int(n)
        if not n:
            continue
        prof = PROFILES[name]
        ts = g.timestamps(n, prof)
        t = g.texts(n, prof)
        text, lang = t["text"], t["lang"]
        sender = g.senders(n, "email" if name in ("website", "email") else "phone")
        g.repeats(text, sender, ts, 0.02)
        if name == "social":
            g.campaigns(text, ts, lang, 0.004)
        pii = g.pii(text, lang, prof.pii_rate)
        _offensive(text, 0.005, rng)
        rating = g.ratings(t["tone"], prof.rating_share)
        status, control, mod_at = g.moderation(ts, pii, public=name in ("website", "social", "app_reviews"))
        reply = g.replies(ts, prof)
        region = g.pick(n, {r[0]: r[1] for r in REGIONS})
        ben = g.pick(n, [b[1] for b in BENEFICIARIES], [b[0] for b in BENEFICIARIES])
        att = np.where(rng.random(n) < 0.05, "صورة.jpg", "")
        when, mod_s, rep_s = fmt(ts, "sql"), fmt(mod_at, "sql"), fmt(reply, "sql")
        prefix = name.upper()[:3]
        for i in range(n):
            body.append(
                [
                    f"{prefix}-{i + 1:08d}",
                    channel,
                    tool,
                    when[i],
                    text[i],
                    int(rating[i]) if rating[i] else "",
                    "",
                    region[i],
                    ben[i],
                    sender[i] if name != "app_reviews" else "",
                    att[i],
                    status[i],
                    int(control[i]) if control[i] else "",
                    mod_s[i],
                    rep_s[i],
                ]
            )
    p = out / "canonical" / "participations.csv"
    _write_csv(p, CANONICAL_HEADER, body, "utf-8")
    return [p]


GENERATORS = {
    "call_center": gen_call_center,
    "website": gen_website,
    "social": gen_social,
    "email": gen_email,
    "app_reviews": gen_app_reviews,
    "polls": gen_polls,
}


def last_whole_day() -> dt.date:
    """Yesterday in Riyadh: the default last day generated. Every time of a day is written (up to
    23:59:59), so generating up to today would date participations later than now."""
    return riyadh_now().date() - dt.timedelta(days=1)


def generate(
    rows: int,
    out: Path,
    seed: int = 42,
    end: dt.date | None = None,
    progress: Callable[[str, int], None] | None = None,
    canonical: bool = False,
    varied: bool = False,
) -> list[Path]:
    """Write demo exports for about ``rows`` participations into ``out``; returns the files written.

    ``canonical``: one file in the import template instead of each channel's own format.
    ``varied``: each text says its phrase in its own words (a few more words of the same theme and
    tone), so nearly every text differs, as in real feedback; without it most texts repeat a
    phrase from the banks word for word.
    """
    if rows < 0:
        raise ValueError("--rows must be zero or more")
    end = end or last_whole_day()
    g = Gen(seed, end, varied=varied)
    if canonical:
        paths = gen_canonical(g, rows, out)
        if progress:
            progress("canonical", rows)
        return paths
    shares = np.array([PROFILES[k].share for k in GENERATORS])
    counts = np.floor(shares / shares.sum() * rows).astype(int)
    counts[0] += rows - counts.sum()
    paths: list[Path] = []
    for (name, fn), n in zip(GENERATORS.items(), counts):
        paths += fn(g, int(n), out)
        if progress:
            progress(name, int(n))
    paths += gen_actions(g, out)
    return paths
