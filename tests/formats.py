"""Real originals made from real text, for the conversion tests and benchmarks/formats.py.

Every maker writes a file in a real format with the real producer: Chromium prints commission-style
HTML to PDF, LibreOffice prints a python-docx document, scans are pages rendered by PDFium and
degraded with Pillow. The bad inputs are real files of their kind too (AES-256 encrypted PDF,
Flate bomb, entity bomb inside a .docx …). Nothing here knows the converter's expected output;
``cer`` compares converted text with the source text.
"""

from __future__ import annotations

import html
import io
import os
import random
import re
import shutil
import subprocess
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
APT_HINT = "sudo apt-get install -y chromium fonts-noto-cjk libreoffice-writer-nogui"

_OUTLINE = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）])")


class ToolMissing(RuntimeError):
    """A producer (chromium, soffice) is not installed; the message says how to install it."""


def _missing_tools() -> list[str]:
    return [tool for tool in (CHROMIUM, "soffice") if shutil.which(tool) is None]


def require_tools() -> None:
    """Make sure chromium and soffice are there: installed with apt when missing and running as root
    on Debian (as on a brand-new CI machine), else ToolMissing naming the apt command."""
    if _missing_tools() and shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, capture_output=True)
        install = [*APT_HINT.removeprefix("sudo ").split(), "-qq"]
        subprocess.run(install, env=env, check=False, capture_output=True)
    missing = _missing_tools()
    if missing:
        raise ToolMissing(f"{', '.join(missing)} not found: run `{APT_HINT}`")


# -- measuring ---------------------------------------------------------------------------------------


def levenshtein(a: str, b: str) -> int:
    """Exact edit distance (insert, delete, substitute), bit-parallel (Myers 1999 / Hyyrö 2001) on
    Python integers: O(len(b)) big-integer steps, ~1 s for two 30,000-character texts."""
    if not a:
        return len(b)
    if not b:
        return len(a)
    masks: dict[str, int] = {}
    for i, ch in enumerate(a):
        masks[ch] = masks.get(ch, 0) | (1 << i)
    full = (1 << len(a)) - 1
    top = 1 << (len(a) - 1)
    pv, mv, score = full, 0, len(a)
    for ch in b:
        eq = masks.get(ch, 0)
        xv = eq | mv
        xh = ((((eq & pv) + pv) & full) ^ pv) | eq
        ph = mv | (~(xh | pv) & full)
        mh = pv & xh
        if ph & top:
            score += 1
        elif mh & top:
            score -= 1
        ph = ((ph << 1) | 1) & full
        mh = (mh << 1) & full
        pv = mh | (~(xv | ph) & full)
        mv = ph & xv
    return score


def significant(text: str) -> str:
    """The characters CER is measured on: CJK ideographs and digits, in order (whitespace, punctuation
    and Latin letters left out, so layout and half/full-width choices do not count)."""
    return "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff" or ch.isdigit())


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate of ``hypothesis`` against ``reference`` over CJK + digits."""
    ref, hyp = significant(reference), significant(hypothesis)
    return levenshtein(ref, hyp) / max(1, len(ref))


def sentences(text: str, min_chars: int = 12) -> list[str]:
    """Whole sentences of a source text (ending in 。！？；) of at least ``min_chars`` characters."""
    found = []
    for line in text.splitlines():
        for piece in re.findall(r"[^。！？；]*[。！？；]", line):
            piece = piece.strip()
            if len(significant(piece)) >= min_chars:
                found.append(piece)
    return found


def squash(text: str) -> str:
    """Text for "is this sentence there whole" checks: its CJK characters, digits and letters, and its
    line breaks (so a sentence broken over lines is not found; punctuation, whose width OCR and
    producers change, does not count)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch == "\n" or ch.isalnum())


def whole_share(source: str, converted: str) -> float:
    """Share of the source's sentences found unbroken in the converted text (whitespace ignored)."""
    wanted = sentences(source)
    haystack = squash(converted)
    return sum(1 for s in wanted if squash(s) in haystack) / max(1, len(wanted))


# -- producers ---------------------------------------------------------------------------------------


