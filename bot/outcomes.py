"""Outcomes from the program itself: each closed pair's label, from what happened, and the snapshot it is learned on.

**Labels** (:func:`label_outcome`, pure):

- *good*: the pair completed (closed from the closure prompt, or continued informally) with meetings at
  the agreed cadence (at least three quarters of the meetings the cadence asks for over the pair's time,
  and at least one), and every person who gave a satisfaction score gave 4 or 5 (their closing survey, else
  their latest pulse survey; at least one score);
- *poor*: someone answered the fit check "not a fit" (or the pair was closed as not a fit); or the pair
  went silent and ended (it was marked at risk after unanswered check-ins, or never logged a meeting); or a
  coordinator ended it early for inactivity (ended while flagged as quiet, or after three weeks without any
  sign of life);
- anything else stays *unlabelled*: open pairs, pairs ended because someone left the program, pairs in
  between, and pairs with evidence both ways.

**Snapshots.** When a pair is created (round publication, ``/mentor pair``, an accepted mentee choice),
:func:`record_snapshots` stores both people's profile fields and the pair's factor values as they were.
Training reads only the snapshot, so a profile edited after publication never changes a training row.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from sqlmodel import Session

from bot import people
from bot.matching.features import FACTOR_NAMES, batch_values, pair_values
from bot.matching.offline import parse_row
from bot.matching.outcome_files import outcomes_csv, profile_cells
from bot.profiles import Profile
from bot.taxonomy import Taxonomy
from storage import learning as store
from storage.learning import AnswerFacts, ClosedPair, JourneyFacts
from storage.models import Pair
from storage.models.learning import PairSnapshot
from storage.vocab import AnswerKind, CloseReason, FitAnswer, Outcome, PairRole, PairStatus

log = logging.getLogger(__name__)

CADENCE_SHARE = 0.75  # meetings needed, as a share of what the agreed cadence asks for
INACTIVE_DAYS = 21  # "stuck for about three weeks"
COMPLETED = (CloseReason.COMPLETED, CloseReason.INFORMAL)
COORDINATOR_ENDED = (CloseReason.COORDINATOR_END, CloseReason.COORDINATOR_REMATCH)
SNAPSHOT_FIELDS = tuple(k for k in profile_cells(Profile(user_id=""), "x") if k not in ("x_name", "x_email"))


@dataclass(frozen=True)
class OutcomeFacts:
    """What happened to one pair, as the labeller needs it."""

    status: str
    close_reason: str = ""
    started_at: datetime | None = None
    closed_at: datetime | None = None
    meetings: int = 0
    cadence_days: int = 14
    satisfaction: tuple[int, ...] = ()  # each respondent's score: closing survey, else latest pulse
    not_a_fit: bool = False
    silent_stage: int = 0  # 1 nudged for silence, 2 asked privately and marked at risk
    last_activity_at: datetime | None = None


@dataclass(frozen=True)
class Label:
    """An outcome label and why."""

    outcome: Outcome
    why: str


def meetings_needed(facts: OutcomeFacts) -> int:
    """Meetings the agreed cadence asks for over the pair's time (three quarters of them, at least one)."""
    if facts.started_at is None or facts.closed_at is None:
        return 1
    days = max(0.0, (facts.closed_at - facts.started_at).total_seconds() / 86400)
    return max(1, int(CADENCE_SHARE * days / max(facts.cadence_days, 1)))


def label_outcome(facts: OutcomeFacts) -> Label:
    """The outcome label of one pair (see the module docstring)."""
    if facts.status != PairStatus.CLOSED:
        return Label(Outcome.UNLABELLED, "still open")
    if facts.close_reason == CloseReason.LEFT_PROGRAM:
        return Label(Outcome.UNLABELLED, "someone left the program")
    poor: list[str] = []
    if facts.not_a_fit or facts.close_reason == CloseReason.NOT_A_FIT:
        poor.append("said not a fit")
    if facts.silent_stage >= 2 or facts.meetings == 0:
        poor.append("went silent and ended")
    if facts.close_reason in COORDINATOR_ENDED:
        last = facts.last_activity_at or facts.started_at
        quiet = (
            facts.closed_at is not None and last is not None and facts.closed_at - last >= timedelta(days=INACTIVE_DAYS)
        )
        if facts.silent_stage >= 1 or quiet:
            poor.append("ended by a coordinator for inactivity")
    needed = meetings_needed(facts)
    good = (
        facts.close_reason in COMPLETED
        and facts.meetings >= needed
        and bool(facts.satisfaction)
        and min(facts.satisfaction) >= 4
    )
    if good and poor:
        return Label(Outcome.UNLABELLED, "evidence both ways: " + ", ".join(poor))
    if poor:
        return Label(Outcome.POOR, ", ".join(poor))
    if good:
        meetings = f"{facts.meetings} meeting{'' if facts.meetings == 1 else 's'}"
        return Label(Outcome.GOOD, f"completed, {meetings} (at least {needed} needed), satisfied")
    return Label(Outcome.UNLABELLED, "in between")


