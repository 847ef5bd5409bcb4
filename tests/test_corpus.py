"""Documents and metadata: manifest values, inference from text, chrome, bad files."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from assistant.corpus import CorpusError, MetadataReader, is_chrome, load_document, read_text
from assistant.corpus.regions import Gazetteer

from .conftest import BUNDLED_PLANS, CORPUS

EXPECTED = {
    "kaifeng-2022.txt": ("开封市", ["开封市", "河南省"], "city", 2022),
    "suining-2022.txt": ("遂宁市", ["遂宁市", "四川省"], "city", 2022),
    "zhejiang-2022.txt": ("浙江省", ["浙江省"], "province", 2022),
    "changzhou-2020.txt": ("常州市", ["常州市", "江苏省"], "city", 2020),
    "donghai-2021.txt": ("东海县", ["东海县", "连云港市", "江苏省"], "county", 2021),
}


# SHA-256 of the five seed plans as delivered (shared/seeds/); the corpus must keep them byte-identical.
SEED_SHA256 = [
    "2fd7716c4dd4c374905447d4ee45c99e1dd0179fe9f8107feb62b3059bebcc5b",
    "35f3db67b4a078b8aeb52f8733c18af0c014f484a90bf0cf62b0d61ccc05af9b",
    "3622e902a7617f75bc57b22b3da02b0904d7daaa1000323fcdece8eee493c0ec",
    "3ce9f8ad641a8c54aedc194821777d6a0570910c21d2409dfc1016c86eb21144",
    "f3a654e616bcfd22ca80a20993f97b9bab94dc35b0726939c1a97baebde5b81a",
]


def test_five_plans_byte_identical_to_seeds():
    ours = sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in BUNDLED_PLANS)
    assert ours == SEED_SHA256
    seeds = CORPUS.parent.parent / "shared" / "seeds"
    if seeds.exists():  # beside a development checkout: compare with the originals too
        assert ours == sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in seeds.glob("*.txt"))


@pytest.mark.parametrize("source", sorted(EXPECTED))
def test_manifest_agrees_with_what_the_text_says(documents, source):
    """The manifest's region, level and year are what inference reads from the text itself."""
    with_manifest = documents[source]
    from_text = load_document(CORPUS / source, None, MetadataReader())
    expected = EXPECTED[source]
    assert (with_manifest.region, with_manifest.region_chain, with_manifest.level, with_manifest.year) == expected
    assert (from_text.region, from_text.region_chain, from_text.level, from_text.year) == expected
    assert with_manifest.title and from_text.title


def test_zhejiang_number_issuer_date(documents):
    doc = documents["zhejiang-2022.txt"]
    assert doc.doc_number == "浙卫发〔2022〕8号"
    assert doc.issuer == "浙江省卫生健康委员会"
    assert doc.published == "2022-03-12"
    assert doc.region_en == "Zhejiang"


@pytest.mark.parametrize("source", sorted(EXPECTED))
def test_metadata_inferred_without_manifest(source):
    """A file with no manifest entry gets region, level and year from its own text."""
    region, chain, level, year = EXPECTED[source]
    doc = load_document(CORPUS / source, None, MetadataReader())
    assert (doc.region, doc.region_chain, doc.level, doc.year) == (region, chain, level, year)
    assert {"region", "year", "title"} <= set(doc.inferred)


def test_inferred_doc_number_is_the_plans_own_not_a_cited_one():
    suining = load_document(CORPUS / "suining-2022.txt", None, MetadataReader())
    assert suining.doc_number is None  # 遂府办函〔2021〕44号 is cited inside the text
    zhejiang = load_document(CORPUS / "zhejiang-2022.txt", None, MetadataReader())
    assert zhejiang.doc_number == "浙卫发〔2022〕8号"


@pytest.mark.parametrize(
    "line",
    [
        "扫一扫在手机打开当前页",
        "分享到:",
        "关闭 打印",
        "浙江省卫生信息中心版权所有",
        "备案序号:浙ICP备19049905号-1",
        "索 引 号: 002482365/2022-07235 公开日期: 2022-03-12",
        "浏览次数:",
        "    来源:遂宁市卫健委 发布时间:2022-03-21 10:13 浏览次数: 字体: [ ] 打印",
    ],
)
def test_chrome_lines_recognised(line):
    assert is_chrome(line)


@pytest.mark.parametrize(
    "line",
    ["一、守牢疫情防控底线", "(十七)开展农村妇女“两癌”筛查。为1.82万35-64岁农村妇女", "2022年浙江省卫生健康工作要点"],
)
def test_content_lines_are_not_chrome(line):
    assert not is_chrome(line)


def test_gbk_file_is_read(tmp_path):
    path = tmp_path / "gbk.txt"
    text = (CORPUS / "kaifeng-2022.txt").read_text(encoding="utf-8")
    path.write_bytes(text.encode("gb18030"))
    assert read_text(path) == text


@pytest.mark.parametrize(
    ("payload", "message"),
    [(b"", "empty"), (b"\x00\x01\x02binary\x00" * 10, "binary"), (b"just some english text " * 5, "no Chinese")],
)
def test_bad_files_are_refused_with_reason(tmp_path, payload, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(payload)
    with pytest.raises(CorpusError, match=message):
        load_document(path)


def test_malformed_manifest_is_a_clear_error(tmp_path):
    from assistant.corpus import load_corpus

    shutil.copy(CORPUS / "kaifeng-2022.txt", tmp_path)
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"manifest\.json"):
        load_corpus(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"documents": []}), encoding="utf-8")
    with pytest.raises(CorpusError, match="expected"):
        load_corpus(tmp_path)


def test_gazetteer_parents_and_short_names():
    gazetteer = Gazetteer()
    assert gazetteer.region("东海县").chain == ("东海县", "连云港市", "江苏省")
    assert [r.name for r in gazetteer.lookup("遂宁")] == ["遂宁市"]
    assert gazetteer.english_name("浙江省") == "Zhejiang"


def test_county_short_name_that_is_an_ordinary_word_is_not_a_region():
    gazetteer = Gazetteer()
    # 新建区 (南昌) shortens to 新建, an everyday verb; without 南昌/江西 in the text it is not a place
    assert gazetteer.infer_region("2023年全县卫生健康工作要点。新建智慧健康小屋10个。", level="county") is None
    donghai = (CORPUS / "donghai-2021.txt").read_text(encoding="utf-8")
    assert gazetteer.infer_region(donghai, level="county").name == "东海县"  # 健康东海 + 健康连云港
