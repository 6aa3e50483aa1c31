"""Learning from the program's own outcomes, through signed Slack requests to the real app.

One simulated program runs on a fake clock: 24 people sign up with the real modal, a coordinator runs and
publishes a round, and each pair behaves as its script says (diligent, lukewarm, silent, not a fit). Outcome
labels are checked against those scripts (the ground truth), the export against the profiles people had
when they were matched, and the "Learn from past cohorts" flow from the offer to applying, matching with the
model and reverting.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot import ids
from bot.cli import main
from bot.dispatch import Dispatcher
from bot.lifecycle import simulate as sim
from bot.matching.features import FACTOR_NAMES, pair_values
from bot.outcomes import labelled_pairs, training_arrays
from bot.profiles import Profile, Role
from bot.sandbox import SlackSandbox
from bot.sandbox import driver as slack
from bot.sandbox import forms as fill
from storage.models import AuditLog, MatchRound, Pair, ScheduledPrompt
from storage.models.learning import PairSnapshot, ScoringModel
from storage.vocab import EndReason, Outcome, ScoringModelStatus
from tests.conftest import COORDINATOR, TEAM_ID, RunningApp, start_app
from tests.helpers import open_modal, sign_up
from tests.round_steps import is_preview

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday
STRANGER = "U0STRANGER9"
SKILLS = ("python", "system design", "public speaking", "product strategy", "data analysis", "leadership")
SCRIPTS = ["diligent"] * 6 + ["lukewarm"] + ["silent"] * 3 + ["not_a_fit"] * 2
EXPECTED = {"diligent": Outcome.GOOD, "lukewarm": Outcome.UNLABELLED, "silent": Outcome.POOR, "not_a_fit": Outcome.POOR}


def _people() -> list[Profile]:
    people = []
    for k in range(12):
        people.append(
            Profile(
                user_id=f"U0MENTOR{k:02d}",
                role=Role.MENTOR,
                name=f"Mentor {k}",
                skills_offered=(SKILLS[k % 6], SKILLS[(k + 1) % 6], SKILLS[(k + 3) % 6])[: 1 + k % 3],
                department=("engineering", "sales", "design")[k % 3],
                industry="software",
                seniority=("senior", "staff", "principal")[k % 3],
                timezone="Europe/Berlin",
                days=("mon", "tue", "wed", "thu", "fri"),
                time_slots=("morning", "afternoon"),
                capacity=1,
                languages=("english",),
            )
        )
        people.append(
            Profile(
                user_id=f"U0MENTEE{k:02d}",
                role=Role.MENTEE,
                name=f"Mentee {k}",
                skills_wanted=(SKILLS[(k + 2) % 6], SKILLS[k % 6])[: 1 + k % 2],
                department=("engineering", "sales", "design", "finance")[k % 4],
                industry="software",
                seniority=("junior", "mid")[k % 2],
                timezone="Europe/Berlin",
                days=("tue", "wed", "thu"),
                time_slots=("afternoon",),
                languages=("english",),
            )
        )
    return people


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Program:
    app: RunningApp
    clock: Clock
    dispatcher: Dispatcher
    scripts: dict[int, str] = field(default_factory=dict)  # pair id -> what its people did (ground truth)
    edited: tuple[int, Profile, Profile] | None = None  # pair id, the mentee as matched, as edited later

    def run_until(self, end: datetime) -> None:
        """Move the clock to each due prompt in turn and dispatch it (months in seconds)."""
        while True:
            with self.app.sessions() as session:
                due = session.exec(
                    select(ScheduledPrompt.due_at)
                    .where(ScheduledPrompt.status == "pending", ScheduledPrompt.due_at <= end)
                    .order_by(ScheduledPrompt.due_at)
                ).first()
            if due is None:
                break
            self.clock.now = max(self.clock.now, due)
            self.dispatcher.run_until_idle(self.clock.now)
        self.clock.now = max(self.clock.now, end)

    def pairs(self) -> list[Pair]:
        with self.app.sessions() as session:
            return list(session.exec(select(Pair).order_by(Pair.id)).all())


def _wait(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.time() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.time() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.03)


def _preview_view(app: RunningApp, after: float) -> dict[str, Any]:
    call = app.sandbox.wait_for(
        "views.update",
        lambda c: is_preview(c.args.get("view") or {}),
        after=after,
        timeout=30,
    )
    return app.sandbox.view(call.args["view_id"])  # type: ignore[return-value]


def _latest_round(app: RunningApp) -> MatchRound:
    with app.sessions() as session:
        found = session.exec(select(MatchRound).order_by(MatchRound.id.desc())).first()  # type: ignore[union-attr]
        assert found is not None
        return found


def _click_dm(app: RunningApp, user_id: str, action_id: str) -> None:
    assert _wait(lambda: sim.find_button(app.sandbox.messages_to(user_id), action_id)), action_id
    assert sim.click_in_dm(app.driver, app.sandbox, user_id, action_id)


def _click_pair(app: RunningApp, user_id: str, channel: str, action_id: str) -> None:
    assert _wait(lambda: sim.find_button(app.sandbox.messages_in(channel), action_id)), action_id
    assert sim.click_in(app.driver, app.sandbox, user_id, channel, action_id)


def _run_program(app: RunningApp) -> Program:
    clock = Clock(START)
    app.services.clock = clock
    program = Program(app, clock, Dispatcher(app.services))
    app.sandbox.add_user(COORDINATOR, name="cora", real_name="Cora Coordinator", tz="Europe/Berlin")
    app.sandbox.add_user(STRANGER, name="sam", real_name="Sam Stranger", tz="Europe/Berlin")
    people = _people()
    for person in people:
        sign_up(app, person)

    # the coordinator runs and publishes a round
    started = time.time()
    assert app.driver.slash_command(COORDINATOR, "match").status == 200
    preview = _preview_view(app, started)
    assert app.driver.view_submission(COORDINATOR, preview, {}).json()["response_action"] == "update"
    pairs = _wait(
        lambda: (found := program.pairs()) and len(found) == 12 and all(p.channel_id for p in found) and found
    )
    program.dispatcher.run_until_idle(clock.now)
    program.scripts = {int(p.id or 0): script for p, script in zip(pairs, SCRIPTS, strict=True)}
    by_id = {p.user_id: p for p in people}

    # after publication, a diligent mentee changes what they want to learn
    first = pairs[0]
    before = by_id[first.mentee_user_id]
    after = replace(before, skills_wanted=("negotiation",), department="legal")
    view = open_modal(app, before.user_id, "profile")
    assert app.driver.view_submission(before.user_id, view, fill.signup_values(view, after)).status == 200
    app.sandbox.wait_for("chat.postMessage", lambda c: "updated" in c.args.get("text", ""))
    program.edited = (int(first.id or 0), before, after)

    # day 0: everyone but the silent pairs meets once; the fit check follows the first meeting
    for pair in pairs:
        script = program.scripts[int(pair.id or 0)]
        if script == "silent":
            continue
        assert sim.log_meeting(app.driver, app.sandbox, pair.mentee_user_id, pair.channel_id, clock.now.date())
        _wait(lambda pair=pair: sim.find_button(app.sandbox.messages_in(pair.channel_id), ids.PAIR_LOG_MEETING))
    program.dispatcher.run_until_idle(clock.now)
    for pair in pairs:
        script = program.scripts[int(pair.id or 0)]
        if script in ("diligent", "lukewarm"):
            _click_dm(app, pair.mentee_user_id, ids.FIT_GOOD)
        elif script == "not_a_fit":
            _click_dm(app, pair.mentee_user_id, ids.FIT_NOT)

    # day 14: the first check-in; diligent and lukewarm pairs say they reached their goals and close
    program.run_until(START + timedelta(days=17))
    for pair in pairs:
        script = program.scripts[int(pair.id or 0)]
        if script not in ("diligent", "lukewarm"):
            continue
        for person in (pair.mentee_user_id, pair.mentor_user_id):
            _click_pair(app, person, pair.channel_id, ids.PAIR_GOALS_ACHIEVED)

        def closure_offered(pair: Pair = pair) -> Any:
            # the second click's work follows its acknowledgement: run what it queued until the closure is posted
            program.dispatcher.run_until_idle(clock.now)
            return sim.find_button(app.sandbox.messages_in(pair.channel_id), ids.CLOSE_CLOSE)

        assert _wait(closure_offered)
        _click_pair(app, pair.mentee_user_id, pair.channel_id, ids.CLOSE_CLOSE)
        satisfaction = 5 if script == "diligent" else 3
        for person in (pair.mentee_user_id, pair.mentor_user_id):
            _wait(lambda person=person: sim.find_button(app.sandbox.messages_to(person), ids.SURVEY_OPEN))
            assert sim.answer_survey(app.driver, app.sandbox, person, satisfaction=satisfaction, recommend=9)

    # five weeks on, the quiet pairs are at risk; the coordinator ends them from App Home
    program.run_until(START + timedelta(days=40))
    quiet = [p for p in pairs if program.scripts[int(p.id or 0)] in ("silent", "not_a_fit")]
    for pair in quiet:
        before_open = len(app.sandbox.views_opened(COORDINATOR))
        published = time.time()
        app.driver.app_home_opened(COORDINATOR)
        app.sandbox.wait_for("views.publish", lambda c: c.args.get("user_id") == COORDINATOR, after=published)
        home = app.sandbox.home_view(COORDINATOR)
        assert f'"value": "{pair.id}"' in json.dumps(home) or f'"value":"{pair.id}"' in json.dumps(home)
        end = next(
            e
            for b in home["blocks"]
            for e in b.get("elements") or []
            if e.get("action_id") == ids.PAIR_DO_END and str(e.get("value", "")).startswith(f"{pair.id}:")
        )
        app.driver.block_action(COORDINATOR, ids.PAIR_DO_END, view=home, value=end["value"])
        modal = _wait(lambda b=before_open: app.sandbox.views_opened(COORDINATOR)[b:])[-1]
        reason = {ids.PAIR_CTL_REASON: {ids.INPUT: slack.radio_value(EndReason.INACTIVE)}}
        assert app.driver.view_submission(COORDINATOR, modal, reason).status == 200
        _wait(lambda pair=pair: [p for p in program.pairs() if p.id == pair.id and p.status == "closed"])
    assert all(p.status == "closed" for p in program.pairs())
    return program


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Program]:
    box = SlackSandbox(team_id=TEAM_ID)
    box.start()
    url = f"sqlite:///{tmp_path_factory.mktemp('learn') / 'mentorbot.db'}"
    running, server = start_app(url, box)
    try:
        yield _run_program(running)
    finally:
        server.stop()
        running.services.engine.dispose()
        box.stop()


def test_closed_pairs_are_labelled_from_what_their_people_did(program: Program) -> None:
    with program.app.sessions() as session:
        items = labelled_pairs(session=session, team_id=TEAM_ID)
    assert {int(i.pair.id or 0): i.label.outcome for i in items} == {
        pair_id: EXPECTED[script] for pair_id, script in program.scripts.items()
    }
    why = {program.scripts[int(i.pair.id or 0)]: i.label.why for i in items}
    assert "said not a fit" in why["not_a_fit"]
    assert "went silent and ended" in why["silent"]  # a coordinator ended them as inactive (/mentor pairs)


def test_outcomes_export_uses_the_profiles_as_matched(
    program: Program, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", program.app.settings.database_url)
    out = tmp_path / "outcomes.csv"
    assert main(["outcomes", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "12 closed pairs: 6 good, 5 poor, 1 unlabelled" in printed and "exported 11" in printed
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    by_pair = {(r["mentee_user_id"], r["mentor_user_id"]): r for r in rows}
    labels = {pair_id: EXPECTED[s] for pair_id, s in program.scripts.items()}
    for pair in program.pairs():
        expected = labels[int(pair.id or 0)]
        row = by_pair.get((pair.mentee_user_id, pair.mentor_user_id))
        if expected == Outcome.UNLABELLED:
            assert row is None
        else:
            assert row is not None and row["outcome"] == ("1" if expected == Outcome.GOOD else "0")
            assert row["mentee_name"] == "" and row["mentee_email"] == ""  # no names or emails leave
    # the mentee who edited their profile after publication is exported as they were matched
    assert program.edited is not None
    pair_id, before, after = program.edited
    pair = next(p for p in program.pairs() if p.id == pair_id)
    row = by_pair[(pair.mentee_user_id, pair.mentor_user_id)]
    assert row["mentee_skills_wanted"] == ";".join(before.skills_wanted) != ";".join(after.skills_wanted)
    assert row["mentee_department"] == before.department
    with program.app.sessions() as session:
        snapshot = session.exec(
            select(PairSnapshot).where(PairSnapshot.pair_id == pair_id, PairSnapshot.side == "mentee")
        ).one()
    assert snapshot.profile["skills_wanted"] == ";".join(before.skills_wanted)
    assert set(snapshot.factor_values) == set(FACTOR_NAMES)
    # and what learning trains on is the pair as matched, not as edited
    mentor = next(p for p in _people() if p.user_id == pair.mentor_user_id)
    with program.app.sessions() as session:
        items = [i for i in labelled_pairs(session=session, team_id=TEAM_ID) if i.usable]
    values, _, mentee_keys, mentor_keys = training_arrays(items)
    row = values[list(zip(mentee_keys, mentor_keys, strict=True)).index((pair.mentee_user_id, pair.mentor_user_id))]
    as_matched = [pair_values(before, mentor, week_of=START.date())[f] for f in FACTOR_NAMES]
    as_edited = [pair_values(after, mentor, week_of=START.date())[f] for f in FACTOR_NAMES]
    assert list(row) == as_matched != as_edited


def _program_modal(app: RunningApp) -> dict[str, Any]:
    """/mentor program, once its learning section is added (it follows the opening, after the outcomes are read)."""
    started = time.time()
    opened = open_modal(app, COORDINATOR, "program")
    update = app.sandbox.wait_for(
        "views.update",
        lambda c: c.args.get("view_id") == opened["id"] and "closed pair" in json.dumps(c.args.get("view")),
        after=started,
    )
    view = app.sandbox.view(update.args["view_id"])
    assert view is not None
    return view


def test_learn_from_past_cohorts_offer_apply_match_and_revert(program: Program) -> None:
    app = program.app
    # with the default minimum (200 labelled pairs) the modal only says how far there is to go
    modal = _program_modal(app)
    text = json.dumps(modal)
    assert ids.LEARN_OPEN not in text and "12 closed pairs so far: 6 went well, 5 didn't" in text

    app.services.learn_minimum = (10, 4)  # a program this small, for the flow
    modal = _program_modal(app)
    assert ids.LEARN_OPEN in json.dumps(modal)

    # someone who is not a coordinator cannot learn, even with a forged click
    app.driver.block_action(STRANGER, ids.LEARN_OPEN, view=modal, value="")
    refused = app.sandbox.wait_for("views.push", lambda c: "Coordinators only" in json.dumps(c.args.get("view")))
    assert refused is not None
    with app.sessions() as session:
        assert session.exec(select(ScoringModel)).all() == []

    # the coordinator learns: a modal at once, then the results
    pushed_at = time.time()
    assert app.driver.block_action(COORDINATOR, ids.LEARN_OPEN, view=modal, value="").status == 200
    running = app.sandbox.wait_for("views.push", after=pushed_at)
    assert "Learning from your closed pairs" in json.dumps(running.args["view"])
    update = app.sandbox.wait_for(
        "views.update",
        lambda c: "What mattered" in json.dumps(c.args.get("view"), ensure_ascii=False),
        after=pushed_at,
        timeout=60,
    )
    results = app.sandbox.view(update.args["view_id"])
    text = json.dumps(results, ensure_ascii=False)
    assert "Current weights" in text and "Learned model" in text and "95% interval" in text
    assert "6 pairs that went well and 5 that didn't" in text
    assert "Next round of" in text and "same pool" in text and "would get a different mentor" in text
    assert results["submit"]["text"] == "Apply to cohort"
    chart = app.sandbox.wait_for("files.completeUploadExternal", after=pushed_at, timeout=30)
    assert chart is not None
    with app.sessions() as session:
        candidate = session.exec(select(ScoringModel)).one()
        assert candidate.status == ScoringModelStatus.CANDIDATE  # nothing applied yet
        assert candidate.preview["pool"]["mentees"] == 12  # the same people are waiting again
        assert not session.exec(select(AuditLog).where(AuditLog.action == "cohort.scoring.apply")).all()

    # a forged submission is refused; the coordinator's applies once, audited
    refused_submit = app.driver.view_submission(STRANGER, results, {}).json()
    assert "Coordinators only" in json.dumps(refused_submit)
    first = app.driver.view_submission(COORDINATOR, results, {}).json()
    assert "now matches with the learned model" in json.dumps(first)
    with app.sessions() as session:
        assert session.get(ScoringModel, candidate.id).status == ScoringModelStatus.APPLIED  # type: ignore[union-attr]
        entry = session.exec(select(AuditLog).where(AuditLog.action == "cohort.scoring.apply")).one()
        assert (
            entry.actor == COORDINATOR
            and entry.detail["model"] == candidate.id
            and entry.detail["replaces"] == "weights"
        )

    # the next round scores pairs with the model, with reasons
    started = time.time()
    app.driver.slash_command(COORDINATOR, "match")
    _preview_view(app, started)
    result = _latest_round(app).result
    assert result["pairs"]
    assert all(set(p["factors"]) == set(FACTOR_NAMES) for p in result["pairs"])
    assert any(p["reasons"] for p in result["pairs"])

    # the program modal shows the model and reverts it, audited
    modal = _program_modal(app)
    assert ids.LEARN_REVERT in json.dumps(modal) and "learned model" in json.dumps(modal), modal["blocks"][-3:]
    reverted_at = time.time()
    app.driver.block_action(COORDINATOR, ids.LEARN_REVERT, view=modal, value="")
    done = app.sandbox.wait_for(
        "views.push", lambda c: "again" in json.dumps(c.args.get("view"), ensure_ascii=False), after=reverted_at
    )
    assert "matches with its weights again" in json.dumps(done.args["view"], ensure_ascii=False)
    with app.sessions() as session:
        assert session.get(ScoringModel, candidate.id).status == ScoringModelStatus.REVERTED  # type: ignore[union-attr]
        assert (
            session.exec(select(AuditLog).where(AuditLog.action == "cohort.scoring.revert")).one().actor == COORDINATOR
        )
    started = time.time()
    app.driver.slash_command(COORDINATOR, "match")
    _preview_view(app, started)
    assert all("org" in p["factors"] for p in _latest_round(app).result["pairs"])


def test_a_person_who_leaves_takes_their_snapshot_with_them(app: RunningApp) -> None:
    app.sandbox.add_user(COORDINATOR, name="cora", real_name="Cora Coordinator", tz="Europe/Berlin")
    mentor, mentee = _people()[:2]
    for person in (mentor, mentee):
        sign_up(app, person)
    started = time.time()
    app.driver.slash_command(COORDINATOR, "match")
    app.driver.view_submission(COORDINATOR, _preview_view(app, started), {})

    def snapshots() -> list[PairSnapshot]:
        with app.sessions() as session:
            return list(session.exec(select(PairSnapshot)).all())

    sides = {s.side: s.user_id for s in _wait(snapshots)}
    assert sides == {"mentee": mentee.user_id, "mentor": mentor.user_id}
    view = open_modal(app, mentee.user_id, "leave")
    assert app.driver.view_submission(mentee.user_id, view, {}).status == 200
    app.sandbox.wait_for("chat.postMessage", lambda c: "data is deleted" in c.args.get("text", ""))
    with app.sessions() as session:
        left = session.exec(select(PairSnapshot)).all()
        items = labelled_pairs(session=session, team_id=TEAM_ID)
    assert [(s.side, s.user_id) for s in left] == [("mentor", mentor.user_id)]  # the leaver's profile is gone
    assert not any(i.usable for i in items)  # and the pair can no longer be learned from
