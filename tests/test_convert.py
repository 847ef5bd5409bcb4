"""The conversion stage on real originals made by real producers (tests/formats.py).

Fixtures are made once per session: the Zhejiang plan printed by Chromium (commission layout,
the producer that writes Kangxi radicals) and by LibreOffice (from a python-docx document with a
target table), a three-page scan of its beginning (skewed, noisy, one page turned 90°), a saved
portal page, and the bad inputs. Expected text is always the source text itself.
OCR is ~2.5-8 s a page on 2 cores, so only four pages are OCRed in the whole file.
"""

from __future__ import annotations

import itertools
import re
import time
import zipfile
from pathlib import Path

import pytest

from assistant.convert import (
    ConversionCache,
    ConversionError,
    Converted,
    ConvertOptions,
    boxed_page_png,
    convert,
    convert_isolated,
    render_page,
)
from assistant.convert.cleanup import normalize_chars, radical_count
from tests import formats as F

from .conftest import BUNDLED_PLANS, CORPUS

SOURCE = (CORPUS / "zhejiang-2022.txt").read_text(encoding="utf-8")
TITLE = F.title_of(SOURCE)
PAGE_NUMBER = re.compile(r"—\s*\d+\s*—|第\s*\d+\s*页|^\s*-\s*\d+\s*-\s*$", re.M)
# A sentence of the source that a page layout breaks over three lines.
KNOWN = "进一步提升核酸检测能力,设区市至少建成2—3个不低于10万管/日的核酸检测基地"


def without_tables(result: Converted) -> str:
    """The converted text with its table statements cut out (tables are checked on their own)."""
    text, cut = result.text, 0
    for table in result.tables:
        text = text[: table.start - cut] + text[table.end - cut :]
        cut += table.end - table.start
    return text


def table_rows(result: Converted) -> list[str]:
    return [line for t in result.tables for line in result.text[t.start : t.end].split("\n") if line]


@pytest.fixture(scope="session")
def made(tmp_path_factory) -> dict[str, Path]:
    """Every original, made once: name → path."""
    try:
        F.require_tools()
    except F.ToolMissing as err:
        pytest.fail(str(err))
    out = tmp_path_factory.mktemp("formats")
    table = F.indicator_table(SOURCE)
    files: dict[str, Path] = {}
    files["chromium.pdf"] = F.write_chromium_pdf(SOURCE, out / "chromium.pdf")
    files["plan.docx"] = F.write_docx(SOURCE, out / "plan.docx", table)
    files["libreoffice.pdf"] = F.libreoffice_pdf(files["plan.docx"], out / "lo")
    (out / "portal.html").write_text(F.portal_html(SOURCE, TITLE, table), encoding="utf-8")
    files["portal.html"] = out / "portal.html"
    prefix = scan_source()
    files["prefix.pdf"] = F.write_chromium_pdf(prefix, out / "prefix.pdf")
    files["scan.pdf"] = F.scan_pdf(files["prefix.pdf"], out / "scan.pdf", F.ScanStyle(turned_pages=(2,)))
    return files


def scan_source() -> str:
    """The part of the plan that the scan holds: its first ~1,100 characters of body, whole lines."""
    lines, size = [], 0
    for line in SOURCE.splitlines()[14:]:
        lines.append(line)
        size += len(line)
        if size > 1100:
            break
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def chromium(made) -> Converted:
    return convert(made["chromium.pdf"])


@pytest.fixture(scope="session")
def scan(made) -> Converted:
    return convert(made["scan.pdf"])


# -- options and results ---------------------------------------------------------------------------


def test_options_are_checked_and_named():
    assert ConvertOptions().max_pages == 300
    with pytest.raises(ConversionError, match="max_pages"):
        ConvertOptions(max_pages=0)
    with pytest.raises(ConversionError, match="ocr_dpi"):
        ConvertOptions(ocr_dpi=5000)
    with pytest.raises(ConversionError, match="min_ocr_confidence"):
        ConvertOptions(min_ocr_confidence=1.5)
    with pytest.raises(ConversionError, match="max_seconds"):
        ConvertOptions(max_seconds="soon")


def test_result_round_trips_through_json_and_finds_pages(chromium):
    again = Converted.from_json(chromium.to_json())
    assert again == chromium
    middle = len(chromium.text) // 2
    page = chromium.page_at(middle)
    assert page is not None and page.start <= middle < page.end
    assert chromium.page_at(len(chromium.text)) is None and chromium.page_at(-1) is None


