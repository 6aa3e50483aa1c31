"""Program figures as SQL aggregates (GROUP BY over indexed columns, never a Python loop over rows).

Every function takes ``cohort_id``: a cohort's figures, or the whole workspace when None.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Float, Integer, and_, case, cast, func, literal, literal_column, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from storage.models import AnonymousDeparture, Cohort, Pair, Participant, Profile
from storage.models.journey import CheckinRecord, Meeting, PairGoals, PairJourney, PrivateAnswer, Reflection
from storage.vocab import (
    AnswerKind,
    CheckinOutcome,
    FitAnswer,
    Flag,
    PairRole,
    PairStatus,
    ParticipantStatus,
    Role,
)

OPEN = (PairStatus.ACTIVE, PairStatus.PAUSED, PairStatus.AT_RISK)
_CHOICE = re.compile(r"^[A-Za-z0-9_:.-]{1,40}$")  # a button/select value, not something a person wrote


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _ts(session: Session, value: datetime) -> ColumnElement[Any]:
    """A timestamp literal comparable with stored UTCDateTime columns on either backend."""
    if _sqlite(session):
        return literal(value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"))
    return literal(value)


def days_between(session: Session, start: Any, end: Any) -> ColumnElement[float]:
    """``end - start`` in (fractional) days, as SQL."""
    if _sqlite(session):
        return func.julianday(end) - func.julianday(start)
    return func.extract("epoch", end - start) / 86400.0


def _pairs_where(team_id: str, cohort_id: int | None) -> list[ColumnElement[bool]]:
    where = [Pair.team_id == team_id]
    if cohort_id is not None:
        where.append(Pair.cohort_id == cohort_id)
    return where


def _in_pairs(column: Any, team_id: str, cohort_id: int | None) -> list[ColumnElement[bool]]:
    """Rows of a journey table that belong to the cohort's pairs (a semi-join: plans well even before ANALYZE)."""
    if cohort_id is None:
        return []
    return [column.in_(select(Pair.id).where(Pair.team_id == team_id, Pair.cohort_id == cohort_id))]


def _people_where(team_id: str, cohort_id: int | None) -> list[ColumnElement[bool]]:
    where = [Participant.team_id == team_id, Participant.status != ParticipantStatus.DEPARTED]
    if cohort_id is not None:
        where.append(Participant.cohort_id == cohort_id)
    return where


def participants_by_role(*, session: Session, team_id: str, cohort_id: int | None) -> dict[str, int]:
    """Participants (active or paused) per role."""
    rows = session.execute(
        select(Participant.role, func.count()).where(*_people_where(team_id, cohort_id)).group_by(Participant.role)
    ).all()
    return {str(role): int(n) for role, n in rows}


def mentor_capacity(*, session: Session, team_id: str, cohort_id: int | None) -> dict[str, int]:
    """Active mentors, their total capacity, open pairs they hold, and free places (never below 0 per mentor)."""
    load = (
        select(Pair.mentor_user_id.label("user_id"), func.count().label("n"))
        .where(Pair.team_id == team_id, Pair.status.in_(OPEN))  # type: ignore[attr-defined]
        .group_by(Pair.mentor_user_id)
        .subquery()
    )
    used = func.coalesce(load.c.n, 0)
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(Profile.capacity), 0),
            func.coalesce(func.sum(used), 0),
            func.coalesce(func.sum(case((Profile.capacity > used, Profile.capacity - used), else_=0)), 0),
        )
        .select_from(Participant)
        .join(Profile, Profile.participant_id == Participant.id)
        .outerjoin(load, load.c.user_id == Participant.user_id)
        .where(
            *_people_where(team_id, cohort_id),
            Participant.status == ParticipantStatus.ACTIVE,
            Participant.role.in_((Role.MENTOR, Role.BOTH)),  # type: ignore[attr-defined]
        )
    ).one()
    return {"mentors": int(row[0]), "capacity": int(row[1]), "used": int(row[2]), "free": int(row[3])}


