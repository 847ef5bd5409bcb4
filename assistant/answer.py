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
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from langchain_core.runnables import Runnable, RunnableLambda

from .chunking import is_record_chunk, marker_family
from .corpus import is_record_line, record_fields
from .index import PolicyIndex
from .lexical import ChineseTokenizer
from .outline import OutlineAnswerer
from .query import QueryAnalyzer, QueryScope
from .retrieval import Filters, HybridSearcher
from .schema import Answer, Citation, Hit
from .text import cjk_ratio, squeeze_cjk_spaces

_QUANTITY_QUESTION = re.compile(
    r"多少|几[个家所项名人次万]|比例|比率|目标|覆盖率|达到|[率数量额]"
    r"|how (many|much)|what (share|percentage|proportion|rate|number)|target|percent|rate|ratio|number of",
    re.IGNORECASE,
)
_FIGURE = re.compile(
    r"\d+(?:\.\d+)?(?:\s*[-—~至]\s*\d+(?:\.\d+)?)?(?:%|‰|/10万|万人|万|亿元|亿|个|家|名|人次|人|元|张|所|项|台|次|岁|天)"
)
# Stricter than _QUANTITY_QUESTION: the question cannot be answered without a figure.
_ASKS_FOR_NUMBER = re.compile(
    r"多少|几[个家所项名人次万台张座]|比例是|比率是|百分之|数值"
    r"|how (many|much)|what (share|percentage|proportion|ratio|number|figure)|\bper (\d|thousand|hundred)",
    re.IGNORECASE,
)
# A question that names the unit of the figure it wants ("in yuan", "per 100,000", "what
# rate") is answered only by a sentence stating a figure in that unit: a percentage of
# something else is a wrong answer, not a near one.
_UNIT_DEMANDS: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    (
        re.compile(r"\byuan\b|how much money|多少(?:万|亿)?元|资金(?:是|有)?多少", re.I),
        re.compile(r"\d\s*(?:万|亿)?元"),
    ),
    (re.compile(r"per (?:1,?000|thousand)\b|每千|千人口", re.I), re.compile(r"每千|千人口|‰")),
    (
        re.compile(r"per (?:100,?000|hundred thousand)|/\s*10万|每10万|十万分之", re.I),
        re.compile(r"10\s*万|十万"),
    ),
    (re.compile(r"\bhours?\b|几个?小时|多少小时", re.I), re.compile(r"\d\s*小时")),
    (re.compile(r"\bbeds?\b.*\bhow many\b|\bhow many\b.*\bbeds?\b|多少张", re.I), re.compile(r"\d\s*张")),
    (
        re.compile(
            r"\b(?:rates?|percentages?|percent|shares?|proportions?)\b|率\S{0,4}多少|比例\S{0,4}多少|百分之多少", re.I
        ),
        re.compile(r"\d\s*(?:%|％|‰|个?百分点)|/\s*10万|百分之|[一二三四五六七八九十]分之|全覆盖|全部|一半|半数"),
    ),
]


def unit_demands(question: str) -> list[re.Pattern[str]]:
    """Patterns of the figures the question's named units call for (empty: any figure will do)."""
    return [figure for asks, figure in _UNIT_DEMANDS if asks.search(question)]


# Chinese words that say what kind of answer is wanted, not what it is about.
_FORM_WORDS = frozenset(
    {
        "多少", "目标", "要求", "达到", "计划", "工作", "要点", "提出", "什么", "哪些", "比例", "比率", "是否", "任务",
        "控制", "以内", "以上", "以下", "提高", "降低", "下降", "实现", "完成", "确保", "力争", "全县", "全市", "全省",
    }
)  # fmt: skip
_DATE_LINE = re.compile(r"^\s*[（(]?\s*(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?\s*[)）]?\s*$")
_HAS_NUMBER = re.compile(r"\d|[一二三四五六七八九十百千万]+[个家所项名人次]")


def _named_share(text: str, groups: Sequence[tuple[Sequence[str], float]]) -> float | None:
    """Weighted share of the groups (alternative words, weight) that ``text`` names at least
    one word of; None when there is no weight to share."""
    total = sum(weight for _, weight in groups)
    if not total:
        return None
    return sum(weight for words, weight in groups if any(w in text for w in words)) / total


