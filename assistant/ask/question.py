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
from dataclasses import dataclass, field, replace

from ..config import DEFAULTS
from ..corpus.metadata import NATIONAL
from ..corpus.regions import Gazetteer
from ..index.lexical import ChineseTokenizer
from ..schema import Document, Scope, short_name
from ..text import DOC_NUMBER, chinese_number, chinese_year, cjk_ratio, normalize_query, squeeze_cjk_spaces
from . import patterns
from .terms import TermMap


class QuestionError(ValueError):
    """A question that cannot be asked; the message says why.

    ``kind`` is ``empty`` or ``too_long``. (A question with no words — emoji, punctuation,
    one character — is not an error: it is answered "please ask about the plans".)
    """

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class UnitDemand:
    """A unit the question names ("per 100,000") and the pattern of a figure in it."""

    name: str
    figure: re.Pattern[str]

    def met_by(self, sentence: str) -> bool:
        return bool(self.figure.search(sentence))


@dataclass(frozen=True)
class Constraint:
    """Something the evidence must state for the question to be answered, not merely neared.

    ``kind``: "unit", "figure", "record_field", "time", "rank", "age", "population" or
    "named"; ``label`` says it to the user ("三级", "80岁", "per 100,000", "2024, achieved");
    ``alternatives`` are the words that state it in a plan.
    """

    kind: str
    label: str
    alternatives: tuple[str, ...] = ()
    unit: UnitDemand | None = None
    year: int | None = None
    period: str | None = None  # "achieved" | "target" (time constraints)


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
    period: str | None = None  # a year asked as "achieved" (reviewed later) or "target" (planned)
    target_and_result: bool = False  # a target beside what became of it (目标是多少，实际完成了多少)
    target_changes: bool = False  # how targets moved between plans (与上年相比有哪些新目标)


@dataclass(frozen=True)
class Question:
    """One question, analysed: the only thing later stages read about it.

    ``topic`` is the question without its region and year words (what sentences are
    matched against); ``terms`` the Chinese terms of an English question (term map and
    Chinese words typed into it); ``phrases`` the English topic phrases with their terms;
    ``synonyms`` a Chinese topic's act words with their near-synonyms.
    """

    text: str
    chinese_share: float
    scope: Scope = field(default_factory=Scope)
    topic: str = ""
    terms: tuple[str, ...] = ()
    phrases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    intents: Intents = field(default_factory=Intents)
    constraints: tuple[Constraint, ...] = ()  # what the evidence must state (see verify.py)
    # A Chinese topic's act words with the near-synonyms plans use (筛查 → 检查, 筛检, 检测).
    synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Only a region, year or plan and filler ("那常州呢？"): asks nothing without a previous question.
    names_only: bool = False
    inherited: str = ""  # a follow-up's topic, taken from the previous question ("那常州呢？")

    @property
    def english(self) -> bool:
        """Mostly English: answered with an English frame around the Chinese quotes."""
        return self.chinese_share < 0.5

    @property
    def language(self) -> str:
        return "en" if self.english else "zh"

    @property
    def has_content(self) -> bool:
        """At least two different letters or Chinese characters: "😀🏥", "？？？", "啊", "2022"
        and "浙" 999 times ask nothing."""
        return len({ch for ch in self.text if ch.isalpha()}) >= 2

    @property
    def match_text(self) -> str:
        """What sentences are matched against: the topic, else the question."""
        return self.topic or self.text

    @classmethod
    def plain(cls, text: str) -> Question:
        """A question with no analysis beyond its language (for components used alone)."""
        return cls(text=text.strip(), chinese_share=cjk_ratio(text))


_OTHER_DOCUMENT = re.compile(
    r"《[^》]+》|实施方案|方案|意见|通知|办法|条例|规定|细则|\bimplementation plan\b|\bscheme\b|\bopinions?\b"
    r"|\bmeasures\b|\bnotice\b|\bregulations?\b|\bcircular\b",
    re.I,
)


def _names_another_document(question: str) -> bool:
    """True when the question is about a document the plan cites, not the plan itself."""
    return bool(_OTHER_DOCUMENT.search(question))


