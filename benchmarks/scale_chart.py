"""Chart of benchmarks/scale.py results: search p95 and reload time against index size.

python benchmarks/scale_chart.py benchmarks/scale_results.json [more.json …] -o docs/scale.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="+", help="JSON files written by scale.py --out")
    parser.add_argument("-o", "--output", default="docs/scale.png")
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for path in args.results for r in json.loads(Path(path).read_text(encoding="utf-8")) if "chunks" in r]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for store in sorted({r["store"] for r in rows}):
        points = sorted((r for r in rows if r["store"] == store), key=lambda r: r["chunks"])
        sizes = [r["chunks"] for r in points]
        left.plot(sizes, [r["search_p95_ms"] for r in points], "o-", label=f"{store}, filtered")
        left.plot(sizes, [r["search_unfiltered_p95_ms"] for r in points], "s--", label=f"{store}, unfiltered")
        right.plot(sizes, [r["reload_s"] for r in points], "o-", label=store)
    left.axhline(100, color="grey", linewidth=0.8, linestyle=":")
    left.text(1.1 * min(r["chunks"] for r in rows), 105, "target, local at 159k", fontsize=7, color="grey")
    left.axhline(300, color="grey", linewidth=0.8, linestyle="-.")
    left.text(1.1 * min(r["chunks"] for r in rows), 315, "target, Milvus Lite at 1M", fontsize=7, color="grey")
    left.set(xscale="log", yscale="log", xlabel="chunks", ylabel="search p95, ms (query embedding excluded)")
    right.set(xscale="log", yscale="log", xlabel="chunks", ylabel="reload, s")
    left.legend(fontsize=7, loc="lower right")
    right.legend(fontsize=8)
    figure.suptitle("policyqa at scale (synthetic replicated index; 2 cores)")
    figure.tight_layout()
    figure.savefig(args.output, dpi=110)
    print(args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
