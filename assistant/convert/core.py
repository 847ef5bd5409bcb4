"""``convert``: one original file → one clean text with page, line and table spans."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from .cleanup import count_cjk
from .errors import ConversionError
from .layout import RawLine, RawPage, assemble
from .model import Converted, PageSpan
from .ocr import ocr_page
from .options import DEFAULT_OPTIONS, ConvertOptions
from .render import IMAGE_SUFFIXES, image_dpi, image_frame, open_image

log = logging.getLogger(__name__)

VERSION = "policyqa-convert/2"  # 2: portal chrome lines (share, print, copyright, ICP) dropped from web pages
TEXT_SUFFIXES = (".txt", ".md")
SUFFIXES = (*TEXT_SUFFIXES, ".pdf", ".docx", ".html", ".htm", *IMAGE_SUFFIXES)

Progress = Callable[[int, int, str], None]


def _no_progress(done: int, total: int, message: str) -> None:
    """The default progress callback: nothing."""


class _Clock:
    """The whole conversion's time budget; ``check()`` raises once it is spent."""

    def __init__(self, name: str, seconds: float) -> None:
        self.name, self.seconds, self.started = name, seconds, time.monotonic()

    def check(self) -> None:
        if time.monotonic() - self.started > self.seconds:
            raise ConversionError(f"{self.name}: the conversion took longer than {self.seconds:g} s")

    def elapsed(self) -> float:
        return time.monotonic() - self.started


