"""Targets against results over the years, and what changed between two plans.

An annual plan or government work report states the targets for its year; the next year's
report reviews that year (its review section, ``Chunk.about_year``), and a 总结 reports on its
own year. :class:`TargetTracker` reads every figure of a region's documents as a
:class:`Measure` — what it measures (its *subject*: 地区生产总值), whether it is a growth rate or
a level, its value in base units, and which way counts as meeting it — and pairs, per year, the
target sentence with the result sentence for an indicator topic (:meth:`TargetTracker.track`),
or the targets of two plans with each other (:meth:`TargetTracker.changes`).

Only like measures pair: a growth rate with a growth rate, an amount in yuan with an amount in
yuan; a row whose result states another measure says "no comparable result", never a guess.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, replace
from typing import ClassVar

from ..ask.terms import TermMap
from ..config import Settings
from ..facts import Indicator
from ..index import PolicyIndex
from ..schema import Answer, Citation, Document, Filters, Route, Status
from ..text import cjk_ratio
from .export import md_text, to_csv

# What the words before a figure say about it: "同比增长21%" is a growth rate of the subject
# before it; "控制在4%以内" is met from below.
_GROWTH = re.compile(r"(?:同比|比上年|较上年|年均|平均)?(?:增长|增速|增幅|涨幅|提高|上涨)(?:率)?$")
_DOWNWARD = ("以内", "以下", "不超过", "低于", "控制在", "下降", "降低", "减少")
# Words around a subject that do not name it: "全年地区生产总值完成" is 地区生产总值.
_SUBJECT_PREFIX = re.compile(
    r"^(?:全年|全区|全省|全市|全县|累计|预计|力争|确保|其中|今年|当年|年内|年度|实现|完成|共|主要预期目标是|预期目标是"
    r"|经济社会发展主要预期目标是|[一二三四五六七八九十]是)+"
)
_SUBJECT_SUFFIX = re.compile(
    r"(?:(?:同比|比上年|较上年|年均|平均)?(?:增长|增速|增幅|涨幅|提高|上涨|下降|降低|减少)率?)?"
    r"(?:完成|实现|达到|达|为|预计|力争|保持在|保持|控制在|稳定在|提高到|提升到|继续|分别|不低于|不少于|不超过|超过|低于"
    r"|突破|超|约)*$"
)
# Words of a topic that ask about the pairing, not the indicator ("…增长目标是多少，实际完成了多少").
_TOPIC_NOISE = re.compile(
    r"目标|实际|完成|完成了|实现|情况|多少|是|的|了|呢|吗|年|度|与|和|及|相比|比较|变化|预期|计划|任务|增长|增速"
    r"|[0-9０-９]+|[？?，,。、\s]"
)
# "由2010年的162.4亿元增加到…": a baseline, not a target or a result of the year.
_BASELINE = re.compile(r"(?:由|从|比)\s*(?:20\d{2}|19\d{2})\s*年(?:底|末)?的?\s*$")
# "地区生产总值由2010年的162.4亿元增加到2015年": the subject ends where its baseline begins.
_FROM_BASELINE = re.compile(r"(?:由|从)\s*(?:20\d{2}|19\d{2})\s*年.*$")
# "年均增长12.1%" over a period is another measure than one year's growth.
_AVERAGE = re.compile(r"年均|平均每年")
# What joins a figure to the one before it in a clause ("…162.4亿元增加到2015年的287.9亿元").
_CHAIN_WORDS = re.compile(r"^(?:的|增加到|增长到|提高到|提升到|下降到|减少到|达到)+|(?:20\d{2}|19\d{2})年(?:底|末)?的?")
# Where a statement of one indicator ends inside a sentence listing several.
_STATEMENT_BREAKS = "；;。：:"
_YUAN_SCALES = (("万亿", 1e12), ("亿", 1e8), ("万", 1e4))


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def similarity(topic: str, subject: str) -> float:
    """The share of ``topic``'s character pairs that ``subject`` has (1.0 when it holds the topic)."""
    if not topic or not subject:
        return 0.0
    if topic in subject:
        return 1.0
    # A subject inside the topic counts only by its share of it: "投资" (3500万元 of a street
    # project) is not 固定资产投资.
    return _share(topic, subject)


def _share(first: str, second: str) -> float:
    """The share of ``first``'s character pairs that ``second`` has."""
    wanted = _bigrams(first)
    return len(wanted & _bigrams(second)) / len(wanted) if wanted else 0.0


