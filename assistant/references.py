"""References a plan makes to other policies: 《titles》, document numbers, named programmes.

:class:`ReferenceExtractor` finds them in one document (stored with the index);
:class:`ReferenceIndex` merges them across the corpus — names that differ only in form
(with or without 《》/“”, full- or half-width) become one — and answers "which plans cite
what, how often, where", references cited by more than one plan first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field

from .schema import Document
from .text import split_sentences

_TITLE = re.compile(r"《([^《》\n]{2,80})》")
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[［(（]\s*(?:19|20)\d{2}\s*[〕\]］)）]\s*\d+\s*号")
# Quoted names of programmes/campaigns: “优质服务基层行”, “健康敲门行动”, “三医联动” is a slogan and
# is not kept (no programme-like ending).
_QUOTED_PROGRAMME = re.compile(
    r"[“\"]([^”\"\n]{2,20}(?:行|行动|工程|计划|活动|项目|经验|模式|战略|示范区|体系|改革|创建|建设))[”\"]"
)
# Named national/provincial programmes that plans cite without quotes.
_NAMED_PROGRAMME = re.compile(
    r"健康中国(?:行动)?|健康(?!促进)[\u4e00-\u9fff]{2,3}行动|三明(?:医改)?经验|乡村振兴(?:战略)?|优质服务基层行"
)


def normalise_name(name: str) -> str:
    """The merge key: no brackets or quotes, half-width, no spaces (《健康中国行动》 = 健康中国行动)."""
    name = unicodedata.normalize("NFKC", name)
    return re.sub(r"[《》〈〉“”\"'‘’\s]", "", name)


@dataclass
class Reference:
    """One mention of another policy in a plan, with the citing sentence."""

    name: str  # as written, without outer brackets: 聚集性新冠肺炎疫情处置指南
    kind: str  # "title" | "doc_number" | "programme"
    key: str  # normalise_name(name)
    doc_id: str
    source: str
    sentence: str
    start: int  # span of the mention in the document
    end: int

    def to_json(self) -> dict:
        return asdict(self)


class ReferenceExtractor:
    """Finds references in one document. The plan's own title and number are not references."""

    def extract(self, document: Document) -> list[Reference]:
        own = {normalise_name(document.title)}
        if document.doc_number:
            own.add(normalise_name(document.doc_number))
        found: dict[tuple[int, str], Reference] = {}
        for sentence in split_sentences(document.text):
            for kind, pattern, group in (
                ("title", _TITLE, 1),
                ("doc_number", _DOC_NUMBER, 0),
                ("programme", _QUOTED_PROGRAMME, 1),
                ("programme", _NAMED_PROGRAMME, 0),
            ):
                for match in pattern.finditer(sentence.text):
                    name = match.group(group).strip()
                    key = normalise_name(name)
                    if key in own or len(key) < 2:
                        continue
                    start = sentence.start + match.start(group)
                    if any(r.start <= start < r.end for r in found.values()):
                        continue  # "优质服务基层行" inside “优质服务基层行” already counted
                    found[(start, key)] = Reference(
                        name, kind, key, document.doc_id, document.source, sentence.text, start, start + len(name)
                    )
        return [found[k] for k in sorted(found)]


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
        for doc in documents.values():
            sentences = split_sentences(doc.text)
            for key, name in programmes.items():
                for match in re.finditer(re.escape(name), doc.text):
                    start, end = match.start(), match.end()
                    if any(r.doc_id == doc.doc_id and r.start <= start < r.end for r in mentions):
                        continue  # already a mention (quoted, or found earlier)
                    sentence = next((s for s in sentences if s.start <= start < s.end), None)
                    if sentence is not None:
                        mentions.append(
                            Reference(name, "programme", key, doc.doc_id, doc.source, sentence.text, start, end)
                        )
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
