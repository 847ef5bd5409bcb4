""".html / .htm (a saved portal page) → the lines of its main text; tables as statements.

No script is ever run: the page is parsed as data (lxml) and its main text picked by trafilatura,
with a plainer lxml reading when trafilatura keeps little. Data tables are turned into
header-carrying statements before that and put back where they stood.
"""

from __future__ import annotations

import logging
import re

from .cleanup import count_cjk
from .errors import ConversionError
from .layout import RawLine
from .tables import clean_cell, looks_like_header, table_text

log = logging.getLogger(__name__)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([-\w.:]+)""", re.IGNORECASE)
# Marks a table statement's id in the text handed to trafilatura (which drops private-use characters);
# mathematical white square brackets do not occur in Chinese prose.
_MARK_OPEN, _MARK_CLOSE = "\u27e6", "\u27e7"
_CHROME = re.compile(
    r"nav|menu|footer|header|breadcrumb|crumb|share|login|sidebar|copyright|toolbar|banner|related|recommend", re.I
)
# A short line of a portal's chrome left inside the article's block: share and print buttons,
# the copyright and ICP filing lines, the font-size switch.
_CHROME_LINE = re.compile(
    r"(?:分享到|扫一扫|打印本页|关闭窗口|返回顶部|【?\s*字[体号]\s*[:：]).*"
    r"|(?:关闭|打印|收藏|返回)(?:\s+(?:关闭|打印|收藏|返回))+"
    r"|.*(?:版权所有|ICP备|ICP证|公网安备|网站标识码|备案序号|技术支持[:：]).*"
)
_CHROME_LINE_CHARS = 60
_DROP = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "form",
    "select",
    "button",
    "nav",
    "header",
    "footer",
    "aside",
)
_BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "td", "th", "table", "section", "article"}


def decode_html(data: bytes, name: str) -> str:
    """Bytes of a page → str: BOM, then the meta charset, then UTF-8, then GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    declared = _META_CHARSET.search(data[:8192])
    candidates = []
    if declared:
        label = declared.group(1).decode("ascii", "ignore").lower()
        # GB2312 and GBK pages routinely use characters outside their declared set: read them as GB18030.
        candidates.append("gb18030" if label in ("gb2312", "gbk", "x-gbk", "gb_2312-80") else label)
    candidates += ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    raise ConversionError(f"{name}: the page's text is not in a known encoding")


def _cells(tr) -> list:
    return [c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]


def _is_data_table(table) -> bool:
    """A table of figures or items, not a page-layout table: no nested tables, short cells, few links."""
    if table.xpath(".//table"):
        return False
    rows = table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
    if len(rows) < 2 or max(len(_cells(r)) for r in rows) < 2:
        return False
    texts = [clean_cell(c.text_content()) for r in rows for c in _cells(r)]
    if not texts or sum(len(t) for t in texts) / len(texts) > 80:
        return False
    linked = sum(len(a.text_content()) for a in table.xpath(".//a"))
    return linked < 0.5 * max(1, sum(len(t) for t in texts))


def _table_grid(table) -> tuple[list[list[str]], int]:
    """The table as a grid (colspan/rowspan resolved) and its number of header rows (thead or all-th rows)."""
    grid: list[list[str]] = []
    pending: dict[tuple[int, int], str] = {}  # (row, col) filled by a rowspan from above
    header_rows = 0
    counting = True
    for r, tr in enumerate(table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")):
        row: list[str] = []
        cells = _cells(tr)
        is_header = tr.getparent().tag == "thead" or (cells and all(c.tag == "th" for c in cells))
        for cell in cells:
            while (r, len(row)) in pending:
                row.append(pending.pop((r, len(row))))
            text = clean_cell(cell.text_content())
            span = _int(cell.get("colspan"))
            down = _int(cell.get("rowspan"))
            for k in range(span):
                value = text if k == 0 or is_header else ""
                for d in range(1, down):
                    pending[(r + d, len(row))] = value
                row.append(value)
        while (r, len(row)) in pending:
            row.append(pending.pop((r, len(row))))
        grid.append(row)
        if is_header and counting:
            header_rows += 1
        else:
            counting = False
    return grid, header_rows


def _int(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 50))
    except ValueError:
        return 1


