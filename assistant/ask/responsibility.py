"""Who leads an item: matching questions to the plans' （牵头领导：…；责任科室：…） notes.

:class:`ResponsibilityFinder` ranks the responsibility items (extracted at index time,
see :mod:`assistant.facts.responsibilities`) for a topic: the best similarity of the
item's sentences to the topic plus a little token overlap. :class:`ResponsibilityAnswerer`
answers "谁负责家庭医生签约" with the best item's leaders and departments, cited; it
returns None when no item matches well enough, and the question is answered the
ordinary way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import Settings
from ..facts import ResponsibilityItem
from ..index import PolicyIndex
from ..schema import Answer, Citation, Document, Filters, Route, Status
from .question import Question
from .retrieval import HybridSearcher


@dataclass
class ResponsibilityMatch:
    """An item with its responsible leaders/departments, matched to a topic."""

    item: ResponsibilityItem
    document: Document
    section: list[str]
    score: float

    def to_json(self) -> dict:
        return {
            **self.item.to_json(),
            "region": self.document.region,
            "year": self.document.year,
            "title": self.document.title,
            "section": self.section,
            "score": round(self.score, 4),
        }


class ResponsibilityFinder:
    """Ranks responsibility items for a topic.

    Args:
        index, searcher: the loaded index and its searcher (query embeddings).
        settings: ``responsibility_lexical_weight`` is used.
    """

    def __init__(self, index: PolicyIndex, searcher: HybridSearcher, settings: Settings | None = None) -> None:
        self.index = index
        self.searcher = searcher
        self.lexical_weight = (settings or Settings()).responsibility_lexical_weight
        # Sentence rows inside each item, looked up once per index. A plan's chunks are
        # contiguous rows, so its sentences are one contiguous range of sentence rows.
        table = index.sentences
        first: dict[str, int] = {}
        last: dict[str, int] = {}
        for row, chunk in enumerate(index.chunks):
            first.setdefault(chunk.doc_id, row)
            last[chunk.doc_id] = row
        self._item_rows = []
        for item in index.items:
            if item.doc_id not in first:
                self._item_rows.append([])
                continue
            low, high = int(table.offsets[first[item.doc_id]]), int(table.offsets[last[item.doc_id] + 1])
            inside = (table.start[low:high] >= item.start) & (table.end[low:high] <= item.end)
            self._item_rows.append((np.flatnonzero(inside) + low).tolist())

    def section_at(self, doc_id: str, position: int) -> list[str]:
        """The heading trail of the passage holding ``position``."""
        chunk = self.index.chunk_at(doc_id, position)
        return list(chunk.section) if chunk else []

    def find(
        self,
        question: Question | None = None,
        filters: Filters | None = None,
        department: str | None = None,
        k: int = 5,
    ) -> list[ResponsibilityMatch]:
        """Items with named leaders/departments, best match to the question's topic first.

        Without a question, all items (of the department, if given) in reading order.
        """
        items = [
            (i, rows)
            for i, rows in zip(self.index.items, self._item_rows, strict=True)
            if (not filters or filters.accepts(self.index.documents[i.doc_id]))
            and (not department or any(department in d for d in i.departments))
        ]
        if question is None:
            return [self._match(i, 0.0) for i, _ in items]
        vector = self.searcher.query_vector(question.match_text)
        tokens = set(self.index.lexical.tokenizer.tokenize(question.match_text)) if not question.english else set()
        words = tokens | set(question.terms)
        scored = []
        for item, rows in items:
            similarity = float(np.max(self.index.sentence_vectors[rows] @ vector)) if rows else 0.0
            overlap = sum(1 for t in words if t in item.text) / len(words) if words else 0.0
            scored.append(self._match(item, similarity + self.lexical_weight * overlap))
        scored.sort(key=lambda m: -m.score)
        return scored[:k]

    def _match(self, item: ResponsibilityItem, score: float) -> ResponsibilityMatch:
        return ResponsibilityMatch(
            item, self.index.documents[item.doc_id], self.section_at(item.doc_id, item.start), score
        )


class ResponsibilityAnswerer:
    """Answers a responsibility question from the best-matching item.

    Args:
        finder: ranks the items.
        settings: ``responsibility_leniency`` (how far below the answer threshold the
            best item may score) is used.
    """

    def __init__(
        self, finder: ResponsibilityFinder, searcher: HybridSearcher, settings: Settings | None = None
    ) -> None:
        self.finder = finder
        self.searcher = searcher
        self.leniency = (settings or Settings()).responsibility_leniency

    def answer(self, question: Question, applied: Filters | None, threshold: float, k: int) -> Answer | None:
        """The leader/department of the best-matching item, cited; None when no item matches."""
        matches = self.finder.find(question, applied, k=1)
        if not matches or matches[0].score < threshold - self.leniency:
            return None
        match = matches[0]
        item, doc = match.item, match.document
        chunk = self.finder.index.chunk_at(doc.doc_id, item.start)
        citation = Citation.of(1, doc, chunk, item.start, item.end, section=match.section)
        leaders, departments = "、".join(item.leaders) or "—", "、".join(item.departments) or "—"
        if question.english:
            name = f"{doc.region_en} ({doc.region})" if doc.region_en else doc.region
            text = (
                f"{name} {doc.year}: lead leader {leaders}; responsible department(s) {departments} "
                f"(牵头领导：{leaders}；责任科室：{departments}) [1]\n“{item.text}” [1]"
            )
        else:
            text = f"{doc.region}{doc.year}年：牵头领导 {leaders}；责任科室 {departments}[1]\n{item.text}[1]"
        hits = self.searcher.search_question(question, k, applied)
        return Answer(
            question.text, text, Status.ANSWERED, [citation], hits, route=Route.RESPONSIBILITY, applied=applied,
            scope=question.scope,
        )  # fmt: skip
