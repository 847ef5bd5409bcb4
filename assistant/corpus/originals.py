"""Reading an original file of the corpus as text, whatever its format.

The corpus keeps what the user gave (a PDF stays a PDF); :class:`Originals` turns any supported
original into its text and the page of every span, through :mod:`assistant.convert`. Conversions
of everything but plain text are cached by the file's bytes (``index/conversions``), so an index
rebuild never runs OCR again, and run in a child process with a time and memory cap, so one
pathological file cannot hold a build or the server.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..convert import SUFFIXES, ConversionCache, ConversionError, Converted, ConvertOptions, convert
from ..schema import Page
from .errors import CorpusError

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md")
ORIGINAL_SUFFIXES = tuple(SUFFIXES)  # every format the converter reads
PAGED_KINDS = ("pdf", "scan", "mixed", "image")  # originals whose citations name a page

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ReadOriginal:
    """An original read as text: ``kind`` of file, its pages (empty unless paged) and warnings."""

    text: str
    kind: str
    pages: list[Page]
    warnings: list[str]


def pages_of(converted: Converted) -> list[Page]:
    """The page records of a paged conversion (PDF, scan, image); [] for formats without pages."""
    if converted.kind not in PAGED_KINDS:
        return []
    return [Page(p.page, p.start, p.end, p.ocr_confidence) for p in converted.pages if p.end > p.start]


class Originals:
    """Reads originals as text: ``read(path, name) -> ReadOriginal``.

    ``cache_dir``: where conversions are kept (None: no cache, every read converts);
    ``options``: the converter's limits (``Settings.convert_options()``); ``isolated``: convert in
    a child process (killed after ``options.max_seconds``). Every failure is a :class:`CorpusError`
    whose one line names the file and the reason.
    """

    def __init__(
        self, cache_dir: Path | None = None, options: ConvertOptions | None = None, isolated: bool = True
    ) -> None:
        self.options = options or ConvertOptions()
        self.cache = ConversionCache(Path(cache_dir)) if cache_dir is not None else None
        self.isolated = isolated

    def convert(self, path: Path, name: str | None = None, progress: Progress | None = None) -> Converted:
        """The full conversion (with line boxes and tables) of ``path``; ``name`` decides the format."""
        path = Path(path)
        name = name or path.name
        suffix = Path(name).suffix.lower()
        if suffix not in ORIGINAL_SUFFIXES:
            raise CorpusError(
                f"{name}: wrong file type {suffix or '(none)'}; use .txt, .md, .pdf (text or scanned), .docx, "
                ".html or a page image (.png, .jpg, .tif)"
            )
        try:
            if suffix in TEXT_SUFFIXES:
                return convert(path, name, self.options)  # cheap and exact: never cached or isolated
            if self.cache is not None:
                return self.cache.convert(path, name, self.options, progress, isolated=self.isolated)
            if self.isolated:
                from ..convert import convert_isolated

                return convert_isolated(path, name, self.options, progress)
            return convert(path, name, self.options, progress)
        except ConversionError as err:
            raise CorpusError(str(err)) from None

    def read(self, path: Path, name: str | None = None, progress: Progress | None = None) -> ReadOriginal:
        """The text of ``path`` and the page of each span (see :meth:`convert`)."""
        converted = self.convert(path, name, progress)
        return ReadOriginal(converted.text, converted.kind, pages_of(converted), list(converted.warnings))

    def page_png(self, path: Path, page: int, start: int, end: int, dpi: float = 110) -> bytes:
        """PNG of page ``page`` of a paged original with the lines holding ``text[start:end]`` boxed in red
        (the "show in document" of a citation). Raises CorpusError for a page that is not there."""
        from ..convert import boxed_page_png

        converted = self.convert(path)
        spans = [p for p in converted.pages if p.page == page]
        if converted.kind not in PAGED_KINDS or not spans:
            raise CorpusError(f"{Path(path).name}: no page {page} to show")
        boxes = [line.bbox for line in spans[0].lines if line.start < end and line.end > start]
        try:
            return boxed_page_png(Path(path), page, boxes, dpi)
        except ConversionError as err:
            raise CorpusError(str(err)) from None


__all__ = ["ORIGINAL_SUFFIXES", "PAGED_KINDS", "TEXT_SUFFIXES", "Originals", "ReadOriginal", "pages_of"]
