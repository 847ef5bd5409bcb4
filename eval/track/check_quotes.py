#!/usr/bin/env python3
"""Check the hand-written ground-truth tables against their documents.

Asserts that every quote in
  eval/compare/expected.jsonl   (documents in corpus/)
  eval/track/expected.jsonl     (documents in /work/shared/extra-docs/)
  eval/track/changes.jsonl      (same)
is an exact substring of its document (no line breaks), that every value is a
substring of its own quote, and that the tables are structurally complete.

Usage:  python3 eval/track/check_quotes.py      (exit code 1 on any failure)
It reads only the documents and these tables; it does not import policyqa.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.join(ROOT, "corpus")
EXTRA = os.environ.get("EXTRA_DOCS", "/work/shared/extra-docs")

errors = []
_cache = {}


def doc_text(folder, name):
    path = os.path.join(folder, name)
    if path not in _cache:
        with open(path, encoding="utf-8") as f:
            _cache[path] = f.read()
    return _cache[path]


def check_quote(where, folder, doc, quote, value=None):
    if quote is None:
        errors.append(f"{where}: quote is null")
        return
    if "\n" in quote or "\r" in quote:
        errors.append(f"{where}: quote contains a line break")
    if not quote.strip():
        errors.append(f"{where}: empty quote")
    text = doc_text(folder, doc)
    if quote not in text:
        errors.append(f"{where}: quote not in {doc}: {quote!r}")
    if value is not None and value not in quote:
        errors.append(f"{where}: value {value!r} not in its quote {quote!r}")


def load(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if line.strip():
                rows.append((i, json.loads(line)))
    return rows


# ---------------------------------------------------------------- compare
def check_compare():
    path = os.path.join(ROOT, "eval", "compare", "expected.jsonl")
    rows = load(path)
    with open(os.path.join(ROOT, "eval", "compare", "topics.json"), encoding="utf-8") as f:
        topics = [t["zh"] for t in json.load(f)]
    docs = ["kaifeng-2022.txt", "suining-2022.txt", "zhejiang-2022.txt", "changzhou-2020.txt", "donghai-2021.txt"]
    seen = {}
    for i, r in rows:
        w = f"compare line {i} ({r.get('topic')} / {r.get('doc')})"
        key = (r["topic"], r["doc"])
        if key in seen:
            errors.append(f"{w}: duplicate cell")
        seen[key] = r
        if r["topic"] not in topics:
            errors.append(f"{w}: topic not in topics.json")
        if r["doc"] not in docs:
            errors.append(f"{w}: unknown doc")
            continue
        st = r["status"]
        if st not in ("figure", "no_figure", "not_addressed"):
            errors.append(f"{w}: bad status {st}")
        for a in r.get("alt_status", []):
            if a not in ("figure", "no_figure", "not_addressed") or a == st:
                errors.append(f"{w}: bad alt_status {a}")
        figs = r.get("figures", [])
        if st == "figure":
            if not figs:
                errors.append(f"{w}: status figure without figures")
            if sum(1 for x in figs if x.get("primary")) != 1:
                errors.append(f"{w}: need exactly one primary figure")
        elif figs:
            errors.append(f"{w}: figures listed for status {st}")
        for j, x in enumerate(figs):
            check_quote(f"{w} figure {j}", CORPUS, r["doc"], x["quote"], x["value"])
            if x.get("number") and x["number"] not in x["value"]:
                errors.append(f"{w} figure {j}: number {x['number']!r} not in value {x['value']!r}")
        if st in ("figure", "no_figure"):
            check_quote(f"{w} quote", CORPUS, r["doc"], r.get("quote"))
        elif r.get("quote") is not None:
            check_quote(f"{w} quote", CORPUS, r["doc"], r["quote"])
        for j, x in enumerate(r.get("related", [])):
            check_quote(f"{w} related {j}", CORPUS, r["doc"], x["quote"], x.get("value"))
    for t in topics:
        for d in docs:
            if (t, d) not in seen:
                errors.append(f"compare: missing cell {t} / {d}")
    return len(rows)


# ---------------------------------------------------------------- track
TRACK_STATUS = ("met", "missed", "partly", "no_result_reported", "no_target_stated", "no_comparable_result")
CHANGE = ("new", "dropped", "raised", "lowered", "unchanged")
SERIES = {"海拉尔区": "hailar-", "广东省": "guangdong-"}


def check_side(w, side, series, year_of_doc=None):
    if side is None:
        return
    doc = side["doc"]
    if not doc.startswith(SERIES[series]):
        errors.append(f"{w}: doc {doc} not in series {series}")
    if year_of_doc is not None and doc != f"{SERIES[series]}{year_of_doc}.txt":
        errors.append(f"{w}: expected doc {SERIES[series]}{year_of_doc}.txt, got {doc}")
    check_quote(w, EXTRA, doc, side["quote"], side.get("value"))


def check_track():
    path = os.path.join(HERE, "expected.jsonl")
    rows = load(path)
    seen = set()
    for i, r in rows:
        w = f"track line {i} ({r.get('series')} {r.get('indicator')} {r.get('year')})"
        key = (r["series"], r["indicator"], r["year"])
        if key in seen:
            errors.append(f"{w}: duplicate row")
        seen.add(key)
        st = r["status"]
        if st not in TRACK_STATUS:
            errors.append(f"{w}: bad status {st}")
        y = r["year"]
        check_side(w + " target", r["target"], r["series"], y)
        check_side(w + " result", r["result"], r["series"], y + 1)
        if st == "no_target_stated" and r["target"] is not None:
            errors.append(f"{w}: no_target_stated but target given")
        if st != "no_target_stated" and r["target"] is None:
            errors.append(f"{w}: target missing for status {st}")
        if st == "no_result_reported" and r["result"] is not None:
            errors.append(f"{w}: no_result_reported but result given")
        if st in ("met", "missed", "partly", "no_comparable_result", "no_target_stated") and r["result"] is None:
            errors.append(f"{w}: result missing for status {st}")
        for a in r.get("alt_status", []):
            if a not in TRACK_STATUS or a == st:
                errors.append(f"{w}: bad alt_status {a}")
    n_exp = len(rows)

    rows = load(os.path.join(HERE, "changes.jsonl"))
    seen = set()
    for i, r in rows:
        w = f"changes line {i} ({r.get('series')} {r.get('indicator')} {r.get('from_year')}->{r.get('to_year')})"
        key = (r["series"], r["indicator"], r["from_year"], r["to_year"])
        if key in seen:
            errors.append(f"{w}: duplicate row")
        seen.add(key)
        if r["change"] not in CHANGE:
            errors.append(f"{w}: bad change {r['change']}")
        check_side(w + " from", r["from"], r["series"], r["from_year"])
        check_side(w + " to", r["to"], r["series"], r["to_year"])
        if r["change"] == "new" and r["to"] is None:
            errors.append(f"{w}: new without to")
        if r["change"] == "dropped" and r["from"] is None:
            errors.append(f"{w}: dropped needs from")
        if r["change"] == "dropped" and r["to"] is not None and not r.get("to_qualitative"):
            errors.append(
                f"{w}: dropped with a to-side must be marked to_qualitative"
                " (numeric target replaced by a qualitative one)"
            )
        if r["change"] in ("raised", "lowered", "unchanged") and (r["from"] is None or r["to"] is None):
            errors.append(f"{w}: {r['change']} needs both sides")
    return n_exp, len(rows)


def main():
    n_cmp = check_compare()
    n_exp, n_chg = (0, 0)
    if os.path.exists(os.path.join(HERE, "expected.jsonl")):
        n_exp, n_chg = check_track()
    else:
        errors.append("track/expected.jsonl missing")
    if errors:
        for e in errors:
            print("FAIL", e)
        print(f"{len(errors)} problem(s)")
        sys.exit(1)
    print(f"OK: compare {n_cmp} cells, track {n_exp} rows, changes {n_chg} rows; all quotes verbatim")


if __name__ == "__main__":
    main()
