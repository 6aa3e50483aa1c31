"""Cohorts that never strand people: a lifecycle (open, matching, running, closed), commands that name their cohort
and ask when several are open, people carried over visibly, figures that don't jump to an empty new cohort; and
the audit log that names people, overrides and counts, filters and exports."""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import replace

from sqlmodel import select

from bot import ids
from bot.profiles import Role
from storage.models import AuditLog, Cohort, Participant
from storage.vocab import CohortStatus
from tests.conftest import COORDINATOR, RunningApp
from tests.helpers import ALICE, BOB, sign_up
from tests.round_steps import click, open_pairs, publish, run_match, save_program, show_tab, text_of, wait_view
from tests.test_matching_flow import CAROL, DAN, ERIN

# a mentor who fits Erin (Japanese, Saturday mornings in Tokyo), joining the new cohort
GINA = replace(
    ERIN,
    user_id="U0GINA0007",
    name="Gina Mentor",
    role=Role.MENTOR,
    skills_offered=("python",),
    skills_wanted=(),
    seniority="staff",
    capacity=2,
)


def _statuses(app: RunningApp) -> dict[str, str]:
    with app.sessions() as session:
        return {c.name: c.status for c in session.exec(select(Cohort)).all()}


def _home(app: RunningApp) -> str:
    before = time.time()
    app.driver.app_home_opened(COORDINATOR)
    call = app.sandbox.wait_for("views.publish", lambda c: c.args.get("user_id") == COORDINATOR, after=before)
    return text_of(call.args["view"])


def _first_round(app: RunningApp) -> None:
    app.sandbox.add_user(COORDINATOR, name="coord", real_name="Coordinator", tz="Europe/Berlin")
    for person in (ALICE, BOB, CAROL, DAN, ERIN):
        sign_up(app, person)
    assert _statuses(app) == {"Mentorship program": CohortStatus.OPEN}
    view = run_match(app)
    assert "Match preview · Mentorship program" in text_of(view)
    assert _statuses(app) == {"Mentorship program": CohortStatus.MATCHING}
    publish(app, view)  # Alice -> Bob, Dan -> Carol; Erin unmatched (no shared language)
    assert _statuses(app) == {"Mentorship program": CohortStatus.RUNNING}


def _choose(app: RunningApp, reply: dict, label: str) -> float:
    message = {**reply, "channel": "C0GENERAL", "is_ephemeral": True}
    button = next(
        e
        for b in reply["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"].startswith(label)
    )
    before = time.time()
    response = app.driver.block_action(COORDINATOR, button["action_id"], value=button["value"], message=message)
    assert response.status == 200
    return before


def test_a_new_cohort_carries_over_who_the_old_one_left_waiting_and_figures_do_not_jump(app: RunningApp) -> None:
    _first_round(app)
    save_program(app, "Autumn")
    assert _statuses(app) == {"Mentorship program": CohortStatus.RUNNING, "Autumn": CohortStatus.OPEN}
    # the new, empty cohort does not take over the figures
    home = _home(app)
    assert "*Cohort:* Mentorship program" in home and "Also open: Autumn" in home
    stats = app.driver.slash_command(COORDINATOR, "stats").json()
    assert "Several cohorts are open" in stats["text"] and "Autumn" in text_of(stats["blocks"])
    export = app.driver.slash_command(COORDINATOR, "export").json()
    assert "Several cohorts are open" in export["text"]
    # Gina signs up: she joins the cohort taking signups
    sign_up(app, GINA)
    with app.sessions() as session:
        gina = session.exec(select(Participant).where(Participant.user_id == GINA.user_id)).one()
        autumn = session.exec(select(Cohort).where(Cohort.name == "Autumn")).one()
    assert gina.cohort_id == autumn.id
    # /mentor match asks which cohort
    reply = app.driver.slash_command(COORDINATOR, "match").json()
    assert "Which one do you want to match?" in reply["text"]
    before = _choose(app, reply, "Match Autumn")
    view = wait_view(app, after=before, check=lambda v: "Match preview · Autumn" in text_of(v))
    shown = text_of(view)
    assert "Carried over from Mentorship program: 1 waiting mentee" in shown  # Erin, unmatched there
    assert f"<@{ERIN.user_id}> → <@{GINA.user_id}>" in shown and "carried over from Mentorship program" in shown
    carried = text_of(show_tab(app, view, "carried"))
    assert f"<@{ERIN.user_id}> (mentee, from Mentorship program)" in carried
    assert f"<@{BOB.user_id}> (mentor, from Mentorship program)" in carried  # free places carry over too
    assert f"<@{ALICE.user_id}>" not in carried  # in an active pair: not waiting
    answer = text_of(publish(app, view))
    assert "Published *1 pair* in *Autumn*" in answer
    with app.sessions() as session:
        erin = session.exec(select(Participant).where(Participant.user_id == ERIN.user_id)).one()
    assert erin.cohort_id == autumn.id and not erin.priority
    assert {(p.mentee_user_id, p.mentor_user_id, p.cohort_id) for p in open_pairs(app)} >= {
        (ERIN.user_id, GINA.user_id, autumn.id)
    }
    assert _statuses(app)["Autumn"] == CohortStatus.RUNNING


