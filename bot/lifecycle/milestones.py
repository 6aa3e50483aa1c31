"""Surveys, the halfway milestone and the early fit check: private answers that only coordinators read, and the
private ways out ("not a fit", "something's not right", a confidential rematch)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.lifecycle import forms
from bot.lifecycle.pairs import OPEN, cohort_settings, journey_of, mark_active, partner_of, post, role_in
from bot.outbox import Outgoing
from bot.services import Services
from bot.views import journey as views
from bot.views.words import counted
from storage import journey as store
from storage import participants
from storage.models import Pair, ScheduledPrompt
from storage.vocab import AnswerKind, FitAnswer, PairStatus, SurveyKey

log = logging.getLogger(__name__)


def render_survey(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Outgoing | None:
    """A survey invitation in the person's own DM."""
    pair = session.get(Pair, prompt.pair_id)
    payload = prompt.payload or {}
    closing = bool(payload.get("closing"))
    if pair is None or (pair.status not in OPEN and not closing) or not prompt.recipient_user_id:
        return None
    key = str(payload.get("survey_key", SurveyKey.PULSE))
    if store.has_answered(session=session, pair_id=int(pair.id or 0), user_id=prompt.recipient_user_id, survey_key=key):
        return None
    message = views.survey_invite_message(
        pair_id=int(pair.id or 0),
        survey_key=key,
        closing=closing,
        partner_id=partner_of(pair, prompt.recipient_user_id),
    )
    return Outgoing(channel=prompt.recipient_user_id, **message)


