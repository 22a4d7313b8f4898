"""The sentiment model's inference on a million distinct texts, as the ETL runs it (etl/model.py's
``predict_many`` in batches, on one core and on the rule workers' pool), against tokenising the same
texts alone in the same run; and the same inference as DuckDB joins of the texts' words with the
model's term weights (``SQL``), the choice the issues name, on DuckDB's two threads. The join's
probabilities are checked against ``predict_many``'s before its time is reported. Last, the model's
share of a rule worker's time (the rules, the screens and the model) on the first 200,000 texts.

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

import duckdb
import numpy as np
import pyarrow as pa

from core import settings
from etl.classify import _items, _per_text, load_rules
from etl.model import TOKEN, SentimentModel, model
from etl.text import normalise, strings
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


# The model as joins (the same arithmetic as etl/model.py: TF-IDF of the words and word pairs with
# sublinear tf and l2 norm; each word's l2-normalised TF-IDF of its character n-grams, summed over
# the text and divided by the square root of its number of words; then the biases). ``\\w`` in RE2
# is ASCII only, so a word is spelt as Python's is: letters, digits and the underscore.
SQL = r"""
create temp table tok as select i, regexp_extract_all(t, '[\p{L}\p{N}_]+') as w from texts;
create temp table occ as select i, unnest(w) as word, unnest(range(len(w))) as k from tok;
create temp table share as
  with dw as (select distinct word from occ),
  g as (
    select word, substr(' ' || word || ' ', p, n) as piece
    from (select word, unnest(range($lo, $hi + 1)) as n from dw),
      lateral (select unnest(range(1, length(word) + 4 - n)) as p)
  ),
  gx as (
    select word, (1 + ln(count(*))) * any_value(p.idf) as x, any_value(p.w0) as w0, any_value(p.w1) as w1,
      any_value(p.w2) as w2
    from g join pieces as p using (piece) group by word, piece
  )
  select d.word, t.id, coalesce(sum(x * gx.w0) / sqrt(sum(x * x)), 0) as s0,
    coalesce(sum(x * gx.w1) / sqrt(sum(x * x)), 0) as s1, coalesce(sum(x * gx.w2) / sqrt(sum(x * x)), 0) as s2
  from dw as d left join gx using (word) left join terms as t on t.term = d.word group by d.word, t.id;
create temp table oid as select o.i, o.k, s.id, s.s0, s.s1, s.s2 from occ as o join share as s using (word);
create temp table pid as
  with x as (select i, k, word, lead(word) over (partition by i order by k) as nxt from occ)
  select i, t.id from x join terms as t on t.term = x.word || ' ' || x.nxt;
create temp table scores as
  with ids as (select i, id from oid where id is not null union all select i, id from pid),
  c as (select i, id, count(*) as c from ids group by all),
  wx as (select c.i, (1 + ln(c.c)) * t.idf as x, t.w0, t.w1, t.w2 from c join terms as t using (id)),
  wb as (
    select i, sum(x * w0) / sqrt(sum(x * x)) as s0, sum(x * w1) / sqrt(sum(x * x)) as s1,
      sum(x * w2) / sqrt(sum(x * x)) as s2
    from wx group by i
  ),
  sb as (
    select i, sum(s0) / sqrt(count(*)) as s0, sum(s1) / sqrt(count(*)) as s1, sum(s2) / sqrt(count(*)) as s2
    from oid group by i
  )
  select t.i, $b0 + coalesce(wb.s0, 0) + coalesce(sb.s0, 0) as c0, $b1 + coalesce(wb.s1, 0) + coalesce(sb.s1, 0) as c1,
    $b2 + coalesce(wb.s2, 0) + coalesce(sb.s2, 0) as c2
  from texts as t left join wb using (i) left join sb using (i);
