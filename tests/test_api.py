"""The page's API through gradio_client: named endpoints, named parameters, the CLI's JSON contract.

The README's own examples (its curl and gradio_client blocks, parsed from README.md) are run
against the served copy as they are written, only the address changed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

from .conftest import ROOT, settings_at
from .test_app import start_server


@pytest.fixture(scope="module")
def served(built, embedder, tmp_path_factory) -> Iterator[str]:
    """The app over a private copy of the session corpus and index; yields its URL."""
    settings, _ = built
    base = tmp_path_factory.mktemp("api")
    shutil.copytree(settings.corpus_dir, base / "corpus")
    shutil.copytree(settings.index_dir, base / "index")
    demo, url, _ = start_server(settings_at(base), embedder)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def client(served) -> object:
    from gradio_client import Client

    return Client(served, verbose=False)


def test_the_api_lists_named_endpoints_with_named_parameters(client):
    info = client.view_api(print_info=False, return_format="dict")
    assert sorted(info["named_endpoints"]) == ["/ask", "/compare", "/docs", "/refs", "/search"]
    assert info["unnamed_endpoints"] == {}
    names = [p["parameter_name"] for p in info["named_endpoints"]["/ask"]["parameters"]]
    assert names == ["question", "region", "year", "plan", "k", "previous", "answerer"]


def test_ask_returns_the_cli_json_contract(client):
    data = client.predict(question="浙江2022年二级及以上公立综合性医院设置老年医学科比例目标是多少", api_name="/ask")
    assert data["status"] == "answered" and data["abstained"] is False
    assert data["summary"] == ["浙江省 2022：推动二级及以上公立综合性医院设置老年医学科比例达65%以上 [1]"]
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


# -- the README's examples, as written -----------------------------------------------------------

README_URL = "http://127.0.0.1:7860"  # the address the README's examples use


def readme_api_blocks() -> dict[str, list[str]]:
    """The fenced code blocks of the README's "The page's API" section, by language."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### The page's API")
    section = text[start : text.index("\n### ", start)]
    blocks: dict[str, list[str]] = {}
    for language, body in re.findall(r"^```(\w*)\n(.*?)^```$", section, re.M | re.S):
        blocks.setdefault(language, []).append(body)
    return blocks


def at(block: str, url: str) -> str:
    """The README's block with the served address in place of the README's."""
    assert README_URL in block
    return block.replace(README_URL, url.rstrip("/"))


def run_readme(argv: list[str], script: str, tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    return subprocess.run(argv, input=script, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def no_server_traceback(capfd, caplog) -> None:
    """Nothing the examples sent made the server print or log a traceback."""
    err = capfd.readouterr().err
    assert "Traceback" not in err, err[-3000:]
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]


def test_the_readmes_curl_example_gets_a_cited_answer(served, tmp_path, capfd, caplog):
    if shutil.which("curl") is None:
        pytest.fail("the README's curl example needs curl: sudo apt-get install -y curl")
    blocks = [b for b in readme_api_blocks().get("bash", []) if "curl " in b]
    assert len(blocks) == 1, "expected one bash block with the curl example in the README's API section"
    result = run_readme(["bash"], at(blocks[0], served), tmp_path)
    assert result.returncode == 0, result.stderr
    events = re.findall(r"^event: (\w+)\ndata: (.*)$", result.stdout, re.M)
    assert events and events[-1][0] == "complete", result.stdout[-2000:]
    (answer,) = json.loads(events[-1][1])
    assert answer["status"] == "answered" and "1.82万" in answer["answer"], answer["answer"]
    assert answer["citations"] and "1.82万" in answer["citations"][0]["quote"]
    # what the README says it prints
    (shown,) = [b for b in readme_api_blocks()["text"] if b.startswith("event: ")]
    assert shown.splitlines()[0] == "event: complete" and '"status": "answered"' in shown
    no_server_traceback(capfd, caplog)


def test_the_readmes_gradio_client_example_runs(served, tmp_path, capfd, caplog):
    blocks = [b for b in readme_api_blocks().get("python", []) if "gradio_client" in b]
    assert len(blocks) == 1, "expected one python block with the gradio_client example in the README's API section"
    result = run_readme([sys.executable, "-"], at(blocks[0], served), tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]  # every call in it succeeded
    (printed,) = [line for line in result.stdout.splitlines() if line.startswith("answered ")]
    assert "65%" in printed and "浙江省 2022" in printed, result.stdout
    no_server_traceback(capfd, caplog)
