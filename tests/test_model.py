"""The sentiment model: its inference reproduces scikit-learn's, the file is plain arrays, a missing
or damaged file stops the ETL in one line, and the warehouse says where each sentiment came from."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl import model as m
from etl.text import normalise
from tests.conftest import ROOT, older_warehouse, open_page

TEXTS = [
    ("الخدمة ممتازة وسريعة شكرا", "positive"),
    ("خدمة رائعة والموظف متعاون", "positive"),
    ("تطبيق ممتاز جدا جدا", "positive"),
    ("سيء جدا ولا احد يرد", "negative"),
    ("التطبيق سيء ويعلق دائما", "negative"),
    ("ما في رد من اسبوع سيء", "negative"),
    ("متى يفتح المركز", "neutral"),
    ("كم رقم الطلب", "neutral"),
    ("متى يبدأ الدوام في المركز", "neutral"),
] * 3


def test_inference_reproduces_scikit_learn(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("sklearn")
    from etl.train import export, fit

    texts = [normalise(t) for t, _ in TEXTS]
    vectorizer, classifier = fit(texts, [label for _, label in TEXTS])
    path = tmp_path / "s.npz"
    export(vectorizer, classifier, {"corpora": {"test": "none"}}, path)
    loaded = m.load(path)
    probe = [
        normalise(t)
        for t in ("الخدمة سيء جدا", "متى يرد المركز", "ممتاز", "كلام لا يعرفه النموذج", "", "ممتازين", "والسيئين")
    ]
    probe = texts + probe  # the last two are checked by name below
    expected = classifier.predict_proba(vectorizer.transform(probe))
    labels, probs = loaded.predict_many(probe)
    for i, text in enumerate(probe):
        best = int(expected[i].argmax())
        assert labels[i] == classifier.classes_[best] == loaded.predict(text)[0]
        assert probs[i] == pytest.approx(expected[i, best], abs=1e-5) == loaded.predict(text)[1]
    # every class's probability, as scikit-learn gives it; none for a class a corpus does not have
    assert loaded.probabilities(probe) == pytest.approx(
        expected[:, [list(classifier.classes_).index(c) for c in loaded.classes]], abs=1e-5
    )
    two = loaded.probabilities(probe, ("positive", "negative"))
    assert two[:, loaded.classes.index("neutral")].max() == 0 and two.sum(axis=1) == pytest.approx(1.0)
    # words the model never saw as words are read by their pieces: a misspelt or inflected form
    assert "ممتازين" not in loaded.index and labels[-2:] == ["positive", "negative"]
    # an Arrow column (as the rule workers pass it) reads the same as Python strings
    assert loaded.probabilities(pa.array(probe)) == pytest.approx(loaded.probabilities(probe), abs=1e-12)
    # the per-word cache, started again every two words, changes nothing
    monkeypatch.setattr(m, "CACHE_WORDS", 2)
    again = m.load(path)
    for i in range(0, len(probe), 3):
        assert again.predict_many(probe[i : i + 3])[1] == pytest.approx(probs[i : i + 3], abs=1e-9)
    # plain arrays: numpy reads it with pickles refused
    with np.load(path, allow_pickle=False) as z:
        assert {"terms", "idf", "weights", "bias", "classes", "meta", "pieces", "piece_idf"} <= set(z.files)


# What feedback is written in, and what hides in it: Arabic letters and diacritics, the tatweel, both
# kinds of Arabic digits, Latin, superscripts and fractions, punctuation of both scripts, joiners and
# marks of direction, odd spaces, emoji (outside the BMP) and the underscore.
FEEDBACK_CHARS = st.sampled_from(
    list("ابتثجحخدذرسشصضطظعغفقكلمنهويىئءؤأإآةپچگ")
    + list("\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670\u0640")
    + list("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹0123456789²½abcXYZéß_")
    + list("،؛؟!.,:;-()[]«»\"'/@#%٪+*")
    + list(" \t\n\u00a0\u200b\u200c\u200d\u200f\u202b\u2066\ufeff")
    + ["😀", "👍", "\U0001f3fd", "𝒜", "\U00010ec5"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(FEEDBACK_CHARS, max_size=40), max_size=6))
def test_arrow_finds_the_words_python_does(texts: list[str]) -> None:
    """The model is trained on Python's ``\\w+`` words (``grams``) and reads them with Arrow's RE2
    (``words``): the two must agree on every script and mark feedback is written in."""
    flat, rows = m.words(texts)
    expected = [(r, w) for r, t in enumerate(texts) for w in m.TOKEN.findall(t)]
    assert list(zip(rows.tolist(), flat.to_pylist())) == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(FEEDBACK_CHARS, min_size=1, max_size=12) | st.integers(60, 300).map("ه".__mul__), max_size=8))
def test_a_words_pieces_are_found_in_arrow_as_python_cuts_them(words: list[str]) -> None:
    """Each word's character n-grams that are the model's pieces (cut in Arrow a position at a time,
    or in Python for a word too long for that) are those ``subwords`` gives, as many times each."""
    model = m.model()
    lo, hi = model.meta["subwords"]["n"]
    rows, ids = model._pieces_in(words)
    expected = sorted(
        (r, model.pieces[g]) for r, w in enumerate(words) for g in m.subwords(w, lo, hi) if g in model.pieces
    )
    assert sorted(zip(rows.tolist(), ids.tolist())) == expected


def test_the_shipped_model_is_small_and_names_its_corpora() -> None:
    assert m.MODEL_PATH.stat().st_size < 5_000_000
    meta = m.load().meta
    assert set(meta["corpora"]) == {"arsarcasm_v2", "ajgt", "absa_hotels_semeval2016", "afrd_reviews", "sehhaty_dev"}
    assert "astd" not in meta["corpora"]  # GPL-2.0: tested on, never trained on
    label, p = m.load().predict(normalise("خدمة سيئة جدا وما احد يرد"))
    assert label == "negative" and 0.34 < p <= 1


@pytest.mark.parametrize("damage", ["missing", "truncated", "not_a_zip"])
def test_a_missing_or_damaged_model_stops_the_etl_in_one_line(
    landing: Path, tmp_path: Path, monkeypatch, capsys, damage: str
) -> None:
    from etl.cli import main

    bad = tmp_path / "model" / "sentiment.npz"
    bad.parent.mkdir()
    if damage == "truncated":
        bad.write_bytes(m.MODEL_PATH.read_bytes()[:5000])
    elif damage == "not_a_zip":
        bad.write_text("not a model", encoding="utf-8")
    monkeypatch.setenv("SENTIMENT_MODEL_PATH", str(bad))
    wh = tmp_path / "w.duckdb"
    assert main(["run", str(landing), "--warehouse", str(wh), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(bad) in err and "sentiment model" in err and not wh.exists()


def test_the_warehouse_says_where_each_sentiment_came_from(built) -> None:
    """The model's negative when it is at least NEGATIVE_OVERRIDE sure; else the rules' words, then
    the record's rating, then the model; an empty text with no rating is neutral with no source.
    Confidence: the rules' and the rating's measured precision, the model's probability."""
    from etl.classify import NEGATIVE_OVERRIDE, RATING_CONFIDENCE, RULES_CONFIDENCE, rules

    wh, _ = built
    con = duckdb.connect(str(wh), read_only=True)
    rows = con.execute(
        "select text_normalized, rating, sentiment, sentiment_source, sentiment_confidence from participation"
    ).fetchall()
    con.close()
    _, sentiment_rules = rules(ROOT / "data" / "reference")
    model = m.load()
    seen = set()
    overridden = 0  # records whose words or rating the model's negative overrode
    for text, rating, sentiment, source, confidence in rows[:3000]:
        words = sentiment_rules.words_label(text) if text else None
        label, p = model.predict(text) if text else (None, 0.0)
        if label == "negative" and p >= NEGATIVE_OVERRIDE:
            expected = ("model", "negative", pytest.approx(p, abs=1e-5))
            overridden += bool(words or rating)
        elif words:
            expected = ("rules", words, RULES_CONFIDENCE)
        elif rating:
            expected = ("rating", sentiment, RATING_CONFIDENCE)
        elif text:
            expected = ("model", label, pytest.approx(p, abs=1e-5))
        else:
            expected = ("none", "neutral", None)
        assert (source, sentiment, confidence) == expected, text
        seen.add(source)
    assert {"rules", "rating", "model"} <= seen and overridden


