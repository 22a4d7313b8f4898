"""The sentiment model: a linear model over word n-grams, for the texts no sentiment rule speaks of.

The rules (data/reference/sentiment_*.csv) stay the layer analysts read and adjust. Where they find
no sentiment word, and the record carries no rating either, this model gives the sentiment and its
probability. It is trained by ``python -m etl.train`` (scikit-learn, a development dependency) on
public Arabic corpora; the model card is docs/model_card.md.

The file holds plain arrays only (numpy's .npz read with ``allow_pickle=False``: no code runs on
load): the vocabulary, each term's inverse document frequency, the class weights and biases, and a
JSON metadata string. Inference here reproduces scikit-learn's ``TfidfVectorizer`` (unigrams and
bigrams of ``\\w+`` tokens, sublinear tf, l2 norm) and ``LogisticRegression``'s softmax exactly; a
test compares them.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl.errors import ConfigError
from etl.text import int_array, memo_rows, numbers, pieces, strings

MODEL_PATH = Path(__file__).resolve().parent.parent / "data" / "model" / "sentiment.npz"
TOKEN = re.compile(r"\w+")
# What lies between two words, in RE2's terms (Arrow's regular expressions): TOKEN's words are runs of
# Python's ``\w``, which is Unicode's letters and numbers and the underscore, the same categories as
# here. Their tables differ only on characters assigned in a Unicode version one of them has not
# reached; a test compares the two on the scripts feedback is written in.
WORD_GAP = r"[^\p{L}\p{N}_]+"
CLASSES = ("negative", "neutral", "positive")


class ModelError(ConfigError):
    """The model file is missing or damaged: the ETL stops (exit 2), it never falls back silently."""


def grams(text: str) -> list[str]:
    """The model's word features of a normalised text: its words and each pair of neighbouring words
    (training's analyzer; ``SentimentModel.predict_many`` finds the same features in numpy)."""
    tokens = TOKEN.findall(text)
    return tokens + [f"{a} {b}" for a, b in pairwise(tokens)]


def words(texts: Sequence[str] | pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """Every word of ``texts`` (TOKEN's), text after text, and the row of the text each comes from
    (``etl.text.pieces``)."""
    arr = texts if isinstance(texts, pa.Array | pa.ChunkedArray) else strings(texts)  # (no pandas: etl.text)
    return pieces(arr, WORD_GAP)


def subwords(token: str, lo: int = 3, hi: int = 5) -> list[str]:
    """The character n-grams (``lo`` to ``hi`` long) of one word, padded with a space each side so
    that its beginning and end are pieces of their own: what a misspelt, stretched or dialect form
    of a word still shares with the word ("متتازين" with "ممتازين")."""
    w = f" {token} "
    return [w[i : i + n] for n in range(lo, hi + 1) for i in range(len(w) - n + 1)]


# Each word's share of the scores is cached per process (about 100 bytes a word); past this many
# words the cache starts again, so a rule worker holds at most about 20 MB of it.
CACHE_WORDS = 200_000
LONG_WORD = 64  # code points (``SentimentModel._pieces_in``)


@dataclass(frozen=True)
class SentimentModel:
    """A linear model over two blocks of features of a normalised text:

    - words: TF-IDF of its words and word pairs (``grams``), sublinear tf, l2 norm;
    - subwords: each word's TF-IDF vector of character n-grams (``subwords``), l2 norm, summed
      over the text's words and divided by the square root of their number.

    The second block is linear in the words, so each word's share of the scores is computed once
    and cached: inference costs a lookup per word (in Arrow), not per character n-gram."""

    index: dict[str, int]
    idf: np.ndarray  # (terms,)
    weights: np.ndarray  # (terms, classes)
    bias: np.ndarray  # (classes,)
    classes: tuple[str, ...]
    meta: dict
    digest: str  # SHA-256 of the file: part of the rules' fingerprint
    pieces: dict[str, int] = field(default_factory=dict)  # character n-gram -> row of piece_idf
    piece_idf: np.ndarray = field(default_factory=lambda: np.zeros(0))
    piece_weights: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    _known: list[pa.Array] = field(default_factory=list, compare=False, repr=False)  # [the cached words]
    _table: list[np.ndarray] = field(default_factory=list, compare=False, repr=False)  # [shares, term, pair word]
    _piece_names: list[pa.Array] = field(default_factory=list, compare=False, repr=False)  # [pieces, by id]
    _pair_word: dict[str, int] = field(default_factory=dict, compare=False, repr=False)  # a word of a pair term
    _pairs: tuple[np.ndarray, np.ndarray] = field(default=(np.zeros(0, np.int64),) * 2, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Word pairs are looked up in numpy, not a dictionary: each word of a pair term gets a
        number, and each pair term the key (first word's number, second's), sorted."""
        split = [(t.split(" "), i) for t, i in self.index.items() if " " in t]
        words = sorted({w for (a, b), _ in split for w in (a, b)})
        number = {w: k for k, w in enumerate(words)}
        keys = np.array([number[a] * len(words) + number[b] for (a, b), _ in split], dtype=np.int64)
        order = np.argsort(keys)
        ids = np.array([i for _, i in split], dtype=np.int64)
        object.__setattr__(self, "_pair_word", number)
        object.__setattr__(self, "_pairs", (keys[order], ids[order]))

    def predict(self, text: str, among: tuple[str, ...] | None = None) -> tuple[str, float]:
        """The most likely class of a normalised text (of ``among`` only, when given: a corpus
        with no neutral class), and its probability."""
        labels, probs = self.predict_many([text], among)
        return labels[0], float(probs[0])

    def predict_many(
        self, texts: Sequence[str] | pa.Array, among: tuple[str, ...] | None = None
    ) -> tuple[list[str], np.ndarray]:
        """``predict`` for many texts at once."""
        return self._best(self.probabilities(texts, among))

    def predict_words(self, flat: pa.Array, word_rows: np.ndarray, n: int) -> tuple[list[str], np.ndarray]:
        """``predict_many`` of ``n`` texts given their words, as ``words`` finds them."""
        return self._best(self.word_probabilities(flat, word_rows, n))

    def _best(self, p: np.ndarray) -> tuple[list[str], np.ndarray]:
        best = p.argmax(axis=1)
        return [self.classes[b] for b in best], p[np.arange(len(p)), best]

    def probabilities(self, texts: Sequence[str] | pa.Array, among: tuple[str, ...] | None = None) -> np.ndarray:
        """Each text's probability of each of ``classes`` (0 for a class not ``among``), a row per
        text (Python strings or an Arrow column of them): the words found and looked up in Arrow,
        the arithmetic in numpy, and Python only for each word not seen before (``_compute``)."""
        return self.word_probabilities(*words(texts), len(texts), among)

    def word_probabilities(
        self, flat: pa.Array, word_rows: np.ndarray, n: int, among: tuple[str, ...] | None = None
    ) -> np.ndarray:
        """``probabilities`` of ``n`` texts given their words (``words``: ``flat``, and the row of
        each one's text, ascending)."""
        lengths = np.bincount(word_rows, minlength=n)
        shares, term_of, pair_word, at = self._words_of(flat)
        pair_rows, pair_ids = self._pair_terms(pair_word[at], word_rows)
        rows = np.concatenate([word_rows, pair_rows])
        ids = np.concatenate([term_of[at], pair_ids])
        scores = np.tile(self.bias.astype(np.float64), (n, 1))
        scores += _tfidf_scores(rows[ids >= 0], ids[ids >= 0], self.idf, self.weights, n)
        if self.pieces:  # the subword block: each word's share, summed over the text, / sqrt(words)
            scores += _sum_rows(word_rows, shares[at], n) / np.sqrt(np.maximum(lengths, 1))[:, None]
        if among is not None:
            scores[:, [c not in among for c in self.classes]] = -np.inf
        p = np.exp(scores - scores.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        return p

    def _pair_terms(self, numbers: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, term id) of each word pair that is a term, given each word's number among the
        words of pair terms (-1: in none) and its text's row, in text order."""
        keys, terms = self._pairs
        within = (rows[:-1] == rows[1:]) & (numbers[:-1] >= 0) & (numbers[1:] >= 0)
        key = numbers[:-1][within] * len(self._pair_word) + numbers[1:][within]
        if not len(keys) or not len(key):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        found = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
        hit = keys[found] == key
        return rows[:-1][within][hit], terms[found[hit]]

    def _words_of(self, flat: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The per-word cache (each word's subword share of the scores, its term id or -1, and its
        number among the words of pair terms or -1), and where each word of ``flat`` is in it;
        words not seen before are computed first and added."""
        at = memo_rows(self._known, self._table, flat, self._compute, CACHE_WORDS)
        return self._table[0], self._table[1], self._table[2], at

    def _compute(self, new: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        words = new.to_pylist()
        term_of = np.fromiter((self.index.get(w, -1) for w in words), dtype=np.int64, count=len(words))
        pair_word = np.fromiter((self._pair_word.get(w, -1) for w in words), dtype=np.int64, count=len(words))
        shares = np.zeros((len(words), len(self.classes)))
        if self.pieces and words:
            rows, ids = self._pieces_in(words)
            shares = _tfidf_scores(rows, ids, self.piece_idf, self.piece_weights, len(words))
        return shares, term_of, pair_word

    def _pieces_in(self, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(row, piece id) of each of ``subwords`` of each of ``words`` that is one of the
        model's pieces: the n-grams starting at each position are cut from every word long enough
        at once, in Arrow (the words are sorted longest first, so those are a prefix of them)."""
        lo, hi = self.meta["subwords"]["n"]
        padded = strings([f" {w} " for w in words])
        length = numbers(pc.utf8_length(padded)).astype(np.int64)
        order = np.argsort(-length, kind="stable")
        padded, shorter = padded.take(int_array(order)), -length[order]  # (ascending: longest first)
        # a pass per position: a word longer than LONG_WORD (a stretched laugh, a pasted string)
        # gets its n-grams in Python instead, so the passes stay few whatever the input holds
        long = int(np.searchsorted(shorter, -(LONG_WORD + 2), side="left"))
        found = [(r, self.pieces.get(g)) for r in order[:long].tolist() for g in subwords(words[r], lo, hi)]
        rows = [np.array([r for r, i in found if i is not None], np.int64)]
        ids = [np.array([i for _, i in found if i is not None], np.int64)]
        grams, at = [], []
        for n in range(lo, hi + 1):
            for i in range(1 - n - int(shorter[long]) if len(shorter) > long else 0):
                k = int(np.searchsorted(shorter, -(i + n), side="right"))  # the words of i + n or more
                grams.append(pc.utf8_slice_codeunits(padded.slice(long, k - long), i, i + n))
                at.append(order[long:k])
        if grams:
            if not self._piece_names:
                self._piece_names.append(strings(sorted(self.pieces, key=self.pieces.get)).cast(pa.string()))
            piece = pc.index_in(pa.concat_arrays(grams), value_set=self._piece_names[0])
            rows.append(np.concatenate(at)[numbers(pc.indices_nonzero(piece.is_valid()))])
            ids.append(numbers(piece.drop_null()).astype(np.int64))
        return np.concatenate(rows), np.concatenate(ids)


def _sum_rows(rows: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """``values`` (k, classes) summed into ``n`` rows by ``rows`` (k,)."""
    return np.stack([np.bincount(rows, weights=values[:, c], minlength=n) for c in range(values.shape[1])], axis=1)


def _tfidf_scores(rows: np.ndarray, ids: np.ndarray, idf: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """Scores (n, classes) of the l2-normalised TF-IDF vectors (sublinear tf) of ``n`` rows, given
    each occurrence of a term as (row, term id), times ``weights``: scikit-learn's TfidfVectorizer
    followed by a linear model's decision function, without its bias."""
    if not len(ids):
        return np.zeros((n, weights.shape[1]))
    pairs, counts = np.unique(rows * len(idf) + ids, return_counts=True)
    r_idx, t_idx = np.divmod(pairs, len(idf))
    x = (1.0 + np.log(counts)) * idf[t_idx]
    norms = np.sqrt(np.bincount(r_idx, weights=x * x, minlength=n))
    x = x / norms[r_idx]
    return _sum_rows(r_idx, x[:, None] * weights[t_idx], n)


def save(
    path: Path,
    terms: list[str],
    idf: np.ndarray,
    weights: np.ndarray,
    bias: np.ndarray,
    meta: dict,
    pieces: list[str] | None = None,
    piece_idf: np.ndarray | None = None,
    piece_weights: np.ndarray | None = None,
) -> None:
    """Write a model as plain arrays (no pickle); the subword block (``pieces``...) is optional."""
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = {}
    if pieces:
        extra = {
            "pieces": np.array(pieces, dtype=str),
            "piece_idf": piece_idf.astype(np.float32),
            "piece_weights": piece_weights.astype(np.float32),
        }
    with path.open("wb") as fh:
        np.savez_compressed(
            fh,
            terms=np.array(terms, dtype=str),
            idf=idf.astype(np.float32),
            weights=weights.astype(np.float32),
            bias=bias.astype(np.float32),
            classes=np.array(meta["classes"], dtype=str),
            meta=np.array(json.dumps(meta, ensure_ascii=False, sort_keys=True)),
            **extra,
        )


def load(path: Path = MODEL_PATH) -> SentimentModel:
    """The model at ``path``; a missing or damaged file is a ``ModelError`` naming it."""
    try:
        raw = path.read_bytes()
        with np.load(path, allow_pickle=False) as z:
            terms = z["terms"].tolist()
            idf, weights, bias = z["idf"], z["weights"], z["bias"]
            classes = tuple(z["classes"].tolist())
            meta = json.loads(str(z["meta"]))
            has_pieces = "pieces" in z.files
            pieces = z["pieces"].tolist() if has_pieces else []
            piece_idf = z["piece_idf"] if has_pieces else np.zeros(0)
            piece_weights = z["piece_weights"] if has_pieces else np.zeros((0, len(classes)))
    except FileNotFoundError:
        raise ModelError(
            f"{path}: the sentiment model is missing; restore it from the repository or run make model"
        ) from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise ModelError(
            f"{path}: the sentiment model cannot be read ({type(exc).__name__}); restore it or run make model"
        ) from None
    fits = len(terms) == len(idf) == len(weights) and weights.shape[1:] == (len(classes),) == bias.shape
    fits = fits and len(pieces) == len(piece_idf) == len(piece_weights) and piece_weights.shape[1:] == (len(classes),)
    if not fits or (has_pieces and "subwords" not in meta):
        raise ModelError(f"{path}: the sentiment model's arrays do not fit together; restore it or run make model")
    return SentimentModel(
        {t: i for i, t in enumerate(terms)},
        idf,
        weights,
        bias,
        classes,
        meta,
        hashlib.sha256(raw).hexdigest(),
        {t: i for i, t in enumerate(pieces)},
        piece_idf,
        piece_weights,
    )


@lru_cache(maxsize=2)
def _cached(path: Path, stamp: tuple[int, int]) -> SentimentModel:
    del stamp  # the cache key only
    return load(path)


def model(path: Path = MODEL_PATH) -> SentimentModel:
    """The model, loaded once per process and again when the file changes."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return load(path)  # raises, naming the file
    return _cached(path, (st.st_size, st.st_mtime_ns))