def title_of(text: str) -> str:
    """The document's title line: the first line naming a plan (工作要点/计划/报告 …), else the first line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines[:40]:
        if 6 <= len(line) <= 40 and re.search(r"(工作要点|工作计划|工作报告|实施意见|方案|通知|总结)$", line):
            return line
    return lines[0][:30] if lines else "文件"


def commission_html(text: str, title: str, table: list[list[str]] | None = None) -> str:
    """A health-commission style print layout of ``text``: A4 margins, the title as a running header,
    "— N —" page numbers, justified serif body with 2-character indents, outline headings in bold."""
    body = []
    for line in text.splitlines():
        if not line.strip():
            continue
        cls = ' class="h"' if _OUTLINE.match(line) else ""
        body.append(f"<p{cls}>{html.escape(line.strip())}</p>")
    if table:
        rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table)
        body.append(f"<table>{rows}</table>")
    header = html.escape(title).replace('"', "")
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{header}</title><style>
@page {{ size: A4; margin: 30mm 26mm 28mm 28mm;
  @top-center {{ content: "{header}"; font: 10.5pt "Noto Serif CJK SC"; color: #444; }}
  @bottom-center {{ content: "— " counter(page) " —"; font: 12pt "Noto Serif CJK SC"; }} }}
body {{ font: 16pt/1.75 "Noto Serif CJK SC", serif; text-align: justify; margin: 0; }}
p {{ margin: 0; text-indent: 2em; }}
p.h {{ font-family: "Noto Sans CJK SC", sans-serif; font-weight: bold; }}
table {{ border-collapse: collapse; width: 100%; margin: 8pt 0; font-size: 12pt; }}
td {{ border: 1px solid #000; padding: 3pt 5pt; }}
</style></head><body>
{chr(10).join(body)}
</body></html>"""


def chromium_pdf(html_path: Path, pdf_path: Path, timeout: float = 120) -> Path:
    """Print ``html_path`` to ``pdf_path`` with headless Chromium (the producer that writes Kangxi radicals)."""
    require_tools()
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
        "--disable-background-networking", "--disable-component-update", "--no-first-run",
        f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri(),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=timeout)
    if not pdf_path.exists() or pdf_path.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no PDF for {html_path}")
    return pdf_path


def write_chromium_pdf(text: str, out: Path, table: list[list[str]] | None = None) -> Path:
    """``text`` as a commission-layout PDF printed by Chromium (the .html is kept beside it)."""
    html_path = out.with_suffix(".print.html")
    html_path.write_text(commission_html(text, title_of(text), table), encoding="utf-8")
    return chromium_pdf(html_path, out)


def _add_page_field(paragraph) -> None:
    """Append "第 N 页 共 M 页" made of Word PAGE / NUMPAGES fields to a footer paragraph."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def field(code: str) -> None:
        simple = OxmlElement("w:fldSimple")
        simple.set(qn("w:instr"), code)
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        simple.append(run)
        paragraph._p.append(simple)

    paragraph.add_run("第 ")
    field("PAGE")
    paragraph.add_run(" 页 共 ")
    field("NUMPAGES")
    paragraph.add_run(" 页")


def write_docx(text: str, out: Path, table: list[list[str]] | None = None, header_row: bool = True) -> Path:
    """``text`` as a Word document: one paragraph per line, outline lines as headings, a running
    header with the title, "第 N 页 共 M 页" footer; ``table`` (first row: headers) after the
    line that introduces it, else at the end."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "Noto Serif CJK SC"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Serif CJK SC")
    style.font.size = Pt(15)
    style.paragraph_format.first_line_indent = Pt(30)
    section = document.sections[0]
    section.header.paragraphs[0].text = title_of(text)
    section.header.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _add_page_field(footer)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    at = _table_anchor(lines, table)
    for i, line in enumerate(lines):
        if _OUTLINE.match(line) and len(line) <= 40:
            heading = document.add_heading(line, level=1 if "、" in line[:4] else 2)
            for run in heading.runs:
                run.font.name = "Noto Sans CJK SC"
                run._element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")
        else:
            paragraph = document.add_paragraph(line)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        if table and i == at:
            grid = document.add_table(rows=len(table), cols=len(table[0]))
            grid.style = "Table Grid"
            for r, row in enumerate(table):
                for c, cell in enumerate(row):
                    grid.cell(r, c).text = cell
            if header_row:
                tr_pr = grid.rows[0]._tr.get_or_add_trPr()
                tr_pr.append(OxmlElement("w:tblHeader"))
    document.save(str(out))
    return out


