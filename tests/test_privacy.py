"""Privacy: /mentor my-data exports everything about a person; /mentor leave removes it from every table."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from sqlmodel import SQLModel, select

from bot import ids, privacy
from storage import privacy as store
from storage.models import (
    AnonymousDeparture,
    AuditLog,
    DoNotPair,
    FeedbackRequest,
    Introduction,
    MatchRound,
    Meeting,
    NetworkingPref,
    Pair,
    PeopleSuggestion,
    PrivateAnswer,
    Reflection,
    Resource,
    ResourceShare,
    ScheduledPrompt,
)
from storage.vocab import AnswerKind, PairRole, PairStatus, PromptStatus, Role
from tests.conftest import COORDINATOR, TEAM_ID, RunningApp
from tests.helpers import ALICE, BOB, sign_up

OTHER_TEAM = "T0ELSEWHERE"
SECRET_ANSWER = "my mentor never shows up, honestly"


def _program(app: RunningApp) -> int:
    """Alice and Bob sign up and are paired through the app; then the rest of the program's records."""
    app.sandbox.add_user(COORDINATOR, name="coord", real_name="Coordinator", tz="Europe/Berlin")
    sign_up(app, ALICE)
    sign_up(app, BOB)
    answer = app.driver.slash_command(COORDINATOR, f"pair <@{ALICE.user_id}> <@{BOB.user_id}> testing").json()
    assert "Paired" in answer["text"], answer
    now = app.services.now()
    a, b = ALICE.user_id, BOB.user_id
    with app.sessions() as session:
        pair = session.exec(select(Pair)).one()
        assert pair.id is not None
        session.add_all(
            [
                Meeting(team_id=TEAM_ID, pair_id=pair.id, logged_by=a, met_on=now, notes=f"alice led; ask {a} later"),
                Meeting(team_id=TEAM_ID, pair_id=pair.id, logged_by=b, met_on=now, topics=f"<@{a}|alice>'s goals"),
                PrivateAnswer(
                    team_id=TEAM_ID,
                    pair_id=pair.id,
                    respondent_user_id=a,
                    respondent_role=PairRole.MENTEE,
                    kind=AnswerKind.PULSE,
                    survey_key="pulse:1",
                    satisfaction=2,
                    answers={"comment": SECRET_ANSWER},
                ),
                PrivateAnswer(
                    team_id=TEAM_ID,
                    pair_id=pair.id,
                    respondent_user_id=b,
                    respondent_role=PairRole.MENTOR,
                    kind=AnswerKind.PULSE,
                    survey_key="pulse:1",
                    satisfaction=4,
                    answers={"comment": "going fine"},
                ),
                Reflection(team_id=TEAM_ID, pair_id=pair.id, user_id=a, thanks="thanks Bob"),
                DoNotPair(team_id=TEAM_ID, user_id=a, other_user_id="U0CAROL003"),
                DoNotPair(team_id=TEAM_ID, user_id=b, other_user_id=a),  # Bob's confidential list names Alice
                MatchRound(team_id=TEAM_ID, requested_by=COORDINATOR, pinned=[[a, b]], result={"pairs": [{a: b}]}),
                AuditLog(team_id=TEAM_ID, actor=COORDINATOR, action="pause", target=a, detail={"who": a}),
                Resource(team_id=TEAM_ID, url="https://x.test/a", url_hash="h1", shared_by=a, title="alice's pick"),
                FeedbackRequest(
                    team_id=TEAM_ID, pair_id=pair.id, mentee_user_id=a, mentor_user_id=b, link="https://x", question="?"
                ),
                Introduction(team_id=TEAM_ID, requester_id=a, target_id="U0CAROL003", pending_key=f"{a}:U0CAROL003"),
                NetworkingPref(team_id=TEAM_ID, user_id=a),
                PeopleSuggestion(team_id=TEAM_ID, mentee_user_id=b, suggested_user_id=a),
                ScheduledPrompt(
                    team_id=TEAM_ID,
                    idempotency_key=f"nudge:{a}",
                    kind="x",
                    due_at=now + timedelta(days=3),
                    recipient_user_id=a,
                    payload={"user": a},
                ),
                # the same user id in another workspace is another person: untouched by Alice's leave
                NetworkingPref(team_id=OTHER_TEAM, user_id=a),
            ]
        )
        session.commit()
        resource = session.exec(select(Resource)).one()
        session.add(ResourceShare(team_id=TEAM_ID, resource_id=resource.id, user_id=a, note="for alice"))
        session.commit()
        return pair.id


