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
import math
import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np

from etl.errors import ConfigError

MODEL_PATH = Path(__file__).resolve().parent.parent / "data" / "model" / "sentiment.npz"
TOKEN = re.compile(r"\w+")
CLASSES = ("negative", "neutral", "positive")


class ModelError(ConfigError):
    """The model file is missing or damaged: the ETL stops (exit 2), it never falls back silently."""


def grams(text: str) -> list[str]:
    """The model's features of a normalised text: its words and each pair of neighbouring words."""
    tokens = TOKEN.findall(text)
    return tokens + [f"{a} {b}" for a, b in pairwise(tokens)]


@dataclass(frozen=True)
class SentimentModel:
    index: dict[str, int]
    idf: np.ndarray  # (terms,)
    weights: np.ndarray  # (terms, classes)
    bias: np.ndarray  # (classes,)
    classes: tuple[str, ...]
    meta: dict
    digest: str  # SHA-256 of the file: part of the rules' fingerprint

    def predict(self, text: str, among: tuple[str, ...] | None = None) -> tuple[str, float]:
        """The most likely class of a normalised text (of ``among`` only, when given: a corpus
        with no neutral class), and its probability."""
        counts: dict[int, int] = {}
        for g in grams(text):
            i = self.index.get(g)
            if i is not None:
                counts[i] = counts.get(i, 0) + 1
        scores = self.bias.astype(np.float64)
        if counts:
            ids = np.fromiter(counts, dtype=np.int64, count=len(counts))
            tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float64, count=len(counts))
            x = tf * self.idf[ids]
            x /= math.sqrt(float(x @ x))
            scores = scores + x @ self.weights[ids]
        if among is not None:
            scores = np.where([c in among for c in self.classes], scores, -np.inf)
        p = np.exp(scores - scores.max())
        p /= p.sum()
        best = int(p.argmax())
        return self.classes[best], float(p[best])

    def predict_many(self, texts: list[str]) -> tuple[list[str], np.ndarray]:
        """``predict`` for many texts at once: the lookups in Python, the arithmetic in numpy."""
        rows, ids = [], []
        for r, text in enumerate(texts):
            for g in grams(text):
                i = self.index.get(g)
                if i is not None:
                    rows.append(r)
                    ids.append(i)
        n = len(texts)
        scores = np.tile(self.bias.astype(np.float64), (n, 1))
        if ids:
            pairs = np.unique(
                np.array(rows, dtype=np.int64) * len(self.idf) + np.array(ids, dtype=np.int64), return_counts=True
            )
            r_idx, t_idx = np.divmod(pairs[0], len(self.idf))
            x = (1.0 + np.log(pairs[1])) * self.idf[t_idx]
            norms = np.sqrt(np.bincount(r_idx, weights=x * x, minlength=n))
            x = x / norms[r_idx]
            np.add.at(scores, r_idx, x[:, None] * self.weights[t_idx])
        p = np.exp(scores - scores.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        best = p.argmax(axis=1)
        return [self.classes[b] for b in best], p[np.arange(n), best]


def save(path: Path, terms: list[str], idf: np.ndarray, weights: np.ndarray, bias: np.ndarray, meta: dict) -> None:
    """Write a model as plain arrays (no pickle)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        np.savez_compressed(
            fh,
            terms=np.array(terms, dtype=str),
            idf=idf.astype(np.float32),
            weights=weights.astype(np.float32),
            bias=bias.astype(np.float32),
            classes=np.array(meta["classes"], dtype=str),
            meta=np.array(json.dumps(meta, ensure_ascii=False, sort_keys=True)),
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
    except FileNotFoundError:
        raise ModelError(
            f"{path}: the sentiment model is missing; restore it from the repository or run make model"
        ) from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise ModelError(
            f"{path}: the sentiment model cannot be read ({type(exc).__name__}); restore it or run make model"
        ) from None
    if not (len(terms) == len(idf) == len(weights) and weights.shape[1:] == (len(classes),) == bias.shape):
        raise ModelError(f"{path}: the sentiment model's arrays do not fit together; restore it or run make model")
    return SentimentModel(
        {t: i for i, t in enumerate(terms)}, idf, weights, bias, classes, meta, hashlib.sha256(raw).hexdigest()
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
