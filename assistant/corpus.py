"""Reading the corpus: plan files plus their metadata (manifest or inferred from the text).

``load_corpus(corpus_dir)`` returns one :class:`Document` per ``*.txt``/``*.md`` file.
Metadata comes from ``corpus/manifest.json`` when the file has an entry; otherwise it is
inferred from the text (title line, 发布机构, 〔2022〕 numbers, place names) and the
inferred fields are listed in ``Document.inferred`` so the caller can tell the user.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from .regions import Gazetteer
from .schema import Document

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
CORPUS_SUFFIXES = (".txt", ".md")

# Lines of web-page chrome around the plans: navigation, counters, share buttons, footers.
# They are kept in the file (spans stay exact) but never indexed as content.
_CHROME_LINE = re.compile(
    r"^\s*(?:"
    r"您当前的位置|首页\s*>>|浏览次数|字体[:：]|扫一扫在手机打开当前页|分享到|关闭\s*打印|打印\s*关闭"
    r"|.*版权所有|备案序号|.*ICP备|法定主动公开分类|[（(]信息公开形式"
    r"|政府信息公开\s*$|计划总结\s*$|【\s*字体"
    r")"
)
# Lines of the publisher's record (索引号, 文号, 发布机构, 公开日期 …): not plan content
# either, but facts about the document that staff ask for ("what is its 文号?"). They
# are indexed as the document's record chunk, apart from the plan's sections.
RECORD_LABELS = (
    "索引号", "信息名称", "文件编号", "文号", "生成日期", "成文日期", "内容概述", "发布日期", "发布时间",
    "信息来源", "来源", "发布机构", "公开日期", "公开方式", "废止日期", "主题分类",
)  # fmt: skip
# Web pages pad labels with spaces ("索 引 号", "文  号"); the pattern allows them.
_LABEL = "|".join(r"[^\S\n]*".join(label) for label in RECORD_LABELS)
_RECORD_LINE = re.compile(rf"^\s*(?:{_LABEL})[^\S\n]*[:：]")
_TRAILING_CHROME = re.compile(r"\s*(?:浏览次数|字体)[:：]")
_RECORD_FIELD = re.compile(rf"(?<![\u4e00-\u9fff])({_LABEL})[^\S\n]*[:：][^\S\n]*")


class CorpusError(ValueError):
    """A corpus file or the manifest cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Line:
    """A line of a document with its character offsets (end excludes the newline)."""

    start: int
    end: int
    text: str

    @property
    def stripped(self) -> str:
        return self.text.strip()


def split_lines(text: str) -> list[Line]:
    """Split into lines keeping absolute character offsets."""
    lines, pos = [], 0
    for raw in text.split("\n"):
        lines.append(Line(pos, pos + len(raw), raw))
        pos += len(raw) + 1
    return lines


def is_chrome(line: str) -> bool:
    """True for lines that are not plan content: web-page chrome (浏览次数, 分享到,
    版权所有 …) and the publisher's record lines (see :func:`is_record_line`)."""
    return bool(_CHROME_LINE.match(line)) or is_record_line(line)


def is_record_line(line: str) -> bool:
    """True for a line of the publisher's record: "发布机构: 省卫生健康委员会 文  号: 浙卫发〔2022〕8号"."""
    return bool(_RECORD_LINE.match(line))


def record_fields(line: str) -> dict[str, str]:
    """The labelled values of a record line, labels without padding.

    "文件编号: 发布机构:市卫生健康委员会" → {"文件编号": "", "发布机构": "市卫生健康委员会"}:
    a label the publisher left blank maps to "".
    """
    if not is_record_line(line):
        return {}
    matches = list(_RECORD_FIELD.finditer(line))
    fields: dict[str, str] = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        value = line[match.end() : following.start() if following else len(line)]
        value = _TRAILING_CHROME.split(value)[0].strip()
        label = re.sub(r"\s+", "", match.group(1))
        if label not in fields:
            fields[label] = value
    return fields


def read_text(path: Path) -> str:
    """Read a plan file as text: UTF-8 (with or without BOM), else GB18030.

    Raises CorpusError when the bytes are neither, or the file holds no text.
    """
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise CorpusError(f"{path.name}: not UTF-8 or GB18030 text")
    if "\x00" in text:
        raise CorpusError(f"{path.name}: looks like a binary file, not plain text")
    if not text.strip():
        raise CorpusError(f"{path.name}: the file is empty")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_manifest(corpus_dir: Path) -> dict[str, dict]:
    """The manifest's entries by file name; an absent manifest is an empty one."""
    path = corpus_dir / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise CorpusError(f"{path}: not valid JSON ({err})") from err
    documents = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(documents, dict):
        raise CorpusError(f'{path}: expected {{"documents": {{"<file name>": {{...}}}}}}')
    return documents


