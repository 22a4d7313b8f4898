"""The sentiment model's inference on a million distinct texts, as the ETL runs it (etl/model.py's
``predict_many`` in batches, on one core and on the rule workers' pool), against tokenising the same
texts alone in the same run.

    python -m bench.model [--texts 1000000]

The texts are real: the public corpora's (../shared/datasets/arabic_sentiment), normalised as the ETL
does, each made distinct by joining two of them (a text of about 25 words, like feedback).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from etl.model import TOKEN, model
from etl.text import normalise
from etl.train import CORPORA

RESULTS = Path(__file__).resolve().parent / "results.md"
BATCH = 20_000


def texts(n: int) -> list[str]:
    pool: list[str] = []
    for path in sorted(CORPORA.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            pool += [normalise(r["text"]) for r in csv.DictReader(fh)]
    rng = random.Random(5)
    seen: set[str] = set()
    out = []
    while len(out) < n:
        t = f"{rng.choice(pool)} {rng.choice(pool)}"
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def _predict(batch: list[str]) -> int:
    model().predict_many(batch)
    return len(batch)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=1_000_000)
    args = ap.parse_args()
    corpus = texts(args.texts)
    words = sum(len(TOKEN.findall(t)) for t in corpus[:10_000]) / min(len(corpus), 10_000)
    batches = [corpus[i : i + BATCH] for i in range(0, len(corpus), BATCH)]
    m = model()
    t0 = time.perf_counter()
    for b in batches:
        for t in b:
            TOKEN.findall(t)
    tokenise = time.perf_counter() - t0
    t0 = time.perf_counter()
    for b in batches:
        m.predict_many(b)
    one = time.perf_counter() - t0
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_predict, batches[:2]))  # the workers load the model first, as the ETL's do
        t0 = time.perf_counter()
        assert sum(pool.map(_predict, batches)) == len(corpus)
        two = time.perf_counter() - t0
    line = (
        f"| {len(corpus):,} ({words:.0f} words each on average) | {one:.1f} s | {two:.1f} s | "
        f"{one / tokenise:.1f}x tokenising them alone ({tokenise:.1f} s) |"
    )
    print(line)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(
            f"\n## {dt.date.today().isoformat()}: sentiment model inference on distinct texts (`python -m bench.model "
            f"--texts {args.texts}`)\n\nThe issue's bar: 1M distinct texts in 15 s or less on this machine.\n\n"
            "| texts | one core | two worker processes | against the same run's baseline |\n"
            "| --- | --- | --- | --- |\n" + line + "\n"
        )


if __name__ == "__main__":
    main()
