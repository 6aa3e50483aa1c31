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


# ---------------------------------------------------------------------- match rounds, cohorts, mentee choice


class CohortStatus(StrEnum):
    """``cohort.status``: a cohort's place in its lifecycle (open -> matching -> running -> closed)."""

    OPEN = "open"  # taking signups, not matched yet
    MATCHING = "matching"  # a round is being previewed, or mentees are choosing
    RUNNING = "running"  # pairs were made
    CLOSED = "closed"  # over: no signups, no rounds; its waiting people carry over to the next cohort


class RoundStatus(StrEnum):
    """``match_round.status``."""

    RUNNING = "running"  # the matcher is planning it
    PREVIEW = "preview"  # waiting for a coordinator to publish it
    PUBLISHED = "published"
    FAILED = "failed"
    DISCARDED = "discarded"  # a coordinator threw it away
    SUPERSEDED = "superseded"  # a newer preview of the same cohort replaced it


# A cohort has at most one round in these states (a partial unique index holds it in the database).
LIVE_ROUND_STATUSES = (RoundStatus.RUNNING, RoundStatus.PREVIEW)


class PairRuleKind(StrEnum):
    """``cohort_pair_rule.rule``: a coordinator's standing decision about one mentee and one mentor."""

    PIN = "pin"  # always pair them (while both are available)
    FORBID = "forbid"  # never pair them


class MatchRequestStatus(StrEnum):
    """``match_request.status`` (mentee-choice mode)."""

    OFFERED = "offered"  # on the mentee's shortlist
    REQUESTED = "requested"  # the mentee chose this mentor; the mentor has until ``respond_by``
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"  # nobody answered in time
    CLOSED = "closed"  # no longer needed (the mentee was paired, left, or the mentor is full or away)


OPEN_REQUEST_STATUSES = (MatchRequestStatus.OFFERED, MatchRequestStatus.REQUESTED)


class ChoicePromptKind(StrEnum):
    """``scheduled_prompt.kind`` of the mentee-choice window (next to ``PromptKind.CHOICE_DEADLINE``)."""

    PICK_REMINDER = "choice_pick_reminder"  # half-way through the mentee's window to pick
    PICK_DEADLINE = "choice_pick_deadline"  # the shortlist expires
    ANSWER_REMINDER = "choice_answer_reminder"  # half-way through the mentor's window to answer
