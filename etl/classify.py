"""Themes and sentiment, by rules an analyst can read and adjust (data/reference/*.csv).

Both work on normalised text (``etl.text.normalise``) and run once per distinct text, so the many
identical short texts ("ممتاز", "شكرا") cost one evaluation.

Themes: weighted keyword stems per theme (theme_keywords.csv), matched at the start of a word after
the clitics و ف ب ل ك and the article ال; the theme with the most weight wins, its confidence is its
share of the weight. An analyst's overrides file (participation id -> theme) wins over the rules.

Sentiment: a lexicon of words, phrases and emoji with polarities (sentiment_lexicon.csv) and
modifiers (sentiment_modifiers.csv): negators flip the next polar word ("ما عجبني", "مو زين",
"not good"), intensifiers strengthen it ("ممتاز جدا", "very slow"), a contrast ("بس", "لكن", "but")
makes what follows count twice and what precedes count half, neutral markers ("تمام", "لا بأس") and
questions pull towards neutral, and letters stretched for emphasis ("ممتااااز") are folded. The
rating is a feature, never the answer: it tips only texts whose words say nothing.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from contextlib import suppress
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl.model import MODEL_PATH, ModelError
from etl.model import model as sentiment_model
from etl.parallel import in_chunks, over_slices
from etl.text import code_points, int_array, large_strings, memo_rows, normalise_py, numbers, pieces

CLITICS = r"(?:و|ف|ب|ل|ك)?(?:ال|لل)?"
_STRETCH = re.compile(r"(\w)\1{2,}")
_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD = re.compile(r"\w+")


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [r for r in csv.DictReader(fh) if any((v or "").strip() for v in r.values())]


def fold(text: str) -> str:
    """Normalised text with stretched letters folded: "ممتاااااز" -> "ممتاز"."""
    return _STRETCH.sub(r"\1", text).replace("\ufe0f", "")


def may_fold(texts: pa.Array) -> np.ndarray:
    """Which of ``texts`` ``fold`` may change: a character three times in a row, or U+FE0F. Found
    for the whole column in numpy; most texts have neither and skip fold's regex."""
    codes, lengths = code_points(texts)
    ends = np.cumsum(lengths)
    triple = np.flatnonzero((codes[2:] == codes[1:-1]) & (codes[1:-1] == codes[:-2]))
    text_of = np.searchsorted(ends, triple, side="right")  # the text the run starts in
    hit = np.zeros(len(lengths), dtype=bool)
    hit[text_of[triple + 2 < ends[text_of]]] = True  # all three in that text
    hit[np.searchsorted(ends, np.flatnonzero(codes == 0xFE0F), side="right")] = True
    return hit


# -- term lists ----------------------------------------------------------------------------------
def longest_of(terms: Iterable[str]) -> str:
    """A regex matching the longest of ``terms`` that fits, written as a trie ("الخدم(?:ه|ات)"):
    the same matches as the terms listed longest first, but Python's engine tries one branch per
    letter instead of every term at every word (half the time of the themes' matching)."""
    trie: dict = {}
    for term in set(terms):
        if term:
            node = trie
            for ch in term:
                node = node.setdefault(ch, {})
            node[""] = {}  # a term ends here

    def build(node: dict) -> str:
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body  # longer terms first, then the one ending here

    return build(trie)