# ---------------------------------------------------------------------- snapshots


def snapshot_rows(
    *, team_id: str, pair_id: int, mentee: Profile, mentor: Profile, now: datetime, taxonomy: Taxonomy | None = None
) -> list[PairSnapshot]:
    """The two snapshot rows of a new pair (pure)."""
    values = pair_values(mentee, mentor, week_of=now.date(), taxonomy=taxonomy)
    rows = []
    for side, person in ((PairRole.MENTEE, mentee), (PairRole.MENTOR, mentor)):
        cells = profile_cells(person, "x")
        rows.append(
            PairSnapshot(
                team_id=team_id,
                pair_id=pair_id,
                side=side,
                user_id=person.user_id,
                profile={k[2:]: cells[k] for k in SNAPSHOT_FIELDS},
                factor_values={k: float(v) for k, v in values.items()},
                taken_at=now,
            )
        )
    return rows


def record_snapshots(
    *, session: Session, pairs: Sequence[Pair], now: datetime, taxonomy: Taxonomy | None = None
) -> int:
    """Snapshot both people of each new pair as they are now; the caller commits. Returns rows written.

    Called where pairs are created, inside the same transaction, so a pair never exists without the profile
    it was matched on. People without a profile (a coordinator's pair with someone who left) are skipped.
    """
    if not pairs:
        return 0
    session.flush()  # pair ids
    team_id = pairs[0].team_id
    user_ids = {uid for p in pairs for uid in (p.mentee_user_id, p.mentor_user_id)}
    found = people.load_profiles(session=session, team_id=team_id, user_ids=user_ids)
    rows: list[PairSnapshot] = []
    for pair in pairs:
        mentee, mentor = found.get(pair.mentee_user_id), found.get(pair.mentor_user_id)
        if pair.id is None or mentee is None or mentor is None:
            continue
        rows += snapshot_rows(
            team_id=pair.team_id, pair_id=pair.id, mentee=mentee[1], mentor=mentor[1], now=now, taxonomy=taxonomy
        )
    return store.add_snapshots(session=session, rows=rows)


def snapshot_profile(row: PairSnapshot) -> Profile | None:
    """The profile a snapshot row holds (None if it cannot be read back)."""
    cells = {k: str(v) for k, v in (row.profile or {}).items()}
    cells["role"] = row.side
    cells["user_id"] = row.user_id
    profile, problems = parse_row(cells)
    return profile if not problems else None


# ---------------------------------------------------------------------- labelled pairs


@dataclass
class LabelledPair:
    """A closed pair with its label and, when both snapshots remain, what it was matched on."""

    pair: ClosedPair
    label: Label
    mentee: Profile | None = None
    mentor: Profile | None = None
    values: dict[str, float] = field(default_factory=dict)
    snapshot: bool = False  # both people's snapshots remain

    @property
    def usable(self) -> bool:
        return self.label.outcome != Outcome.UNLABELLED and self.snapshot


def _facts(pair: ClosedPair, journey: JourneyFacts | None, meetings: int, answers: list[AnswerFacts]) -> OutcomeFacts:
    by_person: dict[str, int] = {}
    closing: dict[str, int] = {}
    not_fit = False
    for answer in answers:
        if answer.kind == AnswerKind.FIT and answer.fit == FitAnswer.NOT:
            not_fit = True
        if answer.satisfaction is None:
            continue
        if answer.kind == AnswerKind.CLOSING:
            closing[answer.respondent_user_id] = int(answer.satisfaction)
        elif answer.kind == AnswerKind.PULSE:
            by_person[answer.respondent_user_id] = int(answer.satisfaction)  # oldest first: the latest wins
    by_person.update(closing)
    return OutcomeFacts(
        status=pair.status,
        close_reason=pair.close_reason,
        started_at=journey.started_at if journey is not None else pair.created_at,
        closed_at=pair.closed_at,
        meetings=meetings,
        cadence_days=int(journey.cadence_days or 14) if journey is not None else 14,
        satisfaction=tuple(by_person.values()),
        not_a_fit=not_fit,
        silent_stage=int(journey.silent_stage or 0) if journey is not None else 0,
        last_activity_at=journey.last_activity_at if journey is not None else None,
    )


