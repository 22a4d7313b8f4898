"""Themes, sentiment and screening rules, pinned with Arabic (MSA and Gulf) and English examples."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest

from etl.classify import features, rules, theme_and_sentiment
from etl.similar import clusters, skeleton
from etl.text import normalise
from tests.conftest import REFERENCE, SEHHATY, etl

THEMES, SENTIMENT = rules(REFERENCE)


def _sent(text: str, rating: int | None = None) -> str:
    return SENTIMENT.label(normalise(text), rating)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ممتاز", "positive"),
        ("خدمة رائعة وسريعة", "positive"),
        ("الله يعطيكم العافية", "positive"),
        ("ممتااااااز", "positive"),  # stretched letters
        ("ممتاذ", "positive"),  # a common misspelling
        ("👍", "positive"),
        ("مو زين", "negative"),  # Gulf negation
        ("ما عجبني التحديث", "negative"),
        ("لا أنصح بالتطبيق", "negative"),
        ("التطبيق لا يعمل", "negative"),  # negated verb
        ("التطبيق لا يعمل معلق", "negative"),  # the negator reaches only the first polar word
        ("سيء جدا", "negative"),
        ("التطبيق حلو بس يعلق كثير", "negative"),  # "بس": what follows counts more
        ("ممتاز لكن تواجهني مشكلة في حجز المواعيد", "negative"),
        ("كان فيه مشاكل بس الحين ممتاز", "positive"),
        ("😡😡", "negative"),
        ("تمام", "neutral"),  # OK, not praise
        ("لا بأس", "neutral"),
        ("متى يفتح باب التوظيف؟", "neutral"),
        ("محد رد علي", "negative"),  # Gulf: nobody answered
        ("اتصلت كثير ولا أحد يرد", "negative"),  # a phrase behind the conjunction و
        ("حولني لقسم ثاني وما أحد رد", "negative"),
        ("ما ردوا علي", "negative"),
        ("ولا ازين واحلى", "positive"),  # "none finer": a lone ولا is not read as a negator
        ("not good at all", "negative"),
        ("very helpful, thanks", "positive"),
        ("The app crashes after the update", "negative"),
    ],
)
def test_sentiment(text: str, expected: str) -> None:
    assert _sent(text) == expected


def test_rating_is_a_feature_not_the_answer() -> None:
    assert _sent("التطبيق يعلق دائما", rating=5) == "negative"  # words beat the stars
    assert _sent("ممتاز", rating=1) == "positive"
    assert _sent("حجز موعد", rating=5) == "positive"  # words say nothing: the rating tips it
    assert _sent("حجز موعد", rating=1) == "negative"
    assert _sent("حجز موعد") == "neutral"


@pytest.mark.parametrize(
    "text, theme",
    [
        ("اتصلت على 1909 والخط مشغول", "call_center"),
        ("ما أقدر أسجل دخول، رمز التحقق ما يوصل", "technical_login"),
        ("والتطبيق يعلق بعد التحديث", "technical_login"),  # clitic و and article ال
        ("رفعت شكوى ولم يتم حل المشكلة", "reports_complaints"),
        ("تأخر الرد على طلبي أسبوعين", "response_speed"),
        ("أقترح إضافة خدمة المحادثة", "new_services"),
        ("متى يفتح باب التوظيف؟", "employment_training"),
        ("Please add live chat, it would be nice", "new_services"),
        ("جيد", "thanks_praise"),  # praise with no subject
        ("بوركت جهودكم", "thanks_praise"),  # Gulf thanks, from the Sehhaty dev half
        ("الله يجزاكم بالخير", "thanks_praise"),
        ("بالتوفيق", "thanks_praise"),
        ("حجز موعد", "other"),
    ],
)
def test_themes(text: str, theme: str) -> None:
    assert theme_and_sentiment(normalise(text), None, REFERENCE)[0] == theme


def test_a_positive_record_that_names_no_subject_is_praise_whatever_says_so() -> None:
    """Misspelt praise says nothing the lexicon knows; its five stars do. The same words with one
    star, a text that names a subject, and a rating with no text stay as they were."""
    import pyarrow as pa

    texts = ["متتازين", "متتازين", "تطبيق 10/10", "حجز موعد", "", "التطبيق لا يعمل"]
    ratings = [5, 1, 5, None, 5, 5]
    found = features(pa.array([normalise(t) for t in texts]), pa.array(ratings, pa.int64()), REFERENCE, clusters=False)
    assert found.column("theme").to_pylist() == [
        "thanks_praise",
        "other",
        "thanks_praise",
        "other",
        "other",
        "technical_login",
    ]
    assert found.column("theme_confidence").to_pylist()[:2] == [0.3, 0.0]
    # the rules alone (no model) agree where the rating decides
    assert [theme_and_sentiment(normalise(t), r, REFERENCE)[0] for t, r in zip(texts[:3], ratings[:3])] == [
        "thanks_praise",
        "other",
        "thanks_praise",
    ]


def test_theme_confidence_is_a_share() -> None:
    theme, conf = THEMES.theme(normalise("اتصلت على 1909 وما أحد رد وتأخر الرد"))
    assert theme in ("call_center", "response_speed") and 0 < conf < 1
    assert THEMES.theme("") == ("other", 0.0)


def test_the_rules_remember_a_bounded_number_of_words(monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-token caches of themes and sentiment start again when full: a long tail of distinct
    words cannot grow a rule worker without bound, and the answers stay those of fresh rules."""
    import pyarrow as pa

    import etl.classify as classify
    from etl.classify import _TOKEN, SentimentRules, ThemeRules

    monkeypatch.setattr(classify, "TOKENS_REMEMBERED", 5)
    themes, sentiment = ThemeRules.load(REFERENCE), SentimentRules.load(REFERENCE)
    texts = [normalise(f"التطبيق ممتاز كلمة{i} لكن الدخول بطيء رقم{i} والخدمات سيئه") for i in range(30)]
    assert not themes.spanning(pa.array(texts)).any() and not sentiment.phrased(pa.array(texts)).any()
    for t in texts:
        assert themes.theme(t, split=_TOKEN.findall(t)) == THEMES.theme(t)
        assert sentiment.score(t, split=_TOKEN.findall(t)) == SENTIMENT.score(t)
        assert len(themes._words) <= 5 and len(sentiment._known) <= 5
    # over a column, the cache of tokens met starts again once past the bound: it holds one
    # call's tokens at most, and the answers stay the rules'
    facts = classify.TokenFacts.of(themes, sentiment)
    for t in texts:
        said, theme, confidence, _, _ = facts.read(pa.array([t]))
        assert (facts.themes[theme[0]], confidence[0]) == THEMES.theme(t)
        assert classify.SENTIMENTS[said[0]] == SENTIMENT.words_label(t)
        assert len(facts._known[0]) <= len(set(_TOKEN.findall(t)))


