"""The limits and knobs of one conversion (later mirrored into the project's Settings)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields

from .errors import ConversionError


@dataclass(frozen=True)
class ConvertOptions:
    """Every number a conversion obeys. Values are checked when the options are built.

    A bad value raises :class:`ConversionError` naming the field and the value.
    """

    # 10× a long plan (the bundled ones are 8-15 A4 pages); OCR of 300 pages already takes ~12 min on 2 cores.
    max_pages: int = 300
    # Whole conversion, in seconds: 300 scanned pages at ~2.4 s each is ~12 min, so 600 s bounds what an
    # upload can cost; convert_isolated kills the worker process at this limit.
    max_seconds: float = 600.0
    # Scanned plans at 200-300 dpi are 1-3 MB a page as JPEG; 50 MB is ~20+ scanned pages and far above
    # any text PDF or .docx of a plan (the README's upload limit is the same 50 MB of unpacked content).
    max_file_bytes: int = 50_000_000
    # An A4 page at 600 dpi is 35 MP; 40 MP accepts that and refuses a 100-MP decompression bomb before decoding.
    max_image_pixels: int = 40_000_000
    # Decompressed .docx members / PDF streams, checked before (or while bounded) unpacking: a 1 MB zip can
    # inflate to GBs. 50 MB is 100× the XML of the largest bundled plan.
    max_unpacked_bytes: int = 50_000_000
    # 10× the largest bundled plan (the project's max_plan_chars); indexing time grows with it.
    max_chars: int = 300_000
    # OCR resolution: PP-OCRv4 reads 10.5-pt Chinese reliably from ~150 dpi; 200 gives margin for small
    # print and noise; time grows with the square (RapidOCR caps the long side at 2,000 px anyway).
    ocr_dpi: int = 200
    # Recognised lines below this confidence are dropped (RapidOCR's own default floor is 0.5).
    min_ocr_confidence: float = 0.5
    # A whole document whose mean OCR confidence is below this is noise, not text (clean scans read at 0.9+).
    min_document_confidence: float = 0.7
    # A PDF page with fewer Chinese characters than this in its text layer (and a large image, or garbage)
    # is OCRed instead; a title or date line has ~5-10.
    min_page_cjk: int = 10
    # The same floor the corpus applies to a plan (assistant.corpus.ingest.MIN_CHINESE_CHARS).
    min_chinese_chars: int = 20
    # Address space of the convert_isolated worker: onnxruntime + a 200-dpi page need ~1 GB; 3 GB stops a
    # runaway before it takes the machine (24 GB shared by the server and the index build).
    max_memory_bytes: int = 3_000_000_000

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConversionError(f"ConvertOptions.{spec.name} must be a number, not {value!r}")
            if value <= 0 and spec.name not in ("min_ocr_confidence", "min_document_confidence"):
                raise ConversionError(f"ConvertOptions.{spec.name} must be positive, not {value!r}")
        for name in ("min_ocr_confidence", "min_document_confidence"):
            if not 0 <= getattr(self, name) < 1:
                raise ConversionError(f"ConvertOptions.{name} must be in [0, 1), not {getattr(self, name)!r}")
        if not 50 <= self.ocr_dpi <= 600:
            raise ConversionError(f"ConvertOptions.ocr_dpi must be between 50 and 600, not {self.ocr_dpi!r}")

    def output_key(self) -> dict[str, float]:
        """The options that decide what a successful conversion returns (for cache keys).

        ``max_seconds`` and ``max_memory_bytes`` only decide whether it finishes, so they are left out.
        """
        values = dataclasses.asdict(self)
        for name in ("max_seconds", "max_memory_bytes"):
            values.pop(name)
        return values


DEFAULT_OPTIONS = ConvertOptions()  # frozen, so one shared default instance is safe
