"""The bilingual term map: English policy phrases → the Chinese terms the plans use.

BM25 over jieba tokens cannot match "geriatrics department" to 老年医学科; the map in
``data/terms_en_zh.tsv`` (a data file, not code) brings the Chinese terms into the
lexical query of an English question. Dense retrieval stays multilingual.

>>> TermMap().translate("What share of hospitals should have a geriatric department?")
['老年医学科', '老年医学', '老年病', '医院', '比例', '占比']
"""

from __future__ import annotations

import re
from importlib import resources

_WORD = re.compile(r"[a-z0-9][a-z0-9'+]*")
# Commas inside numbers (1,000) are not breaks; other punctuation ends a phrase.
_SEGMENT_BREAK = re.compile(r"(?<!\d),|,(?!\d{3})|[.;:!?()\[\]\"“”（）、，。；：？！]")


# British spellings read as the American ones the map may list (immunisation = immunization):
# -ise verbs and their forms, -our, -tre, ae/oe; the exceptions are words where -ise is not -ize.
_ISE = re.compile(r"^(\w*[^aeiouw])is(e|ed|es|ing|ation|ations|er|ers)$")
_ISE_EXCEPTIONS = frozenset(
    (
        "advis", "exercis", "otherwis", "promis", "premis", "enterpris", "compris", "surpris", "franchis",
        "expertis", "revis", "supervis", "devis", "compromis", "wis", "ris", "rais", "prais", "nois", "cruis",
        "paradis", "precis", "concis", "merchandis", "treatis", "televis", "improvis", "aris", "despis", "disguis",
        "incis", "excis", "chastis", "appris", "clockwis", "likewis",
    )
)  # fmt: skip
_BRITISH = (
    (
        re.compile(r"our(s|ed|ing)?$"),
        r"or\1",
        ("labour", "behaviour", "tumour", "colour", "favour", "honour", "neighbour"),
    ),
    (re.compile(r"tre(s|d)?$"), r"ter\1", ("centre", "metre", "litre", "fibre")),
    (re.compile(r"^programme"), "program", ("programme",)),
    (re.compile(r"ae"), "e", ("paediatric", "anaemia", "haem", "anaesth", "orthopaed", "gynaec", "leukaem", "caesar")),
    (re.compile(r"^oe"), "e", ("oesophag", "oestrogen", "oedema")),
    (re.compile(r"^foet"), "fet", ("foet",)),
)


def _american(word: str) -> str:
    """The American spelling of a British word form; other words unchanged."""
    match = _ISE.match(word)
    if match and len(match.group(1)) >= 3 and match.group(1) + "is" not in _ISE_EXCEPTIONS:
        return f"{match.group(1)}iz{match.group(2)}"
    for pattern, replacement, stems in _BRITISH:
        if word.startswith(stems) or any(stem in word for stem in stems if len(stem) >= 5):
            word = pattern.sub(replacement, word)
    return word


def _normalise_word(word: str) -> str:
    """Lower case, simple singular, American spelling: hospitals → hospital, centres → center,
    immunisation → immunization; diabetes, services kept consistent."""
    word = word.lower().strip("'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "is", "us")):
        word = word[:-1]
    return _american(word)


def _words(text: str) -> list[str]:
    """Normalised words; hyphens split words (elderly-care = elderly care), 1,000 = 1000."""
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text.lower()).replace("-", " ")
    return [_normalise_word(w) for w in _WORD.findall(text)]


class TermMap:
    """Looks up every phrase of the map that occurs in a text (longest phrases first)."""

    def __init__(self, entries: dict[str, list[str]] | None = None, synonyms: list[list[str]] | None = None) -> None:
        if entries is None:
            entries = {}
            text = (resources.files("assistant") / "data" / "terms_en_zh.tsv").read_text(encoding="utf-8")
            for line in text.splitlines():
                if not line.strip() or line.startswith("#"):
                    continue
                english, chinese = line.split("\t")
                entries[english] = chinese.split("|")
        self._entries: dict[tuple[str, ...], list[str]] = {}
        self._written: dict[tuple[str, ...], str] = {}  # each key as the map writes it ("diabetes")
        for english, chinese in entries.items():
            key = tuple(_words(english))
            if key:
                self._written.setdefault(key, english)
                self._entries.setdefault(key, [])
                self._entries[key] += [t for t in chinese if t not in self._entries[key]]
        self._longest = max((len(k) for k in self._entries), default=0)
        if synonyms is None:
            text = (resources.files("assistant") / "data" / "synonyms_zh.tsv").read_text(encoding="utf-8")
            synonyms = [line.split("|") for line in text.splitlines() if line.strip() and not line.startswith("#")]
        self._synonyms: dict[str, tuple[str, ...]] = {}
        for group in synonyms:
            for word in group:
                self._synonyms[word] = tuple(w for w in group if w != word)

    def __len__(self) -> int:
        return len(self._entries)

    def english_names(self) -> dict[str, str]:
        """Chinese term → the shortest English phrase whose first term it is (老年医学科 →
        "geriatric department"): the reverse map, for English glosses of Chinese quotes."""
        names: dict[str, str] = {}
        for words, terms in sorted(self._entries.items(), key=lambda item: (len(item[0]), item[0])):
            if terms:
                names.setdefault(terms[0], self._written.get(words, " ".join(words)))
        return names

    def phrases(self, text: str) -> list[tuple[str, list[str]]]:
        """Each English phrase of the map found in ``text`` with its Chinese terms, in text order.

        Phrases do not run across punctuation: "actions; plans" is not "action plan".
        """
        found: list[tuple[int, int, tuple[str, ...]]] = []
        offset = 0
        for segment in _SEGMENT_BREAK.split(text):
            words = _words(segment)
            for size in range(min(self._longest, len(words)), 0, -1):
                for start in range(len(words) - size + 1):
                    key = tuple(words[start : start + size])
                    if key in self._entries:
                        found.append((offset + start, -size, key))
            offset += len(words)
        found.sort()
        return [(" ".join(key), self._entries[key]) for _, _, key in found]

    def synonyms(self, text: str) -> list[tuple[str, tuple[str, ...]]]:
        """Each act word of ``data/synonyms_zh.tsv`` in a Chinese ``text`` with its near-synonyms,
        longest first and not inside a longer one: "两癌筛查" → [("筛查", ("检查", "筛检", "检测"))]."""
        found: list[tuple[str, tuple[str, ...]]] = []
        for word in sorted(self._synonyms, key=len, reverse=True):
            if word in text and not any(word in longer for longer, _ in found):
                found.append((word, self._synonyms[word]))
        return found

    def translate(self, text: str) -> list[str]:
        """Chinese terms for the English phrases in ``text``, in order of appearance, deduplicated.

        Overlapping phrases all count ("geriatric department" and "department"), so a
        long specific phrase adds its terms on top of its words' own.
        """
        return list(dict.fromkeys(term for _, terms in self.phrases(text) for term in terms))
