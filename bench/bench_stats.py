"""Stats benchmark: a generated program of 20,000 participants and 8,000 pairs with two years of meetings,
check-ins (each with its outcome), goals and surveys, on SQLite and on PostgreSQL; times the /mentor stats figures
and the chart.

    python bench/bench_stats.py                 # both databases (PostgreSQL skipped if unreachable)
    python bench/bench_stats.py --sqlite-only
    MENTORBOT_BENCH_PG=postgresql://postgres@127.0.0.1:5432/test python bench/bench_stats.py

Data is bulk-inserted (executemany of plain dicts). Target: figures under 2 s on either database.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bot.stats import chart_series, compute_with_previous, render_chart  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Cohort, Pair, Participant, Profile  # noqa: E402
from storage.models.journey import CheckinRecord, Meeting, PairGoals, PairJourney, PrivateAnswer  # noqa: E402
from storage.models.outbox import ScheduledPrompt  # noqa: E402
from storage.vocab import (
    AnswerKind,
    Cadence,
    CheckinOutcome,
    CloseReason,
    CohortStatus,
    GoalProgress,
    GoalsStatus,
    PairRole,
    PairSource,
    PairStatus,
    ParticipantStatus,
    PromptKind,
    PromptStatus,
    Role,
    SurveyKey,
    pulse_key,
)

TEAM = "T0BENCH"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
PARTICIPANTS = 20_000
PAIRS = 8_000
COHORTS = 4  # one every six months over two years
PG_URL = os.environ.get(
    "MENTORBOT_BENCH_PG", os.environ.get("MENTORBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
)


def _chunks(rows: list[dict], size: int = 5_000):  # type: ignore[no-untyped-def]
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def generate(engine: Engine, seed: int = 7) -> dict[str, int]:
    """Fill the database; returns row counts."""
    rng = random.Random(seed)
    start = NOW - timedelta(days=730)
    counts: dict[str, int] = {}
    with Session(engine) as session:
        cohort_rows = [
            {
                "team_id": TEAM,
                "name": f"Cohort {i + 1}",
                "status": CohortStatus.CLOSED if i < COHORTS - 1 else CohortStatus.RUNNING,
                "settings": {},
                "created_at": start + timedelta(days=182 * i),
            }
            for i in range(COHORTS)
        ]
        session.execute(insert(Cohort), cohort_rows)
        cohort_ids = [c for (c,) in session.execute(text("SELECT id FROM cohort ORDER BY id")).all()]
        people = []
        for n in range(PARTICIPANTS):
            cohort_index = n % COHORTS
            role = Role.MENTOR if n % 5 < 2 else Role.MENTEE if n % 5 < 4 else Role.BOTH
            people.append(
                {
                    "team_id": TEAM,
                    "user_id": f"U{n:08d}",
                    "cohort_id": cohort_ids[cohort_index],
                    "role": role,
                    "status": ParticipantStatus.ACTIVE if rng.random() > 0.05 else ParticipantStatus.PAUSED,
                    "display_name": f"person {n}",
                    "timezone": "UTC",
                    "priority": False,
                    "unmatched_reason": "",
                    "created_at": start + timedelta(days=182 * cohort_index - rng.randint(0, 30)),
                    "updated_at": NOW,
                }
            )
        for chunk in _chunks(people):
            session.execute(insert(Participant), chunk)
        ids = session.execute(text("SELECT id, user_id, role, cohort_id FROM participant ORDER BY id")).all()
        profiles = [
            {
                "participant_id": pid,
                "team_id": TEAM,
                "skills_offered": [],
                "skills_wanted": [],
                "interests": [],
                "career_goals": [],
                "department": f"dept{pid % 20}",
                "industry": "",
                "seniority": "mid",
                "communication_style": "",
                "personality": "",
                "days": [],
                "time_slots": [],
                "meeting_format": "any",
                "capacity": rng.randint(1, 3),
                "languages": [],
                "bio": "",
                "updated_at": NOW,
            }
            for pid, _, _, _ in ids
        ]
        for chunk in _chunks(profiles):
            session.execute(insert(Profile), chunk)
        by_cohort: dict[int, tuple[list[str], list[str]]] = {c: ([], []) for c in cohort_ids}
        for _, user_id, role, cohort_id in ids:
            mentees, mentors = by_cohort[cohort_id]
            (mentors if role == Role.MENTOR else mentees).append(user_id)
        pairs = []
        per_cohort = PAIRS // COHORTS
        for index, cohort_id in enumerate(cohort_ids):
            mentees, mentors = by_cohort[cohort_id]
            begin = start + timedelta(days=182 * index)
            for k in range(per_cohort):
                created = begin + timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 23))
                ended = created + timedelta(days=182)
                if ended < NOW:
                    status, closed, reason = (
                        PairStatus.CLOSED,
                        ended,
                        rng.choice(
                            [
                                CloseReason.COMPLETED,
                                CloseReason.COMPLETED,
                                CloseReason.NOT_A_FIT,
                                CloseReason.LEFT_PROGRAM,
                            ]
                        ),
                    )
                else:
                    status, closed, reason = (
                        rng.choices([PairStatus.ACTIVE, PairStatus.PAUSED, PairStatus.AT_RISK], [80, 8, 12])[0],
                        None,
                        "",
                    )
                pairs.append(
                    {
                        "team_id": TEAM,
                        "cohort_id": cohort_id,
                        "round_id": None,
                        "mentee_user_id": mentees[k % len(mentees)],
                        "mentor_user_id": mentors[k % len(mentors)],
                        "status": status,
                        "source": PairSource.ALGORITHM,
                        "score": rng.random(),
                        "reasons": [],
                        "factors": {},
                        "manual_reason": "",
                        "created_by": "",
                        "channel_id": "",
                        "created_at": created,
                        "closed_at": closed,
                        "close_reason": reason,
                    }
                )
        for chunk in _chunks(pairs):
            session.execute(insert(Pair), chunk)
        pair_rows = session.execute(
            text("SELECT id, mentee_user_id, mentor_user_id, created_at, closed_at FROM pair ORDER BY id")
        ).all()
        meetings, answers, goals, journeys, prompts, records = [], [], [], [], [], []
        for pid, mentee, mentor, created, _closed in pair_rows:
            created = created if isinstance(created, datetime) else datetime.fromisoformat(str(created))
            created = created.replace(tzinfo=UTC) if created.tzinfo is None else created
            end = min(NOW, created + timedelta(days=182))
            day = created + timedelta(days=rng.randint(2, 20))
            first = None
            while day < end:
                if rng.random() < 0.85:
                    meetings.append(
                        {
                            "team_id": TEAM,
                            "pair_id": pid,
                            "logged_by": mentee,
                            "met_on": day,
                            "duration_minutes": 45,
                            "topics": "",
                            "notes": "",
                            "progress": {},
                            "created_at": day,
                        }
                    )
                    first = first or day
                day += timedelta(days=rng.choice([14, 14, 21, 28]))
            seq = 0
            day = created + timedelta(days=14)
            while day < end:
                seq += 1
                prompts.append(
                    {
                        "team_id": TEAM,
                        "idempotency_key": f"checkin:{pid}:{seq}",
                        "kind": PromptKind.CHECKIN,
                        "pair_id": pid,
                        "recipient_user_id": mentee,
                        "channel_id": None,
                        "payload": {},
                        "due_at": day,
                        "status": PromptStatus.SENT,
                        "attempts": 1,
                        "sent_at": day,
                        "last_error": "",
                        "created_at": day,
                        "updated_at": day,
                    }
                )
                outcome = rng.choices(list(CheckinOutcome), [70, 15, 15])[0] if day + timedelta(days=14) < end else ""
                records.append(
                    {
                        "team_id": TEAM,
                        "pair_id": pid,
                        "seq": seq,
                        "sent_at": day,
                        "outcome": outcome,
                        "answered_by": mentee if outcome in (CheckinOutcome.MET, CheckinOutcome.NOT_YET) else "",
                        "answered_at": day if outcome in (CheckinOutcome.MET, CheckinOutcome.NOT_YET) else None,
                    }
                )
                day += timedelta(days=14)
            journeys.append(
                {
                    "team_id": TEAM,
                    "pair_id": pid,
                    "started_at": created,
                    "ends_at": created + timedelta(days=182),
                    "cadence_days": 14,
                    "checkin_seq": seq,
                    "unanswered_checkins": rng.choice([0, 0, 0, 1, 2]),
                    "silent_stage": 0,
                    "last_activity_at": first,
                    "last_active": {},
                    "first_meeting_at": first,
                    "pause_shift_seconds": 0,
                    "paused_from_status": "",
                    "extensions": 0,
                    "goals_achieved_by": [],
                    "closure_choice": "",
                    "closure_choice_by": "",
                    "updated_at": NOW,
                }
            )
            goals.append(
                {
                    "team_id": TEAM,
                    "pair_id": pid,
                    "status": GoalsStatus.CONFIRMED,
                    "revision": 1,
                    "proposed_at": created,
                    "goals": [
                        {
                            "title": f"g{i}",
                            "measure": "",
                            "target_date": "",
                            "progress": rng.choice(list(GoalProgress)),
                        }
                        for i in range(rng.randint(1, 4))
                    ],
                    "growth_areas": "",
                    "outcomes": "",
                    "cadence": Cadence.BIWEEKLY,
                    "channel": "video",
                    "mentor_commits": "",
                    "mentee_commits": "",
                    "proposed_by": mentee,
                    "confirmed_by": mentor,
                }
            )
            for survey, offset in ((pulse_key(1), 30), (pulse_key(2), 90), (SurveyKey.CLOSING, 182)):
                when = created + timedelta(days=offset)
                if when > NOW:
                    break
                for who, role in ((mentee, PairRole.MENTEE), (mentor, PairRole.MENTOR)):
                    if rng.random() < 0.7:
                        answers.append(
                            {
                                "team_id": TEAM,
                                "pair_id": pid,
                                "respondent_user_id": who,
                                "respondent_role": role,
                                "kind": AnswerKind.CLOSING if survey == SurveyKey.CLOSING else AnswerKind.PULSE,
                                "survey_key": survey,
                                "satisfaction": rng.randint(2, 5),
                                "recommend": rng.randint(4, 10),
                                "answers": {"comment": "It went well overall"},
                                "submitted_at": when,
                            }
                        )
        for model, rows in (
            (Meeting, meetings),
            (ScheduledPrompt, prompts),
            (PairJourney, journeys),
            (PairGoals, goals),
            (PrivateAnswer, answers),
            (CheckinRecord, records),
        ):
            for chunk in _chunks(rows):
                session.execute(insert(model), chunk)
            counts[model.__tablename__] = len(rows)
        session.commit()
    counts["participant"], counts["pair"] = PARTICIPANTS, len(pairs)
    return counts


def measure(engine: Engine, repeats: int = 3) -> dict[str, float]:
    with Session(engine) as session:
        cohort_id = session.execute(text("SELECT max(id) FROM cohort")).scalar_one()
        times: dict[str, list[float]] = {
            "figures (cohort + previous)": [],
            "figures (all cohorts)": [],
            "chart series": [],
            "chart render": [],
        }
        for _ in range(repeats):
            t = time.perf_counter()
            current, _ = compute_with_previous(session=session, team_id=TEAM, cohort_id=cohort_id, now=NOW)
            times["figures (cohort + previous)"].append(time.perf_counter() - t)
            t = time.perf_counter()
            compute_with_previous(session=session, team_id=TEAM, cohort_id=None, now=NOW)
            times["figures (all cohorts)"].append(time.perf_counter() - t)
            t = time.perf_counter()
            series = chart_series(session=session, team_id=TEAM, cohort_id=None, now=NOW)
            times["chart series"].append(time.perf_counter() - t)
            t = time.perf_counter()
            png = render_chart(series, current)
            times["chart render"].append(time.perf_counter() - t)
        assert png.startswith(b"\x89PNG")
    return {k: statistics.median(v) for k, v in times.items()}


def run(url: str, label: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    t = time.perf_counter()
    counts = generate(engine)
    # What autovacuum does within a minute of a bulk load: without it a freshly created PostgreSQL table looks
    # empty to the planner (relpages = 0), which then picks nested loops over 30,000 x 8,000 rows.
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    generated = time.perf_counter() - t
    print(f"\n{label}: generated {', '.join(f'{v:,} {k}' for k, v in counts.items())} in {generated:.1f} s")
    for name, seconds in measure(engine).items():
        print(f"  {name:<30} {seconds * 1000:8.0f} ms")
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.db", "SQLite")
    if args.sqlite_only:
        return 0
    try:
        import psycopg

        name = f"mentorbot_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - report and skip
        print(f"\nPostgreSQL skipped: {exc}")
        return 0
    try:
        run(make_url(PG_URL).set(database=name).render_as_string(hide_password=False), "PostgreSQL")
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
