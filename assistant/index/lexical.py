"""Lexical search: jieba tokens with a policy-domain user dictionary, scored by BM25 (bm25s).

The tokenizer keeps place names and terms whole (医养结合, 两癌, 老年医学科, 东海县) via
``data/userdict.txt`` and drops question words (多少, 哪些, 什么, 是否 …) listed in
``data/stopwords.txt``. Each tokenizer owns its own jieba instance: no global state.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import re
import warnings
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

_TOKEN_KEEP = re.compile(r"[\w\u4e00-\u9fff]")
_ASCII_WORD = re.compile(r"^[a-z0-9]+$")


def _data_lines(name: str) -> list[str]:
    text = (resources.files("assistant") / "data" / name).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


class ChineseTokenizer:
    """jieba search-mode tokens (words plus their sub-words), lower-cased, stop-words removed.

    >>> ChineseTokenizer().tokenize("东海县医养结合机构有多少家")
    ['东海', '东海县', '结合', '医养结合', '机构', '家']
    """

    def __init__(self, extra_words: Iterable[str] = ()) -> None:
        with warnings.catch_warnings():
            # jieba reaches its dictionary through pkg_resources when it is installed (the
            # Milvus extra pins a setuptools that still has it), which warns on every run.
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
            import jieba

        logging.getLogger("jieba").setLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        for line in _data_lines("userdict.txt"):
            word, *rest = line.split()
            self._jieba.add_word(word, int(rest[0]) if rest else None, rest[1] if len(rest) > 1 else None)
        for word in extra_words:
            self._jieba.add_word(word)
        self.stopwords = frozenset(_data_lines("stopwords.txt"))

    def word_boundaries(self, text: str) -> set[int]:
        """Offsets where jieba's (default-mode) words of ``text`` start or end."""
        bounds = {0, len(text)}
        for _, start, end in self._jieba.tokenize(text):
            bounds.update((start, end))
        return bounds

    def word_frequency(self, word: str) -> int:
        """How common ``word`` is in jieba's general dictionary (0 when it is not a dictionary word).

        Everyday words (孩子, 远处) are frequent; the names of programmes and rare terms
        (岐黄, 签约率) are not.
        """
        return int(self._jieba.FREQ.get(word) or 0)

    def tokenize(self, text: str) -> list[str]:
        tokens = []
        for token in self._jieba.cut_for_search(text.lower()):
            token = token.strip()
            if not token or token in self.stopwords or not _TOKEN_KEEP.search(token):
                continue
            if _ASCII_WORD.match(token) and len(token) == 1:
                continue
            tokens.append(token)
        return tokens


def _bm25s():
    import bm25s

    # bm25s sets its own logger to DEBUG on import; keep its chatter out of our output.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


class BM25Index:
    """BM25 over pre-tokenised passages; scores every passage for a query."""

    def __init__(self, tokenizer: ChineseTokenizer | None = None) -> None:
        self.tokenizer = tokenizer or ChineseTokenizer()
        self._bm25 = None
        self.size = 0
        self.df: dict[str, int] = {}

    def fit(self, texts: list[str]) -> BM25Index:
        bm25s = _bm25s()
        corpus_tokens = [self.tokenizer.tokenize(t) or ["∅"] for t in texts]
        self.df = {}
        for tokens in corpus_tokens:
            for token in set(tokens):
                self.df[token] = self.df.get(token, 0) + 1
        self._bm25 = bm25s.BM25(k1=1.2, b=0.75)
        self._bm25.index(corpus_tokens, show_progress=False)
        self.size = len(texts)
        return self

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage (zeros when no query token is known)."""
        if self._bm25 is None:
            raise RuntimeError("BM25Index used before fit() or load()")
        vocab = self._bm25.vocab_dict
        tokens = [t for t in self.tokenizer.tokenize(query) if t in vocab]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

    def query_weights(self, query: str) -> dict[int, float]:
        """The query as a sparse vector over token ids (counts), so that its inner product
        with :meth:`document_vectors` is exactly :meth:`scores` (the Milvus store uses it)."""
        vocab = self._bm25.vocab_dict
        weights: dict[int, float] = {}
        for token in self.tokenizer.tokenize(query):
            if token in vocab:
                weights[int(vocab[token])] = weights.get(int(vocab[token]), 0.0) + 1.0
        return weights

    def document_vectors(self) -> Iterator[dict[int, float]]:
        """Each passage's BM25 weights by token id, passage after passage (the stored score
        matrix row by row; yielded, since a million passages' dicts would take gigabytes)."""
        scores = self._bm25.scores
        data, docs, indptr = (np.asarray(scores[k]) for k in ("data", "indices", "indptr"))
        order = np.argsort(docs, kind="stable")  # the matrix is stored token by token: regroup by passage
        tokens = (np.searchsorted(indptr, order, side="right") - 1).astype(np.int64)
        weights = data[order]
        bounds = np.searchsorted(docs[order], np.arange(self.size + 1))
        for a, b in itertools.pairwise(bounds):
            yield {int(t): float(w) for t, w in zip(tokens[a:b].tolist(), weights[a:b].tolist(), strict=True) if w > 0}

    def idf(self, token: str) -> float:
        """Inverse document frequency; a token no passage has gets the highest value."""
        return math.log(1 + (self.size - self.df.get(token, 0) + 0.5) / (self.df.get(token, 0) + 0.5))

    def coverage(self, query: str, text: str) -> float:
        """IDF-weighted share of the query's tokens that occur in ``text`` (0..1).

        A question whose rare words (火星, 基地) no passage contains has low coverage
        even when its common words match: a signal to abstain.
        """
        tokens = set(self.tokenizer.tokenize(query))
        if not tokens:
            return 0.0
        present = set(self.tokenizer.tokenize(text))
        total = sum(self.idf(t) for t in tokens)
        return sum(self.idf(t) for t in tokens if t in present) / total if total else 0.0

    def save(self, directory: Path) -> None:
        self._bm25.save(str(directory), show_progress=False)
        (directory / "df.json").write_text(json.dumps(self.df, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, tokenizer: ChineseTokenizer | None = None) -> BM25Index:
        index = cls(tokenizer)
        # Memory-mapped: a query reads the columns of its own tokens only.
        index._bm25 = _bm25s().BM25.load(str(directory), show_progress=False, mmap=True)
        index.size = int(index._bm25.scores["num_docs"])
        index.df = json.loads((directory / "df.json").read_text(encoding="utf-8"))
        return index
