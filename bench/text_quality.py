"""Theme and sentiment quality on the real, labelled Sehhaty reviews (Arabic rows).

    python -m bench.text_quality            # dev and held-out figures
    python -m bench.text_quality --errors dev   # the dev half's mistakes, for tuning the rules

The Arabic rows are split by position: even rows are the dev half (rules may be tuned on them), odd
rows are held out and are never read while tuning. Sehhaty's Subtheme_GT (and, for general remarks,
Sentiment_GT) maps to the agency's taxonomy through bench/sehhaty_theme_map.csv.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

from etl.classify import rules, theme_and_sentiment
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


def evaluate(rows: list[dict]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for split in ("dev", "held_out", "all"):
        part = [r for r in rows if split == "all" or r["split"] == split]
        norm = [normalise(r["text"]) for r in part]
        both = [theme_and_sentiment(t, r["rating"], REFERENCE) for t, r in zip(norm, part)]
        ps = [b[2] for b in both]
        pt = [b[0] for b in both]
        gs, gt = [r["sentiment"] for r in part], [r["theme"] for r in part]
        rating_only = ["positive" if r["rating"] >= 4 else "negative" if r["rating"] <= 2 else "neutral" for r in part]
        out[split] = {
            "rows": len(part),
            "sentiment_accuracy": sum(a == b for a, b in zip(gs, ps)) / len(part),
            "sentiment_macro_f1": macro_f1(gs, ps),
            "rating_only_macro_f1": macro_f1(gs, rating_only),
            "theme_accuracy": sum(a == b for a, b in zip(gt, pt)) / len(part),
            "theme_macro_f1": macro_f1(gt, pt),
        }
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
            f"themes: acc {m['theme_accuracy']:.3f} macro-F1 {m['theme_macro_f1']:.3f}"
        )
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
