"""The assembled system: settings → embedder → index → searcher → answerer → ask chain.

Interfaces (CLI, chat page, evaluation) use :class:`PolicyQA` and nothing below it
needs to know about them.

>>> qa = PolicyQA.open()                       # builds the index on first use
>>> qa.ask("浙江2022年老年医学科比例目标是多少").answer
"""

from __future__ import annotations

import logging

from .answer import ExtractiveAnswerer, build_ask_chain
from .chunking import SectionChunker
from .config import Settings
from .embeddings import Embedder, load_embedder
from .index import BuildReport, IndexBuilder, PolicyIndex
from .lexical import ChineseTokenizer
from .query import QueryAnalyzer
from .retrieval import Filters, HybridRetriever, HybridSearcher
from .schema import Answer, Hit

log = logging.getLogger(__name__)


class PolicyQA:
    """Question answering over one corpus and its index.

    Use :meth:`open` to get one with the index loaded (built first if missing).
    """

    def __init__(self, settings: Settings, embedder: Embedder, tokenizer: ChineseTokenizer | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.tokenizer = tokenizer or ChineseTokenizer()
        self.index: PolicyIndex | None = None
        self.searcher: HybridSearcher | None = None
        self.answerer: ExtractiveAnswerer | None = None
        self.analyzer: QueryAnalyzer | None = None

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
        )
        answerer = ExtractiveAnswerer(
            index,
            searcher,
            self.tokenizer,
            passages=self.settings.answer_passages,
            max_sentences=self.settings.answer_max_sentences,
            abstain_below=(self.settings.abstain_below_zh, self.settings.abstain_below_en),
            min_topic_coverage=self.settings.min_topic_coverage,
        )
        analyzer = QueryAnalyzer(list(index.documents.values()))
        # Swap all together so a concurrent reader never mixes two indexes.
        self.index, self.searcher, self.answerer, self.analyzer = index, searcher, answerer, analyzer

    def search(
        self, query: str, k: int | None = None, filters: Filters | None = None, understand: bool = True
    ) -> list[Hit]:
        """Top passages. Without ``filters``, regions/years named in the query filter (``understand``)."""
        if not understand:
            return self.searcher.search(query, k or self.settings.top_k, filters)
        scope = self.analyzer.analyze(query)
        filters = filters if filters is not None else scope.filters()
        search = self.searcher.search_per_document if scope.compare else self.searcher.search
        return search(query, k or self.settings.top_k, filters, scope.topic, scope.terms)

    def ask(self, question: str, filters: Filters | None = None, k: int | None = None) -> Answer:
        return self.chain(k).invoke({"question": question, "filters": filters})

    def chain(self, k: int | None = None):
        """The LangChain runnable understand → retrieve → answer over the current index."""
        return build_ask_chain(self.searcher, self.answerer, self.analyzer, k or self.settings.top_k)

    def retriever(self, k: int | None = None, filters: Filters | None = None) -> HybridRetriever:
        """A LangChain ``BaseRetriever`` over the current index."""
        return HybridRetriever(searcher=self.searcher, k=k or self.settings.top_k, filters=filters)
