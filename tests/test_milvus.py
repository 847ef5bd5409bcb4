"""The Milvus store (Milvus Lite, a local process started by pymilvus) against the local store, on the real
index: the same retrieval and the same answers; plans synchronised one by one; a
collection of another model refused like a local index."""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assistant.index import ModelMismatchError
from assistant.index.chunkstore import Allowed
from assistant.index.milvus import MilvusChunkStore, MilvusStoreError, filter_expression, plan_key
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
    allowed = Allowed(np.arange(3), ["donghai-2021", 'odd"id', "donghai-2021"], [2021, 2022], False)
    donghai, odd = plan_key("donghai-2021"), plan_key('odd"id')
    assert filter_expression(allowed) == (
        f"plan in [{donghai}, {odd}] and (year in [2021, 2022] or about_year in [2021, 2022]) and record == false"
    )
    assert filter_expression(Allowed(np.arange(3), None, [], True)) == ""
    assert plan_key("donghai-2021") == donghai and -(2**63) <= donghai < 2**63 and donghai != odd


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


def test_a_reader_follows_the_builds_the_writer_publishes(workspace, embedder, tmp_path):
    """A reader without a corpus loads each new build the writer publishes (an editor
    removed a plan): from Milvus alone, while it goes on answering; its folder keeps the
    new build and the one before, no older."""
    uri = str(tmp_path / "shared.db")
    writer = PolicyQA(replace(workspace, milvus_uri=uri), embedder)
    writer.reload()
    reader = PolicyQA.open(
        replace(workspace, corpus_dir=tmp_path / "no-corpus", index_dir=tmp_path / "reader", milvus_uri=uri),
        build_if_missing=False,
        progress=False,
    )
    assert reader.follows_milvus() and not writer.follows_milvus()
    assert reader.refresh_from_milvus() is False  # nothing new yet
    question = "开封2022年要建多少个社区卫生服务站"
    assert reader.ask(question).status.value != "unavailable"
    builds = [reader.index.path.name]
    for plan in ("kaifeng-2022.txt", "suining-2022.txt"):
        (workspace.corpus_dir / plan).unlink()
        writer.build_index(progress=False)
        assert reader.refresh_from_milvus() is True
        assert reader.index.path.name == writer.index.path.name
        builds.append(reader.index.path.name)
    assert reader.ask(question).status.value == "unavailable"
    assert reader.ask(question).answer == writer.ask(question).answer
    assert sorted(p.name for p in (tmp_path / "reader").glob("build-*")) == sorted(builds[-2:])
    # The loop serve runs: it looks, finds nothing newer, and stops when told.
    stop = threading.Event()
    looking = threading.Thread(target=reader.follow_milvus, args=(0.05, stop))
    looking.start()
    stop.set()
    looking.join(5)
    assert not looking.is_alive()
    writer.searcher.store.close()


def test_the_milvus_settings_reach_the_store(qa, tmp_path):
    settings = replace(qa.settings, milvus_uri=str(tmp_path / "m.db"), milvus_hnsw_ef=99, milvus_publish=False)
    store = MilvusChunkStore.from_settings(settings).with_index(qa.index)
    assert (store.ef, store.publishing, store.lite) == (99, False, True)
    assert store.published() == ""  # not publishing: no copy of the build in Milvus
    store.close()
    with pytest.raises(MilvusStoreError, match="ef must be at least 1"):
        MilvusChunkStore(str(tmp_path / "m.db"), ef=0)


def test_a_collection_of_another_model_or_schema_is_refused(qa, tmp_path):
    uri = str(tmp_path / "milvus.db")
    store = MilvusChunkStore(uri, qa.index, publish=False)
    store._set_meta(**{f"{store.collection}.embedder": "st-other-model"})
    with pytest.raises(ModelMismatchError, match="drop the collection"):
        store.with_index(qa.index)
    store._set_meta(**{f"{store.collection}.embedder": qa.index.embedder_info.key})
    store.with_index(qa.index)  # the right model again: accepted
    store._set_meta(**{f"{store.collection}.policyqa_schema": "0"})
    with pytest.raises(MilvusStoreError, match="not made by this policyqa"):
        store.with_index(qa.index)
    store.close()
    # A Milvus Lite 3.x data folder (or any folder) where the database should be: a message.
    (tmp_path / "old.db").mkdir()
    with pytest.raises(MilvusStoreError, match="is a folder"):
        MilvusChunkStore(str(tmp_path / "old.db"))


def test_cli_takes_a_milvus_uri(built, tmp_path, capsys):
    settings, _ = built
    index = tmp_path / "index"
    shutil.copytree(settings.index_dir, index)
    argv = ["ask", "--corpus", str(settings.corpus_dir), "--index", str(index), "-q", "--json"]
    code = main([*argv, "--milvus", str(tmp_path / "m.db"), "遂宁2022年为多少农村妇女开展两癌筛查"])
    out = capsys.readouterr().out
    assert code == 0 and "1.82万" in json.loads(out)["answer"]
