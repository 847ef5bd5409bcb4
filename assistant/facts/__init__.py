"""Stage 3, facts found in each plan at index time (stored beside its chunks).

- ``indicators``: quantitative targets (phrase, value, unit, comparator, exact span)
- ``references``: 《titles》, document numbers and named programmes a plan cites
- ``responsibilities``: items closed by （牵头领导：…；责任科室：…） notes
"""

from .indicators import TRAILING_WORDS, Indicator, IndicatorExtractor
from .references import Reference, ReferenceExtractor, normalise_name
from .responsibilities import ResponsibilityItem, extract_items

__all__ = [
    "TRAILING_WORDS",
    "Indicator",
    "IndicatorExtractor",
    "Reference",
    "ReferenceExtractor",
    "ResponsibilityItem",
    "extract_items",
    "normalise_name",
]
