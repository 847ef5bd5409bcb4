"""The records that flow through policyqa: Document → Chunk → Hit → Answer (with Citations).

Every stage consumes and produces these plain data classes, so a stage can be tested
alone and any stage's output serialised. They sit on the lowest floor: nothing here
imports another policyqa module but the text helpers (``text``, on the same floor).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from .text import clean_text, normalize_query

# Suffixes that may be dropped in running text: 浙江省 → 浙江, 东海县 → 东海.
_REGION_SUFFIXES = (
    "维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "地区",
    "省", "市", "县", "区", "盟", "旗",
)  # fmt: skip


def short_name(name: str) -> str:
    """浙江省 → 浙江, 连云港市 → 连云港; names that would become one character stay whole."""
    for suffix in _REGION_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class Region:
    """One administrative division, e.g. 东海县 (county) with parents 连云港市 → 江苏省."""

    name: str
    level: str  # "province" | "city" | "county"
    parents: tuple[str, ...] = ()  # nearest first: ("连云港市", "江苏省")

    @property
    def chain(self) -> tuple[str, ...]:
        """The region and its parents, nearest first."""
        return (self.name, *self.parents)

    @property
    def full_name(self) -> str:
        """Province first, as Chinese addresses are written: 江苏省连云港市东海县."""
        return "".join(reversed(self.chain))


@dataclass(frozen=True)
class Page:
    """``Document.text[start:end]`` came from page ``number`` (1-based) of the original file.

    ``ocr_confidence`` is the mean recognition confidence of a page read by OCR (None for a page
    with a text layer), so an answer quoting a doubtful scan can say so.
    """

    number: int
    start: int
    end: int
    ocr_confidence: float | None = None


@dataclass(frozen=True)
class Coverage:
    """A year a document speaks about, and how: ``role`` "planned" (it sets targets or tasks for
    it), "reviewed" (it reports what was done in it) or "mentioned" (it only names it: a
    baseline, a cited year); ``source`` where that was read ("title", "plan year", "review
    section", "target horizon", "text")."""

    year: int
    role: str
    source: str

    @property
    def whole_document(self) -> bool:
        """True when the year holds for the document's text outside its review sections."""
        return self.role != "mentioned" and self.source != "review section"


@dataclass
class Document:
    """One plan in the corpus with its metadata.

    ``text`` is the file's full text, decoded; spans of chunks and citations index into it.
    ``inferred`` names the metadata fields that were guessed from the text rather than
    read from the corpus manifest.
    """

    doc_id: str
    source: str  # file name inside corpus/
    title: str
    region: str
    region_chain: list[str]  # nearest first: ["东海县", "连云港市", "江苏省"]
    level: str  # "national" | "ministry" | "province" | "city" | "county" | "unknown"
    year: int | None
    issuer: str | None = None
    doc_number: str | None = None
    published: str | None = None  # ISO date
    region_en: str | None = None
    text: str = field(default="", repr=False)
    inferred: list[str] = field(default_factory=list)
    # Where each inferred field came from and how sure the inference is:
    # {"region": {"evidence": "title line", "confidence": 0.9}}
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Earlier years the plan reviews (a 2024 report's "2023年工作回顾"): set at index time.
    reviews: list[int] = field(default_factory=list)
    # Every year the document plans, reviews or mentions (set at index time, see
    # assistant.chunking.coverage): a "2022年工作总结和2023年工作要点" covers both years.
    covers: list[Coverage] = field(default_factory=list)
    # Provenance: who added the plan and when (None: placed in the corpus folder directly),
    # whether an editor has confirmed an upload, and the other plans (doc ids) that claim the
    # same region and year (set at index time) — a planted "second" plan cannot pass unmarked.
    added_by: str | None = None
    added_at: str | None = None
    confirmed: bool = True
    same_scope: list[str] = field(default_factory=list)
    # What the original file is ("text", "pdf", "scan", "mixed", "docx", "html", "image") and, for a
    # paged original, the page of every span of ``text`` (empty for formats without pages).
    kind: str = "text"
    pages: list[Page] = field(default_factory=list)

    def __post_init__(self) -> None:
        # A loaded index gives plain dicts (documents.json).
        self.pages = [p if isinstance(p, Page) else Page(**p) for p in self.pages]
        self.covers = [c if isinstance(c, Coverage) else Coverage(**c) for c in self.covers]

    def covered_years(self, roles: tuple[str, ...] = ("planned", "reviewed")) -> set[int]:
        """The years the document covers in these roles, its own year always among them."""
        years = {c.year for c in self.covers if c.role in roles}
        return years | ({self.year} if self.year else set())

    def whole_document_years(self) -> set[int]:
        """Years every passage outside a review section is about: the plan year, the years of
        its title, the horizons of its targets."""
        return {c.year for c in self.covers if c.whole_document} | ({self.year} if self.year else set())

    def page_at(self, offset: int) -> Page | None:
        """The page the character at ``offset`` came from, or None (no pages, or outside them)."""
        for page in self.pages:
            if page.start <= offset < page.end:
                return page
        following = [p for p in self.pages if p.start > offset]
        return following[0] if following and 0 <= offset < len(self.text) else None

    def region_names(self) -> set[str]:
        """Every name a region filter may use for this plan: each region of its chain in full
        and short form (江苏省, 江苏), and its English name in lower case."""
        names = {n for r in self.region_chain for n in (r, short_name(r))}
        if self.region_en:
            names.add(self.region_en.lower())
        return names

    def cautions(self) -> list[str]:
        """What a reader must know before trusting a quote from this plan (bilingual), or []."""
        out = []
        if not self.confirmed:
            when = f"，{self.added_at[:10]}" if self.added_at else ""
            out.append(
                f"未经确认的上传（{self.added_by or '未知'}{when}） unconfirmed upload by {self.added_by or 'unknown'}"
            )
        if self.same_scope:
            others = ", ".join(self.same_scope)
            out.append(f"另有计划声称同一地区和年份：{others} another plan claims the same region and year: {others}")
        return out

    def metadata(self) -> dict[str, Any]:
        """Metadata without the text, for manifests and JSON output."""
        data = asdict(self)
        data.pop("text")
        return data


class ChunkKind(str, Enum):
    """What a chunk holds: plan content, or the publisher's record (文号, 公开日期 …)."""

    BODY = "body"
    RECORD = "record"


@dataclass(slots=True)  # many per plan: no per-object __dict__
class Chunk:
    """A section (or part of one) of a document, the unit that is indexed and retrieved.

    ``text`` is verbatim ``document.text[start:end]``. ``embed_text`` is what the
    embedder and BM25 see: a context header (region, year, title, section trail)
    followed by the text, so that a paragraph that never names its region is not
    ambiguous; it is set by the chunker and stored, but left empty in a loaded index
    (no query needs it). ``chunk_id`` is made by :meth:`make_id` and never parsed: the chunk's
    document is ``doc_id``.
    """

    chunk_id: str
    doc_id: str
    source: str
    section: list[str]  # heading trail from the top: ["六、积极应对人口老龄化", "(二十三)强化老龄健康服务。"]
    text: str
    start: int
    end: int
    embed_text: str = ""
    fields: dict[str, str] = field(default_factory=dict)  # e.g. {"牵头领导": "王成江", "责任科室": "医政科"}
    kind: ChunkKind = ChunkKind.BODY
    # The year the chunk's statements are about when it is not the plan's own year: a
    # report of 2024 reviewing 2023 ("2023年工作回顾") has about_year 2023.
    about_year: int | None = None

    def __post_init__(self) -> None:
        self.kind = ChunkKind(self.kind)

    @staticmethod
    def make_id(doc_id: str, start: int, end: int) -> str:
        return f"{doc_id}:{start}-{end}"

    @property
    def is_record(self) -> bool:
        return self.kind is ChunkKind.RECORD


@dataclass
class Filters:
    """Restrict retrieval to some plans. Empty lists mean no restriction.

    ``regions`` match a plan's region or any of its parents, by full or short name or
    English name: "江苏" matches 常州市 and 东海县 plans. ``years`` match a year the plan
    covers (:class:`Coverage`): its own, the years of its title, the horizon of its targets,
    or the year a passage reviews (a 2024 report's review of 2023 matches 2023).
    """

    doc_ids: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Typed in a box or sent by a client: "浙\u200d江", "遂寧", "Ｚｈｅｊｉａｎｇ" name 浙江, 遂宁, Zhejiang.
        self.regions = [name for name in (normalize_query(str(r)) for r in self.regions) if name]
        self.doc_ids = [name for name in (clean_text(str(d)) for d in self.doc_ids) if name]
        self.levels = [name for name in (clean_text(str(v)).lower() for v in self.levels) if name]

    def __bool__(self) -> bool:
        return bool(self.doc_ids or self.regions or self.levels or self.years)

    def accepts_chunk(self, document: Document, chunk: Chunk) -> bool:
        """True when the chunk's plan passes and a year it is about is asked for: the year its
        review section reviews, else a year the whole document covers (its plan year, the
        years of its title, the horizons of its targets)."""
        if not self.accepts(document, years=False):
            return False
        if not self.years or document.year in self.years:
            return True
        if chunk.about_year is not None:
            return chunk.about_year in self.years
        return bool(document.whole_document_years() & set(self.years))

    def accepts(self, document: Document, years: bool = True) -> bool:
        """True when the plan passes every filter (``years=False``: all but the year)."""
        if self.doc_ids and document.doc_id not in self.doc_ids and document.source not in self.doc_ids:
            return False
        if years and self.years and not document.covered_years() & set(self.years):
            return False
        if self.levels and document.level not in self.levels:
            return False
        if self.regions:
            names = document.region_names()
            if not any(r in names or r.lower() in names for r in self.regions):
                return False
        return True

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v}


@dataclass
class Hit:
    """A chunk returned for a query with its fused score and rank (1-based)."""

    rank: int
    score: float
    chunk: Chunk
    document: Document
    dense_score: float = 0.0
    lexical_score: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The ``hits[]`` object of the CLI JSON contract."""
        return {
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "chunk_id": self.chunk.chunk_id,
            "doc_id": self.chunk.doc_id,
            "source": self.chunk.source,
            "title": self.document.title,
            "region": self.document.region,
            "year": self.document.year,
            "section": list(self.chunk.section),
            "text": self.chunk.text,
            "start": self.chunk.start,
            "end": self.chunk.end,
        }


@dataclass
class Citation:
    """A quoted span with where it comes from; ``quote == document.text[start:end]``.

    Made by :meth:`of` only, so every citation carries the same fields the same way.
    """

    n: int
    chunk_id: str
    doc_id: str
    source: str
    title: str
    region: str
    year: int | None
    section: list[str]
    quote: str
    start: int
    end: int
    about_year: int | None = None  # set when the cited passage reviews another year
    gloss: str = ""  # an English gloss of what the quote states (ours, not the plan's words)
    caution: str = ""  # the plan's provenance warnings (Document.cautions), "" when none
    page: int | None = None  # the page of a paged original (PDF, scan) the quote starts on
    ocr_confidence: float | None = None  # that page's OCR confidence when it was read by OCR

    def page_label(self, low_ocr_confidence: float = 0.85) -> str:
        """Where on the original the quote stands, for readers: "第3页 p. 3", with a warning when
        the page was read by OCR below ``low_ocr_confidence``; "" for originals without pages."""
        if self.page is None:
            return ""
        label = f"第{self.page}页 p. {self.page}"
        if self.ocr_confidence is not None and self.ocr_confidence < low_ocr_confidence:
            score = f"{self.ocr_confidence:.2f}"
            label += f"（OCR 识别置信度 {score}，请核对原件 read by OCR at {score}: check the original）"
        return label

    @classmethod
    def of(cls, n: int, document: Document, chunk: Chunk, start: int, end: int, section: list[str] | None = None):
        """The citation of ``document.text[start:end]``, inside ``chunk`` (its passage)."""
        return cls(
            n=n,
            chunk_id=chunk.chunk_id,
            doc_id=document.doc_id,
            source=document.source,
            title=document.title,
            region=document.region,
            year=document.year,
            section=list(chunk.section if section is None else section),
            quote=document.text[start:end],
            start=start,
            end=end,
            about_year=chunk.about_year,
            caution="; ".join(document.cautions()),
            page=page.number if (page := document.page_at(start)) else None,
            ocr_confidence=page.ocr_confidence if page else None,
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Route(str, Enum):
    """How a question was answered; decided once, by the router."""

    UNAVAILABLE = "unavailable"  # names a region/year the corpus has no plan for
    CONFLICT = "conflict"  # explicit filters contradict the question
    RESPONSIBILITY = "responsibility"  # who leads / which department: from the responsibility notes
    OUTLINE = "outline"  # what a section consists of: its sub-headings
    RECORD = "record"  # a field of the publisher's record (文号, 公开日期 …)
    EXTRACTIVE = "extractive"  # quoted sentences
    COMPARISON = "comparison"  # quoted sentences, one plan per line
    TRACK = "track"  # a target beside its result, or two plans' targets (crossdoc.track)


class Status(str, Enum):
    """What a reply claims. Only ``answered`` claims to answer the question."""

    ANSWERED = "answered"
    ABSTAINED = "abstained"
    NEAR_MISS = "near_miss"
    CONFLICT = "conflict"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Scope:
    """What a question names about where and when, as understood (for showing the user)."""

    regions: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    levels: tuple[str, ...] = ()
    unavailable: tuple[str, ...] = ()  # named regions/years with no plan in the corpus
    compare: bool = False
    # Named years no document covers but some mention (a baseline, a period's end): searched
    # in the documents, and the evidence must state them.
    mentioned_years: tuple[int, ...] = ()

    def filters(self) -> Filters | None:
        """The filters the question itself implies (None when it names no plan)."""
        if not (self.regions or self.years or self.levels):
            return None
        return Filters(regions=list(self.regions), years=list(self.years), levels=list(self.levels))

    def to_json(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items() if v}


@dataclass
class Answer:
    """The reply to one question: text with [n] markers, its citations and the hits used.

    ``status`` says what the reply claims (see :class:`Status`); ``abstained`` is true for
    every reply that does not claim to answer. ``route`` is how it was answered,
    ``applied`` the filters retrieval actually used and ``scope`` what the question named.
    ``notes`` are facts about the reply the user must see (e.g. that the cited plan is a
    county's, not the region's asked about); ``not_mentioned`` the topic phrases absent
    from the passages.
    """

    query: str
    answer: str
    status: Status
    citations: list[Citation]
    hits: list[Hit]
    route: Route = Route.EXTRACTIVE
    applied: Filters | None = None
    scope: Scope = field(default_factory=Scope)
    notes: list[str] = field(default_factory=list)
    not_mentioned: list[str] = field(default_factory=list)
    confidence: float | None = None
    checks: dict[str, Any] = field(default_factory=dict)
    # Why a reply does not claim to answer: the rule or check that decided it
    # ("weak_evidence", "off_topic", "topic_not_mentioned", "no_figure_in_unit", …).
    reason: str = ""
    # The direct answer lines put first: the figure each cited plan states.
    summary: list[str] = field(default_factory=list)

    @property
    def abstained(self) -> bool:
        return self.status is not Status.ANSWERED

    def to_json(self) -> dict[str, Any]:
        """The CLI JSON contract for ``policyqa ask``."""
        return {
            "query": self.query,
            "answer": self.answer,
            "abstained": self.abstained,
            "status": self.status.value,
            "route": self.route.value,
            "reason": self.reason,
            "confidence": None if self.confidence is None else round(self.confidence, 3),
            "filters": self.applied.to_json() if self.applied else {},
            "scope": self.scope.to_json(),
            "notes": list(self.notes),
            "summary": list(self.summary),
            "checks": self.checks,
            "citations": [c.to_json() for c in self.citations],
            "hits": [h.to_json() for h in self.hits],
        }
