"""What a conversion returns: one text plus where each span of it came from."""

from __future__ import annotations

import bisect
import json
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("text", "pdf", "scan", "mixed", "docx", "html", "image")

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points, origin at the page's top left


@dataclass(frozen=True)
class LineBox:
    """One visual line of a page: ``text[start:end]`` came from the box ``bbox`` (PDF points)."""

    start: int
    end: int
    bbox: BBox


@dataclass
class PageSpan:
    """The characters ``text[start:end]`` came from page ``page`` (1-based).

    ``width``/``height`` are the page size in PDF points (``None`` for formats without pages);
    ``ocr_confidence`` is the mean recognition confidence of an OCRed page (``None`` otherwise);
    ``lines`` locate each visual line, for drawing a box around a cited line on the page image.
    """

    page: int
    start: int
    end: int
    ocr_confidence: float | None = None
    width: float | None = None
    height: float | None = None
    lines: list[LineBox] = field(default_factory=list)


@dataclass(frozen=True)
class TableSpan:
    """``text[start:end]`` holds one table, one statement per body row, each carrying ``headers``."""

    start: int
    end: int
    page: int | None
    headers: list[str]


@dataclass
class Converted:
    """The result of :func:`assistant.convert.convert`.

    ``text`` uses ``\\n`` line ends; ``kind`` is one of :data:`KINDS`; ``pages`` are in page order and
    do not overlap; ``version`` is the converter version that made it (cache entries of another
    version are not used); ``seconds`` is how long the conversion took.
    """

    text: str
    kind: str
    pages: list[PageSpan]
    tables: list[TableSpan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    version: str = ""
    seconds: float = 0.0

    def page_at(self, offset: int) -> PageSpan | None:
        """The page the character at ``offset`` came from (a line break between pages: the next page).

        ``None`` for an offset outside the text or a text without pages.
        """
        if not 0 <= offset < len(self.text):
            return None
        spans = [p for p in self.pages if p.end > p.start]
        starts = [p.start for p in spans]
        index = bisect.bisect_right(starts, offset) - 1
        if index >= 0 and spans[index].start <= offset < spans[index].end:
            return spans[index]
        return spans[index + 1] if index + 1 < len(spans) else None

    def to_json(self) -> str:
        """This result as a JSON string (for the conversion cache)."""
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: str) -> Converted:
        """A result written by :meth:`to_json`; raises ValueError/KeyError/TypeError on anything else."""
        raw: dict[str, Any] = json.loads(data)
        pages = [
            PageSpan(
                page=int(p["page"]),
                start=int(p["start"]),
                end=int(p["end"]),
                ocr_confidence=p["ocr_confidence"],
                width=p["width"],
                height=p["height"],
                lines=[LineBox(int(b["start"]), int(b["end"]), tuple(float(v) for v in b["bbox"])) for b in p["lines"]],
            )
            for p in raw["pages"]
        ]
        tables = [TableSpan(int(t["start"]), int(t["end"]), t["page"], list(t["headers"])) for t in raw["tables"]]
        result = cls(
            text=str(raw["text"]),
            kind=str(raw["kind"]),
            pages=pages,
            tables=tables,
            warnings=[str(w) for w in raw["warnings"]],
            version=str(raw["version"]),
            seconds=float(raw["seconds"]),
        )
        if result.kind not in KINDS or any(p.end > len(result.text) or p.start > p.end for p in pages):
            raise ValueError("not a conversion result")
        return result