def test_a_text_that_looks_like_the_phrase_marker_is_just_words() -> None:
    """Phrases are swapped for marker tokens while scoring; a participant writing such a token
    ("qphraseq", "qphrase7q") once stopped the whole ETL with ValueError/IndexError."""
    assert SENTIMENT.score("qphraseq") == (0.0, False)
    assert SENTIMENT.score("qphrase7q ممتاز") == SENTIMENT.score("ممتاز")
    assert SENTIMENT.words_label(normalise("ما عجبني qphrase0q")) == "negative"


def test_the_trie_of_terms_matches_what_the_terms_listed_longest_first_match() -> None:
    """Themes, offensive terms and phrases are matched through a trie: the same matches as the
    plain alternation, longest term first, on texts where terms overlap and nest."""
    import random
    import re

    from etl.classify import longest_of

    rng = random.Random(5)
    letters = "ابتخدمهال "
    for _ in range(200):
        terms = {"".join(rng.choice(letters) for _ in range(rng.randint(1, 5))).strip() for _ in range(12)}
        terms.discard("")
        flat = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
        texts = ["".join(rng.choice(letters) for _ in range(40)) for _ in range(20)]
        for wrap in ("({})", r"(?<![\w])({})(?![\w])"):
            a, b = re.compile(wrap.format(flat)), re.compile(wrap.format(longest_of(terms)))
            assert [a.findall(t) for t in texts] == [b.findall(t) for t in texts], terms
    assert longest_of(["خدمه", "خدمات", "خد"]) == "خد(?:م(?:ات|ه))?"


