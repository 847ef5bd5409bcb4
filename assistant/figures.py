"""Figures in Chinese and English text: one parser for the whole package.

:func:`extract_figures` reads every quantity of a text — value, canonical unit, scale (万, 亿,
‰, /10万, 百分之), ranges, Chinese numerals — so that equal quantities compare equal
("1.82万人" = "18,200 people"). Its readers: the grounding of generated answers, the
constraint checks of the answer decision (the unit and the figure a question asks for), and
anything else that must know what a sentence counts. It sits on the lowest floor, beside
``text``: nothing here imports another policyqa module but ``text``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from .text import CN_DIGITS, CN_UNITS, chinese_number


@dataclass(frozen=True)
class Figure:
    """A figure found in a text: ``text[start:end]`` as written, its value in base units.

    "1.82万人" → value 18200.0, unit "people"; "65%" → 65.0, "%"; "3-5个" → two figures,
    3.0 and 5.0 "count", both carrying the range's text and span. ``unit`` is one of the
    canonical units of :func:`extract_figures`, "" when the text names none.
    """

    text: str
    value: float
    unit: str
    start: int
    end: int
    # As written: the unit word ("家", "人", "%", "/10万", "" for none) and the scale word
    # ("万", "亿", "" for none) — for readers that show the figure in the plan's own terms.
    unit_word: str = ""
    scale_word: str = ""


PERCENT = "%"
PER_THOUSAND = "per 1,000"
POINTS = "percentage points"
COUNT = "count"
PEOPLE = "people"
YUAN = "yuan"
YEARS = "years"
TIMES = "times"

# Chinese unit words → canonical unit. Measure words of things (个 家 所 张 …) are all "count":
# the noun after them says what is counted, and the answer may name it differently.
_CN_UNITS: dict[str, str] = {
    "个百分点": POINTS,
    "百分点": POINTS,
    "%": PERCENT,
    "‰": PER_THOUSAND,
    "个月": "months",
    "人次": "person-times",
    "周岁": YEARS,
    "小时": "hours",
    "分钟": "minutes",
    "人": PEOPLE,
    "名": PEOPLE,
    "元": YUAN,
    "岁": YEARS,
    "年": YEARS,  # a duration ("三年行动"); years of the calendar are taken out before
    "天": "days",
    "次": TIMES,
    "倍": "fold",
    "户": "households",
    "亩": "mu",
    "吨": "tonnes",
    "公里": "km",
    "平方米": "m²",
    "千瓦": "kW",
    **dict.fromkeys("个家所项座支批辆颗类条种套张台例份处", COUNT),
}
# English unit words → canonical unit, tried in order (longer phrases first).
_EN_UNITS: tuple[tuple[str, str], ...] = (
    (r"percentage\s+points?", POINTS),
    (r"per\s?cent|percent", PERCENT),
    (r"per\s+mille", PER_THOUSAND),
    (r"person-times", "person-times"),
    (r"people|persons?|individuals|residents", PEOPLE),
    (r"yuan|RMB|CNY", YUAN),
    (r"years?[\s-]+old|years?\s+of\s+age|year-olds?|years?", YEARS),
    (r"months?", "months"),
    (r"days?", "days"),
    (r"hours?", "hours"),
    (r"minutes?", "minutes"),
    (r"times", TIMES),
    (r"fold", "fold"),
)
_MULTIPLIERS = {
    "万亿": 1e12,
    "千万": 1e7,
    "百万": 1e6,
    "万": 1e4,
    "亿": 1e8,
    "千": 1e3,
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
}
_RATE_WORDS = {"thousand": 1e3, "ten thousand": 1e4, "hundred thousand": 1e5, "million": 1e6}

_CN_CHARS = "".join(CN_DIGITS) + "".join(CN_UNITS)  # 零〇一二两三四五六七八九十百千
_CN_D = "[" + "".join(ch for ch, value in CN_DIGITS.items() if value) + "]"
# A well-formed Chinese numeral: 三十五, 两千, 一百零五, 十万. Runs such as 十四五 ("the 14th
# five-year plan") or 二〇二二 (a year) are not numbers, although chinese_number would read them.
_CN_WELL_FORMED = re.compile(rf"(?:{_CN_D}千)?(?:零?{_CN_D}百)?(?:零?{_CN_D}?十)?(?:零?{_CN_D})?[万亿]?")
_CN_NUM = rf"(?<![数几])[{_CN_CHARS}]+"
_AR_NUM = r"(?<![A-Za-z\d.])(?<![A-Za-z]-)(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\dA-Za-z])"
_NUM = rf"(?:{_AR_NUM}|{_CN_NUM})"
_MULT = r"[ \t]*(?:万亿|千万|百万|万|亿|千)|\s*(?:thousand|million|billion)\b"
_DENOMINATOR = r"1,000,000|100,000|10,000|1,000|1000000|100000|10000|1000|100|10万|十万|百万|万|千"


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_FIGURE = re.compile(
    rf"(?:(?P<cur>RMB|CNY|[¥￥])\s*|(?P<aged>\baged?)\s+)?"
    rf"(?:百分之(?P<pct>{_NUM})|千分之(?P<pml>{_NUM})"
    rf"|(?P<a>{_NUM})(?P<amult>{_MULT})?"
    rf"(?:\s*(?:[-–—~～至到]|\bto\b)\s*(?P<b>{_NUM})(?P<bmult>{_MULT})?)?)"
    rf"(?:余|多(?=[个家所项名人次]))?"  # "70余次", "20多个": about 70 times, 20-odd
    rf"(?:[ \t]*(?:/\s*(?P<den>{_DENOMINATOR})|(?P<cn>{_alternation(_CN_UNITS)})"
    rf"|-?[ \t]*(?P<en>{'|'.join(p for p, _ in _EN_UNITS)})\b))?",
    re.IGNORECASE,
)

# Rates whose denominator stands apart from the figure: "每千人口执业(助理)医师数达3.8人",
# "3.8 doctors per 1,000 population". The denominator is taken out of the text (it is no figure)
# and turns the nearest figure of its clause into a rate.
_RATE_BEFORE = re.compile(r"每\s*(?P<n>十万|百万|万|千|百|\d+(?:\.\d+)?\s*[万千]?)\s*(?:常住人口|人口|人|名|户)")
_RATE_AFTER = re.compile(
    r"\bper\s+(?:(?P<n>\d{1,3}(?:,\d{3})+|\d+)(?:\s+(?P<mult>thousand|million))?"
    r"|(?:a\s+|one\s+)?(?P<word>hundred\s+thousand|ten\s+thousand|thousand|million))"
    r"(?:\s+(?:population|people|persons|residents|inhabitants|live\s+births|births|women|children))?\b",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(r"[，,。；;：:！？!?\n]")

# What looks like a number but is no figure; blanked out before figures are read.
CITATION_MARKER = re.compile(r"[\[【]\s*(\d{1,3}(?:\s*[,，、;；]\s*\d{1,3})*)\s*[\]】]")
_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_NOT_FIGURES = (
    CITATION_MARKER,
    # 〔2022〕8号 with or without its issuer (text.DOC_NUMBER needs the issuer)
    re.compile(r"[〔\[［(（]\s*(?:19|20)\d{2}\s*[〕\]］)）]\s*第?\s*\d+\s*号"),
    re.compile(r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?"),  # 2022年3月21日
    # 2022-03-21, 2022.3 — but not "2037.7万户", a figure with its scale or unit
    re.compile(
        r"(?:19|20)\d{2}[-/.]\d{1,2}(?:[-/.]\d{1,2})?(?!\d)"
        r"(?![ \t]*[万亿%‰个家所项名人次元户张台座支批辆颗类条种套例份处吨亩])"
    ),
    re.compile(r"\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?|[一二三四五六七八九十]{1,3}月"),  # 3月21日, 三月
    re.compile(rf"\b{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}\b"),
    re.compile(r"\b\d{1,2}:\d{2}\b"),  # 10:13
    re.compile(r"[（(]\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[）)]"),  # （三）, (3)
    # "3." heading a line or following a sentence
    re.compile(r"(?:^|(?<=[。；：])|(?<=[.!?]\s))[ \t]*\d{1,2}\s*[.．、](?!\d)", re.MULTILINE),
    re.compile(rf"第\s*(?:\d+|[{_CN_CHARS}]+)"),  # 第三, 第4轮
)
_BLANK = "\ufffc"  # stands in for blanked text: keeps offsets, matches no pattern

_FULLWIDTH = str.maketrans("０１２３４５６７８９％．－", "0123456789%.-")
_YEAR = re.compile(r"(?:19|20)\d{2}")


@dataclass(frozen=True)
class _Rate:
    """A denominator standing apart from its figure; ``before`` when it precedes it (每千人口)."""

    start: int
    end: int
    unit: str
    before: bool


def extract_figures(text: str) -> list[Figure]:
    """The figures of ``text``, normalised so that equal quantities compare equal.

    - separators and multipliers: "18,200" = "1.82万" = "18.2 thousand" = 18200; 3亿元 = 3e8 yuan;
      "1.2 million" = 1200000;
    - Chinese numerals via :func:`~assistant.text.chinese_number`: 三十五个 = 35 count, 两千 = 2000;
    - rates: "65%" = "65 %" = "百分之六十五" = "65 percent" → "%"; "6.5‰" = "千分之6.5" =
      "6.5 per 1,000" = "每千人口…6.5" → "per 1,000"; "8.5/10万" = "每十万人…8.5" =
      "8.5 per 100,000" → "per 100,000"; "个百分点" = "percentage points";
    - units (:data:`_CN_UNITS`, :data:`_EN_UNITS`): 人/名/people/persons → "people"; 元/yuan/RMB/¥ →
      "yuan"; 岁/周岁/年 (a duration)/years (old)/aged → "years"; measure words 个 家 所 张 … →
      "count"; English nouns ("rural women", "hospitals") name no unit;
    - ranges "3-5个", "3至5个", "3 to 5" give both ends with the shared unit and multiplier.

    Not figures: years (2022, 2022年, "in 2022" — any bare 1900–2099 without a unit, so
    "2000 doctors" is read as a year, "2000名" is not), dates, times, citation markers [1],
    document numbers (〔2022〕3号), section numbers ((三), "3." heading a line), ordinals (第三,
    14th), English number words, and Chinese numerals that are wording: a numeral without a
    unit unless it is a compound (三十五, 两千, 十万: not 三级医院, 十四五), a lone 一/两 before a unit (一个目标,
    两项制度) and numeral + 次 (十一次全会).
    """
    return scan_figures(text)[0]


def scan_figures(text: str) -> tuple[list[Figure], list[int]]:
    """(figures, years mentioned) of ``text``; ``text[f.start:f.end] == f.text`` for each figure."""
    prepared = text.translate(_FULLWIDTH)
    rates = _rates(prepared)
    spans = [m.span() for pattern in _NOT_FIGURES for m in pattern.finditer(prepared)]
    masked = _blank(prepared, spans + [(r.start, r.end) for r in rates])
    figures: list[Figure] = []
    years: list[int] = []
    for match in _FIGURE.finditer(masked):
        found, found_years = _read(match, text)
        figures.extend(found)
        years.extend(found_years)
    return _apply_rates(masked, figures, rates), years


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = _BLANK * (end - start)
    return "".join(chars)


def _rates(text: str) -> list[_Rate]:
    found = []
    for m in _RATE_BEFORE.finditer(text):
        found.append(_Rate(m.start(), m.end(), _rate_unit(_chinese_scale(m.group("n"))), before=True))
    for m in _RATE_AFTER.finditer(text):
        found.append(_Rate(m.start(), m.end(), _rate_unit(_english_scale(m)), before=False))
    return found


def _english_scale(match: re.Match[str]) -> float:
    """per 1,000 → 1000, per 1.5 million → 1500000, per hundred thousand → 100000."""
    if match.group("word"):
        return _RATE_WORDS[" ".join(match.group("word").lower().split())]
    return float(match.group("n").replace(",", "")) * _multiplier(match.group("mult"))


def _chinese_scale(denominator: str) -> float:
    """十万 → 100000, 千 → 1000, 50万 → 500000: chinese_number wants a digit before a bare unit."""
    denominator = denominator.replace(",", "").replace(" ", "")
    return chinese_number("一" + denominator if denominator[0] in "十百千万" else denominator) or 0.0


def _rate_unit(scale: float) -> str:
    return PERCENT if scale == 100 else f"per {scale:,.0f}"


def _read(match: re.Match[str], text: str) -> tuple[list[Figure], list[int]]:
    """The figures (one per end of a range) and the years of one match of :data:`_FIGURE`."""
    unit = _unit(match)
    if match.group("pct") or match.group("pml"):
        ends = [(match.group("pct") or match.group("pml"), 1.0)]
    else:
        a_mult, b_mult = _multiplier(match.group("amult")), _multiplier(match.group("bmult"))
        # "1-2万人": the multiplier written once applies to both ends
        ends = [(match.group("a"), a_mult if match.group("amult") else b_mult)]
        if match.group("b"):
            ends.append((match.group("b"), b_mult))
    figures, years = [], []
    written = text[match.start() : match.end()]
    unit_word = _unit_word(match)
    for index, (literal, multiplier) in enumerate(ends):
        value = _number(literal)
        if value is None or _is_wording(literal, multiplier, unit):
            continue
        if _YEAR.fullmatch(literal) and multiplier == 1.0 and unit in ("", YEARS):
            years.append(int(literal))
            continue
        scale = (match.group("amult") if index == 0 else None) or match.group("bmult") or ""
        figures.append(Figure(written, value * multiplier, unit, match.start(), match.end(), unit_word, scale.strip()))
    return figures, years


def _unit_word(match: re.Match[str]) -> str:
    if match.group("pct") or (match.group("cn") in ("%", "％")):
        return "%"
    if match.group("pml"):
        return "‰"
    if match.group("den"):
        return "/" + match.group("den")
    return match.group("cn") or match.group("en") or ""


def _unit(match: re.Match[str]) -> str:
    if match.group("pct"):
        return PERCENT
    if match.group("pml"):
        return PER_THOUSAND
    if match.group("den"):
        return _rate_unit(_chinese_scale(match.group("den")))
    if match.group("cn"):
        return _CN_UNITS[match.group("cn")]
    if match.group("en"):
        word = match.group("en")
        return next(unit for pattern, unit in _EN_UNITS if re.fullmatch(pattern, word, re.IGNORECASE))
    if match.group("cur"):
        return YUAN
    return YEARS if match.group("aged") else ""


def _multiplier(word: str | None) -> float:
    return _MULTIPLIERS[word.strip().lower()] if word else 1.0


def _number(literal: str) -> float | None:
    """The value of a digit or Chinese-numeral literal; None for a run that is no number (十四五)."""
    if literal[0].isdigit():
        return float(literal.replace(",", ""))
    return chinese_number(literal) if _CN_WELL_FORMED.fullmatch(literal) else None


def _is_wording(literal: str, multiplier: float, unit: str) -> bool:
    """Chinese numerals that are part of a phrase, not a quantity the answer must get right."""
    if literal[0].isdigit():
        return False
    if unit == PERCENT or unit.startswith("per "):
        return False
    if literal in ("一", "两") and multiplier == 1.0:
        return True  # 一个目标, 一批, 两项制度
    if unit == TIMES:
        return True  # 十一次全会: a meeting's name
    # 三级医院, 十九 without a unit are wording; compounds (三十五, 两千) are numbers even bare
    return not unit and multiplier == 1.0 and (len(literal) < 2 or not any(ch in literal for ch in "十百千"))


def _apply_rates(text: str, figures: list[Figure], rates: list[_Rate]) -> list[Figure]:
    """Turn the figure nearest to each free-standing denominator (in its clause) into a rate."""
    for rate in rates:
        if rate.before:
            candidates = [f for f in figures if f.start >= rate.end and _same_clause(text, rate.end, f.start)]
            target = min((f.start for f in candidates), default=None)
        else:
            candidates = [f for f in figures if f.end <= rate.start and _same_clause(text, f.end, rate.start)]
            target = max((f.start for f in candidates), default=None)
        figures = [replace(f, unit=rate.unit) if f.start == target and not _is_rate(f.unit) else f for f in figures]
    return figures


def _same_clause(text: str, start: int, end: int) -> bool:
    return not _CLAUSE_BREAK.search(text, start, end)


def _is_rate(unit: str) -> bool:
    return unit in (PERCENT, POINTS) or unit.startswith("per ")


def numeral_words(text: str) -> list[Figure]:
    """Every well-formed Chinese numeral of ``text``, wording or not (三级, 二级), without a unit.

    Used on the passage side only, so that "level 2 and above hospitals" is grounded in
    "二级及以上医院" while the answer side stays strict.
    """
    words = []
    for match in re.finditer(f"[{_CN_CHARS}]+", text):
        value = _number(match.group())
        if value is not None:
            words.append(Figure(match.group(), value, "", match.start(), match.end()))
    return words


def same_quantity(answer: Figure, source: Figure) -> bool:
    """Equal values (within 1e-9 relative) and compatible units — equal, or one side unnamed."""
    units_agree = not answer.unit or not source.unit or answer.unit == source.unit
    return units_agree and math.isclose(answer.value, source.value, rel_tol=1e-9)
