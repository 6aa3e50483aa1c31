"""All tables. Importing this package registers every table on ``SQLModel.metadata``."""

from storage.models.core import AnonymousDeparture, Cohort, Participant, ProcessedEvent, Profile
from storage.models.matching import DoNotPair, MatchRequest, MatchRound, Pair

__all__ = [
    "AnonymousDeparture",
    "Cohort",
    "DoNotPair",
    "MatchRequest",
    "MatchRound",
    "Pair",
    "Participant",
    "ProcessedEvent",
    "Profile",
]
