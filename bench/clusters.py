"""An append's near-identical clusters: found again where its new texts reach, against every text's.

    python -m bench.clusters [--texts 1000000] [--new 0.01] [--repeat 3]

Signatures of TEXTS distinct texts, as etl.similar makes them: random, but for groups of 2-30 near
copies (a few values changed) that hold about a third of the texts, so that components stay small,
as in real feedback (the largest of the six public corpora's is printed when they are there). A
share NEW of them is new. Times, alternated in one process: ``cluster_state`` over every text (a
build's pass, and an append's before ``recluster``) and ``recluster`` from the stored components;
checks that both give the same clusters; prints the medians and their ratio, and appends a line to
bench/results.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from pathlib import Path

import numpy as np

from etl import similar

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.md"
CORPORA = ROOT.parent / "shared" / "datasets" / "arabic_sentiment"


def signatures(n: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    sig = rng.integers(0, 1 << 16, (n, similar.PERMS), dtype=np.uint16)
    start = 0
    while start < n:
        size = int(rng.integers(2, 31))
        if rng.random() < 0.3:
            for k in range(start + 1, min(start + size, n)):
                sig[k] = sig[start]
                sig[k, rng.integers(0, similar.PERMS, int(rng.integers(0, 10)))] = rng.integers(0, 1 << 16)
        start += size
    return sig[rng.permutation(n)]


def largest_component_of_the_corpora() -> tuple[int, int] | None:
    """(distinct long texts, texts in the largest component) over the six public corpora."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    from etl.text import normalise_array

    files = sorted(CORPORA.glob("*.csv"))
    if not files:
        return None
    texts = pa.chunked_array([pcsv.read_csv(f).column("text").cast(pa.string()) for f in files]).combine_chunks()
    _, sig = similar.sketches(pc.unique(normalise_array(pc.unique(texts.drop_null()))))
    _, _, comp = similar.cluster_state(sig)
    return len(sig), int(np.unique(comp, return_counts=True)[1].max())


def main(texts: int, new: float, repeat: int) -> None:
    sig = signatures(texts)
    known = np.random.default_rng(4).random(texts) >= new
    _, _, stored = similar.cluster_state(sig[known])
    component = np.zeros(texts, dtype=np.uint64)
    component[known] = stored
    similar.RECLUSTER_SHARE = 1.0  # measured whatever it reaches
    similar.recluster(sig[:1000], component[:1000], known[:1000])  # compiled, or loaded from numba's cache
    full, again, reached = [], [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        every = similar.cluster_state(sig)
        full.append(time.perf_counter() - t)
        t = time.perf_counter()
        rows, cluster, in_one, comp = similar.recluster(sig, component, known)
        again.append(time.perf_counter() - t)
        same = (in_one == every[1][rows]).all() and (cluster == every[0][rows]).all()
        if not (same and (comp == every[2][rows]).all()):
            raise SystemExit("recluster and cluster_state disagree")
        reached = len(rows)
    ratio = statistics.median(again) / statistics.median(full)
    corpora = largest_component_of_the_corpora()
    why = f"; the six public corpora: {corpora[0]:,} long texts, largest component {corpora[1]}" if corpora else ""
    line = (
        f"- {dt.date.today()} `python -m bench.clusters --texts {texts} --new {new} --repeat {repeat}`: "
        f"{texts:,} signatures, {known.size - known.sum():,} new, {reached:,} found again; every text's clusters "
        f"{statistics.median(full):.3f} s (of {', '.join(f'{x:.3f}' for x in full)}), found again where the "
        f"new reach {statistics.median(again):.3f} s (of {', '.join(f'{x:.3f}' for x in again)}): "
        f"{ratio:.2f}x{why}\n"
    )
    print(line, end="")
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1_000_000)
    parser.add_argument("--new", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    main(args.texts, args.new, args.repeat)