def test_near_duplicates_cluster_and_short_texts_do_not() -> None:
    texts = [
        "نطالب بتمديد ساعات عمل مركز الاتصال خلال شهر رمضان",
        "نطالب بتمديد ساعات عمل مركز الاتصال خلال شهر رمضان 🙏 #مطلب_شعبي",
        "نطالب بتمديد ساعات عمل مركز الاتصال في شهر رمضان",
        "أرغب في معرفة أوقات عمل مكتب الرياض",
        "شكرا",
        "شكرا!!",
    ]
    c = clusters([skeleton(normalise(t)) for t in texts])
    assert c[0] == c[1] == c[2] != -1
    assert c[3] == -1 and c[4] == -1 and c[5] == -1


def test_a_chain_of_alike_texts_does_not_join_unlike_ones() -> None:
    """Each text shares all but one word with the next, so LSH links the whole chain; the far end
    shares a third of its words with the first text and must not count as its near-duplicate."""
    import random

    rng = random.Random(5)
    words = ["".join(rng.choice("ابتثجحخدذرزسشصضطظعغفقكلمنهوي") for _ in range(6)) for _ in range(60)]
    chain = [" ".join(words[k : k + 30]) for k in range(16)]
    c = clusters(chain)
    assert c[1] == c[2] == 0  # near-identical to the first text
    assert all(x != 0 for x in c[12:])  # a third or less in common with it
    assert all(k - x <= 8 for k, x in enumerate(c) if x >= 0)  # every member shares most words with its first