def _table_anchor(lines: list[str], table: list[list[str]] | None) -> int:
    """Index of the line after which the table goes: the line holding its first body row's figure."""
    if not table or len(table) < 2:
        return len(lines) - 1
    for i, line in enumerate(lines):
        if table[1][0] in line:
            return i
    return len(lines) - 1


def libreoffice_pdf(docx_path: Path, out_dir: Path, timeout: float = 180) -> Path:
    """Print a .docx to PDF with LibreOffice (a second, Word-like producer)."""
    require_tools()
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = out_dir / ".lo-profile"
    command = [
        "soffice", f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless", "--norestore",
        "--convert-to", "pdf", "--outdir", str(out_dir), str(docx_path),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=timeout)
    pdf = out_dir / (docx_path.stem + ".pdf")
    if not pdf.exists():
        raise RuntimeError(f"soffice wrote no PDF for {docx_path}")
    return pdf


@dataclass
class ScanStyle:
    """How a scan is degraded: resolution, skew in degrees, noise, blur, and pages turned 90°."""

    dpi: int = 150
    skew: float = 1.5
    noise: float = 12.0
    blur: float = 0.6
    turned_pages: tuple[int, ...] = ()  # 1-based pages scanned sideways (turned 90° clockwise)
    seed: int = 7


def degrade(image, style: ScanStyle, page: int):
    """A clean page image → a plausible office scan: skewed, grey, noisy, slightly blurred."""
    import numpy as np
    from PIL import Image, ImageFilter

    rng = random.Random(style.seed + page)
    grey = image.convert("L")
    angle = style.skew * (1 if page % 2 else -1) * rng.uniform(0.7, 1.0)
    grey = grey.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    if style.blur:
        grey = grey.filter(ImageFilter.GaussianBlur(style.blur))
    pixels = np.asarray(grey, dtype=np.float32)
    noise = np.random.default_rng(style.seed + page).normal(0, style.noise, pixels.shape)
    pixels = np.clip(pixels * 0.92 + 14 + noise, 0, 255).astype(np.uint8)
    scanned = Image.fromarray(pixels, mode="L")
    if page in style.turned_pages:
        scanned = scanned.transpose(Image.Transpose.ROTATE_270)
    return scanned


def scan_pdf(pdf_path: Path, out: Path, style: ScanStyle | None = None, pages: int | None = None) -> Path:
    """Render a PDF's pages with PDFium, degrade them like a scanner, save as an image-only PDF (img2pdf)."""
    import img2pdf
    import pypdfium2 as pdfium

    style = style or ScanStyle()
    document = pdfium.PdfDocument(str(pdf_path))
    images = []
    try:
        for index in range(min(len(document), pages or len(document))):
            page = document[index]
            image = page.render(scale=style.dpi / 72).to_pil()
            page.close()
            scanned = degrade(image, style, index + 1)
            buffer = io.BytesIO()
            scanned.save(buffer, format="JPEG", quality=80, dpi=(style.dpi, style.dpi))
            images.append(buffer.getvalue())
    finally:
        document.close()
    out.write_bytes(img2pdf.convert(images))
    return out


def scan_image(pdf_path: Path, out: Path, page: int = 1, style: ScanStyle | None = None) -> Path:
    """One page of a PDF as a scanned image file (format from ``out``'s suffix)."""
    import pypdfium2 as pdfium

    style = style or ScanStyle()
    document = pdfium.PdfDocument(str(pdf_path))
    try:
        rendered = document[page - 1].render(scale=style.dpi / 72).to_pil()
    finally:
        document.close()
    degrade(rendered, style, page).save(out, dpi=(style.dpi, style.dpi))
    return out


