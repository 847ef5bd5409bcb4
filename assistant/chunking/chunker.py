"""Outline-aware chunking: a plan's own numbering decides where chunks begin and end.

:class:`SectionChunker` turns a :class:`Document` into :class:`Chunk` objects:

1. every content line (web chrome excluded) is checked for an outline marker —
   一、 / （一）(一) / 1. 1、 / （1）(1) / ① — full- or half-width, any number (十一、, 二十九);
2. levels are not fixed per marker family: the first family seen is the top level,
   a family not yet open nests under the current one, a family already open closes
   everything below it. This handles plans whose top level is （一） (开封) as well
   as 一、 > （一） > 1. (东海) and numbering that continues across sections;
3. a heading runs to the end of its line or, if the line goes on, to the first 。
   ("（二）提升防控能力。建强…" → heading "（二）提升防控能力");
4. run-in sub-headings — short verb phrases that open sentences inside long paragraphs
   ("全面加快重点项目建设。…持续改善医疗服务。…") and "一是/二是" — become finer sections
   when a paragraph has at least two of them, and paragraphs that each open with one
   become their own sections;
5. each section becomes a chunk; sections over the size budget are split at sentence
   ends with one sentence of overlap; tiny run-in sections merge with their siblings.

Chunks never cross a numbered section, so no chunk crosses a top-level section.
Every chunk's text is exactly ``document.text[start:end]``.

The publisher's record lines around a web-published plan (索引号, 文号, 发布机构,
公开日期 …) are not plan content, but they answer "what is its document number" and
"when was it published": they become the document's *record chunk*, section 文件信息.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ..config import DEFAULTS, Settings
from ..corpus import is_chrome, is_record_line, split_lines
from ..schema import Chunk, ChunkKind, Document
from ..text import CN_NUMERAL_CHARS, Sentence, split_sentences, squeeze_cjk_spaces
from .outline import heading_of, item_fields, marker_family

CHUNKER_VERSION = "section-5"  # 5: documents carry the years they cover (chunking.coverage)
RECORD_SECTION = "文件信息"

# A heading that looks back at an earlier year: its section states what was done, not planned.
_REVIEW = re.compile(
    r"回顾|过去一年|过去五年|过去的一年|上一年|去年|一年来|工作总结|\d{4}\s*年(?:主要)?工作(?:情况|成效|成绩)"
    r"|取得的(?:成绩|成效)|主要成效"
)

# A run-in sub-heading is a short sentence with no numbers, lists, quotes or titles:
# "持续改善医疗服务。" yes; "新建40个家庭医生工作室。" / "成立并运行“常州中医联盟”。" no.
_NOT_IN_RUNIN = re.compile(r"[0-9０-９、“”\"《》,，%％；;：:（）()]")
# Where an over-long sentence may be cut: after a clause mark or a space.
_SOFT_BREAKS = ("，", "；", "、", ",", ";", " ", "\u3000", "：")
_ORDINAL_RUNIN = re.compile(rf"^[{CN_NUMERAL_CHARS}]{{1,3}}是")


def reviewed_year(trail: list[str], year: int | None) -> int | None:
    """The year a section reviews, when its headings say it looks back: "一、2023年工作回顾" →
    2023; "一、过去一年和五年工作回顾" in a 2024 report → 2023. None for the plan's own year."""
    for heading in trail:
        if _REVIEW.search(heading):
            stated = [int(y) for y in re.findall(r"(20\d{2})\s*年", heading)]
            earlier = [y for y in stated if year is None or y < year]
            if earlier:
                return max(earlier)
            return year - 1 if year else None
    return None


def context_header(document: Document, trail: list[str], about_year: int | None = None) -> str:
    """The line(s) put before a chunk's text for embedding and BM25.

    Most paragraphs never name their region or year; without this header the same
    target in two plans is indistinguishable. A section reviewing an earlier year says so.
    """
    region = "".join(reversed(document.region_chain)) or document.region
    english = f"（{document.region_en}）" if document.region_en else ""
    year = f"{document.year}年" if document.year else ""
    review = f"（回顾{about_year}年）" if about_year else ""
    header = f"{region}{english}{year}《{document.title}》{review}"
    return header + ("\n" + " > ".join(trail) if trail else "") + "\n"


