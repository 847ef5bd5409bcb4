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
    r"多少|(?<!哪)几[个家所项名人次万台张座]|比例是|比率是|百分之|数值"
    r"|how (many|much)|what (share|percentage|proportion|ratio|number|figure)|\bper (\d|thousand|hundred)"
    r"|\bwhat\b[^?]*\b(?:rate|ratio|percentage|proportion|share|number|amount)\b"
    r"|\bwhat (?:is|was|are|were) (?:the )?(?:\w+ ){0,3}(?:price|cost|budget|spending|revenue|output)s?\b",
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
    (
        "people",
        re.compile(
            r"多少(?:万)?(?:人|名|例|户)|(?<!哪)几(?:万)?(?:人|名)|\bhow many (?:\w+ ){0,3}?(?:people|persons|residents|women|men|children|patients|students|doctors|nurses|graduates|elderly|households|workers|employees|holders|babies)\b(?!['’]s)"
            # "how many elderly care institutions" counts institutions, not people
            r"(?!\s+(?:care|institutions?|homes?|facilities|services?|cent(?:er|re)s?|beds?|hospitals?|wards?"
            r"|departments?|clinics?|stations?|studios?|teams?|schools?|programm?e?s?)\b)",
            re.I,
        ),
        re.compile(r"\d[\d.,]*\s*(?:万|亿)?\s*(?:人|名|例|户)|\d[\d.]*\s*万|[一二两三四五六七八九十百千万]+(?:人|名)"),
    ),
    (
        "count",
        re.compile(r"多少(?:个|家|所|项|座|台|辆|支|处|间|批|条|套|种|类)|(?<!哪)几(?:个|家|所|项|座|台|处)", re.I),
        re.compile(
            r"\d[\d.,]*\s*(?:万|亿)?\s*(?:个|家|所|项|座|张|台|辆|支|处|间|批|条|套|种|类)|\d[\d.]*\s*万|[一二两三四五六七八九十百千]+[个家所项座张台处]"
        ),
    ),
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
    (
        ("发布机构", "来源", "信息来源"),
        re.compile(
            r"发布机构|发文(?:单位|机关)|印发单位|信息来源|(?:哪个|哪家|什么)(?:单位|部门|机关|机构)(?:印发|发布|制定|下发)"
        ),
    ),
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
# Question words: what is asked about, never a term the plans should contain.
INTERROGATIVE = re.compile(r"哪|几|多少|什么|怎么|怎样|如何|是否|够不够|多长|多久|多大|多高|具体")
FORM_WORDS = frozenset(
    {
        "多少", "目标", "要求", "达到", "计划", "工作", "要点", "提出", "什么", "哪些", "比例", "比率", "是否", "任务",
        "控制", "以内", "以上", "以下", "提高", "降低", "下降", "实现", "完成", "确保", "力争", "全县", "全市", "全省",
    }
)  # fmt: skip

# -- what the evidence must also say: qualifiers, programmes, period ---------------------------

