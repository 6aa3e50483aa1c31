"""/mentor stats and /mentor export through the real app: channel message, chart upload, CSV by DM."""

from __future__ import annotations

import json
import time

from bot import ids
from bot.charts import PNG_SIGNATURE
from bot.sandbox.messages import parse_export
from storage.vocab import AnswerKind, PairStatus
from tests.conftest import COORDINATOR, RunningApp
from tests.test_coordinator_seed import add_answer, seed_program

COMMENT = "My mentor really helped me prepare for the promotion panel"


def _seed(app: RunningApp, pairs: int = 8) -> None:
    with app.sessions() as session:
        seed_program(session, pairs=pairs, mentees_waiting=6)
        from sqlmodel import select

        from storage.models import Pair

        first = session.exec(select(Pair).order_by(Pair.id)).first()
        assert first is not None
        add_answer(
            session,
            first,
            satisfaction=5,
            recommend=10,
            answers={"comment": COMMENT, "fit": "good_fit"},
            kind=AnswerKind.CLOSING,
        )
        session.commit()


def test_stats_acks_fast_then_posts_figures_and_a_png_chart_to_that_channel(app_any_db: RunningApp) -> None:
    """Posted where someone who is not a coordinator reads it: groups under 5 hidden."""
    app = app_any_db
    _seed(app)
    app.sandbox.add_channel("C0LEADERS", name="leaders", members=[COORDINATOR, "U0LEADER01"])
    response = app.driver.slash_command(COORDINATOR, "stats", channel_id="C0LEADERS")
    assert response.status == 200 and response.elapsed < 3
    assert "Crunching the numbers" in response.json()["text"]
    app.sandbox.wait_for("files.completeUploadExternal", timeout=20)
    message = app.sandbox.messages_in("C0LEADERS")[0]
    text = json.dumps(message["blocks"])
    assert "Mentorship stats: Spring" in text and "Mentors: 8" in text and "Mentees: 14" in text
    assert "*Match rate:* 57% (8 of 14 mentees paired)" in text
    assert "*Waiting list:* 6 mentees without a mentor" in text  # never paired; the closed pair's mentee finished
    assert "fewer than 5: hidden at risk" in text and "shown as" in text
    get_url = app.sandbox.calls_for("files.getUploadURLExternal")
    assert len(get_url) == 1 and get_url[0].args["filename"].endswith(".png")
    complete = app.sandbox.calls_for("files.completeUploadExternal")[0]
    assert complete.args.get("channel_id") == "C0LEADERS"
    (upload,) = app.sandbox.uploaded_files
    assert upload.channel_id == "C0LEADERS" and upload.content.startswith(PNG_SIGNATURE) and len(upload.content) > 5000
    assert COMMENT not in json.dumps([c.args for c in app.sandbox.calls])  # no answer text anywhere


def test_export_dms_a_csv_without_free_text_unless_asked(app: RunningApp) -> None:
    _seed(app)
    app.sandbox.add_user(COORDINATOR, name="coord", real_name="Coordinator")
    answer = app.driver.slash_command(COORDINATOR, "export").json()
    assert "No free-text answers" in answer["text"]
    app.sandbox.wait_for("files.completeUploadExternal")
    upload = app.sandbox.uploaded_files[-1]
    assert upload.channel_id == app.sandbox.dm_channel_id(COORDINATOR)
    rows, sections = parse_export(upload.content.decode())
    assert len(rows) == 8 and len(sections["unmatched people"]) == 6
    assert {"pair_id", "status", "meetings", "goals_set", "goals_done", "mean_satisfaction"} <= set(rows[0])
    assert sorted(r["status"] for r in rows).count(PairStatus.ACTIVE) == 6
    assert rows[1]["meetings"] == "3" and rows[1]["goals_set"] == "2" and rows[1]["goals_done"] == "1"
    assert COMMENT not in upload.content.decode() and "good_fit" not in upload.content.decode()

    answer = app.driver.slash_command(COORDINATOR, "export with-comments").json()
    assert "who wrote them" in answer["text"]
    app.sandbox.wait_for("files.completeUploadExternal", lambda c: len(app.sandbox.uploaded_files) == 2)
    time.sleep(0.2)
    content = app.sandbox.uploaded_files[-1].content.decode()
    comments = json.dumps(parse_export(content)[1]["survey"])  # the comments section, read as CSV
    assert COMMENT in comments
    assert "U0MENTEE" not in comments and "U0MENTOR" not in comments  # authors and pairs stripped
    assert "good_fit" not in comments  # button values are not comments


def test_stats_help_lists_coordinator_commands_only_for_coordinators(app: RunningApp) -> None:
    mine = app.driver.slash_command(COORDINATOR, "help").json()["text"]
    theirs = app.driver.slash_command("U0SOMEONE1", "help").json()["text"]
    for command in ("/mentor stats", "/mentor export", "/mentor audit", "/mentor program", "/mentor import"):
        assert command in mine and command not in theirs
    assert ids.COORD_SKIP_ROUND  # the skip button's id is defined once, in bot/ids.py


def test_stats_in_a_coordinators_only_channel_are_exact(app: RunningApp) -> None:
    _seed(app, pairs=3)
    app.sandbox.add_channel("C0COORDS", name="coordinators", members=[COORDINATOR])
    app.driver.slash_command(COORDINATOR, "stats", channel_id="C0COORDS")
    app.sandbox.wait_for("files.completeUploadExternal", timeout=20)
    text = json.dumps(app.sandbox.messages_in("C0COORDS")[0]["blocks"])
    assert "fewer than 5" not in text and "Exact figures, for coordinators" in text
    assert "3 made (3 by a round, 0 by hand, 0 by mentee choice)" in text and "1 at risk" in text
