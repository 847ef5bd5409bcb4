"""Question analysis: a question's text → one typed :class:`Question`, analysed once.

The record says where and when the question points (regions and years named, checked
against the corpus: "杭州2023" is *unavailable*), what it is about (its topic without
region and year words; Chinese terms for an English question, from the term map), and
what form of answer it wants (:class:`Intents`: a figure, a unit, a list, a record
field, who is responsible, what a section consists of, a comparison). Every later
stage reads this record; none re-reads the question's text for its kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..corpus.metadata import NATIONAL
from ..corpus.regions import Gazetteer
from ..index.lexical import ChineseTokenizer
from ..schema import Document, Scope, short_name
from ..text import chinese_number, chinese_year, cjk_ratio, squeeze_cjk_spaces
from . import patterns
from .terms import TermMap


@dataclass(frozen=True)
class UnitDemand:
    """A unit the question names ("per 100,000") and the pattern of a figure in it."""

    name: str
    figure: re.Pattern[str]

    def met_by(self, sentence: str) -> bool:
        return bool(self.figure.search(sentence))


@dataclass(frozen=True)
class Intents:
    """What form of answer the question wants."""

    quantity: bool = False  # about a quantity: a sentence with a figure is a little more likely the answer
    needs_figure: bool = False  # cannot be answered without a figure ("多少", "how many")
    units: tuple[UnitDemand, ...] = ()  # the figure must be in these units ("per 1,000", "yuan")
    record_fields: tuple[str, ...] = ()  # fields of the publisher's record asked for (文号, 公开日期 …)
    responsibility: bool = False  # who leads / which department
    parts: bool = False  # what a section consists of (包括哪几项)
    parts_count: int | None = None  # the number of parts the question states (四项)
    listing: bool = False  # several items wanted ("what are the targets", 有哪些措施)
    compare: bool = False  # about several plans: retrieve per plan


@dataclass(frozen=True)
class Question:
    """One question, analysed: the only thing later stages read about it.

    ``topic`` is the question without its region and year words (what sentences are
    matched against); ``terms`` the Chinese terms of an English question (term map and
    Chinese words typed into it); ``phrases`` the English topic phrases with their terms.
    """

    text: str
    chinese_share: float
    scope: Scope = field(default_factory=Scope)
    topic: str = ""
    terms: tuple[str, ...] = ()
    phrases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    intents: Intents = field(default_factory=Intents)

    @property
    def english(self) -> bool:
        """Mostly English: answered with an English frame around the Chinese quotes."""
        return self.chinese_share < 0.5

    @property
    def language(self) -> str:
        return "en" if self.english else "zh"

    @property
    def match_text(self) -> str:
        """What sentences are matched against: the topic, else the question."""
        return self.topic or self.text

    @classmethod
    def plain(cls, text: str) -> Question:
        """A question with no analysis beyond its language (for components used alone)."""
        return cls(text=text.strip(), chinese_share=cjk_ratio(text))


def asked_record_fields(question: str, terms: tuple[str, ...] | list[str] = ()) -> tuple[str, ...]:
    """Record labels the question asks for: "浙江要点的文号是什么" → ("文号", "文件编号")."""
    text = squeeze_cjk_spaces(question) + " " + " ".join(terms)
    return tuple(label for labels, pattern in patterns.RECORD_FIELD_GROUPS if pattern.search(text) for label in labels)


class QuestionAnalyzer:
    """Turns a question into a :class:`Question` against the plans of one corpus.

    Chinese region mentions: provinces and cities by full or short name (浙江, 开封),
    counties by full name (东海县) or, if the corpus has a plan for them, by short name
    (东海). English mentions: names from ``data/region_names_en.tsv`` (Zhejiang, Donghai).

    Args:
        documents: the plans of the corpus (their regions and years are what can be found).
        gazetteer, terms, tokenizer: shared resources (built when not given).
    """

    def __init__(
        self,
        documents: list[Document],
        gazetteer: Gazetteer | None = None,
        terms: TermMap | None = None,
        tokenizer: ChineseTokenizer | None = None,
    ) -> None:
        self.gazetteer = gazetteer or Gazetteer()
        self.terms = terms or TermMap()
        self.tokenizer = tokenizer or ChineseTokenizer()
        self.documents = documents
        self._has_national = any(d.region == NATIONAL for d in documents)
        in_corpus = {name for d in documents for name in d.region_chain}
        names: dict[str, str] = {}  # mention → region name
        for name, level in self.gazetteer.levels().items():
            if len(name) == 2 and name.endswith("区") and name not in in_corpus:
                continue  # 城区, 郊区, 矿区: districts named by a common word
            names[name] = name
            if level in ("province", "city") or name in in_corpus:
                short = short_name(name)
                if len(short) >= 2:
                    names.setdefault(short, name)
        self._names = names
        self._longest = max(map(len, names), default=0)
        english = {en.lower(): zh for zh, en in self.gazetteer.english.items()}
        self._english = english
        self._en = re.compile(r"\b(" + "|".join(map(re.escape, sorted(english, key=len, reverse=True))) + r")\b", re.I)

    def analyze(self, text: str) -> Question:
        """The analysed question. Raises ValueError for an empty question."""
        question = text.strip()
        if not question:
            raise ValueError("the question is empty")
        share = cjk_ratio(question)
        zh_matches = self._chinese_mentions(question)
        en_matches = list(self._en.finditer(question))
        mentioned = [self._names[m] for _, m in zh_matches]
        mentioned += [self._english[m.group(1).lower()] for m in en_matches]
        national = [m.group(0) for m in patterns.NATIONAL.finditer(question)] if self._has_national else []
        if national:
            mentioned.append(NATIONAL)
        regions: list[str] = []
        unavailable: list[str] = []
        for region in dict.fromkeys(mentioned):
            if any(region in d.region_chain for d in self.documents):
                regions.append(region)
            else:
                unavailable.append(region)
        years = [
            int(m.group(1))
            for m in patterns.YEAR.finditer(question)
            if not patterns.BASELINE.search(question[: m.start()])
        ]
        years += [chinese_year(y) for y in patterns.CN_YEAR.findall(question)]
        candidates = [d for d in self.documents if not regions or any(r in d.region_chain for r in regions)]
        named_years = list(dict.fromkeys(years))
        # A year has a plan of its own, or a later report that reviews it.
        plan_years = [y for y in named_years if any(d.year == y or y in d.reviews for d in candidates)]
        if not plan_years:
            # With a plan year named, another year is part of the topic ("2021年…考核2020年
            # 遴选的人才"), not a plan the corpus lacks.
            unavailable += [f"{y}年" for y in named_years]
        terms: tuple[str, ...] = ()
        if share < 0.5:
            # Chinese words written into an English question ("pit-and-fissure sealing
            # (窝沟封闭)") are the user's own exact terms: they come first.
            mentioned_names = {m for _, m in zh_matches}
            inline = [w for w in patterns.CJK_RUN.findall(question) if w not in mentioned_names and len(w) >= 2]
            terms = tuple(dict.fromkeys([*inline, *self.terms.translate(question)]))
        levels = tuple(level for level, pattern in patterns.LEVEL_WORDS if pattern.search(question))
        # One named region leaves nothing to compare ("compared with 2020" is a baseline).
        compare = (bool(patterns.COMPARE.search(question)) and len(regions) != 1) or len(regions) >= 2
        topic = question
        for mention in [*(m for _, m in zh_matches), *(m.group(0) for m in en_matches), *national]:
            topic = topic.replace(mention, "\0")
        topic = patterns.CN_YEAR.sub("\0", re.sub(r"(?<!\d)20\d{2}\s*年?(?!\d)", "\0", topic))
        phrases: tuple[tuple[str, tuple[str, ...]], ...] = ()
        if terms:
            # Where a name or year was cut out, a phrase must not run across the gap:
            # "actions Zhejiang plans" is not "action plan".
            phrases = tuple(
                (p, tuple(t))
                for p, t in self.terms.phrases(topic.replace("\0", " ; "))
                if p not in patterns.FORM_PHRASES
            )
        topic = re.sub(r"\s+", " ", topic.replace("\0", " ")).strip(" ,，、'’s") or question
        scope = Scope(
            regions=tuple(regions),
            years=tuple(plan_years),
            levels=levels,
            unavailable=tuple(unavailable),
            compare=compare,
        )
        return Question(
            text=question,
            chinese_share=share,
            scope=scope,
            topic=topic,
            terms=terms,
            phrases=phrases,
            intents=self._intents(question, share, terms, compare),
        )

    @staticmethod
    def _intents(question: str, share: float, terms: tuple[str, ...], compare: bool) -> Intents:
        squeezed = squeeze_cjk_spaces(question)
        # The last count is the one asked for ("坚守四大主业包括哪四项": 四项, not 四大).
        counts = patterns.STATED_COUNT.findall(squeezed)
        count = chinese_number(counts[-1]) if counts else None
        return Intents(
            quantity=bool(patterns.QUANTITY.search(question)),
            needs_figure=bool(patterns.NEEDS_FIGURE.search(question)),
            units=tuple(
                UnitDemand(name, figure) for name, asks, figure in patterns.UNIT_DEMANDS if asks.search(question)
            ),
            record_fields=asked_record_fields(question, terms),
            responsibility=bool(patterns.RESPONSIBILITY.search(question)),
            parts=share >= 0.5 and bool(patterns.ASKS_FOR_PARTS.search(question)),
            parts_count=int(count) if count is not None else None,
            listing=bool(patterns.LIST.search(question)),
            compare=compare,
        )

    def _chinese_mentions(self, question: str) -> list[tuple[int, str]]:
        """(offset, name) of region names in the question that are words of their own.

        A name must start and end at jieba word boundaries: "开封市2022年" names 开封市,
        "项目中卫生健康" does not name 中卫市. Where the longest name at a position fails,
        shorter ones are tried ("常州市区" → 常州).
        """
        bounds = self.tokenizer.word_boundaries(question)
        mentions: list[tuple[int, str]] = []
        position = 0
        while position < len(question):
            if position in bounds:
                for size in range(min(self._longest, len(question) - position), 1, -1):
                    candidate = question[position : position + size]
                    if candidate in self._names and position + size in bounds:
                        mentions.append((position, candidate))
                        position += size
                        break
                else:
                    position += 1
            else:
                position += 1
        return mentions

    def available_plans(self) -> str:
        """One line listing the plans in the corpus: "开封市 2022, 遂宁市 2022, …"."""
        return ", ".join(f"{d.region} {d.year}" for d in sorted(self.documents, key=lambda d: d.source))
