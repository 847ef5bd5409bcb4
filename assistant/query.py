"""Query understanding: the regions and years a question names, turned into filters.

"东海县2021年…", "In Donghai …", "浙江2022年…" name a plan; retrieval is then restricted to
the plans that match. A region or year the corpus has no plan for ("杭州2023",
"Beijing") is reported as *unavailable*, so the answer can say which plans exist
instead of answering from another region.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .lexical import ChineseTokenizer
from .regions import Gazetteer, short_name
from .retrieval import Filters
from .schema import Document
from .terms import TermMap
from .text import cjk_ratio, squeeze_cjk_spaces

_YEAR = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
_CN_DIGITS = {
    "〇": "0",
    "零": "0",
    "一": "1",
    "二": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}
# Plan level only when the plan itself is meant: "县级医院" is a hospital, not a plan.
_LEVEL_WORDS = [
    ("province", re.compile(r"省级(?:工作)?(?:计划|要点)|全省(?:工作)?(?:计划|要点)|provincial(?:-level)? plan", re.I)),
    ("city", re.compile(r"市级(?:工作)?(?:计划|要点)|(?:city|municipal)(?:-level)? plans?", re.I)),
    ("county", re.compile(r"县级(?:工作)?(?:计划|要点)|全县(?:工作)?(?:计划|要点)|county(?:-level)? plans?", re.I)),
]
_COMPARE = re.compile(
    r"比较|对比|相比|各地|各计划|各个计划|哪些计划|哪些地方|哪几个|分别|所有计划|几个计划|五个计划|各市|不同地区"
    r"|\bcompar|\bacross\b|\beach (?:plan|of)\b|\bwhich plans\b|\ball (?:five |the )?plans\b|\bversus\b|\bvs\.?\s"
    r"|\bboth\b|\bdiffer",
    re.I,
)
# Phrases that say what kind of answer is wanted, not what it is about.
_FORM_PHRASES = frozenset(
    {
        "target", "goal", "ratio", "rate", "share", "proportion", "percentage", "percent", "number", "amount",
        "figure", "plan", "requirement", "measure", "task", "standard", "level", "indicator", "coverage",
        "document number", "file number", "reference number", "index number", "publication date", "release date",
        "date of issue", "issue date", "published", "issuing body", "issuing authority", "issuer", "notice",
    }
)  # fmt: skip
# "compared with 2020", "比2020年" name a baseline, not the plan's year.
_BASELINE = re.compile(
    r"(?:compared (?:with|to)|than|since|from|相比|比|较|与|以来)\s*(?:the\s+)?(?:end of\s+)?$", re.I
)
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_CN_YEAR = re.compile(r"二[〇零][一二三四五六七八九〇零][〇零一二三四五六七八九]年")
# Which record fields (see corpus.record_fields) a question asks for. English questions
# reach the labels through the term map ("document number" → 文号).
_RECORD_FIELD_GROUPS: list[tuple[tuple[str, ...], re.Pattern[str]]] = [
    (("文号", "文件编号"), re.compile(r"文号|文件编号|发文字号")),
    (("索引号",), re.compile(r"索引号")),
    (("发布机构", "来源", "信息来源"), re.compile(r"发布机构|发文(?:单位|机关)|印发单位|信息来源")),
    (
        ("发布日期", "发布时间", "公开日期", "成文日期", "生成日期"),
        re.compile(
            r"发布日期|发布时间|公开日期|成文日期|生成日期|印发日期|落款"
            r"|(?:发布|公开|印发)\S{0,3}(?:哪天|哪一天|何时|什么时候|日期|时间)|(?:哪天|哪一天|何时|什么时候)\S{0,3}(?:发布|公开|印发)"
            r"|\b(?:what|which) date\b.*\b(?:issu|publish|releas|sign|made public)"
            r"|\bwhen\b.*\b(?:issued|published|released|signed|made public)\b",
            re.I,
        ),
    ),
]


def asked_record_fields(question: str, terms: Sequence[str] = ()) -> list[str]:
    """Record labels the question asks for: "浙江要点的文号是什么" → ["文号", "文件编号"]."""
    text = squeeze_cjk_spaces(question) + " " + " ".join(terms)
    return [label for labels, pattern in _RECORD_FIELD_GROUPS if pattern.search(text) for label in labels]


@dataclass
class QueryScope:
    """What a question says about where and when."""

    regions: list[str] = field(default_factory=list)  # region names as in the gazetteer, e.g. 东海县
    years: list[int] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)  # named regions/years with no plan in the corpus
    topic: str = ""  # the question without its region and year words, for sentence matching
    levels: list[str] = field(default_factory=list)  # "the county plan" → ["county"]
    compare: bool = False  # asks about several plans: retrieve per plan
    terms: list[str] = field(default_factory=list)  # Chinese terms for an English question (term map)
    # English phrases naming the topic (not question form words) with their Chinese terms
    phrases: list[tuple[str, list[str]]] = field(default_factory=list)
    # Fields of the publisher's record asked for ("文号", "公开日期" …): answered from the record chunk
    record_fields: list[str] = field(default_factory=list)

    def filters(self) -> Filters | None:
        if not (self.regions or self.years or self.levels):
            return None
        return Filters(regions=list(self.regions), years=list(self.years), levels=list(self.levels))

    def describe(self) -> dict[str, object]:
        """What was understood, for showing to the user."""
        shown: dict[str, object] = {}
        for key in ("regions", "years", "levels", "unavailable"):
            if getattr(self, key):
                shown[key] = list(getattr(self, key))
        if self.compare:
            shown["compare"] = True
        return shown


class QueryAnalyzer:
    """Finds region and year mentions in a question and checks them against the corpus.

    Chinese mentions: provinces and cities by full or short name (浙江, 开封), counties
    by full name (东海县) or, if the corpus has a plan for them, by short name (东海).
    English mentions: names from ``data/region_names_en.tsv`` (Zhejiang, Donghai).
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

    def analyze(self, question: str) -> QueryScope:
        scope = QueryScope()
        zh_matches = self._chinese_mentions(question)
        en_matches = list(self._en.finditer(question))
        mentioned = [self._names[m] for _, m in zh_matches]
        mentioned += [self._english[m.group(1).lower()] for m in en_matches]
        for region in dict.fromkeys(mentioned):
            if any(region in d.region_chain for d in self.documents):
                scope.regions.append(region)
            else:
                scope.unavailable.append(region)
        years = [int(m.group(1)) for m in _YEAR.finditer(question) if not _BASELINE.search(question[: m.start()])]
        years += [int("".join(_CN_DIGITS[c] for c in y[:4])) for y in _CN_YEAR.findall(question)]
        candidates = [d for d in self.documents if not scope.regions or any(r in d.region_chain for r in scope.regions)]
        named_years = list(dict.fromkeys(years))
        scope.years = [y for y in named_years if any(d.year == y for d in candidates)]
        if not scope.years:
            # With a plan year named, another year is part of the topic ("2021年…考核2020年
            # 遴选的人才"), not a plan the corpus lacks.
            scope.unavailable += [f"{y}年" for y in named_years]
        if cjk_ratio(question) < 0.5:
            # Chinese words written into an English question ("pit-and-fissure sealing
            # (窝沟封闭)") are the user's own exact terms: they come first.
            mentioned_names = {m for _, m in zh_matches}
            inline = [w for w in _CJK_RUN.findall(question) if w not in mentioned_names and len(w) >= 2]
            scope.terms = list(dict.fromkeys([*inline, *self.terms.translate(question)]))
        scope.levels = [level for level, pattern in _LEVEL_WORDS if pattern.search(question)]
        # One named region leaves nothing to compare ("compared with 2020" is a baseline).
        scope.compare = (bool(_COMPARE.search(question)) and len(scope.regions) != 1) or len(scope.regions) >= 2
        topic = question
        for mention in [*(m for _, m in zh_matches), *(m.group(0) for m in en_matches)]:
            topic = topic.replace(mention, "\0")
        topic = _CN_YEAR.sub("\0", re.sub(r"(?<!\d)20\d{2}\s*年?(?!\d)", "\0", topic))
        scope.topic = re.sub(r"\s+", " ", topic.replace("\0", " ")).strip(" ,，、'’s") or question
        scope.record_fields = asked_record_fields(question, scope.terms)
        if scope.terms:
            # Where a name or year was cut out, a phrase must not run across the gap:
            # "actions Zhejiang plans" is not "action plan".
            scope.phrases = [
                (p, t) for p, t in self.terms.phrases(topic.replace("\0", " ; ")) if p not in _FORM_PHRASES
            ]
        return scope

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
