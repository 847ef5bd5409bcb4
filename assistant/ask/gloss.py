"""English glosses of Chinese quotes, made without a translation model.

Staff who read English need to know what each quoted figure measures. :class:`Glossary`
names the indicator of a quote in English where the term map knows its words (the
reverse of the English → Chinese map), converts the figure (1.82万 → 18,200; 8.5/10万 →
8.5 per 100,000; 6.5‰ → 6.5 per 1,000; 以上 → "or more") and glosses a section heading by
the terms it names. A gloss is always shown as a gloss, beside the verbatim quote, never
in its place.
"""

from __future__ import annotations

import re
from importlib import resources

from ..facts import TRAILING_WORDS, Indicator, IndicatorExtractor
from ..schema import Document
from .terms import TermMap

_UNITS_EN = {
    "%": "%", "‰": " per 1,000", "1/10万": " per 100,000", "1/万": " per 10,000", "元": " yuan", "人": " people",
    "人次": " visits", "个": "", "家": " institutions", "所": " institutions", "名": " people", "项": " items",
    "张": " beds", "台": " units", "次": " times", "岁": " years", "天": " days", "小时": " hours", "例": " cases",
    "座": "", "支": " teams", "批": " batches", "辆": " vehicles", "倍": " times", "类": " kinds", "条": "",
    "种": " kinds", "套": " sets", "分钟": " minutes", "户": " households", "颗": "", "份": "", "处": " sites",
    "个百分点": " percentage points", "百分点": " percentage points", "周岁": " years", "亩": " mu",
    "吨": " tonnes", "公里": " km", "平方米": " m²", "千瓦": " kW",
}  # fmt: skip
_SINGULAR = {" people": " person", "%": "%", " times": " time", " per 1,000": " per 1,000", " per 100,000":
             " per 100,000", " per 10,000": " per 10,000", " yuan": " yuan"}  # fmt: skip
_COMPARATORS_EN = (
    ("以上", "or more"), ("不低于", "at least"), ("不少于", "at least"), ("超过", "over"), ("以内", "or less"),
    ("以下", "or less"), ("不超过", "at most"), ("控制在", "held at"), ("左右", "about"), ("力争", "aiming for"),
)  # fmt: skip


_PER_CAPITA_EN = {"人均": "per person", "每千人口": "per 1,000 people", "每千人": "per 1,000 people",
                  "每万人口": "per 10,000 people", "每万人": "per 10,000 people",
                  "每十万人口": "per 100,000 people"}  # fmt: skip
_BEFORE_FIGURE = ("at least", "at most", "over", "about", "held at", "aiming for")
_RATE_UNITS = frozenset({"%", "‰", "1/10万", "1/万", "元", "岁", "天", "小时", "分钟", "倍", "个百分点", "百分点"})
# "35-64岁农村妇女" → "rural women aged 35–64": an age qualifies the group named after it.
_AGE = re.compile(r"(\d+)\s*(?:[-—–~～至到]\s*(\d+)\s*)?周?岁(及以上|以上|以下)?")
_LIST_JOINS = "、和及与"
# "为1.82万农村妇女免费提供…筛查": the people counted come before the verb, what they get after it.
# "20个以上县(市、区)的医共体建立安宁疗护病区": what the counted ones set up follows "with".
_PROVIDING = {"提供": ":", "开展": ":", "实施": ":", "进行": ":", "建立": " with", "设立": " with", "开设": " with"}
_ADVERBS = frozenset({"free"})  # said of what is provided: "免费提供" → "free …"
_NUMBER_ADJECTIVES = frozenset({"new", "free"})  # said after the number: "40 new studios"
_RESPECTIVELY = "分别"
_AMONG = "中"  # "重点人群签约对象中有偿个性化签约" → "… among …"
_SHARE_WORDS = frozenset({"share", "percentage", "proportion"})
_UNCOUNTED = ("people", "women", "men", "children", "staff", "personnel", "screening", "care", "coverage")


def plural(noun: str) -> str:
    """English plural of a noun phrase's last word: "general hospital" → "general hospitals"."""
    head, _, last = noun.rpartition(" ")
    if not last or last.endswith(_UNCOUNTED) or last.endswith("s") or not last.isalpha():
        return noun
    if last == "child":
        last = "children"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        last = last[:-1] + "ies"
    elif last.endswith(("sh", "ch", "x")):
        last += "es"
    else:
        last += "s"
    return f"{head} {last}".strip()


