"""Cross-document checking on the real corpus: comparison, references, numbers, responsibilities."""

from __future__ import annotations

import json

import pytest

from assistant.facts import IndicatorExtractor, normalise_name
from assistant.figures import extract_figures
from assistant.interfaces.cli import main
from assistant.schema import Document
from assistant.text import chinese_number

GERIATRICS = {
    "浙江省": "65%以上",
    "常州市": "60%以上",
    "开封市": "50%以上",
    "遂宁市": "50%",
    "东海县": "70%以上",
}


@pytest.mark.parametrize("topic", ["老年医学科", "二级及以上综合医院设置老年医学科比例", "geriatrics departments"])
def test_geriatrics_comparison_across_all_five_plans(qa, topic):
    comparison = qa.compare(topic)
    assert len(comparison.rows) == 5
    by_region = {row.region: row for row in comparison.rows}
    for region, value in GERIATRICS.items():
        row = by_region[region]
        assert row.found, region
        assert row.values == [value], (region, row.values)
        assert "老年医学科" in row.quote
        text = qa.index.documents[row.doc_id].text
        assert text[row.start : row.end] == row.quote


def test_comparison_rows_ordered_by_level_and_filtered(qa):
    rows = qa.compare("老年医学科").rows
    assert [r.level for r in rows] == sorted((r.level for r in rows), key=["province", "city", "county"].index)
    from assistant.schema import Filters

    assert {r.region for r in qa.compare("老年医学科", Filters(regions=["江苏"])).rows} == {"常州市", "东海县"}


def test_topic_no_plan_addresses_is_not_found_everywhere(qa):
    comparison = qa.compare("火星基地建设")
    assert not any(r.found for r in comparison.rows)
    assert "未找到 not found" in comparison.to_markdown()


def test_unrelated_numbers_are_not_shown(qa):
    rows = {r.region: r for r in qa.compare("基本公共卫生服务人均经费").rows}
    assert rows["浙江省"].values == ["人均97元以上"]
    assert rows["东海县"].values == ["人均88元"]  # "提高到人均不低于88元": per person
    assert rows["常州市"].values == ["人均83元"]
    assert rows["开封市"].values == []  # it mentions 95台 service vehicles, not funding per head


def test_comparison_exports(qa):
    comparison = qa.compare("老年医学科")
    csv_lines = comparison.to_csv().strip().splitlines()
    assert csv_lines[0].startswith("region,level,year") and len(csv_lines) == 6
    data = comparison.to_json()
    assert data["topic"] == "老年医学科" and data["rows"][0]["citation"]


def test_reference_cited_by_several_plans_is_merged_and_first(qa):
    groups = qa.references()
    top = groups[0]
    assert top.name == "优质服务基层行"
    assert sorted(top.plans) == sorted(qa.index.documents)  # quoted in some plans, unquoted in others
    assert len(qa.references("乡村振兴")[0].plans) == 2
    for citation in top.citations:
        text = qa.index.documents[citation.doc_id].text
        assert text[citation.start : citation.end] == "优质服务基层行"
        assert citation.sentence in text


def test_titles_and_document_numbers_are_indexed(qa):
    numbers = [g for g in qa.references("遂府办函") if g.kind == "doc_number"]
    assert [g.name for g in numbers] == ["遂府办函〔2021〕44号"] and numbers[0].plans == ["suining-2022"]
    titles = qa.references("聚集性新冠肺炎疫情处置指南")
    assert titles[0].kind == "title" and titles[0].plans == ["donghai-2021"]
    own = [g for g in qa.references() if g.key == normalise_name("2022年浙江省卫生健康工作要点")]
    assert not own  # a plan's own title is not a reference


def test_reference_names_merge_across_forms():
    assert normalise_name("《健康中国行动》") == normalise_name("健康中国行动") == normalise_name("“健康中国行动”")
    assert normalise_name("遂府办函〔2021〕44号") == normalise_name("遂府办函〔２０２１〕４４号")


