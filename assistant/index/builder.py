"""Writing the index: :class:`IndexBuilder` (incremental builds) and :class:`EmbeddingCache`.

A build is written to a fresh directory and only then made live by rewriting
``CURRENT``, so a crash leaves the previous index usable.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..chunking import CHUNKER_VERSION, SectionChunker, YearCoverage
from ..config import DEFAULTS
from ..corpus import (
    CorpusError,
    MetadataReader,
    Originals,
    content_hash,
    corpus_files,
    load_document,
    load_manifest,
    mark_same_scope,
)
from ..schema import Chunk, Document
from ..text import split_sentences
from .embeddings import Embedder, EmbedderInfo
from .lexical import BM25Index, ChineseTokenizer
from .store import (
    DERIVED,
    INDEX_FORMAT,
    ModelMismatchError,
    PolicyIndex,
    PolicyIndexError,
    SentenceRow,
    SentenceTable,
    read_rows,
    verify_build,
    write_build,
)

log = logging.getLogger(__name__)

# Bump when an extractor in DERIVED changes what it finds: stored facts are then recomputed.
EXTRACTORS_VERSION = 8  # 7-8: figures read by assistant.figures (70余次, 800万批, 个百分点, 2037.7万户, 4.6万亿元)


@dataclass
class BuildReport:
    """What a build did, for the CLI and for tests of incrementality."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rechunked: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # file → reason
    inferred: dict[str, dict] = field(default_factory=dict)  # file → inferred metadata
    chunks: int = 0
    embedded: int = 0  # texts newly embedded
    cached: int = 0  # texts taken from the embedding cache
    seconds: float = 0.0
    build: str = ""

    @property
    def noop(self) -> bool:
        return not (self.added or self.changed or self.removed)


class EmbeddingCache:
    """Vectors keyed by the hash of the exact text embedded, one store per model.

    Stored as one ``cache.npz`` (keys, vectors and a digest of each vector, written to a
    temporary file and renamed: a crash leaves the old cache or the new one, never half of
    each). An entry whose vector does not match its digest is dropped on load (its text is
    embedded again), so a damaged entry never reaches an index, even with ``--rebuild``.
    """

    FILE = "cache.npz"

    def __init__(self, directory: Path, info: EmbedderInfo) -> None:
        self.directory = directory / info.key
        self.info = info
        self._keys: dict[str, int] = {}
        self._chunks: list[np.ndarray] = []  # vectors added since loading, stacked once on save
        self._vectors = np.zeros((0, info.dim), dtype=np.float32)
        self.dropped = 0  # damaged entries found on load
        path = self.directory / self.FILE
        if path.exists():
            try:
                keys, vectors, damaged = read_cache(path, info.dim)
            except CacheError as err:
                log.warning("embedding cache %s %s; its texts will be embedded again", path, err)
                return
            if len(damaged):
                self.dropped = len(damaged)
                log.warning("embedding cache %s: %d damaged entries dropped", path, len(damaged))
                good = np.setdiff1d(np.arange(len(keys)), damaged)
                keys, vectors = [keys[i] for i in good], vectors[good]
            self._keys = {k: i for i, k in enumerate(keys)}
            self._vectors = vectors

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, text: str) -> np.ndarray | None:
        row = self._keys.get(content_hash(text))
        if row is None:
            return None
        if row >= len(self._vectors):
            self._stack()
        return self._vectors[row]

    def put_many(self, texts: list[str], vectors: np.ndarray) -> None:
        start = len(self._keys)
        for offset, text in enumerate(texts):
            self._keys[content_hash(text)] = start + offset
        # Kept aside and stacked once: copying the whole array per batch is quadratic.
        self._chunks.append(np.asarray(vectors, dtype=np.float32))

    def _stack(self) -> None:
        if self._chunks:
            self._vectors = np.vstack([self._vectors, *self._chunks])
            self._chunks = []

    def save(self) -> None:
        self._stack()
        self.directory.mkdir(parents=True, exist_ok=True)
        keys = np.array(sorted(self._keys, key=self._keys.get))
        tmp = self.directory / f".cache-{uuid.uuid4().hex}.npz"
        try:
            with open(tmp, "wb") as handle:
                np.savez(handle, keys=keys, vectors=self._vectors, digests=_digests(self._vectors))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.directory / self.FILE)
        finally:
            tmp.unlink(missing_ok=True)