def figures_text(measures: list[Measure]) -> str:
    """The figures of some measures as the plan writes them: "20%；282亿元"."""
    return "；".join(m.text for m in measures)


@dataclass
class Measure:
    """One figure of a statement and what it measures."""

    subject: str  # 地区生产总值
    kind: str  # "growth" (a rate of change) or "level" (an amount, a count, a rate reached)
    value: float  # in base units: 240亿元 → 2.4e10
    unit: str  # the indicator's unit: "元", "%", "人" …
    text: str  # as written: "240亿元", "21%", "5.5%以内"
    comparator: str
    downward: bool  # met when the result stays at or under the value (失业率控制在…以内)
    start: int = 0  # the figure's span in its document
    end: int = 0

    def comparable(self, other: Measure) -> bool:
        return self.kind == other.kind and self.unit == other.unit


@dataclass
class Statement:
    """A sentence of a plan or report that states figures, as a target or a result of a year."""

    doc_id: str
    source: str
    title: str
    region: str
    doc_year: int | None
    role: str  # "target" or "result"
    year: int  # the year the figures are for
    quote: str
    start: int
    end: int
    section: list[str]
    measures: list[Measure] = field(default_factory=list)

    @property
    def citation(self) -> str:
        section = f" {self.section[-1]}" if self.section else ""
        return f"{self.region} {self.doc_year}《{self.title}》{section} {self.source}:{self.start}-{self.end}"

    @property
    def figures(self) -> str:
        """Its figures as written: "20%；282亿元"."""
        return figures_text(self.measures)

    def to_json(self) -> dict:
        return asdict(self) | {"citation": self.citation}


@dataclass
class Pairing:
    """A target measure beside the result of the same measure."""

    kind: str
    target: str
    result: str
    difference: str  # in the target's unit and scale: "+0.9个百分点", "-4.8亿元"
    met: bool


@dataclass
class TrackRow:
    """One year of an indicator: its target, its result, and whether the target was met.

    ``status``: "met", "missed", "partly" (some measures met), "no_result_reported", "no_target_stated"
    or "no_comparable_result" (a result of another measure only)."""

    year: int
    status: str
    target: Statement | None = None
    result: Statement | None = None
    pairings: list[Pairing] = field(default_factory=list)
    note: str = ""

    def to_json(self) -> dict:
        return {
            "year": self.year,
            "status": self.status,
            "target": self.target.to_json() if self.target else None,
            "result": self.result.to_json() if self.result else None,
            "pairings": [asdict(p) for p in self.pairings],
            "note": self.note,
        }


STATUS_LABELS = {
    "met": "完成 met",
    "missed": "未完成 missed",
    "partly": "部分完成 partly",
    "no_result_reported": "尚无结果 no result reported",
    "no_target_stated": "未设目标 no target stated",
    "no_comparable_result": "结果不可比 no comparable result",
}


@dataclass
class Track:
    """An indicator topic over the years of one region's documents."""

    topic: str
    region: str
    rows: list[TrackRow]

    def to_json(self) -> dict:
        return {"topic": self.topic, "region": self.region, "rows": [r.to_json() for r in self.rows]}

    def _cells(self, row: TrackRow) -> list[str]:
        return [
            self.region,
            str(row.year),
            row.target.figures if row.target else "",
            row.result.figures if row.result else "",
            "；".join(p.difference for p in row.pairings),
            STATUS_LABELS[row.status],
            row.target.quote if row.target else "",
            row.result.quote if row.result else "",
            row.target.citation if row.target else "",
            row.result.citation if row.result else "",
        ]

    HEADER: ClassVar[list[str]] = [
        "region", "year", "target", "result", "difference", "status", "target quote", "result quote",
        "target citation", "result citation",
    ]  # fmt: skip

    def to_csv(self) -> str:
        """The rows as CSV; no cell can run as a spreadsheet formula."""
        return to_csv(self.HEADER, (self._cells(r) for r in self.rows))

    def to_markdown(self) -> str:
        lines = [f"## {md_text(self.topic)} — {md_text(self.region)}", ""]
        lines.append("| 年份 year | 目标 target | 结果 result | 差值 difference | 状态 status | 目标原文 | 结果原文 |")
        lines.append("|---|---|---|---|---|---|---|")
        for r in self.rows:
            cells = self._cells(r)
            lines.append("| " + " | ".join(md_text(c) for c in [cells[1], *cells[2:6], cells[6], cells[7]]) + " |")
        return "\n".join(lines) + "\n"