@pytest.mark.parametrize(
    ("text", "value", "value_max", "unit", "comparator"),
    [
        ("二级以上综合医院设置老年医学科比例达70%以上。", 70, None, "%", "达 … 以上"),
        ("新增市以上临床重点专科3-5个。", 3, 5, "个", ""),
        ("建成市级示范点2—3个。", 2, 3, "个", ""),
        ("基本公共卫生服务经费力争达到人均83元。", 83, None, "元", "达到"),
        ("每千人口拥有执业(助理)医师数达到3.8人。", 3.8, None, "人", "达到"),
        ("全县甲乙类法定报告传染病发病率控制在120/10万以内。", 120, None, "1/10万", "控制在 … 以内"),
        ("孕产妇死亡率控制在8.5/10万以内。", 8.5, None, "1/10万", "控制在 … 以内"),
        ("婴儿死亡率控制在6.5‰以内。", 6.5, None, "‰", "控制在 … 以内"),
        ("为1.82万35-64岁农村妇女免费提供宫颈癌筛查。", 18200, None, "", ""),
        ("完成老年痴呆早期筛查十万人。", 100000, None, "人", ""),
        ("建设五个区域医疗中心。", 5, None, "个", ""),
        ("人均期望寿命达到79.6岁。", 79.6, None, "岁", "达到"),
        # Read since figures come from the package's one parser (assistant.figures):
        ("全年开展督导检查70余次。", 70, None, "次", ""),
        ("全年完成食用农产品快检任务不少于800万批。", 8e6, None, "批", "不少于"),
        ("儿童青少年近视率较上年降低1个百分点。", 1, None, "个百分点", ""),
        ("经营主体总量达2037.7万户。", 20377000, None, "户", "达"),
        ("建成两千个健康细胞。", 2000, None, "个", ""),
        ("货物进出口总额9.5万亿元。", 9.5e12, None, "元", ""),
    ],
)
def test_indicator_parsing(text, value, value_max, unit, comparator):
    doc = Document("t", "t.txt", "测试计划", "测试市", ["测试市"], "city", 2022, text=text)
    indicators = IndicatorExtractor().extract(doc)
    assert len(indicators) == 1, indicators
    found = indicators[0]
    assert found.value == pytest.approx(value)
    assert found.value_max == (pytest.approx(value_max) if value_max is not None else None)
    assert (found.unit, found.comparator) == (unit, comparator)
    assert text[found.start : found.end] == found.text


@pytest.mark.parametrize(
    "text",
    [
        "深入贯彻党的十九届五中、六中全会精神。",
        "2022年主要开展以下重点工作。",
        "加快完成3-11岁人群全程接种。",
        "遵循全省“1612”体系架构。",
        "用3个月时间完成整改。",  # a duration
        "编制“十四五”卫生健康规划。",
    ],
)
def test_things_that_only_look_like_targets(text):
    doc = Document("t", "t.txt", "测试计划", "测试市", ["测试市"], "city", 2022, text=text)
    assert IndicatorExtractor().extract(doc) == []


def test_chinese_number_words():
    assert [chinese_number(t) for t in ["十", "三十五", "一百二十", "两", "十万", "1.82万", "两千", "3.5亿"]] == [
        10, 35, 120, 2, 100000, 18200, 2000, 3.5e8,
    ]  # fmt: skip
    assert chinese_number("十四五规划") is None and chinese_number("十四五") is None


def test_indicators_and_checks_read_figures_with_one_parser(qa):
    """Every indicator of the five plans is a figure of assistant.figures at the same place and of
    the same value: the facts, the checks and the grounding cannot disagree on what a plan states."""
    checked = 0
    for document in qa.index.documents.values():
        for indicator in IndicatorExtractor().extract(document):
            figures = extract_figures(indicator.sentence)
            at = indicator.start - indicator.sentence_start
            assert any(f.start >= at and f.value == pytest.approx(indicator.value) for f in figures), (
                indicator.text,
                indicator.sentence,
            )
            checked += 1
    assert checked > 200


def test_indicators_are_stored_with_the_index(qa):
    zhejiang = [i for i in qa.index.indicators if i.source == "zhejiang-2022.txt"]
    assert any(i.text == "65%以上" and "老年医学科" in i.phrase for i in zhejiang)
    for indicator in qa.index.indicators:
        assert qa.index.documents[indicator.doc_id].text[indicator.start : indicator.end] == indicator.text


def test_who_is_responsible(qa):
    match = qa.responsible("家庭医生签约服务", k=1)[0]
    assert match.document.region == "东海县"
    assert match.item.leaders == ["董兵", "黄步先"] and "医政科" in match.item.departments
    assert "家庭医生" in match.item.text


def test_items_of_a_department(qa):
    items = qa.responsible(department="家庭发展与妇幼健康科")
    assert len(items) >= 5 and all("家庭发展与妇幼健康科" in m.item.departments for m in items)


@pytest.mark.parametrize(
    "question",
    [
        "东海县妇幼公共卫生服务的责任科室是哪个",
        "Which department is responsible for maternal and child public health services in Donghai?",
    ],
)
def test_ask_who_is_responsible_gets_leader_and_department_cited(qa, question):
    answer = qa.ask(question)
    assert not answer.abstained
    assert "家庭发展与妇幼健康科" in answer.answer and "王成江" in answer.answer
    citation = answer.citations[0]
    assert citation.source == "donghai-2021.txt" and "妇幼" in citation.quote
    assert qa.index.documents["donghai-2021"].text[citation.start : citation.end] == citation.quote


