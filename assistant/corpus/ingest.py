"""Turning an uploaded plan file into a corpus file: validate, convert to UTF-8 text, write.

``ingest_upload(path, corpus_dir)`` accepts ``.txt`` / ``.md`` (UTF-8, GB18030 or GBK),
``.docx`` (via python-docx) and ``.pdf`` with a text layer (via pypdf), and writes the
plan's text into ``corpus_dir`` as a UTF-8 ``.txt`` named after the upload (``-2``,
``-3`` … appended when the name or its document id is taken). Anything unusable is
refused with :class:`~assistant.corpus.CorpusError` whose message says why; on any
failure nothing is left behind in the corpus folder.

The caller then runs an (incremental) index build; see ``assistant.app``.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import unicodedata
import zipfile
from pathlib import Path

from ..config import DEFAULTS
from .errors import CorpusError
from .files import content_hash, corpus_files, load_document, load_manifest, read_text
from .metadata import MetadataReader

log = logging.getLogger(__name__)

ACCEPTED_SUFFIXES = (".txt", ".md", ".docx", ".pdf")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MIN_CHINESE_CHARS = 20  # the same floor load_document applies

_UNSAFE_NAME = re.compile(r"[^\w\-.\u4e00-\u9fff（）()]+")


def count_chinese(text: str) -> int:
    """Number of CJK unified ideographs in ``text``."""
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")


def _looks_binary(data: bytes) -> bool:
    """True for bytes that are not text in any encoding we accept (NULs, many control bytes)."""
    sample = data[:65536]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > max(8, len(sample) // 100)


def extract_text(
    path: Path,
    name: str | None = None,
    max_chars: int = DEFAULTS.max_plan_chars,
    max_unpacked: int = DEFAULTS.max_upload_text_bytes,
) -> str:
    """The plain text of an uploaded plan file; raises CorpusError saying why it cannot be used.

    Input: a ``.txt``/``.md``/``.docx``/``.pdf`` file; ``name`` (default ``path.name``) is the
    name the user gave it, which decides its type and is used in messages.
    Output: its text with ``\\n`` line ends.
    """
    name = name or path.name
    suffix = Path(name).suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise CorpusError(
            f"{name}: wrong file type {suffix or '(none)'}; upload a .txt, .md, .docx or .pdf (with a text layer)"
        )
    try:
        size = path.stat().st_size
    except OSError as err:
        raise CorpusError(f"{name}: cannot be read ({err})") from err
    if size == 0:
        raise CorpusError(f"{name}: the file is empty")
    if size > MAX_UPLOAD_BYTES:
        raise CorpusError(f"{name}: too large ({size / 1e6:.1f} MB; at most {MAX_UPLOAD_BYTES // 1_000_000} MB)")
    if suffix in (".txt", ".md"):
        data = path.read_bytes()
        if _looks_binary(data):
            raise CorpusError(f"{name}: looks like a binary file, not plain text")
        text = _decode(data, name)
    elif suffix == ".docx":
        text = _docx_text(path, name, max_unpacked)
    else:
        text = _pdf_text(path, name, max_chars)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if not text.strip():
        raise CorpusError(f"{name}: the file is empty (no text in it)")
    if len(text) > max_chars:
        raise CorpusError(f"{name}: {len(text):,} characters of text; a plan may have at most {max_chars:,}")
    return text


def _decode(data: bytes, name: str) -> str:
    """Bytes of a text upload → str, as :func:`assistant.corpus.read_text` reads corpus files.

    UTF-8 (with or without BOM) first, else GB18030 (a superset of GBK and GB2312). Bytes in
    some other encoding (Latin-1, Big5 …) often still "decode" as GB18030 into rare
    characters; those are refused as garbled rather than indexed as nonsense.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as err:
        raise CorpusError(f"{name}: not UTF-8 or GBK/GB18030 text (cannot decode byte {err.start})") from err
    chinese = [ch for ch in text if "\u4e00" <= ch <= "\u9fff"]
    if chinese:
        common = sum(1 for ch in chinese if _in_gb2312(ch))
        if common / len(chinese) < 0.9:
            raise CorpusError(
                f"{name}: the text looks garbled when read as GBK/GB18030; save it as UTF-8 (or GBK) and upload again"
            )
    return text


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def _docx_text(path: Path, name: str, max_unpacked: int) -> str:
    """Paragraphs and table rows (cells joined by tabs) of a .docx, in document order."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if not zipfile.is_zipfile(path):
        raise CorpusError(f"{name}: not a valid .docx file (not a Word document package)")
    try:
        with zipfile.ZipFile(path) as package:
            unpacked = sum(member.file_size for member in package.infolist())
    except (zipfile.BadZipFile, OSError) as err:
        raise CorpusError(f"{name}: not a valid .docx file ({err})") from err
    if unpacked > max_unpacked:
        # Checked before anything is decompressed: a small .docx can hold gigabytes of XML.
        raise CorpusError(
            f"{name}: the document unpacks to {unpacked / 1e6:,.0f} MB; at most {max_unpacked / 1e6:,.0f} MB"
        )
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as err:
        raise CorpusError(f"{name}: not a valid .docx file ({err})") from err

    def text_of(element) -> str:
        return "".join(node.text or "" for node in element.iter() if node.tag.endswith("}t"))

    lines: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(text_of(child))
        elif tag == "tbl":
            for row in child.iter():
                if row.tag.endswith("}tr"):
                    cells = [text_of(cell).strip() for cell in row.iterchildren() if cell.tag.endswith("}tc")]
                    lines.append("\t".join(cells))
    return "\n".join(lines)


def _pdf_text(path: Path, name: str, max_chars: int) -> str:
    """The text layer of a PDF, page by page."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception as err:  # pypdf raises several kinds here
                raise CorpusError(f"{name}: the PDF is password-protected") from err
        pages, size = [], 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            size += len(pages[-1])
            if size > max_chars:
                raise CorpusError(f"{name}: the PDF holds more than {max_chars:,} characters of text")
    except CorpusError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as err:
        raise CorpusError(f"{name}: not a readable PDF ({err})") from err
    text = "\n".join(pages)
    if not text.strip():
        raise CorpusError(
            f"{name}: the PDF has no text layer (a scan?); run OCR first or upload the text as .txt/.docx"
        )
    return text


