"""Extractive, cited answers: quote the sentences of the top passages that answer the question.

:class:`ExtractiveAnswerer` never writes words of its own into a quote. It scores every
sentence of the top passages against the question (sentence vectors were embedded at
index time; jieba token overlap adds lexical evidence for Chinese questions), keeps the
best few, and prints them in reading order, each followed by its citation marker [n].
When even the best sentence is a weak match it abstains: it says the documents do not
clearly answer and lists the nearest passages instead of guessing.

:func:`build_ask_chain` composes retrieval and answering as a LangChain runnable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from langchain_core.runnables import Runnable, RunnableLambda

from .chunking import marker_family
from .index import PolicyIndex
from .lexical import ChineseTokenizer
from .query import QueryAnalyzer, QueryScope
from .retrieval import Filters, HybridSearcher
from .schema import Answer, Citation, Hit
from .text import cjk_ratio

_QUANTITY_QUESTION = re.compile(
    r"多少|几[个家所项名人次万]|比例|比率|目标|覆盖率|达到|[率数量额]"
    r"|how (many|much)|what (share|percentage|proportion|rate|number)|target|percent|rate|ratio|number of",
    re.IGNORECASE,
)
_HAS_NUMBER = re.compile(r"\d|[一二三四五六七八九十百千万]+[个家所项名人次]")


@dataclass
class ScoredSentence:
    hit: Hit
    start: int
    end: int
    text: str
    score: float


def _is_quotable(sentence: str) -> bool:
    """Headings and title lines say nothing by themselves; they are never the answer."""
    body = sentence.rstrip("。")
    if marker_family(sentence) and ("。" not in body) and len(body) <= 40:
        return False
    return not (len(sentence) < 40 and not sentence.endswith(("。", "！", "？", "）", ")")))


class ExtractiveAnswerer:
    """Answers a question from hits by quoting sentences, or abstains.

    Args:
        index: the loaded index (sentence vectors and chunk rows).
        searcher: used for the query embedding (same model as the index).
        passages: how many top hits the answer may quote from.
        max_sentences: most sentences quoted.
        abstain_below: best sentence score under which the answer abstains, as
            (Chinese question, English question); mixed questions interpolate.
    """

    def __init__(
        self,
        index: PolicyIndex,
        searcher: HybridSearcher,
        tokenizer: ChineseTokenizer | None = None,
        passages: int = 3,
        max_sentences: int = 3,
        abstain_below: tuple[float, float] = (0.93, 0.76),
    ) -> None:
        self.index = index
        self.searcher = searcher
        self.tokenizer = tokenizer or index.lexical.tokenizer
        self.passages = passages
        self.max_sentences = max_sentences
        self.abstain_below = abstain_below
        self._row_of = {c.chunk_id: i for i, c in enumerate(index.chunks)}

    def score_sentences(self, question: str, hits: list[Hit], topic: str | None = None) -> list[ScoredSentence]:
        """Every quotable sentence of the top passages with its score, best first.

        ``topic`` (the question without region/year words) is what sentences are matched
        against: the region is settled by retrieval, and a title line that merely
        repeats "2022年浙江省" must not win.
        """
        if not hits:
            return []
        query_vector = self.searcher.query_vector(topic or question)
        query_tokens = set(self.tokenizer.tokenize(question))
        lexical_weight = 0.1 * cjk_ratio(question)
        wants_number = bool(_QUANTITY_QUESTION.search(question))
        top_score = hits[0].score
        scored: list[ScoredSentence] = []
        for hit in hits[: self.passages]:
            row = self._row_of[hit.chunk.chunk_id]
            rows = self.index.sentences_by_chunk.get(row, [])
            if not rows:
                continue
            similarities = self.index.sentence_vectors[rows] @ query_vector
            text = self.index.documents[hit.chunk.doc_id].text
            for sentence_row, similarity in zip(rows, similarities, strict=True):
                sentence = self.index.sentences[sentence_row]
                quote = text[sentence.start : sentence.end]
                if not _is_quotable(quote):
                    continue
                overlap = 0.0
                if query_tokens and lexical_weight:
                    overlap = len(query_tokens & set(self.tokenizer.tokenize(quote))) / len(query_tokens)
                score = float(similarity) + lexical_weight * overlap + 0.5 * (hit.score - top_score)
                if wants_number and _HAS_NUMBER.search(quote):
                    score += 0.01
                scored.append(ScoredSentence(hit, sentence.start, sentence.end, quote, score))
        scored.sort(key=lambda s: -s.score)
        return scored

    def answer(
        self, question: str, hits: list[Hit], filters: Filters | None = None, topic: str | None = None
    ) -> Answer:
        """Quote the best sentences with citations, or abstain with the nearest passages."""
        question = question.strip()
        scored = self.score_sentences(question, hits, topic)
        filters_json = filters.to_json() if filters else {}
        zh_threshold, en_threshold = self.abstain_below
        ratio = cjk_ratio(question)
        threshold = en_threshold + (zh_threshold - en_threshold) * ratio
        if not scored or scored[0].score < threshold:
            return Answer(question, self._abstention(question, hits), True, [], hits, filters_json)
        best = scored[0].score
        chosen = [s for s in scored if s.score >= best - 0.02][: self.max_sentences]
        rank_of = {id(h): i for i, h in enumerate(hits)}
        chosen.sort(key=lambda s: (rank_of[id(s.hit)], s.start))
        citations = []
        parts = []
        for n, sentence in enumerate(chosen, start=1):
            doc = sentence.hit.document
            citations.append(
                Citation(
                    n=n,
                    chunk_id=sentence.hit.chunk.chunk_id,
                    source=doc.source,
                    title=doc.title,
                    region=doc.region,
                    year=doc.year,
                    section=list(sentence.hit.chunk.section),
                    quote=sentence.text,
                    start=sentence.start,
                    end=sentence.end,
                )
            )
            parts.append(f"{sentence.text}[{n}]")
        english = cjk_ratio(question) < 0.5
        lead = "The plans say (quoted in the original Chinese):\n" if english else ""
        return Answer(question, lead + "\n".join(parts), False, citations, hits, filters_json)

    def unavailable(self, question: str, scope: QueryScope, plans: str, hits: list[Hit]) -> Answer:
        """Abstain because the question names a region or year the corpus has no plan for."""
        missing = "、".join(scope.unavailable)
        if cjk_ratio(question) < 0.5:
            text = f"The documents have no plan for {missing}, so they cannot answer this. Plans available: {plans}."
        else:
            text = f"文件库中没有{missing}的计划，无法回答。现有计划：{plans}。"
        return Answer(question, text, True, [], hits, {"unavailable": list(scope.unavailable)})

    @staticmethod
    def _abstention(question: str, hits: list[Hit]) -> str:
        english = cjk_ratio(question) < 0.5
        if english:
            text = "The documents do not clearly answer this question."
            if hits:
                text += " Nearest passages: " + "; ".join(
                    f"{h.document.region} {h.document.year} {' > '.join(h.chunk.section[-1:]) or h.document.title}"
                    for h in hits[:3]
                )
            return text
        text = "所检索的文件中没有找到明确回答该问题的内容。"
        if hits:
            text += "最接近的段落：" + "；".join(
                f"{h.document.region}{h.document.year}年 {' > '.join(h.chunk.section[-1:]) or h.document.title}"
                for h in hits[:3]
            )
        return text


def build_ask_chain(
    searcher: HybridSearcher, answerer: ExtractiveAnswerer, analyzer: QueryAnalyzer | None = None, k: int = 5
) -> Runnable:
    """understand → retrieve → answer as a LangChain runnable.

    Input: ``{"question": str, "filters": Filters | None}``; output: :class:`Answer`.
    Without explicit filters, the regions and years the question names become the
    filters (shown in ``Answer.filters``); naming one the corpus lacks abstains.
    """

    def understand(inputs: dict) -> dict:
        question = inputs["question"].strip()
        if not question:
            raise ValueError("the question is empty")
        scope = analyzer.analyze(question) if analyzer else QueryScope()
        filters = inputs.get("filters") or scope.filters()
        return {**inputs, "question": question, "scope": scope, "filters": filters}

    def retrieve(inputs: dict) -> dict:
        hits = searcher.search(inputs["question"], k, inputs.get("filters"), inputs["scope"].topic or None)
        return {**inputs, "hits": hits}

    def respond(inputs: dict) -> Answer:
        scope: QueryScope = inputs["scope"]
        if scope.unavailable and (not scope.regions or any(u.endswith("年") for u in scope.unavailable)):
            plans = analyzer.available_plans() if analyzer else ""
            return answerer.unavailable(inputs["question"], scope, plans, inputs["hits"])
        return answerer.answer(inputs["question"], inputs["hits"], inputs.get("filters"), scope.topic or None)

    return (
        RunnableLambda(understand, name="understand")
        | RunnableLambda(retrieve, name="retrieve")
        | RunnableLambda(respond, name="answer")
    )
