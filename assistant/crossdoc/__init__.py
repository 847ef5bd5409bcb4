"""Stage 6, facts across plans: comparisons, policy references, who is responsible.

- ``compare``: :class:`PlanComparer`, one topic plan by plan with the figures quoted
- ``references``: :class:`ReferenceIndex`, which plans cite which policies
"""

from .compare import CompareRow, Comparison, PlanComparer
from .references import ReferenceGroup, ReferenceIndex

__all__ = ["CompareRow", "Comparison", "PlanComparer", "ReferenceGroup", "ReferenceIndex"]
