"""The structures that keep a query's cost flat as the corpus grows, checked against
plain reference computations on the real index (speed itself: benchmarks/scale.py)."""

from __future__ import annotations

import json
import random
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assistant.ask import HybridSearcher
from assistant.config import Settings
from assistant.crossdoc import ReferenceIndex
from assistant.facts import Reference
from assistant.index.builder import batches_by_chars
from assistant.index.store import SentenceRow, SentenceTable
from assistant.schema import Filters
from assistant.text import cjk_ratio, split_sentences

ROOT = Path(__file__).resolve().parent.parent


def _gold(limit: int | None = None) -> list[dict]:
    rows = [json.loads(line) for line in (ROOT / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    return rows[:limit] if limit else rows


def test_the_filter_mask_is_filters_accepts(qa):
    searcher, index = qa.searcher, qa.index
    documents = list(index.documents.values())
    names = [*sorted({n for d in documents for n in d.region_chain}), "浙江", "Zhejiang", "zhejiang", "江苏", "火星"]
    ids = [d.doc_id for d in documents] + [d.source for d in documents] + ["nope"]
    rng = random.Random(7)
    for _ in range(200):
        filters = Filters(
            doc_ids=rng.sample(ids, rng.choice([0, 0, 1, 2])),
            regions=rng.sample(names, rng.choice([0, 1, 1, 2])),
            levels=rng.sample(["city", "county", "province", "national"], rng.choice([0, 0, 1])),
            years=rng.sample([2020, 2021, 2022, 2023], rng.choice([0, 1])),
        )
        expected = [
            row
            for row, chunk in enumerate(index.chunks)
            if filters.accepts_chunk(index.documents[chunk.doc_id], chunk) and not chunk.is_record
        ]
        assert searcher.candidates(filters).tolist() == expected, filters


def _exhaustive(qa, query: str, topic: str | None, terms: list[str], k: int) -> list[str]:
    """The ranking written out plainly, one chunk at a time, every sentence scored."""
    index, settings = qa.index, qa.settings
    vector = qa.searcher.query_vector(query)
    topic_vector = qa.searcher.query_vector(topic) if topic and topic != query else None
    chunk_vector = vector
    if topic_vector is not None:
        chunk_vector = (vector + topic_vector) / np.linalg.norm(vector + topic_vector)
    sentence_vector = topic_vector if topic_vector is not None else chunk_vector
    ratio = cjk_ratio(query)
    rows = [row for row, chunk in enumerate(index.chunks) if not chunk.is_record]
    lexical_all = index.lexical.scores(" ".join([query, *terms]))
    top = max(float(lexical_all[row]) for row in rows)
    weight = settings.lexical_weight * ratio + (settings.expansion_weight * (1 - ratio) if terms else 0.0)
    scored = []
    for row in rows:
        chunk_score = float(index.chunk_vectors[row] @ chunk_vector)
        best = chunk_score
        sentences = list(index.sentence_rows(row))
        if sentences:
            best = -np.inf
            for s in sentences:
                score = float(index.sentence_vectors[s].astype(np.float32) @ sentence_vector)
                if terms:
                    text = index.sentence_text(s)
                    share = sum(t in text for t in terms) / len(terms)
                    score += settings.sentence_term_weight * (1 - ratio) * share
                best = max(best, score)
        dense = (1 - settings.sentence_weight) * chunk_score + settings.sentence_weight * best
        fused = dense + (weight * float(lexical_all[row]) / top if top > 0 else 0.0)
        scored.append((-fused, row))
    return [index.chunks[row].chunk_id for _, row in sorted(scored)[:k]]


@pytest.mark.parametrize("depth", [1000, 40])
def test_two_stage_ranking_matches_the_exhaustive_ranking(qa, depth):
    """Deep enough (all chunks), the two stages are the one-stage ranking; at depth 40 (a
    quarter of the bundled index) the top 5 still agree on nearly every gold question."""
    searcher = HybridSearcher(qa.index, qa.embedder, replace(qa.settings, rerank_depth=depth))
    searcher._vectors = qa.searcher._vectors  # share the cached question embeddings
    same = 0
    questions = _gold(60)
    for row in questions:
        question = qa.analyzer.analyze(row["question"])
        got = [
            h.chunk.chunk_id for h in searcher.search(question.text, 5, None, question.topic or None, question.terms)
        ]
        want = _exhaustive(qa, question.text, question.topic or None, list(question.terms), 5)
        same += got == want
        if depth >= len(qa.index.chunks):
            assert got == want, row["question"]
    assert same / len(questions) >= 0.9


def test_sentence_table_round_trip_and_chunk_ranges(tmp_path):
    rows = [SentenceRow(0, 0, 5), SentenceRow(0, 5, 9), SentenceRow(2, 20, 30)]
    table = SentenceTable.from_rows(rows, chunks=4)
    assert [table.rows_of(c) for c in range(4)] == [range(0, 2), range(2, 2), range(2, 3), range(3, 3)]
    table.save(tmp_path / "spans.npy")
    loaded = SentenceTable.load(tmp_path / "spans.npy", chunks=4)
    assert list(loaded) == rows
    with pytest.raises(ValueError, match="chunk by chunk"):
        SentenceTable.from_rows([SentenceRow(2, 0, 1), SentenceRow(1, 0, 1)], chunks=4)


def test_build_batches_follow_a_character_budget():
    texts = ["a" * n for n in (5, 300, 40, 7000, 9000, 12, 2500)]
    batches = list(batches_by_chars(texts, 10_000))
    assert sorted(t for b in batches for t in b) == sorted(texts)
    assert all(sum(map(len, b)) <= 10_000 or len(b) == 1 for b in batches)
    # Shortest first, packed up to the budget (9,857 characters), then the long one alone.
    assert [[len(t) for t in b] for b in batches] == [[5, 12, 40, 300, 2500, 7000], [9000]]


def _references_quadratic(documents, references):
    """The reference grouping as first written (every mention scanned for every match)."""
    programmes = {r.key: r.name for r in references if r.kind == "programme"}
    mentions = list(references)
    for doc in documents.values():
        sentences = split_sentences(doc.text)
        for key, name in programmes.items():
            for match in re.finditer(re.escape(name), doc.text):
                start, end = match.start(), match.end()
                if any(r.doc_id == doc.doc_id and r.start <= start < r.end for r in mentions):
                    continue
                sentence = next((s for s in sentences if s.start <= start < s.end), None)
                if sentence is not None:
                    mentions.append(
                        Reference(name, "programme", key, doc.doc_id, doc.source, sentence.text, start, end)
                    )
    return sorted((r.key, r.doc_id, r.start, r.end) for r in mentions)


def test_reference_index_is_the_quadratic_grouping(qa):
    index = ReferenceIndex(qa.index.documents, qa.index.references)
    found = sorted((c.key, c.doc_id, c.start, c.end) for g in index.groups for c in g.citations)
    assert found == _references_quadratic(qa.index.documents, qa.index.references)
    assert len(found) > len(qa.index.references)  # unquoted programme mentions were added


def test_settings_for_scale_are_checked():
    from assistant.config import SettingsError

    with pytest.raises(SettingsError, match="rerank_depth"):
        Settings(rerank_depth=0)
    with pytest.raises(SettingsError, match="query_threads"):
        Settings(query_threads=0)
    assert Settings(build_threads=0).build_threads == 0  # 0: all cores


def test_bm25_as_sparse_vectors_is_bm25(qa):
    """The sparse vectors the Milvus store inserts, times the question's token counts, are
    the local BM25 scores of every passage (so Milvus ranks lexically exactly as locally)."""
    lexical = qa.index.lexical
    passages = list(lexical.document_vectors())
    assert len(passages) == len(qa.index.chunks)
    for row in _gold(25):
        query = lexical.query_weights(row["question"])
        expected = lexical.scores(row["question"])
        got = np.array([sum(p.get(t, 0.0) * c for t, c in query.items()) for p in passages], np.float32)
        assert expected.any() and np.allclose(got, expected, atol=1e-5), row["question"]
