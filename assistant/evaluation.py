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
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .schema import Answer, Hit

BUDGET_CHARS = 2000
RETRIEVE_DEPTH = 30


class GoldFileError(ValueError):
    """A gold file line is malformed; the message names the line."""


@dataclass(frozen=True)
class Evidence:
    doc: str
    quote: str


@dataclass
class GoldQuestion:
    id: str
    question: str
    lang: str
    type: str
    evidence: list[Evidence]
    answer: str = ""

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable" and bool(self.evidence)


def load_gold(path: Path) -> list[GoldQuestion]:
    """Read and validate a gold file; raises GoldFileError naming the bad line."""
    questions, seen = [], set()
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
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
                )
            except (json.JSONDecodeError, KeyError, TypeError) as err:
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


def _quote_spans(question: GoldQuestion, texts: dict[str, str]) -> list[tuple[str, int, int]]:
    spans = []
    for evidence in question.evidence:
        text = texts.get(evidence.doc)
        position = text.find(evidence.quote) if text is not None else -1
        spans.append((evidence.doc, position, position + len(evidence.quote)))
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
    judged_unanswerable = [r for r in unanswerable if r.abstained is not None]
    if judged_unanswerable:
        abstained_all = [r for r in results if r.abstained]
        summary["unanswerable"] = len(judged_unanswerable)
        summary["abstention_recall"] = sum(bool(r.abstained) for r in judged_unanswerable) / len(judged_unanswerable)
        summary["abstention_precision"] = (
            sum(not r.answerable for r in abstained_all) / len(abstained_all) if abstained_all else 0.0
        )
    return summary


@dataclass
class EvalRun:
    results: list[QuestionResult]
    k: int

    def summary(self) -> dict[str, float | int]:
        return summarize(self.results, self.k)

    def breakdown(self, key: str) -> dict[str, dict[str, float | int]]:
        """Summaries per value of ``key`` ("type" or "lang")."""
        groups: dict[str, list[QuestionResult]] = {}
        for result in self.results:
            groups.setdefault(getattr(result, key), []).append(result)
        return {name: summarize(group, self.k) for name, group in sorted(groups.items())}

    def failures(self) -> list[QuestionResult]:
        """Answerable questions without evidence in the top k, or with a wrong/abstained answer,
        and unanswerable ones that were answered."""
        out = []
        for r in self.results:
            if (r.answerable and (r.first_rank is None or r.first_rank > self.k or r.answer_correct is False)) or (
                not r.answerable and r.abstained is False
            ):
                out.append(r)
        return out

    def to_json(self) -> dict:
        return {
            "k": self.k,
            "summary": self.summary(),
            "by_type": self.breakdown("type"),
            "by_lang": self.breakdown("lang"),
            "failures": [asdict(r) for r in self.failures()],
            "results": [asdict(r) for r in self.results],
        }


def evaluate(
    questions: list[GoldQuestion],
    search: Callable[[str, int], list[Hit]],
    texts: dict[str, str],
    k: int = 5,
    ask: Callable[[str], Answer] | None = None,
) -> EvalRun:
    """Run every question through ``search`` (and ``ask`` if given) and score it.

    ``texts`` maps corpus file names to their text, to locate evidence quotes.
    """
    results = []
    for question in questions:
        hits = search(question.question, max(RETRIEVE_DEPTH, k))
        answer = ask(question.question) if ask else None
        results.append(score_question(question, hits, texts, k, answer))
    return EvalRun(results, k)


# -- reports -----------------------------------------------------------------------------

_HEADLINE = ("hit@{k}", "mrr@10", "ndcg@10", "evidence_recall@{k}", "budget_recall@2000", "answer_accuracy")


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def render_markdown(run: EvalRun, gold_name: str, chart_name: str | None = None) -> str:
    """The human report: headline metrics, breakdowns by type and language, failures."""
    k = run.k
    summary = run.summary()
    lines = [f"# policyqa evaluation — {gold_name}", ""]
    lines += [f"{summary['questions']} questions ({summary['answerable']} answerable), k = {k}.", ""]
    lines += ["| metric | value |", "|---|---|"]
    lines += [f"| {key} | {_fmt(value)} |" for key, value in summary.items() if key not in ("questions", "answerable")]
    if chart_name:
        lines += ["", f"![metrics by type and language]({chart_name})"]
    columns = [c.format(k=k) for c in _HEADLINE] + ["abstention_recall", "false_abstention_rate"]
    for group in ("type", "lang"):
        lines += ["", f"## By {group}", "", "| " + group + " | n | " + " | ".join(columns) + " |"]
        lines.append("|---" * (len(columns) + 2) + "|")
        for name, values in run.breakdown(group).items():
            cells = [_fmt(values.get(c)) for c in columns]
            lines.append(f"| {name} | {values['questions']} | " + " | ".join(cells) + " |")
    failures = run.failures()
    lines += ["", f"## Failing questions ({len(failures)})", ""]
    for r in failures:
        why = []
        if r.answerable and (r.first_rank is None or r.first_rank > k):
            why.append(f"evidence not in top {k} (first at rank {r.first_rank})")
        if r.answer_correct is False:
            why.append("answer lacks the gold key" + (" (abstained)" if r.abstained else ""))
        if not r.answerable and r.abstained is False:
            why.append("should have abstained")
        lines.append(f"- **{r.id}** [{r.type}/{r.lang}] {r.question} — {'; '.join(why)}")
        lines.append(f"  - answer: {' '.join(r.answer.split())[:200]}")
        lines.append("  - retrieved: " + "; ".join(r.retrieved[:3]))
    return "\n".join(lines) + "\n"


def render_chart(run: EvalRun, path: Path) -> None:
    """Bar chart of hit@k, MRR@10 and answer accuracy by question type and by language."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = run.k
    metrics = [f"hit@{k}", "mrr@10", "answer_accuracy"]
    groups = [(f"type: {n}", v) for n, v in run.breakdown("type").items() if n != "unanswerable"]
    groups += [(f"lang: {n}", v) for n, v in run.breakdown("lang").items()]
    groups.append(("all", run.summary()))
    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=110)
    width = 0.8 / len(metrics)
    for i, metric in enumerate(metrics):
        values = [float(v.get(metric, 0.0)) for _, v in groups]
        ax.bar([x + i * width for x in range(len(groups))], values, width, label=metric)
    ax.set_xticks([x + width * (len(metrics) - 1) / 2 for x in range(len(groups))])
    ax.set_xticklabels([name for name, _ in groups], rotation=25, ha="right")
    ax.set_ylim(0, 1.05)
    ax.axhline(0.9, color="grey", linewidth=0.6, linestyle="--")
    ax.set_title("policyqa: retrieval and answer quality by question type and language")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_report(run: EvalRun, gold_name: str, directory: Path) -> tuple[Path, Path]:
    """Write ``<stem>.md`` and ``<stem>.png`` into ``directory``; returns both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = Path(gold_name).stem
    chart = directory / f"{stem}.png"
    render_chart(run, chart)
    markdown = directory / f"{stem}.md"
    markdown.write_text(render_markdown(run, gold_name, chart.name), encoding="utf-8")
    return markdown, chart
