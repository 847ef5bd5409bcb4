"""English direct lines: the whole statement of each figure in English word order, built from its
clause and the display vocabulary — or, where the vocabulary knows too little of the clause, the
figure beside the plan's own Chinese, never a half-translated line. On the bundled plans."""

from __future__ import annotations

import re

import pytest

from assistant.ask.gloss import Glossary, plural
from assistant.facts import IndicatorExtractor
from assistant.schema import Document

_CJK = re.compile(r"[\u4e00-\u9fff]")


def _line_of(answer, region_en: str) -> str:
    lines = [line for line in answer.summary if line.startswith(region_en + " ")]
    assert len(lines) == 1, answer.summary
    return re.sub(r"\s*\[\d+\]$", "", lines[0])


def _indicator(qa, doc_id: str, clause: str):
    document: Document = qa.index.documents[doc_id]
    at = document.text.index(clause)
    found = IndicatorExtractor().extract(document, [(at, at + len(clause))])
    assert found, clause
    return found[-1]


def test_a_statement_with_its_people_and_every_target_reads_as_english(qa):
    answer = qa.ask("How many rural women will Suining screen for cervical and breast cancer in 2022?")
    line = _line_of(answer, "Suining")
    # Both cancers kept, the people counted after the figure, their ages after them.
    assert line == "Suining 2022: 18,200 rural women aged 35–64: free cervical cancer and breast cancer screening"


def test_shares_read_share_of_plural_and_percent_of(qa):
    answer = qa.ask(
        "What share of secondary and above general hospitals should have a geriatric department in each plan?"
    )
    zhejiang = _line_of(answer, "Zhejiang")
    assert zhejiang == (
        "Zhejiang 2022: share of secondary and above public general hospitals with geriatric department: 65% or more"
    )
    # "推动50%的二级及以上综合医院设立老年医学科": the figure before what it counts.
    suining = _line_of(answer, "Suining")
    assert suining == "Suining 2022: 50% of secondary and above general hospitals with geriatric department"
    assert not any(_CJK.search(line) for line in answer.summary)


def test_respective_figures_each_name_their_own_measure(qa):
    answer = qa.ask("What is Zhejiang's 2022 target for maternal mortality?")
    line = _line_of(answer, "Zhejiang")
    assert line.startswith("Zhejiang 2022: maternal mortality:") and "8.5 per 100,000" in line
    assert "infant" not in line


def test_a_figure_qualifying_its_subject_is_not_the_target(qa):
    """十类重点人群签约率达75%以上: the line gives 75%, not "10 kinds"."""
    answer = qa.ask("Compare the family doctor contracting targets of the plans")
    assert "75% or more" in _line_of(answer, "Zhejiang")


def test_singular_and_plural_follow_the_figure(qa):
    glossary = Glossary()
    one = _indicator(qa, "donghai-2021", "建成1个左右家庭医生工作室")
    forty = _indicator(qa, "changzhou-2020", "新建40个家庭医生工作室")
    assert glossary.statement(one) == "about 1 family doctor studio"
    assert glossary.statement(forty) == "40 new family doctor studios"
    assert plural("general hospital") == "general hospitals" and plural("rural women") == "rural women"
    assert plural("facility") == "facilities"


def test_too_little_known_gives_the_figure_beside_the_chinese(qa):
    glossary = Glossary()
    indicator = _indicator(qa, "changzhou-2020", "重点建设5家农村区域医疗卫生服务中心")
    assert glossary.english_statement(indicator) is None
    assert glossary.statement(indicator) == "5 institutions — 重点建设5家农村区域医疗卫生服务中心"
    # Everything the vocabulary cannot say is left to the quote; a lower bar lets it try.
    assert Glossary(min_coverage=0.0).english_statement(indicator) is not None


def test_the_gloss_of_a_quote_uses_the_same_statements(qa):
    document = qa.index.documents["zhejiang-2022"]
    clause = "孕产妇死亡率、婴儿死亡率分别控制在8.5/10万、6.5‰以内"
    at = document.text.index(clause)
    gloss = Glossary().gloss(document, at, at + len(clause))
    assert "maternal mortality: held at 8.5 per 100,000" in gloss and "infant mortality: 6.5 per 1,000 or less" in gloss


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_a_coverage_outside_zero_to_one_is_refused(bad):
    with pytest.raises(ValueError, match=f"min_coverage .*{bad}"):
        Glossary(min_coverage=bad)
