"""The assembled system: settings → embedder → index → ask components → cross-document facts.

Interfaces (CLI, chat page, evaluation) use :class:`PolicyQA` and nothing below it
needs to know about them. Every component is built here from one :class:`Settings`,
so a setting reaches the component that uses it (``tests/test_settings.py`` checks).

>>> qa = PolicyQA.open()                       # builds the index on first use
>>> qa.ask("浙江2022年老年医学科比例目标是多少").answer
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.runnables import Runnable

from .ask import AskRequest, FilterPolicy, HybridRetriever, HybridSearcher, QuestionAnalyzer, Router, build_ask_chain
from .ask.extractive import ExtractiveAnswerer
from .ask.gloss import Glossary
from .ask.llm import LLMAnswerer, region_names
from .ask.outline import OutlineAnswerer
from .ask.responsibility import ResponsibilityAnswerer, ResponsibilityFinder, ResponsibilityMatch
from .ask.sentences import SentenceScorer
from .ask.verify import Calibration, Verifier
from .chunking import SectionChunker, YearCoverage
from .config import Settings
from .corpus import CorpusError, Originals
from .crossdoc import (
    Comparison,
    PlanChanges,
    PlanComparer,
    ReferenceGroup,
    ReferenceIndex,
    TargetTracker,
    Track,
    TrackAnswerer,
)  # fmt: skip
from .index import BuildReport, Embedder, IndexBuilder, PolicyIndex, embedder_for
from .index.chunkstore import ChunkStore
from .index.lexical import ChineseTokenizer
from .schema import Answer, Filters, Hit

if TYPE_CHECKING:  # imported when used: pymilvus is optional
    from .index.milvus import MilvusChunkStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Engine:
    """Everything that depends on one loaded index; replaced as a whole on reload."""

    index: PolicyIndex
    analyzer: QuestionAnalyzer
    searcher: HybridSearcher
    scorer: SentenceScorer
    verifier: Verifier
    extractive: ExtractiveAnswerer
    outline: OutlineAnswerer
    responsibilities: ResponsibilityFinder
    router: Router
    comparer: PlanComparer
    references: ReferenceIndex
    tracker: TargetTracker
    llm: LLMAnswerer | None = None  # set when answers may be written by a chat model

    @classmethod
    def build(
        cls, index: PolicyIndex, embedder: Embedder, settings: Settings, store: ChunkStore | None = None
    ) -> Engine:
        """Every component over ``index``, each given the settings it uses; ``store`` runs the
        first retrieval stage (the loaded index itself by default)."""
        analyzer = QuestionAnalyzer(
            list(index.documents.values()), tokenizer=index.lexical.tokenizer, max_chars=settings.max_question_chars
        )
        searcher = HybridSearcher(index, embedder, settings, store)
        scorer = SentenceScorer(index, searcher, settings)
        verifier = Verifier(
            index,
            Calibration.load(settings.verifier_model or None),
            settings.topic_rarest_words,
            settings.topic_mention_share,
            settings.answer_passages,
            settings.entity_max_word_freq,
            settings.min_passage_similarity_zh,
            settings.min_topic_coverage,
        )
        # One term map for the analyser and the English glosses (it is read from disk once).
        extractive = ExtractiveAnswerer(
            index, scorer, verifier, settings, Glossary(analyzer.terms, settings.english_statement_min_coverage)
        )
        outline = OutlineAnswerer(index, settings)
        finder = ResponsibilityFinder(index, searcher, settings)
        tracker = TargetTracker(index, settings, analyzer.terms)
        router = Router(
            analyzer,
            searcher,
            extractive,
            outline,
            ResponsibilityAnswerer(finder, searcher, settings),
            FilterPolicy(settings.filter_policy),
            settings.top_k,
            specialists=[TrackAnswerer(tracker)],
        )
        comparer = PlanComparer(index, analyzer, searcher, scorer, extractive, settings)
        references = ReferenceIndex(index.documents, index.references)
        llm = LLMAnswerer(settings, region_names(index)) if settings.llm_base_url and settings.llm_model else None
        return cls(
            index, analyzer, searcher, scorer, verifier, extractive, outline, finder, router, comparer, references,
            tracker, llm,
        )  # fmt: skip


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
        self._milvus: MilvusChunkStore | None = None  # one connection, re-synchronised on reload

    @property
    def index(self) -> PolicyIndex:
        return self.engine.index

    @property
    def searcher(self) -> HybridSearcher:
        return self.engine.searcher

    @property
    def analyzer(self) -> QuestionAnalyzer:
        return self.engine.analyzer

    @classmethod
    def open(cls, settings: Settings | None = None, build_if_missing: bool = True, progress: bool = True) -> PolicyQA:
        settings = settings or Settings.from_env()
        milvus = None
        if settings.milvus_uri and not PolicyIndex.exists(settings.index_dir):
            # A serve process without a local build: take the one published in Milvus.
            from .index.milvus import MilvusChunkStore

            milvus = MilvusChunkStore.from_settings(settings)
            milvus.fetch(settings.index_dir)
        if not PolicyIndex.exists(settings.index_dir) and not Path(settings.corpus_dir).is_dir():
            # Started outside a project folder: say where we looked, create nothing.
            raise CorpusError(
                f"no index in {Path(settings.index_dir).resolve()} and no corpus folder "
                f"{Path(settings.corpus_dir).resolve()}; run policyqa in a project folder (one with corpus/) "
                "or give --corpus DIR and --index DIR (or POLICYQA_CORPUS_DIR / POLICYQA_INDEX_DIR)"
            )
        qa = cls(settings, embedder_for(settings))
        qa._milvus = milvus  # the connection that fetched the build serves the queries too
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
        return SectionChunker.from_settings(self.settings)

    def builder(self) -> IndexBuilder:
        """The index builder for this corpus, index folder, model and settings."""
        return IndexBuilder(
            self.settings.corpus_dir,
            self.settings.index_dir,
            self.embedder,
            self.chunker(),
            self.tokenizer,
            embed_batch_chars=self.settings.embed_batch_chars,
            min_sentence_chars=self.settings.min_sentence_chars,
            max_plan_chars=self.settings.max_plan_chars,
            originals=self.originals(),
            coverage=YearCoverage.from_settings(self.settings),
        )

    def originals(self) -> Originals:
        """The reader of this corpus's originals (PDF, scans, .docx, web pages), caching conversions in the index."""
        return Originals(self.settings.index_dir / "conversions", self.settings.convert_options())

    def build_index(self, rebuild: bool = False, progress: bool = True) -> BuildReport:
        """Update the index from the corpus (incrementally unless ``rebuild``) and load it."""
        builder = self.builder()
        with self._build_lock:  # questions go on being answered from the current engine meanwhile
            report = builder.build(rebuild=rebuild, progress=progress)
            self.reload()
        return report

    def reload(self) -> None:
        """(Re)load the live index and the components that depend on it."""
        index = PolicyIndex.load(self.settings.index_dir, self.embedder.info, self.tokenizer)
        store = None
        if self.settings.milvus_uri:
            from .index.milvus import MilvusChunkStore

            self._milvus = self._milvus or MilvusChunkStore.from_settings(self.settings)
            store = self._milvus.with_index(index)
        # One assignment: readers see the old engine or the new one, never a mix.
        self.engine = Engine.build(index, self.embedder, self.settings, store)

    def follows_milvus(self) -> bool:
        """True for a process that runs from the build published in Milvus: it has a Milvus
        URI and no corpus folder of its own to build from."""
        return bool(self.settings.milvus_uri) and not Path(self.settings.corpus_dir).is_dir()

    def refresh_from_milvus(self) -> bool:
        """Fetch and load the build published in Milvus when it is not the one loaded (a
        process that :meth:`follows_milvus` only); True when a new build was loaded."""
        if not self.follows_milvus() or self._milvus is None:
            return False
        name = self._milvus.published()
        if not name or name == self.index.path.name:
            return False
        with self._build_lock:  # questions go on being answered from the current engine meanwhile
            self._milvus.fetch(self.settings.index_dir)
            self.reload()
        log.info("now answering from build %s, published in Milvus", name)
        return True

    def follow_milvus(self, every: float, stop: threading.Event) -> None:
        """Look for a newer published build every ``every`` seconds until ``stop`` is set
        (``policyqa serve`` runs this in a thread). A failed look is logged and retried:
        a Milvus restart must not leave a reader on an old build for good."""
        while not stop.wait(every):
            try:
                self.refresh_from_milvus()
            except Exception:
                log.warning("could not look for a newer build in Milvus; retrying in %.0f s", every, exc_info=True)

    def search(
        self, query: str, k: int | None = None, filters: Filters | None = None, understand: bool = True
    ) -> list[Hit]:
        """Top passages. The question's regions and years filter too (``understand``),
        combined with ``filters`` by the router's filter policy; a contradiction gives []."""
        engine = self.engine
        k = k or self.settings.top_k
        if not understand:
            return engine.searcher.search(query, k, filters)
        routed = engine.router.prepare(AskRequest(query, filters, k))
        if routed.decision.conflict:
            return []
        return engine.searcher.search_question(routed.question, k, routed.decision.applied)

    def ask(
        self,
        question: str,
        filters: Filters | None = None,
        k: int | None = None,
        previous: str | None = None,
        answerer: str | None = None,
    ) -> Answer:
        """A cited answer (or a near miss, or an abstention). ``previous`` is the conversation's
        previous question: a follow-up that names only a new region or year ("那常州呢？")
        asks its topic. ``answerer`` ("extractive" or "llm") overrides the setting for this
        question. Raises ValueError for an empty question, or for "llm" without an endpoint."""
        return self.chain(answerer).invoke(AskRequest(question, filters, k, previous))

    def chain(self, answerer: str | None = None) -> Runnable:
        """The ask path as a LangChain runnable: ``AskRequest`` in, :class:`Answer` out."""
        engine = self.engine
        if (answerer or self.settings.answerer) != "llm":
            return build_ask_chain(engine.router)
        if engine.llm is None:
            raise ValueError("the llm answerer needs POLICYQA_LLM_BASE_URL and POLICYQA_LLM_MODEL")
        return build_ask_chain(engine.router, engine.llm)

    def compare(self, topic: str, filters: Filters | None = None) -> Comparison:
        """One row per plan: the best passage about ``topic`` and its values, or "not found"."""
        return self.engine.comparer.compare(topic, filters)

    def track(self, topic: str, filters: Filters | None = None) -> list[Track]:
        """Per region: the target stated for each year beside the result reported for it."""
        return self.engine.tracker.track(topic, filters)

    def changes(self, before: str, after: str) -> PlanChanges:
        """The targets of plan ``after`` against those of plan ``before``: new, dropped, raised …"""
        return self.engine.tracker.changes(before, after)

    def references(self, query: str | None = None) -> list[ReferenceGroup]:
        """Policies the plans cite (《titles》, 文号, programmes), cited by most plans first."""
        return self.engine.references.search(query)

    def responsible(
        self, topic: str | None = None, filters: Filters | None = None, department: str | None = None, k: int = 5
    ) -> list[ResponsibilityMatch]:
        """Items with their lead leaders and departments, best match to ``topic`` first."""
        engine = self.engine
        question = engine.analyzer.analyze(topic) if topic and topic.strip() else None
        return engine.responsibilities.find(question, filters, department, k)

    def retriever(self, k: int | None = None, filters: Filters | None = None) -> HybridRetriever:
        """A LangChain ``BaseRetriever`` over the current index."""
        return HybridRetriever(searcher=self.searcher, k=k or self.settings.top_k, filters=filters)
