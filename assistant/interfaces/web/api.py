"""The page's API: named endpoints with named parameters, returning the CLI's JSON contract.

``/ask``, ``/search``, ``/compare``, ``/refs`` and ``/docs`` are registered with
``gr.api`` (see :func:`register`), so ``gradio_client`` and plain HTTP see the names and
parameter names below, and the page's own events stay out of the API listing. Bad input
is a ``gr.Error`` with a message; no internal path or exception text reaches the client.
Refusals are raised with ``print_exception=False``: they are not server faults, so the
server log keeps tracebacks for real ones.
"""

from __future__ import annotations

import functools
import html
import inspect
import logging
from collections.abc import Callable
from typing import Any

import gradio as gr

from ...ask.question import QuestionError
from ...pipeline import PolicyQA
from ...schema import Filters
from ...text import clean_text, normalize_query

log = logging.getLogger(__name__)


def refuse(message: str) -> gr.Error:
    """A refusal for the client: one line, HTML-escaped (Gradio shows error text as HTML), logged
    without a traceback (a client's mistake is not a server fault)."""
    return gr.Error(html.escape(message), print_exception=False)


def text_param(value: Any, name: str, required: bool = False) -> str:
    """A text parameter: a string (None: empty). Anything else is refused naming ``name``."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise refuse(f"{name} must be text (got {type(value).__name__})")
    if required and not clean_text(value):
        raise refuse(f"the {name} is empty")
    return value


def int_param(value: Any, name: str, low: int, high: int, zero_ok: bool = False) -> int:
    """A whole-number parameter in [low, high] (0 as well with ``zero_ok``): an int, or a string of
    digits as a form sends it. Anything else is refused with a message naming ``name``."""
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    allowed = f"{low}–{high}" + (" (0: any)" if zero_ok else "")
    if number is None:
        raise refuse(f"{name} must be a whole number {allowed} (got {str(value)[:40]!r})")
    if not (low <= number <= high or (zero_ok and number == 0)):
        raise refuse(f"{name} must be between {low} and {high}" + (" or 0" if zero_ok else "") + f" (got {number})")
    return number


def _names(value: Any, name: str) -> list[str]:
    return [part.strip() for part in text_param(value, name).split(",") if part.strip()]


def _filters(region: Any, year: Any, plan: Any) -> Filters | None:
    year = int_param(year, "year", 1949, 2100, zero_ok=True)
    filters = Filters(regions=_names(region, "region"), years=[year] if year else [], doc_ids=_names(plan, "plan"))
    return filters or None


def _question(text: Any, what: str = "question") -> str:
    text = text_param(text, what)
    if not text.strip():
        raise refuse(f"the {what} is empty")
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
        k = int_param(k, "k", 1, 30)
        answerer = text_param(answerer, "answerer").strip()
        if answerer not in ("", "extractive", "llm"):
            raise refuse(f"answerer must be extractive or llm (got {answerer[:40]!r})")
        asked, filters, previous = _question(question), _filters(region, year, plan), text_param(previous, "previous")
        try:
            answer = self.qa.ask(asked, filters, k, previous or None, answerer or None)
        except (QuestionError, ValueError) as err:
            raise refuse(str(err)) from None
        return answer.to_json()

    def search(self, query: str, k: int = 5, region: str = "", year: int = 0, plan: str = "") -> dict[str, Any]:
        """Ranked passages, as `policyqa search --json`."""
        k = int_param(k, "k", 1, 50)
        asked, filters = _question(query, "query"), _filters(region, year, plan)
        try:
            hits = self.qa.search(asked, k, filters)
        except QuestionError as err:
            raise refuse(str(err)) from None
        return {"query": asked, "hits": [h.to_json() for h in hits]}

    def compare(self, topic: str, region: str = "", year: int = 0) -> dict[str, Any]:
        """One row per plan for a topic, as `policyqa compare --json`."""
        asked, filters = _question(topic, "topic"), _filters(region, year, "")
        try:
            return self.qa.compare(asked, filters).to_json()
        except (QuestionError, ValueError) as err:
            raise refuse(str(err)) from None

    def refs(self, query: str = "", limit: int = 30) -> dict[str, Any]:
        """The policies the plans cite, as `policyqa refs --json` (all when ``query`` is empty)."""
        query = normalize_query(text_param(query, "query"))
        limit = int_param(limit, "limit", 1, 10_000)
        groups = self.qa.references(query or None)[:limit]
        documents = self.qa.index.documents
        return {"query": query, "references": [g.to_json(documents) for g in groups]}

    def docs(self) -> dict[str, Any]:
        """The plans with their metadata and where each inferred field came from."""
        return {"documents": [d.metadata() for d in self.qa.index.documents.values()]}


def guarded(fn: Callable) -> Callable:
    """``fn`` whose unexpected exceptions reach the client as one line, never their text: the
    server log keeps the traceback. Generators (streamed chat turns) are guarded too."""
    generic = "服务器内部错误，详情见服务器日志。An internal error occurred; the server log has the details."

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def stream(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise
            except Exception:
                log.exception("%s failed", getattr(fn, "__name__", "handler"))
                raise gr.Error(generic, print_exception=False) from None

        return stream

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception:
            log.exception("%s failed", getattr(fn, "__name__", "handler"))
            raise gr.Error(generic, print_exception=False) from None

    return call


def register(api: PolicyQAApi) -> None:
    """Register the endpoints on the Blocks being built (call inside ``with gr.Blocks()``)."""
    for name in ("ask", "search", "compare", "refs", "docs"):
        gr.api(guarded(getattr(api, name)), api_name=name, concurrency_limit=8)