def test_clusters_found_on_every_core_are_those_found_on_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skeletons and signatures are computed in slices on threads, the LSH bands on threads: the
    clusters of 40,000 texts and more (enough to be sliced) are those of one slice, one band at a
    time."""
    import random

    import pyarrow as pa

    from etl import parallel, similar

    rng = random.Random(11)
    words = ["".join(rng.choice("ابتثجحخدذرزسشصضطظعغفقكلمنهوي") for _ in range(5)) for _ in range(400)]
    bases = [" ".join(rng.sample(words, 12)) for _ in range(6_000)]
    texts = bases + [b + " " + rng.choice(words) for b in bases for _ in range(7)]  # near-identical variants
    distinct = pa.array(sorted(set(texts)), pa.string())
    assert len(distinct) > 4 * parallel.SLICE_MIN
    sliced = similar.cluster_keys(distinct)
    assert sliced.null_count < len(distinct)  # some clusters to compare
    monkeypatch.setattr(parallel, "SLICE_MIN", 10**9)  # one slice
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 1)  # one band at a time
    assert similar.cluster_keys(distinct).equals(sliced)


def test_clusters_are_the_connected_components_of_every_near_identical_pair_in_a_bucket() -> None:
    """The union-find that skips pairs already joined gives what the whole graph gives: in each
    band, every two neighbours in a bucket that agree in 60% of their values are joined; a text is
    in its component's cluster when it agrees with the component's first text; a cluster of one is
    none. Checked text by text against that definition, with texts read through an order and some
    too short to cluster."""
    import itertools

    import numpy as np

    from etl import similar

    rng = np.random.default_rng(5)
    n, width, rows = 3_000, similar.PERMS, similar.PERMS // similar.BANDS
    sig = rng.integers(0, 4, (n, width), dtype=np.uint16)  # few values: many shared buckets, few alike
    for start in range(0, n, 97):  # planted groups: copies of one text with a few values changed
        for k in range(1, 8):
            if start + k < n:
                sig[start + k] = sig[start]
                sig[start + k, rng.integers(0, width, rng.integers(0, 16))] = rng.integers(0, 1 << 16)
    order = rng.permutation(n).astype(np.int32)  # text p's signature is row order[p]
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    def alike(p: int, q: int) -> bool:
        return int((sig[order[p]] == sig[order[q]]).sum()) >= similar.MIN_AGREEMENT * width

    for band in range(similar.BANDS):
        keys = [tuple(sig[order[p], band * rows : (band + 1) * rows]) for p in range(n)]
        ranked = sorted(range(n), key=lambda p: (keys[p], p))
        for p, q in itertools.pairwise(ranked):
            if keys[p] == keys[q] and alike(p, q):
                ra, rb = find(p), find(q)
                parent[max(ra, rb)] = min(ra, rb)
    first = [find(p) for p in range(n)]
    sizes = np.bincount(first, minlength=n)
    kept = [first[p] if sizes[first[p]] >= 2 and alike(p, first[p]) else -1 for p in range(n)]
    counts = np.bincount([k for k in kept if k >= 0], minlength=n)
    expected = [k if k >= 0 and counts[k] >= 2 else -1 for k in kept]
    got = similar._clusters(np.ones(n, dtype=bool), sig, order)
    assert got.tolist() == expected
    assert 50 < sum(k >= 0 for k in expected) < n  # planted groups found, random texts left alone

    long = np.ones(n + 40, dtype=bool)
    long[::76] = False  # short texts sit between the long ones and are in no cluster
    assert long.sum() == n
    spread = similar._clusters(long, sig, order)
    idx = np.flatnonzero(long)
    assert (spread[~long] == -1).all()
    assert spread[idx].tolist() == [idx[k] if k >= 0 else -1 for k in expected]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_appends_clusters_found_again_where_its_texts_reach_are_those_of_all_the_texts(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``recluster`` from the stored texts' components and the new texts' signatures gives what
    ``cluster_state`` gives over every text together: for the texts it finds again (every new one
    among them), and, for the others, what was stored. Planted groups of near copies, texts that
    share buckets without being alike, and new texts falling between stored neighbours."""
    import numpy as np

    from etl import similar

    monkeypatch.setattr(similar, "RECLUSTER_SHARE", 1.0)  # never the pass over every text
    rng = np.random.default_rng(seed)
    n = 4_000
    sig = rng.integers(0, 1 << 16, (n, similar.PERMS), dtype=np.uint16)
    sig[: n // 4, :4] = rng.integers(0, 3, (n // 4, 4))  # one band shared by many unlike texts
    start = 0
    while start < n:  # groups of 1-12 copies of a text, a few values changed in each
        size = int(rng.integers(1, 13))
        for k in range(start + 1, min(start + size, n)):
            sig[k] = sig[start]
            sig[k, rng.integers(0, similar.PERMS, int(rng.integers(0, 14)))] = rng.integers(0, 1 << 16)
        start += size
    sig = sig[rng.permutation(n)]
    known = rng.random(n) >= 0.1
    # X and Y stored and alike, sharing one whole band only, with Z (stored, like neither) in its
    # bucket; a new text in one of X's buckets and one in Y's. When Z comes between X and Y in that
    # bucket, a build never compares them there, and they stay apart.
    planted, new = [], []
    for _ in range(40):
        x = rng.integers(0, 1 << 16, similar.PERMS, dtype=np.uint16)
        y = x.copy()
        y[[0, 9, 14, 18, 23, 27, 30, 31, 28, 29, 24, 25]] ^= np.uint16(1)  # 20 of 32 the same; band 1 whole
        z = rng.integers(0, 1 << 16, similar.PERMS, dtype=np.uint16)
        z[4:8] = x[4:8]
        near_x, near_y = (rng.integers(0, 1 << 16, similar.PERMS, dtype=np.uint16) for _ in range(2))
        near_x[:4], near_y[8:12] = x[:4], y[8:12]
        planted += [x, y, z]
        new += [near_x, near_y]
    sig = np.concatenate([sig, np.array(planted), np.array(new)])
    known = np.concatenate([known, np.ones(len(planted), dtype=bool), np.zeros(len(new), dtype=bool)])
    n = len(sig)
    stored_cluster, stored_in, stored_comp = similar.cluster_state(sig[known])
    component = np.zeros(n, dtype=np.uint64)
    component[known] = stored_comp

    rows, cluster, in_one, comp = similar.recluster(sig, component, known)
    every_cluster, every_in, every_comp = similar.cluster_state(sig)
    assert set(np.flatnonzero(~known)) <= set(rows.tolist()) and len(rows) < n
    assert (in_one == every_in[rows]).all() and (cluster[in_one] == every_cluster[rows][in_one]).all()
    assert (comp == every_comp[rows]).all()
    kept = np.setdiff1d(np.flatnonzero(known), rows)
    at = np.searchsorted(np.flatnonzero(known), kept)  # their rows among the stored texts
    assert (stored_in[at] == every_in[kept]).all() and (stored_comp[at] == every_comp[kept]).all()
    assert (stored_cluster[at] == every_cluster[kept]).all()
    assert every_in.sum() > 200 and (every_cluster[rows][every_in[rows]] != 0).any()  # clusters to compare

    monkeypatch.setattr(similar, "RECLUSTER_SHARE", 0.0)
    assert similar.recluster(sig, component, known) is None  # left to the pass over every text


def test_the_radix_order_is_numpys_stable_argsort() -> None:
    """The compiled sort of 64-bit keys gives numpy's stable order (equal keys keep theirs), over
    every digit, ties and the top bit included."""
    import numpy as np

    from etl.similar import _radix_order

    rng = np.random.default_rng(9)
    keys = rng.integers(0, 1 << 63, 50_000, dtype=np.uint64) << np.uint64(1) | rng.integers(0, 2, 50_000).astype(
        np.uint64
    )
    keys[::7] = keys[3]  # many ties
    expected = np.argsort(keys, kind="stable")
    got_keys, got = _radix_order(keys.copy())
    assert got.tolist() == expected.tolist() and got_keys.tolist() == keys[expected].tolist()


def test_minhash_signatures_are_the_minimum_over_each_texts_own_shingles() -> None:
    """The blocked, whole-array signatures equal MinHash computed text by text: no window that
    crosses from one text into the next, whatever the block size (texts shorter than a shingle are
    padded; emoji are one code point), each minimum kept as 16 bits spread from all of it."""
    import numpy as np
    import pyarrow as pa

    from etl.similar import PERMS, SHINGLE, signatures

    rng = np.random.default_rng(7)
    a = rng.integers(1, 1 << 61, PERMS, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 1 << 61, PERMS, dtype=np.uint64)
    full, mask = (1 << 64) - 1, (1 << 61) - 1

    def one(text: str) -> list[int]:
        t = text.ljust(SHINGLE)
        hashes = []
        for k in range(len(t) - SHINGLE + 1):
            h = 0
            for ch in t[k : k + SHINGLE]:
                h = (h * 1_000_003 + ord(ch)) & full
            hashes.append(h)
        least = [min(((h * int(a[p]) + int(b[p])) & full) & mask for h in hashes) for p in range(PERMS)]
        return [((m * 0x9E3779B97F4A7C15) & full) >> 48 for m in least]  # b-bit: 16 spread bits of each

    texts = ["ab", "شكرا", "ممتاز", "نطالب بتمديد ساعات العمل 🙏🙏", "x" * 5, "abcdef", "خدمة سريعة وممتازة جدا"] * 3
    texts += [f"النص رقم {i} عن الخدمة" for i in range(40)]
    expected = [one(t) for t in texts]
    for block in (8, 64, 1 << 18):  # one text per block, a few, all in one
        assert signatures(texts, block=block).tolist() == expected
    # an Arrow column as it comes: a slice of a larger array, or in chunks
    column = pa.array(["padding", *texts], pa.string())
    assert signatures(column.slice(1)).tolist() == expected
    assert signatures(pa.chunked_array([texts[:5], texts[5:]], pa.string())).tolist() == expected


def test_screening_features() -> None:
    import pyarrow as pa

    texts = pa.array([normalise(t) for t in ["يا غبي", "كلمة المرور هي 1234abcd", "شكرا", ""]] + [None])
    f = features(texts, pa.array([None, None, None, 5, 1], pa.int64()), REFERENCE)
    assert f.column("offensive_term").to_pylist() == ["غبي", None, None, None, None]
    assert f.column("security_rule").to_pylist() == [None, "password_disclosure", None, None, None]
    assert f.column("sentiment").to_pylist() == ["negative", "neutral", "positive", "positive", "negative"]
    assert f.column("script").to_pylist() == ["ar", "ar", "ar", "other", "other"]


def test_features_of_dictionary_encoded_texts_are_those_of_the_plain_texts() -> None:
    """The text stage hands over dictionary-encoded texts (one entry per distinct raw text, two of
    which may normalise alike): the features, text ids included, are those of the plain column."""
    import pyarrow as pa

    plain = pa.array([normalise(t) for t in ["شكرا", "شكراً", "الخدمة سيئة", "", "شكرا", "يا غبي"]])
    encoded = pa.DictionaryArray.from_arrays(
        pa.array([0, 1, 2, 3, 0, 4], pa.int32()), pa.array(["شكرا", "شكرا", "الخدمه سيئه", "", "يا غبي"])
    )
    ratings = pa.array([5, None, 1, 2, None, None], pa.int64())
    assert features(encoded, ratings, REFERENCE).to_pylist() == features(plain, ratings, REFERENCE).to_pylist()


def test_worker_processes_give_the_same_features_and_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks on a process pool come back in order and equal to the single-process results."""
    import pyarrow as pa

    from etl.parallel import worker_pool
    from etl.text import sender_hashes

    texts = pa.array(
        [normalise(t) for t in ["يا غبي", "شكرا جزيلا", "", "الخدمة سيئة جدا", "كلمة المرور 1234abcd"] * 40]
    )
    texts = pa.array([f"{t} {i % 7}" if t else t for i, t in enumerate(texts.to_pylist())])
    ratings = pa.array([i % 6 or None for i in range(len(texts))], pa.int64())
    senders = pa.array([f"user{i % 13}@x.sa" if i % 5 else None for i in range(len(texts))])
    alone = features(texts, ratings, REFERENCE), sender_hashes(senders, "salt" * 8)
    monkeypatch.setattr("etl.parallel.PARALLEL_MIN", 1)
    with worker_pool(2) as pool:
        pooled = features(texts, ratings, REFERENCE, pool), sender_hashes(senders, "salt" * 8, pool)
    assert pooled[0].equals(alone[0]) and pooled[1].equals(alone[1])
    ids = alone[0].column("text_id").to_pylist()
    assert ids[2] is None and ids[0] == ids[35] != ids[1]  # an empty text has no id; equal texts share one


def test_rule_workers_load_their_rules_without_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyarrow imports pandas the first time it converts a Python object; a rule worker (which
    needs no pandas) would pay half a second of a busy core for it while the exports are read."""
    import pyarrow as pa

    from etl.classify import load_rules
    from etl.parallel import worker_pool

    monkeypatch.setattr("etl.parallel.PARALLEL_MIN", 1)
    texts = pa.array([normalise(t) for t in ["الخدمة سيئة جدا", "شكرا جزيلا", "يا غبي"]] * 3)
    with worker_pool(2, load_rules, (REFERENCE,)) as pool:
        assert pool is not None
        features(texts, pa.array([None] * len(texts), pa.int64()), REFERENCE, pool)
        # eval: a builtin travels to the worker by name; the question is asked in the worker
        loaded = [pool.submit(eval, "'pandas' in __import__('sys').modules").result() for _ in range(4)]
    assert loaded == [False] * 4


def test_a_days_export_starts_no_rule_workers_and_a_larger_one_does(tmp_path: Path) -> None:
    """The pool is sized up from the exports' bytes before they are read. A day's export too small
    for any chunk to hand the workers PARALLEL_MIN texts must start none: starting them took the
    cores from the append itself. One that can (in the canonical template, as the benchmark's
    history and day are) must start them."""
    import datetime as dt

    from etl.generate import generate
    from etl.parallel import PARALLEL_MIN, worker_pool

    sizes = {}
    for rows in (PARALLEL_MIN // 2, PARALLEL_MIN * 3 // 2):
        generate(rows, tmp_path / str(rows), 3, dt.date(2026, 11, 27), canonical=True, varied=True)
        sizes[rows] = (tmp_path / str(rows) / "canonical" / "participations.csv").stat().st_size
    small, large = sizes.values()
    with worker_pool(2, work=small) as pool:
        assert pool is None, f"{PARALLEL_MIN // 2:,} records ({small:,} bytes) started rule workers"
    with worker_pool(2, work=large) as pool:
        assert pool is not None, f"{PARALLEL_MIN * 3 // 2:,} records ({large:,} bytes) started none"


def _csv(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_repeats_campaigns_and_screening_in_the_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    """With workers="2" the rules and sender hashes run on worker processes however few the texts:
    the same warehouse must come out."""
    monkeypatch.setenv("CAMPAIGN_MIN_SENDERS", "5")
    monkeypatch.setenv("ETL_THREADS", workers)
    monkeypatch.setattr("etl.parallel.PARALLEL_MIN", 1)
    header = ["source_record_id", "channel", "tool", "submitted_at", "text", "sender", "attachment_names"]
    rows = [header]
    campaign = "نطالب بتمديد ساعات عمل مركز الاتصال خلال شهر رمضان"
    for i in range(8):  # eight senders in two days, near-identical text
        rows.append(
            [
                f"C{i}",
                "social_media",
                "page_comment_rating",
                f"2026-03-0{1 + i % 2} 1{i}:00",
                campaign + (" 🙏" if i % 2 else ""),
                f"@user{i}",
                "",
            ]
        )
    rows += [
        [
            "R1",
            "email",
            "direct_contact",
            "2026-02-01 10:00",
            "أرغب في معرفة أوقات عمل مكتب الرياض اليوم",
            "a@x.sa",
            "",
        ],
        [
            "R2",
            "email",
            "direct_contact",
            "2026-02-01 11:00",
            "أرغب في معرفة أوقات عمل مكتب الرياض اليوم",
            "A@X.sa",
            "",
        ],
        [
            "R3",
            "email",
            "direct_contact",
            "2026-02-02 11:00",
            "أرغب في معرفة أوقات عمل مكتب الرياض اليوم!!",
            "a@x.sa",
            "setup.exe;photo.jpg",
        ],
        ["O1", "other", "page_comment_rating", "2026-02-03 10:00", "يا غبي", "@x", ""],
    ]
    _csv(tmp_path / "in" / "canonical" / "mixed.csv", rows)
    wh = tmp_path / "w.duckdb"
    etl(tmp_path / "in", wh)
    con = duckdb.connect(str(wh), read_only=True)
    got = dict(
        con.execute(
            "select source_record_id, duplicate_kind from participation where source_record_id like 'R%'"
        ).fetchall()
    )
    assert got == {"R1": None, "R2": "exact", "R3": "near"}  # the same sender, whatever the case of the address
    first = con.execute("select participation_id from participation where source_record_id = 'R1'").fetchone()[0]
    assert con.execute("select count(*) from participation where duplicate_of = ?", [first]).fetchone()[0] == 2
    r3 = con.execute(
        "select screening_controls, screening_rules from participation where source_record_id = 'R3'"
    ).fetchone()
    assert r3 == ([7, 8], ["7:repeated_near", "8:attachment:exe"])
    o1 = con.execute(
        "select screening_controls, screening_rules from participation where source_record_id = 'O1'"
    ).fetchone()
    assert o1 == ([2, 5], ["2:offensive_term:غبي", "5:unofficial_channel"])
    camp = con.execute("select participations, senders, span_hours < 48 from campaign").fetchall()
    assert camp == [(8, 8, True)]
    assert con.execute("select count(*) from participation where campaign_id is not null").fetchone()[0] == 8


def test_analyst_overrides_win(tmp_path: Path, landing: Path) -> None:
    import shutil

    ref = tmp_path / "reference"
    shutil.copytree(REFERENCE, ref)
    wh = tmp_path / "w.duckdb"
    from etl.pipeline import run
    from tests.conftest import SALT, SOURCES

    run(landing, wh, SOURCES, ref, SALT)
    pid, _theme = (
        duckdb.connect(str(wh), read_only=True)
        .execute("select participation_id, theme from participation where theme <> 'privacy_data' limit 1")
        .fetchone()
    )
    (ref / "theme_overrides.csv").write_text(
        f"participation_id,theme,note\n{pid},privacy_data,checked by hand\n", encoding="utf-8"
    )
    run(landing, wh, SOURCES, ref, SALT)  # no cache to clear: the rules are keyed on the files' mtimes
    row = (
        duckdb.connect(str(wh), read_only=True)
        .execute("select theme, theme_confidence, theme_source from participation where participation_id = ?", [pid])
        .fetchone()
    )
    assert row == ("privacy_data", 1.0, "analyst")


@pytest.mark.skipif(not SEHHATY.exists(), reason="../shared/datasets/sehhaty_reviews is not on this machine")
def test_sentiment_meets_its_target_on_real_held_out_reviews() -> None:
    from bench.text_quality import evaluate, load

    m = evaluate(load())
    assert m["held_out"]["sentiment_macro_f1"] >= 0.75
    assert m["held_out"]["sentiment_macro_f1"] > m["held_out"]["rating_only_macro_f1"] + 0.15
    assert m["held_out"]["theme_accuracy"] >= 0.75


@pytest.mark.skipif(not SEHHATY.exists(), reason="../shared/datasets/sehhaty_reviews is not on this machine")
def test_the_supervised_baseline_learns_from_the_dev_half_alone() -> None:
    """Its held-out figures are honest: the held-out labels never reach it (changing them changes no
    prediction), the dev labels do; and the ETL's row of the comparison is the ETL's own figure."""
    from bench.text_quality import compare, evaluate, load, supervised

    rows = load()
    predicted = supervised(rows)
    relabelled = [dict(r, theme="other", sentiment="neutral") if r["split"] == "held_out" else r for r in rows]
    assert supervised(relabelled) == predicted
    flipped = [
        dict(r, sentiment="negative") if r["split"] == "dev" and r["sentiment"] == "positive" else r for r in rows
    ]
    assert supervised(flipped)["sentiment"] != predicted["sentiment"]
    compared = compare(rows)
    held_out = evaluate(rows)["held_out"]
    assert compared["the ETL's"]["theme_macro_f1"] == held_out["theme_macro_f1"]
    assert compared["the ETL's"]["sentiment_macro_f1"] == held_out["sentiment_macro_f1"]
    assert set(compared) == {"the ETL's", "supervised", "the ETL's, then supervised for other"}


def test_the_security_prefilter_leaves_only_texts_a_pattern_may_match() -> None:
    """RE2 over the column rules out texts that no security pattern matches (emoji and all); a
    text with a cased letter outside ASCII, or any text when a pattern has no RE2 equal, is left to
    Python."""
    import re

    import pyarrow as pa

    from etl.classify import PatternList, re2_superset, screens

    texts = pa.array(
        ["شكرا على الخدمه", "good service", "كلمه المرور هي ١٢٣٤", "ip 10.0.0.1", "😀 شكرا", "Émile", None]
    )
    assert screens(REFERENCE)[1].candidates(texts).tolist() == [False, False, True, True, False, True, True]
    lookahead = PatternList([("x", re.compile(r"pass(?=word)", re.IGNORECASE))])
    assert lookahead.candidates(texts).all()
    assert re2_superset("ıp") is None  # Python's and RE2's case folding differ outside ASCII


def test_the_prefilters_uncased_ranges_hold_no_cased_character() -> None:
    """What the security prefilter trusts RE2 with: no character of UNCASED_RANGES has a case."""
    from etl.classify import UNCASED_RANGES

    cased = [
        c
        for a, b in UNCASED_RANGES
        for c in map(chr, range(a, b + 1))
        if len({c, c.lower(), c.upper(), c.casefold()}) > 1
    ]
    assert cased == []


def test_edited_rules_are_seen_by_a_running_process(tmp_path: Path) -> None:
    """The rules are cached on the reference files' sizes and modification times, not their folder:
    a lexicon or term list edited while a process runs is used at its next call."""
    import os
    import shutil

    from etl.classify import screens, theme_and_sentiment

    ref = tmp_path / "reference"
    shutil.copytree(REFERENCE, ref)
    word = normalise("زقزوقي")  # in no lexicon
    assert theme_and_sentiment(word, None, ref)[2] == "neutral"
    assert screens(ref)[0].first(word) is None
    with (ref / "sentiment_lexicon.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"{word},1.5,test\n")
    with (ref / "offensive_terms.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"{word},ar,test\n")
    for name in ("sentiment_lexicon.csv", "offensive_terms.csv"):  # a later mtime, even on a coarse clock
        st = (ref / name).stat()
        os.utime(ref / name, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert theme_and_sentiment(word, None, ref)[2] == "positive"
    assert screens(ref)[0].first(word) == word


def test_the_mix_of_a_signature_is_its_values_folded_in_turn() -> None:
    """``mix`` (compiled, a row at a time) is the fold that defines it: the mix so far times the
    constant, wrapping at 64 bits, xor the next value; over every row, whatever its values."""
    import numpy as np

    from etl.similar import PERMS, SIG_DTYPE, mix

    rng = np.random.default_rng(4)
    sig = rng.integers(0, 1 << 16, (1_000, PERMS), dtype=np.int64).astype(SIG_DTYPE)
    sig[0] = 0
    sig[1] = (1 << 16) - 1
    expected = []
    for row in sig.tolist():
        m = 0
        for v in row:
            m = ((m * 0x9E3779B97F4A7C15) % (1 << 64)) ^ v
        expected.append(m)
    assert mix(sig).tolist() == expected


def test_rules_with_no_theme_keywords_read_every_text_as_other() -> None:
    """An analyst may empty theme_keywords.csv: the column's themes are then all "other", as the
    rules' own are, and the words' sentiment is still read."""
    import pyarrow as pa

    from etl.classify import SENTIMENTS, ThemeRules, TokenFacts

    facts = TokenFacts.of(ThemeRules({}, None), SENTIMENT)
    texts = [normalise(t) for t in ("الخدمة ممتازة", "ما عجبني التطبيق", "")]
    said, theme, confidence, _, _ = facts.read(pa.array(texts))
    assert theme.tolist() == [-1, -1, -1] and confidence.tolist() == [0.0, 0.0, 0.0]
    assert [SENTIMENTS[s] if s >= 0 else None for s in said] == [SENTIMENT.words_label(t) for t in texts]
    assert ThemeRules({}, None).theme(texts[0]) == ("other", 0.0)
