"""The records that flow through policyqa: Document → Chunk → Hit → Answer (with Citations).

Every stage of the pipeline consumes and produces these plain data classes, so a stage
can be tested alone and any stage's output can be serialised with :func:`to_dict`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
    level: str  # "province" | "city" | "county" | "unknown"
    year: int | None
    issuer: str | None = None
    doc_number: str | None = None
    published: str | None = None  # ISO date
    region_en: str | None = None
    text: str = field(default="", repr=False)
    inferred: list[str] = field(default_factory=list)

    def metadata(self) -> dict[str, Any]:
        """Metadata without the text, for manifests and JSON output."""
        data = asdict(self)
        data.pop("text")
        return data


@dataclass
class Chunk:
    """A section (or part of one) of a document, the unit that is indexed and retrieved.

    ``text`` is verbatim ``document.text[start:end]``. ``embed_text`` is what the
    embedder and BM25 see: a context header (region, year, title, section trail)
    followed by the text, so that a paragraph that never names its region is not
    ambiguous.
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
    """A quoted sentence with where it comes from; ``quote == document.text[start:end]``."""

    n: int
    chunk_id: str
    source: str
    title: str
    region: str
    year: int | None
    section: list[str]
    quote: str
    start: int
    end: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    """The answer to one question: text with [n] markers, its citations and the hits used.

    When ``abstained`` is true the documents did not clearly answer; ``answer`` says so
    and ``hits`` are the nearest passages, shown for the user to judge.
    """

    query: str
    answer: str
    abstained: bool
    citations: list[Citation]
    hits: list[Hit]
    filters: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The CLI JSON contract for ``policyqa ask``."""
        return {
            "query": self.query,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "hits": [h.to_json() for h in self.hits],
        }
