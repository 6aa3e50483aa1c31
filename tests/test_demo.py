"""`mentorbot demo` runs the program, prints what each person saw, and ends with the coordinator's view."""

from __future__ import annotations

import io
import json
from pathlib import Path

from bot.demo import run_demo


def test_demo_runs_every_stage_and_ends_with_the_coordinators_view(tmp_path: Path) -> None:
    out = io.StringIO()
    record = tmp_path / "calls.jsonl"
    assert (
        run_demo(people=10, seed=3, days=60, record=record, out=out, database_url=f"sqlite:///{tmp_path / 'demo.db'}")
        == 0
    )
    transcript = out.getvalue()
    for stage in (
        "== The coordinator creates the program",
        "== Signup: 9 people join",
        "== The program:",
        "== Where the pairs ended up",
        "== The coordinator's view: /mentor stats",
        "== The coordinator's view: the weekly digest",
        "== The coordinator's view: /mentor export",
        "== What each flag led to",
    ):
        assert stage in transcript
    assert "signed up as a mentee" in transcript and "You're in the mentorship program" in transcript
    assert "Casey clicked Publish" in transcript and "\u2192" in transcript and "\u2022" in transcript  # pairs, reasons
    assert "(pair DM)" in transcript  # kickoff and check-ins reached the pairs
    assert "logged meeting #" in transcript
    # diligent pairs book a proposed time in two clicks; the invite and the "Did you meet?" follow
    assert "picked a proposed time" in transcript and "the meeting is booked" in transcript
    assert "Here are times you both work" in transcript and "Booked:" in transcript
    assert "(booking)" in transcript  # a meeting logged from "Did you meet?"
    assert "the mentee said not a fit" in transcript  # what the flag led to
    # a mentor joins after the round, and the coordinator rematches the "not a fit" mentee with her from the note
    assert "== A mentor joins after the round" in transcript
    rematched = [line for line in transcript.splitlines() if "Casey (coordinator) rematched" in line]
    assert rematched and "with Lena Park" in rematched[0]
    calls = [json.loads(line) for line in record.read_text().splitlines()]
    methods = {c["method"] for c in calls}
    assert {"views.open", "chat.postMessage", "conversations.open", "views.publish"} <= methods
    assert {"files.getUploadURLExternal", "files.completeUploadExternal"} <= methods  # the calendar invites
    assert all(set(c) == {"method", "args"} for c in calls)
    assert "xoxb-" not in record.read_text()
