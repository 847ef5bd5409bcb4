"""Compare answers and rankings of two versions of policyqa on every eval/*.jsonl question.

A restructuring must not change what users get. This script runs every question of
every question set through ``policyqa ask --json`` and ``policyqa search --json``
(batch mode, one process per command) for two versions and reports every difference:
rank lists (chunk ids), answer texts, citations, abstention and status.

    python benchmarks/diff_answers.py snapshot before.jsonl          # this checkout
    python benchmarks/diff_answers.py snapshot before.jsonl --rev HEAD~3   # a git revision
    python benchmarks/diff_answers.py compare before.jsonl after.jsonl
    python benchmarks/diff_answers.py verdicts before.json after.json   # two `policyqa eval --json` runs

``verdicts`` pairs the per-question results of two evaluation runs (``policyqa eval --json``,
or a first run in eval/reports/first-runs/) and prints the accuracy of both over the shared
questions and every changed answer with the class of its change: ``fixed`` / ``broken`` (the
verdict on it went wrong → right / right → wrong), ``released`` / ``withheld`` (an answerable
question now answered / no longer answered, same verdict), ``status`` (the status changed
otherwise: near miss → unavailable …), ``text`` (same verdict and status, other words).

``--rev`` checks the revision out into a temporary git worktree and runs its own
``assistant`` package there (its CLI module) on this checkout's corpus,
with an index of its own (the embedding cache is copied, so nothing is re-embedded).
Exit status of ``compare``: 0 when identical, 1 when anything differs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from assistant.interfaces.evaluation import question_sets

ROOT = Path(__file__).resolve().parent.parent
SEARCH_K = 10


def questions(eval_dir: Path) -> list[dict]:
    """Every question of every set, in file order: {"set", "id", "question", "filters"}."""
    out = []
    for path in question_sets(eval_dir):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                data = json.loads(line)
                rel = path.relative_to(eval_dir).as_posix()
                out.append({"set": rel, "id": data["id"], "question": data["question"]})
    return out


def _run_batch(python_path: Path, command: str, batch: Path, index_dir: Path, corpus_dir: Path, extra: list[str]):
    env = {**os.environ, "PYTHONPATH": str(python_path), "OMP_NUM_THREADS": "1"}
    # Older versions had the CLI at assistant/cli.py; later ones at assistant/interfaces/cli.py.
    module = "assistant.interfaces.cli" if (python_path / "assistant" / "interfaces").is_dir() else "assistant.cli"
    args = [sys.executable, "-m", module, command, "--batch", str(batch), "-q"]
    args += ["--index", str(index_dir), "--corpus", str(corpus_dir), *extra]
    done = subprocess.run(args, env=env, capture_output=True, text=True, cwd=python_path, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{command} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def _summary_of_answer(answer: dict) -> dict:
    return {
        "answer": answer.get("answer"),
        "abstained": answer.get("abstained"),
        "status": answer.get("status"),
        "citations": [(c.get("chunk_id"), c.get("start"), c.get("end")) for c in answer.get("citations", [])],
        "hits": [h.get("chunk_id") for h in answer.get("hits", [])],
    }


def snapshot(out: Path, rev: str | None, index_dir: Path | None) -> None:
    qs = questions(ROOT / "eval")
    with tempfile.TemporaryDirectory(prefix="policyqa-diff-") as tmp:
        tmp_path = Path(tmp)
        source = ROOT
        if rev:
            source = tmp_path / "tree"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(source), rev], check=True)
        try:
            index = index_dir or tmp_path / "index"
            cache = ROOT / "index" / "cache"
            if index_dir is None and cache.is_dir():
                shutil.copytree(cache, index / "cache")  # the same texts need not be embedded again
            batch = tmp_path / "questions.txt"
            batch.write_text("\n".join(q["question"] for q in qs) + "\n", encoding="utf-8")
            asked = _run_batch(source, "ask", batch, index, ROOT / "corpus", [])
            searched = _run_batch(source, "search", batch, index, ROOT / "corpus", ["-k", str(SEARCH_K)])
        finally:
            if rev:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(source)], check=False)
    if len(asked) != len(qs) or len(searched) != len(qs):
        raise SystemExit(f"expected {len(qs)} answers, got {len(asked)} asks and {len(searched)} searches")
    with open(out, "w", encoding="utf-8") as handle:
        for q, a, s in zip(qs, asked, searched, strict=True):
            row = {**q, "ask": _summary_of_answer(a), "search": [h["chunk_id"] for h in s["hits"]]}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{out}: {len(qs)} questions from {len({q['set'] for q in qs})} sets")


def compare(before: Path, after: Path) -> int:
    def load(path: Path) -> dict[tuple[str, str], dict]:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return {(r["set"], r["id"]): r for r in rows}

    a, b = load(before), load(after)
    common = sorted(set(a) & set(b))
    differences = 0
    for key in common:
        old, new = a[key], b[key]
        changed = []
        if old["search"] != new["search"]:
            changed.append("search ranks")
        for field in ("answer", "abstained", "citations", "hits"):
            if old["ask"][field] != new["ask"][field]:
                changed.append(f"ask {field}")
        if changed:
            differences += 1
            print(f"{key[0]} {key[1]}: {', '.join(changed)} — {old['question']}")
            if "ask answer" in changed:
                print(f"    before: {' '.join(str(old['ask']['answer']).split())[:300]}")
                print(f"    after:  {' '.join(str(new['ask']['answer']).split())[:300]}")
    only = sorted(set(a) ^ set(b))
    print(
        f"\n{len(common)} questions compared: {differences} differ, {len(common) - differences} identical"
        + (f"; {len(only)} in one snapshot only" if only else "")
    )
    return 1 if differences else 0


def change_class(before: dict, after: dict) -> str | None:
    """The class of the change of one question's result (see the module doc), or None."""
    if before.get("answer_correct") != after.get("answer_correct"):
        return "fixed" if after.get("answer_correct") else "broken"
    if before.get("answerable") and before.get("abstained") != after.get("abstained"):
        return "withheld" if after.get("abstained") else "released"
    if before.get("status") != after.get("status"):
        return "status"
    if before.get("answer") != after.get("answer"):
        return "text"
    return None


