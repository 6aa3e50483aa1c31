"""Block Kit for the cohort list (``/mentor cohorts``) and closing a cohort."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot import ids
from bot.views.blocks import button, context, header, input_block, modal, section, text_input
from bot.views.matching import plural

STATUS_TEXT = {
    "open": ":large_green_circle: open (taking signups)",
    "matching": ":large_yellow_circle: matching",
    "running": ":large_blue_circle: running",
    "closed": ":white_circle: closed",
}


def cohorts_message(lines: Sequence[Any]) -> dict[str, Any]:
    """Every cohort with where it stands, and Close / Reopen. ``lines`` are :class:`bot.cohort_lifecycle.CohortLine`."""
    blocks: list[dict[str, Any]] = [header("Cohorts")]
    for line in list(lines)[:45]:
        facts = [
            STATUS_TEXT.get(line.status, line.status),
            plural(line.people, "person", "people"),
            f"{plural(line.open_pairs, 'open pair')} ({line.pairs:,} in all)",
        ]
        waiting = f"leaves {plural(line.waiting, 'mentee')} waiting, {plural(line.free_places, 'free mentor place')}"
        if line.live_round is not None:
            waiting += f" · preview #{line.live_round} waiting to be published"
        if not line.carry_over:
            waiting += " · does not take in people from earlier cohorts"
        if line.status == "closed":
            accessory = button("Reopen", ids.COHORT_REOPEN, value=str(line.cohort_id))
        else:
            accessory = button("Close…", ids.COHORT_CLOSE, value=str(line.cohort_id), style="danger")
        blocks.append(section(f"*{line.name}* · {' · '.join(facts)}\n{waiting}", accessory=accessory))
    blocks.append(
        context(
            "Open → matching → running happen on their own. Closing stops signups and rounds; open pairs carry on, "
            "and the people a cohort left waiting carry over into the next cohort's rounds."
        )
    )
    return {"text": "Cohorts", "blocks": blocks}


def close_cohort_modal(*, cohort_id: int, name: str, waiting: int, free_places: int, open_pairs: int) -> dict[str, Any]:
    """Confirm closing a cohort, saying what happens to its people."""
    text = (
        f"Close *{name}*? It stops taking signups and running rounds. Its {plural(open_pairs, 'open pair')} carry on "
        f"to their end. {plural(waiting, 'mentee')} it left waiting and {plural(free_places, 'free mentor place')} "
        "carry over into the next cohort's rounds."
    )
    return modal(
        callback_id=ids.COHORT_CLOSE_VIEW,
        title="Close cohort",
        submit="Close cohort",
        blocks=[
            section(text),
            input_block(
                ids.PAIR_ACTION_REASON, "Why (kept in the audit log)", text_input(max_length=300), optional=True
            ),
        ],
        private_metadata=json.dumps({"cohort_id": cohort_id}),
    )
