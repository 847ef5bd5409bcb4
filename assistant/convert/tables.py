"""Table rows → citable statements that carry their column headers.

"指标：家庭医生签约率；2022年目标：75%以上；属性：约束性" — one statement per body row, so a
retrieved row says what each of its numbers means. Every reader (.docx, PDF, web page) first
turns its table into a grid of strings (merged cells already resolved), then calls these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import TABLE_CELL_SEP, TABLE_HEADER_CHARS, TABLE_HEADER_MARK

# A cell that is only a figure ("75%", "≥ 8000", "1.82万", "2022") is data, not a column header.
_FIGURE = re.compile(r"^[\s\d.,，%％‰+\-−~～≥≤<>＞＜约万亿千百个人次元张家所项年/]*$")


@dataclass
class TableText:
    """A table as statements: ``headers`` (one per column, may be empty) and one statement per body
    row; ``rows[i]`` is the index in the input grid of the row ``statements[i]`` came from."""

    headers: list[str]
    statements: list[str]
    rows: list[int]


def clean_cell(text: str | None) -> str:
    """A cell's text on one line: line breaks inside a cell are layout, not content."""
    if not text:
        return ""
    lines = [part.strip() for part in text.splitlines() if part.strip()]
    out = ""
    for part in lines:
        glue = (
            " " if out and out[-1].isascii() and out[-1].isalnum() and part[0].isascii() and part[0].isalnum() else ""
        )
        out += glue + part
    return " ".join(out.split())


def looks_like_header(row: list[str]) -> bool:
    """True when ``row`` reads as column headers: short cells, none of them a bare figure."""
    cells = [c for c in row if c]
    if len(cells) < 2 and len(row) > 1:
        return False
    return bool(cells) and all(len(c) <= TABLE_HEADER_CHARS and not _FIGURE.match(c) for c in cells)


def combine_headers(rows: list[list[str]]) -> list[str]:
    """Several header rows → one header per column: "2022年目标" over "全省" → "2022年目标（全省）"."""
    if not rows:
        return []
    width = max(len(r) for r in rows)
    headers = []
    for col in range(width):
        parts: list[str] = []
        for row in rows:
            cell = row[col] if col < len(row) else ""
            if cell and cell not in parts:
                parts.append(cell)
        headers.append(parts[0] + "".join(f"（{p}）" for p in parts[1:]) if parts else "")
    return headers


def row_statement(headers: list[str], row: list[str]) -> str:
    """One body row as a statement: "header：cell" joined with "；"; cells without a header stand alone."""
    if not headers or len(headers) < 2:
        return TABLE_CELL_SEP.join(c for c in row if c)
    parts = []
    for col, cell in enumerate(row):
        if not cell:
            continue
        header = headers[col] if col < len(headers) else ""
        parts.append(f"{header}{TABLE_HEADER_MARK}{cell}" if header and header != cell else cell)
    return TABLE_CELL_SEP.join(parts)


def table_text(grid: list[list[str]], header_rows: int | None = None, headers: list[str] | None = None) -> TableText:
    """Statements of a table.

    Input: ``grid`` rows of cleaned cell strings; ``header_rows`` how many leading rows are headers
    (``None``: the first row if it looks like one); ``headers`` given instead when the table
    continues one whose header row is on an earlier page (then no row of ``grid`` is a header,
    except a first row repeating those headers).
    Output: the headers and one statement per non-empty body row.
    """
    numbered = [(i, row) for i, row in enumerate(grid) if any(row)]
    width = max((len(r) for _, r in numbered), default=0)
    if headers is not None:
        if numbered and [c for c in numbered[0][1] if c] == [c for c in headers if c]:
            numbered = numbered[1:]
    elif width < 2:
        headers = []
    else:
        if header_rows is None:
            header_rows = 1 if numbered and looks_like_header(numbered[0][1]) else 0
        headers = combine_headers([row for _, row in numbered[:header_rows]])
        numbered = numbered[header_rows:]
    pairs = [(i, row_statement(headers, row)) for i, row in numbered]
    pairs = [(i, s) for i, s in pairs if s]
    return TableText(headers=headers, statements=[s for _, s in pairs], rows=[i for i, _ in pairs])
