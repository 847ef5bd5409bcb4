"""Real originals in the corpus: PDFs, a scan, a .docx with a target table and a saved portal page,
made by their real producers (tests/formats.py), indexed through the project's own loading and
asked like the plain-text plans. Nothing here knows the converter's expected output: metadata is
compared with the same plan's .txt, answers with the plan's own figures."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.convert.cleanup import radical_count
from assistant.corpus import load_document
from assistant.pipeline import PolicyQA

from . import formats as F
from .conftest import CORPUS, ROOT

METADATA = ("title", "region", "level", "year", "doc_number")


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> dict[str, Path]:
    """stem → original: zhejiang as a Chromium PDF, kaifeng as .docx with a target table, suining as a
    saved portal page, changzhou's first two pages as a scan; donghai stays .txt."""
    try:
        F.require_tools()
    except F.ToolMissing as err:
        pytest.fail(str(err))
    out = tmp_path_factory.mktemp("originals")
    work = out / "work"
    work.mkdir()
    text = {stem: (CORPUS / f"{stem}.txt").read_text(encoding="utf-8") for stem in
            ("zhejiang-2022", "kaifeng-2022", "suining-2022", "changzhou-2020")}  # fmt: skip
    made = {
        "zhejiang-2022": F.write_chromium_pdf(text["zhejiang-2022"], out / "zhejiang-2022.pdf"),
        "kaifeng-2022": F.write_docx(
            text["kaifeng-2022"], out / "kaifeng-2022.docx", F.indicator_table(text["kaifeng-2022"])
        ),
    }  # fmt: skip
    portal = out / "suining-2022.html"
    portal.write_text(F.portal_html(text["suining-2022"], F.title_of(text["suining-2022"])), encoding="utf-8")
    made["suining-2022"] = portal
    printed = F.write_chromium_pdf(text["changzhou-2020"], work / "changzhou-print.pdf")
    made["changzhou-2020"] = F.scan_pdf(printed, out / "changzhou-2020.pdf", F.ScanStyle(dpi=150, skew=1.0), pages=2)
    return made


@pytest.fixture(scope="module")
def paged_qa(originals, built, embedder, tmp_path_factory) -> PolicyQA:
    """A corpus of the originals (and donghai's .txt), indexed with the session's embedding cache."""
    settings, _ = built
    base = tmp_path_factory.mktemp("paged")
    corpus = base / "corpus"
    corpus.mkdir()
    for path in originals.values():
        shutil.copy(path, corpus / path.name)
    shutil.copy(CORPUS / "donghai-2021.txt", corpus)
    shutil.copytree(settings.index_dir / "cache", base / "index" / "cache")
    qa = PolicyQA(Settings(corpus_dir=corpus, index_dir=base / "index"), embedder)
    report = qa.build_index(progress=False)
    assert not report.skipped, report.skipped
    qa.reload()
    return qa


def test_each_original_gets_the_metadata_of_its_text(paged_qa):
    documents = {d.doc_id: d for d in paged_qa.index.documents.values()}
    kinds = {doc_id: d.kind for doc_id, d in documents.items()}
    assert kinds == {"zhejiang-2022": "pdf", "kaifeng-2022": "docx", "suining-2022": "html",
                     "changzhou-2020": "scan", "donghai-2021": "text"}  # fmt: skip
    for doc_id in ("zhejiang-2022", "kaifeng-2022", "suining-2022"):
        txt = load_document(CORPUS / f"{doc_id}.txt")
        assert {f: getattr(documents[doc_id], f) for f in METADATA} == {f: getattr(txt, f) for f in METADATA}, doc_id
    # two scanned pages of eleven: the title page is there, so region and year are read from it
    scan, txt = documents["changzhou-2020"], load_document(CORPUS / "changzhou-2020.txt")
    assert (scan.region, scan.year, scan.level) == (txt.region, txt.year, txt.level)
    assert [p.number for p in scan.pages] == [1, 2] and all(p.ocr_confidence > 0.8 for p in scan.pages)


def test_no_radical_or_compatibility_code_point_reaches_a_chunk(paged_qa):
    assert sum(radical_count(c.text) for c in paged_qa.index.chunks) == 0
    # Chromium's text layer of the Noto fonts carries them (⽣ for 生): the converter mapped them
    zhejiang = next(d for d in paged_qa.index.documents.values() if d.doc_id == "zhejiang-2022")
    assert "卫生健康" in zhejiang.title


