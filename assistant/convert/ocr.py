"""OCR of page images with RapidOCR (PP-OCRv4, models inside the rapidocr-onnxruntime wheel).

One engine per process, built on first use. A page is read upright whatever its orientation:
a page turned by 90°/270° shows as mostly tall text boxes and is turned; one upside down is
found by the angle classifier voting over its lines. Reading order is rebuilt from the boxes
(after undoing a slight skew), giving the same kind of lines as a PDF text layer.
"""

from __future__ import annotations

import logging
import math
import statistics
import threading
from dataclasses import dataclass

from .cleanup import fix_ocr_confusions
from .layout import RawLine

log = logging.getLogger(__name__)

_ENGINE = None
_ENGINE_LOCK = threading.Lock()  # the engine keeps per-call state (text_score) and is not meant to be shared


def engine():
    """The process's RapidOCR engine (built on first use: loading the models takes ~1 s)."""
    global _ENGINE
    if _ENGINE is None:
        from rapidocr_onnxruntime import RapidOCR

        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        _ENGINE = RapidOCR()
    return _ENGINE


@dataclass
class OcrBox:
    """One recognised text box: its corner points (image pixels), text and confidence."""

    points: list[tuple[float, float]]
    text: str
    score: float

    @property
    def width(self) -> float:
        (x0, y0), (x1, y1) = self.points[0], self.points[1]
        return math.hypot(x1 - x0, y1 - y0)

    @property
    def height(self) -> float:
        (x0, y0), (x3, y3) = self.points[0], self.points[3]
        return math.hypot(x3 - x0, y3 - y0)


@dataclass
class OcrPage:
    """A page read by OCR: its lines (bboxes in PDF points of the unturned page) and mean confidence."""

    lines: list[RawLine]
    confidence: float | None
    turned: int  # quarter turns (counter-clockwise) that made the page upright
    chars: int
    upright_height: float  # points: the page height as read (differs from the image's after a quarter turn)


def _run(image, min_confidence: float = 0.5) -> list[OcrBox]:
    """Detect, classify and recognise text in a PIL image; lines read badly are read once more."""
    import numpy as np

    array = np.asarray(image.convert("RGB"))[:, :, ::-1]  # RapidOCR works in OpenCV's BGR order
    with _ENGINE_LOCK:
        # text_score=0 keeps every detected line, so that a line read badly can be read again below.
        result, _ = engine()(array, use_cls=True, text_score=0.0)
    boxes = [
        OcrBox([(float(x), float(y)) for x, y in points], str(text), float(score))
        for points, text, score in result or []
    ]
    return _reread(array, boxes, min_confidence)


def _reread(array, boxes: list[OcrBox], min_confidence: float) -> list[OcrBox]:
    """Read lines again that came back empty or unsure, as cut out and turned by 180°.

    The angle classifier sometimes turns an upright line over (then it reads as nothing, score 0);
    reading the crop both ways and keeping the better reading recovers it.
    """
    import numpy as np

    weak = [i for i, box in enumerate(boxes) if box.score < min_confidence]
    if not weak:
        return boxes
    try:
        with _ENGINE_LOCK:
            crops = engine().get_crop_img_list(array, [np.array(boxes[i].points, dtype=np.float32) for i in weak])
            both = [c for crop in crops for c in (crop, np.ascontiguousarray(np.rot90(crop, 2)))]
            readings, _ = engine().text_rec(both)
    except Exception:  # internals of rapidocr-onnxruntime 1.4; without them the first reading stands
        log.debug("re-reading weak OCR lines failed", exc_info=True)
        return boxes
    for k, i in enumerate(weak):
        best = max(readings[2 * k : 2 * k + 2], key=lambda r: float(r[1]))
        if float(best[1]) > boxes[i].score:
            boxes[i] = OcrBox(boxes[i].points, str(best[0]), float(best[1]))
    return boxes


def _tall_share(boxes: list[OcrBox]) -> float:
    """Share of the clearly elongated boxes that are taller than wide (text lines of a page turned 90°)."""
    tall = sum(1 for b in boxes if b.height > 2 * b.width)
    wide = sum(1 for b in boxes if b.width > 2 * b.height)
    return tall / (tall + wide) if tall + wide else 0.0


def _upside_down_share(image, boxes: list[OcrBox]) -> float:
    """Share of the largest text lines the angle classifier reads as turned by 180°."""
    import numpy as np

    lines = sorted((b for b in boxes if b.width > 3 * b.height), key=lambda b: -b.width)[:24]
    if not lines:
        return 0.0
    crops = []
    for box in lines:
        xs, ys = [p[0] for p in box.points], [p[1] for p in box.points]
        crop = image.crop((int(min(xs)), int(min(ys)), int(max(xs)) + 1, int(max(ys)) + 1)).convert("RGB")
        crops.append(np.asarray(crop)[:, :, ::-1])
    with _ENGINE_LOCK:
        _, labels, _ = engine().text_cls(crops)
    turned = sum(1 for label, score in labels if "180" in str(label) and score > 0.6)
    return turned / len(lines)