def asked_record_fields(question: str, terms: tuple[str, ...] | list[str] = ()) -> tuple[str, ...]:
    """Record labels the question asks for: "浙江要点的文号是什么" → ("文号", "文件编号")."""
    text = squeeze_cjk_spaces(question) + " " + " ".join(terms)
    return tuple(label for labels, pattern in patterns.RECORD_FIELD_GROUPS if pattern.search(text) for label in labels)


class QuestionAnalyzer:
    """Turns a question into a :class:`Question` against the plans of one corpus.

    Chinese region mentions: provinces and cities by full or short name (浙江, 开封),
    counties by full name (东海县) or, if the corpus has a plan for them, by short name
    (东海). English mentions: the official spellings of ``data/region_names_en.tsv`` in any case
    (Zhejiang, hohhot) and the Pinyin of every other division as a name (Yangzhong, Panyu).

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
        max_chars: int = DEFAULTS.max_question_chars,
    ) -> None:
        self.max_chars = max_chars
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
        # English spellings → Chinese names: official spellings in any case, Pinyin only as a
        # capitalised name (see Gazetteer.english_spellings).
        self._english: dict[str, list[str]] = {}
        any_case, exact = set(), set()
        for spelling, zh, exact_case in self.gazetteer.english_spellings():
            key = spelling if exact_case else spelling.lower()
            self._english.setdefault(key, []).append(zh)
            (exact if exact_case else any_case).add(spelling)

        def alternation(names: set[str]) -> str:
            return "|".join(map(re.escape, sorted(names, key=len, reverse=True)))

        self._en = re.compile(rf"\b(?:(?i:{alternation(any_case)})|{alternation(exact)})\b")

    def _english_region(self, spelling: str) -> str:
        """The Chinese name an English mention stands for; of homonyms ("Yuyang": 榆阳区 and
        渔阳?) the one a plan of the corpus is in, else the first."""
        names = self._english.get(spelling) or self._english.get(spelling.lower()) or []
        names = list(dict.fromkeys(names))
        in_corpus = [n for n in names if any(n in d.region_chain for d in self.documents)]
        return (in_corpus or names)[0]

    def analyze(self, text: str) -> Question:
        """The analysed question. Raises QuestionError for an empty or an over-long question.

        The text is normalised first (:func:`~assistant.text.normalize_query`): full-width
        "Ｚｈｅｊｉａｎｇ ２０２２", a zero-width joiner inside 浙江 and traditional 遂寧 read as
        Zhejiang 2022, 浙江 and 遂宁."""
        question = normalize_query(text)
        if not question:
            if not text or not text.strip():
                raise QuestionError("the question is empty", "empty")
            # Only invisible characters (zero-width spaces …): something was sent, so it is
            # a question without content, answered "please ask about the plans".
            question = text.strip()[: self.max_chars]
        if len(question) > self.max_chars:
            raise QuestionError(
                f"the question is {len(question):,} characters long; ask in at most {self.max_chars:,} "
                "(POLICYQA_MAX_QUESTION_CHARS)",
                "too_long",
            )
        share = cjk_ratio(question)
        zh_matches = self._chinese_mentions(question)
        en_matches = list(self._en.finditer(question))
        mentioned = [self._names[m] for _, m in zh_matches]
        mentioned += [self._english_region(m.group(0)) for m in en_matches]
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
        # A year inside a document number (遂府办函〔2021〕44号) dates that document, not a plan.
        dated = DOC_NUMBER.sub(lambda m: " " * len(m.group(0)), question)
        years = [
            int(m.group(1)) for m in patterns.YEAR.finditer(dated) if not patterns.BASELINE.search(dated[: m.start()])
        ]
        years += [chinese_year(y) for y in patterns.CN_YEAR.findall(question)]
        candidates = [d for d in self.documents if not regions or any(r in d.region_chain for r in regions)]
        named_years = list(dict.fromkeys(years))
        # A year a document covers (its own, one its title names, a target horizon, a year
        # a later report reviews) filters; one the documents only mention is part of the topic
        # ("2010年的基数") and searched there; only a year no document of that scope covers or
        # mentions is missing.
        plan_years = [y for y in named_years if any(y in d.covered_years() for d in candidates)]
        only_mentioned = [y for y in named_years if any(c.year == y for d in candidates for c in d.covers)]
        if not plan_years:
            # With a plan year named, another year is part of the topic ("2021年…考核2020年
            # 遴选的人才"), not a plan the corpus lacks.
            unavailable += [f"{y}年" for y in named_years if y not in only_mentioned]
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
        topic = re.sub(r"\0\s*['’]s\b", "\0", topic)  # "Donghai's target" → "target"
        phrases: tuple[tuple[str, tuple[str, ...]], ...] = ()
        if terms:
            # Where a name or year was cut out, a phrase must not run across the gap:
            # "actions Zhejiang plans" is not "action plan".
            phrases = tuple(
                (p, tuple(t))
                for p, t in self.terms.phrases(topic.replace("\0", " ; "))
                if p not in patterns.FORM_PHRASES
            )
        topic = re.sub(r"\s+", " ", topic.replace("\0", " ")).strip(" ,，、'’s")
        bare_topic, topic = topic, topic or question
        scope = Scope(
            regions=tuple(regions),
            years=tuple(plan_years),
            levels=levels,
            unavailable=tuple(unavailable),
            compare=compare,
            mentioned_years=tuple(only_mentioned) if not plan_years else (),
        )
        intents = self._intents(question, share, terms, compare)
        named = bool(regions or plan_years or unavailable or levels or national)
        names_only = named and not patterns.FOLLOW_UP_FILLER.sub("", bare_topic)
        return Question(
            text=question,
            chinese_share=share,
            scope=scope,
            topic=topic,
            terms=terms,
            phrases=phrases,
            synonyms=tuple(self.terms.synonyms(topic)) if share >= 0.5 else (),
            names_only=names_only,
            intents=intents,
            constraints=self._constraints(question, intents, scope, share),
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
            target_and_result=bool(patterns.TARGET_AND_RESULT.search(squeezed)),
            target_changes=bool(patterns.TARGET_CHANGES.search(squeezed)),
            period="target"
            if patterns.TARGET.search(question)
            else "achieved"
            if patterns.ACHIEVED.search(question)
            else None,
        )

    def _constraints(self, question: str, intents: Intents, scope: Scope, share: float) -> tuple[Constraint, ...]:
        """What the evidence must state: the units, a figure, a record field, a year as
        achieved or planned, a horizon year, per person or in total, the measure asked for
        (死亡率, not 发病率), and the ranks, ages, populations and named programmes the
        question narrows to."""
        squeezed = squeeze_cjk_spaces(question)
        found: list[Constraint] = [Constraint("unit", u.name, unit=u) for u in intents.units]
        if intents.needs_figure and not intents.units:
            found.append(Constraint("figure", "a figure"))
        if intents.record_fields:
            if (
                _names_another_document(squeezed)
                and not self._names_own_title(squeezed)
                and set(intents.record_fields) & {"文号", "文件编号"}
            ):
                # "the document number of Suining's implementation plan for …": a cited document's.
                found.append(Constraint("doc_number", "文号 of the document named"))
            else:
                found.append(Constraint("record_field", "/".join(intents.record_fields[:2]), intents.record_fields))
        if intents.record_fields:
            pass  # a question about the document itself (its date, its 文号) is not about a year's work
        elif len(scope.years) == 1 and not intents.compare and patterns.LAST_YEAR.search(question):
            # "Guangdong's R&D spending last year, according to its 2023 report": 2022, achieved.
            found.append(
                Constraint("time", f"{scope.years[0] - 1}, achieved", year=scope.years[0] - 1, period="achieved")
            )
        elif intents.period and len(scope.years) == 1 and not intents.compare:
            year = scope.years[0]
            label = f"{year}, {'achieved' if intents.period == 'achieved' else 'planned'}"
            found.append(Constraint("time", label, year=year, period=intents.period))
        horizons = [int(y) for y in patterns.HORIZON_YEAR.findall(squeezed)]
        for year in dict.fromkeys([*horizons, *scope.mentioned_years]):
            # A year no plan is filed under (a target's horizon, a year the documents only
            # mention): the sentence must state it.
            if year not in scope.years and not any(d.year == year for d in self.documents):
                found.append(Constraint("year", f"{year}", (f"{year}",)))
        if patterns.PER_CAPITA.search(question):
            found.append(
                Constraint("per_capita", "per person", ("人均", "每人", "每千", "每万", "每十万", "/10万", "‰"))
            )
        elif patterns.TOTAL.search(question):
            found.append(Constraint("total", "in total"))
        if not intents.listing:
            # The measure asked for: a 发病率 does not answer a question about a 死亡率, a share
            # does not answer "by how much did it grow".
            if share >= 0.5:
                measures = [t for t in self.tokenizer.tokenize(squeezed) if len(t) >= 2 and t.endswith("率")]
                alternatives = tuple(dict.fromkeys(m if len(m) <= 3 else m[-3:] for m in measures))
            else:
                alternatives = tuple(
                    w for pattern, words in patterns.MEASURES_EN if pattern.search(question) for w in words
                )
            if alternatives:
                found.append(Constraint("measure", "/".join(alternatives[:3]), alternatives))
            if patterns.GROWTH.search(question) and intents.needs_figure | bool(intents.units):
                found.append(Constraint("growth", "growth", patterns.GROWTH_WORDS))
        ranks = [f"{m.group(1)}级" for m in patterns.RANK_ZH.finditer(squeezed)]
        ranks += [rank for pattern, rank in patterns.RANK_EN if pattern.search(question)]
        for rank in dict.fromkeys(ranks):
            found.append(Constraint("rank", rank, (rank,)))
        ages = [m.group(1) for m in patterns.AGE_ZH.finditer(squeezed)]
        ages += [m.group(1) or m.group(2) for m in patterns.AGE_EN.finditer(question)]
        for age in dict.fromkeys(str(patterns.AGE_WORDS.get(a.lower(), a)) for a in ages if a):
            found.append(Constraint("age", f"{age}岁", (age,)))
        for pattern, label, words in patterns.POPULATIONS:
            if pattern.search(question):
                found.append(Constraint("population", label, words))
        for match in patterns.NAMED.finditer(squeezed):
            name = match.group(1) or match.group(2)
            # A quoted name binds the answer only when the plans use it (not a user's own label)
            # and it is not the plan's own title.
            own_title = any(name in d.title or d.title in name for d in self.documents if d.title)
            if not own_title and (match.group(1) or any(name in d.text for d in self.documents)):
                found.append(Constraint("named", name, (name,)))
        if intents.record_fields:
            # A question about a document's record names the document by its title ("沅江市人均
            # 预期寿命提升行动计划的文号"): the title's words describe the document, not the answer.
            found = [c for c in found if c.kind in ("record_field", "doc_number")]
        return tuple(found)

    def _names_own_title(self, question: str) -> bool:
        """True when the question names a plan of the corpus by its title ("榆阳区这份推进健康榆阳
        行动的实施意见的文号"): it asks for that plan's record, not a document the plan cites."""
        for document in self.documents:
            core = re.sub(r"^.*?关于", "", re.sub(r"\s+", "", document.title or ""))
            if len(core) >= 6 and core in question:
                return True
        return False

    def follow_up(self, text: str, previous: Question | None) -> Question:
        """The question, completed from the previous one when it names only a new region,
        year or plan ("那常州呢？", "and in 2021?"): it then asks the previous topic there.

        The previous regions are kept when only a year is new; the previous years when only
        a region is new and that region has a plan of those years. ``inherited`` says what
        was taken over.
        """
        current = self.analyze(text)
        if previous is None:
            return current
        if not current.names_only:
            return current
        scope = current.scope
        regions = list(scope.regions) or list(previous.scope.regions)
        years = list(scope.years)
        if not years and not scope.unavailable:
            plans = [d for d in self.documents if not regions or any(r in d.region_chain for r in regions)]
            years = [y for y in previous.scope.years if any(y in d.covered_years() for d in plans)]
        missing = [u for u in scope.unavailable]
        place = "".join([*regions, *missing])
        when = "".join(f"{y}年" for y in years)
        composed = f"{place}{when}{previous.topic}" if not previous.english else f"{previous.topic} ({place} {when})"
        return replace(self.analyze(composed), inherited=previous.topic)

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
