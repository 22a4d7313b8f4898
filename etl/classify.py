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
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from etl.text import normalise_py

CLITICS = r"(?:و|ف|ب|ل|ك)?(?:ال|لل)?"
_STRETCH = re.compile(r"(\w)\1{2,}")
_TOKEN = re.compile(r"\w+|[^\w\s]")


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [r for r in csv.DictReader(fh) if any((v or "").strip() for v in r.values())]


def fold(text: str) -> str:
    """Normalised text with stretched letters folded: "ممتاااااز" -> "ممتاز"."""
    return _STRETCH.sub(r"\1", text).replace("\ufe0f", "")


# -- term lists ----------------------------------------------------------------------------------
def term_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One regex finding any of ``terms`` (normalised) at the start of a word, after clitics."""
    alternation = "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True) if t)
    return re.compile(rf"(?:^|(?<=[^\w]))(?:{CLITICS})({alternation})") if alternation else None


@dataclass
class TermList:
    """A list of terms from a reference CSV (column ``term``), matched like theme keywords."""

    pattern: re.Pattern[str] | None

    @classmethod
    def load(cls, path: Path) -> TermList:
        return cls(term_pattern(fold(normalise_py(r["term"])) for r in _read(path)))

    def first(self, text: str) -> str | None:
        if not text or self.pattern is None:
            return None
        m = self.pattern.search(fold(text))
        return m.group(1) if m else None


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


# -- themes ------------------------------------------------------------------------------------
@dataclass
class ThemeRules:
    keywords: dict[str, list[tuple[str, float]]]  # normalised keyword -> [(theme, weight)]
    pattern: re.Pattern[str] | None

    @classmethod
    def load(cls, reference_dir: Path) -> ThemeRules:
        keywords: dict[str, list[tuple[str, float]]] = {}
        for row in _read(reference_dir / "theme_keywords.csv"):
            kw = fold(normalise_py(row["keyword"]))
            if kw:
                keywords.setdefault(kw, []).append((row["theme"].strip(), float(row.get("weight") or 1)))
        return cls(keywords, term_pattern(keywords))

    def theme(self, text: str) -> tuple[str, float]:
        """(theme, confidence) of a normalised text; ("other", 0.0) when no keyword matches."""
        if not text or self.pattern is None:
            return "other", 0.0
        scores: dict[str, float] = {}
        for m in self.pattern.finditer(fold(text)):
            for theme, weight in self.keywords[m.group(1)]:
                scores[theme] = scores.get(theme, 0.0) + weight
        if not scores:
            return "other", 0.0
        best = max(sorted(scores), key=lambda t: scores[t])
        return best, round(scores[best] / sum(scores.values()), 3)


def read_overrides(path: Path) -> dict[str, str]:
    """participation_id -> theme, from the analyst's overrides file (missing file: none)."""
    if not path.exists():
        return {}
    return {r["participation_id"].strip(): r["theme"].strip() for r in _read(path) if r.get("participation_id")}


