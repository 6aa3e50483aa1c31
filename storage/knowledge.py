"""Queries for the resource library, feedback requests, introductions and networking preferences."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.models import (
    DoNotPair,
    FeedbackRequest,
    Introduction,
    NetworkingPref,
    Pair,
    PeopleSuggestion,
    PeopleSuggestionSent,
    Resource,
    ResourceSeen,
    ResourceShare,
)
from storage.vocab import FeedbackStatus, IntroStatus, PairStatus, ShareKind

OPEN_PAIR_STATUSES = (PairStatus.ACTIVE, PairStatus.PAUSED, PairStatus.AT_RISK)

# ------------------------------------------------------------------ pairs (read only)


def pair_by_channel(*, session: Session, team_id: str, channel_id: str) -> Pair | None:
    """The open pair whose group DM is ``channel_id``."""
    if not channel_id:
        return None
    return session.exec(
        select(Pair).where(Pair.team_id == team_id, Pair.channel_id == channel_id, Pair.status.in_(OPEN_PAIR_STATUSES))
    ).first()


def get_pair(*, session: Session, team_id: str, pair_id: int) -> Pair | None:
    """A pair by id within a workspace."""
    pair = session.get(Pair, pair_id)
    return pair if pair is not None and pair.team_id == team_id else None


def open_pairs_of(*, session: Session, team_id: str, user_id: str) -> list[Pair]:
    """Open pairs (not closed) a person is in, newest first."""
    return list(
        session.exec(
            select(Pair)
            .where(
                Pair.team_id == team_id,
                or_(Pair.mentee_user_id == user_id, Pair.mentor_user_id == user_id),
                Pair.status.in_(OPEN_PAIR_STATUSES),
            )
            .order_by(Pair.id.desc())  # type: ignore[union-attr]
        ).all()
    )


def has_closed_pair(*, session: Session, team_id: str, user_id: str) -> bool:
    """True when the person was in a pair that has closed."""
    return (
        session.exec(
            select(Pair.id).where(
                Pair.team_id == team_id,
                or_(Pair.mentee_user_id == user_id, Pair.mentor_user_id == user_id),
                Pair.status == PairStatus.CLOSED,
            )
        ).first()
        is not None
    )


def all_pairings(*, session: Session, team_id: str) -> list[tuple[str, str, str]]:
    """Every pair of a workspace as (mentee, mentor, status)."""
    rows = session.exec(select(Pair.mentee_user_id, Pair.mentor_user_id, Pair.status).where(Pair.team_id == team_id))
    return [(a, b, s) for a, b, s in rows.all()]


# The reads of every App Home render ("people to meet"): built once, run on the session's connection (statement
# construction and the ORM layer are most of a small query's CPU).
_PAIRING_PARTNERS = select(Pair.mentee_user_id, Pair.mentor_user_id).where(
    Pair.team_id == bindparam("team_id"),
    or_(Pair.mentee_user_id == bindparam("user_id"), Pair.mentor_user_id == bindparam("user_id")),
)


def pairing_partners(*, session: Session, team_id: str, user_id: str) -> set[str]:
    """Everyone the person was ever paired with in a workspace (any pair status)."""
    rows = session.connection().execute(_PAIRING_PARTNERS, {"team_id": team_id, "user_id": user_id})
    return {b if a == user_id else a for a, b in rows}


# ------------------------------------------------------------------ resources


def get_resource(*, session: Session, team_id: str, resource_id: int) -> Resource | None:
    """A resource by id within a workspace."""
    resource = session.get(Resource, resource_id)
    return resource if resource is not None and resource.team_id == team_id else None


def get_resource_by_hash(*, session: Session, team_id: str, url_hash: str) -> Resource | None:
    """The resource stored for a normalised URL's hash."""
    return session.exec(select(Resource).where(Resource.team_id == team_id, Resource.url_hash == url_hash)).first()