"""


def _block(names: list[str], idf: np.ndarray, weights: np.ndarray, column: str) -> pa.Table:
    cols = {column: names, "id": np.arange(len(names), dtype=np.int32), "idf": idf.astype(np.float64)}
    return pa.table(cols | {f"w{c}": weights[:, c].astype(np.float64) for c in range(weights.shape[1])})


def in_duckdb(m: SentimentModel, corpus: list[str]) -> tuple[np.ndarray, float]:
    """Each text's class probabilities, computed by DuckDB (``SQL``), and the seconds the joins took
    (loading the texts and the model's arrays not counted)."""
    if len(m.classes) != 3:
        raise ValueError("the joins are written for three classes")
    con = duckdb.connect()
    try:
        con.execute("set threads = 2")
        terms = _block(sorted(m.index, key=m.index.get), m.idf, m.weights, "term")
        pieces = _block(sorted(m.pieces, key=m.pieces.get), m.piece_idf, m.piece_weights, "piece")
        texts = pa.table({"i": np.arange(len(corpus), dtype=np.int32), "t": corpus})
        for name, table in (("terms", terms), ("pieces", pieces), ("texts", texts)):
            con.register(f"_{name}", table)
            con.execute(f"create temp table {name} as select * from _{name}")
            con.unregister(f"_{name}")
        lo, hi = m.meta["subwords"]["n"]
        values = {"lo": lo, "hi": hi} | {f"b{c}": float(m.bias[c]) for c in range(3)}
        t0 = time.perf_counter()
        for statement in filter(str.strip, SQL.split(";")):
            con.execute(statement, {k: v for k, v in values.items() if f"${k}" in statement})
        out = con.sql("select c0, c1, c2 from scores order by i").fetchnumpy()
        took = time.perf_counter() - t0
    finally:
        con.close()
    s = np.stack([out["c0"], out["c1"], out["c2"]], axis=1)
    p = np.exp(s - s.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True), took


def worker_share(columns: list[pa.Array]) -> tuple[float, int]:
    """The model's share of a rule worker's time (``etl.classify._per_text``: the theme and
    sentiment rules, the two screens and the model) on these texts, on one core with the caches
    warm, and the number of texts."""
    reference = settings.path("REFERENCE_DIR")
    load_rules(reference)
    items = _items(pa.concat_arrays([c.cast(pa.string()) for c in columns]), reference)
    _per_text(items.slice(0, 1000), reference)
    t0 = time.perf_counter()
    _per_text(items, reference)
    whole = time.perf_counter() - t0
    t0 = time.perf_counter()
    model().predict_many(items.column("text"))
    return (time.perf_counter() - t0) / whole, len(items)


def _predict(batch: pa.Array) -> int:
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
    columns = [strings(b) for b in batches]  # the model reads Arrow columns, as the rule workers pass them
    t0 = time.perf_counter()
    for c in columns:
        m.predict_many(c)
    one = time.perf_counter() - t0
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_predict, columns[:2]))  # the workers load the model first, as the ETL's do
        t0 = time.perf_counter()
        assert sum(pool.map(_predict, columns)) == len(corpus)
        two = time.perf_counter() - t0
    joined, sql = in_duckdb(m, corpus)
    check = min(len(corpus), 20_000)
    gap = float(np.abs(joined[:check] - m.probabilities(corpus[:check])).max()) if check else 0.0
    if gap > 1e-9:
        raise SystemExit(f"the joins' probabilities differ from the model's by up to {gap:.2e}")
    share, sampled = worker_share(columns[: max(1, 200_000 // BATCH)])
    line = (
        f"| {len(corpus):,} ({words:.0f} words each on average) | {one:.1f} s | {two:.1f} s | "
        f"{sql:.1f} s ({sql / two:.1f}x the workers) | {one / tokenise:.1f}x tokenising them alone ({tokenise:.1f} s) "
        f"| {share:.0%} (of {sampled:,} texts) |"
    )
    print(line)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(
            f"\n## {dt.date.today().isoformat()}: sentiment model inference on distinct texts (`python -m bench.model "
            f"--texts {args.texts}`)\n\nThe issue's bar: 1M distinct texts in 15 s or less on this machine.\n\n"
            "| texts | one core | two worker processes | DuckDB joins, two threads "
            "| against the same run's baseline | the model's share of a rule worker's time |\n"
            "| --- | --- | --- | --- | --- | --- |\n" + line + "\n"
        )


if __name__ == "__main__":
    main()
