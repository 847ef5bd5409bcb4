"""Every question set in eval/ is well-formed and its quotes are verbatim."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from assistant.interfaces.evaluation import GoldFileError, answer_keys, load_gold, question_sets
from assistant.schema import Status

from .conftest import BUNDLED_PLANS, ROOT

TYPES = {"fact", "paraphrase", "disambig", "cross", "list", "unanswerable"}


STATUSES = {"", "answered_with_scope_note"} | {status.value for status in Status}


@pytest.fixture(scope="module")
def sets():
    paths = question_sets(ROOT / "eval")
    return {path.relative_to(ROOT / "eval").as_posix(): load_gold(path) for path in paths}


def test_every_quote_is_verbatim_in_its_document(sets):
    # A set in eval/<name>/ is asked over the corpus plus eval/<name>/docs (unseen, blind).
    own_docs = sorted((ROOT / "eval").glob("*/docs/*.txt"))
    texts = {p.name: p.read_text(encoding="utf-8") for p in [*BUNDLED_PLANS, *own_docs]}
    for questions in sets.values():
        for q in questions:
            for evidence in [*q.evidence, *q.nearest]:
                assert evidence.doc in texts, (q.id, evidence.doc)
                assert evidence.quote in texts[evidence.doc], (q.id, evidence.quote)
            assert q.status in STATUSES, (q.id, q.status)
            claims_no_answer = q.status in ("near_miss", "conflict", "abstained", "unavailable")
            assert claims_no_answer <= (q.type == "unanswerable"), q.id


def test_ids_unique_across_sets_and_types_valid(sets):
    ids = [q.id for questions in sets.values() for q in questions]
    assert len(ids) == len(set(ids))
    for questions in sets.values():
        for q in questions:
            assert q.type in TYPES and q.lang in {"zh", "en"}
            assert (q.type == "unanswerable") == (not q.evidence)


def test_gold_set_shape(sets):
    gold = sets["gold.jsonl"]
    assert len(gold) >= 120
    langs = Counter(q.lang for q in gold)
    assert abs(langs["en"] - langs["zh"]) <= len(gold) * 0.1
    assert Counter(q.type for q in gold)["unanswerable"] >= 8


def test_no_question_appears_in_two_sets(sets):
    assert {"gold.jsonl", "dev.jsonl", "dev2.jsonl", "dev3.jsonl", "nearmiss.jsonl", "unseen/unseen-docs.jsonl"} <= set(
        sets
    )
    # The same text asked with other filters is another question (a filter conflict).
    questions = [(q.question, json.dumps(q.filters, sort_keys=True)) for qs in sets.values() for q in qs]
    assert [q for q, n in Counter(questions).items() if n > 1] == []


def test_answer_keys():
    assert answer_keys("65%以上") == ["65%"]
    assert answer_keys("1.82万人") == ["1.82万"]
    assert answer_keys("3-5个 in 2022") == ["3-5"]
    assert answer_keys("《健康中国行动》") == ["《健康中国行动》"]


def test_malformed_gold_file_names_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "a", "question": "q"}) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(GoldFileError, match=":2:"):
        load_gold(path)
