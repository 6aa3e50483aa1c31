"""HR import: `mentorbot import people.csv` and the Slack upload; bad files change nothing and name their lines."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot import ids
from bot.cli import main
from bot.hr_import import import_people, parse_people_csv
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import AuditLog, Participant, Profile
from storage.vocab import Role
from tests.conftest import BOT_TOKEN, COORDINATOR, RunningApp
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
        assert audit.action == "people.import" and audit.detail == {"updated": 2, "skipped": 1}


def test_bad_file_changes_nothing_and_names_every_bad_line(engine: Engine) -> None:
    with Session(engine) as session:
        _people(session)
        before = _profiles(session)
        report = import_people(session=session, team_id=TEAM, text=BAD, actor=COORDINATOR, now=NOW)
        assert not report.ok and report.updated == 0
        assert [line for line, _ in report.errors] == [3, 4, 5, 6, 7]
        summary = report.summary()
        assert "Nothing was imported" in summary
        assert "line 3: 'not-an-id' is not a Slack user id" in summary
        assert "line 4: 'bob@example' is not an email address" in summary
        assert "line 5: a person cannot be their own manager" in summary
        assert "line 6: U0ALICE001 already appears on line 2" in summary
        assert "line 7: seniority 'wizard' is not one of" in summary
    with Session(engine) as session:
        assert _profiles(session) == before  # line 2 was fine but was not kept
        assert session.exec(select(AuditLog)).all() == []


def test_unknown_columns_and_empty_files_are_refused() -> None:
    assert parse_people_csv("")[1][0][0] == 1
    rows, errors = parse_people_csv("email,salary\na@b.co,100\n")
    assert rows == [] and "unknown column(s) salary" in errors[0][1]
    assert "user_id or an email column" in parse_people_csv("department\nSales\n")[1][0][1]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('abU0@.,"\n \r;x1')), max_size=200))
def test_parsing_any_text_never_raises_and_rows_or_errors_name_real_lines(text: str) -> None:
    rows, errors = parse_people_csv("user_id,email,manager,department\n" + text)
    lines = text.count("\n") + text.count("\r") + 2
    for row in rows:
        assert 2 <= row.line <= lines and (row.user_id or row.email)
    for line, message in errors:
        assert 0 <= line <= lines and message


def test_cli_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        _people(session)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    bad, good = tmp_path / "bad.csv", tmp_path / "people.csv"
    bad.write_text(BAD)
    good.write_text(GOOD)
    assert main(["import", str(bad)]) == 1
    assert "line 3:" in capsys.readouterr().out
    with Session(engine) as session:
        assert _profiles(session)["U0ALICE001"][0] is None
    assert main(["import", str(good)]) == 0
    assert "Imported HR fields for 2 people" in capsys.readouterr().out
    with Session(engine) as session:
        assert _profiles(session)["U0ALICE001"][0] == "U0BOB00002"
    engine.dispose()


def _upload(app: RunningApp, content: str) -> dict[str, str]:
    client = WebClient(base_url=app.sandbox.url, token=BOT_TOKEN)
    client.files_upload_v2(content=content.encode(), filename="people.csv", title="people", request_file_info=False)
    uploaded = app.sandbox.uploaded_files[-1]
    url = f"{app.sandbox.base}/files/{uploaded.file_id}/people.csv?download=1"
    return {"id": uploaded.file_id, "name": "people.csv", "url_private_download": url}


def test_slack_upload_of_a_bad_file_reports_lines_and_changes_nothing_then_a_good_one_works(app: RunningApp) -> None:
    with app.sessions() as session:
        _people(session)
    before = time.time()
    assert app.driver.slash_command(COORDINATOR, "import").status == 200
    app.sandbox.wait_for("views.open", after=before)
    view = app.sandbox.views_opened(COORDINATOR)[-1]
    assert view["callback_id"] == ids.IMPORT_VIEW
    empty = app.driver.view_submission(
        COORDINATOR, view, {ids.IMPORT_FILE: {ids.INPUT: {"type": "file_input", "files": []}}}
    )
    assert set(empty.json()["errors"]) == {ids.IMPORT_FILE}
    bad = _upload(app, BAD)
    values = {ids.IMPORT_FILE: {ids.INPUT: {"type": "file_input", "files": [bad]}}}
    assert app.driver.view_submission(COORDINATOR, view, values).status == 200
    app.sandbox.wait_for("chat.postMessage", lambda c: "Nothing was imported" in c.args.get("text", ""))
    report = app.sandbox.messages_to(COORDINATOR)[-1]["text"]
    assert "line 3:" in report and "line 6:" in report
    with app.sessions() as session:
        assert _profiles(session)["U0ALICE001"] == (None, "", "mid")
    good = _upload(app, GOOD)
    view = {**view, "hash": "second-submission"}
    values = {ids.IMPORT_FILE: {ids.INPUT: {"type": "file_input", "files": [good]}}}
    assert app.driver.view_submission(COORDINATOR, view, values).status == 200
    app.sandbox.wait_for("chat.postMessage", lambda c: "Imported HR fields for 2" in c.args.get("text", ""))
    with app.sessions() as session:
        assert _profiles(session)["U0ALICE001"] == ("U0BOB00002", "data platform", "junior")