def _display_vocabulary() -> dict[str, str]:
    text = (resources.files("assistant") / "data" / "display_en.tsv").read_text(encoding="utf-8")
    pairs = (line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {chinese: english for chinese, english in pairs}


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def english_figure(indicator: Indicator, with_unit: bool = True) -> str:
    """The indicator's figure in English: "65% or more", "18,200", "8.5 per 100,000", "500–600".

    ``with_unit=False`` leaves out a counting unit ("1 institution" → "1") for a line where
    the thing counted follows; rates and shares keep theirs.
    """
    unit = _UNITS_EN.get(indicator.unit, f" {indicator.unit}" if indicator.unit else "")
    if not with_unit and indicator.unit not in _RATE_UNITS:
        unit = ""
    value = _number(indicator.value)
    if indicator.value_max is not None:
        value = f"{value}–{_number(indicator.value_max)}"
    if indicator.value == 1 and indicator.value_max is None:
        unit = _SINGULAR.get(unit, unit.removesuffix("s"))  # "1 institution", not "1 institutions"
    figure = f"{value}{unit}"
    if indicator.per_capita:
        figure = f"{figure} {_PER_CAPITA_EN.get(indicator.per_capita, f'({indicator.per_capita})')}"
    said = [english for chinese, english in _COMPARATORS_EN if chinese in indicator.comparator]
    if "or less" in said:
        said = ["or less"]  # "控制在8.5/10万以内": the ceiling is what it says, not "held at"
    return " ".join([*said[:1], figure]) if said and said[0] in _BEFORE_FIGURE else " ".join([figure, *said[:1]])


class Glossary:
    """English names for Chinese plan terms, and glosses of quoted sentences."""

    def __init__(self, terms: TermMap | None = None, min_coverage: float = 0.6) -> None:
        # The reverse term map, with the display vocabulary's words where a reader expects others
        # ("孕产妇死亡率": "maternal mortality", not the map's "maternal death").
        self.names = (terms or TermMap()).english_names() | _display_vocabulary()
        self._longest = max(map(len, self.names), default=0)
        self._extractor = IndicatorExtractor()
        if not 0 <= min_coverage <= 1:
            raise ValueError(f"min_coverage is a share and must be between 0 and 1 (got {min_coverage})")
        self.min_coverage = min_coverage

    def _known_at(self, chinese: str, position: int, shortest: int = 1) -> int:
        """Length of the longest vocabulary word at ``chinese[position:]`` (at least ``shortest``
        characters), 0 when none starts there."""
        longest = min(self._longest, len(chinese) - position)
        return next((n for n in range(longest, shortest - 1, -1) if chinese[position : position + n] in self.names), 0)

    def coverage(self, chinese: str) -> float:
        """Share of the Chinese characters of ``chinese`` inside words the vocabulary knows (ages,
        list joins and 的 count as known): how much of a statement an English line can say."""
        total = sum(1 for ch in chinese if "\u4e00" <= ch <= "\u9fff")
        if not total:
            return 1.0
        known, position = 0, 0
        while position < len(chinese):
            size = self._known_at(chinese, position)
            matched = None if size else _AGE.match(chinese, position)
            if size:
                known += size
                position += size
            elif matched:
                known += sum(1 for ch in matched.group() if "\u4e00" <= ch <= "\u9fff")
                position = matched.end()
            else:
                known += chinese[position] in _LIST_JOINS + "的为"
                position += 1
        return known / total

    def words(self, chinese: str) -> list[str]:
        """English for the parts of a Chinese phrase the vocabulary knows, in the phrase's order:
        "35-64岁农村妇女" → ["rural women", "aged 35–64"]; "宫颈癌、乳腺癌筛查" → ["cervical cancer",
        "and", "breast cancer", "screening"]. Words it does not know are left out."""
        out: list[str] = []
        age = ""
        position = 0
        while position < len(chinese):
            size = self._known_at(chinese, position)
            if size:
                english = self.names[chinese[position : position + size]]
                if english not in out:
                    out.append(english)
                    if age:
                        out.append(age)
                        age = ""
                position += size
                continue
            matched = _AGE.match(chinese, position)
            if matched:
                low, high, bound = matched.groups()
                over = " and under" if bound == "以下" else " and over"
                age = f"aged {low}–{high}" if high else f"aged {low}{over}"
                position = matched.end()
                continue
            if chinese[position] in _LIST_JOINS and out and out[-1] != "and":
                out.append("and")
            position += 1
        if age:
            out.append(age)
        while out and out[-1] == "and":
            out.pop()
        while out and out[0] == "and":
            out.pop(0)
        return out

    def phrase(self, chinese: str) -> str:
        """A Chinese noun phrase in English word order, as far as the vocabulary goes:
        "二级及以上公立综合性医院设置老年医学科比例" → "share of secondary and above public general
        hospitals with geriatric department"; "" when no word of it is known."""
        if _AMONG in chinese:
            outer, _, inner = chinese.rpartition(_AMONG)
            inner_en, outer_en = self.phrase(inner), self.phrase(outer)
            if inner_en and outer_en:
                return f"{inner_en} among {plural(outer_en)}"
        words = self.words(chinese)
        share = bool(words) and words[-1] in _SHARE_WORDS
        if share:
            words = words[:-1]
        if "with" in words:
            at = words.index("with")
            owner = " ".join(words[:at])
            words = [plural(owner) if share else owner, *words[at:]] if owner else words[at + 1 :]
        text = " ".join(w for w in words if w)
        return f"share of {text}" if share and text else text

    def statement(self, indicator: Indicator) -> str:
        """The indicator's whole statement in English, built from its clause and the vocabulary:
        "18,200 rural women aged 35–64: free cervical cancer and breast cancer screening",
        "share of … general hospitals with geriatric department: 65% or more". When the vocabulary
        knows less than ``min_coverage`` of the clause, the figure stands beside the Chinese clause
        ("5 — 重点建设5家农村区域医疗卫生服务中心"): a reader is never handed a half-translated line."""
        english = self.english_statement(indicator)
        if english is not None:
            return english
        clause = indicator.statement()
        figure = english_figure(indicator)
        return f"{figure} — {clause}" if clause else figure

    def english_statement(self, indicator: Indicator) -> str | None:
        """:meth:`statement` in English, or ``None`` when the vocabulary knows too little of it."""
        clause = indicator.statement()
        at = clause.find(indicator.text)
        figure = english_figure(indicator)
        if at < 0 or self.coverage(clause.replace(indicator.text, "")) < self.min_coverage:
            return None
        # The comparator is said by the figure ("at least 10%"): "…签约不低于" → "…签约".
        before = TRAILING_WORDS.sub("", clause[:at].rstrip())
        if _RESPECTIVELY in clause[:at] and indicator.phrase:
            before = indicator.phrase  # "孕产妇死亡率、婴儿死亡率分别…8.5/10万、6.5‰": this figure's item
        after = re.sub(r"^(?:以上|以内|以下|左右)", "", clause[at + len(indicator.text) :])
        counted, provided, joiner = after, "", ":"
        for verb, link in _PROVIDING.items():
            if verb in after:
                (counted, _, provided), joiner = after.partition(verb), link
                break
        counted_en = self.words(counted)
        adverbs = [w for w in counted_en if w in _ADVERBS]
        counted_en = [w for w in counted_en if w not in _ADVERBS]
        provided_en = " ".join([*adverbs, self.phrase(provided)]).strip()
        subject = self.phrase(before)
        if not counted_en and subject.startswith("new ") and indicator.unit not in _RATE_UNITS and not provided_en:
            # "新增托位500-600个" → "500–600 new childcare places"
            return f"{english_figure(indicator, with_unit=False)} new {plural(subject.removeprefix('new '))}"
        if not counted_en:
            subject = " ".join(x for x in (subject, provided_en) if x)
            if indicator.per_capita:
                subject = subject.removesuffix(" per person")  # the figure says it: "97 yuan per person"
            return f"{subject}: {figure}" if subject else figure
        # The figure counts what follows it: "1.82万…农村妇女" → "18,200 rural women",
        # "50%的二级及以上综合医院" → "50% of secondary and above general hospitals".
        many = indicator.value != 1 or indicator.value_max is not None or indicator.unit in _RATE_UNITS
        owner, has, owned = " ".join(counted_en).partition(" with ")
        noun = (plural(owner) if many else owner) + (f" with {owned}" if has else "")
        amount = english_figure(indicator, with_unit=False)
        if indicator.unit in ("%", "‰"):
            amount += " of"
        if subject and all(w in _NUMBER_ADJECTIVES for w in subject.split()):
            line = f"{amount} {subject} {noun}"  # "新建40个" → "40 new …"
        else:
            line = f"{subject} {amount} {noun}".strip()
        return f"{line}{joiner} {provided_en}" if provided_en else line

    def name(self, chinese: str, most: int = 3) -> str | None:
        """English for the terms a Chinese phrase names, longest terms first (at most ``most``)."""
        found: list[str] = []
        position = 0
        while position < len(chinese) and len(found) < most:
            size = self._known_at(chinese, position, shortest=2)
            if size:
                english = self.names[chinese[position : position + size]]
                if english not in found:
                    found.append(english)
                position += size
            else:
                position += 1
        return ", ".join(found) or None

    def indicators(self, document: Document, start: int, end: int) -> list[Indicator]:
        """The quantitative targets stated inside ``document.text[start:end]``."""
        return self._extractor.extract(document, [(start, end)])

    def gloss(self, document: Document, start: int, end: int) -> str:
        """Each figure of the quote in English ("share of … hospitals with geriatric department: 65% or
        more"), its terms where the vocabulary knows too little of its clause; "about …" without figures."""
        parts = []
        for indicator in self.indicators(document, start, end):
            english = self.english_statement(indicator)
            if english is None:
                what = self.name(indicator.phrase) or self.name(indicator.sentence) or "figure"
                english = f"{what}: {english_figure(indicator)}"
            parts.append(english)
        if not parts:
            named = self.name(document.text[start:end])
            return f"about {named}" if named else ""
        return "; ".join(dict.fromkeys(parts))

    def section(self, heading: str) -> str:
        """ "about elderly health, actions" for a Chinese heading, where the terms are known."""
        named = self.name(heading)
        return f"about {named}" if named else ""
