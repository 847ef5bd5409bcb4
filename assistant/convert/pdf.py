"""PDF → pages of lines: the text layer where it holds text (pdfplumber: character positions, tables),
OCR where a page is a scan or its text layer is garbage, decided page by page."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .cleanup import count_cjk, garbage_share, normalize_chars, squeeze_layout_spaces
from .errors import ConversionError
from .layout import RawLine, RawPage
from .ocr import ocr_page
from .options import ConvertOptions
from .pdfsafety import open_checked
from .render import open_pdfium, render_pdf_page
from .tables import clean_cell, row_statement, table_text

log = logging.getLogger(__name__)

_GARBAGE = 0.3  # a text layer with more than this share of private-use / (cid:N) characters is unreadable
_IMAGE_PAGE = 0.5  # an image covering more than this share of the page makes a text-poor page a scan
_EDGE_BAND = 0.12  # share of the page height at top and bottom where running headers and footers sit
_INK = 0.0005  # share of dark pixels above which a page without text is not blank
_BLANK_DPI = 24  # resolution of the blank-page check


@dataclass
class PdfPages:
    """What :func:`read_pdf` found: pages of lines, table headers by table id, how each page was read."""

    pages: list[RawPage]
    tables: dict[int, list[str]]
    text_pages: int = 0
    ocr_pages: int = 0
    blank_pages: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class _OpenTable:
    """The last table seen, for continuing it on the next page."""

    table_id: int
    headers: list[str]
    columns: int
    page: int
    at_bottom: bool
    last_row: list[str] | None = None  # the cells of its last body row and the line made of them,
    last_line: RawLine | None = None  # for a row that the page break split in two


def _cell(text: str | None) -> str:
    return squeeze_layout_spaces(normalize_chars(clean_cell(text)))


def _grid(table) -> list[list[str]]:
    """pdfplumber table → grid of strings; a slot covered by a cell merged from above repeats its text."""
    rows = table.extract()
    cells = [row.cells for row in table.rows]
    grid = [[_cell(c) for c in row] for row in rows]
    for r, row in enumerate(cells):
        for c, cell in enumerate(row):
            if cell is not None or r == 0:
                continue
            above = next((cells[k][c] for k in range(r - 1, -1, -1) if cells[k][c] is not None), None)
            row_box = next((x for x in row if x is not None), None)
            if above is not None and row_box is not None and above[3] > (row_box[1] + row_box[3]) / 2:
                source_row = next(k for k in range(r - 1, -1, -1) if cells[k][c] is not None)
                grid[r][c] = grid[source_row][c]
    return grid


def _join_split_row(grid: list[list[str]], previous: _OpenTable) -> list[list[str]]:
    """A continued table whose first row has an empty first cell holds the rest of the row the page
    break split: its cells are appended to that row (whose statement is rewritten) and emptied here."""
    first = grid[0]
    if first[0] or not any(first) or previous.last_row is None or previous.last_line is None:
        return grid
    if len(previous.last_row) != len(first):
        return grid
    merged = [a + b for a, b in zip(previous.last_row, first, strict=True)]
    previous.last_line.text = row_statement(previous.headers, merged)
    previous.last_row = merged
    return [[""] * len(first), *grid[1:]]  # emptied, not removed: row indexes still find their boxes


def _table_lines(page, number: int, state: dict, height: float) -> tuple[list[RawLine], list[tuple], dict]:
    """Tables of a page (ruling lines) → statement lines; returns lines, table bboxes, headers by id."""
    if not (page.lines or page.rects):
        return [], [], {}
    lines: list[RawLine] = []
    boxes = []
    headers: dict[int, list[str]] = {}
    for table in page.find_tables():
        grid = _grid(table)
        if len(grid) < 2 or max(len(r) for r in grid) < 2:
            continue
        boxes.append(table.bbox)
        previous: _OpenTable | None = state.get("open")
        top_free = not any(
            c["top"] < table.bbox[1] and c["top"] > _EDGE_BAND * height for c in page.chars if c["text"].strip()
        )
        continues = (
            previous is not None
            and previous.page == number - 1
            and previous.at_bottom
            and previous.columns == len(grid[0])
            and top_free
        )
        if continues:
            grid = _join_split_row(grid, previous)
            content = table_text(grid, headers=previous.headers)
            table_id = previous.table_id
        else:
            content = table_text(grid)
            table_id = state["next_id"]
            state["next_id"] += 1
        headers[table_id] = content.headers
        for row_index, statement in zip(content.rows, content.statements, strict=True):
            lines.append(RawLine(text=statement, bbox=table.rows[row_index].bbox, table=table_id))
        bottom_free = not any(
            c["top"] > table.bbox[3] and c["top"] < (1 - _EDGE_BAND) * height for c in page.chars if c["text"].strip()
        )
        last = (grid[content.rows[-1]], lines[-1]) if content.rows else (None, None)
        state["open"] = _OpenTable(table_id, content.headers, len(grid[0]), number, bottom_free, *last)
    return lines, boxes, headers


# Reading directions (lines, characters) of a page displayed turned by /Rotate (degrees clockwise).
_DIRECTIONS = {90: ("rtl", "ttb"), 180: ("btt", "rtl"), 270: ("ltr", "btt")}


def _upright_box(box: tuple, rotation: int, width: float, height: float) -> tuple:
    """A box on the displayed (turned) page → the same box on the page as written, for line joining."""
    x0, top, x1, bottom = box
    if rotation == 90:
        return top, width - x1, bottom, width - x0
    if rotation == 180:
        return width - x1, height - bottom, width - x0, height - top
    if rotation == 270:
        return height - bottom, x0, height - top, x1
    return box


def _turned_lines(page) -> list[RawLine]:
    """Lines of a page shown turned by /Rotate: read in the page's own direction, boxes on the display."""
    rotation = int(page.rotation) % 360
    line_dir, char_dir = _DIRECTIONS[rotation]
    directions = {
        "line_dir": line_dir, "char_dir": char_dir, "line_dir_rotated": line_dir, "char_dir_rotated": char_dir,
        "line_dir_render": "ttb", "char_dir_render": "ltr",
    }  # fmt: skip
    width, height = float(page.width), float(page.height)
    lines = []
    for line in page.extract_text_lines(strip=True, return_chars=False, **directions):
        box = (line["x0"], line["top"], line["x1"], line["bottom"])
        lines.append(RawLine(text=line["text"], bbox=box, layout=_upright_box(box, rotation, width, height)))
    return lines


