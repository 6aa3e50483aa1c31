"""Pair-control Block Kit builders round-trip through slack_sdk's models (Slack's limits are caught here), and the
messages people read are worded for them, never naming who asked for an end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot import pair_control
from bot.matching import Score
from bot.pair_matching import Candidate, Proposal
from bot.views import pairs as views
from storage.models import AuditLog, Pair, PairJourney
from storage.pair_control import PairFacts
from storage.vocab import EndReason, PairStatus

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _pair(pair_id: int = 7, status: str = PairStatus.AT_RISK) -> Pair:
    return Pair(
        id=pair_id,
        team_id="T1",
        mentee_user_id="U0A",
        mentor_user_id="U0B",
        status=status,
        created_at=NOW - timedelta(days=80),
        version=3,
        reasons=["you want python; they offer it"] * 3,
        score=0.71,
    )


def _facts() -> PairFacts:
    return PairFacts(
        meetings=4,
        last_activity=NOW - timedelta(days=40),
        started_at=NOW - timedelta(days=80),
        not_a_fit=["mentee"],
        checkins_sent=5,
    )


def _card(status: str = PairStatus.AT_RISK) -> pair_control.CardData:
    pair = _pair(status=status)
    return pair_control.CardData(
        pair=pair,
        cohort_name="Spring <b>",
        facts=_facts(),
        journey=PairJourney(
            team_id="T1",
            pair_id=7,
            started_at=NOW - timedelta(days=80),
            ends_at=NOW + timedelta(days=100),
            unanswered_checkins=2,
        ),
        goals=[{"title": f"Goal {i} " + "x" * 100, "progress": "some"} for i in range(3)],
        goals_status="confirmed",
        meetings=[(NOW - timedelta(days=d), 45) for d in range(80, 40, -10)],
        mentor_load=1,
        mentor_capacity=2,
        rematch_asked=True,
        replaced_by=None,
        change=AuditLog(team_id="T1", actor="U0C", action="pair.nudge", created_at=NOW),
        now=NOW,
    )


def _valid_view(view: dict) -> None:
    View(**view).validate_json()
    assert len(view["blocks"]) <= 100 and len(view.get("private_metadata", "")) <= 3000


def _valid_blocks(blocks: list[dict]) -> None:
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()


def test_list_card_and_action_modals_are_valid_block_kit() -> None:
    rows = [(_pair(i), _facts()) for i in range(1, views.PER_PAGE + 1)]
    _valid_view(
        views.list_modal(
            rows=rows, title="Pairs at risk", page=1, total=60, filter_meta={"filter": "at_risk"}, now=NOW, bulk=True
        )
    )
    for status in PairStatus:
        _valid_view(views.card_modal(_card(status), notice=":warning: changed"))
    pair = _pair()
    score = Score(0.8, {"skills": 0.3}, ["a reason " * 20] * 3)
    proposal = Proposal("U0A", [Candidate(f"U0M{i}", score, 2) for i in range(3)])
    for view in (
        views.end_modal(pair),
        views.rematch_modal(pair, proposal, names={"U0M0": "A very long display name " * 5}),
        views.rematch_modal(pair, Proposal("U0A", [], "no mentor is available"), notice="changed"),
        views.reassign_modal(pair),
        views.pause_modal(pair),
        views.resume_modal(pair),
        views.extend_modal(pair, date(2026, 9, 1)),
        views.message_modal(pair),
        views.nudge_modal(pair, ["U0A", "U0B"]),
        views.result_view("Done."),
        views.problem_view("Nothing changed."),
        views.bulk_end_ask(),
    ):
        _valid_view(view)


def test_bulk_confirmations_list_a_hundred_pairs_within_slacks_limits() -> None:
    items = [pair_control.BulkItem(i, i % 7, f"U0MENTEE{i:04d}", f"U0MENTOR{i:04d}", 9) for i in range(100)]
    for view in (views.bulk_nudge_confirm(items), views.bulk_end_confirm(items, 6)):
        _valid_view(view)
        text = "".join(b.get("text", {}).get("text", "") for b in view["blocks"])
        assert all(f"#{i} " in text for i in range(100))


def test_notes_and_messages_are_valid_blocks() -> None:
    pair = _pair()
    score = Score(0.8, {"skills": 0.3}, ["shared python"])
    for message in (
        views.concern_note(pair, raised_by="U0A", role="mentee", what="said *something's not right*", text="<@U0X> hi"),
        views.silent_note(pair, "inactive for 5 weeks"),
        views.auto_rematch_note(pair, new_pair=_pair(8), said_role="mentor", said_by="U0B", reason="", until=NOW),
        views.auto_rematch_note(pair, new_pair=None, said_role="mentor", said_by="U0B", reason="none", until=NOW),
        views.auto_closed_note(pair, 6),
        views.place_offer_note(mentor_id="U0B", mentee_id="U0E", cohort_id=None, since=NOW, score=score, now=NOW),
        views.place_filled_note(mentor_id="U0B", mentee_id="U0E", since=NOW, now=NOW, automatic=True),
        views.inactive_notice_message(pair_id=7, partner_id="U0B", weeks=6, closes=NOW),
        views.closing_survey_message(7, "U0B"),
        views.completed_pair_message(7),
        views.extended_message(months=1, ends=date(2026, 9, 1)),
        views.coordinator_message("U0C", "hello\n<!channel>"),
        views.talk_first_message("U0C"),
    ):
        _valid_blocks(message["blocks"])
    # a concern's free text is escaped: no mention or broadcast smuggled through
    assert "<@U0X>" not in views.concern_note(pair, raised_by="U0A", role="mentee", what="x", text="<@U0X>")["text"]


@pytest.mark.parametrize("reason", list(views.END_CHOICES))
def test_end_messages_fit_the_reader_and_never_say_who_asked(reason: str) -> None:
    mentee = views.ended_message(reason=reason, reader_is_mentee=True, partner_id="U0B", mentee_next="pool")["text"]
    mentor = views.ended_message(reason=reason, reader_is_mentee=False, partner_id="U0A", place_free=True)["text"]
    assert "<@U0B>" in mentee and "<@U0A>" in mentor
    assert "place is free again" in mentor and "place is free again" not in mentee
    for text in (mentee, mentor):
        assert "said" not in text and "asked" not in text and "reported" not in text
    if reason != EndReason.LEFT_COMPANY:
        assert "next match round" in mentee
    rematched = views.ended_message(
        reason=reason, reader_is_mentee=True, partner_id="U0B", new_mentor="U0C", mentee_next="new_mentor"
    )["text"]
    assert reason == EndReason.LEFT_COMPANY or "new mentor, <@U0C>" in rematched


def test_months_are_added_on_the_calendar() -> None:
    assert pair_control.add_months(datetime(2026, 1, 31, 9, tzinfo=UTC), 1) == datetime(2026, 2, 28, 9, tzinfo=UTC)
    assert pair_control.add_months(datetime(2026, 11, 15, tzinfo=UTC), 3) == datetime(2027, 2, 15, tzinfo=UTC)