# -- plain text --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(p for p in BUNDLED_PLANS if p.suffix == ".txt"), ids=lambda p: p.name)
def test_corpus_files_convert_to_exactly_their_text(path):
    result = convert(path)
    assert result.kind == "text"
    assert result.text == path.read_bytes().decode("utf-8")
    assert result.pages[0].start == 0 and result.pages[0].end == len(result.text)


def test_text_encodings_and_line_ends(tmp_path):
    text = "2022年工作要点\n一、加强基层医疗卫生服务体系建设，家庭医生签约率达到75%以上。\n"
    (tmp_path / "gbk.txt").write_bytes(text.replace("\n", "\r\n").encode("gb18030"))
    (tmp_path / "bom.md").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert convert(tmp_path / "gbk.txt").text == text
    assert convert(tmp_path / "bom.md").text == text
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" * 50)
    with pytest.raises(ConversionError, match="binary"):
        convert(tmp_path / "binary.txt")
    with pytest.raises(ConversionError, match="not supported"):
        convert(tmp_path / "gbk.txt", name="plan.exe")


# -- PDFs with a text layer ------------------------------------------------------------------------


def test_chromium_fixture_really_has_radicals(made):
    from pypdf import PdfReader

    raw = "".join(page.extract_text() for page in PdfReader(str(made["chromium.pdf"])).pages)
    assert sum(1 for ch in raw if 0x2F00 <= ord(ch) <= 0x2FDF) > 100
    assert "\u2ea0" in raw  # ⺠, which NFKC does not map
    assert PAGE_NUMBER.search(raw) and normalize_chars(raw).count(TITLE) > 3  # page numbers and running header


def test_chromium_pdf_converts_to_the_source(chromium, made):
    assert chromium.kind == "pdf"
    assert F.cer(SOURCE, chromium.text) < 0.001
    assert radical_count(chromium.text) == 0
    assert not PAGE_NUMBER.search(chromium.text)
    assert chromium.text.count(TITLE) == SOURCE.count(TITLE)  # the running header is gone, the title stays
    assert chromium.text.count("。") == SOURCE.count("。") and chromium.text.count("“") == SOURCE.count("“")
    assert F.squash(KNOWN) in F.squash(chromium.text)
    assert F.whole_share(SOURCE, chromium.text) > 0.98


def test_every_span_has_a_page_and_line_boxes(chromium, made):
    pages = [p for p in chromium.pages if p.end > p.start]
    assert len(pages) == len(chromium.pages) >= 8
    assert all(a.end <= b.start for a, b in itertools.pairwise(pages))
    for offset in range(0, len(chromium.text), 97):
        if chromium.text[offset] != "\n":
            assert chromium.page_at(offset) is not None
    page = chromium.pages[1]
    assert page.width == pytest.approx(595, abs=1) and page.height == pytest.approx(842, abs=1)
    line = page.lines[3]
    assert page.start <= line.start < line.end <= page.end
    x0, top, x1, bottom = line.bbox
    assert 0 < x0 < x1 < page.width and 0 < top < bottom < page.height
    png = boxed_page_png(made["chromium.pdf"], 2, [line.bbox], dpi=60)
    assert png.startswith(b"\x89PNG") and render_page(made["chromium.pdf"], 2, 60).width == round(595 * 60 / 72)


def test_libreoffice_pdf_converts_with_its_table(made):
    result = convert(made["libreoffice.pdf"])
    assert result.kind == "pdf"
    assert F.cer(SOURCE, without_tables(result)) < 0.002
    assert not re.search(r"[\u4e00-\u9fff] +\d|\d +[\u4e00-\u9fff]", result.text)  # "和 60 岁以上" → "和60岁以上"
    assert not PAGE_NUMBER.search(result.text)
    assert result.text.count(TITLE) == SOURCE.count(TITLE)
    assert F.whole_share(SOURCE, without_tables(result)) > 0.97
    assert len(result.tables) == 1 and result.tables[0].headers == ["指标", "2022年目标", "属性"]
    rows = table_rows(result)
    assert len(rows) == len(F.indicator_table(SOURCE)) - 1
    assert all(row.startswith("指标：") and "；2022年目标：" in row and "；属性：" in row for row in rows)
    assert "指标：居民健康素养水平；2022年目标：37%以上；属性：约束性" in rows
    assert result.text.count("约束性") == sum(row.count("约束性") for row in rows)  # cells not also loose lines


