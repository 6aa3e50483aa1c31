"""The pair files of ``mentorbot learn``, ``mentorbot score`` and the outcomes export.

``outcomes.csv`` / ``pairs.csv``: UTF-8 CSV with a header row, one row per pair. The columns are the
people.csv columns of the offline matcher (:mod:`bot.matching.offline`) prefixed ``mentee_`` and
``mentor_`` (``mentee_user_id``, ``mentee_skills_wanted``, ``mentor_skills_offered``, ``mentee_interests``,
``mentor_interests``, ``mentee_department``, ``mentor_department``, ``mentee_industry``,
``mentor_industry``, ``mentee_career_goals``, ``mentee_seniority``, ``mentor_timezone``, ...), lists
``;``-separated, any of them may be empty (empty cells take the offline matcher's defaults), plus
``outcome``: 1 (good) or 0 (poor), required by ``learn`` and optional for ``score``. Skills, interests and
goals outside the taxonomy are kept as tags (lower case, single spaces). A malformed row is reported with
its line number and nothing is written.

People are told apart by ``user_id``, else ``email``, else by the content of their columns; this is what
cross-validation groups by.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TextIO

import numpy as np

from bot.matching.features import FACTOR_NAMES, batch_values
from bot.matching.model import ModelFileError, PairModel
from bot.matching.offline import COLUMNS, parse_row
from bot.matching.scoring import FACTORS as DEFAULT_FACTORS
from bot.matching.scoring import Weights, score
from bot.profiles import Profile
from bot.views.reasons import Reader, reason_lines

OUTCOME = "outcome"
SIDES = ("mentee", "mentor")
PAIR_COLUMNS: tuple[str, ...] = tuple(f"{side}_{c}" for side in SIDES for c in COLUMNS if c != "role")
OUTCOME_COLUMNS: tuple[str, ...] = (*PAIR_COLUMNS, OUTCOME)


@dataclass
class PairRows:
    """Pairs read from a file, row-aligned."""

    mentees: list[Profile] = field(default_factory=list)
    mentors: list[Profile] = field(default_factory=list)
    mentee_keys: list[str] = field(default_factory=list)
    mentor_keys: list[str] = field(default_factory=list)
    outcome: list[int | None] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    ids: list[tuple[str, str]] = field(default_factory=list)  # the user_id cells as given (may be empty)

    def __len__(self) -> int:
        return len(self.mentees)

    def labels(self) -> np.ndarray:
        return np.array([o if o is not None else -1 for o in self.outcome], dtype=np.int64)


def _person_key(side: str, cells: dict[str, str]) -> str:
    if cells.get("user_id"):
        return "id:" + cells["user_id"]
    if cells.get("email"):
        return "email:" + cells["email"].lower()
    digest = hashlib.sha1("\x1f".join(f"{k}={cells[k]}" for k in sorted(cells)).encode()).hexdigest()[:16]
    return f"{side}-profile:{digest}"


def read_pairs(path: Path, *, require_outcome: bool) -> tuple[PairRows, list[str]]:
    """Read and validate a pairs/outcomes CSV.

    Args:
        path: The file.
        require_outcome: Whether every row needs ``outcome`` (learning) or it is optional (scoring).

    Returns:
        ``(rows, errors)``; errors are "line N: problem" strings (line 1 is the header).
    """
    rows = PairRows()
    errors: list[str] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        names = next(reader, [])
        header = [c for c in names if c]
        if not any(c.startswith("mentee_") for c in header) or not any(c.startswith("mentor_") for c in header):
            return rows, ["line 1: header must name mentee_ and mentor_ columns (e.g. mentee_skills_wanted)"]
        if require_outcome and OUTCOME not in header:
            return rows, ["line 1: header must include outcome (1 good, 0 poor)"]
        known = {*PAIR_COLUMNS, OUTCOME, "mentee_role", "mentor_role"}
        if unknown := [c for c in header if c not in known]:
            errors.append(f"line 1: unknown column(s) {', '.join(unknown)}")
        # per side: (position, field name) of its columns
        sides = {
            side: [(i, c[len(side) + 1 :]) for i, c in enumerate(names) if c.startswith(side + "_")] for side in SIDES
        }
        outcome_at = names.index(OUTCOME) if OUTCOME in names else None
        width = len(names)
        parsed_cache: dict[tuple[str, tuple[str, ...]], tuple[Profile | None, list[str], dict[str, str]]] = {}
        for raw in reader:
            line = reader.line_num
            if not raw:
                continue  # a blank line
            if len(raw) > width:
                errors.append(f"line {line}: more cells than header columns")
                continue
            raw = raw + [""] * (width - len(raw))
            parsed: dict[str, Profile] = {}
            problems: list[str] = []
            side_cells: dict[str, dict[str, str]] = {}
            for side in SIDES:
                key = (side, tuple(raw[i].strip() for i, _ in sides[side]))
                if key not in parsed_cache:  # the same person on many rows is parsed once
                    person = {name: value for (_, name), value in zip(sides[side], key[1], strict=True)}
                    given = dict(person, role=side, user_id=person.get("user_id") or f"{side}-row")
                    profile, found = parse_row(given)
                    parsed_cache[key] = (profile, found, {k: v for k, v in person.items() if v})
                profile, found, side_cells[side] = parsed_cache[key]
                problems += [f"{side} {p}" for p in found]
                if profile is not None:
                    parsed[side] = profile
            label: int | None = None
            text = raw[outcome_at].strip() if outcome_at is not None else ""
            if text in ("1", "0"):
                label = int(text)
            elif text or require_outcome:
                problems.append(f"outcome must be 1 (good) or 0 (poor), got {text!r}")
            mentee_id = side_cells["mentee"].get("user_id", "")
            mentor_id = side_cells["mentor"].get("user_id", "")
            if mentee_id and mentee_id == mentor_id:
                problems.append(f"mentee and mentor are the same person ({mentee_id})")
            if problems:
                errors.extend(f"line {line}: {p}" for p in problems)
                continue
            rows.mentees.append(parsed["mentee"])
            rows.mentors.append(parsed["mentor"])
            rows.mentee_keys.append(_person_key("mentee", side_cells["mentee"]))
            rows.mentor_keys.append(_person_key("mentor", side_cells["mentor"]))
            rows.outcome.append(label)
            rows.lines.append(line)
            rows.ids.append((mentee_id, mentor_id))
    return rows, errors


def _report(stream: TextIO, path: Path, errors: list[str], limit: int = 50) -> None:
    stream.write(f"error: {path} has {len(errors)} problem(s); nothing was written\n")
    for error in errors[:limit]:
        stream.write(f"  {error}\n")
    if len(errors) > limit:
        stream.write(f"  ...and {len(errors) - limit} more\n")


def _atomic_write(output_path: Path, content: str | bytes) -> None:
    output_path = Path(output_path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{output_path.name}.", suffix=".tmp", dir=output_path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.replace(tmp_name, output_path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _read(path: Path, stream: TextIO, *, require_outcome: bool) -> PairRows | None:
    try:
        rows, errors = read_pairs(path, require_outcome=require_outcome)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        stream.write(f"error: cannot read {path}: {exc}\n")
        return None
    if errors:
        _report(stream, path, errors)
        return None
    return rows


def run_learn(
    outcomes_path: Path,
    output_path: Path,
    *,
    stream: TextIO,
    seed: int = 0,
    folds: int = 5,
    week_of: date | None = None,
    chart_path: Path | None = None,
) -> int:
    """``mentorbot learn``: fit, print the grouped cross-validated comparison, write the model.

    Returns:
        0 on success; 2 for a malformed file or too few outcomes (nothing written).
    """
    from bot.matching.learn import NotEnoughOutcomes, check_enough, learn

    rows = _read(outcomes_path, stream, require_outcome=True)
    if rows is None:
        return 2
    labels = rows.labels()
    if (refusal := check_enough(labels)) is not None:
        stream.write(f"error: {refusal}; nothing was written\n")
        return 2
    people_e, people_m = len(set(rows.mentee_keys)), len(set(rows.mentor_keys))
    stream.write(
        f"read {len(rows):,} outcomes ({int(labels.sum()):,} good, {int((labels == 0).sum()):,} poor) from "
        f"{outcomes_path}: {people_e:,} mentees, {people_m:,} mentors\n"
    )
    values = batch_values(rows.mentees, rows.mentors, week_of=week_of or date.today())
    try:
        model, evaluation = learn(values, labels, rows.mentee_keys, rows.mentor_keys, seed=seed, folds=folds)
    except NotEnoughOutcomes as exc:  # pragma: no cover - checked above
        stream.write(f"error: {exc}; nothing was written\n")
        return 2
    stream.write(
        f"cross-validation: {evaluation.folds} folds grouped by person (nobody in both train and test); "
        f"{evaluation.tested:,} pairs tested"
        + (
            f", {evaluation.train_only:,} used only for training (their two people fell in different folds)"
            if evaluation.train_only
            else ""
        )
        + "\n"
    )
    stream.write(f"ROC AUC, default weights: {evaluation.default.text()}\n")
    stream.write(f"ROC AUC, learned model:   {evaluation.model.text()}\n")
    stream.write(f"difference:               {evaluation.difference.text(signed=True)}\n")
    stream.write(f"95% intervals: bootstrap over {evaluation.bootstrap_unit}, seed {seed}\n")
    stream.write("what mattered (log-odds of a good outcome, across the range seen in these pairs):\n")
    for effect in model.effects():
        stream.write(f"  - {effect.sentence}\n")
    _atomic_write(output_path, model.dumps() + "\n")
    if chart_path is not None:
        from bot.learning_chart import effects_chart

        _atomic_write(chart_path, effects_chart(model, title="What made pairs work"))
        stream.write(f"wrote {chart_path}\n")
    stream.write(f"wrote {output_path}\n")
    return 0


def load_model(path: Path) -> PairModel:
    """Read a model file (raises :class:`ModelFileError` with one readable line)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"cannot read {path}: {exc}") from None
    return PairModel.loads(text)


