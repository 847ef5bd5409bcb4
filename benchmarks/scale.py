"""Scale benchmark: search, ask, reload and memory of a synthetic index of N chunks.

    python benchmarks/scale.py --chunks 159000 [--store local|milvus] [--queries 136] [--json]
    python benchmarks/scale.py --chunks 10000 --chunks 100000 --out benchmarks/scale_results.json
    python benchmarks/scale.py --build-rate --langchain      # build vs raw embedder; query vs LangChain

The synthetic index is the bundled index replicated: copy i of the five plans gets other
regions (real counties and cities of the gazetteer, so region filters behave as they do on
real plans) and another year (2015–2024). Texts, sections and facts are the real ones.
**Vectors are synthetic**: each copy's chunk and sentence vectors are the real embeddings
plus Gaussian noise (σ = ``--noise``), renormalised. Embedding 159k real chunks would take
hours on this machine; ranking cost does not depend on what the vectors mean, and the
noise keeps copies from being exact ties. The synthetic build is written in the real
format (checksums included) and opened by the same code as a real index.

Measured, per size: reload (index + every load-time structure the server builds), RSS
beyond the loaded model, and for the gold questions: search p50/p95 excluding the query
embedding (the vectors are cached by a first pass), with the question's own filters
("filtered") and without any ("unfiltered"), and ask p50/p95 including the query
embedding. One JSON object per size is printed with ``--json``. ``--store milvus`` runs the
first retrieval stage in Milvus Lite (a local process; its first open, which inserts every
chunk, is timed apart as ``milvus_first_open_s``).

``--build-rate``: a cold build of corpus/ against one raw ``embed_passages`` call over the
same texts. ``--langchain``: policyqa search per question, embedding included, against a
plain LangChain pipeline (``InMemoryVectorStore`` over the same chunk vectors).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from load import percentile  # noqa: E402

from assistant.ask import AskRequest  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.corpus.regions import Gazetteer  # noqa: E402
from assistant.index import PolicyIndex, load_embedder  # noqa: E402
from assistant.index.lexical import BM25Index, ChineseTokenizer  # noqa: E402
from assistant.index.store import DERIVED, SentenceTable, write_build  # noqa: E402
from assistant.pipeline import PolicyQA  # noqa: E402
from assistant.schema import Chunk, short_name  # noqa: E402

log = logging.getLogger("scale")


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory (MB): ``VmRSS`` in all, ``RssAnon`` the process's own, ``RssFile``
    file pages mapped in (memory-mapped index files; the kernel may drop them)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


class MemoTokenizer(ChineseTokenizer):
    """The real tokenizer with a memo: replicated texts are tokenized once."""

    def __init__(self) -> None:
        super().__init__()
        self._memo: dict[str, list[str]] = {}

    def tokenize(self, text: str) -> list[str]:
        tokens = self._memo.get(text)
        if tokens is None:
            tokens = self._memo[text] = super().tokenize(text)
        return tokens


def synthetic_regions() -> list[tuple[str, list[str], str]]:
    """(name, chain nearest first, level) of real cities and counties, in a fixed order."""
    gazetteer = Gazetteer()
    found = []
    for name, level in sorted(gazetteer.levels().items()):
        if level not in ("city", "county"):
            continue
        region = gazetteer.region(name)
        if region is not None:
            found.append((region.name, list(region.chain), level))
    return found


def embed_texts(index: PolicyIndex) -> list[str]:
    """What each chunk of a build was embedded as (a loaded index does not keep it)."""
    with open(index.path / "chunks.jsonl", encoding="utf-8") as handle:
        return [json.loads(line)["embed_text"] for line in handle if line.strip()]


def synthesize(base: PolicyIndex, target: Path, chunks: int, noise: float, seed: int = 0) -> dict:
    """Write a replicated build of about ``chunks`` chunks into the index folder ``target``."""

    base_texts = embed_texts(base)

    rng = np.random.default_rng(seed)
    base_vectors = base.dense.reconstruct_n(0, base.dense.ntotal)
    base_docs = list(base.documents.values())
    chunks_of = {d.doc_id: [i for i, c in enumerate(base.chunks) if c.doc_id == d.doc_id] for d in base_docs}
    sentences_of: dict[int, list[int]] = {}
    for row, sentence in enumerate(base.sentences):
        sentences_of.setdefault(sentence.chunk, []).append(row)
    regions = synthetic_regions()
    # Vectors are gathered by source row at the end (blockwise: a million chunks would not
    # fit as Python lists of rows); sentences are kept as three integer columns.
    documents, out_chunks, chunk_source, sentence_source, sentence_owner = [], [], [], [], []
    derived: dict[str, list] = {name: [] for name in DERIVED}
    copy = 0
    while len(out_chunks) < chunks:
        for j, document in enumerate(base_docs):
            if len(out_chunks) >= chunks:
                break
            if copy == 0:
                doc = replace(document)  # the real plans stay as they are
            else:
                name, chain, level = regions[(copy * len(base_docs) + j) % len(regions)]
                year = 2015 + (copy + j) % 10
                doc_id = f"{document.doc_id}-s{copy:05d}"
                title = document.title.replace(document.region, name).replace(short_name(document.region), name)
                doc = replace(document, doc_id=doc_id, source=f"{doc_id}.txt", title=title, region=name,
                              region_chain=chain, level=level, year=year, region_en=None, same_scope=[])  # fmt: skip
            documents.append(doc)
            for row in chunks_of[document.doc_id]:
                chunk = base.chunks[row]
                new_row = len(out_chunks)
                out_chunks.append(
                    replace(
                        chunk,
                        chunk_id=Chunk.make_id(doc.doc_id, chunk.start, chunk.end),
                        doc_id=doc.doc_id,
                        source=doc.source,
                        embed_text=base_texts[row],
                    )
                )
                chunk_source.append(row)
                for s in sentences_of.get(row, []):
                    sentence_source.append(s)
                    sentence_owner.append(new_row)
            for name in DERIVED:
                derived[name].extend(
                    replace(f, doc_id=doc.doc_id, source=doc.source)
                    if hasattr(f, "source")
                    else replace(f, doc_id=doc.doc_id)
                    for f in base.derived[name]
                    if f.doc_id == document.doc_id
                )
        copy += 1

    def perturbed(source: np.ndarray, rows: list[int], dtype) -> np.ndarray:
        """Rows of ``source``; every row after the real ones moved by noise, renormalised."""
        out = np.empty((len(rows), source.shape[1]), dtype=dtype)
        rows_array = np.asarray(rows, dtype=np.int64)
        real = len(base.chunks) if source is base_vectors else len(base.sentences)
        for low in range(0, len(rows), 200_000):
            block = np.asarray(source[rows_array[low : low + 200_000]], dtype=np.float32)
            moved = np.arange(low, low + len(block)) >= real
            block[moved] += rng.normal(0, noise, block[moved].shape).astype(np.float32)
            block /= np.linalg.norm(block, axis=1, keepdims=True)
            out[low : low + len(block)] = block
        return out

    chunk_matrix = perturbed(base_vectors, chunk_source, np.float32)
    sentence_matrix = perturbed(base.sentence_vectors, sentence_source, base.sentence_vectors.dtype)
    sentence_table = SentenceTable(
        np.asarray(sentence_owner),
        base.sentences.start[sentence_source],
        base.sentences.end[sentence_source],
        len(out_chunks),
    )
    name = f"build-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    build = target / name
    build.mkdir(parents=True)
    started = time.perf_counter()
    lexical = BM25Index(MemoTokenizer()).fit([c.embed_text for c in out_chunks])
    log.info("BM25 over %d chunks in %.1f s", len(out_chunks), time.perf_counter() - started)
    write_build(build, documents, out_chunks, chunk_matrix, lexical, sentence_table, sentence_matrix, derived,
                {**base.manifest, "synthetic": True})  # fmt: skip
    (target / "CURRENT").write_text(name, encoding="utf-8")
    return {"documents": len(documents), "chunks": len(out_chunks), "sentences": len(sentence_table)}


def questions(path: Path, limit: int) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows][:limit]


def milvus_lite_rss_mb(path: str) -> float:
    """Resident memory (MB) of the Milvus Lite process serving ``path`` (0 when none)."""
    total = 0.0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
            serving = any(part.endswith(b"milvus_lite/lib/milvus") for part in command)
            if serving and path.encode() in b" ".join(command):
                total += next(
                    int(line.split()[1]) / 1024
                    for line in (proc / "status").read_text().splitlines()
                    if line.startswith("VmRSS:")
                )
        except (OSError, StopIteration):
            continue
    return total


def measure(index_dir: Path, embedder, asked: list[str], k: int, store: str) -> dict:
    # A query cache larger than the question set: the timed passes must not embed.
    milvus = str(index_dir.parent / f"milvus-{index_dir.name}.db") if store == "milvus" else ""
    # Not published: the copy of the build folder for other machines is not what is measured.
    settings = Settings(
        corpus_dir=ROOT / "corpus", index_dir=index_dir, query_cache_size=4 * len(asked) + 16, milvus_uri=milvus,
        milvus_publish=False,
    )  # fmt: skip
    qa = PolicyQA(settings, embedder)
    gc.collect()
    before, before_anon = rss_mb(), rss_mb("RssAnon")
    first_sync_s = None
    if milvus:  # the first open inserts every chunk into the collection; timed apart
        started = time.perf_counter()
        qa.reload()
        first_sync_s = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    qa.reload()
    reload_s = time.perf_counter() - started
    gc.collect()
    after, after_anon = rss_mb(), rss_mb("RssAnon")
    engine = qa.engine
    routed = [engine.router.prepare(AskRequest(q, None, k)) for q in asked]

    def run(filtered: bool) -> list[float]:
        times = []
        for item in routed:
            filters = item.decision.applied if filtered else None
            t0 = time.perf_counter()
            engine.searcher.search_question(item.question, k, filters)
            times.append((time.perf_counter() - t0) * 1000)
        return times

    run(True)  # first pass: embeds every question and topic (cached by the searcher)
    run(False)
    filtered, unfiltered = run(True), run(False)
    agreement = None
    if milvus:  # the same questions on the local store: how often the top 10 is the same
        local = PolicyQA(replace(settings, milvus_uri=""), embedder)
        local.reload()
        local.searcher._vectors = engine.searcher._vectors  # the same cached question vectors
        same = 0
        for item in routed:
            ours = engine.searcher.search_question(item.question, 10, item.decision.applied)
            theirs = local.engine.searcher.search_question(item.question, 10, item.decision.applied)
            same += [h.chunk.chunk_id for h in ours] == [h.chunk.chunk_id for h in theirs]
        agreement = round(same / len(routed), 3)
        del local
    # ask, including the query embedding: a fresh searcher cache per question
    ask_times = []
    for question in asked:
        engine.searcher.clear_cache() if hasattr(engine.searcher, "clear_cache") else engine.searcher._vectors.clear()
        t0 = time.perf_counter()
        qa.ask(question, k=k)
        ask_times.append((time.perf_counter() - t0) * 1000)
    return {
        "chunks": len(qa.index.chunks),
        "documents": len(qa.index.documents),
        "sentences": len(qa.index.sentences),
        "store": store,
        "queries": len(asked),
        "search_p50_ms": round(percentile(filtered, 0.5), 1),
        "search_p95_ms": round(percentile(filtered, 0.95), 1),
        "search_unfiltered_p50_ms": round(percentile(unfiltered, 0.5), 1),
        "search_unfiltered_p95_ms": round(percentile(unfiltered, 0.95), 1),
        "ask_p50_ms": round(percentile(ask_times, 0.5), 1),
        "ask_p95_ms": round(percentile(ask_times, 0.95), 1),
        "ask_mean_ms": round(statistics.fmean(ask_times), 1),
        "reload_s": round(reload_s, 2),
        **(
            {
                "milvus_first_open_s": first_sync_s,
                "top10_same_as_local": agreement,
                "milvus_lite_rss_mb": round(milvus_lite_rss_mb(str(Path(milvus).resolve())), 1),
            }
            if milvus
            else {}
        ),
        "rss_mb": round(after, 1),
        "rss_beyond_model_mb": round(after - before, 1),
        "rss_anon_beyond_model_mb": round(after_anon - before_anon, 1),
        "rss_after_queries_mb": round(rss_mb(), 1),
        "rss_file_after_queries_mb": round(rss_mb("RssFile"), 1),
    }


def build_rate(embedder, corpus: Path, settings: Settings) -> dict:
    """A cold build of ``corpus`` (empty embedding cache) against the raw embedder on the
    same texts: one ``embed_passages`` call over all of them, the model's own packing."""
    from assistant.index import IndexBuilder

    with tempfile.TemporaryDirectory(prefix="policyqa-build-") as tmp:
        builder = IndexBuilder(corpus, Path(tmp) / "index", embedder, embed_batch_chars=settings.embed_batch_chars)
        started = time.perf_counter()
        builder.build(progress=False)
        build_s = time.perf_counter() - started
        index = PolicyIndex.load(Path(tmp) / "index", embedder.info)
        texts = list(dict.fromkeys(embed_texts(index) + [index.sentence_text(r) for r in range(len(index.sentences))]))
    started = time.perf_counter()
    embedder.embed_passages(texts)
    raw_s = time.perf_counter() - started
    return {"texts": len(texts), "cold_build_s": round(build_s, 2), "raw_embedder_s": round(raw_s, 2),
            "build_over_raw": round(build_s / raw_s, 2)}  # fmt: skip


