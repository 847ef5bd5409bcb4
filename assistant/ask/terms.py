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


def _normalise_word(word: str) -> str:
    """Lower case, simple singular: hospitals → hospital; diabetes, services kept consistent."""
    word = word.lower().strip("'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "is", "us")):
        word = word[:-1]
    return word


def _words(text: str) -> list[str]:
    """Normalised words; hyphens split words (elderly-care = elderly care), 1,000 = 1000."""
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text.lower()).replace("-", " ")
    return [_normalise_word(w) for w in _WORD.findall(text)]


class TermMap:
    """Looks up every phrase of the map that occurs in a text (longest phrases first)."""

    def __init__(self, entries: dict[str, list[str]] | None = None) -> None:
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

    def translate(self, text: str) -> list[str]:
        """Chinese terms for the English phrases in ``text``, in order of appearance, deduplicated.

        Overlapping phrases all count ("geriatric department" and "department"), so a
        long specific phrase adds its terms on top of its words' own.
        """
        return list(dict.fromkeys(term for _, terms in self.phrases(text) for term in terms))
