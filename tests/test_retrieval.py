"""Hybrid retrieval and filters over the real index."""

from __future__ import annotations

from assistant.schema import Filters


def test_region_filter_province_matches_its_cities_and_counties(qa):
    hits = qa.search("家庭医生签约服务", k=20, filters=Filters(regions=["江苏"]))
    assert hits and {h.chunk.source for h in hits} <= {"changzhou-2020.txt", "donghai-2021.txt"}
    assert {h.chunk.source for h in hits} == {"changzhou-2020.txt", "donghai-2021.txt"}


def test_english_region_and_year_filters(qa):
    hits = qa.search("elderly care", k=10, filters=Filters(regions=["Zhejiang"], years=[2022]))
    assert hits and all(h.chunk.source == "zhejiang-2022.txt" for h in hits)
    assert qa.search("elderly care", k=5, filters=Filters(years=[1999])) == []


def test_level_and_doc_filters(qa):
    assert {h.document.level for h in qa.search("老年健康", k=10, filters=Filters(levels=["county"]))} == {"county"}
    hits = qa.search("老年健康", k=10, filters=Filters(doc_ids=["suining-2022"]))
    assert {h.chunk.source for h in hits} == {"suining-2022.txt"}


def test_chinese_question_finds_the_right_plan(qa):
    hit = qa.search("东海县二级以上综合医院设置老年医学科比例", k=1)[0]
    assert hit.chunk.source == "donghai-2021.txt" and "70%" in hit.chunk.text


def test_english_question_uses_bm25_only_through_the_term_map(qa):
    question = "What are the elderly-care targets in Zhejiang 2022?"
    # Raw English tokens never reach BM25 with any weight: fused score equals the cosine.
    raw = qa.searcher.search(question, 3)
    assert all(abs(h.score - h.dense_score) < 1e-6 for h in raw)
    # With the term map's Chinese terms, BM25 adds at most expansion_weight.
    expanded = qa.search(question, 3)
    assert expanded[0].chunk.source == "zhejiang-2022.txt"
    assert all(0 <= h.score - h.dense_score <= qa.searcher.expansion_weight + 1e-6 for h in expanded)
    assert any(h.score > h.dense_score for h in expanded)


def test_langchain_retriever_returns_documents_with_metadata(qa):
    docs = qa.retriever(k=3).invoke("遂宁 两癌筛查")
    assert len(docs) == 3
    meta = docs[0].metadata
    for key in ("chunk_id", "source", "title", "region", "year", "section", "start", "end", "level"):
        assert key in meta
    assert docs[0].page_content == qa.index.documents[meta["doc_id"]].text[meta["start"] : meta["end"]]
