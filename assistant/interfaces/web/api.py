"""The page's API: named endpoints with named parameters, returning the CLI's JSON contract.

``/ask``, ``/search``, ``/compare``, ``/refs`` and ``/docs`` are registered with
``gr.api`` (see :func:`register`), so ``gradio_client`` and plain HTTP see the names and
parameter names below, and the page's own events stay out of the API listing. Bad input
is a ``gr.Error`` with a message; no internal path or exception text reaches the client.
Refusals are raised with ``print_exception=False``: they are not server faults, so the
server log keeps tracebacks for real ones.
"""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr

from ...ask.question import QuestionError
from ...pipeline import PolicyQA
from ...schema import Filters
from ...text import clean_text

log = logging.getLogger(__name__)


def _filters(region: str, year: int, plan: str) -> Filters | None:
    filters = Filters(
        regions=[r.strip() for r in region.split(",") if r.strip()],
        years=[int(year)] if year else [],
        doc_ids=[p.strip() for p in plan.split(",") if p.strip()],
    )
    return filters or None


def _question(text: str, what: str = "question") -> str:
    if not (text or "").strip():
        raise gr.Error(f"the {what} is empty", print_exception=False)
    return clean_text(text) or text.strip()  # invisible characters only: a question without content


class PolicyQAApi:
    """The endpoints' functions over one :class:`PolicyQA` (typed: the types name the API)."""

    def __init__(self, qa: PolicyQA) -> None:
        self.qa = qa

    def ask(
        self,
        question: str,
        region: str = "",
        year: int = 0,
        plan: str = "",
        k: int = 5,
        previous: str = "",
        answerer: str = "",
    ) -> dict[str, Any]:
        """A cited answer, as `policyqa ask --json`: status (answered, near_miss, abstained,
        conflict, unavailable), answer, confidence, citations (with glosses) and hits.

        Args:
            question: the question, in Chinese or English.
            region: only plans of these regions (comma-separated names, Chinese or English).
            year: only plans of this year (0: any).
            plan: only these plans (comma-separated doc ids).
            k: passages retrieved (1–30).
            previous: the previous question of the conversation, for follow-ups ("那常州呢？").
            answerer: "extractive" or "llm" (a chat model's answer, checked; needs an endpoint
                configured on the server); empty: the server's default.
        """
        if not 1 <= int(k) <= 30:
            raise gr.Error(f"k must be between 1 and 30 (got {k})", print_exception=False)
        if answerer not in ("", "extractive", "llm"):
            raise gr.Error(f"answerer must be extractive or llm (got {answerer!r})", print_exception=False)
        try:
            answer = self.qa.ask(
                _question(question), _filters(region, year, plan), int(k), previous or None, answerer or None
            )
        except (QuestionError, ValueError) as err:
            raise gr.Error(str(err), print_exception=False) from None
        return answer.to_json()

    def search(self, query: str, k: int = 5, region: str = "", year: int = 0, plan: str = "") -> dict[str, Any]:
        """Ranked passages, as `policyqa search --json`."""
        if not 1 <= int(k) <= 50:
            raise gr.Error(f"k must be between 1 and 50 (got {k})", print_exception=False)
        try:
            hits = self.qa.search(_question(query, "query"), int(k), _filters(region, year, plan))
        except QuestionError as err:
            raise gr.Error(str(err), print_exception=False) from None
        return {"query": query, "hits": [h.to_json() for h in hits]}

    def compare(self, topic: str, region: str = "", year: int = 0) -> dict[str, Any]:
        """One row per plan for a topic, as `policyqa compare --json`."""
        try:
            return self.qa.compare(_question(topic, "topic"), _filters(region, year, "")).to_json()
        except (QuestionError, ValueError) as err:
            raise gr.Error(str(err), print_exception=False) from None

    def refs(self, query: str = "", limit: int = 30) -> dict[str, Any]:
        """The policies the plans cite, as `policyqa refs --json` (all when ``query`` is empty)."""
        groups = self.qa.references(query.strip() or None)[: max(1, int(limit))]
        documents = self.qa.index.documents
        return {"query": query, "references": [g.to_json(documents) for g in groups]}

    def docs(self) -> dict[str, Any]:
        """The plans with their metadata and where each inferred field came from."""
        return {"documents": [d.metadata() for d in self.qa.index.documents.values()]}


def register(api: PolicyQAApi) -> None:
    """Register the endpoints on the Blocks being built (call inside ``with gr.Blocks()``)."""
    for name in ("ask", "search", "compare", "refs", "docs"):
        gr.api(getattr(api, name), api_name=name, concurrency_limit=8)
