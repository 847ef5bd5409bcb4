"""How explicit filters and the question's own regions and years combine: one named policy.

A user may restrict a question to some plans (``--region``, ``--year``, the page's
filters) and the question may name plans of its own ("浙江2022年…"). Every path that
answers a question combines the two with the same :class:`FilterPolicy`.

``BOTH_MUST_HOLD`` (the default): a plan is searched only if it passes the explicit
filters *and* the question's. When no plan passes both, the two contradict each other
("filtered to 东海县, but the question asks about 浙江省"): that is reported as a
conflict and nothing from the filtered plans is presented as the answer.
``EXPLICIT_REPLACES``: explicit filters, when given, replace the question's (the
behaviour before the policy was named; kept for callers that want it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..schema import Document, Filters, Scope


@dataclass(frozen=True)
class FilterDecision:
    """The filters retrieval applies, and the contradiction that stopped it (if any)."""

    applied: Filters | None
    conflict: str | None = None  # human-readable: what the filters say vs what the question asks
    conflict_en: str | None = None


class FilterPolicy(str, Enum):
    BOTH_MUST_HOLD = "both_must_hold"
    EXPLICIT_REPLACES = "explicit_replaces"

    def combine(self, explicit: Filters | None, scope: Scope, documents: list[Document]) -> FilterDecision:
        """The filters to apply for a question with ``scope`` under explicit filters ``explicit``."""
        implied = scope.filters()
        if not explicit:
            return FilterDecision(implied)
        if self is FilterPolicy.EXPLICIT_REPLACES or not implied:
            return FilterDecision(explicit)
        places = [d for d in documents if explicit.accepts(d, years=False) and implied.accepts(d, years=False)]
        years = list(explicit.years or implied.years)
        if explicit.years and implied.years:
            years = [y for y in explicit.years if y in implied.years]
        if places and (years or not (explicit.years or implied.years)):
            named_places = (explicit.regions or explicit.levels or explicit.doc_ids) and (
                implied.regions or implied.levels
            )
            return FilterDecision(
                Filters(
                    doc_ids=[d.doc_id for d in places] if named_places else list(explicit.doc_ids),
                    regions=list(explicit.regions or implied.regions),
                    levels=list(explicit.levels or implied.levels),
                    years=years,
                )
            )
        asked, given = _describe(implied), _describe(explicit)
        return FilterDecision(
            None,
            conflict=f"筛选条件为{given}，但问题问的是{asked}",
            conflict_en=f"filtered to {given}, but the question asks about {asked}",
        )


def _describe(filters: Filters) -> str:
    parts = [*filters.regions, *(f"{y}年" for y in filters.years), *filters.levels, *filters.doc_ids]
    return "、".join(str(p) for p in parts) or "—"
