"""One target compared plan by plan: the best passage about a topic and its figures.

:class:`PlanComparer` works on one loaded index with the same searcher and sentence
scoring as answers, so a comparison row quotes exactly what ``ask`` would quote for that
plan. Plans that do not address a topic get a "not found" row, never an unrelated number.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from ..ask.extractive import ExtractiveAnswerer
from ..ask.question import QuestionAnalyzer
from ..ask.retrieval import HybridSearcher
from ..ask.sentences import SentenceScorer
from ..config import Settings
from ..facts import Indicator
from ..index import PolicyIndex
from ..schema import Filters
from .export import md_text, to_csv

_QUOTES = re.compile(r"[“”\"'‘’《》]")
_RATE_TOPIC = re.compile(r"率|比例|占比|\brates?\b|\bshares?\b|\bpercentages?\b|\bproportions?\b", re.I)
_RATE_UNITS = ("%", "‰", "1/10万", "1/万")
# An indicator's phrase must name this share of the topic its sentence names.
_PHRASE_SHARE = 0.4
_LEVEL_ORDER = {"national": 0, "ministry": 1, "province": 2, "city": 3, "county": 4}


def _with_synonyms(word: str, synonyms: tuple[tuple[str, tuple[str, ...]], ...]) -> list[str]:
    """``word`` and its variants with an act word replaced by a near-synonym (两癌筛查 → 两癌检查)."""
    variants = [word]
    for act, alternatives in synonyms:
        if act in word:
            variants += [word.replace(act, alternative) for alternative in alternatives]
    return list(dict.fromkeys(variants))


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
    # each value with what it counts, in the plan's words: ["重点人群签约对象中有偿个性化签约不低于10%"]
    statements: list[str] = field(default_factory=list)
    indicators: list[dict] = field(default_factory=list)
    quote: str = ""
    section: list[str] = field(default_factory=list)
    start: int | None = None
    end: int | None = None
    chunk_id: str = ""
    score: float | None = None
    caution: str = ""  # the plan's provenance warnings (unconfirmed upload, region and year claimed twice)

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
        """The rows as CSV; no cell can run as a spreadsheet formula."""
        header = ["region", "level", "year", "title", "found", "values", "measured", "quote", "section", "citation",
                  "caution"]  # fmt: skip
        return to_csv(
            header,
            (
                [r.region, r.level, r.year, r.title, "yes" if r.found else "not found", "; ".join(r.values),
                 "; ".join(r.statements), r.quote, " > ".join(r.section), r.citation, r.caution]
                for r in self.rows
            ),
        )  # fmt: skip

    def to_markdown(self) -> str:
        """The rows as a Markdown table; plan text is escaped, so it renders as the plan wrote it."""
        lines = [
            f"## {md_text(self.topic)}",
            "",
            "| 地区 region | 级别 level | 年份 year | 数值 values | 原文 quote | 出处 citation |",
        ]
        lines.append("|---|---|---|---|---|---|")
        for r in self.rows:
            values = "；".join(r.statements) if r.found else "未找到 not found"
            region = f"{r.region} ⚠ {r.caution}" if r.caution else r.region
            cells = [region, r.level, str(r.year or ""), values, r.quote, r.citation]
            lines.append("| " + " | ".join(md_text(c) for c in cells) + " |")
        return "\n".join(lines) + "\n"


class PlanComparer:
    """Compares one topic across the plans of an index.

    Args:
        index, analyzer, searcher, scorer, answerer: the components ``ask`` uses.
        settings: ``compare_passages``, ``compare_leniency``, ``compare_quote_window``,
            ``compare_min_coverage`` and ``indicator_topic_share`` are used.
    """

    def __init__(
        self,
        index: PolicyIndex,
        analyzer: QuestionAnalyzer,
        searcher: HybridSearcher,
        scorer: SentenceScorer,
        answerer: ExtractiveAnswerer,
        settings: Settings | None = None,
    ) -> None:
        settings = settings or Settings()
        self.index = index
        self.analyzer = analyzer
        self.searcher = searcher
        self.scorer = scorer
        self.answerer = answerer
        self.passages = settings.compare_passages
        self.leniency = settings.compare_leniency
        self.quote_window = settings.compare_quote_window
        self.min_coverage = settings.compare_min_coverage
        self.indicator_topic_share = settings.indicator_topic_share

    def compare(self, topic: str, filters: Filters | None = None) -> Comparison:
        """For each plan (filtered), the best passage about ``topic`` and its indicator values."""
        topic = topic.strip()
        if not topic:
            raise ValueError("the topic is empty")
        question = self.analyzer.analyze(topic)
        filters = filters or question.scope.filters()
        documents = [d for d in self.index.documents.values() if not filters or filters.accepts(d)]
        documents.sort(key=lambda d: (_LEVEL_ORDER.get(d.level, 5), d.region, d.year or 0))
        threshold = self.answerer.threshold(question) - self.leniency
        if question.terms:
            # The longest phrases name the topic: "two cancers screening" is not also about
            # any "cancer" or any "screening" (结直肠癌筛查130万例 measures something else).
            phrases = [p for p, _ in question.phrases]
            topic_groups = [
                list(terms)
                for phrase, terms in question.phrases
                if not any(phrase != other and f" {phrase} " in f" {other} " for other in phrases)
            ] or [list(terms) for _, terms in question.phrases]
        else:
            tokens = self.index.lexical.tokenizer.tokenize(question.match_text)
            # keep whole words: "老年医学科" rather than also 老年/医学/学科
            topic_groups = [
                _with_synonyms(t, question.synonyms)
                for t in dict.fromkeys(tokens)
                if len(t) >= 2 and not any(t != u and t in u for u in tokens)
            ]
        # A Chinese topic's near-synonyms (两癌检查 for 两癌筛查) join its lexical query.
        expansion = question.terms or tuple(w for group in topic_groups for w in group[1:])
        # The rarest part of each compound topic word (签约 in 家庭医生签约, 两癌 in 两癌筛查):
        # a figure whose phrase names one of them measures the topic.
        lexical = self.index.lexical
        key_words: set[str] = set()
        if not question.terms:
            words = [t for t in dict.fromkeys(lexical.tokenizer.tokenize(question.match_text)) if len(t) >= 2]
            for whole in (w for w in words if not any(w != u and w in u for u in words)):
                parts = [t for t in words if t != whole and t in whole]
                if parts:  # a compound: its rarest part names it (a plain word like 比例 names nothing)
                    key_words.add(max(parts, key=lambda t: (lexical.idf(t), len(t))))
        # A topic that is a rate or a share (签约率, 老年医学科比例, "contracting rate") wants a rate.
        rate = bool(_RATE_TOPIC.search(question.match_text)) or any(u.name == "rate" for u in question.intents.units)
        rows = []
        for doc in documents:
            hits = self.searcher.search(topic, self.passages, Filters(doc_ids=[doc.doc_id]), question.topic, expansion)
            scored = self.scorer.score(question, hits, record_fields=False)
            if question.phrases:
                missing = self.answerer.missing_topics(question, hits)
            else:  # a Chinese topic: most of its (IDF-weighted) words must be in the plan's passage
                weights = self._weights(topic_groups)
                text = _QUOTES.sub("", hits[0].chunk.text) if hits else ""
                covered = sum(w for w, _ in self._present(text, topic_groups, weights))
                named = bool(key_words) and all(k in text for k in key_words)
                addressed = hits and (not weights or covered >= self.min_coverage * sum(weights) or named)
                missing = [] if addressed else ["topic"]
            row = CompareRow(doc.doc_id, doc.source, doc.title, doc.region, doc.level, doc.year, found=False)
            row.caution = "; ".join(doc.cautions())
            if scored and scored[0].score >= threshold and not missing:
                # The sentence that states the figure may be a runner-up of the plan's best.
                near = [s for s in scored if s.score >= threshold]
                relevant = lambda s: self._relevant_indicators(  # noqa: E731
                    s.hit.chunk.doc_id, s.start, s.end, topic_groups, rate, key_words
                )
                best = next((s for s in near if relevant(s)), None)
                found = self._as_asked(question, relevant(best)) if best else []
                if not found:
                    # A heading can name what its sentences count ("（十七）开展农村妇女“两癌”筛查。
                    # 为1.82万…妇女免费提供宫颈癌、乳腺癌筛查"): the figures of a sentence under
                    # the deepest heading that names the topic, when no sentence names it itself.
                    under = [
                        s for s in scored
                        if self._heading_names(s.hit.chunk.section, topic_groups) and self._opens_section(s)
                    ]  # fmt: skip
                    for candidate in under:
                        figures = self._as_asked(question, self._relevant_indicators(
                            candidate.hit.chunk.doc_id, candidate.start, candidate.end, [], rate))  # fmt: skip
                        figures = [i for i in figures if not self._qualifier_count(i)]
                        if figures:
                            best, found = candidate, figures
                            break
                best = best or scored[0]
                row.found = True
                row.values = [i.display() for i in found]
                row.statements = [i.statement() for i in found]
                row.indicators = [i.to_json() for i in found]
                row.quote, row.start, row.end = best.text, best.start, best.end
                row.section, row.chunk_id, row.score = list(best.hit.chunk.section), best.hit.chunk.chunk_id, best.score
            rows.append(row)
        return Comparison(topic, rows)

    def _heading_names(self, section: tuple[str, ...] | list[str], topic_groups: list[list[str]]) -> bool:
        """The deepest heading of a section carries the topic's words (most of their weight)."""
        if not section or not topic_groups:
            return False
        weights = self._weights(topic_groups)
        named = sum(w for w, _ in self._present(section[-1], topic_groups, weights))
        return named >= self.min_coverage * sum(weights)

    def _opens_section(self, sentence) -> bool:
        """The sentence follows its section's heading directly: what the heading names is what
        this sentence counts, not what every later sentence of the section counts."""
        heading = sentence.hit.chunk.section[-1].strip()
        text = self.index.documents[sentence.hit.chunk.doc_id].text
        at = text.rfind(heading, 0, sentence.start)
        return at >= 0 and not text[at + len(heading) : sentence.start].strip(" 　。.：:；;\n")

    @staticmethod
    def _qualifier_count(indicator: Indicator) -> bool:
        """Ages and spans that qualify who is counted ("35-64岁") are not the count."""
        return indicator.unit in ("岁", "天", "小时", "分钟")

    @staticmethod
    def _as_asked(question, indicators: list[Indicator]) -> list[Indicator]:
        """The figures in the unit the topic asks for: per person for 人均…, yuan for "in yuan"."""
        if any(c.kind == "per_capita" for c in question.constraints):
            indicators = [i for i in indicators if i.per_capita or "人均" in i.phrase or i.unit == "元"]
        for unit in question.intents.units:
            indicators = [i for i in indicators if unit.met_by(i.display())]
        return indicators

    def _weights(self, topic_groups: list[list[str]]) -> list[float]:
        """Each topic word group weighs as much as its rarest word (IDF)."""
        return [max(self.index.lexical.idf(w) for w in group) for group in topic_groups]

    @staticmethod
    def _present(text: str, topic_groups: list[list[str]], weights: list[float]) -> list[tuple[float, int]]:
        """(weight, index) of the groups with a word in ``text`` (quotation marks ignored:
        “两癌”筛查 names 两癌筛查)."""
        text = _QUOTES.sub("", text)
        return [
            (w, n)
            for n, (w, group) in enumerate(zip(weights, topic_groups, strict=True))
            if any(g in text for g in group)
        ]

    def _relevant_indicators(
        self,
        doc_id: str,
        start: int,
        end: int,
        topic_groups: list[list[str]],
        rate: bool = False,
        key_words: set[str] | frozenset[str] = frozenset(),
    ) -> list[Indicator]:
        """Indicators inside [start, end) that measure the topic.

        "基本公共卫生服务人均经费" must not show a plan's 95台 service vehicles. The topic is
        a list of word groups (alternatives: the Chinese words, or the term-map terms of
        an English phrase), each weighing as much as its rarest word (IDF). An indicator
        counts when its sentence carries at least half of that weight and its own phrase
        names a key word of the topic (``key_words``) or a good share of what its sentence has
        (so "老年友善医疗机构创建的比例达到80%" does
        not count for 老年医学科比例 just because it says 比例). With ``rate`` only rates
        count ("十类重点人群" is not a contracting rate).
        """
        inside = [i for i in self.index.indicators if i.doc_id == doc_id and start <= i.start and i.end <= end]
        if rate:
            inside = [i for i in inside if i.unit in _RATE_UNITS]
        # "十类重点人群", "三项制度": kinds counted in words describe, they are not targets.
        inside = [i for i in inside if not (i.unit in ("类", "种", "项") and not any(ch.isdigit() for ch in i.text))]
        if not topic_groups:
            return inside
        weights = self._weights(topic_groups)
        relevant = []
        for indicator in inside:
            phrase = indicator.phrase + indicator.per_capita + indicator.text
            if any(k in _QUOTES.sub("", phrase) for k in key_words):
                relevant.append(indicator)
                continue
            in_sentence = self._present(indicator.sentence, topic_groups, weights)
            if sum(w for w, _ in in_sentence) < self.indicator_topic_share * sum(weights):
                continue
            in_phrase = self._present(phrase, topic_groups, weights)
            if sum(w for w, _ in in_phrase) >= _PHRASE_SHARE * sum(w for w, _ in in_sentence):
                relevant.append(indicator)
        # The most specific wins: where some figures' phrases name the topic's heaviest word
        # (老年医学科), the others (老年友善医疗机构…的比例) are about something else.
        heaviest = topic_groups[max(range(len(weights)), key=weights.__getitem__)]
        exact = [i for i in relevant if any(g in _QUOTES.sub("", i.phrase + i.text) for g in heaviest)]
        if exact:
            relevant = exact
        return relevant
