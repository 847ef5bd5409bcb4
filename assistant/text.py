"""Small text helpers shared by every stage: sentences, CJK checks, Chinese numerals, 文号.

Each piece of text knowledge is written once, here, and imported where it is needed."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# A sentence ends at 。！？!? (with any closing quotes/brackets that follow) or at a line end.
_SENTENCE = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+[”’」』）)]*|\n|$)")


@dataclass(frozen=True)
class Sentence:
    """A sentence with absolute character offsets; ``text == source[start:end]``."""

    start: int
    end: int
    text: str


def split_sentences(text: str, offset: int = 0) -> list[Sentence]:
    """Split ``text`` into sentences, trimming surrounding whitespace from each.

    Offsets are absolute: ``offset`` is where ``text`` starts in its source.
    """
    sentences = []
    for match in _SENTENCE.finditer(text):
        raw = match.group(0)
        stripped = raw.strip()
        if not stripped:
            continue
        lead = len(raw) - len(raw.lstrip())
        start = offset + match.start() + lead
        previous = sentences[-1] if sentences else None
        if previous and stripped[0] in "（(" and "\n" not in text[previous.end - offset : start - offset]:
            # "…。（牵头领导：王成江；责任科室：…）" — item metadata belongs to its sentence.
            merged = text[previous.start - offset : start - offset + len(stripped)]
            sentences[-1] = Sentence(previous.start, start + len(stripped), merged)
            continue
        sentences.append(Sentence(start, start + len(stripped), stripped))
    return sentences


_SPACE_IN_CJK = re.compile(r"(?<=[\u4e00-\u9fff])[^\S\n]+(?=[\u4e00-\u9fff])")


def squeeze_cjk_spaces(text: str) -> str:
    """Remove spaces between Chinese characters: "文  号" → "文号", "索 引 号" → "索引号".

    Web pages pad short labels with spaces; words must still match them.
    """
    return _SPACE_IN_CJK.sub("", text)


def cjk_ratio(text: str) -> float:
    """Share of CJK ideographs among the letters/ideographs of ``text`` (0.0 for none)."""
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    letters = sum(1 for ch in text if ch.isalpha())
    return cjk / letters if letters else 0.0


# Chinese numeral characters, for the patterns that find numerals in text (their values come
# from cn2an, see chinese_number).
CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUMERAL_CHARS = "一二三四五六七八九十百〇零"
_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def chinese_number(text: str) -> float | None:
    """ "十" → 10, "三十五" → 35, "一百二十" → 120, "两千" → 2000, "十万" → 100000, "1.82万" → 18200,
    "3.5亿" → 350000000 (cn2an's "smart" reading).

    Digits pass through. Returns None for anything that is not a well-formed number: "十四五"
    (the 14th five-year plan), "三级", a bare "千".
    """
    import cn2an  # a maintained reader of Chinese numerals; imported where first needed

    text = text.strip()
    if _PLAIN_NUMBER.fullmatch(text):
        return float(text)
    if not text:
        return None
    try:
        return float(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError, IndexError):
        return None


def chinese_year(text: str) -> int:
    """ "二〇二二" → 2022: a year written digit by digit in Chinese numerals."""
    return int("".join(str(CN_DIGITS[ch]) for ch in text[:4]))


# A document number (文号): an issuer abbreviation, the year in brackets, a serial number:
# 浙卫发〔2022〕8号, 遂府办函〔2021〕44号. One pattern for the plan's own number and cited ones.
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[［(（]\s*(?:19|20)\d{2}\s*[〕\]］)）]\s*\d+\s*号")
# A line holding only a document number (under a notice's title: the document's own 文号).
DOC_NUMBER_LINE = re.compile(rf"^\s*({DOC_NUMBER.pattern})\s*$", re.M)


# What a title says about its years (one list for the metadata reader and the years a document
# covers): "2023年工作要点", "2024年度…实施方案" plan a year; "2022年工作总结", "2023年度…绩效评价
# 自评报告" report on one.
TITLE_PLAN_WORDS = "要点|计划|安排|方案|任务|报告"
TITLE_REVIEW_WORDS = "总结|自评|评价|绩效|考核结果|执行情况|回顾|成效"
TITLE_PLANNED_YEAR = re.compile(rf"(20\d{{2}})\s*年度?[^0-9，。、和及与]{{0,16}}?(?:{TITLE_PLAN_WORDS})")
TITLE_REVIEWED_YEAR = re.compile(rf"(20\d{{2}})\s*年度?[^0-9，。、和及与]{{0,24}}?(?:{TITLE_REVIEW_WORDS})")

# A table row as conversion writes it: "指标：居民健康素养水平；2022年目标：37%以上；属性：约束性" —
# each cell after its column header, cells joined with "；". Short and without a full stop, but a
# statement of its own.
TABLE_HEADER_MARK, TABLE_CELL_SEP = "：", "；"
TABLE_HEADER_CHARS = 24  # header cells name a column ("2022年目标"), they do not say things
_HEADER, _SEP = TABLE_HEADER_MARK, TABLE_CELL_SEP
_TABLE_CELL = rf"[^{_HEADER}{_SEP}\n]{{1,{TABLE_HEADER_CHARS}}}{_HEADER}[^{_SEP}\n]+"
_TABLE_STATEMENT = re.compile(rf"{_TABLE_CELL}(?:{_SEP}{_TABLE_CELL})+")


def is_table_statement(sentence: str) -> bool:
    """True when ``sentence`` is a converted table row: two or more "header：cell" parts joined by "；"."""
    return bool(_TABLE_STATEMENT.fullmatch(sentence.strip()))


# Characters that carry no text: zero-width spaces and joiners, bidirectional controls, the
# BOM, other format and control characters (tab and line end excepted), lone surrogates
# (bytes that were not UTF-8, as Python decodes them from a command line).
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]"
)


def clean_text(text: str) -> str:
    """``text`` without invisible characters and lone surrogates, whitespace trimmed."""
    return _INVISIBLE.sub("", text).strip()


# Code points that stand for a unified ideograph: Kangxi radicals (⼆ U+2F06), the CJK radicals
# supplement (⺠ U+2EA0) and compatibility ideographs. PDF text layers carry them where the
# font shares a glyph; a question or quote holding them matches nothing.
_COMPAT_IDEOGRAPH = re.compile("[\u2e80-\u2eff\u2f00-\u2fdf\uf900-\ufaff\U0002f800-\U0002fa1f]")
# Radicals-supplement forms NFKC leaves alone but that print the ideograph (Unicode lists them
# as the radical's simplified form): only the ones seen in CJK fonts' shared glyphs.
_RADICAL_FORMS = {
    "⺀": "冫", "⺁": "厂", "⺃": "乚", "⺅": "亻", "⺇": "几", "⺈": "𠂊", "⺉": "刂", "⺋": "㔾", "⺌": "小",
    "⺍": "小", "⺎": "尢", "⺏": "尣", "⺐": "尢", "⺑": "尣", "⺒": "巳", "⺓": "幺", "⺔": "彑", "⺖": "忄",
    "⺗": "心", "⺘": "扌", "⺙": "攵", "⺛": "旡", "⺞": "歺", "⺟": "母", "⺠": "民", "⺡": "氵", "⺢": "氺",
    "⺣": "灬", "⺤": "爫", "⺥": "爫", "⺦": "丬", "⺧": "牛", "⺨": "犭", "⺩": "王", "⺪": "疋", "⺫": "罒",
    "⺬": "示", "⺭": "礻", "⺮": "竹", "⺯": "糸", "⺰": "纟", "⺱": "网", "⺲": "罒", "⺳": "网", "⺴": "网",
    "⺵": "网", "⺶": "羊", "⺷": "羊", "⺸": "羊", "⺹": "耂", "⺺": "聿", "⺻": "聿", "⺼": "月", "⺽": "臼",
    "⺾": "艹", "⺿": "艹", "⻀": "艹", "⻁": "虎", "⻂": "衤", "⻃": "襾", "⻄": "西", "⻅": "见", "⻆": "角",
    "⻇": "角", "⻈": "讠", "⻉": "贝", "⻊": "足", "⻋": "车", "⻌": "辶", "⻍": "辶", "⻎": "辶", "⻏": "阝",
    "⻐": "钅", "⻑": "長", "⻒": "镸", "⻓": "长", "⻔": "门", "⻕": "阝", "⻖": "阝", "⻗": "雨", "⻘": "青",
    "⻙": "韦", "⻚": "页", "⻛": "风", "⻜": "飞", "⻝": "食", "⻞": "食", "⻟": "食", "⻠": "饣", "⻡": "饣",
    "⻢": "马", "⻣": "骨", "⻤": "鬼", "⻥": "鱼", "⻦": "鸟", "⻧": "卤", "⻨": "麦", "⻩": "黄", "⻪": "黾",
    "⻫": "齐", "⻬": "齐", "⻭": "齿", "⻮": "齿", "⻯": "龙", "⻰": "龙", "⻱": "龟", "⻲": "龟", "⻳": "龟",
}  # fmt: skip


def fold_compat_ideographs(text: str) -> str:
    """Radicals and compatibility ideographs → the unified ideographs they print as:
    "⼆、打造全⺠" → "二、打造全民". Nothing else changes (full-width punctuation stays)."""

    def unified(match: re.Match[str]) -> str:
        ch = match.group(0)
        folded = unicodedata.normalize("NFKC", ch)
        return _RADICAL_FORMS.get(ch, folded) if folded == ch else folded

    return _COMPAT_IDEOGRAPH.sub(unified, text)


# Full-width letters and digits (Ｚｈｅｊｉａｎｇ ２０２２), the ideographic space and other spaces:
# folded to ASCII for matching. Full-width punctuation (，。？（）％) is left alone: the
# question patterns and the plans are written with it.
_WIDE = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000\u00a0\u2000-\u200a\u202f\u205f]")
_OPENCC = None


def to_simplified(text: str) -> str:
    """Traditional characters → simplified (OpenCC t2s): 遂寧 → 遂宁. Simplified text is unchanged."""
    global _OPENCC
    if not any(ord(ch) >= 0x3400 for ch in text):
        return text
    if _OPENCC is None:
        import opencc

        _OPENCC = opencc.OpenCC("t2s")
    return _OPENCC.convert(text)


def normalize_query(text: str) -> str:
    """A question or filter value as it is matched: invisible and control characters removed,
    full-width letters, digits and spaces folded, radicals and compatibility ideographs unified,
    traditional characters simplified. What is quoted from the plans is never normalised."""
    text = _WIDE.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), clean_text(text))
    return to_simplified(fold_compat_ideographs(text))


class TextFileError(ValueError):
    """A text file cannot be read as text; the message says why."""


def read_text_file(path, max_bytes: int) -> str:
    """A small text file of unknown encoding (UTF-8 with or without BOM, UTF-16 with BOM,
    GB18030), at most ``max_bytes`` — not a folder, not binary, not an endless device."""
    from pathlib import Path

    path = Path(path)
    if path.is_dir():
        raise TextFileError(f"{path} is a folder, not a text file")
    if not path.exists():
        raise TextFileError(f"{path} not found")
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as err:
        raise TextFileError(f"{path} cannot be read ({err.strerror or err})") from None
    if len(data) > max_bytes:
        raise TextFileError(f"{path} is larger than {max_bytes:,} bytes")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data:
        raise TextFileError(f"{path} holds binary data, not text")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TextFileError(f"{path} is not UTF-8, UTF-16 or GB18030 text")
