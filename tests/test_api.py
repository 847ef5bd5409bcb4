"""The page's API through gradio_client: named endpoints, named parameters, the CLI's JSON contract."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from .test_app import start_server


@pytest.fixture(scope="module")
def client(built, embedder, tmp_path_factory) -> Iterator[object]:
    from gradio_client import Client

    settings, _ = built
    base = tmp_path_factory.mktemp("api")
    shutil.copytree(settings.corpus_dir, base / "corpus")
    shutil.copytree(settings.index_dir, base / "index")
    from assistant.config import Settings

    demo, url, _ = start_server(Settings(corpus_dir=base / "corpus", index_dir=base / "index"), embedder)
    yield Client(url, verbose=False)
    demo.close()


def test_the_api_lists_named_endpoints_with_named_parameters(client):
    info = client.view_api(print_info=False, return_format="dict")
    assert sorted(info["named_endpoints"]) == ["/ask", "/compare", "/docs", "/refs", "/search"]
    assert info["unnamed_endpoints"] == {}
    names = [p["parameter_name"] for p in info["named_endpoints"]["/ask"]["parameters"]]
    assert names == ["question", "region", "year", "plan", "k", "previous", "answerer"]


def test_ask_returns_the_cli_json_contract(client):
    data = client.predict(question="浙江2022年二级及以上公立综合性医院设置老年医学科比例目标是多少", api_name="/ask")
    assert data["status"] == "answered" and data["abstained"] is False
    assert data["summary"] == ["浙江省 2022：二级及以上公立综合性医院设置老年医学科比例 65%以上 [1]"]
    citation = data["citations"][0]
    assert {"quote", "start", "end", "doc_id", "gloss"} <= set(citation) and "65%" in citation["quote"]
    assert "<" not in data["answer"]  # plain text, no HTML
    conflict = client.predict(question="浙江2022年老年医学科比例", region="东海县", api_name="/ask")
    assert conflict["status"] == "conflict"
    follow_up = client.predict(question="那常州呢？", previous="浙江2022年老年医学科比例是多少", api_name="/ask")
    assert "常州市" in follow_up["answer"] and follow_up["notes"]


def test_search_compare_refs_docs(client):
    hits = client.predict(query="两癌筛查", k=3, api_name="/search")["hits"]
    assert len(hits) == 3 and all({"chunk_id", "text", "start", "end"} <= set(h) for h in hits)
    rows = client.predict(topic="老年医学科", api_name="/compare")["rows"]
    assert {r["region"]: r["values"] for r in rows}["浙江省"] == ["65%以上"]
    refs = client.predict(query="", limit=3, api_name="/refs")["references"]
    assert len(refs) == 3 and refs[0]["plans"]
    docs = client.predict(api_name="/docs")["documents"]
    assert {d["source"] for d in docs} >= {"zhejiang-2022.txt", "donghai-2021.txt"}


def test_bad_input_is_a_message_not_a_traceback(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="the question is empty"):
        client.predict(question="   ", api_name="/ask")
    with pytest.raises(AppError, match="k must be between"):
        client.predict(question="老年医学科", k=0, api_name="/ask")
