"""Extractive, cited answers: quote the sentences of the top passages that answer the question.

:class:`ExtractiveAnswerer` never writes words of its own into a quote. It takes the
sentence scores of :class:`~.sentences.SentenceScorer`, keeps the best few and prints
them in reading order, each followed by its citation marker [n]. When the evidence is
weak, or does not meet what the question asks for (a figure, a unit, a record field),
it abstains: it says the documents do not clearly answer and lists the nearest passages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..config import Settings
from ..corpus import record_fields
from ..index import ChineseTokenizer, PolicyIndex
from ..schema import Answer, Citation, Filters, Hit, Route, Status
from ..text import squeeze_cjk_spaces
from . import patterns
from .question import Question
from .sentences import HAS_NUMBER, ScoredSentence, SentenceScorer

FIGURE = re.compile(
    r"\d+(?:\.\d+)?(?:\s*[-—~至]\s*\d+(?:\.\d+)?)?(?:%|‰|/10万|万人|万|亿元|亿|个|家|名|人次|人|元|张|所|项|台|次|岁|天)"
)


def named_share(text: str, groups: Sequence[tuple[Sequence[str], float]]) -> float | None:
    """Weighted share of the groups (alternative words, weight) that ``text`` names at least
    one word of; None when there is no weight to share."""
    total = sum(weight for _, weight in groups)
    if not total:
        return None
    return sum(weight for words, weight in groups if any(w in text for w in words)) / total


def abstention_text(question: Question, hits: list[Hit]) -> str:
    """ "Not clearly answered" in the question's language, naming the nearest passages."""
    text, lead, year, joiner = (
        ("The documents do not clearly answer this question.", " Nearest passages: ", " {}", "; ")
        if question.english
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


class ExtractiveAnswerer:
    """Answers a question from hits by quoting sentences, or abstains.

    Args:
        index: the loaded index.
        scorer: sentence scores for the question.
        settings: ``answer_max_sentences``, ``abstain_below_zh``/``_en``,
            ``min_topic_coverage``, ``quote_window_zh``, ``english_quote_window``,
            ``per_plan_leniency``, ``min_passage_similarity_zh``, ``topic_mention_share``,
            ``topic_rarest_words`` and ``answer_passages`` are used.
    """

    def __init__(
        self,
        index: PolicyIndex,
        scorer: SentenceScorer,
        settings: Settings | None = None,
        tokenizer: ChineseTokenizer | None = None,
    ) -> None:
        settings = settings or Settings()
        self.index = index
        self.scorer = scorer
        self.tokenizer = tokenizer or index.lexical.tokenizer
        self.passages = settings.answer_passages
        self.max_sentences = settings.answer_max_sentences
        self.abstain_below = (settings.abstain_below_zh, settings.abstain_below_en)
        self.min_topic_coverage = settings.min_topic_coverage
        self.quote_window_zh = settings.quote_window_zh
        self.english_quote_window = settings.english_quote_window
        self.per_plan_leniency = settings.per_plan_leniency
        self.min_passage_similarity_zh = settings.min_passage_similarity_zh
        self.topic_mention_share = settings.topic_mention_share
        self.topic_rarest_words = settings.topic_rarest_words

    def threshold(self, question: Question) -> float:
        """The abstention threshold for this question's language mix."""
        zh_threshold, en_threshold = self.abstain_below
        return en_threshold + (zh_threshold - en_threshold) * question.chinese_share

    def missing_topics(self, question: Question, hits: list[Hit]) -> list[str]:
        """Topic phrases of an English question absent from the top passages, if they weigh most.

        Each phrase weighs as much as its rarest Chinese term (IDF). When the absent
        phrases carry more than ``1 - min_topic_coverage`` of the weight, the passages
        are about something else ("infant mortality" asked, only 母婴安全 found): the
        absent phrases are returned and the answer abstains. Otherwise returns [].
        """
        if not question.phrases or not hits:
            return []
        text = squeeze_cjk_spaces("".join(h.chunk.text for h in hits[: self.passages]))
        weighted = self.weighted_phrases(question.phrases)
        share = named_share(text, [(terms, weight) for _, terms, weight in weighted])
        if share is not None and share < self.min_topic_coverage:
            return [phrase for phrase, terms, _ in weighted if not any(t in text for t in terms)]
        return []

    def weighted_phrases(self, phrases: Sequence[tuple[str, Sequence[str]]]) -> list[tuple[str, Sequence[str], float]]:
        """Each phrase with its weight: the IDF of its rarest Chinese term."""
        lexical = self.index.lexical
        return [
            (phrase, terms, max(lexical.idf(t) for term in terms for t in (lexical.tokenizer.tokenize(term) or [term])))
            for phrase, terms in phrases
        ]

    def answer(
        self, question: Question, hits: list[Hit], applied: Filters | None = None, route: Route = Route.EXTRACTIVE
    ) -> Answer:
        """Quote the best sentences with citations, or abstain with the nearest passages.

        A comparison (``question.intents.compare``) quotes the best sentence of every plan
        whose best sentence clears the threshold, one plan per line. A record question: a
        record line stating the field is the answer; a label left blank means "not stated".
        """
        per_document = question.intents.compare
        scored = self.scorer.score(question, hits, per_document)
        threshold = self.threshold(question)
        off_topic = not question.english and hits and hits[0].dense_score < self.min_passage_similarity_zh

        def reply(text: str, status: Status, citations: list[Citation] | None = None, **extra) -> Answer:
            return Answer(
                question.text, text, status, citations or [], hits, route=route, applied=applied,
                scope=question.scope, **extra,
            )  # fmt: skip

        if not scored or scored[0].score < threshold or off_topic:
            reason = "off_topic" if off_topic else "weak_evidence"
            return reply(abstention_text(question, hits), Status.ABSTAINED, reason=reason)
        missing = [] if per_document else self.missing_topics(question, hits)
        if missing:
            terms_of = dict(question.phrases)
            described = ", ".join(f"{p} ({'/'.join(terms_of[p][:2])})" for p in missing)
            text = f"The passages closest to this question do not mention {described}. "
            return reply(
                text + abstention_text(question, hits), Status.ABSTAINED, not_mentioned=missing,
                reason="topic_not_mentioned",
            )  # fmt: skip
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
            chosen = [s for s in scored if s.score >= best - self.quote_window_zh][: self.max_sentences]
        gap = self.evidence_gap(question, scored, chosen, hits)
        if gap:
            reason, text = gap
            return reply(text + abstention_text(question, hits), Status.ABSTAINED, reason=reason)
        if question.english and not per_document:
            # Cross-lingual sentence scores are flatter than Chinese ones: the sentence
            # with the figure is often a close runner-up, so English answers quote those too.
            best = scored[0].score
            chosen = [s for s in scored if s.score >= best - self.english_quote_window][: self.max_sentences]
        rank_of = {id(h): i for i, h in enumerate(hits)}
        chosen.sort(key=lambda s: (rank_of[id(s.hit)], s.start))
        citations = [Citation.of(n, s.hit.document, s.hit.chunk, s.start, s.end) for n, s in enumerate(chosen, start=1)]
        text = self.compose(citations, question.english, label_plans=per_document or question.english)
        return reply(text, Status.ANSWERED, citations)

    def evidence_gap(
        self, question: Question, scored: list[ScoredSentence], chosen: list[ScoredSentence], hits: list[Hit]
    ) -> tuple[str, str] | None:
        """Why the chosen sentences, though close to the question, do not answer it:
        (reason, message), or None.

        A wrong number is the worst answer, so a question that needs a figure is not
        answered with a sentence that has none, or one in another unit; a question for a
        record field the publisher left blank ("文件编号:") is not answered either.
        """
        english = question.english
        units = question.intents.units
        topic_words = self.topic_words(question)
        # The figure must come from the closest sentence (before any bonus for holding a
        # figure) or one that names the topic: an off-topic sentence that happens to hold
        # a percentage does not answer.
        closest = max(scored, key=lambda c: c.match)
        if units and not any(
            all(u.met_by(c.text) for u in units) and (c is closest or self.mentions(c.text, topic_words))
            for c in chosen
        ):
            return "no_figure_in_unit", (
                "The closest passages state no figure in the unit asked for. "
                if english
                else "最接近的段落中没有给出所问单位的数字。"
            )
        if question.intents.needs_figure and not any(HAS_NUMBER.search(c.text) for c in chosen):
            return "no_figure", (
                "The closest passages state no figure for this. " if english else "最接近的段落中没有给出相应的数字。"
            )
        asked = question.intents.record_fields
        if asked and not any(record_fields(c.text).get(label) for c in chosen for label in asked):
            blank = {
                label
                for hit in hits[:1]
                if hit.chunk.is_record
                for line in hit.chunk.text.splitlines()
                for label, value in record_fields(line).items()
                if not value
            }
            if blank & set(asked):
                return "record_field_blank", (
                    "The document's record does not state this. " if english else "文件的发布信息中没有这一项。"
                )
        return None

    def topic_words(self, question: Question) -> list[tuple[Sequence[str], float]]:
        """What a sentence must mention to be about the question, as (alternatives, weight).

        English: the topic phrases (term map) weighted by IDF, less those that only name
        the unit ("per 1,000 population" → 每千人口). Chinese: the topic's rarest
        content words (孕产妇死亡率, not 控制 or 以内, which any target sentence has).
        """
        units = question.intents.units
        if question.english:
            return [
                (terms, weight)
                for _, terms, weight in self.weighted_phrases(question.phrases)
                if not any(unit.met_by(term) for unit in units for term in terms)
            ]
        lexical = self.index.lexical
        words = {
            t for t in self.tokenizer.tokenize(question.match_text) if len(t) >= 2 and t not in patterns.FORM_WORDS
        }
        words = {t for t in words if not any(unit.met_by(t) for unit in units)}
        rarest = sorted(words, key=lambda t: (-lexical.idf(t), t))[: self.topic_rarest_words]
        return [([t], lexical.idf(t)) for t in rarest]

    def mentions(self, sentence: str, topic_words: list[tuple[Sequence[str], float]]) -> bool:
        """True when the sentence names enough of the topic (by weight), or there is no topic."""
        share = named_share(squeeze_cjk_spaces(sentence), topic_words)
        return share is None or share >= self.topic_mention_share

    def compose(self, citations: list[Citation], english: bool, label_plans: bool) -> str:
        """The answer text: quotes with [n] markers; our own words only as plan labels.

        English questions get an English frame (which plan, which section, the figures
        quoted) around the Chinese quotes; the quotes themselves are never translated.
        """
        lines = []
        if english:
            lines.append("From the plans (Chinese quoted verbatim):")
        for c in citations:
            doc = self.index.documents[c.doc_id]
            if english:
                name = f"{doc.region_en} ({doc.region})" if doc.region_en else doc.region
                section = f", section “{c.section[-1]}”" if c.section else ""
                lines.append(f"- {name} {c.year or ''}{section}: “{c.quote}” [{c.n}]")
            elif label_plans:
                lines.append(f"{c.region}{c.year or ''}年：{c.quote}[{c.n}]")
            else:
                lines.append(f"{c.quote}[{c.n}]")
        if english:
            figures = list(dict.fromkeys(f for c in citations for f in FIGURE.findall(c.quote)))
            if figures:
                lines.append("Figures quoted: " + ", ".join(figures[:8]))
        return "\n".join(lines)