class CacheError(ValueError):
    """An embedding cache file that cannot be read at all."""


def _digests(vectors: np.ndarray) -> np.ndarray:
    """A 16-byte BLAKE2b digest of each vector (rows of ``vectors``)."""
    rows = np.ascontiguousarray(vectors, dtype=np.float32)
    return np.array([hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in rows], dtype="S16")


def read_cache(path: Path, dim: int | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Keys, vectors and the rows whose vector does not match its digest, of a cache file.

    Raises :class:`CacheError` when the file cannot be read or its parts do not fit together.
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            keys = [str(k) for k in data["keys"]]
            vectors = np.asarray(data["vectors"], dtype=np.float32)
            digests = data["digests"]
    except (OSError, ValueError, KeyError, EOFError) as err:
        raise CacheError(f"is unreadable ({type(err).__name__})") from err
    if len(vectors) != len(keys) or len(digests) != len(keys) or (dim is not None and vectors.shape[1:] != (dim,)):
        raise CacheError("has parts that do not fit together")
    damaged = np.flatnonzero(_digests(vectors) != digests)
    return keys, vectors, damaged


@dataclass
class IndexCheck:
    """What ``policyqa index --check`` found: the live build and the embedding caches."""

    build: str | None
    problems: list[str] = field(default_factory=list)
    checked_files: int = 0
    cache_entries: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.build is not None and not self.problems


def check_index(index_dir: Path) -> IndexCheck:
    """Verify the live build and every embedding cache against their checksums, without
    loading anything for queries. Read-only: repairing is ``policyqa index --rebuild``."""
    started = time.perf_counter()
    index_dir = Path(index_dir)
    try:
        build = PolicyIndex.live_build(index_dir)
    except PolicyIndexError as err:
        return IndexCheck(None, [str(err)], seconds=time.perf_counter() - started)
    if build is None:
        return IndexCheck(None, [f"no index in {index_dir}; build it with `policyqa index`"])
    check = IndexCheck(build.name, verify_build(build))
    check.checked_files = sum(1 for p in build.rglob("*") if p.is_file())
    for path in sorted((index_dir / "cache").glob(f"*/{EmbeddingCache.FILE}")):
        try:
            keys, _, damaged = read_cache(path)
        except CacheError as err:
            check.problems.append(f"embedding cache {path.parent.name} {err}")
            continue
        check.cache_entries += len(keys)
        if len(damaged):
            check.problems.append(
                f"embedding cache {path.parent.name}: {len(damaged)} of {len(keys)} vectors do not match their digest"
            )
    check.seconds = time.perf_counter() - started
    return check


def batches_by_chars(texts: list[str], budget: int) -> Iterator[list[str]]:
    """``texts`` in batches of about ``budget`` characters, shortest texts first.

    Sorting by length keeps each batch's texts alike, so the model pads little; a budget in
    characters rather than a count of texts lets one call carry many short sentences or a
    few long passages, as the model's own packing does.
    """
    batch: list[str] = []
    size = 0
    for text in sorted(texts, key=len):
        if batch and size + len(text) > budget:
            yield batch
            batch, size = [], 0
        batch.append(text)
        size += len(text)
    if batch:
        yield batch


def embed_with_cache(
    embedder: Embedder,
    cache: EmbeddingCache,
    texts: list[str],
    progress: bool,
    label: str,
    batch_chars: int = DEFAULTS.embed_batch_chars,
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` (passages), embedding only those not cached. Returns (vectors, newly embedded)."""
    missing = list(dict.fromkeys(t for t in texts if cache.get(t) is None))
    if missing:
        from tqdm import tqdm

        bar = tqdm(total=len(missing), desc=label, unit="text", disable=not progress, leave=False)
        for batch in batches_by_chars(missing, batch_chars):
            cache.put_many(batch, embedder.embed_passages(batch))
            bar.update(len(batch))
        bar.close()
        cache.save()
    vectors = np.stack([cache.get(t) for t in texts]) if texts else np.zeros((0, cache.info.dim), np.float32)
    return vectors.astype(np.float32), len(missing)


class IndexBuilder:
    """Builds or updates the index of a corpus directory.

    Args:
        corpus_dir: folder of plan files (+ optional manifest.json).
        index_dir: where the index lives.
        embedder: the model; its identity is recorded in the manifest.
        chunker: the chunker (its settings are recorded; changing them re-chunks).
        coverage: reads the years each document covers (its settings are recorded too).
    """

    def __init__(
        self,
        corpus_dir: Path,
        index_dir: Path,
        embedder: Embedder,
        chunker: SectionChunker | None = None,
        tokenizer: ChineseTokenizer | None = None,
        embed_batch_chars: int = DEFAULTS.embed_batch_chars,
        min_sentence_chars: int = DEFAULTS.min_sentence_chars,
        max_plan_chars: int = DEFAULTS.max_plan_chars,
        originals: Originals | None = None,
        coverage: YearCoverage | None = None,
    ) -> None:
        if embed_batch_chars < 1 or min_sentence_chars < 1:
            raise ValueError(
                f"embed_batch_chars ({embed_batch_chars}) and min_sentence_chars ({min_sentence_chars}) must be ≥ 1"
            )
        self.embed_batch_chars = embed_batch_chars
        self.min_sentence_chars = min_sentence_chars
        self.max_plan_chars = max_plan_chars
        self.corpus_dir = Path(corpus_dir)
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.chunker = chunker or SectionChunker()
        self.coverage = coverage or YearCoverage()
        self.tokenizer = tokenizer
        # Originals other than plain text are converted once and kept in index/conversions.
        self.originals = originals or Originals(self.index_dir / "conversions")

    @property
    def chunker_signature(self) -> str:
        c = self.chunker
        return (
            f"{CHUNKER_VERSION}:{c.max_chars}:{c.min_chars}:{c.overlap_sentences}:{c.runin_max_len}"
            f":sentences-{self.min_sentence_chars}:facts-{EXTRACTORS_VERSION}:{self.coverage.signature}"
        )

    @contextmanager
    def _lock(self) -> Iterator[None]:
        if not self.corpus_dir.is_dir():  # checked before anything is created
            raise CorpusError(f"corpus directory not found: {self.corpus_dir.resolve()}")
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.index_dir / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _previous(self) -> tuple[dict, dict[str, Document], dict[str, dict[str, list]]]:
        """Manifest, documents by source, and rows by kind ("chunks", "indicators" …) then by
        source, of the live build, if it can be reused."""
        try:
            build = PolicyIndex.live_build(self.index_dir)
        except PolicyIndexError as err:
            log.warning("%s; building from scratch", err)
            return {}, {}, {}
        if build is None:
            return {}, {}, {}
        try:
            manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
            if manifest.get("format") != INDEX_FORMAT or manifest.get("chunker") != self.chunker_signature:
                return {}, {}, {}
            problems = verify_build(build)
            if problems:  # nothing of a damaged build is reused
                log.warning("the live index is damaged (%s); building from scratch", "; ".join(problems[:3]))
                return {}, {}, {}
            documents = {
                d["source"]: Document(**d) for d in json.loads((build / "documents.json").read_text(encoding="utf-8"))
            }
            kinds = {"chunks": Chunk, **{name: kind for name, (kind, _) in DERIVED.items()}}
            rows: dict[str, dict[str, list]] = {}
            for name, kind in kinds.items():
                for row in read_rows(build / f"{name}.jsonl", kind):
                    rows.setdefault(name, {}).setdefault(row.source, []).append(row)
            return manifest, documents, rows
        except (OSError, ValueError, KeyError, TypeError) as err:
            log.warning("previous index unreadable (%s); building from scratch", err)
            return {}, {}, {}

    def build(self, rebuild: bool = False, progress: bool = True) -> BuildReport:
        """Bring the index up to date with the corpus; returns what was done."""
        started = time.perf_counter()
        report = BuildReport()
        with self._lock():
            self.cleanup()
            if not rebuild:
                self._refuse_model_switch()
            manifest, old_docs, old_rows = ({}, {}, {}) if rebuild else self._previous()
            old_files: dict[str, str] = manifest.get("files", {})
            entries = load_manifest(self.corpus_dir)
            reader = MetadataReader()
            documents: list[Document] = []
            chunks: list[Chunk] = []
            derived: dict[str, list] = {name: [] for name in DERIVED}
            files: dict[str, str] = {}
            for path in corpus_files(self.corpus_dir):
                try:
                    raw = path.read_bytes()
                except OSError as err:
                    report.skipped[path.name] = str(err)
                    continue
                entry = entries.get(path.name)
                fingerprint = hashlib.sha256(raw + json.dumps(entry, sort_keys=True).encode()).hexdigest()
                if old_files.get(path.name) == fingerprint and path.name in old_docs:
                    documents.append(old_docs[path.name])
                    chunks.extend(old_rows.get("chunks", {}).get(path.name, []))
                    for name in DERIVED:
                        derived[name].extend(old_rows.get(name, {}).get(path.name, []))
                    files[path.name] = fingerprint
                    report.unchanged.append(path.name)
                    continue
                try:
                    document = load_document(path, entry, reader, self.max_plan_chars, self.originals)
                except CorpusError as err:
                    report.skipped[path.name] = str(err)
                    log.warning("skipped %s", err)
                    continue
                (report.changed if path.name in old_files else report.added).append(path.name)
                report.rechunked.append(path.name)
                if document.inferred:
                    report.inferred[path.name] = {k: getattr(document, k) for k in document.inferred}
                document_chunks = self.chunker.chunk(document)
                self.coverage.mark(document, document_chunks)
                documents.append(document)
                chunks.extend(document_chunks)
                for name, (_, extract) in DERIVED.items():
                    derived[name].extend(extract(document, document_chunks))
                files[path.name] = fingerprint
            report.removed = sorted(set(old_files) - set(files) - set(report.skipped))
            mark_same_scope(documents)
            ids = [d.doc_id for d in documents]
            duplicates = {i for i in ids if ids.count(i) > 1}
            if duplicates:
                raise CorpusError(f"two files share the document id(s) {sorted(duplicates)}; fix corpus/manifest.json")
            if not chunks:
                raise CorpusError(f"no usable plan text in {self.corpus_dir}")

            cache = EmbeddingCache(self.index_dir / "cache", self.embedder.info)
            chunk_vectors, new_chunks = embed_with_cache(
                self.embedder,
                cache,
                [c.embed_text for c in chunks],
                progress,
                "embedding passages",
                self.embed_batch_chars,
            )
            sentence_rows, sentence_texts = self._sentences(chunks)
            sentence_vectors, new_sentences = embed_with_cache(
                self.embedder, cache, sentence_texts, progress, "embedding sentences", self.embed_batch_chars
            )
            report.embedded = new_chunks + new_sentences
            report.cached = len(chunks) + len(sentence_texts) - report.embedded
            report.chunks = len(chunks)
            if report.noop and not rebuild and manifest:  # manifest: the live build was read and reused
                report.build = PolicyIndex.live_build(self.index_dir).name
            else:
                report.build = self._write(
                    documents, chunks, files, chunk_vectors, sentence_rows, sentence_vectors, derived
                )
        report.seconds = time.perf_counter() - started
        return report

    def _refuse_model_switch(self) -> None:
        """A live index built with another model needs ``--rebuild``: say so before any
        embedding is spent, with an estimate of how long the rebuild takes on this machine."""
        try:
            build = PolicyIndex.live_build(self.index_dir)
            manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8")) if build else {}
            built_with = EmbedderInfo(**manifest["embedder"]) if "embedder" in manifest else None
        except (PolicyIndexError, OSError, ValueError, TypeError):
            return  # a damaged index is rebuilt from scratch anyway
        if built_with is None or built_with == self.embedder.info:
            return
        texts = int(manifest.get("chunks", 0)) + int(manifest.get("sentences", 0))
        sample = [c.embed_text for c in read_rows(build / "chunks.jsonl", Chunk)[:8]] or ["样例"]
        started = time.perf_counter()
        self.embedder.embed_passages(sample)
        minutes = (time.perf_counter() - started) / len(sample) * texts / 60
        raise ModelMismatchError(
            f"the index in {self.index_dir} was built with {built_with.backend}:{built_with.model}; "
            f"switching to {self.embedder.info.backend}:{self.embedder.info.model} re-embeds all {texts} texts "
            f"(about {max(minutes, 0.1):.1f} min on this machine). Run `policyqa index --model "
            f"{self.embedder.info.spec} --rebuild` to do it, or keep --model {built_with.spec}."
        )

    def _sentences(self, chunks: list[Chunk]) -> tuple[list[SentenceRow], list[str]]:
        rows, texts = [], []
        for row, chunk in enumerate(chunks):
            for sentence in split_sentences(chunk.text, chunk.start):
                if len(sentence.text) >= self.min_sentence_chars:
                    rows.append(SentenceRow(row, sentence.start, sentence.end))
                    texts.append(sentence.text)
        return rows, texts

    def _write(
        self,
        documents: list[Document],
        chunks: list[Chunk],
        files: dict[str, str],
        chunk_vectors: np.ndarray,
        sentence_rows: list[SentenceRow],
        sentence_vectors: np.ndarray,
        derived: dict[str, list],
    ) -> str:
        name = f"build-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        tmp = self.index_dir / f".tmp-{name}"
        tmp.mkdir(parents=True)
        write_build(
            tmp,
            documents,
            chunks,
            chunk_vectors,
            BM25Index(self.tokenizer).fit([c.embed_text for c in chunks]),
            SentenceTable.from_rows(sentence_rows, len(chunks)),
            sentence_vectors,
            derived,
            {
                "embedder": asdict(self.embedder.info),
                "chunker": self.chunker_signature,
                "files": files,
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            },
        )
        try:
            previous = PolicyIndex.live_build(self.index_dir)
        except PolicyIndexError:
            previous = None
        final = self.index_dir / name
        os.replace(tmp, final)
        pointer = self.index_dir / f".CURRENT-{uuid.uuid4().hex}"
        pointer.write_text(name, encoding="utf-8")
        with open(pointer, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(pointer, self.index_dir / "CURRENT")  # the swap: readers see old or new, never half
        self.cleanup(keep={name, previous.name if previous else name})
        return name

    def cleanup(self, keep: set[str] | None = None) -> list[str]:
        """Remove what interrupted or failed builds left: temporary pointers, half-written
        builds and cache files, and every build that is neither live nor in ``keep``.

        The build that was live before a swap stays one generation, so that a reader that
        read CURRENT just before the swap can still open it; a finished build that never
        went live (a crash before the swap) is an orphan and goes.
        """
        try:
            live = PolicyIndex.live_build(self.index_dir)
        except PolicyIndexError:
            live = None
        # A CURRENT that is unreadable or names no build: no build can be told to be an orphan.
        known = live is not None or not (self.index_dir / "CURRENT").exists()
        keep = set(keep or ()) | ({live.name} if live else set())
        removed = []
        for path in self.index_dir.glob("build-*"):
            if known and path.is_dir() and path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path.name)
        leftovers = [*self.index_dir.glob(".tmp-build-*"), *self.index_dir.glob(".CURRENT-*")]
        cache = self.index_dir / "cache"
        if cache.is_dir():
            for pattern in (".cache-*", ".vectors-*", ".keys-*", "keys.json", "vectors.npy"):
                leftovers += list(cache.glob(f"*/{pattern}"))
        for path in leftovers:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path.name)
        if removed:
            log.info("removed leftovers of earlier builds: %s", ", ".join(sorted(removed)))
        return removed
