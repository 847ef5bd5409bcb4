"""Evaluation against gold question sets (an interface, shared by the CLI and the page).

- ``metrics``: gold files, per-question scores and summaries
- ``runner``: :func:`run_gold`, a gold set through the system
- ``report``: Markdown report and chart
"""

from .metrics import (
    Evidence,
    GoldFileError,
    GoldQuestion,
    QuestionResult,
    answer_keys,
    load_gold,
    question_sets,
    score_question,
    summarize,
)
from .report import render_markdown, write_report
from .runner import EvalRun, evaluate, extended_corpus, metadata_accuracy, run_gold

__all__ = [
    "EvalRun",
    "Evidence",
    "GoldFileError",
    "GoldQuestion",
    "QuestionResult",
    "answer_keys",
    "evaluate",
    "extended_corpus",
    "load_gold",
    "metadata_accuracy",
    "question_sets",
    "render_markdown",
    "run_gold",
    "score_question",
    "summarize",
    "write_report",
]
