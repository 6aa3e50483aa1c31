"""Queries for coordinators: the audit log, cohorts, round skips, notices, pair actions and HR imports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.models import AuditLog, Cohort, CohortNotice, HrImport, Pair, Participant, Profile, RoundSkip
from storage.models.journey import PairJourney
from storage.types import utcnow
from storage.vocab import CohortStatus, PairStatus, ParticipantStatus, Role

OPEN_PAIR_STATUSES = (PairStatus.ACTIVE, PairStatus.PAUSED, PairStatus.AT_RISK)
HR_FIELDS = ("manager_id", "department", "email", "industry", "seniority")
# Fields an import owns afterwards: a person's own profile edit does not overwrite them (their email stays theirs).
IMPORT_OWNED = ("manager_id", "department", "industry", "seniority")


def record_audit(
    *,
    session: Session,
    team_id: str,
    actor: str,
    action: str,
    target: str = "",
    detail: Mapping[str, Any] | None = None,
    reason: str = "",
    now: datetime | None = None,
    commit: bool = True,
) -> AuditLog:
    """Write one coordinator change to the audit log.

    Args:
        session: Open session; committed unless ``commit`` is false (then the caller's transaction holds it).
        team_id: Workspace.
        actor: Slack user id of the coordinator (or ``cli`` for the command line).
        action: What was done, e.g. ``cohort.create``, ``pair.pause``, ``match.publish``.
        target: What it was done to, e.g. ``cohort:3`` or ``pair:12``.
        detail: Small JSON-able facts (never survey answers).
        reason: Why, when the coordinator said.
        now: When (defaults to the real clock).
        commit: Commit now.

    Returns:
        The stored row.
    """
    entry = AuditLog(
        team_id=team_id,
        actor=actor[:32],
        action=action[:64],
        target=target[:200],
        detail=dict(detail) if detail else None,
        reason=(reason or "")[:500],
        created_at=now or utcnow(),
    )
    session.add(entry)
    if commit:
        session.commit()
    else:
        session.flush()
    return entry


def _audit_filters(team_id: str, person: str | None, action: str | None) -> list[Any]:
    where: list[Any] = [AuditLog.team_id == team_id]
    if person:
        where.append(
            or_(
                AuditLog.actor == person,
                AuditLog.target.contains(person),  # type: ignore[attr-defined]
                cast(AuditLog.detail, Text).contains(person),
            )
        )
    if action:
        where.append(or_(AuditLog.action == action, AuditLog.action.startswith(action + ".")))  # type: ignore[attr-defined]
    return where


def list_audit(
    *,
    session: Session,
    team_id: str,
    page: int = 0,
    per_page: int = 20,
    person: str | None = None,
    action: str | None = None,
) -> tuple[list[AuditLog], bool]:
    """The newest audit entries first, one page at a time, optionally about one person or of one action.

    Args:
        person: Only entries by this user, or naming them (in the target or the detail).
        action: Only this action (``match.publish``) or family (``match`` matches ``match.*``).

    Returns:
        The entries of ``page`` (0 = newest) and whether an older page exists.
    """
    rows = session.exec(
        select(AuditLog)
        .where(*_audit_filters(team_id, person, action))
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())  # type: ignore[attr-defined,union-attr]
        .offset(max(0, page) * per_page)
        .limit(per_page + 1)
    ).all()
    return list(rows[:per_page]), len(rows) > per_page


def all_audit(
    *, session: Session, team_id: str, person: str | None = None, action: str | None = None, limit: int = 100_000
) -> list[AuditLog]:
    """Every audit entry matching the filters, oldest first (the CSV export)."""
    return list(
        session.exec(
            select(AuditLog)
            .where(*_audit_filters(team_id, person, action))
            .order_by(AuditLog.created_at, AuditLog.id)  # type: ignore[arg-type]
            .limit(limit)
        ).all()
    )


# ---------------------------------------------------------------------- cohorts


def list_cohorts(*, session: Session, team_id: str, include_closed: bool = False) -> list[Cohort]:
    """The workspace's cohorts, oldest first."""
    query = select(Cohort).where(Cohort.team_id == team_id)
    if not include_closed:
        query = query.where(Cohort.status != CohortStatus.CLOSED)
    return list(session.exec(query.order_by(Cohort.id)).all())  # type: ignore[arg-type]


def get_cohort(*, session: Session, team_id: str, cohort_id: int) -> Cohort | None:
    """A cohort of this workspace, or None."""
    cohort = session.get(Cohort, cohort_id)
    return cohort if cohort is not None and cohort.team_id == team_id else None


def find_cohort_by_name(*, session: Session, team_id: str, name: str) -> Cohort | None:
    """A cohort by name, ignoring case."""
    return session.exec(
        select(Cohort).where(Cohort.team_id == team_id, func.lower(Cohort.name) == name.strip().lower())
    ).first()


def previous_cohort(*, session: Session, team_id: str, cohort_id: int) -> Cohort | None:
    """The cohort created just before this one (for trends)."""
    return session.exec(
        select(Cohort).where(Cohort.team_id == team_id, Cohort.id < cohort_id).order_by(Cohort.id.desc())  # type: ignore[operator,union-attr]
    ).first()


def save_cohort(
    *,
    session: Session,
    team_id: str,
    cohort_id: int | None,
    name: str,
    settings: Mapping[str, Any],
    now: datetime | None = None,
) -> tuple[Cohort, bool]:
    """Create a cohort or update one's name and settings (merged over what it had).

    Returns:
        The cohort and whether it was created.
    """
    cohort = get_cohort(session=session, team_id=team_id, cohort_id=cohort_id) if cohort_id else None
    created = cohort is None
    if cohort is None:
        cohort = Cohort(team_id=team_id, name=name, settings=dict(settings), created_at=now or utcnow())
    else:
        cohort.name = name
        cohort.settings = {**(cohort.settings or {}), **settings}
    session.add(cohort)
    session.flush()
    return cohort, created


# ---------------------------------------------------------------------- rounds: pool, skips, notices


def pool_user_ids(*, session: Session, team_id: str, cohort_id: int) -> list[str]:
    """Who the next round of a cohort would consider: active mentees without an open pair and active
    mentors with free capacity."""
    open_as_mentee = (
        select(Pair.mentee_user_id)
        .where(Pair.team_id == team_id, Pair.status.in_(OPEN_PAIR_STATUSES))  # type: ignore[attr-defined]
        .scalar_subquery()
    )
    load = (
        select(func.count())
        .where(
            Pair.team_id == team_id,
            Pair.mentor_user_id == Participant.user_id,
            Pair.status.in_(OPEN_PAIR_STATUSES),  # type: ignore[attr-defined]
        )
        .scalar_subquery()
    )
    wants_mentor = Participant.role.in_((Role.MENTEE, Role.BOTH)) & Participant.user_id.not_in(open_as_mentee)  # type: ignore[attr-defined]
    can_mentor = Participant.role.in_((Role.MENTOR, Role.BOTH)) & (Profile.capacity > load)  # type: ignore[attr-defined]
    rows = session.exec(
        select(Participant.user_id)
        .join(Profile, Profile.participant_id == Participant.id)
        .where(
            Participant.team_id == team_id,
            Participant.cohort_id == cohort_id,
            Participant.status == ParticipantStatus.ACTIVE,
            or_(wants_mentor, can_mentor),
        )
        .order_by(Participant.user_id)
    ).all()
    return list(rows)


def add_round_skip(
    *, session: Session, team_id: str, cohort_id: int, match_date: str, user_id: str, now: datetime | None = None
) -> bool:
    """Record that someone sits out a round. True the first time (a double click stores one row)."""
    try:
        with session.begin_nested():
            session.add(
                RoundSkip(
                    team_id=team_id,
                    cohort_id=cohort_id,
                    match_date=match_date,
                    user_id=user_id,
                    created_at=now or utcnow(),
                )
            )
        session.commit()
        return True
    except IntegrityError:
        session.rollback()
        return False


def skipped_user_ids(*, session: Session, team_id: str, cohort_id: int, match_date: str) -> set[str]:
    """The people who asked to sit out the round of ``cohort_id`` on ``match_date`` (ISO date)."""
    return set(
        session.exec(
            select(RoundSkip.user_id).where(
                RoundSkip.team_id == team_id, RoundSkip.cohort_id == cohort_id, RoundSkip.match_date == match_date
            )
        ).all()
    )


def claim_notice(
    *, session: Session, team_id: str, key: str, cohort_id: int | None = None, now: datetime | None = None
) -> bool:
    """Mark a one-off notice as sent. True the first time for ``key``; False when it already went out."""
    try:
        with session.begin_nested():
            session.add(CohortNotice(team_id=team_id, cohort_id=cohort_id, key=key[:120], created_at=now or utcnow()))
        session.commit()
        return True
    except IntegrityError:
        session.rollback()
        return False


def release_notice(*, session: Session, team_id: str, key: str) -> None:
    """Forget a claimed notice (its sending failed), so the next run tries again."""
    row = session.exec(select(CohortNotice).where(CohortNotice.team_id == team_id, CohortNotice.key == key)).first()
    if row is not None:
        session.delete(row)
        session.commit()


# ---------------------------------------------------------------------- pairs


def get_pair(*, session: Session, team_id: str, pair_id: int) -> Pair | None:
    """A pair of this workspace, or None."""
    pair = session.get(Pair, pair_id)
    return pair if pair is not None and pair.team_id == team_id else None


def journey_of(*, session: Session, pair_id: int) -> PairJourney | None:
    """A pair's journey state (who was last active), if the pair has started."""
    return session.exec(select(PairJourney).where(PairJourney.pair_id == pair_id)).first()


def list_pairs(*, session: Session, team_id: str, statuses: Sequence[str], limit: int = 50) -> list[Pair]:
    """Pairs in the given states, oldest first."""
    return list(
        session.exec(
            select(Pair)
            .where(Pair.team_id == team_id, Pair.status.in_(statuses))  # type: ignore[attr-defined]
            .order_by(Pair.created_at, Pair.id)
            .limit(limit)
        ).all()
    )


def unmatched_reasons(*, session: Session, team_id: str, user_ids: Sequence[str]) -> dict[str, str]:
    """Why each of these people is unmatched (what the last round said), by user id."""
    if not user_ids:
        return {}
    rows = session.exec(
        select(Participant.user_id, Participant.unmatched_reason).where(
            Participant.team_id == team_id,
            Participant.user_id.in_(list(user_ids)),  # type: ignore[attr-defined]
        )
    ).all()
    return {str(user_id): str(reason or "") for user_id, reason in rows}


def set_pair_status(
    *, session: Session, pair: Pair, status: str, now: datetime, close_reason: str = "", commit: bool = True
) -> Pair:
    """Pause, resume, mark or close a pair (closing stamps ``closed_at`` and the reason)."""
    pair.status = status
    if status == PairStatus.CLOSED:
        pair.closed_at = now
        pair.close_reason = close_reason[:64]
    session.add(pair)
    if commit:
        session.commit()
    return pair


def set_priority(*, session: Session, team_id: str, user_id: str, reason: str = "", commit: bool = True) -> None:
    """Put someone first in line for the next round (after a rematch)."""
    participant = session.exec(
        select(Participant).where(Participant.team_id == team_id, Participant.user_id == user_id)
    ).first()
    if participant is None:
        return
    participant.priority = True
    participant.unmatched_reason = reason[:300]
    session.add(participant)
    if commit:
        session.commit()


# ---------------------------------------------------------------------- HR import


def profiles_by_key(*, session: Session, team_id: str) -> tuple[dict[str, int], dict[str, int], dict[str, str]]:
    """Participant ids by Slack user id and by lower-cased email, and user ids by email (for manager lookups)."""
    rows = session.exec(
        select(Participant.id, Participant.user_id, Profile.email)
        .join(Profile, Profile.participant_id == Participant.id, isouter=True)
        .where(Participant.team_id == team_id)
    ).all()
    by_user: dict[str, int] = {}
    by_email: dict[str, int] = {}
    user_by_email: dict[str, str] = {}
    for participant_id, user_id, email in rows:
        by_user[user_id] = int(participant_id)
        if email:
            by_email[email.lower()] = int(participant_id)
            user_by_email[email.lower()] = user_id
    return by_user, by_email, user_by_email


def managers_by_user(*, session: Session, team_id: str) -> dict[str, str]:
    """Every participant's manager as stored (user id -> manager's user id), for checking management lines."""
    rows = session.exec(
        select(Participant.user_id, Profile.manager_id)
        .join(Profile, Profile.participant_id == Participant.id)
        .where(Participant.team_id == team_id, Profile.manager_id.is_not(None))  # type: ignore[union-attr]
    ).all()
    return {user_id: manager for user_id, manager in rows if manager}


def open_mentors_by_mentee(*, session: Session, team_id: str) -> dict[str, set[str]]:
    """Each mentee's mentors in pairs that are not closed."""
    rows = session.exec(
        select(Pair.mentee_user_id, Pair.mentor_user_id).where(
            Pair.team_id == team_id, Pair.status != PairStatus.CLOSED
        )
    ).all()
    out: dict[str, set[str]] = {}
    for mentee, mentor in rows:
        out.setdefault(mentee, set()).add(mentor)
    return out


def apply_hr_fields(
    *, session: Session, team_id: str, updates: Iterable[tuple[int, Mapping[str, Any]]], now: datetime | None = None
) -> int:
    """Write HR fields onto profiles. Does not commit: the caller commits the whole import or nothing.

    Args:
        updates: (participant_id, {field: value}) with fields from :data:`HR_FIELDS`.

    Returns:
        How many profiles changed.
    """
    changed = 0
    stamp = now or utcnow()
    for participant_id, fields in updates:
        unknown = set(fields) - set(HR_FIELDS)
        if unknown:
            raise ValueError(f"not an HR field: {sorted(unknown)}")
        profile = session.get(Profile, participant_id)
        if profile is None or profile.team_id != team_id:
            profile = Profile(participant_id=participant_id, team_id=team_id)
        for name, value in fields.items():
            setattr(profile, name, value)
        owned = [f for f in fields if f in IMPORT_OWNED]
        if owned:
            profile.imported_fields = sorted({*(profile.imported_fields or []), *owned})
        profile.updated_at = stamp
        session.add(profile)
        changed += 1
    session.flush()
    return changed


def known_teams(*, session: Session) -> list[str]:
    """Workspaces that have participants (the CLI import picks the only one when not told)."""
    return sorted(set(session.exec(select(Participant.team_id).distinct()).all()))


# ---------------------------------------------------------------------- HR import batches


def create_hr_import(*, session: Session, team_id: str, actor: str, source: str, file_url: str, now: datetime) -> int:
    """Record an uploaded HR file as received (before the file is read). Commits; returns its id."""
    row = HrImport(team_id=team_id, actor=actor, source=source[:200], file_url=file_url[:2000], created_at=now)
    session.add(row)
    session.commit()
    assert row.id is not None
    return row.id


def get_hr_import(*, session: Session, team_id: str, import_id: int) -> HrImport | None:
    """One HR import of the workspace."""
    row = session.get(HrImport, import_id)
    return row if row is not None and row.team_id == team_id else None


def move_hr_import(
    *,
    session: Session,
    import_id: int,
    from_status: str,
    to_status: str,
    now: datetime,
    report: str | None = None,
    plan: dict[str, Any] | None = None,
    keep_plan: bool = False,
) -> bool:
    """Move an import from one status to the next, once (a double click moves it once). Does not commit.

    The plan is stored with ``plan`` and dropped otherwise, unless ``keep_plan``.
    """
    values: dict[str, Any] = {"status": to_status, "decided_at": now}
    if report is not None:
        values["report"] = report
    if plan is not None:
        values["plan"] = plan
    elif not keep_plan:
        values["plan"] = None
    result = session.execute(
        update(HrImport).where(HrImport.id == import_id, HrImport.status == from_status).values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