def portal_html(text: str, title: str, table: list[list[str]] | None = None) -> str:
    """``text`` as a saved government-portal page: nav bar, breadcrumb, share bar, footer, a script,
    the article in paragraphs, ``table`` (first row: th headers) inside the article."""
    paragraphs = "\n".join(f"<p>{html.escape(line.strip())}</p>" for line in text.splitlines() if line.strip())
    table_html = ""
    if table:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in table[0])
        rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table[1:])
        table_html = f'<table border="1"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
    nav = "".join(f'<li><a href="/c{i}.html">{w}</a></li>' for i, w in enumerate(
        ["首页", "机构概况", "政务公开", "政策文件", "公共服务", "互动交流", "专题专栏", "数据发布"]))  # fmt: skip
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{html.escape(title)}_卫生健康委员会</title>
<script>document.write("<p>脚本写入的文字不属于正文</p>");</script>
<style>.nav li {{ display: inline; }}</style></head>
<body>
<div class="header"><div class="logo">卫生健康委员会 门户网站</div>
<div class="search">站内搜索 <input type="text"></div></div>
<ul class="nav">{nav}</ul>
<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a> &gt; 政策文件</div>
<div class="article">
<h1>{html.escape(title)}</h1>
<div class="info">发布时间：2022-03-16 来源：卫生健康委 【字体：大 中 小】 【打印】</div>
<div class="content">
{paragraphs}
{table_html}
</div>
<div class="share">分享到：微信 微博 QQ空间</div>
</div>
<div class="related"><h3>相关文章</h3><ul><li><a href="/a1.html">关于开展全民健康素养促进行动的通知</a></li>
<li><a href="/a2.html">关于做好2022年基本公共卫生服务项目工作的通知</a></li></ul></div>
<div class="footer">版权所有：卫生健康委员会 地址：某某路1号 邮编：310000 备案号：浙ICP备00000000号
网站标识码：3300000001 <a href="/sitemap">网站地图</a> <a href="/contact">联系我们</a></div>
<script>var _hmt = _hmt || []; (function() {{ var hm = document.createElement("script"); }})();</script>
</body></html>"""


# -- target tables -----------------------------------------------------------------------------------

_TARGET = re.compile(
    r"^(?:力争|全市|全省|全县|全区)?(?P<name>[\u4e00-\u9fff（）()]{3,20}?)"
    r"(?:达到|达|保持在|提高到|提升至|不低于|不少于|控制在|超过)(?P<target>\d+(?:\.\d+)?(?:%|‰|万)?(?:以上|以下|以内)?)"
)


def indicator_table(text: str, rows: int = 6) -> list[list[str]]:
    """A target table made from the plan's own clauses that state a figure ("居民健康素养水平达37%以上"):
    指标 (the clause up to the verb) / 2022年目标 (the figure) / 属性 (约束性 for rates, else 预期性).
    This is how commission plans print their indicator annexes; the clauses stay in the text too."""
    year = re.search(r"(20\d\d)年", text)
    table = [["指标", f"{year.group(1) if year else '本年'}年目标", "属性"]]
    for line in text.splitlines():
        for clause in re.split(r"[，,；;。、：:]", line):
            match = _TARGET.match(clause.strip())
            if not match or any(row[0] == match.group("name") for row in table):
                continue
            target = match.group("target")
            table.append([match.group("name"), target, "约束性" if "%" in target or "‰" in target else "预期性"])
            if len(table) > rows:
                return table
    for line in text.splitlines():  # a plan without "X达Y" clauses: clauses holding a figure at all
        for clause in re.split(r"[，,；;。、：:]", line):
            match = re.match(
                r"^(?P<name>[\u4e00-\u9fff]{3,20})(?P<target>\d+(?:\.\d+)?[%‰万个家所项人]?)", clause.strip()
            )
            if match and len(table) <= rows and all(row[0] != match.group("name") for row in table):
                table.append([match.group("name"), match.group("target"), "预期性"])
    return table


# -- bad inputs --------------------------------------------------------------------------------------


def encrypted_pdf(source_pdf: Path, out: Path, password: str = "s3cret-口令") -> Path:
    """``source_pdf`` encrypted with AES-256 and a user password."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(str(source_pdf)))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="AES-256")
    with open(out, "wb") as handle:
        writer.write(handle)
    return out


def owner_only_pdf(source_pdf: Path, out: Path) -> Path:
    """``source_pdf`` encrypted (AES-256) with an empty user password: opens without asking."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(str(source_pdf)))
    writer.encrypt(user_password="", owner_password="owner-only", algorithm="AES-256")
    with open(out, "wb") as handle:
        writer.write(handle)
    return out


def blank_pdf(out: Path, pages: int = 3) -> Path:
    """A PDF of empty A4 pages."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    with open(out, "wb") as handle:
        writer.write(handle)
    return out