def run_score(
    pairs_path: Path,
    output_path: Path,
    *,
    stream: TextIO,
    model_path: Path | None = None,
    week_of: date | None = None,
) -> int:
    """``mentorbot score``: every pair's total, each factor's contribution and the top reasons.

    With a model, the total is the predicted probability of a good outcome and each factor column is its
    log-odds contribution; without, the default weighted score and its weighted factor values.

    Returns:
        0 on success; 2 for a malformed file or model (nothing written).
    """
    model = None
    if model_path is not None:
        try:
            model = load_model(model_path)
        except ModelFileError as exc:
            stream.write(f"error: {model_path}: {exc}; nothing was written\n")
            return 2
    rows = _read(pairs_path, stream, require_outcome=False)
    if rows is None:
        return 2
    week = week_of or date.today()
    factor_names = FACTOR_NAMES if model is not None else DEFAULT_FACTORS
    weights = Weights()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    has_outcome = any(o is not None for o in rows.outcome)
    writer.writerow(
        [
            "line",
            "mentee_user_id",
            "mentor_user_id",
            "score",
            *factor_names,
            "reasons",
            *([OUTCOME] if has_outcome else []),
        ]
    )
    totals = []
    for k in range(len(rows)):
        result = score(rows.mentees[k], rows.mentors[k], weights, week_of=week, model=model)
        totals.append(result.total)
        writer.writerow(
            [
                rows.lines[k],
                *rows.ids[k],
                f"{result.total:.4f}",
                *(f"{result.factors.get(name, 0.0):.4f}" for name in factor_names),
                "; ".join(
                    reason_lines(
                        result.reasons,
                        reader=Reader.COORDINATOR,
                        mentee=rows.ids[k][0] or "the mentee",
                        mentor=rows.ids[k][1] or "the mentor",
                    )
                ),
                *([rows.outcome[k] if rows.outcome[k] is not None else ""] if has_outcome else []),
            ]
        )
    _atomic_write(output_path, buffer.getvalue())
    what = "model" if model is not None else "default weights"
    mean = float(np.mean(totals)) if totals else 0.0
    stream.write(f"scored {len(rows):,} pairs with the {what}: mean score {mean:.3f}\n")
    if has_outcome and model is None:
        stream.write("note: scores use the default weights; pass --model model.json to score with a learned model\n")
    stream.write(f"wrote {output_path}\n")
    return 0


