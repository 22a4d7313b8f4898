"""Near-identical texts: MinHash over character 5-grams with LSH banding, vectorised in numpy.

Used for control 7 (the same sender sending nearly the same text again) and for campaigns (many
senders, near-identical text, a short window). Works on distinct normalised texts: identical texts
cost one signature.

datasketch, the usual library, took 15 s for 50,000 texts here (its per-text Python loop); this
computes every signature in whole-array operations, on threads (numpy and Arrow release the GIL),
and joins the near-identical pairs by a compiled union-find (numba).
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl.parallel import on_threads, over_slices
from etl.text import code_points, large_strings

SHINGLE = 5
PERMS = 32
BANDS = 8  # 8 bands of 4 rows: pairs with Jaccard >= ~0.6 are likely to share a band
MIN_AGREEMENT = 0.6  # estimated Jaccard needed to join two texts into one cluster
MIN_CHARS = 20  # shorter texts ("شكرا", "ممتاز") are common words, not near-duplicates
# What a skeleton keeps: letters and non-decimal numerals (Python's \w without _ and digits), as
# one RE2 class so that Arrow computes every skeleton of a column at once. Spaces are left out of
# the first pass, which then matches only what lies inside the gaps between words (a few runs a
# text, not every gap: RE2's replacing costs by the match), and runs of spaces are made one after.
_NOT_KEPT = r"[^\p{L}\p{Nl}\p{No} ]+"
_MASK = np.uint64((1 << 61) - 1)
# b-bit minwise hashing (Li and König, 2010): a signature keeps 16 bits of each minimum, spread by a
# multiply (the minimum's own high bits are mostly zero), not all 61. Two texts agree on a
# permutation when they share its minimum (the Jaccard estimate) or, otherwise, with odds of 2^-16:
# the same clusters, at a quarter of the memory (a warehouse's text_sketch, and every signature a
# run holds to cluster: 10 million texts in 640 MB).
SIG_DTYPE = np.uint16
_SPREAD = np.uint64(0x9E3779B97F4A7C15)
_KEEP = np.uint64(64 - 16)


def skeletons(texts: pa.Array) -> pa.Array:
    """What near-identity compares: the words only (no punctuation, emoji, digits or markers),
    single-spaced; for a whole column, in slices on every core."""
    return pa.concat_arrays(over_slices(texts, _skeletons))


def _skeletons(texts: pa.Array) -> pa.Array:
    return pc.utf8_trim(pc.replace_substring_regex(pc.replace_substring_regex(texts, _NOT_KEPT, " "), "  +", " "), " ")


def skeleton(text: str) -> str:
    """The skeleton of one text (see ``skeletons``)."""
    return skeletons(pa.array([text], pa.string()))[0].as_py()


def signatures(texts: pa.Array | pa.ChunkedArray | list[str], seed: int = 7, block: int = 1 << 18) -> np.ndarray:
    """MinHash signatures (len(texts) x PERMS, SIG_DTYPE: b-bit) of character 5-gram sets (no nulls; a text
    shorter than a shingle is padded with spaces).

    Texts go through in blocks of about ``block`` characters, so that each permutation's hashes
    stay in the CPU's cache instead of streaming a whole column through memory 32 times (a third of
    the time for a million texts, the same signatures)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 1 << 61, PERMS, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 1 << 61, PERMS, dtype=np.uint64)
    codes, lengths = code_points(pc.utf8_rpad(large_strings(texts), SHINGLE))
    n = len(lengths)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    sig = np.empty((n, PERMS), dtype=SIG_DTYPE)
    i = 0
    while i < n:
        j = min(n, max(i + 1, int(np.searchsorted(ends, starts[i] + block, side="right"))))
        c = codes[starts[i] : ends[j - 1]].astype(np.uint64)
        # Rolling polynomial hash of every window of SHINGLE code points, across the block's texts.
        w = len(c) - SHINGLE + 1
        h = c[:w].copy()
        for k in range(1, SHINGLE):
            h *= np.uint64(1_000_003)
            h += c[k : k + w]
        # Each text's own windows, then the SHINGLE - 1 windows that cross into the next text:
        # reduced as segments of their own and dropped.
        first = starts[i:j] - starts[i]
        bounds = np.empty(2 * (j - i) - 1, dtype=np.int64)
        bounds[0::2] = first
        bounds[1::2] = (first + lengths[i:j] - SHINGLE + 1)[:-1]
        hashed = np.empty_like(h)
        for p in range(PERMS):
            np.multiply(h, a[p], out=hashed)
            hashed += b[p]
            hashed &= _MASK
            least = np.minimum.reduceat(hashed, bounds)[0::2]
            least *= _SPREAD
            sig[i:j, p] = least >> _KEEP
        i = j
    return sig