# A rank the question narrows to: 三级医院, "tertiary hospitals" (二级及以上 in the plan is not 三级).
# (乡镇/县级 are not ranks: "乡镇卫生院" is written 乡卫生院 as often.)
RANK_ZH = re.compile(r"([一二三])级(?:甲等|乙等)?(?=及以上|以上|医|公立|综合|中医|专科|妇幼|甲|乙|水平|标准)")
RANK_EN: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\btertiary\b|\bgrade[- ](?:3|iii|three)\b|\blevel[- ](?:3|iii|three)\b", re.I), "三级"),
    (re.compile(r"\bsecondary\b(?=.*\bhospital)|\bgrade[- ](?:2|ii|two)\b", re.I), "二级"),
]
# An age the question narrows to: 80岁以上, "over 80", "under 5", "aged 65 and over".
AGE_ZH = re.compile(r"(\d{1,3})\s*(?:周)?岁")
AGE_EN = re.compile(
    r"\b(?:over|above|aged|older than|under|below|younger than|beyond)[\s-]+(?:the age of\s+)?(\d{1,3}|one|two|three|five|six|fourteen|eighteen|sixty|sixty-five|seventy|eighty)s?\b"
    r"|\b(\d{1,3})\s*(?:years? old|-year-olds?|and (?:over|older|above)|\+)",
    re.I,
)
AGE_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "five": 5,
    "six": 6,
    "fourteen": 14,
    "eighteen": 18,
    "sixty": 60,
    "sixty-five": 65,
    "seventy": 70,
    "eighty": 80,
}
# Per person (人均, 每千人口) or in total (总额, 一共): a figure of the other kind does not answer.
PER_CAPITA = re.compile(
    r"人均|每人|每千|每万|\bper[- ](?:capita|person|head|resident)\b|\bper (?:1,?000|10,?000|thousand)\b", re.I
)
TOTAL = re.compile(r"总额|总量|总投入|一共|总共|合计|全部加起来|\btotal\b|\baltogether\b|\bin all\b", re.I)
PER_UNIT = re.compile(r"人均|每(?:个|一个|人|千|万|百|户|村|乡|镇|县|区|所|家)")
# A horizon year in the question ("到2025年") the evidence must name.
HORIZON_YEAR = re.compile(r"(?:到|至|by|in)\s*(20\d{2})\s*年?", re.I)
# A population the question narrows to, with the words a plan uses for it.
POPULATIONS: list[tuple[re.Pattern[str], str, tuple[str, ...]]] = [
    (re.compile(r"城市|城镇|城区|\burban\b|\bcity (?:residents|women|dwellers)", re.I), "城市/城镇", ("城市", "城镇", "城区", "城乡")),
    (re.compile(r"农村|乡村|\brural\b", re.I), "农村", ("农村", "乡村", "城乡")),
    (re.compile(r"女职工|\bfemale (?:employees|workers|staff)\b", re.I), "女职工", ("女职工",)),
    (re.compile(r"青年|年轻人|\byouth\b|\byoung people\b", re.I), "青年", ("青年",)),
    (re.compile(r"大学生|高校毕业生|\bcollege (?:students|graduates)\b|\bgraduates\b", re.I), "高校毕业生", ("高校毕业生", "大学生", "毕业生")),
    (re.compile(r"残疾|\bdisabled\b|\bdisabilit", re.I), "残疾人", ("残疾",)),
    (re.compile(r"农民工|\bmigrant workers?\b", re.I), "农民工", ("农民工",)),
    (re.compile(r"退役军人|\bveterans?\b", re.I), "退役军人", ("退役军人",)),
    (re.compile(r"护士|\bnurses?\b", re.I), "护士", ("护士", "护理人员")),
    (re.compile(r"博士后|\bpostdoc", re.I), "博士后", ("博士后",)),
    (re.compile(r"博士(?!后)|\bPhD\b|\bdoctorate", re.I), "博士", ("博士",)),
    (re.compile(r"中医(?:医院|院)|\bTCM hospitals?\b|\btraditional Chinese medicine hospitals?\b", re.I), "中医医院", ("中医医院", "中医院")),
    (re.compile(r"民营|社会办|\bprivate (?:hospitals?|clinics?|medical)", re.I), "民营/社会办", ("民营", "社会办")),
    (re.compile(r"男性|男职工|\bmen\b|\bmale\b", re.I), "男性", ("男",)),
]  # fmt: skip
# A named programme or document the answer must be about.
NAMED = re.compile(r"《([^》]{2,40})》|“([^”]{2,20})”")
# Whether a year is asked as achieved (a later report's review answers) or as planned.
TARGET = re.compile(
    r"目标|预期|计划|力争|要求|打算|将要|要建|要达|要完成|部署|安排|任务"
    r"|\btargets?\b|\bgoals?\b|\baims?\b|\bplan(?:s|ned)?\b|\bexpected\b|\bset (?:for|out)\b|\bintends?\b"
    r"|\bto be\b|\bwill\b|\bshould\b|\bsets?\b",
    re.I,
)
ACHIEVED = re.compile(
    r"实际|实现了|完成了|取得了|增长了|下降了|提高了|达到了|新增了|减少了|上涨了"
    r"|\bactually\b|\bachieved\b|\bgrew\b|\brose\b|\bfell\b|\brecorded\b|\bin the (?:last|past) year\b"
    # "did … add/grow" asks what happened; a bare "was"/"were" is as often about the plan ("was picked").
    r"|\bdid\b[^?]*\b(?:add|grow|rise|fall|increase|decrease|reach|create|achieve|record)\b",
    re.I,
)