def test_a_pdf_answer_cites_its_page(paged_qa):
    answer = paged_qa.ask("浙江2022年二级及以上公立综合性医院设置老年医学科比例目标是多少")
    assert not answer.abstained and "65%" in answer.answer
    cited = [c for c in answer.citations if c.doc_id == "zhejiang-2022"]
    assert cited and all(c.page is not None and c.page >= 1 for c in cited)
    document = paged_qa.index.documents["zhejiang-2022"]
    for c in cited:  # the page named is the page the quote is on
        page = document.page_at(c.start)
        assert page.number == c.page and page.start <= c.start < page.end
        assert c.page_label() == f"第{c.page}页 p. {c.page}"


def test_a_scan_answer_cites_its_page_and_ocr_confidence(paged_qa):
    document = paged_qa.index.documents["changzhou-2020"]
    sentence = next(s for s in F.sentences(document.text) if any(ch.isdigit() for ch in s) and len(s) > 20)
    hits = paged_qa.search(sentence, 3)
    assert hits and hits[0].document.doc_id == "changzhou-2020"
    answer = paged_qa.ask(sentence[:40])
    scan_citations = [c for c in answer.citations if c.doc_id == "changzhou-2020"]
    for c in scan_citations:
        assert c.page in (1, 2) and c.ocr_confidence is not None


def test_table_rows_are_statements_with_their_headers(paged_qa):
    table = F.indicator_table((CORPUS / "kaifeng-2022.txt").read_text(encoding="utf-8"))
    name, target, _ = table[1]
    statement = f"{table[0][0]}：{name}；{table[0][1]}：{target}"
    chunks = [c for c in paged_qa.index.chunks if c.source == "kaifeng-2022.docx" and statement in c.text]
    assert chunks, statement
    hits = paged_qa.search(f"开封2022年{name}目标", 5)
    assert any(statement in h.chunk.text for h in hits)


def test_rebuilding_never_converts_an_original_again(paged_qa, monkeypatch):
    import assistant.convert.isolated as isolated

    def refuse(*args, **kwargs):
        raise AssertionError("converted again")

    monkeypatch.setattr(isolated, "convert_isolated", refuse)
    report = paged_qa.build_index(rebuild=True, progress=False)
    assert not report.skipped and len(report.rechunked) == 5


def test_the_cited_page_image_has_the_cited_lines_boxed(paged_qa):
    from PIL import Image

    document = paged_qa.index.documents["zhejiang-2022"]
    page = document.pages[2]
    start = document.text.index("。", page.start) + 1
    png = paged_qa.originals().page_png(paged_qa.settings.corpus_dir / document.source, page.number, start, start + 30)
    image = Image.open(__import__("io").BytesIO(png)).convert("RGB")
    red = sum(1 for r, g, b in image.get_flattened_data() if r > 200 and g < 40 and b < 40)
    assert image.width > 500 and red > 200  # a box drawn around the cited lines


def test_policyqa_add_takes_a_folder_and_refuses_what_it_cannot_read(originals, built, tmp_path):
    settings, _ = built
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(settings.corpus_dir, corpus)
    shutil.copytree(settings.index_dir, index)
    downloads = tmp_path / "downloads"
    (downloads / "sub").mkdir(parents=True)
    F.blank_pdf(downloads / "blank.pdf")
    (downloads / "notes.txt").write_text("no plan here", encoding="utf-8")
    # a plan the corpus does not hold, as a PDF (a real plan's text under another county's name)
    text = (CORPUS / "donghai-2021.txt").read_text(encoding="utf-8").replace("东海县", "灌云县").replace("东海", "灌云")
    (tmp_path / "work").mkdir()
    printed = F.write_chromium_pdf(text, tmp_path / "work" / "灌云2021要点.pdf")
    shutil.copy(printed, downloads / "sub" / printed.name)  # only the PDF: the printer's .html stays behind
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "add", str(downloads), "--corpus", str(corpus), "--index", str(index),
         "--json", "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr  # some were refused
    report = json.loads(result.stdout)
    assert [row["file"] for row in report["added"]] == ["灌云2021要点.pdf"]
    added = report["added"][0]
    assert added["kind"] == "pdf" and added["region"] == "灌云县" and added["year"] == 2021 and added["chunks"] > 5
    refused = {Path(name).name: reason for name, reason in report["refused"].items()}
    assert "blank" in refused["blank.pdf"] and "Chinese" in refused["notes.txt"]
    assert (corpus / "灌云2021要点.pdf").read_bytes() == (downloads / "sub" / "灌云2021要点.pdf").read_bytes()
    assert not (corpus / "blank.pdf").exists()
    asked = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "灌云县2021年的卫生健康工作要点", "--json", "-q",
         "--corpus", str(corpus), "--index", str(index), "--doc", "灌云2021要点"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    answer = json.loads(asked.stdout)
    assert answer["citations"] and all(c["page"] >= 1 for c in answer["citations"])
