"""Score ``policyqa track`` and ``policyqa diff`` against the tables a reader wrote from the reports.

``eval/track/expected.jsonl`` pairs, per series (海拉尔区 2012–2017, 广东省 2022–2026), indicator and
year, the target sentence with the result sentence and a status; ``eval/track/changes.jsonl``
says how each target moved between consecutive reports (written by a reader who did not look at
any output; see ``eval/track/README.md``). This benchmark indexes the ten reports of
``../shared/extra-docs/`` as a corpus of their own, asks ``track`` for each indicator in the
reader's words and ``changes`` for each pair of consecutive reports, and prints:

- rows: the reader's (series, indicator, year) rows the system has a row for;
- targets right / results right: the system quotes the reader's sentence (one holds the other);
- pairs right: target and result both right where the reader found both;
- status right: met / missed / partly / no result reported … as the reader judged (alt_status too);
- wrong pairings: rows that compare a target's figures with result figures the reader did not
  pair with them, or pair figures where the reader found no result (must be 0);
- changes: the reader's changes found (by quote) and labelled right (new / dropped / raised …).

    python benchmarks/track_bench.py                      # builds a temporary index (~5 min on 2 cores)
    python benchmarks/track_bench.py --index /tmp/trk/index --corpus /tmp/trk/corpus
    python benchmarks/track_bench.py --json out.json -v   # every row, a line per miss
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRACK = ROOT / "eval" / "track"
DOCS = ROOT.parent / "shared" / "extra-docs"
SERIES_FILES = ("hailar-", "guangdong-")


def _norm(text: str | None) -> str:
    return re.sub(r"\s+", "", (text or "").replace("％", "%").replace("，", ",").replace("；", ";"))


def same_sentence(expected: str | None, shown: str | None) -> bool:
    """The system quotes the reader's clause: one holds the other (spacing and full-width % aside)."""
    a, b = _norm(expected), _norm(shown)
    return bool(a and b and (a in b or b in a))


def _numbers(text: str | None) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", (text or "").replace(",", "")))


def same_figures(expected_value: str | None, shown: list[str]) -> bool:
    """A figure the system shows is one of the reader's for this indicator (a sentence may hold
    several indicators: the right sentence with another indicator's figures is not right)."""
    wanted = _numbers(expected_value)
    return not wanted or any(_numbers(text) & wanted for text in shown)


def side_right(row: dict, shown, side: str) -> bool:
    """The system's target (or result) of a row is the reader's: same sentence, same figures."""
    want, got = row[side], getattr(shown, side) if shown else None
    if want is None:
        return got is None
    return bool(
        got and same_sentence(want["quote"], got.quote) and same_figures(want["value"], [m.text for m in got.measures])
    )


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score_track(qa, expected: list[dict], verbose: bool) -> dict:
    from assistant.schema import Filters

    cells = []
    asked: dict[tuple[str, str], dict[int, object]] = {}
    for row in expected:
        key = (row["series"], row["indicator"])
        if key not in asked:
            tracks = qa.track(row["indicator"], Filters(regions=[row["series"]]))
            asked[key] = {r.year: r for t in tracks if row["series"] in t.region for r in t.rows}
        shown = asked[key].get(row["year"])

        target_ok, result_ok = side_right(row, shown, "target"), side_right(row, shown, "result")
        statuses = {row["status"], *row.get("alt_status", [])}
        status_ok = bool(shown and shown.status in statuses)
        if shown is None:  # no row: right only where the reader found neither a figure target nor a result
            status_ok = row["status"] in ("no_target_stated",) and row["result"] is None
        # A wrong pairing compares figures the reader did not pair (the same figures quoted from
        # another sentence of the report, a 十二五 summary say, are still the reader's pair).
        figures_paired = bool(
            row["target"] and row["result"] and shown and shown.target and shown.result
            and same_figures(row["target"]["value"], [m.text for m in shown.target.measures])
            and same_figures(row["result"]["value"], [m.text for m in shown.result.measures])
        )  # fmt: skip
        wrong_pairing = bool(shown and shown.pairings and not figures_paired)
        cells.append({
            "series": row["series"], "indicator": row["indicator"], "year": row["year"],
            "expected": row["status"], "shown": shown.status if shown else None,
            "target_ok": target_ok, "result_ok": result_ok, "status_ok": status_ok, "wrong_pairing": wrong_pairing,
            "both": bool(row["target"] and row["result"]),
            "target": shown.target.quote if shown and shown.target else None,
            "result": shown.result.quote if shown and shown.result else None,
            "pairings": [p.__dict__ for p in shown.pairings] if shown else [],
        })  # fmt: skip
    both = [c for c in cells if c["both"]]
    summary = {
        "rows": len(cells),
        "rows_shown": sum(c["shown"] is not None for c in cells),
        "targets_right": sum(c["target_ok"] for c in cells),
        "results_right": sum(c["result_ok"] for c in cells),
        "pairs_expected": len(both),
        "pairs_right": sum(c["target_ok"] and c["result_ok"] for c in both),
        "status_right": sum(c["status_ok"] for c in cells),
        "wrong_pairings": sum(c["wrong_pairing"] for c in cells),
    }
    print(
        f"track: {summary['rows']} rows ({summary['rows_shown']} shown)  targets right {summary['targets_right']}  "
        f"results right {summary['results_right']}  pairs right {summary['pairs_right']}/{summary['pairs_expected']}"
        f"  status right {summary['status_right']}/{summary['rows']}  wrong pairings {summary['wrong_pairings']}"
    )
    if verbose:
        for c in cells:
            if c["wrong_pairing"] or not c["status_ok"]:
                mark = "WRONG PAIR" if c["wrong_pairing"] else "status"
                print(f"  {mark:10} {c['series']} {c['indicator']} {c['year']}: expected {c['expected']}, "
                      f"shown {c['shown']} | T {str(c['target'])[:50]} | R {str(c['result'])[:50]}")  # fmt: skip
    return {"summary": summary, "cells": cells}