def add_share(
    *,
    session: Session,
    team_id: str,
    url: str,
    url_hash: str,
    title: str,
    tags: Sequence[str],
    user_id: str,
    pair_id: int = 0,
    kind: str = ShareKind.SHARE,
    goal: str = "",
    note: str = "",
    now: datetime,
) -> tuple[Resource, bool, bool]:
    """Save a share (or upvote) of a URL, merging into the existing resource for the same normalised URL.

    Safe under double submission and concurrent shares: one resource row per URL, one share row per
    (resource, person, pair, kind), and ``recommend_count`` counts share rows.

    Returns:
        The resource, whether the resource was created, and whether this share was new (counted).
    """
    created = False
    resource = get_resource_by_hash(session=session, team_id=team_id, url_hash=url_hash)
    if resource is None:
        resource = Resource(
            team_id=team_id, url=url, url_hash=url_hash, title=title, tags=list(tags), shared_by=user_id, created_at=now
        )
        try:
            with session.begin_nested():
                session.add(resource)
            created = True
        except IntegrityError:
            resource = get_resource_by_hash(session=session, team_id=team_id, url_hash=url_hash)
            assert resource is not None
    if not created:
        merged = list(dict.fromkeys([*(resource.tags or []), *tags]))
        if merged != list(resource.tags or []) or (title and not resource.title):
            resource.tags = merged
            resource.title = resource.title or title
            session.add(resource)
    assert resource.id is not None
    counted = False
    try:
        with session.begin_nested():
            session.add(
                ResourceShare(
                    team_id=team_id,
                    resource_id=resource.id,
                    user_id=user_id,
                    pair_id=pair_id,
                    kind=kind,
                    goal=goal,
                    note=note,
                    created_at=now,
                )
            )
        counted = True
    except IntegrityError:
        pass
    if counted:
        session.execute(
            update(Resource).where(Resource.id == resource.id).values(recommend_count=Resource.recommend_count + 1)
        )
    session.commit()
    session.refresh(resource)
    return resource, created, counted


def shares_of(*, session: Session, resource_id: int) -> list[ResourceShare]:
    """Every share and upvote of a resource, oldest first."""
    return list(
        session.exec(
            select(ResourceShare).where(ResourceShare.resource_id == resource_id).order_by(ResourceShare.id)
        ).all()
    )


def list_resources(*, session: Session, team_id: str, limit: int = 5000) -> list[Resource]:
    """The library, most recommended first (then newest)."""
    return list(
        session.exec(
            select(Resource)
            .where(Resource.team_id == team_id)
            .order_by(Resource.recommend_count.desc(), Resource.id.desc())  # type: ignore[attr-defined]
            .limit(limit)
        ).all()
    )


def delete_resource(*, session: Session, resource_id: int) -> bool:
    """Remove a resource with its shares and seen marks; False when it was already gone."""
    session.execute(delete(ResourceShare).where(ResourceShare.resource_id == resource_id))
    session.execute(delete(ResourceSeen).where(ResourceSeen.resource_id == resource_id))
    result = session.execute(delete(Resource).where(Resource.id == resource_id))
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def seen_resource_ids(*, session: Session, pair_id: int) -> set[int]:
    """Resources a pair has already seen (shared in it or suggested to it)."""
    seen = session.exec(select(ResourceSeen.resource_id).where(ResourceSeen.pair_id == pair_id)).all()
    shared = session.exec(select(ResourceShare.resource_id).where(ResourceShare.pair_id == pair_id)).all()
    return {int(r) for r in seen} | {int(r) for r in shared}


def shared_in_pair(*, session: Session, pair_id: int) -> list[Resource]:
    """Resources shared in a pair (not upvotes), in the order they were first shared."""
    first = (
        select(ResourceShare.resource_id, func.min(ResourceShare.id).label("first"))
        .where(ResourceShare.pair_id == pair_id, ResourceShare.kind == ShareKind.SHARE)
        .group_by(ResourceShare.resource_id)
        .subquery()
    )
    rows = session.exec(select(Resource).join(first, first.c.resource_id == Resource.id).order_by(first.c.first))
    return list(rows.all())