def mentee_matching(*, session: Session, team_id: str, cohort_id: int | None) -> dict[str, int]:
    """Mentees in the cohort (people who left are gone from it) and how many of them were ever paired in it."""
    ever = select(Pair.mentee_user_id).where(*_pairs_where(team_id, cohort_id)).distinct().subquery()
    row = session.execute(
        select(func.count(), func.count(ever.c.mentee_user_id))
        .select_from(Participant)
        .outerjoin(ever, ever.c.mentee_user_id == Participant.user_id)
        .where(*_people_where(team_id, cohort_id), Participant.role.in_((Role.MENTEE, Role.BOTH)))  # type: ignore[attr-defined]
    ).one()
    return {"mentees": int(row[0]), "matched": int(row[1] or 0)}


def waiting(*, session: Session, team_id: str, cohort_id: int | None) -> dict[str, list[str]]:
    """The waiting list: active people with no open pair on a side they signed up for, who were never paired on
    that side (in the cohort) or asked for a new partner. People who finished are not waiting."""

    def pair_exists(column: Any, *, open_only: bool) -> Any:
        query = select(Pair.id).where(Pair.team_id == team_id, column == Participant.user_id)
        if open_only:
            query = query.where(Pair.status.in_(OPEN))  # type: ignore[attr-defined]
        elif cohort_id is not None:
            query = query.where(Pair.cohort_id == cohort_id)
        return query.exists()

    out: dict[str, list[str]] = {}
    for side, roles, column in (
        ("mentees", (Role.MENTEE, Role.BOTH), Pair.mentee_user_id),
        ("mentors", (Role.MENTOR, Role.BOTH), Pair.mentor_user_id),
    ):
        rows = session.execute(
            select(Participant.user_id)
            .where(
                *_people_where(team_id, cohort_id),
                Participant.status == ParticipantStatus.ACTIVE,
                Participant.role.in_(roles),  # type: ignore[attr-defined]
                ~pair_exists(column, open_only=True),
                or_(~pair_exists(column, open_only=False), Participant.priority.is_(True)),  # type: ignore[attr-defined]
            )
            .order_by(Participant.user_id)
        ).all()
        out[side] = [str(u) for (u,) in rows]
    return out


def pairs_by_source(*, session: Session, team_id: str, cohort_id: int | None) -> dict[str, int]:
    """Pairs per source (a round, by hand, mentee choice)."""
    rows = session.execute(
        select(Pair.source, func.count()).where(*_pairs_where(team_id, cohort_id)).group_by(Pair.source)
    ).all()
    return {str(source): int(n) for source, n in rows}


def checkin_outcomes(*, session: Session, team_id: str, cohort_id: int | None) -> dict[str, int]:
    """Check-ins sent per outcome: met, not yet, ignored (including one still open when its pair closed), open."""
    outcome = case(
        (and_(CheckinRecord.outcome == "", Pair.status == PairStatus.CLOSED), literal(CheckinOutcome.IGNORED.value)),
        (CheckinRecord.outcome == "", literal("open")),
        else_=CheckinRecord.outcome,
    ).label("outcome")
    rows = session.execute(
        select(outcome, func.count())
        .select_from(CheckinRecord)
        .join(Pair, Pair.id == CheckinRecord.pair_id)
        .where(*_pairs_where(team_id, cohort_id))
        .group_by(outcome)
    ).all()
    return {str(o): int(n) for o, n in rows}