def score_changes(qa, expected: list[dict], verbose: bool) -> dict:
    cells = []
    pairs: dict[tuple[str, str], object] = {}
    for row in expected:
        before = (row.get("from") or {}).get("doc")
        after = (row.get("to") or {}).get("doc")
        prefix = "hailar-" if row["series"] == "海拉尔区" else "guangdong-"
        before = before or f"{prefix}{row['from_year']}.txt"
        after = after or f"{prefix}{row['to_year']}.txt"
        key = (before, after)
        if key not in pairs:
            pairs[key] = qa.changes(before, after)
        changes = pairs[key].changes
        quoted = row.get("to") or row.get("from") or {}
        side = "after" if row.get("to") else "before"
        found = next(
            (c for c in changes if getattr(c, side) and same_sentence(quoted.get("quote"), getattr(c, side).quote)
             and same_figures(quoted.get("value"), [getattr(c, f"{side}_value")])),
            None,
        )  # fmt: skip
        cells.append({"series": row["series"], "indicator": row["indicator"], "from": row["from_year"],
                      "to": row["to_year"], "expected": row["change"], "shown": found.change if found else None,
                      "found": found is not None, "right": bool(found and found.change == row["change"])})  # fmt: skip
    summary = {
        "changes": len(cells),
        "found": sum(c["found"] for c in cells),
        "right": sum(c["right"] for c in cells),
        "system_changes": sum(len(p.changes) for p in pairs.values()),
    }
    print(
        f"diff: {summary['changes']} changes  found {summary['found']}  labelled right {summary['right']}  "
        f"(the system listed {summary['system_changes']} changes over the same pairs)"
    )
    if verbose:
        for c in cells:
            if not c["right"]:
                where = f"{c['series']} {c['from']}→{c['to']} {c['indicator']}"
                print(f"  {where}: expected {c['expected']}, shown {c['shown']}")
    return {"summary": summary, "cells": cells}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, help="an index of the reports already built (with --corpus)")
    parser.add_argument("--corpus", type=Path, help="the corpus folder of that index")
    parser.add_argument("--json", type=Path, help="write every row and verdict here")
    parser.add_argument("-v", "--verbose", action="store_true", help="a line per miss")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    from assistant.config import Settings
    from assistant.pipeline import PolicyQA

    temp = None
    if args.index and args.corpus:
        settings = Settings(corpus_dir=args.corpus, index_dir=args.index)
    else:
        temp = Path(tempfile.mkdtemp(prefix="policyqa-track-"))
        (temp / "corpus").mkdir()
        for path in sorted(DOCS.glob("*.txt")):
            if path.name.startswith(SERIES_FILES):
                shutil.copy(path, temp / "corpus" / path.name)
        cache = ROOT / "index" / "cache"
        if cache.is_dir():  # reuse embeddings of texts already embedded
            shutil.copytree(cache, temp / "index" / "cache")
        settings = Settings(corpus_dir=temp / "corpus", index_dir=temp / "index")
    qa = PolicyQA.open(settings, progress=False)
    results = {
        "track": score_track(qa, load(TRACK / "expected.jsonl"), args.verbose),
        "changes": score_changes(qa, load(TRACK / "changes.jsonl"), args.verbose),
    }
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    if temp is not None:
        shutil.rmtree(temp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
