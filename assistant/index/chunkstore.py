"""Where the first retrieval stage runs: the local index files, or Milvus.

The first stage of retrieval scores the chunks a question may return by their chunk
vector (cosine) and BM25, and keeps the best ``depth``; the second stage (sentences,
terms, in :mod:`assistant.ask.retrieval`) works on those few only. A :class:`ChunkStore`
is that first stage:

- :class:`LocalChunkStore` (the default): numpy over the memory-held chunk vectors and
  the memory-mapped BM25 matrix of the loaded :class:`PolicyIndex`; exact.
- :class:`~assistant.index.milvus.MilvusChunkStore`: the same scores from a Milvus
  collection (Milvus Lite in-process, or a Milvus server shared by several machines),
  with the filters pushed down as a filter expression.

Both return a :class:`FirstStage` with the same meaning, so the fusion
``cosine + weight · bm25 / max(bm25)`` is computed in one place whatever the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .store import PolicyIndex


@dataclass(frozen=True)
class Allowed:
    """The chunks a query may return, as rows of the index and as the conditions they
    came from (for a store that filters on its own side).

    ``doc_ids`` is None when every plan is allowed; ``years`` match the plan's year or the
    year a passage reviews, and outside review sections the plans of ``covering`` (which
    cover one of the years as a whole: "2022年总结和2023年要点"); ``records`` admits the
    publisher's record chunks.
    """

    rows: np.ndarray
    doc_ids: list[str] | None
    years: list[int]
    records: bool
    covering: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FirstStage:
    """The best chunks by the first stage: their rows with chunk cosine and raw BM25, and
    the largest BM25 over every allowed chunk (the normaliser of the fusion)."""

    rows: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray
    lexical_top: float

    def best(self, weight: float, depth: int) -> FirstStage:
        """The ``depth`` best of these by ``cosine + weight · bm25 / lexical_top`` (all when no more)."""
        if len(self.rows) <= depth:
            return self
        fused = self.dense + (weight * self.lexical / self.lexical_top if self.lexical_top > 0 else 0.0)
        keep = np.argpartition(-fused, depth - 1)[:depth]
        return FirstStage(self.rows[keep], self.dense[keep], self.lexical[keep], self.lexical_top)


class ChunkStore(Protocol):
    """The first retrieval stage over one loaded index."""

    name: str

    def first_stage(
        self, vector: np.ndarray, lexical_query: str, weight: float, allowed: Allowed, depth: int
    ) -> FirstStage:
        """The ``depth`` best allowed chunks by ``cosine + weight · bm25 / max(bm25)``
        (all of them when there are no more), in no particular order."""
        ...


class LocalChunkStore:
    """The first stage over the loaded index itself (exact, no server)."""

    name = "local"

    def __init__(self, index: PolicyIndex) -> None:
        self.index = index

    def first_stage(
        self, vector: np.ndarray, lexical_query: str, weight: float, allowed: Allowed, depth: int
    ) -> FirstStage:
        rows = allowed.rows
        matrix = self.index.chunk_vectors
        if len(rows) * 4 >= len(matrix):
            # Most of the index is allowed: one product over the stored matrix (no copy).
            dense = (matrix @ vector)[rows].astype(np.float32)
        else:
            dense = (matrix[rows] @ vector).astype(np.float32)
        lexical = self.index.lexical.scores(lexical_query)[rows]
        top = float(lexical.max()) if len(lexical) else 0.0
        return FirstStage(rows, dense, lexical, top).best(weight, depth)
