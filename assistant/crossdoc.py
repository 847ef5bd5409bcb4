"""Checking across plans: one target compared plan by plan, policy references, responsibilities.

:class:`CrossDocChecker` works on one loaded index with the same searcher and sentence
scoring as answers, so a comparison row quotes exactly what ``ask`` would quote for that
plan. Plans that do not address a topic get a "not found" row, never an unrelated number.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, field

import numpy as np

from .answer import ExtractiveAnswerer, scoped_search
from .index import PolicyIndex
from .indicators import Indicator
from .query import QueryAnalyzer
from .references import ReferenceGroup, ReferenceIndex
from .responsibilities import ResponsibilityItem
from .retrieval import Filters, HybridSearcher
from .schema import Answer, Citation, Document
from .text import cjk_ratio

_LEVEL_ORDER = {"province": 0, "city": 1, "county": 2}
_RESPONSIBILITY_QUESTION = re.compile(
    r"谁负责|谁牵头|由谁|牵头领导|责任科室|负责科室|哪个科室|哪个部门|责任部门|牵头单位|责任单位|"
    r"who (?:is|are) (?:responsible|in charge)|who leads|which (?:department|office|leader)"
    r"|responsible (?:department|leader|office)",
    re.IGNORECASE,
)


@dataclass
class CompareRow:
    """One plan's answer to a comparison topic."""

    doc_id: str
    source: str
    title: str
    region: str
    level: str
    year: int | None
    found: bool
    values: list[str] = field(default_factory=list)  # indicator values as written: ["65%以上"]
    indicators: list[dict] = field(default_factory=list)
    quote: str = ""
    section: list[str] = field(default_factory=list)
    start: int | None = None
    end: int | None = None
    chunk_id: str = ""
    score: float | None = None

    @property
    def citation(self) -> str:
        """ "浙江省 2022《2022年浙江省卫生健康工作要点》 10.开展… zhejiang-2022.txt:3637-3745"."""
        if not self.found:
            return ""
        section = f" {self.section[-1]}" if self.section else ""
        return f"{self.region} {self.year}《{self.title}》{section} {self.source}:{self.start}-{self.end}"


@dataclass
class Comparison:
    """A topic compared across plans: one row per plan."""

    topic: str
    rows: list[CompareRow]

    def to_json(self) -> dict:
        return {"topic": self.topic, "rows": [asdict(r) | {"citation": r.citation} for r in self.rows]}

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["region", "level", "year", "title", "found", "values", "quote", "section", "citation"])
        for r in self.rows:
            writer.writerow(
                [r.region, r.level, r.year, r.title, "yes" if r.found else "not found", "; ".join(r.values),
                 r.quote, " > ".join(r.section), r.citation]
            )  # fmt: skip
        return out.getvalue()

    def to_markdown(self) -> str:
        def cell(text: str) -> str:
            return text.replace("|", "\\|").replace("\n", " ")

        lines = [
            f"## {self.topic}",
            "",
            "| 地区 region | 级别 level | 年份 year | 数值 values | 原文 quote | 出处 citation |",
        ]
        lines.append("|---|---|---|---|---|---|")
        for r in self.rows:
            values = "、".join(r.values) if r.found else "未找到 not found"
            cells = [cell(r.region), r.level, str(r.year or ""), cell(values), cell(r.quote), cell(r.citation)]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"


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


