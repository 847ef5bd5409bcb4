"""Load benchmark of the chat page: start-up time and answer latency under concurrent users.

    python benchmarks/load.py [--users 10] [--questions-per-user 5] [--time-limit 120]
                              [--out benchmarks/load_results.json]

1. Copies corpus/ (and index/, with its embedding cache, if present) to a temporary folder
   and brings that index up to date with ``policyqa index`` (not timed: ``serve`` is meant
   to start from a built index).
2. Times ``policyqa serve`` in a subprocess on a free 127.0.0.1 port: until the page
   answers HTTP, and until a first question has been answered through Gradio's queue
   (``gradio_client``, the API endpoint ``/ask``: the same question path as the page's Ask button).
3. One user asking questions one after another (baseline), then ``--users`` simulated
   users at once (threads, one ``gradio_client.Client`` = one browser session each), each
   asking ``--questions-per-user`` questions from the gold set. Everything stops at
   ``--time-limit`` seconds.

Loopback only; nothing leaves the machine. Prints p50/p95 and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("load")


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``values`` by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gold_questions(path: Path) -> list[str]:
    """Questions of a gold file, Chinese and English interleaved."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    zh = [r["question"] for r in rows if r.get("lang") == "zh"]
    en = [r["question"] for r in rows if r.get("lang") != "zh"]
    mixed = [q for pair in zip(zh, en, strict=False) for q in pair]
    return mixed or [r["question"] for r in rows]


def prepare(workdir: Path, corpus: Path, index: Path | None) -> tuple[Path, Path]:
    """Copy corpus (and index, if any) into ``workdir`` and update the index there; returns both paths."""
    shutil.copytree(corpus, workdir / "corpus")
    if index is not None and index.is_dir():
        shutil.copytree(index, workdir / "index", ignore=shutil.ignore_patterns(".lock"))
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "assistant", "index", "-q", "--corpus", str(workdir / "corpus"), "--index",
         str(workdir / "index")],
        check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    log.info("index ready in %.1f s (not part of the start-up time)", time.perf_counter() - started)
    return workdir / "corpus", workdir / "index"


@dataclass
class Served:
    """A running ``policyqa serve``: its process, URL, start time and (after it stops) its output."""

    proc: subprocess.Popen
    url: str
    started: float
    output: str = ""


@contextmanager
def serving(corpus: Path, index: Path, log_path: Path, env: dict[str, str] | None = None) -> Iterator[Served]:
    """``policyqa serve`` over ``corpus`` and ``index`` on a free 127.0.0.1 port, stopped on exit.

    Its output goes to ``log_path`` (a full pipe would block the server) and is kept in
    ``Served.output`` once it has stopped. ``env`` adds environment variables.
    """
    port = free_port()
    command = [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--corpus", str(corpus), "--index", str(index)]  # fmt: skip
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1", **(env or {})}
    with open(log_path, "w+", encoding="utf-8") as server_log:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT)
        served = Served(proc, f"http://127.0.0.1:{port}/", started)
        try:
            yield served
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            server_log.seek(0)
            served.output = server_log.read()


def wait_http(url: str, deadline: float, proc: subprocess.Popen) -> None:
    """Poll ``url`` until it answers 200; raises if the server exits or the deadline passes."""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"policyqa serve exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer in time")


def ask_once(client, question: str) -> float:
    """One question through the server's /ask endpoint (Gradio's queue); returns seconds taken."""
    t0 = time.perf_counter()
    answer = client.predict(question=question, api_name="/ask")
    seconds = time.perf_counter() - t0
    if not isinstance(answer, dict) or "status" not in answer:
        raise RuntimeError(f"no answer for {question!r}")
    return seconds