class MetadataReader:
    """Builds a Document's metadata from a manifest entry or, failing that, from its text."""

    _TITLE_WORDS = re.compile(r"(工作计划|工作要点|计划安排|工作安排|实施方案|工作方案|规划|要点|计划)")
    _YEAR = re.compile(r"(20\d{2})\s*年")
    _DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,8}[〔\[［(（]\s*(?:19|20)\d{2}\s*[〕\]］)）]\s*\d+\s*号")
    _DATE = re.compile(r"(20\d{2})[-年.](\d{1,2})[-月.](\d{1,2})日?")
    _ISSUER = re.compile(r"发布机构[:：]\s*(\S+)")
    _ISSUER_LINE = re.compile(
        r"^\s*(\S{2,12}(?:卫生健康委员会|卫生健康委|卫健委|卫生健康局|人民政府|办公室))\s*$", re.M
    )
    _LEVEL_WORDS: ClassVar[dict[str, str]] = {"全省": "province", "全市": "city", "全县": "county", "全区": "county"}

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self.gazetteer = gazetteer or Gazetteer()

    def read(self, path: Path, text: str, entry: dict | None) -> Document:
        inferred: list[str] = []
        entry = dict(entry or {})
        guessed = self._infer(text)
        for key, value in guessed.items():
            if entry.get(key) in (None, ""):
                entry[key] = value
                if value not in (None, "", []):
                    inferred.append(key)
        region = self.gazetteer.lookup(entry["region"], entry.get("region_parent")) if entry.get("region") else []
        chain = list(region[0].chain) if region else ([entry["region"]] if entry.get("region") else [])
        level = entry.get("level") or (region[0].level if region else "unknown")
        doc = Document(
            doc_id=entry.get("id") or path.stem,
            source=path.name,
            title=entry.get("title") or path.stem,
            region=entry.get("region") or "",
            region_chain=chain,
            level=level,
            year=int(entry["year"]) if entry.get("year") else None,
            issuer=entry.get("issuer"),
            doc_number=entry.get("doc_number"),
            published=entry.get("published"),
            region_en=entry.get("region_en") or (self.gazetteer.english_name(chain[0]) if chain else None),
            text=text,
            inferred=sorted(set(inferred)),
        )
        return doc

    def _infer(self, text: str) -> dict:
        """Best guesses from the text for every metadata field."""
        content = [ln.stripped for ln in split_lines(text) if ln.stripped]
        info_title = next((m.group(1) for ln in content if (m := re.match(r"信息名称[:：]\s*(\S.*)", ln))), None)
        title = info_title or next(
            (ln for ln in content[:20] if not is_chrome(ln) and len(ln) <= 60 and self._TITLE_WORDS.search(ln)),
            None,
        )
        if title:
            # "关于印发2022年全市卫生健康工作要点的通知" wraps the plan; its inner title is the plan's.
            inner = re.search(r"《([^》]+)》", text[:2000]) if "通知" in title else None
            title = re.sub(r"\s+", "", inner.group(1) if inner else title)
        years = self._YEAR.findall(title or "") or self._YEAR.findall(text[:3000])
        # Only the plan's own number: a 文号 field or a line holding nothing else;
        # numbers inside sentences are policies the plan cites.
        own_number = re.search(r"文\s*号[:：]\s*(\S+号)", text[:3000]) or re.search(
            rf"^\s*({self._DOC_NUMBER.pattern})\s*$", text[:3000], re.M
        )
        number = self._DOC_NUMBER.search(own_number.group(1)) if own_number else None
        issuer = self._ISSUER.search(text[:3000]) or self._ISSUER_LINE.search(text[:3000])
        dates = self._DATE.findall(text[:3000])
        level_hints = Counter(self._LEVEL_WORDS[w] for w in re.findall("|".join(self._LEVEL_WORDS), text))
        level_hint = level_hints.most_common(1)[0][0] if level_hints else None
        region = self.gazetteer.infer_region(text, level=level_hint)
        issuer_name = issuer.group(1) if issuer else None
        if issuer_name and region and issuer_name.startswith(("市", "县", "省", "区")):
            # "发布机构:市卫生健康委员会" leaves the place implicit; name it.
            issuer_name = region.name + issuer_name[1:]
        return {
            "title": title,
            "year": int(years[0]) if years else None,
            "doc_number": re.sub(r"\s+", "", number.group(0)) if number else None,
            "issuer": issuer_name,
            "published": "{}-{:02d}-{:02d}".format(*map(int, dates[0])) if dates else None,
            "region": region.name if region else None,
            "level": region.level if region else None,
        }


def load_document(path: Path, entry: dict | None = None, reader: MetadataReader | None = None) -> Document:
    """Read one plan file and its metadata. Raises CorpusError for unusable files."""
    text = read_text(path)
    if sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff") < 20:
        raise CorpusError(f"{path.name}: no Chinese plan text found")
    doc = (reader or MetadataReader()).read(path, text, entry)
    if doc.inferred:
        log.info("%s: inferred %s", path.name, ", ".join(f"{k}={getattr(doc, k)!r}" for k in doc.inferred))
    return doc


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The plan files of a corpus directory, sorted by name."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus directory not found: {corpus_dir}")
    return sorted(p for p in corpus_dir.iterdir() if p.suffix.lower() in CORPUS_SUFFIXES and p.is_file())


def load_corpus(corpus_dir: Path) -> list[Document]:
    """All plans of ``corpus_dir``; files that cannot be read are skipped with a warning."""
    manifest = load_manifest(corpus_dir)
    reader = MetadataReader()
    documents = []
    for path in corpus_files(corpus_dir):
        try:
            documents.append(load_document(path, manifest.get(path.name), reader))
        except CorpusError as err:
            log.warning("skipped %s", err)
    return documents


__all__ = [
    "RECORD_LABELS",
    "CorpusError",
    "Document",
    "Line",
    "MetadataReader",
    "content_hash",
    "corpus_files",
    "is_chrome",
    "is_record_line",
    "load_corpus",
    "load_document",
    "load_manifest",
    "read_text",
    "record_fields",
    "split_lines",
]
