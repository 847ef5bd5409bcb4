"""References a plan makes to other policies: 《titles》, document numbers, named programmes.

:class:`ReferenceExtractor` finds them in one document (stored with the index);
:class:`assistant.crossdoc.references.ReferenceIndex` merges them across the corpus.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass

from ..schema import Document
from ..text import DOC_NUMBER, split_sentences

_TITLE = re.compile(r"《([^《》\n]{2,80})》")
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


@dataclass(slots=True)  # many per plan: no per-object __dict__
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
                ("doc_number", DOC_NUMBER, 0),
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
