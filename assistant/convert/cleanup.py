"""Character and line knowledge for text that came from page layouts (PDF text layers, OCR).

Each rule is written once here and used by every paged format.
"""

from __future__ import annotations

import re
import unicodedata

# CJK radicals supplement characters that NFKC leaves alone, mapped to the unified ideograph whose
# glyph they share in CJK fonts: Chromium + Noto CJK writes the glyph of 民 as ⺠ into the ToUnicode
# map. Only forms that are whole characters in simplified Chinese text are listed.
_SUPPLEMENT = {
    "\u2e81": "厂", "\u2e8a": "卜", "\u2ea0": "民", "\u2ea9": "王", "\u2eac": "示", "\u2ebc": "月",
    "\u2ebd": "臼", "\u2ec1": "虎", "\u2ec4": "西", "\u2ec5": "见", "\u2ec6": "角", "\u2ec8": "讠",
    "\u2ec9": "贝", "\u2ecb": "车", "\u2ecc": "辶", "\u2ed0": "钅", "\u2ed1": "長", "\u2ed3": "长",
    "\u2ed4": "门", "\u2ed7": "雨", "\u2ed8": "青", "\u2ed9": "韦", "\u2eda": "页", "\u2edb": "风",
    "\u2edc": "飞", "\u2edd": "食", "\u2ee0": "饣", "\u2ee2": "马", "\u2ee3": "骨", "\u2ee4": "鬼",
    "\u2ee5": "鱼", "\u2ee6": "鸟", "\u2ee7": "卤", "\u2ee8": "麦", "\u2ee9": "黄", "\u2eea": "黾",
    "\u2eec": "齐", "\u2eee": "齿", "\u2ef0": "龙",
}  # fmt: skip
# Kangxi radicals whose NFKC form is a variant the simplified-Chinese glyph does not show: in Noto
# CJK SC the glyph of 户 / 青 / 黄 is shared with ⼾ / ⾭ / ⿈, whose NFKC is 戶 / 靑 / 黃.
_KANGXI_SC = {"\u2f3e": "户", "\u2fad": "青", "\u2fc8": "黄"}
# Chromium's Noto CJK text layer writes the dash glyph of 2—3个 as U+2015 HORIZONTAL BAR.
_DASHES = {"\u2015": "\u2014"}


def _radical_table() -> dict[int, str]:
    table = {}
    ranges = ((0x2F00, 0x2FE0), (0xF900, 0xFB00), (0x2F800, 0x2FA20))
    for low, high in ranges:
        for code in range(low, high):
            mapped = unicodedata.normalize("NFKC", chr(code))
            if mapped != chr(code):
                table[code] = mapped
    for source in (_SUPPLEMENT, _KANGXI_SC, _DASHES):
        table.update({ord(k): v for k, v in source.items()})
    table[0x2E9F] = "母"  # the two supplement radicals NFKC does map
    table[0x2EF3] = "龟"
    return table


_RADICALS = _radical_table()
RADICAL_RANGES = ((0x2E80, 0x2EFF), (0x2F00, 0x2FDF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


def normalize_chars(text: str) -> str:
    """Radicals and compatibility ideographs → unified ideographs; nothing else changes.

    NFKC is applied to those code points only: on the whole text it would also fold the
    full-width punctuation ，。：（） that the plans use.
    """
    return text.translate(_RADICALS)


def radical_count(text: str) -> int:
    """How many code points of ``text`` lie in the radical / compatibility-ideograph ranges."""
    return sum(1 for ch in text if any(low <= ord(ch) <= high for low, high in RADICAL_RANGES))


_CJK = "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef“”‘’—…·"
_NEAR = r"0-9%.,:;!?()\[\]/+\-~<>=≥≤×"
_SPACE = "[ \t\u00a0\u3000]+"
_SPACES = re.compile(rf"(?<=[{_CJK}]){_SPACE}(?=[{_CJK}{_NEAR}])|(?<=[{_NEAR}]){_SPACE}(?=[{_CJK}])")


def squeeze_layout_spaces(line: str) -> str:
    """Remove the spaces a justified layout put between Chinese characters and around digits and
    punctuation next to them ("和 60 岁以上" → "和60岁以上"); spaces between Latin words stay."""
    return _SPACES.sub("", line).strip()


def count_cjk(text: str) -> int:
    """Number of CJK unified ideographs (basic block and extension A) in ``text``."""
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf")


def garbage_share(text: str) -> float:
    """Share of the visible characters that carry no text: private-use, U+FFFD, pdfminer's (cid:N)."""
    visible = [ch for ch in text if not ch.isspace()]
    if not visible:
        return 0.0
    cids = sum(len(m.group(0)) for m in re.finditer(r"\(cid:\d+\)", text))
    bad = sum(1 for ch in visible if "\ue000" <= ch <= "\uf8ff" or ch == "\ufffd")
    return min(1.0, (bad + cids) / len(visible))


_CN_NUM = "一二三四五六七八九十百零〇两"
# Outline markers a heading or list item starts with: 一、 （一） (一) 1. 1、 (1) ① 一是 第X章 附件.
OUTLINE_MARKER = re.compile(
    rf"^\s*(?:[{_CN_NUM}]+[、.．]|[（(][{_CN_NUM}]+[)）]|\d{{1,3}}[、.．](?!\d)|[（(]\d{{1,3}}[)）]"
    rf"|[\u2460-\u2473\u2776-\u277f]|[{_CN_NUM}]是|第[{_CN_NUM}\d]+[章节条部分篇]|附件|附表)"
)
# A line that ends a sentence: 。！？；： (full- or half-width) and any closing quotes or brackets after.
SENTENCE_END = re.compile(r"[。！？；：!?;:][”’」』）)\]】]*$")

_DASH = "—–\\-－―~～_"
PAGE_NUMBER = re.compile(
    rf"^(?:[{_DASH}\s]*\d{{1,4}}[{_DASH}\s]*"
    r"|第\s*\d{1,4}\s*页(?:\s*[/,，、]?\s*共\s*\d{1,4}\s*页)?"
    r"|共\s*\d{1,4}\s*页\s*[/,，、]?\s*第\s*\d{1,4}\s*页"
    r"|[一—\-]\s*\d{1,4}\s*[一—\-]"  # OCR reads the dashes of "— 3 —" as 一 (the numeral one)
    r"|\d{1,4}\s*/\s*\d{1,4}"
    r"|(?i:page)\s*\d{1,4}(?:\s*(?i:of)\s*\d{1,4})?)$"
)


def is_page_number(line: str, page: int | None = None) -> bool:
    """True for a line that is only a page number: — 3 —, -3-, 3, 第3页, 第 3 页 共 10 页, 3 / 10.

    A bare number ("80") is one only near the page's own number (``page``, 1-based; numbering may
    start a few pages late), since a table cell or a figure can stand alone at a page's edge too.
    """
    text = line.strip()
    if not PAGE_NUMBER.match(text):
        return False
    if text.isdigit() and page is not None:
        return page - 4 <= int(text) <= page + 1
    return True


_OCR_DASH = re.compile(r"(?<=\d)\s*一\s*(?=\d)")


def fix_ocr_confusions(line: str) -> str:
    """OCR's systematic confusions in these plans: the dash of "2—3个" read as 一 between digits, and a
    cell bar "|" read as the ideograph 丨 (U+4E28, which plain Chinese prose does not use)."""
    return _OCR_DASH.sub("—", line).replace("丨", "|")


def chrome_key(line: str) -> str:
    """``line`` compared across pages: no spaces, digits as #, so "第 3 页" on each page is one key."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line))
