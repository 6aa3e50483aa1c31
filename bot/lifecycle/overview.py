"""Reading a person's pairs: what their App Home shows, and a coordinator's preview of a pair's schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.lifecycle.pairs import PAIR_DM_KINDS, partner_of, role_in
from bot.outbox import upcoming_prompts
from bot.views import journey as views
from storage import journey as store
from storage import scheduling
from storage.models import Pair
from storage.vocab import PairRole, PairStatus, PromptKind


@dataclass
class PairSummary:
    """What a person's App Home shows about one pair."""

    pair: Pair
    partner_id: str
    role: PairRole
    goals: list[dict[str, Any]]
    goals_status: str
    meetings: int
    next_checkin: datetime | None
    ends_at: datetime
    notes: list[tuple[date, str]]


def pairs_of(*, session: Session, team_id: str, user_id: str) -> list[Pair]:
    """The person's open pairs (as mentee or mentor)."""
    return store.open_pairs_of(session=session, team_id=team_id, user_id=user_id)


def meeting_notes(*, session: Session, pair_id: int) -> list[tuple[date, str]]:
    """The notes the pair wrote when logging meetings, newest first (the pair's own; never shown to others)."""
    meetings = store.list_meetings(session=session, pair_id=pair_id)
    return [(m.met_on.date(), m.notes.strip()) for m in reversed(meetings) if m.notes and m.notes.strip()]


def summaries_for(*, session: Session, team_id: str, user_id: str) -> list[PairSummary]:
    """The person's open pairs with goals, meetings and the next check-in."""
    out = []
    for pair in store.open_pairs_of(session=session, team_id=team_id, user_id=user_id):
        journey = store.get_journey(session=session, pair_id=int(pair.id or 0))
        if journey is None:
            continue
        goals = store.get_goals(session=session, pair_id=int(pair.id or 0))
        upcoming = upcoming_prompts(session=session, team_id=team_id, pair_id=pair.id)
        checkin = next((p.due_at for p in upcoming if p.kind == PromptKind.CHECKIN), None)
        out.append(
            PairSummary(
                pair=pair,
                partner_id=partner_of(pair, user_id),
                role=role_in(pair, user_id),
                goals=list(goals.goals) if goals else [],
                goals_status=goals.status if goals else "",
                meetings=store.meeting_totals(session=session, pair_id=int(pair.id or 0))[0],
                next_checkin=checkin,
                ends_at=journey.ends_at,
                notes=meeting_notes(session=session, pair_id=int(pair.id or 0)),
            )
        )
    return out


def home_blocks(
    *, session: Session, team_id: str, user_id: str, tz: str = "UTC", now: datetime | None = None
) -> list[dict[str, Any]]:
    """App Home blocks: each open pair with goals and progress, the next check-in and booked meeting, and log /
    goals / find a time / pause buttons."""
    blocks: list[dict[str, Any]] = []
    zone = ZoneInfo(tz)
    for s in summaries_for(session=session, team_id=team_id, user_id=user_id):
        booked = (
            scheduling.next_booking(session=session, pair_id=int(s.pair.id or 0), now=now) if now is not None else None
        )
        meeting = ""
        if booked is not None:
            start, end = booked.starts_at.astimezone(zone), booked.ends_at.astimezone(zone)
            meeting = f"{start:%a} {start.day} {start:%b}, {start:%H:%M}-{end:%H:%M} (your time)"
        if s.pair.status == PairStatus.PAUSED:
            nxt = "paused"
        elif s.next_checkin is None:
            nxt = "none planned"
        else:
            nxt = f"{s.next_checkin.astimezone(ZoneInfo(tz)):%a %d %b, %H:%M}"
        blocks += views.home_pair_section(
            pair_id=int(s.pair.id or 0),
            partner_id=s.partner_id,
            my_role=s.role,
            status=s.pair.status,
            goals=s.goals,
            goals_status=s.goals_status,
            next_checkin=nxt,
            meetings=s.meetings,
            ends_on=s.ends_at.date(),
            notes=s.notes,
            next_meeting=meeting,
        )
    return blocks


def schedule_lines(*, session: Session, team_id: str, user_id: str, limit: int = 20) -> list[str]:
    """A coordinator's preview of a person's pairs' upcoming prompts (soonest first)."""
    lines = []
    pairs = store.open_pairs_of(session=session, team_id=team_id, user_id=user_id)
    for pair in pairs:
        lines.append(
            f"*Pair #{pair.id}*: <@{pair.mentee_user_id}> (mentee) with <@{pair.mentor_user_id}> (mentor)"
            f" · {pair.status}"
        )
        prompts = upcoming_prompts(session=session, team_id=team_id, pair_id=pair.id, limit=limit)
        if not prompts:
            lines.append("  _nothing scheduled_")
        for prompt in prompts:
            to = "the pair DM" if prompt.kind in PAIR_DM_KINDS else f"<@{prompt.recipient_user_id}> privately"
            lines.append(f"• {prompt.due_at:%Y-%m-%d %H:%M} UTC · {prompt.kind.removeprefix('pair.')} → {to}")
    return lines