def safe_stem(name: str) -> str:
    """A file-name stem safe for the corpus folder, keeping Chinese characters: 'a b/c.txt' → 'c'."""
    stem = Path(unicodedata.normalize("NFC", name)).stem
    stem = _UNSAFE_NAME.sub("_", stem).strip("._-")
    return stem[:80] or "plan"


def _taken_ids(corpus_dir: Path) -> set[str]:
    """Document ids and stems already used in the corpus (files and manifest entries), lower case."""
    taken = {p.stem.lower() for p in corpus_dir.iterdir() if p.is_file()}
    try:
        manifest = load_manifest(corpus_dir)
    except CorpusError:
        manifest = {}
    for file_name, entry in manifest.items():
        taken.add(Path(file_name).stem.lower())
        if isinstance(entry, dict) and entry.get("id"):
            taken.add(str(entry["id"]).lower())
    return taken


def target_path(corpus_dir: Path, original_name: str) -> Path:
    """Where an upload named ``original_name`` goes: ``<stem>.txt``, or ``<stem>-2.txt`` … if taken."""
    stem = safe_stem(original_name)
    taken = _taken_ids(corpus_dir)
    candidate, n = stem, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem}-{n}"
    return corpus_dir / f"{candidate}.txt"


def _duplicate_of(corpus_dir: Path, text: str) -> str | None:
    """The name of a corpus file whose text equals ``text``, if any."""
    digest = content_hash(text)
    for existing in corpus_files(corpus_dir):
        try:
            if content_hash(read_text(existing)) == digest:
                return existing.name
        except CorpusError:
            continue
    return None


def ingest_upload(
    path: Path,
    corpus_dir: Path,
    original_name: str | None = None,
    max_chars: int = DEFAULTS.max_plan_chars,
    max_unpacked: int = DEFAULTS.max_upload_text_bytes,
) -> Path:
    """Validate an uploaded plan and write it into ``corpus_dir`` as UTF-8 ``.txt``.

    Args:
        path: the uploaded file.
        corpus_dir: the corpus folder; it must exist.
        original_name: the name the user uploaded (default ``path.name``); its suffix decides
            how the file is read and its stem names the new corpus file.

    Returns the path of the new corpus file. Raises CorpusError (nothing written) when the
    file is empty, binary, of a wrong type, undecodable, a PDF without text, holds no
    Chinese plan text, or duplicates a plan already in the corpus.
    """
    path, corpus_dir = Path(path), Path(corpus_dir)
    name = original_name or path.name
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus directory not found: {corpus_dir}")
    text = extract_text(path, name, max_chars, max_unpacked)
    if count_chinese(text) < MIN_CHINESE_CHARS:
        raise CorpusError(f"{name}: no Chinese plan text found (fewer than {MIN_CHINESE_CHARS} Chinese characters)")
    duplicate = _duplicate_of(corpus_dir, text)
    if duplicate:
        raise CorpusError(f"{name}: the same text is already in the corpus as {duplicate}")
    target = target_path(corpus_dir, name)
    # Write under a name the index builder ignores, then rename into place, so a
    # concurrent build never sees a half-written plan.
    handle, partial_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".part", dir=corpus_dir)
    partial = Path(partial_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(partial, target)
        document = load_document(target, None, MetadataReader())
    except CorpusError as err:
        target.unlink(missing_ok=True)
        raise CorpusError(str(err).replace(target.name, name, 1)) from err
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        partial.unlink(missing_ok=True)
    log.info(
        "added %s as %s (title %r, region %r, year %s)",
        name,
        target.name,
        document.title,
        document.region,
        document.year,
    )
    return target


__all__ = ["ACCEPTED_SUFFIXES", "count_chinese", "extract_text", "ingest_upload", "safe_stem", "target_path"]