def _pdf_file(objects: list[bytes]) -> bytes:
    """A PDF file of the given numbered objects (1 = catalog) with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def flate_bomb_pdf(out: Path, gigabytes: float = 2.0) -> Path:
    """A small PDF whose one page's content stream inflates to ``gigabytes`` GB of spaces
    (compressed twice, /Filter [/FlateDecode /FlateDecode], so the file stays a few KB)."""
    inner = zlib.compressobj(9)
    block = b" " * (1 << 24)
    pieces = [inner.compress(block) for _ in range(int(gigabytes * 64))]
    pieces.append(inner.flush())
    once = b"".join(pieces)
    twice = zlib.compress(once, 9)
    stream = b"<< /Length %d /Filter [/FlateDecode /FlateDecode] >>\nstream\n" % len(twice) + twice + b"\nendstream"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
        stream,
    ]
    out.write_bytes(_pdf_file(objects))
    return out


def huge_image(out: Path, megapixels: int = 100) -> Path:
    """A real PNG of ``megapixels`` MP (1-bit, white, so the file is small)."""
    from PIL import Image

    side = int((megapixels * 1_000_000) ** 0.5) + 1
    Image.new("1", (side, side), 1).save(out, optimize=False)
    return out


def noise_photo(out: Path, size: tuple[int, int] = (1600, 1200), seed: int = 3) -> Path:
    """A photo-like image with no text: smooth colour gradients, blobs and sensor noise."""
    import numpy as np
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(seed)
    width, height = size
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([128 + 90 * np.sin(x / 210 + k) * np.cos(y / 170 - k) for k in range(3)], axis=-1)
    for _ in range(12):
        cx, cy, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(60, 260)
        blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))[..., None]
        base = base * (1 - blob) + rng.uniform(0, 255, 3) * blob
    base += rng.normal(0, 9, base.shape)
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB").filter(ImageFilter.GaussianBlur(1.2))
    image.save(out, quality=88)
    return out


def _rewrite_docx(source: Path, out: Path, document_xml: bytes) -> Path:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = document_xml if item.filename == "word/document.xml" else src.read(item.filename)
            dst.writestr(item, data)
    return out


def entity_bomb_docx(source: Path, out: Path) -> Path:
    """``source`` with a billion-laughs DOCTYPE in word/document.xml and the entity used in the text."""
    with zipfile.ZipFile(source) as src:
        xml = src.read("word/document.xml")
    lol = ['<!ENTITY lol0 "哈哈哈哈哈哈哈哈哈哈">'] + [
        f'<!ENTITY lol{i} "{"".join(f"&lol{i - 1};" for _ in range(10))}">' for i in range(1, 10)
    ]
    doctype = ("<!DOCTYPE w:document [" + "".join(lol) + "]>").encode()
    head, rest = xml.split(b"?>", 1)
    xml = head + b"?>" + doctype + rest.replace(b"<w:t>", b"<w:t>&lol9;", 1)
    return _rewrite_docx(source, out, xml)


def commented_docx(source: Path, out: Path) -> Path:
    """``source`` with XML comments between paragraphs and inside a run (valid XML; Word-safe)."""
    with zipfile.ZipFile(source) as src:
        xml = src.read("word/document.xml")
    xml = xml.replace(b"<w:body>", b"<w:body><!-- made by a template tool -->", 1)
    xml = xml.replace(b"</w:p>", b"</w:p><!-- paragraph end -->", 3)
    xml = xml.replace(b"<w:r>", b"<w:r><!-- run -->", 2)
    return _rewrite_docx(source, out, xml)


def corrupt_docx(source: Path, out: Path) -> Path:
    """The first half of a real .docx: a truncated download."""
    data = source.read_bytes()
    out.write_bytes(data[: len(data) // 2])
    return out


def login_html(out: Path) -> Path:
    """A portal's login page (what a session-expired "save page" gives)."""
    out.write_text(
        """<!DOCTYPE html><html><head><meta charset="gb2312"><title>统一身份认证平台</title></head><body>
<div class="header">政务服务网 统一身份认证</div>
<form action="/login" method="post"><h2>用户登录</h2>
<label>用户名</label><input type="text" name="u"><label>密码</label><input type="password" name="p">
<label>验证码</label><input type="text" name="c"><button>登录</button>
<a href="/forget">忘记密码？</a> <a href="/reg">注册新用户</a></form>
<div class="footer">版权所有 政务服务网 技术支持：某某科技有限公司</div></body></html>""".encode("gb18030").decode(
            "gb18030"
        ),
        encoding="gb18030",
    )
    return out