def sketches(texts: pa.Array | pa.ChunkedArray | list[str]) -> tuple[np.ndarray, np.ndarray]:
    """What clustering needs of each text: whether its skeleton is long enough to cluster (a bool
    per text), and the MinHash signatures of those that are (one row each, in the texts' order).
    Computed in slices on every core (numpy releases the GIL), four per core, so that the slices in
    memory at once hold a quarter of the column's code points. A warehouse keeps them
    (``text_sketch``), so that an append computes them for its new texts only."""
    texts = large_strings(skeletons(large_strings(texts)))
    long = pc.greater_equal(pc.utf8_length(texts), MIN_CHARS).to_numpy(zero_copy_only=False)
    if not long.any():
        return long, np.empty((0, PERMS), dtype=SIG_DTYPE)
    return long, np.concatenate(over_slices(texts.filter(pa.array(long)), signatures, per_core=4))


def clusters(texts: pa.Array | pa.ChunkedArray | list[str]) -> np.ndarray:
    """Cluster number per text (-1: short, or alike to no other text). Numbers are stable: the
    index of the cluster's first text in ``texts``, to which every member is near-identical."""
    return _clusters(*sketches(texts))


def _clusters(long: np.ndarray, sig: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """``clusters`` from the texts' sketches (``sketches``: a signature per long text). ``order``:
    the row of ``sig`` of each long text, when the rows are not in the texts' order (reading
    through it costs less than gathering a copy of 64 MB per million texts)."""
    return _clusters_and_components(long, sig, order)[0]


def _clusters_and_components(
    long: np.ndarray, sig: np.ndarray, order: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``_clusters``, and each text's component (-1: short): the index of its first text, its own
    for a text alike to no other. The component is what an append needs to find again only the
    clusters its new texts can change (``recluster``).

    The near-identical pairs are LSH's candidates: in each band, the neighbours in a bucket (texts
    in order). Their connected components are found as they come, by union-find (compiled): a pair
    already in one component is not compared at all. The same components as the
    whole graph's, where a graph of every pair took 32 s at 10 million texts."""
    n = len(long)
    idx = np.flatnonzero(long).astype(np.int32)  # positions as 32 bits: half the memory
    if len(idx) < 2:
        component = np.full(n, -1, dtype=np.int64)
        component[idx] = idx
        return np.full(n, -1, dtype=np.int64), component
    if len(sig) != len(idx) or (order is not None and len(order) != len(idx)):  # the compiled loops trust it
        raise ValueError("one signature, and one row of order, per long text")
    rows = PERMS // BANDS
    at = np.arange(len(idx), dtype=np.int32) if order is None else order.astype(np.int32, copy=False)

    need = MIN_AGREEMENT * PERMS

    # Each band's near-identical pairs are found on every core (compiled without the GIL): its
    # buckets sorted, each two neighbours compared unless the components known when it started
    # (``joined``, each text's root then) hold both already. This thread joins them band by band:
    # the same components as the whole graph's, and the comparisons and sorts, most of the time,
    # run beside the joins (the joins alone took 9 s of 13 at 10 million texts, one band after another).
    # Each core's band works in arrays of its own, made once and used again by its next band (given
    # out after this thread has joined the last one's pairs): new arrays for every band took 2.4 GB
    # of fresh pages at 10 million texts, each one zeroed by the kernel on first touch.
    parent = np.arange(len(idx), dtype=np.int32)
    cores = max(1, min(BANDS, os.cpu_count() or 1))
    slots = [_Band(len(idx)) for _ in range(cores)]
    for slot in slots:
        slot.joined[:] = parent

    def band_pairs(band: int, slot: _Band) -> int:
        # the keys in the signatures' row order (a pass through them), then in the texts' order:
        # 0.2 s a band at 10 million texts, where reading each text's signature through ``at``,
        # a row of 64 bytes here and there, took 0.5 s
        _band_keys(sig, band * rows, rows, slot.keys_aside)
        _gather(slot.keys_aside, at, slot.keys)
        _radix_sort(slot.keys, slot.order, slot.keys_aside, slot.order_aside)
        return _band_pairs(slot.keys, slot.order, sig, at, need, slot.joined, slot.left, slot.right)

    with ThreadPoolExecutor(cores) as finding:
        coming = deque(finding.submit(band_pairs, band, slots[band]) for band in range(cores))
        for band in range(BANDS):
            slot = slots[band % cores]
            found = coming.popleft().result()
            _join_pairs(parent, slot.left[:found], slot.right[:found])
            if band + cores < BANDS:
                _roots_into(parent, slot.joined)
                coming.append(finding.submit(band_pairs, band + cores, slot))
    del slots, slot
    first = _roots(parent)  # each text's component by its first text: union-find keeps the smallest root
    # Components chain: A like B and B like C put C with A however unlike they are (on the demo
    # data one component held 350,000 records, and 87% of the repeats it gave control 7 shared
    # under 60% of their shingles). A text stays in its cluster only if it is near-identical to the
    # cluster's first text itself; a first text left alone is in no cluster. A text in a component
    # of two or more is linked to some other by a near-identical pair.
    members = np.flatnonzero(np.bincount(first, minlength=len(idx))[first] >= 2).astype(np.int32)
    members = members[_alike(sig, at[members], at[first[members]])]
    out = np.full(n, -1, dtype=np.int64)
    out[idx[members]] = idx[first[members]]
    size = np.bincount(out[idx[members]], minlength=n)
    out[idx[members[size[out[idx[members]]] < 2]]] = -1
    component = np.full(n, -1, dtype=np.int64)
    component[idx] = idx[first]
    return out, component


@numba.njit(nogil=True, cache=True)
def _find(parent: np.ndarray, x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]  # path halving
        x = parent[x]
    return x


@numba.njit(nogil=True, cache=True)
def _band_pairs(
    keys: np.ndarray,
    sort: np.ndarray,
    sig: np.ndarray,
    at: np.ndarray,
    need: float,
    joined: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
) -> int:
    """The near-identical pairs of one band, written to ``left`` and ``right`` (how many: returned):
    each two neighbours in a bucket (``keys`` sorted, texts ``sort``) whose signatures (rows
    ``at[text]`` of ``sig``) agree in ``need`` values or more, but for those whose roots in
    ``joined`` are one already (in one component, so no pair can change it)."""
    found = 0
    for i in range(len(sort) - 1):
        if keys[i] != keys[i + 1]:
            continue
        a, b = sort[i], sort[i + 1]
        if joined[a] == joined[b]:
            continue
        if _agree(sig, at[a], at[b], need):
            left[found] = a
            right[found] = b
            found += 1
    return found


@numba.njit(nogil=True, cache=True)
def _join_pairs(parent: np.ndarray, left: np.ndarray, right: np.ndarray) -> None:
    """Join the components of each pair (union-find); a component's root is its smallest text."""
    for i in range(len(left)):
        a = _find(parent, left[i])
        b = _find(parent, right[i])
        if a < b:
            parent[b] = a
        elif b < a:
            parent[a] = b


@numba.njit(nogil=True, cache=True)
def _band_keys(sig: np.ndarray, start: int, rows: int, keys: np.ndarray) -> None:
    """Each signature's bucket in the band of ``rows`` values from ``start``, into ``keys`` (in the
    signatures' order): its values of 16 bits side by side."""
    for i in range(sig.shape[0]):
        key = np.uint64(0)
        for r in range(rows):
            key |= np.uint64(sig[i, start + r]) << np.uint64(16 * r)
        keys[i] = key


@numba.njit(nogil=True, cache=True)
def _gather(values: np.ndarray, at: np.ndarray, out: np.ndarray) -> None:
    """``out[p] = values[at[p]]``, without the GIL."""
    for p in range(len(at)):
        out[p] = values[at[p]]


class _Band:
    """The arrays one band's pairs are found in (``_clusters``), for n texts: 36 bytes each."""

    def __init__(self, n: int) -> None:
        self.keys, self.keys_aside = np.empty(n, dtype=np.uint64), np.empty(n, dtype=np.uint64)
        self.order, self.order_aside = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32)
        self.left, self.right = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32)
        self.joined = np.empty(n, dtype=np.int32)