def langchain_ratio(embedder, index_dir: Path, asked: list[str], k: int) -> dict:
    """policyqa ``search`` per query, the query embedding included, against a plain LangChain
    pipeline over the same chunk vectors (``InMemoryVectorStore``, cosine top-k)."""
    from langchain_core.embeddings import Embeddings
    from langchain_core.vectorstores import InMemoryVectorStore

    class Plain(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_passages(texts).tolist()

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_queries([text])[0].tolist()

    qa = PolicyQA(Settings(corpus_dir=ROOT / "corpus", index_dir=index_dir), embedder)
    qa.reload()
    store = InMemoryVectorStore(Plain())
    vectors = qa.index.chunk_vectors
    for row, chunk in enumerate(qa.index.chunks):
        store.store[chunk.chunk_id] = {"id": chunk.chunk_id, "vector": vectors[row].tolist(), "text": chunk.text,
                                       "metadata": {"doc_id": chunk.doc_id}}  # fmt: skip
    plain, ours = [], []
    for question in asked:  # alternated, so that a busy machine's drift falls on both
        t0 = time.perf_counter()
        store.similarity_search(question, k=k)
        plain.append(time.perf_counter() - t0)
        qa.searcher.clear_cache()
        t0 = time.perf_counter()
        qa.search(question, k)
        ours.append(time.perf_counter() - t0)
    return {"queries": len(asked), "langchain_mean_ms": round(statistics.fmean(plain) * 1000, 1),
            "policyqa_mean_ms": round(statistics.fmean(ours) * 1000, 1),
            "policyqa_over_langchain": round(statistics.fmean(ours) / statistics.fmean(plain), 2)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, action="append", help="index size; repeat for several (default 10000)")
    parser.add_argument(
        "--store", choices=["local", "milvus"], default="local", help="milvus: Milvus Lite (a local process)"
    )
    parser.add_argument("--index", default=str(ROOT / "index"), help="the real index to replicate")
    parser.add_argument("--questions", default=str(ROOT / "eval" / "gold.jsonl"))
    parser.add_argument("--queries", type=int, default=136)
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--noise", type=float, default=0.05)
    parser.add_argument("--workdir", help="keep synthetic indexes here (reused when present)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per size")
    parser.add_argument("--build-rate", action="store_true", help="cold build of corpus/ vs the raw embedder")
    parser.add_argument("--langchain", action="store_true", help="per-query cost vs a plain LangChain pipeline")
    parser.add_argument("--out", help="also write all results to this JSON file")

    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING if args.json else logging.INFO, format="scale: %(message)s")
    embedder = load_embedder(Settings().model)
    embedder.embed_queries(["预热"])
    base = PolicyIndex.load(Path(args.index), embedder.info)
    asked = questions(Path(args.questions), args.queries)
    results = []
    if args.build_rate:
        results.append({"build_rate": build_rate(embedder, ROOT / "corpus", Settings())})
        print(json.dumps(results[-1], ensure_ascii=False))
    if args.langchain:
        results.append({"query_cost": langchain_ratio(embedder, Path(args.index), asked, args.k)})
        print(json.dumps(results[-1], ensure_ascii=False))
    if (args.build_rate or args.langchain) and not args.chunks:
        return 0
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="policyqa-scale-"))
    try:
        for size in args.chunks or [10_000]:
            index_dir = workdir / f"index-{size}"
            if not (index_dir / "CURRENT").exists():
                shutil.rmtree(index_dir, ignore_errors=True)
                started = time.perf_counter()
                made = synthesize(base, index_dir, size, args.noise)
                log.info(
                    "synthetic index of %d chunks written in %.1f s", made["chunks"], time.perf_counter() - started
                )
            result = measure(index_dir, embedder, asked, args.k, args.store)
            result["machine"] = f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores"
            result["synthetic_vectors"] = f"real embeddings + N(0, {args.noise}) noise, renormalised"
            results.append(result)
            if args.json:
                print(json.dumps(result, ensure_ascii=False))
            else:
                log.info("%s", json.dumps(result, ensure_ascii=False))
            gc.collect()
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.out:
        Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
