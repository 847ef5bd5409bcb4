"""Benchmark: index build, search and ask latency, peak memory. Prints and writes JSON.

    python benchmarks/bench.py [--questions eval/gold.jsonl] [--out benchmarks/results.json]

The build is timed cold (empty embedding cache, temporary index folder) and warm
(nothing changed). Latencies are per question over every question of the file,
after one warm-up query. Nothing here asserts: the numbers are for people to read.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.config import Settings
from assistant.index import load_embedder
from assistant.interfaces.evaluation import load_gold
from assistant.pipeline import PolicyQA


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", default="eval/gold.jsonl")
    parser.add_argument("--corpus", default="corpus")
    parser.add_argument("--out", default="benchmarks/results.json")
    args = parser.parse_args()
    questions = [q.question for q in load_gold(Path(args.questions))]

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(corpus_dir=Path(args.corpus), index_dir=Path(tmp) / "index")
        started = time.perf_counter()
        embedder = load_embedder(settings.model)
        model_load = time.perf_counter() - started
        qa = PolicyQA(settings, embedder)
        cold = qa.build_index(progress=False)
        warm = qa.build_index(progress=False)
        qa.search("warm-up", 5)
        search_ms, ask_ms = [], []
        for question in questions:
            t0 = time.perf_counter()
            qa.search(question, 5)
            search_ms.append((time.perf_counter() - t0) * 1000)
        for question in questions:
            t0 = time.perf_counter()
            qa.ask(question)
            ask_ms.append((time.perf_counter() - t0) * 1000)
        # A whole `policyqa ask` / `search` process on the built index, as a user runs it.
        paths = ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir), "-q"]
        process_s = {}
        for name, command in (
            ("cli_help_s", [sys.executable, "-m", "assistant", "--help"]),
            ("cli_ask_s", [sys.executable, "-m", "assistant", "ask", questions[0], *paths]),
            ("cli_search_s", [sys.executable, "-m", "assistant", "search", questions[0], *paths]),
        ):
            runs = []
            for _ in range(3):
                t0 = time.perf_counter()
                subprocess.run(command, capture_output=True, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
                runs.append(time.perf_counter() - t0)
            process_s[name] = round(statistics.median(runs), 2)

    results = {
        "machine": f"{platform.machine()}, {platform.python_version()}, {__import__('os').cpu_count()} cores",
        "model": f"{embedder.info.backend}:{embedder.info.model}",
        "documents": len(qa.index.documents),
        "chunks": cold.chunks,
        "sentences": len(qa.index.sentences),
        "model_load_s": round(model_load, 3),
        "cold_build_s": round(cold.seconds, 1),
        "cold_build_chunks_per_s": round(cold.chunks / cold.seconds, 2),
        "cold_build_texts_embedded": cold.embedded,
        "warm_rebuild_s": round(warm.seconds, 2),
        "questions": len(questions),
        "search_ms_p50": round(statistics.median(search_ms), 1),
        "search_ms_p95": round(percentile(search_ms, 0.95), 1),
        "ask_ms_p50": round(statistics.median(ask_ms), 1),
        "ask_ms_p95": round(percentile(ask_ms, 0.95), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **process_s,
    }
    Path(args.out).write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for key, value in results.items():
        print(f"{key:<28} {value}")


if __name__ == "__main__":
    main()
