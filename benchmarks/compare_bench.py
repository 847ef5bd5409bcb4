"""Score ``policyqa compare`` against the table a reader wrote from the five plans.

``eval/compare/expected.jsonl`` holds, for ten topics and each of the five plans, whether
the plan states a figure for the topic, which figures are acceptable and which nearby
figures are distractors (written by a reader who did not look at any output; see
``eval/compare/README.md``). This benchmark compares every topic — in Chinese and in its
English wording from ``topics.json`` — over the bundled index and prints, per language:

- cells right: the row shows an acceptable figure (and only acceptable ones) where the plan
  states one, and no figure where it does not;
- figures found: cells whose figure the row shows, of those that have one;
- wrong figures: cells showing a figure that is not an acceptable answer (must be 0);
- status agreement: found / not found as the reader judged (``alt_status`` accepted).

    python benchmarks/compare_bench.py                 # both languages, a line per miss
    python benchmarks/compare_bench.py --json out.json # the rows and verdicts, for diffs
    python benchmarks/compare_bench.py --expected eval/compare/expected-2.jsonl --topics eval/compare/topics-2.json

Figures are matched by number and scale (1.82万 = 18200; 62个 = 62), with the unit kind
(rate or count) required to agree, so a qualifier (以上, 不低于) never decides a verdict.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = ROOT / "eval" / "compare" / "expected.jsonl"
TOPICS = ROOT / "eval" / "compare" / "topics.json"

_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(万|亿)?")
_RATE = re.compile(r"%|‰|/10万|/万")


def figure_key(text: str | None) -> tuple[float, bool] | None:
    """(value with its scale, is a rate) of the first number in ``text``; None without one."""
    if not text:
        return None
    match = _NUMBER.search(text)
    if not match:
        return None
    value = float(match.group(1)) * {"万": 1e4, "亿": 1e8}.get(match.group(2) or "", 1)
    rest = text[match.end() :]
    is_rate = bool(_RATE.match(rest.strip())) or bool(_RATE.search(text))
    if match.group(2) == "万" and rest.startswith("/"):
        is_rate = True
    return round(value, 6), is_rate


def verdict(expected: dict, row: dict) -> dict:
    """The verdict on one row against the reader's cell."""
    acceptable = {figure_key(f["number"]) or figure_key(f["value"]) for f in expected["figures"] if f["acceptable"]}
    acceptable.discard(None)
    shown = [v for v in row["values"] if figure_key(v)]
    right_figures = [v for v in shown if figure_key(v) in acceptable]
    wrong_figures = [v for v in shown if figure_key(v) not in acceptable]
    statuses = {expected["status"], *expected.get("alt_status", [])}
    has_figure = "figure" in statuses and acceptable
    if expected["status"] == "figure":
        # "alt_status": ["no_figure"] — the reader allows a row without the figure too
        right = not wrong_figures and (bool(right_figures) or ("no_figure" in statuses and not shown))
    else:  # no figure expected; a fair grader may still accept a right figure (alt_status figure)
        right = not wrong_figures and (not shown or bool(has_figure and right_figures))
    found_ok = (row["found"] and statuses & {"figure", "no_figure"}) or (
        not row["found"] and "not_addressed" in statuses
    )
    return {
        "right": right,
        "figure_expected": expected["status"] == "figure",
        "figure_found": bool(right_figures),
        "wrong_figures": wrong_figures,
        "status_ok": bool(found_ok),
    }


def run(language: str, qa, expected: list[dict], topics: list[dict], verbose: bool) -> dict:
    by_cell = {(e["topic"], e["doc"]): e for e in expected}
    cells = []
    for topic in topics:
        asked = topic["zh"] if language == "zh" else topic["en"]
        comparison = qa.compare(asked)
        for row in comparison.rows:
            cell = by_cell.get((topic["zh"], row.source))
            if cell is None:  # a plan the reader did not cover (a user's extra plan)
                continue
            result = verdict(cell, {"values": row.values, "found": row.found})
            phrases = [i["phrase"] for i in row.indicators]
            cells.append({"topic": topic["zh"], "asked": asked, "doc": row.source, "expected": cell["status"],
                          "values": row.values, "measures": phrases, "quote": row.quote, **result})  # fmt: skip
    figure_cells = [c for c in cells if c["figure_expected"]]
    summary = {
        "language": language,
        "cells": len(cells),
        "right": sum(c["right"] for c in cells),
        "figure_cells": len(figure_cells),
        "figures_found": sum(c["figure_found"] for c in figure_cells),
        "wrong_figure_cells": sum(bool(c["wrong_figures"]) for c in cells),
        "status_ok": sum(c["status_ok"] for c in cells),
    }
    print(
        f"{language}: cells right {summary['right']}/{summary['cells']}  "
        f"figures found {summary['figures_found']}/{summary['figure_cells']}  "
        f"cells with a wrong figure {summary['wrong_figure_cells']}  "
        f"found/not found as judged {summary['status_ok']}/{summary['cells']}"
    )
    if verbose:
        for c in cells:
            if not c["right"] or not c["status_ok"]:
                mark = "WRONG FIGURE" if c["wrong_figures"] else ("miss" if not c["right"] else "status")
                print(f"  {mark:12} {c['topic']} {c['doc']:20} expected {c['expected']:13} "
                      f"shown {c['values']} {c['measures']} | {c['quote'][:70]}")  # fmt: skip
    return {"summary": summary, "cells": cells}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="write rows and verdicts here")
    parser.add_argument("--language", choices=["zh", "en", "both"], default="both")
    parser.add_argument("--expected", type=Path, default=EXPECTED, help="the reader's table (default: %(default)s)")
    parser.add_argument("--topics", type=Path, default=TOPICS, help="its topics (default: %(default)s)")
    parser.add_argument("-q", "--quiet", action="store_true", help="summary lines only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    from assistant.config import Settings
    from assistant.pipeline import PolicyQA

    qa = PolicyQA.open(Settings(), progress=False)
    expected = [json.loads(line) for line in args.expected.read_text(encoding="utf-8").splitlines() if line.strip()]
    topics = json.loads(args.topics.read_text(encoding="utf-8"))
    languages = ["zh", "en"] if args.language == "both" else [args.language]
    results = [run(lang, qa, expected, topics, not args.quiet) for lang in languages]
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