def test_carry_over_can_be_turned_off_and_closing_a_cohort_keeps_its_people(app: RunningApp) -> None:
    _first_round(app)
    save_program(app, "Autumn", options={"carry_over": False})
    sign_up(app, GINA)
    reply = app.driver.slash_command(COORDINATOR, "match Autumn")
    assert reply.status == 200
    view = wait_view(app, after=0, check=lambda v: "Match preview · Autumn" in text_of(v))
    assert "Carried over" not in text_of(view).split("Pairs, weakest first")[0]
    carried = show_tab(app, view, "carried")
    assert "Carry-over is *off*" in text_of(carried)
    # turned back on from the preview: the plan follows, with Erin
    before = click(app, carried, ids.MATCH_CARRY)
    view = wait_view(app, after=before, view_id=view["id"], check=lambda v: "Carried over from" in text_of(v))
    with app.sessions() as session:
        entry = session.exec(select(AuditLog).where(AuditLog.action == "cohort.carry_over")).one()
    assert entry.detail == {"cohort": "Autumn", "carry_over": True}
    # the coordinator closes the first cohort from /mentor cohorts
    listing = app.driver.slash_command(COORDINATOR, "cohorts").json()
    assert "*Mentorship program*" in text_of(listing) and "running" in text_of(listing)
    assert "leaves 1 mentee waiting" in text_of(listing)
    message = {**listing, "channel": "C0GENERAL", "is_ephemeral": True}
    first_id = str(_cohort_id(app, "Mentorship program"))
    before = time.time()
    app.driver.block_action(COORDINATOR, ids.COHORT_CLOSE, value=first_id, message=message)
    app.sandbox.wait_for("views.open", after=before)
    confirm = app.sandbox.views_opened(COORDINATOR)[-1]
    assert "1 mentee it left waiting" in text_of(confirm)
    assert app.driver.view_submission(COORDINATOR, confirm, {}).status == 200
    app.sandbox.wait_for(
        "chat.postMessage", lambda c: c.args.get("channel") == COORDINATOR and "is closed" in c.args.get("text", "")
    )
    assert _statuses(app)["Mentorship program"] == CohortStatus.CLOSED
    assert len([p for p in open_pairs(app) if p.cohort_id == _cohort_id(app, "Mentorship program")]) == 2
    refused = app.driver.slash_command(COORDINATOR, "match Mentorship program").json()["text"]
    assert "is closed" in refused
    # only Autumn is open now: /mentor match goes straight to it, Erin still carried over
    view = run_match(app)
    assert "Match preview · Autumn" in text_of(view) and "Carried over from Mentorship program" in text_of(view)


def _cohort_id(app: RunningApp, name: str) -> int:
    with app.sessions() as session:
        return int(session.exec(select(Cohort).where(Cohort.name == name)).one().id or 0)


def test_the_audit_log_names_people_overrides_and_counts_and_filters_and_exports(app: RunningApp) -> None:
    _first_round(app)
    made = app.driver.slash_command(COORDINATOR, f"pair <@{ERIN.user_id}> <@{BOB.user_id}> Bob is learning Japanese")
    assert "You overrode" in made.json()["text"]
    save_program(app, "Mentorship program", numbers={ids.PROGRAM_WEIGHTS: "skills = 0.5\ngoals = 0.15"})
    save_program(app, "Mentorship program", numbers={ids.PROGRAM_SKILLS: "Python\nRust"})
    app.driver.slash_command(COORDINATOR, "stats")
    app.sandbox.wait_for("files.completeUploadExternal", timeout=30)
    log = text_of(app.driver.slash_command(COORDINATOR, "audit").json())
    assert "published round #1 of *Mentorship program*: 2 pairs, 1 unmatched" in log
    assert (
        f"paired <@{ERIN.user_id}> with <@{BOB.user_id}> by hand" in log and "overrode: they share no language" in log
    )
    assert "Bob is learning Japanese" in log
    assert "weights skills 0.3→0.5" in log
    assert "taxonomy +2" in log
    assert "posted the stats of *Mentorship program*" in log
    # filters: by person, by action family
    about_erin = text_of(app.driver.slash_command(COORDINATOR, f"audit <@{ERIN.user_id}>").json())
    assert "*pair.manual*" in about_erin and "*match.publish*" not in about_erin and "*cohort.update*" not in about_erin
    matching = text_of(app.driver.slash_command(COORDINATOR, "audit match").json())
    assert "*match.publish*" in matching and "*match.run*" in matching and "*pair.manual*" not in matching
    # CSV export of the same filter, by DM
    before = len(app.sandbox.uploaded_files)
    app.driver.slash_command(COORDINATOR, f"audit <@{ERIN.user_id}> export")
    deadline = time.time() + 10
    while len(app.sandbox.uploaded_files) == before and time.time() < deadline:
        time.sleep(0.05)
    upload = app.sandbox.uploaded_files[-1]
    rows = list(csv.DictReader(io.StringIO(upload.content.decode("utf-8"))))
    assert rows and all(ERIN.user_id in (r["people"] + r["detail"] + r["target"]) for r in rows)
    manual = next(r for r in rows if r["action"] == "pair.manual")
    assert "they share no language" in json.loads(manual["detail"])["overrode"]
    assert manual["reason"] == "Bob is learning Japanese"
