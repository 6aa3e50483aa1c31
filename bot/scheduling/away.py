"""``/mentor away``: days a person is not available. Proposed times and prompts keep out of them; no pause.

Parsing and validation are pure. Storing re-times the person's pending prompts that fell on those days (their
own DMs, and the pair DM's prompts, which go to both) to the next fitting moment after them; prompts planned
later avoid the days by themselves (``bot.lifecycle.planning`` skips away days).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.lifecycle.pairs import PAIR_DM_KINDS, pair_time, person_time
from bot.outbox import upcoming_prompts
from storage import journey as journey_store
from storage import outbox as outbox_store
from storage import scheduling as store
from storage.vocab import MeetPromptKind

log = logging.getLogger(__name__)

USAGE = (
    "Usage: `/mentor away 2027-03-01 2027-03-14` (the first and last day you're away, as YYYY-MM-DD; "
    "one date for a single day). `/mentor away` lists your away dates, `/mentor away clear` clears them."
)
MAX_DAYS = 366
SHARED_KINDS = (*PAIR_DM_KINDS, MeetPromptKind.PROPOSAL, MeetPromptKind.FOLLOWUP)


@dataclass(frozen=True)
class AwayRequest:
    """A parsed ``/mentor away`` line: list, clear, or add ``first``..``last``."""

    action: str  # "list" | "clear" | "add"
    first: date | None = None
    last: date | None = None


def parse_away(args: str, *, today: date) -> AwayRequest | str:
    """The request, or the line to show when it cannot be used (always ending with the usage)."""
    words = args.replace(",", " ").split()
    if not words:
        return AwayRequest("list")
    if len(words) == 1 and words[0].lower() == "clear":
        return AwayRequest("clear")
    if len(words) > 2:
        return USAGE
    try:
        days = [date.fromisoformat(w) for w in words]
    except ValueError:
        return f"I couldn't read {' '.join(words)!r} as dates. {USAGE}"
    first, last = days[0], days[-1]
    if last < first:
        return f"The last day ({last:%d %b %Y}) is before the first ({first:%d %b %Y}). {USAGE}"
    if last < today:
        return f"Those days are already over. {USAGE}"
    if (last - first).days >= MAX_DAYS:
        return f"That's more than a year: for a long break use `/mentor pause`. {USAGE}"
    return AwayRequest("add", max(first, today), last)


def add_away(*, session: Session, team_id: str, user_id: str, first: date, last: date, now: datetime) -> int:
    """Store the days and move the person's pending prompts out of them. Commits. Returns how many moved."""
    store.add_away(session=session, team_id=team_id, user_id=user_id, starts_on=first, ends_on=last, now=now)
    session.flush()
    moved = 0
    for pair in journey_store.open_pairs_of(session=session, team_id=team_id, user_id=user_id):
        for prompt in upcoming_prompts(session=session, team_id=team_id, pair_id=pair.id, limit=200):
            shared = prompt.kind in SHARED_KINDS
            if prompt.id is None or not (shared or prompt.recipient_user_id == user_id):
                continue
            tz = _timezone(session, team_id, user_id)
            if not first <= prompt.due_at.astimezone(ZoneInfo(tz)).date() <= last:
                continue
            if prompt.kind == MeetPromptKind.PROPOSAL:
                continue  # sent at once; its times already keep out of the days when offered afterwards
            after = prompt.due_at
            due = pair_time(session, pair, after) if shared else person_time(session, pair, user_id, after)
            if due.astimezone(ZoneInfo(tz)).date() <= last:  # nothing fitting found: from the day after the away days
                after = datetime.combine(last + timedelta(days=1), time(), tzinfo=ZoneInfo(tz))
                due = pair_time(session, pair, after) if shared else person_time(session, pair, user_id, after)
            moved += outbox_store.reschedule_pending(
                session=session, prompt_id=prompt.id, due_at=due, payload=None, now=now
            )
    session.commit()
    log.info("away dates added user=%s days=%s moved=%s", user_id, (last - first).days + 1, moved)
    return moved


def _timezone(session: Session, team_id: str, user_id: str) -> str:
    from bot import people

    saved = people.load_profile(session=session, team_id=team_id, user_id=user_id)
    return saved[1].timezone if saved else "UTC"


def list_away(*, session: Session, team_id: str, user_id: str, today: date) -> list[tuple[int, date, date]]:
    """The person's away periods not over yet: (id, first day, last day)."""
    return [
        (int(p.id or 0), p.starts_on, p.ends_on)
        for p in store.away_periods(session=session, team_id=team_id, user_id=user_id, from_day=today)
    ]


def clear_away(*, session: Session, team_id: str, user_id: str, period_id: int | None = None) -> int:
    """Forget one or all of the person's away periods. Commits."""
    gone = store.clear_away(session=session, team_id=team_id, user_id=user_id, period_id=period_id)
    session.commit()
    return gone
