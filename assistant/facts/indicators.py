"""Quantitative targets in plan text: indicator phrase, value, unit, comparator, exact span.

"推动二级及以上公立综合性医院设置老年医学科比例达65%以上" →
``Indicator(phrase="二级及以上公立综合性医院设置老年医学科比例", value=65.0, unit="%",
comparator="达…以上", text="65%以上", ...)``.

Handles ranges (3-5个, 2—3个, 500-600个), per-capita values (人均83元, 每千人口3.8人),
rates (120/10万, 6.5‰), Chinese number words (1.82万, 十万, 五个) and skips what only
looks like a number (years, dates, ages, "十四五", "1612体系", ordinals).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from ..schema import Document
from ..text import chinese_number, split_sentences

_NUMBER = r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+"
_UNITS = (
    r"/10万|/万|‰|%|％|万人次|万人|万元|亿元|万亩|万吨|万户|万平方米|万千瓦|万|亿|人次|个|家|名|人|元|张|所|项|台|次"
    r"|座|支|批|辆|颗|岁|天|小时|分钟|倍|类|条|种|套|亩|吨|户|公里|平方米|千瓦"
)
_BEFORE = [
    "控制在",
    "稳定在",
    "提高到",
    "提升到",
    "保持在",
    "不低于",
    "不少于",
    "不超过",
    "达到",
    "超过",
    "低于",
    "高于",
    "力争",
    "确保",
    "达",
]
_AFTER = ["以上", "以内", "以下", "左右"]
_VALUE = re.compile(
    rf"(?P<per>人均|每千人口|每万人口|每千人|每万人)?(?P<a>{_NUMBER})"
    rf"(?:\s*(?P<dash>[-—–~～至到])\s*(?P<b>{_NUMBER}))?\s*(?P<unit>{_UNITS})(?P<after>以上|以内|以下|左右)?"
)
_PER_CAPITA = ("人均", "每千人口", "每万人口", "每千人", "每万人", "每十万人口")
# Units that count things: the thing counted follows them (8个社区卫生服务中心).
_MEASURE_WORDS = frozenset("个家所项座支批辆颗类条种套张台")

_CLAUSE_BREAK = re.compile(r"[，,。；;：:、]")
# A list of the things one clause does ("宫颈癌、乳腺癌筛查") stays whole after a figure.
_TAIL_BREAK = re.compile(r"[，,。；;：:]")
# Words between the measured thing and its figure that are not part of it:
# "…接种率继续保持在90%", "…经费力争达到", "…标准提高到人均不低于88元".
TRAILING_WORDS = re.compile(
    r"(?:" + "|".join(sorted(_BEFORE, key=len, reverse=True)) + r"|继续|分别|均|仍|要|将|已|逐步|稳步|持续|人均|"
    r"每千人口|每万人口|每千人|每万人)+$"
)
# A figure's clause longer than this is not one statement: phrase and value are shown instead.
_STATEMENT_MAX_CHARS = 80
# "孕产妇死亡率、婴儿死亡率分别控制在8.5/10万、6.5‰": the n-th figure measures the n-th item.
_RESPECTIVELY = "分别"
_LIST_ITEM = re.compile(r"[、和及与]")
_LEADING_VERBS = re.compile(
    r"^(?:推动|推进|确保|力争|实现|全面|持续|进一步|继续|要|使|将|把|促进|保持|提高|提升|加快|完成|新增|新建|建成|建设|"
    r"开展|组织|落实|各地|全市|全省|全县|年内|到|的)+"
)


@dataclass(slots=True)  # many per plan: no per-object __dict__
class Indicator:
    """One quantitative target with where it is; ``document.text[start:end] == text``."""

    phrase: str  # what is measured: 二级及以上公立综合性医院设置老年医学科比例
    value: float  # the number in base units: 1.82万 → 18200.0 (unit "人" when given as 万人)
    value_max: float | None  # upper end of a range (3-5个 → 3.0, 5.0)
    unit: str  # "%", "‰", "1/10万", "个", "元", "人" …
    comparator: str  # "达 … 以上", "控制在 … 以内", "" …
    per_capita: str  # "人均", "每千人口" or ""
    text: str  # the exact value expression in the source: "65%以上"
    start: int
    end: int
    sentence: str
    sentence_start: int
    doc_id: str
    source: str

    def display(self) -> str:
        """How the plan states it: "65%以上", "人均83元", "3-5个"."""
        return (
            self.per_capita + self.text if self.per_capita and not self.text.startswith(self.per_capita) else self.text
        )

    def statement(self) -> str:
        """The figure's clause as the plan writes it, every target of it kept: "力争新建1家医养结合
        机构", "为1.82万35-64岁农村妇女免费提供宫颈癌、乳腺癌筛查"; in a clause too long to be one
        statement, the span from what it counts to the figure ("…签约不低于10%"), else phrase
        and value."""
        sentence, at, end = self.sentence, self.start - self.sentence_start, self.end - self.sentence_start
        begin = max((m.end() for m in _TAIL_BREAK.finditer(sentence, 0, at)), default=0)
        stop = next((m.start() for m in _TAIL_BREAK.finditer(sentence, end)), len(sentence))
        clause = sentence[begin:stop].strip()
        if len(clause) <= _STATEMENT_MAX_CHARS:
            return clause
        if self.phrase and self.phrase in sentence[:at]:
            start = sentence.rfind(self.phrase, 0, at)
            between = sentence[start + len(self.phrase) : at]
            if len(between) <= 8 and not _CLAUSE_BREAK.search(between):
                return sentence[start:end]
        if self.phrase and re.sub(r"^(?:以上|以内|以下|左右)?的?", "", sentence[end:]).startswith(self.phrase):
            return sentence[at : sentence.index(self.phrase, end) + len(self.phrase)]
        return f"{self.phrase} {self.display()}".strip()

    def to_json(self) -> dict:
        return asdict(self) | {"statement": self.statement()}


def _skip(sentence: str, start: int, end: int, number: str, unit: str) -> bool:
    """Numbers that are not targets: years, dates, ordinals, programme names, ages as qualifiers."""
    before, after = sentence[max(0, start - 2) : start], sentence[end : end + 2]
    if not re.search(r"\d", number) and (before.endswith("每") or after.startswith("口")):
        return True  # "每千人口" is a denominator
    if unit == "次" and not re.search(r"\d", number):
        return True  # "十一次全会" is a meeting, not a count
    if unit == "岁" and "寿命" not in sentence[max(0, start - 12) : start]:
        return True  # "3-11岁儿童", "65岁以上老年人" qualify a population
    if before.endswith(("第", "“", '"')) or after.startswith(("”", '"')):
        return True
    if unit in ("项", "类", "条", "种") and not re.search(r"\d", number) and before.endswith(("四", "五")):
        return True
    return bool(unit == "年" or (re.fullmatch(r"(19|20)\d\d", number) and unit in ("", "年")))


class IndicatorExtractor:
    """Finds indicators in a document's text, sentence by sentence."""

    def extract(self, document: Document, spans: list[tuple[int, int]] | None = None) -> list[Indicator]:
        """Indicators of ``document``, optionally only inside ``spans`` (e.g. its chunks)."""
        text = document.text
        regions = spans or [(0, len(text))]
        found: dict[int, Indicator] = {}
        for region_start, region_end in regions:
            for sentence in split_sentences(text[region_start:region_end], region_start):
                for indicator in self._in_sentence(sentence.text, sentence.start, document):
                    found.setdefault(indicator.start, indicator)
        return [found[k] for k in sorted(found)]

    def _in_sentence(self, sentence: str, offset: int, document: Document) -> list[Indicator]:
        out = []
        for match in _VALUE.finditer(sentence):
            a, b, unit = match.group("a"), match.group("b"), match.group("unit")
            value = chinese_number(a)
            if value is None or _skip(sentence, match.start("a"), match.end(), a, unit):
                continue
            if a in ("一", "两") and unit in ("个", "项", "家", "类", "条", "种", "批"):
                # "一个", "两项" are usually wording ("实现一个目标"), not targets
                continue
            value_max = chinese_number(b) if b else None
            multiplier = 1.0
            if unit.startswith("万") and unit not in ("万",):
                multiplier, unit = 10000.0, unit[1:]
            elif unit == "万":
                multiplier, unit = 10000.0, "人" if "人" in sentence[match.end() : match.end() + 6] else ""
            elif unit in ("亿", "亿元"):
                multiplier, unit = 1e8, unit[1:] or ""
            if unit in ("/10万", "/万"):
                unit = "1" + unit
            if unit == "％":
                unit = "%"
            start = match.start("per") if match.group("per") else match.start("a")
            head = sentence[:start]
            comparator = next((w for w in _BEFORE if head.rstrip().endswith(w)), "")
            after = match.group("after") or ""
            phrase = self._phrase(sentence, start, match.end(), comparator, unit)
            before = head.rstrip()[: len(head.rstrip()) - len(comparator)] if comparator else head.rstrip()
            per_capita = match.group("per") or next(
                (p for p in _PER_CAPITA if phrase.startswith(p) or before.endswith(p)), ""
            )
            out.append(
                Indicator(
                    phrase=phrase,
                    value=value * multiplier,
                    value_max=value_max * multiplier if value_max is not None else None,
                    unit=unit,
                    comparator=" … ".join(c for c in (comparator, after) if c),
                    per_capita=per_capita,
                    text=sentence[start : match.end()],
                    start=offset + start,
                    end=offset + match.end(),
                    sentence=sentence,
                    sentence_start=offset,
                    doc_id=document.doc_id,
                    source=document.source,
                )
            )
        return out

    @staticmethod
    def _phrase(sentence: str, start: int, end: int, comparator: str, unit: str = "") -> str:
        """The measured thing: for a count ("新建8个社区卫生服务中心和62个社区卫生服务站"), the
        noun its measure word counts, up to the next figure or "和"; otherwise the clause
        before the value, else the words after it."""
        if unit in _MEASURE_WORDS:
            counted = re.split(r"[和与及并且或\d，,。；;：:、（(]", sentence[end:], maxsplit=1)[0].strip()
            if len(counted) >= 2 and not counted.startswith(("以上", "以内", "以下", "左右")):
                return counted.removeprefix("的")
        head = sentence[:start]
        if comparator:
            head = head.rstrip()[: -len(comparator)]
        respective = IndicatorExtractor._respective_item(sentence, start)
        if respective:
            return respective
        clause = _CLAUSE_BREAK.split(head)[-1]
        clause = re.sub(r"^(?:\d+\s*[.．、]\s*|\d{4}年)", "", clause.strip())
        clause = TRAILING_WORDS.sub("", _LEADING_VERBS.sub("", clause)).rstrip("的")
        if len(clause) >= 4:
            return clause
        tail = _TAIL_BREAK.split(sentence[end:])[0]
        tail = re.sub(r"^(?:以上|以内|以下|左右)?[个家所项名人次张台座支批辆颗类条种套]?的?", "", tail.strip())
        clause = re.sub(r"^\d+\s*[.．、]\s*", "", clause)
        return (clause + tail).strip() or clause

    @staticmethod
    def _respective_item(sentence: str, start: int) -> str:
        """The item a figure of a "A、B分别达到x、y" list measures, or "" outside such a list."""
        at = sentence.rfind(_RESPECTIVELY, 0, start)
        if at < 0:
            return ""
        between = sentence[at + len(_RESPECTIVELY) : start]
        if _TAIL_BREAK.search(between):
            return ""
        ordinal = len(list(_VALUE.finditer(between)))
        items_text = _TAIL_BREAK.split(sentence[:at])[-1]
        items = [i for i in (_LEADING_VERBS.sub("", x.strip()) for x in _LIST_ITEM.split(items_text)) if i]
        if len(items) < 2 or ordinal >= len(items):
            return ""
        return items[ordinal]