def verdicts(before: Path, after: Path) -> int:
    def load(path: Path) -> dict[str, dict]:
        return {row["id"]: row for row in json.loads(path.read_text(encoding="utf-8"))["results"]}

    a, b = load(before), load(after)
    shared = [qid for qid in a if qid in b]
    counts: dict[str, int] = {}
    lines = []
    for qid in shared:
        kind = change_class(a[qid], b[qid])
        if not kind:
            continue
        counts[kind] = counts.get(kind, 0) + 1
        old, new = a[qid], b[qid]
        mark = {True: "✓", False: "✗", None: "-"}
        lines.append(f"  {kind:<9} {qid:<8} {new['question'][:64]}")
        lines.append(
            f"            {old.get('status')} {mark[old.get('answer_correct')]} → {new.get('status')} "
            f"{mark[new.get('answer_correct')]}  {' '.join(str(new.get('answer')).split())[:90]}"
        )

    answerable = [q for q in shared if a[q].get("answerable")]

    def accuracy(rows: dict[str, dict]) -> float:  # over answerable questions, as policyqa eval reports it
        return sum(bool(rows[q].get("answer_correct")) for q in answerable) / max(1, len(answerable))

    print(
        f"{after.name}: {len(shared)} questions ({len(answerable)} answerable), "
        f"answer accuracy {accuracy(a):.3f} → {accuracy(b):.3f}; "
        f"changed: {', '.join(f'{k} {v}' for k, v in sorted(counts.items())) or 'none'}"
    )
    print("\n".join(lines))
    return 1 if counts else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("snapshot", help="answers and ranks of every eval question, as JSON Lines")
    p.add_argument("out", type=Path)
    p.add_argument("--rev", help="git revision to run instead of this checkout")
    p.add_argument("--index", type=Path, help="index folder to use (default: a fresh one with the cache copied)")
    p = sub.add_parser("compare", help="list the questions whose answers or ranks differ")
    p.add_argument("before", type=Path)
    p.add_argument("after", type=Path)
    p = sub.add_parser("verdicts", help="answers whose verdict or status changed between two eval runs")
    p.add_argument("before", type=Path, help="policyqa eval --json of the old code")
    p.add_argument("after", type=Path, help="policyqa eval --json of the new code")
    args = parser.parse_args()
    if args.command == "verdicts":
        return verdicts(args.before, args.after)
    if args.command == "snapshot":
        snapshot(args.out, args.rev, args.index)
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
