"""Extractive, cited answers: quote the sentences of the top passages that answer the question.

:class:`ExtractiveAnswerer` never writes words of its own into a quote. It takes the
sentence scores of :class:`~.sentences.SentenceScorer`, keeps the best few and prints
them in reading order, each followed by its citation marker [n]. When the evidence is
weak, or does not meet what the question asks for (a figure, a unit, a record field),
it abstains: it says the documents do not clearly answer and lists the nearest passages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..config import Settings
from ..corpus import record_fields
from ..index import PolicyIndex
from ..schema import Answer, Citation, Filters, Hit, Route, Status
from ..text import squeeze_cjk_spaces
from .gloss import Glossary
from .question import Constraint, Question
from .sentences import ScoredSentence, SentenceScorer
from .verify import Verification, Verifier, named_share

FIGURE = re.compile(
    r"\d+(?:\.\d+)?(?:\s*[-—~至]\s*\d+(?:\.\d+)?)?(?:%|‰|/10万|万人|万|亿元|亿|个|家|名|人次|人|元|张|所|项|台|次|岁|天)"
)


# What each kind of check verifies, in the reader's words.
_CHECKED = {
    "unit": ("单位", "unit"),
    "figure": ("数字", "figure"),
    "time": ("年份", "year"),
}


# Units and other constraints in a Chinese reader's words (the labels are English names).
_UNITS_ZH = {
    "yuan": "金额（元）", "per 1,000": "每千人口", "per 100,000": "每十万人口", "hours": "小时数",
    "people": "人数", "count": "数量", "beds": "床位数（张）", "rate": "比率（%）",
}  # fmt: skip
_LABELS_ZH = {"a figure": "具体数字", "per person": "人均", "in total": "总量", "growth": "增长幅度"}


_UNITS_EN = {"count": "a count", "rate": "a rate (%)", "people": "a number of people"}
_RANKS_EN = {"三级": "tertiary (grade 3)", "二级": "secondary (grade 2)"}


def reader_label(constraint: Constraint, english: bool) -> str:
    """What a constraint asks, in the reader's language: "床位数（张）", "2022年目标", "beds",
    "2022 target". Every kind has its words in both languages; Chinese terms of the plans
    (a measure, a population) stay Chinese in English text, as the plans write them."""
    kind, label = constraint.kind, constraint.label
    if kind == "time" and constraint.year:
        if english:
            return f"{constraint.year} {'result' if constraint.period == 'achieved' else 'target'}"
        return f"{constraint.year}年{'实际完成' if constraint.period == 'achieved' else '目标'}"
    if english:
        return {
            "unit": _UNITS_EN.get(label, label),
            "year": f"the year {label}",
            "doc_number": "the document number (文号) of the document named",
            "record_field": f"the record's {label}",
            "measure": f"the measure {label}",
            "rank": _RANKS_EN.get(label, label),
            "age": f"age {label.removesuffix('岁')}",
            "population": f"the group {label}",
            "named": f"“{label}”",
        }.get(kind, label)
    return {
        "unit": _UNITS_ZH.get(label, label),
        "year": f"{label}年",
        "doc_number": "所指文件的文号",
        "named": f"“{label}”",
        "measure": f"指标{label}",
    }.get(kind, _LABELS_ZH.get(label, label))


def unverified_notes(constraints: list[Constraint]) -> list[str]:
    """One bilingual note per check the evidence neither met nor contradicted: "未核实：单位
    （每十万人） not verified: unit (per 100,000)"."""
    notes = []
    for constraint in constraints:
        zh, en = _CHECKED.get(constraint.kind, ("条件", "condition"))
        notes.append(
            f"未核实：{zh}（{reader_label(constraint, False)}） not verified: {en} ({reader_label(constraint, True)})"
        )
    return notes


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


@dataclass
class Candidate:
    """The sentences an extractive answer would quote, with their verification."""

    verification: Verification
    sentences: list[ScoredSentence]
    unmet: list[Constraint]