# The measure an English question asks for, in the words a plan uses (death rate ≠ incidence).
MEASURES_EN: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(r"\bmortality\b|\bdeath rates?\b|\bdeaths? per\b", re.I), ("死亡率",)),
    (re.compile(r"\bincidence\b|\bnew cases\b", re.I), ("发病率", "发生率")),
    (re.compile(r"\bprevalence\b", re.I), ("患病率", "流行率")),
    (re.compile(r"\bvaccination rate|\bimmuni[sz]ation rate|\bcoverage of vaccin", re.I), ("接种率",)),
    (re.compile(r"\b(?:contract|sign)(?:ing|ed)?[- ]up rate|\bcontracting rate|\bsigning rate", re.I), ("签约率",)),
    (re.compile(r"\bawareness rate|\bliteracy (?:rate|level)", re.I), ("知晓率", "素养水平", "素养")),
    (re.compile(r"\bunemployment rate", re.I), ("失业率",)),
    (re.compile(r"\burbani[sz]ation rate", re.I), ("城镇化率",)),
    (re.compile(r"\bdeficit ratio|\bdeficit-to-GDP", re.I), ("赤字率",)),
]
# Growth asked for: a share or a total does not answer "by how much did it grow".
GROWTH = re.compile(
    r"增长|增速|增幅|涨幅|上涨|\bgrowth\b|\bgr[eo]w\b|\bgrown\b|\brise\b|\brose\b|\bincrease[ds]?\b(?! to)", re.I
)
GROWTH_WORDS = ("增长", "增速", "增幅", "涨幅", "上涨", "提高", "增加", "下降", "降低")
# "last year" relative to the report named: the year before it.
LAST_YEAR = re.compile(r"去年|上年|上一年|前一年|\blast year\b|\bprevious year\b|\bthe year before\b", re.I)

# What is left of a follow-up once its region and year are taken out ("那常州呢？", "and in 2021?").
FOLLOW_UP_FILLER = re.compile(
    r"那么|那|呢|吗|怎么样|如何|情况|还有|又|的|是|多少|\band\b|\bwhat\b|\bhow\b|\babout\b|\bin\b|\bfor\b"
    r"|\bthe\b|\bsame\b|\bof\b|\bthen\b|\bis\b|\bit\b|\bthere\b|[\s,，。？?！!、.]",
    re.I,
)


# A question about a target and what became of it ("2013年…增长目标是多少，实际完成了多少？",
# "Did Hailar meet its 2014 GDP target?"): answered by pairing the plan's target with the result
# a later report gives (crossdoc.track).
TARGET_AND_RESULT = re.compile(
    r"(?:目标|计划|预期)[^。；;]{0,30}(?:实际|完成了|完成情况|完成得|达到了|是否完成|有没有完成|是否实现|是否达到)"
    r"|(?:是否|有没有|有无)(?:完成|实现|达到)了?[^。；;]{0,12}(?:目标|预期)"
    r"|\btargets?\b.{0,60}\b(?:achieved|actual(?:ly)?|met|results?|outcomes?|reached)\b"
    r"|\b(?:did|was|were|has|have)\b.{0,50}\b(?:meet|met|achieve|achieved|reach|reached|hit)\b.{0,40}\btargets?\b",
    re.I,
)
# A question about how targets moved between plans ("与上年相比有哪些新目标", "what targets changed").
TARGET_CHANGES = re.compile(
    r"(?:与|和|比|较)(?:上年|去年|上一年|前一年|\d{4}年)[^。；;]{0,16}(?:新(?:增|的)?目标|目标[^。；;]{0,8}(?:变化|调整|提高|降低|新增|取消))"
    r"|目标(?:有)?(?:哪些)?(?:变化|调整|变动)|新增了?哪些目标|哪些目标(?:是)?新"
    r"|\b(?:new|changed|dropped|raised|lowered)\s+targets?\b|\btargets?\b.{0,30}\b(?:change|changed|differ)",
    re.I,
)
