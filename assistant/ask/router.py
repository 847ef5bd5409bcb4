"""One path for a question: analyse → combine filters → route → answer, as a LangChain runnable.

:class:`Router` decides, in one place and in this order, how a question is answered:

1. **conflict** — explicit filters contradict the plans the question names (see
   :class:`~.filters.FilterPolicy`): said so, nothing quoted as the answer;
2. **responsibility** — "谁负责…/which department": the best responsibility item, if
   one matches well enough (else the question goes on down the list);
3. **unavailable** — the question names a region or year the corpus has no plan for;
4. **outline** — "X包括哪几项": the section's sub-headings, if a heading matches;
5. **record** / **comparison** / **extractive** — quoted sentences (record chunks
   searched; one plan per line; the best sentences).

:func:`build_ask_chain` composes the stages as LangChain runnables with typed records
between them: :class:`AskRequest` → :class:`RoutedQuestion` → :class:`~assistant.schema.Answer`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from langchain_core.runnables import Runnable, RunnableLambda

from ..schema import Answer, Filters, Route, Status
from .extractive import ExtractiveAnswerer
from .filters import FilterDecision, FilterPolicy
from .llm import LLMAnswerer
from .outline import OutlineAnswerer
from .question import Question, QuestionAnalyzer
from .responsibility import ResponsibilityAnswerer
from .retrieval import HybridSearcher


@dataclass(frozen=True)
class AskRequest:
    """What a caller asks: the question's text, explicit filters and how many passages."""

    question: str
    filters: Filters | None = None
    k: int | None = None
    previous: str | None = None  # the conversation's previous question, for follow-ups ("那常州呢？")


@dataclass(frozen=True)
class RoutedQuestion:
    """A question after analysis: the typed record, the filter decision and k."""

    question: Question
    decision: FilterDecision
    k: int


