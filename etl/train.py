"""Train the sentiment model: ``python -m etl.train`` (``make model``), about a minute on 2 cores.

Reads the public Arabic corpora in ../shared/datasets/arabic_sentiment/ (see their README), keeps
those whose licences let a model trained on them ship here (SHIPPED below; ASTD is GPL-2.0 and ATSAD's
labels are emoji, not people's), normalises each text as the ETL does, drops texts that occur with
two labels, fits a word uni- and bigram TF-IDF and a class-balanced logistic regression
(scikit-learn), and writes data/model/sentiment.npz (plain arrays, etl/model.py).

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

from etl.model import CLASSES, MODEL_PATH, TOKEN, grams, load, save
from etl.text import normalise

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "datasets" / "arabic_sentiment"
SHIPPED = {  # corpus -> the licence a model trained on it carries (docs/model_card.md)
    "arsarcasm_v2": "MIT",
    "ajgt": "AFL-3.0",
    "absa_hotels_semeval2016": "MIT",
    "afrd_reviews": "CC BY 4.0",
}
TESTED_ONLY = ("astd", "atsad_tweets_distant")
MAX_TERMS = 120_000
SEED = 0


def read_corpus(name: str) -> list[tuple[str, str]]:
    with (CORPORA / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return [(normalise(r["text"]), r["sentiment"]) for r in csv.DictReader(fh)]


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


def fit(texts: list[str], labels: list[str]):
    """A fitted (vectorizer, classifier) pair."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=grams, sublinear_tf=True, min_df=2, max_features=MAX_TERMS, dtype=np.float64)
    x = vectorizer.fit_transform(texts)
    classifier = LogisticRegression(class_weight="balanced", C=1.0, max_iter=3000, random_state=SEED)
    classifier.fit(x, labels)
    return vectorizer, classifier


def export(vectorizer, classifier, meta: dict, path: Path = MODEL_PATH) -> None:
    terms = [None] * len(vectorizer.vocabulary_)
    for term, i in vectorizer.vocabulary_.items():
        terms[i] = term
    present = list(classifier.classes_)
    weights = np.zeros((len(terms), len(CLASSES)))
    bias = np.full(len(CLASSES), -1e4)  # a class no corpus had is never chosen
    for j, c in enumerate(present):
        k = CLASSES.index(c)
        weights[:, k] = classifier.coef_[j] if len(present) > 2 else (classifier.coef_[0] * (1 if j else -1) / 2)
        bias[k] = classifier.intercept_[j] if len(present) > 2 else (classifier.intercept_[0] * (1 if j else -1) / 2)
    save(path, terms, vectorizer.idf_, weights, bias, {**meta, "classes": list(CLASSES), "tokens": TOKEN.pattern})


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


def scores(rows: list[tuple[str, str]], model_path: Path) -> dict[str, tuple[float, float]]:
    """(macro-F1, negative recall) of the rules alone, the model alone and the two combined as the
    ETL combines them (etl.classify._sentiments: the model's negative when it is at least
    ``NEGATIVE_OVERRIDE`` sure, else the rules where they find a sentiment word, else the model),
    over the classes ``rows`` have."""
    from etl.classify import NEGATIVE_OVERRIDE, rules

    model = load(model_path)
    _, sentiment_rules = rules(ROOT / "data" / "reference")
    gold = [label for _, label in rows]
    by_rules = [sentiment_rules.words_label(t) for t, _ in rows]
    among = tuple(c for c in CLASSES if c in gold)  # a two-class corpus: neutral is no answer it has
    by_model = [model.predict(text, among)[0] for text, _ in rows]
    as_etl = [model.predict(text) for text, _ in rows]  # over all three classes, as in the ETL
    combined = [
        "negative" if label == "negative" and p >= NEGATIVE_OVERRIDE and "negative" in among else (r or m)
        for r, m, (label, p) in zip(by_rules, by_model, as_etl)
    ]
    return {
        name: (_macro_f1(gold, pred), _recall(gold, pred, "negative"))
        for name, pred in (("rules", [r or "neutral" for r in by_rules]), ("model", by_model), ("combined", combined))
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
    vectorizer, classifier = fit(texts, labels)
    meta = {"corpora": SHIPPED, "texts": len(texts), "max_terms": MAX_TERMS}
    if analysts:  # the shipped model, trained on the corpora alone, keeps its bytes
        meta["analyst_corrections"] = len(analysts)
    export(vectorizer, classifier, meta, args.out)
    secs = time.perf_counter() - t0
    print(
        f"{args.out}: {len(vectorizer.vocabulary_):,} terms from {len(texts):,} texts "
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
    for left in [*SHIPPED, *TESTED_ONLY]:
        names = [n for n in SHIPPED if n != left]
        vectorizer, classifier = fit(*training_set(corpora, names))
        path = shipped.with_name(f".loco-{left}.npz")
        export(vectorizer, classifier, {"corpora": {n: SHIPPED[n] for n in names}}, path)
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
