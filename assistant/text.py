"""Small text helpers shared by chunking, indexing and answering: sentences, CJK checks."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at 。！？!? (with any closing quotes/brackets that follow) or at a line end.
_SENTENCE = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+[”’」』）)]*|\n|$)")


@dataclass(frozen=True)
class Sentence:
    """A sentence with absolute character offsets; ``text == source[start:end]``."""

    start: int
    end: int
    text: str


def split_sentences(text: str, offset: int = 0) -> list[Sentence]:
    """Split ``text`` into sentences, trimming surrounding whitespace from each.

    Offsets are absolute: ``offset`` is where ``text`` starts in its source.
    """
    sentences = []
    for match in _SENTENCE.finditer(text):
        raw = match.group(0)
        stripped = raw.strip()
        if not stripped:
            continue
        lead = len(raw) - len(raw.lstrip())
        start = offset + match.start() + lead
        previous = sentences[-1] if sentences else None
        if previous and stripped[0] in "（(" and "\n" not in text[previous.end - offset : start - offset]:
            # "…。（牵头领导：王成江；责任科室：…）" — item metadata belongs to its sentence.
            merged = text[previous.start - offset : start - offset + len(stripped)]
            sentences[-1] = Sentence(previous.start, start + len(stripped), merged)
            continue
        sentences.append(Sentence(start, start + len(stripped), stripped))
    return sentences


_SPACE_IN_CJK = re.compile(r"(?<=[\u4e00-\u9fff])[^\S\n]+(?=[\u4e00-\u9fff])")


def squeeze_cjk_spaces(text: str) -> str:
    """Remove spaces between Chinese characters: "文  号" → "文号", "索 引 号" → "索引号".

    Web pages pad short labels with spaces; words must still match them.
    """
    return _SPACE_IN_CJK.sub("", text)


def cjk_ratio(text: str) -> float:
    """Share of CJK ideographs among the letters/ideographs of ``text`` (0.0 for none)."""
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    letters = sum(1 for ch in text if ch.isalpha())
    return cjk / letters if letters else 0.0
