"""Query understanding: regions, years, levels, comparisons, missing plans."""

from __future__ import annotations

import re

import pytest

from assistant.ask.question import QuestionAnalyzer
from assistant.ask.terms import TermMap


@pytest.fixture(scope="module")
def analyzer(documents):
    return QuestionAnalyzer(list(documents.values()))


@pytest.mark.parametrize(
    ("question", "regions", "years"),
    [
        ("浙江2022年老年医学科比例", ["浙江省"], [2022]),
        ("浙江省的托育目标", ["浙江省"], []),
        ("What does Zhejiang plan for childcare?", ["浙江省"], []),
        ("开封2022年社区卫生服务站", ["开封市"], [2022]),
        ("Kaifeng village clinics", ["开封市"], []),
        ("遂宁 two cancers screening", ["遂宁市"], []),
        ("Suining 2022年", ["遂宁市"], [2022]),
        ("常州 family doctors", ["常州市"], []),
        ("东海的医养结合", ["东海县"], []),
        ("东海县2021年", ["东海县"], [2021]),
        ("Donghai county", ["东海县"], []),
        ("连云港的计划", ["连云港市"], []),
        ("江苏的家庭医生签约", ["江苏省"], []),
        ("Jiangsu plans", ["江苏省"], []),
        ("河南开展了什么", ["河南省"], []),
        ("四川省的疫苗接种", ["四川省"], []),
        ("二〇二二年的目标", [], [2022]),
    ],
)
def test_regions_and_years(analyzer, question, regions, years):
    scope = analyzer.analyze(question).scope
    assert list(scope.regions) == regions and list(scope.years) == years and scope.unavailable == ()


@pytest.mark.parametrize(
    ("question", "unavailable"),
    [
        ("杭州2023年的目标", ["杭州市", "2023年"]),
        ("What does Beijing plan?", ["北京市"]),
        ("开封2021年", ["2021年"]),
        ("广东省的老年医学科", ["广东省"]),
    ],
)
def test_regions_and_years_not_in_corpus(analyzer, question, unavailable):
    assert list(analyzer.analyze(question).scope.unavailable) == unavailable


def test_province_filter_covers_its_cities(analyzer, documents):
    filters = analyzer.analyze("江苏的家庭医生签约").scope.filters()
    assert {d.source for d in documents.values() if filters.accepts(d)} == {"changzhou-2020.txt", "donghai-2021.txt"}


def test_plan_level_words_but_not_hospital_levels(analyzer):
    assert analyzer.analyze("In the county plan, who leads family doctor signing?").scope.levels == ("county",)
    assert analyzer.analyze("省级计划里的目标").scope.levels == ("province",)
    assert analyzer.analyze("县级医院能力建设").scope.levels == ()


@pytest.mark.parametrize(
    "question",
    [
        "比较各地老年医学科设置比例",
        "Compare the geriatrics targets across all five plans",
        "哪些计划提到了医共体",
        "常州和东海分别新建多少个基层特色科室",
    ],
)
def test_comparisons_detected(analyzer, question):
    assert analyzer.analyze(question).intents.compare


def test_topic_drops_region_and_year_words(analyzer):
    assert analyzer.analyze("浙江2022年老年医学科比例").topic == "老年医学科比例"


def test_missing_plan_abstains_and_lists_plans(qa):
    answer = qa.ask("杭州2023年二级医院老年医学科比例目标")
    assert answer.status.value == "unavailable" and answer.reason == "no_plan" and answer.citations == []
    assert "杭州市" in answer.answer and "浙江省 2022" in answer.answer
    english = qa.ask("What is Beijing's 2022 target for geriatrics departments?")
    assert english.status.value == "unavailable" and english.citations == []
    assert "北京市" in english.answer and english.answer.startswith("The documents have no plan")


def test_applied_filters_are_reported(qa):
    answer = qa.ask("东海县2021年二级以上综合医院老年医学科比例")
    assert answer.applied.regions == ["东海县"] and answer.applied.years == [2021]
    assert answer.to_json()["filters"] == {"regions": ["东海县"], "years": [2021]}


def test_comparison_quotes_each_plan(qa):
    answer = qa.ask("比较各地二级及以上综合医院设置老年医学科的比例目标")
    quoted = {c.source for c in answer.citations}
    assert {"kaifeng-2022.txt", "zhejiang-2022.txt", "donghai-2021.txt"} <= quoted
    for source, number in [("kaifeng-2022.txt", "50%"), ("zhejiang-2022.txt", "65%"), ("donghai-2021.txt", "70%")]:
        assert any(number in c.quote for c in answer.citations if c.source == source), source


def test_term_map_brings_chinese_terms_to_english_questions(analyzer):
    scope = analyzer.analyze("What share of secondary hospitals should have a geriatric department in Zhejiang?")
    assert "老年医学科" in scope.terms
    assert "geriatric department" in [phrase for phrase, _ in scope.phrases]
    assert "share" not in [phrase for phrase, _ in scope.phrases]  # a form word, not the topic
    assert analyzer.analyze("浙江老年医学科").terms == ()


def test_english_question_about_an_absent_topic_abstains(qa):
    answer = qa.ask("How many registered nurses does Donghai plan to add in 2021?")
    assert (answer.abstained and answer.citations == []) or answer.status.value == "near_miss"
    unmet = [c["asked"] for c in answer.checks["constraints"] if not c["met"]]
    assert "护士" in unmet  # the plan never states a figure for nurses