@pytest.mark.parametrize(
    ("lang", "source", "confidence", "names"),
    [
        ("en", "Sentiment from", "Sentiment confidence", {"rules", "rating", "model", "no text, no rating"}),
        ("ar", "مصدر الانطباع", "ثقة الانطباع", {"القواعد", "التقييم", "النموذج", "بلا نص ولا تقييم"}),
    ],
)
def test_the_explorer_shows_where_a_sentiment_came_from(built, monkeypatch, lang, source, confidence, names) -> None:
    wh, _ = built
    monkeypatch.setenv("WAREHOUSE_PATH", str(wh))
    at = open_page("app_pages/explorer.py", lang=lang, start="2024-01-01", end="2026-11-27")
    records = at.dataframe[0].value
    assert set(records[source]) <= names and set(records[source]) & (names - {"no text, no rating", "بلا نص ولا تقييم"})
    shown = records[confidence].dropna()
    assert len(shown) and shown.between(0, 1).all()


def test_the_explorer_reads_a_warehouse_from_before_the_sentiment_source(built, tmp_path: Path, monkeypatch) -> None:
    """Until its next run, a warehouse built by the previous version (schema 5) has no sentiment
    source or confidence: the explorer still shows its records, with those two cells empty."""
    wh, _ = built
    old = older_warehouse(wh, tmp_path, "participation", "sentiment_source", "sentiment_confidence")
    monkeypatch.setenv("WAREHOUSE_PATH", str(old))
    at = open_page("app_pages/explorer.py", lang="en")
    records = at.dataframe[0].value
    assert len(records) and set(records["Sentiment from"]) == {"no text, no rating"}
    assert records["Sentiment confidence"].isna().all()