def shared_by_any(*, session: Session, team_id: str, user_ids: Iterable[str]) -> set[int]:
    """Resources any of these people shared or upvoted."""
    users = list(user_ids)
    rows = session.exec(
        select(ResourceShare.resource_id).where(ResourceShare.team_id == team_id, ResourceShare.user_id.in_(users))
    ).all()
    return {int(r) for r in rows}


def mark_seen(
    *, session: Session, team_id: str, pair_id: int, resource_ids: Iterable[int], how: str, now: datetime
) -> None:
    """Record that a pair saw these resources (idempotent); the caller commits."""
    for resource_id in resource_ids:
        try:
            with session.begin_nested():
                session.add(
                    ResourceSeen(team_id=team_id, pair_id=pair_id, resource_id=resource_id, how=how, created_at=now)
                )
        except IntegrityError:
            pass


# ------------------------------------------------------------------ feedback


def create_feedback_request(
    *,
    session: Session,
    team_id: str,
    pair_id: int,
    mentee_user_id: str,
    mentor_user_id: str,
    link: str,
    question: str,
    now: datetime,
) -> FeedbackRequest:
    """Store a new feedback request (open)."""
    request = FeedbackRequest(
        team_id=team_id,
        pair_id=pair_id,
        mentee_user_id=mentee_user_id,
        mentor_user_id=mentor_user_id,
        link=link,
        question=question,
        created_at=now,
    )
    session.add(request)
    session.commit()
    session.refresh(request)
    return request


def get_feedback_request(*, session: Session, team_id: str, request_id: int) -> FeedbackRequest | None:
    """A feedback request by id within a workspace."""
    request = session.get(FeedbackRequest, request_id)
    return request if request is not None and request.team_id == team_id else None


def set_feedback_message(*, session: Session, request_id: int, channel_id: str, message_ts: str) -> None:
    """Remember where the request was posted (to thread the reply under it)."""
    session.execute(
        update(FeedbackRequest)
        .where(FeedbackRequest.id == request_id)
        .values(channel_id=channel_id, message_ts=message_ts)
    )
    session.commit()


def answer_feedback(*, session: Session, request_id: int, reply: str, now: datetime) -> bool:
    """Store the mentor's reply once: True for the first answer, False when already answered."""
    result = session.execute(
        update(FeedbackRequest)
        .where(FeedbackRequest.id == request_id, FeedbackRequest.status == FeedbackStatus.OPEN)
        .values(status=FeedbackStatus.ANSWERED, reply=reply, answered_at=now)
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def count_feedback(*, session: Session, pair_id: int, answered_only: bool = False) -> int:
    """How many feedback requests a pair exchanged (optionally only those answered)."""
    query = select(func.count()).select_from(FeedbackRequest).where(FeedbackRequest.pair_id == pair_id)
    if answered_only:
        query = query.where(FeedbackRequest.status == FeedbackStatus.ANSWERED)
    return int(session.exec(query).one())


# ------------------------------------------------------------------ introductions


def count_pending_intros(*, session: Session, team_id: str, requester_id: str) -> int:
    """How many introductions a person asked for are still waiting for an answer."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Introduction)
            .where(
                Introduction.team_id == team_id,
                Introduction.requester_id == requester_id,
                Introduction.status == IntroStatus.PENDING,
            )
        ).one()
    )


def last_unanswered_intro(
    *, session: Session, team_id: str, requester_ids: Collection[str], target_id: str, since: datetime
) -> Introduction | None:
    """The latest ask from one of ``requester_ids`` to ``target_id`` since ``since`` that led to no introduction
    (declined or expired alike, so the answer never tells one from the other)."""
    return session.exec(
        select(Introduction)
        .where(
            Introduction.team_id == team_id,
            Introduction.requester_id.in_(list(requester_ids)),  # type: ignore[attr-defined]
            Introduction.target_id == target_id,
            Introduction.status.in_(("declined", "expired")),  # type: ignore[attr-defined]
            Introduction.created_at >= since,
        )
        .order_by(Introduction.created_at.desc())  # type: ignore[attr-defined]
    ).first()


def count_asks_received(*, session: Session, team_id: str, target_id: str, since: datetime) -> int:
    """How many introduction asks a person received since ``since`` (withdrawn ones left out)."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Introduction)
            .where(
                Introduction.team_id == team_id,
                Introduction.target_id == target_id,
                Introduction.status != "withdrawn",
                Introduction.created_at >= since,
            )
        ).one()
    )


