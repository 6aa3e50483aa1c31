"""Every enumerated value mentorbot stores, spelled once.

Prompt kinds, statuses and stored answers are written by one part of the app and read by others (stats,
the digest, the export, benchmarks, tests). Each lives here as a ``StrEnum`` and is imported wherever it is
written or read, so a value can never be spelled two ways. Members compare equal to their strings, so rows
written before this module existed read back unchanged.
"""

from __future__ import annotations

from enum import StrEnum


class PromptKind(StrEnum):
    """``scheduled_prompt.kind``: which renderer sends the row."""

    KICKOFF = "pair.kickoff"
    GOALS_REMINDER = "pair.goals_reminder"
    CHECKIN = "pair.checkin"
    SILENT_FOLLOWUP = "pair.silent_followup"
    SURVEY = "pair.survey"
    HALFWAY = "pair.halfway"
    CLOSURE = "pair.closure"
    FIT_CHECK = "pair.fit_check"
    RESUME = "pair.resume"
    COORDINATOR_NOTE = "pair.coordinator_note"
    INTRO_EXPIRY = "intro_expiry"
    PEOPLE_REFRESH = "people_refresh"
    PEOPLE_TO_MEET = "people_to_meet"
    WEEKLY_DIGEST = "weekly_digest"
    PREMATCH_ROUND = "prematch_round"
    PREMATCH_NOTICE = "prematch_notice"
    CHOICE_DEADLINE = "choice_deadline"


class PairStatus(StrEnum):
    """``pair.status``."""

    ACTIVE = "active"
    PAUSED = "paused"
    AT_RISK = "at_risk"
    CLOSED = "closed"


class PairSource(StrEnum):
    """``pair.source``: how the pair was made."""

    ALGORITHM = "algorithm"
    MANUAL = "manual"
    CHOICE = "choice"


class ParticipantStatus(StrEnum):
    """``participant.status``."""

    ACTIVE = "active"
    PAUSED = "paused"
    DEPARTED = "departed"


class AnswerKind(StrEnum):
    """``private_answer.kind``: what a private answer answered."""

    PULSE = "pulse"
    CLOSING = "closing"
    FIT = "fit"
    CONCERN = "concern"  # "Something's not right": the person's words, for coordinators only


class FitAnswer(StrEnum):
    """The early fit check's answer (``private_answer.answers["fit"]``)."""

    GOOD = "good"
    UNSURE = "unsure"
    NOT = "not"


class CheckinOutcome(StrEnum):
    """What became of one check-in the pair was sent."""

    MET = "met"  # answered "yes, we met" (or a meeting was logged before the next one)
    NOT_YET = "not_yet"
    IGNORED = "ignored"  # no answer before the next check-in or the end of the pair


# ---------------------------------------------------------------------- HR imports


class ImportStatus(StrEnum):
    """``hr_import.status``: where an uploaded HR file is."""

    RECEIVED = "received"  # stored when submitted, before Slack is answered
    STAGED = "staged"  # checked; some rows have problems: waiting for a coordinator to import the others
    APPLIED = "applied"
    CANCELLED = "cancelled"
    REFUSED = "refused"  # the file itself could not be used (not UTF-8, no header, too large...)
