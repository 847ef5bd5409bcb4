"""Stage 6, facts across plans: comparisons, policy references, who is responsible.

- ``compare``: :class:`PlanComparer`, one topic plan by plan with the figures quoted
- ``references``: :class:`ReferenceIndex`, which plans cite which policies
- ``track``: :class:`TargetTracker`, targets against results year by year, and the
  changes between two plans' targets
"""

from .compare import CompareRow, Comparison, PlanComparer
from .references import ReferenceGroup, ReferenceIndex
from .track import Change, PlanChanges, TargetTracker, Track, TrackAnswerer, TrackRow

__all__ = [
    "Change", "CompareRow", "Comparison", "PlanChanges", "PlanComparer", "ReferenceGroup", "ReferenceIndex",
    "TargetTracker", "Track", "TrackAnswerer", "TrackRow",
]  # fmt: skip
