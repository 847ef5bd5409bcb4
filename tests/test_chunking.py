"""Outline-aware chunking on the five real plans."""

from __future__ import annotations

import re

import pytest

from assistant.chunking import RECORD_SECTION, SectionChunker, heading_of, item_fields, marker_family, strip_marker
from assistant.corpus import is_chrome, record_fields
from assistant.text import split_sentences

# An independent, deliberately plain description of an outline heading line.
HEADING_LINE = re.compile(
    r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d{1,2}\s*[.．、](?![\d.．])|[（(]\d{1,2}[）)])"
)


def heading_lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) of every outline heading line in a plan."""
    out, pos = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped and not is_chrome(stripped) and HEADING_LINE.match(stripped):
            out.append((pos + line.index(stripped[0]), stripped))
        pos += len(line) + 1
    return out


@pytest.fixture(scope="module")
def chunked(documents):
    chunker = SectionChunker()
    return {source: chunker.chunk(doc) for source, doc in documents.items()}


def test_each_plan_has_its_outline(documents):
    counts = {s: len(heading_lines(d.text)) for s, d in documents.items()}
    # 11 （一）… in 开封; 6 + 29 in 遂宁; 6 + 23 in 浙江; 3 + 10 in 常州; 10 + 33 + 28 in 东海
    assert counts == {
        "kaifeng-2022.txt": 11,
        "suining-2022.txt": 35,
        "zhejiang-2022.txt": 29,
        "changzhou-2020.txt": 13,
        "donghai-2021.txt": 71,
    }


def test_every_heading_appears_in_some_trail(documents, chunked):
    for source, doc in documents.items():
        trail_items = {h for c in chunked[source] for h in c.section}
        for _, line in heading_lines(doc.text):
            expected = line.split("。")[0]
            assert any(expected.startswith(h) and len(h) >= min(len(expected), 8) for h in trail_items), (source, line)


def test_no_chunk_crosses_a_top_level_section(documents, chunked):
    for source, doc in documents.items():
        lines = heading_lines(doc.text)
        top_family = marker_family(lines[0][1])
        top_starts = [pos for pos, line in lines if marker_family(line) == top_family]
        for chunk in chunked[source]:
            inside = [p for p in top_starts if chunk.start < p < chunk.end]
            assert not inside, (source, chunk.chunk_id)


def test_spans_map_back_exactly(documents, chunked):
    for source, doc in documents.items():
        for chunk in chunked[source]:
            assert doc.text[chunk.start : chunk.end] == chunk.text
            assert chunk.source == source and chunk.doc_id == doc.doc_id


def test_chunk_ids_unique_and_stable(documents, chunked):
    ids = [c.chunk_id for chunks in chunked.values() for c in chunks]
    assert len(ids) == len(set(ids))
    again = SectionChunker().chunk(documents["zhejiang-2022.txt"])
    assert [c.chunk_id for c in again] == [c.chunk_id for c in chunked["zhejiang-2022.txt"]]


def test_chunks_respect_the_size_budget(chunked):
    budget = SectionChunker().max_chars
    for chunks in chunked.values():
        for chunk in chunks:
            assert len(chunk.text) <= budget or len(split_sentences(chunk.text)) == 1, chunk.chunk_id


def test_no_chrome_is_indexed(chunked):
    for chunks in chunked.values():
        for chunk in chunks:
            for marker in ("扫一扫在手机打开当前页", "版权所有", "备案序号", "分享到"):
                assert marker not in chunk.text, (chunk.chunk_id, marker)
            if chunk.section != [RECORD_SECTION]:
                for marker in ("浏览次数", "索 引 号", "发布机构", "公开日期"):
                    assert marker not in chunk.text, (chunk.chunk_id, marker)


def test_publisher_record_becomes_its_own_chunk(chunked):
    records = {source: [c for c in chunks if c.section == [RECORD_SECTION]] for source, chunks in chunked.items()}
    # Plans copied without their web page (开封, 东海) have no record.
    assert not records["kaifeng-2022.txt"] and not records["donghai-2021.txt"]
    (zhejiang,) = records["zhejiang-2022.txt"]
    assert "文  号: 浙卫发〔2022〕8号" in zhejiang.text and "发布日期: 2022-03-16" in zhejiang.text
    assert "文号" in zhejiang.embed_text  # label padding squeezed for matching
    (changzhou,) = records["changzhou-2020.txt"]
    fields = {}
    for line in changzhou.text.splitlines():
        fields.update(record_fields(line))
    assert fields["公开日期"] == "2020-04-15" and fields["发布机构"] == "市卫生健康委员会"
    assert fields["文件编号"] == ""  # the publisher left it blank


def test_record_fields_parse_padded_labels():
    assert record_fields("文件编号: 发布机构:市卫生健康委员会") == {"文件编号": "", "发布机构": "市卫生健康委员会"}
    assert record_fields("发布机构: 省卫生健康委员会 文  号: 浙卫发〔2022〕8号") == {
        "发布机构": "省卫生健康委员会",
        "文号": "浙卫发〔2022〕8号",
    }
    assert record_fields("来源:遂宁市卫健委 发布时间:2022-03-21 10:13 浏览次数: 字体: [ ] 打印") == {
        "来源": "遂宁市卫健委",
        "发布时间": "2022-03-21 10:13",
    }
    assert record_fields("完成发布机构调整。") == {}


def test_embed_text_carries_context_header(chunked):
    chunk = next(c for c in chunked["donghai-2021.txt"] if "二级以上综合医院设置老年医学科比例达70%以上" in c.text)
    header = chunk.embed_text[: len(chunk.embed_text) - len(chunk.text)]
    for part in ("江苏省连云港市东海县", "2021年", "2021年全县卫生健康工作要点", "(二十三)强化老龄健康服务"):
        assert part in header
    assert chunk.embed_text.endswith(chunk.text)


def test_run_in_subheadings_become_sections(chunked):
    trails = {tuple(c.section) for c in chunked["changzhou-2020.txt"]}
    assert any(t[-1] == "持续改善医疗服务" and t[-2] == "1.实施医疗服务能力提优工程" for t in trails)
    assert any(t[-1] == "深入推进中医药传承创新" for t in trails)
    kaifeng = {tuple(c.section) for c in chunked["kaifeng-2022.txt"]}
    assert ("（七）持续推进中医药事业发展", "提升中医药服务能力") in kaifeng


def test_item_metadata_kept_with_item_and_as_fields(chunked):
    chunk = next(c for c in chunked["donghai-2021.txt"] if "完成城乡适龄妇女免费“两癌”检查2.8万人" in c.text)
    assert "（牵头领导：王成江；责任科室：家庭发展与妇幼健康科）" in chunk.text
    assert chunk.fields == {"牵头领导": "王成江", "责任科室": "家庭发展与妇幼健康科"}


@pytest.mark.parametrize(
    ("line", "family"),
    [
        ("一、守牢疫情防控底线", "一、"),
        ("十一、深化", "一、"),
        ("（二十九）健全长效机制。", "（一）"),
        ("(十七)开展", "（一）"),
        ("1.完善预防", "1."),
        ("23.防范化解", "1."),
        ("1、加强", "1."),
        ("(1)加强", "（1）"),
        ("（12）推进", "（1）"),
        ("①推进", "①"),
        ("1.82万35-64岁农村妇女", None),
        ("2022年浙江省", None),
        ("（2022年1月）", None),
    ],
)
def test_marker_families(line, family):
    assert marker_family(line) == family


@pytest.mark.parametrize(
    ("line", "heading", "whole"),
    [
        ("一、守牢疫情防控底线", "一、守牢疫情防控底线", True),
        ("(二)提升防控能力。建强三公(工)流调队伍", "(二)提升防控能力", False),
        ("(一)加强重点环节疫情防控。", "(一)加强重点环节疫情防控", True),
    ],
)
def test_heading_of(line, heading, whole):
    assert heading_of(line) == (heading, whole)


def test_item_fields_parse_variants():
    assert item_fields("…（责任领导：董兵、黄步先；牵头科室：医政科、基层科等）") == {
        "责任领导": "董兵、黄步先",
        "牵头科室": "医政科、基层科等",
    }
    assert item_fields("没有元数据的句子。") == {}


def test_strip_marker_uses_every_marker_family():
    assert strip_marker("(二)坚守四大主业,为高水平健康服务补齐短板") == "坚守四大主业,为高水平健康服务补齐短板"
    assert strip_marker("十一、强化保障") == "强化保障"
    assert strip_marker("1.实施医疗服务能力提优工程") == "实施医疗服务能力提优工程"
    assert strip_marker("2022年浙江省卫生健康工作要点") == "2022年浙江省卫生健康工作要点"
