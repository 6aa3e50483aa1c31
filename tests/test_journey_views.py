"""Journey builders validate against Slack's limits; forms parse and validate as the modals send them."""

from __future__ import annotations

from datetime import date

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot import ids
from bot.lifecycle import forms
from bot.lifecycle.checkins import CHECKIN_TEXTS, checkin_text
from bot.sandbox import driver as slack
from bot.views import journey as views
from storage.vocab import Cadence, GoalProgress, GoalsStatus, PairRole, PairStatus, SurveyKey

GOALS = [
    {
        "title": "Lead a design review",
        "measure": "Two reviews run",
        "target_date": "2026-06-30",
        "progress": GoalProgress.SOME,
    },
    {"title": "x" * 150, "measure": "y" * 300, "target_date": "", "progress": GoalProgress.DONE},
]


@pytest.mark.parametrize(
    "view",
    [
        views.goals_modal(pair_id=1, prefill={"goals": GOALS, "cadence": Cadence.WEEKLY, "channel": "video"}),
        views.goals_modal(pair_id=1),
        views.meeting_modal(pair_id=1, today=date(2026, 3, 2), goals=GOALS),
        views.pause_modal(pair_id=1),
        views.concern_modal(pair_id=1),
        views.survey_modal(pair_id=1, survey_key="pulse:1", closing=False),
        views.survey_modal(pair_id=1, survey_key=SurveyKey.CLOSING, closing=True),
        views.reflection_modal(pair_id=1, partner_name="Bob " * 60),
    ],
)
def test_modals_validate(view: dict) -> None:
    View(**view).validate_json()


@pytest.mark.parametrize(
    "message",
    [
        views.kickoff_message(
            pair_id=1, mentee_id="U1", mentor_id="U2", reasons=["a"] * 5, overlap_lines=[], ends_on=date(2026, 9, 1)
        ),
        views.goals_reminder_message(pair_id=1),
        views.checkin_message(pair_id=1, text="Did you meet since last time?"),
        views.closure_message(pair_id=1, meetings=3, minutes=135, goals=GOALS, early=False),
        views.fit_check_message(pair_id=1, partner_id="U2"),
        views.continue_check_message(pair_id=1, partner_id="U2"),
        views.survey_invite_message(pair_id=1, survey_key="pulse:1", closing=False),
        views.rematch_offer_message(pair_id=1),
        views.become_mentor_message(),
        {
            "blocks": views.home_pair_section(
                pair_id=1,
                partner_id="U2",
                my_role=PairRole.MENTEE,
                status=PairStatus.PAUSED,
                goals=GOALS,
                goals_status=GoalsStatus.PROPOSED,
                next_checkin="paused",
                meetings=2,
                ends_on=date(2026, 9, 1),
            )
        },
    ],
)
def test_messages_validate(message: dict) -> None:
    assert len(message["blocks"]) <= 50
    for block in message["blocks"]:
        Block.parse(block).validate_json()


def _values(view: dict, states: dict) -> dict:
    values = slack.values_for(view, {})
    for block_id, state in states.items():
        values[block_id] = {ids.INPUT: state}
    return values


def test_goals_form_parses_and_validates_inline() -> None:
    view = views.goals_modal(pair_id=1)
    values = _values(
        view,
        {
            ids.GOAL_TITLE.format(n=1): slack.text_value("Lead a review"),
            ids.GOAL_MEASURE.format(n=1): slack.text_value("Done twice"),
            ids.GOAL_TITLE.format(n=2): slack.text_value(None),
            ids.GOAL_MEASURE.format(n=2): slack.text_value("orphan measure"),
            ids.GOAL_TARGET.format(n=3): slack.date_value("2026-01-01"),
            ids.GOALS_CADENCE: slack.radio_value(Cadence.MONTHLY),
        },
    )
    form = forms.parse_goals(values)
    errors = forms.validate_goals(form, today=date(2026, 3, 2))
    assert set(errors) == {
        ids.GOAL_TITLE.format(n=2),
        ids.GOAL_TITLE.format(n=3),
        ids.GOAL_MEASURE.format(n=3),
        ids.GOAL_TARGET.format(n=3),
        ids.GOALS_CHANNEL,
    }
    assert form.cadence == Cadence.MONTHLY and form.goals[0].title == "Lead a review"
    assert ids.GOAL_TITLE.format(n=1) in forms.validate_goals(forms.parse_goals({}), today=date(2026, 3, 2))


def test_meeting_form_rejects_future_and_pre_match_dates() -> None:
    view = views.meeting_modal(pair_id=1, today=date(2026, 3, 10), goals=GOALS)
    states = {
        ids.MEETING_DATE: slack.date_value("2026-03-10"),
        ids.MEETING_DURATION: slack.select_value("30"),
        ids.MEETING_PROGRESS.format(n=1): slack.radio_value(GoalProgress.DONE),
    }
    ok = forms.parse_meeting(_values(view, states))
    assert ok.met_on == date(2026, 3, 10) and ok.duration == 30 and ok.progress["1"] == GoalProgress.DONE
    assert forms.validate_meeting(ok, today=date(2026, 3, 10), started=date(2026, 3, 2)) == {}
    assert ids.MEETING_DATE in forms.validate_meeting(ok, today=date(2026, 3, 9), started=date(2026, 3, 2))
    assert ids.MEETING_DATE in forms.validate_meeting(ok, today=date(2026, 3, 20), started=date(2026, 3, 11))
    unset = forms.parse_meeting({})
    assert set(forms.validate_meeting(unset, today=date(2026, 3, 10), started=date(2026, 3, 2))) == {
        ids.MEETING_DATE,
        ids.MEETING_DURATION,
    }


def test_checkin_text_varies_by_stage_and_cycle_and_is_deterministic() -> None:
    seen = {checkin_text(pair_id=7, cycle=c, stage=s) for s in CHECKIN_TEXTS for c in range(3)}
    assert len(seen) == 9
    assert checkin_text(pair_id=7, cycle=2, stage="late") == checkin_text(pair_id=7, cycle=2, stage="late")
    assert all("since last time" in text.lower() for text in seen)
