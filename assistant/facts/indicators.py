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
    r"/10万|/万|‰|%|％|万人次|万人|万元|亿元|万|亿|人次|个|家|名|人|元|张|所|项|台|次|座|支|批|辆|颗|岁|天"
    r"|小时|分钟|倍|类|条|种|套"
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

    def to_json(self) -> dict:
        return asdict(self)


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
            per_capita = match.group("per") or next((p for p in _PER_CAPITA if phrase.startswith(p)), "")
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
        clause = _CLAUSE_BREAK.split(head)[-1]
        clause = _LEADING_VERBS.sub("", clause.strip()).rstrip("的")
        clause = re.sub(r"^(?:\d+\s*[.．、]\s*|\d{4}年)", "", clause)
        if len(clause) >= 4:
            return clause
        tail = _CLAUSE_BREAK.split(sentence[end:])[0]
        tail = re.sub(r"^(?:以上|以内|以下|左右)?[个家所项名人次张台座支批辆颗类条种套]?的?", "", tail.strip())
        clause = re.sub(r"^\d+\s*[.．、]\s*", "", clause)
        return (clause + tail).strip() or clause