def term_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One regex finding any of ``terms`` (normalised) at the start of a word, after clitics."""
    alternation = longest_of(terms)
    return re.compile(rf"(?:^|(?<=[^\w]))(?:{CLITICS})({alternation})") if alternation else None


@dataclass
class TermList:
    """A list of terms from a reference CSV (column ``term``), matched like theme keywords."""

    pattern: re.Pattern[str] | None
    terms: tuple[str, ...] = ()  # normalised and folded

    @classmethod
    def load(cls, path: Path) -> TermList:
        terms = tuple(t for t in (fold(normalise_py(r["term"])) for r in _read(path)) if t)
        return cls(term_pattern(terms), terms)

    def first(self, text: str, folded: bool = False) -> str | None:
        if not text or self.pattern is None:
            return None
        m = self.pattern.search(text if folded else fold(text))
        return m.group(1) if m else None

    def candidates(self, texts: pa.Array) -> np.ndarray:
        """Which of ``texts`` (normalised, not folded) ``first`` may find a term in: one RE2 pass
        over the column for the terms' letters in a row, each letter's run (what ``fold`` shortens)
        and U+FE0F (what it drops) allowed; word starts and clitics are left to ``first``."""
        return may_contain(texts, self.terms)


def may_contain(texts: pa.Array, terms: Iterable[str]) -> np.ndarray:
    """Which of ``texts`` (normalised, not folded) may hold one of ``terms`` (folded) once folded:
    one RE2 pass over the column for each term's letters in a row, each letter's run (what ``fold``
    shortens) and U+FE0F (what it drops) allowed."""
    runs = "|".join("".join(f"{re.escape(c)}[{re.escape(c)}\\x{{fe0f}}]*" for c in t) for t in terms)
    return _may_match(texts, runs) if runs else np.zeros(len(texts), dtype=bool)


@dataclass
class PatternList:
    """Regular expressions (column ``pattern``, with an ``id``) over normalised text: control 6."""

    patterns: list[tuple[str, re.Pattern[str]]]

    @classmethod
    def load(cls, path: Path) -> PatternList:
        return cls([(r["id"], re.compile(r["pattern"], re.IGNORECASE)) for r in _read(path)])

    def first(self, text: str) -> str | None:
        for rule_id, pattern in self.patterns:
            if text and pattern.search(text):
                return rule_id
        return None

    def candidates(self, texts: pa.Array) -> np.ndarray:
        """Which of ``texts`` may match a pattern (``first`` need not look at the others): one
        RE2 pass over the whole column, with each pattern widened by ``re2_superset``, rules out
        texts that match none. Texts with a character outside UNCASED_RANGES (where Python's and
        RE2's case-insensitive matching may differ), and every text when a pattern cannot be
        widened, stay candidates."""
        widened = [re2_superset(p.pattern) for _, p in self.patterns]
        if not self.patterns or None in widened:
            return np.full(len(texts), bool(self.patterns))
        combined = "(?i)" + "|".join(f"(?:{w})" for w in widened)
        return _may_match(texts, combined) | _may_match(texts, _OUTSIDE_UNCASED)


def _may_match(texts: pa.Array, regex: str) -> np.ndarray:
    """Whether each text matches ``regex`` (RE2, Arrow); a null text may match anything."""
    return pc.fill_null(pc.match_substring_regex(texts, regex), True).to_numpy(zero_copy_only=False)


# ASCII, and blocks without a cased character (a test checks): Arabic, general punctuation,
# arrows to box drawing (not the enclosed letters), variation selectors, emoji.
UNCASED_RANGES = (
    (0x600, 0x6FF),
    (0x2000, 0x206F),
    (0x2190, 0x245F),
    (0x2500, 0x2BFF),
    (0xFE00, 0xFE0F),
    (0x1F000, 0x1FAFF),
)
_OUTSIDE_UNCASED = "[^\\x00-\\x7f" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in UNCASED_RANGES) + "]"
# Python's classes (str patterns) in RE2, as wide or wider: \d is Unicode category Nd; \w is what
# str.isalnum() accepts, and _ (marks added); \s is what str.isspace() accepts.
_WIDE_CLASS = {"d": r"\p{Nd}", "w": r"\p{L}\p{N}\p{M}_", "s": r"\s\p{Z}\x{1c}-\x{1f}\x{85}"}
_PLAIN_ESCAPES = set("nrtfva") | set(".^$*+?{}[]()|\\/-#&~ '\"<>=:,!@%;`")


def re2_superset(pattern: str) -> str | None:
    """An RE2 pattern (used with (?i)) that matches every text of ASCII and UNCASED_RANGES
    characters that ``pattern`` (Python, re.IGNORECASE) matches, and maybe more: word boundaries
    are dropped, Python's Unicode classes are written out, $ also takes a final newline. None for
    what RE2 has no equal of or this does not read (look-arounds, back-references, inline flags,
    \\N{...}, a cased letter outside ASCII: the two engines fold case differently)."""
    if any(ch.lower() != ch or ch.upper() != ch for ch in pattern if not ch.isascii()):
        return None
    out: list[str] = []
    i, n = 0, len(pattern)

    def escape(e: str, in_class: bool, negated: bool) -> str | None:
        if e in _WIDE_CLASS:
            if not in_class:
                return f"[{_WIDE_CLASS[e]}]"
            return "\\" + e if negated else _WIDE_CLASS[e]  # RE2's ASCII sense: a narrower exclusion
        if e in "DWS":
            return None if negated else "\\" + e  # RE2's ASCII sense excludes less
        if e in _PLAIN_ESCAPES:
            return "\\" + e
        return None

    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                return None
            e = pattern[i + 1]
            i += 2
            if e in "bB":
                continue  # an assertion dropped: more matches, never fewer
            if e == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", pattern[i : i + 2]):
                out.append(f"\\x{{{pattern[i : i + 2]}}}")
                i += 2
                continue
            if e in "uU":
                digits = 4 if e == "u" else 8
                if not re.fullmatch(f"[0-9A-Fa-f]{{{digits}}}", pattern[i : i + digits]):
                    return None
                out.append(f"\\x{{{pattern[i : i + digits]}}}")
                i += digits
                continue
            piece = escape(e, False, False)
            if piece is None:
                return None
            out.append(piece)
        elif c == "[":
            j = i + 1
            negated = pattern[j : j + 1] == "^"
            j += negated
            members = []
            first = True
            while j < n and (pattern[j] != "]" or first):
                first = False
                if pattern[j] == "\\":
                    if j + 1 >= n or pattern[j + 1] in "bBuUxN" or pattern[j + 1].isdigit():
                        return None
                    piece = escape(pattern[j + 1], True, negated)
                    if piece is None:
                        return None
                    members.append(piece)
                    j += 2
                elif pattern[j] == "[":
                    return None  # POSIX classes in RE2, a literal [ in Python
                else:
                    members.append(re.escape(pattern[j]) if pattern[j] not in "-" else "-")
                    j += 1
            if j >= n:
                return None
            out.append("[" + "^" * negated + "".join(members) + "]")
            i = j + 1
        elif c == "(" and pattern[i + 1 : i + 2] == "?":
            if pattern[i + 2 : i + 3] == ":" or pattern[i + 2 : i + 4] == "P<":
                out.append(c)
                i += 1
            else:
                return None  # look-arounds, back-references, inline flags, comments, atomic groups
        elif c == "$":
            out.append("(?:\\n?\\z)")
            i += 1
        elif c == "{" and pattern[i + 1 : i + 2] == ",":
            return None  # {,n}: Python's, not RE2's
        else:
            out.append(c)
            i += 1
    widened = "".join(out)
    try:
        pc.match_substring_regex(pa.array([""], pa.string()), "(?i)" + widened)
    except pa.ArrowInvalid:
        return None
    return widened


# -- themes ------------------------------------------------------------------------------------
PRAISE = "thanks_praise"  # the theme of praise and thanks: a subject named beside it wins
TOKENS_REMEMBERED = 200_000  # per cache and process: about 30 MB


def remember(cache: dict, token: str, value: object) -> None:
    """``cache[token] = value``; a full cache starts again, so that the long tail of words in real
    feedback (names, misspellings) cannot grow a rule worker without bound."""
    if len(cache) >= TOKENS_REMEMBERED:
        cache.clear()
    cache[token] = value


@dataclass
class ThemeRules:
    keywords: dict[str, list[tuple[str, float]]]  # normalised keyword -> [(theme, weight)]
    pattern: re.Pattern[str] | None
    _words: dict[str, list[tuple[str, float]]] = field(default_factory=dict, repr=False)  # token -> its hits

    @classmethod
    def load(cls, reference_dir: Path) -> ThemeRules:
        keywords: dict[str, list[tuple[str, float]]] = {}
        for row in _read(reference_dir / "theme_keywords.csv"):
            kw = fold(normalise_py(row["keyword"]))
            if kw:
                keywords.setdefault(kw, []).append((row["theme"].strip(), float(row.get("weight") or 1)))
        return cls(keywords, term_pattern(keywords))

    def spanning(self, texts: pa.Array) -> np.ndarray:
        """Which of ``texts`` may hold a keyword that is not one word ("مركز الاتصال", "log in"):
        ``theme`` must read those whole; the others it may read word by word."""
        return may_contain(texts, (k for k in self.keywords if not _WORD.fullmatch(k)))

    def theme(self, text: str, folded: bool = False, split: list[str] | None = None) -> tuple[str, float]:
        """(theme, confidence) of a normalised text; ("other", 0.0) when no keyword matches.

        ``split``: the folded text's tokens (``_TOKEN``), given when no keyword of more than one
        word can be in it (``spanning``). Then each keyword starts a token and ends inside it, so
        the matches are found token by token, each distinct token once: the same matches, in the
        same order."""
        if not text or self.pattern is None:
            return "other", 0.0
        scores: dict[str, float] = {}
        total = 0.0  # summed in the order the keywords are met, as ``TokenFacts._themes`` sums it
        if split is None:
            for m in self.pattern.finditer(text if folded else fold(text)):
                for theme, weight in self.keywords[m.group(1)]:
                    scores[theme] = scores.get(theme, 0.0) + weight
                    total += weight
        else:
            known = self._words
            for token in split:
                for theme, weight in known[token] if token in known else self._hits(token):
                    scores[theme] = scores.get(theme, 0.0) + weight
                    total += weight
        if not scores:
            return "other", 0.0
        # Praise that names a subject is about that subject ("easy and lovely" is usability,
        # "excellent, but I cannot log in" a login problem): thanks and praise only when none is named.
        subjects = [t for t in scores if t != PRAISE] or list(scores)
        best = max(sorted(subjects), key=lambda t: scores[t])
        return best, round(scores[best] / total, 3)

    def _hits(self, token: str) -> list[tuple[str, float]]:
        """The (theme, weight) of the keyword at the start of ``token`` (none: []); remembered
        (``remember``)."""
        m = self.pattern.match(token) if self.pattern is not None else None
        hits = self.keywords[m.group(1)] if m else []
        remember(self._words, token, hits)
        return hits


def read_overrides(path: Path) -> dict[str, str]:
    """participation_id -> theme, from the analyst's overrides file (missing file: none)."""
    if not path.exists():
        return {}
    return {r["participation_id"].strip(): r["theme"].strip() for r in _read(path) if r.get("participation_id")}


# -- sentiment ---------------------------------------------------------------------------------
_CONJUNCTIONS = "وف"  # and, so: written joined to the word they lead


@dataclass
class SentimentRules:
    words: dict[str, float] = field(default_factory=dict)
    phrases: list[tuple[str, float]] = field(default_factory=list)
    negators: set[str] = field(default_factory=set)
    intensifiers: set[str] = field(default_factory=set)
    contrasts: set[str] = field(default_factory=set)
    neutral: set[str] = field(default_factory=set)
    questions: set[str] = field(default_factory=set)
    phrase_pattern: re.Pattern[str] | None = None  # every phrase, longest first: compiled once in load()
    phrase_polarity: dict[str, float] = field(default_factory=dict)
    _known: dict[str, float | None] = field(default_factory=dict, repr=False)  # token -> polarity, as met

    @classmethod
    def load(cls, reference_dir: Path) -> SentimentRules:
        rules = cls()
        for row in _read(reference_dir / "sentiment_lexicon.csv"):
            term = fold(normalise_py(row["term"]))
            if not term:
                continue
            if " " in term:
                rules.phrases.append((term, float(row["polarity"])))
            else:
                rules.words[term] = float(row["polarity"])

        roles = {
            "negator": rules.negators,
            "intensifier": rules.intensifiers,
            "contrast": rules.contrasts,
            "neutral": rules.neutral,
            "question": rules.questions,
        }
        for row in _read(reference_dir / "sentiment_modifiers.csv"):
            term = fold(normalise_py(row["term"]))
            if " " in term:
                rules.phrases.append((term, 0.0))  # a multi-word modifier is read as one token
            roles[row["role"].strip()].add(term.replace(" ", "_"))
        # A phrase also behind the conjunction و or ف, which joins the word it leads: "وما أحد رد",
        # "ولا أحد يرد" (a word's own lookup strips clitics in _polarity). Not a lone negator: "ولا
        # أزين" is praise ("none finer"), as "ولا أحلى".
        rules.phrases.sort(key=lambda p: len(p[0]), reverse=True)
        alternation = longest_of(p for p, _ in rules.phrases)
        rules.phrase_pattern = (
            re.compile(rf"(?<![\w])[{_CONJUNCTIONS}]?({alternation})(?![\w])") if alternation else None
        )
        rules.phrase_polarity = dict(rules.phrases)
        return rules

    def _polarity(self, token: str) -> float | None:
        """A word's polarity, also behind a clitic or the article; remembered per token (a few
        thousand words make up most texts; ``remember``)."""
        if token in self._known:
            return self._known[token]
        p = self.lookup(token)
        remember(self._known, token, p)
        return p

    def lookup(self, token: str) -> float | None:
        """A word's polarity (None: it has none), also behind a clitic or the article."""
        p = self.words.get(token)
        if p is None and len(token) > 3 and token[0] in "وفبلك":
            p = self.words.get(token[1:])
        if p is None and token.startswith(("ال", "لل")) and len(token) > 4:
            p = self.words.get(token[2:])
        if p is None and token.startswith(("وال", "بال", "فال")) and len(token) > 5:
            p = self.words.get(token[3:])
        return p

    def phrased(self, texts: pa.Array) -> np.ndarray:
        """Which of ``texts`` may hold a phrase (``score`` must look for them in those only)."""
        return may_contain(texts, (p for p, _ in self.phrases))

    def score(self, text: str, folded: bool = False, split: list[str] | None = None) -> tuple[float, bool]:
        """(score, leans neutral) of a normalised text (``folded``: already through ``fold``).
        ``split``: the folded text's tokens (``_TOKEN``), given when no phrase can be in it (``phrased``)."""
        polar: dict[str, float] = {}  # placeholder token -> its phrase's polarity

        def placeholder(m: re.Match[str]) -> str:
            polarity = self.phrase_polarity[m.group(1)]
            if polarity == 0:  # a multi-word modifier ("لا بأس", "إلا أن") reads as one token
                return m.group(1).replace(" ", "_")
            token = f"qphrase{len(polar)}q"
            polar[token] = polarity
            return token

        tokens = split
        if tokens is None:
            t = text if folded else fold(text)
            if self.phrase_pattern is not None:
                t = self.phrase_pattern.sub(placeholder, t)
            tokens = _TOKEN.findall(t)
        contrast_at = -1
        if not self.contrasts.isdisjoint(tokens):
            contrast_at = max(i for i, tok in enumerate(tokens) if tok in self.contrasts)
        leans_neutral = not (self.neutral.isdisjoint(tokens) and self.questions.isdisjoint(tokens)) or (
            "?" in tokens or "؟" in tokens
        )
        score = 0.0
        negated_until = -1  # a negator reaches the first polar word within the next two tokens
        negators, known, polarity_of = self.negators, self._known, self._polarity
        for i, tok in enumerate(tokens):
            if tok in negators:
                negated_until = i + 2
                continue
            if tok in polar:
                p = polar[tok]  # a phrase carries its own negation ("ما عجبني")
            else:
                p = known[tok] if tok in known else polarity_of(tok)
                if p is None:
                    continue
                if i <= negated_until:
                    p = -max(1.0, 1.5 * p) if p > 0 else -0.5 * p  # "ما يفتح": clearly negative
            negated_until = -1
            if not (
                self.intensifiers.isdisjoint(tokens[max(0, i - 2) : i])
                and self.intensifiers.isdisjoint(tokens[i + 1 : i + 3])
            ):
                p *= 1.5
            if contrast_at >= 0:
                p *= 2.0 if i > contrast_at else 0.5
            score += p
        return score, leans_neutral

    def words_label(self, text: str, folded: bool = False, split: list[str] | None = None) -> str | None:
        """What the words alone say: positive, neutral, negative, or None when they say nothing."""
        score, leans_neutral = self.score(text, folded, split)
        if score >= 0.5:
            return "positive"
        if score <= -0.5:
            return "negative"
        if leans_neutral or score != 0:
            return "neutral"
        return None

    def label(self, text: str, rating: int | None = None) -> str:
        """positive, neutral or negative; the rating tips only texts whose words say nothing."""
        return self.words_label(text) or rating_label(rating)


def rating_label(rating: int | None) -> str:
    if not rating:
        return "neutral"
    return "positive" if rating >= 4 else "negative" if rating <= 2 else "neutral"


PRAISE_CONFIDENCE = 0.3


def theme_of(
    text: str, words: str | None, theme_rules: ThemeRules, folded: bool = False, split: list[str] | None = None
) -> tuple[str, float]:
    """Theme and confidence; praise that names no subject ("جيد", "👍") is thanks and praise.
    ``words``: what the words say (``SentimentRules.words_label``); ``split``: as ``ThemeRules.theme``."""
    return praised(*theme_rules.theme(text, folded, split), words)


def praised(theme: str, confidence: float, words: str | None) -> tuple[str, float]:
    """A text that names no subject ("other") is thanks and praise when its words are positive."""
    if theme == "other" and words == "positive":
        return PRAISE, PRAISE_CONFIDENCE
    return theme, confidence


def theme_and_sentiment(text: str, rating: int | None, reference_dir: Path) -> tuple[str, float, str]:
    """Theme, confidence and sentiment of one normalised text by the rules and the rating alone
    (``features`` adds the model); a text that names no subject is praise when it is positive, as
    in ``_themes``."""
    theme_rules, sentiment_rules = rules(reference_dir)
    words = sentiment_rules.words_label(text)
    sentiment = words or rating_label(rating)
    theme, confidence = theme_of(text, sentiment if text else None, theme_rules)  # a rating alone is no praise
    return theme, confidence, sentiment


# -- the rules over a column -------------------------------------------------------------------
# What _TOKEN does not join to its neighbours, in RE2's terms (Arrow's regexes): neither one of
# Python's \w (Unicode's letters and numbers, and the underscore: etl.model.WORD_GAP) nor " ".
_ALONE = "([^\\p{L}\\p{N}_ ])"


def _split(texts: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """``_TOKEN``'s tokens of ``texts`` and spaces other than " ", each one alone, text after text,
    and the row of the text each comes from: a space put each side of each character that is not
    part of a word, then the texts split at " ", in Arrow (``TokenFacts.tokens`` drops the spaces).
    Arrow's utf8_split_whitespace would split at every space at once, but it sometimes leaves the
    column's last space unsplit (pyarrow 26)."""
    return pieces(pc.replace_substring_regex(large_strings(texts), _ALONE, " \\1 "), " ", literal=True)


# A token's roles (NEUTRAL: or a question; WORD: a word, not a mark of punctuation: what the model
# reads; SPACE: no token, a space other than " ")
NEGATOR, INTENSIFIER, CONTRAST, NEUTRAL, WORD, SPACE = 1, 2, 4, 8, 16, 32


@dataclass
class TokenFacts:
    """The theme and sentiment rules over a column of texts at once: the tokens found and looked up
    in Arrow (``tokens``), the rules' arithmetic in numpy, and Python only for each token not met
    before (``_learn``), as the model does (etl/model.py). A text that needs no ``fold`` gets
    ``SentimentRules.words_label``'s answer when it holds no phrase (``SentimentRules.phrased``), and
    ``ThemeRules.theme``'s when it holds no keyword of more than one word (``ThemeRules.spanning``);
    the others are for those (``_per_text``). A test holds the two ways to the same answers."""

    theme_rules: ThemeRules
    sentiment_rules: SentimentRules
    themes: tuple[str, ...]  # every theme a keyword names, sorted (a tie goes to the first)
    keywords: dict[str, int]  # keyword -> its number
    hit_start: np.ndarray  # keyword number -> where its (theme, weight) pairs start in hit_theme, hit_weight
    hit_theme: np.ndarray  # a theme's place in ``themes``
    hit_weight: np.ndarray
    _known: list[pa.Array] = field(default_factory=list, repr=False)  # [the tokens met]
    _table: list[np.ndarray] = field(default_factory=list, repr=False)  # [keyword number, polarity, roles]

    @classmethod
    def of(cls, theme_rules: ThemeRules, sentiment_rules: SentimentRules) -> TokenFacts:
        hits = theme_rules.keywords
        themes = tuple(sorted({theme for pairs in hits.values() for theme, _ in pairs}))
        place = {theme: i for i, theme in enumerate(themes)}
        pairs = [pair for keyword in hits for pair in hits[keyword]]
        return cls(
            theme_rules,
            sentiment_rules,
            themes,
            {keyword: i for i, keyword in enumerate(hits)},
            np.cumsum([0, *(len(hits[k]) for k in hits)], dtype=np.int64),
            np.array([place[theme] for theme, _ in pairs], dtype=np.int64),
            np.array([weight for _, weight in pairs], dtype=np.float64),
        )

    def read(self, texts: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array, np.ndarray]:
        """Per text: what its words say (a place in SENTIMENTS; -1: nothing), its theme (a place in
        ``themes``; -1: other) and the theme's confidence; and the texts' words as
        ``etl.model.words`` finds them (the model's input), with the row of each one's text."""
        flat, rows, keyword, polarity, roles = self.tokens(texts)
        n = len(texts)
        word = (roles & WORD) > 0
        return (
            self._sentiment(rows, polarity, roles, n),
            *self._themes(rows, keyword, n),
            flat.take(int_array(np.flatnonzero(word))),
            rows[word],
        )

    def tokens(self, texts: pa.Array) -> tuple[pa.Array, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every token of ``texts`` (``_TOKEN``'s), text after text; the row of the text each comes
        from; and each one's keyword number (-1: none), polarity (NaN: none) and roles."""
        flat, rows = _split(texts)
        keyword, polarity, roles = self._facts(flat)
        token = (roles & SPACE) == 0
        if token.all():
            return flat, rows, keyword, polarity, roles
        return flat.take(int_array(np.flatnonzero(token))), rows[token], keyword[token], polarity[token], roles[token]

    def _facts(self, flat: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each token's keyword number (-1: none), polarity (NaN: none) and roles, from the cache of
        tokens met (bounded as ``remember`` bounds the rules' own); new tokens are learnt first."""
        where = memo_rows(self._known, self._table, flat, self._learn, TOKENS_REMEMBERED)
        keyword, polarity, roles = self._table
        return keyword[where], polarity[where], roles[where]

    def _learn(self, tokens: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What the rules make of each of ``tokens``, not met before (``_facts``)."""
        new = tokens.to_pylist()
        pattern, s = self.theme_rules.pattern, self.sentiment_rules
        matched = (pattern.match(token) if pattern is not None else None for token in new)
        keyword = np.fromiter((self.keywords[m.group(1)] if m else -1 for m in matched), np.int64, len(new))
        polarity = np.array([np.nan if p is None else p for p in map(s.lookup, new)], dtype=np.float64)
        neutral = s.neutral | s.questions | {"?", "؟"}
        roles = np.fromiter(
            (
                NEGATOR * (t in s.negators)
                + INTENSIFIER * (t in s.intensifiers)
                + CONTRAST * (t in s.contrasts)
                + NEUTRAL * (t in neutral)
                + WORD * bool(_WORD.match(t))
                + SPACE * t.isspace()
                for t in new
            ),
            np.int64,
            len(new),
        )
        return keyword, polarity, roles

    @staticmethod
    def _sentiment(rows: np.ndarray, polarity: np.ndarray, roles: np.ndarray, n: int) -> np.ndarray:
        """``SentimentRules.score`` and ``words_label`` over every token (``rows``: each one's text)
        at once: the same steps, in numpy, summed in the same order."""
        k = np.arange(len(rows))
        bounds = np.searchsorted(rows, np.arange(n + 1))
        first, end = bounds[rows], bounds[rows + 1]  # each token's text's tokens: [first, end)
        negator = (roles & NEGATOR) > 0
        polar = ~negator & ~np.isnan(polarity)

        def last_before(flag: np.ndarray) -> np.ndarray:  # the last token before each with ``flag``, or -1
            return np.concatenate([[-1], np.maximum.accumulate(np.where(flag, k, -1))[:-1]])

        # a negator reaches the first polar word within the next two tokens
        by = last_before(negator)
        negated = polar & (by >= first) & (by > last_before(polar)) & (k - by <= 2)
        intensifier = (roles & INTENSIFIER) > 0
        near = np.zeros(len(k), dtype=bool)  # an intensifier within two tokens, either side
        for d in (1, 2):
            near[d:] |= intensifier[:-d] & (k[d:] - d >= first[d:])
            near[:-d] |= intensifier[d:] & (k[:-d] + d < end[:-d])
        contrast = np.full(n, -1, dtype=np.int64)  # each text's last contrast
        np.maximum.at(contrast, rows[(roles & CONTRAST) > 0], k[(roles & CONTRAST) > 0])
        p = np.where(polar, polarity, 0.0)
        p = np.where(negated, np.where(p > 0, -np.maximum(1.0, 1.5 * p), -0.5 * p), p)
        p = np.where(near, p * 1.5, p)
        c = contrast[rows]
        p = np.where(c >= 0, np.where(k > c, p * 2.0, p * 0.5), p)
        score = np.bincount(rows[polar], weights=p[polar], minlength=n)  # in token order, as score's sum
        leans = np.zeros(n, dtype=bool)
        leans[rows[(roles & NEUTRAL) > 0]] = True
        said = np.where(leans | (score != 0), SENTIMENTS.index("neutral"), -1)
        said = np.where(score <= -0.5, SENTIMENTS.index("negative"), said)
        return np.where(score >= 0.5, SENTIMENTS.index("positive"), said).astype(np.int8)

    def _themes(self, rows: np.ndarray, keyword: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``ThemeRules.theme`` over every token at once: each keyword's (theme, weight) pairs in the
        order they are met, summed per text and theme in that order."""
        if not self.themes:  # no keyword at all
            return np.full(n, -1), np.zeros(n)
        found = keyword >= 0
        kw = keyword[found]
        count = self.hit_start[kw + 1] - self.hit_start[kw]
        pair = np.repeat(self.hit_start[kw] - np.cumsum(count) + count, count) + np.arange(count.sum())
        row, theme, weight = np.repeat(rows[found], count), self.hit_theme[pair], self.hit_weight[pair]
        t = len(self.themes)
        scores = np.bincount(row * t + theme, weights=weight, minlength=n * t).reshape(n, t)
        present = np.bincount(row * t + theme, minlength=n * t).reshape(n, t) > 0
        total = np.bincount(row, weights=weight, minlength=n)
        if PRAISE in self.themes:  # praise only when no subject is named (ThemeRules.theme)
            praise = self.themes.index(PRAISE)
            subject = np.delete(present, praise, axis=1).any(axis=1)
            present[:, praise] &= ~subject
        best = np.where(present, scores, -np.inf).argmax(axis=1)
        named = present.any(axis=1)
        share = scores[np.arange(n), best][named] / total[named]
        values, at = np.unique(share, return_inverse=True)  # rounded as Python rounds: few distinct shares
        confidence = np.zeros(n)
        confidence[named] = np.array([round(v, 3) for v in values.tolist()])[at]
        return np.where(named, best, -1), confidence


@lru_cache(maxsize=4)
def _token_facts(reference_dir: Path, stamp: tuple) -> TokenFacts:
    del stamp  # the cache key only
    return TokenFacts.of(*rules(reference_dir))


def token_facts(reference_dir: Path) -> TokenFacts:
    return _token_facts(reference_dir, rules_stamp(reference_dir))


ARABIC_LETTER, LATIN_LETTER = "[\u0621-\u064a\u066e-\u06d3]", "[A-Za-z]"


def scripts(texts: pa.Array) -> pa.Array:
    """The language each text is written in, by its letters: ar, en, or other (none of either; a
    text with as many Arabic letters as Latin ones is ar). Arrow's regexes (RE2) over the whole
    column: most texts hold one script, and only texts with both have their letters counted (as
    the length that removing them takes away: one match per run of letters, not per letter)."""
    has_arabic = pc.match_substring_regex(texts, ARABIC_LETTER)
    has_latin = pc.match_substring_regex(texts, LATIN_LETTER)
    out = pc.if_else(has_arabic, "ar", pc.if_else(has_latin, "en", "other"))
    both = np.flatnonzero(pc.fill_null(pc.and_(has_arabic, has_latin), False).to_numpy(zero_copy_only=False))
    if not len(both):
        return out
    mixed = texts.take(pa.array(both))
    length = pc.utf8_length(mixed)
    arabic = pc.subtract(length, pc.utf8_length(pc.replace_substring_regex(mixed, ARABIC_LETTER + "+", "")))
    latin = pc.subtract(length, pc.utf8_length(pc.replace_substring_regex(mixed, LATIN_LETTER + "+", "")))
    mask = np.zeros(len(texts), dtype=bool)
    mask[both] = True
    return pc.replace_with_mask(out, pa.array(mask), pc.if_else(pc.greater_equal(arabic, latin), "ar", "en"))


def rules_stamp(reference_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """What the loaded rules are keyed on: every reference file's name, size and modification time,
    so a long-running process (a worker, the app, a test session) sees an edited lexicon at once."""
    out = []
    for p in sorted(reference_dir.glob("*.csv")):
        st = p.stat()
        out.append((p.name, st.st_size, st.st_mtime_ns))
    return tuple(out)


def rules(reference_dir: Path) -> tuple[ThemeRules, SentimentRules]:
    return _rules(reference_dir, rules_stamp(reference_dir))


@lru_cache(maxsize=4)
def _rules(reference_dir: Path, stamp: tuple) -> tuple[ThemeRules, SentimentRules]:
    del stamp  # the cache key only
    return ThemeRules.load(reference_dir), SentimentRules.load(reference_dir)


def load_rules(reference_dir: Path, model_path: Path | None = None) -> None:
    """Load and compile every rule, and the model at ``model_path`` (a worker process does it once,
    when it starts, while the exports are read: the classify stage, where every core is busy, pays
    for neither). A model that cannot be read is left for the first text to report."""
    rules(reference_dir)
    screens(reference_dir)
    token_facts(reference_dir)
    if model_path is not None:
        with suppress(ModelError):
            sentiment_model(model_path)


def screens(reference_dir: Path) -> tuple[TermList, PatternList]:
    """Offensive terms (control 2) and security-information patterns (control 6)."""
    return _screens(reference_dir, rules_stamp(reference_dir))


@lru_cache(maxsize=4)
def _screens(reference_dir: Path, stamp: tuple) -> tuple[TermList, PatternList]:
    del stamp  # the cache key only
    return (
        TermList.load(reference_dir / "offensive_terms.csv"),
        PatternList.load(reference_dir / "security_patterns.csv"),
    )


SENTIMENTS = ("positive", "neutral", "negative")


# How far each source of a sentiment is to be trusted, measured where it was not tuned: the rules'
# words on the public review corpora they never saw (hotels 0.84 and AFRD 0.89 of 3,416 texts they
# speak of; on tweets they do worse: 0.48-0.54), the rating on Sehhaty's dev half (0.76 of 41
# reviews whose words say nothing). The model's is its own probability.
RULES_CONFIDENCE = 0.86
RATING_CONFIDENCE = 0.76
SOURCES = ("rules", "rating", "model", "none")
# The model's "negative" wins over the words and the rating when its probability is at least this:
# more likely negative than not. The rules were written for praise and for this agency's phrases;
# on text nobody here wrote they miss most complaints (negative recall 0.07-0.60 left out, against
# the model's 0.65-0.89). The natural threshold; 0.6 and 0.7 ran beside it on the same folds, and
# the choice is not independent of them: docs/model_card.md gives all three.
NEGATIVE_OVERRIDE = 0.5


def _sentiments(
    words: Iterable[str | None],
    by_model: Iterable[str | None],
    model_p: Iterable[float | None],
    idx: pa.Array,
    ratings: pa.Array | pa.ChunkedArray,
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Each record's sentiment, its source and confidence: the model's when it finds the text
    negative with a probability of ``NEGATIVE_OVERRIDE`` or more, else its text's words' (``words``,
    per distinct text, which ``idx`` points into), else its rating's (``rating_label``), else the
    model's, else neutral (an empty text with no rating: source none)."""
    code = {label: i for i, label in enumerate(SENTIMENTS)}
    ix = idx.to_numpy()
    by_words = np.array([code[w] if w else -1 for w in words], dtype=np.int8)[ix]
    modelled = np.array([code[m] if m else -1 for m in by_model], dtype=np.int8)[ix]
    p_model = np.array([p if p is not None else np.nan for p in model_p], dtype=np.float64)[ix]
    r = pc.fill_null(pc.cast(ratings, pa.int64()), 0).to_numpy()
    by_rating = np.where(r >= 4, code["positive"], np.where((r > 0) & (r <= 2), code["negative"], code["neutral"]))
    rated = r > 0
    source = np.where(by_words >= 0, 0, np.where(rated, 1, np.where(modelled >= 0, 2, 3))).astype(np.int8)
    complaint = (modelled == code["negative"]) & (np.nan_to_num(p_model) >= NEGATIVE_OVERRIDE)
    source = np.where(complaint, 2, source).astype(np.int8)
    sentiment = np.choose(source, [by_words, by_rating, modelled, np.full_like(by_rating, code["neutral"])])
    confidence = np.choose(source, [RULES_CONFIDENCE, RATING_CONFIDENCE, p_model, np.nan])
    return (
        pa.DictionaryArray.from_arrays(pa.array(sentiment.astype(np.int8)), pa.array(SENTIMENTS)),
        pa.DictionaryArray.from_arrays(pa.array(source), pa.array(SOURCES)),
        pa.array(confidence, pa.float64(), mask=np.isnan(confidence)),
    )


def _themes(
    theme: Sequence[str], confidence: Sequence[float], distinct: pa.Array, idx: pa.Array, sentiment: pa.DictionaryArray
) -> tuple[pa.DictionaryArray, pa.Array]:
    """Each record's theme and confidence: its text's (``theme_of``), except that a text naming no
    subject is thanks and praise when its record is positive by any source, not only by the words
    (``_sentiments``): misspelt or unlisted praise ("متتازين", "تطبيق 10/10") says nothing the
    lexicon knows, while its rating or the model does. A record with no text stays "other"."""
    ix = idx.to_numpy(zero_copy_only=False)
    nameless = np.array([t == "other" for t in theme], dtype=bool) & pc.not_equal(distinct, "").to_numpy(
        zero_copy_only=False
    )
    praise = nameless[ix] & (sentiment.indices.to_numpy(zero_copy_only=False) == SENTIMENTS.index("positive"))
    themes = pa.DictionaryArray.from_arrays(
        pa.array(np.where(praise, len(theme), ix).astype(ix.dtype)), pa.array([*theme, PRAISE], pa.string())
    )
    scores = np.where(praise, PRAISE_CONFIDENCE, np.asarray(confidence, dtype=np.float64)[ix])
    return themes, pa.array(scores, pa.float64())


FEATURES = (
    "theme",
    "theme_confidence",
    "sentiment",
    "sentiment_source",
    "sentiment_confidence",
    "offensive_term",
    "security_rule",
    "cluster",
    "script",
    "text_id",
)


def _items(distinct: pa.Array, reference_dir: Path) -> pa.Table:
    """What ``_per_text`` reads: each text, and whether each of RE2's prefilters over the whole
    column lets it through (most texts need neither screen's Python patterns, nor fold's regex,
    nor a search for phrases and keywords of more than one word)."""
    theme_rules, sentiment_rules = rules(reference_dir)
    offensive, security = screens(reference_dir)
    return pa.table(
        {
            "text": distinct,
            "offensive": offensive.candidates(distinct),
            "security": security.candidates(distinct),
            "fold": may_fold(distinct),
            "spanning": theme_rules.spanning(distinct),
            "phrased": sentiment_rules.phrased(distinct),
        }
    )


RULES_BATCH = 1 << 15  # texts read at once (``_per_batch``): the temporary arrays of their tokens stay small


def _per_text(items: pa.Table, reference_dir: Path, model_path: Path = MODEL_PATH) -> list[tuple]:
    """(theme, confidence, words' sentiment, offensive term, security rule, the model's sentiment and
    its probability) per row of ``items`` (``_items``), RULES_BATCH rows at a time."""
    out: list[tuple] = []
    for lo in range(0, len(items), RULES_BATCH):
        out += _per_batch(items.slice(lo, RULES_BATCH), reference_dir, model_path)
    return out


def _per_batch(items: pa.Table, reference_dir: Path, model_path: Path) -> list[tuple]:
    """``_per_text`` of a batch. The themes and the words' sentiment of every text are read over
    the column (``TokenFacts``); a text whose letters ``fold`` must change, or which may hold a
    phrase or a keyword of more than one word, has those read again by the rules text by text, as
    have the screens the texts their prefilters let through. The model reads every text that has
    words (``_sentiments`` decides whose answer counts)."""
    theme_rules, sentiment_rules = rules(reference_dir)
    offensive, security = screens(reference_dir)
    facts = token_facts(reference_dir)
    texts = items.column("text").combine_chunks()
    said, theme_at, conf, word, word_rows = facts.read(texts)
    words = [SENTIMENTS[c] if c >= 0 else None for c in said.tolist()]
    names = [*facts.themes, "other"]  # -1: other
    theme = [names[t] for t in theme_at.tolist()]
    confidence = conf.tolist()
    stretched, phrased, spanning, may_offend, may_leak = (
        items.column(name).to_pylist() for name in ("fold", "phrased", "spanning", "offensive", "security")
    )
    terms: list[str | None] = [None] * len(items)
    security_rules: list[str | None] = [None] * len(items)
    by_rules = [r for r, flags in enumerate(zip(stretched, phrased, spanning, may_offend, may_leak)) if any(flags)]
    for r, text in zip(by_rules, texts.take(int_array(np.array(by_rules, dtype=np.int64))).to_pylist()):
        folded = fold(text) if stretched[r] else text
        # the tokens, where one of the rules can read the text by them
        split = _TOKEN.findall(folded) if stretched[r] and not (phrased[r] and spanning[r]) else None
        if stretched[r] or phrased[r]:
            words[r] = sentiment_rules.words_label(folded, folded=True, split=None if phrased[r] else split)
        if stretched[r] or spanning[r]:
            theme[r], confidence[r] = theme_rules.theme(folded, True, None if spanning[r] else split)
        if may_offend[r]:
            terms[r] = offensive.first(folded, folded=True)
        if may_leak[r]:
            security_rules[r] = security.first(text)
    theme, confidence = zip(*map(praised, theme, confidence, words)) if len(items) else ((), ())
    by_model: list[str | None] = [None] * len(items)
    p: list[float | None] = [None] * len(items)
    worded = np.flatnonzero(numbers(pc.binary_length(texts)) > 0)
    if len(worded):  # the model reads the words found above, not Python strings
        labels, probs = sentiment_model(model_path).predict_words(word, word_rows, len(texts))
        for r, prob in zip(worded.tolist(), probs[worded].tolist()):
            by_model[r], p[r] = labels[r], prob
    return list(zip(theme, confidence, words, terms, security_rules, by_model, p))


def features(
    texts: pa.Array | pa.ChunkedArray,
    ratings: pa.Array | pa.ChunkedArray,
    reference_dir: Path,
    pool: Executor | None = None,
    model_path: Path = MODEL_PATH,
    clusters: bool = True,
    script: bool | None = None,
) -> pa.Table:
    """Per record: theme, theme_confidence, sentiment, offensive_term, security_rule, cluster, script,
    and text_id (the same number for the same text within this call; null for an empty text).

    Every rule runs once per distinct text, on ``pool``'s worker processes when given (the rules
    are Python, one core each), while near-identical clusters are found here; results reach the
    records through Arrow's dictionary encoding. Sentiment: the words' (the rules), else the
    record's rating, else the model's (etl/model.py), with its source and confidence. Clusters group
    near-identical texts (``etl.similar``) under a stable key; ``clusters=False`` leaves them out (a
    run finds them across the warehouse's texts, reclassify keeps the stored ones), and the script
    with them unless ``script``.
    """
    from etl.similar import cluster_keys  # not at the top: the rule workers import this module, never scipy

    flat = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    if pa.types.is_dictionary(flat.type) and flat.indices.null_count == 0:
        # already encoded (the text stage's): encode its few values, not every record again
        inner = pc.dictionary_encode(pc.fill_null(flat.dictionary, ""))
        encoded = pa.DictionaryArray.from_arrays(inner.indices.take(flat.indices), inner.dictionary)
    else:
        if pa.types.is_dictionary(flat.type):
            flat = flat.dictionary_decode()
        encoded = pc.dictionary_encode(pc.fill_null(flat, ""))
    distinct = encoded.dictionary
    # The workers get Arrow columns, not Python strings: cheaper to send, and this process never
    # holds a million str objects.
    # the prefilters first, on every core (RE2 in Arrow releases the GIL): the workers wait for them
    items = pa.concat_tables(over_slices(distinct, lambda part: _items(part, reference_dir)))
    collect = in_chunks(pool, _per_text, items, reference_dir, model_path)
    cluster = cluster_keys(distinct) if clusters else None  # reclassify keeps the stored ones
    script = scripts(distinct) if (clusters if script is None else script) else None
    theme, confidence, words, offensive, security, by_model, model_p = zip(*collect()) if len(distinct) else ([],) * 7
    idx = encoded.indices

    def per_record(values: list | tuple) -> pa.DictionaryArray:  # each record points at its text's value
        return pa.DictionaryArray.from_arrays(idx, pa.array(values, pa.string()))

    out = {
        "offensive_term": per_record(offensive),
        "security_rule": per_record(security),
        **({"cluster": pa.DictionaryArray.from_arrays(idx, cluster)} if clusters else {}),
        **({"script": pa.DictionaryArray.from_arrays(idx, script)} if script is not None else {}),
    }
    out["sentiment"], out["sentiment_source"], out["sentiment_confidence"] = _sentiments(
        words, by_model, model_p, idx, ratings
    )
    out["theme"], out["theme_confidence"] = _themes(theme, confidence, distinct, idx, out["sentiment"])
    ids = pc.cast(idx, pa.int32())
    empty = pc.index(distinct, "").as_py()
    if empty >= 0:  # an empty text is no text: it repeats nothing
        ids = pc.if_else(pc.equal(ids, empty), pa.scalar(None, pa.int32()), ids)
    out["text_id"] = ids
    return pa.table({k: out[k] for k in FEATURES if k in out})