class CrossDocChecker:
    """Comparison, references and responsibilities over one loaded index.

    Args:
        leniency: how far below the answer threshold a plan's best sentence may be and
            still count as addressing the topic (comparisons quote every plan that does).
    """

    def __init__(
        self,
        index: PolicyIndex,
        searcher: HybridSearcher,
        answerer: ExtractiveAnswerer,
        analyzer: QueryAnalyzer,
        leniency: float = 0.05,
    ) -> None:
        self.index = index
        self.searcher = searcher
        self.answerer = answerer
        self.analyzer = analyzer
        self.leniency = leniency
        self._references = ReferenceIndex(index.documents, index.references)
        self._section_of = {}
        for chunk in index.chunks:
            self._section_of.setdefault(chunk.doc_id, []).append((chunk.start, chunk.end, chunk.section))
        # Sentence vectors inside each responsibility item, looked up once per index.
        sentences_of: dict[str, list[tuple[int, int, int]]] = {}
        for row, sentence in enumerate(index.sentences):
            doc_id = index.chunks[sentence.chunk].doc_id
            sentences_of.setdefault(doc_id, []).append((row, sentence.start, sentence.end))
        self._item_rows = [
            [row for row, start, end in sentences_of.get(item.doc_id, []) if item.start <= start and end <= item.end]
            for item in index.items
        ]

    # -- comparison ---------------------------------------------------------------------

    def compare(self, topic: str, filters: Filters | None = None) -> Comparison:
        """For each plan (filtered), the best passage about ``topic`` and its indicator values."""
        topic = topic.strip()
        if not topic:
            raise ValueError("the topic is empty")
        scope = self.analyzer.analyze(topic)
        filters = filters or scope.filters()
        documents = [d for d in self.index.documents.values() if not filters or filters.accepts(d)]
        documents.sort(key=lambda d: (_LEVEL_ORDER.get(d.level, 3), d.region, d.year or 0))
        threshold = self.answerer.threshold(topic) - self.leniency
        if scope.terms:
            topic_groups = [terms for _, terms in scope.phrases]
        else:
            tokens = self.index.lexical.tokenizer.tokenize(scope.topic or topic)
            # keep whole words: "老年医学科" rather than also 老年/医学/学科
            topic_groups = [[t] for t in dict.fromkeys(tokens) if not any(t != u and t in u for u in tokens)]
        rows = []
        for doc in documents:
            hits = self.searcher.search(topic, 3, Filters(doc_ids=[doc.doc_id]), scope.topic, scope.terms)
            scored = self.answerer.score_sentences(topic, hits, scope.topic, terms=scope.terms)
            if scope.phrases:
                missing = self.answerer.missing_topics(scope.phrases, hits)
            else:  # a Chinese topic: most of its (IDF-weighted) words must be in the plan's passage
                weights = self._weights(topic_groups)
                covered = sum(w for w, _ in self._present(hits[0].chunk.text, topic_groups, weights)) if hits else 0.0
                missing = [] if hits and (not weights or covered >= 0.5 * sum(weights)) else ["topic"]
            row = CompareRow(doc.doc_id, doc.source, doc.title, doc.region, doc.level, doc.year, found=False)
            if scored and scored[0].score >= threshold and not missing:
                near = [s for s in scored if s.score >= scored[0].score - 0.03]
                relevant = lambda s: self._relevant_indicators(s.hit.chunk.doc_id, s.start, s.end, topic_groups)  # noqa: E731
                best = next((s for s in near if relevant(s)), scored[0])
                found = relevant(best)
                row.found = True
                row.values = [i.display() for i in found]
                row.indicators = [i.to_json() for i in found]
                row.quote, row.start, row.end = best.text, best.start, best.end
                row.section, row.chunk_id, row.score = list(best.hit.chunk.section), best.hit.chunk.chunk_id, best.score
            rows.append(row)
        return Comparison(topic, rows)

    def _weights(self, topic_groups: list[list[str]]) -> list[float]:
        """Each topic word group weighs as much as its rarest word (IDF)."""
        return [max(self.index.lexical.idf(w) for w in group) for group in topic_groups]

    @staticmethod
    def _present(text: str, topic_groups: list[list[str]], weights: list[float]) -> list[tuple[float, int]]:
        """(weight, index) of the groups with a word in ``text``."""
        return [
            (w, n)
            for n, (w, group) in enumerate(zip(weights, topic_groups, strict=True))
            if any(g in text for g in group)
        ]

    def _relevant_indicators(self, doc_id: str, start: int, end: int, topic_groups: list[list[str]]) -> list[Indicator]:
        """Indicators inside [start, end) that measure the topic.

        "基本公共卫生服务人均经费" must not show a plan's 95台 service vehicles. The topic is
        a list of word groups (alternatives: the Chinese words, or the term-map terms of
        an English phrase), each weighing as much as its rarest word (IDF). An indicator
        counts when its sentence carries at least half of that weight and its own
        phrase the heaviest group its sentence has (so "老年友善医疗机构创建的比例达到80%"
        does not count for 老年医学科比例 just because it says 比例).
        """
        inside = [i for i in self.index.indicators if i.doc_id == doc_id and start <= i.start and i.end <= end]
        if not topic_groups:
            return inside
        weights = self._weights(topic_groups)
        relevant = []
        for indicator in inside:
            in_sentence = self._present(indicator.sentence, topic_groups, weights)
            if sum(w for w, _ in in_sentence) < 0.5 * sum(weights):
                continue
            heaviest = max(in_sentence)[1]
            in_phrase = self._present(indicator.phrase + indicator.per_capita + indicator.text, topic_groups, weights)
            if heaviest in {n for _, n in in_phrase}:
                relevant.append(indicator)
        return relevant

    # -- references ---------------------------------------------------------------------

    def references(self, query: str | None = None) -> list[ReferenceGroup]:
        """Policy references matching ``query`` (or all), cited by the most plans first."""
        return self._references.search(query)

    # -- responsibilities -----------------------------------------------------------------

    def section_at(self, doc_id: str, position: int) -> list[str]:
        for start, end, section in self._section_of.get(doc_id, []):
            if start <= position < end:
                return list(section)
        return []

    def responsible(
        self, topic: str | None = None, filters: Filters | None = None, department: str | None = None, k: int = 5
    ) -> list[ResponsibilityMatch]:
        """Items with named leaders/departments, best match to ``topic`` first.

        Without a topic, all items (of the department, if given) in reading order.
        """
        items = [
            (i, rows)
            for i, rows in zip(self.index.items, self._item_rows, strict=True)
            if (not filters or filters.accepts(self.index.documents[i.doc_id]))
            and (not department or any(department in d for d in i.departments))
        ]
        if not topic or not topic.strip():
            return [self._match(i, 0.0) for i, _ in items]
        scope = self.analyzer.analyze(topic)
        vector = self.searcher.query_vector(scope.topic or topic)
        tokens = set(self.index.lexical.tokenizer.tokenize(scope.topic or topic)) if cjk_ratio(topic) >= 0.5 else set()
        words = tokens | set(scope.terms)
        scored = []
        for item, rows in items:
            similarity = float(np.max(self.index.sentence_vectors[rows] @ vector)) if rows else 0.0
            overlap = sum(1 for t in words if t in item.text) / len(words) if words else 0.0
            scored.append(self._match(item, similarity + 0.1 * overlap))
        scored.sort(key=lambda m: -m.score)
        return scored[:k]

    def _match(self, item: ResponsibilityItem, score: float) -> ResponsibilityMatch:
        return ResponsibilityMatch(
            item, self.index.documents[item.doc_id], self.section_at(item.doc_id, item.start), score
        )

    def is_responsibility_question(self, question: str) -> bool:
        return bool(_RESPONSIBILITY_QUESTION.search(question))

    def answer_responsibility(self, question: str, filters: Filters | None = None) -> Answer | None:
        """ "谁负责家庭医生签约" → the leader/department of the best-matching item, cited.

        Returns None when no plan names responsibilities for a matching item, so the
        caller can answer the question the ordinary way.
        """
        scope = self.analyzer.analyze(question)
        filters = filters or scope.filters()
        matches = self.responsible(question, filters, k=1)
        if not matches or matches[0].score < self.answerer.threshold(question) - self.leniency:
            return None
        match = matches[0]
        item, doc = match.item, match.document
        citation = Citation(
            1, f"{doc.doc_id}:{item.start}-{item.end}", doc.source, doc.title, doc.region, doc.year,
            match.section, item.text, item.start, item.end,
        )  # fmt: skip
        leaders, departments = "、".join(item.leaders) or "—", "、".join(item.departments) or "—"
        if cjk_ratio(question) < 0.5:
            name = f"{doc.region_en} ({doc.region})" if doc.region_en else doc.region
            text = (
                f"{name} {doc.year}: lead leader {leaders}; responsible department(s) {departments} "
                f"(牵头领导：{leaders}；责任科室：{departments}) [1]\n“{item.text}” [1]"
            )
        else:
            text = f"{doc.region}{doc.year}年：牵头领导 {leaders}；责任科室 {departments}[1]\n{item.text}[1]"
        hits = scoped_search(self.searcher, question, 5, filters, scope)
        return Answer(question, text, False, [citation], hits, {**scope.describe(), "responsibility": True})