def blocks_person(*, session: Session, team_id: str, user_id: str, other_id: str, other_key: str) -> bool:
    """Whether ``user_id``'s confidential do-not-pair list names the other person (by id or by keyed hash)."""
    named = DoNotPair.other_user_id == other_id
    if other_key:
        named = or_(named, DoNotPair.other_key == other_key)  # type: ignore[assignment]
    return (
        session.exec(
            select(DoNotPair.id).where(DoNotPair.team_id == team_id, DoNotPair.user_id == user_id, named)
        ).first()
        is not None
    )


_LISTED_BY_ID = select(DoNotPair.user_id).where(
    DoNotPair.team_id == bindparam("team_id"), DoNotPair.other_user_id == bindparam("other_id")
)
_LISTED_BY_ID_OR_KEY = select(DoNotPair.user_id).where(
    DoNotPair.team_id == bindparam("team_id"),
    or_(DoNotPair.other_user_id == bindparam("other_id"), DoNotPair.other_key == bindparam("other_key")),
)


def listed_by(*, session: Session, team_id: str, other_id: str, other_key: str) -> set[str]:
    """Whose confidential do-not-pair lists name a person (by id or by keyed hash)."""
    query = _LISTED_BY_ID_OR_KEY if other_key else _LISTED_BY_ID
    params = {"team_id": team_id, "other_id": other_id}
    if other_key:
        params["other_key"] = other_key
    return {user_id for (user_id,) in session.connection().execute(query, params)}


def pending_key(requester_id: str, target_id: str) -> str:
    """The key that makes one pending ask per (requester, target)."""
    return f"{requester_id}:{target_id}"


def create_intro(
    *,
    session: Session,
    team_id: str,
    requester_id: str,
    target_id: str,
    partner_id: str,
    pair_id: int,
    reason: str,
    source: str,
    now: datetime,
    expires_at: datetime,
) -> Introduction | None:
    """Store a pending introduction; None when the same requester already has one pending for the target."""
    intro = Introduction(
        team_id=team_id,
        pair_id=pair_id,
        requester_id=requester_id,
        partner_id=partner_id,
        target_id=target_id,
        reason=reason,
        source=source,
        pending_key=pending_key(requester_id, target_id),
        created_at=now,
        expires_at=expires_at,
    )
    try:
        with session.begin_nested():
            session.add(intro)
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    session.refresh(intro)
    return intro


def get_intro(*, session: Session, team_id: str, intro_id: int) -> Introduction | None:
    """An introduction by id within a workspace."""
    intro = session.get(Introduction, intro_id)
    return intro if intro is not None and intro.team_id == team_id else None