def booked_meetings(*, session: Session, team_id: str, cohort_id: int | None) -> dict[str, int]:
    """Meetings booked from proposed times: ``booked`` (not cancelled), ``cancelled``, and each "Did you meet?"
    answer (met, rescheduled, skipped; ``unanswered`` for the rest)."""
    from storage.models import MeetingBooking
    from storage.vocab import BookingStatus

    answer = case((MeetingBooking.outcome == "", literal("unanswered")), else_=MeetingBooking.outcome).label("answer")
    rows = session.execute(
        select(MeetingBooking.status, answer, func.count())
        .select_from(MeetingBooking)
        .join(Pair, Pair.id == MeetingBooking.pair_id)
        .where(*_pairs_where(team_id, cohort_id))
        .group_by(MeetingBooking.status, answer)
    ).all()
    out: dict[str, int] = {}
    for status, outcome, n in rows:
        if status == BookingStatus.CANCELLED:
            out["cancelled"] = out.get("cancelled", 0) + int(n)
            continue
        out["booked"] = out.get("booked", 0) + int(n)
        out[str(outcome)] = out.get(str(outcome), 0) + int(n)
    return out


def flag_counts(*, session: Session, team_id: str, cohort_id: int | None) -> dict[str, int]:
    """How many fit checks said *not a fit*, and how many times someone asked for help from a check-in."""
    fit = PrivateAnswer.answers["fit"].as_string()  # type: ignore[index]
    row = session.execute(
        select(
            func.coalesce(
                func.sum(case((and_(PrivateAnswer.kind == AnswerKind.FIT, fit == FitAnswer.NOT.value), 1), else_=0)), 0
            ),
            func.coalesce(func.sum(case((PrivateAnswer.kind == AnswerKind.HELP, 1), else_=0)), 0),
        ).where(PrivateAnswer.team_id == team_id, *_in_pairs(PrivateAnswer.pair_id, team_id, cohort_id))
    ).one()
    return {Flag.NOT_A_FIT.value: int(row[0]), Flag.NEED_HELP.value: int(row[1])}


def surveys_by_person(*, session: Session, team_id: str, cohort_id: int | None) -> dict[str, float]:
    """Survey answers (pulse and closing) and the people who gave them; each person's latest satisfaction (mean)
    and latest recommendation (promoters 9-10, passives 7-8, detractors 0-6): one voice per person."""
    scope = [
        PrivateAnswer.team_id == team_id,
        PrivateAnswer.kind.in_((AnswerKind.PULSE, AnswerKind.CLOSING)),  # type: ignore[attr-defined]
        *_in_pairs(PrivateAnswer.pair_id, team_id, cohort_id),
    ]
    totals = session.execute(
        select(func.count(), func.count(func.distinct(PrivateAnswer.respondent_user_id))).where(*scope)
    ).one()

    def latest(column: Any) -> Any:
        return (
            select(func.max(PrivateAnswer.id).label("id"))
            .where(*scope, column.is_not(None))
            .group_by(PrivateAnswer.respondent_user_id)
            .subquery()
        )

    rated = latest(PrivateAnswer.satisfaction)
    mean = session.execute(
        select(func.count(), func.avg(cast(PrivateAnswer.satisfaction, Float))).join(
            rated, rated.c.id == PrivateAnswer.id
        )
    ).one()
    scored = latest(PrivateAnswer.recommend)
    nps = session.execute(
        select(
            func.coalesce(func.sum(case((PrivateAnswer.recommend >= 9, 1), else_=0)), 0),  # type: ignore[operator]
            func.coalesce(func.sum(case((PrivateAnswer.recommend.between(7, 8), 1), else_=0)), 0),  # type: ignore[union-attr]
            func.coalesce(func.sum(case((PrivateAnswer.recommend <= 6, 1), else_=0)), 0),  # type: ignore[operator]
        ).join(scored, scored.c.id == PrivateAnswer.id)
    ).one()
    return {
        "answers": int(totals[0]),
        "people": int(totals[1]),
        "rated_people": int(mean[0]),
        "mean": float(mean[1]) if mean[1] is not None else 0.0,
        "promoters": int(nps[0]),
        "passives": int(nps[1]),
        "detractors": int(nps[2]),
    }


def pairs_by_status(*, session: Session, team_id: str, cohort_id: int | None) -> dict[str, int]:
    """Pairs per status (active | paused | at_risk | closed)."""
    rows = session.execute(
        select(Pair.status, func.count()).where(*_pairs_where(team_id, cohort_id)).group_by(Pair.status)
    ).all()
    return {str(status): int(n) for status, n in rows}


