"""The command line: JSON contract, batch mode, errors, human output."""

from __future__ import annotations

import json

import pytest

from assistant.interfaces.cli import display_width, main, wrap

HIT_KEYS = {
    "rank",
    "score",
    "chunk_id",
    "doc_id",
    "source",
    "title",
    "region",
    "year",
    "section",
    "text",
    "start",
    "end",
}
CITATION_KEYS = {
    "n", "chunk_id", "doc_id", "source", "title", "region", "year", "section", "quote", "start", "end",
    "about_year", "gloss", "caution", "page", "ocr_confidence",
}  # fmt: skip


@pytest.fixture
def run(built, capsys):
    settings, _ = built

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(
            [argv[0], "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir), "-q", *argv[1:]]
        )
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_search_json_contract(run, documents):
    code, out, _ = run("search", "遂宁 两癌筛查", "-k", "3", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["query"] == "遂宁 两癌筛查"
    assert len(data["hits"]) == 3
    for rank, hit in enumerate(data["hits"], start=1):
        assert set(hit) == HIT_KEYS
        assert hit["rank"] == rank
        assert documents[hit["source"]].text[hit["start"] : hit["end"]] == hit["text"]
        assert isinstance(hit["section"], list) and isinstance(hit["year"], int)


def test_ask_json_contract(run, documents):
    code, out, _ = run("ask", "浙江2022年二级及以上公立综合性医院设置老年医学科比例目标是多少", "--json")
    assert code == 0
    data = json.loads(out)
    assert {"query", "answer", "abstained", "status", "route", "filters", "scope", "citations", "hits"} <= set(data)
    assert data["abstained"] is False and data["status"] == "answered" and data["route"] == "extractive"
    assert data["filters"] == {"regions": ["浙江省"], "years": [2022]}
    assert "65%" in data["answer"]
    for citation in data["citations"]:
        assert set(citation) == CITATION_KEYS
        assert documents[citation["source"]].text[citation["start"] : citation["end"]] == citation["quote"]
        assert f"[{citation['n']}]" in data["answer"]
        assert citation["page"] is None and citation["ocr_confidence"] is None  # a .txt plan has no pages
    assert all(set(h) == HIT_KEYS for h in data["hits"])


def test_batch_gives_one_json_line_per_question(run, tmp_path):
    batch = tmp_path / "questions.txt"
    batch.write_text(
        "开封2022年要建多少个社区卫生服务站\n\nWhat are the elderly-care targets in Zhejiang 2022?\n", encoding="utf-8"
    )
    code, out, _ = run("ask", "--batch", str(batch))
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 2
    assert [json.loads(line)["query"] for line in lines][1] == "What are the elderly-care targets in Zhejiang 2022?"
    code, out, _ = run("search", "--batch", str(batch), "-k", "2")
    assert [len(json.loads(line)["hits"]) for line in out.strip().splitlines()] == [2, 2]


def test_human_output_lists_citations(run):
    code, out, _ = run("ask", "东海县二级以上综合医院设置老年医学科比例")
    assert code == 0
    assert "Sources:" in out and "[1]" in out and "donghai-2021.txt:" in out


def test_empty_question_is_a_clear_error(run):
    code, _, err = run("ask", "   ")
    assert code == 2 and "give a question" in err


def test_missing_batch_file_is_a_clear_error(run, tmp_path):
    code, _, err = run("search", "--batch", str(tmp_path / "none.txt"))
    assert code == 2 and "not found" in err


def test_unknown_model_spec_is_a_clear_error(run):
    code, _, err = run("search", "老年", "--model", "gpt-9")
    assert code == 2 and "unknown model spec" in err


def test_index_command_reports_incremental_noop(built, capsys):
    settings, _ = built
    code = main(["index", "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir), "-q", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["embedded"] == 0 and len(report["unchanged"]) == 5


def test_help_teaches_with_examples(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "examples:" in out and "policyqa ask" in out


def test_cjk_width_and_wrapping():
    assert display_width("浙江a") == 5
    lines = wrap("浙江省" * 20, 20).splitlines()
    assert all(display_width(line) <= 20 for line in lines) and "".join(lines) == "浙江省" * 20