def _text_lines(page, number: int, state: dict) -> tuple[list[RawLine], dict]:
    """The visual lines of a page's text layer, tables as statement lines at their place."""
    if int(page.rotation) % 360 in _DIRECTIONS:
        return _turned_lines(page), {}  # tables of turned pages are read as lines (rare)
    height = float(page.height)
    table_lines, boxes, headers = _table_lines(page, number, state, height)
    loose = page
    for box in boxes:
        loose = loose.outside_bbox(box)
    lines = [
        RawLine(text=line["text"], bbox=(line["x0"], line["top"], line["x1"], line["bottom"]))
        for line in loose.extract_text_lines(strip=True, return_chars=False)
    ]
    if table_lines:
        lines = sorted(lines + table_lines, key=lambda line: line.bbox[1])
    return lines, headers


def _is_blank(document, index: int) -> bool:
    image = render_pdf_page(document, index, _BLANK_DPI, grey=True).convert("L")
    histogram = image.histogram()
    dark = sum(histogram[:200])
    return dark <= _INK * image.width * image.height


def _image_share(page) -> float:
    area = float(page.width * page.height) or 1.0
    return sum(abs((im["x1"] - im["x0"]) * (im["bottom"] - im["top"])) for im in page.images) / area


def _page_kind(page, options: ConvertOptions) -> str:
    """'text' when the text layer can be used, 'ocr' when the page must be read from its image, 'check'
    when it has no text at all (blank or a scan without a text layer: decided by rendering)."""
    text = "".join(c["text"] for c in page.chars)
    visible = [ch for ch in text if not ch.isspace()]
    if not visible:
        return "check"
    if garbage_share(text) > _GARBAGE:
        return "ocr"
    if count_cjk(text) >= options.min_page_cjk:
        return "text"
    # Few Chinese characters: a short page (a date, a signature) keeps its text layer; a page full of
    # non-Chinese characters is a font without a usable ToUnicode map, and one mostly image is a scan.
    if len(visible) >= 2 * options.min_page_cjk or _image_share(page) > _IMAGE_PAGE:
        return "ocr"
    return "text"


def _ocr(document, index: int, number: int, options: ConvertOptions, width: float, height: float) -> RawPage:
    image = render_pdf_page(document, index, options.ocr_dpi, options.max_image_pixels)
    scale = width / image.width  # points per pixel, whatever dpi the size cap left
    read = ocr_page(image, scale, options.min_ocr_confidence)
    return RawPage(number, read.lines, width, height, read.confidence, read.upright_height if read.turned else None)


def read_pdf(
    path: Path,
    name: str,
    options: ConvertOptions,
    check_time: Callable[[], None],
    progress: Callable[[int, int, str], None],
) -> PdfPages:
    """Every page of a PDF as lines; raises ConversionError for password, size or bomb problems."""
    import pdfplumber

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # it logs a warning per glyph of some fonts
    reader = open_checked(path, name, options.max_pages, options.max_unpacked_bytes, options.max_image_pixels)
    count = len(reader.pages)
    del reader
    result = PdfPages(pages=[], tables={})
    state: dict = {"next_id": 0, "open": None}
    chars = 0
    try:
        plumber = pdfplumber.open(str(path), password="")
    except Exception as err:
        raise ConversionError(f"{name}: not a readable PDF ({type(err).__name__})") from None
    with plumber, open_pdfium(path, name) as document:
        for index in range(count):
            check_time()
            number = index + 1
            progress(index, count, f"page {number}/{count}")
            page = plumber.pages[index]
            width, height = float(page.width), float(page.height)
            kind = _page_kind(page, options)
            if kind == "check":
                kind = "blank" if _is_blank(document, index) else "ocr"
            if kind == "text":
                lines, headers = _text_lines(page, number, state)
                result.tables.update(headers)
                turned = int(page.rotation) % 180 == 90
                result.pages.append(RawPage(number, lines, width, height, layout_height=width if turned else None))
                result.text_pages += 1
            elif kind == "ocr":
                raw = _ocr(document, index, number, options, width, height)
                if not raw.lines:
                    result.warnings.append(f"page {number}: no text recognised")
                result.pages.append(raw)
                result.ocr_pages += 1
            else:
                result.pages.append(RawPage(number, [], width, height))
                result.blank_pages += 1
            page.close()
            chars += sum(len(line.text) for line in result.pages[-1].lines)
            if chars > options.max_chars:
                raise ConversionError(
                    f"{name}: more than {options.max_chars:,} characters of text; a plan may have at most that"
                )
    progress(count, count, "done")
    return result
