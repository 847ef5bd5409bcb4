#!/usr/bin/env python3
"""Standalone check of eval/compare/expected-2.jsonl against the five plan texts.

Reads only corpus/*.txt, topics-2.json, topics.json and expected-2.jsonl; imports nothing from the project.
Checks: 50 cells (10 topics x 5 plans, no duplicates); valid status / alt_status; every quote
(cell, figure, related) is a verbatim substring of its plan with no line break; every value is a
substring of its own quote; figure cells have exactly one primary figure whose quote is the cell
quote; the bare number's digits occur in the value; non-figure cells have no figures;
not_addressed cells have a null quote. Exit code 1 on any failure.
"""

import json
import os
import re
import sys
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "..", "corpus")
DOCS = ["kaifeng-2022.txt", "suining-2022.txt", "zhejiang-2022.txt", "changzhou-2020.txt", "donghai-2021.txt"]
STATUSES = {"figure", "no_figure", "not_addressed"}
texts = {d: Path(os.path.join(CORPUS, d)).read_text(encoding="utf-8") for d in DOCS}
errors = []


def check_quote(where, doc, quote, value=None):
    if not isinstance(quote, str) or not quote.strip():
        errors.append(f"{where}: missing/empty quote")
        return
    if "\n" in quote or "\r" in quote:
        errors.append(f"{where}: quote has a line break")
    if quote not in texts[doc]:
        errors.append(f"{where}: quote not verbatim in {doc}: {quote!r}")
    if value is not None and value not in quote:
        errors.append(f"{where}: value {value!r} not in quote {quote!r}")


topics = json.loads(Path(os.path.join(HERE, "topics-2.json")).read_text(encoding="utf-8"))
old = {t["zh"] for t in json.loads(Path(os.path.join(HERE, "topics.json")).read_text(encoding="utf-8"))}
zh = [t["zh"] for t in topics]
if len(topics) != 10 or len(set(zh)) != 10:
    errors.append("topics-2.json must have 10 distinct topics")
for t in topics:
    if not t.get("en", "").strip():
        errors.append(f"topic {t['zh']}: empty en name")
    if t["zh"] in old:
        errors.append(f"topic {t['zh']}: already in topics.json")

seen = {}
n_fig = n_rel = 0
with open(os.path.join(HERE, "expected-2.jsonl"), encoding="utf-8") as f:
    for i, line in enumerate(f, 1):
        if not line.strip():
            continue
        r = json.loads(line)
        w = f"line {i} ({r.get('topic')} / {r.get('doc')})"
        key = (r.get("topic"), r.get("doc"))
        if key in seen:
            errors.append(f"{w}: duplicate cell")
        seen[key] = r
        if r.get("topic") not in zh:
            errors.append(f"{w}: topic not in topics-2.json")
        if r.get("doc") not in DOCS:
            errors.append(f"{w}: unknown doc")
            continue
        st = r.get("status")
        if st not in STATUSES:
            errors.append(f"{w}: bad status {st!r}")
        for a in r.get("alt_status", []):
            if a not in STATUSES or a == st:
                errors.append(f"{w}: bad alt_status {a!r}")
        figs = r.get("figures", [])
        doc = r["doc"]
        if st == "figure":
            prim = [g for g in figs if g.get("primary") is True]
            if len(prim) != 1:
                errors.append(f"{w}: {len(prim)} primary figures (need exactly 1)")
            elif prim[0]["quote"] != r.get("quote"):
                errors.append(f"{w}: cell quote differs from primary figure quote")
            check_quote(w, doc, r.get("quote"))
        else:
            if figs:
                errors.append(f"{w}: {st} cell has figures")
            if st == "no_figure":
                check_quote(w, doc, r.get("quote"))
            if st == "not_addressed" and r.get("quote") is not None:
                errors.append(f"{w}: not_addressed quote should be null")
        for j, g in enumerate(figs):
            gw = f"{w} figure {j}"
            for k in ("value", "number", "measure", "quote", "primary", "acceptable"):
                if k not in g:
                    errors.append(f"{gw}: missing {k}")
            if not g.get("value"):
                errors.append(f"{gw}: empty value")
                continue
            check_quote(gw, doc, g.get("quote"), g["value"])
            nd = re.sub(r"\D", "", g.get("number") or "")
            if nd and nd not in re.sub(r"\D", "", g["value"]):
                errors.append(f"{gw}: number {g['number']!r} not in value {g['value']!r}")
            if g.get("acceptable") is not True:
                errors.append(f"{gw}: figure listed but not acceptable")
            n_fig += 1
        for j, rel in enumerate(r.get("related", [])):
            rw = f"{w} related {j}"
            if not rel.get("why_not"):
                errors.append(f"{rw}: missing why_not")
            check_quote(rw, doc, rel.get("quote"), rel.get("value"))
            n_rel += 1

missing = [(t, d) for t in zh for d in DOCS if (t, d) not in seen]
for m in missing:
    errors.append(f"missing cell {m}")
if len(seen) != 50:
    errors.append(f"{len(seen)} cells, expected 50")

st_counts = {s: sum(1 for r in seen.values() if r.get("status") == s) for s in sorted(STATUSES)}
alt = sum(1 for r in seen.values() if r.get("alt_status"))
print(f"cells {len(seen)}  statuses {st_counts}  figures {n_fig}  related {n_rel}  alt_status cells {alt}")
if errors:
    print(f"FAIL: {len(errors)} problem(s)")
    [print("  " + e) for e in errors]
    sys.exit(1)
print("OK: all quotes verbatim, values in quotes, one primary per figure cell, 50 cells present")
