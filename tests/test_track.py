"""Targets against results, and changes between plans, on documents outside corpus/.

The fixture is three short government work reports of one district whose sentences are taken
from the real 海拉尔区 reports of ../shared/extra-docs (2013 and 2014, cut to their review and
target paragraphs), plus a report of another district; each reviews the year before and sets
the targets of its own year. The index over them is built once for the module.
"""

from __future__ import annotations

import json

import pytest

from assistant.config import Settings
from assistant.crossdoc.track import difference, met, similarity
from assistant.interfaces.cli import main
from assistant.pipeline import PolicyQA
from assistant.schema import Filters, Route

from .test_app import browser, choose, expect, open_page, shot, start_server, tab  # noqa: F401 (browser: a fixture)

REPORT_2013 = """海拉尔区2013年政府工作报告

　　一、过去一年工作回顾
　　2012年，经济保持强劲发展。全年地区生产总值完成235.2亿元，同比增长18.5%；地方财政总收入完成20.67亿元，同比增长28.8%。全年社会消费品零售总额完成97.9亿元，同比增长16.2%。

　　二、2013年工作安排
　　经济社会发展主要预期目标是：地区生产总值增长20%，达到282亿元；地方财政总收入增长20%，达到24.8亿元；社会消费品零售总额增长22%，达到120亿元。确保新增城镇就业5400人，城镇登记失业率控制在4%以内。
"""

REPORT_2014 = """海拉尔区2014年政府工作报告

　　一、2013年工作回顾
　　全年地区生产总值完成253.7亿元，同比增长10.1%；地方财政总收入完成24.85亿元，同比增长20.3%。全年新增就业5611人，城镇登记失业率3.8%。

　　二、2014年工作安排
　　经济社会发展主要预期目标是：地区生产总值增长11%，达到282亿元；地方财政总收入增长16%，达到28.8亿元；社会消费品零售总额增长14%，达到126亿元；旅游接待人数增长15%。
"""

OTHER_DISTRICT = """扎兰屯市2013年政府工作报告

　　一、2013年工作安排
　　地区生产总值增长12%。
"""


@pytest.fixture(scope="module")
def tracked(tmp_path_factory, embedder) -> PolicyQA:
    base = tmp_path_factory.mktemp("track")
    corpus = base / "corpus"
    corpus.mkdir()
    (corpus / "hailar-2013.txt").write_text(REPORT_2013, encoding="utf-8")
    (corpus / "hailar-2014.txt").write_text(REPORT_2014, encoding="utf-8")
    (corpus / "zalantun-2013.txt").write_text(OTHER_DISTRICT, encoding="utf-8")
    qa = PolicyQA(Settings(corpus_dir=corpus, index_dir=base / "index"), embedder)
    qa.build_index(progress=False)
    return qa


def _rows(qa, topic, region="海拉尔区"):
    (track,) = [t for t in qa.track(topic, Filters(regions=[region])) if region in t.region]
    return {row.year: row for row in track.rows}


def test_a_target_is_paired_with_the_next_reports_result(tracked):
    rows = _rows(tracked, "地区生产总值")
    row = rows[2013]
    assert row.target.source == "hailar-2013.txt" and "增长20%，达到282亿元" in row.target.quote
    assert row.result.source == "hailar-2014.txt" and "253.7亿元" in row.result.quote
    by_kind = {p.kind: p for p in row.pairings}
    assert (by_kind["growth"].target, by_kind["growth"].result, by_kind["growth"].met) == ("20%", "10.1%", False)
    assert by_kind["growth"].difference == "-9.9个百分点"
    assert (by_kind["level"].target, by_kind["level"].result) == ("282亿元", "253.7亿元")
    assert by_kind["level"].difference == "-28.3亿元"
    assert row.status == "missed"
    # 2012's result is in the 2013 report's review, but no report here sets 2012's targets
    assert rows[2012].status == "no_target_stated" and rows[2012].target is None
    # the 2014 targets have no later report
    assert rows[2014].status == "no_result_reported" and rows[2014].result is None
    assert "no document reviews 2014" in rows[2014].note


def test_a_ceiling_is_met_from_below_and_counts_pair_with_counts(tracked):
    assert _rows(tracked, "城镇登记失业率")[2013].status == "met"  # 3.8% under 控制在4%以内
    jobs = _rows(tracked, "城镇新增就业")[2013]
    assert jobs.status == "met" and jobs.pairings[0].result == "5611人" and jobs.pairings[0].difference == "+211人"


def test_a_result_of_another_measure_is_not_paired(tracked):
    # retail sales: 2013 target "增长22%，达到120亿元"; the 2014 report gives no 2013 retail figure
    row = _rows(tracked, "社会消费品零售总额")[2013]
    assert row.status == "no_result_reported" and not row.pairings
    assert "社会消费品零售总额" not in (row.result.quote if row.result else "")


