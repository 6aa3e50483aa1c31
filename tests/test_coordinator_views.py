"""Coordinator Block Kit builders round-trip through slack_sdk's models (Slack's limits are caught here)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.cohorts import CohortSettings
from bot.coordination import weights_text
from bot.stats import ProgramStats
from bot.views import coordinator as views
from storage.models import Pair
from storage.vocab import PairStatus, Role

NOW = datetime(2026, 6, 1, tzinfo=UTC)
PAIR = Pair(id=7, team_id="T1", mentee_user_id="U0A", mentor_user_id="U0B", created_at=NOW)


def _valid_view(view: dict) -> None:
    View(**view).validate_json()


def _valid_blocks(blocks: list[dict]) -> None:
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()


def test_modals_are_valid() -> None:
    settings = CohortSettings(match_date=date(2026, 9, 1), announce_channel="C0ANNOUNCE")
    _valid_view(views.program_modal(cohort_id=3, name="Autumn", settings=settings, weights_text=weights_text(settings)))
    for action in ("nudge", "message", "pause", "end", "rematch"):
        _valid_view(views.pair_action_modal(action=action, pair=PAIR))
    _valid_view(views.import_modal())
    _valid_view(views.refusal_view())


def test_messages_and_home_section_are_valid_and_fit_in_home() -> None:
    figures = ProgramStats(
        team_id="T1", cohort_id=1, cohort_name="Spring", now=NOW, pairs={PairStatus.ACTIVE: 40, PairStatus.AT_RISK: 12}
    )
    message = views.stats_message(figures, figures)
    _valid_blocks(message["blocks"])
    at_risk = [(PAIR, "the mentor went quiet")] * 30
    home = views.home_section(figures, at_risk, [])
    _valid_blocks(home)
    assert len(home) <= 30  # ten pairs with actions, then "... and 20 more"
    assert "and 20 more" in str(home[-2:])
    digest = views.digest_message(
        cohort_name="Spring", signups={Role.MENTEE: 6}, matches=3, at_risk=at_risk, flags=[], closures=[]
    )
    _valid_blocks(digest["blocks"])
    notice = views.prematch_notice(cohort_name="Spring", cohort_id=1, match_date=date(2026, 9, 1))
    _valid_blocks(notice["blocks"])
    _valid_blocks(views.signup_announcement(cohort_name="Spring", cohort_id=1, closes=None)["blocks"])
