"""Near-identical texts: MinHash over character 5-grams with LSH banding, vectorised in numpy.

Used for control 7 (the same sender sending nearly the same text again) and for campaigns (many
senders, near-identical text, a short window). Works on distinct normalised texts: identical texts
cost one signature.

datasketch, the usual library, took 15 s for 50,000 texts here (its per-text Python loop); this
computes every signature in whole-array operations, a few seconds for a million texts.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SHINGLE = 5
PERMS = 32
BANDS = 8  # 8 bands of 4 rows: pairs with Jaccard >= ~0.6 are likely to share a band
MIN_AGREEMENT = 0.6  # estimated Jaccard needed to join two texts into one cluster
MIN_CHARS = 20  # shorter texts ("شكرا", "ممتاز") are common words, not near-duplicates
# What a skeleton keeps: letters and non-decimal numerals (Python's \w without _ and digits), as
# one RE2 class so that Arrow computes every skeleton of a column at once.
_NOT_KEPT = r"[^\p{L}\p{Nl}\p{No}]+"
_MASK = np.uint64((1 << 61) - 1)


def skeletons(texts: pa.Array) -> pa.Array:
    """What near-identity compares: the words only (no punctuation, emoji, digits or markers),
    single-spaced; for a whole column."""
    return pc.utf8_trim(pc.replace_substring_regex(texts, _NOT_KEPT, " "), " ")


def skeleton(text: str) -> str:
    """The skeleton of one text (see ``skeletons``)."""
    return skeletons(pa.array([text], pa.string()))[0].as_py()


def signatures(texts: list[str], seed: int = 7) -> np.ndarray:
    """MinHash signatures (len(texts) x PERMS, uint64) of character 5-gram sets."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 1 << 61, PERMS, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 1 << 61, PERMS, dtype=np.uint64)
    padded = [t if len(t) >= SHINGLE else t.ljust(SHINGLE) for t in texts]
    lengths = np.fromiter((len(t) for t in padded), dtype=np.int64, count=len(padded))
    codes = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    # Rolling polynomial hash of every window of SHINGLE code points, across the concatenation.
    h = np.zeros(len(codes) - SHINGLE + 1, dtype=np.uint64)
    for j in range(SHINGLE):
        h = h * np.uint64(1_000_003) + codes[j : len(codes) - SHINGLE + 1 + j]
    # Keep only windows that lie inside one text.
    counts = lengths - SHINGLE + 1
    pos_in_text = np.arange(len(h)) - np.repeat(starts, lengths)[: len(h)]
    h = h[pos_in_text <= np.repeat(lengths - SHINGLE, lengths)[: len(h)]]
    offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
    sig = np.empty((len(texts), PERMS), dtype=np.uint64)
    for p in range(PERMS):
        sig[:, p] = np.minimum.reduceat((h * a[p] + b[p]) & _MASK, offsets)
    return sig


def clusters(texts: list[str]) -> list[int]:
    """Cluster number per text (-1: short, or alike to no other text). Numbers are stable: the
    index of the cluster's first text in ``texts``."""
    n = len(texts)
    idx = np.array([i for i, t in enumerate(texts) if len(t) >= MIN_CHARS], dtype=np.int64)
    if len(idx) < 2:
        return [-1] * n
    sig = signatures([texts[i] for i in idx])
    rows = PERMS // BANDS
    pairs = []
    for band in range(BANDS):
        part = sig[:, band * rows : (band + 1) * rows]
        keys = part[:, 0]
        for r in range(1, rows):
            keys = keys * np.uint64(1_000_003) + part[:, r]
        order = np.argsort(keys, kind="stable")
        same = keys[order][1:] == keys[order][:-1]  # neighbours in a bucket: candidate pairs
        left, right = order[:-1][same], order[1:][same]
        agree = (sig[left] == sig[right]).mean(axis=1) >= MIN_AGREEMENT
        pairs.append((idx[left[agree]], idx[right[agree]]))
    u = np.concatenate([p[0] for p in pairs])
    v = np.concatenate([p[1] for p in pairs])
    first = _first_of_component(n, u, v)
    linked = np.zeros(n, dtype=bool)
    linked[u] = linked[v] = True
    return np.where(linked, first, -1).tolist()


def _first_of_component(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """For each of n nodes, the smallest node joined to it by the edges (u, v): each node takes
    the smaller label across its edges, then labels jump to their label's label, until no change
    (whole-array steps instead of a union-find loop in Python)."""
    label = np.arange(n, dtype=np.int64)
    while True:
        m = np.minimum(label[u], label[v])
        new = label.copy()
        np.minimum.at(new, u, m)
        np.minimum.at(new, v, m)
        while True:  # pointer jumping: a label's label is in the same component, and smaller
            jumped = new[new]
            if np.array_equal(jumped, new):
                break
            new = jumped
        if np.array_equal(new, label):
            return label
        label = new


def cluster_key(text: str) -> str:
    """A stable id for a cluster, from its representative text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