class Router:
    """Decides how a question is answered and answers it (see the module docstring).

    Args:
        analyzer: turns the question's text into a :class:`Question`.
        searcher: retrieval.
        extractive, outline, responsibility: the answerers of each route.
        policy: how explicit filters and the question's own combine.
        top_k: passages retrieved when the request does not say.
        specialists: answerers of later stages, each a callable taking the routed question
            and returning an :class:`Answer`, or None to pass it on.
    """

    def __init__(
        self,
        analyzer: QuestionAnalyzer,
        searcher: HybridSearcher,
        extractive: ExtractiveAnswerer,
        outline: OutlineAnswerer,
        responsibility: ResponsibilityAnswerer,
        policy: FilterPolicy = FilterPolicy.BOTH_MUST_HOLD,
        top_k: int = 5,
        specialists: Sequence[Callable[[RoutedQuestion], Answer | None]] = (),
    ) -> None:
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1 (got {top_k})")
        # Answerers of later stages (targets against results: crossdoc.track) handed in by the
        # pipeline, tried in order before the routes of this stage; None passes the question on.
        self.specialists = tuple(specialists)
        self.analyzer = analyzer
        self.searcher = searcher
        self.extractive = extractive
        self.outline = outline
        self.responsibility = responsibility
        self.policy = policy
        self.top_k = top_k

    def prepare(self, request: AskRequest) -> RoutedQuestion:
        """Analyse the question once and combine its filters with the explicit ones."""
        k = self.top_k if request.k is None else request.k
        if k < 1:
            raise ValueError(f"k must be at least 1 (got {k})")
        previous = self.analyzer.analyze(request.previous) if request.previous and request.previous.strip() else None
        question = self.analyzer.follow_up(request.question, previous)
        decision = self.policy.combine(request.filters, question.scope, self.analyzer.documents)
        return RoutedQuestion(question, decision, k)

    def respond(self, routed: RoutedQuestion) -> Answer:
        """The answer along the first route that applies, with a note when the plans quoted
        lie inside the region asked about rather than being its own, and when the question
        took its topic from the previous one."""
        answer = self.provenance_note(self.scope_note(routed.question, self._respond(routed)))
        question = routed.question
        if question.inherited:
            if question.english:
                where = ", ".join([*question.scope.regions, *map(str, question.scope.years)])
                note = f"Follow-up: “{question.inherited}” asked again for {where}."
            else:
                note = f"（接上一问：{question.inherited}）"
            answer.answer = note + "\n" + answer.answer
            answer.notes.insert(0, note)
            answer.query = question.text
        return answer

    def _respond(self, routed: RoutedQuestion) -> Answer:
        question, decision, k = routed.question, routed.decision, routed.k
        applied = decision.applied
        if not question.has_content:
            text = "请就这些卫生健康工作计划提问。Please ask a question about the plans."
            return Answer(question.text, text, Status.ABSTAINED, [], [], route=Route.EXTRACTIVE, reason="no_content")
        if question.names_only and not question.inherited:
            # "那常州呢？" after 清空对话 or as a first question: nothing to take the topic from.
            text = (
                f"“{question.text}” names only a place or year, and there is no previous question to "
                "follow. Please ask a whole question, e.g. “What is Changzhou's 2020 target for family "
                "doctor contracting?”"
                if question.english
                else f"“{question.text}”只给出了地区或年份，没有可接续的上一个问题。请完整提问，例如"
                "“常州市2020年家庭医生签约的目标是什么？”"
            )
            return Answer(question.text, text, Status.ABSTAINED, [], [], route=Route.EXTRACTIVE, reason="no_topic")
        if decision.conflict:
            return self._conflict(question, decision)
        for specialist in self.specialists:
            answer = specialist(routed)
            if answer is not None:
                return answer
        if question.intents.responsibility:
            threshold = self.extractive.threshold(question)
            answer = self.responsibility.answer(question, applied, threshold, k)
            if answer is not None:
                return answer
        hits = self.searcher.search_question(question, k, applied)
        scope = question.scope
        if scope.unavailable and (not scope.regions or any(u.endswith("年") for u in scope.unavailable)):
            return self._unavailable(question, hits)
        if question.intents.parts:
            answer = self.outline.answer(question, applied)
            if answer is not None:
                return answer
        if question.intents.record_fields:
            route = Route.RECORD
        elif question.intents.compare:
            route = Route.COMPARISON
        else:
            route = Route.EXTRACTIVE
        return self.extractive.answer(question, hits, applied, route)

    def ask(self, request: AskRequest) -> Answer:
        return self.respond(self.prepare(request))

    @staticmethod
    def provenance_note(answer: Answer) -> Answer:
        """Mark, in the first lines, every cited plan that is an unconfirmed upload or that
        shares its region and year with another plan: such a quote is not yet to be trusted."""
        marks: dict[str, list[int]] = {}
        cautions: dict[str, str] = {}
        for c in answer.citations:
            if c.caution:
                marks.setdefault(c.doc_id, []).append(c.n)
                cautions[c.doc_id] = c.caution
        if not marks:
            return answer
        notes = [
            f"⚠ {''.join(f'[{n}]' for n in dict.fromkeys(ns))} {doc_id}: {cautions[doc_id]}"
            for doc_id, ns in marks.items()
        ]
        answer.answer = "\n".join(notes) + "\n" + answer.answer
        answer.notes.extend(notes)
        return answer

    def scope_note(self, question: Question, answer: Answer) -> Answer:
        """Say in the first line when the plans quoted are not the region's own.

        "江苏省2021年…" has no plan of 江苏省 itself; quoting 东海县's plan is right only
        when the answer says so first.
        """
        own = {d.region for d in self.analyzer.documents}
        wider = [r for r in question.scope.regions if r not in own]
        if not wider or not answer.citations:
            return answer
        cited = list(dict.fromkeys((c.region, c.year) for c in answer.citations if c.region not in wider))
        if not cited:
            return answer
        if question.english:
            names = {d.region: d.region_en or d.region for d in self.analyzer.documents}
            plans = ", ".join(f"{names.get(r, r)} ({r}) {y or ''}".strip() for r, y in cited)
            note = f"There is no plan of {'/'.join(wider)} itself; quoted instead: {plans}, which lie inside it."
        else:
            plans = "、".join(f"{r}{y or ''}年" for r, y in cited)
            note = f"{'、'.join(wider)}没有自己的计划；以下引自其辖区内的{plans}计划。"
        answer.answer = note + "\n" + answer.answer
        answer.notes.append(note)
        return answer

    def _unavailable(self, question: Question, hits) -> Answer:
        """Abstain because the question names a region or year the corpus has no plan for."""
        missing = "、".join(question.scope.unavailable)
        plans = self.analyzer.available_plans()
        if question.english:
            text = f"The documents have no plan for {missing}, so they cannot answer this. Plans available: {plans}."
        else:
            text = f"文件库中没有{missing}的计划，无法回答。现有计划：{plans}。"
        return Answer(
            question.text, text, Status.UNAVAILABLE, [], hits, route=Route.UNAVAILABLE, scope=question.scope,
            reason="no_plan",
        )  # fmt: skip

    @staticmethod
    def _conflict(question: Question, decision: FilterDecision) -> Answer:
        if question.english:
            text = f"Not answered: {decision.conflict_en}. Clear the filters or change the question."
        else:
            text = f"未作回答：{decision.conflict}。请清除筛选条件或修改问题。"
        return Answer(
            question.text, text, Status.CONFLICT, [], [], route=Route.CONFLICT, scope=question.scope,
            notes=[decision.conflict_en or ""], reason="filter_conflict",
        )  # fmt: skip


def build_ask_chain(router: Router, llm: LLMAnswerer | None = None) -> Runnable:
    """analyse → route and answer (→ LLM rewrite, checked), as a LangChain runnable:
    :class:`AskRequest` in, Answer out. With ``llm``, answered replies are rewritten by the
    chat model and checked number by number (:mod:`assistant.ask.llm`)."""
    chain = RunnableLambda(router.prepare, name="analyse") | RunnableLambda(router.respond, name="answer")
    return chain if llm is None else chain | RunnableLambda(llm.rewrite, name="llm answer")
