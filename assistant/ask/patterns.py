"""Every "what kind of question is this" pattern, in one place.

The analyser (:mod:`.question`) applies them once per question and records the result
in the question's typed :class:`~.question.Intents`; no other module matches question
text against a pattern of its own.
"""

from __future__ import annotations

import re

# -- where and when ------------------------------------------------------------------------

YEAR = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
CN_YEAR = re.compile(r"二[〇零][一二三四五六七八九〇零][〇零一二三四五六七八九]年")
# "compared with 2020", "比2020年" name a baseline, not the plan's year.
BASELINE = re.compile(r"(?:compared (?:with|to)|than|since|from|相比|比|较|与|以来)\s*(?:the\s+)?(?:end of\s+)?$", re.I)
# Plan level only when the plan itself is meant: "县级医院" is a hospital, not a plan.
LEVEL_WORDS = [
    ("province", re.compile(r"省级(?:工作)?(?:计划|要点)|全省(?:工作)?(?:计划|要点)|provincial(?:-level)? plan", re.I)),
    ("city", re.compile(r"市级(?:工作)?(?:计划|要点)|(?:city|municipal)(?:-level)? plans?", re.I)),
    ("county", re.compile(r"县级(?:工作)?(?:计划|要点)|全县(?:工作)?(?:计划|要点)|county(?:-level)? plans?", re.I)),
]
CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
# The whole country: a mention of the national plan or report (only where the corpus has one).
NATIONAL = re.compile(
    r"全国|我国|(?<!健康)中国(?!特色|式|共产党)|国务院|\bChina(?:'s)?\b|\bState Council\b|\bnationwide\b"
    r"|\bnational government\b|\bthe country(?:'s)?\b|\bcountrywide\b",
    re.I,
)

# -- several plans -------------------------------------------------------------------------

COMPARE = re.compile(
    r"比较|对比|相比|各地|各计划|各个计划|哪些计划|哪些地方|哪几个|分别|所有计划|几个计划|五个计划|各市|不同地区"
    r"|\bcompar|\bacross\b|\beach (?:plan|of)\b|\bwhich plans\b|\ball (?:five |the )?plans\b|\bversus\b|\bvs\.?\s"
    r"|\bboth\b|\bdiffer",
    re.I,
)

# -- what form of answer -------------------------------------------------------------------

# The question is about a quantity (a sentence with a figure is a little more likely the answer).
QUANTITY = re.compile(
    r"多少|几[个家所项名人次万]|比例|比率|目标|覆盖率|达到|[率数量额]"
    r"|how (many|much)|what (share|percentage|proportion|rate|number)|target|percent|rate|ratio|number of",
    re.IGNORECASE,
)
# Stricter: the question cannot be answered without a figure.
NEEDS_FIGURE = re.compile(
    r"多少|几[个家所项名人次万台张座]|比例是|比率是|百分之|数值"
    r"|how (many|much)|what (share|percentage|proportion|ratio|number|figure)|\bper (\d|thousand|hundred)",
    re.IGNORECASE,
)
# A question that names the unit of the figure it wants ("in yuan", "per 100,000", "what
# rate") is answered only by a sentence stating a figure in that unit: a percentage of
# something else is a wrong answer, not a near one. (name, asks, figure in that unit)
UNIT_DEMANDS: list[tuple[str, re.Pattern[str], re.Pattern[str]]] = [
    (
        "yuan",
        re.compile(r"\byuan\b|how much money|多少(?:万|亿)?元|资金(?:是|有)?多少", re.I),
        re.compile(r"\d\s*(?:万|亿)?元"),
    ),
    ("per 1,000", re.compile(r"per (?:1,?000|thousand)\b|每千|千人口", re.I), re.compile(r"每千|千人口|‰")),
    (
        "per 100,000",
        re.compile(r"per (?:100,?000|hundred thousand)|/\s*10万|每10万|十万分之", re.I),
        re.compile(r"10\s*万|十万"),
    ),
    ("hours", re.compile(r"\bhours?\b|几个?小时|多少小时", re.I), re.compile(r"\d\s*小时")),
    ("beds", re.compile(r"\bbeds?\b.*\bhow many\b|\bhow many\b.*\bbeds?\b|多少张", re.I), re.compile(r"\d\s*张")),
    (
        "rate",
        re.compile(
            r"\b(?:rates?|percentages?|percent|shares?|proportions?)\b|率\S{0,4}多少|比例\S{0,4}多少|百分之多少", re.I
        ),
        re.compile(r"\d\s*(?:%|％|‰|个?百分点)|/\s*10万|百分之|[一二三四五六七八九十]分之|全覆盖|全部|一半|半数"),
    ),
]

# -- fields of the publisher's record --------------------------------------------------------

# Which record fields (see corpus.record_fields) a question asks for. English questions
# reach the labels through the term map ("document number" → 文号).
RECORD_FIELD_GROUPS: list[tuple[tuple[str, ...], re.Pattern[str]]] = [
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

# -- who is responsible ----------------------------------------------------------------------

RESPONSIBILITY = re.compile(
    r"谁负责|谁牵头|由谁|牵头领导|责任科室|负责科室|哪个科室|哪个部门|责任部门|牵头单位|责任单位|"
    r"who (?:is|are) (?:responsible|in charge)|who leads|which (?:department|office|leader)"
    r"|responsible (?:department|leader|office)",
    re.IGNORECASE,
)

# -- what a section consists of ----------------------------------------------------------------

# Asks what a section is made of, not merely "which …" (哪些计划, 哪些应用 are content questions).
ASKS_FOR_PARTS = re.compile(
    r"包括|包含|分为|分成|由哪|组成|哪几项|哪几个方面|哪[一二三四五六七八九十两\d]+[项个方类条大]|几项|几个方面"
)
STATED_COUNT = re.compile(r"([两二三四五六七八九十]|\d{1,2})\s*[项个方类条大]")

# A list question: several items are wanted ("what are the targets", 有哪些措施).
LIST = re.compile(
    r"哪些|哪几|有什么|什么措施|主要任务|包括|举措|列出|列举"
    r"|\bwhat (?:are|were) the\b|\bwhich (?:\w+ ){0,3}(?:are|were|will)\b"
    r"|\blist\b|\bmeasures\b|\btargets\b|\bpriorities\b",
    re.I,
)

# -- words that say what kind of answer is wanted, not what it is about ----------------------

FORM_PHRASES = frozenset(
    {
        "target", "goal", "ratio", "rate", "share", "proportion", "percentage", "percent", "number", "amount",
        "figure", "plan", "requirement", "measure", "task", "standard", "level", "indicator", "coverage",
        "document number", "file number", "reference number", "index number", "publication date", "release date",
        "date of issue", "issue date", "published", "issuing body", "issuing authority", "issuer", "notice",
    }
)  # fmt: skip
FORM_WORDS = frozenset(
    {
        "多少", "目标", "要求", "达到", "计划", "工作", "要点", "提出", "什么", "哪些", "比例", "比率", "是否", "任务",
        "控制", "以内", "以上", "以下", "提高", "降低", "下降", "实现", "完成", "确保", "力争", "全县", "全市", "全省",
    }
)  # fmt: skip