def _replace_tables(tree) -> dict[int, tuple[list[str], list[str]]]:
    """Data tables → marked statement paragraphs in place; returns headers and statements by table id."""
    from lxml import html as lxml_html

    found = {}
    for table in list(tree.iter("table")):
        if not _is_data_table(table):
            continue
        grid, header_rows = _table_grid(table)
        if not header_rows and grid and looks_like_header(grid[0]):
            header_rows = 1
        content = table_text(grid, header_rows)
        if not content.statements:
            continue
        table_id = len(found)
        found[table_id] = (content.headers, content.statements)
        holder = lxml_html.fragment_fromstring("<div></div>")
        for i, statement in enumerate(content.statements):
            p = lxml_html.Element("p")
            p.text = f"{_MARK_OPEN}{table_id}.{i}{_MARK_CLOSE}{statement}"
            holder.append(p)
        holder.tail = table.tail
        table.getparent().replace(table, holder)
    return found


def _fallback_lines(tree) -> list[str]:
    """The page's text without its chrome, read plainly: block elements become lines."""
    for element in list(tree.iter()):
        if not isinstance(element.tag, str) or element.getparent() is None:
            continue
        marker = f"{element.get('class', '')} {element.get('id', '')}"
        if element.tag in _DROP or (element.tag not in ("body", "html") and _CHROME.search(marker)):
            element.drop_tree()
    body = tree.find("body")
    root = body if body is not None else tree
    pieces: list[str] = []

    def walk(node) -> None:
        if not isinstance(node.tag, str):
            return
        block = node.tag in _BLOCKS
        if block:
            pieces.append("\n")
        if node.text:
            pieces.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                pieces.append(child.tail)
        if block:
            pieces.append("\n")

    walk(root)
    return [" ".join(line.split()) for line in "".join(pieces).split("\n") if line.strip()]


def _trafilatura_lines(markup: str) -> list[str]:
    try:
        import trafilatura
    except ImportError as err:  # a broken optional dependency (e.g. lxml without html_clean) degrades, never fails
        log.warning("trafilatura unavailable (%s); using the plain reading of web pages", err)
        return []
    text = trafilatura.extract(
        markup,
        include_tables=True,
        include_comments=False,
        include_links=False,
        include_images=False,
        favor_recall=True,
        deduplicate=False,
        output_format="txt",
    )
    return [line.strip() for line in (text or "").split("\n") if line.strip()]


def read_html(data: bytes, name: str, min_chinese: int) -> tuple[list[RawLine], dict[int, list[str]]]:
    """Lines of a saved web page's main text and table headers by id; ConversionError for a page with
    no document text (a login page, a page of links)."""
    from lxml import etree
    from lxml import html as lxml_html

    text = decode_html(data, name)
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    try:
        parser = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
        tree = lxml_html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as err:
        raise ConversionError(f"{name}: not a readable web page ({err})") from None
    has_password = bool(tree.xpath('//input[translate(@type,"PASSWORD","password")="password"]'))
    tables = _replace_tables(tree)
    markup = lxml_html.tostring(tree, encoding="unicode")
    lines = _trafilatura_lines(markup)
    fallback = _fallback_lines(lxml_html.document_fromstring(markup, parser=parser))
    picked, plain = count_cjk("".join(lines)), count_cjk("".join(fallback))
    if picked < 50 or picked < 0.25 * plain:
        lines = fallback
    body_cjk = count_cjk("".join(lines))
    if body_cjk < min_chinese or (has_password and body_cjk < 200):
        raise ConversionError(f"{name}: the page holds no document text (a login page?)")
    out: list[RawLine] = []
    seen_rows: set[str] = set()
    for line in lines:
        if len(line) <= _CHROME_LINE_CHARS and _CHROME_LINE.fullmatch(line):
            continue
        match = re.match(rf"{_MARK_OPEN}(\d+)\.(\d+){_MARK_CLOSE}(.*)", line)
        if match:
            key = f"{match.group(1)}.{match.group(2)}"
            if key not in seen_rows:
                seen_rows.add(key)
                out.append(RawLine(text=match.group(3), table=int(match.group(1))))
        else:
            out.append(RawLine(text=re.sub(rf"{_MARK_OPEN}\d+\.\d+{_MARK_CLOSE}", "", line)))
    return out, {k: headers for k, (headers, _) in tables.items()}
