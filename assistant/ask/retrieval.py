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
from ..index.chunkstore import Allowed, ChunkStore, LocalChunkStore
from ..schema import Filters, Hit
from ..text import cjk_ratio
from .question import Question


class HybridSearcher:
    """Ranks chunks of a :class:`PolicyIndex` for a query.

    Input: a query (or an analysed :class:`Question`), k and filters; output: ranked
    :class:`Hit` objects. Weights come from ``settings`` (see :class:`Settings`).

    Two stages keep a query's cost from growing with every sentence of the corpus: the
    allowed chunks are ranked by their own dense score plus BM25 (one matrix-vector product
    and one sparse lookup), and only the best ``rerank_depth`` of them get the
    sentence-level work (best sentence, English term bonus). An index no larger than
    ``rerank_depth`` chunks is ranked exactly as by one stage.

    Args:
        index: the loaded index.
        embedder: the query embedder; must be the model the index was built with.
        settings: ``lexical_weight``, ``expansion_weight``, ``sentence_weight``,
            ``sentence_term_weight``, ``per_plan_depth``, ``query_cache_size`` and
            ``rerank_depth`` are used.
        store: where the first stage runs (:mod:`assistant.index.chunkstore`); the loaded
            index itself by default.
    """

    def __init__(
        self,
        index: PolicyIndex,
        embedder: Embedder,
        settings: Settings | None = None,
        store: ChunkStore | None = None,
    ) -> None:
        settings = settings or Settings()
        self.index = index
        self.store = store or LocalChunkStore(index)
        self.embedder = embedder
        self.lexical_weight = settings.lexical_weight
        self.sentence_weight = settings.sentence_weight
        self.expansion_weight = settings.expansion_weight
        self.sentence_term_weight = settings.sentence_term_weight
        self.per_plan_depth = settings.per_plan_depth
        self.query_cache_size = settings.query_cache_size
        self.rerank_depth = settings.rerank_depth
        # Per-chunk columns for filtering with numpy instead of a Python loop per query.
        self._doc_ids = list(index.documents)
        position = {doc_id: i for i, doc_id in enumerate(self._doc_ids)}
        chunks = index.chunks
        self._chunk_doc = np.fromiter((position[c.doc_id] for c in chunks), dtype=np.int64, count=len(chunks))
        doc_year = np.array([index.documents[d].year or 0 for d in self._doc_ids], dtype=np.int64)
        self._chunk_year = doc_year[self._chunk_doc]  # each chunk's plan year, gathered once, not per query
        self._doc_level = np.array([index.documents[d].level for d in self._doc_ids], dtype=object)
        # Plans by every name that selects them (Filters.accepts, as lookups): their own id
        # and file name; each region of the chain by full and short name; the English name.
        self._docs_named: dict[str, list[int]] = {}
        self._docs_by_id: dict[str, list[int]] = {}
        for i, doc_id in enumerate(self._doc_ids):
            document = index.documents[doc_id]
            for key in {doc_id, document.source}:
                self._docs_by_id.setdefault(key, []).append(i)
            for name in document.region_names():
                self._docs_named.setdefault(name, []).append(i)
        self._about_year = np.fromiter((c.about_year or 0 for c in chunks), dtype=np.int64, count=len(chunks))
        # Plans by each year their whole text covers (title years, periods, horizons), gathered
        # once: a year filter ORs these masks instead of asking every plan per query.
        self._docs_covering: dict[int, np.ndarray] = {}
        for i, doc_id in enumerate(self._doc_ids):
            for year in index.documents[doc_id].whole_document_years():
                mask = self._docs_covering.setdefault(year, np.zeros(len(self._doc_ids), dtype=bool))
                mask[i] = True
        # The publisher's record chunks answer only questions about the record (文号,
        # 公开日期 …); elsewhere their region-and-title text would crowd out vague questions.
        self._is_record = np.fromiter((c.is_record for c in chunks), dtype=bool, count=len(chunks))
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._vectors_lock = threading.Lock()

    # -- query vectors

    def query_vectors(self, *queries: str) -> list[np.ndarray]:
        """The embeddings of ``queries``, those not cached embedded in one call.

        The last ``query_cache_size`` are kept, so that answering (which matches sentences
        against the same topic) does not embed again.
        """
        with self._vectors_lock:
            found = {q: self._vectors[q] for q in queries if q in self._vectors}
        missing = list(dict.fromkeys(q for q in queries if q not in found))
        if missing:
            for query, vector in zip(missing, self.embedder.embed_queries(missing), strict=True):
                found[query] = vector
            with self._vectors_lock:
                for query in missing:
                    self._vectors[query] = found[query]
                while len(self._vectors) > self.query_cache_size:
                    self._vectors.popitem(last=False)
        return [found[q] for q in queries]

    def query_vector(self, query: str) -> np.ndarray:
        """The embedding of one query (cached; see :meth:`query_vectors`)."""
        return self.query_vectors(query)[0]

    def clear_cache(self) -> None:
        """Forget the cached query embeddings (benchmarks measure embedding this way)."""
        with self._vectors_lock:
            self._vectors.clear()

    # -- candidates and scores

    def candidates(self, filters: Filters | None, records: bool = False) -> np.ndarray:
        """Row numbers of the chunks the filters allow; record chunks only with ``records``."""
        return self.allowed(filters, records).rows

    def allowed(self, filters: Filters | None, records: bool = False) -> Allowed:
        """The chunks the filters allow, as rows and as the plans and years they came from."""
        documents = self._allowed_documents(filters)
        mask = documents[self._chunk_doc]
        if not records:
            mask &= ~self._is_record
        years = list(filters.years) if filters else []
        covering: list[str] = []
        if years:
            # A year matches the plan's own year, the year its section reviews, or, outside
            # review sections, a year the whole plan covers (Filters.accepts_chunk).
            covers = np.zeros(len(self._doc_ids), dtype=bool)
            for year in years:
                if year in self._docs_covering:
                    covers |= self._docs_covering[year]
            covering = [self._doc_ids[i] for i in np.flatnonzero(covers & documents)]
            mask &= (
                np.isin(self._chunk_year, years)
                | np.isin(self._about_year, years)
                | (covers[self._chunk_doc] & (self._about_year == 0))
            )
        doc_ids = None if documents.all() else [self._doc_ids[i] for i in np.flatnonzero(documents)]
        return Allowed(np.flatnonzero(mask), doc_ids, years, records, covering)

    def _allowed_documents(self, filters: Filters | None) -> np.ndarray:
        """A mask over plans: exactly ``filters.accepts(plan, years=False)``, by lookups."""
        allowed = np.ones(len(self._doc_ids), dtype=bool)
        if not filters:
            return allowed
        if filters.doc_ids:
            named = np.zeros(len(self._doc_ids), dtype=bool)
            named[[i for d in filters.doc_ids for i in self._docs_by_id.get(d, [])]] = True
            allowed &= named
        if filters.levels:
            allowed &= np.isin(self._doc_level, filters.levels)
        if filters.regions:
            named = np.zeros(len(self._doc_ids), dtype=bool)
            named[[i for r in filters.regions for key in {r, r.lower()} for i in self._docs_named.get(key, [])]] = True
            allowed &= named
        return allowed

    def score(
        self,
        query: str,
        allowed: Allowed | np.ndarray,
        topic: str | None = None,
        expansion: Sequence[str] = (),
        chinese_share: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(rows, fused, dense, lexical) for the best allowed chunks for ``query``.

        ``allowed`` comes from :meth:`allowed` (or is an array of rows, all of whose plans
        and years count). The rows returned are the ``rerank_depth`` best by the first
        stage (all allowed rows when there are no more), in no particular order.

        ``topic`` is the query without region/year words; sentences carry no region,
        so they are matched against the topic (defaults to the query). ``expansion``
        holds Chinese terms for an English query (from the term map): they join the
        BM25 query, weighted by ``expansion_weight`` in place of the Chinese share, and
        raise each sentence by ``sentence_term_weight`` times the share of them it holds.
        """
        if not isinstance(allowed, Allowed):
            allowed = Allowed(np.asarray(allowed, dtype=np.int64), None, [], True)
        empty = np.zeros(0, np.float32)
        if not len(allowed.rows):
            return allowed.rows, empty, empty, empty
        with_topic = bool(topic) and topic != query
        vector, topic_vector = self.query_vectors(query, topic) if with_topic else (self.query_vector(query), None)
        chunk_vector = vector
        if topic_vector is not None:
            # Region and year words are settled by filters; half their pull on the chunk
            # query keeps them from outweighing the topic (dev English MRR 0.961 → 0.968).
            chunk_vector = vector + topic_vector
            chunk_vector = chunk_vector / np.linalg.norm(chunk_vector)
        ratio = cjk_ratio(query) if chinese_share is None else chinese_share
        lexical_query = " ".join([query, *expansion])
        weight = self.lexical_weight * ratio + (self.expansion_weight * (1 - ratio) if expansion else 0.0)
        first = self.store.first_stage(chunk_vector, lexical_query, weight, allowed, self.rerank_depth)
        top = first.lexical_top
        lexical_part = weight * first.lexical / top if top > 0 else np.zeros(len(first.rows), np.float32)
        term_weight = self.sentence_term_weight * (1 - ratio) if expansion else 0.0
        dense = self._blend_sentences(
            first.dense, first.rows, topic_vector if topic_vector is not None else chunk_vector, expansion, term_weight
        )
        return first.rows, dense + lexical_part, dense, first.lexical

    def _blend_sentences(
        self,
        chunk_scores: np.ndarray,
        rows: np.ndarray,
        vector: np.ndarray,
        terms: Sequence[str],
        term_weight: float,
    ) -> np.ndarray:
        """Chunk scores blended with each chunk's best sentence.

        A specific question often matches one sentence far better than its whole passage
        (especially across languages). An English question's Chinese terms (term map)
        inside one sentence are strong evidence that sentence answers it (dev English MRR
        0.971 → 0.984): such a sentence gains ``term_weight`` times the share it holds.
        """
        table = self.index.sentences
        if not self.sentence_weight or not len(table):
            return chunk_scores
        starts, ends = table.offsets[rows], table.offsets[rows + 1]
        counts = ends - starts
        if not counts.sum():
            return chunk_scores
        # The sentence rows of all candidate chunks, chunk after chunk.
        sentence_rows = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        scores = (self.index.sentence_vectors[sentence_rows] @ vector).astype(np.float32)
        if terms and term_weight:
            texts = (self.index.sentence_text(int(r)) for r in sentence_rows)
            share = np.fromiter((sum(t in text for t in terms) for text in texts), np.float32, len(sentence_rows))
            scores += term_weight * share / len(terms)
        best = chunk_scores.copy()
        has = counts > 0
        best[has] = np.maximum.reduceat(scores, (np.cumsum(counts) - counts)[has])
        return (1 - self.sentence_weight) * chunk_scores + self.sentence_weight * best

    def search(
        self,
        query: str,
        k: int = 5,
        filters: Filters | None = None,
        topic: str | None = None,
        expansion: Sequence[str] = (),
        records: bool = False,
    ) -> list[Hit]:
        """Top ``k`` hits for ``query`` among the chunks ``filters`` allow.

        ``topic`` and ``expansion``: see :meth:`score`. ``records`` lets the publisher's
        record chunks (section 文件信息) compete; leave it off unless the question asks
        for a record field.
        """
        allowed = self.allowed(filters, records)
        if not len(allowed.rows) or not query.strip():
            return []
        rows, fused, dense, lexical = self.score(query, allowed, topic, expansion)
        top = np.argpartition(-fused, k - 1)[:k] if len(fused) > k else np.arange(len(fused))
        # Ties keep index order, as a stable sort over the rows would.
        order = top[np.lexsort((rows[top], -fused[top]))]
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