def decide_intro(*, session: Session, intro_id: int, status: str, now: datetime) -> bool:
    """Move a pending introduction to ``status`` once: True for the one call that did it."""
    result = session.execute(
        update(Introduction)
        .where(Introduction.id == intro_id, Introduction.status == IntroStatus.PENDING)
        .values(status=status, pending_key=None, decided_at=now)
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def update_intro(*, session: Session, intro_id: int, **values: Any) -> None:
    """Set delivery details (ask_channel, ask_ts, group_channel_id)."""
    allowed = {"ask_channel", "ask_ts", "group_channel_id"}
    if set(values) - allowed:
        raise ValueError(f"cannot set {sorted(set(values) - allowed)}")
    session.execute(update(Introduction).where(Introduction.id == intro_id).values(**values))
    session.commit()


_GET_PREF = select(NetworkingPref).where(
    NetworkingPref.team_id == bindparam("team_id"), NetworkingPref.user_id == bindparam("user_id")
)
_SUGGEST_ME = select(NetworkingPref.suggest_me).where(
    NetworkingPref.team_id == bindparam("team_id"), NetworkingPref.user_id == bindparam("user_id")
)


def get_pref(*, session: Session, team_id: str, user_id: str) -> NetworkingPref | None:
    """A person's networking preferences, if they ever set any."""
    return session.exec(_GET_PREF, params={"team_id": team_id, "user_id": user_id}).first()  # type: ignore[call-overload]


def suggest_me(*, session: Session, team_id: str, user_id: str) -> bool:
    """Whether a person may be suggested to mentees (yes until they say otherwise)."""
    row = session.connection().execute(_SUGGEST_ME, {"team_id": team_id, "user_id": user_id}).first()
    return True if row is None else bool(row[0])


def upsert_pref(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    now: datetime,
    suggest_me: bool | None = None,
    alumni: bool | None = None,
) -> NetworkingPref:
    """Create or update a person's networking preferences (only the given fields change)."""
    pref = get_pref(session=session, team_id=team_id, user_id=user_id)
    if pref is None:
        pref = NetworkingPref(team_id=team_id, user_id=user_id, updated_at=now)
        try:
            with session.begin_nested():
                session.add(pref)
        except IntegrityError:
            pref = get_pref(session=session, team_id=team_id, user_id=user_id)
            assert pref is not None
    if suggest_me is not None:
        pref.suggest_me = suggest_me
    if alumni is not None:
        if alumni and not pref.alumni:
            pref.alumni_since = now
        pref.alumni = alumni
    pref.updated_at = now
    session.add(pref)
    session.commit()
    return pref


_OPTED_OUT = select(NetworkingPref.user_id).where(
    NetworkingPref.team_id == bindparam("team_id"),
    NetworkingPref.suggest_me == False,  # noqa: E712
)


def opted_out_ids(*, session: Session, team_id: str) -> set[str]:
    """People who asked not to be suggested."""
    return {user_id for (user_id,) in session.connection().execute(_OPTED_OUT, {"team_id": team_id})}


def alumni_ids(*, session: Session, team_id: str) -> set[str]:
    """People in the alumni pool."""
    rows = session.exec(
        select(NetworkingPref.user_id).where(NetworkingPref.team_id == team_id, NetworkingPref.alumni == True)  # noqa: E712
    ).all()
    return set(rows)


# ------------------------------------------------------------------ people to meet


def replace_people_suggestions(
    *, session: Session, team_id: str, rows: Mapping[str, Sequence[Mapping[str, Any]]], now: datetime
) -> int:
    """Replace the stored suggestions of a workspace with a fresh computation.

    Args:
        rows: mentee id -> suggestions in rank order, each ``{"user_id", "score", "shared_skills", "reason"}``.

    Returns:
        How many suggestion rows were stored.
    """
    session.execute(delete(PeopleSuggestion).where(PeopleSuggestion.team_id == team_id))
    objects = [
        PeopleSuggestion(
            team_id=team_id,
            mentee_user_id=mentee,
            suggested_user_id=str(row["user_id"]),
            rank=rank,
            score=float(row.get("score", 0.0)),
            shared_skills=list(row.get("shared_skills", ())),
            reason=str(row.get("reason", ""))[:300],
            computed_at=now,
        )
        for mentee, suggestions in rows.items()
        for rank, row in enumerate(suggestions)
    ]
    session.add_all(objects)
    session.commit()
    return len(objects)


_SUGGESTIONS_FOR = (
    select(
        PeopleSuggestion.suggested_user_id,
        PeopleSuggestion.score,
        PeopleSuggestion.shared_skills,
        PeopleSuggestion.reason,
    )
    .where(PeopleSuggestion.team_id == bindparam("team_id"), PeopleSuggestion.mentee_user_id == bindparam("mentee"))
    .order_by(PeopleSuggestion.rank)
)
_LAST_REFRESH = select(func.max(PeopleSuggestion.computed_at)).where(PeopleSuggestion.team_id == bindparam("team_id"))


def people_suggestions_for(*, session: Session, team_id: str, mentee_user_id: str) -> list[Any]:
    """The stored suggestions of one mentee, in rank order: rows of ``suggested_user_id``, ``score``,
    ``shared_skills`` and ``reason`` (read on every App Home render, so not as ORM objects)."""
    params = {"team_id": team_id, "mentee": mentee_user_id}
    return list(session.connection().execute(_SUGGESTIONS_FOR, params))


def last_people_refresh(*, session: Session, team_id: str) -> datetime | None:
    """When suggestions were last computed for this workspace (None when none are stored)."""
    return session.exec(_LAST_REFRESH, params={"team_id": team_id}).one()  # type: ignore[call-overload]


# ------------------------------------------------------------------ people to meet: what was already suggested

# Introductions that count as "already introduced": asked and waiting, accepted, or declined (an expired ask,
# never answered, may be suggested again).
INTRODUCED_STATUSES = (IntroStatus.PENDING, IntroStatus.ACCEPTED, IntroStatus.DECLINED)


_INTRODUCED = select(Introduction.requester_id, Introduction.partner_id, Introduction.target_id).where(
    Introduction.team_id == bindparam("team_id"),
    or_(*(Introduction.status == status for status in INTRODUCED_STATUSES)),  # IN (...) is re-rendered every time
)
_INTRODUCED_WITH = _INTRODUCED.where(
    or_(
        Introduction.requester_id == bindparam("user_id"),
        Introduction.partner_id == bindparam("user_id"),
        Introduction.target_id == bindparam("user_id"),
    )
)


def introduced_pairs(*, session: Session, team_id: str, user_id: str | None = None) -> set[tuple[str, str]]:
    """(person, person they were introduced to) for the workspace's introductions, both ways round.

    The requester's partner, who joins the introduction, counts as introduced too. With ``user_id``: only the
    introductions that person was part of.
    """
    query, params = (
        (_INTRODUCED, {"team_id": team_id})
        if user_id is None
        else (_INTRODUCED_WITH, {"team_id": team_id, "user_id": user_id})
    )
    out: set[tuple[str, str]] = set()
    for requester, partner, target in session.connection().execute(query, params):
        for person in (requester, partner):
            if person and person != target:
                out.update({(person, target), (target, person)})
    return out


def suggested_before(
    *, session: Session, team_id: str, mentee_user_id: str | None = None
) -> dict[tuple[str, int], set[str]]:
    """Who was already suggested to whom: (mentee, cohort id) -> people suggested in that cohort."""
    query = select(
        PeopleSuggestionSent.mentee_user_id, PeopleSuggestionSent.cohort_id, PeopleSuggestionSent.suggested_user_id
    ).where(PeopleSuggestionSent.team_id == team_id)
    if mentee_user_id is not None:
        query = query.where(PeopleSuggestionSent.mentee_user_id == mentee_user_id)
    out: dict[tuple[str, int], set[str]] = {}
    for mentee, cohort_id, suggested in session.exec(query).all():
        out.setdefault((mentee, int(cohort_id)), set()).add(suggested)
    return out


def record_suggested(
    *, session: Session, team_id: str, cohort_id: int, mentee_user_id: str, suggested: Iterable[str], now: datetime
) -> int:
    """Remember people suggested to a mentee in a cohort (once each). Does not commit; returns how many are new."""
    known = suggested_before(session=session, team_id=team_id, mentee_user_id=mentee_user_id).get(
        (mentee_user_id, cohort_id), set()
    )
    fresh = [s for s in dict.fromkeys(suggested) if s not in known]
    session.add_all(
        PeopleSuggestionSent(
            team_id=team_id, cohort_id=cohort_id, mentee_user_id=mentee_user_id, suggested_user_id=s, sent_at=now
        )
        for s in fresh
    )
    session.flush()
    return len(fresh)


def has_open_mentor(*, session: Session, team_id: str, mentee_user_id: str) -> bool:
    """Whether the person is the mentee of a pair that is not closed."""
    found = session.exec(
        select(Pair.id).where(
            Pair.team_id == team_id,
            Pair.mentee_user_id == mentee_user_id,
            Pair.status.in_(OPEN_PAIR_STATUSES),  # type: ignore[attr-defined]
        )
    ).first()
    return found is not None
