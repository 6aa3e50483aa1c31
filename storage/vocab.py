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
    WORKSPACE_PURGE = "workspace_purge"  # a workspace that uninstalled: its data goes after the retention window
    CHOICE_PICK_REMINDER = "choice_pick_reminder"  # half-way through the mentee's window to pick
    CHOICE_PICK_DEADLINE = "choice_pick_deadline"  # the shortlist expires
    CHOICE_ANSWER_REMINDER = "choice_answer_reminder"  # half-way through the mentor's window to answer
    MATCH_ROUND = "match_round"  # the round that runs by itself on a cohort's match date
    PAIR_END = "pair.end"  # a pair nobody closed is closed two weeks after its end date


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
    HELP = "help"  # "Need help" from a check-in (no answers stored, only that they asked)


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


# ---------------------------------------------------------------------- the journey, rounds and their neighbours


class PromptStatus(StrEnum):
    """``scheduled_prompt.status``: where a prompt is in the outbox."""

    PENDING = "pending"
    LEASED = "leased"  # claimed by a dispatcher, being sent
    SENT = "sent"
    FAILED = "failed"  # gave up after its retries
    CANCELLED = "cancelled"
    SKIPPED = "skipped"  # its renderer decided there was nothing to send


class Role(StrEnum):
    """``participant.role``: what the person signed up as."""

    MENTOR = "mentor"
    MENTEE = "mentee"
    BOTH = "both"


class PairRole(StrEnum):
    """A person's side of one pair (``private_answer.respondent_role``)."""

    MENTEE = "mentee"
    MENTOR = "mentor"


class CloseReason(StrEnum):
    """``pair.close_reason``: why a pair ended."""

    COMPLETED = "completed"  # the pair closed it at the end (or early, goals reached)
    INFORMAL = "informal"  # the pair chose to carry on outside the program
    NOT_A_FIT = "not_a_fit"  # one of the two said the match did not fit
    INACTIVE = "inactive"  # reached its end date after going quiet (no meeting, check-ins unanswered)
    LEFT_PROGRAM = "left_program"  # one of the two left the program
    COORDINATOR_END = "coordinator_end"
    COORDINATOR_REMATCH = "coordinator_rematch"


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
    DECLINED = "declined"  # the mentee hears it at the deadline, exactly like an expiry
    EXPIRED = "expired"  # nobody answered in time
    CLOSED = "closed"  # no longer needed (the mentee was paired, left, or the mentor is full or away)
    WITHDRAWN = "withdrawn"  # the mentee or the mentor left the program


OPEN_REQUEST_STATUSES = (MatchRequestStatus.OFFERED, MatchRequestStatus.REQUESTED)


class IntroStatus(StrEnum):
    """``introduction.status`` (warm introductions).

    A requester is never shown ``declined``, ``expired`` or ``withdrawn``: all three read "not available" at
    the end of the answer window (see ``bot.privacy.requester_view``).
    """

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"  # the requester or the person asked left the program


class FeedbackStatus(StrEnum):
    """``feedback_request.status``."""

    OPEN = "open"
    ANSWERED = "answered"


class GoalsStatus(StrEnum):
    """``pair_goals.status``."""

    PROPOSED = "proposed"
    CONFIRMED = "confirmed"


class GoalProgress(StrEnum):
    """A goal's progress (``pair_goals.goals[].progress``, ``meeting.progress`` values)."""

    NONE = "none"
    SOME = "some"
    DONE = "done"


class Cadence(StrEnum):
    """``pair_goals.cadence``: how often the pair means to meet."""

    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


class SurveyKey(StrEnum):
    """``private_answer.survey_key`` (a pulse survey's key is ``pulse:<n>``, see :func:`pulse_key`)."""

    PULSE = "pulse"
    CLOSING = "closing"
    FIT = "fit"


def pulse_key(n: int) -> str:
    """The survey key of the pair's ``n``-th pulse survey."""
    return f"{SurveyKey.PULSE}:{n}"


class ClosureChoice(StrEnum):
    """The choice offered at the end of a pair (``pair_journey.closure_choice``)."""

    CLOSE = "close"
    EXTEND = "extend"
    INFORMAL = "informal"


class ContinueAnswer(StrEnum):
    """The private "still able to continue?" answer after a silence."""

    YES = "yes"
    PAUSE = "pause"
    STOP = "stop"


class Flag(StrEnum):
    """A private signal coordinators act on (the weekly digest lists them)."""

    NOT_A_FIT = "not_a_fit"
    NEED_HELP = "need_help"


class ShareKind(StrEnum):
    """``resource_share.kind``: how a person recommended a resource."""

    SHARE = "share"
    UPVOTE = "upvote"


class IntroSource(StrEnum):
    """``introduction.source``: where a warm introduction was asked for."""

    COMMAND = "command"
    SUGGESTION = "suggestion"


# ---------------------------------------------------------------------- learning from outcomes


class Outcome(StrEnum):
    """A closed pair's outcome label, computed from what happened (never stored by hand)."""

    GOOD = "good"
    POOR = "poor"
    UNLABELLED = "unlabelled"


class ScoringModelStatus(StrEnum):
    """``scoring_model.status``."""

    CANDIDATE = "candidate"
    APPLIED = "applied"
    REPLACED = "replaced"
    REVERTED = "reverted"
    DISCARDED = "discarded"


# ---------------------------------------------------------------------- coordinator pair control (/mentor pairs)