def run_users(url: str, questions: list[str], users: int, per_user: int, deadline: float) -> dict:
    """``users`` concurrent sessions asking ``per_user`` questions each; latencies in ms."""
    from gradio_client import Client

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(users + 1)

    def user(number: int) -> None:
        try:
            client = Client(url, verbose=False)
        except Exception as err:  # a user that cannot connect counts as an error, not a crash
            with lock:
                errors.append(f"user {number}: {err}")
            start_gate.wait()
            return
        start_gate.wait()
        for i in range(per_user):
            if time.monotonic() > deadline:
                return
            question = questions[(number * per_user + i) % len(questions)]
            try:
                seconds = ask_once(client, question)
            except Exception as err:
                with lock:
                    errors.append(f"user {number}: {err}")
                continue
            with lock:
                latencies.append(seconds * 1000)

    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(users)]
    for thread in threads:
        thread.start()
    start_gate.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    wall = time.perf_counter() - started
    return {
        "users": users,
        "questions_per_user": per_user,
        "answered": len(latencies),
        "errors": errors,
        "wall_s": round(wall, 2),
        "throughput_qps": round(len(latencies) / wall, 2) if wall else 0.0,
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "max_ms": round(max(latencies, default=0.0), 1),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else 0.0,
        "timed_out": any(t.is_alive() for t in threads),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=str(ROOT / "corpus"))
    parser.add_argument("--index", default=str(ROOT / "index"), help="existing index to copy (cache reused)")
    parser.add_argument("--questions", default=str(ROOT / "eval" / "gold.jsonl"))
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--questions-per-user", type=int, default=5)
    parser.add_argument("--baseline", type=int, default=10, help="questions asked by a single user first")
    parser.add_argument("--time-limit", type=float, default=120.0, help="hard limit for the whole run, seconds")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "load_results.json"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="load: %(message)s")
    for noisy in ("httpx", "gradio_client"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    questions = gold_questions(Path(args.questions))

    with tempfile.TemporaryDirectory(prefix="policyqa-load-") as tmp:
        corpus, index = prepare(Path(tmp), Path(args.corpus), Path(args.index) if args.index else None)
        deadline = time.monotonic() + args.time_limit
        with serving(corpus, index, Path(tmp) / "serve.log") as served:
            results = measure(served.proc, served.url, questions, args, served.started, deadline)
        if "Traceback" in served.output:
            log.warning("server output:\n%s", served.output[-3000:])

    Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=1))
    load = results["concurrent"]
    return 0 if not load["errors"] and not load["timed_out"] else 1


def measure(proc: subprocess.Popen, url: str, questions: list[str], args, started: float, deadline: float) -> dict:
    """Start-up time, single-user and concurrent latency against the running server."""
    from gradio_client import Client

    wait_http(url, deadline, proc)
    to_http = time.perf_counter() - started
    client = Client(url, verbose=False)
    first = ask_once(client, questions[0])
    to_answer = time.perf_counter() - started
    log.info("serve → page answers HTTP %.2f s; → first answer %.2f s", to_http, to_answer)

    baseline = []
    for question in questions[1 : 1 + args.baseline]:
        if time.monotonic() > deadline:
            break
        baseline.append(ask_once(client, question) * 1000)
    log.info(
        "1 user: p50 %.0f ms, p95 %.0f ms (%d questions)",
        percentile(baseline, 0.5),
        percentile(baseline, 0.95),
        len(baseline),
    )
    load = run_users(url, questions, args.users, args.questions_per_user, deadline)
    log.info(
        "%d users × %d questions: p50 %.0f ms, p95 %.0f ms, max %.0f ms, %.1f answers/s, %d errors",
        load["users"],
        load["questions_per_user"],
        load["p50_ms"],
        load["p95_ms"],
        load["max_ms"],
        load["throughput_qps"],
        len(load["errors"]),
    )
    return {
        "machine": f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores",
        "startup": {
            "to_http_s": round(to_http, 2),
            "to_first_answer_s": round(to_answer, 2),
            "first_answer_ms": round(first * 1000, 1),
        },
        "single_user": {
            "questions": len(baseline),
            "p50_ms": round(percentile(baseline, 0.5), 1),
            "p95_ms": round(percentile(baseline, 0.95), 1),
        },
        "concurrent": load,
    }


if __name__ == "__main__":
    sys.exit(main())
