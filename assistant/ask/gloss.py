"""English glosses of Chinese quotes, made without a translation model.

Staff who read English need to know what each quoted figure measures. :class:`Glossary`
names the indicator of a quote in English where the term map knows its words (the
reverse of the English → Chinese map), converts the figure (1.82万 → 18,200; 8.5/10万 →
8.5 per 100,000; 6.5‰ → 6.5 per 1,000; 以上 → "or more") and glosses a section heading by
the terms it names. A gloss is always shown as a gloss, beside the verbatim quote, never
in its place.
"""

from __future__ import annotations

from ..facts import Indicator, IndicatorExtractor
from ..schema import Document
from .terms import TermMap

_UNITS_EN = {
    "%": "%", "‰": " per 1,000", "1/10万": " per 100,000", "1/万": " per 10,000", "元": " yuan", "人": " people",
    "人次": " visits", "个": "", "家": " institutions", "所": " institutions", "名": " people", "项": " items",
    "张": " beds", "台": " units", "次": " times", "岁": " years", "天": " days", "小时": " hours", "例": " cases",
    "座": "", "支": " teams", "批": " batches", "辆": " vehicles", "倍": " times", "类": " kinds", "条": "",
    "种": " kinds", "套": " sets", "分钟": " minutes", "户": " households",
}  # fmt: skip
_SINGULAR = {" people": " person", "%": "%", " times": " time", " per 1,000": " per 1,000", " per 100,000":
             " per 100,000", " per 10,000": " per 10,000", " yuan": " yuan"}  # fmt: skip
_COMPARATORS_EN = (
    ("以上", "or more"), ("不低于", "at least"), ("不少于", "at least"), ("超过", "over"), ("以内", "or less"),
    ("以下", "or less"), ("不超过", "at most"), ("控制在", "held at"), ("左右", "about"), ("力争", "aiming for"),
)  # fmt: skip


_BEFORE_FIGURE = ("at least", "at most", "over", "about", "held at", "aiming for")


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def english_figure(indicator: Indicator) -> str:
    """The indicator's figure in English: "65% or more", "18,200", "8.5 per 100,000", "500–600"."""
    unit = _UNITS_EN.get(indicator.unit, f" {indicator.unit}" if indicator.unit else "")
    value = _number(indicator.value)
    if indicator.value_max is not None:
        value = f"{value}–{_number(indicator.value_max)}"
    if indicator.value == 1 and indicator.value_max is None:
        unit = _SINGULAR.get(unit, unit.removesuffix("s"))  # "1 institution", not "1 institutions"
    figure = f"{value}{unit}"
    if indicator.per_capita:
        figure = f"{figure} per person" if indicator.per_capita == "人均" else f"{figure} ({indicator.per_capita})"
    said = [english for chinese, english in _COMPARATORS_EN if chinese in indicator.comparator]
    return (
        " ".join([*said[:1], figure])
        if said and said[0] in ("at least", "at most", "over", "about", "held at", "aiming for")
        else " ".join([figure, *said[:1]])
    )


class Glossary:
    """English names for Chinese plan terms, and glosses of quoted sentences."""

    def __init__(self, terms: TermMap | None = None) -> None:
        self.names = (terms or TermMap()).english_names()
        self._longest = max(map(len, self.names), default=0)
        self._extractor = IndicatorExtractor()

    def name(self, chinese: str, most: int = 3) -> str | None:
        """English for the terms a Chinese phrase names, longest terms first (at most ``most``)."""
        found: list[str] = []
        position = 0
        while position < len(chinese) and len(found) < most:
            for size in range(min(self._longest, len(chinese) - position), 1, -1):
                english = self.names.get(chinese[position : position + size])
                if english:
                    if english not in found:
                        found.append(english)
                    position += size
                    break
            else:
                position += 1
        return ", ".join(found) or None

    def indicators(self, document: Document, start: int, end: int) -> list[Indicator]:
        """The quantitative targets stated inside ``document.text[start:end]``."""
        return self._extractor.extract(document, [(start, end)])

    def gloss(self, document: Document, start: int, end: int) -> str:
        """ "geriatric department, proportion: 65% or more" for each figure of the quote."""
        parts = []
        for indicator in self.indicators(document, start, end):
            what = self.name(indicator.phrase) or self.name(indicator.sentence) or "figure"
            parts.append(f"{what}: {english_figure(indicator)}")
        if not parts:
            named = self.name(document.text[start:end])
            return f"about {named}" if named else ""
        return "; ".join(dict.fromkeys(parts))

    def section(self, heading: str) -> str:
        """ "about elderly health, actions" for a Chinese heading, where the terms are known."""
        named = self.name(heading)
        return f"about {named}" if named else ""