class EndReason(StrEnum):
    """Why a coordinator ended a pair (the End modal's choices), stored in ``pair.close_reason``.

    ``completed`` and ``not_a_fit`` are the same strings as :class:`CloseReason`'s, so stats count them together.
    """

    COMPLETED = "completed"
    NOT_A_FIT = "not_a_fit"
    INACTIVE = "inactive"
    LEFT_COMPANY = "left_company"
    OTHER = "other"
    UNDONE = "undone"  # an automatic rematch a coordinator undid: the replacement pair is withdrawn


class ControlSource(StrEnum):
    """``pair.source`` of a pair made by a pair action (next to :class:`PairSource`)."""

    REMATCH = "rematch"  # a coordinator rematched the mentee
    REASSIGN = "reassign"  # a coordinator reassigned the mentee to a named mentor
    AUTO_REMATCH = "auto_rematch"  # the cohort rematches automatically after "not a fit"
    WAITING_LIST = "waiting_list"  # a freed place went to the longest-waiting fitting mentee


class PairAction(StrEnum):
    """What a coordinator does to a pair (``audit_log.action`` is ``pair.<value>``)."""

    END = "end"
    REMATCH = "rematch"
    REASSIGN = "reassign"
    PAUSE = "pause"
    RESUME = "resume"
    EXTEND = "extend"
    MESSAGE = "message"
    NUDGE = "nudge"
    TALK_FIRST = "talk_first"
    AUTO_REMATCH = "auto_rematch"
    UNDO_REMATCH = "undo_rematch"
    AUTO_CLOSE = "auto_close"
    FILL_PLACE = "fill_place"


class ControlPromptKind(StrEnum):
    """``scheduled_prompt.kind`` of the pair-control prompts (next to :class:`PromptKind`)."""

    INACTIVE_NOTICE = "pair.inactive_notice"  # a week before an inactive pair closes: both are told
    INACTIVE_CLOSE = "pair.inactive_close"  # the cohort's close_inactive_after_weeks ends the pair
    REMATCH_UNDO_EXPIRY = "pair.rematch_undo_expiry"  # the 24 h to undo an automatic rematch are over
    PLACE_FREED = "pair.place_freed"  # a mentor's place was freed: offer it to the longest-waiting fitting mentee


class CoordinatorNote(StrEnum):
    """Which one-click actions a coordinator note about a pair carries."""

    CONCERN = "concern"  # "not a fit" or "something's not right": rematch, end, talk first
    SILENT = "silent"  # inactive for N weeks: end, rematch, nudge again


# ---------------------------------------------------------------------- HR imports


class ImportStatus(StrEnum):
    """``hr_import.status``: where an uploaded HR file is."""

    RECEIVED = "received"  # stored when submitted, before Slack is answered
    STAGED = "staged"  # checked; some rows have problems: waiting for a coordinator to import the others
    APPLIED = "applied"
    CANCELLED = "cancelled"
    REFUSED = "refused"  # the file itself could not be used (not UTF-8, no header, too large...)


# ---------------------------------------------------------------------- why a match, why no match


class Factor(StrEnum):
    """A scoring factor, as a match reason's ``factor`` (stored in pair, round and request ``reasons``)."""

    SKILLS = "skills"
    GOALS = "goals"
    INTERESTS = "interests"
    ORG = "org"
    SENIORITY = "seniority"
    STYLE = "style"
    AVAILABILITY = "availability"
    FORMAT = "format"
    LANGUAGE = "language"


class UnmatchedReason(StrEnum):
    """Why a mentee found no mentor in a round (``participant.unmatched_reason``, a round's ``unmatched``).

    Stored as the code, or ``code:detail`` (``availability:2`` is "less than 2 h/week of overlap").
    """

    PAUSED_OR_LEFT = "paused_or_left"
    NO_MENTORS = "no_mentors"
    MENTORS_INACTIVE = "mentors_inactive"
    ONLY_SELF = "only_self"
    ONLY_MANAGER = "only_manager"
    ALL_PAST = "all_past"
    DO_NOT_PAIR = "do_not_pair"
    FORBIDDEN = "forbidden"
    FORBIDDEN_AND_CAPACITY = "forbidden_capacity"  # one fit was forbidden, the others were taken
    LANGUAGE = "language"
    AVAILABILITY = "availability"
    DEPARTMENT = "department"
    SCORE_FLOOR = "score_floor"
    CAPACITY = "capacity"


# ---------------------------------------------------------------------- scheduling (proposed times, bookings)


class ProposalStatus(StrEnum):
    """``meeting_proposal.status``: three slots offered in the pair DM, on their way to a booking."""

    OPEN = "open"  # nobody picked yet
    PICKED = "picked"  # one person picked a slot; the other confirms or asks for other times
    BOOKED = "booked"  # confirmed: a booking exists (or was moved) for the picked slot
    SUPERSEDED = "superseded"  # newer times were offered, or the slots stopped fitting


class BookingStatus(StrEnum):
    """``meeting_booking.status``."""

    BOOKED = "booked"
    CANCELLED = "cancelled"


class MeetOutcome(StrEnum):
    """The answer to "Did you meet?" after a booked slot (``meeting_booking.outcome``)."""

    MET = "met"
    RESCHEDULED = "rescheduled"
    SKIPPED = "skipped"


class MeetPromptKind(StrEnum):
    """``scheduled_prompt.kind`` of the scheduling prompts (next to :class:`PromptKind`)."""

    PROPOSAL = "meet.proposal"  # three slots with buttons in the pair DM
    INVITE = "meet.invite"  # the booking confirmed (or moved, or cancelled), with calendar links
    ICS = "meet.ics"  # the .ics file uploaded to the pair DM (files v2)
    REMINDER = "meet.reminder"  # to one person: an hour before, or the evening before
    FOLLOWUP = "meet.followup"  # "Did you meet?" after the slot
