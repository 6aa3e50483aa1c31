"""All tables. Importing this package registers every table on ``SQLModel.metadata``."""

from storage.models.coordination import AuditLog, CohortNotice, Coordinator, HrImport, RoundSkip
from storage.models.core import AnonymousDeparture, Cohort, Participant, ProcessedEvent, Profile
from storage.models.journey import CheckinRecord, Meeting, PairGoals, PairJourney, PrivateAnswer, Reflection
from storage.models.knowledge import (
    FeedbackRequest,
    Introduction,
    NetworkingPref,
    PeopleSuggestion,
    PeopleSuggestionSent,
    Resource,
    ResourceSeen,
    ResourceShare,
)
from storage.models.learning import PairSnapshot, ScoringModel
from storage.models.matching import CohortPairRule, DoNotPair, MatchRequest, MatchRound, Pair
from storage.models.outbox import ScheduledPrompt
from storage.models.scheduling import AwayPeriod, MeetingBooking, MeetingProposal

__all__ = [
    "AnonymousDeparture",
    "AuditLog",
    "AwayPeriod",
    "Cohort",
    "CohortNotice",
    "CohortPairRule",
    "Coordinator",
    "DoNotPair",
    "FeedbackRequest",
    "HrImport",
    "Introduction",
    "MatchRequest",
    "MatchRound",
    "NetworkingPref",
    "Meeting",
    "MeetingBooking",
    "MeetingProposal",
    "Pair",
    "PeopleSuggestion",
    "PeopleSuggestionSent",
    "PairGoals",
    "CheckinRecord",
    "PairJourney",
    "PairSnapshot",
    "Participant",
    "PrivateAnswer",
    "ProcessedEvent",
    "Profile",
    "Resource",
    "ResourceSeen",
    "ResourceShare",
    "Reflection",
    "RoundSkip",
    "ScheduledPrompt",
    "ScoringModel",
]
