"""Settings: every number lives in Settings, reaches the component that uses it, and bad values are refused."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from assistant.config import DEFAULTS, Settings, SettingsError
from assistant.interfaces.cli import main
from assistant.pipeline import Engine, PolicyQA

# Field → where the built system holds it: (component, attribute, how the value is stored).
WIRING = {
    "chunk_max_chars": ("chunker", "max_chars"),
    "chunk_min_chars": ("chunker", "min_chars"),
    "chunk_overlap_sentences": ("chunker", "overlap_sentences"),
    "chunk_runin_max_chars": ("chunker", "runin_max_len"),
    "min_sentence_chars": ("builder", "min_sentence_chars"),
    "embed_batch_chars": ("builder", "embed_batch_chars"),
    "top_k": ("router", "top_k"),
    "max_question_chars": ("analyzer", "max_chars"),
    "max_plan_chars": ("builder", "max_plan_chars"),
    "filter_policy": ("router", "policy"),
    "lexical_weight": ("searcher", "lexical_weight"),
    "expansion_weight": ("searcher", "expansion_weight"),
    "sentence_weight": ("searcher", "sentence_weight"),
    "sentence_term_weight": ("searcher", "sentence_term_weight"),
    "per_plan_depth": ("searcher", "per_plan_depth"),
    "query_cache_size": ("searcher", "query_cache_size"),
    "rerank_depth": ("searcher", "rerank_depth"),
    "sentence_lexical_weight": ("scorer", "lexical_weight"),
    "rank_penalty": ("scorer", "rank_penalty"),
    "figure_bonus": ("scorer", "figure_bonus"),
    "unit_bonus": ("scorer", "unit_bonus"),
    "record_field_bonus": ("scorer", "record_field_bonus"),
    "answer_passages": ("extractive", "passages"),
    "answer_max_sentences": ("extractive", "max_sentences"),
    "abstain_below_zh": ("extractive", "abstain_below"),
    "abstain_below_en": ("extractive", "abstain_below"),
    "min_topic_coverage": ("extractive", "min_topic_coverage"),
    "quote_window_zh": ("extractive", "quote_window_zh"),
    "english_quote_window": ("extractive", "english_quote_window"),
    "per_plan_leniency": ("extractive", "per_plan_leniency"),
    "min_passage_similarity_zh": ("extractive", "min_passage_similarity_zh"),
    "topic_mention_share": ("verifier", "topic_mention_share"),
    "topic_rarest_words": ("verifier", "topic_rarest_words"),
    "outline_min_share": ("outline", "min_share"),
    "answer_min_confidence": ("extractive", "min_confidence"),
    "near_miss_quotes": ("extractive", "near_miss_quotes"),
    "list_max_sentences": ("extractive", "list_max_sentences"),
    "entity_max_word_freq": ("verifier", "entity_max_word_freq"),
    "responsibility_lexical_weight": ("responsibilities", "lexical_weight"),
    "responsibility_leniency": ("router.responsibility", "leniency"),
    "compare_passages": ("comparer", "passages"),
    "compare_leniency": ("comparer", "leniency"),
    "compare_quote_window": ("comparer", "quote_window"),
    "compare_min_coverage": ("comparer", "min_coverage"),
    "indicator_topic_share": ("comparer", "indicator_topic_share"),
    "track_min_similarity": ("tracker", "min_similarity"),
    "track_about_tolerance": ("tracker", "tolerance"),
    "english_statement_min_coverage": ("extractive.glossary", "min_coverage"),
    "coverage_max_horizon_years": ("builder.coverage", "max_horizon_years"),
    "coverage_head_chars": ("builder.coverage", "head_chars"),
}
# Used where the index is opened and built; tested by the index and backend tests.
NOT_TUNING = {"corpus_dir", "index_dir", "users_file", "model", "verifier_model"}
# Bounds read by the interfaces (CLI batch files, page uploads): tested by tests/test_faults.py.
NOT_TUNING |= {"max_batch_bytes", "max_upload_text_bytes", "max_upload_bytes", "embed_max_chars"}
# Limits and knobs of reading originals (PDF, scans, .docx, web pages): tested by tests/test_convert.py
# and tests/test_originals.py (Settings.convert_options() passes them on), measured by benchmarks/formats.py.
NOT_TUNING |= {"convert_max_pages", "convert_max_seconds", "convert_max_image_pixels", "convert_max_memory_bytes"}
NOT_TUNING |= {"ocr_dpi", "min_ocr_confidence", "min_ocr_document_confidence", "low_ocr_confidence", "min_page_cjk"}
# The server's doors (logins, sessions, upload quota): tested by tests/test_security.py and
# tests/test_faults.py, measured by benchmarks/faults.py.
NOT_TUNING |= {"login_max_failures", "login_address_max_failures", "login_window_seconds", "login_lockout_seconds"}
NOT_TUNING |= {"session_check_seconds", "upload_quota_bytes", "upload_cache_seconds"}
# Thread pools of the embedding model: speed only, measured by benchmarks/scale.py.
NOT_TUNING |= {"query_threads", "build_threads"}
# Where the first retrieval stage runs: tested against the local store by tests/test_milvus.py.
NOT_TUNING |= {"milvus_uri", "milvus_publish", "milvus_hnsw_ef", "milvus_poll_seconds"}
# The LLM answerer and its endpoint: tested with a loopback chat server by tests/test_llm.py.
NOT_TUNING |= {"answerer", "llm_base_url", "llm_model", "llm_api_key", "llm_timeout", "llm_temperature"}


def _changed(name: str, value: object) -> object:
    if name == "filter_policy":
        return "explicit_replaces"
    if isinstance(value, int):
        return value + 1
    return round(value * 0.5 + 0.013, 4)


def _holder(qa: PolicyQA, engine: Engine, where: str) -> object:
    if where == "chunker":
        return qa.chunker()
    holder: object = engine
    if where.split(".")[0] == "builder":
        holder, where = qa.builder(), where.removeprefix("builder").removeprefix(".")
    for part in filter(None, where.split(".")):
        holder = getattr(holder, part)
    return holder


def test_every_setting_is_wired_or_named_as_not_tuning():
    assert set(WIRING) | NOT_TUNING == {f.name for f in fields(Settings)}


@pytest.mark.parametrize("name", sorted(WIRING))
def test_each_setting_reaches_the_component_that_uses_it(qa, name):
    value = _changed(name, getattr(DEFAULTS, name))
    settings = replace(qa.settings, **{name: value})
    if name in ("chunk_min_chars",):
        settings = replace(settings, chunk_min_chars=DEFAULTS.chunk_min_chars + 7)
        value = settings.chunk_min_chars
    other = PolicyQA(settings, qa.embedder, qa.tokenizer)
    engine = Engine.build(qa.index, qa.embedder, settings)
    component, attribute = WIRING[name]
    stored = getattr(_holder(other, engine, component), attribute)
    if name == "abstain_below_zh":
        stored = stored[0]
    elif name == "abstain_below_en":
        stored = stored[1]
    elif name == "filter_policy":
        stored = stored.value
    assert stored == value


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"top_k": 0}, "top_k"),
        ({"top_k": -5}, "top_k"),
        ({"chunk_max_chars": 0}, "chunk_"),
        ({"lexical_weight": -0.1}, "lexical_weight"),
        ({"sentence_weight": 1.5}, "sentence_weight"),
        ({"abstain_below_zh": float("nan")}, "abstain_below_zh"),
        ({"filter_policy": "whatever"}, "filter_policy"),
        ({"chunk_min_chars": 600}, "chunk_min_chars"),
    ],
)
def test_bad_values_are_refused_naming_the_setting(overrides, named):
    with pytest.raises(SettingsError, match=named):
        Settings(**overrides)


def test_environment_values_are_checked_and_named(monkeypatch):
    monkeypatch.setenv("POLICYQA_TOP_K", "abc")
    with pytest.raises(SettingsError, match="POLICYQA_TOP_K='abc'"):
        Settings.from_env()
    monkeypatch.setenv("POLICYQA_TOP_K", "7")
    monkeypatch.setenv("POLICYQA_LEXICAL_WEIGHT", "0.2")
    settings = Settings.from_env()
    assert settings.top_k == 7 and settings.lexical_weight == 0.2


def test_cli_reports_a_bad_setting_in_one_line(monkeypatch, capsys):
    monkeypatch.setenv("POLICYQA_CHUNK_MAX_CHARS", "0")
    assert main(["search", "老年医学科", "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("policyqa: error: chunk_max_chars") and "Traceback" not in err
