"""`policyqa eval`: metrics on known cases, the report files, the regression gate."""

from __future__ import annotations

import json

import pytest

from assistant.interfaces.cli import main
from assistant.interfaces.evaluation import Evidence, GoldQuestion, score_question, summarize

from .conftest import ROOT


@pytest.fixture
def eval_cli(built, capsys):
    settings, _ = built

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["eval", "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir), "-q", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_metrics_of_a_known_ranking(qa, documents):
    texts = {s: d.text for s, d in documents.items()}
    question = GoldQuestion(
        "t1",
        "东海县二级以上综合医院设置老年医学科比例",
        "zh",
        "fact",
        [Evidence("donghai-2021.txt", "二级以上综合医院设置老年医学科比例达70%以上")],
        "70%以上",
    )
    hits = qa.search(question.question, 10)
    result = score_question(question, hits, texts, 5, qa.ask(question.question))
    assert result.first_rank == 1 and result.recall_at_k == 1.0 and result.ndcg10 == 1.0
    assert result.answer_correct is True and result.abstained is False
    # the same hits shifted down two ranks
    shifted = score_question(question, hits[1:2] + hits[2:3] + hits[:1], texts, 5)
    assert shifted.first_rank == 3
    summary = summarize([result, shifted], 5)
    assert summary["mrr@10"] == pytest.approx((1 + 1 / 3) / 2)


def test_ndcg_with_two_quotes_in_one_passage_is_at_most_one(qa, documents):
    texts = {s: d.text for s, d in documents.items()}
    quotes = ["二级以上综合医院设置老年医学科比例达70%以上", "二级以上综合医院设置老年医学科"]
    question = GoldQuestion(
        "t3", "东海县老年医学科", "zh", "list", [Evidence("donghai-2021.txt", q) for q in quotes], ""
    )
    hits = qa.search("东海县二级以上综合医院设置老年医学科比例", 10)
    best = score_question(question, hits, texts, 5)
    assert best.first_rank == 1 and best.ndcg10 == pytest.approx(1.0)
    worse = score_question(question, hits[1:3] + hits[:1], texts, 5)
    assert 0 < worse.ndcg10 < 1


def test_unanswerable_abstention_counts(qa, documents):
    texts = {s: d.text for s, d in documents.items()}
    question = GoldQuestion("t2", "杭州2023年的老年医学科比例", "zh", "unanswerable", [], "")
    result = score_question(question, qa.search(question.question, 10), texts, 5, qa.ask(question.question))
    assert result.abstained is True
    assert summarize([result], 5)["abstention_recall"] == 1.0


def test_eval_json_and_report(eval_cli, tmp_path):
    code, out, _ = eval_cli("--gold", str(ROOT / "eval" / "dev.jsonl"), "--json", "--report", str(tmp_path))
    assert code == 0
    data = json.loads(out)
    assert data["summary"]["questions"] == 40
    assert set(data["by_lang"]) == {"en", "zh"} and "cross" in data["by_type"]
    markdown = (tmp_path / "dev.md").read_text(encoding="utf-8")
    assert "## By type" in markdown and "## Failing questions" in markdown
    assert (tmp_path / "dev.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_thresholds_make_eval_fail(eval_cli):
    code, _, err = eval_cli("--gold", str(ROOT / "eval" / "dev.jsonl"), "--min-hit5", "1.01")
    assert code == 1 and "regression gate failed" in err


def test_bad_gold_file_is_a_clear_error(eval_cli, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text("{broken\n", encoding="utf-8")
    code, _, err = eval_cli("--gold", str(path))
    assert code == 2 and "bad.jsonl:1" in err


def test_gold_set_regression_gate(eval_cli):
    """CI gate: the gold set must stay at or above these floors (measured values are higher)."""
    code, out, err = eval_cli(
        "--gold", str(ROOT / "eval" / "gold.jsonl"), "--min-hit5", "0.95", "--min-mrr", "0.88", "--min-accuracy", "0.85"
    )
    assert code == 0, out[-3000:] + err