class ExtractiveAnswerer:
    """Answers a question from hits by quoting sentences, gives a near miss, or abstains.

    Args:
        index: the loaded index.
        scorer: sentence scores for the question.
        verifier: checks the evidence against the question's constraints and gives the
            calibrated confidence.
        settings: ``answer_max_sentences``, ``abstain_below_zh``/``_en``,
            ``min_topic_coverage``, ``quote_window_zh``, ``english_quote_window``,
            ``per_plan_leniency``, ``min_passage_similarity_zh``, ``answer_passages``,
            ``answer_min_confidence``, ``near_miss_quotes``, ``list_max_sentences`` and
            ``compare_quote_window`` are used.
    """

    def __init__(
        self,
        index: PolicyIndex,
        scorer: SentenceScorer,
        verifier: Verifier,
        settings: Settings | None = None,
        glossary: Glossary | None = None,
    ) -> None:
        settings = settings or Settings()
        self.index = index
        self.scorer = scorer
        self.verifier = verifier
        self.passages = settings.answer_passages
        self.max_sentences = settings.answer_max_sentences
        self.abstain_below = (settings.abstain_below_zh, settings.abstain_below_en)
        self.min_topic_coverage = settings.min_topic_coverage
        self.quote_window_zh = settings.quote_window_zh
        self.english_quote_window = settings.english_quote_window
        self.per_plan_leniency = settings.per_plan_leniency
        self.min_passage_similarity_zh = settings.min_passage_similarity_zh
        self.min_confidence = settings.answer_min_confidence
        self.near_miss_quotes = settings.near_miss_quotes
        self.list_max_sentences = settings.list_max_sentences
        self.compare_quote_window = settings.compare_quote_window
        self.glossary = glossary or Glossary()

    def threshold(self, question: Question) -> float:
        """The language-scaled sentence score a clear answer reaches (centres the match signal)."""
        zh_threshold, en_threshold = self.abstain_below
        return en_threshold + (zh_threshold - en_threshold) * question.chinese_share

    def missing_topics(self, question: Question, hits: list[Hit]) -> list[str]:
        """Topic phrases of an English question absent from the top passages, if they weigh most
        ("infant mortality" asked, only 母婴安全 found); otherwise []."""
        if not question.phrases or not hits:
            return []
        text = squeeze_cjk_spaces("".join(h.chunk.text for h in hits[: self.passages]))
        weighted = self.verifier.weighted_phrases(question.phrases)
        share = named_share(text, [(terms, weight) for _, terms, weight in weighted])
        if share is not None and share < self.min_topic_coverage:
            return [phrase for phrase, terms, _ in weighted if not any(t in text for t in terms)]
        return []

    def select(self, question: Question, scored: list[ScoredSentence]) -> list[ScoredSentence]:
        """The sentences an answer would quote.

        A comparison: each plan's best sentence, or a close one of that plan that meets the
        question (its figure in the unit asked for). A list question: every item of the
        best sentence's section that comes close (the section is the list). Otherwise the
        best few (English answers also take close runners-up: cross-lingual scores are flatter).
        """
        threshold = self.threshold(question)
        if question.intents.compare:
            chosen, seen = [], set()
            for sentence in scored:
                # Once one plan clearly answers, the others need only come close: their
                # wording of the same target differs, and a missing plan is a wrong answer.
                doc_id = sentence.hit.chunk.doc_id
                if doc_id in seen or sentence.score < threshold - self.per_plan_leniency:
                    continue
                seen.add(doc_id)
                near = [
                    s
                    for s in scored
                    if s.hit.chunk.doc_id == doc_id and s.score >= sentence.score - self.compare_quote_window
                ]
                chosen.append(next((s for s in near if self.verifier.meets_all(question, s, scored)), sentence))
            return chosen or scored[:1]
        window = self.english_quote_window if question.english else self.quote_window_zh
        best = scored[0].score
        chosen = [s for s in scored if s.score >= best - window][: self.max_sentences]
        if question.intents.listing and not question.intents.needs_figure:
            trail = scored[0].hit.chunk.section
            items = [
                s
                for s in scored
                if s.hit.chunk.doc_id == scored[0].hit.chunk.doc_id
                and s.hit.chunk.section[: len(trail)] == trail
                and s.score >= threshold - self.per_plan_leniency
            ]
            if len(items) > len(chosen):
                # The best items of the section (the chosen ones first), quoted in reading order.
                kept = list({id(s): s for s in [*chosen, *items]}.values())[: self.list_max_sentences]
                chosen = sorted(kept, key=lambda s: (s.hit.chunk.doc_id, s.start))
        return chosen

    def candidate(self, question: Question, hits: list[Hit], scored: list[ScoredSentence]) -> Candidate:
        """What an answer would quote, verified: the sentences, their checks and confidence."""
        chosen = self.select(question, scored)
        verification = self.verifier.verify(question, hits, scored, chosen, self.threshold(question))
        if question.intents.compare:
            # A comparison keeps each plan whose sentence meets the question.
            kept = [s for s in chosen if self.verifier.meets_all(question, s, scored)]
            return Candidate(verification, kept or chosen, [] if kept else verification.unmet)
        return Candidate(verification, verification.evidence or chosen, verification.unmet)

    def answer(
        self, question: Question, hits: list[Hit], applied: Filters | None = None, route: Route = Route.EXTRACTIVE
    ) -> Answer:
        """Quote the best sentences with citations; or a near miss; or abstain with the nearest passages.

        A comparison quotes the best sentence of every plan that meets the question, one
        plan per line. A record question: a record line stating the field is the answer; a
        label left blank, or a field the document does not have, means "not stated".
        """
        scored = self.scorer.score(question, hits, question.intents.compare)

        def reply(text: str, status: Status, citations: list[Citation] | None = None, **extra) -> Answer:
            return Answer(
                question.text, text, status, citations or [], hits, route=route, applied=applied,
                scope=question.scope, **extra,
            )  # fmt: skip

        if not scored:
            return reply(abstention_text(question, hits), Status.ABSTAINED, reason="no_evidence", confidence=0.0)
        candidate = self.candidate(question, hits, scored)
        verification, chosen, unmet = candidate.verification, candidate.sentences, candidate.unmet
        checks = verification.to_json()
        if any(c.kind == "record_field" for c in unmet):
            reason, text = self._record_gap(question, hits)
            return reply(text + abstention_text(question, hits), Status.ABSTAINED, reason=reason, checks=checks)
        if unmet:
            if verification.on_topic:
                return self._near_miss(question, verification, unmet, reply, checks)
            return reply(
                abstention_text(question, hits), Status.ABSTAINED, reason="constraint_unmet",
                confidence=verification.confidence, checks=checks,
            )  # fmt: skip
        stated_record = bool(question.intents.record_fields) and not unmet
        # A record line that states the field asked for answers by itself; other answers
        # need the calibrated confidence.
        if verification.confidence < self.min_confidence and not stated_record:
            missing = [] if question.intents.compare else self.missing_topics(question, hits)
            text = abstention_text(question, hits)
            if missing:
                terms_of = dict(question.phrases)
                described = ", ".join(f"{p} ({'/'.join(terms_of[p][:2])})" for p in missing)
                text = f"The passages closest to this question do not mention {described}. " + text
                reason = "topic_not_mentioned"
            elif not question.english and hits and hits[0].dense_score < self.min_passage_similarity_zh:
                reason = "off_topic"
            else:
                reason = "weak_evidence"
            return reply(
                text, Status.ABSTAINED, reason=reason, not_mentioned=missing, confidence=verification.confidence,
                checks=checks,
            )  # fmt: skip
        citations = self._cite(chosen, hits)
        text = self.compose(citations, question.english, label_plans=question.intents.compare or question.english)
        summary = self.summary(question, citations)
        if summary:
            text = "\n".join(summary) + "\n\n" + text
        return reply(
            text, Status.ANSWERED, citations, confidence=verification.confidence, checks=checks, summary=summary,
            notes=unverified_notes(verification.unverified),
        )  # fmt: skip

    def _cite(self, sentences: list[ScoredSentence], hits: list[Hit]) -> list[Citation]:
        rank_of = {id(h): i for i, h in enumerate(hits)}
        ordered = sorted(sentences, key=lambda s: (rank_of.get(id(s.hit), len(hits)), s.start))
        citations = [
            Citation.of(n, s.hit.document, s.hit.chunk, s.start, s.end) for n, s in enumerate(ordered, start=1)
        ]
        for citation, sentence in zip(citations, ordered, strict=True):
            citation.gloss = self.glossary.gloss(sentence.hit.document, sentence.start, sentence.end)
        return citations

    def _near_miss(self, question: Question, verification: Verification, unmet, reply, checks) -> Answer:
        """The topic is in the plans but what the question narrows to is not: say what is
        missing and quote the nearest statement, never as the answer."""
        nearest = verification.evidence[: self.near_miss_quotes]
        citations = self._cite(nearest, [s.hit for s in verification.evidence])
        for citation in citations:
            citation.gloss = ""  # a gloss would read as an answer; these sentences do not answer
        asked = "、".join(dict.fromkeys(reader_label(c, question.english) for c in unmet))
        quotes = self.compose(citations, question.english, label_plans=True)
        if question.english:
            text = f"Not stated in the plans for what was asked ({asked}). The nearest statement (not an answer):\n"
        else:
            text = f"计划未给出符合所问（{asked}）的内容。最接近的表述如下，但并不回答该问题：\n"
        return reply(
            text + quotes, Status.NEAR_MISS, citations, reason="near_miss", confidence=verification.confidence,
            checks=checks,
        )  # fmt: skip

    def _record_gap(self, question: Question, hits: list[Hit]) -> tuple[str, str]:
        """A record field the publisher left blank ("文件编号:") or the document does not have."""
        asked = set(question.intents.record_fields)
        blank = {
            label
            for hit in hits[:1]
            if hit.chunk.is_record
            for line in hit.chunk.text.splitlines()
            for label, value in record_fields(line).items()
            if not value
        }
        if blank & asked:
            english = "The document's record does not state this. "
            return "record_field_blank", english if question.english else "文件的发布信息中没有这一项。"
        label = question.intents.record_fields[0]
        if question.english:
            return "record_field_missing", f"The document does not state its {label}. "
        return "record_field_missing", f"文件中没有写明{label}。"

    def compose(self, citations: list[Citation], english: bool, label_plans: bool) -> str:
        """The quotes with [n] markers; our own words only as plan labels and glosses.

        English questions get an English frame (which plan, which section) around the
        Chinese quotes, and under each quote its English gloss, labelled as such; the
        quotes themselves are never translated.
        """
        lines = []
        if english:
            lines.append("From the plans (Chinese quoted verbatim; “gloss” lines are ours):")
        for c in citations:
            doc = self.index.documents[c.doc_id]
            if english:
                name = f"{doc.region_en} ({doc.region})" if doc.region_en else doc.region
                reviewing = f", reviewing {c.about_year}" if c.about_year else ""
                section = f", section “{c.section[-1]}”" if c.section else ""
                lines.append(f"- {name} {c.year or ''}{reviewing}{section}: “{c.quote}” [{c.n}]")
                if c.gloss:
                    lines.append(f"  gloss: {c.gloss}")
            elif label_plans:
                reviewing = f"（回顾{c.about_year}年）" if c.about_year else ""
                lines.append(f"{c.region}{c.year or ''}年{reviewing}：{c.quote}[{c.n}]")
            else:
                lines.append(f"{c.quote}[{c.n}]")
        return "\n".join(lines)

    def summary(self, question: Question, citations: list[Citation]) -> list[str]:
        """The direct answer, first: the figure each cited plan states, in a line of its own.

        "浙江省 2022：二级及以上公立综合性医院设置老年医学科比例 65%以上 [1]" (English:
        "Zhejiang 2022: geriatric department, percentage — 65% or more [1]"). For a question
        about a quantity only; one line per cited sentence that states a figure, grouped by
        plan in citation order, at most ``list_max_sentences``.
        """
        intents = question.intents
        if not (intents.quantity or intents.needs_figure or intents.units):
            return []
        words = set(self.verifier.tokenizer.tokenize(question.match_text)) | set(question.terms)
        lines = []
        for c in citations:
            document = self.index.documents[c.doc_id]
            found = self.glossary.indicators(document, c.start, c.end)
            if intents.units:
                found = [i for i in found if all(u.met_by(i.display()) for u in intents.units)] or found
            # A figure inside another's subject qualifies it ("十类重点人群签约率达75%以上": 十类 says
            # which groups; 75% is the target).
            found = [i for i in found if not any(j is not i and i.text in j.phrase for j in found)] or found
            if not found:
                continue
            best = max(found, key=lambda i: (sum(1 for w in words if w in i.phrase), -i.start))
            # The whole statement as the plan makes it: every target of its clause kept
            # ("为1.82万35-64岁农村妇女免费提供宫颈癌、乳腺癌筛查", not "…宫颈癌 1.82万").
            statement = best.statement()
            if question.english:
                name = document.region_en or document.region
                lines.append(f"{name} {document.year or ''}: {self.glossary.statement(best)} [{c.n}]")
            else:
                lines.append(f"{document.region} {document.year or ''}：{statement} [{c.n}]")
        return lines[: self.list_max_sentences]
