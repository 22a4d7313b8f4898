"""Train the sentiment model: ``python -m etl.train`` (``make model``), about a minute on 2 cores
(``--evaluate``: about three more).

Reads the public Arabic corpora in ../shared/datasets/arabic_sentiment/ (see their README), keeps
those whose licences let a model trained on them ship here (SHIPPED below; ASTD is GPL-2.0 and ATSAD's
labels are emoji, not people's), adds Sehhaty's dev half (``sehhaty_dev``), normalises each text as
the ETL does, drops texts that occur with two labels, fits the two blocks of features of
``etl.model.SentimentModel`` (word uni- and bigram TF-IDF; each word's character n-grams) and a
class-balanced logistic regression (scikit-learn), and writes data/model/sentiment.npz (plain arrays).

``--corrections WAREHOUSE`` adds the analysts' sentiment corrections of that warehouse (its
corrections store, etl/corrections.py) to the training data: the stored redacted, normalised text
with the analyst's label, which wins over any corpus's label for the same text.

``--evaluate`` also prints the honest estimate the model card reports: leave-one-corpus-out (train
on the shipped corpora but one, test on it, over the classes it has; ASTD and ATSAD are only ever
tested on), and Sehhaty's held-out half, for the rules alone, the model alone and the two combined.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

from etl.model import CLASSES, MODEL_PATH, TOKEN, grams, load, save, subwords
from etl.text import normalise

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "datasets" / "arabic_sentiment"
SEHHATY = "sehhaty_dev"  # the dev half of ../shared/datasets/sehhaty_reviews (bench.text_quality)
SHIPPED = {  # corpus -> the licence a model trained on it carries (docs/model_card.md)
    "arsarcasm_v2": "MIT",
    "ajgt": "AFL-3.0",
    "absa_hotels_semeval2016": "MIT",
    "afrd_reviews": "CC BY 4.0",
    SEHHATY: "MIT (the reviews are Google Play user content)",
}
TESTED_ONLY = ("astd", "atsad_tweets_distant")
MAX_TERMS = 120_000
MAX_PIECES = 200_000
SUBWORDS = (3, 5)  # character n-grams of a word, 3 to 5 long
SEED = 0


def read_corpus(name: str) -> list[tuple[str, str]]:
    if name == SEHHATY:
        return sehhaty_dev()
    with (CORPORA / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return [(normalise(r["text"]), r["sentiment"]) for r in csv.DictReader(fh)]


def sehhaty_dev() -> list[tuple[str, str]]:
    """Sehhaty's dev half (real feedback to a government app, in Saudi dialect: the domain the other
    corpora lack), without any text that its held-out half also holds, so that the held-out half
    stays unseen: "ممتاز" is in both 58 times, and would be scored on what it was trained on."""
    from bench.text_quality import load as load_sehhaty

    rows = load_sehhaty()
    held = {normalise(r["text"]) for r in rows if r["split"] == "held_out"}
    dev = ((normalise(r["text"]), r["sentiment"]) for r in rows if r["split"] == "dev")
    return [(text, label) for text, label in dev if text not in held]


def training_set(corpora: dict[str, list[tuple[str, str]]], names: list[str]) -> tuple[list[str], list[str]]:
    """The texts of ``names``, each once; a text given two labels (across corpora too) is dropped."""
    labels: dict[str, set[str]] = {}
    for name in names:
        for text, label in corpora[name]:
            if text:
                labels.setdefault(text, set()).add(label)
    texts = sorted(t for t, ls in labels.items() if len(ls) == 1)
    return texts, [next(iter(labels[t])) for t in texts]


def analyst_examples(warehouse: Path) -> list[tuple[str, str]]:
    """(normalised text, sentiment) for each record of ``warehouse`` whose sentiment an analyst
    corrected (the latest correction); records no longer in the warehouse are skipped."""
    import duckdb

    from etl import corrections

    fixes = {pid: s for pid, _, s in corrections.latest(corrections.store_path(warehouse)) if s}
    if not fixes:
        return []
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        found = con.execute(
            "select participation_id, text_normalized from participation "
            "where participation_id in (select unnest(?)) order by participation_id",
            [sorted(fixes)],
        ).fetchall()
    finally:
        con.close()
    return [(text, fixes[pid]) for pid, text in found if text]


def with_analysts(texts: list[str], labels: list[str], analysts: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """The training set with the analysts' examples added; theirs is the label of a text they share."""
    merged = dict(zip(texts, labels)) | dict(analysts)
    ordered = sorted(merged)
    return ordered, [merged[t] for t in ordered]


