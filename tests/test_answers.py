"""Cited extractive answers to real questions, in Chinese and English."""

from __future__ import annotations

import pytest

CASES = [
    (
        "浙江2022年二级及以上公立综合性医院设置老年医学科比例目标是多少",
        "65%",
        "zhejiang-2022.txt",
        "10.开展老年健康服务五大行动",
    ),
    ("遂宁2022年为多少农村妇女开展两癌筛查", "1.82万", "suining-2022.txt", "(十七)开展农村妇女“两癌”筛查"),
    ("东海县二级以上综合医院设置老年医学科的比例要达到多少", "70%", "donghai-2021.txt", "(二十三)强化老龄健康服务"),
    ("常州2020年要新建多少个家庭医生工作室", "40个", "changzhou-2020.txt", "1.实施医疗服务能力提优工程"),
    (
        "In Donghai, what is the target share of secondary hospitals with a geriatrics department?",
        "70%",
        "donghai-2021.txt",
        "(二十三)强化老龄健康服务",
    ),
    (
        "How many rural women will Suining screen for cervical and breast cancer in 2022?",
        "1.82万",
        "suining-2022.txt",
        "(十七)开展农村妇女“两癌”筛查",
    ),
]


@pytest.mark.parametrize(("question", "number", "source", "section"), CASES)
def test_answer_has_right_number_and_citation(qa, question, number, source, section):
    answer = qa.ask(question)
    assert not answer.abstained
    cited = [c for c in answer.citations if number in c.quote]
    assert cited, answer.answer
    assert cited[0].source == source
    assert section in cited[0].section
    doc = qa.index.documents[source.removesuffix(".txt")]
    assert doc.text[cited[0].start : cited[0].end] == cited[0].quote
    assert f"[{cited[0].n}]" in answer.answer


def test_zhejiang_elderly_targets_in_english(qa):
    answer = qa.ask("What are the elderly-care targets in Zhejiang 2022?")
    assert not answer.abstained
    assert all(c.source == "zhejiang-2022.txt" for c in answer.citations)
    assert any("10.开展老年健康服务五大行动" in c.section for c in answer.citations)


def test_quotes_are_verbatim_and_in_reading_order(qa):
    answer = qa.ask("浙江省老年健康服务五大行动有哪些")
    assert not answer.abstained and len(answer.citations) >= 2  # else the loops below prove nothing
    for citation in answer.citations:
        text = qa.index.documents[citation.source.removesuffix(".txt")].text
        assert text[citation.start : citation.end] == citation.quote
    by_chunk = {}
    for c in answer.citations:
        by_chunk.setdefault(c.chunk_id, []).append(c.start)
    assert all(starts == sorted(starts) for starts in by_chunk.values())


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("火星基地的建设计划是什么", "off_topic"),
        ("明天天气怎么样", "off_topic"),
        ("遂宁2022年对股票市场有什么要求？", "off_topic"),
        ("Who won the football world cup?", "weak_evidence"),
    ],
)
def test_off_topic_questions_abstain_with_nearest_passages(qa, question, reason):
    answer = qa.ask(question)
    assert answer.abstained and answer.citations == []
    assert answer.reason == reason  # the rule that decided, not just any abstention
    assert answer.hits  # nearest passages are listed instead


def test_ask_is_a_langchain_runnable(qa):
    from langchain_core.runnables import Runnable

    from assistant.ask import AskRequest

    chain = qa.chain()
    assert isinstance(chain, Runnable)
    answer = chain.invoke(AskRequest("浙江2022年人均期望寿命目标", k=3))
    assert answer.hits and len(answer.hits) == 3
    assert answer.route.value == "extractive" and not answer.abstained


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("浙江2022年卫生健康工作要点的文号是什么？", "浙卫发〔2022〕8号"),
        ("What is the document number of the Zhejiang 2022 work priorities?", "浙卫发〔2022〕8号"),
        ("常州2020年卫生健康工作计划的公开日期是哪天？", "2020-04-15"),
        ("When was Suining's 2022 plan published?", "2022-03-21"),
    ],
)
def test_record_questions_quote_the_publisher_record(qa, question, expected):
    answer = qa.ask(question)
    assert not answer.abstained, answer.answer
    assert answer.citations[0].section == ["文件信息"]
    assert expected in answer.citations[0].quote


def test_blank_record_field_is_not_answered(qa):
    # Changzhou's page has "文件编号:" with nothing after it.
    answer = qa.ask("常州2020年工作计划的文件编号是什么？")
    assert answer.abstained and answer.reason == "record_field_blank", answer.answer
    assert answer.route.value == "record"


@pytest.mark.parametrize(
    "question",
    [
        # The plans discuss each topic but state no figure in the unit asked for.
        "How much money, in yuan, does Kaifeng put into its municipal TCM development fund in 2022?",
        "What maternal mortality rate per 100,000 does Donghai aim for in 2021?",
        "What vaccination coverage percentage does Donghai set for immunization-programme vaccines in 2021?",
    ],
)
def test_figure_in_another_unit_is_not_an_answer(qa, question):
    answer = qa.ask(question)
    # The topic is there, the figure in the unit asked for is not: a marked near miss.
    assert answer.status.value == "near_miss" and answer.abstained, answer.answer
    unmet = [c for c in answer.checks["constraints"] if not c["met"]]
    assert unmet and all(c["kind"] == "unit" for c in unmet)


def test_unit_demand_still_answers_when_the_figure_is_there(qa):
    answer = qa.ask("What share of Zhejiang's secondary public general hospitals should have a geriatrics department?")
    assert not answer.abstained
    assert any("65%" in c.quote for c in answer.citations)