def _is_runin(sentence: str, max_len: int) -> bool:
    body = sentence.rstrip("。")
    if _ORDINAL_RUNIN.match(body):
        return True
    return 4 <= len(body) < max_len and sentence.endswith("。") and not _NOT_IN_RUNIN.search(body)


@dataclass
class _Block:
    """A contiguous run of one section's own text, before chunk-size rules apply."""

    trail: list[str]
    start: int
    end: int
    numbered: bool = True  # False for run-in sub-sections (their headings live in the text)
    heading_only: bool = False
    paragraphs: list[tuple[int, int]] = field(default_factory=list)


class SectionChunker:
    """Splits documents into section chunks under a character budget.

    Args:
        max_chars: longest chunk text; longer sections split at sentence ends.
        min_chars: run-in sub-sections shorter than this merge with the next sibling.
        overlap_sentences: sentences repeated at the start of the next piece of a split.
        runin_max_len: longest run-in sub-heading, in characters without the 。.
    """

    def __init__(
        self,
        max_chars: int = DEFAULTS.chunk_max_chars,
        min_chars: int = DEFAULTS.chunk_min_chars,
        overlap_sentences: int = DEFAULTS.chunk_overlap_sentences,
        runin_max_len: int = DEFAULTS.chunk_runin_max_chars,
    ) -> None:
        if not 0 < min_chars < max_chars:
            raise ValueError(f"SectionChunker needs 0 < min_chars < max_chars (got {min_chars}, {max_chars})")
        if overlap_sentences < 0 or runin_max_len < 1:
            raise ValueError(
                f"SectionChunker: overlap_sentences ({overlap_sentences}) must be ≥ 0 and runin_max_len "
                f"({runin_max_len}) ≥ 1"
            )
        self.max_chars = max_chars
        self.min_chars = min_chars
        self.overlap_sentences = overlap_sentences
        self.runin_max_len = runin_max_len

    @classmethod
    def from_settings(cls, settings: Settings) -> SectionChunker:
        """The chunker ``settings`` describe (the index's, the documents list's)."""
        s = settings
        return cls(s.chunk_max_chars, s.chunk_min_chars, s.chunk_overlap_sentences, s.chunk_runin_max_chars)

    # -- public -----------------------------------------------------------------------

    def outline(self, document: Document) -> list[list[str]]:
        """The heading trails of every numbered section, in document order."""
        trails, seen = [], set()
        for block in self._numbered_blocks(document.text):
            key = tuple(block.trail)
            if key and key not in seen:
                seen.add(key)
                trails.append(block.trail)
        return trails

    def chunk(self, document: Document) -> list[Chunk]:
        """Chunks of one document, in reading order, each with its section trail and span."""
        text = document.text
        blocks: list[_Block] = []
        for block in self._numbered_blocks(text):
            blocks.extend(self._runin_blocks(text, block))
        blocks = [b for i, b in enumerate(blocks) if not self._drop(b, blocks[i + 1 : i + 2])]
        spans = [(*s, True) for s in self._capped(text, self._record_spans(text))]
        spans += [(*s, False) for s in self._capped(text, self._sized(text, self._merged(text, blocks)))]
        chunks: list[Chunk] = []
        for start, end, trail, record in spans:
            piece = text[start:end]
            about = None if record else reviewed_year(trail, document.year)
            chunks.append(
                Chunk(
                    chunk_id=Chunk.make_id(document.doc_id, start, end),
                    doc_id=document.doc_id,
                    source=document.source,
                    section=trail,
                    text=piece,
                    start=start,
                    end=end,
                    fields=item_fields(text[start : max(end, self._block_end(blocks, start))]),
                    embed_text=context_header(document, trail, about)
                    + (squeeze_cjk_spaces(piece) if record else piece),
                    kind=ChunkKind.RECORD if record else ChunkKind.BODY,
                    about_year=about,
                )
            )
        return chunks

    # -- the publisher's record ----------------------------------------------------------

    @staticmethod
    def _record_spans(text: str, max_gap_lines: int = 2) -> list[tuple[int, int, list[str]]]:
        """Spans of record lines; lines at most ``max_gap_lines`` apart share a span.

        The gap allows for the notice title or a chrome line printed between two
        record lines (浙江: 文号 line, title, 发布日期 line).
        """
        groups: list[list[int]] = []  # [start, end, non-record lines since the last record line]
        for line in split_lines(text):
            content = line.stripped
            if not content:
                continue
            if is_record_line(content):
                lead = len(line.text) - len(line.text.lstrip())
                start, end = line.start + lead, line.start + lead + len(content)
                if groups and groups[-1][2] <= max_gap_lines:
                    groups[-1][1:] = [end, 0]
                else:
                    groups.append([start, end, 0])
            elif groups:
                groups[-1][2] += 1
        return [(start, end, [RECORD_SECTION]) for start, end, _ in groups]

    # -- numbered outline ---------------------------------------------------------------

    def _numbered_blocks(self, text: str) -> list[_Block]:
        """One block per numbered section's own text (heading line + body before children)."""
        stack: list[tuple[str, str]] = []  # (family, heading)
        blocks: list[_Block] = []
        current: _Block | None = None

        def flush() -> None:
            nonlocal current
            if current is not None and current.paragraphs:
                current.start, current.end = current.paragraphs[0][0], current.paragraphs[-1][1]
                blocks.append(current)
            current = None

        for line in split_lines(text):
            content = line.stripped
            if not content:
                continue
            if is_chrome(content):
                flush()  # chrome interrupts a block so that no span covers it
                continue
            lead = len(line.text) - len(line.text.lstrip())
            span = (line.start + lead, line.start + lead + len(content))
            family = marker_family(content)
            if family is not None:
                flush()
                families = [f for f, _ in stack]
                if family in families:
                    del stack[families.index(family) :]
                heading, whole_line = heading_of(content)
                stack.append((family, heading))
                current = _Block([h for _, h in stack], 0, 0, heading_only=whole_line)
                current.paragraphs.append(span)
                continue
            if current is None:
                current = _Block([h for _, h in stack], 0, 0)
            elif current.heading_only and len(current.paragraphs) == 1:
                current.heading_only = False
            current.paragraphs.append(span)
        flush()
        return blocks

    @staticmethod
    def _drop(block: _Block, following: list[_Block]) -> bool:
        """Drop blocks that carry no content of their own.

        A heading-only block is dropped when its children follow (they carry its
        heading); a lone short line before the outline is a title, already in every
        chunk's context header.
        """
        if not block.trail and len(block.paragraphs) == 1:
            start, end = block.paragraphs[0]
            return end - start <= 40
        if not block.heading_only:
            return False
        return bool(following) and following[0].trail[: len(block.trail)] == block.trail

    # -- run-in sub-headings ----------------------------------------------------------

    def _runin_starts(self, text: str, block: _Block) -> list[tuple[int, str]]:
        """(offset, heading) of run-in sub-headings inside a block, if reliably detected."""
        starts: list[tuple[int, str]] = []
        body = block.paragraphs[1:] if block.numbered and len(block.trail) else block.paragraphs
        # Paragraphs that each open with a short run-in heading (东海 (二十二) style).
        openers = []
        for start, end in body:
            first = split_sentences(text[start:end], start)[:1]
            if first and _is_runin(first[0].text, self.runin_max_len + 4) and end - start > len(first[0].text) + 20:
                openers.append((start, first[0].text.rstrip("。")))
        if len(body) >= 2 and len(openers) >= 2:
            starts.extend(openers)
        # Sentences inside one long paragraph (常州 / 开封 style).
        for index, (start, end) in enumerate(block.paragraphs):
            if end - start < 200:
                continue
            sentences: list[Sentence] = split_sentences(text[start:end], start)
            skip_first = index == 0 and block.trail and not block.heading_only
            candidates = [
                (s.start, s.text.rstrip("。"))
                for i, s in enumerate(sentences)
                if not (i == 0 and skip_first) and _is_runin(s.text, self.runin_max_len)
            ]
            inner = [c for c in candidates if c[0] != start or not skip_first]
            if len(inner) >= 2:
                starts.extend(c for c in inner if c[0] not in {s for s, _ in starts})
        return sorted(set(starts))

    def _runin_blocks(self, text: str, block: _Block) -> list[_Block]:
        starts = self._runin_starts(text, block)
        if not starts:
            return [block]
        pieces: list[_Block] = []
        if starts[0][0] > block.start:
            pieces.append(_Block(block.trail, block.start, self._trim_end(text, block.start, starts[0][0])))
        for (start, heading), nxt in zip(starts, [*starts[1:], (block.end, "")], strict=True):
            end = self._trim_end(text, start, nxt[0])
            pieces.append(_Block([*block.trail, heading], start, end, numbered=False))
        return pieces

    @staticmethod
    def _trim_end(text: str, start: int, end: int) -> int:
        while end > start and text[end - 1].isspace():
            end -= 1
        return end

    # -- size rules -------------------------------------------------------------------

    def _merged(self, text: str, blocks: list[_Block]) -> list[tuple[int, int, list[str]]]:
        """Merge small run-in sub-sections with following siblings under the same parent."""
        merged: list[tuple[int, int, list[str]]] = []
        for block in blocks:
            if merged:
                start, end, trail = merged[-1]
                parent = block.trail[:-1] if not block.numbered else None
                prev_is_sibling = (
                    parent is not None and trail[: len(parent)] == parent and len(trail) <= len(block.trail)
                )
                contiguous = not text[end : block.start].strip()
                if (
                    prev_is_sibling
                    and contiguous
                    and (end - start < self.min_chars or block.end - block.start < self.min_chars)
                    and block.end - start <= self.max_chars
                ):
                    merged[-1] = (start, block.end, parent if trail != parent else trail)
                    continue
            merged.append((block.start, block.end, list(block.trail)))
        return merged

    def _sized(self, text: str, spans: list[tuple[int, int, list[str]]]) -> list[tuple[int, int, list[str]]]:
        """Split spans over ``max_chars``: first between paragraphs, then at sentence ends.

        Pieces are balanced (a 600-char section under a 500 budget gives two of ~300, not
        500 + 100); pieces cut inside a paragraph repeat ``overlap_sentences`` sentences.
        """
        out: list[tuple[int, int, list[str]]] = []
        for start, end, trail in spans:
            if end - start <= self.max_chars:
                out.append((start, end, trail))
                continue
            paragraphs = self._paragraphs(text, start, end)
            for piece_start, piece_end in self._pack(paragraphs, end - start):
                if piece_end - piece_start <= self.max_chars:
                    out.append((piece_start, piece_end, trail))
                else:
                    sentences = [(s.start, s.end) for s in split_sentences(text[piece_start:piece_end], piece_start)]
                    out.extend(
                        (a, b, trail) for a, b in self._pack(sentences, piece_end - piece_start, self.overlap_sentences)
                    )
        return out

    def _capped(self, text: str, spans: list[tuple[int, int, list[str]]]) -> list[tuple[int, int, list[str]]]:
        """Every span at most ``max_chars`` long, whatever its punctuation: a "sentence" longer
        than the budget (a page pasted without 。, a table flattened to one line) is cut at the
        last comma, semicolon or space of each window, else at the budget itself."""
        out: list[tuple[int, int, list[str]]] = []
        for start, end, trail in spans:
            while end - start > self.max_chars:
                window = text[start : start + self.max_chars]
                cut = max(window.rfind(mark) for mark in _SOFT_BREAKS) + 1
                if cut < self.max_chars // 2:
                    cut = self.max_chars
                piece_end = self._trim_end(text, start, start + cut)
                if piece_end > start:
                    out.append((start, piece_end, trail))
                start += cut
                while start < end and text[start].isspace():
                    start += 1
            if end > start:
                out.append((start, end, trail))
        return out

    @staticmethod
    def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
        spans, pos = [], start
        for line in text[start:end].split("\n"):
            if line.strip():
                lead = len(line) - len(line.lstrip())
                spans.append((pos + lead, pos + len(line.rstrip())))
            pos += len(line) + 1
        return spans

    def _pack(self, units: list[tuple[int, int]], length: int, overlap: int = 0) -> list[tuple[int, int]]:
        """Greedily pack consecutive units into pieces of about ``length / ceil(length / max)``."""
        target = length / math.ceil(length / self.max_chars)
        pieces: list[tuple[int, int]] = []
        i = 0
        while i < len(units):
            j = i + 1
            while (
                j < len(units)
                and units[j][1] - units[i][0] <= self.max_chars
                and units[j - 1][1] - units[i][0] < target
            ):
                j += 1
            pieces.append((units[i][0], units[j - 1][1]))
            if j >= len(units):
                break
            i = max(j - overlap, i + 1)
        return pieces

    @staticmethod
    def _block_end(blocks: list[_Block], start: int) -> int:
        """End of the block containing ``start``: item metadata sits at an item's end."""
        for block in blocks:
            if block.start <= start < block.end:
                return block.end
        return start
