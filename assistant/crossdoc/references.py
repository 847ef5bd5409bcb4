"""Policy references across the corpus: which plans cite which policies, how often, where.

:class:`ReferenceIndex` merges the references found in each plan (see
:mod:`assistant.facts.references`) — names that differ only in form (with or without
《》/“”, full- or half-width) become one — references cited by more plans first.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from ..facts import Reference, normalise_name
from ..schema import Document
from ..text import split_sentences


@dataclass
class ReferenceGroup:
    """All mentions of one referenced policy across the corpus."""

    name: str
    kind: str
    key: str
    citations: list[Reference] = field(default_factory=list)

    @property
    def plans(self) -> list[str]:
        return list(dict.fromkeys(c.doc_id for c in self.citations))

    @property
    def count(self) -> int:
        return len(self.citations)

    def to_json(self, documents: dict[str, Document] | None = None) -> dict:
        def where(c: Reference) -> dict:
            doc = documents.get(c.doc_id) if documents else None
            extra = {"region": doc.region, "year": doc.year, "title": doc.title} if doc else {}
            return {**c.to_json(), **extra}

        return {
            "name": self.name,
            "kind": self.kind,
            "plans": self.plans,
            "count": self.count,
            "citations": [where(c) for c in self.citations],
        }


class ReferenceIndex:
    """References of the whole corpus, merged by normalised name.

    A programme quoted in one plan (“优质服务基层行”) is also counted where another plan
    names it without quotes (持续开展优质服务基层行活动).
    """

    def __init__(self, documents: dict[str, Document], references: list[Reference]) -> None:
        self.documents = documents
        programmes = {r.key: r.name for r in references if r.kind == "programme"}
        mentions = list(references)
        # Spans already mentioned, per plan: the work per plan stays bounded by that plan's
        # own mentions however many plans there are (no scan of every mention of the corpus).
        spans: dict[str, list[tuple[int, int]]] = {}
        for ref in references:
            spans.setdefault(ref.doc_id, []).append((ref.start, ref.end))
        for doc in documents.values():
            present = [(key, name) for key, name in programmes.items() if name in doc.text]
            if not present:
                continue
            sentences = split_sentences(doc.text)
            starts = [s.start for s in sentences]
            taken = spans.setdefault(doc.doc_id, [])
            for key, name in present:
                for match in re.finditer(re.escape(name), doc.text):
                    start, end = match.start(), match.end()
                    if any(low <= start < high for low, high in taken):
                        continue  # already a mention (quoted, or found earlier)
                    i = bisect.bisect_right(starts, start) - 1
                    sentence = sentences[i] if i >= 0 and start < sentences[i].end else None
                    if sentence is not None:
                        mentions.append(
                            Reference(name, "programme", key, doc.doc_id, doc.source, sentence.text, start, end)
                        )
                        taken.append((start, end))
        groups: dict[str, ReferenceGroup] = {}
        for ref in sorted(mentions, key=lambda r: (r.source, r.start)):
            group = groups.setdefault(ref.key, ReferenceGroup(ref.name, ref.kind, ref.key))
            group.citations.append(ref)
        self.groups = sorted(groups.values(), key=lambda g: (-len(g.plans), -g.count, g.key))

    def search(self, query: str | None = None) -> list[ReferenceGroup]:
        """Groups whose name contains ``query`` (any form), or all; cited by most plans first."""
        if not query or not query.strip():
            return list(self.groups)
        key = normalise_name(query)
        return [g for g in self.groups if key in g.key or any(key in normalise_name(c.sentence) for c in g.citations)]