# -- sentiment ---------------------------------------------------------------------------------
@dataclass
class SentimentRules:
    words: dict[str, float] = field(default_factory=dict)
    phrases: list[tuple[str, float]] = field(default_factory=list)
    negators: set[str] = field(default_factory=set)
    intensifiers: set[str] = field(default_factory=set)
    contrasts: set[str] = field(default_factory=set)
    neutral: set[str] = field(default_factory=set)
    questions: set[str] = field(default_factory=set)

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
        rules.phrases.sort(key=lambda p: len(p[0]), reverse=True)
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
        return rules

    def _polarity(self, token: str) -> float | None:
        p = self.words.get(token)
        if p is None and len(token) > 3 and token[0] in "وفبلك":
            p = self.words.get(token[1:])
        if p is None and token.startswith(("ال", "لل")) and len(token) > 4:
            p = self.words.get(token[2:])
        if p is None and token.startswith(("وال", "بال", "فال")) and len(token) > 5:
            p = self.words.get(token[3:])
        return p

    def score(self, text: str) -> tuple[float, bool]:
        """(score, leans neutral) of a normalised text."""
        t = " " + fold(text) + " "
        polar: list[float] = []  # phrase polarities, by placeholder index
        for phrase, polarity in self.phrases:
            needle = " " + phrase + " "
            while needle in t:
                token = phrase.replace(" ", "_") if polarity == 0 else f"qphrase{len(polar)}q"
                if polarity != 0:
                    polar.append(polarity)
                t = t.replace(needle, f" {token} ", 1)
        tokens = _TOKEN.findall(t)
        contrast_at = max((i for i, tok in enumerate(tokens) if tok in self.contrasts), default=-1)
        leans_neutral = any(tok in self.neutral or tok in self.questions or tok in ("?", "؟") for tok in tokens)
        score = 0.0
        negated_until = -1  # a negator reaches the first polar word within the next two tokens
        for i, tok in enumerate(tokens):
            if tok in self.negators:
                negated_until = i + 2
                continue
            if tok.startswith("qphrase") and tok.endswith("q"):
                p = polar[int(tok[7:-1])]  # a phrase carries its own negation ("ما عجبني")
            else:
                p = self._polarity(tok)
                if p is None:
                    continue
                if i <= negated_until:
                    p = -max(1.0, 1.5 * p) if p > 0 else -0.5 * p  # "ما يفتح": clearly negative
            negated_until = -1
            if any(w in self.intensifiers for w in tokens[max(0, i - 2) : i] + tokens[i + 1 : i + 3]):
                p *= 1.5
            if contrast_at >= 0:
                p *= 2.0 if i > contrast_at else 0.5
            score += p
        return score, leans_neutral

    def label(self, text: str, rating: int | None = None) -> str:
        """positive, neutral or negative."""
        score, leans_neutral = self.score(text)
        if score >= 0.5:
            return "positive"
        if score <= -0.5:
            return "negative"
        if leans_neutral or score != 0:
            return "neutral"
        if rating:  # the words said nothing: the rating may tip it
            return "positive" if rating >= 4 else "negative" if rating <= 2 else "neutral"
        return "neutral"


@cache
def rules(reference_dir: Path) -> tuple[ThemeRules, SentimentRules]:
    return ThemeRules.load(reference_dir), SentimentRules.load(reference_dir)


@cache
def screens(reference_dir: Path) -> tuple[TermList, PatternList]:
    """Offensive terms (control 2) and security-information patterns (control 6)."""
    return (
        TermList.load(reference_dir / "offensive_terms.csv"),
        PatternList.load(reference_dir / "security_patterns.csv"),
    )


PRAISE_CONFIDENCE = 0.3


def theme_and_sentiment(text: str, rating: int | None, reference_dir: Path) -> tuple[str, float, str]:
    """Theme, confidence and sentiment of one normalised text.

    Praise that names no subject ("جيد", "👍") has no theme keyword; positive and unplaced, it is
    thanks and praise, at a low confidence.
    """
    themes_r, sent_r = rules(reference_dir)
    theme, confidence = themes_r.theme(text)
    sentiment = sent_r.label(text, rating)
    if theme == "other" and sentiment == "positive" and sent_r.score(text)[0] > 0:
        theme, confidence = "thanks_praise", PRAISE_CONFIDENCE
    return theme, confidence, sentiment


def features(texts: list[str | None], ratings: list[int | None], reference_dir: Path) -> dict[str, list]:
    """Per record: theme, theme_confidence, sentiment, offensive_term, security_rule, cluster.

    Each distinct text (and rating) is evaluated once; clusters group near-identical texts
    (``etl.similar``) and are named by a stable key.
    """
    from etl.similar import cluster_key, clusters, skeleton

    offensive, security = screens(reference_dir)
    by_pair: dict[tuple[str, int | None], tuple[str, float, str]] = {}
    by_text: dict[str, tuple[str | None, str | None]] = {}
    for text, rating in zip(texts, ratings):
        t = text or ""
        if (t, rating) not in by_pair:
            by_pair[(t, rating)] = theme_and_sentiment(t, rating, reference_dir)
        if t not in by_text:
            by_text[t] = (offensive.first(t), security.first(t))
    distinct = sorted(by_text)
    skeletons = [skeleton(t) for t in distinct]
    cluster_of = clusters(skeletons)
    key_of = {t: (cluster_key(skeletons[c]) if c >= 0 else None) for t, c in zip(distinct, cluster_of)}
    out: dict[str, list] = {
        k: [] for k in ("theme", "theme_confidence", "sentiment", "offensive_term", "security_rule", "cluster")
    }
    for text, rating in zip(texts, ratings):
        t = text or ""
        theme, conf, sent = by_pair[(t, rating)]
        off, sec = by_text[t]
        out["theme"].append(theme)
        out["theme_confidence"].append(conf)
        out["sentiment"].append(sent)
        out["offensive_term"].append(off)
        out["security_rule"].append(sec)
        out["cluster"].append(key_of[t])
    return out
