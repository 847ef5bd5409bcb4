"""Answers from a plan's outline: "常州2020年'坚守四大主业'包括哪四项工程？".

Plans are outlines, and staff often ask what a section is made of. The answer is then
the section's sub-headings, which are never quoted as sentences (a heading says nothing
by itself). :class:`OutlineAnswerer` recognises such a question — it asks what something
is made of (包括, 分为, 哪几项) and names every distinctive word of one section heading's
name ("坚守四大主业"), with the number of parts, if it gives one, matching — and quotes the
sub-headings verbatim, each cited with its exact span. Anything else is left to the extractive answerer (``None``).

Chinese questions only: English questions cannot name a Chinese heading's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .chunking import strip_marker
from .index import PolicyIndex
from .indicators import chinese_number
from .lexical import ChineseTokenizer
from .query import QueryScope
from .retrieval import Filters
from .schema import Answer, Citation, Document, Hit
from .text import cjk_ratio, squeeze_cjk_spaces

# Asks what a section is made of, not merely "which …" (哪些计划, 哪些应用 are content questions).
_ASKS_FOR_PARTS = re.compile(
    r"包括|包含|分为|分成|由哪|组成|哪几项|哪几个方面|哪[一二三四五六七八九十两\d]+[项个方类条大]|几项|几个方面"
)
_STATED_COUNT = re.compile(r"([两二三四五六七八九十]|\d{1,2})\s*[项个方类条大]")
# Words every heading has; matching them says nothing about which heading is meant.
_GENERIC = frozenset({"工作", "建设", "推进", "加强", "提升", "实施", "持续", "全面", "深入", "工程", "体系", "能力"})


@dataclass
class _Section:
    document: Document
    trail: tuple[str, ...]
    children: list[tuple[str, int, str]]  # (heading, its offset in the text, first chunk id)


class OutlineAnswerer:
    """Quotes a section's sub-headings when a question asks what that section contains.

    Args:
        index: the loaded index (chunks carry their section trails and spans).
        tokenizer: Chinese tokenizer for matching heading words.
        min_share: share of a heading name's distinctive words the question must contain.
    """

    def __init__(self, index: PolicyIndex, tokenizer: ChineseTokenizer | None = None, min_share: float = 1.0) -> None:
        self.index = index
        self.tokenizer = tokenizer or index.lexical.tokenizer
        self.min_share = min_share
        self._sections = self._outline_sections()

    def _outline_sections(self) -> list[_Section]:
        """Every heading with at least two sub-headings, per plan, in reading order."""
        children: dict[tuple[str, tuple[str, ...]], dict[str, tuple[int, int, str]]] = {}
        for chunk in self.index.chunks:
            for depth in range(1, len(chunk.section)):
                parent = (chunk.doc_id, tuple(chunk.section[:depth]))
                child = chunk.section[depth]
                children.setdefault(parent, {}).setdefault(child, (chunk.start, chunk.end, chunk.chunk_id))
        sections = []
        for (doc_id, trail), kids in children.items():
            document = self.index.documents[doc_id]
            located = []
            for heading, (chunk_start, chunk_end, chunk_id) in kids.items():
                # The heading opens its section's first chunk (a run-in one sits inside it),
                # so the quote is highlighted within the cited passage.
                offset = document.text.find(heading, chunk_start, chunk_end)
                if offset < 0:
                    break
                located.append((heading, offset, chunk_id))
            else:
                if len(located) >= 2:
                    sections.append(_Section(document, trail, sorted(located, key=lambda k: k[1])))
        return sections

    def _words(self, heading: str) -> set[str]:
        """Distinctive words of a heading's name: its first clause, without the marker.

        "(二)坚守四大主业,为高水平健康服务补齐短板" is named "坚守四大主业".
        """
        name = re.split(r"[,，;；:：。]", strip_marker(heading))[0]
        return {t for t in self.tokenizer.tokenize(name) if len(t) >= 2 and t not in _GENERIC}

    def answer(self, question: str, scope: QueryScope, filters: Filters | None = None) -> Answer | None:
        """The sub-headings of the section the question names, cited; None if it names none."""
        if cjk_ratio(question) < 0.5 or not _ASKS_FOR_PARTS.search(question) or scope.unavailable or scope.compare:
            return None
        filters = filters if filters is not None else scope.filters()
        asked = squeeze_cjk_spaces(question)
        # The last count is the one asked for ("坚守四大主业包括哪四项": 四项, not 四大).
        counts = _STATED_COUNT.findall(asked)
        count = None
        if counts:
            count = chinese_number(counts[-1])
        best: tuple[float, _Section] | None = None
        for section in self._sections:
            if filters and not filters.accepts(section.document):
                continue
            if count is not None and count != len(section.children):
                continue
            words = self._words(section.trail[-1])
            if len(words) < 2:
                continue
            share = sum(1 for w in words if w in asked) / len(words)
            if share >= self.min_share and (best is None or share > best[0]):
                best = (share, section)
        if best is None:
            return None
        section = best[1]
        doc = section.document
        citations = [
            Citation(
                n=n,
                chunk_id=chunk_id,
                source=doc.source,
                title=doc.title,
                region=doc.region,
                year=doc.year,
                section=[*section.trail, heading],
                quote=heading,
                start=offset,
                end=offset + len(heading),
            )
            for n, (heading, offset, chunk_id) in enumerate(section.children, start=1)
        ]
        lines = [f"{doc.region}{doc.year or ''}年《{doc.title}》“{section.trail[-1]}”下分{len(citations)}项："]
        lines += [f"{c.quote}[{c.n}]" for c in citations]
        chunks = {c.chunk_id: c for c in self.index.chunks}
        hits = [
            Hit(rank=n, score=best[0], chunk=chunks[chunk_id], document=doc)
            for n, (_, _, chunk_id) in enumerate(section.children, start=1)
        ]
        filters_json = {**(filters.to_json() if filters else {}), **scope.describe(), "outline": True}
        return Answer(question, "\n".join(lines), False, citations, hits, filters_json)
