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

from ..chunking import strip_marker
from ..config import Settings
from ..index import ChineseTokenizer, PolicyIndex
from ..schema import Answer, Citation, Document, Filters, Hit, Route, Status
from ..text import squeeze_cjk_spaces
from .question import Question

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
        settings: ``outline_min_share``, the share of a heading name's distinctive words
            the question must contain.
        tokenizer: Chinese tokenizer for matching heading words.
    """

    def __init__(
        self, index: PolicyIndex, settings: Settings | None = None, tokenizer: ChineseTokenizer | None = None
    ) -> None:
        self.index = index
        self.tokenizer = tokenizer or index.lexical.tokenizer
        self.min_share = (settings or Settings()).outline_min_share
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

    def answer(self, question: Question, applied: Filters | None = None) -> Answer | None:
        """The sub-headings of the section the question names, cited; None if it names none."""
        scope, intents = question.scope, question.intents
        if not intents.parts or scope.unavailable or intents.compare:
            return None
        asked = squeeze_cjk_spaces(question.text)
        count = intents.parts_count
        best: tuple[float, _Section] | None = None
        for section in self._sections:
            if applied and not applied.accepts(section.document):
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
        citations = []
        hits = []
        for n, (heading, offset, chunk_id) in enumerate(section.children, start=1):
            chunk = self.index.chunk(chunk_id)
            citations.append(
                Citation.of(n, doc, chunk, offset, offset + len(heading), section=[*section.trail, heading])
            )
            hits.append(Hit(rank=n, score=best[0], chunk=chunk, document=doc))
        lines = [f"{doc.region}{doc.year or ''}年《{doc.title}》“{section.trail[-1]}”下分{len(citations)}项："]
        lines += [f"{c.quote}[{c.n}]" for c in citations]
        return Answer(
            question.text, "\n".join(lines), Status.ANSWERED, citations, hits, route=Route.OUTLINE, applied=applied,
            scope=question.scope,
        )  # fmt: skip