def closure_outcomes(*, session: Session, team_id: str, cohort_id: int | None) -> dict[str, int]:
    """Closed pairs per close reason."""
    rows = session.execute(
        select(Pair.close_reason, func.count())
        .where(*_pairs_where(team_id, cohort_id), Pair.status == PairStatus.CLOSED)
        .group_by(Pair.close_reason)
    ).all()
    return {str(reason or "unspecified"): int(n) for reason, n in rows}


def days_to_first_meeting(*, session: Session, team_id: str, cohort_id: int | None) -> tuple[int, float | None]:
    """How many pairs have met, and the median days from pairing to their first meeting."""
    first = (
        select(Meeting.pair_id.label("pair_id"), func.min(Meeting.met_on).label("first_at"))
        .where(Meeting.team_id == team_id, *_in_pairs(Meeting.pair_id, team_id, cohort_id))
        .group_by(Meeting.pair_id)
        .subquery()
    )
    days = days_between(session, Pair.created_at, first.c.first_at)
    base = select(days.label("d")).select_from(Pair).join(first, first.c.pair_id == Pair.id)
    base = base.where(*_pairs_where(team_id, cohort_id))
    n = int(session.execute(select(func.count()).select_from(base.subquery())).scalar_one())
    if n == 0:
        return 0, None
    ordered = base.order_by(days)
    if n % 2:
        middle = session.execute(ordered.offset(n // 2).limit(1)).scalar_one()
        return n, float(middle)
    two = session.execute(ordered.offset(n // 2 - 1).limit(2)).scalars().all()
    return n, float(sum(two)) / 2


def meeting_rate(*, session: Session, team_id: str, cohort_id: int | None, now: datetime) -> dict[str, float]:
    """Meetings logged and pair-months elapsed (open pairs count up to ``now``, closed ones to their closure)."""
    meetings = session.execute(
        select(func.count())
        .select_from(Meeting)
        .where(Meeting.team_id == team_id, *_in_pairs(Meeting.pair_id, team_id, cohort_id))
    ).scalar_one()
    end = func.coalesce(Pair.closed_at, _ts(session, now))
    days = session.execute(
        select(func.coalesce(func.sum(days_between(session, Pair.created_at, end)), 0.0)).where(
            *_pairs_where(team_id, cohort_id)
        )
    ).scalar_one()
    return {"meetings": int(meetings), "pair_months": max(0.0, float(days or 0.0)) / 30.44}


def goals(*, session: Session, team_id: str, cohort_id: int | None) -> dict[str, int]:
    """Pairs with goals, goals set, and goals marked done (counted inside the JSON list by the database)."""
    if _sqlite(session):
        set_expr: Any = func.json_array_length(PairGoals.goals)
        done_expr: Any = literal_column(
            "(SELECT count(*) FROM json_each(pair_goals.goals) WHERE json_extract(value, '$.progress') = 'done')"
        )
    else:
        set_expr = func.json_array_length(PairGoals.goals)
        done_expr = literal_column(
            "(SELECT count(*) FROM json_array_elements(pair_goals.goals::json) AS g WHERE g->>'progress' = 'done')"
        )
    row = session.execute(
        select(
            func.sum(case((set_expr > 0, 1), else_=0)),
            func.coalesce(func.sum(set_expr), 0),
            func.coalesce(func.sum(done_expr), 0),
        )
        .select_from(PairGoals)
        .where(PairGoals.team_id == team_id, *_in_pairs(PairGoals.pair_id, team_id, cohort_id))
    ).one()
    return {"pairs": int(row[0] or 0), "set": int(row[1] or 0), "done": int(row[2] or 0)}


def _week(session: Session, column: Any, origin: datetime) -> ColumnElement[int]:
    days = days_between(session, _ts(session, origin), column)
    if _sqlite(session):
        return cast(days / 7, Integer)
    return cast(func.floor(days / 7), Integer)


def meetings_per_week(
    *, session: Session, team_id: str, cohort_id: int | None, origin: datetime, now: datetime
) -> dict[int, int]:
    """Meetings per week since ``origin`` (week 0 starts at ``origin``)."""
    week = _week(session, Meeting.met_on, origin).label("week")
    query = (
        select(week, func.count())
        .select_from(Meeting)
        .where(Meeting.team_id == team_id, Meeting.met_on >= origin, Meeting.met_on <= now)
        .group_by(week)
    )
    if cohort_id is not None:
        query = query.where(*_in_pairs(Meeting.pair_id, team_id, cohort_id))
    return {int(w): int(n) for w, n in session.execute(query).all()}


def pair_flow_per_week(
    *, session: Session, team_id: str, cohort_id: int | None, origin: datetime
) -> tuple[int, dict[int, int], dict[int, int]]:
    """Pairs open before ``origin``, pairs opened per week and pairs closed per week since then."""
    before = session.execute(
        select(func.count()).where(
            *_pairs_where(team_id, cohort_id),
            Pair.created_at < origin,
            or_(Pair.closed_at.is_(None), Pair.closed_at >= origin),  # type: ignore[union-attr,operator]
        )
    ).scalar_one()
    opened_week = _week(session, Pair.created_at, origin).label("week")
    opened = session.execute(
        select(opened_week, func.count())
        .where(*_pairs_where(team_id, cohort_id), Pair.created_at >= origin)
        .group_by(opened_week)
    ).all()
    closed_week = _week(session, Pair.closed_at, origin).label("week")
    closed = session.execute(
        select(closed_week, func.count())
        .where(*_pairs_where(team_id, cohort_id), Pair.closed_at >= origin)  # type: ignore[operator]
        .group_by(closed_week)
    ).all()
    return int(before), {int(w): int(n) for w, n in opened}, {int(w): int(n) for w, n in closed}


def first_activity(*, session: Session, team_id: str, cohort_id: int | None) -> datetime | None:
    """When the cohort's first pair was made (the chart's start)."""
    return session.execute(select(func.min(Pair.created_at)).where(*_pairs_where(team_id, cohort_id))).scalar_one()


def departures(*, session: Session, team_id: str, cohort_id: int | None) -> int:
    """People who left the program (anonymous count)."""
    query = select(func.count()).select_from(AnonymousDeparture).where(AnonymousDeparture.team_id == team_id)
    if cohort_id is not None:
        query = query.where(AnonymousDeparture.cohort_id == cohort_id)
    return int(session.execute(query).scalar_one())


# ---------------------------------------------------------------------- digest and export


def signups_since(*, session: Session, team_id: str, cohort_id: int | None, since: datetime) -> dict[str, int]:
    """New participants per role since ``since``."""
    rows = session.execute(
        select(Participant.role, func.count())
        .where(*_people_where(team_id, cohort_id), Participant.created_at >= since)
        .group_by(Participant.role)
    ).all()
    return {str(r): int(n) for r, n in rows}


def pairs_made_since(*, session: Session, team_id: str, cohort_id: int | None, since: datetime) -> int:
    """Pairs created since ``since``."""
    return int(
        session.execute(
            select(func.count()).where(*_pairs_where(team_id, cohort_id), Pair.created_at >= since)
        ).scalar_one()
    )


def at_risk_pairs(
    *, session: Session, team_id: str, cohort_id: int | None, limit: int = 20
) -> list[tuple[Pair, PairJourney | None]]:
    """At-risk pairs (oldest first) with their journey state (who was last active)."""
    rows = session.execute(
        select(Pair, PairJourney)
        .outerjoin(PairJourney, PairJourney.pair_id == Pair.id)
        .where(*_pairs_where(team_id, cohort_id), Pair.status == PairStatus.AT_RISK)
        .order_by(Pair.created_at, Pair.id)
        .limit(limit)
    ).all()
    return [(p, j) for p, j in rows]


def flagged_answers_since(
    *, session: Session, team_id: str, cohort_id: int | None, since: datetime
) -> list[tuple[int, str, str]]:
    """(pair id, respondent role, flag) for each fit check answered *not a fit* and each *need help* since
    ``since``, oldest first (the week's few such answers are read and compared, never a text search)."""
    rows = session.execute(
        select(PrivateAnswer.pair_id, PrivateAnswer.respondent_role, PrivateAnswer.kind, PrivateAnswer.answers)
        .where(
            PrivateAnswer.team_id == team_id,
            PrivateAnswer.kind.in_((AnswerKind.FIT, AnswerKind.HELP)),  # type: ignore[attr-defined]
            PrivateAnswer.submitted_at >= since,
            *_in_pairs(PrivateAnswer.pair_id, team_id, cohort_id),
        )
        .order_by(PrivateAnswer.submitted_at, PrivateAnswer.id)
    ).all()
    out = []
    for pid, role, kind, answers in rows:
        if kind == AnswerKind.HELP:
            out.append((int(pid), str(role), str(Flag.NEED_HELP)))
        elif (answers or {}).get("fit") == FitAnswer.NOT:
            out.append((int(pid), str(role), str(Flag.NOT_A_FIT)))
    return out


def closures_between(
    *, session: Session, team_id: str, cohort_id: int | None, start: datetime, end: datetime
) -> list[tuple[Pair, datetime]]:
    """Open pairs whose planned end falls in [start, end), soonest first."""
    rows = session.execute(
        select(Pair, PairJourney.ends_at)
        .join(PairJourney, PairJourney.pair_id == Pair.id)
        .where(
            *_pairs_where(team_id, cohort_id),
            Pair.status.in_(OPEN),  # type: ignore[attr-defined]
            PairJourney.ends_at >= start,
            PairJourney.ends_at < end,
        )
        .order_by(PairJourney.ends_at)
        .limit(50)
    ).all()
    return [(p, e) for p, e in rows]


def export_rows(*, session: Session, team_id: str, cohort_id: int | None) -> list[dict[str, Any]]:
    """One row per pair: cohort, how it was made (and the hand pair's reason), status and how it ended, meetings,
    check-ins sent and answered, goal progress and survey aggregates (no answer text)."""
    meetings = (
        select(
            Meeting.pair_id.label("pair_id"),
            func.count().label("meetings"),
            func.max(Meeting.met_on).label("last_met"),
        )
        .where(Meeting.team_id == team_id)
        .group_by(Meeting.pair_id)
        .subquery()
    )
    surveys = (
        select(
            PrivateAnswer.pair_id.label("pair_id"),
            func.count().label("responses"),
            func.avg(cast(PrivateAnswer.satisfaction, Float)).label("satisfaction"),
            func.avg(cast(PrivateAnswer.recommend, Float)).label("recommend"),
        )
        .where(
            PrivateAnswer.team_id == team_id,
            PrivateAnswer.kind.in_((AnswerKind.PULSE, AnswerKind.CLOSING)),  # type: ignore[attr-defined]
        )
        .group_by(PrivateAnswer.pair_id)
        .subquery()
    )
    answered = CheckinRecord.outcome.in_((CheckinOutcome.MET, CheckinOutcome.NOT_YET))  # type: ignore[attr-defined]
    checkins = (
        select(
            CheckinRecord.pair_id.label("pair_id"),
            func.count().label("sent"),
            func.sum(case((answered, 1), else_=0)).label("answered"),
        )
        .where(CheckinRecord.team_id == team_id)
        .group_by(CheckinRecord.pair_id)
        .subquery()
    )
    g = goals_per_pair_subquery(session, team_id)
    rows = session.execute(
        select(
            Pair.id,
            Cohort.name,
            Pair.mentee_user_id,
            Pair.mentor_user_id,
            Pair.source,
            Pair.manual_reason,
            Pair.status,
            Pair.score,
            Pair.created_at,
            Pair.closed_at,
            Pair.close_reason,
            func.coalesce(meetings.c.meetings, 0),
            meetings.c.last_met,
            func.coalesce(checkins.c.sent, 0),
            func.coalesce(checkins.c.answered, 0),
            func.coalesce(g.c.goals_set, 0),
            func.coalesce(g.c.goals_done, 0),
            func.coalesce(surveys.c.responses, 0),
            surveys.c.satisfaction,
            surveys.c.recommend,
        )
        .select_from(Pair)
        .outerjoin(Cohort, Cohort.id == Pair.cohort_id)
        .outerjoin(meetings, meetings.c.pair_id == Pair.id)
        .outerjoin(checkins, checkins.c.pair_id == Pair.id)
        .outerjoin(g, g.c.pair_id == Pair.id)
        .outerjoin(surveys, surveys.c.pair_id == Pair.id)
        .where(*_pairs_where(team_id, cohort_id))
        .order_by(Pair.id)
    ).all()
    keys = (
        "pair_id",
        "cohort",
        "mentee",
        "mentor",
        "source",
        "hand_reason",
        "status",
        "match_score",
        "started",
        "closed",
        "close_reason",
        "meetings",
        "last_meeting",
        "checkins_sent",
        "checkins_answered",
        "goals_set",
        "goals_done",
        "survey_responses",
        "mean_satisfaction",
        "mean_recommend",
    )
    return [dict(zip(keys, row, strict=True)) for row in rows]


def reflections(*, session: Session, team_id: str, cohort_id: int | None) -> list[dict[str, Any]]:
    """Closing reflections (what people achieved and learned), for coordinators: the form tells people so. The
    thank-you note is not included: it was written for the partner."""
    rows = session.execute(
        select(Reflection.pair_id, Reflection.user_id, Pair.mentee_user_id, Reflection.achieved, Reflection.learned)
        .join(Pair, Pair.id == Reflection.pair_id)
        .where(Reflection.team_id == team_id, *_pairs_where(team_id, cohort_id))
        .order_by(Reflection.pair_id, Reflection.id)
    ).all()
    return [
        {
            "pair_id": int(pair_id),
            "role": PairRole.MENTEE if user_id == mentee else PairRole.MENTOR,
            "achieved": achieved,
            "learned": learned,
        }
        for pair_id, user_id, mentee, achieved, learned in rows
    ]


def goals_per_pair_subquery(session: Session, team_id: str) -> Any:
    """pair_id, goals_set, goals_done for every pair with a goals row."""
    if _sqlite(session):
        done: Any = literal_column(
            "(SELECT count(*) FROM json_each(pair_goals.goals) WHERE json_extract(value, '$.progress') = 'done')"
        )
        count: Any = func.json_array_length(PairGoals.goals)
    else:
        done = literal_column(
            "(SELECT count(*) FROM json_array_elements(pair_goals.goals::json) AS g WHERE g->>'progress' = 'done')"
        )
        count = func.json_array_length(PairGoals.goals)
    return (
        select(PairGoals.pair_id.label("pair_id"), count.label("goals_set"), done.label("goals_done"))
        .where(PairGoals.team_id == team_id)
        .subquery()
    )


def free_text_answers(*, session: Session, team_id: str, cohort_id: int | None) -> list[tuple[str, str, str]]:
    """(survey kind, question, text) of every free-text survey answer, without pair or respondent, sorted so the
    order gives nothing away."""
    rows = session.execute(
        select(PrivateAnswer.kind, PrivateAnswer.answers).where(
            PrivateAnswer.team_id == team_id, *_in_pairs(PrivateAnswer.pair_id, team_id, cohort_id)
        )
    ).all()
    out = [
        (str(kind), str(key), value.strip())
        for kind, answers in rows
        for key, value in (answers or {}).items()
        if isinstance(value, str) and value.strip() and not _CHOICE.match(value.strip())
    ]
    return sorted(out)
