"""Running a gold set through the system: one runner for the CLI and the page.

:func:`run_gold` asks every question of a gold set (with the set's filters, if any) and
scores it (:mod:`.metrics`); :class:`EvalRun` holds the results with summaries,
breakdowns and the failing questions.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from ...config import Settings
from ...corpus import CORPUS_SUFFIXES
from ...schema import Answer, Document, Filters, Hit
from .metrics import GoldQuestion, QuestionResult, score_question, summarize

RETRIEVE_DEPTH = 30


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


def filters_of(question: GoldQuestion) -> Filters | None:
    """The explicit filters a gold question is asked with (None for most)."""
    if not question.filters:
        return None
    f = question.filters
    filters = Filters(
        doc_ids=list(f.get("doc_ids", [])),
        regions=list(f.get("regions", [])),
        levels=list(f.get("levels", [])),
        years=[int(y) for y in f.get("years", [])],
    )
    return filters or None


def evaluate(
    questions: list[GoldQuestion],
    search: Callable[[str, int, Filters | None], list[Hit]],
    texts: dict[str, str],
    k: int = 5,
    ask: Callable[[str, Filters | None], Answer] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EvalRun:
    """Run every question through ``search`` (and ``ask`` if given) and score it.

    ``texts`` maps corpus file names to their text, to locate evidence quotes;
    ``progress(done, total)`` is called after each question.
    """
    results = []
    for done, question in enumerate(questions, start=1):
        filters = filters_of(question)
        hits = search(question.question, max(RETRIEVE_DEPTH, k), filters)
        answer = ask(question.question, filters) if ask else None
        results.append(score_question(question, hits, texts, k, answer))
        if progress:
            progress(done, len(questions))
    return EvalRun(results, k)


def run_gold(
    qa, questions: list[GoldQuestion], k: int = 5, progress: Callable[[int, int], None] | None = None
) -> EvalRun:
    """Evaluate ``qa`` (a :class:`~assistant.pipeline.PolicyQA`) on ``questions`` with cut-off ``k``."""
    texts = {d.source: d.text for d in qa.index.documents.values()}
    return evaluate(
        questions,
        lambda q, depth, filters: qa.search(q, depth, filters),
        texts,
        k,
        ask=lambda q, filters: qa.ask(q, filters, k=k),
        progress=progress,
    )


@contextmanager
def extended_corpus(settings: Settings, extra: Path) -> Iterator[Settings]:
    """Settings for a temporary corpus: the corpus plus the plan files in ``extra``, added the
    way a user adds plans (no manifest entries for them), with an index of its own. The
    embedding cache is copied, so only the new files are embedded."""
    files = sorted(p for p in Path(extra).iterdir() if p.suffix.lower() in CORPUS_SUFFIXES)
    if not files:
        raise FileNotFoundError(f"no plan files (.txt/.md) in {extra}")
    with tempfile.TemporaryDirectory(prefix="policyqa-eval-") as tmp:
        corpus, index = Path(tmp) / "corpus", Path(tmp) / "index"
        shutil.copytree(settings.corpus_dir, corpus)
        for path in files:
            shutil.copy(path, corpus / path.name)
        cache = Path(settings.index_dir) / "cache"
        if cache.is_dir():
            shutil.copytree(cache, index / "cache")
        yield replace(settings, corpus_dir=corpus, index_dir=index)


def metadata_accuracy(documents: list[Document], truth_path: Path) -> dict:
    """Region, level and year of each document against a truth file
    ({"documents": {"<file>": {"region", "level", "year"}}}): per document and overall."""
    truth = json.loads(Path(truth_path).read_text(encoding="utf-8"))["documents"]
    by_source = {d.source: d for d in documents}
    rows = {}
    for source, expected in truth.items():
        doc = by_source.get(source)
        got = {"region": doc.region, "level": doc.level, "year": doc.year} if doc else {}
        rows[source] = {
            "expected": {k: expected.get(k) for k in ("region", "level", "year")},
            "inferred": got,
            "right": bool(doc) and all(got[k] == expected.get(k) for k in ("region", "level", "year")),
        }
    right = sum(r["right"] for r in rows.values())
    return {"documents": rows, "right": right, "total": len(rows)}
