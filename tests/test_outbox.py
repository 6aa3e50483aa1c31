"""The outbox's storage and scheduling API on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bot.outbox import cancel_prompts, schedule_prompt, shift_prompts, upcoming_prompts
from storage import outbox as store
from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.models import ScheduledPrompt
from storage.vocab import PromptStatus

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEAM = "T0MENTOR"


def _schedule(session: Session, key: str, due: datetime, **kw: object) -> ScheduledPrompt:
    row = schedule_prompt(session=session, team_id=TEAM, key=key, kind="test.note", due_at=due, **kw)  # type: ignore[arg-type]
    session.commit()
    return row


def _count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(ScheduledPrompt)).one())


def test_same_key_twice_is_one_row_and_unchanged(engine: Engine) -> None:
    with Session(engine) as session:
        first = _schedule(session, "pair:1:checkin:1", T0, recipient_user_id="U1", pair_id=1, payload={"n": 1})
        again = _schedule(session, "pair:1:checkin:1", T0 + timedelta(days=3), payload={"n": 2})
        assert again.id == first.id
        assert (again.due_at, again.payload) == (T0, {"n": 1})
        # Another team may use the same key.
        other = schedule_prompt(session=session, team_id="T0OTHER", key="pair:1:checkin:1", kind="k", due_at=T0)
        session.commit()
        assert other.id != first.id
        assert _count(session) == 2


def test_reschedule_moves_only_a_pending_row(engine: Engine) -> None:
    with Session(engine) as session:
        row = _schedule(session, "k1", T0, payload={"n": 1})
        moved = schedule_prompt(
            session=session,
            team_id=TEAM,
            key="k1",
            kind="test.note",
            due_at=T0 + timedelta(hours=5),
            payload={"n": 9},
            reschedule=True,
        )
        session.commit()
        assert moved.id == row.id and moved.due_at == T0 + timedelta(hours=5) and moved.payload == {"n": 9}
        # Once it is no longer pending, a reschedule leaves it alone.
        cancel_prompts(session=session, team_id=TEAM, pair_id=0, now=T0)  # other pair: no effect
        store.mark_sent(session=session, prompt_id=row.id, sent_ts="1.2", sent_channel="D1", now=T0)  # type: ignore[arg-type]
        session.commit()
        same = schedule_prompt(session=session, team_id=TEAM, key="k1", kind="x", due_at=T0, reschedule=True)
        assert (same.status, same.due_at) == (PromptStatus.SENT, T0 + timedelta(hours=5))


def test_concurrent_schedules_of_one_key_make_one_row(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    barrier = threading.Barrier(8)
    ids: list[int | None] = []
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            with sessions() as session:
                barrier.wait()
                for i in range(20):
                    row = schedule_prompt(
                        session=session, team_id=TEAM, key=f"race:{i}", kind="test.note", due_at=T0, payload={"by": n}
                    )
                    session.commit()
                    ids.append(row.id)
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with sessions() as session:
        assert _count(session) == 20
    assert len(ids) == 160 and len(set(ids)) == 20
    engine.dispose()


def test_cancel_and_shift_touch_only_pending_rows_of_the_pair(engine: Engine) -> None:
    with Session(engine) as session:
        a = _schedule(session, "p7:checkin:1", T0, pair_id=7, recipient_user_id="U1")
        b = _schedule(session, "p7:survey:1", T0 + timedelta(days=1), pair_id=7, recipient_user_id="U2")
        c = _schedule(session, "p7:checkin:0", T0 - timedelta(days=1), pair_id=7, recipient_user_id="U1")
        d = _schedule(session, "p8:checkin:1", T0, pair_id=8, recipient_user_id="U3")
        store.mark_sent(session=session, prompt_id=c.id, sent_ts="1.0", sent_channel="D1", now=T0)  # type: ignore[arg-type]
        session.commit()
        b.kind = "test.survey"
        session.add(b)
        session.commit()

        moved = shift_prompts(session=session, team_id=TEAM, pair_id=7, delta=timedelta(days=14), now=T0)
        session.commit()
        assert moved == 2
        rows = {r.idempotency_key: r for r in session.exec(select(ScheduledPrompt)).all()}
        for row in rows.values():
            session.refresh(row)
        assert rows[a.idempotency_key].due_at == T0 + timedelta(days=14)
        assert rows[b.idempotency_key].due_at == T0 + timedelta(days=15)
        assert rows[c.idempotency_key].due_at == T0 - timedelta(days=1)  # sent: untouched
        assert rows[d.idempotency_key].due_at == T0  # other pair

        assert cancel_prompts(session=session, team_id=TEAM, pair_id=7, kinds=["test.survey"], now=T0) == 1
        assert cancel_prompts(session=session, team_id=TEAM, pair_id=7, kinds=[], now=T0) == 0
        assert cancel_prompts(session=session, team_id=TEAM, pair_id=7, now=T0) == 1
        session.commit()
        statuses = {r.idempotency_key: r.status for r in session.exec(select(ScheduledPrompt)).all()}
        assert statuses == {
            "p7:checkin:1": PromptStatus.CANCELLED,
            "p7:survey:1": PromptStatus.CANCELLED,
            "p7:checkin:0": PromptStatus.SENT,
            "p8:checkin:1": PromptStatus.PENDING,
        }


def test_upcoming_lists_unsent_soonest_first(engine: Engine) -> None:
    with Session(engine) as session:
        _schedule(session, "late", T0 + timedelta(days=2), pair_id=1, recipient_user_id="U1")
        _schedule(session, "soon", T0, pair_id=1, recipient_user_id="U2")
        _schedule(session, "other", T0, pair_id=2, recipient_user_id="U1")
        cancelled = _schedule(session, "gone", T0, pair_id=1, recipient_user_id="U1", payload={})
        cancel_prompts(session=session, team_id=TEAM, pair_id=1, kinds=None, now=T0)
        session.commit()
        assert cancelled.id is not None
        _schedule(session, "late2", T0 + timedelta(days=3), pair_id=1, recipient_user_id="U1")
        assert [r.idempotency_key for r in upcoming_prompts(session=session, team_id=TEAM, pair_id=1)] == ["late2"]
        assert [r.idempotency_key for r in upcoming_prompts(session=session, team_id=TEAM, user_id="U1")] == [
            "other",
            "late2",
        ]
        assert len(upcoming_prompts(session=session, team_id=TEAM, limit=1)) == 1


def test_claim_leases_due_rows_once_and_recovers_expired_leases(engine: Engine) -> None:
    with Session(engine) as session:
        for i in range(5):
            _schedule(session, f"due:{i}", T0 - timedelta(minutes=i))
        _schedule(session, "future", T0 + timedelta(minutes=6))
        retry = _schedule(session, "retry", T0 - timedelta(hours=1))
        retry.next_attempt_at = T0 + timedelta(minutes=10)
        session.add(retry)
        session.commit()

    lease = timedelta(minutes=5)
    with Session(engine) as session:
        first = store.claim_due(session=session, owner="a", now=T0, lease=lease, limit=3)
    with Session(engine) as session:
        second = store.claim_due(session=session, owner="b", now=T0, lease=lease, limit=10)
    assert len(first) == 3 and len(second) == 2
    assert not {c.prompt.id for c in first} & {c.prompt.id for c in second}
    assert all(c.prompt.status == PromptStatus.LEASED and not c.recovered for c in first + second)
    # Oldest due first.
    assert [c.prompt.idempotency_key for c in first] == ["due:4", "due:3", "due:2"]
    with Session(engine) as session:
        assert store.claim_due(session=session, owner="c", now=T0 + timedelta(minutes=4), lease=lease) == []
        # "a" restarting with the same owner name gets its own leases back at once.
        mine = store.claim_due(session=session, owner="a", now=T0 + timedelta(minutes=1), lease=lease)
        assert {c.prompt.idempotency_key for c in mine} == {"due:4", "due:3", "due:2"} and all(
            c.recovered for c in mine
        )
        later = store.claim_due(session=session, owner="c", now=T0 + timedelta(minutes=7), lease=lease)
    # b's leases expired; a's were renewed at +1 min (until +6), so at +7 both come back, plus the due ones.
    keys = {c.prompt.idempotency_key for c in later}
    assert keys == {"due:0", "due:1", "due:2", "due:3", "due:4", "future"}
    assert {c.prompt.idempotency_key for c in later if c.recovered} == keys - {"future"}
    with Session(engine) as session:
        assert store.release_leases(session=session, owner="c", now=T0) == 6
        assert store.count_by_status(session=session, team_id=TEAM) == {PromptStatus.PENDING: 7}
        assert store.count_due(session=session, now=T0) == 5


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    calls=st.lists(
        st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 100), st.booleans()), min_size=1, max_size=12
    )
)
def test_scheduling_is_idempotent_per_key(tmp_path_factory: pytest.TempPathFactory, calls: list) -> None:
    """Whatever the sequence of calls: one row per key, holding the first due time unless rescheduled."""
    path = tmp_path_factory.mktemp("prop") / "outbox.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    expected: dict[str, datetime] = {}
    with Session(engine) as session:
        for key, minutes, reschedule in calls:
            due = T0 + timedelta(minutes=minutes)
            row = schedule_prompt(session=session, team_id=TEAM, key=key, kind="k", due_at=due, reschedule=reschedule)
            session.commit()
            if key not in expected or reschedule:
                expected[key] = due
            assert row.due_at == expected[key]
        rows = session.exec(select(ScheduledPrompt)).all()
        assert {r.idempotency_key: r.due_at for r in rows} == expected
    engine.dispose()