@dataclass
class Change:
    """How one target moved between two plans: "new", "dropped", "raised", "lowered", "unchanged"."""

    subject: str
    change: str
    kind: str
    before: Statement | None
    after: Statement | None
    before_value: str = ""
    after_value: str = ""

    def to_json(self) -> dict:
        return {
            "subject": self.subject,
            "change": self.change,
            "kind": self.kind,
            "before_value": self.before_value,
            "after_value": self.after_value,
            "before": self.before.to_json() if self.before else None,
            "after": self.after.to_json() if self.after else None,
        }


CHANGE_LABELS = {
    "new": "新增 new",
    "dropped": "取消 dropped",
    "raised": "提高 raised",
    "lowered": "降低 lowered",
    "unchanged": "不变 unchanged",
}


@dataclass
class PlanChanges:
    """The targets of a later plan against an earlier one of the same region."""

    before: str  # doc ids
    after: str
    changes: list[Change]

    def to_json(self) -> dict:
        return {"before": self.before, "after": self.after, "changes": [c.to_json() for c in self.changes]}

    def to_csv(self) -> str:
        return to_csv(
            ["subject", "change", "before", "after", "before quote", "after quote"],
            (
                [c.subject, CHANGE_LABELS[c.change], c.before_value, c.after_value,
                 c.before.quote if c.before else "", c.after.quote if c.after else ""]
                for c in self.changes
            ),
        )  # fmt: skip

    def to_markdown(self) -> str:
        lines = [f"## {md_text(self.before)} → {md_text(self.after)}", ""]
        lines.append("| 指标 indicator | 变化 change | 之前 before | 之后 after | 之后原文 after quote |")
        lines.append("|---|---|---|---|---|")
        for c in self.changes:
            quote = (c.after or c.before).quote if (c.after or c.before) else ""
            cells = [c.subject, CHANGE_LABELS[c.change], c.before_value, c.after_value, quote]
            lines.append("| " + " | ".join(md_text(x) for x in cells) + " |")
        return "\n".join(lines) + "\n"


def _distance(targets: list[Measure], results: list[Measure]) -> float:
    """How far apart in size the comparable figures of a target and a result are (log ratio)."""
    gaps = [
        abs(math.log(abs(r.value) / abs(t.value)))
        for t in targets for r in results
        if t.comparable(r) and t.value and r.value
    ]  # fmt: skip
    return min(gaps, default=math.inf)


def scale_of(text: str) -> tuple[str, float]:
    """The scale a figure is written in ("亿", 1e8 for "240亿元"), ("", 1) without one."""
    return next(((name, value) for name, value in _YUAN_SCALES if name in text), ("", 1.0))


def difference(target: Measure, result: Measure) -> str:
    """``result`` − ``target`` in the target's unit as written: "+0.9个百分点", "-4.8亿元"."""
    delta = result.value - target.value
    if target.unit == "%":
        return f"{delta:+.1f}个百分点".replace("+-", "-")
    name, scale = scale_of(target.text)
    text = f"{delta / scale:+,.2f}".rstrip("0").rstrip(".")
    return f"{text}{name}{target.unit}"


def met(target: Measure, result: Measure, tolerance: float) -> bool:
    """Whether ``result`` meets ``target``: at or over it, or at or under a ceiling (以内);
    "左右" allows ``tolerance`` of the target either way."""
    slack = abs(target.value) * tolerance if "左右" in target.comparator else 0.0
    if target.downward:
        return result.value <= target.value + slack
    return result.value >= target.value - slack


