"""From the visual lines of pages to one text: running headers and page numbers dropped, lines
that a page layout broke joined again, every span kept with its page and box.

Used by the text-layer PDF reader and by OCR (which gives the same kind of lines), and — with
``paged=False`` — by the .docx and web-page readers, whose lines are already paragraphs.
"""

from __future__ import annotations

import difflib
import statistics
from dataclasses import dataclass, field

from .cleanup import OUTLINE_MARKER, SENTENCE_END, chrome_key, is_page_number, normalize_chars, squeeze_layout_spaces
from .model import BBox, LineBox, PageSpan, TableSpan


@dataclass
class RawLine:
    """One visual line (or paragraph) before assembly.

    ``table`` is the id of the table whose row this is (rows of one id become one TableSpan, and
    are never joined with anything); ``bbox`` is in PDF points, ``None`` for unpaged formats.
    """

    text: str
    bbox: BBox | None = None
    table: int | None = None
    layout: BBox | None = None  # the box in the upright reading frame when the page image was turned

    @property
    def geometry(self) -> BBox | None:
        """The box that reading order and line joining are decided on."""
        return self.layout or self.bbox


@dataclass
class RawPage:
    """A page's lines in reading order, with its size in points and (for OCR) mean confidence."""

    number: int
    lines: list[RawLine] = field(default_factory=list)
    width: float | None = None
    height: float | None = None
    ocr_confidence: float | None = None
    layout_height: float | None = None  # the height as read, when OCR turned the page a quarter turn


@dataclass
class Assembled:
    """The text and its spans, ready to become a :class:`~assistant.convert.model.Converted`."""

    text: str
    pages: list[PageSpan]
    tables: list[TableSpan]


# Only this many lines at the top and bottom of a page can be running headers, footers or page numbers.
_EDGE_LINES = 2
# Two lines are the same header when their text is this similar (OCR reads a header slightly
# differently on different pages) and they sit at the same height (within this share of the page).
_SAME_TEXT = 0.8
_SAME_HEIGHT = 0.03


def _edge_indexes(page: RawPage) -> list[int]:
    """Indexes of the lines at a page's top and bottom edges that could be chrome (never table rows)."""
    body = [i for i, line in enumerate(page.lines) if line.table is None and line.text.strip()]
    return sorted(set(body[:_EDGE_LINES] + body[-_EDGE_LINES:]))


def _height_share(page: RawPage, line: RawLine) -> float | None:
    height = page.layout_height or page.height
    if line.geometry is None or not height:
        return None
    return line.geometry[1] / height


def _is_repeated(key: str, share: float | None, others: list[tuple[str, float | None]]) -> bool:
    """True when another page holds a line like ``key`` at the same height."""
    for other_key, other_share in others:
        if share is not None and other_share is not None and abs(share - other_share) > _SAME_HEIGHT:
            continue
        if other_key == key or difflib.SequenceMatcher(None, key, other_key).ratio() >= _SAME_TEXT:
            return True
    return False


def drop_page_chrome(pages: list[RawPage]) -> int:
    """Remove running headers, footers and page numbers from ``pages`` in place; returns how many.

    A page number is recognised by its form (— 3 —, 第3页, 3 / 10 …) at a page's top or bottom edge.
    A header or footer is an edge line repeated at the same height on at least two pages and
    on at least 40 % of them (odd/even pages may carry different headers).
    """
    edges = {page.number: [(i, page.lines[i]) for i in _edge_indexes(page)] for page in pages}
    keyed = {
        number: [(chrome_key(line.text), _height_share(page, line)) for _, line in edges[number]]
        for number, page in zip(edges, pages, strict=True)
    }
    needed = max(2, round(0.4 * len(pages)))
    removed = 0
    for page in pages:
        drop = set()
        for (index, line), (key, share) in zip(edges[page.number], keyed[page.number], strict=True):
            if is_page_number(line.text, page.number):
                drop.add(index)
                continue
            # A repeated header says something: lines of figures ("12 |", "≥80") are table cells that
            # merely look alike once their digits are masked.
            if len(pages) < 2 or not any(ch.isalpha() for ch in key):
                continue
            count = 1 + sum(
                1 for other in pages if other.number != page.number and _is_repeated(key, share, keyed[other.number])
            )
            if count >= needed:
                drop.add(index)
        page.lines = [line for i, line in enumerate(page.lines) if i not in drop]
        removed += len(drop)
    return removed