def test_regions_are_tracked_apart(tracked):
    regions = {t.region for t in tracked.track("地区生产总值")}
    assert {"海拉尔区", "扎兰屯市"} <= regions
    assert [r.year for r in _rows(tracked, "地区生产总值", "扎兰屯市").values()] == [2013]


def test_changes_between_two_reports(tracked):
    changes = {c.subject: c for c in tracked.changes("hailar-2013", "hailar-2014.txt").changes}
    assert changes["地区生产总值"].change == "lowered"  # the growth rate decides: 20% → 11%, amount 282 both years
    assert changes["地方财政总收入"].change == "lowered"
    assert changes["旅游接待人数"].change == "new"
    assert any(c.change == "dropped" and "就业" in c.subject for c in changes.values())
    with pytest.raises(ValueError, match="no plan 'hailar-2099'"):
        tracked.changes("hailar-2099", "hailar-2014")


def test_the_ask_path_routes_target_and_result_questions(tracked):
    answer = tracked.ask("海拉尔区2013年地区生产总值增长目标是多少，实际完成了多少？")
    assert answer.route is Route.TRACK and not answer.abstained
    assert "目标 增长20%" in answer.answer or "目标 20%" in answer.answer
    assert "253.7亿元" in answer.answer and "未完成" in answer.answer
    assert {c.source for c in answer.citations} == {"hailar-2013.txt", "hailar-2014.txt"}
    english = tracked.ask("Did Hailar meet its 2013 target for 地区生产总值?")
    assert english.route is Route.TRACK and "missed" in english.answer
    changed = tracked.ask("海拉尔区2014年与上年相比有哪些新目标？")
    assert changed.route is Route.TRACK and "旅游接待人数" in changed.answer


def test_cli_track_and_diff(tracked, capsys):
    settings = tracked.settings
    common = ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]
    assert main(["track", "地区生产总值", "--region", "海拉尔区", "--json", *common]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in data[0]["rows"]] == ["no_target_stated", "missed", "no_result_reported"]
    assert main(["diff", "hailar-2013", "hailar-2014", *common]) == 0
    out = capsys.readouterr().out
    assert "降低 lowered" in out and "新增 new" in out
    assert main(["diff", "hailar-2013", "nowhere", *common]) != 0


def test_units_scales_and_direction():
    from assistant.crossdoc.track import Measure

    target = Measure("地区生产总值", "level", 2.82e10, "元", "282亿元", "达到", False)
    result = Measure("地区生产总值", "level", 2.537e10, "元", "253.7亿元", "完成", False)
    assert difference(target, result) == "-28.3亿元" and not met(target, result, 0.05)
    ceiling = Measure("城镇登记失业率", "level", 4.0, "%", "4%以内", "控制在 … 以内", True)
    assert met(ceiling, Measure("城镇登记失业率", "level", 3.8, "%", "3.8%", "", False), 0.05)
    about = Measure("居民消费价格", "growth", 3.0, "%", "3%左右", "左右", False)
    assert met(about, Measure("居民消费价格", "growth", 2.9, "%", "2.9%", "", False), 0.05)
    assert similarity("城镇居民人均可支配收入", "城镇人均可支配收入") > 0.6
    assert similarity("地区生产总值", "固定资产投资") == 0.0


# -- the page's Targets tab, in a real browser ------------------------------------------------


@pytest.fixture(scope="module")
def track_page(tracked, embedder, browser):  # noqa: F811 (the browser fixture of test_app)
    demo, url, _ = start_server(tracked.settings, embedder)
    page = open_page(browser, url)
    yield page
    page.context.close()
    demo.close()


def test_targets_tab_shows_the_table_the_chart_and_the_changes(track_page, tmp_path):
    page = track_page
    tab(page, "目标与结果 Targets")
    page.fill("#track-topic textarea", "地区生产总值")
    choose(page, "#track-region", "海拉尔区")
    page.click("#track-run")
    page.wait_for_selector("#track-status >> text=/year rows/")
    table = page.locator("#track-table")
    text = table.inner_text()
    for value in (
        "2013",
        "20%；282亿元",
        "253.7亿元；10.1%",
        "-9.9个百分点",
        "未完成 missed",
        "尚无结果 no result reported",
    ):
        assert value in text, value
    chart = page.locator("#track-chart img")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 200  # drawn, not a broken image
    assert chart.evaluate("img => img.naturalWidth") > 300
    with page.expect_download() as download:
        page.click("#track-csv")
    saved = tmp_path / "track.csv"
    download.value.save_as(saved)
    assert "253.7亿元" in saved.read_text(encoding="utf-8-sig")
    shot(page, "track")
    choose(page, "#changes-before", "2013")
    choose(page, "#changes-after", "2014")
    page.click("#changes-run")
    page.wait_for_selector("#changes-status >> text=/→/")
    changes = page.locator("#changes-table").inner_text()
    assert "降低 lowered" in changes and "地区生产总值" in changes and "新增 new" in changes
    shot(page, "track-changes")