def test_pdf_table_continued_over_pages_keeps_its_header(tmp_path):
    header = ["序号", "项目名称", "完成时限"]
    rows = [[str(i), f"第{i}个社区卫生服务站建设项目", f"2022年{i % 12 + 1}月底前"] for i in range(1, 90)]
    text = "2022年项目清单\n以下项目按期完成。\n"
    docx = F.write_docx(text, tmp_path / "long.docx", [header, *rows], header_row=False)
    result = convert(F.libreoffice_pdf(docx, tmp_path))
    assert len({t.page for t in result.tables}) == 1 and result.tables[0].headers == header
    statements = table_rows(result)
    assert len(statements) == len(rows)
    assert all(s.startswith("序号：") and "；项目名称：" in s for s in statements)
    assert max(p.page for p in result.pages if p.end > p.start) >= 3


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_text_pdf_shown_turned_by_rotate_reads_in_order(made, tmp_path, degrees):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(str(made["prefix.pdf"])))
    for page in writer.pages:
        page.rotate(degrees)
    writer.write(tmp_path / "turned.pdf")
    result = convert(tmp_path / "turned.pdf")
    assert F.cer(scan_source(), result.text) < 0.002 and F.whole_share(scan_source(), result.text) > 0.98
    page = result.pages[0]
    assert (page.width > page.height) == (degrees != 180)
    x0, top, x1, bottom = page.lines[2].bbox
    assert (bottom - top > x1 - x0) == (degrees != 180)  # boxes are on the page as displayed


def test_encrypted_pdf_with_empty_user_password_opens(made, tmp_path):
    result = convert(F.owner_only_pdf(made["prefix.pdf"], tmp_path / "owner.pdf"))
    assert F.cer(scan_source(), result.text) < 0.002


