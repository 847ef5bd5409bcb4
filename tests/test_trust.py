"""Trust on documents and questions the system was not built on: metadata, periods, filters, verification."""

from __future__ import annotations

import json

import pytest

from assistant.config import DEFAULTS
from assistant.corpus import MetadataReader, load_document
from assistant.interfaces.cli import main
from assistant.schema import Filters, Status

from .conftest import UNSEEN_DOCS

TRUTH = json.loads((UNSEEN_DOCS.parent / "metadata.json").read_text(encoding="utf-8"))["documents"]


# -- document understanding -----------------------------------------------------------------


@pytest.mark.parametrize("source", sorted(TRUTH))
def test_metadata_of_documents_from_outside_the_corpus(extended, source):
    doc = next(d for d in extended.index.documents.values() if d.source == source)
    expected = TRUTH[source]
    assert (doc.region, doc.level, doc.year) == (expected["region"], expected["level"], expected["year"])
    assert {"region", "year", "level"} <= set(doc.inferred)
    for field in ("region", "year", "level"):
        assert doc.provenance[field]["evidence"] and 0 < doc.provenance[field]["confidence"] <= 1


def test_a_common_word_or_a_place_merely_mentioned_does_not_decide_the_region():
    doc = load_document(UNSEEN_DOCS / "national-2024.txt", None, MetadataReader())
    assert doc.region == "全国" and doc.region != "合作市"  # 国际合作 holds the name of 合作市
    doc = load_document(UNSEEN_DOCS / "national-2023.txt", None, MetadataReader())
    assert doc.region == "全国" and doc.issuer == "国务院"


def test_a_district_report_that_opens_with_a_section_heading(tmp_path):
    # No title line: the first line with a plan word is a section heading, which must not be the title.
    text = (
        "二、2019年工作安排\n"
        "（一）全区卫生健康工作。鼓楼区将推进全区社区卫生服务中心标准化建设，新建社区卫生服务站5个。\n"
        "（二）福州市鼓楼区医疗服务。全区二级以上医院全部开展预约诊疗，鼓楼区居民健康素养水平达到25%。\n"
        "一、2018年工作回顾\n2018年，全区完成家庭医生签约服务人数12万人，鼓楼区各项工作稳步推进。\n"
    )
    path = tmp_path / "district-report.txt"
    path.write_text(text, encoding="utf-8")
    doc = load_document(path, None, MetadataReader())
    assert doc.title != "二、2019年工作安排"
    assert doc.region == "鼓楼区" and doc.region_chain[1] == "福州市" and doc.level == "county"
    assert doc.provenance["title"]["confidence"] < 0.6  # shown as uncertain