def _quality(boxes: list[OcrBox]) -> float:
    return sum(b.score * len(b.text) for b in boxes)


def read_upright(image, min_confidence: float = 0.5) -> tuple[list[OcrBox], int, tuple[int, int]]:
    """OCR ``image`` in the orientation that reads; returns boxes, quarter turns applied, upright size."""
    from PIL import Image

    turns = 0
    boxes = _run(image, min_confidence)
    if boxes and _tall_share(boxes) > 0.6:
        turns = 1
        image = image.transpose(Image.Transpose.ROTATE_90)
        boxes = _run(image, min_confidence)
    if boxes and _upside_down_share(image, boxes) > 0.5:
        turned = image.transpose(Image.Transpose.ROTATE_180)
        again = _run(turned, min_confidence)
        if _quality(again) >= 0.9 * _quality(boxes):
            image, boxes, turns = turned, again, turns + 2
    return boxes, turns % 4, image.size


def _to_original(point: tuple[float, float], turns: int, upright_size: tuple[int, int]) -> tuple[float, float]:
    """Map a point of the upright image back to the original image's pixel grid."""
    u, v = point
    w, h = upright_size
    if turns == 1:  # original (x, y) → upright (y, W0 - x) with W0 = h
        return h - v, u
    if turns == 2:
        return w - u, h - v
    if turns == 3:  # original (x, y) → upright (H0 - y, x) with H0 = w
        return v, w - u
    return u, v


def _skew(boxes: list[OcrBox]) -> float:
    """The page's skew in radians: the median slope of long text lines (0 if there are none)."""
    slopes = []
    for box in boxes:
        if box.width > 3 * box.height:
            (x0, y0), (x1, y1) = box.points[0], box.points[1]
            slopes.append(math.atan2(y1 - y0, x1 - x0))
    angle = statistics.median(slopes) if slopes else 0.0
    return angle if abs(angle) < math.radians(10) else 0.0


def group_lines(boxes: list[OcrBox]) -> list[list[OcrBox]]:
    """Boxes → lines: grouped by vertical overlap after undoing the skew, top to bottom, left to right."""
    if not boxes:
        return []
    angle = _skew(boxes)
    cos, sin = math.cos(angle), math.sin(angle)

    def centre(box: OcrBox) -> tuple[float, float]:
        cx = sum(p[0] for p in box.points) / 4
        cy = sum(p[1] for p in box.points) / 4
        return cos * cx + sin * cy, -sin * cx + cos * cy

    placed = sorted(((centre(b), b) for b in boxes), key=lambda item: item[0][1])
    lines: list[list[tuple[tuple[float, float], OcrBox]]] = []
    for (x, y), box in placed:
        if lines:
            last = lines[-1]
            line_y = statistics.fmean(c[1] for c, _ in last)
            line_h = statistics.fmean(b.height for _, b in last)
            if abs(y - line_y) < 0.5 * min(line_h, box.height):
                last.append(((x, y), box))
                continue
        lines.append([((x, y), box)])
    return [[b for _, b in sorted(line, key=lambda item: item[0][0])] for line in lines]


def _bounds(points: list[tuple[float, float]], scale: float) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs) * scale, min(ys) * scale, max(xs) * scale, max(ys) * scale


def ocr_page(image, scale: float, min_confidence: float) -> OcrPage:
    """Read one page image. ``scale`` converts its pixels to PDF points (72 / dpi).

    Output lines carry bboxes in points on the image as given (so they can be drawn on the page
    as rendered) and, for a turned page, their box as read (``layout``); boxes below ``min_confidence`` are dropped.
    """
    boxes, turns, upright_size = read_upright(image, min_confidence)
    boxes = [b for b in boxes if b.score >= min_confidence and b.text.strip()]
    lines = []
    for group in group_lines(boxes):
        points = [_to_original(p, turns, upright_size) for box in group for p in box.points]
        upright = [p for box in group for p in box.points]
        lines.append(
            RawLine(
                text=fix_ocr_confusions(" ".join(b.text.strip() for b in group)),
                bbox=_bounds(points, scale),
                layout=_bounds(upright, scale) if turns else None,
            )
        )
    chars = sum(len(b.text) for b in boxes)
    confidence = sum(b.score * len(b.text) for b in boxes) / chars if chars else None
    return OcrPage(lines, confidence, turns, chars, upright_size[1] * scale)
