#!/usr/bin/env python3
"""Sanity check for the blind sets: every quote is a verbatim substring of its document,
ids are unique, and the fields follow the gold format. Reads only files; never runs policyqa.

    python3 eval/blind/check_blind.py
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.join(HERE, "docs")
CORPUS = os.path.join(HERE, "..", "..", "corpus")  # the five bundled health plans
SETS = ["blind-reports.jsonl", "blind-heads.jsonl"]
TYPES = {"fact", "paraphrase", "disambig", "cross", "list", "unanswerable"}
STATUSES = {"answered", "near_miss", "abstained", "unavailable"}

_texts = {}


def doc_text(name):
    if name not in _texts:
        for base in (DOCS, CORPUS):
            p = os.path.join(base, name)
            if os.path.exists(p):
                with open(p, encoding="utf-8") as f:
                    _texts[name] = f.read()
                break
        else:
            raise AssertionError(f"unknown document {name}")
    return _texts[name]


def check_quotes(qid, items, key):
    for e in items:
        assert set(e) == {"doc", "quote"}, (qid, key, e)
        q = e["quote"]
        assert q and "\n" not in q and "\r" not in q, (qid, key, q)
        assert q in doc_text(e["doc"]), f"{qid}: {key} quote not in {e['doc']}: {q}"


def main():
    # the copies in docs/ must be the 17 documents of this round
    with open(os.path.join(HERE, "metadata.json"), encoding="utf-8") as f:
        meta = json.load(f)
    assert sorted(meta["documents"]) == sorted(os.listdir(DOCS)), "metadata.json and docs/ differ"
    for name, m in meta["documents"].items():
        assert m["level"] in {"national", "ministry", "province", "city", "county"}, name
        assert all(c["role"] in {"planned", "reviewed", "reported"} for c in m["covers"]), name
    seen = set()
    n_total = 0
    for s in SETS:
        with open(os.path.join(HERE, s), encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        for x in rows:
            qid = x["id"]
            assert qid not in seen, f"duplicate id {qid}"
            seen.add(qid)
            assert x["lang"] in {"zh", "en"}, qid
            assert x["type"] in TYPES, qid
            assert x["status"] in STATUSES, qid
            assert x["question"].strip(), qid
            if x["type"] == "unanswerable":
                assert x["status"] != "answered" and x["evidence"] == [] and x["answer"] == "", qid
                if x["status"] == "near_miss":
                    assert x.get("nearest"), qid
                    check_quotes(qid, x["nearest"], "nearest")
                else:
                    assert "nearest" not in x, qid
            else:
                assert x["status"] == "answered" and x["evidence"] and x["answer"], qid
                check_quotes(qid, x["evidence"], "evidence")
                if x["type"] in {"fact", "paraphrase", "disambig"}:
                    joined = " ".join(e["quote"] for e in x["evidence"])
                    assert x["answer"] in joined, f"{qid}: answer not written as in the quote"
        n_total += len(rows)
        print(f"{s}: {len(rows)} questions OK")
    print(f"all {n_total} ids unique, all quotes verbatim")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print("FAIL:", e)
        sys.exit(1)
