"""Hybrid retrieval: dense (FAISS) and lexical (BM25) scores fused, with metadata filters.

:class:`HybridSearcher` is the component (query + filters in, ranked :class:`Hit` out);
:class:`HybridRetriever` wraps it as a LangChain ``BaseRetriever`` returning
``Document`` objects that carry all chunk metadata.

Fusion. BM25 on jieba tokens is strong for Chinese questions and useless for English
ones, and an equal rank fusion lowers English accuracy. So the lexical weight scales
with the share of Chinese characters in the query: a Chinese question gets the full
``lexical_weight``, an English one none, a mixed one in between. Scores are fused as
``cosine + weight * bm25 / max(bm25)`` over the filtered candidates.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from ..config import Settings
from ..index import Embedder, PolicyIndex
from ..schema import Filters, Hit
from ..text import cjk_ratio
from .question import Question


class HybridSearcher:
    """Ranks chunks of a :class:`PolicyIndex` for a query.

    Input: a query (or an analysed :class:`Question`), k and filters; output: ranked
    :class:`Hit` objects. Weights come from ``settings`` (see :class:`Settings`).

    Args:
        index: the loaded index.
        embedder: the query embedder; must be the model the index was built with.
        settings: ``lexical_weight``, ``expansion_weight``, ``sentence_weight``,
            ``sentence_term_weight``, ``per_plan_depth``, ``query_cache_size`` and ``period_bonus``
            are used.
    """

    def __init__(self, index: PolicyIndex, embedder: Embedder, settings: Settings | None = None) -> None:
        settings = settings or Settings()
        self.index = index
        self.embedder = embedder
        self.lexical_weight = settings.lexical_weight
        self.sentence_weight = settings.sentence_weight
        self.expansion_weight = settings.expansion_weight
        self.sentence_term_weight = settings.sentence_term_weight
        self.per_plan_depth = settings.per_plan_depth
        self.query_cache_size = settings.query_cache_size
        self.period_bonus = settings.period_bonus
        # Sentence rows are stored chunk by chunk; their boundaries let numpy take the
        # best sentence of every chunk in one pass.
        owners = np.array([s.chunk for s in index.sentences], dtype=np.int64)
        self._sentence_texts = [index.sentence_text(row) for row in range(len(index.sentences))]
        self._sentence_owner = owners
        self._sentence_starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]]) if len(owners) else owners
        # The publisher's record chunks answer only questions about the record (文号,
        # 公开日期 …); elsewhere their region-and-title text would crowd out vague questions.
        self._record_rows = {i for i, c in enumerate(index.chunks) if c.is_record}
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._vectors_lock = threading.Lock()

    def query_vector(self, query: str) -> np.ndarray:
        """The query's embedding; the last 256 are kept so answering does not embed twice."""
        with self._vectors_lock:
            vector = self._vectors.get(query)
        if vector is None:
            vector = self.embedder.embed_queries([query])[0]
            with self._vectors_lock:
                self._vectors[query] = vector
                if len(self._vectors) > self.query_cache_size:
                    self._vectors.popitem(last=False)
        return vector

    def candidates(self, filters: Filters | None, records: bool = False) -> np.ndarray:
        """Row numbers of the chunks the filters allow; record chunks only with ``records``."""
        documents = self.index.documents
        allowed = {d.doc_id for d in documents.values() if not filters or filters.accepts(d, years=False)}
        years = filters.years if filters else []
        return np.array(
            [
                i
                for i, c in enumerate(self.index.chunks)
                if c.doc_id in allowed
                and (records or i not in self._record_rows)
                # A year matches the plan's own year or the year its section reviews.
                and (not years or documents[c.doc_id].year in years or c.about_year in years)
            ],
            dtype=np.int64,
        )

    def score(
        self,
        query: str,
        rows: np.ndarray,
        topic: str | None = None,
        expansion: Sequence[str] = (),
        chinese_share: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(fused, dense, lexical) scores of the given chunk rows for ``query``.

        ``topic`` is the query without region/year words; sentences carry no region,
        so they are matched against the topic (defaults to the query). ``expansion``
        holds Chinese terms for an English query (from the term map): they join the
        BM25 query, weighted by ``expansion_weight`` in place of the Chinese share, and
        raise each sentence by ``sentence_term_weight`` times the share of them it holds.
        """
        topic_vector = self.query_vector(topic) if topic and topic != query else None
        ratio = cjk_ratio(query) if chinese_share is None else chinese_share
        term_bonus = None
        if expansion and self.sentence_term_weight and len(self._sentence_owner):
            term_bonus = self.sentence_term_weight * (1 - ratio) * self._term_share(expansion, rows)
        dense = self._dense_scores(self.query_vector(query), rows, topic_vector, term_bonus)
        lexical_query = " ".join([query, *expansion])
        lexical = self.index.lexical.scores(lexical_query)[rows] if len(rows) else np.zeros(0, np.float32)
        weight = self.lexical_weight * ratio + (self.expansion_weight * (1 - ratio) if expansion else 0.0)
        top = float(lexical.max()) if len(lexical) else 0.0
        fused = dense + (weight * lexical / top if top > 0 else 0.0)
        return fused, dense, lexical

    def _term_share(self, terms: Sequence[str], rows: np.ndarray) -> np.ndarray:
        """For every sentence of the given chunk rows, the share of ``terms`` it contains (0 elsewhere)."""
        share = np.zeros(len(self._sentence_owner), dtype=np.float32)
        for row in rows:
            for i in self.index.sentences_by_chunk.get(int(row), []):
                share[i] = sum(1 for term in terms if term in self._sentence_texts[i]) / len(terms)
        return share

    def _dense_scores(
        self,
        vector: np.ndarray,
        rows: np.ndarray,
        topic_vector: np.ndarray | None = None,
        sentence_bonus: np.ndarray | None = None,
    ) -> np.ndarray:
        if not len(rows):
            return np.zeros(0, np.float32)
        # A flat index reconstructs cheaply; scoring the candidate rows directly keeps
        # filters exact (no post-filtering of a truncated top-k).
        vectors = self.index.dense.reconstruct_batch(rows)
        if topic_vector is not None:
            # Region and year words are settled by filters; half their pull on the chunk
            # query keeps them from outweighing the topic (dev English MRR 0.961 → 0.968).
            vector = vector + topic_vector
            vector = vector / np.linalg.norm(vector)
        chunk_scores = (vectors @ vector).astype(np.float32)
        if not self.sentence_weight or not len(self._sentence_owner):
            return chunk_scores
        # A specific question often matches one sentence far better than its whole
        # passage (especially across languages): blend in each chunk's best sentence.
        sentence_scores = self.index.sentence_vectors @ (vector if topic_vector is None else topic_vector)
        if sentence_bonus is not None:
            # An English question's Chinese terms (term map) inside one sentence are strong
            # evidence that sentence answers it (dev English MRR 0.971 → 0.984).
            sentence_scores = sentence_scores + sentence_bonus
        best = np.full(len(self.index.chunks), -1.0, dtype=np.float32)
        best[self._sentence_owner[self._sentence_starts]] = np.maximum.reduceat(sentence_scores, self._sentence_starts)
        best_rows = best[rows]
        best_rows = np.where(best_rows < 0, chunk_scores, best_rows)
        return (1 - self.sentence_weight) * chunk_scores + self.sentence_weight * best_rows

    def search(
        self,
        query: str,
        k: int = 5,
        filters: Filters | None = None,
        topic: str | None = None,
        expansion: Sequence[str] = (),
        records: bool = False,
        period: tuple[int, str] | None = None,
    ) -> list[Hit]:
        """Top ``k`` hits for ``query`` among the chunks ``filters`` allow.

        ``topic`` and ``expansion``: see :meth:`score`. ``records`` lets the publisher's
        record chunks (section 文件信息) compete; leave it off unless the question asks
        for a record field. ``period`` (year, "achieved" or "target") lifts the passages
        about that year in that sense by ``period_bonus``: a later report's review for what
        was achieved, the year's own plan for what is planned.
        """
        rows = self.candidates(filters, records)
        if not len(rows) or not query.strip():
            return []
        fused, dense, lexical = self.score(query, rows, topic, expansion)
        if period and self.period_bonus:
            fused = fused + self.period_bonus * self._in_period(rows, *period)
        order = np.argsort(-fused, kind="stable")[:k]
        hits = []
        for rank, position in enumerate(order, start=1):
            chunk = self.index.chunks[int(rows[position])]
            hits.append(
                Hit(
                    rank=rank,
                    score=float(fused[position]),
                    chunk=chunk,
                    document=self.index.documents[chunk.doc_id],
                    dense_score=float(dense[position]),
                    lexical_score=float(lexical[position]),
                )
            )
        return hits

    def search_per_document(
        self,
        query: str,
        k: int = 5,
        filters: Filters | None = None,
        topic: str | None = None,
        expansion: Sequence[str] = (),
        records: bool = False,
    ) -> list[Hit]:
        """The best passage of every allowed plan first (best plan first), then the rest.

        For questions that compare plans: a ranking by score alone lets one plan with
        several matching passages crowd out the others.
        """
        hits = self.search(query, max(k, self.per_plan_depth), filters, topic, expansion, records)
        best: dict[str, Hit] = {}
        for hit in hits:
            best.setdefault(hit.chunk.doc_id, hit)
        firsts = list(best.values())
        rest = [h for h in hits if h not in firsts]
        ordered = (firsts + rest)[: max(k, len(firsts))]
        for rank, hit in enumerate(ordered, start=1):
            hit.rank = rank
        return ordered

    def search_question(self, question: Question, k: int, filters: Filters | None) -> list[Hit]:
        """Retrieval as an analysed question asks for it: per plan for comparisons, with
        its topic and terms, and the record chunks only when it asks for a record field."""
        search = self.search_per_document if question.intents.compare else self.search
        return search(
            question.text,
            k,
            filters,
            question.topic or None,
            question.terms,
            records=bool(question.intents.record_fields),
        )


def hit_to_langchain(hit: Hit) -> LCDocument:
    """A LangChain Document with the passage text and every piece of chunk metadata."""
    data = hit.to_json()
    text = data.pop("text")
    data["dense_score"] = hit.dense_score
    data["lexical_score"] = hit.lexical_score
    data["level"] = hit.document.level
    data["region_chain"] = list(hit.document.region_chain)
    data["fields"] = dict(hit.chunk.fields)
    return LCDocument(page_content=text, metadata=data, id=hit.chunk.chunk_id)


class HybridRetriever(BaseRetriever):
    """LangChain retriever over a :class:`HybridSearcher`.

    ``retriever.invoke("浙江老年医学科比例")`` returns ``Document`` objects whose metadata
    holds chunk_id, source, title, region, year, section, start, end and scores;
    ``invoke(query, k=3)`` overrides ``k`` for one call. Plain retrieval: the query's
    regions and years do not become filters (pass ``filters``).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: HybridSearcher
    k: int = 5
    filters: Filters | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None, **kwargs: Any
    ) -> list[LCDocument]:
        count = self.k if k is None else k
        if count < 1:
            raise ValueError(f"k must be at least 1 (got {count})")
        return [hit_to_langchain(h) for h in self.searcher.search(query, count, self.filters)]
