"""`mentorbot demo` runs signup, matching and the program on a simulated clock, and records every call."""

from __future__ import annotations

import io
import json
from pathlib import Path

from bot.demo import run_demo


def test_demo_runs_every_stage_and_records_calls(tmp_path: Path) -> None:
    out = io.StringIO()
    record = tmp_path / "calls.jsonl"
    assert (
        run_demo(people=12, seed=7, days=60, record=record, out=out, database_url=f"sqlite:///{tmp_path / 'demo.db'}")
        == 0
    )
    transcript = out.getvalue()
    for stage in ("== Signup: 12 people join", "== Matching:", "== The program:", "== Where the pairs ended up"):
        assert stage in transcript
    assert "typed /mentor join" in transcript and "You're in the mentorship program" in transcript
    assert "score" in transcript and "\u2022" in transcript  # pairs with reasons
    assert "(pair DM)" in transcript  # kickoff and check-ins reached the pairs
    # the "not a fit" pair is rematched by the coordinator, and the new pair runs its program
    rematched = [line for line in transcript.splitlines() if "Casey rematched the mentee" in line]
    assert rematched and " and paired " in rematched[0]
    assert "(not a fit): closed, not_a_fit" in transcript and "(rematched): closed, completed" in transcript
    # the silent pair is flagged to the coordinator, who ends it (never closed by itself)
    assert "has been inactive for 5 weeks" in transcript
    assert "Casey ended the silent pair (inactive)" in transcript and "(silent): closed, inactive" in transcript
    calls = [json.loads(line) for line in record.read_text().splitlines()]
    methods = {c["method"] for c in calls}
    assert {"views.open", "chat.postMessage", "conversations.open", "views.publish"} <= methods
    assert all(set(c) == {"method", "args"} for c in calls)
    assert "xoxb-" not in record.read_text()
