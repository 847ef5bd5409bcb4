"""Sentence scoring: which sentences of the retrieved passages answer the question.

:class:`SentenceScorer` scores every quotable sentence of the top passages against an
analysed :class:`~.question.Question`: cosine with the sentence vector embedded at
build time, plus token overlap with the question's words (or an English question's
Chinese terms), minus the passage's score gap to the top passage, plus small bonuses
for holding a figure when a quantity is asked, a figure in the unit asked for, or the
record field asked for. Answers, comparisons and verification all read these scores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..chunking import marker_family
from ..config import Settings
from ..corpus import is_record_line, record_fields
from ..figures import extract_figures
from ..index import ChineseTokenizer, PolicyIndex
from ..schema import Hit
from ..text import DOC_NUMBER_LINE, is_table_statement, squeeze_cjk_spaces
from .question import Question
from .retrieval import HybridSearcher

DATE_LINE = re.compile(r"^\s*[（(]?\s*(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?\s*[)）]?\s*$")
FULL_DATE = re.compile(r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")
# Ages qualify a population ("35-64岁农村妇女"): they do not make a sentence state a figure.
_AGE_WORDS = ("岁", "周岁")


def has_figure(sentence: str) -> bool:
    """True when a sentence states a number other than a date, a year or an age (the package's
    figure parser decides what a number is: :func:`assistant.figures.extract_figures`)."""
    return any(f.unit_word not in _AGE_WORDS for f in extract_figures(sentence))


@dataclass
class ScoredSentence:
    """A sentence of a retrieved passage with its score; ``text == document.text[start:end]``."""

    hit: Hit
    start: int
    end: int
    text: str
    score: float
    match: float = 0.0  # the score before bonuses for holding a figure, the unit asked for or a record field


def is_quotable(sentence: str) -> bool:
    """Headings and title lines say nothing by themselves; they are never the answer.

    Record lines ("文  号: 浙卫发〔2022〕8号"), a notice's signature date ("2022年3月21日") and
    a table row with its headers ("指标：…；2022年目标：37%以上") are short but state a fact of their own.
    """
    if (
        is_record_line(sentence)
        or DATE_LINE.match(sentence)
        or DOC_NUMBER_LINE.fullmatch(sentence.strip())
        or is_table_statement(sentence)
    ):
        return True
    body = sentence.rstrip("。")
    if marker_family(sentence) and ("。" not in body) and len(body) <= 40:
        # "8. 全县…发病率确保控制在120/10万以内" is a heading that states a target: quotable;
        # "三、2024年政府工作任务" is a heading with a year, not a figure.
        return has_figure(re.sub(r"^\s*[（(]?\s*\d+\s*[.．、)）]", "", body))
    if FULL_DATE.search(sentence) and len(sentence) <= 60:
        # "——2024年3月5日在第十四届全国人民代表大会第二次会议上": a title block's dateline.
        return True
    return not (len(sentence) < 40 and not sentence.endswith(("。", "！", "？", "）", ")")))


def states_record_field(sentence: str, fields: tuple[str, ...] | set[str]) -> bool:
    """True when a record line states one of ``fields`` (a notice's signature date is its
    成文日期; a line holding only a document number under its title, its 文号)."""
    # A notice's signature date is its 成文日期 — a whole date: "（2022年1月）" names no day.
    return (
        any(record_fields(sentence).get(label) for label in fields)
        or ("成文日期" in fields and bool(DATE_LINE.match(sentence)) and bool(FULL_DATE.search(sentence)))
        or (bool({"文号", "文件编号"} & set(fields)) and bool(DOC_NUMBER_LINE.fullmatch(sentence.strip())))
    )


class SentenceScorer:
    """Scores the sentences of retrieved passages for a question.

    Args:
        index: the loaded index (sentence rows and vectors).
        searcher: its query embeddings (cached) are reused.
        settings: ``answer_passages``, ``sentence_lexical_weight``, ``rank_penalty``,
            ``figure_bonus``, ``unit_bonus`` and ``record_field_bonus`` are used.
    """

    def __init__(
        self,
        index: PolicyIndex,
        searcher: HybridSearcher,
        settings: Settings | None = None,
        tokenizer: ChineseTokenizer | None = None,
    ) -> None:
        settings = settings or Settings()
        self.index = index
        self.searcher = searcher
        self.tokenizer = tokenizer or index.lexical.tokenizer
        self.passages = settings.answer_passages
        self.lexical_weight = settings.sentence_lexical_weight
        self.rank_penalty = settings.rank_penalty
        self.figure_bonus = settings.figure_bonus
        self.unit_bonus = settings.unit_bonus
        self.record_field_bonus = settings.record_field_bonus

    def score(
        self, question: Question, hits: list[Hit], per_document: bool = False, record_fields: bool = True
    ) -> list[ScoredSentence]:
        """Every quotable sentence of the top passages with its score, best first.

        Sentences are matched against the question's topic (without region and year
        words): the region is settled by retrieval, and a title line that merely repeats
        "2022年浙江省" must not win. With ``per_document`` the passages are the best one of
        each plan and are not penalised for ranking below another plan's.
        """
        if not hits:
            return []
        query_vector = self.searcher.query_vector(question.match_text)
        ratio = question.chinese_share
        terms = question.terms
        query_tokens = set(self.tokenizer.tokenize(question.text)) if ratio >= 0.5 or not terms else set(terms)
        lexical_weight = self.lexical_weight * ratio + (self.lexical_weight * (1 - ratio) if terms else 0.0)
        intents = question.intents
        wants_fields = set(intents.record_fields) if record_fields else set()
        if per_document:
            passages = list({h.chunk.doc_id: h for h in reversed(hits)}.values())[::-1]
        else:
            passages = hits[: self.passages]
        top_score = hits[0].score
        scored: list[ScoredSentence] = []
        for hit in passages:
            rows = self.index.sentence_rows(self.index.row_of[hit.chunk.chunk_id])
            if not rows:
                continue
            similarities = self.index.sentence_vectors[rows.start : rows.stop] @ query_vector
            text = hit.document.text
            penalty = 0.0 if per_document else self.rank_penalty * (hit.score - top_score)
            for sentence_row, similarity in zip(rows, similarities, strict=True):
                sentence = self.index.sentences[sentence_row]
                quote = text[sentence.start : sentence.end]
                if not is_quotable(quote):
                    continue
                overlap = 0.0
                if query_tokens and lexical_weight:
                    words = squeeze_cjk_spaces(quote)
                    overlap = sum(1 for t in query_tokens if t in words) / len(query_tokens)
                score = match = float(similarity) + lexical_weight * overlap + penalty
                if intents.quantity and has_figure(quote):
                    score += self.figure_bonus
                if intents.units and all(u.met_by(quote) for u in intents.units):
                    score += self.unit_bonus
                if wants_fields and states_record_field(quote, wants_fields):
                    # The record line that states the asked field is the answer itself.
                    score += self.record_field_bonus
                scored.append(ScoredSentence(hit, sentence.start, sentence.end, quote, score, match))
        scored.sort(key=lambda s: -s.score)
        # Chunks split with an overlap share a sentence: keep its best-scored copy.
        unique: dict[tuple[str, int], ScoredSentence] = {}
        for sentence in scored:
            unique.setdefault((sentence.hit.chunk.doc_id, sentence.start), sentence)
        return list(unique.values())