class TargetTracker:
    """Pairs targets with results across the documents of one index.

    Args:
        index: the loaded index (documents, chunks, indicators).
        settings: ``track_min_similarity`` (how much of a topic a figure's subject must
            name) and ``track_about_tolerance`` (how far a result may fall short of a
            "左右" target and still meet it) are used.
    """

    def __init__(self, index: PolicyIndex, settings: Settings | None = None, terms: TermMap | None = None) -> None:
        settings = settings or Settings()
        self.index = index
        self.terms = terms  # English topics ("GDP") read through the term map
        self.min_similarity = settings.track_min_similarity
        self.tolerance = settings.track_about_tolerance
        self._statements: dict[str, list[Statement]] = {}

    # -- reading a document -----------------------------------------------------------------

    def statements(self, document: Document) -> list[Statement]:
        """Every sentence of ``document`` that states figures, as a target or a result."""
        if document.doc_id in self._statements:
            return self._statements[document.doc_id]
        by_sentence: dict[int, list[Indicator]] = {}
        for indicator in self.index.indicators:
            if indicator.doc_id == document.doc_id:
                by_sentence.setdefault(indicator.sentence_start, []).append(indicator)
        reports_own_year = (
            document.year is not None
            and any(c.year == document.year and c.role == "reviewed" for c in document.covers)
            and not any(c.year == document.year and c.role == "planned" for c in document.covers)
        )
        found = []
        for start, indicators in sorted(by_sentence.items()):
            chunk = self.index.chunk_at(document.doc_id, start)
            if chunk is None or document.year is None:
                continue
            if chunk.about_year is not None:
                role, year = "result", chunk.about_year
            else:
                role, year = ("result" if reports_own_year else "target"), document.year
            sentence = indicators[0].sentence
            found.append(
                Statement(
                    document.doc_id, document.source, document.title, document.region, document.year, role, year,
                    sentence.strip(), start, start + len(sentence), list(chunk.section), self._measures(indicators),
                )
            )  # fmt: skip
        self._statements[document.doc_id] = found
        return found

    @staticmethod
    def _measures(indicators: list[Indicator]) -> list[Measure]:
        """What each figure of one sentence measures; a figure with no subject of its own
        ("…达到240亿元，同比增长21%") measures the subject before it."""
        measures: list[Measure] = []
        last_subject = ""
        previous_end = 0  # where the sentence's previous figure ends (offset in the sentence)
        for indicator in sorted(indicators, key=lambda i: i.start):
            after_previous, previous_end = previous_end, indicator.end - indicator.sentence_start
            if indicator.unit in ("岁", "年", "天", "小时", "分钟") or indicator.value_max is not None:
                continue
            if not any(ch.isdigit() for ch in indicator.text):
                continue  # "抓好以下四个方面": counted in words, an outline, not a target
            head = indicator.sentence[: indicator.start - indicator.sentence_start]
            if indicator.per_capita and head.endswith(indicator.per_capita):
                head = head[: -len(indicator.per_capita)]
            words_before = re.split(r"[，,；;：:。]", head)[-1].strip()
            baseline = bool(_BASELINE.search(words_before))
            # Only the words after the clause's previous figure describe this one.
            since = indicator.sentence[after_previous : indicator.start - indicator.sentence_start]
            if len(since) < len(words_before):
                words_before = since.strip()
            words_before = _CHAIN_WORDS.sub("", words_before.strip())
            growth = bool(_GROWTH.search(re.sub(r"(?:达到|达|为|保持在|控制在|力争|超过)$", "", words_before)))
            # What the figure measures: the words before it in its clause, else what the
            # indicator extractor read (the noun a count counts: "新建40个家庭医生工作室").
            subject = _SUBJECT_SUFFIX.sub("", _SUBJECT_PREFIX.sub("", words_before))
            if len(subject) < 2 and not growth:
                phrase = _FROM_BASELINE.sub("", indicator.phrase.strip())
                subject = _SUBJECT_SUFFIX.sub("", _SUBJECT_PREFIX.sub("", phrase))
            if len(subject) < 2 or _GROWTH.fullmatch(subject):
                subject = last_subject
            if len(subject) < 2:
                continue
            last_subject = subject
            if baseline:
                continue
            downward = any(w in indicator.comparator or head.endswith(w) for w in _DOWNWARD)
            measures.append(
                Measure(subject, ("average growth" if _AVERAGE.search(words_before) else "growth")
                        if growth and indicator.unit == "%" else "level", indicator.value,
                        indicator.unit, indicator.display(), indicator.comparator, downward,
                        indicator.start, indicator.end)
            )  # fmt: skip
        return measures

    # -- one indicator over the years -------------------------------------------------------

    def topic_core(self, topic: str) -> str:
        """The indicator a topic names: "2013年地区生产总值增长目标是多少" → 地区生产总值; an
        English topic by its Chinese words, typed in or from the term map ("GDP" → 地区生产总值)."""
        chinese = re.findall(r"[\u4e00-\u9fff]{2,}", topic)
        if chinese and cjk_ratio(topic) < 0.5:
            return _TOPIC_NOISE.sub("", max(chinese, key=len))
        if not chinese and self.terms is not None:
            translated = self.terms.translate(topic)
            return translated[0] if translated else ""
        return _TOPIC_NOISE.sub("", topic)

    def _about(self, statement: Statement, core: str) -> list[Measure]:
        return [m for m in statement.measures if similarity(core, m.subject) >= self.min_similarity]

    def track(self, topic: str, filters: Filters | None = None) -> list[Track]:
        """One :class:`Track` per region of the (filtered) documents that state ``topic``."""
        core = self.topic_core(topic.strip())
        if not core:
            raise ValueError(f"the topic {topic!r} names no indicator; name one, e.g. 地区生产总值")
        # Years pick rows, not documents: the result of 2013 is in the report of 2014.
        years_asked = set(filters.years) if filters else set()
        places = replace(filters, years=[]) if filters else None
        documents = [d for d in self.index.documents.values() if not places or places.accepts(d)]
        tracks = []
        for region in sorted({d.region for d in documents}):
            statements = [s for d in documents if d.region == region for s in self.statements(d)]
            relevant = [(s, self._about(s, core)) for s in statements]
            relevant = [(s, m) for s, m in relevant if m]
            if not relevant:
                continue
            years = sorted({s.year for s, _ in relevant if not years_asked or s.year in years_asked})
            reviewed = {s.year for s in statements if s.role == "result"}
            rows = [self._row(year, relevant, core, year in reviewed) for year in years]
            tracks.append(Track(topic.strip(), region, [r for r in rows if r is not None]))
        return tracks

    def _row(self, year: int, relevant: list[tuple[Statement, list[Measure]]], core: str, reviewed: bool):
        def best(role: str) -> tuple[Statement, list[Measure]] | None:
            options = [(s, m) for s, m in relevant if s.role == role and s.year == year]
            if not options:
                return None
            return max(
                options, key=lambda sm: (max(similarity(core, m.subject) for m in sm[1]), len(sm[1]), -sm[0].start)
            )

        target, result = best("target"), best("result")
        if target is None and result is None:
            return None
        if target is None:
            statement, measures = result
            return TrackRow(year, "no_target_stated", None, self._only(statement, measures))
        t_statement, t_measures = target
        if result is None:
            note = "" if reviewed else f"no document reviews {year} yet 尚无回顾{year}年的文件"
            return TrackRow(year, "no_result_reported", self._only(t_statement, t_measures), note=note)
        # Of the year's result sentences, the one stating the measures of the target — the most
        # of them ("达到287.9亿元,同比增长8.9%" for a target of 296亿元 and 8%, not the five-year
        # review's level alone) — nearest in size to it ("新增就业5650人" for a target of 5700人,
        # not a project's 3000人).
        options = [
            (s, m) for s, m in relevant if s.role == "result" and s.year == year
            and any(t.comparable(r) for t in t_measures for r in m)
        ]  # fmt: skip
        if options:
            result = max(options, key=lambda sm: (max(similarity(core, m.subject) for m in sm[1]),
                                                  sum(any(t.comparable(r) for r in sm[1]) for t in t_measures),
                                                  -_distance(t_measures, sm[1])))  # fmt: skip
        r_statement, r_measures = result
        pairings = []
        for t in t_measures:
            r = next((r for r in r_measures if t.comparable(r)), None)
            if r is not None:
                pairings.append(Pairing(t.kind, t.text, r.text, difference(t, r), met(t, r, self.tolerance)))
        row_target, row_result = self._only(t_statement, t_measures), self._only(r_statement, r_measures)
        if not pairings:
            return TrackRow(year, "no_comparable_result", row_target, row_result)
        outcomes = {p.met for p in pairings}
        status = "met" if outcomes == {True} else "missed" if outcomes == {False} else "partly"
        return TrackRow(year, status, row_target, row_result, pairings)

    @staticmethod
    def _only(statement: Statement, measures: list[Measure]) -> Statement:
        """The statement narrowed to the indicator asked about: its measures, and the clauses
        that state them ("地区生产总值达到240亿元，同比增长21%" of a sentence listing six targets)."""
        spans = [(m.start, m.end) for m in measures if m.end > m.start]
        start, end = statement.start, statement.end
        if spans:
            text, offset = statement.quote, statement.start
            first, last = min(a for a, _ in spans) - offset, max(b for _, b in spans) - offset
            begin = max((i + 1 for i, ch in enumerate(text[:first]) if ch in _STATEMENT_BREAKS), default=0)
            stop = next((first_end for first_end in range(last, len(text)) if text[first_end] in _STATEMENT_BREAKS),
                        len(text))  # fmt: skip
            quote = text[begin:stop].strip()
            if quote:
                start = offset + begin + (len(text[begin:stop]) - len(text[begin:stop].lstrip()))
                end = start + len(quote)
                return Statement(**{**statement.__dict__, "measures": list(measures), "quote": quote,
                                    "start": start, "end": end})  # fmt: skip
        return Statement(**{**statement.__dict__, "measures": list(measures)})

    # -- two plans --------------------------------------------------------------------------

    def changes(self, before: str, after: str) -> PlanChanges:
        """The targets of plan ``after`` against those of plan ``before`` (doc ids or file names),
        matched by what they measure; a growth rate decides over an amount."""
        first, second = self._document(before), self._document(after)
        old = self._targets(first)
        new = self._targets(second)
        changes: list[Change] = []
        matched_old: set[int] = set()
        old_subjects = list(old)
        for subject, (statement, measures) in new.items():
            # Both ways: "城镇人均可支配收入" is "城镇居民人均可支配收入", but "地区生产总值" is not
            # "非公经济增加值占地区生产总值的比重"; and a target of another measure is another target.
            candidates = [
                (min(_share(subject, s), _share(s, subject)), n, s)
                for n, s in enumerate(old_subjects)
                if n not in matched_old and any(o.comparable(m) for o in old[s][1] for m in measures)
            ]  # fmt: skip
            score, n, old_subject = max(candidates, default=(0.0, -1, ""))
            statement = self._only(statement, measures)  # the clauses of this target only
            if score < self.min_similarity:
                changes.append(Change(subject, "new", measures[0].kind, None, statement, "",
                                      figures_text(measures)))  # fmt: skip
                continue
            matched_old.add(n)
            old_statement, old_measures = old[old_subject]
            old_statement = self._only(old_statement, old_measures)
            changes.append(self._change(subject, old_statement, old_measures, statement, measures))
        for n, (subject, (statement, measures)) in enumerate(old.items()):
            if n not in matched_old:
                changes.append(Change(subject, "dropped", measures[0].kind, self._only(statement, measures), None,
                                      figures_text(measures), ""))  # fmt: skip
        # In the order the later plan states them (a report's main targets come first), then
        # what it dropped in the order the earlier plan stated it.
        changes.sort(key=lambda c: (c.after is None, (c.after or c.before).start))
        return PlanChanges(first.doc_id, second.doc_id, changes)

    def _document(self, name: str) -> Document:
        for document in self.index.documents.values():
            if name in (document.doc_id, document.source):
                return document
        known = ", ".join(sorted(d.doc_id for d in self.index.documents.values()))
        raise ValueError(f"no plan {name!r} in the index; plans: {known}")

    def _targets(self, document: Document) -> dict[str, tuple[Statement, list[Measure]]]:
        """The plan's targets by subject: the first sentence stating each."""
        found: dict[str, tuple[Statement, list[Measure]]] = {}
        for statement in self.statements(document):
            if statement.role != "target":
                continue
            for measure in statement.measures:
                entry = found.setdefault(measure.subject, (statement, []))
                if entry[0] is statement:
                    entry[1].append(measure)
        return found

    @staticmethod
    def _change(subject, old_statement, old_measures, statement, measures) -> Change:
        pairs = [(o, m) for m in measures for o in old_measures if o.comparable(m)]
        pairs.sort(key=lambda p: p[1].kind != "growth")  # a growth rate decides over an amount
        if not pairs:
            return Change(subject, "unchanged", measures[0].kind, old_statement, statement, figures_text(old_measures),
                          figures_text(measures))  # fmt: skip
        o, m = pairs[0]
        if abs(m.value - o.value) <= 1e-9 * max(1.0, abs(o.value)):
            change = "unchanged"
        elif m.value > o.value:
            change = "raised"
        else:
            change = "lowered"
        return Change(
            subject, change, m.kind, old_statement, statement, figures_text(old_measures), figures_text(measures)
        )