def test_docs_lists_provenance_and_a_correction_writes_the_manifest(workspace, capsys):
    args = ["--corpus", str(workspace.corpus_dir), "--index", str(workspace.index_dir), "-q"]
    shutil_copy = __import__("shutil").copy
    shutil_copy(UNSEEN_DOCS / "fishery-moa-2017.txt", workspace.corpus_dir / "fishery-moa-2017.txt")
    assert main(["docs", "fishery-moa-2017.txt", "--json", *args]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["region"] == "全国" and row["provenance"]["title"]["confidence"] < 0.6
    assert main(["docs", "fishery-moa-2017.txt", "--set", "title=2017年渔业渔政工作要点", "--no-index", *args]) == 0
    manifest = json.loads((workspace.corpus_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["documents"]["fishery-moa-2017.txt"]["title"] == "2017年渔业渔政工作要点"
    assert main(["docs", "fishery-moa-2017.txt", "--set", "level=galaxy", "--no-index", *args]) == 2
    assert "level must be one of" in capsys.readouterr().err


# -- what a statement is about ---------------------------------------------------------------


def test_a_report_reviews_the_year_before_it(extended):
    national = extended.index.documents["national-2024"]
    assert national.reviews == [2023]
    review = [c for c in extended.index.chunks if c.doc_id == "national-2024" and c.about_year == 2023]
    assert review and all("2023年工作回顾" in c.section[0] for c in review)


def test_what_was_achieved_in_a_year_is_answered_from_the_next_years_report(extended):
    answer = extended.ask("2023年全国城镇实际新增就业了多少人？")
    assert answer.status is Status.ANSWERED, answer.answer
    cited = answer.citations[0]
    assert cited.doc_id == "national-2024" and cited.about_year == 2023 and "1244万人" in cited.quote


def test_a_year_no_report_reviews_is_a_near_miss_not_the_target(extended):
    # The 2024 report sets a 2024 target; nothing says what 2024 achieved.
    answer = extended.ask("2024年全国国内生产总值实际增长了多少？")
    assert answer.status is not Status.ANSWERED and answer.abstained, answer.answer


# -- filters that never lie -------------------------------------------------------------------


@pytest.mark.parametrize("filters", [Filters(regions=["东海县"]), Filters(years=[2021])])
def test_explicit_filters_that_contradict_the_question_are_a_conflict(qa, filters):
    answer = qa.ask("浙江2022年二级以上综合医院老年医学科比例是多少", filters)
    assert answer.status is Status.CONFLICT and answer.abstained and answer.citations == []
    assert "浙江省" in answer.answer and answer.reason == "filter_conflict"


def test_explicit_filters_that_agree_narrow_the_question(qa):
    answer = qa.ask("二级以上综合医院老年医学科比例是多少", Filters(regions=["东海县"]))
    assert answer.status is Status.ANSWERED and {c.doc_id for c in answer.citations} == {"donghai-2021"}


def test_cli_conflict_is_reported_as_such(built, capsys):
    settings, _ = built
    paths = ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir), "-q", "--json"]
    assert main(["ask", "浙江2022年二级以上综合医院老年医学科比例是多少", "--region", "东海县", *paths]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "conflict" and data["citations"] == [] and data["abstained"] is True


def test_a_region_without_its_own_plan_says_so_in_the_first_line(qa):
    answer = qa.ask("连云港市2021年新增托位多少个？")
    assert answer.status is Status.ANSWERED
    first = answer.answer.splitlines()[0]
    assert "连云港市没有自己的计划" in first and "东海县" in first and answer.notes == [first]
    english = qa.ask("How many childcare places did Jiangsu plan to add in 2021?")
    assert english.answer.startswith("There is no plan of 江苏省 itself") or english.abstained


# -- verification ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "said", "asked"),
    [
        ("浙江2022年三级医院设置老年医学科的比例目标是多少？", "三级", "三级"),
        ("东海县2021年80岁以上老年人健康管理率目标是多少？", "80岁", "80岁"),
        # the reader's words in English; the JSON keeps the check's own label
        ("What under-five mortality rate does Zhejiang's 2022 plan target?", "age 5", "5岁"),
    ],
)
def test_a_narrower_question_gets_a_near_miss_not_the_neighbouring_figure(qa, question, said, asked):
    answer = qa.ask(question)
    assert answer.status is Status.NEAR_MISS and answer.abstained, answer.answer
    assert said in answer.answer.splitlines()[0]  # says what the plans do not state
    unmet = [c for c in answer.checks["constraints"] if not c["met"]]
    assert [c["asked"] for c in unmet] == [asked]
    assert answer.citations  # the nearest statement, quoted but not as the answer


def test_the_same_question_without_the_narrowing_is_answered(qa):
    answer = qa.ask("浙江2022年二级及以上公立综合性医院设置老年医学科比例目标是多少？")
    assert answer.status is Status.ANSWERED and "65%" in answer.citations[0].quote
    assert 0 < answer.confidence <= 1 and all(c["met"] for c in answer.checks["constraints"])


def test_a_record_field_the_plan_does_not_have_is_not_stated(qa):
    answer = qa.ask("开封2022年工作计划的文号是什么？")
    assert answer.abstained and answer.reason == "record_field_missing" and answer.citations == []


@pytest.mark.parametrize("question", ["😀😀😀🏥", "？？？！！！", "\u200b" * 50, "啊"])
def test_questions_with_no_content_ask_for_a_question(qa, question):
    answer = qa.ask(question)
    assert answer.abstained and answer.reason == "no_content" and answer.citations == []


def test_ask_json_status_for_every_kind_of_reply(qa):
    statuses = {
        "浙江2022年二级及以上公立综合性医院设置老年医学科比例目标是多少": "answered",
        "浙江2022年三级医院设置老年医学科的比例目标是多少？": "near_miss",
        "杭州2023年老年医学科比例": "unavailable",
        "明天天气怎么样": "abstained",
    }
    for question, status in statuses.items():
        data = qa.ask(question).to_json()
        assert data["status"] == status and data["abstained"] is (status != "answered"), question
    conflict = qa.ask("浙江2022年老年医学科比例", Filters(regions=["东海县"])).to_json()
    assert conflict["status"] == "conflict" and conflict["abstained"] is True


def test_the_answer_threshold_is_the_one_calibrated_with_the_model():
    model = json.loads((UNSEEN_DOCS.parent.parent.parent / "assistant" / "data" / "verifier.json").read_text())
    assert DEFAULTS.answer_min_confidence == model["threshold"]
    assert model["cross_validation"]["folds"] >= 5
