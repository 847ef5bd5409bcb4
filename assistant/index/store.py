"""The on-disk index: chunks, FAISS vectors, BM25, sentence vectors and a manifest.

Layout of ``index/``::

    CURRENT                 name of the live build directory (swapped atomically)
    build-<time>-<id>/      manifest.json, documents.json, chunks.jsonl, dense.faiss,
                            sentence_spans.npy, sentences.npy, bm25/,
                            indicators.jsonl, references.jsonl, items.jsonl (facts per plan)
    cache/<model key>/      embedding cache: vectors keyed by sha256 of the embedded text
    .lock                   held while a build runs

:class:`IndexBuilder` builds incrementally: files whose content and manifest entry are
unchanged keep their chunks (not re-chunked), and any text already in the embedding
cache is not re-embedded. A build is written to a fresh directory and only then made
live by rewriting ``CURRENT``, so a crash leaves the previous index usable.
:class:`PolicyIndex` (here) is a loaded, read-only index; :mod:`.builder` writes builds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..facts import Indicator, IndicatorExtractor, Reference, ReferenceExtractor, ResponsibilityItem, extract_items
from ..schema import Chunk, Document
from .embeddings import EmbedderError, EmbedderInfo
from .lexical import BM25Index, ChineseTokenizer

log = logging.getLogger(__name__)


def _indicators(document: Document, chunks: list[Chunk]) -> list:
    return IndicatorExtractor().extract(document, [(c.start, c.end) for c in chunks])


# Facts extracted from each plan and stored beside its chunks: (record class, extractor).
# Like chunks, they are recomputed only for files that changed.
DERIVED: dict[str, tuple[type, Callable[[Document, list[Chunk]], list]]] = {
    "indicators": (Indicator, _indicators),
    "references": (Reference, lambda document, chunks: ReferenceExtractor().extract(document)),
    "items": (ResponsibilityItem, lambda document, chunks: extract_items(document)),
}

INDEX_FORMAT = 6

REPAIR = "rebuild it with `policyqa index --rebuild`"


class PolicyIndexError(RuntimeError):
    """Base class for index problems; messages say what to run to fix them."""


class IndexMissingError(PolicyIndexError):
    pass


class IndexCorruptError(PolicyIndexError):
    pass


class ModelMismatchError(PolicyIndexError, EmbedderError):
    pass


def file_checksums(directory: Path) -> dict[str, str]:
    """SHA-256 of every file of a build folder, by path relative to it (manifest excluded)."""
    sums = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.name != "manifest.json":
            sums[path.relative_to(directory).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return sums


def verify_build(build: Path) -> list[str]:
    """Problems with a build folder's files against the checksums in its manifest ([] = intact).

    Reads every file once (about 2 MB for the bundled corpus); does not load anything for
    queries, so ``policyqa index --check`` and :meth:`PolicyIndex.load` share it.
    """
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return [f"manifest.json unreadable ({type(err).__name__})"]
    if manifest.get("format") != INDEX_FORMAT:
        return [f"format {manifest.get('format')}, this policyqa reads {INDEX_FORMAT}"]
    expected = manifest.get("checksums")
    if not isinstance(expected, dict) or not expected:
        return ["manifest.json has no checksums"]
    found = file_checksums(build)
    problems = [f"{name} is missing" for name in sorted(set(expected) - set(found))]
    problems += [
        f"{name} does not match its checksum"
        for name in sorted(expected)
        if name in found and found[name] != expected[name]
    ]
    problems += [f"{name} is not part of the build" for name in sorted(set(found) - set(expected))]
    return problems


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def read_rows(path: Path, kind: type) -> list:
    with open(path, encoding="utf-8") as handle:
        return [kind(**json.loads(line)) for line in handle if line.strip()]


def read_chunks(path: Path) -> list[Chunk]:
    """The chunks of a build without their ``embed_text``: the embedder and BM25 saw it at
    build time, and no query needs it again (it is a third of a loaded chunk's memory)."""
    with open(path, encoding="utf-8") as handle:
        return [Chunk(**{**json.loads(line), "embed_text": ""}) for line in handle if line.strip()]


def write_rows(path: Path, rows: list) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")


@dataclass(slots=True)
class SentenceRow:
    """A sentence of a chunk, embedded at build time for extractive answers."""

    chunk: int  # row of the chunk in the index
    start: int
    end: int


class SentenceTable:
    """The embedded sentences of every chunk, stored chunk by chunk as three integer arrays.

    Arrays rather than one object per sentence: a province's plans hold millions of
    sentences, and the load time and memory of Python objects grow with them.
    ``table[row]`` gives a :class:`SentenceRow`; ``table.rows_of(chunk_row)`` the range of
    sentence rows of one chunk.
    """

    def __init__(self, chunk: np.ndarray, start: np.ndarray, end: np.ndarray, chunks: int) -> None:
        self.chunk = np.asarray(chunk, dtype=np.int64)
        self.start = np.asarray(start, dtype=np.int64)
        self.end = np.asarray(end, dtype=np.int64)
        if not (len(self.chunk) == len(self.start) == len(self.end)):
            raise ValueError("sentence arrays of different lengths")
        if len(self.chunk) and (np.any(np.diff(self.chunk) < 0) or self.chunk[0] < 0 or self.chunk[-1] >= chunks):
            raise ValueError("sentence rows are not stored chunk by chunk")
        # offsets[c]:offsets[c + 1] are the sentence rows of chunk c.
        self.offsets = np.searchsorted(self.chunk, np.arange(chunks + 1), side="left")

    @classmethod
    def from_rows(cls, rows: list[SentenceRow], chunks: int) -> SentenceTable:
        spans = np.array([(r.chunk, r.start, r.end) for r in rows], dtype=np.int64).reshape(-1, 3)
        return cls(spans[:, 0], spans[:, 1], spans[:, 2], chunks)

    @classmethod
    def load(cls, path: Path, chunks: int) -> SentenceTable:
        spans = np.load(path)
        if spans.ndim != 2 or spans.shape[1] != 3:
            raise ValueError(f"{path.name} has shape {spans.shape}, expected (n, 3)")
        return cls(spans[:, 0], spans[:, 1], spans[:, 2], chunks)

    def save(self, path: Path) -> None:
        np.save(path, np.stack([self.chunk, self.start, self.end], axis=1).astype(np.int64))

    def __len__(self) -> int:
        return len(self.chunk)

    def __getitem__(self, row: int) -> SentenceRow:
        return SentenceRow(int(self.chunk[row]), int(self.start[row]), int(self.end[row]))

    def __iter__(self):
        return (self[row] for row in range(len(self)))

    def rows_of(self, chunk_row: int) -> range:
        """The sentence rows of one chunk (empty for a chunk without quotable sentences)."""
        return range(int(self.offsets[chunk_row]), int(self.offsets[chunk_row + 1]))


def write_build(
    folder: Path,
    documents: list[Document],
    chunks: list[Chunk],
    chunk_vectors: np.ndarray,
    lexical: BM25Index,
    sentences: SentenceTable,
    sentence_vectors: np.ndarray,
    derived: dict[str, list],
    manifest: dict,
) -> None:
    """Write a build's files into ``folder`` in this format, the manifest last: ``manifest``
    completed with the format, the checksums of the files and their counts. The one writer
    of builds (:class:`~assistant.index.builder.IndexBuilder`, and the scale benchmark's
    synthetic ones), so that every build is read by :meth:`PolicyIndex.load` alike."""
    import faiss

    dense = faiss.IndexFlatIP(chunk_vectors.shape[1])
    dense.add(np.ascontiguousarray(chunk_vectors, dtype=np.float32))
    # Serialised here and written by Python: a full disk is then an OSError (ENOSPC) the
    # interfaces report in one line, not faiss's RuntimeError with a C++ trace.
    (folder / "dense.faiss").write_bytes(faiss.serialize_index(dense).tobytes())
    lexical.save(folder / "bm25")
    write_json(folder / "documents.json", [asdict(d) for d in documents])
    write_rows(folder / "chunks.jsonl", chunks)
    sentences.save(folder / "sentence_spans.npy")
    for kind, rows in derived.items():
        write_rows(folder / f"{kind}.jsonl", rows)
    # Half precision: sentence vectors are 4–5 per chunk, the largest part of an index in
    # memory; scores are computed in float32 on the few rows a query touches.
    np.save(folder / "sentences.npy", np.asarray(sentence_vectors, dtype=np.float16))
    complete = {**manifest, "format": INDEX_FORMAT, "checksums": file_checksums(folder)}
    complete.update(documents=len(documents), chunks=len(chunks), sentences=len(sentences))
    write_json(folder / "manifest.json", complete)


class PolicyIndex:
    """A loaded index: documents, chunks, dense and lexical indexes, sentence vectors.

    Open with :meth:`load`. Pass the embedder you will query with: a model that does
    not match the one that built the index is refused with :class:`ModelMismatchError`.
    """

    def __init__(
        self,
        path: Path,
        manifest: dict,
        documents: dict[str, Document],
        chunks: list[Chunk],
        dense,
        lexical: BM25Index,
        sentences: SentenceTable,
        sentence_vectors: np.ndarray,
        derived: dict[str, list] | None = None,
    ) -> None:
        self.path = path
        self.derived = derived or {name: [] for name in DERIVED}
        self.manifest = manifest
        self.documents = documents
        self.chunks = chunks
        self.dense = dense
        self.lexical = lexical
        self.sentences = sentences
        self.sentence_vectors = sentence_vectors
        self._chunk_vectors: np.ndarray | None = None
        self.row_of: dict[str, int] = {c.chunk_id: row for row, c in enumerate(chunks)}
        # Chunks of each plan in reading order, for "which chunk holds this position".
        self._spans: dict[str, list[tuple[int, int, int]]] = {}
        for row, chunk in enumerate(chunks):
            self._spans.setdefault(chunk.doc_id, []).append((chunk.start, chunk.end, row))
        for spans in self._spans.values():
            spans.sort()

    def chunk(self, chunk_id: str) -> Chunk | None:
        """The chunk with this id (O(1)), or None."""
        row = self.row_of.get(chunk_id)
        return None if row is None else self.chunks[row]

    def chunk_at(self, doc_id: str, position: int) -> Chunk | None:
        """The (first) body chunk of ``doc_id`` whose span holds ``position``, or None."""
        for start, end, row in self._spans.get(doc_id, []):
            if start <= position < end and not self.chunks[row].is_record:
                return self.chunks[row]
            if start > position:
                break
        return None

    def sentence_text(self, row: int) -> str:
        """The text of sentence row ``row``."""
        sentence = self.sentences[row]
        return self.documents[self.chunks[sentence.chunk].doc_id].text[sentence.start : sentence.end]

    def sentence_rows(self, chunk_row: int) -> range:
        """The sentence rows of the chunk at ``chunk_row``."""
        return self.sentences.rows_of(chunk_row)

    @property
    def chunk_vectors(self) -> np.ndarray:
        """Every chunk's vector as one (chunks × dim) array: a view of the FAISS index's own
        storage, not a copy (a flat index stores exactly this matrix)."""
        import faiss

        if self._chunk_vectors is None:
            dense = self.dense
            if hasattr(dense, "get_xb"):
                self._chunk_vectors = faiss.rev_swig_ptr(dense.get_xb(), dense.ntotal * dense.d).reshape(
                    dense.ntotal, dense.d
                )
            else:  # another index type: reconstructed once
                self._chunk_vectors = dense.reconstruct_n(0, dense.ntotal)
        return self._chunk_vectors

    @property
    def indicators(self) -> list[Indicator]:
        return self.derived["indicators"]

    @property
    def references(self) -> list[Reference]:
        return self.derived["references"]

    @property
    def items(self) -> list[ResponsibilityItem]:
        return self.derived["items"]

    @property
    def embedder_info(self) -> EmbedderInfo:
        return EmbedderInfo(**self.manifest["embedder"])

    @staticmethod
    def live_build(index_dir: Path) -> Path | None:
        """The folder of the live build, or None when there is none.

        Raises :class:`IndexCorruptError` when ``CURRENT`` exists but does not name a build
        (garbled bytes, a path outside the index): guessing would serve the wrong data.
        """
        current = index_dir / "CURRENT"
        if not current.exists():
            return None
        try:
            name = current.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as err:
            raise IndexCorruptError(f"{current} is unreadable ({type(err).__name__}); {REPAIR}") from err
        if not re.fullmatch(r"build-[0-9T]+-[0-9a-f]+", name):
            raise IndexCorruptError(f"{current} does not name a build; {REPAIR}")
        build = index_dir / name
        return build if build.is_dir() else None

    @classmethod
    def exists(cls, index_dir: Path) -> bool:
        return cls.live_build(Path(index_dir)) is not None

    @classmethod
    def load(
        cls,
        index_dir: Path,
        embedder_info: EmbedderInfo | None = None,
        tokenizer: ChineseTokenizer | None = None,
        verify: bool = True,
    ) -> PolicyIndex:
        """Open the live build of ``index_dir``.

        With ``verify`` (the default) every file is checked against the checksums in the
        manifest first; a damaged build is refused with :class:`IndexCorruptError` naming the
        damaged files and the command that repairs it.
        """
        import faiss

        index_dir = Path(index_dir)
        build = cls.live_build(index_dir)
        if build is None:
            raise IndexMissingError(f"no index in {index_dir}; build it with `policyqa index`")
        try:
            manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise IndexCorruptError(f"the index in {index_dir} has an unreadable manifest; {REPAIR}") from err
        if manifest.get("format") != INDEX_FORMAT:
            raise IndexCorruptError(
                f"index in {index_dir} has format {manifest.get('format')}, "
                f"this policyqa reads {INDEX_FORMAT}; {REPAIR}"
            )
        if verify:
            problems = verify_build(build)
            if problems:
                more = " …" if len(problems) > 3 else ""
                raise IndexCorruptError(
                    f"the index in {index_dir} is damaged: {'; '.join(problems[:3])}{more}; {REPAIR}"
                )
        try:
            built_with = EmbedderInfo(**manifest["embedder"])
            if embedder_info is not None and embedder_info != built_with:
                raise ModelMismatchError(
                    f"the index in {index_dir} was built with {built_with.backend}:{built_with.model} "
                    f"({built_with.dim}-d) but the model in use is {embedder_info.backend}:{embedder_info.model} "
                    f"({embedder_info.dim}-d). Query with --model {built_with.spec}, or rebuild the index "
                    f"for this model with `policyqa index --model {embedder_info.spec} --rebuild`."
                )
            documents = {
                d["doc_id"]: Document(**d) for d in json.loads((build / "documents.json").read_text(encoding="utf-8"))
            }
            chunks = read_chunks(build / "chunks.jsonl")
            dense = faiss.read_index(str(build / "dense.faiss"))
            lexical = BM25Index.load(build / "bm25", tokenizer)
            sentences = SentenceTable.load(build / "sentence_spans.npy", len(chunks))
            # Memory-mapped: a query reads the sentences of a few hundred chunks, so the rest
            # stay on disk (in the page cache when memory allows) instead of in the process.
            sentence_vectors = np.load(build / "sentences.npy", mmap_mode="r")
            derived = {name: read_rows(build / f"{name}.jsonl", kind) for name, (kind, _) in DERIVED.items()}
        except PolicyIndexError:
            raise
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as err:
            raise IndexCorruptError(
                f"the index in {index_dir} is damaged ({type(err).__name__}: {err}); {REPAIR}"
            ) from err
        if dense.ntotal != len(chunks) or lexical.size != len(chunks) or len(sentence_vectors) != len(sentences):
            raise IndexCorruptError(
                f"the index in {index_dir} is inconsistent (chunks {len(chunks)}, vectors {dense.ntotal}, "
                f"bm25 {lexical.size}); {REPAIR}"
            )
        for chunk in chunks:
            if chunk.doc_id not in documents:
                raise IndexCorruptError(f"the index in {index_dir} lists a chunk of unknown document {chunk.doc_id}")
        return cls(build, manifest, documents, chunks, dense, lexical, sentences, sentence_vectors, derived)
