"""The assembled system: settings → embedder → index → searcher → answerer → ask chain.

Interfaces (CLI, chat page, evaluation) use :class:`PolicyQA` and nothing below it
needs to know about them.

>>> qa = PolicyQA.open()                       # builds the index on first use
>>> qa.ask("浙江2022年老年医学科比例目标是多少").answer
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from langchain_core.runnables import Runnable, RunnableLambda

from .answer import ExtractiveAnswerer, build_ask_chain, scoped_search
from .chunking import SectionChunker
from .config import Settings
from .crossdoc import Comparison, CrossDocChecker, ResponsibilityMatch
from .embeddings import Embedder, load_embedder
from .index import BuildReport, IndexBuilder, PolicyIndex
from .lexical import ChineseTokenizer
from .outline import OutlineAnswerer
from .query import QueryAnalyzer
from .references import ReferenceGroup
from .retrieval import Filters, HybridRetriever, HybridSearcher
from .schema import Answer, Hit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Engine:
    """Everything that depends on one loaded index; replaced as a whole on reload."""

    index: PolicyIndex
    searcher: HybridSearcher
    answerer: ExtractiveAnswerer
    analyzer: QueryAnalyzer
    crossdoc: CrossDocChecker
    outline: OutlineAnswerer


class PolicyQA:
    """Question answering over one corpus and its index.

    Use :meth:`open` to get one with the index loaded (built first if missing).
    Safe to share between threads: a rebuild swaps in a new :class:`Engine` in one
    assignment, and every call works on the engine it started with.
    """

    def __init__(self, settings: Settings, embedder: Embedder, tokenizer: ChineseTokenizer | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.tokenizer = tokenizer or ChineseTokenizer()
        self.engine: Engine | None = None
        self._build_lock = threading.Lock()

    @property
    def index(self) -> PolicyIndex:
        return self.engine.index

    @property
    def searcher(self) -> HybridSearcher:
        return self.engine.searcher

    @property
    def answerer(self) -> ExtractiveAnswerer:
        return self.engine.answerer

    @property
    def analyzer(self) -> QueryAnalyzer:
        return self.engine.analyzer

    @classmethod
    def open(cls, settings: Settings | None = None, build_if_missing: bool = True, progress: bool = True) -> PolicyQA:
        settings = settings or Settings.from_env()
        qa = cls(settings, load_embedder(settings.model))
        if not PolicyIndex.exists(settings.index_dir):
            if not build_if_missing:
                PolicyIndex.load(settings.index_dir)  # raises IndexMissingError with the fix
            log.warning(
                "no index in %s yet: building it from %s (first run only)", settings.index_dir, settings.corpus_dir
            )
            qa.build_index(progress=progress)
        else:
            qa.reload()
        return qa

    def chunker(self) -> SectionChunker:
        s = self.settings
        return SectionChunker(s.chunk_max_chars, s.chunk_min_chars, s.chunk_overlap_sentences)

    def build_index(self, rebuild: bool = False, progress: bool = True) -> BuildReport:
        """Update the index from the corpus (incrementally unless ``rebuild``) and load it."""
        builder = IndexBuilder(
            self.settings.corpus_dir, self.settings.index_dir, self.embedder, self.chunker(), self.tokenizer
        )
        with self._build_lock:  # questions go on being answered from the current engine meanwhile
            report = builder.build(rebuild=rebuild, progress=progress)
            self.reload()
        return report

    def reload(self) -> None:
        """(Re)load the live index and the components that depend on it."""
        index = PolicyIndex.load(self.settings.index_dir, self.embedder.info, self.tokenizer)
        searcher = HybridSearcher(
            index,
            self.embedder,
            self.settings.lexical_weight,
            self.settings.sentence_weight,
            self.settings.expansion_weight,
            self.settings.sentence_term_weight,
        )
        answerer = ExtractiveAnswerer(
            index,
            searcher,
            self.tokenizer,
            passages=self.settings.answer_passages,
            max_sentences=self.settings.answer_max_sentences,
            abstain_below=(self.settings.abstain_below_zh, self.settings.abstain_below_en),
            min_topic_coverage=self.settings.min_topic_coverage,
            english_quote_window=self.settings.english_quote_window,
            min_passage_similarity_zh=self.settings.min_passage_similarity_zh,
        )
        analyzer = QueryAnalyzer(list(index.documents.values()), tokenizer=index.lexical.tokenizer)
        crossdoc = CrossDocChecker(index, searcher, answerer, analyzer)
        outline = OutlineAnswerer(index)
        # One assignment: readers see the old engine or the new one, never a mix.
        self.engine = Engine(index, searcher, answerer, analyzer, crossdoc, outline)

    def search(
        self, query: str, k: int | None = None, filters: Filters | None = None, understand: bool = True
    ) -> list[Hit]:
        """Top passages. Without ``filters``, regions/years named in the query filter (``understand``)."""
        engine = self.engine
        if not understand:
            return engine.searcher.search(query, k or self.settings.top_k, filters)
        scope = engine.analyzer.analyze(query)
        filters = filters if filters is not None else scope.filters()
        return scoped_search(engine.searcher, query, k or self.settings.top_k, filters, scope)

    def ask(self, question: str, filters: Filters | None = None, k: int | None = None) -> Answer:
        """A cited answer (or an abstention). Raises ValueError for an empty question."""
        return self.chain(k).invoke({"question": question, "filters": filters})

    def chain(self, k: int | None = None) -> Runnable:
        """The LangChain runnable over the current index.

        "Who is responsible for …" questions are answered from the plans' responsibility
        notes when an item matches, "what does section X contain" questions from the
        outline (its sub-headings); everything else goes understand → retrieve → answer.
        """
        engine = self.engine
        ask_chain = build_ask_chain(
            engine.searcher, engine.answerer, engine.analyzer, k or self.settings.top_k, engine.outline
        )

        def route(inputs: dict) -> Answer:
            question = inputs["question"]
            if question.strip() and engine.crossdoc.is_responsibility_question(question):
                answer = engine.crossdoc.answer_responsibility(question, inputs.get("filters"))
                if answer is not None:
                    return answer
            return ask_chain.invoke(inputs)

        return RunnableLambda(route, name="policyqa")

    def compare(self, topic: str, filters: Filters | None = None) -> Comparison:
        """One row per plan: the best passage about ``topic`` and its values, or "not found"."""
        return self.engine.crossdoc.compare(topic, filters)

    def references(self, query: str | None = None) -> list[ReferenceGroup]:
        """Policies the plans cite (《titles》, 文号, programmes), cited by most plans first."""
        return self.engine.crossdoc.references(query)

    def responsible(
        self, topic: str | None = None, filters: Filters | None = None, department: str | None = None, k: int = 5
    ) -> list[ResponsibilityMatch]:
        """Items with their lead leaders and departments, best match to ``topic`` first."""
        return self.engine.crossdoc.responsible(topic, filters, department, k)

    def retriever(self, k: int | None = None, filters: Filters | None = None) -> HybridRetriever:
        """A LangChain ``BaseRetriever`` over the current index."""
        return HybridRetriever(searcher=self.searcher, k=k or self.settings.top_k, filters=filters)
