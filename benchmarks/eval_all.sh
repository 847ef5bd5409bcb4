#!/usr/bin/env bash
# Every question set in eval/, one summary line each (JSON reports in $1, default /tmp/policyqa-eval).
set -euo pipefail
out="${1:-/tmp/policyqa-eval}"
mkdir -p "$out"
for set in gold dev dev2 dev3 fresh nearmiss offtopic; do
  policyqa eval --gold "eval/$set.jsonl" -q --json > "$out/$set.json" 2>/dev/null || true
done
policyqa eval --gold eval/unseen/unseen-docs.jsonl --add-docs eval/unseen/docs -q --json > "$out/unseen.json" 2>/dev/null || true
python3 - "$out" <<'PY'
import json, sys
from pathlib import Path
keys = ["hit@5", "mrr@10", "answer_accuracy", "false_abstention_rate", "abstention_recall", "near_miss_marked", "conflict_stated", "scope_noted"]
print(f"{'set':<10}" + "".join(f"{k[:14]:>16}" for k in keys) + "   metadata")
for path in sorted(Path(sys.argv[1]).glob("*.json")):
    data = json.loads(path.read_text())
    s = data["summary"]
    cells = "".join(f"{s[k]:>16.3f}" if isinstance(s.get(k), float) else f"{'–':>16}" for k in keys)
    meta = data.get("metadata")
    print(f"{path.stem:<10}{cells}   {meta['right']}/{meta['total'] if meta else ''}" if meta else f"{path.stem:<10}{cells}")
PY
