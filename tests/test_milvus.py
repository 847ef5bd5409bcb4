"""The Milvus store (Milvus Lite, in this process) against the local store, on the real
index: the same retrieval and the same answers; plans synchronised one by one; a
collection of another model refused like a local index."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assistant.index import ModelMismatchError
from assistant.index.chunkstore import Allowed
from assistant.index.milvus import MilvusChunkStore, MilvusStoreError, filter_expression
from assistant.interfaces.cli import main
from assistant.pipeline import PolicyQA
from assistant.schema import Filters

ROOT = Path(__file__).resolve().parent.parent


def _questions(name: str) -> list[str]:
    path = ROOT / "eval" / name
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def milvus_qa(built, embedder, tmp_path_factory) -> PolicyQA:
    settings, _ = built
    uri = tmp_path_factory.mktemp("milvus") / "milvus.db"
    qa = PolicyQA(replace(settings, milvus_uri=str(uri)), embedder)
    qa.reload()
    yield qa
    qa.engine.searcher.store.close()


def test_the_milvus_store_is_used(milvus_qa, qa):
    assert milvus_qa.searcher.store.name == "milvus" and qa.searcher.store.name == "local"


def test_milvus_and_local_retrieve_and_answer_alike(milvus_qa, qa):
    """Every gold and near-miss question: the same top 10 and the same answer text."""
    questions = _questions("gold.jsonl") + _questions("nearmiss.jsonl")
    for question in questions:
        local = [h.chunk.chunk_id for h in qa.search(question, 10)]
        remote = [h.chunk.chunk_id for h in milvus_qa.search(question, 10)]
        assert remote == local, question
    for question in questions[::3]:
        assert milvus_qa.ask(question).answer == qa.ask(question).answer, question


def test_filters_are_pushed_down(milvus_qa, qa):
    filters = Filters(regions=["江苏"], years=[2021])
    hits = milvus_qa.search("家庭医生签约", 5, filters, understand=False)
    assert hits and {h.document.doc_id for h in hits} == {"donghai-2021"}
    assert [h.chunk.chunk_id for h in hits] == [h.chunk.chunk_id for h in qa.search("家庭医生签约", 5, filters, False)]
    assert milvus_qa.search("家庭医生签约", 5, Filters(regions=["火星"]), understand=False) == []


def test_filter_expression():
    allowed = Allowed(np.arange(3), ["donghai-2021", 'odd"id'], [2021, 2022], False)
    assert filter_expression(allowed) == (
        'doc_id in ["donghai-2021", "odd\\"id"] and (year in [2021, 2022] or about_year in [2021, 2022]) '
        'and kind != "record"'
    )
    assert filter_expression(Allowed(np.arange(3), None, [], True)) == ""


def test_plans_are_synchronised_one_by_one(workspace, embedder, tmp_path):
    uri = str(tmp_path / "milvus.db")
    qa = PolicyQA(replace(workspace, milvus_uri=uri), embedder)
    qa.reload()
    store = qa.searcher.store
    assert len(store._query_all(["id"])) == len(qa.index.chunks)
    assert store.synchronise() == {"removed": 0, "inserted": 0}  # the same build: nothing to do
    (workspace.corpus_dir / "kaifeng-2022.txt").unlink()
    qa.build_index(progress=False)  # the removed plan's chunks go; BM25 changed, so every row is rewritten
    store = qa.searcher.store
    ids = {row["id"] for row in store._query_all(["id"])}
    assert ids == {c.chunk_id for c in qa.index.chunks} and not any(i.startswith("kaifeng") for i in ids)
    assert store.synchronise() == {"removed": 0, "inserted": 0}
    # The rewritten BM25 weights are the new build's: the lexical scores agree with the local ones.
    local = PolicyQA(workspace, embedder)
    local.reload()
    for question in ("东海县家庭医生签约服务", "遂宁两癌筛查", "浙江老年医学科"):
        assert [h.chunk.chunk_id for h in qa.search(question, 10)] == [
            h.chunk.chunk_id for h in local.search(question, 10)
        ]
    answer = qa.ask("开封2022年要建多少个社区卫生服务站")
    assert answer.status.value == "unavailable"
    store.close()


def test_a_process_without_the_build_folder_runs_from_milvus(workspace, embedder, tmp_path):
    """The writer publishes its build; a reader with an empty index folder and no corpus
    fetches it from Milvus (checked against the build's checksums) and answers alike."""
    uri = str(tmp_path / "shared.db")
    writer = PolicyQA(replace(workspace, milvus_uri=uri), embedder)
    writer.reload()
    reader_settings = replace(
        workspace, corpus_dir=tmp_path / "no-corpus", index_dir=tmp_path / "reader", milvus_uri=uri
    )
    reader = PolicyQA.open(reader_settings, build_if_missing=False, progress=False)
    assert reader.index.path.name == writer.index.path.name
    assert not (tmp_path / "no-corpus").exists()
    for question in _questions("gold.jsonl")[:20]:
        assert reader.ask(question).answer == writer.ask(question).answer
    # A published build that arrives damaged is refused, not served.
    store = reader.searcher.store
    row = store.client.query(
        "policyqa_files",
        filter='path == "chunks.jsonl"',
        output_fields=["id", "build", "path", "part", "data", "dummy"],
        limit=1,
    )[0]
    store.client.upsert("policyqa_files", [{**row, "data": row["data"][:-8] + "AAAAAAAA"}])
    with pytest.raises(MilvusStoreError, match="is damaged"):
        store.fetch(tmp_path / "second-reader")
    store.close()


def test_a_collection_of_another_model_is_refused(qa, tmp_path):
    uri = str(tmp_path / "milvus.db")
    store = MilvusChunkStore(uri, qa.index)
    store.client.alter_collection_properties(store.collection, properties={"embedder": "st-other-model"})
    with pytest.raises(ModelMismatchError, match="drop the collection"):
        store.with_index(qa.index)
    store.close()


def test_cli_takes_a_milvus_uri(built, tmp_path, capsys):
    settings, _ = built
    index = tmp_path / "index"
    shutil.copytree(settings.index_dir, index)
    argv = ["ask", "--corpus", str(settings.corpus_dir), "--index", str(index), "-q", "--json"]
    code = main([*argv, "--milvus", str(tmp_path / "m.db"), "遂宁2022年为多少农村妇女开展两癌筛查"])
    out = capsys.readouterr().out
    assert code == 0 and "1.82万" in json.loads(out)["answer"]