def profile_cells(profile: Profile, side: str) -> dict[str, str]:
    """One person's columns of an outcomes file (the inverse of the offline matcher's row parser)."""
    cells = {
        "user_id": profile.user_id,
        "name": profile.name,
        "email": profile.email or "",
        "skills_offered": ";".join(profile.skills_offered),
        "skills_wanted": ";".join(profile.skills_wanted),
        "interests": ";".join(profile.interests),
        "career_goals": ";".join(profile.career_goals),
        "department": profile.department,
        "industry": profile.industry,
        "seniority": profile.seniority,
        "communication_style": profile.communication_style,
        "personality": profile.personality,
        "timezone": profile.timezone,
        "days": ";".join(profile.days),
        "time_slots": ";".join(profile.time_slots),
        "meeting_format": profile.meeting_format,
        "capacity": str(profile.capacity) if 1 <= profile.capacity <= 5 else "",  # mentees store 0
        "languages": ";".join(profile.languages),
        "manager_id": profile.manager_id or "",
    }
    return {f"{side}_{k}": v for k, v in cells.items()}


def outcomes_csv(rows: Iterable[tuple[Profile, Profile, int]], *, with_names: bool = False) -> str:
    """An outcomes file from (mentee, mentor, outcome) triples; names and emails left empty unless asked."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(OUTCOME_COLUMNS))
    writer.writeheader()
    for mentee, mentor, outcome in rows:
        cells = {**profile_cells(mentee, "mentee"), **profile_cells(mentor, "mentor"), OUTCOME: str(int(outcome))}
        if not with_names:
            for side in SIDES:
                cells[f"{side}_name"] = ""
                cells[f"{side}_email"] = ""
        writer.writerow(cells)
    return buffer.getvalue()