class Features:
    """The model's two blocks of features (etl.model.SentimentModel), as scikit-learn matrices: word
    TF-IDF, and beside it the sum of each word's character n-gram TF-IDF vector over the text's
    words, divided by the square root of their number."""

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.words = TfidfVectorizer(
            analyzer=grams, sublinear_tf=True, min_df=2, max_features=MAX_TERMS, dtype=np.float64
        )
        self.pieces = TfidfVectorizer(
            analyzer=_pieces, sublinear_tf=True, min_df=2, max_features=MAX_PIECES, dtype=np.float64
        )

    def fit_transform(self, texts: list[str]):
        self.words.fit(texts)
        self.pieces.fit(sorted({t for text in texts for t in TOKEN.findall(text)}))  # idf over distinct words
        return self.transform(texts)

    def transform(self, texts: list[str]):
        import scipy.sparse as sp

        tokens = [TOKEN.findall(t) for t in texts]
        vocab = sorted({t for toks in tokens for t in toks})
        at = {t: i for i, t in enumerate(vocab)}
        rows = [r for r, toks in enumerate(tokens) for _ in toks]
        cols = [at[t] for toks in tokens for t in toks]
        share = [1 / np.sqrt(len(toks)) for toks in tokens for _ in toks]
        mean = sp.csr_matrix((share, (rows, cols)), shape=(len(texts), len(vocab)))
        by_word = self.pieces.transform(vocab) if vocab else sp.csr_matrix((0, len(self.pieces.vocabulary_)))
        return sp.hstack([self.words.transform(texts), mean @ by_word]).tocsr()


def _pieces(word: str) -> list[str]:
    return subwords(word, *SUBWORDS)


def fit(texts: list[str], labels: list[str]):
    """A fitted (features, classifier) pair."""
    from sklearn.linear_model import LogisticRegression

    features = Features()
    x = features.fit_transform(texts)
    classifier = LogisticRegression(class_weight="balanced", C=1.0, max_iter=3000, random_state=SEED)
    classifier.fit(x, labels)
    return features, classifier


def _vocabulary(vectorizer) -> list[str]:
    terms = [""] * len(vectorizer.vocabulary_)
    for term, i in vectorizer.vocabulary_.items():
        terms[i] = term
    return terms


def export(features: Features, classifier, meta: dict, path: Path = MODEL_PATH) -> None:
    terms, pieces = _vocabulary(features.words), _vocabulary(features.pieces)
    present = list(classifier.classes_)
    weights = np.zeros((len(terms) + len(pieces), len(CLASSES)))
    bias = np.full(len(CLASSES), -1e4)  # a class no corpus had is never chosen
    for j, c in enumerate(present):
        k = CLASSES.index(c)
        weights[:, k] = classifier.coef_[j] if len(present) > 2 else (classifier.coef_[0] * (1 if j else -1) / 2)
        bias[k] = classifier.intercept_[j] if len(present) > 2 else (classifier.intercept_[0] * (1 if j else -1) / 2)
    meta = {**meta, "classes": list(CLASSES), "tokens": TOKEN.pattern, "subwords": {"n": list(SUBWORDS)}}
    save(
        path,
        terms,
        features.words.idf_,
        weights[: len(terms)],
        bias,
        meta,
        pieces,
        features.pieces.idf_,
        weights[len(terms) :],
    )


def _macro_f1(gold: list[str], pred: list[str]) -> float:
    f1s = []
    for c in sorted(set(gold)):
        tp = sum(g == c == p for g, p in zip(gold, pred))
        fp = sum(p == c != g for g, p in zip(gold, pred))
        fn = sum(g == c != p for g, p in zip(gold, pred))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(f1s) / len(f1s)


def _recall(gold: list[str], pred: list[str], c: str) -> float:
    n = sum(g == c for g in gold)
    return sum(g == c == p for g, p in zip(gold, pred)) / n if n else float("nan")


def combined(p: np.ndarray, classes: list[str], among: tuple[str, ...], by_rules: list[str]) -> list[str]:
    """The ETL's sentiment of texts with no rating (etl.classify._sentiments), from the model's
    probabilities ``p`` over ``classes`` (a row per text) and the rules' labels ("" or None where
    they find no sentiment word): the model's negative when it is at least ``NEGATIVE_OVERRIDE``
    sure, else the rules, else the model's most likely class of ``among`` (a corpus's classes)."""
    from etl.classify import NEGATIVE_OVERRIDE

    model = [classes[i] for i in np.where([c in among for c in classes], p, -1).argmax(axis=1)]
    neg = classes.index("negative")
    complaint = (p.argmax(axis=1) == neg) & (p[:, neg] >= NEGATIVE_OVERRIDE) & ("negative" in among)
    return ["negative" if c else (r or m) for c, r, m in zip(complaint, by_rules, model)]