def _checked_file(path: Path, name: str, options: ConvertOptions) -> str:
    """The lower-case suffix of ``name`` once the file is known to exist, be non-empty and small enough."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ConversionError(
            f"{name}: file type {suffix or '(none)'} is not supported; use .txt, .md, .pdf, .docx, .html or an image"
        )
    try:
        size = path.stat().st_size
    except OSError as err:
        raise ConversionError(f"{name}: cannot be read ({err.strerror or err})") from None
    if not path.is_file():
        raise ConversionError(f"{name}: not a file")
    if size == 0:
        raise ConversionError(f"{name}: the file is empty")
    if size > options.max_file_bytes:
        raise ConversionError(f"{name}: {size / 1e6:.1f} MB; at most {options.max_file_bytes / 1e6:.0f} MB")
    return suffix


def _convert_text(path: Path, name: str) -> Converted:
    from .plain import read_plain

    text = read_plain(path, name)
    return Converted(text=text, kind="text", pages=[PageSpan(1, 0, len(text))])


def _convert_pdf(path: Path, name: str, options: ConvertOptions, clock: _Clock, progress: Progress) -> Converted:
    from .pdf import read_pdf

    found = read_pdf(path, name, options, clock.check, progress)
    if found.text_pages + found.ocr_pages == 0:
        raise ConversionError(f"{name}: all {len(found.pages)} pages are blank (no text, nothing to read)")
    result = assemble(found.pages, found.tables)
    if found.ocr_pages == 0:
        kind = "pdf"
    elif found.text_pages == 0:
        kind = "scan"
    else:
        kind = "mixed"
    warnings = list(found.warnings)
    if kind == "mixed":
        warnings.append(f"{found.ocr_pages} of {len(found.pages)} pages were read by OCR")
    converted = Converted(result.text, kind, result.pages, result.tables, warnings)
    if kind == "scan":
        _check_ocr_result(converted, name, options)
    return converted


def _check_ocr_result(converted: Converted, name: str, options: ConvertOptions) -> None:
    """Refuse OCR output that is not Chinese document text (a photo, noise, a blank scan)."""
    cjk = count_cjk(converted.text)
    confidences = [(p.ocr_confidence, p.end - p.start) for p in converted.pages if p.ocr_confidence is not None]
    weight = sum(n for _, n in confidences)
    mean = sum(c * n for c, n in confidences) / weight if weight else 0.0
    if cjk < options.min_chinese_chars:
        raise ConversionError(f"{name}: no Chinese text recognised ({cjk} Chinese characters found)")
    if mean < options.min_document_confidence:
        raise ConversionError(f"{name}: no Chinese text recognised (mean OCR confidence {mean:.2f})")


def _convert_image(path: Path, name: str, options: ConvertOptions, clock: _Clock, progress: Progress) -> Converted:
    image = open_image(path, name, options.max_image_pixels)
    with image:
        frames = getattr(image, "n_frames", 1)
        if frames > options.max_pages:
            raise ConversionError(f"{name}: {frames} pages; at most {options.max_pages}")
        scale = 72 / image_dpi(image)
        pages: list[RawPage] = []
        for index in range(frames):
            clock.check()
            progress(index, frames, f"page {index + 1}/{frames}")
            try:
                frame = image_frame(image, index, options.max_image_pixels)
            except ConversionError as err:
                raise ConversionError(f"{name}: {err}") from None
            except (OSError, ValueError, SyntaxError) as err:  # truncated or damaged image data
                raise ConversionError(f"{name}: the image cannot be decoded ({err})") from None
            read = ocr_page(frame, scale, options.min_ocr_confidence)
            width, height = frame.width * scale, frame.height * scale
            pages.append(
                RawPage(
                    index + 1, read.lines, width, height, read.confidence, read.upright_height if read.turned else None
                )
            )
        progress(frames, frames, "done")
    result = assemble(pages, {})
    converted = Converted(result.text, "image", result.pages, result.tables)
    _check_ocr_result(converted, name, options)
    return converted


def _convert_unpaged(lines: list[RawLine], tables: dict[int, list[str]], kind: str) -> Converted:
    result = assemble([RawPage(1, lines)], tables, paged=False)
    return Converted(result.text, kind, result.pages, result.tables)


def _dispatch(
    path: Path, name: str, suffix: str, options: ConvertOptions, clock: _Clock, progress: Progress
) -> Converted:
    if suffix in TEXT_SUFFIXES:
        return _convert_text(path, name)
    if suffix == ".pdf":
        return _convert_pdf(path, name, options, clock, progress)
    if suffix == ".docx":
        from .word import read_docx

        return _convert_unpaged(*read_docx(path, name, options.max_unpacked_bytes), "docx")
    if suffix in (".html", ".htm"):
        from .web import read_html

        return _convert_unpaged(*read_html(path.read_bytes(), name, options.min_chinese_chars), "html")
    return _convert_image(path, name, options, clock, progress)


def convert(
    path: Path,
    name: str | None = None,
    options: ConvertOptions = DEFAULT_OPTIONS,
    progress: Progress | None = None,
) -> Converted:
    """Convert one original file to text.

    Input: ``path`` of the file; ``name`` the user's file name (default ``path.name``), whose suffix
    decides the format and which messages name; ``options`` the limits; ``progress(done, total,
    message)`` called as pages are read.
    Output: a :class:`Converted`. Raises :class:`ConversionError` (one line naming the file and
    the reason) for anything unusable; no library exception escapes.
    """
    path = Path(path)
    name = name or path.name
    progress = progress or _no_progress
    clock = _Clock(name, options.max_seconds)
    try:
        suffix = _checked_file(path, name, options)
        converted = _dispatch(path, name, suffix, options, clock, progress)
    except ConversionError:
        raise
    except MemoryError:
        raise ConversionError(f"{name}: the conversion needs more memory than is available") from None
    except RecursionError:
        raise ConversionError(f"{name}: the file is nested too deeply to read") from None
    except Exception:  # any library failure becomes a plain message; the trace goes to the log
        log.warning("converting %s failed", name, exc_info=True)
        # The library's own words stay in the log: they mean nothing to the user and may leak paths.
        raise ConversionError(f"{name}: cannot be read (the file is damaged or not what its name says)") from None
    clock.check()
    if not converted.text.strip():
        raise ConversionError(f"{name}: no text in it")
    if len(converted.text) > options.max_chars:
        raise ConversionError(
            f"{name}: {len(converted.text):,} characters of text; a plan may have at most {options.max_chars:,}"
        )
    converted.version = VERSION
    converted.seconds = round(clock.elapsed(), 3)
    log.info("converted %s (%s, %d pages, %d chars) in %.1f s", name, converted.kind, len(converted.pages),
             len(converted.text), converted.seconds)  # fmt: skip
    return converted
