"""Block Kit builders of "Learn from past cohorts": valid views within Slack's limits, worded for coordinators."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.views import View

from bot import ids
from bot.views.learning import OfferData, message_modal, offer_blocks, results_modal, running_modal


def _valid(view: dict[str, Any]) -> None:
    keys = ("type", "callback_id", "title", "blocks", "submit", "close", "private_metadata")
    View(**{k: v for k, v in view.items() if k in keys}).validate_json()


def _offer(**changes: Any) -> OfferData:
    base = dict(cohort_id=3, cohort_name="Spring", closed=260, good=150, poor=70, usable=220, refusal=None)
    return OfferData(**{**base, **changes})


def test_offer_blocks_offer_learning_or_say_how_far_there_is_to_go() -> None:
    offered = json.dumps(offer_blocks(_offer()))
    assert ids.LEARN_OPEN in offered and "260 closed pairs so far: 150 went well, 70 didn't, 40 in between" in offered
    assert "*Spring*" in offered and ids.LEARN_REVERT not in offered
    waiting = json.dumps(offer_blocks(_offer(closed=1, good=1, poor=0, refusal="not enough outcomes")))
    assert ids.LEARN_OPEN not in waiting and "1 closed pair so far" in waiting
    applied = json.dumps(
        offer_blocks(
            _offer(applied_model_id=7, applied_by="U0COORD001", applied_on="12 May 2026", applied_auc=(0.61, 0.72))
        )
    )
    assert ids.LEARN_REVERT in applied and "applied by <@U0COORD001> on 12 May 2026" in applied and "0.72" in applied
    for blocks in (offer_blocks(_offer()), offer_blocks(_offer(applied_model_id=7))):
        _valid({"type": "modal", "callback_id": "x", "title": {"type": "plain_text", "text": "x"}, "blocks": blocks})


def test_results_modal_shows_comparison_effects_and_the_next_round() -> None:
    changed = [
        {
            "mentee": f"U0E{k}",
            "old_mentor": f"U0M{k}",
            "new_mentor": f"U0M{k + 1}",
            "reasons": ["you want sql"],
            "chance": 0.71,
        }
        for k in range(14)
    ]
    view = results_modal(
        model_id=9,
        cohort_name="Spring",
        evaluation={
            "default": {"auc": 0.61, "low": 0.58, "high": 0.64},
            "model": {"auc": 0.72, "low": 0.69, "high": 0.75},
            "difference": {"auc": 0.11, "low": 0.08, "high": 0.14},
        },
        training={"outcomes": 240, "good": 150, "poor": 90},
        effects=[
            ("shared skills: strong, more is better", "strong", 1.4),
            ("shared interests: didn't matter", "none", 0.0),
        ],
        preview={
            "pool": {"mentees": 40, "mentors": 15},
            "old": {"scoring": "weights", "pairs": 30, "unmatched": 10, "expected_good": 17.2},
            "new": {"pairs": 31, "unmatched": 9, "expected_good": 20.4},
            "changed_count": 14,
            "changed": changed,
        },
    )
    _valid(view)
    text = json.dumps(view, ensure_ascii=False)
    assert "Current weights: *0.61* (95% interval 0.58 to 0.64)" in text and "Learned model: *0.72*" in text
    assert "ranks the pairs that went well clearly better" in text
    assert "*What didn't*: shared interests." in text
    assert "about 17.2 expected to go well" in text and "about 20.4 expected to go well" in text
    assert "14 mentees would get a different mentor" in text and "…and 4 more" in text
    assert "<@U0E0>: <@U0M0> → <@U0M1> (71% chance; you want sql)" in text
    assert json.loads(view["private_metadata"]) == {"model_id": 9} and view["submit"]["text"] == "Apply to cohort"

    unclear = results_modal(
        model_id=1,
        cohort_name="Spring",
        evaluation={"default": {"auc": 0.6}, "model": {"auc": 0.61}, "difference": {"auc": 0.01, "low": -0.02}},
        training={"outcomes": 200, "good": 100, "poor": 100},
        effects=[],
        preview={"pool": {"mentees": 0, "mentors": 3}},
    )
    _valid(unclear)
    assert "not clearly better" in json.dumps(unclear) and "nobody is waiting to be matched" in json.dumps(unclear)


def test_small_modals_are_valid() -> None:
    _valid(running_modal())
    _valid(message_modal("Done."))
