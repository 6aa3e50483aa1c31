"""Match rounds a coordinator can trust: one live preview, a publish that re-checks everything, cohort pins and
forbids, honest reasons, /mentor pair that shows what it overrides. Every step is a signed request."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot import ids
from bot.sandbox import SlackSandbox
from bot.sandbox import driver as slack
from storage.models import AuditLog, MatchRound, Participant, ScheduledPrompt
from storage.vocab import RoundStatus
from tests.conftest import COORDINATOR, RunningApp, start_app
from tests.helpers import ALICE, BOB, sign_up
from tests.round_steps import (
    click,
    is_preview,
    meta,
    open_pairs,
    publish,
    rounds,
    rule,
    run_match,
    show_tab,
    text_of,
    wait_until,
    wait_view,
)
from tests.test_matching_flow import CAROL, DAN, ERIN

COORDINATOR_2 = "U0COORD002"
FRANK = replace(BOB, user_id="U0FRANK006", name="Frank Mentor", capacity=1)


def _cohort(app: RunningApp) -> None:
    for coordinator, name in ((COORDINATOR, "coord"), (COORDINATOR_2, "coord2")):
        app.sandbox.add_user(coordinator, name=name, real_name=name.title(), tz="Europe/Berlin")
    for person in (ALICE, BOB, CAROL, DAN, ERIN):
        sign_up(app, person)


@pytest.fixture
def two_coordinators(database_url: str, sandbox: SlackSandbox) -> Iterator[RunningApp]:
    """The app with two coordinators, on SQLite and on PostgreSQL."""
    running, server = start_app(database_url, sandbox, COORDINATOR_IDS=f"{COORDINATOR},{COORDINATOR_2}")
    _cohort(running)
    yield running
    server.stop()
    running.services.engine.dispose()


@pytest.fixture
def app5(app: RunningApp) -> RunningApp:
    _cohort(app)
    return app


def _live(app: RunningApp) -> list[MatchRound]:
    return [r for r in rounds(app) if r.status in (RoundStatus.RUNNING, RoundStatus.PREVIEW)]


def _assert_one_mentor_each_and_capacity(app: RunningApp) -> None:
    pairs = open_pairs(app)
    mentees = [p.mentee_user_id for p in pairs]
    assert len(mentees) == len(set(mentees)), mentees
    capacity = {BOB.user_id: BOB.capacity, CAROL.user_id: CAROL.capacity}
    for mentor, cap in capacity.items():
        assert sum(1 for p in pairs if p.mentor_user_id == mentor) <= cap
    assert not [p for p in pairs if p.mentee_user_id.startswith("gone:") or p.mentor_user_id.startswith("gone:")]


# ---------------------------------------------------------------------- defect 1: one live preview


def test_two_coordinators_running_match_at_once_leave_one_live_preview(two_coordinators: RunningApp) -> None:
    app = two_coordinators
    for attempt in range(3):
        barrier = threading.Barrier(2)

        def run(user: str, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            assert app.driver.slash_command(user, "match").status == 200

        threads = [threading.Thread(target=run, args=(u,)) for u in (COORDINATOR, COORDINATOR_2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wait_until(lambda n=attempt: len(rounds(app)) == 2 * (n + 1))
        wait_until(lambda: all(r.status != RoundStatus.RUNNING for r in rounds(app)))
        live = _live(app)
        assert len(live) == 1, [(r.id, r.status) for r in rounds(app)]
    # every earlier round was superseded: its buttons answer that it was replaced and change nothing
    assert [r.status for r in rounds(app)].count(RoundStatus.SUPERSEDED) == 5


def test_rerun_or_publish_in_a_replaced_preview_changes_nothing(two_coordinators: RunningApp) -> None:
    app = two_coordinators
    first = run_match(app, COORDINATOR)
    second = run_match(app, COORDINATOR_2)
    assert meta(first)["round"] != meta(second)["round"]
    told = app.sandbox.wait_for(
        "chat.postMessage", lambda c: c.args.get("channel") == COORDINATOR and "was replaced" in c.args.get("text", "")
    )
    assert f"<@{COORDINATOR_2}>" in told.args["text"]
    # Re-run in the older modal: it says it was replaced; the older round is not revived
    before = click(app, first, ids.MATCH_RERUN)
    answer = wait_view(app, after=before, view_id=first["id"], check=lambda v: "replaced" in text_of(v))
    assert "nothing was changed" in text_of(answer)
    time.sleep(0.3)
    statuses = {r.id: r.status for r in rounds(app)}
    assert statuses[meta(first)["round"]] == RoundStatus.SUPERSEDED
    assert statuses[meta(second)["round"]] == RoundStatus.PREVIEW
    # a pin from the older modal changes nothing either
    rule(app, first, "forbid", ALICE.user_id, BOB.user_id)
    time.sleep(0.3)
    with app.sessions() as session:
        from storage.models import CohortPairRule

        assert session.exec(select(CohortPairRule)).all() == []
    # publishing the older preview: "replaced", never "already published", and nothing created
    answer = publish(app, first)
    assert "replaced" in text_of(answer) and "already published" not in text_of(answer)
    assert open_pairs(app) == []
    # the live one publishes; a second click says who already published it
    published = publish(app, second, user=COORDINATOR_2)
    assert "Published *2 pairs*" in text_of(published)
    again = publish(app, second, user=COORDINATOR)
    assert "already published" in text_of(again) and f"<@{COORDINATOR_2}>" in text_of(again)
    _assert_one_mentor_each_and_capacity(app)
    assert len(open_pairs(app)) == 2


def test_a_discarded_preview_cannot_be_revived_or_published(app5: RunningApp) -> None:
    app = app5
    view = run_match(app)
    before = click(app, view, ids.MATCH_DISCARD)
    gone = wait_view(app, after=before, view_id=view["id"], check=lambda v: "discarded" in text_of(v))
    assert "nothing was changed" in text_of(gone)
    before = click(app, view, ids.MATCH_RERUN)
    wait_view(app, after=before, view_id=view["id"], check=lambda v: "discarded" in text_of(v))
    assert "discarded" in text_of(publish(app, view))
    assert [r.status for r in rounds(app)] == [RoundStatus.DISCARDED]
    assert open_pairs(app) == []


def _fail_pair_inserts(app: RunningApp, mentee: str) -> None:
    """Make the database itself refuse one pair (a trigger), as a full disk or a broken constraint would."""
    with app.services.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_pair BEFORE INSERT ON pair WHEN NEW.mentee_user_id = :m "
                    "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END".replace(":m", f"'{mentee}'")
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse_pair() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.mentee_user_id = '{mentee}' THEN RAISE EXCEPTION 'disk I/O error'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text("CREATE TRIGGER refuse_pair BEFORE INSERT ON pair FOR EACH ROW EXECUTE FUNCTION refuse_pair()")
            )


def _allow_pair_inserts(app: RunningApp) -> None:
    with app.services.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse_pair" + ("" if conn.dialect.name == "sqlite" else " ON pair")))


def test_a_publish_the_database_refuses_creates_nothing_and_says_so(two_coordinators: RunningApp) -> None:
    app = two_coordinators
    view = run_match(app)
    _fail_pair_inserts(app, DAN.user_id)  # the second of the two pairs
    answer = publish(app, view)
    assert "Publishing failed, and nothing was created" in text_of(answer)
    assert ids.MATCH_OPEN_PREVIEW in text_of(answer)  # one click back to the preview
    assert open_pairs(app) == []  # not even the first pair
    assert [r.status for r in rounds(app)] == [RoundStatus.PREVIEW]
    # App Home still offers the waiting preview, one click away
    before = time.time()
    app.driver.app_home_opened(COORDINATOR)
    home = app.sandbox.wait_for("views.publish", lambda c: c.args.get("user_id") == COORDINATOR, after=before)
    assert "Match preview waiting to be published" in text_of(home.args) and ids.MATCH_OPEN_PREVIEW in text_of(
        home.args
    )
    _allow_pair_inserts(app)
    assert "Published *2 pairs*" in text_of(publish(app, view))
    _assert_one_mentor_each_and_capacity(app)


# ---------------------------------------------------------------------- defect 2: publish re-checks the people


def test_publish_drops_a_pair_whose_mentee_paused_and_says_why(app5: RunningApp) -> None:
    app = app5
    view = run_match(app)
    assert "paused" in app.driver.slash_command(ALICE.user_id, "pause").json()["text"].lower()
    answer = text_of(publish(app, view))
    assert f"<@{ALICE.user_id}> → <@{BOB.user_id}>: the mentee has paused" in answer
    assert "Published *1 pair*" in answer
    assert [(p.mentee_user_id, p.mentor_user_id) for p in open_pairs(app)] == [(DAN.user_id, CAROL.user_id)]
    with app.sessions() as session:
        entry = session.exec(select(AuditLog).where(AuditLog.action == "match.publish")).one()
    assert entry.detail["dropped"][0]["reason"] == "the mentee has paused"


def test_publish_after_a_hand_pair_and_a_full_mentor_never_doubles_up(app5: RunningApp) -> None:
    app = app5
    view = run_match(app)  # Alice -> Bob, Dan -> Carol (capacity 1)
    # meanwhile: Dan is paired by hand with Bob, and Erin fills Carol's only place (with a stated reason)
    assert "Paired" in app.driver.slash_command(COORDINATOR, f"pair <@{DAN.user_id}> <@{BOB.user_id}>").json()["text"]
    made = app.driver.slash_command(COORDINATOR, f"pair <@{ERIN.user_id}> <@{CAROL.user_id}> she reads Japanese")
    assert "Paired" in made.json()["text"]
    answer = text_of(publish(app, view))
    assert f"<@{DAN.user_id}> → <@{CAROL.user_id}>: the mentee was paired meanwhile" in answer
    _assert_one_mentor_each_and_capacity(app)
    pairs = {(p.mentee_user_id, p.mentor_user_id) for p in open_pairs(app)}
    assert pairs == {(ALICE.user_id, BOB.user_id), (DAN.user_id, BOB.user_id), (ERIN.user_id, CAROL.user_id)}


def test_publish_drops_a_pair_with_a_full_mentor_and_re_solves_the_mentee(app5: RunningApp) -> None:
    app = app5
    view = run_match(app)  # Dan -> Carol (capacity 1)
    made = app.driver.slash_command(COORDINATOR, f"pair <@{ERIN.user_id}> <@{CAROL.user_id}> she reads Japanese")
    assert "Paired" in made.json()["text"]
    answer = text_of(publish(app, view))
    assert f"<@{DAN.user_id}> → <@{CAROL.user_id}>: the mentor is at capacity (1 of 1 mentees)" in answer
    _assert_one_mentor_each_and_capacity(app)
    dan = [p for p in open_pairs(app) if p.mentee_user_id == DAN.user_id]
    if dan:  # re-solved with the same solver against the places left (Bob has room)
        assert dan[0].mentor_user_id == BOB.user_id and "matched again with the same solver" in answer
    else:
        with app.sessions() as session:
            assert session.exec(select(Participant).where(Participant.user_id == DAN.user_id)).one().priority


def _leave(app: RunningApp, user_id: str) -> None:
    before = time.time()
    app.driver.slash_command(user_id, "leave")
    app.sandbox.wait_for("views.open", after=before)
    view = app.sandbox.views_opened(user_id)[-1]
    assert app.driver.view_submission(user_id, view, {}).status == 200
    wait_until(lambda: _participant(app, user_id) is None)


def _participant(app: RunningApp, user_id: str) -> Participant | None:
    with app.sessions() as session:
        return session.exec(select(Participant).where(Participant.user_id == user_id)).first()


def test_publish_after_a_leave_never_creates_a_pair_with_a_pseudonym(app5: RunningApp) -> None:
    app = app5
    view = run_match(app)
    _leave(app, ALICE.user_id)
    answer = text_of(publish(app, view))
    assert "the mentee has left the program" in answer
    assert ALICE.user_id not in answer  # the preview was scrubbed on leave; the answer does not name her
    _assert_one_mentor_each_and_capacity(app)
    with app.sessions() as session:
        kickoffs = session.exec(select(ScheduledPrompt)).all()
    assert not [k for k in kickoffs if "gone:" in (k.recipient_user_id or "")]


def test_publish_racing_a_hand_pair_gives_the_mentee_one_mentor(two_coordinators: RunningApp) -> None:
    app = two_coordinators
    view = run_match(app)  # Alice -> Bob
    barrier = threading.Barrier(2)
    answers: dict[str, str] = {}

    def publish_it() -> None:
        barrier.wait()
        answers["publish"] = text_of(publish(app, view))

    def pair_by_hand() -> None:
        barrier.wait()
        answers["pair"] = app.driver.slash_command(COORDINATOR_2, f"pair <@{ALICE.user_id}> <@{CAROL.user_id}>").body

    threads = [threading.Thread(target=publish_it), threading.Thread(target=pair_by_hand)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _assert_one_mentor_each_and_capacity(app)
    alice = [p for p in open_pairs(app) if p.mentee_user_id == ALICE.user_id]
    assert len(alice) == 1
    if alice[0].mentor_user_id == CAROL.user_id:  # the hand pair won: publish dropped her pair and said why
        assert "paired meanwhile" in answers["publish"]
    else:
        assert "already has a mentor" in answers["pair"]


# ---------------------------------------------------------------------- defect 3: pins and forbids


def _forbid(app: RunningApp, view: dict, mentee: str, mentor: str) -> dict:
    revision = meta(view)["revision"]
    before = rule(app, view, "forbid", mentee, mentor)
    return wait_view(
        app, after=before, view_id=view["id"], check=lambda v: is_preview(v) and meta(v)["revision"] > revision
    )


def test_a_forbid_applies_without_a_rerun_and_the_mentee_hears_a_true_reason(app5: RunningApp) -> None:
    app = app5
    view = run_match(app)
    assert f"<@{ALICE.user_id}> → <@{BOB.user_id}>" in text_of(view)
    view = _forbid(app, view, ALICE.user_id, BOB.user_id)  # the new plan gives Alice to Carol instead
    assert f"<@{ALICE.user_id}> → <@{CAROL.user_id}>" in text_of(view)
    rule(app, view, "forbid", ALICE.user_id, CAROL.user_id)
    answer = publish(app, view)  # at once, from the preview that still shows Alice with Carol
    if "newer revision" in text_of(answer):  # the new plan landed first: publish the latest
        revision = meta(view)["revision"]
        latest = wait_view(
            app, after=0, view_id=view["id"], check=lambda v: is_preview(v) and meta(v)["revision"] > revision
        )
        answer = publish(app, latest)
    assert "Published" in text_of(answer)
    made = {(p.mentee_user_id, p.mentor_user_id) for p in open_pairs(app)}
    assert not made & {(ALICE.user_id, BOB.user_id), (ALICE.user_id, CAROL.user_id)}
    told = app.sandbox.wait_for(
        "chat.postMessage",
        lambda c: c.args.get("channel") == ALICE.user_id and "first in line" in c.args.get("text", ""),
    )
    assert "a program coordinator decided against the mentors who fit you" in told.args["text"]
    assert "needed by mentees" not in told.args["text"]


def test_forbids_are_listed_by_name_persist_across_rounds_and_can_be_allowed_again(app5: RunningApp) -> None:
    app = app5
    view = run_match(app)
    view = _forbid(app, view, ALICE.user_id, BOB.user_id)
    pairs_text = text_of(view)
    assert "applied on the next re-run" not in pairs_text
    assert f"<@{ALICE.user_id}> → <@{BOB.user_id}>" not in pairs_text.split("Pairs, weakest first")[-1]
    rules_tab = show_tab(app, view, "rules")
    listed = text_of(rules_tab)
    assert f"<@{ALICE.user_id}> never with <@{BOB.user_id}>" in listed and "Allow again" in listed
    # a new /mentor match starts with the cohort's forbids
    fresh = run_match(app)
    assert f"<@{ALICE.user_id}> → <@{BOB.user_id}>" not in text_of(fresh)
    rules_tab = show_tab(app, fresh, "rules")
    assert f"<@{ALICE.user_id}> never with <@{BOB.user_id}>" in text_of(rules_tab)
    # allow again: the rule goes, the plan follows
    revision = meta(rules_tab)["revision"]
    before = click(app, rules_tab, ids.MATCH_RULE_REMOVE)
    allowed = wait_view(
        app, after=before, view_id=fresh["id"], check=lambda v: is_preview(v) and meta(v)["revision"] > revision
    )
    assert "No pins or forbids yet" in text_of(allowed)
    pairs_tab = show_tab(app, allowed, "pairs")
    assert f"<@{ALICE.user_id}> → <@{BOB.user_id}>" in text_of(pairs_tab)


def test_a_pin_whose_mentor_left_is_listed_not_dropped_silently(app5: RunningApp) -> None:
    app = app5
    view = run_match(app)
    revision = meta(view)["revision"]
    before = rule(app, view, "pin", DAN.user_id, CAROL.user_id)
    view = wait_view(
        app, after=before, view_id=view["id"], check=lambda v: is_preview(v) and meta(v)["revision"] > revision
    )
    assert ":pushpin:" in text_of(view)
    _leave(app, CAROL.user_id)
    fresh = run_match(app)
    assert "Pins not applied this round" in text_of(fresh)
    assert "the mentor has left the program" in text_of(fresh)


# ---------------------------------------------------------------------- defect 5: /mentor pair


def test_manual_pair_warns_about_roles_and_shows_what_a_reason_overrode(app5: RunningApp) -> None:
    app = app5
    answer = app.driver.slash_command(COORDINATOR, f"pair <@{BOB.user_id}> <@{CAROL.user_id}>").json()["text"]
    assert f"<@{BOB.user_id}> signed up as a mentor only" in answer and "give a reason" in answer
    answer = app.driver.slash_command(COORDINATOR, f"pair <@{DAN.user_id}> <@{ERIN.user_id}>").json()["text"]
    assert f"<@{ERIN.user_id}> signed up as a mentee only" in answer and "0 of 0" not in answer
    answer = app.driver.slash_command(
        COORDINATOR, f"pair <@{ERIN.user_id}> <@{BOB.user_id}> because Bob is learning Japanese"
    ).json()["text"]
    assert "Paired" in answer and "You overrode:" in answer and "they share no language" in answer
    assert "in *Mentorship program*" in answer
    with app.sessions() as session:
        entry = session.exec(select(AuditLog).where(AuditLog.action == "pair.manual")).one()
    assert "they share no language" in entry.detail["overrode"] and entry.reason == "because Bob is learning Japanese"


# ---------------------------------------------------------------------- a person in an active pair


def test_someone_in_an_active_pair_is_not_listed_unmatched_unless_they_asked_for_another_mentor(
    app5: RunningApp,
) -> None:
    app = app5
    publish(app, run_match(app))  # Alice -> Bob, Dan -> Carol; Erin unmatched
    unmatched = text_of(show_tab(app, run_match(app), "unmatched"))
    assert f"<@{ERIN.user_id}>" in unmatched
    assert f"<@{ALICE.user_id}>" not in unmatched and f"<@{DAN.user_id}>" not in unmatched
    # Alice says something is not right and asks for another mentor (her pair stays open meanwhile)
    kickoff = wait_until(
        lambda: [
            m
            for m in app.sandbox.messages_in(_pair_channel(app, ALICE.user_id))
            if ids.PAIR_CONCERN in json.dumps(m.get("blocks") or [])
        ]
    )
    before = time.time()
    app.driver.block_action(ALICE.user_id, ids.PAIR_CONCERN, message=kickoff[-1])
    app.sandbox.wait_for("views.open", after=before)
    concern = app.sandbox.views_opened(ALICE.user_id)[-1]
    values = slack.values_for(concern, {})
    values[ids.CONCERN_TEXT] = {ids.INPUT: slack.text_value("we don't click")}
    assert app.driver.view_submission(ALICE.user_id, concern, values).status == 200
    offer = wait_until(
        lambda: [m for m in app.sandbox.messages_to(ALICE.user_id) if ids.REMATCH_YES in json.dumps(m["blocks"])]
    )
    app.driver.block_action(ALICE.user_id, ids.REMATCH_YES, message=offer[-1])
    wait_until(lambda: (_participant(app, ALICE.user_id) or Participant()).priority)
    sign_up(app, FRANK)  # a new mentor with a free place
    preview = run_match(app)
    assert "1 mentee asked for another mentor" in text_of(preview)
    assert f"<@{ALICE.user_id}> → <@{FRANK.user_id}>" in text_of(preview) and "(asked for another mentor)" in text_of(
        preview
    )
    assert "Published *1 pair*" in text_of(publish(app, preview))
    # her new mentor replaces the old pair, which is closed; Bob is told kindly, without the why
    alice = [p for p in open_pairs(app) if p.mentee_user_id == ALICE.user_id]
    assert [p.mentor_user_id for p in alice] == [FRANK.user_id]
    ended = app.sandbox.wait_for(
        "chat.postMessage", lambda c: c.args.get("channel") == BOB.user_id and "has ended" in c.args.get("text", "")
    )
    assert "click" not in ended.args["text"]


def _pair_channel(app: RunningApp, mentee: str) -> str:
    pair = wait_until(lambda: [p for p in open_pairs(app) if p.mentee_user_id == mentee and p.channel_id])
    return pair[0].channel_id


def test_a_non_coordinator_cannot_discard_remove_rules_or_change_carry_over(app5: RunningApp) -> None:
    from storage.models import CohortPairRule

    app = app5
    view = _forbid(app, run_match(app), ALICE.user_id, BOB.user_id)
    rules_tab = show_tab(app, view, "rules")
    seen = len(app.sandbox.messages_to(ALICE.user_id))
    for action_id in (ids.MATCH_DISCARD, ids.MATCH_RULE_REMOVE, ids.MATCH_RERUN):
        click(app, rules_tab, action_id, user=ALICE.user_id)
    refused = wait_until(lambda: app.sandbox.messages_to(ALICE.user_id)[seen:])
    assert "only the program's coordinators" in refused[0]["text"]
    time.sleep(0.3)
    assert [r.status for r in rounds(app)] == [RoundStatus.PREVIEW]
    with app.sessions() as session:
        assert len(session.exec(select(CohortPairRule)).all()) == 1
    forged = app.driver.view_submission(ALICE.user_id, rules_tab, {})
    assert "only the program's coordinators" in forged.body
    assert open_pairs(app) == []


def test_publish_racing_a_pause_and_a_leave_stays_consistent(two_coordinators: RunningApp) -> None:
    app = two_coordinators
    view = run_match(app)  # Alice -> Bob, Dan -> Carol
    before = time.time()
    app.driver.slash_command(DAN.user_id, "leave")  # Dan's confirmation modal is open: he submits during the race
    app.sandbox.wait_for("views.open", after=before)
    leave_modal = app.sandbox.views_opened(DAN.user_id)[-1]
    barrier = threading.Barrier(3)
    answers: dict[str, str] = {}

    def publish_it() -> None:
        barrier.wait()
        answers["publish"] = text_of(publish(app, view))

    def pause_alice() -> None:
        barrier.wait()
        app.driver.slash_command(ALICE.user_id, "pause")

    def dan_leaves() -> None:
        barrier.wait()
        app.driver.view_submission(DAN.user_id, leave_modal, {})

    threads = [threading.Thread(target=f) for f in (publish_it, pause_alice, dan_leaves)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wait_until(lambda: _participant(app, DAN.user_id) is None)
    _assert_one_mentor_each_and_capacity(app)
    made = {(p.mentee_user_id, p.mentor_user_id) for p in open_pairs(app)}
    # whichever came first, the answer tells the truth about each pair
    alice_dropped = f"<@{ALICE.user_id}> → <@{BOB.user_id}>: the mentee has paused" in answers["publish"]
    assert alice_dropped != ((ALICE.user_id, BOB.user_id) in made)
    assert not [p for p in made if DAN.user_id in p]  # a pair made before he left was closed when he left
