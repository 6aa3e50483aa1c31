"""Small data factories for coordinator tests, and the stats figures checked on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.stats import HIDDEN, compute_stats
from bot.views.coordinator import stats_message
from storage.models import Cohort, Pair, Participant, Profile
from storage.models.journey import Meeting, PairGoals, PairJourney, PrivateAnswer
from storage.vocab import AnswerKind, CloseReason, GoalProgress, GoalsStatus, PairRole, PairStatus, Role

TEAM = "T0MENTOR"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def add_cohort(session: Session, name: str = "Spring", **settings: object) -> Cohort:
    cohort = Cohort(team_id=TEAM, name=name, settings=dict(settings), created_at=NOW - timedelta(days=200))
    session.add(cohort)
    session.flush()
    return cohort


def add_person(
    session: Session,
    user_id: str,
    role: str,
    cohort: Cohort,
    *,
    capacity: int = 1,
    email: str | None = None,
    created_at: datetime | None = None,
) -> Participant:
    person = Participant(
        team_id=TEAM,
        user_id=user_id,
        role=role,
        cohort_id=cohort.id,
        display_name=user_id.lower(),
        created_at=created_at or NOW - timedelta(days=100),
    )
    session.add(person)
    session.flush()
    session.add(Profile(participant_id=person.id, team_id=TEAM, capacity=capacity, email=email))
    return person


def add_pair(
    session: Session,
    cohort: Cohort,
    mentee: str,
    mentor: str,
    *,
    status: str = PairStatus.ACTIVE,
    days_ago: int = 90,
    closed_days_ago: int | None = None,
    reason: str = "",
) -> Pair:
    pair = Pair(
        team_id=TEAM,
        cohort_id=cohort.id,
        mentee_user_id=mentee,
        mentor_user_id=mentor,
        status=status,
        created_at=NOW - timedelta(days=days_ago),
        closed_at=NOW - timedelta(days=closed_days_ago) if closed_days_ago is not None else None,
        close_reason=reason,
    )
    session.add(pair)
    session.flush()
    return pair


def add_meeting(session: Session, pair: Pair, days_ago: int) -> None:
    session.add(
        Meeting(team_id=TEAM, pair_id=pair.id, logged_by=pair.mentee_user_id, met_on=NOW - timedelta(days=days_ago))
    )


def add_answer(
    session: Session,
    pair: Pair,
    *,
    satisfaction: int | None,
    recommend: int | None,
    answers: dict | None = None,
    kind: str = AnswerKind.PULSE,
    by_mentor: bool = False,
    days_ago: int = 10,
) -> None:
    session.add(
        PrivateAnswer(
            team_id=TEAM,
            pair_id=pair.id,
            respondent_user_id=pair.mentor_user_id if by_mentor else pair.mentee_user_id,
            respondent_role=PairRole.MENTOR if by_mentor else PairRole.MENTEE,
            kind=kind,
            survey_key=f"{kind}:1",
            satisfaction=satisfaction,
            recommend=recommend,
            answers=answers or {},
            submitted_at=NOW - timedelta(days=days_ago),
        )
    )


def add_goals(session: Session, pair: Pair, progress: list[str]) -> None:
    goals = [{"title": f"goal {i}", "measure": "", "target_date": "", "progress": p} for i, p in enumerate(progress)]
    session.add(PairGoals(team_id=TEAM, pair_id=pair.id, goals=goals, status=GoalsStatus.CONFIRMED))


def add_journey(session: Session, pair: Pair, **fields: object) -> None:
    session.add(
        PairJourney(
            team_id=TEAM,
            pair_id=pair.id,
            started_at=pair.created_at,
            ends_at=pair.created_at + timedelta(days=182),
            **fields,
        )
    )


def seed_program(session: Session, *, pairs: int = 6, mentees_waiting: int = 2) -> Cohort:
    """A cohort with ``pairs`` pairs (one mentor each, capacity 2), meetings, goals and survey answers."""
    cohort = add_cohort(session)
    for i in range(pairs):
        add_person(session, f"U0MENTOR{i:02d}", Role.MENTOR, cohort, capacity=2)
        add_person(session, f"U0MENTEE{i:02d}", Role.MENTEE, cohort)
    for i in range(mentees_waiting):
        add_person(session, f"U0WAIT{i:04d}", Role.MENTEE, cohort)
    made = []
    for i in range(pairs):
        status = PairStatus.CLOSED if i == 0 else PairStatus.AT_RISK if i == 1 else PairStatus.ACTIVE
        pair = add_pair(
            session,
            cohort,
            f"U0MENTEE{i:02d}",
            f"U0MENTOR{i:02d}",
            status=status,
            days_ago=90,
            closed_days_ago=30 if status == PairStatus.CLOSED else None,
            reason=CloseReason.COMPLETED if status == PairStatus.CLOSED else "",
        )
        made.append(pair)
        # first meeting i+1 days after pairing, then one every 30 days
        for day in (90 - (i + 1), 60, 30):
            add_meeting(session, pair, day)
        add_goals(session, pair, [GoalProgress.DONE, GoalProgress.SOME] if i % 2 else [GoalProgress.DONE])
        add_answer(session, pair, satisfaction=4 + (i % 2), recommend=9 if i % 3 else 6)
    session.commit()
    return cohort


def test_figures_are_exact_for_coordinators_and_small_groups_hidden_elsewhere(engine: Engine) -> None:
    """The storage aggregates on both databases (the scenario runner checks every figure against what people did;
    this seeds rows only to reach PostgreSQL and the small-group rule cheaply)."""
    with Session(engine) as session:
        cohort = seed_program(session, pairs=6, mentees_waiting=2)
        figures = compute_stats(session=session, team_id=TEAM, cohort_id=cohort.id, now=NOW, cohort_name="Spring")
    assert figures.roles == {Role.MENTOR: 6, Role.MENTEE: 8}
    assert figures.capacity == {"mentors": 6, "capacity": 12, "used": 5, "free": 7}
    assert figures.mentees == {"mentees": 8, "matched": 6}
    assert figures.waiting == {"mentees": ["U0WAIT0000", "U0WAIT0001"], "mentors": []}  # who finished is not waiting
    assert figures.pairs == {PairStatus.CLOSED: 1, PairStatus.AT_RISK: 1, PairStatus.ACTIVE: 4}
    assert figures.match_rate == pytest.approx(6 / 8)
    # first meetings 1..6 days after pairing: median 3.5
    assert figures.met_pairs == 6 and figures.median_days == pytest.approx(3.5, abs=0.01)
    assert figures.meetings["meetings"] == 18
    assert figures.meetings["pair_months"] == pytest.approx((5 * 90 + 60) / 30.44, rel=1e-3)
    assert figures.goals == {"pairs": 6, "set": 9, "done": 6}
    assert figures.satisfaction == pytest.approx(4.5)
    # recommend 6 (detractor) for i in 0, 3; 9 (promoter) for the other four: NPS = (4 - 2) / 6 people
    assert figures.nps == pytest.approx(100 * 2 / 6)
    exact = str(stats_message(figures, None))
    assert "fewer than 5" not in exact and "1 at risk" in exact and "1 completed" in exact
    assert "*Waiting list:* 2 mentees without a mentor" in exact and "75% (6 of 8 mentees paired)" in exact
    shared = str(stats_message(figures, None, hide_small=True))
    # 1 closed, 1 at risk, 2 waiting: groups under 5, hidden; 6 mentors, 8 mentees shown
    assert "Mentors: 6" in shared and "Mentees: 8" in shared
    assert f"{HIDDEN} at risk" in shared and f"{HIDDEN} closed" in shared
    assert f"*Waiting list:* {HIDDEN} mentees" in shared and f"{HIDDEN} completed" in shared
    assert "75%" in shared


def test_tiny_cohort_shows_no_rates_where_others_read_it(engine: Engine) -> None:
    with Session(engine) as session:
        cohort = seed_program(session, pairs=3, mentees_waiting=0)
        figures = compute_stats(session=session, team_id=TEAM, cohort_id=cohort.id, now=NOW, cohort_name="Tiny")
    text = stats_message(figures, None, hide_small=True)["blocks"][1]["text"]["text"]
    assert "Mentors: " + HIDDEN in text and "Mentees: " + HIDDEN in text
    assert f"satisfaction {HIDDEN}" in text and "*Match rate:* " + HIDDEN in text and f"NPS {HIDDEN}" in text
    for digit in "123":  # no count of 1-3 people leaks anywhere in the figures
        assert f": {digit}\n" not in text and f": {digit}," not in text and f" {digit} pair" not in text


def test_trend_against_the_previous_cohort(engine: Engine) -> None:
    from bot.stats import compute_with_previous

    with Session(engine) as session:
        spring = seed_program(session, pairs=6, mentees_waiting=2)  # match rate 6 of 8
        autumn = add_cohort(session, "Autumn")
        for i in range(6):
            add_person(session, f"U0AMENTOR{i}", Role.MENTOR, autumn, capacity=1)
            add_person(session, f"U0AMENTEE{i}", Role.MENTEE, autumn)
            pair = add_pair(session, autumn, f"U0AMENTEE{i}", f"U0AMENTOR{i}", days_ago=60)
            for day in (55, 40, 25, 10):
                add_meeting(session, pair, day)
            add_answer(session, pair, satisfaction=5, recommend=10)
        session.commit()
        current, previous = compute_with_previous(session=session, team_id=TEAM, cohort_id=autumn.id, now=NOW)
    assert previous is not None and previous.cohort_id == spring.id and previous.cohort_name == "Spring"
    assert current.match_rate == pytest.approx(1.0) and previous.match_rate == pytest.approx(0.75)
    trend = str(stats_message(current, previous))
    assert "Trend against Spring" in trend
    assert "*Match rate:* :arrow_up: +25.0 pts" in trend
    assert "*Satisfaction:* :arrow_up: +0.5" in trend
    assert "*NPS:* :arrow_up: +66.7" in trend