class TrackAnswerer:
    """Answers "目标是多少，实际完成了多少" and "与上年相比有哪些新目标" on the ask path.

    A specialist of :class:`~assistant.ask.router.Router`: called with the routed question, it
    returns an :class:`Answer` citing the target and result sentences (or the two plans'
    target sentences), or None when the question is not of its kind or nothing pairs — the
    question then goes on to the ordinary routes.
    """

    def __init__(self, tracker: TargetTracker) -> None:
        self.tracker = tracker

    def __call__(self, routed) -> Answer | None:
        question = routed.question
        if question.intents.target_changes:
            return self._changes(question, routed.decision.applied)
        if question.intents.target_and_result:
            return self._track(question, routed.decision.applied)
        return None

    def _citation(self, n: int, statement: Statement) -> Citation | None:
        index = self.tracker.index
        chunk = index.chunk_at(statement.doc_id, statement.start)
        document = index.documents.get(statement.doc_id)
        if chunk is None or document is None:
            return None
        return Citation.of(n, document, chunk, statement.start, statement.end)

    def _track(self, question, applied: Filters | None) -> Answer | None:
        core = self.tracker.topic_core(question.topic)
        if not core:
            return None
        rows = [(t, r) for t in self.tracker.track(question.topic, applied) for r in t.rows]
        rows = [(t, r) for t, r in rows if r.target is not None]
        if not rows:
            return None
        english = question.english
        lines, citations = [], []
        for track, row in rows[:6]:
            marks = []
            for statement in (row.target, row.result):
                citation = self._citation(len(citations) + 1, statement) if statement else None
                if citation:
                    citations.append(citation)
                marks.append(f" [{citation.n}]" if citation else "")
            target = row.target.figures
            result = row.result.figures if row.result else ""
            diff = "；".join(p.difference for p in row.pairings)
            status = STATUS_LABELS[row.status]
            if english:
                line = f"{track.region} {row.year}: target {target}{marks[0]}"
                line += f"; result {result}{marks[1]}" if row.result else "; no result reported yet"
                line += f" ({diff})" if diff else ""
                lines.append(f"{line} — {status.split(' ', 1)[1]}.")
            else:
                line = f"{track.region} {row.year}年：目标 {target}{marks[0]}"
                line += f"；实际 {result}{marks[1]}" if row.result else "；尚无文件报告该年结果"
                line += f"（差值 {diff}）" if diff else ""
                lines.append(f"{line} — {status.split(' ', 1)[0]}。")
        summary = list(lines)
        return Answer(
            question.text, "\n".join(lines), Status.ANSWERED, citations, [], route=Route.TRACK, applied=applied,
            scope=question.scope, confidence=1.0 if all(r.pairings for _, r in rows) else None, summary=summary,
        )  # fmt: skip

    def _changes(self, question, applied: Filters | None) -> Answer | None:
        documents = [d for d in self.tracker.index.documents.values() if not applied or applied.accepts(d)]
        regions = sorted({d.region for d in documents})
        if len(regions) != 1:
            return None  # which region's plans: the question must say
        by_year = sorted((d for d in self.tracker.index.documents.values() if d.region == regions[0] and d.year),
                         key=lambda d: d.year)  # fmt: skip
        asked = [d for d in by_year if d in documents]
        if not asked or len(by_year) < 2:
            return None
        after = asked[-1]
        earlier = [d for d in by_year if d.year < after.year]
        if not earlier:
            return None
        before = earlier[-1]
        changes = self.tracker.changes(before.doc_id, after.doc_id)
        shown = [c for c in changes.changes if c.change != "unchanged"][:8]
        if not shown:
            return None
        english = question.english
        lines, citations = [], []
        head = (f"{after.region} {after.year} against {before.year}:" if english
                else f"{after.region} {after.year}年与{before.year}年相比：")  # fmt: skip
        lines.append(head)
        for change in shown:
            statement = change.after or change.before
            citation = self._citation(len(citations) + 1, statement) if statement else None
            if citation:
                citations.append(citation)
            values = " → ".join(v for v in (change.before_value, change.after_value) if v)
            label = CHANGE_LABELS[change.change].split(" ", 1)[1 if english else 0]
            lines.append(f"- {label}: {change.subject} {values}" + (f" [{citation.n}]" if citation else ""))
        return Answer(
            question.text, "\n".join(lines), Status.ANSWERED, citations, [], route=Route.TRACK, applied=applied,
            scope=question.scope, summary=lines[1:],
        )  # fmt: skip