def test_unit_demands_and_record_fields_are_read_from_the_question(analyzer):
    from assistant.ask.question import asked_record_fields

    assert [u.name for u in analyzer.analyze("How many beds per 1,000 population?").intents.units] == [
        "per 1,000",
        "beds",
    ]
    assert analyzer.analyze("东海县2021年孕产妇死亡率目标是多少？").intents.units
    assert [u.name for u in analyzer.analyze("东海县2021年要建成几个家庭医生工作室？").intents.units] == ["count"]
    assert not analyzer.analyze("东海县2021年家庭医生工作室有哪几项任务？").intents.units  # 哪几项 asks for items
    assert "文号" in asked_record_fields("浙江要点的文号是什么")
    assert "公开日期" in asked_record_fields("常州计划是哪天发布的")
    assert not asked_record_fields("常州2020年要出台哪些政策？")


def test_second_year_in_a_question_about_a_plan_year_is_topic_not_filter(analyzer):
    scope = analyzer.analyze("东海县2021年要对2020年评选的先进个人开展哪些工作？").scope
    assert scope.years == (2021,) and not scope.unavailable
    scope = analyzer.analyze("东海县2020年的目标是什么？").scope
    assert scope.unavailable == ("2020年",)


@pytest.mark.parametrize(
    "question",
    ["浙江省2022年省政府民生实事项目中卫生健康方面有哪些任务？", "开封2022年城区居民多长时间能到达医疗机构？"],
)
def test_words_that_contain_a_place_name_are_not_regions(analyzer, question):
    # 项目中卫生 holds 中卫 (a city in Ningxia); 城区 is also the name of several districts.
    scope = analyzer.analyze(question).scope
    assert not scope.unavailable
    assert len(scope.regions) == 1


def test_region_followed_by_a_word_is_still_found(analyzer):
    assert analyzer.analyze("常州市区的社区卫生服务中心有哪些目标？").scope.regions == ("常州市",)


def test_chinese_words_in_an_english_question_become_its_first_terms(analyzer):
    scope = analyzer.analyze("Which plans set targets for pit-and-fissure sealing (窝沟封闭) in Jiangsu?")
    assert scope.terms[0] == "窝沟封闭"
    scope = analyzer.analyze("What does the 东海县 plan say about 家庭医生?")
    assert scope.scope.regions == ("东海县",) and scope.terms[0] == "家庭医生" and "东海县" not in scope.terms


def test_phrases_do_not_run_across_a_removed_name_or_punctuation(analyzer):
    # Without the break, "actions Zhejiang plans" would read as the phrase "action plan".
    scope = analyzer.analyze("List the five elderly health actions Zhejiang plans to carry out in 2022.")
    assert "action plan" not in [p for p, _ in scope.phrases]
    assert "hospital bed" in [p for p, _ in TermMap().phrases("hospital beds, per 1,000 people")]
    assert "action plan" not in [p for p, _ in TermMap().phrases("five actions; plans for next year")]


@pytest.mark.parametrize(
    ("british", "american"),
    [("childhood immunisation", "childhood immunization"), ("community health centres", "community health center"),
     ("paediatric programmes", "pediatric program"), ("hospitalised", "hospitalized")],
)  # fmt: skip
def test_british_spellings_read_as_the_map_writes_them(british, american):
    from assistant.ask.terms import TermMap

    terms = TermMap({american: ["甲"]})
    assert terms.translate(british) == ["甲"]
    assert TermMap({"exercise": ["乙"]}).translate("exercises") == ["乙"]  # -ise that is no -ize stays


@pytest.mark.parametrize("question", ["那常州呢？", "常州", "and in Changzhou?", "2021年呢"])
def test_a_bare_follow_up_with_nothing_to_follow_asks_for_a_question(qa, question):
    answer = qa.ask(question)
    assert answer.abstained and not answer.citations and answer.reason == "no_topic"
    assert ("请完整提问" in answer.answer) or ("ask a whole question" in answer.answer)


def test_every_check_has_reader_words_in_both_languages(analyzer):
    from assistant.ask.extractive import reader_label

    questions = [
        "浙江2022年每千人口床位数是多少张", "How many beds per 1,000 people in Zhejiang 2022?",
        "遂宁市实施方案的文号是什么", "What is the document number of Suining's implementation plan?",
        "2021年常州三级医院的80岁以上农村老人死亡率实际完成多少", "Changzhou 2020 per person funding in yuan",
        "What share of tertiary hospitals for rural people aged 65 in 2025?", "常州市2020年家庭医生签约的目标是多少",
    ]  # fmt: skip
    kinds = set()
    for text in questions:
        for constraint in analyzer.analyze(text).constraints:
            kinds.add(constraint.kind)
            zh, en = reader_label(constraint, False), reader_label(constraint, True)
            assert not re.search(r"[a-z]{3,}", zh), (constraint, zh)  # no English or internal names
            assert not re.search(r"_|\b(?:achieved|planned|per_capita|doc_number)\b", en), (constraint, en)
    assert {"unit", "doc_number", "time", "rank", "age", "population"} <= kinds, kinds