RADIX_BITS = 11  # digits of 11 bits: six passes over 64, counts of 2,048 that stay in the cache


def _radix_order(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``keys`` sorted (in their own array: pass a copy to keep them), and the order that sorts them
    (int32), stable: equal keys keep their order (``_radix_sort``)."""
    order = np.empty(len(keys), dtype=np.int32)
    _radix_sort(keys, order, np.empty_like(keys), np.empty_like(order))
    return keys, order


@numba.njit(nogil=True, cache=True)
def _radix_sort(keys: np.ndarray, order: np.ndarray, keys_aside: np.ndarray, order_aside: np.ndarray) -> None:
    """Sort ``keys`` in place, and write to ``order`` the order that sorts them, stable (equal keys
    keep their order); the two ``_aside`` arrays, of the same sizes, hold each pass's output. A
    least-significant-digit radix sort: 0.54 s for 9.2 million, where numpy's stable argsort and the
    gather of the keys took 2.2 s (numpy's radix sort is for 16-bit numbers only)."""
    n = len(keys)
    k, k2 = keys, keys_aside
    o, o2 = order, order_aside
    for i in range(n):
        o[i] = i
    mask = np.uint64((1 << RADIX_BITS) - 1)
    passes = 0
    for shift in range(0, 64, RADIX_BITS):
        start = np.zeros((1 << RADIX_BITS) + 1, dtype=np.int64)
        for i in range(n):
            start[((k[i] >> np.uint64(shift)) & mask) + 1] += 1
        for d in range(1, len(start)):
            start[d] += start[d - 1]
        for i in range(n):
            d = (k[i] >> np.uint64(shift)) & mask
            j = start[d]
            start[d] = j + 1
            k2[j] = k[i]
            o2[j] = o[i]
        k, k2 = k2, k
        o, o2 = o2, o
        passes += 1
    if passes % 2:  # the last pass wrote the arrays aside
        keys[:] = k
        order[:] = o


def _roots(parent: np.ndarray) -> np.ndarray:
    out = np.empty(len(parent), dtype=np.int32)
    _roots_into(parent, out)
    return out


@numba.njit(nogil=True, cache=True)
def _roots_into(parent: np.ndarray, out: np.ndarray) -> None:
    for x in range(len(parent)):
        out[x] = _find(parent, x)


def _alike(sig: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Whether the signatures of each pair (rows ``left`` and ``right``) agree enough to call the
    two texts near-identical (``_agree``, the test the band's pairs pass too)."""
    return _alike_pairs(
        sig, left.astype(np.int32, copy=False), right.astype(np.int32, copy=False), MIN_AGREEMENT * PERMS
    )


@numba.njit(nogil=True, cache=True)
def _alike_pairs(sig: np.ndarray, left: np.ndarray, right: np.ndarray, need: float) -> np.ndarray:
    out = np.empty(len(left), dtype=np.bool_)
    for i in range(len(left)):
        out[i] = _agree(sig, left[i], right[i], need)
    return out


@numba.njit(nogil=True, cache=True)
def _agree(sig: np.ndarray, a: int, b: int, need: float) -> bool:
    """Whether signature rows ``a`` and ``b`` hold the same value in ``need`` places or more."""
    same = 0
    for p in range(sig.shape[1]):
        same += sig[a, p] == sig[b, p]
    return same >= need


def mix(sig: np.ndarray) -> np.ndarray:
    """One 64-bit number per signature, from all of it: the order clusters are found in, and their
    keys. Two different signatures share one with odds of about 1 in 10^8 among a million texts.
    Each value in turn: the mix so far times a constant (wrapping at 64 bits), xor the value."""
    out = np.empty(len(sig), dtype=np.uint64)
    _mix(sig, out)
    return out


@numba.njit(nogil=True, cache=True)
def _mix(sig: np.ndarray, out: np.ndarray) -> None:
    """``mix`` a row at a time: one pass over the signatures, where numpy, a column at a time,
    made 64 passes over 9.2 million numbers (0.2 s against 0.9-1.3 s)."""
    for i in range(sig.shape[0]):
        m = np.uint64(0)
        for p in range(sig.shape[1]):
            m = (m * _SPREAD) ^ np.uint64(sig[i, p])
        out[i] = m


def cluster_keys(distinct: pa.Array, sketch: tuple[np.ndarray, np.ndarray] | None = None) -> pa.Array:
    """The cluster key of each of the ``distinct`` texts (null: in no cluster), from their sketches
    (``sketches``; computed here when not given): ``cluster_mixes`` as 16 hex digits."""
    long, sig = sketch if sketch is not None else sketches(distinct)
    mixes, in_one = cluster_mixes(sig)
    key_at = np.full(len(distinct), -1, dtype=np.int64)
    rows = np.flatnonzero(long)[in_one]
    firsts, which = np.unique(mixes[in_one], return_inverse=True)
    key_at[rows] = which
    keys = pa.array([f"{m:016x}" for m in firsts.tolist()], pa.string())
    return keys.take(pa.array(key_at, mask=key_at < 0))


def cluster_mixes(sig: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cluster of each signature's text, as the ``mix`` of its cluster's first text's signature
    (its key: 16 hex digits of it), and whether it is in one (False: alike to no other text).

    Clusters depend on the order texts are compared in: always the same order, that of their
    signatures' ``mix``, whatever order the texts come in, so that the same texts give the same
    clusters in a build and in an append that adds some of them to the others (sorting the texts
    themselves took a second per million). Texts with the same signature are interchangeable: the
    same buckets, the same comparisons, and the same key."""
    cluster, in_one, _ = cluster_state(sig)
    return cluster, in_one


def cluster_state(sig: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``cluster_mixes``, and each text's component as the ``mix`` of its first text's signature
    (its own mix for a text alike to no other): what ``recluster`` starts from."""
    if not len(sig):
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=bool), np.zeros(0, dtype=np.uint64)
    mixed = mix(sig)
    order = _radix_order(mixed.copy())[1]
    first, component = _clusters_and_components(np.ones(len(sig), dtype=bool), sig, order)  # positions in that order
    in_one = np.zeros(len(sig), dtype=bool)
    out = np.zeros(len(sig), dtype=np.uint64)
    member = first >= 0
    rows = order[member]
    in_one[rows] = True
    out[rows] = mixed[order[first[member]]]
    comp = np.empty(len(sig), dtype=np.uint64)
    comp[order] = mixed[order[component]]
    return out, in_one, comp


# Above this share of the texts in buckets a new text is in, or in the components it reaches,
# ``recluster`` leaves it to a pass over every text. In the generator's varied data, whose texts are
# templates with words swapped, 1% of a million texts, taken as new, fell in buckets that 92% of
# them are in, and reached components (``_clusters``: they chain) that hold 95%; in the six public
# corpora (55,447 distinct long texts) the largest component holds 32.
RECLUSTER_SHARE = 0.25
# The texts of a sample (every n-th), to tell first whether the new texts' buckets hold more than
# RECLUSTER_SHARE of them: on the generator's data, deciding from every text took 2.0 s of a
# 10M append (the pass over them, then the components of 9 million texts sorted) before the pass
# over every text that followed.
RECLUSTER_SAMPLE = 1 << 16


def recluster(sig: np.ndarray, component: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """``cluster_state`` of every text, found again only where new texts can change it: the rows
    ``known`` hold the stored texts (their ``component`` as ``cluster_state`` gave it over them
    alone), the others the new texts. Returns the rows found again (every new text's among them),
    and their cluster, in_one and component, which are those ``cluster_state`` gives over all the
    texts together (tests/test_classify.py checks it against a build).

    Why it holds: components are the connected components of the pairs of neighbours in a bucket
    that agree (``_clusters``). A new text changes the neighbours only in the buckets it falls in
    (``touched``), so only the components of the stored texts in those buckets can change; with the
    new texts, they are the texts found again (``again``): no pair of the other buckets joins one of
    them to a text outside (it would have been in its component before). The texts ``again`` are
    compared with every other text of each of their buckets (``beside``), in their order, as a
    build compares them; first texts and clusters follow from the components. Where components are
    small (real feedback: ``RECLUSTER_SHARE``), a few per cent of the stored texts at a daily run,
    found in 0.41x the time of a pass over all of them at a million texts (``bench.clusters``).
    None when more than ``RECLUSTER_SHARE`` of the texts are in the new texts' buckets (a sample's
    share first, then every text's) or in the components they reach: then ``cluster_state``."""
    new = ~known
    buckets = _bucket_set(sig[new])
    sample = np.ascontiguousarray(sig[:: max(1, len(sig) // RECLUSTER_SAMPLE)])
    if _sharing(sample, buckets).mean() > RECLUSTER_SHARE:
        return None  # buckets most texts are in (a sample says so): a pass over every text then
    touched = _sharing(sig, buckets) & known
    if touched.sum() > RECLUSTER_SHARE * len(sig):
        return None
    again = new | (known & _sharing_values(component, np.unique(component[touched])))
    if again.sum() > RECLUSTER_SHARE * len(sig):
        return None  # most texts in components the new ones reach: finding them all costs no more
    beside = again | _sharing(sig, _bucket_set(sig[again]))
    cluster, in_one, comp = cluster_state(sig[beside])
    keep = again[beside]
    return np.flatnonzero(again), cluster[keep], in_one[keep], comp[keep]


_BAND_SALT = np.array([0x9E3779B97F4A7C15 * (b + 1) % (1 << 64) for b in range(BANDS)], dtype=np.uint64)


def _bucket_set(sig: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The buckets of ``sig``'s texts in every band, as a hash set (``_hash_set``) of their keys,
    each xor its band's salt (keys of two bands that meet so are taken as one: a text too many
    found again, never one too few)."""
    keys = np.empty((BANDS, len(sig)), dtype=np.uint64)
    for band in range(BANDS):
        _band_keys(sig, band * (PERMS // BANDS), PERMS // BANDS, keys[band])
        keys[band] ^= _BAND_SALT[band]
    return _hash_set(keys.ravel())


def _sharing(sig: np.ndarray, buckets: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Whether each text of ``sig`` falls in one of ``buckets`` (``_bucket_set``) in some band: a
    slice of the texts on each core (compiled without the GIL; 0.10-0.12 s a million on one)."""
    out = np.empty(len(sig), dtype=np.bool_)
    step = -(-len(sig) // max(1, os.cpu_count() or 1))
    on_threads(
        lambda at: _in_buckets(sig[at : at + step], PERMS // BANDS, _BAND_SALT, *buckets, out[at : at + step]),
        range(0, len(sig), max(1, step)),
    )
    return out


def _sharing_values(values: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` (uint64) is one of ``among``: ``np.isin``, by a hash set."""
    table, used = _hash_set(among.astype(np.uint64))
    out = np.empty(len(values), dtype=np.bool_)
    _in_set(values.astype(np.uint64, copy=False), table, used, out)
    return out


def _hash_set(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An open-addressing hash set of ``values`` (uint64): its slots, and which are used."""
    size = 1 << max(4, int(2 * len(values)).bit_length())  # under half full
    table, used = np.zeros(size, dtype=np.uint64), np.zeros(size, dtype=np.bool_)
    _set_add(values, table, used)
    return table, used


@numba.njit(nogil=True, cache=True)
def _slot(value: np.uint64, mask: np.uint64) -> np.uint64:
    return ((value * _SPREAD) >> np.uint64(17)) & mask


@numba.njit(nogil=True, cache=True)
def _set_add(values: np.ndarray, table: np.ndarray, used: np.ndarray) -> None:
    mask = np.uint64(len(table) - 1)
    for v in values:
        s = _slot(v, mask)
        while used[s] and table[s] != v:
            s = (s + np.uint64(1)) & mask
        table[s] = v
        used[s] = True


@numba.njit(nogil=True, cache=True)
def _has(v: np.uint64, table: np.ndarray, used: np.ndarray) -> bool:
    mask = np.uint64(len(table) - 1)
    s = _slot(v, mask)
    while used[s]:
        if table[s] == v:
            return True
        s = (s + np.uint64(1)) & mask
    return False


@numba.njit(nogil=True, cache=True)
def _in_set(values: np.ndarray, table: np.ndarray, used: np.ndarray, out: np.ndarray) -> None:
    for i in range(len(values)):
        out[i] = _has(values[i], table, used)


@numba.njit(nogil=True, cache=True)
def _in_buckets(
    sig: np.ndarray, rows: int, salt: np.ndarray, table: np.ndarray, used: np.ndarray, out: np.ndarray
) -> None:
    for i in range(sig.shape[0]):
        found = False
        for band in range(len(salt)):
            key = np.uint64(0)  # _band_keys' key, written again here: a compiled helper returning it
            for r in range(rows):  # made this loop 1.7x slower (0.29 s against 0.17 s a million)
                key |= np.uint64(sig[i, band * rows + r]) << np.uint64(16 * r)
            if _has(key ^ salt[band], table, used):
                found = True
                break
        out[i] = found
