"""`mentorbot demo`: a simulated workspace runs a whole program against the built-in Slack sandbox.

The scenario runner (:mod:`bot.sandbox.scenario`) does the work: people sign up through the real `/mentor`
modal, the coordinator creates the program and publishes the round, pairs act on their behaviour on a
simulated clock, and the transcript shows what each person saw and did. It ends with the coordinator's view:
`/mentor stats`, the weekly digests, the export's summary, and what each flag led to.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.sandbox.scenario import Scenario, ScenarioConfig
from bot.sandbox.truth import expected_state, finalise, flag_report


def run_demo(
    *,
    people: int = 12,
    seed: int = 7,
    record: Path | None = None,
    days: int = 180,
    database_url: str | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the demo and print its transcript. Returns the exit code."""
    out = out or sys.stdout
    config = ScenarioConfig(
        people=people, days=days, seed=seed, database_url=database_url, record=record, transcript=out
    )
    with Scenario(config) as run:
        run.run()
        run.stage("Where the pairs ended up")
        view = run.coordinator_view()
        rows = {int(r["pair_id"]): r for r in view.export_rows if r.get("pair_id", "").isdigit()}
        for pair in run.ledger.pairs.values():
            row = rows.get(pair.pair_id, {})
            state = row.get("status", "?") + (f", {row['close_reason']}" if row.get("close_reason") else "")
            run.say(
                f"  {run.who(pair.mentee)} & {run.who(pair.mentor)} ({pair.behaviour}): {state}, "
                f"{len(pair.meetings)} meeting{'s' if len(pair.meetings) != 1 else ''} logged"
            )
        _coordinator_view(run, view, run.clock())
        run.stage("Done")
        calls = len(run.sandbox.calls)
        run.say(f"The app made {calls} Web API calls" + (f", recorded to {record}" if record else "") + ".")
        invalid = run.sandbox.invalid_calls
        run.say(f"Calls real Slack would have refused: {len(invalid)}.")
        for call in invalid[:20]:
            run.say(f"  ! {call.method}: {call.error}: {' | '.join(call.messages[:2])}")
    return 1 if invalid else 0


def _coordinator_view(run: Scenario, view: object, now: datetime) -> None:
    from bot.sandbox.scenario import CoordinatorView

    assert isinstance(view, CoordinatorView)
    run.stage("The coordinator's view: /mentor stats")
    for line in view.stats_text.splitlines():
        run.say(f"  {line}")
    run.stage(f"The coordinator's view: the weekly digest ({len(view.digests)} posted, the last one)")
    for line in (view.digests[-1] if view.digests else "no digest was posted").splitlines():
        run.say(f"  {line}")
    run.stage("The coordinator's view: /mentor export")
    statuses = Counter(
        (r.get("status", ""), r.get("close_reason", "")) for r in view.export_rows if r.get("pair_id", "").isdigit()
    )
    run.say(
        f"  {len(view.export_rows)} pairs: "
        + ", ".join(f"{s}{'/' + c if c else ''}: {n}" for (s, c), n in statuses.items())
    )
    for title, rows in view.export_sections.items():
        run.say(f"  {title}: {len(rows)}")
    run.stage("What each flag led to")
    finalise(run.ledger)
    for line in flag_report(run.ledger, now) or ["no flag was raised"]:
        run.say(f"  {line}")
    ended = Counter(str(expected_state(p, now)[1] or "still open") for p in run.ledger.pairs.values())
    run.say("  Pairs by what happened (from what the people did): " + ", ".join(f"{k}: {v}" for k, v in ended.items()))
