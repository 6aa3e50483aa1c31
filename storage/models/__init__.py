"""All tables. Importing this package registers every table on ``SQLModel.metadata``."""

from storage.models.core import AnonymousDeparture, Cohort, Participant, ProcessedEvent, Profile

__all__ = ["AnonymousDeparture", "Cohort", "Participant", "ProcessedEvent", "Profile"]
