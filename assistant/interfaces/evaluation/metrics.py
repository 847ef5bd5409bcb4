"""Scoring retrieval and answers against a gold question set (JSON Lines).

Each gold line: ``{"id", "question", "lang", "type", "evidence": [{"doc", "quote"}],
"answer"}``. A retrieved passage *contains* an evidence quote when the quote's span in
its document lies inside the passage's span.

Metrics (answerable questions unless noted):

* hit@k — some evidence quote is inside one of the top k passages;
* evidence recall@k — share of a question's quotes inside the top k (matters for
  cross-plan and list questions);
* MRR@10, nDCG@10 — rank of the first / all passages with new evidence;
* budget recall@2000 — evidence recall within the first 2,000 characters of retrieved
  text, fair across chunk sizes;
* answer accuracy — the gold answer's key numbers (or, without numbers, its key term)
  appear in the answer;
* abstention precision/recall on ``unanswerable`` and false-abstention rate on the rest.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ...config import DEFAULTS
from ...schema import Answer, Hit
from ...text import TextFileError, read_text_file

BUDGET_CHARS = 2000


class GoldFileError(ValueError):
    """A gold file line is malformed; the message names the line."""


@dataclass(frozen=True)
class Evidence:
    doc: str
    quote: str


@dataclass
class GoldQuestion:
    """One question of a gold set.

    ``status`` is the reply expected (``answered``, ``abstained``, ``near_miss``,
    ``conflict``, ``answered_with_scope_note``), when the set says; ``filters`` explicit
    filters to ask with ({"regions": [...], "years": [...]}); ``nearest`` the statement a
    near-miss reply may point to.
    """

    id: str
    question: str
    lang: str
    type: str
    evidence: list[Evidence]
    answer: str = ""
    status: str = ""
    filters: dict[str, list] = field(default_factory=dict)
    nearest: list[Evidence] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable" and bool(self.evidence)


def question_sets(eval_dir: Path) -> list[Path]:
    """The gold question files under ``eval_dir`` (``*.jsonl`` and ``*/*.jsonl``), sorted.

    A file counts when its first row is a question (has "id" and "question"): the same folders
    also hold other expectations (``compare/expected.jsonl``, ``track/*.jsonl``) that are not.
    """
    found = []
    for path in sorted(eval_dir.glob("*.jsonl")) + sorted(eval_dir.glob("*/*.jsonl")):
        with path.open(encoding="utf-8", errors="replace") as handle:
            first = next((line for line in handle if line.strip()), "")
        try:
            row = json.loads(first)
        except json.JSONDecodeError:
            row = None
        if isinstance(row, dict) and "id" in row and "question" in row:
            found.append(path)
    return found


def load_gold(path: Path, max_bytes: int = DEFAULTS.max_batch_bytes) -> list[GoldQuestion]:
    """Read and validate a gold file; raises GoldFileError naming the bad line."""
    questions, seen = [], set()
    try:
        text = read_text_file(path, max_bytes)
    except TextFileError as err:
        raise GoldFileError(str(err)) from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            evidence = [Evidence(e["doc"], e["quote"]) for e in data.get("evidence", [])]
            question = GoldQuestion(
                id=str(data["id"]),
                question=str(data["question"]),
                lang=str(data.get("lang", "zh")),
                type=str(data.get("type", "fact")),
                evidence=evidence,
                answer=str(data.get("answer", "")),
                status=str(data.get("status", "")),
                filters=dict(data.get("filters") or {}),
                nearest=[Evidence(e["doc"], e["quote"]) for e in data.get("nearest", [])],
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as err:
            raise GoldFileError(f"{path}:{number}: not a gold question ({err})") from err
        if question.id in seen:
            raise GoldFileError(f"{path}:{number}: duplicate id {question.id!r}")
        if not question.question.strip():
            raise GoldFileError(f"{path}:{number}: empty question")
        seen.add(question.id)
        questions.append(question)
    if not questions:
        raise GoldFileError(f"{path}: no questions")
    return questions


def answer_keys(answer: str) -> list[str]:
    """The parts of a gold answer that a correct answer must contain.

    Numbers with their units ("65%", "1.82万", "3-5个") when there are any; otherwise the
    Chinese terms of the answer (a 《title》 or the whole short answer).
    """
    numbers = re.findall(r"\d+(?:\.\d+)?(?:\s*[-—~至]\s*\d+(?:\.\d+)?)?(?:%|‰|万|亿)?", answer)
    numbers = [n for n in numbers if not re.fullmatch(r"20\d\d", n)]  # years are context, not answers
    if numbers:
        return list(dict.fromkeys(numbers))
    titles = re.findall(r"《[^》]+》", answer)
    if titles:
        return titles
    chinese = re.findall(r"[\u4e00-\u9fff“”]{2,}", answer)
    return chinese[:1]


@dataclass
class QuestionResult:
    id: str
    question: str
    lang: str
    type: str
    answerable: bool
    first_rank: int | None  # rank of the first passage with evidence (None if not in depth)
    recall_at_k: float
    ndcg10: float
    budget_recall: float
    answer_correct: bool | None
    abstained: bool | None
    retrieved: list[str] = field(default_factory=list)  # top chunk ids with section, for failure lists
    answer: str = ""
    expected_status: str = ""  # what the gold set expects ("near_miss", "conflict" …), if it says
    status: str = ""  # what the reply claimed
    confidence: float | None = None
    noted: bool = False  # the reply carried a note (e.g. the plan is a county's inside the region asked)


def _significant(ch: str) -> bool:
    return ch.isalnum()


def locate_quote(text: str, quote: str) -> tuple[int, int] | None:
    """Where ``quote`` stands in ``text``: exactly, else ignoring whitespace, punctuation and width
    (a gold quote written from the plan's .txt, found in the same plan read from a PDF, a scan or a
    web page, whose line breaks and punctuation widths differ). None when it is not there."""
    position = text.find(quote)
    if position >= 0:
        return position, position + len(quote)
    wanted = "".join(ch for ch in unicodedata.normalize("NFKC", quote) if _significant(ch))
    if not wanted:
        return None
    kept, offsets = [], []
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch)
        for part in folded:
            if _significant(part):
                kept.append(part)
                offsets.append(i)
    found = "".join(kept).find(wanted)
    if found < 0:
        return None
    return offsets[found], offsets[found + len(wanted) - 1] + 1


def document_named(texts: dict[str, str], doc: str) -> str | None:
    """The corpus file a gold set's ``doc`` means: the same name, else the same stem in another format
    ("zhejiang-2022.txt" is "zhejiang-2022.pdf" in a corpus of PDFs)."""
    if doc in texts:
        return doc
    stem = Path(doc).stem
    return next((name for name in sorted(texts) if Path(name).stem == stem), None)


def _quote_spans(question: GoldQuestion, texts: dict[str, str]) -> list[tuple[str, int, int]]:
    spans = []
    for evidence in question.evidence:
        name = document_named(texts, evidence.doc)
        where = locate_quote(texts[name], evidence.quote) if name else None
        spans.append((name or evidence.doc, *(where or (-1, -1))))
    return spans


def _contains(hit: Hit, span: tuple[str, int, int]) -> bool:
    doc, start, end = span
    return start >= 0 and hit.chunk.source == doc and hit.chunk.start <= start and end <= hit.chunk.end


def score_question(
    question: GoldQuestion, hits: list[Hit], texts: dict[str, str], k: int, answer: Answer | None = None
) -> QuestionResult:
    """Metrics of one question from its ranked hits (and answer, if given)."""
    spans = _quote_spans(question, texts)
    first_rank = None
    found: set[int] = set()
    dcg = 0.0
    gains: list[int] = []  # evidence quotes first found at each of the top 10 ranks
    for rank, hit in enumerate(hits, start=1):
        new = {i for i, s in enumerate(spans) if i not in found and _contains(hit, s)}
        if new and first_rank is None:
            first_rank = rank
        if rank <= 10 and new:
            dcg += len(new) / math.log2(rank + 1)
            gains.append(len(new))
        found |= new
    # Ideal: the same passages best first, any quote not found in a passage of its own
    # (one passage may hold several quotes, so the ideal is not one quote per rank).
    ideal_gains = sorted(gains + [1] * (len(spans) - sum(gains)), reverse=True)[:10]
    ideal = sum(g / math.log2(i + 2) for i, g in enumerate(ideal_gains))
    in_top_k = {i for i, s in enumerate(spans) if any(_contains(h, s) for h in hits[:k])}
    budget_found, used = set(), 0
    for hit in hits:
        if used >= BUDGET_CHARS:
            break
        room = BUDGET_CHARS - used
        for i, (doc, start, end) in enumerate(spans):
            if _contains(hit, (doc, start, end)) and end - hit.chunk.start <= room:
                budget_found.add(i)
        used += len(hit.chunk.text)
    correct = None
    abstained = None
    if answer is not None:
        abstained = answer.abstained
        if question.answerable:
            keys = answer_keys(question.answer)
            quoted = answer.answer + "".join(c.quote for c in answer.citations)
            correct = (not answer.abstained) and bool(keys) and all(key in quoted for key in keys)
    return QuestionResult(
        id=question.id,
        question=question.question,
        lang=question.lang,
        type=question.type,
        answerable=question.answerable,
        first_rank=first_rank,
        recall_at_k=len(in_top_k) / len(spans) if spans else 0.0,
        ndcg10=dcg / ideal if ideal else 0.0,
        budget_recall=len(budget_found) / len(spans) if spans else 0.0,
        answer_correct=correct,
        abstained=abstained,
        retrieved=[f"{h.chunk.chunk_id} {' > '.join(h.chunk.section[-1:])}" for h in hits[:k]],
        answer=answer.answer if answer else "",
        expected_status=question.status,
        status=answer.status.value if answer else "",
        confidence=answer.confidence if answer else None,
        noted=bool(answer and answer.notes),
    )


def summarize(results: list[QuestionResult], k: int) -> dict[str, float | int]:
    """Aggregate metrics over results (see module docstring)."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    summary: dict[str, float | int] = {"questions": len(results), "answerable": len(answerable)}
    if answerable:
        n = len(answerable)
        summary[f"hit@{k}"] = sum(r.first_rank is not None and r.first_rank <= k for r in answerable) / n
        summary["hit@1"] = sum(r.first_rank == 1 for r in answerable) / n
        summary[f"evidence_recall@{k}"] = sum(r.recall_at_k for r in answerable) / n
        summary["mrr@10"] = sum(1 / r.first_rank for r in answerable if r.first_rank and r.first_rank <= 10) / n
        summary["ndcg@10"] = sum(r.ndcg10 for r in answerable) / n
        summary["budget_recall@2000"] = sum(r.budget_recall for r in answerable) / n
        judged = [r for r in answerable if r.answer_correct is not None]
        if judged:
            summary["answer_accuracy"] = sum(bool(r.answer_correct) for r in judged) / len(judged)
            summary["false_abstention_rate"] = sum(bool(r.abstained) for r in judged) / len(judged)
    for expected, claimed, name in (
        ("near_miss", ("near_miss",), "near_miss_marked"),
        ("conflict", ("conflict",), "conflict_stated"),
    ):
        group = [r for r in results if r.expected_status == expected and r.status]
        if group:
            summary[name] = sum(r.status in claimed for r in group) / len(group)
    noted = [r for r in results if r.expected_status == "answered_with_scope_note" and r.status]
    if noted:
        summary["scope_noted"] = sum(r.status == "answered" and r.noted for r in noted) / len(noted)
    judged_unanswerable = [r for r in unanswerable if r.abstained is not None]
    if judged_unanswerable:
        abstained_all = [r for r in results if r.abstained]
        summary["unanswerable"] = len(judged_unanswerable)
        summary["abstention_recall"] = sum(bool(r.abstained) for r in judged_unanswerable) / len(judged_unanswerable)
        summary["abstention_precision"] = (
            sum(not r.answerable for r in abstained_all) / len(abstained_all) if abstained_all else 0.0
        )
    return summary