@dataclass
class ScoredSentence:
    hit: Hit
    start: int
    end: int
    text: str
    score: float
    match: float = 0.0  # the score before bonuses for holding a figure, the unit asked for or a record field


def _is_quotable(sentence: str) -> bool:
    """Headings and title lines say nothing by themselves; they are never the answer.

    Record lines ("文  号: 浙卫发〔2022〕8号") and a notice's signature date
    ("2022年3月21日") are short but state a fact of their own.
    """
    if is_record_line(sentence) or _DATE_LINE.match(sentence):
        return True
    body = sentence.rstrip("。")
    if marker_family(sentence) and ("。" not in body) and len(body) <= 40:
        # "8. 全县…发病率确保控制在120/10万以内" is a heading that states a target: quotable.
        return bool(re.search(r"\d", re.sub(r"^\s*[（(]?\s*\d+\s*[.．、)）]", "", body)))
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
        min_topic_coverage: share of an English question's topic (by term weight) that
            the top passages must mention; see :meth:`missing_topics`.
        english_quote_window: an English answer also quotes sentences scoring within
            this much of the best one (Chinese answers: 0.02).
        min_passage_similarity_zh: a Chinese question whose best passage is less similar
            than this (dense score) is about something the plans do not cover (火星基地):
            it abstains even if one sentence happens to share a word with it.
    """

    def __init__(
        self,
        index: PolicyIndex,
        searcher: HybridSearcher,
        tokenizer: ChineseTokenizer | None = None,
        passages: int = 3,
        max_sentences: int = 3,
        abstain_below: tuple[float, float] = (0.90, 0.76),
        min_topic_coverage: float = 0.6,
        english_quote_window: float = 0.05,
        min_passage_similarity_zh: float = 0.86,
    ) -> None:
        self.index = index
        self.searcher = searcher
        self.tokenizer = tokenizer or index.lexical.tokenizer
        self.passages = passages
        self.max_sentences = max_sentences
        self.abstain_below = abstain_below
        self.min_topic_coverage = min_topic_coverage
        self.per_plan_leniency = 0.05
        self.english_quote_window = english_quote_window
        self.min_passage_similarity_zh = min_passage_similarity_zh
        self._row_of = {c.chunk_id: i for i, c in enumerate(index.chunks)}

    def score_sentences(
        self,
        question: str,
        hits: list[Hit],
        topic: str | None = None,
        per_document: bool = False,
        terms: Sequence[str] = (),
        record_fields_asked: Collection[str] = (),
    ) -> list[ScoredSentence]:
        """Every quotable sentence of the top passages with its score, best first.

        ``topic`` (the question without region/year words) is what sentences are matched
        against: the region is settled by retrieval, and a title line that merely
        repeats "2022年浙江省" must not win. With ``per_document`` the passages are the
        best one of each plan and are not penalised for ranking below another plan's.
        ``terms`` (Chinese terms of an English question) give English questions the
        lexical evidence Chinese ones get from their own words.
        """
        if not hits:
            return []
        query_vector = self.searcher.query_vector(topic or question)
        ratio = cjk_ratio(question)
        query_tokens = set(self.tokenizer.tokenize(question)) if ratio >= 0.5 or not terms else set(terms)
        lexical_weight = 0.1 * ratio + (0.1 * (1 - ratio) if terms else 0.0)
        wants_number = bool(_QUANTITY_QUESTION.search(question))
        wants_fields = set(record_fields_asked)
        units = unit_demands(question)
        if per_document:
            passages = list({h.chunk.doc_id: h for h in reversed(hits)}.values())[::-1]
        else:
            passages = hits[: self.passages]
        top_score = hits[0].score
        scored: list[ScoredSentence] = []
        for hit in passages:
            row = self._row_of[hit.chunk.chunk_id]
            rows = self.index.sentences_by_chunk.get(row, [])
            if not rows:
                continue
            similarities = self.index.sentence_vectors[rows] @ query_vector
            text = self.index.documents[hit.chunk.doc_id].text
            rank_penalty = 0.0 if per_document else 0.5 * (hit.score - top_score)
            for sentence_row, similarity in zip(rows, similarities, strict=True):
                sentence = self.index.sentences[sentence_row]
                quote = text[sentence.start : sentence.end]
                if not _is_quotable(quote):
                    continue
                overlap = 0.0
                if query_tokens and lexical_weight:
                    words = squeeze_cjk_spaces(quote)
                    overlap = sum(1 for t in query_tokens if t in words) / len(query_tokens)
                score = match = float(similarity) + lexical_weight * overlap + rank_penalty
                if wants_number and _HAS_NUMBER.search(quote):
                    score += 0.01
                if units and all(u.search(quote) for u in units):
                    score += 0.02
                if wants_fields and (
                    any(record_fields(quote).get(label) for label in wants_fields)
                    or ("成文日期" in wants_fields and _DATE_LINE.match(quote))
                ):
                    # The record line that states the asked field (or the notice's signature
                    # date, its 成文日期) is the answer itself.
                    score += 1.0
                scored.append(ScoredSentence(hit, sentence.start, sentence.end, quote, score, match))
        scored.sort(key=lambda s: -s.score)
        return scored

    def missing_topics(self, phrases: Sequence[tuple[str, list[str]]], hits: list[Hit]) -> list[str]:
        """Topic phrases of an English question absent from the top passages, if they weigh most.

        Each phrase weighs as much as its rarest Chinese term (IDF). When the absent
        phrases carry more than ``1 - min_topic_coverage`` of the weight, the passages
        are about something else ("infant mortality" asked, only 母婴安全 found): the
        absent phrases are returned and the answer abstains. Otherwise returns [].
        """
        if not phrases or not hits:
            return []
        text = squeeze_cjk_spaces("".join(h.chunk.text for h in hits[: self.passages]))
        weighted = self._weighted(phrases)
        share = _named_share(text, [(terms, weight) for _, terms, weight in weighted])
        if share is not None and share < self.min_topic_coverage:
            return [phrase for phrase, terms, _ in weighted if not any(t in text for t in terms)]
        return []

    def _weighted(self, phrases: Sequence[tuple[str, list[str]]]) -> list[tuple[str, list[str], float]]:
        """Each phrase with its weight: the IDF of its rarest Chinese term."""
        lexical = self.index.lexical
        return [
            (phrase, terms, max(lexical.idf(t) for term in terms for t in (lexical.tokenizer.tokenize(term) or [term])))
            for phrase, terms in phrases
        ]

    def threshold(self, question: str) -> float:
        """The abstention threshold for this question's language mix."""
        zh_threshold, en_threshold = self.abstain_below
        return en_threshold + (zh_threshold - en_threshold) * cjk_ratio(question)

    def answer(
        self,
        question: str,
        hits: list[Hit],
        filters: Filters | None = None,
        topic: str | None = None,
        per_document: bool = False,
        terms: Sequence[str] = (),
        phrases: Sequence[tuple[str, list[str]]] = (),
        record_fields_asked: Collection[str] = (),
    ) -> Answer:
        """Quote the best sentences with citations, or abstain with the nearest passages.

        ``per_document`` (questions comparing plans) quotes the best sentence of every
        plan whose best sentence clears the threshold, one plan per line.
        ``record_fields_asked`` (文号, 公开日期 …, see :class:`QueryScope`): a record line
        stating one of them is the answer; a label left blank there means "not stated".
        """
        question = question.strip()
        scored = self.score_sentences(question, hits, topic, per_document, terms, record_fields_asked)
        filters_json = filters.to_json() if filters else {}
        threshold = self.threshold(question)
        off_topic = cjk_ratio(question) >= 0.5 and hits and hits[0].dense_score < self.min_passage_similarity_zh
        if not scored or scored[0].score < threshold or off_topic:
            return Answer(question, self._abstention(question, hits), True, [], hits, filters_json)
        missing = [] if per_document else self.missing_topics(phrases, hits)
        if missing:
            described = ", ".join(f"{p} ({'/'.join(dict(phrases)[p][:2])})" for p in missing)
            text = f"The passages closest to this question do not mention {described}. " + self._abstention(
                question, hits
            )
            return Answer(question, text, True, [], hits, {**filters_json, "not_mentioned": missing})
        if per_document:
            # Once one plan clearly answers, the others need only come close: their
            # wording of the same target differs, and a missing plan is a wrong answer.
            chosen, seen = [], set()
            for sentence in scored:
                if sentence.hit.chunk.doc_id not in seen and sentence.score >= threshold - self.per_plan_leniency:
                    seen.add(sentence.hit.chunk.doc_id)
                    chosen.append(sentence)
        else:
            best = scored[0].score
            chosen = [s for s in scored if s.score >= best - 0.02][: self.max_sentences]
        gap = self._evidence_gap(question, scored, chosen, hits, topic, phrases, record_fields_asked)
        if gap:
            return Answer(question, gap + self._abstention(question, hits), True, [], hits, filters_json)
        english = cjk_ratio(question) < 0.5
        if english and not per_document:
            # Cross-lingual sentence scores are flatter than Chinese ones: the sentence
            # with the figure is often a close runner-up, so English answers quote those too.
            best = scored[0].score
            chosen = [s for s in scored if s.score >= best - self.english_quote_window][: self.max_sentences]
        rank_of = {id(h): i for i, h in enumerate(hits)}
        chosen.sort(key=lambda s: (rank_of[id(s.hit)], s.start))
        citations = [self._citation(n, sentence) for n, sentence in enumerate(chosen, start=1)]
        text = self._compose(citations, english, label_plans=per_document or english)
        return Answer(question, text, False, citations, hits, filters_json)

    def _evidence_gap(
        self,
        question: str,
        scored: list[ScoredSentence],
        chosen: list[ScoredSentence],
        hits: list[Hit],
        topic: str | None,
        phrases: Sequence[tuple[str, list[str]]],
        record_fields_asked: Collection[str],
    ) -> str | None:
        """Why the chosen sentences, though close to the question, do not answer it (or None).

        A wrong number is the worst answer, so a question that needs a figure is not
        answered with a sentence that has none, or one in another unit; a question for a
        record field the publisher left blank ("文件编号:") is not answered either.
        """
        english = cjk_ratio(question) < 0.5
        units = unit_demands(question)
        topic_words = self._topic_words(question, topic, phrases, units)
        # The figure must come from the closest sentence (before any bonus for holding a
        # figure) or one that names the topic: an off-topic sentence that happens to hold
        # a percentage does not answer.
        closest = max(scored, key=lambda c: c.match)
        if units and not any(
            all(u.search(c.text) for u in units) and (c is closest or self._mentions(c.text, topic_words))
            for c in chosen
        ):
            return (
                "The closest passages state no figure in the unit asked for. "
                if english
                else "最接近的段落中没有给出所问单位的数字。"
            )
        if _ASKS_FOR_NUMBER.search(question) and not any(_HAS_NUMBER.search(c.text) for c in chosen):
            return (
                "The closest passages state no figure for this. " if english else "最接近的段落中没有给出相应的数字。"
            )
        if record_fields_asked and not any(
            record_fields(c.text).get(label) for c in chosen for label in record_fields_asked
        ):
            blank = {
                label
                for hit in hits[:1]
                if is_record_chunk(hit.chunk)
                for line in hit.chunk.text.splitlines()
                for label, value in record_fields(line).items()
                if not value
            }
            if blank & set(record_fields_asked):
                return "The document's record does not state this. " if english else "文件的发布信息中没有这一项。"
        return None

    def _topic_words(
        self, question: str, topic: str | None, phrases: Sequence[tuple[str, list[str]]], units: list[re.Pattern[str]]
    ) -> list[tuple[list[str], float]]:
        """What a sentence must mention to be about the question, as (alternatives, weight).

        English: the topic phrases (term map) weighted by IDF, less those that only name
        the unit ("per 1,000 population" → 每千人口). Chinese: the topic's three rarest
        content words (孕产妇死亡率, not 控制 or 以内, which any target sentence has).
        """
        if cjk_ratio(question) < 0.5:
            return [
                (terms, weight)
                for _, terms, weight in self._weighted(phrases)
                if not any(unit.search(term) for unit in units for term in terms)
            ]
        lexical = self.index.lexical
        words = {t for t in self.tokenizer.tokenize(topic or question) if len(t) >= 2 and t not in _FORM_WORDS}
        words = {t for t in words if not any(unit.search(t) for unit in units)}
        rarest = sorted(words, key=lambda t: (-lexical.idf(t), t))[:3]
        return [([t], lexical.idf(t)) for t in rarest]

    @staticmethod
    def _mentions(sentence: str, topic_words: list[tuple[list[str], float]]) -> bool:
        """True when the sentence names at least half the topic (by weight), or there is no topic."""
        share = _named_share(squeeze_cjk_spaces(sentence), topic_words)
        return share is None or share >= 0.5

    @staticmethod
    def _citation(n: int, sentence: ScoredSentence) -> Citation:
        doc = sentence.hit.document
        return Citation(
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

    def _compose(self, citations: list[Citation], english: bool, label_plans: bool) -> str:
        """The answer text: quotes with [n] markers; our own words only as plan labels.

        English questions get an English frame (which plan, which section, the figures
        quoted) around the Chinese quotes; the quotes themselves are never translated.
        """
        lines = []
        if english:
            lines.append("From the plans (Chinese quoted verbatim):")
        for c in citations:
            doc = self.index.documents[c.chunk_id.split(":")[0]]
            if english:
                name = f"{doc.region_en} ({doc.region})" if doc.region_en else doc.region
                section = f", section “{c.section[-1]}”" if c.section else ""
                lines.append(f"- {name} {c.year or ''}{section}: “{c.quote}” [{c.n}]")
            elif label_plans:
                lines.append(f"{c.region}{c.year or ''}年：{c.quote}[{c.n}]")
            else:
                lines.append(f"{c.quote}[{c.n}]")
        if english:
            figures = list(dict.fromkeys(f for c in citations for f in _FIGURE.findall(c.quote)))
            if figures:
                lines.append("Figures quoted: " + ", ".join(figures[:8]))
        return "\n".join(lines)

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
        """ "Not clearly answered" in the question's language, naming the nearest passages."""
        english = cjk_ratio(question) < 0.5
        text, lead, year, joiner = (
            ("The documents do not clearly answer this question.", " Nearest passages: ", " {}", "; ")
            if english
            else ("所检索的文件中没有找到明确回答该问题的内容。", "最接近的段落：", "{}年", "；")
        )
        if hits:
            places = (
                f"{h.document.region}{year.format(h.document.year)} "
                f"{h.chunk.section[-1] if h.chunk.section else h.document.title}"
                for h in hits[:3]
            )
            text += lead + joiner.join(places)
        return text


def scoped_search(
    searcher: HybridSearcher, question: str, k: int, filters: Filters | None, scope: QueryScope
) -> list[Hit]:
    """Retrieval as the question asks for it: per plan for comparisons, with its topic and terms."""
    search = searcher.search_per_document if scope.compare else searcher.search
    return search(question, k, filters, scope.topic or None, scope.terms, records=bool(scope.record_fields))


def build_ask_chain(
    searcher: HybridSearcher,
    answerer: ExtractiveAnswerer,
    analyzer: QueryAnalyzer | None = None,
    k: int = 5,
    outline: OutlineAnswerer | None = None,
) -> Runnable:
    """understand → retrieve → answer as a LangChain runnable.

    Input: ``{"question": str, "filters": Filters | None}``; output: :class:`Answer`.
    Without explicit filters, the regions and years the question names become the
    filters (shown in ``Answer.filters``); naming one the corpus lacks abstains.
    With ``outline``, a question about what a section is made of is answered with the
    section's sub-headings.
    """

    def understand(inputs: dict) -> dict:
        question = inputs["question"].strip()
        if not question:
            raise ValueError("the question is empty")
        scope = analyzer.analyze(question) if analyzer else QueryScope()
        filters = inputs.get("filters") or scope.filters()
        return {**inputs, "question": question, "scope": scope, "filters": filters}

    def retrieve(inputs: dict) -> dict:
        hits = scoped_search(searcher, inputs["question"], k, inputs.get("filters"), inputs["scope"])
        return {**inputs, "hits": hits}

    def respond(inputs: dict) -> Answer:
        scope: QueryScope = inputs["scope"]
        if scope.unavailable and (not scope.regions or any(u.endswith("年") for u in scope.unavailable)):
            plans = analyzer.available_plans() if analyzer else ""
            return answerer.unavailable(inputs["question"], scope, plans, inputs["hits"])
        parts = outline.answer(inputs["question"], scope, inputs.get("filters")) if outline else None
        if parts is not None:
            return parts
        answer = answerer.answer(
            inputs["question"],
            inputs["hits"],
            inputs.get("filters"),
            scope.topic or None,
            scope.compare,
            scope.terms,
            scope.phrases,
            scope.record_fields,
        )
        answer.filters = {**answer.filters, **scope.describe()}
        return answer

    return (
        RunnableLambda(understand, name="understand")
        | RunnableLambda(retrieve, name="retrieve")
        | RunnableLambda(respond, name="answer")
    )
