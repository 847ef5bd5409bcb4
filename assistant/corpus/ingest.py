"""Adding an uploaded original to the corpus: check it, read it as text, write it.

``prepare_upload(path, corpus_dir, name)`` reads any format the corpus takes (plain text, PDF with a
text layer or scanned, page images, ``.docx``, saved web pages; see :mod:`assistant.corpus.originals`)
and decides its corpus file, writing nothing; ``write_upload`` then puts it in place. A plain-text
upload is written as UTF-8 ``.txt`` (GBK and ``\r\n`` made canonical); every other original is kept
as the user gave it, byte for byte, under its own suffix: its text is derived (and cached by the
conversion cache). Names get ``-2``, ``-3`` … when the name or its document id is taken. Anything
unusable is refused with :class:`~assistant.corpus.CorpusError` whose message says why; on any
failure nothing is left behind in the corpus folder.

The caller then runs an (incremental) index build; see ``assistant.interfaces.uploads``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..config import DEFAULTS
from .errors import CorpusError
from .files import content_hash, corpus_files, load_manifest
from .metadata import MetadataReader
from .originals import ORIGINAL_SUFFIXES, TEXT_SUFFIXES, Originals, Progress, ReadOriginal

log = logging.getLogger(__name__)

ACCEPTED_SUFFIXES = ORIGINAL_SUFFIXES
MIN_CHINESE_CHARS = 20  # the same floor load_document applies

_UNSAFE_NAME = re.compile(r"[^\w\-.\u4e00-\u9fff（）()]+")


def count_chinese(text: str) -> int:
    """Number of CJK unified ideographs in ``text``."""
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")


def _originals(max_chars: int, max_unpacked: int, max_bytes: int, originals: Originals | None) -> Originals:
    if originals is not None:
        return originals
    from ..convert import ConvertOptions

    return Originals(
        None, ConvertOptions(max_chars=max_chars, max_unpacked_bytes=max_unpacked, max_file_bytes=max_bytes)
    )


def read_upload(
    path: Path,
    name: str | None = None,
    max_chars: int = DEFAULTS.max_plan_chars,
    max_unpacked: int = DEFAULTS.max_upload_text_bytes,
    max_bytes: int = DEFAULTS.max_upload_bytes,
    originals: Originals | None = None,
    progress: Progress | None = None,
) -> ReadOriginal:
    """An uploaded original read as text; raises CorpusError saying why it cannot be used.

    Input: any format of :data:`ACCEPTED_SUFFIXES`; ``name`` (default ``path.name``) is the name the
    user gave it, which decides its format and is used in messages; ``originals`` the reader (with
    its conversion cache) of the corpus the upload goes to.
    """
    name = name or path.name
    read = _originals(max_chars, max_unpacked, max_bytes, originals).read(path, name, progress)
    if not read.text.strip():
        raise CorpusError(f"{name}: the file is empty (no text in it)")
    return read


def extract_text(
    path: Path,
    name: str | None = None,
    max_chars: int = DEFAULTS.max_plan_chars,
    max_unpacked: int = DEFAULTS.max_upload_text_bytes,
    max_bytes: int = DEFAULTS.max_upload_bytes,
) -> str:
    """The plain text of an uploaded original (see :func:`read_upload`)."""
    return read_upload(path, name, max_chars, max_unpacked, max_bytes).text


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


def target_path(corpus_dir: Path, original_name: str, suffix: str | None = None) -> Path:
    """Where an upload named ``original_name`` goes: ``<stem><suffix>``, or ``<stem>-2<suffix>`` … if taken.

    ``suffix`` defaults to the one the original is kept under: ``.txt`` for plain text (which is
    written as UTF-8 text), else the original's own (``.pdf``, ``.docx`` …, lower case).
    """
    if suffix is None:
        own = Path(original_name).suffix.lower()
        suffix = ".txt" if own in TEXT_SUFFIXES or own not in ORIGINAL_SUFFIXES else own
    stem = safe_stem(original_name)
    taken = _taken_ids(corpus_dir)
    candidate, n = stem, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem}-{n}"
    return corpus_dir / f"{candidate}{suffix}"


def duplicate_of(corpus_dir: Path, text: str, originals: Originals | None = None) -> str | None:
    """The name of a corpus file whose text equals ``text``, if any (originals read by ``originals``)."""
    digest = content_hash(text)
    reader = originals or Originals(None)
    for existing in corpus_files(corpus_dir):
        try:
            if content_hash(reader.read(existing).text) == digest:
                return existing.name
        except CorpusError:
            continue
    return None


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class PreparedUpload:
    """An upload that passed every check and is ready to be written.

    ``text`` is what it reads as; ``kind`` the format it was read as (``text``, ``pdf``, ``scan`` …);
    ``source`` the uploaded file whose bytes are kept (None: plain text, written from ``text``);
    ``target`` the corpus file it becomes (nothing is written yet).
    """

    name: str  # the name the user gave it
    target: Path
    text: str
    kind: str = "text"
    source: Path | None = None

    @property
    def digest(self) -> str:
        return content_hash(self.text)


def prepare_upload(
    path: Path,
    corpus_dir: Path,
    original_name: str | None = None,
    max_chars: int = DEFAULTS.max_plan_chars,
    max_unpacked: int = DEFAULTS.max_upload_text_bytes,
    max_bytes: int = DEFAULTS.max_upload_bytes,
    originals: Originals | None = None,
    progress: Progress | None = None,
) -> PreparedUpload:
    """Check an uploaded original and decide its corpus file, writing nothing to the corpus.

    Raises CorpusError when the file is empty, binary, of a wrong type, undecodable, unreadable
    (encrypted, damaged, no text recognised …), holds no Chinese plan text, or duplicates a plan
    already in the corpus. With ``originals`` (the corpus's reader) its conversion is cached, so the
    index build that follows does not convert it again.
    """
    path, corpus_dir = Path(path), Path(corpus_dir)
    name = original_name or path.name
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus directory not found: {corpus_dir}")
    reader = _originals(max_chars, max_unpacked, max_bytes, originals)
    read = read_upload(path, name, max_chars, max_unpacked, max_bytes, reader, progress)
    if count_chinese(read.text) < MIN_CHINESE_CHARS:
        raise CorpusError(f"{name}: no Chinese plan text found (fewer than {MIN_CHINESE_CHARS} Chinese characters)")
    duplicate = duplicate_of(corpus_dir, read.text, reader)
    if duplicate:
        raise CorpusError(f"{name}: the same text is already in the corpus as {duplicate}")
    keep_bytes = Path(name).suffix.lower() not in TEXT_SUFFIXES
    return PreparedUpload(name, target_path(corpus_dir, name), read.text, read.kind, path if keep_bytes else None)


def write_upload(prepared: PreparedUpload) -> Path:
    """Write a prepared upload into the corpus; returns the new file.

    Written under a name the index builder ignores, then renamed into place, so a concurrent
    build never sees a half-written plan. Raises CorpusError (nothing left behind) when the
    written file is not what was checked.
    """
    target = prepared.target
    handle, partial_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".part", dir=target.parent)
    partial = Path(partial_name)
    try:
        if prepared.source is None:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                out.write(prepared.text)
        else:
            os.close(handle)
            shutil.copyfile(prepared.source, partial)
            if _file_digest(partial) != _file_digest(prepared.source):
                raise CorpusError(f"{prepared.name}: the copy in the corpus differs from the upload")
        os.replace(partial, target)
        document = MetadataReader().read(target, prepared.text, None)
    except CorpusError as err:
        target.unlink(missing_ok=True)
        raise CorpusError(str(err).replace(target.name, prepared.name, 1)) from err
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        partial.unlink(missing_ok=True)
    log.info(
        "added %s as %s (%s; title %r, region %r, year %s)",
        prepared.name,
        target.name,
        prepared.kind,
        document.title,
        document.region,
        document.year,
    )
    return target


def ingest_upload(
    path: Path,
    corpus_dir: Path,
    original_name: str | None = None,
    max_chars: int = DEFAULTS.max_plan_chars,
    max_unpacked: int = DEFAULTS.max_upload_text_bytes,
) -> Path:
    """Validate an uploaded original and write it into ``corpus_dir`` (see :func:`prepare_upload`
    and :func:`write_upload`); returns the new corpus file."""
    return write_upload(prepare_upload(path, corpus_dir, original_name, max_chars, max_unpacked))


__all__ = [
    "ACCEPTED_SUFFIXES",
    "PreparedUpload",
    "count_chinese",
    "duplicate_of",
    "extract_text",
    "ingest_upload",
    "prepare_upload",
    "read_upload",
    "safe_stem",
    "target_path",
    "write_upload",
]