def labelled_pairs(
    *, session: Session, team_id: str, cohort_id: int | None = None, with_profiles: bool = True
) -> list[LabelledPair]:
    """Every closed pair of the workspace (or one cohort) with its label and snapshot.

    Args:
        session: Database session.
        team_id: The workspace.
        cohort_id: One cohort, or None for all.
        with_profiles: Read the snapshots back (False when only counting: five column queries, no rows objects).
    """
    scope = {"session": session, "team_id": team_id, "cohort_id": cohort_id}
    pairs = store.closed_pairs(**scope)
    journeys = store.journeys_of(**scope)
    meetings = store.meeting_counts(**scope)
    answers = store.answers_of(**scope)
    snapshots = store.snapshots_of(**scope) if with_profiles else {}
    sides = store.snapshot_sides(**scope) if not with_profiles else {k: set(v) for k, v in snapshots.items()}
    out = []
    for pair in pairs:
        facts = _facts(pair, journeys.get(pair.id), meetings.get(pair.id, 0), answers.get(pair.id, []))
        item = LabelledPair(pair, label_outcome(facts))
        item.snapshot = {PairRole.MENTEE, PairRole.MENTOR} <= sides.get(pair.id, set())
        if item.snapshot and with_profiles:
            rows = snapshots[pair.id]
            item.values = dict(rows[PairRole.MENTEE].factor_values or {})
            item.mentee = snapshot_profile(rows[PairRole.MENTEE])
            item.mentor = snapshot_profile(rows[PairRole.MENTOR])
            item.snapshot = item.mentee is not None and item.mentor is not None
        out.append(item)
    return out


@dataclass(frozen=True)
class OutcomeCounts:
    """How many closed pairs got each label, and how many can be learned from."""

    closed: int
    good: int
    poor: int
    unlabelled: int
    usable: int  # labelled and with both snapshots

    def summary(self) -> str:
        return (
            f"{self.closed} closed pairs: {self.good} good, {self.poor} poor, {self.unlabelled} unlabelled; "
            f"{self.usable} labelled pairs with the profiles they were matched on"
        )


def count_outcomes(items: Sequence[LabelledPair]) -> OutcomeCounts:
    return OutcomeCounts(
        closed=len(items),
        good=sum(1 for i in items if i.label.outcome == Outcome.GOOD),
        poor=sum(1 for i in items if i.label.outcome == Outcome.POOR),
        unlabelled=sum(1 for i in items if i.label.outcome == Outcome.UNLABELLED),
        usable=sum(1 for i in items if i.usable),
    )


def training_arrays(
    items: Sequence[LabelledPair], *, taxonomy: Taxonomy | None = None
) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Factor values (from the snapshot), outcomes (1 good, 0 poor) and person keys of the usable pairs."""
    usable = [i for i in items if i.usable]
    values = np.zeros((len(usable), len(FACTOR_NAMES)))
    missing = [k for k, i in enumerate(usable) if set(FACTOR_NAMES) - set(i.values)]
    for k, item in enumerate(usable):
        if k not in missing:
            values[k] = [item.values[name] for name in FACTOR_NAMES]
    if missing:  # snapshots from before a factor existed: recompute from the snapshot's profiles
        recomputed = batch_values(
            [usable[k].mentee for k in missing],  # type: ignore[misc]
            [usable[k].mentor for k in missing],  # type: ignore[misc]
            week_of=date.today(),
            taxonomy=taxonomy,
        )
        values[missing] = recomputed
    outcome = np.array([1 if i.label.outcome == Outcome.GOOD else 0 for i in usable], dtype=np.int64)
    return values, outcome, [i.pair.mentee_user_id for i in usable], [i.pair.mentor_user_id for i in usable]


@dataclass(frozen=True)
class OutcomesExport:
    """``mentorbot outcomes``: the CSV and the counts behind it."""

    csv: str
    counts: OutcomeCounts

    def summary(self) -> str:
        return self.counts.summary() + f"; exported {self.counts.usable}"


def export_outcomes(*, session: Session, team_id: str, cohort_id: int | None = None) -> OutcomesExport:
    """The program's labelled closed pairs as an outcomes file (no names or emails), from their snapshots."""
    items = labelled_pairs(session=session, team_id=team_id, cohort_id=cohort_id)
    rows = [
        (i.mentee, i.mentor, 1 if i.label.outcome == Outcome.GOOD else 0)
        for i in items
        if i.usable and i.mentee is not None and i.mentor is not None
    ]
    return OutcomesExport(csv=outcomes_csv(rows), counts=count_outcomes(items))
