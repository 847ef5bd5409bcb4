"""Years a document covers, and metadata of documents outside corpus/ (a summary-and-plan
document, a national notice, a portal record table, a notice naming a district of a city)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.ask.question import QuestionAnalyzer
from assistant.chunking import SectionChunker, YearCoverage
from assistant.config import Settings
from assistant.corpus import MetadataReader
from assistant.corpus.files import load_corpus
from assistant.pipeline import PolicyQA
from assistant.schema import Filters, Status

ROOT = Path(__file__).resolve().parent.parent
BLIND_DOCS = ROOT / "eval" / "blind" / "docs"

# A made-up document of the "总结和要点" kind (filed under the year it plans), for a county
# without a plan in corpus/.
SUMMARY_AND_PLAN = """扬中市卫生健康委员会
扬中市卫生健康委员会2022年工作总结和2023年工作要点
一、2022年工作总结
（一）基层卫生。全年新建标准化村卫生室12个，家庭医生签约服务覆盖率达到76.5%。
（二）公共卫生。完成适龄妇女“两癌”筛查1.2万人次。
二、2023年工作要点
（一）基层卫生。新建标准化村卫生室8个，家庭医生签约服务覆盖率稳定在75%以上。
（二）健康扬中。到2025年，居民健康素养水平达到30%以上。
"""

NATIONAL_NOTICE = """健康中国行动推进委员会办公室关于印发健康中国行动2022年工作要点的通知
国健推委办发〔2022〕2号
各省、自治区、直辖市及新疆生产建设兵团健康中国行动推进委员会：
现将《健康中国行动2022年工作要点》印发给你们，请结合实际认真贯彻落实。
一、总体要求
全国推进健康中国行动，各地各部门加大工作力度。全国居民健康素养水平提高。全国推进控烟。
全国开展爱国卫生运动。全国落实重点任务。
"""


@pytest.fixture(scope="module")
def chunker():
    settings = Settings()
    return SectionChunker(settings.chunk_max_chars, settings.chunk_min_chars, settings.chunk_overlap_sentences)


def _read(tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return MetadataReader().read(path, text, None)


def test_a_summary_and_plan_document_covers_both_years(tmp_path, chunker):
    document = _read(tmp_path, "yangzhong.txt", SUMMARY_AND_PLAN)
    assert (document.region, document.level, document.year) == ("扬中市", "county", 2023)
    chunks = chunker.chunk(document)
    document.covers = YearCoverage().years(document, chunks)
    roles = {(c.year, c.role) for c in document.covers}
    assert {(2022, "reviewed"), (2023, "planned"), (2025, "planned")} <= roles
    assert document.covered_years() >= {2022, 2023, 2025}
    # The 2022 filter takes the review section, not the 2023 plan's sentences.
    filters = Filters(years=[2022])
    taken = [c.text for c in chunks if filters.accepts_chunk(document, c)]
    assert any("76.5%" in text for text in taken) and not any("稳定在75%以上" in text for text in taken)


def test_a_year_a_document_only_mentions_is_searched_not_called_missing(tmp_path, chunker):
    document = _read(
        tmp_path, "yangzhong.txt", SUMMARY_AND_PLAN.replace("达到30%以上。", "达到30%以上（2020年为22%）。")
    )
    document.covers = YearCoverage().years(document, chunker.chunk(document))
    analyzer = QuestionAnalyzer([document])
    covered = analyzer.analyze("扬中市2022年家庭医生签约服务覆盖率是多少？").scope
    assert covered.years == (2022,) and covered.unavailable == ()
    mentioned = analyzer.analyze("扬中市2020年居民健康素养水平是多少？").scope
    assert mentioned.years == () and mentioned.unavailable == ()  # searched in the documents that name 2020
    missing = analyzer.analyze("扬中市2019年居民健康素养水平是多少？").scope
    assert missing.unavailable == ("2019年",)


def test_a_question_on_the_reviewed_year_is_answered_from_the_summary(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "yangzhong-2023.txt").write_text(SUMMARY_AND_PLAN, encoding="utf-8")
    shutil.copy(BLIND_DOCS / "zongyang-2024.txt", corpus / "zongyang-2024.txt")
    qa = PolicyQA(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), embedder)
    qa.build_index(progress=False)
    answer = qa.ask("扬中市2022年家庭医生签约服务覆盖率达到多少？")
    assert answer.status is Status.ANSWERED, answer.answer
    assert "76.5%" in answer.answer and answer.citations[0].about_year in (None, 2022)
    assert qa.ask("扬中市2019年家庭医生签约服务覆盖率达到多少？").status is Status.UNAVAILABLE


def test_a_national_bodys_notice_is_national_by_its_doc_number(tmp_path):
    document = _read(tmp_path, "notice.txt", NATIONAL_NOTICE)
    assert document.doc_number == "国健推委办发〔2022〕2号"
    assert (document.region, document.level, document.year) == ("全国", "ministry", 2022)
    state_council = NATIONAL_NOTICE.replace("国健推委办发", "国办发").replace(
        "健康中国行动推进委员会办公室关于", "关于"
    )
    assert _read(tmp_path, "sc.txt", state_council).level == "national"


@pytest.mark.parametrize(
    ("source", "region", "level", "year", "issuer"),
    [
        # A portal record table flattened to "名称: | … |" cells; a summary of 2023 published in 2024.
        ("zongyang-2024.txt", "枞阳县", "county", 2024, "枞阳县卫生健康委员会"),
        # "天津市滨海新区人民政府": the district of the city, not the city.
        ("tianjin-binhai-2020.txt", "滨海新区", "county", 2020, "天津市滨海新区人民政府"),
        # No title in the excerpt; 全市 and 全省 said once each ("落实全国、全省…会议精神"): the city's.
        ("ganzhou-2023.txt", "赣州市", "city", 2023, None),
        # No year but in its 文号 川府发〔2019〕27号.
        ("sichuan-2019.txt", "四川省", "province", 2019, "四川省人民政府"),
        # "我代表省人民政府" deep in the report, after the portal's chrome.
        ("guangdong-2025.txt", "广东省", "province", 2025, "广东省人民政府"),
    ],
)
def test_metadata_of_documents_outside_the_corpus(tmp_path, source, region, level, year, issuer):
    shutil.copy(BLIND_DOCS / source, tmp_path / source)
    (document,) = load_corpus(tmp_path)
    assert (document.region, document.level, document.year, document.issuer) == (region, level, year, issuer)


@pytest.fixture(scope="module")
def heads(tmp_path_factory, embedder):
    """Five page heads of eval/blind/docs, added as a user adds plans (copied, no manifest)."""
    base = tmp_path_factory.mktemp("heads")
    (base / "corpus").mkdir()
    for name in ("sichuan-2019.txt", "yuanjiang-2025.txt", "zongyang-2024.txt", "shenzhen-2025.txt", "yuyang-2023.txt"):
        shutil.copy(BLIND_DOCS / name, base / "corpus" / name)
    qa = PolicyQA(Settings(corpus_dir=base / "corpus", index_dir=base / "index"), embedder)
    qa.build_index(progress=False)
    return qa


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # the 文号 on a line of its own under the title is the document's record field
        ("四川省人民政府关于推进健康四川行动的实施意见的文号是什么？", "川府发〔2019〕27号"),
        # the title's words (人均) describe the document asked about, they do not constrain the answer
        ("沅江市人均预期寿命提升行动计划主要目标任务的印发文号是什么？", "沅政办函〔2025〕15号"),
        # a portal's record table flattened to "发布日期: | 2024-03-22 | ||" cells
        ("枞阳县2023年度基本公卫绩效自评报告的发布日期是哪天？", "2024-03-22"),
    ],
)
def test_record_fields_as_portals_and_notices_write_them(heads, question, expected):
    answer = heads.ask(question)
    assert answer.status is Status.ANSWERED and expected in answer.answer, answer.answer


def test_a_summary_is_no_plan_for_the_year_it_is_filed_under(heads):
    """深圳's 2024 summary (published 2025) states what was done in 2024: it plans nothing for 2025."""
    assert heads.ask("深圳市卫生健康委2024年新增床位多少张？").status is Status.ANSWERED
    planned = heads.ask("How many new hospital beds does Shenzhen plan to add in 2025?")
    assert planned.status is not Status.ANSWERED, planned.answer


def test_a_plan_named_by_its_own_title_is_asked_for_its_own_record(heads):
    """Yuyang's opinion cites 国发〔2019〕13号 and 陕政发〔2020〕7号 but states no 文号 of its own:
    asked for "this opinion's 文号", the cited numbers are no answer."""
    answer = heads.ask("榆阳区这份推进健康榆阳行动的实施意见的文号是什么？")
    assert answer.status is not Status.ANSWERED, answer.answer


@pytest.mark.parametrize(
    ("arguments", "named"), [({"max_horizon_years": 0}, "max_horizon_years"), ({"head_chars": 0}, "head_chars")]
)
def test_coverage_refuses_parameters_that_read_nothing(arguments, named):
    with pytest.raises(ValueError, match=named):
        YearCoverage(**arguments)