@pytest.fixture
def cli(built, capsys):
    settings, _ = built

    def run(*argv: str):
        code = main(
            [argv[0], "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir), "-q", *argv[1:]]
        )
        return code, capsys.readouterr().out

    return run


def test_cli_compare_refs_who(cli, tmp_path):
    code, out = cli(
        "compare", "老年医学科", "--json", "--csv", str(tmp_path / "t.csv"), "--markdown", str(tmp_path / "t.md")
    )
    assert code == 0 and len(json.loads(out)["rows"]) == 5
    assert (tmp_path / "t.csv").read_text(encoding="utf-8-sig").startswith("region,")
    assert "| 地区 region |" in (tmp_path / "t.md").read_text(encoding="utf-8")
    code, out = cli("refs", "优质服务基层行", "--json")
    assert code == 0 and json.loads(out)[0]["count"] == 5
    code, out = cli("who", "家庭医生签约", "--json")
    assert code == 0 and json.loads(out)[0]["leaders"] == ["董兵", "黄步先"]
    code, out = cli("compare")
    assert code == 2


@pytest.mark.parametrize(
    ("topic", "expected", "absent"),
    [
        ("家庭医生签约", {"浙江省": "75%以上", "常州市": "10%"}, []),
        ("人均基本公共卫生服务经费", {"浙江省": "人均97元以上", "常州市": "人均83元", "东海县": "人均88元"}, ["50%"]),
        ("两癌筛查", {"东海县": "2.8万人"}, []),
        ("geriatrics departments", {"浙江省": "65%以上", "东海县": "70%以上", "开封市": "50%以上"}, ["80%"]),
        ("老年医学科比例", {"开封市": "50%以上"}, ["80%"]),
    ],
)
def test_compare_finds_the_figure_the_quote_states(qa, topic, expected, absent):
    rows = {r.region: r for r in qa.compare(topic).rows}
    for region, value in expected.items():
        assert value in rows[region].values, (region, rows[region].values, rows[region].quote)
        assert value.replace("人均", "") in rows[region].quote
    for wrong in absent:
        assert all(wrong not in r.values for r in rows.values()), wrong


def test_respective_figures_measure_their_own_items():
    text = "孕产妇死亡率、婴儿死亡率分别控制在8.5/10万、6.5‰以下。"
    doc = Document("t", "t.txt", "测试计划", "测试市", ["测试市"], "city", 2022, text=text)
    found = IndicatorExtractor().extract(doc)
    assert [(i.phrase, i.text) for i in found] == [("孕产妇死亡率", "8.5/10万"), ("婴儿死亡率", "6.5‰以下")]


@pytest.mark.parametrize(
    ("text", "phrase", "statement"),
    [
        ("10. 将基本公共卫生服务补助标准提高到人均不低于88元，建立机制。", "基本公共卫生服务补助标准",
         "10. 将基本公共卫生服务补助标准提高到人均不低于88元"),
        ("以乡镇为单位儿童免疫规划疫苗接种率继续保持在90%以上。", "以乡镇为单位儿童免疫规划疫苗接种率",
         "以乡镇为单位儿童免疫规划疫苗接种率继续保持在90%以上"),
        ("为1.82万35-64岁农村妇女免费提供宫颈癌、乳腺癌筛查,对患者进行追踪管理。",
         "为35-64岁农村妇女免费提供宫颈癌、乳腺癌筛查", "为1.82万35-64岁农村妇女免费提供宫颈癌、乳腺癌筛查"),
    ],
)  # fmt: skip
def test_a_figure_has_what_it_counts_and_its_whole_statement(text, phrase, statement):
    doc = Document("t", "t.txt", "测试计划", "测试市", ["测试市"], "city", 2022, text=text)
    found = IndicatorExtractor().extract(doc)[0]
    assert (found.phrase, found.statement()) == (phrase, statement)


def test_compare_reads_the_act_by_its_near_synonyms_and_the_heading(qa):
    rows = {r.region: r for r in qa.compare("两癌筛查").rows}
    assert rows["浙江省"].found and "两癌”检查" in rows["浙江省"].quote  # 检查 is the same act as 筛查
    assert not rows["浙江省"].values  # its 130万例 are colorectal screenings, not the two cancers
    # the heading （十七）开展农村妇女“两癌”筛查 names what its sentence counts
    assert rows["遂宁市"].values == ["1.82万"] and "乳腺癌筛查" in rows["遂宁市"].statements[0]
    assert not rows["常州市"].found


@pytest.mark.parametrize(
    ("chinese", "english"),
    [("两癌筛查", "two cancers screening"), ("家庭医生签约", "family doctor contracting"),
     ("儿童免疫接种", "childhood immunisation"), ("社区卫生服务站", "community health service stations")],
)  # fmt: skip
def test_an_english_topic_reaches_the_same_rows(qa, chinese, english):
    def shown(topic):
        return {r.region: (r.found, tuple(r.values)) for r in qa.compare(topic).rows}

    assert shown(english) == shown(chinese)


def test_a_row_says_what_its_figure_counts(qa):
    rows = {r.region: r for r in qa.compare("家庭医生签约").rows}
    assert rows["常州市"].statements == ["重点人群签约对象中有偿个性化签约不低于10%"]  # not a signing rate
    assert "有偿个性化签约不低于10%" in qa.compare("家庭医生签约").to_markdown()