def test_my_data_sends_everything_about_the_person_and_nothing_private_of_others(app: RunningApp) -> None:
    _program(app)
    before = time.time()
    response = app.driver.slash_command(ALICE.user_id, "my-data")
    assert response.status == 200 and response.elapsed < 3
    app.sandbox.wait_for("files.completeUploadExternal", after=before)
    upload = app.sandbox.uploaded_files[-1]
    assert upload.filename == privacy.EXPORT_FILENAME
    assert upload.channel_id == app.sandbox.dm_channel_id(ALICE.user_id)
    document = json.loads(upload.content)
    tables = document["tables"]
    assert tables["participant"][0]["user_id"] == ALICE.user_id
    assert "python" in tables["profile"][0]["skills_wanted"]
    assert tables["pair"][0]["mentor_user_id"] == BOB.user_id
    assert [a["answers"]["comment"] for a in tables["private_answer"]] == [SECRET_ANSWER]  # hers only
    assert {m["logged_by"] for m in tables["meeting"]} == {ALICE.user_id}
    assert [d["other_user_id"] for d in tables["do_not_pair"]] == ["U0CAROL003"]  # not Bob's list naming her
    assert {"reflection", "resource", "resource_share", "feedback_request", "introduction", "audit_log"} <= set(tables)
    assert [p["team_id"] for p in tables["networking_pref"]] == [TEAM_ID]  # not the other workspace's person
    assert "going fine" not in upload.content.decode()
    # every table that mentions her by a person column is covered, whatever its name
    covered = set(tables)
    for table in store.person_tables():
        if "team_id" in table.c and table.name not in covered:
            with app.sessions() as session:
                values = [v for t, _, v in store.stored_values(session=session) if t == table.name]
            assert ALICE.user_id not in values, table.name


def test_leave_removes_the_person_from_every_column_of_every_table(app_any_db: RunningApp) -> None:
    app = app_any_db
    pair_id = _program(app)
    with app.sessions() as session:
        assert any(ALICE.user_id in v for _, _, v in store.stored_values(session=session))
    before = time.time()
    assert app.driver.slash_command(ALICE.user_id, "leave").status == 200
    app.sandbox.wait_for("views.open", after=before)
    view = app.sandbox.views_opened(ALICE.user_id)[-1]
    assert view["callback_id"] == ids.LEAVE_VIEW
    assert app.driver.view_submission(ALICE.user_id, view, {}).status == 200
    done = app.sandbox.wait_for("chat.postMessage", lambda c: "data is deleted" in c.args.get("text", ""), after=before)
    assert "stay in Slack" in done.args["text"]  # the bot's past messages are Slack's, and it says so

    identifiers = [ALICE.user_id, "alice", f"{ALICE.user_id.lower()}@example.com", SECRET_ANSWER]
    with app.sessions() as session:
        leftovers = []
        for table in SQLModel.metadata.sorted_tables:  # SELECT * of every table
            for row in session.execute(table.select()).mappings().all():
                if row.get("team_id") == OTHER_TEAM:
                    continue
                for column, value in row.items():
                    if value is not None and any(i.lower() in str(value).lower() for i in identifiers):
                        leftovers.append((table.name, column, str(value)))
        other_team = session.exec(select(NetworkingPref).where(NetworkingPref.team_id == OTHER_TEAM)).all()
        pair = session.get(Pair, pair_id)
        bob_answers = session.exec(select(PrivateAnswer)).all()
        bob_list = session.exec(select(DoNotPair).where(DoNotPair.user_id == BOB.user_id)).one()
        departures = session.exec(select(AnonymousDeparture)).all()
        prompts = session.exec(select(ScheduledPrompt).where(ScheduledPrompt.pair_id == pair_id)).all()
        bob_topics = session.exec(select(Meeting.topics).where(Meeting.logged_by == BOB.user_id)).one()
    assert leftovers == [], leftovers[:10]
    assert bob_topics == f"{store.MENTION_REPLACEMENT}'s goals"  # only the mention token of her id went
    assert [p.user_id for p in other_team] == [ALICE.user_id]  # another workspace's person is untouched
    token = privacy.pseudonym(team_id=TEAM_ID, user_id=ALICE.user_id, secret=app.settings.pseudonym_key)
    assert pair is not None and pair.mentee_user_id == token and pair.mentor_user_id == BOB.user_id
    assert pair.status == PairStatus.CLOSED
    assert [a.respondent_user_id for a in bob_answers] == [BOB.user_id]  # his answer stays, hers is gone
    assert bob_list.other_user_id == token
    assert [(d.team_id, d.role) for d in departures] == [(TEAM_ID, Role.MENTEE)]
    assert all(p.status != PromptStatus.PENDING for p in prompts)
    # the pseudonym is stable and keyed: same input, same token; another secret, another token
    assert token == privacy.pseudonym(team_id=TEAM_ID, user_id=ALICE.user_id, secret=app.settings.pseudonym_key)
    assert token != privacy.pseudonym(team_id=TEAM_ID, user_id=ALICE.user_id, secret="other")
    assert len(SQLModel.metadata.sorted_tables) > 10  # the scan above really covered the schema