def test_mixed_pdf_is_decided_page_by_page(made, tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.add_page(PdfReader(str(made["prefix.pdf"])).pages[0])
    writer.add_page(PdfReader(str(made["scan.pdf"])).pages[2])
    with open(tmp_path / "mixed.pdf", "wb") as out:
        writer.write(out)
    result = convert(tmp_path / "mixed.pdf")
    assert result.kind == "mixed"
    assert result.pages[0].ocr_confidence is None and result.pages[1].ocr_confidence > 0.9
    assert "阳光心理提升工程" in result.text


# -- scans -------------------------------------------------------------------------------------------


def test_scan_reads_within_one_percent(scan):
    assert scan.kind == "scan"
    assert F.cer(scan_source(), scan.text) <= 0.01
    assert not PAGE_NUMBER.search(scan.text) and "一2一" not in scan.text
    assert scan.text.count(TITLE) == scan_source().count(TITLE)
    assert all(p.ocr_confidence > 0.9 and p.lines for p in scan.pages)
    assert F.whole_share(scan_source(), scan.text) > 0.85


def test_scan_page_turned_90_degrees_reads_upright(scan, made):
    page = scan.pages[1]
    text = scan.text[page.start : page.end]
    assert len(text) > 300
    assert F.squash("实现“人人会采样”,全省应急采样人员达10万名以上。")[:12].replace(",", "，") in F.squash(text)
    # Line boxes are on the page as stored (sideways): lines run down the page, not across.
    x0, top, x1, bottom = page.lines[0].bbox
    assert bottom - top > 3 * (x1 - x0)
    assert page.width > page.height


def test_image_file_upside_down_is_read(made, tmp_path):
    from PIL import Image

    image = F.scan_image(made["prefix.pdf"], tmp_path / "page.png", page=3)
    with Image.open(image) as scanned:
        scanned.transpose(Image.Transpose.ROTATE_180).save(image, dpi=(150, 150))
    result = convert(image)
    assert result.kind == "image" and "阳光心理提升工程" in result.text
    assert result.pages[0].lines and render_page(image, 1, 72).width == pytest.approx(595, abs=2)


# -- .docx and web pages -----------------------------------------------------------------------------


def test_docx_paragraphs_headings_and_table(made):
    result = convert(made["plan.docx"])
    assert result.kind == "docx"
    assert F.cer(SOURCE, without_tables(result)) < 0.001
    assert "一、守牢疫情防控底线" in result.text.split("\n")
    assert result.tables[0].headers == ["指标", "2022年目标", "属性"] and result.tables[0].page is None
    assert "指标：居民健康素养水平；2022年目标：37%以上；属性：约束性" in table_rows(result)
    # The table stands where it was put: after the line holding its first figure.
    first = F.indicator_table(SOURCE)[1][0]
    assert result.text.rfind(first, 0, result.tables[0].start) > 0


def test_docx_merged_one_column_and_headerless_tables(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("2022年主要指标")
    grid = document.add_table(rows=4, cols=3)
    grid.cell(0, 0).merge(grid.cell(1, 0)).text = "指标"
    grid.cell(0, 1).merge(grid.cell(0, 2)).text = "2022年目标"
    grid.cell(1, 1).text, grid.cell(1, 2).text = "全省", "山区县"
    for r, row in enumerate(
        [["家庭医生签约率", "75%以上", "70%以上"], ["孕产妇死亡率", "5/10万以下", "6/10万以下"]], 2
    ):
        for c, value in enumerate(row):
            grid.cell(r, c).text = value
    for r in (0, 1):
        grid.rows[r]._tr.get_or_add_trPr().append(docx.oxml.OxmlElement("w:tblHeader"))
    single = document.add_table(rows=2, cols=1)
    single.cell(0, 0).text, single.cell(1, 0).text = "建设100个社区卫生服务站", "新增床位9000张"
    bare = document.add_table(rows=2, cols=2)
    for r, row in enumerate([["索引号", "002482365/2022-07235"], ["文号", "浙卫发〔2022〕8号"]]):
        for c, value in enumerate(row):
            bare.cell(r, c).text = value
    document.save(str(tmp_path / "merged.docx"))
    result = convert(tmp_path / "merged.docx")
    rows = table_rows(result)
    assert result.tables[0].headers == ["指标", "2022年目标（全省）", "2022年目标（山区县）"]
    assert rows[0] == "指标：家庭医生签约率；2022年目标（全省）：75%以上；2022年目标（山区县）：70%以上"
    assert "建设100个社区卫生服务站" in rows and "索引号；002482365/2022-07235" in rows


def test_docx_with_xml_comments_reads_like_without(made, tmp_path):
    plain = convert(made["plan.docx"])
    commented = convert(F.commented_docx(made["plan.docx"], tmp_path / "commented.docx"))
    assert commented.text == plain.text


def test_portal_page_main_text_without_chrome(made):
    result = convert(made["portal.html"])
    assert result.kind == "html"
    assert F.cer(SOURCE, without_tables(result)) < 0.02
    for chrome in ("机构概况", "站内搜索", "当前位置", "分享到：微信", "相关文章", "脚本写入", "网站地图"):
        assert chrome not in result.text
    assert "指标：居民健康素养水平；2022年目标：37%以上；属性：约束性" in table_rows(result)
    assert result.tables[0].headers == ["指标", "2022年目标", "属性"]


def test_portal_chrome_inside_the_article_is_dropped_and_rows_are_quotable(tmp_path):
    """Share, print, copyright and ICP lines saved inside the article's own block (as portals write
    them) are not plan text; a long sentence that mentions 版权 is. Every table row converted from
    the page is a statement an answer may quote, short as it is."""
    from assistant.ask.sentences import is_quotable

    long_sentence = "加强卫生健康领域知识产权和版权保护,完善医疗机构科研成果转化、专利申请和成果登记的管理制度。"
    chrome = ["分享到:", "关闭 打印", "浙江省卫生信息中心版权所有", "备案序号:浙ICP备19049905号-1"]
    chrome.append("扫一扫在手机打开当前页")
    body = SOURCE + "\n" + long_sentence + "\n" + "\n".join(chrome)
    page = tmp_path / "portal.html"
    page.write_text(F.portal_html(body, TITLE, F.indicator_table(SOURCE)), encoding="utf-8")
    result = convert(page)
    for line in chrome:
        assert line not in result.text
    assert long_sentence in result.text
    rows = table_rows(result)
    assert rows and all(is_quotable(row) for row in rows)
    assert not is_quotable("一、总体要求")


def test_portal_page_plain_reading_when_trafilatura_keeps_nothing(made, monkeypatch):
    from assistant.convert import web

    monkeypatch.setattr(web, "_trafilatura_lines", lambda markup: [])
    result = convert(made["portal.html"])
    assert F.cer(SOURCE, without_tables(result)) < 0.03
    for chrome in ("机构概况", "站内搜索", "当前位置", "相关文章", "脚本写入", "网站地图"):
        assert chrome not in result.text
    assert "指标：居民健康素养水平；2022年目标：37%以上；属性：约束性" in table_rows(result)


# -- bad inputs --------------------------------------------------------------------------------------

BAD = {
    "encrypted.pdf": (lambda made, d: F.encrypted_pdf(made["prefix.pdf"], d / "encrypted.pdf"), "password-protected"),
    "blank.pdf": (lambda made, d: F.blank_pdf(d / "blank.pdf"), "blank"),
    "bomb.pdf": (lambda made, d: F.flate_bomb_pdf(d / "bomb.pdf"), "unpacks to more than"),
    "huge.png": (lambda made, d: F.huge_image(d / "huge.png"), "megapixels"),
    "photo.jpg": (lambda made, d: F.noise_photo(d / "photo.jpg"), "no Chinese text recognised"),
    "entities.docx": (lambda made, d: F.entity_bomb_docx(made["plan.docx"], d / "entities.docx"), "DOCTYPE or ENTITY"),
    "corrupt.docx": (
        lambda made, d: F.corrupt_docx(made["plan.docx"], d / "corrupt.docx"),
        "not a valid Word document",
    ),
    "login.html": (lambda made, d: F.login_html(d / "login.html"), "no document text"),
    "empty.pdf": (lambda made, d: _write(d / "empty.pdf", b""), "empty"),
    "notapdf.pdf": (lambda made, d: _write(d / "notapdf.pdf", b"%PDF-1.4\n garbage"), "PDF"),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_refused_with_a_reason(name, made, tmp_path):
    maker, reason = BAD[name]
    path = maker(made, tmp_path)
    started = time.monotonic()
    with pytest.raises(ConversionError) as caught:
        convert(path)
    message = str(caught.value)
    assert reason in message and name in message and "\n" not in message
    assert time.monotonic() - started < 30


def test_docx_unpacking_beyond_the_limit_is_refused_before_unzipping(made, tmp_path):
    big = tmp_path / "big.docx"
    with zipfile.ZipFile(made["plan.docx"]) as src, zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("word/media/padding.bin", b"\0" * 60_000_000)
    assert big.stat().st_size < 1_000_000
    with pytest.raises(ConversionError, match=r"unpacks to 6[01] MB; at most 50 MB"):
        convert(big)


def test_the_time_limit_holds_in_process(made):
    with pytest.raises(ConversionError, match=r"took longer than 0\.5 s"):
        convert(made["scan.pdf"], options=ConvertOptions(max_seconds=0.5))


# -- isolation and cache -----------------------------------------------------------------------------


def test_isolated_conversion_matches_and_reports_progress(made, chromium):
    seen = []
    result = convert_isolated(made["chromium.pdf"], progress=lambda done, total, message: seen.append((done, total)))
    assert result.text == chromium.text and result.pages == chromium.pages
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] == len(chromium.pages)


def test_isolated_conversion_is_killed_at_the_time_limit(made):
    started = time.monotonic()
    with pytest.raises(ConversionError, match="took longer than 1 s"):
        convert_isolated(made["scan.pdf"], options=ConvertOptions(max_seconds=1))
    assert time.monotonic() - started < 15


def test_isolated_conversion_refuses_a_bomb(tmp_path):
    with pytest.raises(ConversionError, match="unpacks to more than"):
        convert_isolated(F.flate_bomb_pdf(tmp_path / "bomb.pdf", gigabytes=1))


def test_cache_returns_stored_results_and_survives_damage(made, chromium, tmp_path):
    cache = ConversionCache(tmp_path / "cache")
    path = made["chromium.pdf"]
    assert cache.get(path) is None
    cache.put(path, chromium)
    assert cache.get(path) == chromium
    assert cache.get(path, options=ConvertOptions(ocr_dpi=150)) is None  # output-changing options are in the key
    assert cache.get(path, options=ConvertOptions(max_seconds=30)) == chromium  # limits of time are not
    entry = next((tmp_path / "cache").rglob("*.json"))
    entry.write_text('{"text": "half a', encoding="utf-8")
    assert cache.get(path) is None and not entry.exists()
    again = cache.convert(path, isolated=False)
    assert again.text == chromium.text and cache.get(path) is not None
