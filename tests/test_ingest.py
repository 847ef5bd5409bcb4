"""Uploading a plan without the browser: conversion, validation and refusals (assistant.corpus.ingest)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from assistant.corpus import CorpusError, load_document
from assistant.corpus.ingest import extract_text, ingest_upload, safe_stem, target_path

from .conftest import CORPUS

PLAN_TITLE = "2023年测试县卫生健康工作要点"
UNIQUE = "力争全县建成智慧健康小屋88个，覆盖全部行政村。"


def plan_text() -> str:
    """A made-up county plan: a title, a distinctive target, then part of a real plan's body."""
    body = (CORPUS / "donghai-2021.txt").read_text(encoding="utf-8")
    start = body.find("一、")
    return f"{PLAN_TITLE}\n一、推进健康小屋建设\n（一）建设智慧健康小屋。{UNIQUE}\n" + body[start : start + 1200]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "donghai-2021.txt").write_bytes((CORPUS / "donghai-2021.txt").read_bytes())
    return folder


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder


def test_gbk_txt_is_converted_to_utf8(corpus, uploads):
    source = uploads / "测试县计划.txt"
    source.write_bytes(plan_text().encode("gbk"))
    target = ingest_upload(source, corpus)
    assert target == corpus / "测试县计划.txt"
    written = target.read_bytes().decode("utf-8")  # strict UTF-8 now
    assert UNIQUE in written and PLAN_TITLE in written
    document = load_document(target)
    assert document.title == PLAN_TITLE and document.year == 2023
    assert not list(corpus.glob("*.part")) and not list(corpus.glob(".*"))


def test_utf8_md_with_bom_and_crlf(corpus, uploads):
    source = uploads / "plan.md"
    source.write_bytes(b"\xef\xbb\xbf" + plan_text().replace("\n", "\r\n").encode("utf-8"))
    target = ingest_upload(source, corpus)
    assert target.suffix == ".txt"
    text = target.read_text(encoding="utf-8")
    assert "\r" not in text and text.startswith(PLAN_TITLE)


def test_docx_is_kept_as_given_and_read_with_its_table(corpus, uploads):
    import docx

    document = docx.Document()
    for line in plan_text().splitlines():
        document.add_paragraph(line)
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "智慧健康小屋"
    table.cell(0, 1).text = "88个"
    source = uploads / "county.docx"
    document.save(source)
    target = ingest_upload(source, corpus)
    assert target.name == "county.docx" and target.read_bytes() == source.read_bytes()  # the original, as given
    document = load_document(target)
    assert document.kind == "docx" and UNIQUE in document.text
    assert "智慧健康小屋；88个" in document.text  # a header-less one-row table: its cells as one statement


def test_pdf_with_text_layer(corpus, uploads):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    source = uploads / "scan-free.pdf"
    figure = plt.figure(figsize=(8, 4))
    for i, line in enumerate(plan_text().splitlines()[:6]):
        figure.text(0.02, 0.9 - i * 0.12, line[:40])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # glyphs missing from the default font: the text layer is still there
        figure.savefig(source, format="pdf")
    plt.close(figure)
    target = ingest_upload(source, corpus)
    assert target.suffix == ".pdf" and target.read_bytes() == source.read_bytes()
    document = load_document(target)
    assert PLAN_TITLE in document.text and document.kind == "pdf"
    assert [p.number for p in document.pages] == [1]


def test_pdf_of_blank_pages_is_refused(corpus, uploads):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    source = uploads / "scanned.pdf"
    with open(source, "wb") as handle:
        writer.write(handle)
    with pytest.raises(CorpusError, match="pages are blank"):
        ingest_upload(source, corpus)
    assert sorted(p.name for p in corpus.iterdir()) == ["donghai-2021.txt"]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"  \n\n ", "empty|no text"),
        ("image.txt", bytes(range(256)) * 8, "binary"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + os.urandom(64), "not a readable image"),
        ("plan.doc", "2023年测试县卫生健康工作要点".encode(), "wrong file type"),
        ("noext", b"abc", "wrong file type"),
        ("english.txt", b"A plan without any Chinese text. " * 20, "no Chinese"),
        ("broken.docx", b"PK not really a zip", "not a valid Word document"),
        ("broken.pdf", b"%PDF-1.4 garbage", "PDF"),
        ("latin1.txt", "Gesundheit für alle ".encode("latin-1") * 30, "garbled"),
        ("big5.txt", "二零二三年測試縣衛生健康工作要點，推進醫養結合。".encode("big5") * 5, "garbled"),
        ("cut.txt", "卫生健康".encode("gbk") * 10 + b"\x81", "not UTF-8 or GBK"),
    ],
)
def test_bad_files_are_refused_with_the_reason(corpus, uploads, name, data, reason):
    source = uploads / name
    source.write_bytes(data)
    before = sorted(p.name for p in corpus.iterdir())
    with pytest.raises(CorpusError, match=reason) as err:
        ingest_upload(source, corpus)
    assert name in str(err.value)
    assert sorted(p.name for p in corpus.iterdir()) == before  # nothing written, nothing left over


def test_same_text_twice_is_refused(corpus, uploads):
    source = uploads / "again.txt"
    source.write_bytes((CORPUS / "donghai-2021.txt").read_bytes())
    with pytest.raises(CorpusError, match=r"already in the corpus as donghai-2021\.txt"):
        ingest_upload(source, corpus)


def test_names_never_overwrite_or_reuse_a_document_id(corpus, uploads):
    source = uploads / "donghai-2021.txt"
    source.write_text(plan_text(), encoding="utf-8")
    first = ingest_upload(source, corpus)
    assert first.name == "donghai-2021-2.txt"
    source.write_text(plan_text() + "\n补充。", encoding="utf-8")
    assert ingest_upload(source, corpus).name == "donghai-2021-3.txt"
    # a manifest id counts as taken too
    (corpus / "manifest.json").write_text('{"documents": {"x.txt": {"id": "county"}}}', encoding="utf-8")
    assert target_path(corpus, "county.docx").name == "county-2.docx"  # the original kept under its own suffix
    assert (corpus / "donghai-2021.txt").read_bytes() == (CORPUS / "donghai-2021.txt").read_bytes()


def test_safe_stem_keeps_chinese_and_drops_path_parts():
    assert safe_stem("测试县 2023 计划.txt") == "测试县_2023_计划"
    assert safe_stem("../../etc/passwd.txt") == "passwd"
    assert safe_stem("???.txt") == "plan"


def test_extract_text_uses_the_given_name_for_type_and_messages(uploads):
    source = uploads / "tmp12345"
    source.write_bytes(plan_text().encode("gb18030"))
    assert UNIQUE in extract_text(source, "县计划.txt")
    with pytest.raises(CorpusError, match=r"县计划\.exe: wrong file type"):
        extract_text(source, "县计划.exe")


def test_missing_corpus_folder(uploads, tmp_path):
    source = uploads / "plan.txt"
    source.write_text(plan_text(), encoding="utf-8")
    with pytest.raises(CorpusError, match="corpus directory not found"):
        ingest_upload(source, tmp_path / "nope")
