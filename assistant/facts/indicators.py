"""Quantitative targets in plan text: indicator phrase, value, unit, comparator, exact span.

"推动二级及以上公立综合性医院设置老年医学科比例达65%以上" →
``Indicator(phrase="二级及以上公立综合性医院设置老年医学科比例", value=65.0, unit="%",
comparator="达…以上", text="65%以上", ...)``.

Figures are read by the package's one figure parser (:func:`assistant.figures.scan_figures`:
ranges 3-5个, scales 1.82万 and 4.5亿元, rates 120/10万 and 6.5‰, Chinese numerals, 70余次; years,
dates, ordinals and "十四五" are no figures); this module reads what each figure states: the
measured thing, the comparator (达…以上, 控制在…以内), per-capita wording (人均83元, 每千人口3.8人),
and it leaves out figures that are no targets (ages qualifying a population, bare numbers).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from ..figures import Figure, scan_figures
from ..schema import Document
from ..text import split_sentences

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


def _skip(sentence: str, start: int, end: int, figure: Figure) -> bool:
    """Figures that are no targets: ages qualifying a population, durations, quoted names, a
    programme's count words ("十四五"项)."""
    before, after = sentence[max(0, start - 2) : start], sentence[end : end + 2]
    numeral = not any(ch.isdigit() for ch in figure.text)
    life_expectancy = "寿命" in sentence[max(0, start - 12) : start]
    if figure.unit_word in ("岁", "周岁") and not life_expectancy:
        return True  # "3-11岁儿童", "65岁以上老年人" qualify a population
    if figure.unit_word in ("年", "个月"):
        return True  # "三年行动", "6个月": how long, not how much
    if before.endswith(("第", "“", '"')) or after.startswith(("”", '"')):
        return True
    return figure.unit_word in ("项", "类", "条", "种") and numeral and before.endswith(("四", "五"))


def _unit(figure: Figure, sentence: str, end: int) -> str | None:
    """The figure's unit as the plan writes it ("%", "1/10万", "个", "人" for 万人), or None for
    a figure without one (a bare number is no target)."""
    word = figure.unit_word
    if word.startswith("/"):
        return "1/10万" if word in ("/10万", "/十万") else "1/万" if word == "/万" else "1" + word
    if word and not word.isascii():
        return word
    if word == "%":
        return "%"
    if figure.scale_word == "万":
        return "人" if "人" in sentence[end : end + 6] else ""  # "1.82万35-64岁农村妇女": people
    if figure.scale_word in ("亿", "万亿"):
        return ""
    return None


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
        # A range gives two figures over one span: one indicator, its two ends.
        spans: dict[tuple[int, int], list[Figure]] = {}
        for figure in scan_figures(sentence)[0]:
            spans.setdefault((figure.start, figure.end), []).append(figure)
        for (figure_start, figure_end), ends in spans.items():
            figure = ends[0]
            unit = _unit(figure, sentence, figure_end)
            if unit is None or _skip(sentence, figure_start, figure_end, figure):
                continue
            end = figure_end
            bound = re.match(r"以上|以内|以下|左右", sentence[end:])
            if bound:
                end += bound.end()
            head = sentence[:figure_start]
            per = next((p for p in _PER_CAPITA if head.endswith(p)), "")
            start = figure_start - len(per)
            head = sentence[:start]
            comparator = next((w for w in _BEFORE if head.rstrip().endswith(w)), "")
            after = bound.group() if bound else ""
            phrase = self._phrase(sentence, start, end, comparator, unit)
            before = head.rstrip()[: len(head.rstrip()) - len(comparator)] if comparator else head.rstrip()
            per_capita = per or next((p for p in _PER_CAPITA if phrase.startswith(p) or before.endswith(p)), "")
            out.append(
                Indicator(
                    phrase=phrase,
                    value=figure.value,
                    value_max=ends[-1].value if len(ends) > 1 else None,
                    unit=unit,
                    comparator=" … ".join(c for c in (comparator, after) if c),
                    per_capita=per_capita,
                    text=sentence[start:end],
                    start=offset + start,
                    end=offset + end,
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
        ordinal = len({(f.start, f.end) for f in scan_figures(between)[0]})
        items_text = _TAIL_BREAK.split(sentence[:at])[-1]
        items = [i for i in (_LEADING_VERBS.sub("", x.strip()) for x in _LIST_ITEM.split(items_text)) if i]
        if len(items) < 2 or ordinal >= len(items):
            return ""
        return items[ordinal]