@dataclass
class _Column:
    """Where a page's text column starts and ends and how wide a character is, in points."""

    left: float
    right: float
    em: float


def _column(page: RawPage) -> _Column | None:
    boxed = [(line, line.geometry) for line in page.lines if line.geometry is not None and line.table is None]
    full = [(line, box) for line, box in boxed if len(line.text.replace(" ", "")) >= 8]
    if not full:
        return None
    lefts = sorted(box[0] for _, box in full)
    rights = sorted(box[2] for _, box in full)
    em = statistics.median((box[2] - box[0]) / len(line.text.replace(" ", "")) for line, box in full)
    # The column edges most long lines reach: indented first lines and short last lines are the exceptions.
    return _Column(left=lefts[len(lefts) // 5], right=rights[(len(rights) * 4) // 5], em=max(em, 1.0))


def _continues(prev: RawLine, prev_col: _Column | None, cur: RawLine, cur_col: _Column | None) -> bool:
    """Whether ``cur`` continues the paragraph of ``prev`` (a line the page layout broke)."""
    if prev.table is not None or cur.table is not None or not prev.text or not cur.text:
        return False
    if OUTLINE_MARKER.match(cur.text):
        return False
    ends_sentence = bool(SENTENCE_END.search(prev.text))
    before, after = prev.geometry, cur.geometry
    if before is None or after is None or prev_col is None or cur_col is None:
        return not ends_sentence
    short = before[2] < prev_col.right - 1.5 * prev_col.em
    indented = after[0] > cur_col.left + 0.8 * cur_col.em
    # A line that fills the column and is followed by an unindented line is inside a paragraph, even
    # when a sentence happens to end at its last character; a short line ends its paragraph.
    return not short and not indented


def _glue(prev: str, cur: str) -> str:
    """What goes between two joined lines: a space between Latin words, nothing in Chinese."""
    return " " if prev[-1:].isascii() and prev[-1:].isalnum() and cur[:1].isascii() and cur[:1].isalpha() else ""


def _clean(line: RawLine, paged: bool) -> RawLine:
    text = normalize_chars(line.text)
    text = squeeze_layout_spaces(text) if paged else text.strip()
    return RawLine(text=text, bbox=line.bbox, table=line.table, layout=line.layout)


def assemble(pages: list[RawPage], tables: dict[int, list[str]], paged: bool = True) -> Assembled:
    """Join the lines of ``pages`` into one text with page, line and table spans.

    Input: pages in order, each with lines in reading order; ``tables`` maps a table id to its
    headers. With ``paged`` (PDF, OCR) running headers and page numbers are dropped, layout spaces
    removed, and broken lines joined; without it every line stays a line of its own.
    Output: the text (``\\n`` between paragraphs) and its spans.
    """
    pages = [
        RawPage(
            p.number, [_clean(line, paged) for line in p.lines], p.width, p.height, p.ocr_confidence, p.layout_height
        )
        for p in pages
    ]
    for page in pages:
        page.lines = [line for line in page.lines if line.text]
    if paged:
        drop_page_chrome(pages)
    parts: list[str] = []
    length = 0
    spans: list[PageSpan] = []
    table_spans: list[TableSpan] = []
    prev: RawLine | None = None
    prev_col: _Column | None = None
    open_table: tuple[int, int, int | None] | None = None  # id, start, page

    def close_table() -> None:
        nonlocal open_table
        if open_table is not None:
            table_id, start, page_number = open_table
            table_spans.append(TableSpan(start, length, page_number, list(tables.get(table_id, []))))
            open_table = None

    for page in pages:
        column = _column(page) if paged else None
        span = PageSpan(page.number, length, length, page.ocr_confidence, page.width, page.height)
        first = True
        for line in page.lines:
            joined = paged and prev is not None and _continues(prev, prev_col, line, column)
            if open_table is not None and line.table != open_table[0]:
                close_table()
            if prev is not None:
                piece = _glue(prev.text, line.text) if joined else "\n"
                parts.append(piece)
                length += len(piece)
            start = length
            if first:
                span.start = start
                first = False
            if line.table is not None and open_table is None:
                open_table = (line.table, start, page.number if paged or page.width else None)
            parts.append(line.text)
            length += len(line.text)
            if line.bbox is not None:
                span.lines.append(LineBox(start, length, line.bbox))
            span.end = length
            prev, prev_col = line, column
        spans.append(span)
    close_table()
    return Assembled(text="".join(parts), pages=spans, tables=table_spans)