def scores(rows: list[tuple[str, str]], model_path: Path) -> dict[str, tuple[float, float]]:
    """(macro-F1, negative recall) of the rules alone, the model alone and the two combined as the
    ETL combines them (``combined``), over the classes ``rows`` have."""
    from etl.classify import rules

    model = load(model_path)
    _, sentiment_rules = rules(ROOT / "data" / "reference")
    gold = [label for _, label in rows]
    by_rules = [sentiment_rules.words_label(t) for t, _ in rows]
    among = tuple(c for c in CLASSES if c in gold)  # a two-class corpus: neutral is no answer it has
    p = model.probabilities([text for text, _ in rows])  # over all three classes, as in the ETL
    classes = list(model.classes)
    by_model = [classes[i] for i in np.where([c in among for c in classes], p, -1).argmax(axis=1)]
    return {
        name: (_macro_f1(gold, pred), _recall(gold, pred, "negative"))
        for name, pred in (
            ("rules", [r or "neutral" for r in by_rules]),
            ("model", by_model),
            ("combined", combined(p, classes, among, by_rules)),
        )
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m etl.train", description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=MODEL_PATH, help="where to write the model")
    ap.add_argument("--evaluate", action="store_true", help="leave-one-corpus-out and Sehhaty's held-out half")
    ap.add_argument(
        "--corrections", type=Path, metavar="WAREHOUSE", help="add the analysts' sentiment corrections of WAREHOUSE"
    )
    args = ap.parse_args(argv)
    if args.corrections is not None and not args.corrections.is_file():
        print(
            f"error: {args.corrections}: no warehouse there; pass the warehouse the analysts corrected", file=sys.stderr
        )
        return 2
    if not CORPORA.is_dir():
        print(f"error: {CORPORA}: the training corpora are not there (../shared/datasets)", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    corpora = {name: read_corpus(name) for name in [*SHIPPED, *TESTED_ONLY]}
    texts, labels = training_set(corpora, list(SHIPPED))
    analysts = analyst_examples(args.corrections) if args.corrections is not None else []
    texts, labels = with_analysts(texts, labels, analysts)
    features, classifier = fit(texts, labels)
    meta = {"corpora": SHIPPED, "texts": len(texts), "max_terms": MAX_TERMS, "max_pieces": MAX_PIECES}
    if analysts:  # the shipped model, trained on the corpora alone, keeps its bytes
        meta["analyst_corrections"] = len(analysts)
    export(features, classifier, meta, args.out)
    secs = time.perf_counter() - t0
    print(
        f"{args.out}: {len(features.words.vocabulary_):,} terms and {len(features.pieces.vocabulary_):,} "
        f"subwords from {len(texts):,} texts "
        f"({len(analysts):,} corrected by analysts) in {secs:.0f} s"
    )
    if args.evaluate:
        evaluate(corpora, args.out)
    return 0


def evaluate(corpora: dict[str, list[tuple[str, str]]], shipped: Path) -> None:
    """Print the model card's table: each corpus left out, then Sehhaty's held-out half."""
    from bench.text_quality import load as load_sehhaty

    print("| left out | rules F1 / neg. recall | model | combined |")
    print("| --- | --- | --- | --- |")
    for left in [name for name in [*SHIPPED, *TESTED_ONLY] if name != SEHHATY]:  # Sehhaty: its held-out half
        names = [n for n in SHIPPED if n != left]
        features, classifier = fit(*training_set(corpora, names))
        path = shipped.with_name(f".loco-{left}.npz")
        export(features, classifier, {"corpora": {n: SHIPPED[n] for n in names}}, path)
        s = scores(corpora[left], path)
        path.unlink()
        print(f"| {left} | " + " | ".join(f"{f:.3f} / {r:.2f}" for f, r in s.values()) + " |")
    held = [(normalise(r["text"]), r["sentiment"]) for r in load_sehhaty() if r["split"] == "held_out"]
    s = scores(held, shipped)
    print(
        "| sehhaty held-out (words only, no rating) | " + " | ".join(f"{f:.3f} / {r:.2f}" for f, r in s.values()) + " |"
    )


if __name__ == "__main__":
    raise SystemExit(main())
