"""The offline CSV matcher."""

from __future__ import annotations

import csv
import io
from datetime import date

from bot.matching.offline import COLUMNS, run_offline
from storage.vocab import Role

HEADER = ",".join(COLUMNS)


def row(uid, role, *, offered="", wanted="", tz="Europe/London", capacity="1", languages="english", seniority=""):
    values = dict.fromkeys(COLUMNS, "")
    values.update(
        user_id=uid,
        name=f"Name {uid}",
        role=role,
        skills_offered=offered,
        skills_wanted=wanted,
        timezone=tz,
        capacity=capacity,
        languages=languages,
        seniority=seniority,
        days="tue;thu",
        time_slots="afternoon",
    )
    return ",".join(values[c] for c in COLUMNS)


def write(tmp_path, rows):
    path = tmp_path / "people.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_good_file_writes_pairs_and_summary(tmp_path):
    path = write(
        tmp_path,
        [
            row("E1", Role.MENTEE, wanted="python;go", seniority="junior"),
            row("E2", Role.MENTEE, wanted="sales", seniority="junior"),
            row("E3", Role.MENTEE, wanted="python", languages="japanese"),
            row("M1", Role.MENTOR, offered="python;go", capacity="1", seniority="senior"),
            row("M2", Role.BOTH, offered="sales", capacity="2", seniority="staff", wanted="finance"),
        ],
    )
    out = tmp_path / "pairs.csv"
    stream = io.StringIO()
    assert run_offline(path, out, stream=stream, week_of=date(2025, 5, 14)) == 0
    rows = list(csv.DictReader(out.open()))
    assert [(r["mentee_id"], r["mentor_id"]) for r in rows] == [("E1", "M1"), ("E2", "M2")]
    assert rows[0]["mentor_name"] == "Name M1"
    assert "Name E1 wants to learn python and go; Name M1 offers them" in rows[0]["reasons"]
    text = stream.getvalue()
    assert "matched: 2 of 4 mentees" in text
    assert "E3 (Name E3): no mentor speaks a language Name E3 listed" in text
    assert "mean score:" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pairs.csv", "people.csv"]  # no temp file left


def test_malformed_file_reports_lines_and_writes_nothing(tmp_path):
    path = write(
        tmp_path,
        [
            row("E1", Role.MENTEE),
            row("E2", "student"),
            row("E3", Role.MENTEE, tz="Mars/Olympus"),
            row("M1", Role.MENTOR, capacity="9"),
            row("", Role.MENTOR),
            row("E1", Role.MENTEE),
        ],
    )
    out = tmp_path / "pairs.csv"
    stream = io.StringIO()
    assert run_offline(path, out, stream=stream) == 2
    text = stream.getvalue()
    assert "line 3: unknown role 'student'" in text
    assert "line 4: bad timezone 'Mars/Olympus'" in text
    assert "line 5: capacity must be a whole number from 1 to 5, got '9'" in text
    assert "line 6: missing user_id" in text
    assert "line 7: duplicate user_id E1 (first on line 2)" in text
    assert "line 2:" not in text
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["people.csv"]


def test_existing_output_untouched_on_error(tmp_path):
    path = write(tmp_path, [row("E1", "nobody")])
    out = tmp_path / "pairs.csv"
    out.write_text("old\n")
    assert run_offline(path, out, stream=io.StringIO()) == 2
    assert out.read_text() == "old\n"


def test_progress_for_large_input(tmp_path):
    from bot.sandbox.people import generate_people

    people = generate_people(3000, seed=2)
    lines = []
    for p in people:
        values = {
            "user_id": p.user_id,
            "name": p.name,
            "role": p.role.value,
            "skills_offered": ";".join(p.skills_offered),
            "skills_wanted": ";".join(p.skills_wanted),
            "timezone": p.timezone,
            "days": ";".join(p.days),
            "time_slots": ";".join(p.time_slots),
            "capacity": str(p.capacity),
            "languages": ";".join(p.languages),
            "seniority": p.seniority,
            "manager_id": p.manager_id or "",
        }
        lines.append(",".join(values.get(c, "") for c in COLUMNS))
    path = write(tmp_path, lines)
    stream = io.StringIO()
    assert run_offline(path, tmp_path / "pairs.csv", stream=stream, week_of=date(2025, 5, 14)) == 0
    assert "scoring: " in stream.getvalue() and "(100%)" in stream.getvalue()
