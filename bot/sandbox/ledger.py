"""The ground truth of a simulated program: what each simulated person did and what reached them.

The scenario runner (:mod:`bot.sandbox.scenario`) writes here as its people act; nothing here is read back from
the app's database. Tests compare the figures a coordinator is shown with the figures computed here
(:mod:`bot.sandbox.truth`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from storage.vocab import CheckinOutcome, CloseReason, FitAnswer, Flag, PairRole, PairSource, Role


class Behaviour(StrEnum):
    """How a simulated pair behaves through its program."""

    DILIGENT = "diligent"  # sets goals, meets every cycle, answers everything, closes at the end
    SILENT = "silent"  # never answers anything
    NOT_A_FIT = "not a fit"  # meets once, the mentee answers the fit check "not a fit" and asks for a rematch
    EARLY_FINISHER = "early finisher"  # diligent, and both mark the goals reached after ten weeks
    PAUSER = "pauser"  # diligent, and the mentee pauses (/mentor pause) for three weeks mid-program
    LEAVER = "leaver"  # diligent until the mentee leaves the program (/mentor leave) mid-program


class Cast(StrEnum):
    """A part one simulated person plays besides their pair's behaviour."""

    MULTI_MENTOR = "mentor with three mentees"
    LATE_JOINER = "late joiner"  # signs up after the first round and is matched in the next one
    BOTH = "both"  # signed up as mentor and mentee, and is in a pair on each side


@dataclass
class PersonTruth:
    """One simulated person."""

    user_id: str
    name: str
    role: Role
    timezone: str
    casts: set[Cast] = field(default_factory=set)
    signed_up_at: datetime | None = None
    left_at: datetime | None = None
    pauses: list[tuple[datetime, datetime | None]] = field(default_factory=list)  # /mentor pause ... resume

    def paused_at(self, moment: datetime) -> bool:
        """Whether the person had paused themselves at ``moment``."""
        return any(start <= moment and (end is None or moment < end) for start, end in self.pauses)


@dataclass
class MeetingTruth:
    """A meeting a person logged."""

    at: datetime
    met_on: str  # the day they met, in the logger's calendar (ISO)
    logged_by: str
    via: str  # "checkin", "button" or "command"
    minutes: int


@dataclass
class CheckinTruth:
    """One check-in that reached the pair, and what the pair did with it."""

    at: datetime
    ts: str
    outcome: CheckinOutcome | None = None  # None while it is the pair's open check-in
    answered_by: str = ""
    answered_at: datetime | None = None


@dataclass
class SurveyTruth:
    """A survey a person answered (pulse or closing)."""

    at: datetime
    user_id: str
    role: PairRole
    key: str
    satisfaction: int
    recommend: int


@dataclass
class FlagTruth:
    """A private signal a person raised (coordinators should hear of each)."""

    at: datetime
    pair_id: int
    user_id: str
    role: PairRole
    flag: Flag


@dataclass
class PairTruth:
    """A published pair, as its two people know it."""

    pair_id: int
    mentee: str
    mentor: str
    channel: str
    source: PairSource
    behaviour: Behaviour
    kickoff_at: datetime
    ends_on: str = ""  # the end date the kickoff (or an extension) announced, ISO
    hand_reason: str = ""
    goals_set: bool = False
    meetings: list[MeetingTruth] = field(default_factory=list)
    checkins: list[CheckinTruth] = field(default_factory=list)
    surveys: list[SurveyTruth] = field(default_factory=list)
    fit: dict[str, FitAnswer] = field(default_factory=dict)
    flags: list[FlagTruth] = field(default_factory=list)
    rematch_asked_by: str = ""
    goals_reached_by: set[str] = field(default_factory=set)
    closure_seen_at: datetime | None = None
    closed_at: datetime | None = None  # when the people closed it (their choice) or one of them left
    closed_how: CloseReason | None = None
    reflections: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # meeting notes the pair wrote
    bookings: list[datetime] = field(default_factory=list)  # when the pair booked a proposed time (two clicks)
    meet_answers: list[str] = field(default_factory=list)  # "Did you meet?" answers (MeetOutcome values)

    def role_of(self, user_id: str) -> PairRole:
        return PairRole.MENTEE if user_id == self.mentee else PairRole.MENTOR

    def members(self) -> tuple[str, str]:
        return self.mentee, self.mentor


@dataclass
class Received:
    """One message that reached a simulated person (or a channel coordinators read)."""

    at: datetime
    channel: str
    to: tuple[str, ...]
    ts: str
    text: str  # the message's text and the readable text of its blocks
    action_ids: tuple[str, ...]
    pair_id: int | None  # the pair its buttons act on, or whose group DM it is in
    kind: str  # what it is (see ``scenario.classify``): "checkin", "survey", "kickoff", ... or "" for other


@dataclass
class Event:
    """Something a simulated person (or the coordinator) did, for the transcript and the flag report."""

    at: datetime
    day: int
    who: str
    pair_id: int | None
    what: str


@dataclass
class Ledger:
    """Everything the simulated people did and received."""

    people: dict[str, PersonTruth] = field(default_factory=dict)
    pairs: dict[int, PairTruth] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    hand_pairs: dict[tuple[str, str], str] = field(default_factory=dict)  # (mentee, mentor) -> reason
    rounds: list[tuple[datetime, str]] = field(default_factory=list)  # (when published, how it started)
    problems: list[str] = field(default_factory=list)  # a click or a modal that did not work

    def pairs_of(self, user_id: str) -> list[PairTruth]:
        return [p for p in self.pairs.values() if user_id in p.members()]

    def flags(self) -> list[FlagTruth]:
        return [f for p in self.pairs.values() for f in p.flags]
