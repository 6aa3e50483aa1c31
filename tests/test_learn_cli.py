"""`mentorbot learn` and `mentorbot score`: file formats, refusals, the printed comparison, the model file."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from bot.cli import main
from bot.matching import Weights, score
from bot.matching.features import FACTOR_NAMES, batch_values
from bot.matching.model import PairModel
from bot.matching.outcome_files import OUTCOME_COLUMNS, outcomes_csv, read_pairs
from bot.matching.scoring import FACTORS as DEFAULT_FACTORS
from bot.sandbox.outcomes import SimulatedOutcomes, simulate_programs
from bot.views.reasons import Reader, reason_lines


@pytest.fixture(scope="module")
def simulated() -> SimulatedOutcomes:
    return simulate_programs(600, seed=8, people_per_program=300)


def _write(path: Path, sim: SimulatedOutcomes, n: int | None = None, outcome: np.ndarray | None = None) -> Path:
    labels = sim.outcome if outcome is None else outcome
    rows = list(zip(sim.mentees, sim.mentors, labels, strict=True))[:n]
    path.write_text(outcomes_csv(rows), encoding="utf-8")
    return path


def test_learn_prints_both_aucs_with_intervals_and_writes_the_model(
    tmp_path: Path, simulated: SimulatedOutcomes, capsys: pytest.CaptureFixture[str]
) -> None:
    outcomes = _write(tmp_path / "outcomes.csv", simulated)
    model_path = tmp_path / "model.json"
    chart = tmp_path / "effects.png"
    code = main(
        ["learn", "--outcomes", str(outcomes), "--output", str(model_path), "--seed", "4", "--chart", str(chart)]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    good = int(simulated.outcome.sum())
    assert f"read 600 outcomes ({good} good, {600 - good} poor)" in out
    assert "5 folds grouped by person (nobody in both train and test)" in out
    default_line = next(line for line in out.splitlines() if line.startswith("ROC AUC, default weights:"))
    learned_line = next(line for line in out.splitlines() if line.startswith("ROC AUC, learned model:"))
    assert "95% CI" in default_line and "95% CI" in learned_line
    assert "what mattered" in out and "share of wanted skills the mentor offers" in out
    model = PairModel.loads(model_path.read_text())
    assert model.evaluation["grouped_by"] == "person"
    assert model.training["outcomes"] == 600 and model.training["seed"] == 4
    learned_auc = float(learned_line.split(":")[1].split()[0])
    assert learned_auc == pytest.approx(model.evaluation["model"]["auc"], abs=5e-4)
    assert chart.read_bytes().startswith(b"\x89PNG")

    # the same seed gives the same model and the same figures
    again = tmp_path / "again.json"
    assert main(["learn", "--outcomes", str(outcomes), "--output", str(again), "--seed", "4"]) == 0
    assert capsys.readouterr().out.replace(str(again), "X") == out.replace(str(model_path), "X").replace(
        f"wrote {chart}\n", ""
    )
    first, second = json.loads(model_path.read_text()), json.loads(again.read_text())
    first.pop("created_at"), second.pop("created_at")
    assert first == second


def test_learn_refuses_below_the_minimum_in_one_line(
    tmp_path: Path, simulated: SimulatedOutcomes, capsys: pytest.CaptureFixture[str]
) -> None:
    out_path = tmp_path / "model.json"
    code = main(["learn", "--outcomes", str(_write(tmp_path / "few.csv", simulated, n=199)), "--output", str(out_path)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 2 and len(lines) == 1
    assert lines[0].startswith("error: not enough outcomes to learn from: 199 labelled pairs (need at least 200)")
    assert not out_path.exists()

    lopsided = np.ones(len(simulated.outcome), dtype=int)
    lopsided[:29] = 0
    code = main(
        [
            "learn",
            "--outcomes",
            str(_write(tmp_path / "lop.csv", simulated, outcome=lopsided)),
            "--output",
            str(out_path),
        ]
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "29 poor (need at least 30)" in lines[0]
    assert not out_path.exists()


def test_malformed_rows_are_reported_by_line_and_nothing_is_written(
    tmp_path: Path, simulated: SimulatedOutcomes, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "outcomes.csv", simulated, n=250)
    rows = list(csv.DictReader(path.open()))
    rows[2]["outcome"] = "yes"  # line 4
    rows[5]["mentor_timezone"] = "Mars/Olympus"  # line 7
    rows[9]["mentee_seniority"] = "wizard"  # line 11
    rows[12]["mentor_user_id"] = rows[12]["mentee_user_id"]  # line 14
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(OUTCOME_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    with path.open("a") as handle:
        handle.write("too,many," + "," * len(OUTCOME_COLUMNS) + "\n")  # line 252
    out_path = tmp_path / "model.json"
    assert main(["learn", "--outcomes", str(path), "--output", str(out_path)]) == 2
    out = capsys.readouterr().out
    assert "has 5 problem(s); nothing was written" in out
    assert "line 4: outcome must be 1 (good) or 0 (poor), got 'yes'" in out
    assert "line 7: mentor bad timezone 'Mars/Olympus'" in out
    assert "line 11: mentee unknown seniority 'wizard'" in out
    assert "line 14: mentee and mentor are the same person" in out
    assert "line 252: more cells than header columns" in out
    assert not out_path.exists()

    scored = tmp_path / "scored.csv"
    assert main(["score", "--pairs", str(path), "--output", str(scored)]) == 2
    assert "line 7: mentor bad timezone" in capsys.readouterr().out and not scored.exists()


def test_header_problems_and_free_text_skills(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("skills_wanted,outcome\npython,1\n")
    assert read_pairs(bad, require_outcome=True)[1] == [
        "line 1: header must name mentee_ and mentor_ columns (e.g. mentee_skills_wanted)"
    ]
    bad.write_text("mentee_skills_wanted,mentor_skills_offered,mentor_shoe_size,outcome\npython,python,44,1\n")
    assert read_pairs(bad, require_outcome=True)[1] == ["line 1: unknown column(s) mentor_shoe_size"]

    # skills outside the taxonomy are tags (normalised), empty columns take the defaults
    free = tmp_path / "free.csv"
    free.write_text(
        "mentee_skills_wanted,mentor_skills_offered,mentee_department,mentor_department,outcome\n"
        "Kite  Surfing;Rust,kite surfing;GO,,,1\n"
    )
    rows, errors = read_pairs(free, require_outcome=True)
    assert errors == []
    assert rows.mentees[0].skills_wanted == ("kite surfing", "rust")
    values = batch_values(rows.mentees, rows.mentors, week_of=date(2025, 5, 14))[0]
    assert values[FACTOR_NAMES.index("skills_shared")] == 1
    assert values[FACTOR_NAMES.index("skills")] == 0.5
    assert values[FACTOR_NAMES.index("department")] == 0  # empty never matches
    assert rows.mentee_keys[0].startswith("mentee-profile:")  # no id or email: told apart by content


def test_score_writes_totals_contributions_and_reasons(
    tmp_path: Path, simulated: SimulatedOutcomes, capsys: pytest.CaptureFixture[str]
) -> None:
    outcomes = _write(tmp_path / "outcomes.csv", simulated)
    pairs = tmp_path / "pairs.csv"
    with outcomes.open() as src, pairs.open("w", newline="") as dst:  # the same pairs without outcomes
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=[c for c in reader.fieldnames or [] if c != "outcome"])
        writer.writeheader()
        for row in list(reader)[:40]:
            row.pop("outcome")
            writer.writerow(row)
    week = date.today()

    scored = tmp_path / "default.csv"
    assert main(["score", "--pairs", str(pairs), "--output", str(scored)]) == 0
    assert "scored 40 pairs with the default weights" in capsys.readouterr().out
    rows = list(csv.DictReader(scored.open()))
    assert list(rows[0]) == ["line", "mentee_user_id", "mentor_user_id", "score", *DEFAULT_FACTORS, "reasons"]
    for row, mentee, mentor in zip(rows, simulated.mentees, simulated.mentors, strict=False):
        expected = score(mentee, mentor, Weights(), week_of=week)
        assert row["mentee_user_id"] == mentee.user_id
        assert float(row["score"]) == pytest.approx(expected.total, abs=1e-4)
        assert sum(float(row[f]) for f in DEFAULT_FACTORS) == pytest.approx(expected.total, abs=1e-3)
        worded = reason_lines(expected.reasons, reader=Reader.COORDINATOR, mentee=mentee.user_id, mentor=mentor.user_id)
        assert row["reasons"] == "; ".join(worded)  # worded for the coordinator who reads the file

    model_path = tmp_path / "model.json"
    assert main(["learn", "--outcomes", str(outcomes), "--output", str(model_path)]) == 0
    capsys.readouterr()
    with_model = tmp_path / "model.csv"
    assert main(["score", "--pairs", str(pairs), "--model", str(model_path), "--output", str(with_model)]) == 0
    assert "with the model" in capsys.readouterr().out
    rows = list(csv.DictReader(with_model.open()))
    assert list(rows[0])[4:-1] == list(FACTOR_NAMES)
    model = PairModel.loads(model_path.read_text())
    for row, mentee, mentor in zip(rows, simulated.mentees, simulated.mentors, strict=False):
        expected = score(mentee, mentor, Weights(), week_of=week, model=model)
        assert float(row["score"]) == pytest.approx(expected.total, abs=1e-4)
        logit = model.intercept + sum(float(row[f]) for f in FACTOR_NAMES)
        assert 1 / (1 + np.exp(-logit)) == pytest.approx(expected.total, abs=1e-3)  # contributions add up
    assert any("(strong in this program)" in row["reasons"] for row in rows)

    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "mentorbot.pair-model", "version": 9}')
    out_path = tmp_path / "never.csv"
    assert main(["score", "--pairs", str(pairs), "--model", str(broken), "--output", str(out_path)]) == 2
    assert "version 9 is not supported" in capsys.readouterr().out and not out_path.exists()
