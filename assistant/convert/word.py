""".docx → paragraphs in document order; tables as statements carrying their headers.

The package is checked before anything is inflated (total unpacked size of its members), and
every XML part read here is refused if it declares a DOCTYPE or ENTITY (entity-expansion bombs),
then parsed without entity resolution or network access. Comments and processing instructions
in the XML are dropped by the parser.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConversionError
from .layout import RawLine
from .tables import clean_cell, table_text

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _invalid(name: str, why: str) -> ConversionError:
    return ConversionError(f"{name}: not a valid Word document ({why})")


def _parse_part(package: zipfile.ZipFile, part: str, name: str):
    """One XML part of the package, parsed safely; ``None`` when the part is absent."""
    from lxml import etree

    try:
        data = package.read(part)
    except KeyError:
        return None
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, ValueError) as err:
        raise _invalid(name, f"{part} cannot be unpacked: {err}") from None
    head = data.decode("utf-16", "ignore").encode() if data.startswith((b"\xff\xfe", b"\xfe\xff")) else data
    if _DECLARATION.search(head):
        raise ConversionError(f"{name}: {part} declares a DOCTYPE or ENTITY, which Word never writes (refused)")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True
    )
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        raise _invalid(name, f"{part} is not well-formed XML: {err}") from None


def _open_package(path: Path, name: str, max_unpacked: int) -> zipfile.ZipFile:
    if not zipfile.is_zipfile(path):
        raise _invalid(name, "not a zip package")
    try:
        package = zipfile.ZipFile(path)
        members = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise _invalid(name, str(err)) from None
    unpacked = sum(member.file_size for member in members)
    if unpacked > max_unpacked:
        # Checked before decompressing anything (zipfile never inflates a member beyond its declared size).
        package.close()
        raise ConversionError(
            f"{name}: the document unpacks to {unpacked / 1e6:,.0f} MB; at most {max_unpacked / 1e6:,.0f} MB"
        )
    if "word/document.xml" not in package.namelist():
        package.close()
        raise _invalid(name, "it has no word/document.xml")
    return package


# -- numbering: automatic outline markers (一、 （一） 1.) live in numbering.xml, not in the text ------------

_CN = "零一二三四五六七八九"


def _chinese(n: int) -> str:
    if n < 10:
        return _CN[n]
    if n < 20:
        return "十" + (_CN[n % 10] if n % 10 else "")
    if n < 100:
        return _CN[n // 10] + "十" + (_CN[n % 10] if n % 10 else "")
    return str(n)


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                           (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):  # fmt: skip
        while n >= value:
            out, n = out + letters, n - value
    return out


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "chineseLegalSimplified", "ideographTraditional"):
        return _chinese(n)
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "lowerLetter":
        return chr(ord("a") + (n - 1) % 26)
    if fmt == "upperLetter":
        return chr(ord("A") + (n - 1) % 26)
    if fmt in ("lowerRoman", "upperRoman"):
        return _roman(n) if fmt == "lowerRoman" else _roman(n).upper()
    return str(n)


@dataclass
class _Numbering:
    """Level formats per numId and the running counters, to render list markers in document order."""

    levels: dict[str, dict[int, tuple[str, str, int]]] = field(default_factory=dict)  # numId → ilvl → fmt, text, start
    counters: dict[str, dict[int, int]] = field(default_factory=dict)

    @classmethod
    def load(cls, root) -> _Numbering:
        numbering = cls()
        if root is None:
            return numbering
        abstract = {}
        for node in root.iter(f"{W}abstractNum"):
            levels = {}
            for lvl in node.iter(f"{W}lvl"):
                fmt = lvl.find(f"{W}numFmt")
                text = lvl.find(f"{W}lvlText")
                start = lvl.find(f"{W}start")
                levels[int(lvl.get(f"{W}ilvl", "0"))] = (
                    fmt.get(f"{W}val", "decimal") if fmt is not None else "decimal",
                    text.get(f"{W}val", "") if text is not None else "",
                    int(start.get(f"{W}val", "1")) if start is not None else 1,
                )
            abstract[node.get(f"{W}abstractNumId")] = levels
        for num in root.iter(f"{W}num"):
            ref = num.find(f"{W}abstractNumId")
            if ref is not None:
                numbering.levels[num.get(f"{W}numId")] = abstract.get(ref.get(f"{W}val"), {})
        return numbering

    def marker(self, num_id: str, ilvl: int) -> str:
        levels = self.levels.get(num_id)
        if not levels or ilvl not in levels:
            return ""
        counters = self.counters.setdefault(num_id, {})
        counters[ilvl] = counters.get(ilvl, levels[ilvl][2] - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        fmt, text, _ = levels[ilvl]
        if fmt in ("bullet", "none"):
            return ""

        def level_number(match: re.Match) -> str:
            level = int(match.group(1)) - 1
            value = counters.get(level, levels.get(level, ("decimal", "", 1))[2])
            return _format_number(value, levels.get(level, ("decimal",))[0])

        return re.sub(r"%(\d)", level_number, text)


def _style_numbering(styles) -> dict[str, tuple[str, int]]:
    """Paragraph styles that carry their own numbering (Word's numbered heading styles)."""
    found: dict[str, tuple[str, int]] = {}
    if styles is None:
        return found
    for style in styles.iter(f"{W}style"):
        num = style.find(f"{W}pPr/{W}numPr")
        if num is None:
            continue
        num_id = num.find(f"{W}numId")
        ilvl = num.find(f"{W}ilvl")
        if num_id is not None:
            found[style.get(f"{W}styleId")] = (
                num_id.get(f"{W}val"),
                int(ilvl.get(f"{W}val", "0")) if ilvl is not None else 0,
            )
    return found


# -- text --------------------------------------------------------------------------------------------------


def _text(element) -> str:
    """The text of runs under ``element``, skipping the fallback copy of alternate content."""
    out = []
    stack = [element]
    while stack:
        node = stack.pop()
        tag = node.tag
        if not isinstance(tag, str) or tag == MC_FALLBACK:
            continue
        if tag == f"{W}t":
            out.append(node.text or "")
        elif tag == f"{W}tab":
            out.append(" ")
        elif tag in (f"{W}br", f"{W}cr"):
            out.append("\n")
        elif tag in (f"{W}del", f"{W}instrText", f"{W}delText"):
            continue
        stack.extend(reversed(list(node)))
    return "".join(out)


@dataclass
class _Reader:
    name: str
    numbering: _Numbering
    style_numbers: dict[str, tuple[str, int]]
    lines: list[RawLine] = field(default_factory=list)
    tables: dict[int, list[str]] = field(default_factory=dict)

    def paragraph(self, p) -> None:
        marker = ""
        ppr = p.find(f"{W}pPr")
        num = ppr.find(f"{W}numPr") if ppr is not None else None
        style = ppr.find(f"{W}pStyle") if ppr is not None else None
        if num is not None and num.find(f"{W}numId") is not None:
            ilvl = num.find(f"{W}ilvl")
            marker = self.numbering.marker(
                num.find(f"{W}numId").get(f"{W}val"), int(ilvl.get(f"{W}val", "0")) if ilvl is not None else 0
            )
        elif style is not None and style.get(f"{W}val") in self.style_numbers:
            marker = self.numbering.marker(*self.style_numbers[style.get(f"{W}val")])
        text = _text(p)
        for part in (marker + text).split("\n"):
            if part.strip():
                self.lines.append(RawLine(text=part.strip()))

    def table(self, tbl) -> None:
        grid: list[list[str]] = []
        header_rows = 0
        marked = True
        for tr in (c for c in tbl if c.tag == f"{W}tr"):
            row: list[str] = []
            is_header = tr.find(f"{W}trPr/{W}tblHeader") is not None
            for tc in (c for c in tr if c.tag == f"{W}tc"):
                span_node = tc.find(f"{W}tcPr/{W}gridSpan")
                span = int(span_node.get(f"{W}val", "1")) if span_node is not None else 1
                merge = tc.find(f"{W}tcPr/{W}vMerge")
                text = clean_cell("\n".join(_text(p) for p in tc.iter(f"{W}p")))
                col = len(row)
                if merge is not None and merge.get(f"{W}val", "continue") == "continue" and grid:
                    above = grid[-1]
                    text = above[col] if col < len(above) else ""
                # A merged header cell names every column it spans; a merged body cell is said once.
                row.extend([text] + [text if is_header or not grid else ""] * (max(span, 1) - 1))
            grid.append(row)
            if is_header and marked:
                header_rows += 1
            else:
                marked = False
        content = table_text(grid, header_rows if header_rows else None)
        table_id = len(self.tables)
        self.tables[table_id] = content.headers
        for statement in content.statements:
            self.lines.append(RawLine(text=statement, table=table_id))

    def block(self, element) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if tag == f"{W}p":
                self.paragraph(child)
            elif tag == f"{W}tbl":
                self.table(child)
            elif tag in (f"{W}sdt", f"{W}sdtContent", f"{W}customXml", f"{W}ins", f"{W}smartTag"):
                self.block(child)


def read_docx(path: Path, name: str, max_unpacked: int) -> tuple[list[RawLine], dict[int, list[str]]]:
    """Lines of a .docx (paragraphs, heading lines, table statements) and table headers by table id."""
    package = _open_package(path, name, max_unpacked)
    with package:
        document = _parse_part(package, "word/document.xml", name)
        styles = _parse_part(package, "word/styles.xml", name)
        numbering = _parse_part(package, "word/numbering.xml", name)
    body = document.find(f"{W}body")
    if body is None:
        raise _invalid(name, "word/document.xml has no body")
    reader = _Reader(name, _Numbering.load(numbering), _style_numbering(styles))
    reader.block(body)
    return reader.lines, reader.tables
