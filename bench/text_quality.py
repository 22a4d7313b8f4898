"""Theme and sentiment quality on the real, labelled Sehhaty reviews (Arabic rows).

    python -m bench.text_quality            # dev and held-out figures
    python -m bench.text_quality --errors dev   # the dev half's mistakes, for tuning the rules

The Arabic rows are split by position: even rows are the dev half (rules may be tuned on them), odd
rows are held out and are never read while tuning. Sehhaty's Subtheme_GT (and, for general remarks,
Sentiment_GT) maps to the agency's taxonomy through bench/sehhaty_theme_map.csv.

Beside the rules, a supervised baseline (scikit-learn, a development dependency): TF-IDF character
n-grams of the normalised text and a class-balanced logistic regression, fit on the dev half only and
scored on the held-out half, alone and filling in where the rules find no theme.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

import pyarrow as pa

from etl.classify import features, rules, theme_and_sentiment
from etl.text import normalise

ROOT = Path(__file__).resolve().parent.parent
DATASET = ROOT.parent / "shared" / "datasets" / "sehhaty_reviews" / "sehhaty_reviews_2000.csv"
REFERENCE = ROOT / "data" / "reference"


def load() -> list[dict]:
    with DATASET.open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["🌐 Language"] == "Arabic"]
    theme_map = {}
    with (ROOT / "bench" / "sehhaty_theme_map.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            theme_map[(r["subtheme_gt"], r["sentiment_gt"])] = r["theme"]
    out = []
    for i, r in enumerate(rows):
        sub, sent = r["Subtheme_GT"], r["Sentiment_GT"]
        out.append(
            {
                "split": "dev" if i % 2 == 0 else "held_out",
                "text": r["📝Content"],
                "rating": int(r["⭐Rating"]),
                "sentiment": sent.lower(),
                "theme": theme_map.get((sub, sent), theme_map.get((sub, "*"), "other")),
            }
        )
    return out


def macro_f1(gold: list[str], pred: list[str]) -> float:
    labels = sorted(set(gold))
    f1s = []
    for c in labels:
        tp = sum(g == c and p == c for g, p in zip(gold, pred))
        fp = sum(g != c and p == c for g, p in zip(gold, pred))
        fn = sum(g == c and p != c for g, p in zip(gold, pred))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return sum(f1s) / len(f1s)


def interval(gold: list[str], pred: list[str], rounds: int = 1000, seed: int = 0) -> tuple[float, float]:
    """A 95% bootstrap interval of macro-F1: the rows drawn again with replacement ``rounds`` times.
    With classes of one or two rows (privacy, response speed, new services in Sehhaty's halves) one
    record moves macro-F1 by several points; the interval says how far a figure can be trusted."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = len(gold)
    draws = []
    for _ in range(rounds):
        idx = rng.integers(0, n, n)
        draws.append(macro_f1([gold[i] for i in idx], [pred[i] for i in idx]))
    lo, hi = np.percentile(draws, [2.5, 97.5])
    return float(lo), float(hi)


def evaluate(rows: list[dict]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for split in ("dev", "held_out", "all"):
        part = [r for r in rows if split == "all" or r["split"] == split]
        norm = [normalise(r["text"]) for r in part]
        # as the ETL labels them: etl.classify.features, the rules, the rating and the model
        found = features(pa.array(norm), pa.array([r["rating"] for r in part], pa.int64()), REFERENCE, clusters=False)
        ps = [str(s) for s in found.column("sentiment").to_pylist()]
        pt = [str(s) for s in found.column("theme").to_pylist()]
        gs, gt = [r["sentiment"] for r in part], [r["theme"] for r in part]
        rating_only = ["positive" if r["rating"] >= 4 else "negative" if r["rating"] <= 2 else "neutral" for r in part]
        out[split] = {
            "rows": len(part),
            "sentiment_accuracy": sum(a == b for a, b in zip(gs, ps)) / len(part),
            "sentiment_macro_f1": macro_f1(gs, ps),
            "rating_only_macro_f1": macro_f1(gs, rating_only),
            "theme_accuracy": sum(a == b for a, b in zip(gt, pt)) / len(part),
            "theme_macro_f1": macro_f1(gt, pt),
            "theme_macro_f1_interval": interval(gt, pt),
            "theme_macro_f1_large": macro_f1(
                [g for g in gt if sum(x == g for x in gt) >= 20],
                [p for g, p in zip(gt, pt) if sum(x == g for x in gt) >= 20],
            ),
        }
    return out


def supervised(rows: list[dict]) -> dict[str, list[str]]:
    """The held-out rows' theme and sentiment as predicted by the supervised baseline, fit on the
    dev rows alone (their texts and labels; nothing of the held-out half but its texts)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    dev = [r for r in rows if r["split"] == "dev"]
    held_out = [normalise(r["text"]) for r in rows if r["split"] == "held_out"]
    out = {}
    for target in ("theme", "sentiment"):
        model = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
            LogisticRegression(max_iter=2000, C=10, class_weight="balanced"),
        )
        model.fit([normalise(r["text"]) for r in dev], [r[target] for r in dev])
        out[target] = [str(p) for p in model.predict(held_out)]
    return out


def compare(rows: list[dict]) -> dict[str, dict[str, float]]:
    """Held-out figures of the ETL's labels (rules, rating and model, as ``evaluate``), the supervised
    baseline, and the ETL's with the baseline's theme where the ETL says "other"."""
    held = [r for r in rows if r["split"] == "held_out"]
    found = features(
        pa.array([normalise(r["text"]) for r in held]),
        pa.array([r["rating"] for r in held], pa.int64()),
        REFERENCE,
        clusters=False,
    )
    etl_themes = [str(t) for t in found.column("theme").to_pylist()]
    model = supervised(rows)
    themes = {
        "the ETL's": etl_themes,
        "supervised": model["theme"],
        "the ETL's, then supervised for other": [m if t == "other" else t for t, m in zip(etl_themes, model["theme"])],
    }
    sentiments = {
        "the ETL's": [str(s) for s in found.column("sentiment").to_pylist()],
        "supervised": model["sentiment"],
    }
    gt, gs = [r["theme"] for r in held], [r["sentiment"] for r in held]
    out: dict[str, dict[str, float]] = {}
    for name, pred in themes.items():
        out.setdefault(name, {}).update(
            theme_accuracy=sum(a == b for a, b in zip(gt, pred)) / len(held), theme_macro_f1=macro_f1(gt, pred)
        )
    for name, pred in sentiments.items():
        out[name].update(
            sentiment_accuracy=sum(a == b for a, b in zip(gs, pred)) / len(held), sentiment_macro_f1=macro_f1(gs, pred)
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--errors", choices=["dev"], help="print the dev half's sentiment and theme mistakes")
    args = ap.parse_args()
    if not DATASET.exists():
        raise SystemExit(f"{DATASET} not found: the Sehhaty dataset lives in ../shared/datasets/")
    rows = load()
    for split, m in evaluate(rows).items():
        print(
            f"{split:9s} rows={m['rows']:4d}  sentiment: acc {m['sentiment_accuracy']:.3f} "
            f"macro-F1 {m['sentiment_macro_f1']:.3f} (rating alone {m['rating_only_macro_f1']:.3f})  "
            f"themes: acc {m['theme_accuracy']:.3f} macro-F1 {m['theme_macro_f1']:.3f} "
            f"(95% interval {m['theme_macro_f1_interval'][0]:.3f}-{m['theme_macro_f1_interval'][1]:.3f}; "
            f"over the classes of 20 rows or more {m['theme_macro_f1_large']:.3f})"
        )
    try:
        compared = compare(rows)
    except ImportError:
        print("supervised baseline: not run (scikit-learn is a development dependency: make install-dev)")
    else:
        print("held-out half, the ETL against a supervised baseline fit on the dev half:")
        for name, m in compared.items():
            sentiment = (
                f"sentiment: acc {m['sentiment_accuracy']:.3f} macro-F1 {m['sentiment_macro_f1']:.3f}  "
                if "sentiment_accuracy" in m
                else ""
            )
            print(f"  {name:33s} {sentiment}themes: acc {m['theme_accuracy']:.3f} macro-F1 {m['theme_macro_f1']:.3f}")
    print(
        "classes (all Arabic rows):",
        dict(Counter(r["sentiment"] for r in rows)),
        dict(Counter(r["theme"] for r in rows)),
    )
    if args.errors:
        _, sentiment = rules(REFERENCE)
        for r in rows:
            if r["split"] != "dev":
                continue
            t = normalise(r["text"])
            pt, _, ps = theme_and_sentiment(t, r["rating"], REFERENCE)
            if ps != r["sentiment"]:
                print(
                    f"S gold={r['sentiment']:8s} pred={ps:8s} r={r['rating']} "
                    f"score={sentiment.score(t)[0]:+.2f} | {r['text'][:100]!r}"
                )
            if pt != r["theme"]:
                print(f"T gold={r['theme']:18s} pred={pt:18s} | {r['text'][:100]!r}")


if __name__ == "__main__":
    main()
