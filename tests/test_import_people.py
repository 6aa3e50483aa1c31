"""HR import: `mentorbot import people.csv` and the Slack upload read files the same way; rows with problems are
named by line and left out, and the other rows are imported only once a coordinator confirms."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot import ids
from bot.cli import main
from bot.hr_import import import_people, parse_people_csv, read_people_file
from bot.sandbox import forms as fill
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import AuditLog, HrImport, Participant, Profile
from storage.vocab import ImportStatus, Role
from tests.conftest import BOT_TOKEN, COORDINATOR, RunningApp
from tests.flows import eventually, pair_by_hand
from tests.helpers import ALICE, BOB, open_modal, sign_up
from tests.test_coordinator_seed import NOW, TEAM, add_cohort, add_person

GOOD = """user_id,email,manager,department,seniority
U0ALICE001,alice@example.com,bob@example.com,Data Platform,junior
,bob@example.com,U0CAROL001,Engineering,staff
U0NOTHERE1,,U0CAROL001,Sales,
"""
BAD = """user_id,email,manager,department,seniority
U0ALICE001,alice@example.com,bob@example.com,Data Platform,junior
not-an-id,,U0CAROL001,Engineering,
U0BOB00002,bob@example,U0CAROL001,Engineering,
U0CAROL001,carol@example.com,U0CAROL001,Engineering,
U0ALICE001,,,Sales,
U0DAVE0001,,,Sales,wizard
"""
CAROL = replace(BOB, user_id="U0CAROL001", name="Carol Lead", capacity=1)
DAVE = replace(ALICE, user_id="U0DAVE0001", name="Dave Mentee")


def _people(session: Session) -> None:
    cohort = add_cohort(session)
    add_person(session, "U0ALICE001", Role.MENTEE, cohort, email="alice@example.com")
    add_person(session, "U0BOB00002", Role.MENTOR, cohort, email="bob@example.com")
    session.commit()


def _profiles(session: Session) -> dict[str, tuple[str | None, str, str]]:
    rows = session.exec(
        select(Participant.user_id, Profile.manager_id, Profile.department, Profile.seniority).join(
            Profile, Profile.participant_id == Participant.id
        )
    ).all()
    return {u: (m, d, s) for u, m, d, s in rows}


# ---------------------------------------------------------------------- the reader (pure) and the plan


def test_good_file_sets_managers_by_email_or_id_in_one_go(engine: Engine) -> None:
    with Session(engine) as session:
        _people(session)
        report = import_people(session=session, team_id=TEAM, text=GOOD, actor=COORDINATOR, now=NOW)
        assert report.ok and report.updated == 2
        assert report.skipped == [(4, "U0NOTHERE1 is not in the program")]
        assert _profiles(session) == {
            "U0ALICE001": ("U0BOB00002", "data platform", "junior"),  # manager's email resolved to their Slack ID
            "U0BOB00002": ("U0CAROL001", "engineering", "staff"),
        }
        audit = session.exec(select(AuditLog)).one()
        assert audit.action == "people.import" and audit.detail == {"updated": 2, "skipped": 1, "left_out": 0}
        assert "Imported HR fields for 2 people." in report.summary()


def test_rows_with_problems_are_named_and_nothing_is_written_until_confirmed(engine: Engine) -> None:
    with Session(engine) as session:
        _people(session)
        before = _profiles(session)
        report = import_people(session=session, team_id=TEAM, text=BAD, actor=COORDINATOR, now=NOW)
        assert not report.applied and report.updated == 0 and report.plan.needs_confirmation
        assert [line for line, _ in report.errors] == [3, 4, 5, 6, 7]
        summary = report.summary()
        assert "Nothing is imported yet: 5 rows have problems" in summary and "1 other row can be imported" in summary
        assert "line 3: 'not-an-id' is not a Slack user id" in summary
        assert "line 4: 'bob@example' is not an email address" in summary
        assert "line 5: a person cannot be their own manager" in summary
        assert "line 6: U0ALICE001 already appears on line 2" in summary
        assert "line 7: seniority 'wizard' is not one of" in summary
    with Session(engine) as session:
        assert _profiles(session) == before
        assert session.exec(select(AuditLog)).all() == []
        confirmed = import_people(session=session, team_id=TEAM, text=BAD, actor=COORDINATOR, now=NOW, confirmed=True)
        assert confirmed.applied and confirmed.updated == 1
        assert _profiles(session)["U0ALICE001"] == ("U0BOB00002", "data platform", "junior")  # line 2 only
        assert "Left out:" in confirmed.summary()


def test_extra_columns_are_ignored_with_a_note_and_semicolons_are_sniffed() -> None:
    parsed = parse_people_csv("email;salary;department\na@b.co;100;Sales\n")
    assert [(r.email, r.department) for r in parsed.rows] == [("a@b.co", "sales")]
    assert parsed.problems == [] and not parsed.refused
    assert "Ignored column salary." in parsed.notes
    assert parse_people_csv("").refused.startswith("the file is empty")
    assert "user_id or an email column" in parse_people_csv("department\nSales\n").refused
    # a comma inside a quoted field does not fool the sniffer
    assert [r.department for r in parse_people_csv('email;department\na@b.co;"Sales, EMEA"\n').rows] == ["sales, emea"]


def test_manager_id_is_kept_when_manager_email_is_empty() -> None:
    parsed = parse_people_csv("user_id,manager_id,manager_email\nU0ALICE001,U0BOB00002,\nU0DAVE0001,,c@d.co\n")
    assert [(r.user_id, r.manager) for r in parsed.rows] == [("U0ALICE001", "U0BOB00002"), ("U0DAVE0001", "c@d.co")]


def test_utf8_with_or_without_bom_is_read_and_anything_else_is_refused_with_the_reason() -> None:
    text = "email,department\nzoe@example.com,Recherche & Développement\n"
    for raw in (text.encode("utf-8"), b"\xef\xbb\xbf" + text.encode("utf-8")):
        parsed = read_people_file(raw)
        assert [r.department for r in parsed.rows] == ["recherche & développement"] and not parsed.refused
    refused = read_people_file(text.encode("cp1252"))
    assert refused.rows == [] and "not UTF-8" in refused.refused and "line 2" in refused.refused
    assert "0xE9" in refused.refused and "CSV UTF-8" in refused.refused


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('abU0@.,"\n \r;x1')), max_size=200))
def test_parsing_any_text_never_raises_and_rows_or_errors_name_real_lines(text: str) -> None:
    parsed = parse_people_csv("user_id,email,manager,department\n" + text)
    lines = text.count("\n") + text.count("\r") + 2
    for row in parsed.rows:
        assert 2 <= row.line <= lines and (row.user_id or row.email)
    for line, message in parsed.problems:
        assert 0 <= line <= lines and message


# ---------------------------------------------------------------------- the command line


def test_cli_import_asks_for_yes_before_importing_around_bad_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        _people(session)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    bad, good, latin = tmp_path / "bad.csv", tmp_path / "people.csv", tmp_path / "latin.csv"
    bad.write_text(BAD)
    good.write_text(GOOD)
    latin.write_bytes("email,department\nalice@example.com,Développement\n".encode("cp1252"))
    assert main(["import", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "line 3:" in out and "Run again with --yes to import them." in out
    with Session(engine) as session:
        assert _profiles(session)["U0ALICE001"][0] is None
    assert main(["import", str(latin)]) == 1  # the same reader as the Slack upload: refused with the reason
    assert "not UTF-8" in capsys.readouterr().out
    assert main(["import", str(bad), "--yes"]) == 0
    assert "Imported HR fields for 1 person." in capsys.readouterr().out
    assert main(["import", str(good)]) == 0
    assert "Imported HR fields for 2 people" in capsys.readouterr().out
    with Session(engine) as session:
        assert _profiles(session)["U0ALICE001"][0] == "U0BOB00002"
    engine.dispose()


# ---------------------------------------------------------------------- the Slack upload, through the real app


def _upload(app: RunningApp, content: bytes, name: str = "people.csv") -> dict[str, str]:
    client = WebClient(base_url=app.sandbox.url, token=BOT_TOKEN)
    client.files_upload_v2(content=content, filename=name, title="people", request_file_info=False)
    uploaded = app.sandbox.uploaded_files[-1]
    url = f"{app.sandbox.base}/files/{uploaded.file_id}/{name}?download=1"
    return {"id": uploaded.file_id, "name": name, "url_private_download": url}


def _submit_file(app: RunningApp, content: bytes, hash_: str) -> dict[str, Any]:
    """Upload ``content`` through the import modal; returns the report DM that follows."""
    before = len(app.sandbox.messages_to(COORDINATOR))
    view = {**open_modal(app, COORDINATOR, "import"), "hash": hash_}
    values = {ids.IMPORT_FILE: {ids.INPUT: {"type": "file_input", "files": [_upload(app, content)]}}}
    response = app.driver.view_submission(COORDINATOR, view, values)
    assert response.status == 200 and not response.body.strip(), response.body
    return eventually(lambda: app.sandbox.messages_to(COORDINATOR)[before:])[-1]


def _click(app: RunningApp, action_id: str, message: dict[str, Any]) -> None:
    assert app.driver.block_action(COORDINATOR, action_id, message=message).status == 200


def _hr(app: RunningApp) -> dict[str, tuple[str | None, str, str]]:
    with app.sessions() as session:
        return _profiles(session)


@pytest.fixture
def workspace(app: RunningApp) -> RunningApp:
    """Alice (mentee), Bob and Carol (mentors) and Dave (mentee) signed up through the real modal."""
    app.sandbox.add_user(COORDINATOR, name="cora", real_name="Cora Coordinator", tz="Europe/London")
    for person in (ALICE, BOB, CAROL, DAVE):
        sign_up(app, person)
    eventually(lambda: all(p.display_name != p.user_id.lower() for p in _participants(app)))
    return app


def _participants(app: RunningApp) -> list[Participant]:
    with app.sessions() as session:
        return list(session.exec(select(Participant)).all())


def test_a_latin1_upload_is_refused_with_the_reason_and_nothing_is_stored_garbled(workspace: RunningApp) -> None:
    app = workspace
    content = "email,department\nu0alice001@example.com,Développement\n".encode("cp1252")
    report = _submit_file(app, content, "latin")
    assert "not UTF-8" in report["text"] and "CSV UTF-8" in json.dumps(report["blocks"])
    assert _hr(app)[ALICE.user_id][1] == ALICE.department  # not "d\ufffdveloppement"
    with app.sessions() as session:
        assert session.exec(select(HrImport)).one().status == ImportStatus.REFUSED


def test_rows_with_problems_wait_for_confirmation_then_the_rest_is_imported_once(workspace: RunningApp) -> None:
    app = workspace
    content = (
        "\ufeffuser_id;manager_email;manager_id;department;cost_centre\n"  # BOM, semicolons, an unknown column
        f"{ALICE.user_id};u0bob00002@example.com;;Data Platform;CC-1\n"
        f"{DAVE.user_id};;{CAROL.user_id};Finance;CC-2\n"  # manager_id kept though manager_email is empty
        f"{CAROL.user_id};nobody@example.com;;Engineering;CC-3\n"  # no Slack user has this email
        f"{BOB.user_id};;{BOB.user_id};Engineering;CC-4\n"  # manages himself
    ).encode()
    report = _submit_file(app, content, "staged")
    text = json.dumps(report["blocks"])
    assert "Nothing is imported yet: 2 rows have problems" in report["text"]
    assert "line 4: no Slack user has the manager's email nobody@example.com" in text
    assert "line 5: a person cannot be their own manager" in text
    assert "Ignored column cost_centre." in text and "semicolons" in text
    assert ids.IMPORT_CONFIRM in text and "Import 2 rows" in text
    assert _hr(app)[ALICE.user_id] == (None, ALICE.department, ALICE.seniority)  # nothing yet

    _click(app, ids.IMPORT_CONFIRM, report)
    eventually(lambda: _hr(app)[ALICE.user_id][1] == "data platform")
    hr = _hr(app)
    assert hr[ALICE.user_id][0] == BOB.user_id and hr[DAVE.user_id][:2] == (CAROL.user_id, "finance")
    assert hr[CAROL.user_id][1] == CAROL.department and hr[BOB.user_id][0] is None  # left out
    done = eventually(lambda: [c for c in app.sandbox.calls_for("chat.update") if "Imported" in c.args.get("text", "")])
    assert "Imported HR fields for 2 people." in done[-1].args["text"]
    _click(app, ids.IMPORT_CONFIRM, report)  # a second click imports nothing twice
    eventually(lambda: any("already decided" in c.args.get("text", "") for c in app.sandbox.calls_for("chat.update")))
    with app.sessions() as session:
        assert [a.action for a in session.exec(select(AuditLog)).all()].count("people.import") == 1
        assert session.exec(select(HrImport)).one().plan is None  # the staged rows are not kept after the decision


def test_manager_cycles_are_refused_and_cancel_imports_nothing(workspace: RunningApp) -> None:
    app = workspace
    content = (
        "user_id,manager\n"
        f"{ALICE.user_id},{DAVE.user_id}\n"
        f"{DAVE.user_id},{CAROL.user_id}\n"
        f"{CAROL.user_id},{ALICE.user_id}\n"  # Alice -> Dave -> Carol -> Alice
        f"{BOB.user_id},{CAROL.user_id}\n"
    ).encode()
    report = _submit_file(app, content, "cycle")
    text = json.dumps(report["blocks"], ensure_ascii=False)
    for line in (2, 3, 4):
        assert f"line {line}: the managers form a cycle:" in text
    assert "Import 1 row" in text
    _click(app, ids.IMPORT_CANCEL, report)
    eventually(lambda: any("Cancelled" in c.args.get("text", "") for c in app.sandbox.calls_for("chat.update")))
    assert all(manager is None for manager, _, _ in _hr(app).values())


def test_warnings_for_another_participants_email_and_a_manager_who_mentors_them(workspace: RunningApp) -> None:
    app = workspace
    pair_by_hand(app, ALICE.user_id, BOB.user_id)
    content = (
        "user_id,email,manager\n"
        f"{ALICE.user_id},,{BOB.user_id}\n"  # Bob is Alice's mentor in an open pair
        f"{DAVE.user_id},u0carol001@example.com,\n"  # Carol's email
    ).encode()
    report = _submit_file(app, content, "warnings")
    text = json.dumps(report["blocks"])
    assert "Imported HR fields for 1 person." in report["text"]  # warnings do not hold the import
    assert f"line 2: {BOB.user_id} is {ALICE.user_id}'s manager and also their mentor in an open pair" in text
    assert f"line 3: u0carol001@example.com is the email of {CAROL.user_id}, another participant" in text
    with app.sessions() as session:
        emails = dict(session.exec(select(Participant.user_id, Profile.email).join(Profile)).all())
    assert emails[DAVE.user_id] == "u0dave0001@example.com" and emails[CAROL.user_id] == "u0carol001@example.com"


def test_a_profile_edit_keeps_the_imported_department(workspace: RunningApp) -> None:
    app = workspace
    report = _submit_file(app, f"user_id,department\n{ALICE.user_id},Data Platform\n".encode(), "dept")
    assert "Imported HR fields for 1 person." in report["text"]
    view = open_modal(app, ALICE.user_id, "profile")
    assert ids.DEPARTMENT not in {b.get("block_id") for b in view["blocks"]}  # shown, not asked
    assert "*Department:* data platform · from your HR record" in json.dumps(view["blocks"], ensure_ascii=False)
    edited = replace(ALICE, department="marketing", skills_wanted=("python",))
    before = time.time()
    assert app.driver.view_submission(ALICE.user_id, view, fill.signup_values(view, edited)).status == 200
    app.sandbox.wait_for("chat.postMessage", lambda c: "updated" in c.args.get("text", ""), after=before)
    with app.sessions() as session:
        participant = session.exec(select(Participant).where(Participant.user_id == ALICE.user_id)).one()
        profile = session.get(Profile, participant.id)
    assert profile is not None and profile.department == "data platform" and profile.skills_wanted == ["python"]
