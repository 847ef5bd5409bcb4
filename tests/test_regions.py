"""Every division of the gazetteer has an English name, recognised in questions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.ask.question import QuestionAnalyzer
from assistant.corpus.files import load_corpus
from assistant.corpus.regions import PINYIN_TABLE, Gazetteer, pinyin_name

ROOT = Path(__file__).resolve().parent.parent
BLIND_DOCS = ROOT / "eval" / "blind" / "docs"


@pytest.fixture(scope="module")
def analyzer(documents):
    return QuestionAnalyzer(list(documents.values()))


@pytest.mark.parametrize(
    ("name", "english"),
    [
        ("扬中市", "Yangzhong"),
        ("番禺区", "Panyu"),
        ("西安市", "Xi'an"),
        ("恩施土家族苗族自治州", "Enshi"),
        ("峨边彝族自治县", "Ebian"),
        ("绿春县", "Lüchun"),
        ("和县", "Hexian"),  # a one-character name keeps its suffix
    ],
)
def test_pinyin_names(name, english):
    assert pinyin_name(name) == english


def test_the_generated_table_is_in_step_with_the_gazetteer(tmp_path, monkeypatch):
    """data/region_names_pinyin.tsv is what pinyin_name gives for every division today."""
    committed = (ROOT / "assistant" / "data" / PINYIN_TABLE).read_text(encoding="utf-8")
    data = tmp_path / "assistant" / "data"
    shutil.copytree(ROOT / "assistant" / "data", data)
    monkeypatch.setattr("assistant.corpus.regions.resources.files", lambda _package: data.parent)
    from assistant.corpus.regions import write_pinyin_table

    assert write_pinyin_table() > 3000
    assert (data / PINYIN_TABLE).read_text(encoding="utf-8") == committed, (
        "regenerate: python -c 'from assistant.corpus.regions import write_pinyin_table; write_pinyin_table()'"
    )


def test_every_division_has_an_english_name_and_official_spellings_win():
    gazetteer = Gazetteer()
    named = [name for name in gazetteer.levels() if gazetteer.english_name(name)]
    assert len(named) >= 0.98 * len(gazetteer.levels())
    assert gazetteer.english_name("海拉尔区") == "Hailar"  # official, not the Pinyin "Haila'er"
    assert gazetteer.english_name("呼和浩特市") == "Hohhot"
    assert gazetteer.english_name("扬中市") == "Yangzhong"


@pytest.mark.parametrize(
    ("question", "unavailable"),
    [
        ("What is Yangzhong's family doctor target?", ["扬中市"]),
        ("How many beds does Panyu District plan?", ["番禺区"]),
        ("Hohhot's health targets", ["呼和浩特市"]),
        ("Huhehaote's targets", ["呼和浩特市"]),  # the Pinyin is recognised beside the official spelling
        ("What does Guide County plan?", ["贵德县"]),
    ],
)
def test_english_names_of_regions_without_a_plan_are_recognised(analyzer, question, unavailable):
    """A region the corpus has no plan for is said to be missing, not answered from another plan."""
    assert list(analyzer.analyze(question).scope.unavailable) == unavailable


@pytest.mark.parametrize(
    "question",
    [
        "A guide to Zhejiang's childcare targets",  # "guide" is a word, Guide County needs "County"
        "How far is a mile from a clinic in Zhejiang?",
        "what does zhejiang plan for yangzhong-style clinics",  # Pinyin in lower case is not a name
    ],
)
def test_english_words_are_not_taken_for_regions(analyzer, question):
    scope = analyzer.analyze(question).scope
    assert list(scope.regions) == ["浙江省"] and scope.unavailable == ()


def test_an_english_question_naming_a_county_outside_the_corpus_finds_its_plan(tmp_path):
    """A county document added by a user (not in corpus/, not in region_names_en.tsv) is found
    by its English name, and shown with it."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("zongyang-2024.txt", "yuanjiang-2025.txt"):
        shutil.copy(BLIND_DOCS / name, corpus / name)
    documents = load_corpus(corpus)
    by_source = {d.source: d for d in documents}
    assert by_source["zongyang-2024.txt"].region_en == "Zongyang"
    analyzer = QuestionAnalyzer(documents)
    scope = analyzer.analyze("How many village clinics deliver basic public health services in Zongyang County?").scope
    assert list(scope.regions) == ["枞阳县"]
    assert [d.source for d in documents if scope.filters().accepts(d)] == ["zongyang-2024.txt"]
    assert list(analyzer.analyze("What life expectancy does Yuanjiang target?").scope.regions) == ["沅江市"]