@pytest.mark.parametrize(
    ("lang", "title", "theme", "sentiment", "rules", "model"),
    [
        ("en", "Where the labels come from", "Theme", "Sentiment", "rules", "model"),
        ("ar", "مصدر التصنيفات", "الموضوع", "الانطباع", "القواعد", "النموذج"),
    ],
)
def test_the_themes_page_says_where_the_labels_come_from(
    built, monkeypatch, lang, title, theme, sentiment, rules, model
) -> None:
    """The share of theme labels from the rules and from analysts, and of sentiment labels from the
    rules, the rating and the model, counted from participation for the chosen filters."""
    wh, _ = built
    monkeypatch.setenv("WAREHOUSE_PATH", str(wh))
    at = open_page("app_pages/themes.py", lang=lang, start="2024-01-01", end="2026-11-27")
    assert title in [s.value for s in at.subheader]
    label, source, count, share = (
        {"en": "Label", "ar": "التصنيف"}[lang],
        {"en": "Source", "ar": "المصدر"}[lang],
        {"en": "Participations", "ar": "المشاركات"}[lang],
        {"en": "Share", "ar": "النسبة"}[lang],
    )
    table = next(d.value for d in at.dataframe if label in d.value.columns)
    assert set(table[label]) == {theme, sentiment}
    assert {rules, model} <= set(table[source])
    con = duckdb.connect(str(wh), read_only=True)
    n = con.execute(
        "select count(*) from participation "
        "where submitted_at >= date '2024-01-01' and submitted_at < date '2026-11-28'"
    ).fetchall()[0][0]
    con.close()
    for name in (theme, sentiment):
        part = table[table[label] == name]
        assert part[count].sum() == n and part[share].sum() == pytest.approx(1.0)
