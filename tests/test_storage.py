"""Storage on a real engine: SQLite file and PostgreSQL (the `engine` fixture runs each test on both)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import select

from storage import events, participants
from storage.db import make_engine, ping, session_factory
from storage.migrate import current_revision, head_revision, is_current, upgrade
from storage.models import AnonymousDeparture, Participant, ProcessedEvent, Profile
from storage.vocab import Role

FIELDS = {"skills_wanted": ["python"], "languages": ["english"], "days": ["tue"], "time_slots": ["morning"]}


def test_migrations_reach_head_and_a_second_upgrade_is_a_no_op(engine: Engine) -> None:
    assert current_revision(engine) == head_revision() and is_current(engine)
    upgrade(engine)
    assert is_current(engine) and ping(engine)


def test_replicas_upgrading_at_once_take_turns(database_url: str) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        engine = make_engine(database_url)
        try:
            upgrade(engine)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    engine = make_engine(database_url)
    assert is_current(engine)
    engine.dispose()


def test_upsert_profile_creates_then_updates_one_row(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions() as session:
        first, created = participants.upsert_profile(
            session=session,
            team_id="T1",
            user_id="U1",
            role=Role.MENTEE,
            display_name="Ann",
            timezone="Europe/Paris",
            fields=FIELDS,
        )
        assert created
        again, created = participants.upsert_profile(
            session=session,
            team_id="T1",
            user_id="U1",
            role=Role.BOTH,
            display_name="Ann B",
            timezone="Asia/Tokyo",
            fields={**FIELDS, "capacity": 3},
        )
        assert not created and again.id == first.id
    with sessions() as session:
        rows = session.exec(select(Participant)).all()
        profile = session.get(Profile, first.id)
    assert [(r.role, r.display_name, r.timezone) for r in rows] == [(Role.BOTH, "Ann B", "Asia/Tokyo")]
    assert profile is not None and profile.capacity == 3 and profile.skills_wanted == ["python"]


def test_concurrent_submissions_leave_one_participant(engine: Engine) -> None:
    sessions = session_factory(engine)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def submit() -> None:
        barrier.wait()
        try:
            with sessions() as session:
                participants.upsert_profile(
                    session=session,
                    team_id="T1",
                    user_id="U2",
                    role=Role.MENTOR,
                    display_name="Bo",
                    timezone="UTC",
                    fields=FIELDS,
                )
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sessions() as session:
        assert len(session.exec(select(Participant).where(Participant.user_id == "U2")).all()) == 1
        assert len(session.exec(select(Profile)).all()) == 1


def test_same_user_in_two_workspaces_are_two_people(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions() as session:
        for team in ("T1", "T2"):
            participants.upsert_profile(
                session=session,
                team_id=team,
                user_id="U3",
                role=Role.MENTEE,
                display_name=team,
                timezone="UTC",
                fields=FIELDS,
            )
        assert participants.get_participant(session=session, team_id="T2", user_id="U3").display_name == "T2"
        assert participants.delete_person(session=session, team_id="T1", user_id="U3")
        assert participants.get_participant(session=session, team_id="T2", user_id="U3") is not None
        assert [d.role for d in session.exec(select(AnonymousDeparture)).all()] == [Role.MENTEE]


def test_events_are_claimed_once_and_pruned(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions() as session:
        assert events.claim_event(session=session, team_id="T1", event_id="Ev1", event_type="app_home_opened")
        assert not events.claim_event(session=session, team_id="T1", event_id="Ev1")
        assert events.claim_event(session=session, team_id="T2", event_id="Ev1")  # ids are per workspace
        later = datetime.now(UTC) + timedelta(days=8)
        assert events.prune_events(session=session, now=later) == 2
        assert session.exec(select(ProcessedEvent)).all() == []


def test_timestamps_come_back_aware_utc(engine: Engine) -> None:
    sessions = session_factory(engine)
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    with sessions() as session:
        participant, _ = participants.upsert_profile(
            session=session,
            team_id="T1",
            user_id="U4",
            role=Role.MENTEE,
            display_name="Cy",
            timezone="UTC",
            fields=FIELDS,
            now=moment,
        )
    with sessions() as session:
        stored = session.get(Participant, participant.id)
    assert stored is not None and stored.created_at == moment and stored.created_at.tzinfo is not None


def test_pairs_closed_as_rematched_are_counted_as_not_a_fit_after_the_upgrade(database_url: str) -> None:
    from storage.models import Pair
    from storage.vocab import CloseReason, PairStatus

    engine = make_engine(database_url)
    try:
        upgrade(engine, "0016")
        with session_factory(engine)() as session:
            for reason in ("rematched", CloseReason.COMPLETED):
                session.add(
                    Pair(
                        team_id="T1",
                        mentee_user_id="U1",
                        mentor_user_id="U2",
                        status=PairStatus.CLOSED,
                        close_reason=reason,
                    )
                )
            session.commit()
        upgrade(engine)
        with session_factory(engine)() as session:
            reasons = sorted(p.close_reason for p in session.exec(select(Pair)).all())
        assert reasons == sorted([CloseReason.NOT_A_FIT, CloseReason.COMPLETED])
    finally:
        engine.dispose()