def render_halfway(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Outgoing | None:
    """The halfway milestone."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is None or pair.status not in OPEN:
        return None
    meetings, _ = store.meeting_totals(session=session, pair_id=int(pair.id or 0))
    text = (
        f":mountain: Halfway there! You've logged {counted(meetings, 'meeting')} so far. "
        "A good moment to look back at your goals and adjust them if they've changed."
    )
    return Outgoing(channel=pair.channel_id, **views.milestone_message(text))


def render_fit_check(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Outgoing | None:
    """The private fit check after the first meeting, in each person's own DM."""
    pair = session.get(Pair, prompt.pair_id)
    user_id = prompt.recipient_user_id or ""
    if pair is None or pair.status == PairStatus.CLOSED or not user_id:
        return None
    if store.has_answered(session=session, pair_id=int(pair.id or 0), user_id=user_id, survey_key=SurveyKey.FIT):
        return None
    message = views.fit_check_message(pair_id=int(pair.id or 0), partner_id=partner_of(pair, user_id))
    return Outgoing(channel=user_id, **message)


def raise_concern(
    *, session: Session, services: Services, pair: Pair, user_id: str, text: str, source: str, now: datetime
) -> None:
    """'Something's not right' or 'Not a fit': coordinators hear privately (with Rematch / End / Talk first), the
    person is offered a rematch; the partner is told nothing.

    The words of a concern are stored first (coordinators only), so they survive a failed message.
    """
    from bot.pair_control import tell_about_concern

    if source != SurveyKey.FIT:
        store.save_private_answer(
            session=session,
            team_id=pair.team_id,
            pair_id=int(pair.id or 0),
            respondent_user_id=user_id,
            respondent_role=role_in(pair, user_id),
            kind=AnswerKind.CONCERN,
            survey_key=f"concern:{now:%Y%m%dT%H%M%S.%f}",
            answers={"text": text} if text else {},
            now=now,
        )
        session.commit()
    what = "answered *Not a fit* after the first meeting" if source == SurveyKey.FIT else "said *something's not right*"
    tell_about_concern(session=session, services=services, pair=pair, raised_by=user_id, what=what, text=text)
    post(services, pair.team_id, user_id, views.rematch_offer_message(pair_id=int(pair.id or 0)))
    log.info("concern raised pair=%s source=%s", pair.id, source)


def answer_fit(*, session: Session, services: Services, pair: Pair, user_id: str, answer: str, now: datetime) -> bool:
    """Store a private fit answer (good | unsure | not), once. 'not' reaches coordinators. Commits."""
    saved = store.save_private_answer(
        session=session,
        team_id=pair.team_id,
        pair_id=int(pair.id or 0),
        respondent_user_id=user_id,
        respondent_role=role_in(pair, user_id),
        kind=AnswerKind.FIT,
        survey_key=SurveyKey.FIT,
        answers={"fit": answer},
        now=now,
    )
    mark_active(journey_of(session, pair), user_id, now)
    automatic = saved and answer == FitAnswer.NOT and cohort_settings(session, pair).auto_rematch
    session.commit()  # nothing is read after this but by the rematch: no lock is held while Slack is called
    if saved and answer == FitAnswer.NOT:
        if automatic and _auto_rematch(session, services, pair, user_id, now):
            return saved
        raise_concern(
            session=session, services=services, pair=pair, user_id=user_id, text="", source=SurveyKey.FIT, now=now
        )
    return saved


def _auto_rematch(session: Session, services: Services, pair: Pair, user_id: str, now: datetime) -> bool:
    """The cohort rematches after a "not a fit": done at once, coordinators told with an Undo (24 h)."""
    from bot.pair_control import PairChanged, PairEnded, PairGone, auto_rematch, start_pairs

    try:
        done = auto_rematch(session=session, services=services, pair=pair, said_by=user_id, now=now)
    except (PairChanged, PairEnded, PairGone):
        session.rollback()
        return False
    if done is None:
        session.rollback()  # only read: end the transaction before others write
        return False
    for work in done.after:
        work()
    start_pairs(services, done.start)
    return True


def newer_pair_of(*, session: Session, pair: Pair, user_id: str) -> Pair | None:
    """An open pair made after ``pair`` in which the person has the same role (a coordinator's or the cohort's
    rematch that already happened), else None."""
    from storage.rounds import open_pairs_of

    role = role_in(pair, user_id)
    for other in open_pairs_of(session=session, team_id=pair.team_id, user_ids=[user_id]):
        if other.id != pair.id and other.created_at >= pair.created_at and role_in(other, user_id) == role:
            return other
    return None


@dataclass(frozen=True)
class RematchAsked:
    """What a "Yes, find me someone else" did: ``queued`` first in line, or not (``newer``: the partner they
    already have since, else they are gone)."""

    queued: bool
    newer: Pair | None = None


def accept_rematch(*, session: Session, services: Services, pair: Pair, user_id: str) -> RematchAsked:
    """The person wants a confidential rematch: first in line; coordinators told, with Rematch / End / Talk first.
    Commits.

    Nothing changes when they are gone, or already have a new partner since this pair (a coordinator rematched
    them before they clicked): the next round must not take that new pair away.
    """
    from bot.pair_control import tell_about_concern

    participant = participants.get_participant(session=session, team_id=pair.team_id, user_id=user_id)
    if participant is None:
        return RematchAsked(queued=False)
    if (newer := newer_pair_of(session=session, pair=pair, user_id=user_id)) is not None:
        return RematchAsked(queued=False, newer=newer)
    participant.priority = True
    session.add(participant)
    session.commit()
    tell_about_concern(
        session=session,
        services=services,
        pair=pair,
        raised_by=user_id,
        what="accepted a confidential rematch: they'd like another partner",
    )
    return RematchAsked(queued=True)


def submit_survey(
    *, session: Session, pair: Pair, user_id: str, survey_key: str, form: forms.SurveyForm, now: datetime
) -> bool:
    """Store a person's survey answers (never shown to the partner); False for a repeat. Commits."""
    saved = store.save_private_answer(
        session=session,
        team_id=pair.team_id,
        pair_id=int(pair.id or 0),
        respondent_user_id=user_id,
        respondent_role=role_in(pair, user_id),
        kind=AnswerKind.CLOSING if survey_key.startswith(SurveyKey.CLOSING) else AnswerKind.PULSE,
        survey_key=survey_key[:64],
        satisfaction=form.satisfaction,
        recommend=form.recommend,
        answers={"comment": form.free} if form.free else {},
        now=now,
    )
    session.commit()
    log.info("survey stored pair=%s key=%s new=%s", pair.id, survey_key, saved)  # never the answers
    return saved
